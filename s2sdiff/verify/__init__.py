"""SymPy checks of generated derivatives (``s2sdiff.check``)."""

from .checker import check

__all__ = ["check"]

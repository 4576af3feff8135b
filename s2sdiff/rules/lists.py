"""Writing list items: ``xs[i] = v`` as a new version of the list (no NumPy here:
scalar code writes items too).  The emitters differentiate it themselves."""

from .registry import helper


@helper
def _with_item(xs, index, value):
    """The list ``xs`` with ``xs[index] = value``, as a new list (the write ``xs[i] = v``)."""
    out = list(xs)
    out[index] = value
    return out

"""s2sdiff: source-to-source automatic differentiation for Python.

Give it a numeric Python function; it reads the source and writes new
Python source that computes the derivatives::

    >>> import math
    >>> from s2sdiff import grad
    >>> def f(x, y):
    ...     return x * y + math.sin(x)
    >>> grad(f, wrt=("x", "y"))(0.0, 2.0)
    (3.0, 0.0)
    >>> print(grad(f).source.split("def ")[1])
    grad_f(x, y):
        # reverse pass
        x_bar = math.cos(x)  # return x * y + math.sin(x)
        x_bar += y
        return x_bar
    <BLANKLINE>
"""

from .version import __version__  # noqa: E402,F401

from .errors import (  # noqa: E402
    NoRuleError,
    NoSourceError,
    S2SDiffError,
    UnsupportedSyntaxError,
)
from .rules import constant, partials  # noqa: E402
from .rules import jvp as defjvp  # noqa: E402
from .rules import vjp as defvjp  # noqa: E402
from .rules.scalar import stop_gradient  # noqa: E402,F401
from .ir.types import register_container  # noqa: E402,F401
from .api import (  # noqa: E402
    clear_cache, elementwise_grad, grad, hessian, jacfwd, jacobian, jacrev, jvp, show,
    value_and_grad, vjp,
)
from .graph import graph  # noqa: E402  (the function; the module is s2sdiff.graph)


def __getattr__(name):
    # ``check`` pulls in SymPy, which is slow to import: load it on first use.
    if name == "check":
        from .verify import check

        return check
    raise AttributeError(f"module 's2sdiff' has no attribute {name!r}")


__all__ = [
    "NoRuleError",
    "NoSourceError",
    "S2SDiffError",
    "UnsupportedSyntaxError",
    "check",
    "clear_cache",
    "constant",
    "defjvp",
    "defvjp",
    "elementwise_grad",
    "grad",
    "graph",
    "hessian",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "partials",
    "register_container",
    "show",
    "stop_gradient",
    "value_and_grad",
    "vjp",
]

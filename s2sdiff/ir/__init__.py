"""The intermediate representation and the passes over it (SSA, analyses).

The node types live in :mod:`.nodes` and are re-exported here, so passes
write ``ir.Assign``, ``ir.walk``.
"""

from .nodes import (
    Append,
    Assign,
    Atom,
    Comment,
    Const,
    Expr,
    Function,
    Global,
    If,
    Loop,
    Op,
    Origin,
    Phi,
    Pop,
    Push,
    Return,
    Stmt,
    Var,
    atoms_of,
    format_function,
    local_names,
    make_list,
    make_tuple,
    walk,
    writes,
)

__all__ = [
    "Append", "Assign", "Atom", "Comment", "Const", "Expr", "Function", "Global", "If", "Loop",
    "Op", "Origin", "Phi", "Pop", "Push", "Return", "Stmt", "Var", "atoms_of", "format_function",
    "local_names", "make_list", "make_tuple", "walk", "writes",
]

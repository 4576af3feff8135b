"""The intermediate representation and the passes over it (SSA, analyses).

The node types live in :mod:`.nodes` and are re-exported here, so passes
write ``ir.Assign``, ``ir.walk``.
"""

from .nodes import (
    Append,
    Assign,
    Atom,
    Callee,
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
    Unpack,
    Var,
    atoms_of,
    call_values,
    exposed,
    format_function,
    local_names,
    make_list,
    make_tuple,
    reads,
    target_text,
    value_reads,
    walk,
    writes,
)

__all__ = [
    "Append", "Assign", "Atom", "Callee", "Comment", "Const", "Expr", "Function", "Global", "If", "Loop",
    "Op", "Origin", "Phi", "Pop", "Push", "Return", "Stmt", "Unpack", "Var", "atoms_of", "call_values", "exposed", "format_function",
    "local_names", "make_list", "make_tuple", "reads", "target_text", "value_reads", "walk", "writes",
]

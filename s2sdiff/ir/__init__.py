"""The intermediate representation and the passes over it (SSA, analyses).

The node types live in :mod:`.nodes` and are re-exported here, so passes
write ``ir.Assign``, ``ir.walk``.
"""

from . import expr
from .nodes import (
    Append,
    Assign,
    Atom,
    Callee,
    Comment,
    Const,
    Function,
    Global,
    If,
    Item,
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
    is_tape,
    local_names,
    make_dict,
    make_list,
    make_tuple,
    map_statements,
    new_tape,
    reads,
    target_text,
    value_reads,
    walk,
    writes,
)

__all__ = [
    "expr",
    "Append", "Assign", "Atom", "Callee", "Comment", "Const", "Function", "Global", "If", "Item", "Loop",
    "Op", "Origin", "Phi", "Pop", "Push", "Return", "Stmt", "Unpack", "Var", "atoms_of", "call_values", "exposed", "format_function", "is_tape",
    "local_names", "make_dict", "make_list", "make_tuple", "map_statements", "new_tape", "reads", "target_text", "value_reads", "walk", "writes",
]

"""Fast walks over a Python AST: its nodes, and the identifiers it spells.

Both skip operator and context leaves (``ast.Add()``, ``ast.Load()``), which
hold no names and no statements, and visit depth first.
"""

from __future__ import annotations

import ast

_LEAF_FIELDS = {"ctx", "op", "ops"}  # fields that hold only operator or context leaves
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of an AST class that may hold identifiers (cached per class)."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = tuple(f for f in getattr(cls, "_fields", ()) if f not in _LEAF_FIELDS)
        _CHILD_FIELDS[cls] = fields
    return fields


def scan_names(tree: ast.AST) -> tuple[set[str], set[str], set[str]]:
    """Every identifier spelled in ``tree``, those it assigns and those it reads (one walk)."""
    every: set[str] = set()
    stored: set[str] = set()
    loaded: set[str] = set()
    stack = [tree]
    name, arg, store, load, node_type = ast.Name, ast.arg, ast.Store, ast.Load, ast.AST
    while stack:
        node = stack.pop()
        cls = type(node)
        if cls is name:
            every.add(node.id)
            ctx = type(node.ctx)
            if ctx is store:
                stored.add(node.id)
            elif ctx is load:
                loaded.add(node.id)
            continue
        if cls is arg:
            every.add(node.arg)
        for field in _CHILD_FIELDS.get(cls) or _child_fields(cls):
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(value)  # items that are not nodes have no fields
            elif isinstance(value, node_type):
                stack.append(value)
    return every, stored, loaded


def nodes(roots: list):
    """Every node under the nodes ``roots``, operator and context leaves left out."""
    stack = list(reversed(roots))
    node_type = ast.AST
    while stack:
        node = stack.pop()
        if not isinstance(node, node_type):
            continue
        yield node
        for field in _CHILD_FIELDS.get(type(node)) or _child_fields(type(node)):
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(reversed(value))
            elif isinstance(value, node_type):
                stack.append(value)

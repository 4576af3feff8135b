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


def names(tree: ast.AST) -> set[str]:
    """The identifiers of the ``Name`` nodes in ``tree``."""
    return {node.id for node in _name_nodes(tree)}


def expr_facts(tree: ast.AST) -> tuple[tuple[str, ...], bool]:
    """The local name uses of an emitted expression (each ``Name`` not linked to a
    global object by ``s2s_global``, once per occurrence) and whether it calls
    ``.pop``/``.append`` (changes a list), kept on the tree: emitted trees do not
    change once built.  An operator's facts are its operands' facts (kept on them
    too); other trees are walked once."""
    facts = getattr(tree, "s2s_facts", None)
    if facts is not None:
        return facts
    cls = type(tree)
    if cls is ast.BinOp:  # the common small trees, from their parts' facts (in the
        left, right = expr_facts(tree.left), expr_facts(tree.right)  # order of the walk)
        facts = (right[0] + left[0], left[1] or right[1])
    elif cls is ast.UnaryOp:
        facts = expr_facts(tree.operand)
    elif cls is ast.Name:
        facts = ((), False) if hasattr(tree, "s2s_global") else ((tree.id,), False)
    elif cls is ast.Constant:
        facts = ((), False)
    else:
        facts = _walked_facts(tree)
    tree.s2s_facts = facts  # type: ignore[attr-defined]
    return facts


def _walked_facts(tree: ast.AST) -> tuple[tuple[str, ...], bool]:
    uses: list[str] = []
    mutates = False
    for node in nodes([tree]):
        cls = type(node)
        if cls is ast.Name:
            if not hasattr(node, "s2s_global"):
                uses.append(node.id)
        elif cls is ast.Attribute and node.attr in ("pop", "append"):
            mutates = True
    return tuple(uses), mutates


def _name_nodes(tree: ast.AST):
    """The ``Name`` nodes of ``tree``, by a walk that skips operator and context leaves."""
    stack = [tree]
    name, node_type = ast.Name, ast.AST
    while stack:
        node = stack.pop()
        cls = type(node)
        if cls is name:
            yield node
            continue
        for field in _CHILD_FIELDS.get(cls) or _child_fields(cls):
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(value)
            elif isinstance(value, node_type):
                stack.append(value)


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

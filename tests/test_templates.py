"""The read facts kept on emitted expressions (``scan.expr_facts``) are those a
fresh walk of the tree finds: dead-code elimination and folding count reads
with them, so a wrong list would drop or misplace a statement."""

import ast

import pytest

from s2sdiff import ir
from s2sdiff.front import scan
from s2sdiff.rules import all_rules
from s2sdiff.emit.templates import instantiate, times

RULES = [r for r in all_rules() if r.params]


def _arguments(rule, constant_at=None):
    return [ir.Const(2.0) if i == constant_at else ir.Var(f"a{i}") for i in range(len(rule.params))]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: getattr(r.fn, "__name__", str(r.fn)))
def test_instantiated_partials_and_products_keep_the_facts_of_a_walk(rule):
    for constant_at in (None, 0):
        args = _arguments(rule, constant_at)
        for i, partial in enumerate(rule.partials):
            if partial is None or i == constant_at:
                continue
            node = instantiate(rule, i, args, out="z")
            assert scan.expr_facts(node) == scan._walked_facts(node)  # a walk ignores kept facts
            product = times(ast.Name("z_bar", ast.Load()), node)
            assert scan.expr_facts(product) == scan._walked_facts(product)


def test_an_operator_over_a_pop_changes_a_list():
    tree = ast.parse("y_bar * _tape.pop() + -x", mode="eval").body
    names, mutates = scan.expr_facts(tree)
    assert sorted(names) == ["_tape", "x", "y_bar"] and mutates
    assert scan.expr_facts(tree.right) == (("x",), False)  # kept on the operand too

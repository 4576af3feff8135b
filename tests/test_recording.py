"""To-be-recorded (``ir.recording``): what each block inside a loop tapes for the
reverse sweep, what its reverse pops, and what it computes again instead.

The result is dumped as text, one line per block that records something: the
block (``for i``, ``while k < 3``, ``if c`` or ``else of if c``), then what its
reverse pops and what it recomputes.  The gradients are checked against
central finite differences.
"""

import math

import pytest

import s2sdiff
from s2sdiff import ir
from s2sdiff.emit.reverse import recorded
from s2sdiff.front.source import from_function
from s2sdiff.ir.recording import Reads, Taped, recording
from s2sdiff.pipeline import ssa_of
from tests.fd import fd_grad
from tests.passes_functions import loop_with_branch


def recomputed(x, n):
    s = 0.0
    for i in range(n):
        c = x * i
        s = s + math.sin(c) * s
    return s


def nested(x, n):
    s = 0.0
    for i in range(n):
        a = math.exp(x * i)
        t = 0.0
        for j in range(n):
            t = t * a + math.tanh(x + j)
        s = s + t * t
    return s


def nested_linear(x, n):
    s = 0.0
    for i in range(n):
        a = math.exp(x * i)
        t = 0.0
        for j in range(n):
            t = t * a + math.tanh(x + j)
        s = s + 3.0 * t
    return s


def counted(x):
    k = 0.0  # a float counter: a while loop (ir/counted.py makes integer counts for loops)
    s = x
    while k < 3.0:
        s = math.sin(s) * x
        k = k + 1.0
    return s


def nested_while(x, n):
    s = 0.0
    for i in range(n):
        k = 0
        while k < i:
            s = s * math.cos(x * s)
            k = k + 1
        s = s + x
    return s


def branch(x, n):
    s = x
    for i in range(n):
        if s > 1.0:
            u = math.log(s) * math.atan(s)
            s = u * x
        else:
            s = s * s + x
    return s


def _program(f) -> ir.Function:
    return ssa_of(from_function(f))


def _dump(f, wrt=("x",)) -> list[str]:
    program = _program(f)
    _, found = recorded(program, wrt)
    return _lines(program.body, found)


def _lines(stmts, found: dict) -> list[str]:
    out = []
    for s in stmts:
        if isinstance(s, ir.Loop):
            name = f"for {s.var}" if s.var else f"while {s.args[0]}"
            out += _line(name, found.get((id(s), 0))) + _lines(s.body, found)
        elif isinstance(s, ir.If):
            cond = s.cond
            out += _line(f"if {cond}", found.get((id(s), 0))) + _lines(s.then, found)
            out += _line(f"else of if {cond}", found.get((id(s), 1))) + _lines(s.orelse, found)
    return out


def _line(name: str, taped: Taped | None) -> list[str]:
    if taped is None:
        return []
    again = "; ".join(str(a) for a in taped.recomputed)
    return [f"{name}: pops {', '.join(taped.popped) or '-'}; recomputes {again or '-'}"]


def test_a_cheap_value_is_recomputed_instead_of_taped():
    assert _dump(recomputed) == ["for i: pops s, _t2; recomputes c = x * i"]


def test_a_branch_whose_values_a_call_computes_pops_nothing():
    """The loop body tapes its header value ``s`` only; the comparison is computed
    again (cost 1); the else branch needs ``math.sin(s)`` (cost 2): no pop at all."""
    assert _dump(loop_with_branch, ("x", "y")) == [
        "for k: pops s; recomputes _t1 = s < 1.0",  # (it counts to 3: a for loop)
        "else of if _t1: pops -; recomputes _t3 = math.sin(s)",
    ]


def test_nested_loops_tape_each_body_on_its_own():
    assert _dump(nested) == [
        "for i: pops a, t; recomputes -",
        "for j: pops t, _t3; recomputes -",
    ]


def test_a_header_value_only_its_own_loop_reads_is_not_taped_by_the_enclosing_body():
    """``t`` after the inner loop: ``s = s + t * t`` reads it, ``s = s + 3.0 * t``
    does not, and the reverse of the inner loop pops its own ``t`` on each trip.  What
    the outer body's reverse reads then, ``a``, costs 3 to compute again: no pop."""
    assert _dump(nested_linear) == [
        "for i: pops -; recomputes _t1 = x * i; a = math.exp(_t1)",
        "for j: pops t, _t3; recomputes -",
    ]


def test_a_while_loop_counts_its_trips_and_the_enclosing_body_tapes_the_count():
    assert _dump(counted) == ["while _cond1: pops s, _t1; recomputes -"]
    assert _dump(nested_while) == [  # the inner loop pops its own s_1
        "for i: pops _trips1; recomputes -",
        "while _cond2: pops s_1, _t1; recomputes _t2 = x * s_1",
    ]


def test_a_branch_in_a_loop_tapes_its_own_values():
    assert _dump(branch) == [
        "for i: pops s; recomputes _t1 = s > 1.0",
        "if _t1: pops _t2, _t3, u; recomputes -",
    ]


@pytest.mark.parametrize("f, args", [(recomputed, (0.3, 4)), (nested, (0.2, 3)),
                                     (nested_linear, (0.2, 3)),
                                     (counted, (0.7,)), (nested_while, (0.4, 4)),
                                     (branch, (1.3, 3)), (branch, (0.6, 3))])
def test_the_gradients_match_finite_differences(f, args):
    got = s2sdiff.grad(f, wrt=0)(*args)
    assert got == pytest.approx(fd_grad(f, args, [0])[0], rel=1e-6, abs=1e-9)


# the analysis on its own: a pure function of the IR and of what the reverse reads

def _loop(program: ir.Function) -> ir.Loop:
    return next(s for s in ir.walk(program.body) if isinstance(s, ir.Loop))


def _reading(names: set[str], loop: ir.Loop) -> Reads:
    return Reads(frozenset(names), {id(loop): frozenset(names)})


def test_only_what_the_reverse_reads_is_taped():
    program = _program(recomputed)
    loop = _loop(program)
    assert recording(program, _reading(set(), loop), False) == {}
    assert recording(program, _reading({"s"}, loop), False) == {(id(loop), 0): Taped(("s",))}


def test_a_block_a_few_operations_compute_again_pops_nothing():
    """``_t2 = math.sin(c)`` costs 2, and ``c = x * i`` 1 more: within 4."""
    program = _program(recomputed)
    loop = _loop(program)
    taped = recording(program, _reading({"_t2"}, loop), False)[(id(loop), 0)]
    assert taped.popped == ()
    assert [str(a) for a in taped.recomputed] == ["c = x * i", "_t2 = math.sin(c)"]


def test_array_code_tapes_what_scalar_code_recomputes():
    program = _program(recomputed)
    loop = _loop(program)
    reads = _reading({"c", "s"}, loop)
    scalar = recording(program, reads, arrays=False)[(id(loop), 0)]
    assert (scalar.headers, scalar.values) == (("s",), ())
    assert [str(a) for a in scalar.recomputed] == ["c = x * i"]
    assert recording(program, reads, arrays=True) == {(id(loop), 0): Taped(("s",), ("c",), ())}

"""The computational graph: labels, values, tangents, adjoints, paths, rendering."""

from __future__ import annotations

import math
import shutil

import pytest

import s2sdiff
from s2sdiff import grad
from s2sdiff.graph import cli_main, graph

HAVE_DOT = shutil.which("dot") is not None


def classic(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


def trig(x, y):
    a = x * y
    b = math.sin(a)
    return b + x


def loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(x * i)
    return s


def halve(x):
    while x > 1:
        x = x / 2
    return x


def branch(x, y):
    if x > y:
        z = x * y
    else:
        z = math.exp(x)
    return z + 1


def two(x, y):
    return x * y, x + y


# --- the classic example -------------------------------------------------------


@pytest.fixture
def g():
    return graph(classic, at={"a": 2, "b": 1}, wrt="b")


def test_classic_values(g):
    assert [n.name for n in g.nodes] == ["a", "b", "c", "d", "e"]
    assert {n.name: n.value for n in g.nodes} == {"a": 2, "b": 1, "c": 3, "d": 2, "e": 6}
    assert [n.kind for n in g.nodes] == ["input", "input", "op", "op", "op"]
    assert g.node("c").op == "a + b" and g.node("e").op == "c * d"
    assert g.node("e").output and g.value == 6


def test_classic_edge_labels(g):
    labels = {(g.by_id(e.src).name, g.by_id(e.dst).name): g.label(e) for e in g.edges}
    assert labels == {
        ("a", "c"): "∂c/∂a = 1",
        ("b", "c"): "∂c/∂b = 1",
        ("b", "d"): "∂d/∂b = 1",
        ("c", "e"): "∂e/∂c = d = 2",
        ("d", "e"): "∂e/∂d = c = 3",
    }
    assert g.edge("c", "e").partial == "d" and g.edge("c", "e").value == 2
    assert g.edge("d", "e").partial == "c" and g.edge("d", "e").value == 3


def test_classic_sum_over_paths(g):
    assert g.derivative == 5
    assert [(p.symbolic, p.numeric, p.value) for p in g.paths] == [
        ("1·d", "1·2", 2), ("1·c", "1·3", 3)]
    caption = g.caption()
    assert "∂e/∂b = 1·d + 1·c" in caption
    assert "∂e/∂b = 1·2 + 1·3 = 5" in caption
    assert "    b → c → e:   1·d = 1·2" in caption


def test_classic_tangents_and_adjoints(g):
    assert {n.name: n.tangent for n in g.nodes} == {"a": 0, "b": 1, "c": 1, "d": 1, "e": 5}
    assert {n.name: n.adjoint for n in g.nodes} == {"a": 2, "b": 5, "c": 2, "d": 3, "e": 1}


def test_classic_dot_text(g):
    dot = g.dot
    assert dot.startswith('digraph "classic" {') and dot.rstrip().endswith("}")
    for text in ("∂e/∂c = d = 2", "∂e/∂d = c = 3", "∂c/∂a = 1", "∂e/∂b = 1·2 + 1·3 = 5",
                 "ċ = ∂c/∂b = 1", "c̄ = ∂e/∂c = 2", "<B>e</B>"):
        assert text in dot, text
    assert dot == g.to_dot()  # deterministic


def test_symbolic_without_values():
    g = graph(classic, wrt="b")
    assert all(n.value is None and n.tangent is None for n in g.nodes)
    assert g.label(g.edge("c", "e")) == "∂e/∂c = d"
    assert "∂e/∂b = 1·d + 1·c" in g.caption()
    assert g.derivative is None


# --- agreement with the generated gradient ---------------------------------------


@pytest.mark.parametrize("fn, at, wrt", [
    (trig, {"x": 0.7, "y": -1.3}, "x"),
    (trig, {"x": 0.7, "y": -1.3}, "y"),
    (loop, {"x": 0.5, "n": 3}, "x"),
    (loop, {"x": 0.5, "n": 40}, "x"),
    (halve, {"x": 5.0}, "x"),
    (halve, {"x": 5000.0}, "x"),
    (branch, {"x": 2.0, "y": 1.0}, "x"),
    (branch, {"x": 0.5, "y": 1.0}, "x"),
    (branch, {"x": 2.0, "y": 1.0}, "y"),
])
def test_derivative_matches_grad(fn, at, wrt):
    g = graph(fn, at=at, wrt=wrt)
    expected = grad(fn, wrt=wrt)(**at)
    assert g.derivative == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert g.node(wrt).adjoint == pytest.approx(expected, rel=1e-12, abs=1e-15)
    if g.paths and g.npaths == len(g.paths):
        assert sum(p.value for p in g.paths) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert g.value == pytest.approx(fn(**at))


def test_rule_partial_is_instantiated():
    g = graph(trig, at={"x": 0.7, "y": -1.3}, wrt="x")
    e = g.edge("a", "b")
    assert e.partial == "math.cos(a)"
    assert e.value == pytest.approx(math.cos(0.7 * -1.3))
    assert g.label(e) == f"∂b/∂a = math.cos(a) = {math.cos(0.7 * -1.3):.4g}"


# --- loops and branches --------------------------------------------------------


def test_small_loop_is_unrolled():
    g = graph(loop, at={"x": 0.5, "n": 3}, wrt="x")
    iterations = [grp.label for grp in g.groups.values()]
    assert len(iterations) == 3 and "iteration 3: i = 2" in iterations[-1]
    assert [n.title for n in g.nodes if n.name == "s_1"] == ["s_1⁽¹⁾", "s_1⁽²⁾", "s_1⁽³⁾"]
    assert g.node("s").value == pytest.approx(loop(0.5, 3))  # the loop's result, by alias
    assert len(g.paths) == 3


def test_long_loop_is_summarised():
    g = graph(loop, at={"x": 0.5, "n": 40}, wrt="x")
    kinds = [n.kind for n in g.nodes]
    assert kinds == ["input", "input", "loop"]
    assert "40 iterations, summarised" in next(iter(g.groups.values())).label
    assert g.label(g.edges[0]).startswith("∂s/∂x through the loop = ")
    assert graph(loop, at={"x": 0.5, "n": 40}, max_unroll=50).nodes[-1].kind == "op"


def test_loop_without_values_shows_the_body_once():
    g = graph(loop)
    back = [e for e in g.edges if e.style == "back"]
    assert len(back) == 1 and g.label(back[0]) == "next iteration"
    assert g.by_id(back[0].dst).op == "φ(0.0, s_1)"


def test_branch_taken_only_with_values():
    g = graph(branch, at={"x": 2.0, "y": 1.0}, wrt="x")
    assert "z" in [n.name for n in g.nodes] and "z_1" not in [n.name for n in g.nodes]
    assert "True → then branch" in next(iter(g.groups.values())).label
    g = graph(branch, at={"x": 0.0, "y": 1.0})
    assert "z_1" in [n.name for n in g.nodes] and "z" not in [n.name for n in g.nodes]


def test_both_branches_dashed_without_values():
    g = graph(branch)
    names = [n.name for n in g.nodes]
    assert {"z", "z_1", "z_2"} <= set(names)
    assert all(grp.style == "dashed" for grp in g.groups.values())
    assert g.edge("z", "z_2").style == "dashed"
    assert "style=dashed" in g.dot


def test_comparison_has_no_partial():
    g = graph(branch, at={"x": 2.0, "y": 1.0})
    cond = g.node("_t1")
    assert cond.kind == "const"
    assert all(e.partial is None for e in g.edges if e.dst == cond.id)


def test_tuple_output():
    assert graph(two, at={"x": 1.0, "y": 2.0}, wrt="x").derivative == 2.0
    assert graph(two, at={"x": 1.0, "y": 2.0}, wrt="x", output=1).derivative == 1.0


def test_positional_at_and_index_wrt():
    assert graph(classic, at=(2, 1), wrt=1).derivative == 5


def test_bad_arguments():
    with pytest.raises(s2sdiff.S2SDiffError, match="wrt='z'"):
        graph(classic, at={"a": 2, "b": 1}, wrt="z")
    with pytest.raises(s2sdiff.S2SDiffError):
        graph(classic, at={"a": 2})


def test_exported():
    assert s2sdiff.graph is graph


# --- rendering -----------------------------------------------------------------


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz is not installed")
def test_svg_and_png(g, tmp_path):
    svg = g.to_svg()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "∂e/∂c = d = 2" in svg
    assert g._repr_svg_() == svg
    png = g.save(tmp_path / "g.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert (tmp_path / "g.dot").exists() is False
    assert g.save(tmp_path / "g.dot").read_text(encoding="utf-8") == g.dot


def test_missing_graphviz_says_how_to_install(g, monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(s2sdiff.S2SDiffError, match="apt-get install graphviz"):
        g.to_svg()
    with pytest.raises(s2sdiff.S2SDiffError, match="install"):
        g.save(tmp_path / "g.png")
    assert g._repr_svg_() is None
    assert "digraph" in g.save(tmp_path / "g.dot").read_text(encoding="utf-8")


def test_unknown_extension(g, tmp_path):
    with pytest.raises(s2sdiff.S2SDiffError, match=".dot, .svg or .png"):
        g.save(tmp_path / "g.txt")


# --- the command ---------------------------------------------------------------

MODULE = '''\
import math


def classic(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


def scaled(x, k=3.0):
    return math.sin(x) * k
'''


@pytest.fixture
def module(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODULE)
    return path


def test_cli_prints_dot(module, capsys):
    assert cli_main([f"{module}:classic", "--at", "a=2,b=1", "--wrt", "b"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('digraph "classic"') and "∂e/∂b = 1·2 + 1·3 = 5" in out


def test_cli_defaults_and_files(module, tmp_path, capsys):
    target = tmp_path / "out.dot"
    assert cli_main([f"{module}:scaled", "--at", "x=0.5", "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert "/∂x = math.cos(x) = 0.8776" in text
    assert "scaled(x = 0.5, k = 3) = " in text


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz is not installed")
def test_cli_svg(module, tmp_path):
    target = tmp_path / "g.svg"
    assert cli_main([f"{module}:classic", "--at", "a=2,b=1", "-o", str(target)]) == 0
    assert "<svg" in target.read_text(encoding="utf-8")


def test_cli_errors(module, capsys):
    assert cli_main([f"{module}:nope"]) == 2
    assert cli_main([f"{module}:classic", "--at", "a=[1,"]) == 2
    assert cli_main([f"{module}:classic", "--at", "a=1"]) == 2
    err = capsys.readouterr().err
    assert "s2sdiff graph: error:" in err and "name=value" in err

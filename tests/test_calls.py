"""Calls stay calls: a user function the differentiated one calls gets derivatives
of its own (``fwd_g``/``bwd_g`` in reverse mode, ``jvp_g`` in forward mode,
``jvp_vjp_g`` in Hessians), so generated code is linear in the source and
recursion is differentiated.  Every derivative is checked against finite
differences, both modes, and the scalar ones against SymPy."""

import importlib.util
import math
import re
import sys
import time

import numpy as np
import pytest

import s2sdiff
from s2sdiff import grad, hessian, jvp, value_and_grad
from tests.fd import fd_partial


def power(x, n):
    """Linear recursion."""
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def tree(x, y, n):
    """Tree recursion: two recursive calls per level."""
    if n <= 1:
        return x * y + math.sin(x)
    return tree(0.9 * x, y, n - 1) + math.cos(tree(x, 0.5 * y, n - 2))


def ping(x, n):
    if n <= 0:
        return x * x
    return pong(x * 2.0, n - 1) + x


def pong(x, n):
    if n <= 0:
        return math.sin(x)
    return ping(x + 1.0, n - 1) * x


def det(A):
    """The determinant by cofactor expansion along the first row."""
    n = A.shape[0]
    if n == 1:
        return A[0, 0]
    total = 0.0
    for j in range(n):
        minor = np.delete(np.delete(A, 0, axis=0), j, axis=1)
        total = total + (-1.0) ** j * A[0, j] * det(minor)
    return total


def endless(x):
    return endless(x * 0.5) + x


def helper_pair(x, y):
    """A helper returning two values, called as a call (it has a loop)."""
    a, b = x, y
    for _ in range(3):
        a, b = a * math.cos(b), b + 0.1 * a
    return a, b


def uses_pair(x, y):
    u, v = helper_pair(x, y)
    w, z = helper_pair(v, u)
    return u * z + v * w


def keyword_helper(x, *, scale=2.0, shift=0.5):
    s = 0.0
    for i in range(2):
        s = s + scale * math.sin(x + shift * i)
    return s


def uses_keywords(x, y):
    return keyword_helper(x, scale=y) + keyword_helper(y, shift=x)


SCALAR = [
    (power, (1.3, 5), (0,)),
    (tree, (0.7, 1.1, 5), (0, 1)),
    (ping, (0.4, 5), (0,)),
    (uses_pair, (0.3, 0.8), (0, 1)),
    (uses_keywords, (0.3, 0.8), (0, 1)),
]


@pytest.mark.parametrize("fn, point, wrt", SCALAR, ids=lambda v: getattr(v, "__name__", ""))
def test_calls_in_both_modes_and_hessians(fn, point, wrt):
    g = grad(fn, wrt=wrt)(*point)
    value, _ = value_and_grad(fn, wrt=wrt)(*point)
    assert value == pytest.approx(fn(*point), rel=1e-12)
    for k, i in enumerate(wrt):
        want = fd_partial(fn, point, i)
        assert g[k] == pytest.approx(want, rel=1e-6, abs=1e-8)
        unit = tuple(1.0 if j == k else 0.0 for j in range(len(wrt)))
        assert jvp(fn, wrt=wrt)(*point, unit)[1] == pytest.approx(want, rel=1e-6, abs=1e-8)
    H = hessian(fn, wrt=wrt)(*point)
    gradient = grad(fn, wrt=wrt)
    for a, i in enumerate(wrt):
        for b, j in enumerate(wrt):
            want = fd_partial(lambda *p, a=a: gradient(*p)[a], point, j)
            assert H[a][b] == pytest.approx(want, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("fn, point, wrt", SCALAR[:4], ids=lambda v: getattr(v, "__name__", ""))
def test_calls_agree_with_sympy(fn, point, wrt):
    report = s2sdiff.check(fn, wrt=wrt, points=[point], modes=("reverse", "forward"))
    assert report.ok, str(report)


def test_recursive_calls_are_split_into_forward_and_backward_functions():
    source = grad(power).source
    assert "def fwd_power_x(x, n):" in source and "def bwd_power_x(" in source
    assert "_t2, _rec1 = fwd_power_x(x, n - 1)" in source  # the recursion, in the forward sweep
    assert "def power" not in source and "import power" not in source  # nothing runs twice
    assert source.count("def ") == 3


def test_recursive_determinant_by_cofactors():
    A = np.random.default_rng(3).normal(size=(4, 4))
    cofactors = np.linalg.det(A) * np.linalg.inv(A).T
    assert np.allclose(grad(det)(A), cofactors, rtol=1e-10, atol=1e-12)
    V = np.random.default_rng(4).normal(size=(4, 4))
    value, tangent = jvp(det)(A, V)
    assert value == pytest.approx(np.linalg.det(A), rel=1e-12)
    assert tangent == pytest.approx(np.sum(cofactors * V), rel=1e-10)


def test_a_recursion_that_never_ends_fails_as_python_does():
    with pytest.raises(RecursionError):
        endless(1.0)
    with pytest.raises(RecursionError):
        grad(endless)(1.0)
    with pytest.raises(RecursionError):
        jvp(endless)(1.0, 1.0)


def _module(tmp_path, name: str, source: str):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _chain(levels: int) -> str:
    lines = ["import math", "", "", "def h0(x, y):", "    return x * math.sin(y) + y * y", ""]
    for k in range(1, levels + 1):
        lines += [f"def h{k}(x, y):",
                  "    s = 0.0",
                  "    for i in range(2):",
                  f"        s = s + h{k - 1}(x, y + 0.1 * i) * 0.5",
                  f"    return s + h{k - 1}(y, x) * 0.25", ""]
    return "\n".join(lines) + "\n"


def test_a_deep_chain_of_helpers_generates_fast_and_linear(tmp_path):
    """14 levels, each helper calling the one below three times: inlining would give
    3**14 copies; as calls, each level is one forward and one backward function."""
    module = _module(tmp_path, "chain14", _chain(14))
    top = module.h14
    start = time.perf_counter()
    g = grad(top, wrt=(0, 1))
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"generation took {elapsed:.2f} s"
    names = [ln.split("(")[0][4:] for ln in g.source.splitlines() if ln.startswith("def ")]
    assert len(names) == 1 + 2 * 13  # grad_h14, fwd_/bwd_ of h13 … h1 (h0 is a small leaf)
    assert len(g.source.splitlines()) < 40 * 15
    small = _module(tmp_path, "chain3", _chain(3)).h3
    point = (0.3, 0.8)
    got = grad(small, wrt=(0, 1))(*point)
    for i in range(2):
        assert got[i] == pytest.approx(fd_partial(small, point, i), rel=1e-6)
    assert len(jvp(top, wrt=(0, 1)).source.splitlines()) < 30 * 15


def _big_helper_module() -> str:
    body = ["import math", "", "", "def helper(x, y):", "    a = x"]
    for k in range(38):
        body.append(f"    a = a * 0.9 + math.sin(a * y + {k}.0) * 0.1")
    body += ["    return a", "", "", "def caller(x, y):", "    s = 0.0"]
    body += [f"    s = s + helper(x + {k}.0 * 0.01, y) * {k + 1}.0" for k in range(30)]
    body += ["    return s", ""]
    return "\n".join(body)


def test_a_helper_called_from_thirty_sites_is_generated_once(tmp_path):
    caller = _module(tmp_path, "thirty", _big_helper_module()).caller
    source = grad(caller, wrt=(0, 1)).source
    assert source.count("def fwd_helper(") == 1 and source.count("def bwd_helper(") == 1
    assert source.count("= fwd_helper(") == 30 and source.count("= bwd_helper(") == 30
    assert len(source.splitlines()) < 400
    point = (0.3, 0.8)
    got = grad(caller, wrt=(0, 1))(*point)
    for i in range(2):
        assert got[i] == pytest.approx(fd_partial(caller, point, i), rel=1e-6)
    assert jvp(caller, wrt=(0, 1)).source.count("def jvp_helper(") == 1


def test_small_leaf_helpers_are_inlined():
    def leaf(x, y):
        return x * y + math.sin(x)

    def uses_leaf(x, y):
        return leaf(x, y) * leaf(y, x)

    source = grad(uses_leaf, wrt=(0, 1)).source
    code = [line.split("#")[0] for line in source.splitlines()]
    assert source.count("def ") == 1 and not any(re.search(r"\bleaf\(", ln) for ln in code)

"""Security and robustness (issue 14): the command runs no user code, generated
modules run nothing they should not, odd input gives a result or a located error.

The hostile files are built in pytest's ``tmp_path``.  A user module that must
not run writes a marker file and raises at import; the tests check the markers.
"""

from __future__ import annotations

import ast
import gc
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import s2sdiff
from s2sdiff import api, cli

BIN = Path(sys.executable).parent
SCRIPT = shutil.which("s2sdiff", path=str(BIN))
COMMAND = [SCRIPT] if SCRIPT else [sys.executable, "-m", "s2sdiff"]


def run(*args, cwd, check=None, env=None, command=None, timeout=120):
    """The ``s2sdiff`` command (or ``command``) run in ``cwd``."""
    full_env = None if env is None else {**os.environ, **env}
    result = subprocess.run((command or COMMAND) + [str(a) for a in args], check=False,
                            cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env=full_env)
    if check is not None:
        assert result.returncode == check, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def run_all(*calls):
    """``run(*args, **kwargs)`` for each ``(args, kwargs)`` of ``calls``, concurrently."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda call: run(*call[0], **call[1]), calls))


def marker_module(marker: Path, body: str = "") -> str:
    """Source of a module that leaves ``marker`` and raises if it is ever imported."""
    return (f"open({str(marker)!r}, 'w').write('imported')\n"
            "raise RuntimeError('this module must not be imported')\n" + body)


def load(path: Path, name: str):
    """Import the module at ``path`` as ``name`` (for API tests)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def import_in_subprocess(paths, call: str, cwd: Path):
    """Import each module file of ``paths`` in a fresh interpreter and evaluate ``call``
    (``m`` is the module): one value, or a list for a list of paths."""
    many = isinstance(paths, list)
    script = textwrap.dedent(f"""\
        import importlib.util, sys
        sys.path.insert(0, {str(cwd)!r})
        for path in sys.argv[1:]:
            spec = importlib.util.spec_from_file_location("generated", path)
            m = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(m)
            print({call})
        """)
    result = subprocess.run([sys.executable, "-c", script] + [str(p) for p in
                                                             (paths if many else [paths])],
                            cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")[:-1]
    return lines if many else lines[0]


# ---------------------------------------------------------------- 1. what the command imports


@pytest.fixture
def project(tmp_path):
    """``proj/scripts/run.py`` importing ``helpers`` and ``mypkg.util``, which must not run."""
    proj = tmp_path / "proj"
    (proj / "scripts").mkdir(parents=True)
    (proj / "mypkg").mkdir()
    (proj / "scripts" / "run.py").write_text(
        "import helpers\nimport mypkg.util\n\n\n"
        "def f(x):\n    return x * helpers.K + mypkg.util.C * x * x\n")
    (proj / "helpers.py").write_text(marker_module(tmp_path / "HELPERS", "K = 2.0\n"))
    (proj / "mypkg" / "__init__.py").write_text(marker_module(tmp_path / "MYPKG"))
    (proj / "mypkg" / "util.py").write_text(marker_module(tmp_path / "UTIL", "C = 3.0\n"))
    return proj


def _markers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.isupper())


def test_command_reads_the_users_modules_and_never_imports_them(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    for pythonpath in ("", str(project)):
        monkeypatch.setenv("PYTHONPATH", pythonpath)
        assert cli.main(["grad", "scripts/run.py:f", "-o", "-"]) == 0
        assert "import helpers\nimport mypkg.util\n" in capsys.readouterr().out
        assert cli.main(["check", "scripts/run.py:f"]) == 0
        assert "ok: 1 of 1 verified" in capsys.readouterr().out
        assert cli.main(["graph", "scripts/run.py:f", "--at", "x=1.0", "--wrt", "x"]) == 0
        assert "∂f/∂x = 8" in capsys.readouterr().out  # K + 2 C x at x = 1
    # python -m s2sdiff puts the current folder on sys.path: still nothing is imported
    run("grad", "scripts/run.py:f", "-o", "-", cwd=project, check=0,
        command=[sys.executable, "-m", "s2sdiff"])
    assert _markers(project.parent) == [] and "helpers" not in sys.modules


def test_a_module_neither_library_nor_found_is_a_located_refusal(tmp_path):
    (tmp_path / "m.py").write_text("import not_a_library_of_anyone\n\n\n"
                                   "def f(x):\n    return not_a_library_of_anyone.g(x)\n")
    error = run("grad", "m.py:f", "-o", "-", cwd=tmp_path, check=2).stderr
    assert error.startswith("m.py:1:1: cannot import 'not_a_library_of_anyone'")
    assert "--import not_a_library_of_anyone" in error


def test_a_file_named_like_a_library_is_read_not_imported(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "app" / "model.py").write_text(
        "import colorsys\n\n\ndef f(x):\n    return colorsys.SCALE * x * x\n")
    (tmp_path / "lib" / "colorsys.py").write_text(marker_module(tmp_path / "FAKE", "SCALE = 3.0\n"))
    out = run("grad", "app/model.py:f", "-o", "-", cwd=tmp_path,
              env={"PYTHONPATH": str(tmp_path / "lib")}, check=0).stdout
    assert "x_bar += x * colorsys.SCALE" in out and "import colorsys" in out
    assert _markers(tmp_path) == []


RULES = """\
import s2sdiff
from scipy.special import digamma, loggamma

open({marker!r}, "w").write("imported, as asked")


@s2sdiff.partials(loggamma)
def _(x):
    return (digamma(x),)
"""


def test_import_option_and_pyproject_opt_in_run_the_named_module(tmp_path):
    pytest.importorskip("scipy")
    for name in ("plain", "configured"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.py").write_text("from scipy.special import loggamma\n\n\n"
                                                  "def f(x):\n    return loggamma(x) * x\n")
        (tmp_path / name / "myrules.py").write_text(
            RULES.format(marker=str(tmp_path / name / "RULES")))
    configured = tmp_path / "configured"
    (configured / "pyproject.toml").write_text('[tool.s2sdiff]\nimport = ["myrules"]\n')
    refused, named, checked, drawn = run_all(
        (["grad", "model.py:f", "-o", "-"], dict(cwd=tmp_path / "plain", check=2)),
        (["grad", "model.py:f", "-o", "-", "--import", "myrules"],
         dict(cwd=configured, check=0)),
        (["check", "model.py:f"], dict(cwd=configured, check=0)),
        (["graph", "model.py:f", "--at", "x=2.0", "--import", "myrules"],
         dict(cwd=tmp_path / "plain", check=0)))
    assert "no derivative rule for loggamma" in refused.stderr and "--import MODULE" in refused.stderr
    assert "digamma(x)" in named.stdout and "--import myrules" in named.stdout
    assert "ok: 1 of 1 verified" in checked.stdout and "digraph" in drawn.stdout
    assert _markers(configured) == _markers(tmp_path / "plain") == ["RULES"]


# ---------------------------------------------------------------- 2. check reads source only


SIDE_EFFECTS = """\
import math

open({marker!r}, "w").write("imported")
K = math.sqrt(2.0)


def f(x):
    return x * K
"""


def test_check_never_imports_the_module_and_refuses_values_it_cannot_know(tmp_path, monkeypatch,
                                                                          capsys):
    (tmp_path / "sidefx.py").write_text(SIDE_EFFECTS.format(marker=str(tmp_path / "SIDEFX")))
    # python -m s2sdiff puts the current folder, with sidefx.py, on sys.path
    result = run("check", "sidefx.py:f", cwd=tmp_path, check=2,
                 command=[sys.executable, "-m", "s2sdiff"])
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "sidefx.py:f"]) == 2
    for error in (result.stderr, capsys.readouterr().err):
        assert error.startswith("sidefx.py:4:1: the value of 'K' is known only when "
                                "the module runs"), error
        assert "--run-module" in error and "bug" not in error
    assert _markers(tmp_path) == []


# ---------------------------------------------------------------- 3-5. what generated code holds

LITERALS = "G = 9.81\n\n\ndef f(x):\n    return G * x * x\n"
COMPUTED = "import math\n\nG = math.sqrt(96.2361)\n\n\ndef f(x):\n    return G * x * x\n"

HOSTILE_STEMS = ['evil"""\nimport os; open("PWNED", "w")\n"""', "b\\N", "C:\\Users\\new",
                 'os import system; system("touch PWNED"); from os', "my-model", "model.v2",
                 "line\u2028break\x0cfeed\rreturn", "# comment", "tab\there"]


def test_hostile_file_names_are_written_safely_or_refused(tmp_path, monkeypatch, capsys):
    outputs = []
    for i, stem in enumerate(HOSTILE_STEMS):
        folder = tmp_path / f"case{i}"
        (folder / "computed").mkdir(parents=True)
        (folder / f"{stem}.py").write_text(LITERALS)
        (folder / "computed" / f"{stem}.py").write_text(COMPUTED)
        monkeypatch.chdir(folder)
        assert cli.main(["grad", f"{stem}.py:f", "-o", "out.py"]) == 0, capsys.readouterr()
        tree = ast.parse((folder / "out.py").read_text())
        assert ast.get_docstring(tree).startswith("Gradient of f (")
        assert [type(n).__name__ for n in tree.body] == ["Expr", "Assign", "FunctionDef"]
        outputs.append(folder / "out.py")
        # a value known only at run time must be imported from the module: refused
        # when Python cannot import the module by that name, with a hint to rename it
        monkeypatch.chdir(folder / "computed")
        capsys.readouterr()
        assert cli.main(["grad", f"{stem}.py:f", "-o", "out.py"]) == 2
        assert "rename it" in capsys.readouterr().err
        assert not (folder / "computed" / "out.py").exists()
    values = import_in_subprocess(outputs, "m.grad_f(2.0)", tmp_path)
    assert values == ["39.24"] * len(outputs)
    assert not list(tmp_path.rglob("PWNED"))


def test_hostile_output_names_are_written_safely(tmp_path, monkeypatch):
    (tmp_path / "model.py").write_text(LITERALS)
    monkeypatch.chdir(tmp_path)
    names = ['o"""\nimport os; open("PWNED","w")\n"""\\x.py', "back\\slash\\N.py"]
    for name in names:
        assert cli.main(["grad", "model.py:f", "-o", name]) == 0
    assert import_in_subprocess([tmp_path / n for n in names], "m.grad_f(1.0)",
                                tmp_path) == ["19.62", "19.62"]
    assert not (tmp_path / "PWNED").exists()


def test_api_modules_from_hostile_paths(tmp_path):
    for i, folder in enumerate(['evil"""\nimport os; open("PWNED","w")\n"""', "C:\\Users\\new",
                                "b\\N"]):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "model.py"
        path.write_text("def f(x, y):\n    return x * x * y\n")
        f = load(path, f"hostile_path_{i}").f
        assert s2sdiff.jvp(f, wrt=(0, 1))(1.0, 2.0, (1.0, 0.0)) == (2.0, 4.0)
        assert s2sdiff.hessian(f, wrt=0)(1.0, 2.0) == 4.0
        assert s2sdiff.jacobian(f, wrt=(0, 1))(1.0, 2.0) == (4.0, 1.0)
        assert s2sdiff.grad(f)(1.0, 2.0) == 4.0
    assert not (tmp_path / "PWNED").exists()


class ReprInjection(float):
    def __repr__(self):
        return "__import__('os').system('touch PWNED') or 2.0"


Weird = type("Odd\nopen('PWNED', 'w')\n", (float,), {})

API_VALUES = """\
import numpy as np
from tests.test_security import ReprInjection, Weird

K = ReprInjection(2.0)
N = np.float64(1.5)
INF = float("inf")
NAN = float("nan")


def f(x):
    return min(x * K * N, INF) + max(x, NAN) * 0.0 + x


def make(value):
    def g(x):
        return value * x * x
    return g
"""


def test_values_are_written_exactly_or_bound_never_injected(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "values_mod.py").write_text(API_VALUES)
    module = load(tmp_path / "values_mod.py", "values_mod")
    g = s2sdiff.grad(module.f)
    assert g(1.0) == 4.0
    assert "__import__" not in g.source and "float('inf')" in g.source
    assert "N = np.float64(1.5)" in g.source
    closure = module.make(Weird(3.0))
    assert s2sdiff.grad(closure)(1.0) == 6.0
    assert "# value: Odd\\nopen('PWNED', 'w')\\n bound at run time" in s2sdiff.grad(closure).source
    assert not (tmp_path / "PWNED").exists()


UFUNC_MODULE = """\
import numpy as np
import s2sdiff
from scipy.special import digamma, loggamma

N = np.float64(0.5)
INF = float("inf")


@s2sdiff.partials(loggamma)
def _(x):
    return (digamma(x),)


def f(x):
    return loggamma(x) * x * N + min(x, INF)
"""


def test_api_source_with_library_values_runs_from_disk(tmp_path):
    special = pytest.importorskip("scipy.special")
    (tmp_path / "ufunc_mod.py").write_text(UFUNC_MODULE)
    try:
        g = s2sdiff.grad(load(tmp_path / "ufunc_mod.py", "ufunc_mod").f)
        assert "from scipy.special import loggamma" in g.source
        (tmp_path / "written.py").write_text(g.source)
        expected = 0.5 * float(special.digamma(3.0) * 3.0 + special.loggamma(3.0)) + 1.0
        assert float(import_in_subprocess(tmp_path / "written.py", "m.grad_f(3.0)",
                                          tmp_path)) == pytest.approx(expected)
    finally:
        from s2sdiff.rules import registry

        registry._drop_rules(special.loggamma)


# ---------------------------------------------------------------- resources


def _generated_entries() -> int:
    from s2sdiff.front import sourcelines

    return sourcelines.registered()


def test_generated_code_is_freed_with_its_function_and_by_clear_cache(tmp_path):
    (tmp_path / "many.py").write_text(
        "BIG = list(range(100000))\n\n\ndef make(k):\n    def f(x):\n        return k * x * x\n"
        "    return f\n\n\ndef top(x):\n    return x * x * x\n")
    module = load(tmp_path / "many.py", "many_mod")
    s2sdiff.clear_cache()
    before = _generated_entries()
    for k in range(200):
        f = module.make(float(k))
        assert s2sdiff.grad(f)(1.0) == 2.0 * k
        assert s2sdiff.jvp(f)(1.0, 1.0) == (k, 2.0 * k)
        assert s2sdiff.vjp(f)(1.0)[1](1.0) == 2.0 * k
        assert s2sdiff.hessian(f)(1.0) == 2.0 * k
    del f
    gc.collect()
    assert _generated_entries() == before
    g = s2sdiff.grad(module.top)
    assert "BIG" not in g.__globals__  # the module's globals are not copied
    del g
    assert _generated_entries() == before + 1
    s2sdiff.clear_cache()
    assert _generated_entries() == before


def test_collector_pauses_nest_across_threads():
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other():
        with api.collector_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with api.collector_paused():
        thread.start()
        inside.wait(10)
    try:
        assert not gc.isenabled()  # the other thread still generates
    finally:
        release.set()
        thread.join()
    assert gc.isenabled()


# ---------------------------------------------------------------- 6-7. odd source


ODD_LINES = ("import math\n\x0c\n# a comment with a line separator \u2028 in it\n"
             "def f(x):\n    y = x*x  # \x1c\u2029 odd\n    if x < 100:\n        return y\n"
             "    y = y*x  # \u2028 more\n    return y\n")


def test_form_feeds_and_line_separators_do_not_shift_lines(tmp_path, monkeypatch, capsys):
    (tmp_path / "odd.py").write_text(ODD_LINES, newline="")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["grad", "odd.py:f", "-o", "odd_grad.py"]) == 0
    source = (tmp_path / "odd_grad.py").read_text()
    assert "\u2028" not in source and "\x1c" not in source and "# y = y*x  # \\u2028 more" in source
    assert import_in_subprocess(tmp_path / "odd_grad.py", "m.grad_f(200.0)", tmp_path) == "120000.0"
    assert cli.main(["check", "odd.py:f"]) == 0
    assert "ok: 1 of 1 verified" in capsys.readouterr().out
    f = load(tmp_path / "odd.py", "odd_lines").f
    assert s2sdiff.grad(f)(200.0) == 120000.0 and s2sdiff.grad(f)(2.0) == 4.0


FALLS_OFF = "def f(x):\n    y = x * x\n    if x > 0:\n        return y\n"


def test_a_path_falling_off_the_end_is_a_located_error(tmp_path):
    (tmp_path / "falls.py").write_text(FALLS_OFF)
    f = load(tmp_path / "falls.py", "falls_off").f
    for transform in (s2sdiff.grad, s2sdiff.value_and_grad, s2sdiff.jvp):
        with pytest.raises(s2sdiff.UnsupportedSyntaxError) as info:
            transform(f)
        assert info.value.location.lineno == 3 and "without `return`" in str(info.value)
    error = run("grad", "falls.py:f", cwd=tmp_path, check=2).stderr
    assert error.startswith("falls.py:3:5: a path through 'f' reaches its end without `return`")


# ---------------------------------------------------------------- 8-9. writing outputs

HAVE_DOT = shutil.which("dot") is not None
CLASSIC = "def f(a, b):\n    return (a + b) * (b + 1)\n"


@pytest.mark.parametrize("suffix", ["dot", "svg", "png"])
def test_graph_output_has_the_write_policy_of_grad(tmp_path, monkeypatch, capsys, suffix):
    if suffix != "dot" and not HAVE_DOT:
        pytest.skip("Graphviz is not installed")
    (tmp_path / "m.py").write_text(CLASSIC)
    monkeypatch.chdir(tmp_path)
    graph = ["graph", "m.py:f", "--at", "a=2,b=1", "-o"]
    mine = tmp_path / f"mine.{suffix}"
    mine.write_text("my own picture\n")
    assert cli.main(graph + [mine.name]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert mine.read_text() == "my own picture\n"
    assert cli.main(graph + [mine.name, "--force"]) == 0
    first = mine.read_bytes()
    assert cli.main(graph + [mine.name]) == 0  # s2sdiff wrote it: no --force needed
    assert "unchanged" in capsys.readouterr().out and mine.read_bytes() == first
    (tmp_path / f"link.{suffix}").symlink_to(tmp_path / "m.py")
    (tmp_path / f"folder.{suffix}").mkdir()
    for bad in (f"link.{suffix}", f"folder.{suffix}", f"missing/g.{suffix}"):
        for force in ([], ["--force"]):
            assert cli.main(graph + [bad] + force) == 2
    assert (tmp_path / "m.py").read_text() == CLASSIC
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_outputs_that_are_not_regular_files_are_refused(tmp_path, monkeypatch, capsys):
    (tmp_path / "m.py").write_text(CLASSIC)
    os.mkfifo(tmp_path / "pipe.py")
    os.mkfifo(tmp_path / "pipe.dot")
    (tmp_path / "link.py").symlink_to(tmp_path / "m.py")
    # writing to a FIFO blocked forever: a subprocess, with a timeout, first
    error = run("grad", "m.py:f", "-o", "pipe.py", "--force", cwd=tmp_path, check=2,
                timeout=20).stderr
    assert "not a regular file" in error
    monkeypatch.chdir(tmp_path)
    for command in (["grad", "m.py:f", "-o", "pipe.py"], ["graph", "m.py:f", "-o", "pipe.dot"],
                    ["graph", "m.py:f", "-o", "pipe.dot", "--force"]):
        assert cli.main(command) == 2
        assert "not a regular file" in capsys.readouterr().err
    assert cli.main(["grad", "m.py:f", "-o", "link.py", "--force"]) == 2
    assert "symbolic link" in capsys.readouterr().err
    (tmp_path / "folder.py").mkdir()
    assert cli.main(["grad", "m.py:f", "-o", "folder.py", "--force"]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert (tmp_path / "m.py").read_text() == CLASSIC


def test_temporaries_are_short_and_stale_ones_removed(tmp_path, monkeypatch):
    (tmp_path / "m.py").write_text(CLASSIC)
    stale, fresh = tmp_path / ".s2sdiff-abcd1234.tmp", tmp_path / ".s2sdiff-efgh5678.tmp"
    stale.write_text("left by a run killed mid-write")
    fresh.write_text("another run writing now")
    os.utime(stale, (1e9, 1e9))
    monkeypatch.chdir(tmp_path)
    long_name = "g" * 245 + ".py"  # 248 characters: NAME_MAX is 255
    assert cli.main(["grad", "m.py:f", "-o", long_name]) == 0
    assert (tmp_path / long_name).read_text().startswith('"""Gradient of f')
    assert not stale.exists() and fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, long_name, "m.py"])


# ---------------------------------------------------------------- 10-12. big input


def _long_module() -> str:
    terms = " + ".join(f"{i}.5 * x" for i in range(500))
    return (f"def total(x):\n    return {terms}\n\n\n"
            f"def negated(x):\n    return {'-' * 2000}x\n\n\n"
            f"def largest(x):\n    return max(x, {', '.join(['0.0'] * 4000)})\n\n\n"
            f"def power(x):\n    return {' * '.join(['x'] * 2000)}\n")


def test_long_expressions_are_differentiated(tmp_path):
    (tmp_path / "long_mod.py").write_text(_long_module())
    module = load(tmp_path / "long_mod.py", "long_mod")
    assert s2sdiff.grad(module.total)(1.0) == sum(i + 0.5 for i in range(500))
    assert s2sdiff.jvp(module.total)(1.0, 1.0)[1] == sum(i + 0.5 for i in range(500))
    assert s2sdiff.grad(module.negated)(3.0) == 1.0
    assert s2sdiff.grad(module.largest)(0.5) == 1.0 and s2sdiff.grad(module.largest)(-0.5) == 0.0
    assert s2sdiff.grad(module.power)(1.0) == 2000.0
    assert s2sdiff.jvp(module.power)(1.0, 1.0) == (1.0, 2000.0)
    for fn in (module.total, module.largest, module.power):  # nested as Python compiles it
        compile(s2sdiff.grad(fn).source, "generated", "exec")


def test_expressions_deeper_than_pythons_parser_goes_by_default(tmp_path, monkeypatch, capsys):
    terms = " + ".join(f"{i}.5 * x" for i in range(5000))  # Python's parser needs help
    (tmp_path / "deeper.py").write_text(f"def f(x):\n    return {terms}\n")
    (tmp_path / "deepest.py").write_text(f"def g(x):\n    y = x\n    return {'-' * 10000}x\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["grad", "deeper.py:f", "-o", "deeper_grad.py"]) == 0
    namespace: dict = {}
    exec(compile((tmp_path / "deeper_grad.py").read_text(), "deeper_grad.py", "exec"), namespace)
    assert namespace["grad_f"](1.0) == sum(i + 0.5 for i in range(5000))
    capsys.readouterr()
    assert cli.main(["grad", "deepest.py:g", "-o", "-"]) == 2  # beyond Python's parser
    error = capsys.readouterr().err
    assert error.startswith("deepest.py:3:5: cannot parse the module: nested more deeply")
    assert len(error) < 1000  # the excerpt of a long line is a window


HUGE = f"""\
def power(x):
    return x * 10 ** 4000


def literal(x):
    return x * {'7' * 4000}


def beyond(x):
    y = 10 ** 5000
    return x * y * 2
"""


def test_huge_integers_give_code_or_a_located_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "huge.py").write_text(HUGE)
    module = load(tmp_path / "huge.py", "huge_mod")
    for name in ("power", "literal", "beyond"):
        fn = getattr(module, name)
        for derivative in (s2sdiff.grad(fn), s2sdiff.jvp(fn), s2sdiff.hessian(fn)):
            ast.parse(derivative.source)
        with pytest.raises(OverflowError):  # as the function itself, for a float
            fn(2.0)
        with pytest.raises(OverflowError):
            s2sdiff.grad(fn)(2.0)
    monkeypatch.chdir(tmp_path)
    for command in (["grad", "huge.py:beyond", "-o", "-"], ["show", "huge.py:beyond", "--stage",
                    "ssa"], ["graph", "huge.py:beyond", "--at", "x=2", "--wrt", "x"]):
        assert cli.main(command) == 0
    assert cli.main(["graph", "huge.py:beyond", "--at", "x=2.0"]) == 2
    assert "raised OverflowError" in capsys.readouterr().err
    (tmp_path / "digits.py").write_text(f"def f(x):\n    return x * {'7' * 5000}\n")
    assert cli.main(["grad", "digits.py:f"]) == 2
    assert "digits.py:2:" in capsys.readouterr().err


def test_graph_bounds_the_loop_iterations_it_evaluates(tmp_path, monkeypatch, capsys):
    (tmp_path / "loops.py").write_text(
        "def f(x):\n    y = x\n    for i in range(10 ** 12):\n        y = y * x\n    return y\n\n\n"
        "def g(x):\n    while x > 0:\n        x = x + 1.0\n    return x\n")
    # it ran forever: a subprocess, with a timeout, first
    error = run("graph", "loops.py:f", "--at", "x=1.0", cwd=tmp_path, check=2, timeout=30).stderr
    assert "loops.py:3:1: the graph evaluates loops one iteration at a time" in error
    monkeypatch.chdir(tmp_path)
    assert cli.main(["graph", "loops.py:g", "--at", "x=1.0"]) == 2
    assert "loops.py:9:1: the graph evaluates loops" in capsys.readouterr().err
    assert cli.main(["graph", "loops.py:f"]) == 0  # without values nothing runs


# ---------------------------------------------------------------- every generated module

HOSTILE_MODULE = '''\
# -*- coding: utf-8 -*-
"""A module whose text tries to break out of what s2sdiff generates from it."""
import math

MODE = 'a"""\\n\\u2028\\\\N\\x0c\\r\\'; import os; os.system("touch PWNED") #'
BIG = 0x1{zeros}
K = 1e309
NEG = -1e309
PAIR = (0.5, -2)

\x0c
def f(x, k=0.5):  # """; import os \u2028 os.system("touch PWNED")
    r"""He said \\""" and \\N{BULLET} \u2029 then \x0c left."""
    y = x * x * k  # \\ \\r import os; os.system("touch PWNED") \x1c
    if MODE == "fast":  # \u0085 next line
        y = y * 2.0
    z = min(y, K) + max(x, NEG) * 0.0 + x * BIG * 0.0
    return math.sin(z) * größe(x)


def größe(x):
    return x + 1.0
'''.replace("{zeros}", "0" * 4200)


def _generate_everything(folder: Path, monkeypatch) -> list[Path]:
    """Every kind of module the command and the API write, from hostile files."""
    outputs = []
    monkeypatch.chdir(folder)
    for i, stem in enumerate(HOSTILE_STEMS):
        (folder / f"{stem}.py").write_text(HOSTILE_MODULE, encoding="utf-8", newline="")
        for kind in ("grad", "jvp", "jacobian", "hessian"):
            out = folder / f"out_{i}_{kind}.py"
            assert cli.main([kind, f"{stem}.py:f", "-o", out.name]) == 0, (stem, kind)
            outputs.append(out)
        for j, extra in enumerate((["--value"], ["--mode", "forward"])):
            out = folder / f"out_{i}_grad{j}.py"
            assert cli.main(["grad", f"{stem}.py:f", *extra, "-o", out.name]) == 0
            outputs.append(out)
        out = folder / f"out_{i}_jacobian_reverse.py"
        assert cli.main(["jacobian", f"{stem}.py:f", "--mode", "reverse", "-o", out.name]) == 0
        outputs.append(out)
    module = load(folder / f"{HOSTILE_STEMS[0]}.py", "hostile_api_module")
    for i, transform in enumerate((s2sdiff.grad, s2sdiff.value_and_grad, s2sdiff.jvp,
                                   s2sdiff.vjp, s2sdiff.jacobian, s2sdiff.hessian)):
        out = folder / f"api_{i}.py"
        out.write_text(transform(module.f).source, encoding="utf-8")
        outputs.append(out)
    return outputs


AUDIT = '''\
import importlib.util, math, os, sys
import numpy
seen = []
def hook(event, args):
    if event == "import" or event in ("os.system", "subprocess.Popen", "os.exec", "os.spawn",
                                      "os.posix_spawn", "os.remove", "os.rename", "os.mkdir",
                                      "socket.connect", "shutil.rmtree"):
        seen.append((event, str(args[0])))
    elif event == "open" and args[1] is not None and any(c in str(args[1]) for c in "wax+"):
        seen.append((event, str(args[0])))
    elif event == "open" and isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_RDWR):
        seen.append((event, str(args[0])))
names = sys.argv[1:]
codes = [compile(open(p, encoding="utf-8").read(), p, "exec") for p in names]
sys.addaudithook(hook)
for path, code in zip(names, codes):
    exec(code, {"__name__": "generated"})
print(repr(seen))
'''


def test_every_generated_module_parses_and_importing_it_only_defines(tmp_path, monkeypatch):
    outputs = _generate_everything(tmp_path, monkeypatch)
    for path in outputs:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        assert all(isinstance(n, (ast.Expr, ast.Import, ast.ImportFrom, ast.Assign,
                                  ast.FunctionDef)) for n in tree.body), path
        assert all(isinstance(n.value, ast.Constant) for n in tree.body
                   if isinstance(n, ast.Expr)), path
        for line in source.splitlines():  # Python's line breaks only
            assert not any(c in line for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), path
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = subprocess.run([sys.executable, "-c", AUDIT] + [str(p) for p in outputs],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"  # no import, no file written, no process started
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_exit_codes_0_2_and_3(tmp_path, monkeypatch, capsys):
    (tmp_path / "m.py").write_text(CLASSIC)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["grad", "m.py:f", "-o", "-"]) == 0
    assert cli.main(["grad", "m.py:nowhere", "-o", "-"]) == 2  # 1: test_cli's wrong derivative
    capsys.readouterr()

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(cli.pipeline, "generate", broken)
    assert cli.main(["grad", "m.py:f", "-o", "-"]) == 3
    error = capsys.readouterr().err
    assert "Traceback" in error and "internal error: this is a bug in s2sdiff" in error

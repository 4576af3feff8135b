"""The ``s2sdiff`` command, run as a subprocess (the installed console script).

The user's module is never executed: the test modules below raise, print and
create files at import time, and must still be differentiated.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SCRIPT = shutil.which("s2sdiff", path=str(BIN))
COMMAND = [SCRIPT] if SCRIPT else [sys.executable, "-m", "s2sdiff"]
RUFF = shutil.which("ruff", path=str(BIN)) or shutil.which("ruff")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

PHYSICS = '''\
"""A module with side effects at import time: s2sdiff must not run it."""
import math
from math import sin as s

from helpers import DAMPING, damped

open("IMPORTED", "w").write("the module was executed")
print("side effect")
raise RuntimeError("this module refuses to be imported")

G = 9.81
SCALE = 2 * G  # not a literal: imported by the generated module


def height(v, angle):
    t = 0.0
    y = 0.0
    for i in range(4):
        t = t + 0.1
        y = v * s(angle) * t - 0.5 * G * t * t
    return damped(y) + math.cos(v * angle) * DAMPING


def lift(v, angle):
    return height(v, angle) * SCALE


def broken(x):
    return x * undefined_name


def unsupported(x):
    try:
        y = x * 2
    except ValueError:
        y = 0
    return y


def pair(x, y):
    return x * y, x + y
'''

HELPERS = '''\
import math

DAMPING = 0.5
open("HELPERS_IMPORTED", "w").write("executed")


def damped(y):
    return y * math.exp(-DAMPING * y)
'''

CLEAN = '''\
import math

K = 3.0


def f(x, y):
    a = x * y + math.sin(x) * K
    for i in range(3):
        a = a * x
    if a > 1.0:
        a = a + y * y
    return a
'''


def run(*args, cwd, check=None, env=None):
    result = subprocess.run(COMMAND + [str(a) for a in args], check=False, cwd=cwd, capture_output=True,
                            text=True, timeout=120, env=env)
    if check is not None:
        assert result.returncode == check, (result.stdout, result.stderr)
    return result


@pytest.fixture
def project(tmp_path):
    (tmp_path / "physics.py").write_text(PHYSICS)
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def _no_side_effects(directory: Path):
    assert not (directory / "IMPORTED").exists()
    assert not (directory / "HELPERS_IMPORTED").exists()


# ---------------------------------------------------------------- basics

def test_version_and_help(tmp_path):
    version = run("--version", cwd=tmp_path, check=0)
    assert version.stdout.startswith("s2sdiff ")
    main_help = run("--help", cwd=tmp_path, check=0).stdout
    for command in ("grad", "jvp", "jacobian", "hessian", "show", "check", "graph"):
        assert command in main_help
    for command in ("grad", "show"):
        assert "TARGET" in run(command, "--help", cwd=tmp_path, check=0).stdout
    assert run(cwd=tmp_path, check=2).stderr.startswith("usage:")


def test_python_dash_m(tmp_path):
    result = subprocess.run([sys.executable, "-m", "s2sdiff", "--version"], check=False, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("s2sdiff ")


# ---------------------------------------------------------------- grad

def test_grad_does_not_run_the_module_and_writes_beside_it(project):
    out = run("grad", "physics.py:lift", "--wrt", "v,angle", cwd=project, check=0)
    target = project / "physics_grad_lift.py"
    assert f"wrote {target.name}" in out.stdout
    _no_side_effects(project)
    source = target.read_text()
    assert source.startswith('"""Gradient of lift (physics.py) with respect to v, angle.')
    assert "s2sdiff grad physics.py:lift --wrt v,angle -o physics_grad_lift.py" in source
    assert "s2sdiff" not in "".join(ln for ln in source.splitlines(True)
                                   if ln.startswith(("import", "from")))
    tree = ast.parse(source)
    imports = {ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    assert imports == {"import math", "from math import sin as s",
                       "from helpers import DAMPING", "from physics import SCALE, G"}
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] == ["grad_lift", "fwd_height", "bwd_height"]
    _no_side_effects(project)


def test_unchanged_regeneration_is_byte_identical_and_untouched(project):
    run("grad", "clean.py:f", "--wrt", "x,y", cwd=project, check=0)
    target = project / "clean_grad_f.py"
    before, stat = target.read_bytes(), target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**9))
    mtime = target.stat().st_mtime_ns
    again = run("grad", "./clean.py:f", "--wrt", "x,y", cwd=project, check=0)
    assert "unchanged clean_grad_f.py" in again.stdout
    assert target.read_bytes() == before
    assert target.stat().st_mtime_ns == mtime
    # from another directory, spelled differently: still the same bytes
    run("grad", project / "clean.py:f", "--wrt", "x,y", cwd=project.parent, check=0)
    assert target.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


def test_generated_module_runs_without_s2sdiff(project):
    run("grad", "clean.py:f", "--wrt", "x,y", "-o", "gen/dclean.py", cwd=project, check=2)
    (project / "gen").mkdir()
    run("grad", "clean.py:f", "--wrt", "x,y", "-o", "gen/dclean.py", cwd=project, check=0)
    script = textwrap.dedent("""\
        import sys
        sys.modules["s2sdiff"] = None  # any import of s2sdiff now fails
        sys.path[:0] = [sys.argv[1], sys.argv[2]]
        from clean import f
        from dclean import grad_f
        h = 1e-6
        for x, y in [(0.3, 0.7), (1.1, -0.4), (0.9, 1.3)]:
            gx, gy = grad_f(x, y)
            fx = (f(x + h, y) - f(x - h, y)) / (2 * h)
            fy = (f(x, y + h) - f(x, y - h)) / (2 * h)
            assert abs(gx - fx) < 1e-5 * (1 + abs(fx)), (gx, fx)
            assert abs(gy - fy) < 1e-5 * (1 + abs(fy)), (gy, fy)
        print("ok")
        """)
    result = subprocess.run([sys.executable, "-I", "-c", script, str(project),
                             str(project / "gen")], check=False, capture_output=True, text=True,
                            timeout=60, cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _ruff(directory: Path, *files: str):
    return subprocess.run([RUFF, "check", "--no-cache", *files], check=False, cwd=directory,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed")
def test_generated_modules_are_ruff_clean(project):
    run("grad", "physics.py:lift", "--wrt", "v,angle", cwd=project, check=0)
    result = _ruff(project, "physics_grad_lift.py")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed")
def test_generated_module_with_branches_is_ruff_clean(project):
    run("grad", "clean.py:f", "--wrt", "x", "--value", cwd=project, check=0)
    result = _ruff(project, "clean_grad_f.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hand_written_file_is_not_overwritten_without_force(project):
    mine = project / "mine.py"
    mine.write_text("# my own code\n")
    refused = run("grad", "clean.py:f", "-o", "mine.py", cwd=project, check=2)
    assert "refusing to overwrite" in refused.stderr and "--force" in refused.stderr
    assert mine.read_text() == "# my own code\n"
    run("grad", "clean.py:f", "-o", "mine.py", "--force", cwd=project, check=0)
    assert "Generated by s2sdiff" in mine.read_text()
    # the source itself is never overwritten, even with --force
    run("grad", "clean.py:f", "-o", "clean.py", "--force", cwd=project, check=2)
    assert (project / "clean.py").read_text() == CLEAN


def test_stdout_output_and_dotted_target(project):
    package = project / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("raise ImportError('never imported')\n")
    (package / "consts.py").write_text("C = 4.0\n")
    (package / "model.py").write_text(
        "from .consts import C\n\n\ndef g(x):\n    return C * x * x\n")
    out = run("grad", "pkg.model:g", "-o", "-", cwd=project, check=0).stdout
    assert "from pkg.model import C" in out
    assert "s2sdiff grad pkg.model:g --wrt x -o -" in out
    assert "def grad_g(x):" in out
    assert not (project / "pkg" / "model_grad_g.py").exists()


# ---------------------------------------------------------------- errors

BAD_INPUT = [
    (["physics.py:broken"], "physics.py:29:16: name 'undefined_name' is not defined"),
    (["physics.py:unsupported"], "physics.py:33:5: `try` statement"),
    (["physics.py"], "must be MODULE:FUNCTION"),
    (["nowhere.py:f"], "nowhere.py: no such file"),
    (["physics.py:missing"], "'missing' is not defined"),
    (["physics.py:G"], "'G' is not a function"),
    (["physics.py:lift", "--wrt", "w"], "wrt='w' is not a parameter"),
    (["physics.py:pair"], "returns a tuple of 2"),
    (["nosuchpkg.mod:f"], "cannot find the source of module 'nosuchpkg.mod'"),
]


def test_bad_input_is_a_located_error_with_exit_code_2(project):
    # the cases run concurrently: each one is a fresh interpreter
    with ThreadPoolExecutor(max_workers=len(BAD_INPUT)) as pool:
        results = list(pool.map(lambda case: run("grad", *case[0], cwd=project), BAD_INPUT))
    for (args, message), result in zip(BAD_INPUT, results):
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    _no_side_effects(project)


def test_located_error_shows_the_line_and_a_caret(project):
    lines = run("grad", "physics.py:broken", cwd=project, check=2).stderr.splitlines()
    assert lines[0].startswith("physics.py:29:16: ") or lines[0].endswith(
        "physics.py:29:16: name 'undefined_name' is not defined")
    assert lines[1].strip() == "return x * undefined_name"
    assert lines[2].index("^") == lines[1].index("undefined_name")


def test_unreadable_and_undecodable_sources(project):
    (project / "latin.py").write_bytes(b"def f(x):\n    return x  # caf\xe9\n")
    result = run("grad", "latin.py:f", cwd=project, check=2)
    assert "cannot decode" in result.stderr and "UTF-8" in result.stderr
    (project / "declared.py").write_bytes(
        b"# -*- coding: latin-1 -*-\ndef f(x):\n    return x * x  # caf\xe9\n")
    run("grad", "declared.py:f", cwd=project, check=0)
    (project / "bad.py").write_text("def f(x):\n    return x +\n")
    assert "invalid Python syntax" in run("grad", "bad.py:f", cwd=project, check=2).stderr


def test_missing_library_import_is_located(project):
    (project / "needs.py").write_text(
        "import math\nimport no_such_library_xyz\n\n\ndef f(x):\n"
        "    return no_such_library_xyz.g(x)\n")
    result = run("grad", "needs.py:f", cwd=project, check=2)
    assert "needs.py:2:1: cannot import 'no_such_library_xyz'" in result.stderr


# ---------------------------------------------------------------- show, check, graph, jvp

STAGES = [
    ("source", "def f(x, y):\n    a = x * y + math.sin(x) * K"),
    ("normalized", "def f(x, y):"),
    ("ssa", "φ("),
    ("reverse", "def grad_f(x, y):"),
    ("forward", "def jvp_f(x, y, tangents):"),
]


def test_show_stages(project):
    def show(stage):
        return run("show", "clean.py:f", "--stage", stage, "--wrt", "x,y", cwd=project)

    with ThreadPoolExecutor(max_workers=len(STAGES)) as pool:
        results = list(pool.map(show, [stage for stage, _ in STAGES]))
    for (stage, expected), out in zip(STAGES, results):
        assert out.returncode == 0, (stage, out.stderr)
        assert expected in out.stdout, stage
        assert "\x1b[" not in out.stdout  # not a terminal: no colours


def test_show_colours_on_request(project):
    pytest.importorskip("pygments")
    out = run("show", "clean.py:f", "--stage", "source", "--color", "always", cwd=project,
              check=0)
    assert "\x1b[" in out.stdout


def test_jvp_to_stdout(project):
    out = run("jvp", "clean.py:f", "--wrt", "x", "-o", "-", cwd=project, check=0).stdout
    assert "def jvp_f(x, y, tangents):\n    x_dot = tangents\n" in out


# ---------------------------------------------------------------- forward mode, second order

SHAPES = '''\
"""Functions for the forward-mode and second-order commands."""
import math

R0 = 1.5
W = 2.0 * R0  # not a literal: the generated modules import it

open("SHAPES_IMPORTED", "w").write("the module was executed")


def polar(r, theta, scale=W):
    x = r * math.cos(theta) * scale
    y = r * math.sin(theta)
    for _ in range(2):
        y = y + 0.1 * x * y
    return x, y, r * theta


def energy(x, y, k=R0):
    e = 0.0
    for i in range(3):
        e = e + k * math.sin(x * y) / (i + 1)
    if x > y:
        e = e + x * x * y
    return e
'''

SECOND_ORDER = [  # (arguments, module written)
    (["grad", "shapes.py:energy", "--wrt", "x,y", "--mode", "forward"], "shapes_grad_energy.py"),
    (["grad", "shapes.py:energy", "--mode", "forward", "-o", "gen/fwd_x.py"], "gen/fwd_x.py"),
    (["grad", "shapes.py:energy", "--wrt", "x,y", "-o", "gen/rev.py"], "gen/rev.py"),
    (["hessian", "shapes.py:energy", "--wrt", "x,y"], "shapes_hessian_energy.py"),
    (["hessian", "shapes.py:energy", "--wrt", "y", "-o", "gen/hess_y.py"], "gen/hess_y.py"),
    (["jacobian", "shapes.py:polar", "--wrt", "r,theta"], "shapes_jacobian_polar.py"),
    (["jacobian", "shapes.py:polar", "--wrt", "0,1", "--mode", "reverse", "-o", "gen/jrev.py"],
     "gen/jrev.py"),
    (["jacobian", "shapes.py:polar", "--wrt", "theta", "-o", "gen/jtheta.py"], "gen/jtheta.py"),
]

CHECK_SECOND_ORDER = """\
import sys
sys.modules["s2sdiff"] = None  # any import of s2sdiff now fails
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import os
os.chdir(sys.argv[3])  # importing shapes (for f itself) writes its file there
from shapes import energy, polar
from shapes_grad_energy import grad_energy as fwd
from fwd_x import grad_energy as fwd_x
from rev import grad_energy as rev
from shapes_hessian_energy import hessian_energy as hess
from hess_y import hessian_energy as hess_y
from shapes_jacobian_polar import jacobian_polar as jfwd
from jrev import jacobian_polar as jrev
from jtheta import jacobian_polar as jtheta
h = 1e-6

def close(a, b, tol=1e-6):
    assert abs(a - b) <= tol * (1 + abs(b)), (a, b)

def fd(f, args, i):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)

for x, y in [(0.3, 0.7), (1.1, -0.4), (0.9, 1.3)]:
    want = [fd(energy, (x, y), i) for i in range(2)]
    for got in (fwd(x, y), rev(x, y)):
        close(got[0], want[0])
        close(got[1], want[1])
    close(fwd_x(x, y), want[0])
    close(fwd(x, y, k=0.5)[1], fd(lambda a, b: energy(a, b, k=0.5), (x, y), 1))
    H = hess(x, y)  # against finite differences of the reverse gradient
    for j in range(2):
        column = [fd(lambda a, b, k=k: rev(a, b)[k], (x, y), j) for k in range(2)]
        for k in range(2):
            close(H[k][j], column[k], 1e-5)
    close(hess_y(x, y), fd(lambda a, b: rev(a, b)[1], (x, y), 1), 1e-5)
    close(H[0][1], H[1][0], 1e-9)
for r, theta in [(0.8, 0.4), (1.7, -1.2)]:
    J = [[fd(lambda a, b, k=k: polar(a, b)[k], (r, theta), i) for i in range(2)]
         for k in range(3)]
    for got in (jfwd(r, theta), jrev(r, theta)):
        assert len(got) == 3
        for k in range(3):
            close(got[k][0], J[k][0])
            close(got[k][1], J[k][1])
    assert len(jtheta(r, theta)) == 3  # one number per output: wrt is one parameter
    for k in range(3):
        close(jtheta(r, theta)[k], J[k][1])
    close(jfwd(r, theta, 0.5)[0][0], fd(lambda a, b: polar(a, b, 0.5)[0], (r, theta), 0))
print("ok")
"""


def test_forward_and_second_order_modules_run_without_s2sdiff(project):
    (project / "shapes.py").write_text(SHAPES)
    (project / "gen").mkdir()
    with ThreadPoolExecutor(max_workers=len(SECOND_ORDER)) as pool:
        results = list(pool.map(lambda case: run(*case[0], cwd=project), SECOND_ORDER))
    for (args, written), result in zip(SECOND_ORDER, results):
        assert result.returncode == 0, (args, result.stderr)
        assert f"wrote {written}" in result.stdout, (args, result.stdout)
    assert not (project / "SHAPES_IMPORTED").exists()  # the command never ran shapes.py
    files = [written for _, written in SECOND_ORDER]
    sources = {name: (project / name).read_text() for name in files}
    for name, source in sources.items():
        tree = ast.parse(source)
        imports = {ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
        assert all("s2sdiff" not in line for line in imports), (name, imports)
        assert "from shapes import W" in imports or "polar" not in name
    hessian = sources["shapes_hessian_energy.py"]
    assert hessian.startswith('"""Hessian (forward over reverse) of energy (shapes.py) with '
                              "respect to x, y.")
    assert "s2sdiff hessian shapes.py:energy --wrt x,y -o shapes_hessian_energy.py" in hessian
    assert "def hvp_energy(x, y, k, x_dot, y_dot):" in hessian
    assert "def hessian_energy(x, y, k=R0):" in hessian
    assert "--mode forward -o shapes_grad_energy.py" in sources["shapes_grad_energy.py"]
    assert sources["shapes_jacobian_polar.py"].startswith('"""Jacobian (forward mode) of polar')
    assert "def jvp_polar(" in sources["shapes_jacobian_polar.py"]
    assert sources["gen/jrev.py"].startswith('"""Jacobian (reverse mode) of polar')
    assert "--wrt r,theta --mode reverse -o jrev.py" in sources["gen/jrev.py"]
    assert "def vjp_polar(" in sources["gen/jrev.py"]
    # imported and run where s2sdiff cannot be imported: against finite differences
    (project / "run").mkdir()
    result = subprocess.run([sys.executable, "-I", "-c", CHECK_SECOND_ORDER, str(project),
                             str(project / "gen"), str(project / "run")], check=False,
                            capture_output=True, text=True, timeout=60, cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    if RUFF is not None:
        lint = subprocess.run([RUFF, "check", "--isolated", "--no-cache", "--select", "E,F,W",
                               "--ignore", "E501", *files], check=False, cwd=project,
                              capture_output=True, text=True, timeout=60)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    # the header's command regenerates the same bytes, and leaves the file untouched
    header = ast.get_docstring(ast.parse(sources["gen/jrev.py"]))
    command = next(ln.split() for ln in header.splitlines() if ln.strip().startswith("s2sdiff"))
    mtime = (project / "gen/jrev.py").stat().st_mtime_ns
    again = run(*command[1:], cwd=project / "gen", check=0)
    assert "unchanged" in again.stdout
    assert (project / "gen/jrev.py").stat().st_mtime_ns == mtime


SECOND_ORDER_ERRORS = [
    (["hessian", "shapes.py:polar"], "returns a tuple of 3"),
    (["grad", "shapes.py:polar", "--mode", "forward"], "returns a tuple of 3"),
    (["grad", "shapes.py:energy", "--mode", "forward", "--value"], "--value is only"),
    (["jacobian", "shapes.py:polar", "--mode", "sideways"], "invalid choice"),
    (["hessian", "shapes.py:energy", "--wrt", "z"], "wrt='z' is not a parameter"),
    (["hessian", "shapes.py:energy", "-o", "mine.py"], "refusing to overwrite"),
]


def test_forward_and_second_order_errors(project):
    (project / "shapes.py").write_text(SHAPES)
    (project / "mine.py").write_text("# my own code\n")
    with ThreadPoolExecutor(max_workers=len(SECOND_ORDER_ERRORS)) as pool:
        results = list(pool.map(lambda case: run(*case[0], cwd=project), SECOND_ORDER_ERRORS))
    for (args, message), result in zip(SECOND_ORDER_ERRORS, results):
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert (project / "mine.py").read_text() == "# my own code\n"
    assert not (project / "SHAPES_IMPORTED").exists()


def test_check(project):
    ok = run("check", "clean.py:f", "--wrt", "x,y", cwd=project, check=0)
    assert "ok:" in ok.stdout and "NOT OK" not in ok.stdout
    assert not (project / "SHAPES_IMPORTED").exists()  # read, never run
    live = run("check", "clean.py:f", "--wrt", "x,y", "--run-module", cwd=project, check=0)
    assert "ok:" in live.stdout
    broken = run("check", "physics.py:broken", cwd=project, check=2)
    assert "undefined_name" in broken.stderr


def test_check_exits_1_on_a_wrong_derivative(project):
    (project / "wrongrule.py").write_text(
        "import s2sdiff\n\n\n"
        "def cube(x):\n    return x * x * x\n\n\n"
        "@s2sdiff.partials(cube)\ndef _(x):\n    return (2.0 * x,)  # wrong: 3 * x * x\n\n\n"
        "def f(x):\n    return cube(x) + x\n")
    result = run("check", "wrongrule.py:f", "--run-module", cwd=project, check=1)
    assert "FAILED" in result.stdout and "NOT OK" in result.stdout


def test_graph_hook(project):
    result = run("graph", "--help", cwd=project)
    assert result.returncode in (0, 2)
    assert "graph" in (result.stdout + result.stderr)


# ---------------------------------------------------------------- the example

def test_example_module_is_up_to_date(tmp_path):
    for name in ("projectile.py", "projectile_grad_loss.py"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    header = ast.get_docstring(ast.parse((tmp_path / "projectile_grad_loss.py").read_text()))
    command = next(ln.split() for ln in header.splitlines() if ln.strip().startswith("s2sdiff"))
    result = run(*command[1:], cwd=tmp_path, check=0)
    assert "unchanged" in result.stdout, "regenerate examples/projectile_grad_loss.py"

"""Generated code is compiled from real files: tracebacks (Python's default hook
reads lines from disk), pdb, ``inspect``, coverage and profilers show it."""

import inspect
import os
import subprocess
import sys
import textwrap

import s2sdiff


def square_root_of(x):
    return (x - 2.0) ** 0.5 * x


def test_a_derivative_is_compiled_from_a_file_holding_its_module():
    g = s2sdiff.grad(square_root_of).__wrapped__  # the generated code (not its dispatcher)
    path = g.__code__.co_filename
    assert os.path.isfile(path) and open(path).read() == g.source
    assert inspect.getsource(g).startswith("def grad_square_root_of(x):")
    folder = os.environ["S2SDIFF_CACHE_DIR"]
    assert os.path.dirname(path) == folder


def test_an_uncaught_error_in_a_derivative_shows_its_line(tmp_path):
    (tmp_path / "model.py").write_text(textwrap.dedent("""\
        import math

        import s2sdiff


        def f(x):
            return math.sqrt(x - 2.0) * x


        s2sdiff.grad(f)(1.0)  # math domain error, in the generated forward sweep
        """))
    out = subprocess.run([sys.executable, "model.py"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert "in grad_f" in out.stderr
    line = out.stderr.split("in grad_f\n")[1].splitlines()[0]
    assert "math.sqrt(x - 2.0)" in line, out.stderr  # the generated line itself


def test_clear_cache_removes_the_files_written(tmp_path, monkeypatch):
    monkeypatch.setenv("S2SDIFF_CACHE_DIR", str(tmp_path / "cache"))

    def cube(x):
        return x * x * x

    path = s2sdiff.jvp(cube).__code__.co_filename
    assert os.path.isfile(path)
    s2sdiff.clear_cache()
    assert not os.path.exists(path)


def test_without_a_private_folder_the_code_is_shown_through_linecache(tmp_path, monkeypatch):
    (tmp_path / "target").mkdir()
    os.symlink(tmp_path / "target", tmp_path / "link")
    monkeypatch.setenv("S2SDIFF_CACHE_DIR", str(tmp_path / "link"))

    def twice(x):
        return 2.0 * x * x

    g = s2sdiff.grad(twice)
    assert g.__code__.co_filename.startswith("<s2sdiff ")
    assert inspect.getsource(g).startswith("def grad_twice(x):")
    assert not os.listdir(tmp_path / "target")

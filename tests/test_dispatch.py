"""The function a transform returns: calls on numbers run the generated code at once.

A short derivative's code holds the test of the numbers it is for as its first
statement (``dispatch._inlined``), so a call on floats costs no second Python
frame; any other call goes on to the dispatcher, which routes it by signature.
"""

import importlib.util
import inspect
import math
import traceback

import numpy as np
import pytest

import s2sdiff
from s2sdiff import dispatch


def log_times(x, y):
    return math.log(x) * y


def sum_of_tanh(x, a):
    return np.sum(np.tanh(x * a))


def _frames(call, *args) -> list[str]:
    """The names of the Python frames an error passes through, below the caller."""
    with pytest.raises(ValueError) as error:
        call(*args)
    return [frame.name for frame in traceback.extract_tb(error.value.__traceback__)][1:]


def test_a_call_on_numbers_runs_the_derivative_in_one_frame():
    g = s2sdiff.grad(log_times, wrt=(0, 1))
    assert g(2.0, 3.0) == pytest.approx((1.5, math.log(2.0)))
    assert _frames(g, -1.0, 2.0) == ["grad_log_times"]  # math.log of -1.0
    text = "".join(traceback.format_exception(*_exc_info(g, -1.0, 2.0)))
    assert "math.log(" in text  # the generated line is shown


def _exc_info(call, *args):
    try:
        call(*args)
    except ValueError as exc:
        return type(exc), exc, exc.__traceback__
    raise AssertionError("no error")


def test_the_inlined_test_is_the_first_statement_and_the_body_is_the_generic_code():
    g = s2sdiff.grad(log_times, wrt=(0, 1))
    g(2.0, 3.0)
    lines = [ln.strip() for ln in g.__wrapped__.source.splitlines()]
    shown = [ln.strip() for ln in inspect.getsource(g.__code__).splitlines()]
    assert shown[1] == ("if type(x) is not _type0 or type(y) is not _type1:")
    assert shown[2] == "return dispatch_grad_log_times(x, y)"
    body = shown[3:]
    at = lines.index(body[0])
    assert lines[at:at + len(body)] == body


@pytest.mark.parametrize("first", [(0.5, 2.0), (np.ones(3) * 0.5, 2.0), (1, 2)])
def test_calls_of_other_types_are_routed_whatever_came_first(first):
    g = s2sdiff.grad(sum_of_tanh, wrt=(0, 1))
    g(*first)
    x = np.array([0.1, -0.4, 0.3])
    for args in [(0.5, 2.0), (x, 2.0), (1, 2), (np.float32(0.5), np.float32(2.0)), (0.5, 2.0),
                 (x[:2], 1.5)]:
        got = g(*args)
        for k, value in enumerate(args):
            h = 1e-6 if np.asarray(value).dtype != np.float32 else 1e-2
            step = np.zeros(np.shape(value))
            want = np.zeros(np.shape(value))
            for i in np.ndindex(np.shape(value)):
                step[i] = h
                up = list(args)
                down = list(args)
                up[k] = np.asarray(value, dtype=float) + step
                down[k] = np.asarray(value, dtype=float) - step
                want[i] = (sum_of_tanh(*up) - sum_of_tanh(*down)) / (2 * h)
                step[i] = 0.0
            assert np.shape(got[k]) == np.shape(value)
            np.testing.assert_allclose(got[k], want, rtol=1e-4, atol=1e-6)


def test_long_derivatives_keep_the_dispatcher_frame(monkeypatch):
    monkeypatch.setattr(dispatch, "INLINE_LINES", 3)

    def log_over(x, y):
        return math.log(x) / y

    g = s2sdiff.grad(log_over, wrt=(0, 1))
    assert g(2.0, 4.0) == pytest.approx((0.125, -math.log(2.0) / 16.0))
    assert _frames(g, -1.0, 2.0) == ["dispatch_grad_log_over", "grad_log_over"]


def test_code_whose_globals_have_the_dispatchers_names_keeps_its_frame(tmp_path):
    path = tmp_path / "routes.py"
    path.write_text("import math\n\n_last = 1.0\n\n\n"
                    "def log_times(x, y):\n    return math.log(x) * y * _last\n")
    spec = importlib.util.spec_from_file_location("routes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    g = s2sdiff.grad(module.log_times, wrt=(0, 1))
    assert g(2.0, 3.0) == pytest.approx((1.5, math.log(2.0)))
    assert _frames(g, -1.0, 2.0) == ["dispatch_grad_log_times", "grad_log_times"]

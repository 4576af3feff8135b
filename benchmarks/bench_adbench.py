"""ADBench-style objectives, written as a user would for s2sdiff: gradient cost against the objective.

Plain NumPy (loops allowed) written here from the mathematical definitions of
ADBench's objectives, at small sizes:

- GMM: the log-likelihood of a Gaussian mixture with a Wishart prior on the
  inverse covariances (ADBench's GMM objective): ``alphas`` (K,), ``means``
  (K, D), ``icf`` (K, D(D+1)/2) holding for each component the log-diagonal
  (D entries) then the strictly lower part, row by row, of the factor ``Q_k``
  with ``Q_k^T Q_k`` the inverse covariance; data ``x`` (N, D), Wishart
  ``gamma = 1`` and ``m = 0``.  D = 10, K = 5, N = 1000, gradient in
  ``(alphas, means, icf)``.
- Bundle adjustment: the sum of squares of ADBench's residuals (reprojection
  errors ``w_i (proj(cam, X) - feat_i)`` with a Rodrigues rotation and radial
  distortion, and weight errors ``1 - w_i^2``): ``cams`` (n, 11) = rotation
  (3), centre (3), focal length, principal point (2), distortion (2);
  ``points`` (m, 3), ``weights`` (p,), ``features`` (p, 2) and the camera and
  point index of each observation.  n = 10, m = 200, p = 1000, gradient in
  ``(cams, points, weights)``.
- LSTM: ADBench's two-layer LSTM (diagonal weights) predicting each next
  item of a sequence, loss = minus the mean log-softmax score of the targets;
  ``main_params`` (2 l, 4 b), ``extra_params`` (3, b), ``state`` (2 l, b),
  ``sequence`` (c, b).  l = 2 layers, b = 14, c = 20; Python loops over time
  steps and layers; gradient in ``(main_params, extra_params, state)``.
- Least squares: ``sum((A @ x - b) ** 2)``, A of 1000×50, gradient in x; and
  a nonlinear fit ``sum((p0 exp(-p1 t) + p2 - y) ** 2)`` over 1000 points,
  gradient in the 3 parameters.
- RK4: 500 classic Runge–Kutta steps (dt = 0.01) of Lotka–Volterra with the
  state as a NumPy 2-vector, loss = squared distance of the final state to a
  target, gradient in the 4 parameters and the initial state; and 1000 steps
  of a damped oscillator written on Python floats, gradient in (omega, zeta,
  x0, v0).

Each objective has one or more formulations.  The first is the one a user is
likeliest to write; a later one is tried only when s2sdiff refuses
(``S2SDiffError``) or crashes on the ones before it, and every formulation
tried is one row, its s2sdiff cell saying ``refused: <message>`` or
``crashed: <error>``.  (GMM and bundle adjustment get a second formulation in
any case, so that autograd and JAX, which cannot write into arrays or jit a
1000-trip loop quickly, have one they can run; the LSTM's three, state in
lists or in an array, are all timed, to compare them.)

Before timing, each tool's gradient is checked against central finite
differences (directional, ⟨∇f, v⟩ for random v, the worst relative error of
three directions is printed for s2sdiff); a wrong s2sdiff gradient stops the
script.  Timed: f (NumPy), s2sdiff's gradient called through
``grad(f, wrt=...)`` as users do, and when installed autograd and JAX under
``jax.jit`` (float64, ``jax_enable_x64``; Python ints and floats that are not
differentiated are static arguments).  Ratios are gradient time / time of the
NumPy objective f, for each tool.  autograd and JAX get the very same
functions with ``np`` rebound to ``autograd.numpy`` / ``jax.numpy`` (helpers
included); a tool that cannot run a formulation is ``n/a`` with the reason
below the table.  JAX jit's compile time is not in its time, but it is
printed; a formulation whose loops would unroll into too long a trace for
JAX is skipped for it (``--jax-all`` runs it anyway).

Optional tools: ``pip install autograd`` and ``pip install "jax[cpu]"``.

Run: ``python benchmarks/bench_adbench.py`` (``--repeat N`` for more repeats,
``--only LSTM`` for the objectives whose name holds ``LSTM``).
"""

import argparse
import functools
import math
import time

import numpy as np
from _timing import (autograd_gradient, compare, fmt_ratio, fmt_time, optional_import,
                     print_table, rebind, s2sdiff_gradient)

# ---------------------------------------------------------------------------
# Shared helpers (ordinary user code: s2sdiff inlines them).


def _logsumexp(v, axis):
    """``log(sum(exp(v), axis))``, shifted by the maximum for stability."""
    top = np.max(v, axis=axis, keepdims=True)
    return np.log(np.sum(np.exp(v - top), axis=axis)) + np.squeeze(top, axis=axis)


def _log_multigamma(a, p):
    """``log Γ_p(a)``, the multivariate gamma function (of constants only)."""
    out = 0.25 * p * (p - 1) * math.log(math.pi)
    for j in range(1, p + 1):
        out = out + math.lgamma(a + 0.5 * (1 - j))
    return out


def _gmm_constants(n, d, k_count, wishart_gamma, wishart_m):
    """The terms of the GMM objective that depend on no parameter."""
    dof = d + wishart_m + 1
    c_prior = (dof * d * (math.log(wishart_gamma) - 0.5 * math.log(2.0))
               - _log_multigamma(0.5 * dof, d))
    return -0.5 * n * d * math.log(2.0 * math.pi) - k_count * c_prior


# ---------------------------------------------------------------------------
# 1. GMM with a Wishart prior.


def gmm_objective(alphas, means, icf, x, wishart_gamma, wishart_m):
    """Loops over components; each Q_k filled in element by element."""
    n, d = x.shape
    k_count = alphas.shape[0]
    columns = []
    prior = 0.0
    for k in range(k_count):
        log_diag = icf[k, :d]
        off_diag = icf[k, d:]
        q = np.zeros((d, d))
        j = 0
        for r in range(d):
            q[r, r] = np.exp(log_diag[r])
            for c in range(r):
                q[r, c] = off_diag[j]
                j = j + 1
        centred = x - means[k]
        mahalanobis = np.sum((centred @ q.T) ** 2, axis=1)
        sum_log_diag = np.sum(log_diag)
        columns.append(alphas[k] + sum_log_diag - 0.5 * mahalanobis)
        frobenius = np.sum(np.exp(log_diag) ** 2) + np.sum(off_diag ** 2)
        prior = prior + 0.5 * wishart_gamma ** 2 * frobenius - wishart_m * sum_log_diag
    main = np.stack(columns, axis=1)
    constant = _gmm_constants(n, d, k_count, wishart_gamma, wishart_m)
    return constant + np.sum(_logsumexp(main, 1)) - n * _logsumexp(alphas, 0) + prior


def gmm_objective_vectorised(alphas, means, icf, x, wishart_gamma, wishart_m):
    """All components at once: the Q_k gathered from icf by an index map, einsum."""
    n, d = x.shape
    k_count = alphas.shape[0]
    log_diags = icf[:, :d]
    off_diags = icf[:, d:]
    row = np.arange(d)[:, None]
    col = np.arange(d)[None, :]
    # Where Q[r, c] is in [exp(log-diagonal), off-diagonal, 0]: r(r-1)/2 + c below the diagonal.
    where = np.where(row == col, col, np.where(col < row, d + row * (row - 1) // 2 + col,
                                               d * (d + 1) // 2))
    padded = np.concatenate((np.exp(log_diags), off_diags, np.zeros((k_count, 1))), axis=1)
    qs = np.reshape(padded[:, np.reshape(where, (-1,))], (k_count, d, d))
    centred = x[:, None, :] - means[None, :, :]
    mahalanobis = np.sum(np.einsum("kij,nkj->nki", qs, centred) ** 2, axis=2)
    sum_log_diags = np.sum(log_diags, axis=1)
    main = alphas + sum_log_diags - 0.5 * mahalanobis
    frobenius = np.sum(np.exp(log_diags) ** 2) + np.sum(off_diags ** 2)
    prior = 0.5 * wishart_gamma ** 2 * frobenius - wishart_m * np.sum(sum_log_diags)
    constant = _gmm_constants(n, d, k_count, wishart_gamma, wishart_m)
    return constant + np.sum(_logsumexp(main, 1)) - n * _logsumexp(alphas, 0) + prior


def gmm_args(rng, d=10, k=5, n=1000):
    return (rng.normal(size=k), rng.normal(size=(k, d)),
            0.3 * rng.normal(size=(k, d * (d + 1) // 2)), rng.normal(size=(n, d)), 1.0, 0)


# ---------------------------------------------------------------------------
# 2. Bundle adjustment.


def _rodrigues_rotate(rot, x):
    """Rotate each row of ``x`` (p, 3) by the axis-angle vector in the same row of ``rot``."""
    sq_theta = np.sum(rot * rot, axis=1, keepdims=True)
    theta = np.sqrt(sq_theta)
    axis = rot / theta
    cos_t = np.cos(theta)
    axis_dot_x = np.sum(axis * x, axis=1, keepdims=True)
    rotated = x * cos_t + np.cross(axis, x) * np.sin(theta) + axis * (axis_dot_x * (1.0 - cos_t))
    return np.where(sq_theta > 1e-30, rotated, x + np.cross(rot, x))


def ba_objective(cams, points, weights, features, cam_index, point_index):
    """All observations at once (rows gathered by the index arrays)."""
    cam = cams[cam_index]
    moved = points[point_index] - cam[:, 3:6]
    in_camera = _rodrigues_rotate(cam[:, 0:3], moved)
    projected = in_camera[:, :2] / in_camera[:, 2:3]
    r_sq = np.sum(projected * projected, axis=1, keepdims=True)
    distortion = 1.0 + cam[:, 9:10] * r_sq + cam[:, 10:11] * r_sq * r_sq
    predicted = projected * distortion * cam[:, 6:7] + cam[:, 7:9]
    reprojection = weights[:, None] * (predicted - features)
    weight_error = 1.0 - weights * weights
    return np.sum(reprojection ** 2) + np.sum(weight_error ** 2)


def ba_objective_loop(cams, points, weights, features, cam_index, point_index):
    """A Python loop over observations, one camera and one point at a time."""
    total = 0.0
    for i in range(weights.shape[0]):
        cam = cams[cam_index[i]]
        x = points[point_index[i]] - cam[3:6]
        rot = cam[0:3]
        sq_theta = np.sum(rot * rot)
        if sq_theta > 1e-30:
            theta = np.sqrt(sq_theta)
            axis = rot / theta
            cos_t = np.cos(theta)
            x = (x * cos_t + np.cross(axis, x) * np.sin(theta)
                 + axis * (np.dot(axis, x) * (1.0 - cos_t)))
        else:
            x = x + np.cross(rot, x)
        projected = x[:2] / x[2]
        r_sq = np.sum(projected * projected)
        distortion = 1.0 + cam[9] * r_sq + cam[10] * r_sq * r_sq
        predicted = projected * distortion * cam[6] + cam[7:9]
        residual = weights[i] * (predicted - features[i])
        total = total + np.sum(residual ** 2) + (1.0 - weights[i] * weights[i]) ** 2
    return total


def ba_args(rng, n=10, m=200, p=1000):
    cams = np.empty((n, 11))
    cams[:, 0:3] = 0.2 * rng.normal(size=(n, 3))
    cams[:, 3:6] = rng.normal(size=(n, 3)) - np.array([0.0, 0.0, 10.0])  # in front of the points
    cams[:, 6] = 1.0 + 0.1 * rng.random(n)
    cams[:, 7:9] = 0.01 * rng.normal(size=(n, 2))
    cams[:, 9:11] = 0.01 * rng.normal(size=(n, 2))
    return (cams, rng.normal(size=(m, 3)), 0.5 + 0.5 * rng.random(p),
            0.1 * rng.normal(size=(p, 2)), np.arange(p) % n, rng.integers(0, m, size=p))


# ---------------------------------------------------------------------------
# 3. LSTM.


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _lstm_cell(weight, bias, hidden, cell, x):
    b = hidden.shape[0]
    forget = _sigmoid(x * weight[:b] + bias[:b])
    ingate = _sigmoid(hidden * weight[b:2 * b] + bias[b:2 * b])
    outgate = _sigmoid(x * weight[2 * b:3 * b] + bias[2 * b:3 * b])
    change = np.tanh(hidden * weight[3 * b:] + bias[3 * b:])
    cell = cell * forget + ingate * change
    return outgate * np.tanh(cell), cell


def _log_softmax_score(hidden, extra_params, target):
    prediction = hidden * extra_params[1] + extra_params[2]
    return np.sum(target * (prediction - _logsumexp(prediction, 0)))


def lstm_objective(main_params, extra_params, state, sequence):
    """The state as lists of per-layer arrays, updated in place."""
    layers = state.shape[0] // 2
    steps, b = sequence.shape
    hiddens = []
    cells = []
    for i in range(layers):
        hiddens.append(state[2 * i])
        cells.append(state[2 * i + 1])
    total = 0.0
    x_in = sequence[0]
    for t in range(steps - 1):
        x = x_in * extra_params[0]
        for i in range(layers):
            hiddens[i], cells[i] = _lstm_cell(main_params[2 * i], main_params[2 * i + 1],
                                              hiddens[i], cells[i], x)
            x = hiddens[i]
        total = total + _log_softmax_score(x, extra_params, sequence[t + 1])
        x_in = sequence[t + 1]
    return -total / ((steps - 1) * b)


def lstm_objective_items(main_params, extra_params, state, sequence):
    """As lstm_objective, one list item assigned per statement."""
    layers = state.shape[0] // 2
    steps, b = sequence.shape
    hiddens = []
    cells = []
    for i in range(layers):
        hiddens.append(state[2 * i])
        cells.append(state[2 * i + 1])
    total = 0.0
    x_in = sequence[0]
    for t in range(steps - 1):
        x = x_in * extra_params[0]
        for i in range(layers):
            hidden, cell = _lstm_cell(main_params[2 * i], main_params[2 * i + 1],
                                      hiddens[i], cells[i], x)
            hiddens[i] = hidden
            cells[i] = cell
            x = hidden
        total = total + _log_softmax_score(x, extra_params, sequence[t + 1])
        x_in = sequence[t + 1]
    return -total / ((steps - 1) * b)


def lstm_objective_array(main_params, extra_params, state, sequence):
    """The state kept in a copy of the state array, rows written in place."""
    layers = state.shape[0] // 2
    steps, b = sequence.shape
    state = np.copy(state)
    total = 0.0
    x_in = sequence[0]
    for t in range(steps - 1):
        x = x_in * extra_params[0]
        for i in range(layers):
            hidden, cell = _lstm_cell(main_params[2 * i], main_params[2 * i + 1],
                                      state[2 * i], state[2 * i + 1], x)
            state[2 * i] = hidden
            state[2 * i + 1] = cell
            x = hidden
        total = total + _log_softmax_score(x, extra_params, sequence[t + 1])
        x_in = sequence[t + 1]
    return -total / ((steps - 1) * b)


def lstm_args(rng, layers=2, b=14, steps=20):
    return (0.5 * rng.normal(size=(2 * layers, 4 * b)), 0.5 * rng.normal(size=(3, b)),
            0.5 * rng.normal(size=(2 * layers, b)), rng.normal(size=(steps, b)))


# ---------------------------------------------------------------------------
# 4. Least squares.


def least_squares(x, A, b):
    return np.sum((A @ x - b) ** 2)


def least_squares_args(rng, rows=1000, cols=50):
    A = rng.normal(size=(rows, cols))
    return (rng.normal(size=cols), A, A @ rng.normal(size=cols) + 0.1 * rng.normal(size=rows))


def exp_fit(params, t, y):
    model = params[0] * np.exp(-params[1] * t) + params[2]
    return np.sum((model - y) ** 2)


def exp_fit_args(rng, points=1000):
    t = np.linspace(0.0, 5.0, points)
    y = 2.0 * np.exp(-0.7 * t) + 0.3 + 0.05 * rng.normal(size=points)
    return (np.array([1.5, 0.5, 0.1]), t, y)


# ---------------------------------------------------------------------------
# 5. RK4 integration.


def _lotka_volterra(z, p):
    prey = z[0]
    predator = z[1]
    return np.array([p[0] * prey - p[1] * prey * predator,
                     p[3] * prey * predator - p[2] * predator])


def rk4_lotka_volterra(params, z0, target, dt, steps):
    z = z0
    for _ in range(steps):
        k1 = _lotka_volterra(z, params)
        k2 = _lotka_volterra(z + 0.5 * dt * k1, params)
        k3 = _lotka_volterra(z + 0.5 * dt * k2, params)
        k4 = _lotka_volterra(z + dt * k3, params)
        z = z + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum((z - target) ** 2)


def rk4_lotka_volterra_args(rng, steps=500):
    return (np.array([1.1, 0.4, 0.4, 0.1]), np.array([10.0, 5.0]), np.array([8.0, 6.0]),
            0.01, steps)


def _oscillator(x, v, omega, zeta):
    return v, -2.0 * zeta * omega * v - omega * omega * x


def rk4_oscillator(omega, zeta, x0, v0, target_x, target_v, dt, steps):
    x = x0
    v = v0
    for _ in range(steps):
        a1, b1 = _oscillator(x, v, omega, zeta)
        a2, b2 = _oscillator(x + 0.5 * dt * a1, v + 0.5 * dt * b1, omega, zeta)
        a3, b3 = _oscillator(x + 0.5 * dt * a2, v + 0.5 * dt * b2, omega, zeta)
        a4, b4 = _oscillator(x + dt * a3, v + dt * b3, omega, zeta)
        x = x + dt / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
        v = v + dt / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4)
    return (x - target_x) ** 2 + (v - target_v) ** 2


def rk4_oscillator_args(rng, steps=1000):
    return (2.0, 0.1, 1.0, 0.0, 0.2, -0.5, 0.01, steps)


# ---------------------------------------------------------------------------
# The cases.


class Case:
    """An objective: its formulations (tried in order), arguments and wrt.

    ``always`` formulations are timed even when an earlier one was accepted
    (for the other tools' sake); ``jax_loops`` marks those whose Python loops
    JAX would unroll into a trace too long to compile within the time budget
    (a minute or more each on two cores: 73 s for the LSTM's 19 × 2 cells).
    """

    def __init__(self, name, formulations, make_args, wrt, always=(), jax_loops=()):
        self.name = name
        self.formulations = formulations
        self.make_args = make_args
        self.wrt = wrt
        self.always = always
        self.jax_loops = jax_loops if jax_loops != "all" else tuple(formulations)


CASES = [
    Case("GMM (D=10, K=5, N=1000)", [gmm_objective, gmm_objective_vectorised], gmm_args,
         (0, 1, 2), always=(gmm_objective_vectorised,)),
    Case("bundle adj. (n=10, m=200, p=1000)", [ba_objective, ba_objective_loop], ba_args,
         (0, 1, 2), always=(ba_objective_loop,), jax_loops=(ba_objective_loop,)),
    Case("LSTM (l=2, b=14, c=20)",
         [lstm_objective, lstm_objective_items, lstm_objective_array], lstm_args, (0, 1, 2),
         always=(lstm_objective_items, lstm_objective_array), jax_loops="all"),
    Case("least squares (A 1000×50)", [least_squares], least_squares_args, (0,)),
    Case("exp fit (3 params, 1000 pts)", [exp_fit], exp_fit_args, (0,)),
    Case("RK4 Lotka–Volterra (500 steps)", [rk4_lotka_volterra], rk4_lotka_volterra_args,
         (0, 1), jax_loops="all"),
    Case("RK4 oscillator, floats (1000 steps)", [rk4_oscillator], rk4_oscillator_args,
         (0, 1, 2, 3), jax_loops="all"),
]


# ---------------------------------------------------------------------------
# Checks.


def fd_error(f, gradient, args, wrt, seed, h=1e-6):
    """The worst relative error of ⟨gradient, v⟩ against central differences of f along v."""
    rng = np.random.default_rng(seed)
    grads = gradient(*args)
    grads = grads if isinstance(grads, tuple) else (grads,)
    worst = 0.0
    for _ in range(3):
        vs = {i: rng.normal(size=np.shape(args[i])) for i in wrt}
        up = [a + h * vs[i] if i in vs else a for i, a in enumerate(args)]
        down = [a - h * vs[i] if i in vs else a for i, a in enumerate(args)]
        fd = (f(*up) - f(*down)) / (2 * h)
        exact = sum(float(np.sum(np.asarray(g) * vs[i])) for g, i in zip(grads, wrt))
        worst = max(worst, abs(exact - fd) / max(abs(fd), 1e-8))
    return worst


TOLERANCE = 1e-5  # on the relative error above (central differences with h = 1e-6)


def _first_line(error):
    """An exception as one short line: its type if not an S2SDiffError, its first line."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text if len(text) <= 90 else text[:89] + "…"


def _short_location(text):
    """``/long/path/bench_adbench.py:12:3: message`` as ``bench_adbench.py:12:3: message``."""
    head, sep, rest = text.partition(": ")
    return head.rsplit("/", 1)[-1] + sep + rest if sep and ".py:" in head else text


# ---------------------------------------------------------------------------
# The tools.


def jax_gradient(f, wrt, args):
    """``jax.jit(jax.grad(f))`` with the non-differentiated Python numbers static."""
    jax = optional_import("jax")
    if jax is None:
        return None
    jax.config.update("jax_enable_x64", True)
    static = tuple(i for i, a in enumerate(args)
                   if i not in wrt and isinstance(a, (int, float)))
    jitted = jax.jit(jax.grad(rebind(f, optional_import("jax.numpy")), argnums=wrt),
                     static_argnums=static)

    def call(*call_args):
        return jax.block_until_ready(jitted(*call_args))

    return call


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jax-all", action="store_true",
                        help="also jit the formulations with long Python loops (slow to compile)")
    parser.add_argument("--only", metavar="TEXT", default="",
                        help="run only the objectives whose name contains TEXT (e.g. LSTM)")
    options = parser.parse_args()
    from s2sdiff import S2SDiffError

    headers = ["objective", "formulation", "FD rel. err", "f", "s2sdiff", "autograd", "JAX jit",
               "s2sdiff / f", "autograd / f", "JAX jit / f", "s2sdiff status"]
    rows, notes = [], []
    start = time.perf_counter()
    for case_number, case in enumerate(CASES):
        if options.only not in case.name:
            continue
        args = case.make_args(np.random.default_rng(case_number))
        accepted = False
        failed = []
        for f in case.formulations:
            if accepted and f not in case.always:
                continue
            label = f.__name__
            calls = {"f": (f, args)}
            status, error_cell = "accepted", "n/a"
            try:
                gradient = s2sdiff_gradient(f, case.wrt)
                gradient(*args)
            except S2SDiffError as error:
                status = "refused: " + _short_location(_first_line(error))
                failed.append(f"{label} refused")
                notes.append(f"{case.name} / {label}: s2sdiff refused:\n{error}")
            except Exception as error:  # noqa: BLE001 - a crash is reported, not hidden
                status = f"crashed: {type(error).__name__}: {_first_line(error)}"
                failed.append(f"{label} crashed")
                notes.append(f"{case.name} / {label}: s2sdiff crashed: "
                             f"{type(error).__name__}: {error}")
            else:
                err = fd_error(f, gradient, args, case.wrt, seed=case_number)
                error_cell = f"{err:.1e}"
                print(f"{case.name} / {label}: s2sdiff vs finite differences, "
                      f"relative error {err:.1e}", flush=True)
                if not err < TOLERANCE:
                    raise SystemExit(f"STOP: s2sdiff's gradient of {label} is wrong: relative "
                                     f"error {err:.1e} against finite differences "
                                     f"(tolerance {TOLERANCE:.0e})")
                calls["s2sdiff"] = (gradient, args)
                if failed and not accepted:
                    notes.append(f"{case.name}: s2sdiff timed on {label}, as "
                                 f"{', '.join(failed)}")
                accepted = True
            builders = [("autograd", functools.partial(autograd_gradient, f, case.wrt))]
            if f in case.jax_loops and not options.jax_all:
                notes.append(f"{case.name} / {label}: JAX jit skipped: its Python loops unroll "
                             "into one long trace, minutes to compile (--jax-all to run it)")
            else:
                builders.append(("JAX jit", functools.partial(jax_gradient, f, case.wrt, args)))
            for tool, build in builders:
                try:
                    candidate = build()
                    if candidate is None:
                        continue
                    began = time.perf_counter()
                    candidate(*args)
                    first = time.perf_counter() - began
                    err = fd_error(f, candidate, args, case.wrt, seed=case_number)
                    if not err < TOLERANCE:
                        raise AssertionError(f"relative error {err:.1e} against finite "
                                             "differences")
                    if tool == "JAX jit":
                        notes.append(f"{case.name} / {label}: JAX jit first call (trace and "
                                     f"compile) {fmt_time(first)}")
                    calls[tool] = (candidate, args)
                except Exception as error:  # noqa: BLE001 - report any failure as n/a
                    notes.append(f"{case.name} / {label}: {tool} n/a: "
                                 f"{type(error).__name__}: {_first_line(error)}")
            times = compare(calls, repeat=options.repeat)
            get = times.get
            rows.append([case.name, label, error_cell, fmt_time(get("f")),
                         fmt_time(get("s2sdiff")), fmt_time(get("autograd")),
                         fmt_time(get("JAX jit")), fmt_ratio(get("s2sdiff"), get("f")),
                         fmt_ratio(get("autograd"), get("f")), fmt_ratio(get("JAX jit"), get("f")),
                         status])
            print(f"  timed {label} ({time.perf_counter() - start:.0f} s so far)", flush=True)
    print_table("ADBench-style objectives: best time per call, gradient / NumPy objective",
                headers, rows)
    print()
    for note in notes:
        print(note)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

"""AutoARIMA's CSS starts with the compiled gradient give scipy's own numbers bit for bit.

scipy's BFGS, given no gradient, differentiates the objective by forward differences with the
absolute step sqrt(eps); ``_css_grad`` computes that in one compiled call. The iterates
(hence the starts, the candidates' scores and the chosen models) must not move by one ulp.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.optimize._numdiff import approx_derivative

from seqlab.classical import _auto_arima_css as C


def _cases(n_cases: int):
    """Random candidates of every shape css_start meets (seasonal or not, mean or drift,
    one regressor), and some it sends to scipy's own differences (p >= s with a seasonal
    AR, two regressors)."""
    rng = np.random.default_rng(42)
    for i in range(n_cases):
        n = int(rng.integers(30, 140))
        e = rng.normal(size=n + 1)
        y = np.cumsum(e[1:] + 0.4 * e[:-1]) + 10.0 + 3.0 * rng.normal(size=n) * (i % 2)
        s = int(rng.choice([1, 2, 4, 12]))
        p, d, q = int(rng.integers(0, 4)), int(rng.integers(0, 2)), int(rng.integers(0, 4))
        P, D, Q = ((int(rng.integers(0, 2)), int(rng.integers(0, 2)), int(rng.integers(0, 2)))
                   if s > 1 else (0, 0, 0))
        trend = "c" if d + D <= 1 and rng.random() < 0.5 else "n"
        k = 0 if trend == "c" else int(rng.integers(0, 3))
        yield y, (p, d, q), (P, D, Q, s), trend, rng.normal(size=(n, k))


def _python_objective(x, y, R, yd, dims):
    """css_start's interpreted objective (numpy's convolve, BLAS's matrix product)."""
    p, q, P, Q, s, d, D, ncond = (int(v) for v in dims)
    k_ar = p + q + P + Q
    phi = C._expand(x[:p], x[p + q:p + q + P], s, -1.0)
    theta = C._expand(x[p:p + q], x[p + q + P:k_ar], s, 1.0)
    w = C._diff(y - R @ x[k_ar:], d, D, s) if R.shape[1] else yd
    return float(C._css(np.ascontiguousarray(w), phi, theta, ncond))


@pytest.mark.parametrize("block", range(4))
def test_compiled_gradient_gives_scipys_starts_bitwise(block: int) -> None:
    exact_seen = 0
    for i, (y, order, so, trend, X) in enumerate(_cases(160)):
        if i % 4 != block:
            continue
        fast = C.css_start(y, order, so, trend, X, compiled=True)
        ref = C.css_start(y, order, so, trend, X, compiled=False)
        np.testing.assert_array_equal(fast[0], ref[0], err_msg=f"{order} {so} {trend}")
        assert fast[1] == ref[1]
        p, q, (P, _, Q, s) = order[0], order[2], so
        exact_seen += X.shape[1] + (trend == "c") <= 1 and (P == 0 or p < s) and (Q == 0 or q < s)
    assert exact_seen >= 20  # most cases took the compiled gradient


def test_gradient_and_objective_equal_scipys_differences() -> None:
    rng = np.random.default_rng(7)
    for p, q, P, Q, s, d, D, nreg in [(2, 1, 1, 1, 12, 1, 0, 0), (1, 2, 0, 1, 4, 0, 1, 1),
                                      (3, 0, 1, 0, 4, 1, 1, 0), (0, 0, 0, 0, 1, 1, 0, 1),
                                      (1, 1, 0, 0, 1, 0, 0, 1)]:
        n = 90
        y = np.cumsum(rng.normal(size=n)) + 5.0
        R = rng.normal(size=(n, nreg))
        yd = C._diff(y, d, D, s)
        dims = np.array([p, q, P, Q, s, d, D, p + P * s], dtype=np.int64)
        k_ar = p + q + P + Q
        python_objective = functools.partial(_python_objective, y=y, R=R, yd=yd, dims=dims)
        for scale in (0.01, 0.3, 1e9):  # 1e9: x + sqrt(eps) == x, scipy's relative step
            x = rng.normal(size=k_ar + nreg) * scale
            f0 = python_objective(x)
            assert np.array_equal(C._css_objective(x, y, R, yd, dims), f0, equal_nan=True)
            want = approx_derivative(python_objective, x, method="2-point",
                                     abs_step=C._FD_STEP, f0=f0)
            got = C._css_grad(x, y, R, yd, dims, C._FD_STEP)
            np.testing.assert_array_equal(got, want)


def test_python_differences_equal_scipys_bitwise() -> None:
    # _Differenced.jac: scipy's approx_derivative (2-point, absolute step, relative fallback)
    rng = np.random.default_rng(11)
    y = np.cumsum(rng.normal(size=80)) + 3.0
    R = rng.normal(size=(80, 1))
    dims = np.array([1, 1, 1, 1, 4, 1, 0, 5], dtype=np.int64)
    yd = C._diff(y, 1, 0, 4)
    objective = functools.partial(_python_objective, y=y, R=R, yd=yd, dims=dims)
    points = [rng.normal(size=5) * scale for scale in (1e-3, 0.2, 1e9)]
    points.append(np.array([-0.0, 0.0, 0.3, -0.0, 1.0]))  # signed zeros
    # a large regression coefficient (finite objective): x + sqrt(eps) == x there, so the
    # step is relative and (x + h) - x differs from h in its last bits
    points.append(np.array([0.1, -0.2, 0.05, 0.1, 3e8 + 0.3]))
    points.append(np.array([0.1, -0.2, 0.05, 0.1, -7.3e8 - 0.7]))

    def cubic(x: np.ndarray) -> float:  # curved at every scale: a step's sign shows
        return float(np.sum(x**3 - 2.0 * x))

    def signs(x: np.ndarray) -> float:  # tells -0.0 from 0.0: only x_i may change
        return float(np.sum(np.copysign(1.0, x)) + np.sum(x))

    for fn in (objective, cubic, signs):
        for x in points:
            diffs = C._Differenced(fn)
            f0 = diffs.fun(x)
            want = approx_derivative(fn, x, method="2-point", abs_step=C._FD_STEP, f0=f0)
            np.testing.assert_array_equal(diffs.jac(x), want)
            assert diffs.calls == 1 + x.size  # f(x) once (remembered), one per coordinate


class _ScipysOwn(C._Differenced):
    jac = None  # type: ignore[assignment]  # css_start then passes no gradient: scipy's


@pytest.mark.parametrize("block", range(2))
def test_interpreted_starts_equal_scipys_own_differences(block: int, monkeypatch) -> None:
    cases = [c for i, c in enumerate(_cases(80)) if i % 2 == block]
    got = [C.css_start(*case, compiled=False) for case in cases]
    monkeypatch.setattr(C, "_Differenced", _ScipysOwn)
    for case, (start, ok) in zip(cases, got):
        ref = C.css_start(*case, compiled=False)
        np.testing.assert_array_equal(start, ref[0], err_msg=f"{case[1]} {case[2]} {case[3]}")
        assert ok == ref[1]

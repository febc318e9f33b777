"""SARIMAX's compiled likelihood, its optimiser (the BFGS shared with ARIMA), CSS, and
high AR orders.

References: statsmodels' SARIMAX (exact likelihood), statsforecast's ARIMA (CSS, as R's
``arima``), scipy's discrete Lyapunov solver (stationary covariance).
"""

from __future__ import annotations

import importlib.util
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import statsmodels.api as sm
from numba import njit
from statsforecast.models import ARIMA as SFARIMA

from seqlab import _aot
from seqlab.classical import ARIMA, SARIMAX
from seqlab.classical import _sarimax_fit as F
from seqlab.classical._arma_cov import ar_exact_terms, harvey_stationary_cov
from seqlab.classical._sarimax_kernels import (
    KERNELS,
    _arma_filter,
    nll_kernel,
    sarimax_nll,
    sarimax_nll_ma,
)
from seqlab.classical._sarimax_system import constrain_stationary, make_spec
from seqlab.exceptions import SeqlabValueError


def _airline() -> np.ndarray:
    spec = importlib.util.find_spec("sktime")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "datasets" / "data" / "Airline" / "Airline.csv"
    return np.log(np.loadtxt(path, delimiter=",", skiprows=1, usecols=1))


def _harvey(p: int, q: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    phi = constrain_stationary(rng.normal(size=p) * 0.7) if p else np.zeros(0)
    theta = -constrain_stationary(rng.normal(size=q) * 0.7) if q else np.zeros(0)
    m = max(p, q + 1)
    tphi, rvec = np.zeros(m), np.zeros(m)
    tphi[:p] = phi
    rvec[0] = 1.0
    rvec[1:q + 1] = theta
    return tphi, rvec


@pytest.mark.parametrize(("p", "q"), [(0, 1), (1, 0), (2, 3), (5, 2), (0, 13), (13, 1), (3, 14)])
def test_stationary_cov_equals_scipy_lyapunov(p: int, q: int) -> None:
    tphi, rvec = _harvey(p, q, np.random.default_rng(p * 31 + q))
    m = tphi.shape[0]
    T = np.zeros((m, m))
    T[:, 0] = tphi
    T[np.arange(m - 1), np.arange(1, m)] = 1.0
    want = scipy.linalg.solve_discrete_lyapunov(T, np.outer(rvec, rvec))
    got = np.empty((m, m))
    assert harvey_stationary_cov(tphi, rvec, p, got)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10 * np.abs(want).max())


def test_stationary_cov_refuses_a_unit_root() -> None:
    out = np.empty((2, 2))
    assert not harvey_stationary_cov(np.array([1.0, 0.0]), np.array([1.0, 0.0]), 1, out)


@pytest.mark.parametrize("p", [1, 4, 13, 40])
def test_exact_ar_likelihood_equals_the_kalman_filter(p: int) -> None:
    rng = np.random.default_rng(p)
    tphi, rvec = _harvey(p, 0, rng)
    w = rng.normal(size=300)
    P = np.empty((p, p))
    assert harvey_stationary_cov(tphi, rvec, p, P)
    want = _arma_filter(w, tphi, rvec, P, -1)
    got = ar_exact_terms(w, tphi)
    assert got[2] and want[2] == 300
    assert got[0] == pytest.approx(want[0], rel=1e-9, abs=1e-9)
    assert got[1] == pytest.approx(want[1], rel=1e-10)


def _sm(y, X, order, seasonal, trend):
    mod = sm.tsa.SARIMAX(y, exog=X, order=order, seasonal_order=seasonal, trend=trend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mod, mod.fit(disp=0)


@pytest.mark.parametrize(("order", "seasonal", "trend", "gaps"), [
    ((3, 0, 0), (0, 0, 0, 0), "c", False),      # exact AR likelihood, no filter
    ((1, 0, 1), (0, 0, 1, 4), "n", True),       # profile filter with missing values
    ((0, 1, 1), (0, 1, 1, 12), "n", True),      # differencing + gaps: full state space
    ((1, 1, 0), (0, 0, 0, 0), "t", False),      # time trend with differencing: full path
])
def test_every_likelihood_path_matches_statsmodels(order, seasonal, trend, gaps) -> None:
    rng = np.random.default_rng(7)
    e = rng.normal(size=160)
    y = np.cumsum(e) * 0.3 + np.sin(np.arange(160) * 2 * np.pi / 12) + e
    if order[1] == 0 and seasonal[1] == 0:
        y = np.convolve(e, [1.0, 0.5, 0.2])[:160] + 2.0
    if gaps:
        y[rng.choice(np.arange(20, 160), 12, replace=False)] = np.nan
    mod, res = _sm(y, None, order, seasonal, trend)
    ours = SARIMAX(order, seasonal, trend=trend).fit(y)
    assert ours.llf_ >= res.llf - 1e-6 * abs(res.llf)
    assert mod.loglike(ours.params_) == pytest.approx(ours.llf_, rel=1e-8)
    if ours.llf_ <= res.llf + 1e-6 * abs(res.llf):  # else statsmodels stopped short
        np.testing.assert_allclose(ours.params_, res.params, atol=2e-3)


@njit(cache=False)
def _objective(x, data):  # the SARIMAX likelihood in the (x, data) form of _bfgs
    return sarimax_nll(x, data[0], data[1])


def test_the_shared_bfgs_compiled_and_interpreted_give_the_same_numbers(monkeypatch) -> None:
    """SARIMAX runs the BFGS that ARIMA compiles, interpreted: the same code objects, so the
    compiled optimiser over the same likelihood finds the same numbers, to the last bit."""
    runs = []
    real_bind = F.bind

    def spy(fn, tag, compiled):
        bfgs = real_bind(fn, tag, compiled)

        def run(x0, args, maxiter, gtol):
            out = bfgs(x0.copy(), args, maxiter, gtol)
            runs.append((x0.copy(), args, maxiter, gtol, out))
            return out

        return run

    monkeypatch.setattr(F, "bind", spy)
    # the interpreted path (a process's first fits; later ones may run compiled)
    monkeypatch.setattr(F, "use_compiled", lambda kind: False)
    SARIMAX((1, 1, 1), (0, 1, 1, 12)).fit(_airline())
    (x0, (kernel, scale, data), maxiter, gtol, interpreted), = runs
    # numba's likelihood, or the same compiled ahead of time (seqlab._aot): the same bits
    assert kernel is _aot.kernel("sarimax_nll", sarimax_nll)
    compiled = real_bind(_objective, "sarimax_test", compiled=True)(
        x0, (scale, data), maxiter, gtol)
    np.testing.assert_array_equal(compiled[0], interpreted[0])
    assert compiled[1:] == interpreted[1:]


def test_a_fit_does_not_depend_on_what_ran_before_it() -> None:
    """The optimiser's path no longer switches after some number of fits in the process."""
    y = _airline()
    first = SARIMAX((1, 1, 1), (0, 1, 1, 12)).fit(y)
    for _ in range(20):
        SARIMAX((0, 1, 1), (0, 1, 1, 12)).fit(y[:100])
    again = SARIMAX((1, 1, 1), (0, 1, 1, 12)).fit(y)
    np.testing.assert_array_equal(first.params_, again.params_)
    assert first.n_iter_ == again.n_iter_


@pytest.mark.parametrize(("order", "seasonal", "gaps"), [
    ((2, 0, 0), (1, 0, 0, 4), False),   # complete pure AR: the Durbin–Levinson kernel
    ((2, 0, 0), (1, 0, 0, 4), True),    # with gaps: the filter
    ((1, 0, 1), (0, 0, 0, 0), False),   # ARMA: the filter
    ((0, 0, 2), (0, 0, 1, 4), False),   # pure MA: the filter without the AR solve
    ((0, 0, 0), (0, 0, 0, 0), True),    # white noise with gaps: the same
])
def test_nll_kernel_picks_the_kernel_and_both_agree(order, seasonal, gaps) -> None:
    rng = np.random.default_rng(5)
    y = np.zeros(200)
    e = rng.normal(size=200)
    for t in range(5, 200):
        y[t] = 0.5 * y[t - 1] - 0.2 * y[t - 2] + 0.3 * y[t - 4] + e[t]
    if gaps:
        y[[30, 31, 90]] = np.nan
    spec = make_spec(order, seasonal, "n", 0)
    data = F.optimiser_data(spec, y, np.zeros((200, 0)))
    assert data is not None
    kind = nll_kernel(data[2])
    pure_ar = order[2] == 0 and seasonal[2] == 0 and not gaps
    pure_ma = not pure_ar and order[0] == 0 and seasonal[0] == 0
    assert kind == ("ar" if pure_ar else "ma" if pure_ma else "arma")
    kernel = KERNELS[kind]
    x = rng.normal(size=spec.k_params - 1) * 0.3
    ones = np.ones_like(x)
    assert sarimax_nll(x, ones, data) == pytest.approx(kernel(x, ones, data), rel=1e-10)


@pytest.mark.parametrize(("order", "seasonal", "gaps"), [
    ((0, 1, 1), (0, 1, 1, 12), False), ((0, 0, 3), (0, 0, 2, 4), True),
    ((0, 0, 0), (0, 0, 0, 0), True), ((0, 1, 2), (0, 0, 0, 0), False)])
def test_pure_ma_kernel_is_the_general_kernel_bit_for_bit(order, seasonal, gaps) -> None:
    """sarimax_nll_ma skips only the AR solve of the stationary covariance (p = 0): the same
    operations as sarimax_nll, hence the same bits, at random points and invertible or not."""
    y = np.cumsum(np.random.default_rng(8).normal(size=150))
    if gaps:
        y[[40, 41, 99]] = np.nan
    spec = make_spec(order, seasonal, "c" if order[1] == 0 else "n", 0)
    data = F.optimiser_data(spec, y, np.zeros((150, 0)))
    assert data is not None and nll_kernel(data[2]) == "ma"
    rng = np.random.default_rng(9)
    for _ in range(20):
        x = rng.normal(size=spec.k_params - 1) * rng.choice([0.1, 1.0, 5.0])
        scale = rng.uniform(0.5, 2.0, size=x.shape[0])
        for want_sigma2 in (0, 1):
            dims = data[2].copy()
            dims[10] = want_sigma2
            d = (data[0], data[1], dims)
            np.testing.assert_array_equal(sarimax_nll_ma(x, scale, d), sarimax_nll(x, scale, d))


def _sf(y, order, seasonal, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SFARIMA(order=order, season_length=seasonal[3], seasonal_order=seasonal[:3],
                       include_mean=False, method=method).fit(y).model_


def _simulated() -> np.ndarray:
    rng = np.random.default_rng(1)
    e = rng.normal(size=300)
    y = np.zeros(300)
    for t in range(13, 300):
        y[t] = 0.5 * y[t - 1] + 0.3 * y[t - 12] - 0.15 * y[t - 13] + e[t] + 0.4 * e[t - 1]
    return y


@pytest.mark.parametrize(("name", "order", "seasonal"), [
    ("airline", (0, 1, 1), (0, 1, 1, 12)),
    ("simulated", (1, 0, 1), (1, 0, 0, 12)),
    ("simulated", (1, 1, 1), (0, 1, 1, 12)),
])
def test_css_equals_statsforecast(name, order, seasonal) -> None:
    y = _airline() if name == "airline" else _simulated()
    ref = _sf(y, order, seasonal, "CSS")
    ours = SARIMAX(order, seasonal).fit(y, method="css")
    np.testing.assert_allclose(ours.params_[:-1], list(ref["coef"].values()), atol=1e-4)
    assert ours.llf_ == pytest.approx(ref["loglik"], rel=1e-8)
    # statsforecast (forecast::Arima) reports sum e^2 / (n - d - sD - n_coef); ours is R's
    # stats::arima sum e^2 / n_residuals, the one its log-likelihood uses
    nstar = len(ref["residuals"]) - order[1] - seasonal[1] * seasonal[3]
    n_resid = nstar - order[0] - seasonal[0] * seasonal[3]
    n_coef = len(ref["coef"])
    assert ours.sigma2_ * n_resid / (nstar - n_coef) == pytest.approx(ref["sigma2"], rel=1e-4)


def test_css_mle_reaches_the_exact_optimum() -> None:
    y = _airline()
    mle = SARIMAX((0, 1, 1), (0, 1, 1, 12)).fit(y)
    cssmle = SARIMAX((0, 1, 1), (0, 1, 1, 12)).fit(y, method="css-mle")
    assert cssmle.llf_ == pytest.approx(mle.llf_, rel=1e-8)
    np.testing.assert_allclose(cssmle.params_, mle.params_, atol=1e-4)
    # statsforecast's own CSS-ML stops at a lower likelihood on this model
    assert cssmle.llf_ >= _sf(y, (0, 1, 1), (0, 1, 1, 12), "CSS-ML")["loglik"] - 1e-9


def test_method_errors() -> None:
    y = _simulated()
    with pytest.raises(SeqlabValueError, match=r"unknown method .ml.; valid options are"):
        SARIMAX((1, 0, 0)).fit(y, method="ml")
    y[5] = np.nan
    with pytest.raises(SeqlabValueError, match="needs a complete series"):
        SARIMAX((1, 0, 0)).fit(y, method="css")
    with pytest.raises(SeqlabValueError, match="trend 'n' or 'c'"):
        SARIMAX((1, 0, 0), trend="t").fit(_simulated(), method="css")


def _ar60() -> np.ndarray:
    rng = np.random.default_rng(0)
    phi = np.zeros(60)
    phi[[0, 11, 59]] = [0.5, 0.3, -0.1]
    e = rng.normal(size=1200)
    y = np.zeros(1200)
    for t in range(60, 1200):
        y[t] = phi @ y[t - 60:t][::-1] + e[t]
    return y[200:]


@pytest.mark.parametrize("cls", [SARIMAX, ARIMA])
def test_ar60_fits_without_a_dense_system(cls) -> None:
    y = _ar60()
    cls(order=(12, 0, 0)).fit(y[:200])  # numba compiles outside the traced region
    tracemalloc.start()
    try:
        m = cls(order=(60, 0, 0)).fit(y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200e6
    if cls is SARIMAX:
        mod = sm.tsa.SARIMAX(y, order=(60, 0, 0))
        assert mod.loglike(m.params_) == pytest.approx(m.llf_, rel=1e-8)
        # a higher likelihood than statsmodels' start (Yule-Walker-type) already reaches
        assert m.llf_ >= mod.loglike(mod.start_params)


@pytest.mark.parametrize("cls", [SARIMAX, ARIMA])
def test_ar199_on_200_points_is_a_clear_error(cls) -> None:
    y = np.random.default_rng(0).normal(size=200)
    tracemalloc.start()
    try:
        with pytest.raises(SeqlabValueError, match=r"too (few|short)"):
            cls(order=(199, 0, 0)).fit(y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200e6


def test_ar_order_close_to_the_length_fits_in_bounded_memory() -> None:
    y = np.random.default_rng(0).normal(size=260)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = SARIMAX(order=(40, 0, 0)).fit(y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200e6
    assert sm.tsa.SARIMAX(y, order=(40, 0, 0)).loglike(m.params_) == pytest.approx(m.llf_,
                                                                                 rel=1e-8)

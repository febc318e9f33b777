"""AR(p): Yule–Walker, Burg and OLS against statsmodels; Brockwell & Davis and Yule values."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.regression.linear_model import burg as sm_burg
from statsmodels.regression.linear_model import yule_walker as sm_yule_walker
from statsmodels.tsa.ar_model import AutoReg
from statsmodels.tsa.arima.model import ARIMA as SMARIMA
from statsmodels.tsa.stattools import pacf as sm_pacf

from seqlab.classical import AR, ar_ols, burg, select_ar_order, yule_walker
from seqlab.data import load_sunspots
from seqlab.exceptions import NotFittedError


@pytest.fixture(scope="module")
def sunspots() -> np.ndarray:
    return load_sunspots().to_numpy()


def _ar2(n: int, phi=(0.6, -0.3), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros(n + 100)
    e = rng.normal(size=n + 100)
    for t in range(2, n + 100):
        x[t] = 3.0 + phi[0] * x[t - 1] + phi[1] * x[t - 2] + e[t]
    return x[100:]


@pytest.mark.parametrize("order", [1, 2, 4, 9])
@pytest.mark.parametrize("adjusted", [False, True])
@pytest.mark.parametrize("demean", [True, False])
def test_yule_walker_matches_statsmodels(sunspots, order, adjusted, demean):
    est = yule_walker(sunspots, order, adjusted=adjusted, demean=demean)
    rho, sigma = sm_yule_walker(
        sunspots, order, method="adjusted" if adjusted else "mle", demean=demean,
        result_object=False,
    )
    np.testing.assert_allclose(est.ar, rho, rtol=0, atol=1e-8)
    np.testing.assert_allclose(est.sigma2, sigma**2, rtol=1e-8)


def test_yule_walker_pacf_matches_statsmodels(sunspots):
    est = yule_walker(sunspots, 8)
    ref = sm_pacf(sunspots, nlags=8, method="ldb")[1:]  # Levinson–Durbin, biased acov
    np.testing.assert_allclose(est.pacf, ref, atol=1e-8)


@pytest.mark.parametrize("order", [1, 2, 4, 9])
@pytest.mark.parametrize("demean", [True, False])
def test_burg_matches_statsmodels(sunspots, order, demean):
    est = burg(sunspots, order, demean=demean)
    ar, sigma2 = sm_burg(sunspots, order, demean=demean)
    np.testing.assert_allclose(est.ar, ar, atol=1e-8)
    np.testing.assert_allclose(est.sigma2, sigma2, rtol=1e-8)


@pytest.mark.parametrize("order", [1, 3])
def test_ols_matches_autoreg(sunspots, order):
    ref = AutoReg(sunspots, order, trend="c").fit()
    model = AR(order, method="ols").fit(sunspots)
    np.testing.assert_allclose(model.intercept_, ref.params[0], rtol=1e-8)
    np.testing.assert_allclose(model.params_, ref.params[1:], atol=1e-8)
    np.testing.assert_allclose(model.sigma2_, ref.sigma2, rtol=1e-8)
    np.testing.assert_allclose(model.bse_, ref.bse[1:], rtol=1e-6)
    np.testing.assert_allclose(model.resid_, ref.resid, atol=1e-8)
    fc = model.forecast(6, alpha=0.1)
    pred = ref.get_prediction(len(sunspots), len(sunspots) + 5)
    ci = pred.conf_int(alpha=0.1)
    np.testing.assert_allclose(fc.mean, pred.predicted_mean, rtol=1e-8)
    np.testing.assert_allclose(fc.lower, ci[:, 0], rtol=1e-8)
    np.testing.assert_allclose(fc.upper, ci[:, 1], rtol=1e-8)


@pytest.mark.parametrize("method", ["yule_walker", "burg"])
def test_forecast_and_loglik_match_statespace_ar(sunspots, method):
    """Exact loglik and forecast intervals of the fitted AR equal statsmodels' ARIMA(p,0,0)
    evaluated at the same parameters (the state of a pure AR is known at time n)."""
    model = AR(3, method=method).fit(sunspots)
    params = np.r_[model.mean_, model.params_, model.sigma2_]
    ref = SMARIMA(sunspots, order=(3, 0, 0), trend="c").filter(params)
    np.testing.assert_allclose(model.loglik_, ref.llf, rtol=1e-10)
    fc = model.forecast(8)
    pred = ref.get_forecast(8)
    ci = pred.conf_int(alpha=0.05)
    np.testing.assert_allclose(fc.mean, pred.predicted_mean, rtol=1e-9)
    np.testing.assert_allclose(fc.se, pred.se_mean, rtol=1e-9)
    np.testing.assert_allclose(np.c_[fc.lower, fc.upper], ci, rtol=1e-9)


def test_brockwell_davis_sunspots_1770_1869():
    """B&D (2016) Example 5.1.1 / §5.1.1: Yule–Walker AR(2) for the sunspot numbers
    1770–1869 gives phi = (1.318, -0.634) and sigma2 = 289.2. statsmodels' copy of the data
    differs slightly from B&D's SUNSPOTS.TSM, hence the 0.5% tolerance on sigma2."""
    x = load_sunspots().loc[1770:1869].to_numpy()
    assert x.shape == (100,)
    est = yule_walker(x, 2)
    np.testing.assert_allclose(est.ar, [1.318, -0.634], atol=2e-3)
    np.testing.assert_allclose(est.sigma2, 289.2, rtol=5e-3)


def test_yule_1927_sunspot_ar2(sunspots):
    """Yule (1927) fitted x_t = 1.34254 x_{t-1} - 0.65504 x_{t-2} to the 1749–1924 yearly
    sunspots, a damped oscillation with a period of about 10.6 years. On the full 1700–2008
    series the Yule–Walker AR(2) is close and has the same ~11-year quasi-period."""
    est = yule_walker(sunspots, 2)
    np.testing.assert_allclose(est.ar, [1.34254, -0.65504], atol=0.05)
    phi1, phi2 = est.ar
    period = 2 * np.pi / np.arccos(phi1 / (2 * np.sqrt(-phi2)))
    assert 10.0 < period < 11.5
    # and the 1749–1924 span itself, Yule's data, within 0.04
    est_yule = yule_walker(load_sunspots().loc[1749:1924].to_numpy(), 2)
    np.testing.assert_allclose(est_yule.ar, [1.34254, -0.65504], atol=0.04)


def test_recovers_simulated_ar2():
    x = _ar2(20000)
    for method in ("yule_walker", "burg", "ols"):
        model = AR(2, method=method).fit(x)
        np.testing.assert_allclose(model.params_, [0.6, -0.3], atol=0.03)
        np.testing.assert_allclose(model.mean_, 3.0 / 0.7, atol=0.05)
        np.testing.assert_allclose(model.sigma2_, 1.0, atol=0.05)
        # asymptotic standard errors: sqrt((1 - phi2^2) / n) for both coefficients
        np.testing.assert_allclose(model.bse_, np.sqrt((1 - 0.09) / 20000), rtol=0.05)


def test_select_ar_order_bic_finds_true_order():
    best, table = select_ar_order(_ar2(2000, seed=3), 6, criterion="bic")
    assert best.order == 2
    assert set(table) == set(range(1, 7))


def test_predict_and_resid_consistent(sunspots):
    model = AR(2).fit(sunspots)
    pred = model.predict()
    assert np.isnan(pred[:2]).all()
    np.testing.assert_allclose(sunspots[2:] - pred[2:], model.resid_)


def test_simulate_reproducible_and_matches_forecast(sunspots):
    model = AR(2, method="burg").fit(sunspots)
    a = model.simulate(5, n_paths=3, seed=7)
    b = model.simulate(5, n_paths=3, seed=7)
    np.testing.assert_array_equal(a, b)
    paths = model.simulate(6, n_paths=20000, seed=0)
    fc = model.forecast(6)
    np.testing.assert_allclose(paths.mean(axis=1), fc.mean, atol=4 * fc.se.max() / np.sqrt(20000))
    np.testing.assert_allclose(paths.std(axis=1), fc.se, rtol=0.03)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=12, max_size=60),
    st.integers(1, 4),
)
def test_yule_walker_and_burg_always_stationary(values, order):
    x = np.asarray(values)
    if np.ptp(x) < 1e-3:
        return
    for est in (yule_walker(x, order), burg(x, order)):
        assert np.all(np.abs(est.pacf) < 1 + 1e-12)
        roots = np.roots(np.r_[-est.ar[::-1], 1.0])
        assert np.all(np.abs(roots) > 1 - 1e-8)


def test_estimator_conventions(sunspots):
    model = AR(2, method="burg")
    assert model.get_params() == {"adjusted": False, "demean": True, "method": "burg", "order": 2}
    with pytest.raises(NotFittedError):
        model.forecast(3)
    model.fit(sunspots)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.params_, model.params_)
    assert "ar.L1" in model.summary()


def test_bad_input_errors(sunspots):
    with pytest.raises(ValueError, match="NaN or infinite"):
        yule_walker(np.r_[sunspots[:10], np.nan], 2)
    with pytest.raises(ValueError, match="NaN or infinite"):
        AR(2).fit(np.r_[sunspots[:10], np.inf])
    with pytest.raises(ValueError, match="too short"):
        burg([1.0, 2.0, 3.0], 3)
    with pytest.raises(ValueError, match="too short"):
        ar_ols([1.0, 2.0, 3.0, 4.0], 2)
    with pytest.raises(TypeError, match="numeric"):
        AR(1).fit(["a", "b", "c"])
    with pytest.raises(ValueError, match="constant"):
        yule_walker(np.ones(20), 2)
    with pytest.raises(ValueError, match="constant"):
        burg(np.full(20, 3.0), 2)
    sinusoid = np.tile([1.0, 0.0, -1.0, 0.0], 5)  # x_t = -x_{t-2} exactly
    with pytest.raises(ValueError, match="singular"):
        yule_walker(sinusoid, 3, adjusted=True)
    with pytest.raises(ValueError, match="lagged design matrix is singular"):
        ar_ols(sinusoid, 3)
    with pytest.raises(ValueError, match="order must be >= 1"):
        AR(0).fit(sunspots)
    with pytest.raises(ValueError, match="unknown method"):
        AR(2, method="mle").fit(sunspots)
    with pytest.raises(ValueError, match="alpha"):
        AR(2).fit(sunspots).forecast(3, alpha=1.5)


def test_nonstationary_ols_fit_warns():
    e = np.random.default_rng(0).normal(size=200)
    x = np.zeros(200)
    for t in range(1, 200):  # explosive: x_t = 1.05 x_{t-1} + e_t
        x[t] = 1.05 * x[t - 1] + e[t]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="not stationary"):
            AR(1, method="ols").fit(x)

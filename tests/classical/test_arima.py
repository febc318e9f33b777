"""ARIMA(p, d, q) against statsmodels: exact log-likelihood, fitted coefficients, standard
errors, forecasts and intervals; CSS against an independent numpy/scipy implementation.

statsmodels' default ``ARIMA`` with ``d > 0`` puts the integrated states in the state vector
with an *approximate* diffuse prior (variance 1e6) and burns the first ``d`` likelihood
terms. seqlab uses the exact limit (the likelihood of the differenced series, statsmodels'
``ARIMA(diff(y, d), order=(p, 0, q))`` / ``simple_differencing=True``). The two agree to
1e-6 relative on series whose level and innovation variance are O(1) (the simulated
ARIMA(2,1,2) below); on the Nile (level ~1000, sigma2 ~ 2e4) the prior's error is ~3e-5, so
the real-series tests compare against the exact reference.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from statsmodels.tsa.arima.model import ARIMA as SMARIMA
from statsmodels.tsa.arima_process import arma_generate_sample

from seqlab.classical import ARIMA, arima_loglike, select_order
from seqlab.data import load_nile, load_sunspots
from seqlab.exceptions import NotFittedError

AR2 = (0.6, -0.3)
MA2 = (0.5, 0.2)


def _arma(n: int, ar=AR2, ma=MA2, seed: int = 0, sigma: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return arma_generate_sample(
        np.r_[1, -np.asarray(ar)], np.r_[1, np.asarray(ma)], n, scale=sigma,
        distrvs=rng.standard_normal, burnin=200,
    )


@pytest.fixture(scope="module")
def arima212() -> np.ndarray:
    return np.cumsum(_arma(1000, seed=1))


@pytest.fixture(scope="module")
def nile() -> np.ndarray:
    return load_nile().to_numpy()


@pytest.fixture(scope="module")
def sunspots() -> np.ndarray:
    return load_sunspots().to_numpy()


def _fit_sm(y, order, trend=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SMARIMA(y, order=order, trend=trend).fit()


# ------------------------------------------------------------------ log-likelihood
@pytest.mark.parametrize(
    ("order", "trend", "params"),
    [
        ((2, 1, 2), None, [0.5, -0.2, 0.4, 0.1, 1.3]),
        ((1, 1, 1), "t", [0.2, 0.5, 0.3, 0.9]),
        ((0, 2, 1), None, [-0.4, 1.1]),
    ],
)
def test_loglike_matches_statsmodels_default_at_same_params(arima212, order, trend, params):
    ref = SMARIMA(arima212, order=order, trend=trend).loglike(np.asarray(params))
    ours = arima_loglike(arima212, order, params, trend=trend)
    np.testing.assert_allclose(ours, ref, rtol=1e-6)


@pytest.mark.parametrize(
    ("order", "params"),
    [((2, 0, 1), [50.0, 1.2, -0.5, 0.1, 250.0]), ((0, 0, 2), [48.0, 1.0, 0.4, 600.0])],
)
def test_loglike_matches_statsmodels_stationary(sunspots, order, params):
    ref = SMARIMA(sunspots, order=order, trend="c").loglike(np.asarray(params))
    np.testing.assert_allclose(arima_loglike(sunspots, order, params, trend="c"), ref, rtol=1e-10)


def test_loglike_is_exact_differenced_likelihood(nile):
    params = np.array([0.25, -0.87, 14000.0])
    ref = SMARIMA(np.diff(nile), order=(1, 0, 1), trend="n").loglike(params)
    np.testing.assert_allclose(arima_loglike(nile, (1, 1, 1), params), ref, rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.floats(-0.9, 0.9), min_size=0, max_size=3),
    st.lists(st.floats(-0.9, 0.9), min_size=0, max_size=2),
    st.floats(0.2, 5.0),
)
def test_loglike_property_matches_statsmodels(pacf_ar, pacf_ma, sigma2):
    """Random stationary AR / invertible MA parameters, built from partial
    autocorrelations, give the same exact log-likelihood as statsmodels."""
    from seqlab.classical._ar_kernels import pacf_to_ar

    ar = pacf_to_ar(np.asarray(pacf_ar, dtype=float))
    ma = -pacf_to_ar(np.asarray(pacf_ma, dtype=float))
    y = _arma(150, seed=4)
    order = (len(ar), 0, len(ma))
    params = np.r_[0.1, ar, ma, sigma2]
    ref = SMARIMA(y, order=order, trend="c").loglike(params)
    np.testing.assert_allclose(arima_loglike(y, order, params, trend="c"), ref, rtol=1e-8)


# ---------------------------------------------------------------- fitted parameters
def test_fit_arima212_matches_statsmodels(arima212):
    ref = _fit_sm(arima212, (2, 1, 2))
    model = ARIMA((2, 1, 2)).fit(arima212)
    assert model.param_names_ == list(ref.model.param_names)
    np.testing.assert_allclose(model.params_, ref.params, atol=1e-3)
    np.testing.assert_allclose(model.loglik_, ref.llf, rtol=1e-6)
    assert model.loglik_ >= ref.llf - 1e-5  # at least as good an optimum
    np.testing.assert_allclose(model.aic_, ref.aic, rtol=1e-6)
    np.testing.assert_allclose(model.bic_, ref.bic, rtol=1e-6)
    # the default cov_type is statsmodels' ("opg"); each cov_type equals statsmodels' at
    # the same parameters
    np.testing.assert_allclose(model.bse_, ref.bse, rtol=2e-2)  # at statsmodels' optimum
    for cov_type in ("opg", "oim", "approx"):
        model.set_params(cov_type=cov_type)
        theirs = SMARIMA(arima212, order=(2, 1, 2)).filter(model.params_, cov_type=cov_type)
        np.testing.assert_allclose(model.bse_, theirs.bse, rtol=1e-3)
    # fit_many's compiled observed information is statsmodels' cov_type="approx"
    approx_bse = np.sqrt(np.diag(ref.cov_params_approx))
    batch = ARIMA((2, 1, 2), cov_type="approx").fit_many(arima212[:, None])
    np.testing.assert_allclose(batch.bse_[0], approx_bse, rtol=5e-3)


@pytest.mark.parametrize(
    ("name", "order", "diff"),
    [("sunspots", (2, 0, 1), 0), ("sunspots", (3, 0, 0), 0), ("sunspots", (0, 0, 1), 0),
     ("nile", (1, 1, 1), 1), ("nile", (0, 1, 1), 1)],
)
def test_fit_real_series_matches_statsmodels(sunspots, nile, name, order, diff):
    y = sunspots if name == "sunspots" else nile
    p, _, q = order
    # exact reference: statsmodels on the differenced series (see the module docstring)
    ref = _fit_sm(np.diff(y, diff), (p, 0, q), trend="c" if diff == 0 else "n")
    model = ARIMA(order).fit(y)
    # coefficients absolute; the mean in units of the series' sd, sigma2 relative
    scale = np.ones(len(ref.params))
    scale[-1] = ref.params[-1]
    if diff == 0:
        scale[0] = y.std()
    np.testing.assert_allclose(model.params_ / scale, ref.params / scale, atol=1e-3)
    np.testing.assert_allclose(model.loglik_, ref.llf, rtol=1e-6)
    assert model.loglik_ >= ref.llf - 1e-5


def test_recovers_simulated_arima212():
    y = np.cumsum(_arma(6000, seed=11, sigma=2.0))
    model = ARIMA((2, 1, 2)).fit(y)
    np.testing.assert_allclose(model.params_, [*AR2, *MA2, 4.0], atol=0.06, rtol=0.05)
    assert np.all(model.converged_)


# ------------------------------------------------------------------------ forecasts
@pytest.mark.parametrize(
    ("order", "trend", "which"),
    [((2, 1, 2), None, "arima212"), ((1, 1, 1), "t", "arima212"), ((1, 2, 1), None, "arima212"),
     ((2, 0, 1), "c", "sunspots"), ((0, 0, 2), "c", "sunspots")],
)
def test_forecast_matches_statsmodels_at_same_params(arima212, sunspots, order, trend, which):
    y = arima212 if which == "arima212" else sunspots
    model = ARIMA(order, trend=trend).fit(y)
    ref = SMARIMA(y, order=order, trend=trend).filter(model.params_)
    pred = ref.get_forecast(12)
    ci = pred.conf_int(alpha=0.1)
    fc = model.get_forecast(12)
    scale = np.abs(pred.predicted_mean).max() + pred.se_mean.max()
    np.testing.assert_allclose(model.forecast(12), pred.predicted_mean, atol=1e-7 * scale)
    np.testing.assert_allclose(fc.se_mean, pred.se_mean, rtol=1e-7)
    np.testing.assert_allclose(fc.conf_int(0.1), ci, atol=1e-7 * scale)
    d = order[1]
    np.testing.assert_allclose(model.resid_[d:], ref.resid[d:], atol=1e-5 * scale)
    np.testing.assert_allclose(model.predict()[d:], ref.fittedvalues[d:], atol=1e-5 * scale)


def test_forecast_of_fits_agree(arima212):
    fc = ARIMA((2, 1, 2)).fit(arima212).get_forecast(10)
    ci = _fit_sm(arima212, (2, 1, 2)).get_forecast(10).conf_int()
    np.testing.assert_allclose(fc.conf_int(), ci, atol=1e-3 * fc.se_mean.max())


def test_simulate_end_anchor_matches_forecast_distribution(arima212):
    model = ARIMA((2, 1, 2)).fit(arima212)
    paths = model.simulate(8, n_paths=20000, seed=3)
    fc = model.get_forecast(8)
    mean, se = fc.predicted_mean, fc.se_mean
    np.testing.assert_allclose(paths.mean(axis=1), mean, atol=5 * se.max() / np.sqrt(2e4))
    np.testing.assert_allclose(paths.std(axis=1), se, rtol=0.03)
    np.testing.assert_array_equal(model.simulate(5, 2, seed=1), model.simulate(5, 2, seed=1))
    fresh = model.simulate(300, seed=0, anchor="start")
    assert fresh.shape == (300, 1)


# ------------------------------------------------------------------ CSS, MA, batch
def _css_reference(w: np.ndarray, p: int, q: int) -> np.ndarray:
    """Independent CSS fit: residual recursion in numpy, Nelder–Mead from scipy."""

    def ssq(theta: np.ndarray) -> float:
        mu, phi, ma = theta[0], theta[1 : 1 + p], theta[1 + p :]
        e = np.zeros(len(w))
        for t in range(p, len(w)):
            e[t] = (w[t] - mu - phi @ (w[t - p : t][::-1] - mu)
                    - sum(ma[j] * e[t - 1 - j] for j in range(q) if t - 1 - j >= p))
        return float(e[p:] @ e[p:])

    res = minimize(ssq, np.r_[w.mean(), np.zeros(p + q)], method="Nelder-Mead",
                   options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000})
    return res.x


def test_css_matches_independent_implementation():
    w = _arma(300, ar=(0.5,), ma=(0.3,), seed=5) + 2.0
    model = ARIMA((1, 0, 1), method="css").fit(w)
    np.testing.assert_allclose(model.params_[:-1], _css_reference(w, 1, 1), atol=1e-3)


def test_ma1_matches_statsmodels():
    y = _arma(300, ar=(), ma=(0.6,), seed=8)
    ref = _fit_sm(y, (0, 0, 1))
    model = ARIMA((0, 0, 1)).fit(y)
    np.testing.assert_allclose(model.params_, ref.params, atol=1e-3)
    np.testing.assert_allclose(model.loglik_, ref.llf, rtol=1e-6)


def test_many_series_equal_single_fits():
    Y = np.column_stack([np.cumsum(_arma(150, seed=s)) for s in range(6)])
    batch = ARIMA((2, 1, 2)).fit_many(Y)
    assert batch.params_.shape == (6, 5)
    for s in range(6):
        single = ARIMA((2, 1, 2)).fit(Y[:, s])
        np.testing.assert_allclose(batch.params_[s], single.params_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(batch.loglik_[s], single.loglik_, rtol=1e-12)
    fc = batch.get_forecast(4)
    assert batch.forecast(4).shape == fc.se_mean.shape == (4, 6)
    np.testing.assert_allclose(fc.predicted_mean[:, 2],
                               ARIMA((2, 1, 2)).fit(Y[:, 2]).forecast(4), rtol=1e-7)
    assert batch.bse_.shape == (6, 5)


def test_fitted_models_stationary_and_invertible(sunspots):
    for order in [(3, 0, 2), (2, 0, 2), (1, 0, 3)]:
        model = ARIMA(order).fit(sunspots)
        assert np.all(np.abs(np.roots(np.r_[-model.arparams_[::-1], 1])) > 1)
        assert np.all(np.abs(np.roots(np.r_[model.maparams_[::-1], 1])) > 1)
        assert np.all(np.abs(model.arroots_) > 1) and np.all(np.abs(model.maroots_) > 1)


def test_select_order_bic():
    y = _arma(600, ar=(0.7,), ma=(0.4,), seed=2)
    best, table = select_order(y, max_p=2, max_q=2, criterion="bic")
    assert best.order == (1, 0, 1)
    assert len(table) == 9
    assert table[(1, 1)] == min(table.values())


def test_start_params_used(arima212):
    model = ARIMA((2, 1, 2)).fit(arima212, start_params=[0.3, 0.0, 0.2, 0.0])
    np.testing.assert_allclose(model.params_, ARIMA((2, 1, 2)).fit(arima212).params_, atol=1e-3)


# ---------------------------------------------------------- conventions and errors
def test_estimator_conventions(sunspots):
    model = ARIMA((1, 0, 1))
    assert model.get_params()["order"] == (1, 0, 1)
    with pytest.raises(NotFittedError):
        model.forecast(2)
    model.fit(sunspots)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.forecast(3), model.forecast(3))
    text = model.summary()
    assert "ar.L1" in text and "aic" in text


def test_bad_input_errors(sunspots):
    with pytest.raises(ValueError, match="infinite values; replace them by NaN"):
        ARIMA((1, 0, 0)).fit(np.r_[sunspots, -np.inf])
    with pytest.raises(ValueError, match="fit takes ONE series"):
        ARIMA((1, 0, 0)).fit(np.c_[sunspots, sunspots])
    with pytest.raises(ValueError, match="too short"):
        ARIMA((2, 1, 2)).fit(sunspots[:7])
    with pytest.raises(TypeError, match="numeric"):
        ARIMA((1, 0, 0)).fit(["x"] * 30)
    with pytest.raises(ValueError, match="d = 3 is too large"):
        ARIMA((1, 3, 0)).fit(sunspots)
    with pytest.raises(ValueError, match="not identified"):
        ARIMA((1, 1, 0), trend="c").fit(sunspots)
    with pytest.raises(ValueError, match="not identified"):
        ARIMA((1, 1, 0), seasonal_order=(0, 1, 0, 4), trend="t").fit(sunspots)
    with pytest.raises(ValueError, match="method='css' needs a complete series"):
        ARIMA((1, 0, 0), method="css").fit(np.r_[sunspots, np.nan])
    with pytest.raises(ValueError, match="not stationary"):
        ARIMA((2, 0, 0)).fit(sunspots, start_params=[50.0, 1.5, 0.2])
    with pytest.raises(ValueError, match="not invertible"):
        ARIMA((0, 0, 1)).fit(sunspots, start_params=[50.0, 2.0])
    with pytest.raises(ValueError, match="constant"):
        ARIMA((1, 1, 0)).fit(np.full(50, 3.0))
    with pytest.raises(ValueError, match="constant"):
        ARIMA((1, 0, 0)).fit(np.full(50, 3.0))
    with pytest.raises(ValueError, match="unknown method"):
        ARIMA((1, 0, 0), method="ols").fit(sunspots)
    with pytest.raises(TypeError, match="tuple"):
        ARIMA(2).fit(sunspots)
    with pytest.raises(ValueError, match="not stationary"):
        arima_loglike(sunspots, (1, 0, 0), [0.0, 1.2, 1.0])

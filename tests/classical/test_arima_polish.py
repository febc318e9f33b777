"""ARIMA against statsmodels' ``tsa.arima.model.ARIMA`` (polynomial trends, names, pandas
residuals, simulation) and statsforecast's ``ARIMA`` (CSS and CSS-ML through ARIMA).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsforecast.models import ARIMA as SFARIMA

import seqlab
from seqlab.classical import ARIMA
from seqlab.data import load_airline
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError


def _trendy(n: int = 150) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.cumsum(rng.normal(size=n)) * 0.3 + 0.01 * np.arange(n) ** 1.5


def _sm_fit(y, order, trend, exog=None, seasonal=(0, 0, 0, 0)):
    mod = sm.tsa.arima.ARIMA(y, exog=exog, order=order, seasonal_order=seasonal, trend=trend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mod, mod.fit()


@pytest.mark.parametrize(("order", "trend"), [
    ((1, 0, 0), [1, 0, 1]),      # const + t^2
    ((1, 0, 0), [0, 0, 1]),      # t^2 only
    ((2, 0, 0), "ctt"),
    ((1, 1, 0), [0, 1, 1]),      # d = 1: t and t^2
    ((1, 1, 0), [0, 0, 1]),
    ((1, 2, 0), [0, 0, 1]),      # d = 2: t^2 is the lowest allowed
    ((1, 1, 1), "t"),            # the fast kernel's drift, now named x1
])
def test_polynomial_trends_match_statsmodels(order, trend) -> None:
    y = _trendy()
    mod, res = _sm_fit(y, order, trend)
    ours = ARIMA(order, trend=trend).fit(y)
    assert ours.param_names_ == mod.param_names
    assert ours.llf_ >= res.llf - 1e-6 * abs(res.llf)
    # statsmodels' own likelihood at our parameters (it often stops short on t^2 trends)
    assert mod.loglike(ours.params_) == pytest.approx(ours.llf_, rel=1e-8)
    if ours.llf_ <= res.llf + 1e-6 * abs(res.llf):  # both converged: the same optimum, to
        # 1e-4 or, along the flat t^2 direction of d = 2, a thousandth of a standard error
        diff = np.abs(ours.params_ - np.asarray(res.params))
        bound = 1e-4 * np.abs(np.asarray(res.params)) + 1e-3 * np.asarray(res.bse)
        assert np.all(diff <= bound), (diff, bound)


@pytest.mark.parametrize(("trend", "pandas_exog"), [("ct", False), ([1, 1, 1], True),
                                                    ([0, 0, 1], True), ([0, 1], False)])
def test_trend_names_with_exog_match_statsmodels(trend, pandas_exog) -> None:
    rng = np.random.default_rng(1)
    y = _trendy(120)
    X = rng.normal(size=(120, 2))
    exog = pd.DataFrame(X, columns=["a", "b"]) if pandas_exog else X
    mod = sm.tsa.arima.ARIMA(y, exog=exog, order=(1, 0, 0), trend=trend)
    assert ARIMA((1, 0, 0), trend=trend).fit(y, exog=exog).param_names_ == mod.param_names


def test_trend_refusals_carry_statsmodels_message() -> None:
    y = _trendy(80)
    for order, trend in (((1, 1, 0), "c"), ((1, 1, 0), [1, 0, 1]), ((1, 2, 0), "t")):
        with pytest.raises(ValueError) as sm_err:
            sm.tsa.arima.ARIMA(y, order=order, trend=trend)
        with pytest.raises(SeqlabValueError) as ours:
            ARIMA(order, trend=trend).fit(y)
        assert str(sm_err.value) in str(ours.value)
        assert "Drop the terms of order <" in str(ours.value)
    with pytest.raises(SeqlabValueError, match="unknown trend 'x'; valid options are"):
        ARIMA((1, 0, 0), trend="x").fit(y)
    for bad in (3, True, [[1, 0]], ["c"], [1j]):
        with pytest.raises(SeqlabTypeError, match="trend must be one of 'n', 'c', 't', 'ct'"):
            ARIMA((1, 0, 0), trend=bad).fit(y)


def _sf(y, order, seasonal, method, mean, X=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SFARIMA(order=order, season_length=seasonal[3], seasonal_order=seasonal[:3],
                       include_mean=mean, method=method).fit(y, X).model_


def test_css_through_arima_equals_statsforecast_on_the_airline_model() -> None:
    y = np.log(load_airline().to_numpy())
    ref = _sf(y, (0, 1, 1), (0, 1, 1, 12), "CSS", False)
    ours = ARIMA((0, 1, 1), (0, 1, 1, 12), method="css").fit(y)
    np.testing.assert_allclose(ours.params_[:-1], list(ref["coef"].values()), atol=1e-5)
    assert ours.llf_ == pytest.approx(ref["loglik"], rel=1e-8)


@pytest.mark.parametrize(("method", "sf_method"), [("css", "CSS"), ("css-mle", "CSS-ML")])
def test_css_with_mean_and_exog_equals_statsforecast(method, sf_method) -> None:
    rng = np.random.default_rng(1)
    e = rng.normal(size=300)
    y = np.zeros(300)
    for t in range(13, 300):
        y[t] = 0.5 * y[t - 1] + 0.3 * y[t - 12] - 0.15 * y[t - 13] + e[t] + 0.4 * e[t - 1]
    X = np.random.default_rng(3).normal(size=(300, 1))
    y = y + 5.0 + 0.7 * X[:, 0]
    ref = _sf(y, (1, 0, 1), (1, 0, 0, 12), sf_method, True, X)
    ours = ARIMA((1, 0, 1), (1, 0, 0, 12), trend="c", method=method).fit(y, exog=X)
    assert ours.param_names_ == ["const", "x1", "ar.L1", "ma.L1", "ar.S.L12", "sigma2"]
    coef = ref["coef"]
    want = [coef["intercept"], coef["ex_1"], coef["ar1"], coef["ma1"], coef["sar1"]]
    np.testing.assert_allclose(ours.params_[:-1], want, atol=1e-5)
    assert ours.llf_ == pytest.approx(ref["loglik"], rel=1e-8)


def test_css_refusals_on_the_state_space() -> None:
    y = _trendy(120)
    with pytest.raises(SeqlabValueError, match="supports trend 'n' or 'c' only; got trend='t'"):
        ARIMA((1, 0, 0), (0, 1, 1, 4), trend="t", method="css").fit(y)
    gappy = y.copy()
    gappy[10] = np.nan
    for method in ("css", "css-mle"):
        with pytest.raises(SeqlabValueError, match="method='css' needs a complete series"):
            ARIMA((1, 1, 0), (0, 1, 1, 4), method=method).fit(gappy)
    with pytest.raises(SeqlabValueError, match="fit_many runs the fast kernel"):
        ARIMA((1, 1, 0), method="css-mle").fit_many(np.c_[y, y])


@pytest.mark.parametrize(("order", "seasonal"), [((0, 1, 1), (0, 1, 1, 12)),   # state space
                                                 ((2, 1, 0), (0, 0, 0, 0))])   # fast kernel
def test_pandas_resid_and_fittedvalues_equal_statsmodels(order, seasonal) -> None:
    y = np.log(load_airline())
    ours = ARIMA(order, seasonal).fit(y)
    res = sm.tsa.arima.ARIMA(y, order=order, seasonal_order=seasonal).filter(ours.params_)
    burn = order[1] + seasonal[1] * seasonal[3]  # seqlab: NaN against the diffuse prior
    for got, want in ((ours.resid_, res.resid), (ours.fittedvalues_, res.fittedvalues)):
        assert isinstance(got, pd.Series) and got.index.equals(want.index)
        assert got.iloc[:burn].isna().all()
        np.testing.assert_allclose(got.iloc[burn:], want.iloc[burn:], rtol=1e-6, atol=1e-8)
    assert isinstance(ARIMA(order, seasonal).fit(y.to_numpy()).resid_, np.ndarray)


def test_pandas_resid_survives_save_and_load(tmp_path) -> None:
    y = np.log(load_airline())
    model = ARIMA((0, 1, 1), (0, 1, 1, 12)).fit(y)
    seqlab.save(model, tmp_path / "m.seqlab")
    back = seqlab.load(tmp_path / "m.seqlab")
    pd.testing.assert_series_equal(back.resid_, model.resid_)


@pytest.mark.parametrize(("order", "seasonal", "trend"), [
    ((0, 1, 1), (0, 1, 1, 12), "n"),          # the airline model, state space
    ((1, 0, 0), (1, 0, 0, 12), [1, 0, 1]),    # polynomial trend, state space
    ((1, 1, 1), (0, 0, 0, 0), "t"),           # fast-kernel fit, simulated on the state space
])
def test_simulate_end_paths_have_the_forecast_distribution(order, seasonal, trend) -> None:
    y = np.log(load_airline().to_numpy())
    model = ARIMA(order, seasonal, trend=trend).fit(y)
    fc = model.get_forecast(6)
    paths = model.simulate(6, n_paths=20000, seed=3)
    assert paths.shape == (6, 20000)
    se = np.asarray(fc.se_mean)
    mean = np.asarray(fc.predicted_mean)
    assert np.all(np.abs(paths.mean(axis=1) - mean) < 5 * se / np.sqrt(20000))
    np.testing.assert_allclose(paths.std(axis=1), se, rtol=0.03)
    np.testing.assert_array_equal(model.simulate(4, 2, seed=1), model.simulate(4, 2, seed=1))
    fresh = model.simulate(50, 3, seed=0, anchor="start")
    assert fresh.shape == (50, 3) and np.all(np.isfinite(fresh))


def test_simulate_with_exog_needs_future_regressors() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 1))
    y = 2.0 * X[:, 0] + np.cumsum(rng.normal(size=100)) * 0.1
    model = ARIMA((1, 0, 0), trend="c").fit(y, exog=X)
    with pytest.raises(ValueError, match="exog"):
        model.simulate(3, 2, seed=0)
    paths = model.simulate(3, 20000, seed=0, exog=np.ones((3, 1)))
    mean = np.asarray(model.get_forecast(3, exog=np.ones((3, 1))).predicted_mean)
    np.testing.assert_allclose(paths.mean(axis=1), mean, atol=0.05)


def test_simulate_agrees_with_statsmodels_simulate() -> None:
    """Monte Carlo moments of statsmodels' ``simulate(anchor="end", repetitions)`` and ours
    (SARIMAX's trend enters the state intercept: covered too)."""
    from seqlab.classical import SARIMAX

    y = np.log(load_airline().to_numpy())
    ours = SARIMAX((1, 0, 0), (0, 1, 1, 12), trend="c").fit(y)
    mod = sm.tsa.SARIMAX(y, order=(1, 0, 0), seasonal_order=(0, 1, 1, 12), trend="c")
    res = mod.filter(ours.params_)
    n = 20000
    theirs = np.asarray(res.simulate(5, anchor="end", repetitions=n,
                                     rng=np.random.default_rng(5))).reshape(5, n)
    mine = ours.simulate(5, n_paths=n, seed=5)
    se = np.asarray(res.get_forecast(5).se_mean)
    assert np.all(np.abs(mine.mean(axis=1) - theirs.mean(axis=1)) < 5 * se * np.sqrt(2 / n))
    np.testing.assert_allclose(mine.std(axis=1), theirs.std(axis=1), rtol=0.04)

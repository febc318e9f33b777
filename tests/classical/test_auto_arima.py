"""AutoARIMA against statsforecast's AutoARIMA (same orders) and its contract."""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsforecast.arima import auto_arima_f, myarima

import seqlab
from seqlab.classical import SARIMAX, AutoARIMA
from seqlab.exceptions import NotFittedError, SeqlabTypeError, SeqlabValueError


def _airline() -> pd.Series:
    spec = importlib.util.find_spec("sktime")
    if spec is None or spec.origin is None:
        pytest.skip("the airline data ship with sktime, which is not installed")
    path = Path(spec.origin).parent / "datasets" / "data" / "Airline" / "Airline.csv"
    df = pd.read_csv(path)
    idx = pd.date_range("1949-01-01", periods=len(df), freq="MS")
    return pd.Series(np.log(df["Passengers"].to_numpy(float)), index=idx, name="log_pass")


def _simulate(seed: int, n: int, m: int) -> np.ndarray:
    """A SARIMA series with random orders (0..2 each, seasonal 0..1), d/D in {0, 1}."""
    rng = np.random.default_rng(seed)
    p, q = rng.integers(0, 3, size=2)
    ar = rng.uniform(-0.5, 0.5, size=p) / max(p, 1)
    ma = rng.uniform(-0.6, 0.6, size=q)
    e = rng.normal(size=n + 50)
    x = np.zeros(n + 50)
    for t in range(n + 50):
        x[t] = e[t] + sum(ar[i] * x[t - 1 - i] for i in range(p) if t > i) + sum(
            ma[j] * e[t - 1 - j] for j in range(q) if t > j)
    x = x[50:]
    if m > 1:
        x = x + rng.uniform(0.5, 3.0) * np.sin(2 * np.pi * np.arange(n) / m + rng.uniform(0, 6))
        if rng.random() < 0.5:
            s = np.zeros(n)
            for t in range(n):
                s[t] = x[t] + (s[t - m] if t >= m else 0.0)
            x = s / np.sqrt(max(n // m, 1))
    if rng.random() < 0.5:
        x = np.cumsum(x) + rng.uniform(-0.3, 0.3) * np.arange(n)
    return x + 10.0


def _sf(y: np.ndarray, m: int) -> tuple[tuple[int, int, int], tuple[int, int, int], bool]:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fit = auto_arima_f(y.astype(float), period=m, approximation=False)  # AutoARIMA default
    a = fit["arma"]
    return (a[0], a[5], a[1]), (a[2], a[6], a[3]), any(k in fit["coef"] for k in
                                                         ("intercept", "drift"))


def _ours(y: np.ndarray, m: int) -> tuple[tuple[int, int, int], tuple[int, int, int], bool]:
    fit = AutoARIMA(season_length=m).fit(y)
    so = fit.seasonal_order_
    return fit.order_, (so[0], so[1], so[2]), fit.trend_ == "c"


def test_airline_is_the_airline_model() -> None:
    y = _airline()
    m = AutoARIMA(season_length=12).fit(y)
    assert (m.order_, m.seasonal_order_, m.trend_) == ((0, 1, 1), (0, 1, 1, 12), "n")
    assert _sf(y.to_numpy(), 12) == ((0, 1, 1), (0, 1, 1), False)
    # the chosen model is the best visited one, and the SARIMAX fitted on its own
    ics = [c["ic"] for c in m.candidates_]
    assert m.ic_ == min(ics)
    best = m.candidates_[int(np.argmin(ics))]
    assert (best["order"], best["seasonal_order"], best["trend"]) == (
        m.order_, m.seasonal_order_, m.trend_)
    ref = SARIMAX(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(y)
    assert m.model_.llf_ == pytest.approx(ref.llf_, abs=1e-6)  # exact ML, other start
    frame = m.get_forecast(12).summary_frame(alpha=0.2)
    pd.testing.assert_frame_equal(frame, ref.get_forecast(12).summary_frame(alpha=0.2),
                                  rtol=1e-4)
    assert frame.index[0] == pd.Timestamp("1961-01-01")
    # the score is statsforecast's: aicc of the exact likelihood at the CSS estimates
    # (k = 3: ma, sma, sigma2; n* = 144 - 1 - 12); the likelihoods differ by R's
    # kappa = 1e6 diffuse approximation (3e-3 here)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        sf = myarima(y.to_numpy(), (0, 1, 1), {"order": (0, 1, 1), "period": 12},
                     constant=False, ic="aicc")
    assert m.ic_ == pytest.approx(sf["aicc"], abs=0.01)


def test_nile_agrees_with_statsforecast() -> None:
    y = sm.datasets.nile.load_pandas().data["volume"].to_numpy(float)
    assert _ours(y, 1) == _sf(y, 1)


@pytest.mark.parametrize(("seed", "n", "m"), [(1, 80, 1), (2, 100, 1), (3, 72, 4),
                                              (4, 96, 12), (5, 60, 1)])
def test_simulated_agree_with_statsforecast(seed: int, n: int, m: int) -> None:
    y = _simulate(seed, n, m)
    assert _ours(y, m) == _sf(y, m)


def test_ic_is_min_over_candidates_and_search_is_valid() -> None:
    y = _simulate(7, 90, 4)
    for ic in ("aic", "bic"):
        m = AutoARIMA(season_length=4, ic=ic, max_p=2, max_q=2).fit(y)
        ics = np.array([c["ic"] for c in m.candidates_])
        assert m.ic_ == ics.min()
        keys = [(c["order"], c["seasonal_order"], c["trend"]) for c in m.candidates_]
        assert len(set(keys)) == len(keys)  # never fitted twice
        assert all(c["order"][0] <= 2 and c["order"][2] <= 2 for c in m.candidates_)
        assert m.candidates_[0]["order"] == (2, m.d_, 2)
        assert all(math.isinf(v) or np.isfinite(v) for v in ics)


def test_fixed_d_stationary_and_grid() -> None:
    y = _simulate(8, 70, 1)
    m = AutoARIMA(d=1, max_p=2, max_q=2).fit(y)
    assert m.order_[1] == 1 and all(c["order"][1] == 1 for c in m.candidates_)
    m = AutoARIMA(stationary=True, max_p=1, max_q=1).fit(y)
    assert m.order_[1] == 0
    g = AutoARIMA(d=0, stepwise=False, max_p=1, max_q=1, max_order=2).fit(y)
    assert len(g.candidates_) == 2 * 4  # (p, q) in {0, 1}^2, with and without the mean
    assert g.ic_ == min(c["ic"] for c in g.candidates_)


def test_exog_and_forecast_need_future_exog() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 1))
    y = 2.0 * x[:, 0] + np.cumsum(rng.normal(size=80)) * 0.3 + 5
    m = AutoARIMA(max_p=1, max_q=1).fit(y, exog=x)
    assert m.model_.k_exog_ == 1
    assert m.forecast(3, exog=rng.normal(size=(3, 1))).shape == (3,)
    with pytest.raises(SeqlabValueError, match="exogenous"):
        m.forecast(3)


def test_save_load_round_trip(tmp_path: Path) -> None:
    y = _simulate(9, 60, 1)
    m = AutoARIMA(max_p=2, max_q=2).fit(y)
    path = tmp_path / "auto.seqlab"
    seqlab.save(m, path)
    back = seqlab.load(path)
    assert isinstance(back, AutoARIMA)
    assert back.order_ == m.order_ and back.candidates_ == m.candidates_
    np.testing.assert_array_equal(back.forecast(5), m.forecast(5))


def test_bad_input() -> None:
    y = _simulate(1, 50, 1)
    with pytest.raises(SeqlabValueError, match="y is constant"):
        AutoARIMA().fit(np.ones(30))
    with pytest.raises(SeqlabValueError, match="ic"):
        AutoARIMA(ic="hqic").fit(y)
    with pytest.raises(SeqlabValueError, match="seasonal_test='ocsb' is not supported"):
        AutoARIMA(seasonal_test="ocsb").fit(y)
    with pytest.raises(SeqlabValueError, match="method='CSS' is not supported"):
        AutoARIMA(method="CSS").fit(y)
    with pytest.raises(SeqlabValueError, match="max_p"):
        AutoARIMA(max_p=-1).fit(y)
    with pytest.raises(SeqlabTypeError, match="stepwise must be True or False"):
        AutoARIMA(stepwise="yes").fit(y)
    with pytest.raises(SeqlabValueError, match="1-D"):
        AutoARIMA().fit(np.ones((30, 2)))
    with pytest.raises(SeqlabValueError, match="deterministic"):
        AutoARIMA(d=1).fit(np.arange(30.0))
    with pytest.raises(NotFittedError):
        AutoARIMA().forecast(2)


CANDIDATES = [((0, 1, 1), (0, 1, 1), False), ((2, 0, 2), (0, 1, 1), True),
              ((1, 0, 1), (1, 1, 0), True), ((1, 1, 1), (0, 0, 0), True),
              ((2, 0, 1), (0, 0, 0), True), ((0, 1, 2), (1, 1, 1), False)]


@pytest.mark.parametrize("case", range(len(CANDIDATES)))
def test_css_estimates_and_scores_equal_statsforecast(case: int) -> None:
    from statsforecast.arima import arima

    from seqlab.classical._auto_arima_css import css_start
    from seqlab.classical._auto_arima_fit import score_candidate

    y = _airline().to_numpy()
    order, so, const = CANDIDATES[case]
    diffs = order[1] + so[1]
    trend = "c" if const and diffs <= 1 else "n"
    xreg = np.arange(1, y.shape[0] + 1.0)[:, None] if const and diffs == 1 else None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        css = arima(y, order, {"order": so, "period": 12}, xreg=xreg, include_mean=const,
                    method="CSS")
        ref = myarima(y, order, {"order": so, "period": 12}, constant=const, ic="aicc")
    start, ok = css_start(y, order, (*so, 12), trend, np.zeros((y.shape[0], 0)))
    arma = [v for k, v in css["coef"].items() if k.startswith(("ar", "ma", "sar", "sma"))]
    k0 = int(trend == "c")
    np.testing.assert_allclose(start[k0:-1], arma, atol=1e-5)
    value = score_candidate(y, None, order, (*so, 12), trend, "aicc", y.shape[0] - order[1]
                            - 12 * so[1], full_ml=False)[0]
    # same model, same estimates: the criteria differ only by R's kappa = 1e6 diffuse prior
    assert ok and value == pytest.approx(ref["ic"], abs=0.02)


def test_method_ml_scores_the_exact_mle() -> None:
    y = _simulate(11, 96, 12)
    m = AutoARIMA(season_length=12, method="ML", max_p=1, max_q=1, max_P=1, max_Q=1).fit(y)
    k, nstar = len(m.model_.params_), 96 - m.d_ - 12 * m.D_
    aicc = -2 * m.model_.llf_ + 2 * k + 2 * k * (k + 1) / (nstar - k - 1)
    assert m.ic_ == pytest.approx(aicc, rel=1e-10)
    assert m.ic_ == min(c["ic"] for c in m.candidates_)


def test_gaps_are_fitted_through() -> None:
    y = _simulate(12, 90, 1)
    y[[20, 50, 51]] = np.nan
    m = AutoARIMA(max_p=2, max_q=2).fit(y)
    assert np.isfinite(m.ic_) and np.all(np.isfinite(m.forecast(4)))


@pytest.mark.parametrize("kind", ["trend", "noise", "walk+trend"])
def test_exog_orders_agree_with_statsforecast(kind: str) -> None:
    rng = np.random.default_rng(5)
    n = 100
    t = np.arange(n, dtype=float)
    X = {"trend": np.c_[t], "noise": np.c_[rng.normal(size=n)],
         "walk+trend": np.c_[np.cumsum(rng.normal(size=n)), t]}[kind]
    y = 0.5 * X[:, 0] + np.cumsum(rng.normal(size=n)) + 3
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fit = auto_arima_f(y.copy(), xreg=X.copy(), approximation=False)
    a = fit["arma"]
    m = AutoARIMA().fit(y, exog=X)
    assert m.order_ == (a[0], a[5], a[1])
    assert (m.trend_ == "c") == ("intercept" in fit["coef"] or "drift" in fit["coef"])

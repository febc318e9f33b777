"""SARIMAX against statsmodels' SARIMAX on real data (airline passengers, macrodata)."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import seqlab
from seqlab.classical import SARIMAX
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError


def _airline() -> pd.Series:
    spec = importlib.util.find_spec("sktime")  # locates the package without importing it
    if spec is None or spec.origin is None:
        pytest.skip("the airline data ship with sktime, which is not installed")
    path = Path(spec.origin).parent / "datasets" / "data" / "Airline" / "Airline.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    df = pd.read_csv(path)
    idx = pd.date_range("1949-01-01", periods=len(df), freq="MS")
    return pd.Series(np.log(df["Passengers"].to_numpy(float)), index=idx, name="log_pass")


def _macro() -> tuple[np.ndarray, np.ndarray]:
    data = sm.datasets.macrodata.load_pandas().data
    y = data["infl"].to_numpy(float)
    X = np.column_stack([data["unemp"].to_numpy(float), data["realint"].to_numpy(float)])
    return y, X


def _sm_fit(y, X, order, seasonal, trend):
    mod = sm.tsa.SARIMAX(y, exog=X, order=order, seasonal_order=seasonal, trend=trend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mod.fit(disp=0)  # statsmodels' defaults, what its users get
    return mod, res


def _check_against(mod, res, ours, params_atol):
    """Tolerances met: llf 1e-6 relative (ours may be higher), statsmodels' own loglike at
    our params equal to ours to 1e-7 relative, params within ``params_atol``."""
    assert ours.llf_ >= res.llf - 1e-6 * abs(res.llf)
    assert ours.llf_ == pytest.approx(res.llf, rel=1e-6)
    assert mod.loglike(ours.params_) == pytest.approx(ours.llf_, rel=1e-7)
    np.testing.assert_allclose(ours.params_, res.params, rtol=0, atol=params_atol)
    assert ours.param_names_ == list(res.model.param_names)
    # aic/bic as statsmodels defines them (nobs less the burnt diffuse periods), at its llf
    assert ours.aic_ - res.aic == pytest.approx(-2 * (ours.llf_ - res.llf), abs=1e-8)
    assert ours.bic_ - res.bic == pytest.approx(-2 * (ours.llf_ - res.llf), abs=1e-8)


def test_airline_model_matches_statsmodels() -> None:
    y = _airline()
    order, seasonal = (0, 1, 1), (0, 1, 1, 12)
    mod, res = _sm_fit(y.to_numpy(), None, order, seasonal, "n")
    ours = SARIMAX(order, seasonal).fit(y)
    _check_against(mod, res, ours, params_atol=1e-3)
    assert ours.sigma2 == ours.params_[-1]


def test_airline_forecast_frame_and_dates_equal_statsmodels() -> None:
    y = _airline()
    ours = SARIMAX((2, 1, 0), (1, 1, 0, 12), trend="c").fit(y)
    mod = sm.tsa.SARIMAX(y, order=(2, 1, 0), seasonal_order=(1, 1, 0, 12), trend="c")
    ref = mod.smooth(ours.params_)  # statsmodels at our parameters
    for alpha in (0.05, 0.2):
        got = ours.get_forecast(24).summary_frame(alpha=alpha)
        want = ref.get_forecast(24).summary_frame(alpha=alpha)
        pd.testing.assert_index_equal(got.index, want.index)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-7, atol=1e-9)
    assert ours.forecast(3).index[0] == pd.Timestamp("1961-01-01")
    pd.testing.assert_index_equal(ours.predict().index, y.index)
    np.testing.assert_allclose(ours.predict().to_numpy(), ref.fittedvalues.to_numpy(),
                               rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("index", [
    pd.period_range("2000Q1", periods=50, freq="Q"), pd.RangeIndex(10, 60),
    pd.date_range("2000-01-31", periods=50, freq="ME"),
    pd.DatetimeIndex(pd.date_range("2000-01-02", periods=50, freq="W-SUN").to_numpy()),
])
def test_forecast_index_equals_statsmodels(index) -> None:
    y = pd.Series(np.cumsum(np.random.default_rng(0).normal(size=50)), index=index)
    ours = SARIMAX((1, 1, 0)).fit(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.tsa.SARIMAX(y, order=(1, 1, 0)).smooth(ours.params_)
    want, got = ref.get_forecast(4).summary_frame(), ours.get_forecast(4).summary_frame()
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9)
    assert list(ours.predict().index) == list(y.index)


def test_irregular_dates_warn_and_forecast_by_position() -> None:
    idx = pd.date_range("2000-01-01", periods=51, freq="D")[np.r_[0:25, 26:51]]
    y = pd.Series(np.cumsum(np.random.default_rng(0).normal(size=50)), index=idx)
    with pytest.warns(UserWarning, match="no frequency"):
        m = SARIMAX((1, 1, 0)).fit(y)
    assert list(m.forecast(2).index) == [50, 51]


def test_one_column_dataframe_is_one_series() -> None:
    y, _ = _macro()
    a = SARIMAX((1, 0, 0)).fit(pd.DataFrame({"infl": y}))
    b = SARIMAX((1, 0, 0)).fit(y)
    np.testing.assert_array_equal(a.params_, b.params_)


@pytest.mark.parametrize("gaps", [False, True])
def test_macrodata_with_trend_exog_and_missing_values(gaps: bool) -> None:
    y, X = _macro()
    if gaps:
        y = y.copy()
        y[np.random.default_rng(0).choice(y.shape[0], y.shape[0] // 10, replace=False)] = np.nan
    order, seasonal = (1, 0, 1), (1, 0, 0, 4)
    mod, res = _sm_fit(y, X, order, seasonal, "c")
    ours = SARIMAX(order, seasonal, trend="c").fit(y, exog=X)
    _check_against(mod, res, ours, params_atol=2e-3)
    Xf = X[-6:] + 0.5
    want = res.get_forecast(6, exog=Xf).summary_frame()
    got = SARIMAX(order, seasonal, trend="c")
    got.__dict__.update(ours.__dict__)
    got.params_ = np.asarray(res.params)  # statsmodels' optimum: forecasts must agree
    np.testing.assert_allclose(got.get_forecast(6, exog=Xf).summary_frame().to_numpy(),
                               want.to_numpy(), rtol=1e-7, atol=1e-9)


def test_trend_t_with_d0_and_ct_with_d1() -> None:
    y, _ = _macro()
    for order, trend in (((1, 0, 0), "t"), ((1, 1, 1), "ct")):
        mod, res = _sm_fit(y[:120], None, order, (0, 0, 0, 0), trend)
        ours = SARIMAX(order, trend=trend).fit(y[:120])
        _check_against(mod, res, ours, params_atol=5e-3)


def test_future_exog_errors_and_bad_input() -> None:
    y, X = _macro()
    m = SARIMAX((1, 0, 0)).fit(y[:80], exog=X[:80])
    with pytest.raises(SeqlabValueError, match="exogenous regressor"):
        m.forecast(3)
    with pytest.raises(SeqlabValueError, match=r"shape \(3, 1\); expected \(3, 2\)"):
        m.forecast(3, exog=X[:3, :1])
    with pytest.raises(SeqlabValueError, match="expected"):
        SARIMAX((1, 0, 0)).fit(y[:80], exog=X[:79])
    with pytest.raises(SeqlabValueError, match="1-D"):
        SARIMAX().fit(np.column_stack([y, y]))
    with pytest.raises(SeqlabTypeError):
        SARIMAX().fit(y + 1j)
    with pytest.raises(SeqlabValueError, match="all NaN"):
        SARIMAX().fit(np.full(20, np.nan))
    with pytest.raises(SeqlabValueError, match="infinite"):
        SARIMAX().fit(np.r_[y[:20], np.inf])
    with pytest.raises(SeqlabValueError, match="too few observations"):
        SARIMAX((2, 1, 2), (1, 1, 1, 12)).fit(y[:16])
    with pytest.raises(SeqlabValueError, match="period"):
        SARIMAX((1, 0, 0), (1, 0, 0, 1)).fit(y)
    with pytest.raises(SeqlabValueError, match="both the seasonal"):
        SARIMAX((4, 0, 0), (1, 0, 0, 4)).fit(y)
    with pytest.raises(SeqlabTypeError, match="tuple of 3"):
        SARIMAX((1, 0)).fit(y)
    with pytest.raises(SeqlabValueError, match=">= 0"):
        SARIMAX((-1, 0, 0)).fit(y)
    with pytest.raises(SeqlabValueError):
        SARIMAX(trend="x").fit(y)


def test_save_load_round_trip(tmp_path: Path) -> None:
    y = _airline()
    m = SARIMAX((1, 1, 0), (0, 1, 1, 12)).fit(y)
    path = tmp_path / "sarimax.seqlab"
    seqlab.save(m, path)
    back = seqlab.load(path)
    assert isinstance(back, SARIMAX)
    pd.testing.assert_frame_equal(back.get_forecast(5).summary_frame(),
                                  m.get_forecast(5).summary_frame())
    assert back.llf == m.llf


def test_non_finite_llf_at_final_params_raises_divergence_error() -> None:
    import warnings as _w

    from seqlab.exceptions import DivergenceError

    y = np.r_[np.ones(49), 1e300]  # squared innovation overflows: llf is not finite
    with _w.catch_warnings():
        _w.simplefilter("ignore")
        with pytest.raises(DivergenceError, match="not finite"):
            SARIMAX(order=(1, 0, 0)).fit(y)


def test_degenerate_fit_exog_equal_to_y_warns() -> None:
    rng = np.random.default_rng(0)
    y = rng.standard_normal(80)
    with pytest.warns(RuntimeWarning, match="near-perfect fit"):
        SARIMAX(order=(1, 0, 0)).fit(y, exog=y.copy())


def test_a_strong_trend_with_honest_noise_is_not_called_degenerate() -> None:
    """var(y) of a steep trend dwarfs the innovation variance (ratio ~1e-9 here); the check
    compares with the variance after the model's differencing, so no warning is given."""
    import warnings

    rng = np.random.default_rng(1)
    t = np.arange(300.0)
    y = 1000.0 + 50.0 * t + np.cumsum(rng.normal(0.0, 1.0, 300))
    assert 1.0 / np.var(y) < 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        m = SARIMAX(order=(0, 1, 0), trend="c").fit(y)
    assert 0.5 < m.sigma2_ < 2.0

"""The one ARIMA class against statsmodels' ``tsa.arima.model.ARIMA``: seasonal orders, exog,
missing values, both engines, standard errors by cov_type, predict/get_prediction (dynamic,
dates), append/apply, intervals at several levels, one series vs ``fit_many``, save/load."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tsa.arima.model import ARIMA as SMARIMA

import seqlab
from seqlab.classical import ARIMA, SARIMAX
from seqlab.exceptions import SeqlabValueError


def _airline() -> pd.Series:
    """Log airline passengers, monthly 1949-1960 (the copy sktime ships)."""
    import importlib.util

    spec = importlib.util.find_spec("sktime")  # locates the package without importing it
    assert spec is not None and spec.origin is not None, "sktime (a dev dependency) is missing"
    path = Path(spec.origin).parent / "datasets" / "data" / "Airline" / "Airline.csv"
    df = pd.read_csv(path)
    idx = pd.date_range("1949-01-01", periods=len(df), freq="MS")
    return pd.Series(np.log(df["Passengers"].to_numpy(float)), index=idx, name="log_pass")


AIRLINE = {"order": (0, 1, 1), "seasonal_order": (0, 1, 1, 12)}


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.fixture(scope="module")
def airline():
    y = _airline()
    return y, ARIMA(**AIRLINE).fit(y), SMARIMA(y, **AIRLINE)


@pytest.fixture(scope="module")
def macro():
    data = sm.datasets.macrodata.load_pandas().data
    idx = pd.period_range("1959Q1", periods=len(data), freq="Q")
    y = pd.Series(data["infl"].to_numpy(float), index=idx, name="infl")
    X = pd.DataFrame({"unemp": data["unemp"].to_numpy(float),
                      "realint": data["realint"].to_numpy(float)}, index=idx)
    return y, X


def _arma11(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + 1)
    w = np.zeros(n + 1)
    for t in range(1, n + 1):
        w[t] = 0.5 * w[t - 1] + e[t] + 0.3 * e[t - 1]
    return w[1:]


# ------------------------------------------------------------------ engines and paths
@pytest.mark.parametrize(("order", "trend", "integrate"),
                         [((1, 0, 1), "c", False), ((1, 1, 1), "t", True),
                          ((2, 1, 0), "n", True), ((0, 0, 2), "n", False)])
def test_fast_and_state_space_paths_agree(order, trend, integrate):
    # (a level far from 0 at the start would show the state space's approximate diffuse
    # prior, variance 1e6, as statsmodels': an error ~ y_0^2 / 1e6 in the loglik)
    w = _arma11(300, seed=1) + (2.0 if trend != "n" else 0.0)
    y = np.cumsum(w) if integrate else w
    fast = ARIMA(order, trend=trend).fit(y)
    space = ARIMA(order, trend=trend, method="statespace").fit(y)
    assert (fast._path, space._path) == ("fast", "statespace")
    assert fast.param_names_ == space.param_names_
    assert fast.llf_ == pytest.approx(space.llf_, rel=1e-8)
    np.testing.assert_allclose(fast.params_, space.params_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fast.bse_, space.bse_, rtol=1e-3)
    np.testing.assert_allclose(fast.forecast(5), space.forecast(5), rtol=1e-5)


def test_seasonal_order_is_accepted_and_matches_statsmodels(airline):
    _, ours, mod = airline
    ref = _quiet(mod.fit)
    assert ours._path == "statespace"
    assert ours.param_names_ == list(ref.param_names)
    assert ours.llf_ == pytest.approx(ref.llf, rel=1e-6) and ours.llf_ >= ref.llf - 1e-6
    assert mod.loglike(ours.params_) == pytest.approx(ours.llf_, rel=1e-8)
    np.testing.assert_allclose(ours.params_, ref.params, atol=1e-3)
    # statsmodels' default cov_type "opg" at its own optimum
    np.testing.assert_allclose(ours.bse_, ref.bse, rtol=1e-3)


def test_bse_by_cov_type_equals_statsmodels(airline, macro):
    _, ours, mod = airline
    ym, X = macro
    spec = {"order": (1, 0, 1), "seasonal_order": (1, 0, 0, 4), "trend": "c"}
    m2 = ARIMA(**spec).fit(ym, exog=X)
    mod2 = SMARIMA(ym, exog=X, **spec)
    try:
        for cov_type in ("opg", "oim", "approx"):
            rtol = 3e-3 if cov_type == "approx" else 1e-3
            ours.set_params(cov_type=cov_type)  # bse_ follows cov_type (no refit needed)
            ref = _quiet(mod.filter, ours.params_, cov_type=cov_type)
            np.testing.assert_allclose(ours.bse_, ref.bse, rtol=rtol)
            m2.set_params(cov_type=cov_type)
            ref2 = _quiet(mod2.filter, m2.params_, cov_type=cov_type)
            assert m2.param_names_ == list(ref2.param_names)
            np.testing.assert_allclose(m2.bse_, ref2.bse, rtol=rtol)
        ours.set_params(cov_type="none")
        assert np.all(np.isnan(ours.bse_))
    finally:
        ours.set_params(cov_type="opg")


def test_macrodata_with_exog_and_gaps_matches_statsmodels(macro):
    y, X = macro
    y = y.copy()
    y.iloc[np.random.default_rng(0).choice(len(y), size=len(y) // 10, replace=False)] = np.nan
    spec = {"order": (1, 0, 1), "seasonal_order": (1, 0, 0, 4), "trend": "c"}
    ours = ARIMA(**spec).fit(y, exog=X)
    mod = SMARIMA(y, exog=X, **spec)
    ref = _quiet(mod.fit)
    assert ours.llf_ == pytest.approx(ref.llf, rel=1e-6) and ours.llf_ >= ref.llf - 1e-6
    assert mod.loglike(ours.params_) == pytest.approx(ours.llf_, rel=1e-8)
    Xf = X.iloc[-4:].set_axis(pd.period_range("2009Q4", periods=4, freq="Q"))
    a = ours.get_forecast(4, exog=Xf).summary_frame()
    b = mod.filter(ours.params_).get_forecast(4, exog=Xf).summary_frame()
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-6)
    assert a.index.equals(b.index)


# ------------------------------------------------------------------ predictions
@pytest.mark.parametrize("kw", [{}, {"start": 100, "end": 170}, {"start": 30, "dynamic": 20},
                                {"start": "1955-01-01", "end": "1962-06-01",
                                 "dynamic": "1958-01-01"}, {"start": 140, "end": 150,
                                                            "dynamic": True}])
def test_predict_equals_statsmodels_get_prediction(airline, kw):
    _, ours, mod = airline
    ref = mod.filter(ours.params_).get_prediction(**kw)
    pred = ours.get_prediction(**kw)
    skip = 13 if not kw else 0  # the diffuse periods (prediction variance ~1e6)
    np.testing.assert_allclose(pred.predicted_mean[skip:], ref.predicted_mean[skip:], atol=1e-6)
    np.testing.assert_allclose(pred.se_mean[skip:], ref.se_mean[skip:], atol=1e-6)
    a, b = pred.summary_frame(alpha=0.1), ref.summary_frame(alpha=0.1)
    np.testing.assert_allclose(a.to_numpy()[skip:], b.to_numpy()[skip:], atol=1e-6)
    assert a.index.equals(b.index)
    np.testing.assert_allclose(ours.predict(**kw)[skip:], ref.predicted_mean[skip:], atol=1e-6)


def test_predict_on_a_gappy_series():
    rng = np.random.default_rng(3)
    y = np.cumsum(_arma11(200, seed=4)) + 0.3 * np.arange(200)
    y[rng.choice(200, size=20, replace=False)] = np.nan
    ours = ARIMA((1, 1, 1), trend="t").fit(y)
    assert ours._path == "statespace"
    res = SMARIMA(y, order=(1, 1, 1), trend="t").filter(ours.params_)
    for kw in ({"start": 5}, {"start": 150, "end": 215, "dynamic": 10}):
        a, b = ours.get_prediction(**kw), res.get_prediction(**kw)
        np.testing.assert_allclose(a.predicted_mean, b.predicted_mean, atol=1e-6)
        np.testing.assert_allclose(a.se_mean, b.se_mean, atol=1e-6)


def test_intervals_at_two_levels_equal_statsmodels(airline):
    _, ours, mod = airline
    ref = mod.filter(ours.params_).get_forecast(18)
    fc = ours.get_forecast(18)
    frame = fc.summary_frame(levels=(80, 95))
    assert list(frame.columns) == ["mean", "mean_se", "lower_80", "upper_80", "lower_95",
                                   "upper_95"]
    for level in (80, 95):
        want = ref.summary_frame(alpha=1 - level / 100)
        got = fc.summary_frame(alpha=1 - level / 100)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-5)
        np.testing.assert_allclose(frame[[f"lower_{level}", f"upper_{level}"]].to_numpy(),
                                   want[["mean_ci_lower", "mean_ci_upper"]].to_numpy(),
                                   rtol=1e-5)
        assert got.index.equals(want.index) and frame.index.equals(want.index)
    with pytest.raises(SeqlabValueError, match="each level must lie in"):
        fc.summary_frame(levels=(80, 120))
    with pytest.raises(SeqlabValueError, match="not both"):
        fc.summary_frame(alpha=0.1, levels=(80,))


# ------------------------------------------------------------------ append and apply
def test_append_and_apply_equal_statsmodels(airline):
    y, _, _ = airline
    head, tail = y.iloc[:120], y.iloc[120:]
    ours = ARIMA(**AIRLINE).fit(head)
    ref = SMARIMA(head, **AIRLINE).filter(ours.params_)
    grown = ours.append(tail)
    np.testing.assert_allclose(grown.forecast(12), ref.append(tail).forecast(12), rtol=1e-8)
    assert grown.forecast(12).index.equals(ref.append(tail).forecast(12).index)
    np.testing.assert_array_equal(grown.params_, ours.params_)
    assert grown.nobs_ == 144 and ours.nobs_ == 120  # the original is unchanged
    assert grown.llf_ == pytest.approx(ref.append(tail).llf, rel=1e-8)
    refit = ours.append(tail, refit=True)
    full = ARIMA(**AIRLINE).fit(y)
    np.testing.assert_allclose(refit.params_, full.params_, rtol=1e-8)
    applied = ours.apply(y.iloc[24:])
    np.testing.assert_allclose(applied.forecast(6),
                               ref.apply(y.iloc[24:]).forecast(6), rtol=1e-8)
    with pytest.raises(SeqlabValueError, match="does not continue"):
        ours.append(y.iloc[121:130])


def test_append_with_exog_continues_the_filter(macro):
    y, X = macro
    spec = {"order": (1, 0, 0), "trend": "c"}
    ours = ARIMA(**spec).fit(y.iloc[:180], exog=X.iloc[:180])
    ref = SMARIMA(y.iloc[:180], exog=X.iloc[:180], **spec).filter(ours.params_)
    a = ours.append(y.iloc[180:200], exog=X.iloc[180:200])
    b = ref.append(y.iloc[180:200], exog=X.iloc[180:200])
    np.testing.assert_allclose(a.forecast(3, exog=X.iloc[200:]), b.forecast(
        3, exog=X.iloc[200:]), rtol=1e-8)


# ------------------------------------------------------------------ one series vs a batch
def test_two_dimensional_y_is_refused_with_directions():
    Y = np.random.default_rng(0).normal(size=(100, 2))
    with pytest.raises(SeqlabValueError, match=r"fit takes ONE series. Pass regressors as "
                       r"fit\(y, exog=X\).*fit_many\(Y\)"):
        ARIMA().fit(Y)
    with pytest.raises(SeqlabValueError, match="fit takes ONE series"):
        ARIMA().fit(pd.DataFrame(Y, columns=["y", "x"]))
    one = ARIMA().fit(pd.DataFrame(Y[:, :1], columns=["y"]))  # one column is one series
    np.testing.assert_array_equal(one.params_, ARIMA().fit(Y[:, 0]).params_)
    many = ARIMA().fit_many(Y)
    assert many.params_.shape == (2, 3) and many.llf_.shape == (2,)
    assert many.forecast(4).shape == (4, 2)
    single = ARIMA().fit(Y[:, 1])
    np.testing.assert_allclose(many.bse_[1], single.bse_, rtol=1e-6)  # opg, per series
    many.set_params(cov_type="approx")  # the compiled observed information
    np.testing.assert_allclose(many.bse_[1], single.set_params(cov_type="approx").bse_,
                               rtol=1e-2)
    with pytest.raises(SeqlabValueError, match="fitted by fit_many"):
        many.predict()
    with pytest.raises(SeqlabValueError, match="fit_many runs the fast kernel"):
        ARIMA(**AIRLINE).fit_many(Y)


def test_sarimax_stays_importable_with_the_same_results_methods():
    y = np.cumsum(_arma11(120, seed=2))
    m = SARIMAX(order=(1, 1, 0)).fit(y)
    assert m.get_forecast(3).summary_frame(levels=(90,)).shape == (3, 4)
    assert m.predict(start=100, end=125).shape == (26,)


# ------------------------------------------------------------------ save / load
def test_seasonal_model_with_exog_round_trips(tmp_path: Path, macro):
    y, X = macro
    model = ARIMA((1, 0, 0), seasonal_order=(1, 0, 0, 4), trend="c").fit(y, exog=X)
    seqlab.save(model, tmp_path / "m.seqlab")
    again = seqlab.load(tmp_path / "m.seqlab")
    Xf = X.iloc[-5:].set_axis(pd.period_range("2009Q4", periods=5, freq="Q"))
    a, b = model.get_forecast(5, exog=Xf), again.get_forecast(5, exog=Xf)
    pd.testing.assert_frame_equal(a.summary_frame(), b.summary_frame(), check_exact=True)
    np.testing.assert_array_equal(model.bse_, again.bse_)

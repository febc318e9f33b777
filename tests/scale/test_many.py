"""seqlab.scale.ManySeries in process: each series' numbers are those it gets alone (bit for
bit), whatever the chunking; failing series give error rows; the long layout is
statsforecast's (checked against statsforecast itself)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.classical import ARIMA, SARIMAX, GaussianHMM
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.scale import ESNForecaster, ManySeries, SharedHMM
from seqlab.scale._models import mixture_quantiles

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # optimiser notes
ORDER = (1, 1, 1)


@pytest.fixture(scope="module")
def df(make_panel):
    return make_panel()


@pytest.fixture(scope="module")
def reference(df):
    return ManySeries([ARIMA(order=ORDER)], freq="MS", chunk_size=10_000).forecast(
        df, h=4, level=[80, 95])


def _series(df, uid):
    return df[df.unique_id == uid].sort_values("ds")


def assert_alone(batch, alone):
    """The batch kernel's fit is the lone fit's, bit for bit; the forecasts may differ in
    the last bit (ARIMA's batch and one-series forecasts sum in different orders)."""
    np.testing.assert_allclose(batch, alone, rtol=1e-12, atol=0)


def arima_alone(y, h, alpha=0.05):
    """ARIMA(ORDER) fitted to ``y`` alone: (mean, lower, upper) of the ``1 - alpha``
    forecast (``get_forecast`` API, or the older ``forecast(h, alpha)``)."""
    m = ARIMA(order=ORDER)
    if hasattr(m, "fit_many"):  # the batch kernel on this one series
        if not np.all(np.isfinite(y)):
            m.fit(y)  # missing values: the one-series path
            fc = m.get_forecast(h)
            ci = np.asarray(fc.conf_int(alpha=alpha))
            return np.asarray(fc.predicted_mean), ci[:, 0], ci[:, 1]
        fc = m.fit_many(y[:, None]).get_forecast(h)
        ci = np.asarray(fc.conf_int(alpha=alpha))[:, 0]
        return np.asarray(fc.predicted_mean)[:, 0], ci[:, 0], ci[:, 1]
    fc = m.fit(y).forecast(h, alpha=alpha)
    return fc.mean, fc.lower, fc.upper


def test_arima_equals_each_series_fitted_alone(df, reference):
    for uid, rows in reference.groupby("unique_id"):
        if uid.startswith("bad"):
            continue
        y = _series(df, uid).y.to_numpy()
        alone = {a: arima_alone(y, 4, a) for a in (0.2, 0.05)}
        assert_alone(rows.ARIMA.to_numpy(), alone[0.2][0])
        assert_alone(rows["ARIMA-lo-80"].to_numpy(), alone[0.2][1])
        assert_alone(rows["ARIMA-hi-95"].to_numpy(), alone[0.05][2])
        assert rows.error.isna().all()


def test_failing_series_are_error_rows(df, reference):
    bad = reference[reference.unique_id.isin(["bad-const", "bad-short"])]
    assert len(bad) == 2 * 4 and bad.ARIMA.isna().all()
    msg = bad.groupby("unique_id").error.first()
    assert msg["bad-const"].startswith("ARIMA: SeqlabValueError: y is constant")
    assert msg["bad-short"].startswith("ARIMA: SeqlabValueError: y is too short for an ARIMA")
    # a missing value: an error row, or (where ARIMA handles missing values) its lone fit
    rows = reference[reference.unique_id == "bad-nan"]
    y = _series(df, "bad-nan").y.to_numpy()
    try:
        mean = arima_alone(y, 4)[0]
    except ValueError as err:
        assert rows.ARIMA.isna().all()
        assert rows.error.iloc[0] == f"ARIMA: {type(err).__name__}: {' '.join(str(err).split())}"
    else:
        assert_alone(rows.ARIMA.to_numpy(), mean)
        assert rows.error.isna().all()
    # the failing series are still dated: 4 months after their own last month
    assert list(reference[reference.unique_id == "bad-short"].ds.dt.strftime("%Y-%m")) == [
        "2003-04", "2003-05", "2003-06", "2003-07"]


@pytest.fixture(scope="module")
def df36(make_panel):
    """36 series of 12 lengths: chunks cut the length groups the kernel fits together."""
    return make_panel(n_series=36, seed=4)


@pytest.fixture(scope="module")
def reference36(df36):
    return ManySeries([ARIMA(order=ORDER)], freq="MS", chunk_size=10_000).forecast(
        df36, h=4, level=[80, 95])


@settings(max_examples=12, deadline=None)
@given(chunk_size=st.integers(1, 40), chunk_bytes=st.one_of(st.none(), st.integers(1, 6000)))
def test_chunking_does_not_change_results(df36, reference36, chunk_size, chunk_bytes):
    got = ManySeries([ARIMA(order=ORDER)], freq="MS", chunk_size=chunk_size,
                     chunk_bytes=chunk_bytes).forecast(df36, h=4, level=[95, 80])
    pd.testing.assert_frame_equal(got, reference36, check_exact=True)


def test_layout_matches_statsforecast(df):
    from statsforecast import StatsForecast
    from statsforecast.models import ARIMA as SFARIMA

    good = df[~df.unique_id.str.startswith("bad")]
    sf = StatsForecast(models=[SFARIMA(order=ORDER, alias="ARIMA")], freq="MS", n_jobs=1)
    ref = sf.forecast(df=good, h=3, level=[80, 95])
    got = ManySeries([ARIMA(order=ORDER)], freq="MS").forecast(good, h=3, level=[80, 95])
    assert list(got.columns) == [*list(ref.columns), "error"]
    pd.testing.assert_frame_equal(got[["unique_id", "ds"]], ref[["unique_id", "ds"]])
    # same model, another optimiser: close, not equal
    np.testing.assert_allclose(got.ARIMA, ref.ARIMA, rtol=0.05, atol=0.5)
    cv_ref = sf.cross_validation(df=good, h=3, n_windows=2, step_size=2, level=[80])
    cv = ManySeries([ARIMA(order=ORDER)], freq="MS").cross_validation(
        good, h=3, n_windows=2, step_size=2, level=[80])
    assert list(cv.columns) == [*list(cv_ref.columns), "error"]
    pd.testing.assert_frame_equal(cv[["unique_id", "ds", "cutoff", "y"]],
                                  cv_ref[["unique_id", "ds", "cutoff", "y"]])


def test_cross_validation_windows_are_fits_on_the_past(df):
    cv = ManySeries([ARIMA(order=ORDER)], freq="MS").cross_validation(df, h=2, n_windows=3)
    rows = cv[cv.unique_id == "s004"]
    y = _series(df, "s004").y.to_numpy()
    n = y.size
    for w, (cutoff, part) in enumerate(rows.groupby("cutoff")):
        cut = n - 2 - 2 * (2 - w)
        assert cutoff == _series(df, "s004").ds.iloc[cut - 1]
        np.testing.assert_array_equal(part.y, y[cut : cut + 2])
        assert_alone(part.ARIMA.to_numpy(), arima_alone(y[:cut], 2)[0])
    short = cv[cv.unique_id == "bad-short"]
    # windows 0 and 1 would end before the series starts; window 2 trains on 1 value
    assert short.error.iloc[:4].str.startswith("the series has 3 values: too short for 3 win").all()
    assert short.error.iloc[4:].str.startswith("ARIMA: SeqlabValueError: y is too short").all()


def test_sarimax_with_regressors_per_series():
    rng = np.random.default_rng(3)
    frames, future = [], []
    for i in range(3):
        x = rng.normal(size=50)
        y = 2.0 * x[:45] + rng.normal(size=45).cumsum() * 0.3
        ds = np.arange(45) + 10 * i
        frames.append(pd.DataFrame({"unique_id": i, "ds": ds, "y": y, "x": x[:45]}))
        future.append(pd.DataFrame({"unique_id": i, "ds": ds[-1] + 1 + np.arange(5),
                                    "x": x[45:]}))
    df, X_df = pd.concat(frames), pd.concat(future)
    model = SARIMAX(order=(1, 0, 0))
    got = ManySeries([model]).forecast(df, h=5, level=[90], X_df=X_df)
    for i in range(3):
        part = frames[i]
        fc = SARIMAX(order=(1, 0, 0)).fit(part.y.to_numpy(), exog=part[["x"]].to_numpy())
        fc = fc.get_forecast(5, exog=future[i][["x"]].to_numpy())
        rows = got[got.unique_id == i]
        np.testing.assert_array_equal(rows.SARIMAX, np.asarray(fc.predicted_mean))
        np.testing.assert_array_equal(rows["SARIMAX-lo-90"], np.asarray(fc.conf_int(0.1))[:, 0])
        np.testing.assert_array_equal(rows.ds, future[i].ds)
    with pytest.raises(SeqlabValueError, match="pass X_df with their h future rows"):
        ManySeries([model]).forecast(df, h=5)
    with pytest.raises(SeqlabValueError, match="but GaussianHMM take none"):
        ManySeries([GaussianHMM(2)]).forecast(df, h=5, X_df=X_df)


def test_hmm_per_series_and_shared(df):
    good = df[df.unique_id.isin(["s000", "s001", "s002"])]
    hmm = GaussianHMM(2, seed=0, n_iter=20)
    got = ManySeries({"one": hmm, "shared": SharedHMM(hmm)}, freq="MS").forecast(
        good, h=3, level=[80])
    ys = [_series(df, u).y.to_numpy() for u in ("s000", "s001", "s002")]
    shared = GaussianHMM(2, seed=0, n_iter=20).fit(np.concatenate(ys)[:, None],
                                                    lengths=[y.size for y in ys])
    for u, y in zip(("s000", "s001", "s002"), ys):
        rows = got[got.unique_id == u]
        alone = GaussianHMM(2, seed=0, n_iter=20).fit(y[:, None])
        np.testing.assert_array_equal(rows.one, alone.predict_next(y[:, None], 3).mean[:, 0])
        np.testing.assert_array_equal(rows.shared, shared.predict_next(y[:, None], 3).mean[:, 0])
        assert (rows["one-lo-80"] < rows.one).all() and (rows.one < rows["one-hi-80"]).all()
    # a model fitted elsewhere (e.g. on a sample), used as it is
    given = ManySeries([SharedHMM(shared, refit=False)], freq="MS").cross_validation(
        good, h=2, n_windows=2)
    for u, y in zip(("s000", "s001", "s002"), ys):
        rows = given[given.unique_id == u]
        np.testing.assert_array_equal(rows.SharedHMM.iloc[2:],
                                      shared.predict_next(y[:-2, None], 2).mean[:, 0])


def test_mixture_quantiles_against_scipy():
    from scipy import stats

    w = np.array([[0.3, 0.7]])
    mu, sd = np.array([-1.0, 2.0]), np.array([0.5, 1.5])
    q = mixture_quantiles(w, mu, sd, np.array([0.1, 0.5, 0.9]))
    cdf = 0.3 * stats.norm.cdf(q, -1.0, 0.5) + 0.7 * stats.norm.cdf(q, 2.0, 1.5)
    np.testing.assert_allclose(cdf[0], [0.1, 0.5, 0.9], atol=1e-12)
    one = mixture_quantiles(np.ones((1, 1)), np.zeros(1), np.ones(1), np.array([0.975]))
    np.testing.assert_allclose(one, stats.norm.ppf(0.975), atol=1e-12)


def test_esn_equals_alone(df):
    good = df[df.unique_id.isin(["s000", "s005"])]
    # n_units is used as given (the old class capped it silently): one warning per chunk
    with pytest.warns(UserWarning, match=r"n_units=30 exceeds the training windows of 1 of "):
        got = ManySeries([ESNForecaster(n_units=30)], freq="MS").forecast(good, h=3, level=[80])
    for u in ("s000", "s005"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            f = ESNForecaster(n_units=30).fit(_series(df, u).y.to_numpy(), horizon=3)
        rows = got[got.unique_id == u]
        np.testing.assert_array_equal(rows.ESN, f.mean_)
        np.testing.assert_array_equal(rows["ESN-hi-80"], f.interval(0.2)[1])
    # s000 has 27 windows, 5 held out (< MIN_HOLDOUT): no honest interval, NaN columns
    assert got[got.unique_id == "s000"]["ESN-hi-80"].isna().all()


def test_bad_input_messages(df):
    m = ManySeries([ARIMA()], freq="MS")
    with pytest.raises(SeqlabValueError, match=r"df has no column 'y' \(columns: 'unique_id', "):
        m.forecast(df.drop(columns="y"), h=2)
    with pytest.raises(SeqlabTypeError, match="column 'y' is complex"):
        m.forecast(df.assign(y=df.y + 1j), h=2)
    with pytest.raises(SeqlabTypeError, match="column 'note' has dtype object, not numbers"):
        m.forecast(df.assign(note="x"), h=2)
    with pytest.raises(SeqlabValueError, match="freq is needed to date the forecasts"):
        ManySeries([ARIMA()]).forecast(df, h=2)
    with pytest.raises(SeqlabValueError, match="two rows at ds="):
        m.forecast(pd.concat([df, df.iloc[:1]]), h=2)
    with pytest.raises(SeqlabValueError, match="both be named 'ARIMA'; pass a dict"):
        ManySeries([ARIMA(), ARIMA(order=(2, 0, 0))], freq="MS").forecast(df, h=2)
    with pytest.raises(SeqlabTypeError, match="cannot forecast with str"):
        ManySeries(["arima"], freq="MS").forecast(df, h=2)
    with pytest.raises(SeqlabValueError, match="client= is a Dask client"):
        ManySeries([ARIMA()], freq="MS", client=object()).forecast(df, h=2)
    with pytest.raises(SeqlabValueError, match=r"level must be in \(0, 100\)"):
        m.forecast(df, h=2, level=[100])


def test_progress_callback_counts_series(df):
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ManySeries([ARIMA(order=(1, 0, 0))], freq="MS", chunk_size=4,
                   progress=lambda done, total: seen.append((done, total))).forecast(df, h=1)
    assert seen == [(4, 15), (8, 15), (12, 15), (15, 15)]


def test_missing_engine_names_the_scale_extra(df, monkeypatch):
    import sys

    from seqlab.exceptions import MissingDependencyError

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    monkeypatch.setitem(sys.modules, "ray", None)
    for engine in ("dask", "ray"):
        with pytest.raises(MissingDependencyError, match=r"pip install 'seqlab\[scale\]'"):
            ManySeries([ARIMA()], freq="MS", engine=engine).forecast(df, h=1)


def test_engines_are_imported_only_when_used():
    import subprocess
    import sys

    code = ("import sys, seqlab, seqlab.scale, seqlab.cli.forecast_many; "
            "print(sorted(m for m in ('dask', 'distributed', 'ray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_autoarima_equals_each_series_alone(df):
    from seqlab.classical import AutoARIMA

    good = df[df.unique_id.isin(["s003", "bad-short"])]
    model = AutoARIMA(season_length=1, max_p=1, max_q=1)
    got = ManySeries([model], freq="MS").forecast(good, h=2, level=[80])
    for u in ("s003",):
        fit = AutoARIMA(season_length=1, max_p=1, max_q=1).fit(_series(df, u).y.to_numpy())
        fc = fit.get_forecast(2)
        rows = got[got.unique_id == u]
        np.testing.assert_array_equal(rows.AutoARIMA, np.asarray(fc.predicted_mean))
        np.testing.assert_array_equal(rows["AutoARIMA-hi-80"], np.asarray(fc.conf_int(0.2))[:, 1])
    assert got[got.unique_id == "bad-short"].error.str.startswith("AutoARIMA: ").all()


def test_esn_forecaster_save_load_round_trip(tmp_path):
    import seqlab

    y = np.sin(np.arange(150) * 0.3)
    f = ESNForecaster(n_units=30, seed=1).fit(y, horizon=4)
    seqlab.save(f, tmp_path / "esn")
    g = seqlab.load(tmp_path / "esn")
    assert isinstance(g, ESNForecaster) and g.get_params() == f.get_params()
    np.testing.assert_array_equal(g.mean_, f.mean_)
    np.testing.assert_array_equal(g.interval(0.2)[1], f.interval(0.2)[1])

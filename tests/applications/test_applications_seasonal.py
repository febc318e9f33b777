"""The seasonal task of ``seqlab compare`` and the interval coverage of the forecasting tasks:
frozen SARIMA forecasts and their standard errors against statsmodels' Kalman filter, psi
weights against statsmodels' arma2ma, coverage of a correctly specified model near its level,
and the airline leaderboard end to end."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.tsa.arima_process import arma2ma

from seqlab.applications._common import (
    ModelResult,
    RunContext,
    TaskResult,
    get_budget,
    interval_coverage,
    power_series_ratio,
)
from seqlab.applications._forecast import run_forecast
from seqlab.applications._seasonal import frozen_sarima_forecasts, seasonal_naive
from seqlab.applications.report import format_leaderboard
from seqlab.classical import SARIMAX
from seqlab.data import load_airline


def test_frozen_sarima_forecasts_equal_statsmodels_filter_at_the_same_params():
    y = np.log(load_airline()).to_numpy()
    n_fit, h = 121, 12
    model = SARIMAX((1, 1, 1), (0, 1, 1, 12)).fit(y[:n_fit])
    origins = np.arange(n_fit - 1, y.size - h)
    pred, se = frozen_sarima_forecasts(model, y, origins, h)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in (0, origins.size // 2, origins.size - 1):
            t = origins[i]
            ref = sm.tsa.SARIMAX(y[:t + 1], order=(1, 1, 1), seasonal_order=(0, 1, 1, 12)
                                 ).filter(model.params_).get_forecast(h)
            # the AR(inf) run equals the converged Kalman filter (differences ~1e-4 of log
            # passengers from the filter's diffuse start 120 months back)
            np.testing.assert_allclose(pred[i], ref.predicted_mean, rtol=0, atol=1e-3)
            np.testing.assert_allclose(se, ref.se_mean, rtol=1e-4)


def test_frozen_forecasts_with_an_intercept_equal_statsmodels():
    rng = np.random.default_rng(1)
    e = rng.normal(size=400)
    y = np.zeros(400)
    for t in range(1, 400):
        y[t] = 2.0 + 0.7 * y[t - 1] + e[t] + 0.3 * e[t - 1]
    model = SARIMAX((1, 0, 1), trend="c").fit(y[:300])
    origins = np.array([320, 390])
    pred, se = frozen_sarima_forecasts(model, y, origins, 5)
    for i, t in enumerate(origins):
        ref = sm.tsa.SARIMAX(y[:t + 1], order=(1, 0, 1), trend="c").filter(
            model.params_).get_forecast(5)
        np.testing.assert_allclose(pred[i], ref.predicted_mean, atol=1e-6)
        np.testing.assert_allclose(se, ref.se_mean, rtol=1e-6)


def test_psi_weights_equal_statsmodels_arma2ma():
    ar, ma = np.array([1.0, -0.5, 0.2]), np.array([1.0, 0.4, 0.0, -0.3])
    np.testing.assert_allclose(power_series_ratio(ma, ar, 20), arma2ma(ar, ma, 21),
                               atol=1e-12)


def test_seasonal_naive_is_the_value_one_season_back():
    y = np.arange(40.0)
    pred = seasonal_naive(y, np.array([20, 30]), 13, 12)
    want = [[t + j - 12 * int(np.ceil(j / 12)) for j in range(1, 14)] for t in (20, 30)]
    np.testing.assert_array_equal(pred, want)


def test_coverage_of_a_correct_model_is_near_its_level(tmp_path: Path):
    # AR(2) data, AR(2) model: the 80 % and 95 % intervals cover about 80 % and 95 % of the
    # test targets (binomial sd ~0.015 for ~700 targets); point forecasters report NaN
    rng = np.random.default_rng(0)
    e = rng.normal(size=5000)
    y = np.zeros(5000)
    for t in range(2, 5000):
        y[t] = 0.5 * y[t - 1] - 0.3 * y[t - 2] + e[t]
    ctx = RunContext(get_budget("tiny"), (), tmp_path, seed=0)
    out = run_forecast(ctx, y, horizon=3, lags=5, ar_order=2, arima_order=(2, 0, 0),
                       models=("naive", "ar", "arima"))
    rows = {r.model: r.metrics for r in out.rows}
    for name in ("ar", "arima"):
        assert abs(rows[name]["cover80"] - 0.80) < 0.05, rows[name]
        assert abs(rows[name]["cover95"] - 0.95) < 0.03, rows[name]
    assert np.isnan(rows["naive"]["cover80"]) and np.isnan(rows["naive"]["cover95"])


def test_interval_coverage_counts_targets_inside_the_band():
    pred = np.zeros((4, 2))
    truth = np.array([[0.0, 1.0], [1.2, 0.5], [-3.0, 0.0], [2.5, -1.0]])
    got = interval_coverage(pred, truth, np.array([1.0, 1.0]))
    # |err| <= 1.2816 (80 %): 6 of 8; <= 1.96 (95 %): 6 of 8 as well, 2.5 and 3.0 outside
    assert got == {"cover80": 6 / 8, "cover95": 6 / 8}
    assert all(np.isnan(v) for v in interval_coverage(pred, truth, None).values())


def test_leaderboard_shows_na_for_models_without_intervals():
    rows = [ModelResult("sarima", {"rmse": 1.0, "cover80": 0.8}, 0.1),
            ModelResult("esn", {"rmse": 2.0, "cover80": float("nan")}, 0.1)]
    text = format_leaderboard(TaskResult("t", "T", "", "rmse", False, rows=rows))
    assert text.splitlines()[2].split()[:4] == ["2", "esn", "2", "n/a"]


def test_airline_task_end_to_end(tmp_path: Path, capsys):
    from seqlab.applications import run_compare, task_models

    assert task_models("airline") == ("snaive", "sarima", "autoarima", "esn", "gru", "lstm")
    run_compare(["airline"], budget="tiny", out_dir=tmp_path / "r", progress=False)
    printed = capsys.readouterr().out
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    info = doc["tasks"]["airline"]
    rows = {r["model"]: r["metrics"] for r in info["rows"]}
    assert set(rows) == set(task_models("airline"))
    # Box & Jenkins' airline model beats "same month last year" by far on the test months,
    # and its intervals cover most of the test targets
    assert rows["sarima"]["rmse"] < 0.5 * rows["snaive"]["rmse"]
    assert rows["sarima"]["cover95"] >= 0.8
    for name in ("snaive", "esn", "gru", "lstm"):
        assert rows[name]["cover80"] is None or np.isnan(rows[name]["cover80"])
    assert "cover95" in printed and "n/a" in printed
    # AutoARIMA picks the airline model on the training part too (R's auto.arima does on
    # the whole log series), so its forecasts are the sarima row's
    notes = {r["model"]: r["notes"] for r in info["rows"]}
    assert notes["autoarima"] == notes["sarima"] == "SARIMA(0,1,1)(0,1,1)12 trend 'n'"
    assert "AutoARIMA chose SARIMA(0,1,1)(0,1,1)12" in (tmp_path / "r" / "report.md").read_text()
    np.testing.assert_allclose(rows["autoarima"]["rmse"], rows["sarima"]["rmse"], rtol=1e-4)


@pytest.mark.parametrize("bad", [(1, 0, 0), (0, 1, 1)])
def test_frozen_forecasts_refuse_drift_and_regressors(bad):
    y = np.cumsum(np.random.default_rng(2).normal(size=80))
    X = np.random.default_rng(3).normal(size=(80, 1))
    model = SARIMAX(bad, trend="t").fit(y) if bad == (1, 0, 0) else SARIMAX(bad).fit(y, X)
    with pytest.raises(ValueError, match="intercept and ARMA terms only"):
        frozen_sarima_forecasts(model, y, np.array([60]), 2)


def test_learned_seasonal_differences_never_look_ahead(tmp_path: Path):
    # with learn_differences the ESN and the networks read y_t - y_(t-12) and add back
    # y_(t+j-12): still only the history up to each origin may matter
    t = np.arange(160)
    y = 5.0 + 0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12) + 0.02 * np.cos(t / 3.0)
    y2 = y.copy()
    n_fit = int(0.7 * 160) + int(0.15 * 160)
    cut = n_fit + 5  # the origins are n_fit - 1 .. 147
    y2[cut + 1:] += 1.0
    ctx = RunContext(get_budget("tiny"), (), tmp_path, seed=0)
    kw = {"horizon": 12, "lags": 13, "ar_order": 1, "arima_order": (0, 1, 1),
          "seasonal_order": (0, 1, 1, 12), "season": 12, "learn_differences": 12,
          "models": ("snaive", "sarima", "esn", "gru")}
    a = run_forecast(ctx, y, **kw)
    b = run_forecast(ctx, y2, **kw)
    keep = a.origins <= cut  # their history ends before the change
    assert keep.any() and (~keep).any()
    for name in kw["models"]:
        np.testing.assert_allclose(a.preds[name][keep], b.preds[name][keep], rtol=1e-6,
                                   err_msg=name)
        assert not np.allclose(a.preds[name][~keep], b.preds[name][~keep]), name
    with pytest.raises(ValueError, match="learn_differences needs"):
        run_forecast(ctx, y, **{**kw, "learn_differences": 6})

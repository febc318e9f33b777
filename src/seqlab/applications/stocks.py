"""Stock market: multi-step forecasts of daily S&P 500 and monthly stock log returns.

- ``sp500``: the most recent ``budget.sp500_days`` trading days of the S&P 500 adjusted
  close (:func:`seqlab.data.load_sp500`, 1999–2018); ``r_t = 100 log(P_t / P_{t-1})``;
  forecasts of the next 5 daily returns from every test day.
- ``stocks-monthly``: monthly log returns of AAPL, AMZN, GOOG, IBM, MSFT 2000–2010
  (:func:`seqlab.data.load_stocks`); each ticker is its own series (3-month forecasts),
  and the leaderboard averages the metrics over the five tickers (training times summed).

Split in time 70/15/15 % (see :mod:`seqlab.applications._forecast`). ``naive`` is the
random walk (zero expected return: tomorrow's price = today's), ``drift`` the random walk
with the training mean return. ``direction`` is the share of test days whose next-return
sign the model got right (NaN for the random walk, which never predicts a move); markets
are close to a random walk, so expect every model near the baseline.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from seqlab.applications._common import ModelResult, RunContext, TaskResult
from seqlab.applications._forecast import run_forecast
from seqlab.applications.report import plot_curves, plot_forecasts

__all__ = ["RUNNERS", "TASK_MODELS", "run_monthly", "run_sp500"]

_MODELS = ("naive", "drift", "ar", "arima", "esn", "gru", "lstm")
TASK_MODELS: dict[str, tuple[str, ...]] = {"sp500": _MODELS, "stocks-monthly": _MODELS}


def _direction(pred: np.ndarray, truth: np.ndarray, origins: np.ndarray) -> dict[str, float]:
    p = np.sign(pred[:, 0])
    if not np.any(p):
        return {"direction": float("nan")}
    return {"direction": float(np.mean(p == np.sign(truth[:, 0])))}


def run_sp500(ctx: RunContext) -> TaskResult:
    """Daily S&P 500 returns, 5-day forecasts; leaderboard metric RMSE (% per day)."""
    from seqlab.data import load_sp500

    close = load_sp500()["Adj Close"].iloc[-ctx.budget.sp500_days:]
    r = 100.0 * np.diff(np.log(close.to_numpy()))
    dates = close.index[1:]
    res = TaskResult("sp500", "S&P 500: forecasting daily log returns",
                     f"{len(r)} trading days {dates[0].date()}..{dates[-1].date()}; 70/15/15 % "
                     "chronological split; forecasts of the next 5 daily returns (in %) from "
                     "every test day. AR(5), ARIMA(1,0,1); the networks read 20 days.",
                     "rmse", False)
    out = run_forecast(ctx, r, horizon=5, lags=20, ar_order=5, arima_order=(1, 0, 1),
                       models=ctx.models, naive="zero", extra_metrics=_direction)
    res.rows = out.rows
    n = min(120, out.origins.size)
    o = out.origins[:n]
    price = close.to_numpy()[1:]  # price[t] is the close after return r[t]
    preds = {k: price[o] * np.exp(v[:n, 0] / 100.0) for k, v in out.preds.items()
             if k != "naive"}
    res.figures.append(("Next-day price implied by each model (first test days)",
                        plot_forecasts(ctx.out_dir / "sp500_forecasts.png",
                                       np.arange(n), price[o + 1], preds,
                                       title="S&P 500: next-day close implied by the forecast "
                                             "return (test days)", ylabel="index points")))
    if out.curves:
        res.figures.append(("Learning curves", plot_curves(
            ctx.out_dir / "sp500_learning.png", out.curves, title="S&P 500: training",
            ylabel="MSE (standardised)")))
    return res


def run_monthly(ctx: RunContext) -> TaskResult:
    """Monthly returns of the five tickers, 3-month forecasts, metrics averaged."""
    from seqlab.data import load_stocks

    df = load_stocks()
    res = TaskResult("stocks-monthly", "Five stocks: forecasting monthly log returns",
                     "AAPL, AMZN, GOOG, IBM, MSFT monthly closes 2000–2010 as log returns "
                     "(%); each ticker split 70/15/15 % in time; forecasts of the next 3 "
                     "months from every test month; metrics averaged over the tickers. "
                     "AR(2), ARIMA(1,0,1); the networks read 6 months.", "rmse", False)
    per_model: dict[str, list[ModelResult]] = {}
    curves = {}
    plot_data = None
    quiet = replace(ctx, tick=lambda label: None)  # one progress step per model, not per ticker
    for i, ticker in enumerate(df.columns):
        prices = df[ticker].dropna().to_numpy()
        r = 100.0 * np.diff(np.log(prices))
        out = run_forecast(ctx if i == 0 else quiet, r, horizon=3, lags=6, ar_order=2,
                           arima_order=(1, 0, 1), models=ctx.models, naive="zero",
                           extra_metrics=_direction)
        for row in out.rows:
            per_model.setdefault(row.model, []).append(row)
        if ticker == "AAPL":
            plot_data = (prices, out)
            curves = out.curves
    for name, rows in per_model.items():
        keys = rows[0].metrics.keys()
        metrics = {k: float(np.nanmean([r.metrics[k] for r in rows]))
                   if any(np.isfinite(r.metrics[k]) for r in rows) else float("nan")
                   for k in keys}
        res.rows.append(ModelResult(name, metrics, sum(r.train_seconds for r in rows)))
    if plot_data is not None:
        prices, out = plot_data
        o = out.origins
        p = prices[1:]
        preds = {k: p[o] * np.exp(v[:, 0] / 100.0) for k, v in out.preds.items()
                 if k != "naive"}
        res.figures.append(("AAPL: next-month price implied by each model", plot_forecasts(
            ctx.out_dir / "stocks_monthly_forecasts.png", np.arange(o.size), p[o + 1], preds,
            title="AAPL: next-month close implied by the forecast return (test months)",
            ylabel="US$")))
    if curves:
        res.figures.append(("Learning curves (AAPL)", plot_curves(
            ctx.out_dir / "stocks_monthly_learning.png", curves, title="AAPL monthly: training",
            ylabel="MSE (standardised)")))
    return res


RUNNERS = {"sp500": run_sp500, "stocks-monthly": run_monthly}

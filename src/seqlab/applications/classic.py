"""Classic tasks: yearly sunspots (AR(2) of Yule 1927, ARIMA, ESN, recurrent nets) and the
monthly airline passengers (the seasonal "airline model" of Box & Jenkins, AutoARIMA,
seasonal naive, ESN, GRU, LSTM).

Data: :func:`seqlab.data.load_sunspots` (1700–2008), or the last numeric column of a user
CSV (``seqlab compare --data FILE.csv``). Split in time: 70 % train, 15 % validation, 15 %
test (about 1963–2008 for sunspots); forecasts of the next 3 years from every test origin
with the history up to the origin only (see :mod:`seqlab.applications._forecast`).
Leaderboard metric: RMSE over the 3 horizons, on the test years.

``airline``: :func:`seqlab.data.load_airline` (1949-01..1960-12) as log passengers, the
same 70/15/15 % split (the test part is 1959-02..1960-12), 12-month forecasts from every
test origin. SARIMA(0,1,1)(0,1,1)12 is the airline model; ``autoarima`` is the model
:class:`seqlab.classical.AutoARIMA` (season 12) chooses on the training part; the ESN and
the networks learn the seasonal differences ``y_t - y_{t-12}`` (the level of a trending
series leaves the range seen in training; its yearly changes do not). Besides the
errors (in log passengers, so about relative errors), the models with prediction intervals
report their coverage of the test months (``cover80``, ``cover95``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqlab.applications._common import RunContext, TaskResult
from seqlab.applications._forecast import run_forecast
from seqlab.applications.report import plot_curves, plot_forecasts
from seqlab.exceptions import SeqlabValueError

__all__ = ["MODELS", "RUNNERS", "TASK_MODELS", "load_user_series", "run", "run_airline"]

MODELS: tuple[str, ...] = ("naive", "ar", "arima", "esn", "elman", "gru", "lstm")
AIRLINE_MODELS: tuple[str, ...] = ("snaive", "sarima", "autoarima", "esn", "gru", "lstm")
TASK_MODELS: dict[str, tuple[str, ...]] = {"sunspots": MODELS, "airline": AIRLINE_MODELS}
HORIZON = 3


def load_user_series(path: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """The last numeric column of the CSV ``path`` (missing values dropped): (values,
    positions, column name)."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except ValueError as err:  # pandas parser errors, UnicodeDecodeError, an empty file
        why = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SeqlabValueError(
            f"{path} is not a readable CSV table ({why}); give a CSV with a header row and "
            "one value per row."
        ) from None
    num = df.select_dtypes("number")
    if num.shape[1] == 0:
        raise SeqlabValueError(f"{path} has no numeric column; give a CSV with one value per row.")
    col = str(num.columns[-1])
    s = num[col].dropna()
    if len(s) < 40:
        raise SeqlabValueError(
            f"{path}: column {col!r} has {len(s)} values; at least 40 are needed."
        )
    return s.to_numpy(dtype=np.float64), np.arange(len(s), dtype=np.float64), col


def run(ctx: RunContext) -> TaskResult:
    """Run the sunspot benchmark (or the user's series) and return its leaderboard."""
    if ctx.data_file is not None and ctx.data_file.suffix.lower() == ".csv":
        y, x, label = load_user_series(ctx.data_file)
        title = f"Forecasting {ctx.data_file.name} ({label})"
    else:
        from seqlab.data import load_sunspots

        s = load_sunspots()
        y, x, label = s.to_numpy(), s.index.to_numpy(dtype=np.float64), "sunspot number"
        title = "Sunspots: forecasting yearly sunspot numbers"
    res = TaskResult("sunspots", title,
                     f"{len(y)} values; chronological split 70/15/15 %; {HORIZON}-step "
                     "forecasts from every test origin with parameters frozen after "
                     "training. AR(2) is Yule's 1927 model; ARIMA(3,0,1); the networks "
                     "read the last 12 values.", "rmse", False)
    models = tuple(m for m in MODELS if m in ctx.models)
    out = run_forecast(ctx, y, horizon=HORIZON, lags=12, ar_order=2, arima_order=(3, 0, 1),
                       models=models)
    res.rows = out.rows
    xs = x[out.origins + 1]
    lo = max(0, out.n_train + out.n_val - 40)
    res.figures.append(("One-step-ahead forecasts on the test years", plot_forecasts(
        ctx.out_dir / "sunspots_forecasts.png", xs, out.truth[:, 0],
        {k: v[:, 0] for k, v in out.preds.items()}, title=title + " (test part)",
        ylabel=label, history=(x[lo:out.n_train + out.n_val], y[lo:out.n_train + out.n_val]))))
    if out.curves:
        res.figures.append(("Learning curves (standardised MSE)", plot_curves(
            ctx.out_dir / "sunspots_learning.png", out.curves, title="sunspots: training",
            ylabel="MSE (standardised)")))
    return res


def run_airline(ctx: RunContext) -> TaskResult:
    """The airline passengers: 12-month forecasts of log passengers from every test month."""
    from seqlab.data import load_airline

    s = load_airline()
    y = np.log(s.to_numpy())
    res = TaskResult("airline", "Airline passengers: seasonal forecasting of monthly totals",
                     f"{len(y)} months {s.index[0]:%Y-%m}..{s.index[-1]:%Y-%m} as log "
                     "passengers; chronological split 70/15/15 %; 12-month forecasts from "
                     "every test month with parameters frozen after training. sarima is the "
                     "airline model SARIMA(0,1,1)(0,1,1)12, autoarima AutoARIMA's choice "
                     "(season 12), snaive the value 12 months earlier; the ESN and the networks "
                     "read the last 13 seasonal differences y_t - y_(t-12) and forecast the "
                     "next 12 (added back to the values a year earlier). Errors in log "
                     "passengers (about relative errors); "
                     "cover80/cover95: share of test targets inside the 80/95 % prediction "
                     "intervals (n/a: the model gives no intervals).", "rmse", False)
    models = tuple(m for m in AIRLINE_MODELS if m in ctx.models)
    out = run_forecast(ctx, y, horizon=12, lags=13, ar_order=1, arima_order=(0, 1, 1),
                       seasonal_order=(0, 1, 1, 12), season=12, models=models,
                       learn_differences=12)
    res.rows = out.rows
    chosen = [r.notes for r in out.rows if r.model == "autoarima"]
    if chosen:
        res.description += f" AutoARIMA chose {chosen[0]} on the training part."
    dates = s.index.to_numpy()
    n_fit = out.n_train + out.n_val
    res.figures.append(("One-step-ahead forecasts on the test months", plot_forecasts(
        ctx.out_dir / "airline_forecasts.png", dates[out.origins + 1], np.exp(out.truth[:, 0]),
        {k: np.exp(v[:, 0]) for k, v in out.preds.items()},
        title="Airline passengers (test part)", ylabel="passengers (thousands)",
        history=(dates[n_fit - 36:n_fit], s.to_numpy()[n_fit - 36:n_fit]))))
    if out.curves:
        res.figures.append(("Learning curves (standardised MSE)", plot_curves(
            ctx.out_dir / "airline_learning.png", out.curves, title="airline: training",
            ylabel="MSE (standardised)")))
    return res


RUNNERS = {"sunspots": run, "airline": run_airline}

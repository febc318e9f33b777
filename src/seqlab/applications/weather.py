"""Weather: next-day maximum temperature in Seattle, and hidden weather regimes (HMM).

Data: :func:`seqlab.data.load_seattle_weather` (1461 days, 2012–2015).

- ``weather``: forecast tomorrow's ``temp_max`` (°C) from the past days' maximum and
  minimum temperature, log precipitation and wind (the networks and the ESN read all four;
  AR(3) and ARIMA(2,0,1) the temperature alone); 70/15/15 % chronological split, one
  forecast per test day; ``naive`` = today's maximum (persistence).
- ``weather-hmm``: a 4-state :class:`seqlab.classical.GaussianHMM` is fitted to the
  standardised daily features of the first 70 % of days and Viterbi-decodes the last 30 %;
  the decoded states are compared with the recorded labels (drizzle, fog, rain, snow,
  sun) of the test days by the adjusted Rand index and by the accuracy after mapping each
  state to the label it co-occurred with most on the *training* days. ``mixture`` is the
  same emission model without memory (uniform, fixed transitions); ``naive`` predicts the
  most common training label every day.
"""

from __future__ import annotations

import numpy as np

from seqlab.applications._common import ModelResult, RunContext, TaskResult
from seqlab.applications._forecast import run_forecast
from seqlab.applications.report import plot_curves, plot_forecasts, plot_states

__all__ = ["RUNNERS", "TASK_MODELS", "run_regimes", "run_temperature"]

TASK_MODELS: dict[str, tuple[str, ...]] = {
    "weather": ("naive", "ar", "arima", "esn", "elman", "gru", "lstm"),
    "weather-hmm": ("naive", "mixture", "hmm"),
}
_FEATURES = ["temp_max", "temp_min", "precipitation", "wind"]


def _features(df):  # (T, 4): log precipitation, as in seqlab.classical.hmm_tasks
    raw = df[_FEATURES].copy()
    raw["precipitation"] = np.log1p(raw["precipitation"])
    return raw.to_numpy(dtype=np.float64)


def run_temperature(ctx: RunContext) -> TaskResult:
    """Next-day maximum temperature; leaderboard metric RMSE in °C on the test days."""
    from seqlab.data import load_seattle_weather

    df = load_seattle_weather()
    X = _features(df)
    y = X[:, 0]
    res = TaskResult("weather", "Seattle: next-day maximum temperature",
                     f"{len(y)} days 2012–2015; 70/15/15 % chronological split; one-day-ahead "
                     "forecasts of temp_max (°C) on every test day. Networks and ESN read the "
                     "last 14 days of temp_max, temp_min, log precipitation and wind.",
                     "rmse", False)
    out = run_forecast(ctx, y, X, horizon=1, lags=14, ar_order=3, arima_order=(2, 0, 1),
                       models=ctx.models)
    res.rows = out.rows
    for r in res.rows:
        del r.metrics["rmse_h1"]  # the same as rmse for one step
    n = min(150, out.origins.size)
    res.figures.append(("Forecasts vs truth (first 150 test days)", plot_forecasts(
        ctx.out_dir / "weather_forecasts.png", df.index[out.origins[:n] + 1].to_numpy(),
        out.truth[:n, 0], {k: v[:n, 0] for k, v in out.preds.items()},
        title="Seattle: next-day maximum temperature (test days)", ylabel="°C")))
    if out.curves:
        res.figures.append(("Learning curves", plot_curves(
            ctx.out_dir / "weather_learning.png", out.curves, title="weather: training",
            ylabel="MSE (standardised)")))
    return res


def _counts(codes: np.ndarray) -> str:
    from seqlab.data import SEATTLE_WEATHER_LABELS

    n = np.bincount(codes, minlength=len(SEATTLE_WEATHER_LABELS))
    return ", ".join(f"{lab} {c}" for lab, c in zip(SEATTLE_WEATHER_LABELS, n))


def _mapped_accuracy(train_states, train_labels, test_states, test_labels) -> float:
    """Accuracy on the test days after naming each state by its most common training label."""
    n_labels = int(max(train_labels.max(), test_labels.max())) + 1
    names = {}
    for s in np.unique(train_states):
        names[int(s)] = int(np.bincount(train_labels[train_states == s], minlength=n_labels)
                            .argmax())
    fallback = int(np.bincount(train_labels).argmax())
    pred = np.array([names.get(int(s), fallback) for s in test_states])
    return float(np.mean(pred == test_labels))


def run_regimes(ctx: RunContext) -> TaskResult:
    """Hidden weather regimes; leaderboard metric: adjusted Rand index on the test days."""
    import time

    from seqlab.classical import GaussianHMM
    from seqlab.classical.hmm_tasks import adjusted_rand_index
    from seqlab.data import SEATTLE_WEATHER_LABELS, load_seattle_weather

    df = load_seattle_weather()
    F = _features(df)
    labels = df["weather"].cat.codes.to_numpy().astype(np.int64)
    n_train = int(0.7 * len(F))
    mu, sd = F[:n_train].mean(0), F[:n_train].std(0)
    X = (F - mu) / sd
    Xtr, Xte = X[:n_train], X[n_train:]
    k = 4
    n_iter = {"tiny": 10, "quick": 100, "full": 300}.get(ctx.budget.name, 100)
    res = TaskResult("weather-hmm", "Seattle: hidden weather regimes vs recorded labels",
                     f"A {k}-state Gaussian HMM (full covariances) fitted on the first "
                     f"{n_train} days, Viterbi-decoded on the last {len(X) - n_train}; "
                     "compared with the recorded labels of those test days. `ari` = adjusted "
                     "Rand index (0 = chance), `mapped_acc` = accuracy after naming each state "
                     "by its most common label on the training days. Recorded labels "
                     f"(train / test days): {_counts(labels[:n_train])} / "
                     f"{_counts(labels[n_train:])}: the file's labelling drifts (few "
                     "'rain' days are recorded in the test period), which caps both scores.",
                     "ari", True)
    decoded = {}
    for name in ctx.models:
        ctx.tick(name)
        start = time.perf_counter()
        if name == "naive":
            tr_s = np.zeros(n_train, dtype=np.int64)
            te_s = np.zeros(len(Xte), dtype=np.int64)
        else:
            m = GaussianHMM(k, covariance_type="full", n_iter=n_iter, tol=1e-4, seed=ctx.seed)
            if name == "mixture":
                m = GaussianHMM(k, covariance_type="full", n_iter=n_iter, tol=1e-4,
                                seed=ctx.seed, init_params=("means", "covars"),
                                fixed=("startprob", "transmat"))
                m.startprob_ = np.full(k, 1.0 / k)
                m.transmat_ = np.full((k, k), 1.0 / k)
            m.fit(Xtr)
            tr_s = m.predict(Xtr)
            te_s = m.predict(Xte)
        seconds = time.perf_counter() - start
        decoded[name] = te_s
        res.rows.append(ModelResult(name, {
            "ari": adjusted_rand_index(te_s, labels[n_train:]),
            "mapped_acc": _mapped_accuracy(tr_s, labels[:n_train], te_s, labels[n_train:]),
        }, seconds))
    if "hmm" in decoded:
        n = min(365, len(Xte))
        res.figures.append(("Decoded regimes on the test days (HMM) vs recorded labels",
                            plot_states(ctx.out_dir / "weather_regimes.png",
                                        F[n_train:n_train + n, 0], decoded["hmm"][:n],
                                        title="Seattle test days: temp_max, decoded HMM state, "
                                              "recorded label",
                                        signal_label="temp_max °C",
                                        reference=labels[n_train:n_train + n],
                                        reference_label="label",
                                        state_names=[f"state {i}" for i in range(k)],
                                        reference_names=SEATTLE_WEATHER_LABELS)))
        table = np.zeros((k, len(SEATTLE_WEATHER_LABELS)), dtype=int)
        np.add.at(table, (decoded["hmm"], labels[n_train:]), 1)
        head = "| state | " + " | ".join(SEATTLE_WEATHER_LABELS) + " |"
        lines = [head, "|" + "---|" * (len(SEATTLE_WEATHER_LABELS) + 1)]
        lines += [f"| {i} | " + " | ".join(str(v) for v in row) + " |"
                  for i, row in enumerate(table)]
        res.extras.append(("Test days per decoded state and recorded label (HMM)",
                           "\n".join(lines)))
    return res


RUNNERS = {"weather": run_temperature, "weather-hmm": run_regimes}

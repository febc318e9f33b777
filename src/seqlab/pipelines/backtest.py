"""Held-out evaluation of a forecaster against the naive, seasonal-naive and ARIMA baselines.

The last ``test_size`` rows are held out. The forecaster is fitted on the rows before them;
then from each forecast origin ``t = T_train, T_train + horizon, ...`` (while a whole horizon
fits in the tail) every method forecasts ``horizon`` steps from the rows before ``t``, and
the errors over all origins and steps give

- ``MAE = mean |y - yhat|``, ``RMSE = sqrt(mean (y - yhat)^2)`` (original units);
- ``MASE = MAE / mean_t |y_t - y_{t-m}|`` over the training rows (Hyndman & Koehler 2006),
  ``m`` the season (1 when none): below 1 beats the in-sample (seasonal) naive forecast.

Baselines: naive (repeat the last value), seasonal naive (repeat the last season; only when
``season > 1``) and ARIMA(p, 1, q) with drift, ``p <= 2``, ``q <= 1`` chosen by AIC on the
training rows per column (:func:`seqlab.classical.arima_selection.select_order`) and refitted
at each origin. With several columns each figure is the mean over the columns.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab._validation import check_int
from seqlab.exceptions import SeqlabValueError
from seqlab.pipelines.forecast import RNNForecaster, as_series

__all__ = ["Backtest", "backtest", "naive_forecast", "season_of", "seasonal_naive_forecast"]

#: pandas frequency prefix -> season length
_SEASONS = {"M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4, "QE": 4, "W": 52, "D": 7, "B": 5,
            "H": 24, "h": 24}


def season_of(freq: str | None) -> int:
    """The usual season length for a pandas frequency (``"MS"`` -> 12; unknown -> 1)."""
    if not freq:
        return 1
    base = freq.split("-")[0].lstrip("0123456789")
    return _SEASONS.get(base, 1)


def naive_forecast(history: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last row: (horizon, k) from history (T, k)."""
    return np.repeat(history[-1:], horizon, axis=0)


def seasonal_naive_forecast(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """``yhat_{T+j} = y_{T+j-m*ceil(j/m)}``: repeat the last season (m = ``season``)."""
    last = history[-season:]
    reps = -(-horizon // season)
    return np.tile(last, (reps, 1))[:horizon]


@dataclass
class Backtest:
    """The evaluation: ``scores[method] = {"MAE": .., "RMSE": .., "MASE": ..}`` (the means
    over the columns; ``per_column`` has each column's)."""

    scores: dict[str, dict[str, float]]
    horizon: int
    origins: int
    test_size: int
    season: int
    arima_orders: list[tuple[int, int, int]] = field(default_factory=list)
    forecaster: Any = None
    notes: list[str] = field(default_factory=list)
    #: ``per_column[column][method]``: the same scores for each column
    per_column: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def _block(self, scores: dict[str, dict[str, float]], title: str) -> list[str]:
        best = min(scores, key=lambda m: scores[m]["MASE"])
        lines = [f"{title:<26}{'MAE':>12}{'RMSE':>12}{'MASE':>9}"]
        for name, s in scores.items():
            mark = " *" if name == best else ""
            lines.append(f"{name:<26}{s['MAE']:>12.4g}{s['RMSE']:>12.4g}{s['MASE']:>9.3f}{mark}")
        return lines

    def table(self) -> str:
        """The scores as fixed-width text (best MASE marked with ``*``); with several columns
        one block per column, then the mean MASE over the columns."""
        lines = [f"held-out tail: {self.test_size} rows, {self.origins} forecast origin(s) x "
                 f"horizon {self.horizon}; MASE scale: in-sample "
                 f"{'seasonal ' if self.season > 1 else ''}naive (m={self.season})"]
        if len(self.per_column) <= 1:
            lines += self._block(self.scores, "method")
        else:
            for column, scores in self.per_column.items():
                lines += self._block(scores, f"[{column}]")
            best = min(self.scores, key=lambda m: self.scores[m]["MASE"])
            lines.append(f"{'mean over columns':<50}{'MASE':>9}")
            lines += [f"{name:<50}{s['MASE']:>9.3f}{' *' if name == best else ''}"
                      for name, s in self.scores.items()]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def _errors(pred: np.ndarray, true: np.ndarray,
            scale: np.ndarray) -> tuple[dict[str, float], list[dict[str, float]]]:
    """pred/true (origins, horizon, k); scale (k,). The means over the columns and the
    per-column scores."""
    err = pred - true
    mae = np.abs(err).mean(axis=(0, 1))
    rmse = np.sqrt((err**2).mean(axis=(0, 1)))
    per = [{"MAE": float(a), "RMSE": float(r), "MASE": float(a / c)}
           for a, r, c in zip(mae, rmse, scale, strict=True)]
    return ({"MAE": float(mae.mean()), "RMSE": float(rmse.mean()),
             "MASE": float((mae / scale).mean())}, per)


def _arima_forecasts(train: np.ndarray, full: np.ndarray, origins: list[int],
                     horizon: int) -> tuple[np.ndarray, list[tuple[int, int, int]], int]:
    from seqlab.classical.arima import ARIMA
    from seqlab.classical.arima_selection import select_order

    k = train.shape[1]
    out = np.empty((len(origins), horizon, k))
    orders: list[tuple[int, int, int]] = []
    unconverged = 0
    with warnings.catch_warnings(record=True) as caught:  # counted and reported in the table
        warnings.simplefilter("always")
        for j in range(k):
            best, _ = select_order(train[:, j], d=1, max_p=2, max_q=1, trend="t")
            p, d, q = best.order
            orders.append((int(p), int(d), int(q)))
            for i, t in enumerate(origins):
                model = best if t == train.shape[0] else ARIMA(best.order, trend="t").fit(
                    full[:t, j])
                unconverged += not bool(np.all(model.converged_))
                out[i, :, j] = model.forecast(horizon)
    del caught
    return out, orders, unconverged


def backtest(
    y: Any,
    forecaster: RNNForecaster | None = None,
    *,
    test_size: int | None = None,
    season: int | None = None,
    arima: bool = True,
) -> Backtest:
    """Fit ``forecaster`` on all but the last ``test_size`` rows of ``y`` and score it and the
    baselines on that tail (see the module docstring).

    ``y`` as for :meth:`RNNForecaster.fit`; ``test_size`` defaults to ``2 * horizon`` and must
    be at least ``horizon``; ``season`` defaults to the one of the dates' frequency (12 for
    monthly data, 1 when unknown). The fitted forecaster is returned in ``.forecaster``.

    >>> import numpy as np
    >>> y = np.arange(40.0)
    >>> bt = backtest(y, RNNForecaster(horizon=2, window=4, hidden_size=4, epochs=1),
    ...               test_size=4, arima=False)
    >>> bt.scores["naive"]["MAE"], bt.origins
    (1.5, 2)
    """
    forecaster = forecaster if forecaster is not None else RNNForecaster()
    h = check_int(forecaster.horizon, "horizon", minimum=1)
    values, names, dates, freq = as_series(y)
    n = values.shape[0]
    test = 2 * h if test_size is None else check_int(test_size, "test_size", minimum=1)
    if test < h:
        raise SeqlabValueError(f"test_size={test} is shorter than the horizon {h}; hold out at "
                               "least one horizon.")
    n_train = n - test
    need = forecaster.window + h
    if n_train < need:
        raise SeqlabValueError(f"{n} rows leave {n_train} for training after the {test}-row "
                               f"test tail; window + horizon needs {need}. Use a smaller "
                               "window, horizon or test size, or a longer series.")
    notes: list[str] = []
    if season is None:
        m = season_of(freq)
        if m > 1 and 2 * m > n_train:
            notes.append(f"season {m} (from the frequency {freq}) is more than half the "
                         f"{n_train} training rows: seasonal naive skipped, MASE scaled by "
                         "the naive (m=1) error")
            m = 1
    else:
        m = check_int(season, "season", minimum=1)
        if m >= n_train:
            raise SeqlabValueError(f"season={m} is not shorter than the {n_train} training "
                                   "rows; give a smaller season (or 1 for none).")
    train = values[:n_train]
    fit_data: Any = train
    if dates is not None:  # keep the names and dates, so forecasts carry dates
        import pandas as pd

        index = pd.DatetimeIndex(dates[:n_train], freq=None)
        fit_data = pd.DataFrame(train, columns=names, index=index)
    forecaster.fit(fit_data)
    origins = list(range(n_train, n - h + 1, h))
    true = np.stack([values[t:t + h] for t in origins])  # (O, h, k)
    preds: dict[str, np.ndarray] = {
        f"RNN ({forecaster.cell})": np.stack([forecaster.predict(values[:t]) for t in origins]),
        "naive": np.stack([naive_forecast(values[:t], h) for t in origins]),
    }
    if m > 1:
        preds[f"seasonal naive (m={m})"] = np.stack(
            [seasonal_naive_forecast(values[:t], h, m) for t in origins])
    orders: list[tuple[int, int, int]] = []
    if arima:
        arima_pred, orders, unconverged = _arima_forecasts(train, values, origins, h)
        if unconverged:
            notes.append(f"ARIMA: the optimiser did not converge in {unconverged} of "
                         f"{len(origins) * len(orders)} fits (forecasts used as they are)")
        label = (f"ARIMA{orders[0]} drift" if len(set(orders)) == 1
                 else "ARIMA(p,1,q) drift, AIC")
        preds[label] = arima_pred
        if len(set(orders)) > 1:
            notes.append("ARIMA orders by column: " + ", ".join(
                f"{c} {o}" for c, o in zip(names, orders, strict=True)))
    scale = np.abs(train[m:] - train[:-m]).mean(axis=0)
    if np.any(scale == 0):
        raise SeqlabValueError("the training rows are constant (the in-sample naive error is "
                               "0), so MASE is undefined.")
    both = {name: _errors(p, true, scale) for name, p in preds.items()}
    scores = {name: b[0] for name, b in both.items()}
    per_column = {c: {name: b[1][j] for name, b in both.items()} for j, c in enumerate(names)}
    return Backtest(scores, h, len(origins), test, m, orders, forecaster, notes, per_column)

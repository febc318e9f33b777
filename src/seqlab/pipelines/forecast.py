"""``RNNForecaster``: a recurrent multi-step forecaster that owns its scaling and dates.

Direct multi-output forecasting (Taieb et al. 2012, "MIMO" strategy): the series is
standardised per column (:class:`seqlab.data.scaling.StandardScaler`, fitted on the data
given to ``fit`` only), cut into windows of ``window`` past values, and a pattern-3 network
(:class:`seqlab.recurrent.SequenceClassifier`) reads each window and emits the next
``horizon`` values of every column at once (``horizon * k`` outputs), trained with MSE by
:class:`seqlab.training.Trainer`. Forecasts are turned back into the original units. The
model file written by ``seqlab.save`` holds the network, the scaler, the column names, the
frequency and the last date, so ``seqlab.load`` gives back a forecaster that needs no user
code. Each window is read relative to its last (scaled) value and the network predicts the
change from it, so a trend or a level never seen in training is not squashed by the
network's bounded units (the same idea as N-BEATS' and DeepAR's per-window scaling).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal, Self, cast

import numpy as np

from seqlab._validation import as_float_array, check_choice, check_int, check_is_fitted
from seqlab.base import BaseEstimator
from seqlab.data.scaling import StandardScaler
from seqlab.exceptions import SeqlabValueError

__all__ = ["RNNForecaster", "as_series", "future_dates"]

_CELLS = ("elman", "leaky", "skip", "lstm", "gru")


def as_series(y: Any) -> tuple[np.ndarray, list[str], np.ndarray | None, str | None]:
    """``(values (T, k), column names, dates (T,) datetime64 or None, freq or None)``.

    ``y``: a (T,) or (T, k) array, a pandas Series or DataFrame (a DatetimeIndex gives the
    dates), or a :class:`seqlab.data.tables.SeriesTable`.
    """
    from seqlab.data.tables import SeriesTable

    if isinstance(y, SeriesTable):
        return y.values, list(y.columns), y.dates, y.freq
    dates = freq = None
    index = getattr(y, "index", None)
    if index is not None and hasattr(y, "to_numpy"):
        import pandas as pd

        if isinstance(index, pd.DatetimeIndex):
            dates = index.to_numpy(dtype="datetime64[ns]")
            freq = index.freqstr or (pd.infer_freq(index) if len(index) >= 3 else None)
        if isinstance(y, pd.DataFrame):
            names = [str(c) for c in y.columns]
        else:
            names = [str(y.name) if y.name is not None else "y"]
        values = as_float_array(y.to_numpy(), "y", ndim=(1, 2))
    else:
        values = as_float_array(y, "y", ndim=(1, 2))
        names = []
    values = values[:, None] if values.ndim == 1 else values
    if not names:
        names = ["y"] if values.shape[1] == 1 else [f"y{i}" for i in range(values.shape[1])]
    return values, names, dates, freq


def future_dates(last: Any, freq: str | None, steps: int) -> np.ndarray | None:
    """The ``steps`` dates after ``last`` at frequency ``freq`` (None when either is unknown)."""
    if last is None or freq is None:
        return None
    import pandas as pd

    rng = pd.date_range(start=pd.Timestamp(last), periods=steps + 1, freq=freq)
    return rng[1:].to_numpy(dtype="datetime64[ns]")


class RNNForecaster(BaseEstimator):
    """Forecast the next ``horizon`` values of a (multivariate) series from its last ``window``.

    ``zhat_{t+1..t+h} = z_t + W_out s_t + b``, ``s_t`` the recurrent state after reading
    ``z_{t-window+1..t} - z_t`` (``z`` the standardised series); trained by MSE on every
    window of the fitting data.

    ================ ======================= ==========================================
    ``fit(y)``        (T,) / (T, k) / frame  T >= window + horizon rows
    ``predict(h)``    (horizon, k)           forecast after ``h``'s last row, original units
    ``forecast(h)``   DataFrame              the same with dates (or steps) as index
    ``model_``        SequenceClassifier     input k, output horizon * k
    ``scaler_``       StandardScaler         per-column mean_/scale_ (k,)
    ================ ======================= ==========================================

    ``max_steps``, when given, is the number of optimiser steps (``epochs`` is then not
    used); ``max_time`` (seconds) stops training early, within ``epochs`` (or ``max_steps``).
    ``val_fraction`` > 0 holds out the last windows (chronologically)
    for a validation loss each epoch (``val_loss_curve_``); training ends with the weights of
    the best validation loss. ``train_options``: any other
    :class:`seqlab.training.TrainConfig` fields (``{"clip_norm": 1.0, "optimizer": "sgd"}``).

    >>> import numpy as np
    >>> t = np.arange(200.0)
    >>> f = RNNForecaster(horizon=3, window=12, hidden_size=8, epochs=2).fit(np.sin(t / 4))
    >>> f.predict().shape
    (3, 1)
    """

    _estimator_type = "regressor"

    def __init__(
        self,
        horizon: int = 12,
        window: int = 48,
        cell: str = "lstm",
        hidden_size: int = 32,
        num_layers: int = 1,
        dropout: float = 0.0,
        epochs: int = 50,
        max_steps: int | None = None,
        max_time: float | None = None,
        lr: float = 3e-3,
        batch_size: int = 32,
        seed: int | None = 0,
        progress: bool = False,
        val_fraction: float = 0.0,
        train_options: dict[str, Any] | None = None,
    ) -> None:
        self.horizon = horizon
        self.window = window
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.epochs = epochs
        self.max_steps = max_steps
        self.max_time = max_time
        self.lr = lr
        self.batch_size = batch_size
        self.seed = seed
        self.progress = progress
        self.val_fraction = val_fraction
        self.train_options = train_options

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> None:
        check_int(self.horizon, "horizon", minimum=1)
        check_int(self.window, "window", minimum=1)
        check_choice(self.cell, "cell", _CELLS)
        check_int(self.hidden_size, "hidden_size", minimum=1)
        check_int(self.num_layers, "num_layers", minimum=1)
        check_int(self.epochs, "epochs", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        if self.max_steps is not None:
            check_int(self.max_steps, "max_steps", minimum=1)
        if self.max_time is not None and not (
            isinstance(self.max_time, int | float) and self.max_time > 0
        ):
            raise SeqlabValueError(f"max_time must be a number of seconds > 0; got "
                                   f"{self.max_time!r}.")
        if not (isinstance(self.val_fraction, int | float) and 0.0 <= self.val_fraction < 1.0):
            raise SeqlabValueError(f"val_fraction must be in [0, 1); got {self.val_fraction!r}.")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise SeqlabValueError(f"dropout must be in [0, 1); got {self.dropout}.")
        if self.dropout and self.num_layers == 1:
            raise SeqlabValueError(f"dropout={self.dropout} acts between stacked layers, so with "
                                   "num_layers=1 it would be ignored; use num_layers >= 2 "
                                   "(--layers) or leave dropout at 0.")

    def _windows(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (N, window, k) and targets (N, horizon * k) of every window of ``z``."""
        w, h = self.window, self.horizon
        n = z.shape[0] - w - h + 1
        idx = np.arange(n)[:, None]
        x = z[idx + np.arange(w)[None, :]]  # (N, w, k)
        y = z[idx + w + np.arange(h)[None, :]]  # (N, h, k)
        last = x[:, -1:, :]  # (N, 1, k): each window is read relative to its last value
        return x - last, (y - last).reshape(n, -1)

    def _config(self, n_windows: int) -> Any:
        """The TrainConfig of this fit (``n_windows`` training windows)."""
        from seqlab.training import TrainConfig

        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        kwargs: dict[str, Any] = {"epochs": self.epochs, "lr": float(self.lr),
                                  "batch_size": self.batch_size, "seed": self.seed,
                                  "progress": bool(self.progress),
                                  "max_steps": self.max_steps, "max_time": self.max_time}
        extra = dict(self.train_options or {})
        clash = sorted(set(extra) & {*kwargs, "val_fraction"})
        unknown = sorted(set(extra) - fields)
        if clash or unknown:
            why = "are RNNForecaster's own parameters" if clash else "are not TrainConfig fields"
            raise SeqlabValueError(f"train_options: {', '.join(clash + unknown)} {why}; pass "
                                   "them as RNNForecaster(...) arguments or drop them.")
        kwargs.update(extra)
        if self.max_steps is not None:
            # the step budget decides: epochs only needs to be large enough to reach it
            steps_per_epoch = math.ceil(n_windows / self.batch_size)
            kwargs["epochs"] = max(1, math.ceil(self.max_steps / steps_per_epoch))
        return TrainConfig(**kwargs)

    def fit(self, y: Any) -> Self:
        """Fit the scaler and train the network on every window of ``y``; returns self."""
        import torch

        from seqlab.recurrent.patterns import SequenceClassifier
        from seqlab.training import Trainer

        self._check_params()
        values, names, dates, freq = as_series(y)
        need = self.window + self.horizon
        if values.shape[0] < need:
            raise SeqlabValueError(f"y has {values.shape[0]} rows; window={self.window} + "
                                   f"horizon={self.horizon} needs at least {need}.")
        self.scaler_ = StandardScaler().fit(values)
        z = self.scaler_.transform(values)
        x, target = self._windows(z)
        k = values.shape[1]
        cell = cast(Literal["elman", "leaky", "skip", "lstm", "gru"], self.cell)
        model = SequenceClassifier(k, self.hidden_size, self.horizon * k, cell=cell,
                                   num_layers=self.num_layers, dropout=float(self.dropout),
                                   seed=self.seed)
        xt = torch.tensor(x, dtype=torch.float32)
        yt = torch.tensor(target, dtype=torch.float32)
        n_val = round(float(self.val_fraction) * x.shape[0])
        n_fit = x.shape[0] - n_val - (self.horizon - 1 if n_val else 0)
        if n_val and n_fit < 1:
            raise SeqlabValueError(f"val_fraction={self.val_fraction} leaves no training "
                                   f"window of the {x.shape[0]}; use a smaller fraction.")
        # chronological split: validation = the last windows; the horizon - 1 windows before
        # them are dropped so that no training target overlaps a validation target
        data = (xt[:n_fit], yt[:n_fit])
        val = (xt[-n_val:], yt[-n_val:]) if n_val else None
        trainer = Trainer(model, self._config(n_fit), loss="mse")
        trainer.fit(data, val)
        epochs = trainer.history.epochs
        losses = [e.train_loss for e in epochs]
        self.val_loss_curve_ = [float(e.val_loss) for e in epochs if e.val_loss is not None]
        model.eval()
        self.model_ = model.to("cpu")  # forecasts run on the CPU whatever device trained it
        self.columns_ = names
        self.n_features_in_ = k
        self.freq_ = freq
        self.last_date_ = None if dates is None else str(dates[-1])
        self.last_window_ = values[-self.window:].copy()
        self.n_steps_ = int(trainer.step)
        self.loss_curve_ = [float(v) for v in losses]
        return self

    # ------------------------------------------------------------------ forecasting
    def _history(self, history: Any) -> tuple[np.ndarray, np.ndarray | None, str | None]:
        if history is None:
            last = None if self.last_date_ is None else np.datetime64(self.last_date_, "ns")
            return self.last_window_, None if last is None else np.array([last]), self.freq_
        values, _names, dates, freq = as_series(history)
        if values.shape[1] != self.n_features_in_:
            raise SeqlabValueError(f"history has {values.shape[1]} column(s) but the forecaster "
                                   f"was trained on {self.n_features_in_} "
                                   f"({', '.join(self.columns_)}).")
        if values.shape[0] < self.window:
            raise SeqlabValueError(f"history has {values.shape[0]} rows; the forecaster reads the "
                                   f"last window={self.window}, so it needs at least that many.")
        return values, dates, freq or self.freq_

    def _horizon(self, horizon: int | None) -> int:
        if horizon is None:
            return int(self.horizon)
        h = check_int(horizon, "horizon", minimum=1)
        if h > self.horizon:
            raise SeqlabValueError(f"horizon={h} is longer than the {self.horizon} steps this "
                                   "forecaster was trained for; ask for at most that many, or "
                                   "train again with a longer --horizon.")
        return h

    def predict(self, history: Any = None, horizon: int | None = None) -> np.ndarray:
        """Forecast (horizon, k) in original units after the last row of ``history``.

        ``history``: at least ``window`` rows shaped like the training data; None forecasts
        after the end of the data given to ``fit``.
        """
        import torch

        check_is_fitted(self, "model_")
        h = self._horizon(horizon)
        values, _, _ = self._history(history)
        z = self.scaler_.transform(values[-self.window:])
        last = z[-1:]  # (1, k)
        with torch.no_grad():
            x = torch.tensor((z - last)[None], dtype=torch.float32)
            out = self.model_(x)[0].double().numpy()
        out = out.reshape(self.horizon, self.n_features_in_)[:h] + last
        return np.asarray(self.scaler_.inverse_transform(out))

    def forecast(self, history: Any = None, horizon: int | None = None) -> Any:
        """:meth:`predict` as a DataFrame: one column per series, indexed by the future dates
        (when the dates and their frequency are known) or by the step ``1..horizon``."""
        import pandas as pd

        check_is_fitted(self, "model_")
        pred = self.predict(history, horizon)
        _, dates, freq = self._history(history)
        future = future_dates(None if dates is None else dates[-1], freq, pred.shape[0])
        if future is not None:
            index = pd.DatetimeIndex(future, name="date")
        else:
            index = pd.RangeIndex(1, pred.shape[0] + 1, name="step")
        return pd.DataFrame(pred, index=index, columns=self.columns_)

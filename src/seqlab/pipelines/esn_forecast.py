"""``ESNForecaster``: the one echo state network forecaster of a univariate series.

Direct multi-step forecasting (Taieb et al. 2012's "MIMO" strategy) with a leaky echo state
network (Jaeger 2001; Lukosevicius 2012, "A practical guide to applying ESNs"): the series
(or, with ``learn_differences=s``, its seasonal differences ``z_t = y_t - y_{t-s}``) is
standardised, ``u_t = (z_t - mu) / sd``; the reservoir reads ``u_t`` (or standardised
features ``X_t`` observed at ``t``) and a ridge readout of ``[x_t; u_t]`` gives the next
``h`` values at once:

    x_t = (1 - a) x_{t-1} + a tanh(W_in u_t + W x_{t-1} + b),
    [u_{t+1}, ..., u_{t+h}] ~ W_out^T [x_t; u_t] + c,
    yhat_{t+j} = sd * uhat_{t+j} + mu (+ y_{t+j-s} with learn_differences=s >= h).

This is the recipe of ``seqlab compare``'s ``esn`` rows, of :class:`seqlab.scale.ESNForecaster`
(``seqlab forecast-many --model esn``) and of the sktime adapter
:class:`seqlab.interop.ESNForecaster`, which all use this class.

Intervals (a decision, documented): in-sample residuals of a ridge readout with as many
weights as there are training windows are far too small, so they are not used. With
``holdout > 0`` the last ``holdout`` share of the training windows is held out, a readout
is fitted on the windows before it (their targets end before the held-out targets begin),
and ``rmse_[j]`` is the root-mean-square error of its ``j+1``-step forecasts on the held-out
windows; the direct model forecasts every step itself, so no propagation over the horizon
is needed. The point forecasts come from a second readout fitted on all windows. Fewer than
``MIN_HOLDOUT`` held-out windows give no honest estimate: ``rmse_`` is then NaN and so are
the intervals (``seqlab.scale``'s ``ESN-lo-*``/``ESN-hi-*`` columns). Files saved by the old
``seqlab.scale.ESNForecaster`` load into this class with their stored forecasts and their
stored (in-sample, optimistic) ``rmse_``: ``predict`` and ``interval`` work, ``update`` and
``predict_path`` need a refit (those files held no reservoir).
"""

from __future__ import annotations

import warnings
from typing import Any, Self

import numpy as np

from seqlab._validation import SeedLike, as_float_array, check_int, check_is_fitted
from seqlab.base import BaseEstimator
from seqlab.classical.ar import _normal_quantile
from seqlab.exceptions import SeqlabValueError

__all__ = ["MIN_HOLDOUT", "ESNForecaster"]

#: the fewest held-out windows that give an interval (fewer: NaN intervals)
MIN_HOLDOUT = 10


class ESNForecaster(BaseEstimator):
    """Forecast the next ``horizon`` values of one series with an echo state network.

    ``washout=None`` drops ``max(min(50, n // 4), learn_differences)`` initial states.
    ``scale_window=m`` standardises with the first ``m`` values only (``seqlab compare``
    uses its training part, so the validation part does not leak into the scaling); None
    uses all. ``n_units`` is used as given: a reservoir with more units than training
    windows gets a warning naming ``n_units`` (the ridge penalty then decides the readout).

    ============== ========== ================================================
    ``y``          (n,)       the series (finite, real)
    ``X``          (n, F)     optional features observed at ``t`` (the inputs)
    ``mean_``      (h,)       forecasts of ``y_{n+1..n+h}`` after the last value seen
    ``rmse_``      (h,)       held-out error of each step ahead (NaN: no interval)
    ``predict_path()`` (n, h) forecasts from every origin of the history
    ============== ========== ================================================

    >>> import numpy as np
    >>> y = np.sin(np.arange(200) * 0.3)
    >>> f = ESNForecaster(n_units=50, horizon=3, seed=0).fit(y)
    >>> bool(np.abs(f.predict() - np.sin(np.arange(200, 203) * 0.3)).max() < 0.05)
    True
    >>> f.update(np.sin(np.arange(200, 210) * 0.3)).predict().shape  # origin moves, no refit
    (3,)
    """

    def __init__(
        self,
        n_units: int = 100,
        *,
        horizon: int = 1,
        spectral_radius: float = 0.9,
        connectivity: float = 0.1,
        leak_rate: float = 0.5,
        input_scaling: float = 0.5,
        bias_scaling: float = 0.2,
        ridge: float = 1e-2,
        washout: int | None = None,
        input_to_readout: bool = True,
        learn_differences: int = 0,
        scale_window: int | None = None,
        holdout: float = 0.2,
        seed: SeedLike = 0,
    ) -> None:
        self.n_units = n_units
        self.horizon = horizon
        self.spectral_radius = spectral_radius
        self.connectivity = connectivity
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.ridge = ridge
        self.washout = washout
        self.input_to_readout = input_to_readout
        self.learn_differences = learn_differences
        self.scale_window = scale_window
        self.holdout = holdout
        self.seed = seed

    # ------------------------------------------------------------------ helpers
    def _esn(self, washout: int) -> Any:
        from seqlab.reservoir import EchoStateNetwork

        return EchoStateNetwork(
            check_int(self.n_units, "n_units", minimum=1), spectral_radius=self.spectral_radius,
            connectivity=self.connectivity, input_scaling=self.input_scaling,
            bias_scaling=self.bias_scaling, leak_rate=self.leak_rate, ridge=self.ridge,
            washout=washout, input_to_readout=self.input_to_readout, seed=self.seed,
        )

    def _z(self, y: np.ndarray) -> np.ndarray:
        """The learned series: ``y`` or ``y_t - y_{t-s}`` (0 for the first ``s``)."""
        s = self.differences_
        return np.r_[np.zeros(s), y[s:] - y[:-s]] if s else y

    def _inputs(self, y: np.ndarray, X: np.ndarray | None) -> np.ndarray:
        """The reservoir's inputs (n, F): standardised ``z`` or standardised ``X``."""
        # column statistics as for features (seqlab compare's inputs, to the last bit)
        U = self._z(y)[:, None] if X is None else X
        return (U - self.x_center_) / self.x_scale_

    @staticmethod
    def _check_y(y: Any, name: str = "y") -> np.ndarray:
        arr = as_float_array(y, name, ndim=1)
        if not np.all(np.isfinite(arr)):
            raise SeqlabValueError(f"{name} has missing or infinite values; fill or drop them.")
        return arr

    def _check_X(self, X: Any, n: int, name: str = "X") -> np.ndarray | None:
        if X is None:
            return None
        arr = as_float_array(X, name, ndim=(1, 2))
        arr = arr[:, None] if arr.ndim == 1 else arr
        if arr.shape[0] != n:
            raise SeqlabValueError(f"{name} has {arr.shape[0]} rows but y has {n} values; give "
                                   "one row of features per value.")
        if not np.all(np.isfinite(arr)):
            raise SeqlabValueError(f"{name} has missing or infinite values; fill or drop them.")
        return arr

    # ------------------------------------------------------------------ fitting
    def fit(self, y: Any, X: Any = None, *, horizon: int | None = None) -> Self:
        """Fit the readout to the next ``horizon`` values (the constructor's by default);
        sets ``mean_`` (the forecast after the last value) and ``rmse_``."""
        h = check_int(self.horizon if horizon is None else horizon, "horizon", minimum=1)
        s = check_int(self.learn_differences, "learn_differences", minimum=0)
        y = self._check_y(y)
        n = y.size
        X = self._check_X(X, n)
        if s and (X is not None or s < h):
            raise SeqlabValueError(
                f"learn_differences={s} needs X=None and a lag of at least the horizon ({h}): "
                "the forecast adds back y_{t+j-s}, which must be observed at the origin t.")
        washout = (max(min(50, n // 4), s) if self.washout is None
                   else check_int(self.washout, "washout", minimum=0))
        if n - h <= washout:
            raise SeqlabValueError(
                f"y has {n} values: too short for horizon {h} after a washout of {washout}; "
                f"give at least {washout + h + 1} values or lower washout.")
        holdout = float(self.holdout)
        if not 0.0 <= holdout < 1.0:
            raise SeqlabValueError(f"holdout must be in [0, 1); got {self.holdout!r}.")
        m = n if self.scale_window is None else check_int(
            self.scale_window, "scale_window", minimum=s + 1)
        units = check_int(self.n_units, "n_units", minimum=1)
        if units > n - h - washout:
            warnings.warn(
                f"n_units={units} exceeds the {n - h - washout} training windows after the "
                f"washout; the readout is underdetermined and set by ridge={self.ridge}. Lower "
                "n_units for a short series.", UserWarning, stacklevel=2)
        self.differences_ = s
        z = self._z(y)
        self.center_ = float(z[s:m].mean())
        self.scale_ = float(z[s:m].std()) or 1.0
        F = z[:, None] if X is None else X
        self.features_ = X is not None
        self.x_center_ = F[s:m].mean(0)
        xs = F[s:m].std(0)
        xs[xs == 0] = 1.0
        self.x_scale_ = xs
        U = self._inputs(y, X)
        zn = (z - self.center_) / self.scale_
        targets = zn[np.arange(n - h)[:, None] + np.arange(1, h + 1)]  # (n - h, h)
        self.horizon_ = h
        self.washout_ = washout
        self.rmse_ = self._holdout_rmse(U, targets, washout, holdout)
        self.esn_ = self._esn(washout).fit(U[: n - h], targets)
        self.y_ = y
        self.X_ = X
        self.mean_ = self.predict_path()[-1]
        return self

    def _holdout_rmse(self, U: np.ndarray, targets: np.ndarray, washout: int,
                      holdout: float) -> np.ndarray:
        """Held-out RMSE of each step ahead (units of y), NaN without enough windows."""
        h = targets.shape[1]
        k = targets.shape[0] - washout  # usable training windows
        n_hold = round(holdout * k)
        train = targets.shape[0] - n_hold - (h - 1)  # windows whose targets precede the held-out
        if n_hold < MIN_HOLDOUT or train - washout < 1:
            return np.full(h, np.nan)
        esn = self._esn(washout).fit(U[:train], targets[:train])
        P = np.asarray(esn.predict(U[: targets.shape[0]])).reshape(-1, h)
        err = P[-n_hold:] - targets[-n_hold:]
        return np.sqrt(np.mean(err**2, axis=0)) * self.scale_

    # ------------------------------------------------------------------ forecasting
    def predict_path(self, y: Any = None, X: Any = None) -> np.ndarray:
        """Forecasts (n, h) from every origin ``t`` of the history ``y`` (default: the one
        seen by ``fit``/``update``): row ``t`` forecasts ``y_{t+1..t+h}``. The reservoir
        starts from rest at ``y[0]``; rows before ``learn_differences`` are NaN."""
        check_is_fitted(self, "esn_")
        if y is None:
            y, X = self.y_, self.X_
        else:
            y = self._check_y(y)
            X = self._check_X(X, y.size)
        if (X is None) == self.features_:
            raise SeqlabValueError("give X exactly when the forecaster was fitted with X.")
        n, h, s = y.size, self.horizon_, self.differences_
        P = np.asarray(self.esn_.predict(self._inputs(y, X))).reshape(n, h)
        out = P * self.scale_ + self.center_
        if s:
            idx = np.arange(n)[:, None] + np.arange(1, h + 1) - s  # y_{t+j-s}
            back = np.where(idx >= 0, y[np.clip(idx, 0, None)], np.nan)
            out = out + back
        return out

    def update(self, y_new: Any, X_new: Any = None) -> Self:
        """Read new observations after the history (the origin moves) without refitting."""
        check_is_fitted(self, "esn_")
        y_new = self._check_y(y_new, "y_new")
        X_new = self._check_X(X_new, y_new.size, "X_new")
        if (X_new is None) != (self.X_ is None):
            raise SeqlabValueError("give X_new exactly when the forecaster was fitted with X.")
        self.y_ = np.r_[self.y_, y_new]
        if X_new is not None:
            self.X_ = np.vstack([self.X_, X_new])
        self.mean_ = self.predict_path()[-1]
        return self

    def predict(self, h: int | None = None) -> np.ndarray:
        """The forecasts (h,) of the next ``h <= horizon_`` values after the last seen."""
        check_is_fitted(self, "mean_")
        h = self.horizon_ if h is None else check_int(h, "h", minimum=1)
        if h > self.horizon_:
            raise SeqlabValueError(f"h={h} is beyond the horizon the readout was trained for "
                                   f"({self.horizon_}); fit again with horizon={h}.")
        return np.asarray(self.mean_[:h]).copy()

    forecast = predict

    def interval(self, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` (h,) of the ``1 - alpha`` Gaussian interval
        ``mean_ -/+ z_{1 - alpha/2} rmse_``; NaN where ``rmse_`` is (see the module)."""
        check_is_fitted(self, "mean_")
        q = _normal_quantile(1.0 - alpha / 2.0)
        return self.mean_ - q * self.rmse_, self.mean_ + q * self.rmse_

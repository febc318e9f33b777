"""The echo state network forecaster of ``seqlab compare``, for one series at a time.

The recipe is the one :mod:`seqlab.applications._forecast` runs (direct multi-step): the
series is standardised, ``z_t = (y_t - mean) / sd``; the reservoir reads ``z_t`` and a ridge
readout maps its state (and ``z_t``) to the next ``h`` values ``z_{t+1..t+h}``:

    x_t = (1 - a) x_{t-1} + a tanh(W_in z_t + W x_{t-1} + b),
    [z_{t+1}, ..., z_{t+h}] ~ W_out^T [x_t; z_t] + c.

The forecast is the readout at the last time step. Intervals are Gaussian with the
in-sample root-mean-square error of each step ahead ``j`` (after the washout):
``mean_j -/+ z_{1 - alpha/2} rmse_j``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab._validation import SeedLike, check_int
from seqlab.base import BaseEstimator
from seqlab.classical.ar import _normal_quantile
from seqlab.exceptions import SeqlabValueError

__all__ = ["ESNForecaster"]


class ESNForecaster(BaseEstimator):
    """Direct multi-step ESN forecaster (``seqlab compare``'s ``esn``) for one series.

    ``n_units`` is capped at half the training steps (at least 20) as in ``seqlab compare``;
    ``washout=None`` takes ``min(50, n // 4)``.

    ========== ======== ==========================================
    ``y``      (n,)     the series (finite, not constant)
    ``mean_``  (h,)     forecasts of ``y_{n+1..n+h}``
    ``rmse_``  (h,)     in-sample error of each step ahead (units of y)
    ========== ======== ==========================================

    >>> import numpy as np
    >>> y = np.sin(np.arange(200) * 0.3)
    >>> f = ESNForecaster(n_units=50, seed=0).fit(y, horizon=3)
    >>> bool(np.abs(f.mean_ - np.sin(np.arange(200, 203) * 0.3)).max() < 0.05)
    True
    """

    def __init__(
        self,
        n_units: int = 100,
        *,
        spectral_radius: float = 0.9,
        leak_rate: float = 0.5,
        input_scaling: float = 0.5,
        bias_scaling: float = 0.2,
        ridge: float = 1e-2,
        washout: int | None = None,
        seed: SeedLike = 0,
    ) -> None:
        self.n_units = n_units
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.ridge = ridge
        self.washout = washout
        self.seed = seed

    def fit(self, y: Any, horizon: int = 1) -> ESNForecaster:
        """Fit the readout to the next ``horizon`` values; sets ``mean_`` and ``rmse_``."""
        from seqlab.reservoir import EchoStateNetwork

        h = check_int(horizon, "horizon", minimum=1)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1:
            raise SeqlabValueError(f"y must be one series (n,); got shape {y.shape}.")
        if not np.all(np.isfinite(y)):
            raise SeqlabValueError("y has missing or infinite values; fill or drop them.")
        n = y.size
        washout = min(50, n // 4) if self.washout is None else check_int(
            self.washout, "washout", minimum=0)
        if n - h <= washout + 1:
            raise SeqlabValueError(
                f"y has {n} values: too short for horizon {h} after a washout of {washout}; "
                f"give at least {washout + h + 2} values."
            )
        mu, sd = float(y.mean()), float(y.std())
        if sd == 0.0:
            raise SeqlabValueError("y is constant: there is nothing for an ESN to learn.")
        z = (y - mu) / sd
        targets = z[np.arange(n - h)[:, None] + np.arange(1, h + 1)]  # (n - h, h)
        esn = EchoStateNetwork(
            min(check_int(self.n_units, "n_units", minimum=1), max(20, (n - h) // 2)),
            spectral_radius=self.spectral_radius, leak_rate=self.leak_rate,
            input_scaling=self.input_scaling, bias_scaling=self.bias_scaling,
            ridge=self.ridge, washout=washout, input_to_readout=True, seed=self.seed,
        )
        esn.fit(z[: n - h, None], targets)
        P = np.asarray(esn.predict(z[:, None])).reshape(n, h)  # readout at every t
        err = P[washout : n - h] - targets[washout:]
        self.mean_ = P[-1] * sd + mu
        self.rmse_ = np.sqrt(np.mean(err**2, axis=0)) * sd
        self.horizon_ = h
        return self

    def interval(self, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` of the ``1 - alpha`` Gaussian interval, each (h,)."""
        z = _normal_quantile(1.0 - alpha / 2.0)
        return self.mean_ - z * self.rmse_, self.mean_ + z * self.rmse_


def esn_per_series(model: ESNForecaster, tasks: list, h: int, levels) -> Any:
    """One :class:`ESNForecaster` per task."""
    from seqlab.scale._models import Results, alphas, clone

    res = Results(len(tasks), h, len(levels))
    for i, t in enumerate(tasks):
        try:
            if t.X is not None:
                raise SeqlabValueError("ESNForecaster takes no exogenous regressors.")
            f = clone(model).fit(t.y, horizon=h)
            res.mean[i] = f.mean_
            for j, a in enumerate(alphas(levels)):
                res.lo[i, j], res.hi[i, j] = f.interval(a)
        except Exception as err:
            res.fail(i, err)
    return res

"""Seasonal models of the forecasting protocol: seasonal naive and a frozen SARIMA.

The protocol of :mod:`seqlab.applications._forecast` forecasts from every test origin with
the parameters fixed after training. A fitted :class:`seqlab.classical.SARIMAX` (or the
model that :class:`seqlab.classical.AutoARIMA` chose) is run there in its AR(inf) form on
the differenced series ``w = (1 - B)^d (1 - B^s)^D y``::

    phi(B) Phi(B^s) (w_t - mu) = theta(B) Theta(B^s) e_t,   mu = c / (phi(1) Phi(1))

(``c`` the fitted intercept, statsmodels' SARIMAX form), whose forecasts are integrated back
to ``y``; the ``h``-step standard error is ``sqrt(sigma2 sum_{j<h} psi_j^2)`` with the psi
weights of the full model, differencing included (Brockwell & Davis §9.5). Both are the
Kalman filter's forecasts once the filter has converged (long histories), without
refitting at each origin.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from seqlab.applications._common import ar_inf_forecast, power_series_ratio
from seqlab.exceptions import SeqlabValueError

__all__ = ["frozen_sarima_forecasts", "sarima_polynomials", "seasonal_naive"]


def seasonal_naive(y: np.ndarray, origins: np.ndarray, horizon: int, season: int
                   ) -> np.ndarray:
    """``y_hat[t + j] = y[t + j - s ceil(j / s)]``: the value one season earlier (n, h).

    >>> seasonal_naive(np.arange(8.0), np.array([5]), 3, 4).tolist()
    [[2.0, 3.0, 4.0]]
    """
    j = np.arange(1, horizon + 1)
    back = season * np.ceil(j / season).astype(int)
    return y[origins[:, None] + j - back]


def _poly(coefs: dict[int, float], sign: float) -> np.ndarray:
    size = max(coefs, default=0) + 1
    out = np.zeros(size)
    out[0] = 1.0
    for lag, v in coefs.items():
        out[lag] += sign * v
    return out


def sarima_polynomials(model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """``(a, m, delta, c, sigma2)`` of a fitted SARIMAX: the AR polynomial
    ``phi(B) Phi(B^s)``, the MA polynomial ``theta(B) Theta(B^s)``, the differencing
    ``(1 - B)^d (1 - B^s)^D`` (coefficient arrays, lag 0 first), the intercept and the
    innovation variance. Refuses drift/time trends and regressors, which the AR(inf) run of
    the protocol does not carry."""
    names, params = list(model.param_names_), np.asarray(model.params_, dtype=np.float64)
    ar: dict[int, float] = {}
    ma: dict[int, float] = {}
    sar: dict[int, float] = {}
    sma: dict[int, float] = {}
    c, sigma2 = 0.0, float("nan")
    for name, v in zip(names, params, strict=True):
        match = re.fullmatch(r"(ar|ma)(\.S)?\.L(\d+)", name)
        if match:
            kind, seasonal, lag = match.group(1), match.group(2), int(match.group(3))
            target = (sar if kind == "ar" else sma) if seasonal else (ar if kind == "ar" else ma)
            target[lag] = float(v)
        elif name == "intercept":
            c = float(v)
        elif name == "sigma2":
            sigma2 = float(v)
        else:
            raise SeqlabValueError(
                f"the frozen SARIMA forecasts handle an intercept and ARMA terms only; the "
                f"model has {name!r} (a drift, time trend or regressor); fit it without")
    a = np.convolve(_poly(ar, -1.0), _poly(sar, -1.0))
    m = np.convolve(_poly(ma, 1.0), _poly(sma, 1.0))
    d, D = int(model.order[1]), int(model.seasonal_order[1])
    s = int(model.seasonal_order[3])
    delta = np.array([1.0])
    for _ in range(d):
        delta = np.convolve(delta, [1.0, -1.0])
    for _ in range(D):
        delta = np.convolve(delta, np.r_[1.0, np.zeros(s - 1), -1.0])
    return a, m, delta, c, sigma2


def frozen_sarima_forecasts(model: Any, y: np.ndarray, origins: np.ndarray, horizon: int,
                            n_lags: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Forecasts (n, h) of ``y`` from each origin (last observed index) with the fitted
    ``model``'s parameters, and their standard errors (h,); see the module docstring."""
    a, m, delta, c, sigma2 = sarima_polynomials(model)
    k = delta.size - 1  # observations the differencing uses up
    if origins.min() < k:
        raise SeqlabValueError(f"every forecast origin must come after the first {k} "
                               "observations, which the differencing uses up")
    w = np.convolve(y, delta)[k:y.size]  # w[i] is the differenced value at time i + k
    mu = c / float(a.sum())
    pi = power_series_ratio(a, m, n_lags)
    wf = ar_inf_forecast(w - mu, origins - k, pi, horizon) + mu  # (n, h)
    pred = np.empty_like(wf)
    for i, t in enumerate(origins):
        buf = np.r_[y[t + 1 - k:t + 1] if k else np.zeros(0), np.zeros(horizon)]
        for j in range(horizon):  # y_t = w_t - sum_{l>=1} delta_l y_{t-l}
            past = buf[k + j - 1::-1][:k] if k else np.zeros(0)
            buf[k + j] = wf[i, j] - float(delta[1:] @ past)
        pred[i] = buf[k:]
    psi = power_series_ratio(m, np.convolve(a, delta), horizon - 1)
    se = np.sqrt(sigma2 * np.cumsum(psi**2))
    return pred, se

"""One forecasting protocol shared by the sunspot, stock and weather tasks.

The series is split in time: train (``train`` fraction), validation (``validation``), test
(the rest). Models are fitted on train (+ validation for the classical ones; the networks
use validation only to keep their best epoch), then forecast ``horizon`` steps from every
origin ``t`` whose targets ``y[t+1..t+h]`` all lie in the test part, with the history up to
``t`` only (parameters frozen). Models:

============ ===================================================================
``naive``    persistence / random walk: ``y_hat[t+j] = y[t]``
``drift``    the training mean of ``y`` (for returns: random walk with drift)
``ar``       :class:`seqlab.classical.AR` of order ``ar_order``, run as AR(inf)
``arima``    :class:`seqlab.classical.ARIMA` ``arima_order``, run as AR(inf)
``snaive``   seasonal naive: the value one season (``season``) earlier
``sarima``   :class:`seqlab.classical.SARIMAX` ``arima_order`` x ``seasonal_order``, run
             as AR(inf) (:mod:`seqlab.applications._seasonal`)
``autoarima`` the SARIMA that :class:`seqlab.classical.AutoARIMA` chooses, run the same way
``esn``      :class:`seqlab.pipelines.ESNForecaster`, inputs = the features at t,
             readout -> the next ``horizon`` targets (direct multi-step)
``elman``,   pattern-3 :class:`seqlab.recurrent.SequenceClassifier` reading the last
``gru``,     ``lags`` feature vectors, output = the next ``horizon`` targets
``lstm``
============ ===================================================================

Besides the errors, every model with prediction intervals (``ar``, ``arima``, ``sarima``,
``autoarima``: Gaussian intervals from the psi weights and the fitted innovation variance)
reports their coverage on the test targets (``cover80``, ``cover95``: the share inside the
80 % and 95 % bands); the point forecasters report NaN there (shown as "n/a").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab.applications._common import (
    ModelResult,
    RunContext,
    ar_inf_forecast,
    arima_pi_weights,
    forecast_metrics,
    interval_coverage,
    power_series_ratio,
)
from seqlab.applications._neural import RNN_CELLS, RNN_IMPL, fit_network, predict_network
from seqlab.exceptions import SeqlabValueError

FORECAST_MODELS: tuple[str, ...] = ("naive", "snaive", "drift", "ar", "arima", "sarima",
                                    "autoarima", "esn", "elman", "gru", "lstm")


@dataclass
class ForecastOutput:
    """Predictions of every model on the test origins, plus the truth and the curves."""

    origins: np.ndarray  # (n,) last observed index of each forecast
    truth: np.ndarray  # (n, h) in the units of y
    preds: dict[str, np.ndarray] = field(default_factory=dict)  # model -> (n, h)
    rows: list[ModelResult] = field(default_factory=list)
    curves: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    n_train: int = 0
    n_val: int = 0


def run_forecast(ctx: RunContext, y: np.ndarray, X: np.ndarray | None = None, *,
                 horizon: int, lags: int, ar_order: int, arima_order: tuple[int, int, int],
                 models: tuple[str, ...], train: float = 0.7, validation: float = 0.15,
                 naive: str = "last", extra_metrics=None, season: int = 0,
                 seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0),
                 learn_differences: int = 0) -> ForecastOutput:
    """Run the protocol of the module docstring on ``y`` (T,) with features ``X`` (T, F)
    (default: ``y`` alone); ``extra_metrics(pred, truth, origins) -> dict`` adds metrics.
    ``naive="zero"`` makes the naive forecast 0 (a random walk's return) instead of the
    last value. ``season`` is the period of ``snaive`` and ``autoarima``; ``sarima`` fits
    ``arima_order`` x ``seasonal_order`` (no constant). ``learn_differences=s`` (> 0, at
    least ``horizon``) has the ESN and the networks learn and forecast ``y_t - y_{t-s}``
    (a trending seasonal series leaves the training range; its seasonal differences do
    not) and adds back ``y_{t-s}``, which is observed at every origin."""
    from seqlab.classical import AR, ARIMA
    from seqlab.pipelines import ESNForecaster

    y = np.asarray(y, dtype=np.float64)
    T = y.size
    X_given = X
    s_lag = int(learn_differences)
    if s_lag:
        if X is not None or s_lag < horizon:
            raise SeqlabValueError("learn_differences needs X=None and a lag >= horizon")
        # z_t = y_t - y_{t-s}; the first s values have no lag and stay out of the fits
        z = np.r_[np.zeros(s_lag), y[s_lag:] - y[:-s_lag]]
    else:
        z = y
    X = z[:, None] if X is None else np.asarray(X, dtype=np.float64)
    n_train = int(train * T)
    n_val = int(validation * T)
    n_fit = n_train + n_val
    origins = np.arange(n_fit - 1, T - horizon)
    truth = y[origins[:, None] + np.arange(1, horizon + 1)]
    out = ForecastOutput(origins, truth, n_train=n_train, n_val=n_val)
    mu, sd = z[s_lag:n_train].mean(), z[s_lag:n_train].std() or 1.0
    xm, xs = X[s_lag:n_train].mean(0), X[s_lag:n_train].std(0)
    xs[xs == 0] = 1.0
    Xn = (X - xm) / xs
    yn = (z - mu) / sd
    # what the learned models add back to their forecasts of z: y_{t+j-s}, (n, h)
    back = y[origins[:, None] + np.arange(1, horizon + 1) - s_lag] if s_lag else 0.0
    b = ctx.budget
    for name in models:
        ctx.tick(name)
        seconds = 0.0
        note = ""
        se = None  # (h,) forecast standard errors of the models that have intervals
        if name == "snaive":
            from seqlab.applications._seasonal import seasonal_naive

            if season < 2:
                raise SeqlabValueError("the seasonal naive model needs season >= 2")
            pred = seasonal_naive(y, origins, horizon, season)
        elif name in ("sarima", "autoarima"):
            import time

            from seqlab.applications._seasonal import frozen_sarima_forecasts

            start = time.perf_counter()
            model = _fit_sarima(name, y[:n_fit], arima_order, seasonal_order, season)
            seconds = time.perf_counter() - start
            (p, d, q), (P, D, Q, s) = model.order, model.seasonal_order
            note = f"SARIMA({p},{d},{q})({P},{D},{Q}){s} trend {model.trend!r}"
            pred, se = frozen_sarima_forecasts(model, y, origins, horizon)
        elif name == "naive":
            last = np.zeros(origins.size) if naive == "zero" else y[origins]
            pred = np.repeat(last[:, None], horizon, axis=1)
        elif name == "drift":
            pred = np.full_like(truth, y[:n_fit].mean())
        elif name in ("ar", "arima"):
            import time

            start = time.perf_counter()
            if name == "ar":
                ar = AR(ar_order).fit(y[:n_fit])
                pi, level = arima_pi_weights(ar.params_, [], 0, ar_order), ar.mean_
                ma, sigma2 = np.zeros(0), float(ar.sigma2_)
            else:
                am = ARIMA(order=arima_order).fit(y[:n_fit])
                pi = arima_pi_weights(am.arparams_, am.maparams_, arima_order[1], 200)
                level = float(am.params_[0]) if am.param_names_[0] == "const" else 0.0
                ma, sigma2 = np.asarray(am.maparams_), float(am.sigma2_)
            seconds = time.perf_counter() - start
            pred = ar_inf_forecast(y - level, origins, pi, horizon) + level
            # psi = theta(B) / (phi(B) (1 - B)^d) = theta(B) / (pi(B) theta(B))
            pi_full = arima_pi_weights(ar.params_ if name == "ar" else am.arparams_, [],
                                       0 if name == "ar" else arima_order[1], 200)
            psi = power_series_ratio(np.r_[1.0, ma], pi_full, horizon - 1)
            se = np.sqrt(sigma2 * np.cumsum(psi**2))
        elif name == "esn":
            import time

            start = time.perf_counter()
            # a reservoir no larger than half the training steps (short monthly series),
            # standardised on the training part; no intervals (holdout=0): compare's
            # protocol scores point forecasts only. Same numbers as the inline recipe this
            # replaced, except weather (Fortran-ordered features sliced before, not after,
            # scaling): BLAS sums in another order, RMSE moved by 6e-15 degC
            esn = ESNForecaster(min(b.esn_units, max(20, n_fit // 2)), horizon=horizon,
                                learn_differences=s_lag, scale_window=n_train, holdout=0.0,
                                seed=ctx.seed)
            Xf = None if X_given is None else X[:n_fit]
            esn.fit(y[:n_fit], Xf)
            seconds = time.perf_counter() - start
            P = esn.predict_path(y[: T - horizon], None if X_given is None else X[: T - horizon])
            pred = P[origins]
        elif name in RNN_CELLS:
            from seqlab.recurrent import SequenceClassifier

            win = np.lib.stride_tricks.sliding_window_view(Xn, lags, axis=0)  # (T-L+1, F, L)
            win = np.moveaxis(win, -1, 1)  # (T-L+1, L, F): window ending at t = i + L - 1
            ends = np.arange(lags - 1, T - horizon)
            tgt = yn[ends[:, None] + np.arange(1, horizon + 1)]
            inp = win[ends - lags + 1]
            tr = (ends + horizon < n_train) & (ends - lags + 1 >= s_lag)
            va = (ends + horizon >= n_train) & (ends + horizon < n_fit)
            tr_idx = np.flatnonzero(tr)[-b.max_windows:]
            net = SequenceClassifier(X.shape[1], b.hidden, horizon, cell=RNN_CELLS[name],
                                     seed=ctx.seed, impl=RNN_IMPL)
            f32 = np.float32
            def c32(a: np.ndarray) -> np.ndarray:  # C order: windows are strided views
                return np.ascontiguousarray(a, dtype=np.float32)

            train_set = (c32(inp[tr_idx]), c32(tgt[tr_idx]))
            val_set = (c32(inp[va]), c32(tgt[va])) if va.any() else None
            tl, vl, seconds = fit_network(net, train_set, val_set, epochs=b.epochs,
                                          loss="mse", seed=ctx.seed, batch_size=64)
            out.curves[name] = (tl, vl)
            sel = origins - lags + 1
            ok = sel >= 0
            P = np.full_like(truth, np.nan)
            P[ok] = predict_network(net, inp[sel[ok]].astype(f32)) * sd + mu
            pred = P + back
        else:  # pragma: no cover - the caller filters names
            raise SeqlabValueError(f"unknown forecasting model {name!r}")
        out.preds[name] = pred
        metrics = forecast_metrics(pred, truth)
        metrics.update(interval_coverage(pred, truth, se))
        if extra_metrics is not None:
            metrics.update(extra_metrics(pred, truth, origins))
        out.rows.append(ModelResult(name, metrics, seconds, note))
    return out


def _fit_sarima(name: str, y: np.ndarray, order: tuple[int, int, int],
                seasonal_order: tuple[int, int, int, int], season: int) -> Any:
    """The fitted SARIMAX of ``sarima`` (no constant) or the model AutoARIMA chose."""
    import warnings

    if name == "sarima":
        from seqlab.classical import SARIMAX

        with warnings.catch_warnings():  # a non-converged fit still forecasts; scored as is
            warnings.simplefilter("ignore", RuntimeWarning)
            return SARIMAX(order=order, seasonal_order=seasonal_order, trend="n").fit(y)
    from seqlab.classical import AutoARIMA

    with warnings.catch_warnings():  # as for sarima: candidates that stop early are scored
        warnings.simplefilter("ignore", RuntimeWarning)
        return AutoARIMA(season_length=max(season, 1)).fit(y).model_

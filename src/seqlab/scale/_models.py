"""How each model family fits and forecasts a chunk of series.

An adapter turns a list of :class:`Task` (one training series, its regressors and the
future regressors) into forecasts ``mean`` (T, h) and interval bounds ``lo``/``hi``
(T, L, h) for the levels ``levels`` (L,), plus one error message (or None) per task:

- :class:`seqlab.classical.ARIMA`: the batch kernel, one call per group of equal-length
  series of the chunk (the kernel fits the columns of an (n, S) array independently, so a
  column's result is the one its series gets alone, bit for bit);
- anything with ``fit(y, exog)`` and ``get_forecast(steps, exog)`` (``SARIMAX``,
  ``AutoARIMA``): one fit per series;
- :class:`seqlab.classical.GaussianHMM`: one model per series; :class:`SharedHMM`: one
  model fitted on all series (hmmlearn's ``lengths``), then each series filtered by it;
- :class:`seqlab.scale.ESNForecaster`: one reservoir per series.

A series whose fit fails (too short, constant, missing values, a diverging fit) gets its
error message, never a crashed chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seqlab.base import BaseEstimator
from seqlab.classical.ar import _normal_quantile
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["SharedHMM"]


@dataclass
class Task:
    """One fit-and-forecast: ``y`` (n,), regressors ``X`` (n, k) and ``Xf`` (h, k) or None;
    ``window`` is the cross-validation window (0 for a plain forecast)."""

    y: np.ndarray
    X: np.ndarray | None = None
    Xf: np.ndarray | None = None
    window: int = 0


class Results:
    """Forecasts of one model for T tasks (NaN where the task failed)."""

    def __init__(self, T: int, h: int, L: int) -> None:
        self.mean = np.full((T, h), np.nan)
        self.lo = np.full((T, L, h), np.nan)
        self.hi = np.full((T, L, h), np.nan)
        self.error: list[str | None] = [None] * T

    def fail(self, i: int, err: BaseException) -> None:
        self.error[i] = f"{type(err).__name__}: {' '.join(str(err).split())}"


def alphas(levels: tuple[int | float, ...]) -> list[float]:
    """``alpha = (100 - level) / 100``: 80 -> 0.2 exactly, as a user would write it."""
    return [(100 - lv) / 100 for lv in levels]


def _gaussian(res: Results, i: int, mean: np.ndarray, se: np.ndarray, levels) -> None:
    """``mean -/+ z se`` with seqlab's quantile (the formula of ``ARIMA.forecast``)."""
    res.mean[i] = mean
    for j, a in enumerate(alphas(levels)):
        z = _normal_quantile(1.0 - a / 2.0)
        res.lo[i, j] = mean - z * se
        res.hi[i, j] = mean + z * se


def clone(model: Any) -> Any:
    """A fresh unfitted copy with the same constructor parameters."""
    return type(model)(**model.get_params())


# ---------------------------------------------------------------------- ARIMA (batch kernel)
def _batch_api(model: Any) -> bool:
    """``ARIMA.fit_many(Y)`` + ``get_forecast`` (the batch API), or the older ``fit`` of a
    2-D ``Y`` + ``forecast(h) -> Forecast(mean, se)``."""
    return hasattr(model, "fit_many") and hasattr(model, "get_forecast")


def _arima_one(model: Any, y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    fc = clone(model).fit(y).forecast(h)
    return fc.mean, fc.se


def arima_batch(model: Any, tasks: list[Task], h: int, levels) -> Results:
    """Fit the complete, regressor-free series of ``tasks`` with the batch kernel, one call
    per length group (also a group of one: the kernel's column results do not depend on the
    other columns, so chunking cannot change them); any other series (regressors, missing
    values, a group the kernel refuses) is fitted alone, which names its own error."""
    res = Results(len(tasks), h, len(levels))
    batch_api = _batch_api(model)
    groups: dict[int, list[int]] = {}
    alone: list[int] = []
    for i, t in enumerate(tasks):
        if t.X is not None and not batch_api:
            raise SeqlabValueError(
                "this seqlab ARIMA takes no exogenous regressors; use SARIMAX(order=..., "
                "seasonal_order=...) or AutoARIMA for series with regressors."
            )
        y = t.y
        ok = t.X is None and y.size > 0 and bool(np.all(np.isfinite(y))) and np.ptp(y) > 0
        if ok:
            groups.setdefault(y.size, []).append(i)
        else:
            alone.append(i)
    for idx in groups.values():  # a group of one too: every clean series takes the kernel
        Y = np.stack([tasks[i].y for i in idx], axis=1)  # (n, S)
        m = clone(model)
        try:
            if batch_api:
                m.fit_many(Y)
                fc = m.get_forecast(h)
                mean = np.asarray(fc.predicted_mean, dtype=np.float64)  # (h, S)
                cis = [np.asarray(fc.conf_int(alpha=a)) for a in alphas(levels)]  # (h, S, 2)
            else:
                m.fit(Y)
                old = m.forecast(h)
        except Exception:
            alone += idx
            continue
        for col, i in enumerate(idx):
            if batch_api:
                res.mean[i] = mean[:, col]
                for j, ci in enumerate(cis):
                    res.lo[i, j], res.hi[i, j] = ci[:, col, 0], ci[:, col, 1]
            else:
                _gaussian(res, i, old.mean[:, col], old.se[:, col], levels)
    if batch_api:
        sub = per_series(model, [tasks[i] for i in alone], h, levels)
        for k, i in enumerate(alone):
            res.mean[i], res.lo[i], res.hi[i] = sub.mean[k], sub.lo[k], sub.hi[k]
            res.error[i] = sub.error[k]
        return res
    for i in alone:
        try:
            mean_i, se = _arima_one(model, tasks[i].y, h)
        except Exception as err:
            res.fail(i, err)
        else:
            _gaussian(res, i, mean_i, se, levels)
    return res


# ---------------------------------------------------------------------- statsmodels-like
def per_series(model: Any, tasks: list[Task], h: int, levels) -> Results:
    """``fit(y, exog)`` then ``get_forecast(h, exog)`` for each task (SARIMAX, AutoARIMA)."""
    res = Results(len(tasks), h, len(levels))
    for i, t in enumerate(tasks):
        try:
            m = clone(model)
            m = m.fit(t.y) if t.X is None else m.fit(t.y, exog=t.X)
            fc = m.get_forecast(h) if t.Xf is None else m.get_forecast(h, exog=t.Xf)
            res.mean[i] = np.asarray(fc.predicted_mean, dtype=np.float64)
            for j, a in enumerate(alphas(levels)):
                ci = np.asarray(fc.conf_int(alpha=a), dtype=np.float64)
                res.lo[i, j], res.hi[i, j] = ci[:, 0], ci[:, 1]
        except Exception as err:
            res.fail(i, err)
    return res


# ---------------------------------------------------------------------- HMMs
def mixture_quantiles(w: np.ndarray, mu: np.ndarray, sd: np.ndarray, q: np.ndarray):
    """Quantiles ``q`` (Q,) of the Gaussian mixtures with weights ``w`` (h, K), means ``mu``
    (K,) and standard deviations ``sd`` (K,): (h, Q), by 200 bisection steps on the CDF."""
    from scipy.special import ndtr

    h = w.shape[0]
    lo = np.full((h, q.size), float(np.min(mu - 12 * sd)))
    hi = np.full((h, q.size), float(np.max(mu + 12 * sd)))
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        cdf = np.einsum("hk,hqk->hq", w, ndtr((mid[:, :, None] - mu) / sd))
        below = cdf < q
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def _hmm_forecast(m: Any, y: np.ndarray, h: int, levels, res: Results, i: int) -> None:
    """Predictive mixture of the next ``h`` values after ``y`` under the fitted ``m``."""
    if not np.all(np.isfinite(y)):
        raise SeqlabValueError("y has missing or infinite values; fill or drop them.")
    pred = m.predict_next(y[:, None], h)
    w = np.asarray(pred.state_proba)  # (h, K)
    K = w.shape[1]
    mu = np.asarray(m.means_, dtype=np.float64).reshape(K, -1)[:, 0]
    sd = np.sqrt(np.asarray(m.covars_, dtype=np.float64).reshape(K, -1)[:, 0])
    res.mean[i] = np.asarray(pred.mean, dtype=np.float64)[:, 0]
    a = np.array(alphas(levels))
    qs = mixture_quantiles(w, mu, sd, np.concatenate([a / 2, 1 - a / 2]))
    L = len(levels)
    res.lo[i] = qs[:, :L].T
    res.hi[i] = qs[:, L:].T


def hmm_per_series(model: Any, tasks: list[Task], h: int, levels) -> Results:
    """One GaussianHMM per series (``fit(y[:, None])``), then its predictive mixture."""
    res = Results(len(tasks), h, len(levels))
    for i, t in enumerate(tasks):
        try:
            m = clone(model).fit(t.y[:, None])
            _hmm_forecast(m, t.y, h, levels, res, i)
        except Exception as err:
            res.fail(i, err)
    return res


class SharedHMM(BaseEstimator):
    """One hidden Markov model shared by all series: fitted once on every series (their
    concatenation with hmmlearn's ``lengths``), then each series is filtered by it and
    forecast from its own last state distribution.

    The shared fit needs every series, so it runs where :class:`ManySeries` is called (on
    the pandas frame; per cross-validation window, on the data before each cutoff); only
    the filtering and forecasting go to the engine. ``refit=False`` uses ``model`` as it is
    (already fitted, e.g. on a sample): the way to forecast a Dask DataFrame with it.

    >>> from seqlab.classical import GaussianHMM
    >>> SharedHMM(GaussianHMM(2, seed=0)).refit
    True
    """

    def __init__(self, model: Any, refit: bool = True) -> None:
        self.model = model
        self.refit = refit


def fit_shared(spec: SharedHMM, tasks: list[Task]) -> dict[int, Any]:
    """The shared model of each window, fitted on that window's finite series."""
    if not spec.refit:
        if not hasattr(spec.model, "transmat_"):
            raise SeqlabValueError(
                "SharedHMM(model, refit=False) needs a fitted model; fit it first or pass "
                "refit=True."
            )
        return {-1: spec.model}  # every window
    out = {}
    for w in sorted({t.window for t in tasks}):
        ys = [t.y for t in tasks if t.window == w and t.y.size and np.all(np.isfinite(t.y))]
        if not ys:
            raise SeqlabValueError("SharedHMM: no series without missing values to fit on.")
        lengths = [y.size for y in ys]
        out[w] = clone(spec.model).fit(np.concatenate(ys)[:, None], lengths=lengths)
    return out


def hmm_shared(fitted: dict[int, Any], tasks: list[Task], h: int, levels) -> Results:
    """Forecast each task with the shared model of its window."""
    res = Results(len(tasks), h, len(levels))
    for i, t in enumerate(tasks):
        try:
            model = fitted[t.window] if t.window in fitted else fitted[-1]
            _hmm_forecast(model, t.y, h, levels, res, i)
        except Exception as err:
            res.fail(i, err)
    return res


# ---------------------------------------------------------------------- dispatch
def kind_of(model: Any) -> str:
    """``"arima"``, ``"statespace"``, ``"hmm"``, ``"shared_hmm"`` or ``"esn"``."""
    import sys

    from seqlab.classical import ARIMA, GaussianHMM

    # an ESNForecaster exists only once its module (and torch) is loaded: never import it here
    esn_mod = sys.modules.get("seqlab.pipelines.esn_forecast")
    if isinstance(model, SharedHMM):
        if not isinstance(model.model, GaussianHMM):
            raise SeqlabTypeError(
                f"SharedHMM needs a GaussianHMM; got {type(model.model).__name__}."
            )
        return "shared_hmm"
    if isinstance(model, ARIMA):
        return "arima"
    if isinstance(model, GaussianHMM):
        return "hmm"
    if esn_mod is not None and isinstance(model, esn_mod.ESNForecaster):
        return "esn"
    if hasattr(model, "get_forecast") and hasattr(model, "get_params"):
        return "statespace"
    raise SeqlabTypeError(
        f"ManySeries cannot forecast with {type(model).__name__}; use ARIMA, SARIMAX, "
        "AutoARIMA, GaussianHMM, SharedHMM(GaussianHMM(...)) or ESNForecaster."
    )


def run_model(kind: str, model: Any, tasks: list[Task], h: int, levels, fitted=None) -> Results:
    """The adapter of ``kind`` on ``tasks``."""
    if kind == "arima":
        return arima_batch(model, tasks, h, levels)
    if kind == "statespace":
        return per_series(model, tasks, h, levels)
    if kind == "hmm":
        return hmm_per_series(model, tasks, h, levels)
    if kind == "shared_hmm":
        return hmm_shared(fitted, tasks, h, levels)
    if kind == "esn":
        from seqlab.scale._esn import esn_per_series

        return esn_per_series(model, tasks, h, levels)
    raise SeqlabValueError(f"unknown model kind {kind!r}")  # pragma: no cover

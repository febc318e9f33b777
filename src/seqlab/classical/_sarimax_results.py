"""What a fitted state-space ARIMA/SARIMAX can do: predict, forecast, append, apply, bse.

:class:`StateSpaceResults` is a mixin of :class:`~seqlab.classical.ARIMA` and
:class:`~seqlab.classical.SARIMAX` (statsmodels' ``MLEResults`` methods on the estimator).
It reads the host's ``params_``, ``nobs_``, ``cov_type`` and private ``_endog`` (n,),
``_exog`` (n, k: every column of the observation intercept, ARIMA's trend included),
``_index`` and ``_pandas``; the host gives ``_ss_spec()`` (the
:class:`~seqlab.classical._sarimax_system.Spec`) and ``_design(exog, start, n, name)`` (the
(n, k) intercept columns of periods ``start .. start + n - 1`` from the user's ``exog``).

Every prediction is a run of the Kalman filter over the data: in-sample one-step predictions
are ``Z a_{t|t-1} + d_t``; dynamic predictions from period ``t0`` on are the same filter with
the observations from ``t0`` on treated as missing; out-of-sample periods are missing
observations after the end (statsmodels' ``get_prediction`` does the same).
"""

from __future__ import annotations

import copy
import functools
import math
from typing import Any

import numpy as np

from seqlab._validation import check_int, check_is_fitted
from seqlab.classical._arima_predict import PredictionResults
from seqlab.classical._sarimax_cov import COV_TYPES, cov_params
from seqlab.classical._sarimax_data import check_endog, future_index, index_info, past_index
from seqlab.classical._units import magnitude, unit_for
from seqlab.classical.statespace import FilterResult
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["StateSpaceResults"]


class StateSpaceResults:
    """Results methods shared by ARIMA and SARIMAX (module docstring)."""

    params_: np.ndarray
    nobs_: int
    cov_type: str
    _endog: np.ndarray
    _exog: np.ndarray
    _index: tuple[str, str, str]
    _pandas: bool
    _cov: np.ndarray | None
    llf_: Any
    aic_: Any
    bic_: Any

    def _ss_spec(self) -> Any:  # pragma: no cover - the host defines it
        raise NotImplementedError

    def _design(self, exog: Any, start: int, n: int, name: str) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover - the host defines it

    def _one_series(self, what: str) -> None:
        """Hook: raise if the fitted model does not hold one series (ARIMA.fit_many)."""

    # ------------------------------------------------------------------ filter
    def _filter_at(self, params: np.ndarray, y: np.ndarray, X: np.ndarray) -> FilterResult:
        spec = self._ss_spec()
        ss = spec.system(params)
        d, c = spec.intercepts(params, X, 0)
        return ss.filter(y, d, c)

    def loglike(self, params: Any) -> float:
        """Log-likelihood of the fitted data at other ``params`` (``params_`` order)."""
        check_is_fitted(self, "params_")
        self._one_series("loglike")
        p = np.asarray(params, dtype=np.float64)
        if p.shape != self.params_.shape:
            raise SeqlabValueError(f"params must have shape {self.params_.shape}; got {p.shape}")
        return self._filter_at(p, self._endog, self._exog).llf

    def _burn(self) -> int:
        return int(self._ss_spec().k_diff_states)

    # Units: the results run on ``y / c`` with ``c`` a power of two (exact; see
    # :mod:`seqlab.classical._units`), so data of 1e200 or 1e-300 give finite forecasts and
    # standard errors: the intercept coefficients scale by ``c``, sigma2 by ``c^2``.
    def _scaled(self) -> tuple[np.ndarray, float]:
        """(``params_`` in units of ``c``, ``c``)."""
        c = unit_for(magnitude(self._endog[np.isfinite(self._endog)]))
        p = np.array(self.params_, dtype=np.float64)
        k = self._exog.shape[1]
        p[:k] /= c
        p[-1] = (p[-1] / c) / c
        return p, c

    def _param_units(self, c: float) -> np.ndarray:
        k, n_par = self._exog.shape[1], np.shape(self.params_)[-1]
        u = np.ones(n_par)
        u[:k] = c
        with np.errstate(over="ignore"):
            u[-1] = c * c
        return u

    def _scaled_llf(self, y: np.ndarray, X: np.ndarray) -> float:
        """Log-likelihood of ``y`` at ``params_`` computed in units (exact shift back)."""
        p, c = self._scaled()
        res = self._filter_at(p, y / c, X)
        counted = int(np.sum(~np.isnan(y[self._burn():])))
        return float(res.llf - counted * math.log(c))

    # ------------------------------------------------------------------ standard errors
    def _cov_in_units(self) -> tuple[np.ndarray, np.ndarray]:
        """(covariance of the params in units of ``c``, the per-parameter unit): computed
        once; ``params = params_in_units * unit`` with sigma2's unit ``c^2``."""
        check_is_fitted(self, "params_")
        self._one_series("cov_params_")
        cached = getattr(self, "_cov", None)
        p, c = self._scaled()
        ct = self.cov_type
        if cached is None or getattr(self, "_cov_kind", None) != ct:  # set_params may change it
            if ct not in COV_TYPES:
                raise SeqlabValueError(f"cov_type must be one of {', '.join(map(repr, COV_TYPES))}"
                                       f"; got {ct!r}")
            y = self._endog / c
            cached = cov_params(lambda x: self._filter_at(x, y, self._exog), p, self._burn(), ct)
            self._cov, self._cov_kind = cached, ct
        return np.array(cached, copy=True), self._param_units(c)

    @property
    def cov_params_(self) -> np.ndarray:
        """(k, k) covariance of ``params_`` by ``cov_type`` (:mod:`._sarimax_cov`)."""
        cov, u = self._cov_in_units()
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(cov * u[:, None] * u[None, :])

    def _ss_bse(self) -> np.ndarray:
        cov, u = self._cov_in_units()
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(np.sqrt(np.diag(cov)) * u)

    # ------------------------------------------------------------------ periods
    def _position(self, key: Any, name: str) -> int:
        """Period number of ``key``: an integer position, or a date/period label of a model
        fitted on a pandas series with a date index."""
        n = self.nobs_
        if isinstance(key, int | np.integer) and not isinstance(key, bool):
            pos = int(key)
            if pos < 0:
                raise SeqlabValueError(f"{name}={key} is negative; give a position 0 .. "
                                       f"{n - 1} (in-sample) or >= {n} (out of sample)")
            return pos
        kind, _, freq = self._index
        if kind not in ("date", "period"):
            raise SeqlabTypeError(f"{name}={key!r}: give an integer position (the model was "
                                  "not fitted on a series with a date index)")
        import pandas as pd

        try:
            label = pd.Timestamp(key) if kind == "date" else pd.Period(key, freq=freq)
        except (ValueError, TypeError) as exc:
            raise SeqlabValueError(f"{name}={key!r} is not a date: {exc}") from None
        past = past_index(self._index, n)
        if label in past:
            return int(past.get_loc(label))
        if label > past[-1]:
            # count the periods after the end, one index block at a time
            step = 64
            while step < 10**7:
                fut = future_index(self._index, n, step)
                if label in fut:
                    return n + int(fut.get_loc(label))
                if label < fut[-1]:
                    break
                step *= 8
        raise SeqlabValueError(f"{name}={key!r} is not one of the model's periods (from "
                               f"{past[0]} by {freq}); give a date on that grid")

    def _labels(self, start: int, stop: int) -> Any:
        import pandas as pd

        n = self.nobs_
        past = past_index(self._index, n)
        idx = past[start:min(stop, n)]
        if stop > n:
            idx = idx.append(future_index(self._index, n, stop - n)[max(0, start - n):])
        return idx if self._pandas else pd.RangeIndex(start, stop)

    # ------------------------------------------------------------------ predictions
    def get_prediction(self, start: Any = None, end: Any = None, dynamic: Any = False,
                       exog: Any = None) -> PredictionResults:
        """Predictions of periods ``start .. end`` (inclusive; positions or dates).

        In-sample periods get one-step-ahead predictions, or, from ``dynamic`` on,
        predictions from the data before it (``dynamic``: ``False``, ``True`` = from
        ``start``, an integer offset from ``start``, or a date); periods after the end are
        forecasts and need ``exog`` (one row per out-of-sample period) when the model has
        regressors. statsmodels' ``get_prediction``.
        """
        check_is_fitted(self, "params_")
        self._one_series("get_prediction")
        n = self.nobs_
        s = 0 if start is None else self._position(start, "start")
        e = n - 1 if end is None else self._position(end, "end")
        if e < s:
            raise SeqlabValueError(f"end ({e}) is before start ({s}); give end >= start")
        h = max(0, e + 1 - n)
        if h == 0 and exog is not None:
            raise SeqlabValueError("exog is for out-of-sample periods; end is in the sample, "
                                   "so leave exog out")
        y = np.r_[self._endog, np.full(h, np.nan)][: e + 1]
        X = np.vstack([self._exog, self._design(exog, n, h, "exog")])[: e + 1]
        if dynamic is not False and dynamic is not None:
            if dynamic is True:
                t0 = s
            elif isinstance(dynamic, int | np.integer):
                t0 = s + check_int(dynamic, "dynamic", minimum=0)
            else:
                t0 = self._position(dynamic, "dynamic")
            y = y.copy()
            y[t0:] = np.nan
        p, c = self._scaled()
        res = self._filter_at(p, y / c, X)
        spec = self._ss_spec()
        d, _ = spec.intercepts(p, X, 0)
        mean = res.predictions(spec.system(p).Z, d)[s:] * c
        se = np.sqrt(np.maximum(res.F[s:], 0.0)) * c
        return PredictionResults(mean, se, functools.partial(self._labels, s, e + 1),
                                 self._pandas)

    def predict(self, start: Any = None, end: Any = None, dynamic: Any = False,
                exog: Any = None) -> Any:
        """Predicted means of periods ``start .. end`` (:meth:`get_prediction`); with no
        arguments the in-sample one-step predictions (statsmodels' ``fittedvalues``)."""
        return self.get_prediction(start, end, dynamic, exog).predicted_mean

    def get_forecast(self, steps: int = 1, exog: Any = None) -> PredictionResults:
        """Forecasts of the ``steps`` periods after the data, with standard errors and
        intervals (``summary_frame``); ``exog`` (steps, k) the regressors' future values."""
        check_is_fitted(self, "params_")
        steps = check_int(steps, "steps", minimum=1)
        self._one_series("get_forecast")
        return self.get_prediction(self.nobs_, self.nobs_ + steps - 1, exog=exog)

    def forecast(self, steps: int = 1, exog: Any = None) -> Any:
        """Forecast means (steps,): a Series indexed by the future periods for pandas input."""
        return self.get_forecast(steps, exog).predicted_mean

    def simulate(self, steps: int, n_paths: int = 1, seed: Any = None,
                 anchor: str = "end", exog: Any = None) -> np.ndarray:
        """Sample paths (steps, n_paths), seeded: ``anchor="end"`` continues the data (path
        moments = :meth:`get_forecast`'s), ``"start"`` a fresh series; ``exog`` (steps, k)
        the regressors of the simulated periods (:mod:`._sarimax_simulate`; statsmodels'
        ``simulate(nsimulations, anchor, repetitions)``)."""
        from seqlab.classical._sarimax_simulate import simulate_paths

        check_is_fitted(self, "params_")
        self._one_series("simulate")
        return simulate_paths(self, steps, n_paths, seed, anchor, exog)

    # ------------------------------------------------------------------ new data
    def _with_data(self, y: np.ndarray, X: np.ndarray, info: tuple[str, str, str],
                   pandas: bool) -> Any:
        new = copy.copy(self)
        new._endog, new._exog, new._index, new._pandas = y, X, info, pandas
        new.nobs_ = int(y.shape[0])
        new._cov = None
        if hasattr(new, "_bse"):
            new._bse = None
        llf = new._scaled_llf(y, X)
        k = self.params_.shape[0]
        new.llf_ = llf
        if hasattr(new, "loglik_"):
            new.loglik_ = llf
        new.aic_ = -2.0 * llf + 2.0 * k
        new.bic_ = -2.0 * llf + k * math.log(max(new.nobs_ - self._burn(), 1))
        return new

    def _user_exog(self) -> np.ndarray | None:
        """The regressors the user passed to fit (None without); hosts with trend columns in
        ``_exog`` override it."""
        return self._exog if self._exog.shape[1] else None

    def _refit(self, y: Any, exog: Any) -> Any:
        model = copy.copy(self)
        for attr in [a for a in vars(model) if a.endswith("_") or a.startswith("_")]:
            delattr(model, attr)
        fit: Any = model.fit  # type: ignore[attr-defined]  # the host's fit
        return fit(y, exog=exog)

    def append(self, y_new: Any, exog: Any = None, refit: bool = False) -> Any:
        """A new fitted model on the data followed by ``y_new`` (m,) (``exog``: (m, k) its
        regressors). ``refit=False`` keeps ``params_`` and continues the filter (forecasts
        from the new end); ``refit=True`` re-estimates on all the data. statsmodels'
        ``res.append``. A pandas ``y_new`` must continue the fitted dates."""
        check_is_fitted(self, "params_")
        self._one_series("append")
        yn = check_endog(y_new)
        m, n = yn.shape[0], self.nobs_
        Xn = self._design(exog, n, m, "exog")
        info = self._index
        if self._pandas:
            fut = future_index(info, n, m)
            idx = getattr(y_new, "index", None)
            if idx is not None and not fut.equals(idx):
                raise SeqlabValueError(
                    f"y_new's index does not continue the fitted series: expected "
                    f"{fut[0]} .. {fut[-1]} ({m} periods), got {idx[0]} .. {idx[-1]}")
            info = (info[0], str(fut[-1]), info[2]) if info[0] in ("date", "period") else (
                info[0], str(int(info[1]) + m * int(info[2])), info[2]) if info[0] == (
                "range") else info
        y = np.r_[self._endog, yn]
        if refit:
            ue = self._user_exog()
            ex = None if ue is None else np.vstack([ue, Xn[:, -ue.shape[1]:]])
            yy: Any = y
            if self._pandas:
                import pandas as pd

                yy = pd.Series(y, index=self._labels(0, n + m))
            return self._refit(yy, ex)
        return self._with_data(y, np.vstack([self._exog, Xn]), info, self._pandas)

    def apply(self, y: Any, exog: Any = None, refit: bool = False) -> Any:
        """The fitted model on new data ``y`` (m,) with the same ``params_`` (or refitted with
        ``refit=True``): statsmodels' ``res.apply``."""
        check_is_fitted(self, "params_")
        self._one_series("apply")
        if refit:
            return self._refit(y, exog)
        yv = check_endog(y)
        X = self._design(exog, 0, yv.shape[0], "exog")
        return self._with_data(yv, X, index_info(y), hasattr(y, "index"))

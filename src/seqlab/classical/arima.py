"""ARIMA: statsmodels' ``tsa.arima.model.ARIMA`` (seasonal, regressors, missing values), with
a compiled fast path, and ``fit_many`` for batches of independent series.

The model (regression with SARIMA errors, statsmodels' ARIMA convention)::

    y_t = trend_t + x_t' beta + u_t,
    phi(B) Phi(B^s) (1 - B)^d (1 - B^s)^D u_t = theta(B) Theta(B^s) e_t,  e_t ~ N(0, sigma2)

``trend_t`` is ``"c"`` a constant, ``"t"`` ``beta_1 t`` (t = 1, 2, ...: with d = 1 the drift of
the differenced series), ``"ct"`` both, ``"ctt"`` with ``t^2``, ``"n"`` none, or as in
statsmodels a list of polynomial flags (``[1, 0, 1]``: const + ``t^2``,
:mod:`seqlab.classical._arima_trend`); the default is ``"c"`` when ``d + D = 0`` and ``"n"``
otherwise, and, as in statsmodels, a trend term of lower order than ``d + D`` is refused
(differencing would remove it). ``params_`` are ordered ``[trend..., exog..., ar.L1..,
ma.L1.., ar.S.L.., ma.S.L.., sigma2]`` and named as statsmodels' ARIMA names them: ``const``,
then ``x1, x2, ...`` for the time terms and array regressors (``drift``, ``trend.k`` and the
column names with pandas regressors).

Two engines, one model:

- the **fast kernel** (:mod:`seqlab.classical._arima_batch`, a compiled BFGS on the exact
  likelihood of the differenced series) for nonseasonal models without ``exog`` on complete
  series with trend ``"n"``, ``"c"`` (d = 0) or ``"t"`` (d = 1), by ``method="mle"`` or
  ``"css"``;
- the **state space** (:class:`~seqlab.classical.SARIMAX`, exact Kalman-filter MLE with
  statsmodels' initialisation: diffuse-prior differencing states, 1e6, burnt from the
  likelihood) for everything else, always with ``method="statespace"``, and for
  ``"css"`` (R's / statsforecast's conditional sum of squares, :mod:`._sarimax_css`; the
  trend and regressors enter as regression columns, so a time trend is refused there) and
  ``"css-mle"`` (exact MLE from the CSS estimates) on seasonal, regression or gappy models.

Both maximise the same likelihood (they agree to ~1e-9 relative in loglik and 1e-6 in
params, tested), and every result is computed on the state space from ``params_``
(:class:`~seqlab.classical._sarimax_results.StateSpaceResults`): ``predict``,
``get_prediction``, ``get_forecast``, ``append``, ``apply``, ``bse_`` by ``cov_type``,
``simulate`` (:mod:`._sarimax_simulate`).

Standard errors, side by side (``cov_type``; statsmodels' default is ``"opg"``, as here):
``"opg"`` outer product of the per-observation scores; ``"oim"`` Harvey's information
matrix; ``"approx"`` the observed information (numerical Hessian), which is what the first
seqlab ARIMA reported and what ``fit_many`` computes in the compiled kernel; ``"none"``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from seqlab._validation import (
    as_float_array,
    check_choice,
    check_int,
    check_is_fitted,
    check_positive,
)
from seqlab.base import BaseEstimator
from seqlab.classical._arima_batch import BatchARIMA
from seqlab.classical._arima_extras import ARIMAExtras
from seqlab.classical._arima_predict import PredictionResults
from seqlab.classical._arima_trend import trend_cols, trend_label, trend_names, trend_powers
from seqlab.classical._sarimax_cov import COV_TYPES, cov_params
from seqlab.classical._sarimax_data import check_endog, check_exog, index_info
from seqlab.classical._sarimax_results import StateSpaceResults
from seqlab.classical._sarimax_system import Spec, make_spec
from seqlab.classical.arima_estimation import _check_order, arima_loglike
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["ARIMA", "arima_loglike"]



def _one_series_2d_error(shape: tuple[int, ...]) -> SeqlabValueError:
    return SeqlabValueError(
        f"y has shape {shape}: fit takes ONE series. Pass regressors as "
        "fit(y, exog=X) with X of shape (n, k); fit a batch of independent series with "
        "fit_many(Y), Y of shape (n, n_series)")


class ARIMA(ARIMAExtras, StateSpaceResults, BatchARIMA, BaseEstimator):
    """SARIMA(p, d, q)(P, D, Q)s with trend and regressors: statsmodels' ``ARIMA``.

    Parameters
    ----------
    order : (p, d, q)
        AR order, differencing (``d <= 2``), MA order.
    seasonal_order : (P, D, Q, s)
        Seasonal AR, differencing and MA orders and the period ``s`` (``(0, 0, 0, 0)``: none).
    trend : {"n", "c", "t", "ct", "ctt"}, list of 0/1 flags, or None
        Deterministic trend in the mean (module docstring); None: ``"c"`` if ``d + D = 0``.
    method : {"mle", "statespace", "css", "css-mle"}
        ``"mle"`` exact maximum likelihood by the fastest engine that fits the model,
        ``"statespace"`` always the state space (statsmodels' ``method``), ``"css"``
        conditional sum of squares (R's / statsforecast's; complete series; on the state
        space, i.e. seasonal or with exog, trend ``"n"``/``"c"`` only; ``llf_`` is then the
        conditional log-likelihood), ``"css-mle"`` exact MLE started from the CSS estimates
        (statsforecast's default; on the state space).
    maxiter, tol : int, float
        Optimiser iterations; ``tol`` the gradient tolerance of the fast kernel on
        ``-loglik / n`` (the state-space optimiser has its own rule, see SARIMAX).
    cov_type : {"opg", "oim", "approx", "none"}
        How ``bse_`` is computed (module docstring).

    ``fit(y, exog=None)`` takes ONE series ``y`` (n,) (a one-column DataFrame is one series;
    NaN = missing; a pandas index gives dated outputs); ``fit_many(Y)`` a batch (n, S).

    ====================== ================= ===========================================
    ``params_``, ``bse_``  (k,) / (S, k)     named by ``param_names_``
    ``arparams_``          (p,) / (S, p)     ``phi``;  ``maparams_``: ``theta``
    ``sigma2_, llf_``      () / (S,)         also ``loglik_``, ``aic_``, ``bic_``,
                                             ``converged_``, ``n_iter_``
    ``resid_``             (n,) / (n, S)     one-step errors, NaN for the first d + Ds
    ``fittedvalues_``      (n,) / (n, S)     ``y - resid``; both pandas Series on y's
                                             index when y is pandas (as statsmodels)
    ====================== ================= ===========================================

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.cumsum(rng.normal(size=200))
    >>> model = ARIMA(order=(1, 1, 1)).fit(y)
    >>> model.param_names_
    ['ar.L1', 'ma.L1', 'sigma2']
    >>> model.get_forecast(3).summary_frame(levels=(80, 95)).shape
    (3, 6)
    >>> seasonal = ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(y)
    >>> seasonal.forecast(2).shape
    (2,)
    >>> ARIMA(order=(1, 1, 1)).fit_many(np.column_stack([y, -y])).params_.shape
    (2, 3)
    """

    def __init__(
        self,
        order: tuple[int, int, int] = (1, 0, 0),
        seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0),
        trend: str | list[int] | tuple[int, ...] | None = None,
        method: Literal["mle", "statespace", "css", "css-mle"] = "mle",
        maxiter: int = 200,
        tol: float = 1e-7,
        cov_type: str = "opg",
    ) -> None:
        self.order = order
        self.seasonal_order = seasonal_order
        self.trend = trend
        self.method = method
        self.maxiter = maxiter
        self.tol = tol
        self.cov_type = cov_type

    _trend: tuple[int, ...]  # the powers of t in the mean (._arima_trend)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True  # fit takes one series (n,); (n, 1) is one too
        tags.input_tags.allow_nan = True  # missing values are skipped by the Kalman filter
        return tags

    # ------------------------------------------------------------------ checks
    def _checked(self) -> tuple[tuple[int, int, int], Spec, tuple[int, ...], int, float]:
        """Validated (order, seasonal spec without trend/exog, trend powers, maxiter, tol)."""
        p, d, q = _check_order(self.order)
        spec = make_spec((p, d, q), self.seasonal_order, "n", 0)
        check_choice(self.method, "method", ("mle", "statespace", "css", "css-mle"))
        check_choice(self.cov_type, "cov_type", COV_TYPES)
        maxiter = check_int(self.maxiter, "maxiter", minimum=1, maximum=2**31 - 1)
        tol = check_positive(self.tol, "tol", strict=False)
        dd = d + spec.D
        trend = self.trend if self.trend is not None else ("c" if dd == 0 else "n")
        return (p, d, q), spec, trend_powers(trend, dd), maxiter, tol

    def _k_trend(self) -> int:
        return len(self._trend)

    def _trend_cols(self, start: int, n: int) -> np.ndarray:
        return trend_cols(self._trend, start, n)

    # ------------------------------------------------------------------ fitting
    def fit(self, y: Any, exog: Any = None, *, start_params: Any = None) -> ARIMA:
        """Fit to ONE series ``y`` (n,) with regressors ``exog`` (n, k); returns ``self``.

        A 2-D ``y`` with more than one column is an error: regressors go in ``exog``, a
        batch of independent series in :meth:`fit_many`. ``start_params`` (fast path only)
        in ``params_`` order, ``sigma2`` optional.
        """
        (p, d, q), sspec, trend, maxiter, tol = self._checked()
        if type(y).__module__.startswith("scipy.sparse"):
            raise SeqlabTypeError("sparse input is not supported: pass y as a dense array "
                                  "(y.toarray()) or a pandas Series")
        if not hasattr(y, "iloc"):  # arrays and lists: numeric, not ragged, 1-D or 2-D
            y = as_float_array(y, "y", ndim=(1, 2), allow_nonfinite=True)
        shape = np.shape(y)
        if len(shape) == 2 and shape[1] == 0:
            raise SeqlabValueError(f"0 feature(s) (shape={shape}) while a minimum of 1 is "
                                   "required: y has no column; pass one series (n,)")
        if len(shape) == 2 and shape[1] == 1:
            y = y.iloc[:, 0] if hasattr(y, "iloc") else np.asarray(y)[:, 0]
        elif len(shape) != 1:
            raise _one_series_2d_error(shape)
        yv = check_endog(y)
        n = yv.shape[0]
        X = check_exog(exog, n, None)
        self._reset_features(y, 1)
        self._trend = trend
        seasonal = bool(sspec.P or sspec.D or sspec.Q)
        fast_trend = trend in ((), (0,) if d == 0 else (), (1,) if d == 1 else ())
        fast = (not seasonal and X.shape[1] == 0 and not np.isnan(yv).any() and fast_trend
                and self.method in ("mle", "css"))
        if self.method == "css" and not fast and any(k > 0 for k in trend):
            raise SeqlabValueError(
                f"method='css' on a seasonal model, with exog or with missing values supports "
                f"trend 'n' or 'c' only; got trend={self.trend!r}: use method='mle' or "
                "'css-mle' for a time trend")
        if not fast and start_params is not None:
            raise SeqlabValueError("start_params is supported by the fast path only "
                                   "(nonseasonal, no exog, no NaN); leave it out")
        design = np.column_stack([self._trend_cols(0, n), X])
        if fast:
            self._fit_fast(yv[:, None], True, start_params, p, d, q, trend_label(trend),
                           self.method == "css", maxiter, tol)
            self.llf_ = self.loglik_
            self._path = "fast"
        else:
            self._fit_statespace(y, yv, design, X, exog, maxiter)
        self.k_exog_ = int(X.shape[1])
        self._endog, self._exog = yv, design
        self._index, self._pandas = index_info(y), hasattr(y, "index")
        self._many, self._cov = False, None
        return self

    def _fit_statespace(self, y: Any, yv: np.ndarray, design: np.ndarray, X: np.ndarray,
                        exog: Any, maxiter: int) -> None:
        from seqlab.classical.sarimax import SARIMAX

        eng = SARIMAX(order=self.order, seasonal_order=self.seasonal_order, trend="n",
                      maxiter=maxiter, cov_type=self.cov_type)
        method = "mle" if self.method == "statespace" else self.method
        eng.fit(yv, exog=design if design.shape[1] else None, method=method)
        spec = self._ss_spec(design.shape[1])
        self.param_names_ = spec.names(trend_names(self._trend, exog, X.shape[1]))
        for attr in ("params_", "llf_", "aic_", "bic_", "sigma2_", "nobs_", "converged_",
                     "n_iter_"):
            setattr(self, attr, getattr(eng, attr))
        self.loglik_ = self.llf_
        blocks = spec.split(self.params_)
        self.arparams_, self.maparams_ = blocks[2].copy(), blocks[3].copy()
        res = eng._filter_at(eng.params_, yv, design)
        resid = res.v.copy()
        resid[: spec.k_diff_states] = np.nan
        self.resid_, self.fittedvalues_ = resid, yv - resid
        self._path, self._fast_spec, self._bse = "statespace", None, None

    def fit_many(self, Y: Any, *, start_params: Any = None) -> ARIMA:
        """Fit ``S`` independent series, the columns of ``Y`` (n, S), in one compiled batch
        (nonseasonal, no exog, complete series); learned attributes get a leading ``S``
        axis. Returns ``self``. ``forecast``/``get_forecast`` then give (steps, S)."""
        (p, d, q), sspec, trend, maxiter, tol = self._checked()
        if sspec.P or sspec.D or sspec.Q or self.method in ("statespace", "css-mle"):
            raise SeqlabValueError(
                "fit_many runs the fast kernel: nonseasonal models with method 'mle' or 'css'; "
                "fit seasonal or state-space models one series at a time with fit(y)")
        if trend not in ((), (0,) if d == 0 else (), (1,) if d == 1 else ()):
            raise SeqlabValueError(
                f"fit_many supports trend 'n', 'c' (d = 0) or 't' (d = 1); got "
                f"trend={self.trend!r} with d = {d}; fit such models one series at a time with "
                "fit(y)")
        from seqlab._validation import check_min_features

        Y2 = check_min_features(as_float_array(Y, "Y", ndim=2), "Y")
        self._reset_features(Y, Y2.shape[1])
        self._trend = trend
        self._fit_fast(Y2, False, start_params, p, d, q, trend_label(trend), self.method == "css",
                       maxiter, tol)
        self.llf_ = self.loglik_
        self.k_exog_ = 0
        self._path, self._many, self._cov = "fast", True, None
        self._endog, self._exog = Y2, self._trend_cols(0, Y2.shape[0])
        self._index, self._pandas = ("none", "", ""), False
        return self

    # ------------------------------------------------------------------ hooks
    def _ss_spec(self, k_design: int | None = None) -> Spec:
        k = self._exog.shape[1] if k_design is None else k_design
        return make_spec(self.order, self.seasonal_order, "n", k)

    def _design(self, exog: Any, start: int, n: int, name: str) -> np.ndarray:
        if n == 0 and exog is None:
            X = np.zeros((0, self.k_exog_))
        else:
            X = check_exog(exog, n, self.k_exog_, name)
        return np.column_stack([self._trend_cols(start, n), X])

    def _scaled(self) -> tuple[np.ndarray, float]:
        if self._path == "fast":  # the kernel's own units (sigma2_ may be beyond float64)
            return self._params2[0].copy(), float(self._unit[0])
        return super()._scaled()

    def _user_exog(self) -> np.ndarray | None:
        return self._exog[:, self._k_trend():] if self.k_exog_ else None

    def _one_series(self, what: str) -> None:
        if getattr(self, "_many", False):
            raise SeqlabValueError(
                f"{what} needs a model fitted to one series; this one was fitted by fit_many "
                "to a batch: refit the series you need with fit(y)")

    # ------------------------------------------------------------------ results
    @property
    def bse_(self) -> Any:
        """Standard errors of ``params_`` by ``cov_type`` ((S, k) after ``fit_many``)."""
        check_is_fitted(self, "params_")
        if not self._many:
            return self._ss_bse()
        check_choice(self.cov_type, "cov_type", COV_TYPES)
        if getattr(self, "_bse_kind", None) != self.cov_type:  # set_params may change it
            self._bse = None
        self._bse_kind = self.cov_type
        if self.cov_type == "approx":
            return self._batch_bse()
        if self._bse is None:
            Y, S = self._endog, self._endog.shape[1]
            out = np.empty((S, self.params_.shape[1]))
            for s in range(S):
                y_s = Y[:, s]

                def filt(x: np.ndarray, y_s: np.ndarray = y_s) -> Any:
                    return self._filter_at(x, y_s, self._exog)

                cov = cov_params(filt, self.params_[s], self._burn(), self.cov_type)
                with np.errstate(invalid="ignore"):
                    out[s] = np.sqrt(np.diag(cov))
            self._bse = out
        return self._bse

    def get_forecast(self, steps: int = 1, exog: Any = None) -> PredictionResults:
        """Forecasts ``steps`` ahead with standard errors and intervals
        (``summary_frame(alpha)`` or ``summary_frame(levels=(80, 95))``); (steps, S) arrays
        after ``fit_many``. ``exog`` (steps, k): the regressors' future values."""
        check_is_fitted(self, "params_")
        if not self._many:
            return super().get_forecast(steps, exog)
        steps = check_int(steps, "steps", minimum=1)
        if exog is not None:
            raise SeqlabValueError("this model has no regressors; leave exog out")
        mean, se = self._batch_forecast(steps)
        return PredictionResults(mean, se, None, False)

    def simulate(self, steps: int, n_paths: int = 1, seed: Any = None,
                 anchor: str = "end", exog: Any = None) -> np.ndarray:
        """Sample paths (steps, n_paths), seeded, on the state space whichever engine fitted
        (:mod:`._sarimax_simulate`): ``anchor="end"`` continues the data (path means and
        variances are :meth:`get_forecast`'s), ``"start"`` a fresh series with the levels
        integrated from 0; ``exog`` (steps, k) the simulated periods' regressors."""
        return StateSpaceResults.simulate(self, steps, n_paths, seed, anchor, exog)

"""SARIMAX: seasonal ARIMA with trend and exogenous regressors, exact MLE by Kalman filter.

The same model, parameterisation, initialisation and constraints as statsmodels'
``tsa.statespace.SARIMAX`` with its defaults (see :mod:`seqlab.classical._sarimax_system`):
the likelihood is evaluated by the compiled filter of :mod:`seqlab.classical.statespace`,
which skips missing (NaN) observations, so gappy series fit as they are.

>>> import numpy as np
>>> from seqlab.classical import SARIMAX
>>> rng = np.random.default_rng(0)
>>> y = np.cumsum(rng.normal(size=120))
>>> y[[10, 50]] = np.nan                                   # missing values are fine
>>> res = SARIMAX(order=(1, 1, 1)).fit(y)
>>> res.param_names_
['ar.L1', 'ma.L1', 'sigma2']
>>> frame = res.get_forecast(3).summary_frame(alpha=0.05)
>>> list(frame.columns)
['mean', 'mean_se', 'mean_ci_lower', 'mean_ci_upper']
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from seqlab._validation import check_choice, check_int, check_is_fitted
from seqlab.base import BaseEstimator
from seqlab.classical._arima_predict import PredictionResults
from seqlab.classical._sarimax_cov import COV_TYPES
from seqlab.classical._sarimax_data import (
    check_endog,
    check_exog,
    exog_names,
    index_info,
)
from seqlab.classical._sarimax_results import StateSpaceResults
from seqlab.classical._sarimax_system import Spec, make_spec
from seqlab.exceptions import DivergenceError, SeqlabValueError

__all__ = ["SARIMAX", "SARIMAXForecast"]


#: statsmodels-style prediction results (the name SARIMAX's forecasts had first)
SARIMAXForecast = PredictionResults


class SARIMAX(StateSpaceResults, BaseEstimator):
    """SARIMA(p, d, q)(P, D, Q)s with a trend and regressors, fitted by exact Gaussian MLE.

    Parameters (statsmodels' spelling): ``order=(p, d, q)``; ``seasonal_order=(P, D, Q, s)``;
    ``trend`` one of ``"n"``, ``"c"`` (intercept), ``"t"`` (drift), ``"ct"``; ``maxiter``
    optimiser iterations; ``cov_type`` ``"opg"`` (statsmodels' default), ``"oim"``,
    ``"approx"`` or ``"none"`` (:mod:`seqlab.classical._sarimax_cov`). ``fit(y, exog=None)``
    takes a series ``y`` (n,) (NaN = missing; a pandas Series keeps its dates for the
    forecasts) and regressors ``exog`` (n, k).

    ``SARIMAX`` is the state-space engine with statsmodels' ``SARIMAX`` semantics: its trend
    is the intercept of the (differenced) ARMA equation. :class:`~seqlab.classical.ARIMA`
    (statsmodels' ``tsa.arima.model.ARIMA``) is the class most users want: it puts the trend
    in the mean (regression with SARIMA errors), fits with this engine when the model is
    seasonal, has regressors or missing values, and with a faster compiled kernel otherwise.
    Both have the results methods of :class:`~seqlab.classical._sarimax_results.
    StateSpaceResults`: ``predict(start, end, dynamic)``, ``get_prediction``,
    ``get_forecast(h).summary_frame(alpha | levels)``, ``append``, ``apply``, ``bse_``.

    Learned: ``params_`` (statsmodels' order: trend, exog, ar, ma, seasonal ar, seasonal ma,
    sigma2) with ``param_names_``, ``llf_``, ``aic_``, ``bic_``, ``sigma2_``, ``nobs_``,
    ``converged_``; read also as ``params``, ``llf``, ``aic``, ``bic``, ``sigma2`` like a
    statsmodels results object.

    >>> import numpy as np
    >>> noise = np.random.default_rng(0).normal(0.0, 0.1, 60)
    >>> y = np.sin(np.arange(60) * 2 * np.pi / 12) + 0.1 * np.arange(60) + noise
    >>> m = SARIMAX(order=(1, 0, 0), seasonal_order=(0, 1, 1, 12), trend="c").fit(y)
    >>> m.forecast(2).shape
    (2,)
    """

    def __init__(
        self,
        order: tuple[int, int, int] = (1, 0, 0),
        seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0),
        trend: str = "n",
        maxiter: int = 500,
        cov_type: str = "opg",
    ) -> None:
        self.order = order
        self.seasonal_order = seasonal_order
        self.trend = trend
        self.maxiter = maxiter
        self.cov_type = cov_type

    # ------------------------------------------------------------------ fitting
    def _spec(self, k_exog: int) -> Spec:
        return make_spec(self.order, self.seasonal_order, self.trend, k_exog)

    def _start(self, spec: Spec, y: np.ndarray, X: np.ndarray) -> np.ndarray:
        """OLS of the differenced series on differenced exog and the trend; zero ARMA."""
        yd = spec.difference(y)
        Xd = spec.difference(X)
        A = np.column_stack([spec.trend_data(0, yd.shape[0]), Xd])
        ok = ~np.isnan(yd)
        beta = np.linalg.lstsq(A[ok], yd[ok], rcond=None)[0] if A.shape[1] else np.zeros(0)
        resid = yd[ok] - A[ok] @ beta
        s2 = float(np.var(resid)) if resid.size > 1 else float(np.nanvar(y))
        scale = float(np.nanvar(yd)) if np.sum(~np.isnan(yd)) > 1 else 0.0
        s2 = max(s2, 1e-6 * scale)
        s2 = s2 if s2 > 0 else 1.0
        zeros = np.zeros(spec.p + spec.q + spec.P + spec.Q)
        return np.concatenate([beta, zeros, [s2]])

    def _llf(self, spec: Spec, params: np.ndarray, y: np.ndarray, X: np.ndarray) -> Any:
        ss = spec.system(params)
        d, c = spec.intercepts(params, X, 0)
        return ss, ss.filter(y, d, c)

    def fit(self, y: Any, exog: Any = None, method: str = "mle") -> SARIMAX:
        """Fit; returns ``self``. ``method``: ``"mle"`` exact maximum likelihood
        (statsmodels'), ``"css"`` conditional sum of squares (R's / statsforecast's, then
        ``llf_`` is the conditional log-likelihood), ``"css-mle"`` exact MLE started from the
        CSS estimates (R's / statsforecast's default)."""
        check_choice(self.cov_type, "cov_type", COV_TYPES)
        yv = check_endog(y)
        n = yv.shape[0]
        X = check_exog(exog, n, None)
        spec = self._spec(X.shape[1])
        maxiter = check_int(self.maxiter, "maxiter", minimum=1)
        n_eff = int(np.sum(~np.isnan(yv[spec.k_diff_states:])))
        if n_eff <= spec.k_params:
            raise SeqlabValueError(
                f"too few observations: {n_eff} observed value(s) after the first "
                f"{spec.k_diff_states} (used up by differencing) for {spec.k_params} "
                "parameters; give a longer series or a smaller order"
            )
        params0 = self._start(spec, yv, X)
        scale = np.ones(spec.k_params)
        ys = math.sqrt(params0[-1])
        cols = np.column_stack([spec.trend_data(0, n), X])
        rms = np.sqrt(np.mean(cols**2, axis=0)) if cols.shape[1] else np.zeros(0)
        scale[: rms.shape[0]] = ys / np.where(rms > 0, rms, 1.0)
        scale[-1] = ys
        x0 = spec.unconstrain(params0) / scale

        from seqlab.classical._sarimax_fit import estimate

        params, n_iter, converged, css_llf = estimate(spec, yv, X, params0, x0, scale, maxiter,
                                                      method)
        if not converged:
            warnings.warn(
                f"SARIMAX{self.order}x{self.seasonal_order}: the optimiser stopped before "
                "converging; raise maxiter or check the model orders",
                RuntimeWarning,
                stacklevel=2,
            )
        _, res = self._llf(spec, params, yv, X)
        if not math.isfinite(float(res.llf)):
            raise DivergenceError(
                f"SARIMAX{self.order}x{self.seasonal_order}: the log-likelihood at the fitted "
                "parameters is not finite (a Kalman prediction variance F <= 0 or NaN); check "
                "the data for inf values or a degenerate/constant series, or simplify the orders"
            )
        if css_llf is not None:
            res.llf = css_llf
        k = spec.k_params
        self.params_ = params
        self.param_names_ = spec.names(exog_names(exog, X.shape[1]))
        self.llf_ = res.llf
        self.nobs_ = n
        self.aic_ = -2.0 * res.llf + 2.0 * k
        self.bic_ = -2.0 * res.llf + k * math.log(n - spec.k_diff_states)
        self.sigma2_ = float(params[-1])
        # compare with the variance of y after the model's differencing: a trend or a random
        # walk makes var(y) itself huge next to any honest innovation variance
        z = yv
        for _ in range(int(self.order[1])):
            z = z[1:] - z[:-1]
        s_period = int(self.seasonal_order[3])
        for _ in range(int(self.seasonal_order[1])):
            z = z[s_period:] - z[:-s_period]
        finite = z[np.isfinite(z)]
        data_var = float(finite.var()) if finite.size > 1 else math.nan
        if data_var == 0.0 or self.sigma2_ < 1e-5 * data_var:
            warnings.warn(
                f"SARIMAX: near-perfect fit (sigma2_={self.sigma2_:.3g}, variance of the "
                f"differenced data {data_var:.3g}); y is deterministic after differencing or an "
                "exog column reproduces y, so standard "
                "errors and the log-likelihood are meaningless; drop that column or check y",
                RuntimeWarning,
                stacklevel=2,
            )
        self.converged_ = converged
        self.n_iter_ = n_iter
        self.k_exog_ = int(X.shape[1])
        self._endog = yv
        self._exog = X
        self._index = index_info(y)
        self._pandas = hasattr(y, "index")
        self._cov = None
        return self

    # ------------------------------------------------------------------ results
    @property
    def params(self) -> Any:
        """Fitted parameters (a pandas Series named by ``param_names_``)."""
        import pandas as pd

        check_is_fitted(self, "params_")
        return pd.Series(self.params_, index=self.param_names_)

    @property
    def llf(self) -> float:
        check_is_fitted(self, "llf_")
        return float(self.llf_)

    @property
    def aic(self) -> float:
        check_is_fitted(self, "aic_")
        return float(self.aic_)

    @property
    def bic(self) -> float:
        check_is_fitted(self, "bic_")
        return float(self.bic_)

    @property
    def sigma2(self) -> float:
        check_is_fitted(self, "sigma2_")
        return float(self.sigma2_)

    @property
    def bse_(self) -> np.ndarray:
        """Standard errors of ``params_`` by ``cov_type`` (statsmodels' ``bse``)."""
        return self._ss_bse()

    @property
    def bse(self) -> Any:
        """``bse_`` as a pandas Series named by ``param_names_`` (statsmodels' ``res.bse``)."""
        import pandas as pd

        return pd.Series(self.bse_, index=self.param_names_)

    # ------------------------------------------------------------------ results hooks
    def _ss_spec(self) -> Spec:
        return self._spec(self.k_exog_)

    def _design(self, exog: Any, start: int, n: int, name: str) -> np.ndarray:
        if n == 0 and exog is None:
            return np.zeros((0, self.k_exog_))
        return check_exog(exog, n, self.k_exog_, name)

"""sktime forecasters for seqlab's state-space ARIMA family: ``ARIMA`` and ``AutoARIMA``.

Both wrap a fitted state-space model (:class:`seqlab.classical.ARIMA`; AutoARIMA: the
:class:`seqlab.classical.SARIMAX` its search chose) and read sktime's horizon as steps
after the cutoff: ``k >= 1`` are the model's ``get_forecast`` means and standard errors,
``k <= 0`` its in-sample one-step predictions (statsmodels' ``fittedvalues``, what
sktime's statsmodels adapters return in-sample).
Intervals are the Gaussian ``mean +- z se`` of ``get_prediction`` (``summary_frame``):
forecast standard errors after the cutoff, one-step prediction errors in-sample (statsmodels'
``get_prediction(start, end)``). NaN in ``y`` is a missing observation the Kalman filter skips.
``update(y, update_params=False)`` runs the filter over the longer series at the fitted
parameters (statsmodels' ``append``); ``update_params=True`` refits on everything seen.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from seqlab.exceptions import SeqlabValueError
from seqlab.interop._sktime_base import SeqlabForecaster

__all__ = ["ARIMA", "AutoARIMA"]


class _StateSpaceForecaster(SeqlabForecaster):
    """Horizon handling for adapters whose fitted model is a seqlab ARIMA/SARIMAX (``_sarimax``)."""

    _tags: ClassVar[dict[str, Any]] = {
        "capability:exogenous": True,
        "capability:missing_values": True,
        "capability:insample": True,
        "capability:pred_int": True,
        "capability:pred_int:insample": True,
        "capability:non_contiguous_X": False,
        "requires-fh-in-fit": False,
    }

    def _sarimax(self) -> Any:
        raise NotImplementedError  # pragma: no cover

    def _fit_model(self, y: pd.Series, X: pd.DataFrame | None, fh: Any) -> None:
        self._fit_seqlab(y.to_numpy(dtype=np.float64),
                         None if X is None else X.to_numpy(dtype=np.float64))
        self._n_fit = y.shape[0]

    def _fit_seqlab(self, y: np.ndarray, X: np.ndarray | None) -> None:
        raise NotImplementedError  # pragma: no cover

    def _extend(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        """Filter the observations after the fitted ones at the fitted parameters."""
        new_X = None if X is None else X.iloc[self._n_fit:].to_numpy(dtype=np.float64)
        # statsmodels' results.append(y, exog, refit=False): the same params, filter on
        self._appended = self._sarimax().append(
            y.iloc[self._n_fit:].to_numpy(dtype=np.float64), exog=new_X)

    def _current(self) -> Any:
        """The model that forecasts from the cutoff: the fitted one, or after
        ``update(update_params=False)`` its parameters run over the longer series."""
        return self._sarimax() if self._y_all.shape[0] == self._n_fit else self._appended

    def _get_forecast(self, steps: int, X: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Means and standard errors of the ``steps`` periods after the last observation."""
        if self._y_all.shape[0] == self._n_fit:  # the fitted model's own get_forecast
            f = self.model_.get_forecast(steps, exog=X)
        else:
            f = self._current().get_forecast(steps, exog=X)
        return np.asarray(f.predicted_mean), np.asarray(f.se_mean)

    def _in_sample(self) -> tuple[np.ndarray, np.ndarray]:
        """One-step-ahead predictions of every observed period and their standard errors."""
        p = self._current().get_prediction()
        return np.asarray(p.predicted_mean), np.asarray(p.se_mean)

    def _mean_se(self, fh: Any, X: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
        k = self._steps(fh)
        mean = np.full(k.shape, np.nan)
        se = np.full(k.shape, np.nan)
        h = int(k.max())
        Xf = self._future_X(X, h)
        out = k > 0
        if out.any():
            m, s = self._get_forecast(h, Xf)
            mean[out], se[out] = m[k[out] - 1], s[k[out] - 1]
        if (~out).any():
            n = self._y_all.shape[0]
            pos = n - 1 + k[~out]
            if pos.min() < 0:
                raise SeqlabValueError(
                    f"fh reaches {-int(pos.min())} period(s) before the first observation; "
                    "in-sample predictions exist only for the observed periods")
            m_in, s_in = self._in_sample()
            mean[~out], se[~out] = m_in[pos], s_in[pos]
        return mean, se

    # ------------------------------------------------------------------ sktime API
    def _predict(self, fh: Any, X: pd.DataFrame | None) -> pd.Series:
        return self._series(self._mean_se(fh, X)[0], fh)

    def _predict_interval(self, fh: Any, X: pd.DataFrame | None,
                          coverage: list[float]) -> pd.DataFrame:
        mean, se = self._mean_se(fh, X)
        return self._interval_frame(mean, se, fh, coverage)

    def _predict_quantiles(self, fh: Any, X: pd.DataFrame | None,
                           alpha: list[float]) -> pd.DataFrame:
        mean, se = self._mean_se(fh, X)
        return self._quantile_frame(mean, se, fh, alpha)

    def _predict_var(self, fh: Any, X: pd.DataFrame | None = None,
                     cov: bool = False) -> pd.DataFrame:
        if cov:
            raise NotImplementedError(
                f"{type(self).__name__}: predict_var(cov=True) (covariances across horizon "
                "steps) is not implemented; use cov=False for the variance of each step")
        _, se = self._mean_se(fh, X)
        return pd.DataFrame({self._get_varnames()[0]: se**2}, index=self._index(fh))


class ARIMA(_StateSpaceForecaster):
    """sktime forecaster of :class:`seqlab.classical.ARIMA`: SARIMA(p,d,q)(P,D,Q)s + trend + X.

    The parameters are the seqlab model's (statsmodels' ``tsa.arima.model.ARIMA``):
    ``order``, ``seasonal_order``, ``trend`` (``"n"``, ``"c"``, ``"t"``, ``"ct"``; None:
    ``"c"`` when ``d + D = 0``), ``method``, ``maxiter``, ``tol``, ``cov_type``. ``X`` in
    ``fit`` are its ``exog`` (regression with SARIMA errors) and ``predict`` needs ``X``
    for every period up to the horizon's last. Fitted: ``model_`` (the seqlab ARIMA), and
    its ``params_``/``llf_``/``aic_`` through ``get_fitted_params()``.

    >>> import numpy as np
    >>> from sktime.datasets import load_airline
    >>> from seqlab.interop import ARIMA
    >>> y = np.log(load_airline())
    >>> f = ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(y, fh=[1, 2, 3])
    >>> f.predict().index.astype(str).tolist()
    ['1961-01', '1961-02', '1961-03']
    >>> f.predict_interval(coverage=[0.8, 0.95]).shape
    (3, 4)
    """

    def __init__(self, order: tuple[int, int, int] = (1, 0, 0),
                 seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0),
                 trend: str | None = None, method: str = "mle", maxiter: int = 200,
                 tol: float = 1e-7, cov_type: str = "opg") -> None:
        self.order = order
        self.seasonal_order = seasonal_order
        self.trend = trend
        self.method = method
        self.maxiter = maxiter
        self.tol = tol
        self.cov_type = cov_type
        super().__init__()

    def _fit_seqlab(self, y: np.ndarray, X: np.ndarray | None) -> None:
        from seqlab.classical import ARIMA as _ARIMA

        self.model_ = _ARIMA(**self.get_params(deep=False)).fit(y, exog=X)

    def _sarimax(self) -> Any:
        return self.model_

    def _get_fitted_params(self) -> dict[str, Any]:
        m = self.model_
        return {"params": dict(zip(m.param_names_, m.params_, strict=True)),
                "llf": m.llf_, "aic": m.aic_, "bic": m.bic_, "sigma2": m.sigma2_,
                "model": m}

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, Any]]:
        """Small, fast configurations for sktime's estimator checks."""
        # d = 0: sktime's update-with-X check fits y whose first column equals an X column
        # plus 10 (both drawn with seed 42); differenced, the fit is exact (sigma2 -> 0) and
        # seqlab's SARIMAX refuses it with DivergenceError (d, D are tested on the airline)
        return [{"order": (1, 0, 0), "trend": "c"},
                {"order": (1, 0, 0), "seasonal_order": (1, 0, 0, 4), "trend": "c"}]


class AutoARIMA(_StateSpaceForecaster):
    """sktime forecaster of :class:`seqlab.classical.AutoARIMA` (Hyndman-Khandakar search).

    The parameters are seqlab's AutoARIMA's, statsforecast's names and defaults:
    ``season_length``, ``d``, ``D``, ``max_p``, ``max_q``, ``max_P``, ``max_Q``,
    ``max_order``, ``max_d``, ``max_D``, ``start_p``, ``start_q``, ``start_P``, ``start_Q``,
    ``stationary``, ``seasonal``, ``ic``, ``stepwise``, ``nmodels``, ``trace``,
    ``allowdrift``, ``allowmean``, ``test``, ``seasonal_test``, ``method``. ``X`` in
    ``fit`` are regressors (the search runs on regression with SARIMA errors). Fitted:
    ``model_`` (the seqlab AutoARIMA), ``order_``, ``seasonal_order_``, ``trend_`` (the
    chosen model); ``update(update_params=True)`` searches again on everything seen.

    >>> import numpy as np
    >>> import pandas as pd
    >>> from seqlab.interop import AutoARIMA
    >>> e = np.random.default_rng(0).normal(size=201)
    >>> y = pd.Series(np.cumsum(e[1:] + 0.6 * e[:-1]))         # ARIMA(0, 1, 1)
    >>> f = AutoARIMA().fit(y, fh=[1, 2])
    >>> f.order_, f.predict().index.tolist()
    ((0, 1, 1), [200, 201])
    """

    def __init__(self, season_length: int = 1, d: int | None = None, D: int | None = None,
                 max_p: int = 5, max_q: int = 5, max_P: int = 2, max_Q: int = 2,
                 max_order: int = 5, max_d: int = 2, max_D: int = 1, start_p: int = 2,
                 start_q: int = 2, start_P: int = 1, start_Q: int = 1,
                 stationary: bool = False, seasonal: bool = True, ic: str = "aicc",
                 stepwise: bool = True, nmodels: int = 94, trace: bool = False,
                 allowdrift: bool = True, allowmean: bool = True, test: str = "kpss",
                 seasonal_test: str = "seas", method: str | None = None) -> None:
        self.season_length = season_length
        self.d = d
        self.D = D
        self.max_p = max_p
        self.max_q = max_q
        self.max_P = max_P
        self.max_Q = max_Q
        self.max_order = max_order
        self.max_d = max_d
        self.max_D = max_D
        self.start_p = start_p
        self.start_q = start_q
        self.start_P = start_P
        self.start_Q = start_Q
        self.stationary = stationary
        self.seasonal = seasonal
        self.ic = ic
        self.stepwise = stepwise
        self.nmodels = nmodels
        self.trace = trace
        self.allowdrift = allowdrift
        self.allowmean = allowmean
        self.test = test
        self.seasonal_test = seasonal_test
        self.method = method
        super().__init__()

    def _fit_seqlab(self, y: np.ndarray, X: np.ndarray | None) -> None:
        from seqlab.classical import AutoARIMA as _AutoARIMA

        self.model_ = _AutoARIMA(**self.get_params(deep=False)).fit(y, exog=X)
        self.order_ = tuple(self.model_.order_)
        self.seasonal_order_ = tuple(self.model_.seasonal_order_)
        self.trend_ = self.model_.trend_

    def _sarimax(self) -> Any:
        return self.model_.model_

    def _get_fitted_params(self) -> dict[str, Any]:
        m = self.model_.model_
        return {"order": self.order_, "seasonal_order": self.seasonal_order_,
                "trend": self.trend_, "ic": self.model_.ic_,
                "params": dict(zip(m.param_names_, m.params_, strict=True)),
                "model": self.model_}

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, Any]]:
        """Small, fast searches for sktime's estimator checks."""
        # d and D fixed: sktime's checks include y = range(25), which is constant after one
        # difference, and seqlab's AutoARIMA refuses such a series (nothing to estimate)
        return [{"d": 0, "max_p": 1, "max_q": 0, "seasonal": False},
                {"season_length": 4, "d": 0, "D": 0, "max_p": 1, "max_q": 0, "max_P": 1,
                 "max_Q": 0, "max_order": 1}]

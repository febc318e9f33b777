"""AutoARIMA: automatic SARIMA order selection (Hyndman & Khandakar 2008), as statsforecast.

The rules of R forecast's ``auto.arima`` as statsforecast 2.1.1's ``AutoARIMA`` implements
them, with every candidate fitted by seqlab's exact-likelihood :class:`SARIMAX`:

1. ``D`` by the seasonal-strength heuristic (:func:`~seqlab.classical.unitroot.nsdiffs`, when
   ``season_length > 1`` and ``n > 2 season_length``), then ``d`` by repeated KPSS tests on
   the seasonally differenced series (:func:`~seqlab.classical.unitroot.ndiffs`); with exog,
   both tests run on the residuals of an OLS of ``y`` on the regressors.
2. A constant is allowed when ``d + D <= 1``: the mean when ``d + D = 0``, the drift when
   ``d + D = 1`` (SARIMAX ``trend="c"``, whose intercept sits in the differenced equation).
3. The stepwise search of :mod:`seqlab.classical._auto_arima_search` (or every model with
   ``p + q + P + Q <= max_order`` when ``stepwise=False``). Each candidate is estimated as
   statsforecast does (``method=None``, see :mod:`seqlab.classical._auto_arima_fit`): CSS
   estimates, refined by exact ML only where statsforecast's ML step moves (no
   differencing); ``method="ML"`` refines every candidate by exact ML (R's intent; the
   orders then differ from statsforecast's more often). The chosen model is always fitted
   by exact ML from its CSS estimates (``model_``). Candidates are scored by::

       aic  = -2 llf + 2 k,        k = #(trend, exog, AR, MA) coefficients + 1 (sigma2)
       aicc = aic + 2 k (k + 1) / (n* - k - 1),  bic = aic + k (log n* - 2)
       n*   = (observed values) - d - D s

   A model whose AR or MA polynomial has a root of modulus < 1.01 scores ``inf`` (R's rule,
   with statsforecast's exemption of polynomials of a single non-zero coefficient).

Left out of the constructor (statsforecast's behaviour with its defaults is what you get):
``approximation`` (False: no CSS-scored search), ``truncate``, Box-Cox ``blambda`` and
``biasadj``, ``test_kwargs``/``seasonal_test_kwargs`` (alpha 0.05), ``distribution``
(normal), ``alias``, ``prediction_intervals``. Refused with an error:
``seasonal_test="ocsb"`` (statsforecast itself runs the seasonal-strength heuristic
whatever test is named), ``method`` other than None/``"ML"``, constant series and series
that are constant after the chosen differencing (nothing to estimate; statsforecast fits
fixed models there).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> e = rng.normal(size=300)
>>> y = np.cumsum(e[1:] + 0.6 * e[:-1])             # ARIMA(0, 1, 1)
>>> m = AutoARIMA().fit(y)
>>> m.order_, m.seasonal_order_, m.trend_
((0, 1, 1), (0, 0, 0, 0), 'n')
>>> m.forecast(3).shape
(3,)
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from seqlab._validation import check_choice, check_int, check_is_fitted
from seqlab.base import BaseEstimator
from seqlab.classical._auto_arima_fit import fit_from, score_candidate
from seqlab.classical._auto_arima_search import grid, stepwise
from seqlab.classical._sarimax_data import check_endog, check_exog
from seqlab.classical.sarimax import SARIMAX, SARIMAXForecast
from seqlab.classical.unitroot import ndiffs, nsdiffs
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["AutoARIMA"]

_INT_PARAMS = ("max_p", "max_q", "max_P", "max_Q", "max_order", "max_d", "max_D", "start_p",
               "start_q", "start_P", "start_Q")


def _const(x: np.ndarray) -> bool:
    return bool(np.all(x[0] == x))


def _seas_diff(x: np.ndarray, lag: int, times: int) -> np.ndarray:
    for _ in range(times):
        x = x[lag:] - x[:-lag]
    return x


class AutoARIMA(BaseEstimator):
    """Automatic SARIMA(p, d, q)(P, D, Q)s selection; statsforecast's names and defaults.

    ``season_length`` the period s (1 = non-seasonal); ``d``/``D`` fix the differencing
    (None = test); ``max_*``/``start_*`` bound and start the search; ``stationary`` forces
    ``d = D = 0``; ``seasonal=False`` searches non-seasonal models only; ``ic`` one of
    ``"aicc"``, ``"aic"``, ``"bic"``; ``stepwise``/``nmodels`` the search and its budget;
    ``trace`` prints each candidate; ``allowdrift``/``allowmean`` allow the constant;
    ``test="kpss"``, ``seasonal_test="seas"``; ``method`` None (candidates estimated as
    statsforecast 2.1.1 does) or ``"ML"`` (every candidate by exact ML).

    ``fit(y, exog=None)`` (y (n,), NaN = missing; exog (n, k)) returns ``self``. Learned:
    ``order_``, ``seasonal_order_``, ``trend_`` (``"c"`` or ``"n"``), ``model_`` (the chosen
    fitted :class:`SARIMAX`), ``ic_`` its criterion, ``candidates_`` (every model visited,
    in order: dicts with ``order``, ``seasonal_order``, ``trend``, ``ic``), ``d_``, ``D_``.
    ``forecast``/``get_forecast``/``predict`` delegate to ``model_``.
    """

    def __init__(
        self,
        season_length: int = 1,
        d: int | None = None,
        D: int | None = None,
        max_p: int = 5,
        max_q: int = 5,
        max_P: int = 2,
        max_Q: int = 2,
        max_order: int = 5,
        max_d: int = 2,
        max_D: int = 1,
        start_p: int = 2,
        start_q: int = 2,
        start_P: int = 1,
        start_Q: int = 1,
        stationary: bool = False,
        seasonal: bool = True,
        ic: str = "aicc",
        stepwise: bool = True,
        nmodels: int = 94,
        trace: bool = False,
        allowdrift: bool = True,
        allowmean: bool = True,
        test: str = "kpss",
        seasonal_test: str = "seas",
        method: str | None = None,
    ) -> None:
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

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: check_int(getattr(self, k), k, minimum=0) for k in _INT_PARAMS}
        out["season_length"] = check_int(self.season_length, "season_length", minimum=1)
        out["nmodels"] = check_int(self.nmodels, "nmodels", minimum=1)
        for name in ("d", "D"):
            v = getattr(self, name)
            out[name] = None if v is None else check_int(v, name, minimum=0)
        for name in ("stationary", "seasonal", "stepwise", "trace", "allowdrift", "allowmean"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise SeqlabTypeError(f"{name} must be True or False; got {getattr(self, name)!r}")
        check_choice(self.ic, "ic", ("aicc", "aic", "bic"))
        check_choice(self.test, "test", ("kpss",))
        if self.seasonal_test != "seas":
            raise SeqlabValueError(
                f"seasonal_test={self.seasonal_test!r} is not supported; use 'seas' (the STL "
                "seasonal-strength heuristic, statsforecast's default, which statsforecast runs "
                "whatever seasonal test is named) or give D explicitly")
        if self.method is not None and str(self.method).upper() != "ML":
            raise SeqlabValueError(
                f"method={self.method!r} is not supported: candidates are fitted by exact "
                "maximum likelihood (SARIMAX); use method=None or 'ML'")
        return out

    # ------------------------------------------------------------------ fitting
    def fit(self, y: Any, exog: Any = None) -> AutoARIMA:
        """Select the orders and fit the chosen model; returns ``self``."""
        prm = self._check_params()
        yv = check_endog(y)
        X = check_exog(exog, yv.shape[0], None)
        first = int(np.nonzero(~np.isnan(yv))[0][0])
        if first:  # leading gaps carry no information (statsforecast drops them too)
            yv, X = yv[first:], X[first:]
            y = y.iloc[first:] if hasattr(y, "iloc") else yv
            exog = exog.iloc[first:] if hasattr(exog, "iloc") else (X if X.shape[1] else None)
        observed = ~np.isnan(yv)
        last = int(np.nonzero(observed)[0][-1]) + 1
        n_obs = int(observed[:last].sum())
        x_obs = yv[observed]
        if _const(x_obs):
            raise SeqlabValueError(
                "y is constant: there is nothing for an ARIMA model to estimate; forecast it "
                "by its value (or a naive method)")
        m = prm["season_length"] if self.seasonal else 1
        max_p = min(prm["max_p"], n_obs // 3)
        max_q = min(prm["max_q"], n_obs // 3)
        max_P = min(prm["max_P"], math.floor(n_obs / 3 / m))
        max_Q = min(prm["max_Q"], math.floor(n_obs / 3 / m))
        ic = self.ic if n_obs > 3 else "aic"
        xx = self._test_series(yv, X)
        d, D = prm["d"], prm["D"]
        if self.stationary:
            d = D = 0
        if m == 1:
            D, max_P, max_Q = 0, 0, 0
        elif D is None:
            D = 0 if xx.shape[0] <= 2 * m else nsdiffs(xx, period=m, max_D=prm["max_D"])
        dx = _seas_diff(xx, m, D) if D else xx
        if d is None:
            d = ndiffs(dx, max_d=prm["max_d"])
            keep = [j for j in range(X.shape[1]) if not _const(X[:, j])]
            if d > 0 and keep:  # a regressor made constant by the differences: one fewer
                dX = _seas_diff(_seas_diff(X[:, keep], m, D) if D else X[:, keep], 1, d)
                d -= int(any(_const(dX[:, j]) for j in range(dX.shape[1])))
        dx = _seas_diff(dx, 1, d)
        dx = dx[~np.isnan(dx)]
        if dx.size == 0:
            raise SeqlabValueError(
                f"not enough data: nothing is left after d={d}, D={D} differences; give a "
                "longer series or fix d/D to smaller values")
        if _const(dx) and not X.shape[1]:
            raise SeqlabValueError(
                f"y is a deterministic polynomial/seasonal pattern (constant after d={d}, "
                f"D={D} differences): there is no noise for an ARIMA model to estimate")
        if m > 1:
            max_p = min(max_p, m - 1) if max_p > 0 else max_p
            max_q = min(max_q, m - 1) if max_q > 0 else max_q
        allowdrift = self.allowdrift and d + D == 1
        allowmean = self.allowmean and d + D == 0
        constant = allowdrift or allowmean
        nstar = n_obs - d - D * m
        cache: dict[tuple[int, int, int, int, bool],
                    tuple[float, np.ndarray | None, SARIMAX | None]] = {}

        def score(p: int, q: int, P: int, Q: int, const: bool) -> float:
            key = (p, q, P, Q, const)
            if key not in cache:
                cache[key] = self._candidate(y, exog, (p, d, q), (P, D, Q, m), const, ic, nstar)
            return cache[key][0]

        if self.stepwise:
            sp, sq = min(prm["start_p"], max_p), min(prm["start_q"], max_q)
            sP, sQ = min(prm["start_P"], max_P), min(prm["start_Q"], max_Q)
            if n_obs < 10:
                sp, sq, sP, sQ = min(sp, 1), min(sq, 1), 0, 0
            best, visited = stepwise(score, (sp, sq, sP, sQ), (max_p, max_q, max_P, max_Q),
                                     constant, allowdrift or allowmean, prm["nmodels"], m > 1)
            if len(visited) >= prm["nmodels"]:
                warnings.warn(f"AutoARIMA: the stepwise search stopped at nmodels="
                              f"{prm['nmodels']} fits; raise nmodels to search further",
                              RuntimeWarning, stacklevel=2)
        else:
            best, visited = grid(score, (max_p, max_q, max_P, max_Q), prm["max_order"],
                                 constant)
        best_ic, params, model = cache[best]
        if params is None or not math.isfinite(best_ic):
            raise SeqlabValueError(
                "no suitable ARIMA model found: every candidate failed to fit or had a root "
                "near the unit circle; fix d/D, lower the max orders or check the data")
        sd = (D > 0) or best[2] > 0 or best[3] > 0
        self.order_ = (best[0], d, best[1])
        self.seasonal_order_ = (best[2], D, best[3], m) if sd else (0, 0, 0, 0)
        self.trend_ = "c" if best[4] and d + D <= 1 else "n"
        if model is None:  # scored at its CSS estimates: fit it by exact ML from there
            so_fit = (best[2], D, best[3], m) if sd else (0, 0, 0, 0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                model = fit_from(SARIMAX(order=(best[0], d, best[1]), seasonal_order=so_fit,
                                         trend=self.trend_), y, exog, params)
        self.model_ = model
        self.ic_ = float(best_ic)
        self.d_, self.D_ = int(d), int(D)
        self.candidates_ = [self._describe(k, d, D, m, v) for k, v in visited]
        self.nobs_ = n_obs
        return self

    @staticmethod
    def _describe(key: tuple[int, int, int, int, bool], d: int, D: int, m: int,
                  ic: float) -> dict[str, Any]:
        sd = D > 0 or key[2] > 0 or key[3] > 0
        return {"order": (key[0], d, key[1]),
                "seasonal_order": (key[2], D, key[3], m) if sd else (0, 0, 0, 0),
                "trend": "c" if key[4] and d + D <= 1 else "n", "ic": float(ic)}

    @staticmethod
    def _test_series(yv: np.ndarray, X: np.ndarray) -> np.ndarray:
        """y, or with exog the residuals of OLS on the non-constant regressors (for tests)."""
        if not X.shape[1]:
            return yv
        keep = [j for j in range(X.shape[1]) if not _const(X[:, j])]
        if not keep:
            return yv
        A = np.column_stack([np.ones(X.shape[0]), X[:, keep]])
        sv = np.linalg.svd(A, compute_uv=False)
        if sv.min() / sv.sum() < np.finfo(np.float64).eps:
            raise SeqlabValueError("exog is rank deficient (a column is a combination of the "
                                   "others or of a constant); drop the redundant columns")
        ok = ~np.isnan(yv)
        beta = np.linalg.lstsq(A[ok], yv[ok], rcond=None)[0]
        out = yv.copy()
        out[ok] = yv[ok] - A[ok] @ beta
        return out

    def _candidate(self, y: Any, exog: Any, order: tuple[int, int, int],
                   seasonal_order: tuple[int, int, int, int], constant: bool, ic: str,
                   nstar: int) -> tuple[float, np.ndarray | None, SARIMAX | None]:
        d, D = order[1], seasonal_order[1]
        trend = "c" if constant and d + D <= 1 else "n"
        sorder = seasonal_order if any(seasonal_order[:3]) else (0, 0, 0, 0)
        out = score_candidate(y, exog, order, sorder, trend, ic, nstar,
                              full_ml=self.method is not None)
        if self.trace:
            print(f"SARIMA{order}x{sorder} trend={trend!r}: {ic}={out[0]:.4f}")
        return out

    # ------------------------------------------------------------------ delegation
    def get_forecast(self, steps: int = 1, exog: Any = None) -> SARIMAXForecast:
        """Forecasts with standard errors and intervals (``model_.get_forecast``)."""
        check_is_fitted(self, "model_")
        return self.model_.get_forecast(steps, exog)

    def forecast(self, steps: int = 1, exog: Any = None) -> Any:
        """Forecast means (steps,) of the chosen model."""
        check_is_fitted(self, "model_")
        return self.model_.forecast(steps, exog)

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """In-sample predictions of the chosen model (``model_.predict``)."""
        check_is_fitted(self, "model_")
        return self.model_.predict(*args, **kwargs)

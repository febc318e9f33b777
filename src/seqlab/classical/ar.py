"""Autoregressive models AR(p): Yule–Walker, Burg and least squares.

The lecture's first traditional approach: "present the current value as a noised sum of n
previous values", ``X_t = phi_0 + phi_1 X_{t-1} + ... + phi_p X_{t-p} + e_t``, with the
parameters found "by solving the Yule–Walker equations".

The estimators (:func:`yule_walker`, :func:`burg`, :func:`ar_ols`) live in
``ar_estimators``; :class:`AR` wraps them as a scikit-learn style estimator with forecasts and
prediction intervals, and :func:`select_ar_order` picks ``p`` by AIC/BIC. Like the
estimators, :class:`AR` fits ``x / c`` for a power-of-two unit ``c`` when the data are
extreme (beyond 1e+-100), so every result is that of ``x / c`` scaled back exactly.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.linalg import toeplitz
from scipy.stats import norm

from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_choice,
    check_int,
    check_is_fitted,
    check_min_features,
    check_random_state,
)
from seqlab.base import BaseEstimator
from seqlab.classical import _ar_kernels as _K
from seqlab.classical import _arima_kernels as _AK
from seqlab.classical._units import in_units, variance_from_units
from seqlab.classical.ar_estimators import (
    ARParams,
    _burg,
    _check_series,
    _ols,
    _yule_walker,
    ar_ols,
    burg,
    yule_walker,
)
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["AR", "ARParams", "Forecast", "ar_ols", "burg", "select_ar_order", "yule_walker"]

ARMethod = Literal["yule_walker", "burg", "ols"]
_METHODS: tuple[str, ...] = ("yule_walker", "burg", "ols")


@dataclass(frozen=True)
class Forecast:
    """Point forecasts with ``1 - alpha`` Gaussian prediction intervals.

    Each array has shape (steps,) for one series or (steps, n_series) for many.
    ``lower/upper = mean -/+ z_{1 - alpha/2} * se``.
    """

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    se: np.ndarray
    alpha: float


def _exact_loglik(x: np.ndarray, phi: np.ndarray, mu: float, sigma2: float) -> float:
    """Exact Gaussian log-likelihood of an AR(p) with mean ``mu`` (Kalman filter)."""
    e = np.empty(0)
    sumlog, ssq, ok = _AK.kalman_arma(x, phi, np.empty(0), mu, False, e, e, e, np.empty((0, 0)))
    if not ok:
        return float("nan")
    n = x.shape[0]
    return float(-0.5 * (n * math.log(2 * math.pi) + sumlog + n * math.log(sigma2) + ssq / sigma2))


class AR(BaseEstimator):
    """Autoregressive model AR(p), the lecture's "noised sum of n previous values".

    ``X_t = phi_0 + phi_1 X_{t-1} + ... + phi_p X_{t-p} + e_t``, ``e_t ~ N(0, sigma2)``,
    with ``phi_0 = mu (1 - sum phi_i)``.

    Parameters
    ----------
    order : int
        ``p >= 1``.
    method : {"yule_walker", "burg", "ols"}
        Estimator (:func:`yule_walker`, :func:`burg`, :func:`ar_ols`).
    demean : bool
        Subtract the sample mean first (Yule–Walker, Burg) / include an intercept (OLS),
        as statsmodels does. With ``False`` the process mean is 0.
    adjusted : bool
        Yule–Walker only: divide ``gamma(k)`` by ``n - k`` instead of ``n``.

    Learned attributes
    ------------------
    ============== =========== =====================================================
    ``params_``    (p,)        ``phi_1..phi_p``
    ``bse_``       (p,)        standard errors (OLS: regression; else ``sigma2 Gamma_p^-1 / n``)
    ``sigma2_``    float       innovation variance
    ``pacf_``      (p,)        partial autocorrelations
    ``mean_``      float       process mean ``mu``;  ``intercept_``: ``phi_0``
    ``loglik_``    float       exact Gaussian log-likelihood (NaN if not stationary)
    ``aic_, bic_`` float       ``-2 loglik + 2k`` / ``+ k log n``, ``k = p + 1 + demean``
    ``resid_``     (n - p,)    ``e_t`` for ``t = p..n-1``
    ``fittedvalues_`` (n,)     one-step predictions, NaN for the first ``p``
    ============== =========== =====================================================

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.zeros(500)
    >>> for t in range(2, 500):
    ...     x[t] = 0.6 * x[t - 1] - 0.3 * x[t - 2] + rng.normal()
    >>> model = AR(2).fit(x)
    >>> np.round(model.params_, 1)
    array([ 0.6, -0.3])
    >>> model.forecast(3).mean.shape
    (3,)
    """

    def __init__(
        self,
        order: int = 1,
        method: ARMethod = "yule_walker",
        demean: bool = True,
        adjusted: bool = False,
    ) -> None:
        self.order = order
        self.method = method
        self.demean = demean
        self.adjusted = adjusted

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True  # a series (n,); (n, 1) is accepted too
        return tags

    def _series(self, x: Any, *, fitting: bool) -> np.ndarray:
        """``x`` (n,) or (n, 1) as a 1-D float array; records/checks ``n_features_in_``."""
        arr = check_min_features(as_float_array(x, "x", ndim=(1, 2)), "x")
        n_columns = 1 if arr.ndim == 1 else arr.shape[1]
        if fitting:
            self._reset_features(x, 1)
        self._check_features(x, n_columns)
        if n_columns != 1:
            raise SeqlabValueError(
                f"AR is univariate: x has {n_columns} columns. Pass one series (n,) or (n, 1); "
                "ARIMA(order=(p, 0, 0)) fits many series (n, S) at once."
            )
        return arr.reshape(-1)

    def fit(self, x: Any, y: Any = None) -> AR:
        """Estimate the AR(p) from one series ``x`` (n,) or (n, 1); returns ``self``.

        ``y`` is ignored: it is there because scikit-learn passes a target to ``fit``.
        """
        order = check_int(self.order, "order", minimum=1)
        check_choice(self.method, "method", _METHODS)
        demean = bool(self.demean)
        arr = self._series(x, fitting=True)
        extra = order + demean + 1 if self.method == "ols" else 1
        xs, c = in_units(_check_series(arr, order, extra=extra))
        n = arr.shape[0]
        if self.method == "yule_walker":
            est = _yule_walker(xs, order, demean, bool(self.adjusted))
        elif self.method == "burg":
            est = _burg(xs, order, demean)
        else:
            est, xtx_inv = _ols(xs, order, demean)
        self.params_ = est.ar
        self.sigma2_ = variance_from_units(est.sigma2, c, "sigma2_")
        self.pacf_ = est.pacf
        self.mean_ = est.mean * c
        self.intercept_ = est.intercept * c
        self.nobs_ = n
        if self.method == "ols":
            bse = np.sqrt(np.diag(est.sigma2 * xtx_inv))
            self.bse_ = bse[1:] if demean else bse
            self.intercept_bse_ = float(bse[0]) * c if demean else 0.0
        else:
            acov, _ = _K.autocovariance(xs, order - 1, demean, False)
            gamma = toeplitz(acov)
            self.bse_ = np.sqrt(np.diag(est.sigma2 * np.linalg.inv(gamma)) / n)
        self.resid_ = _K.ar_residuals(xs, est.ar, est.intercept) * c
        fitted = np.full(n, np.nan)
        fitted[order:] = arr[order:] - self.resid_
        self.fittedvalues_ = fitted
        stationary = bool(_K.ar_to_pacf(est.ar)[1])
        if stationary:
            self.loglik_ = _exact_loglik(xs, est.ar, est.mean, est.sigma2) - n * math.log(c)
        else:
            warnings.warn(
                f"the fitted AR({order}) is not stationary; loglik_, aic_ and bic_ are NaN.",
                RuntimeWarning,
                stacklevel=2,
            )
            self.loglik_ = float("nan")
        k = order + 1 + int(demean)
        self.aic_ = -2.0 * self.loglik_ + 2.0 * k
        self.bic_ = -2.0 * self.loglik_ + k * math.log(n)
        self._history = arr[n - order :].copy()
        self._unit = c  # sigma2_ = sigma2 (in units of c^2) * c^2 may leave float64's range
        self._sigma2_in_units = est.sigma2
        return self

    def _sigma(self) -> float:
        """The innovation standard deviation (finite even where ``sigma2_`` overflows)."""
        unit = self.__dict__.get("_unit", 1.0)
        return math.sqrt(self.__dict__.get("_sigma2_in_units", self.sigma2_)) * unit

    def predict(self, x: Any = None) -> np.ndarray:
        """One-step-ahead predictions ``phi_0 + sum_i phi_i x_{t-i}`` (n,); the first ``p``
        are NaN. ``x=None``: of the training series (in-sample); else of the series ``x``
        with the fitted coefficients."""
        check_is_fitted(self, "params_")
        if x is None:
            return self.fittedvalues_.copy()
        arr = self._series(x, fitting=False)
        p = self.params_.shape[0]
        out = np.full(arr.shape[0], np.nan)
        if arr.shape[0] > p:
            out[p:] = arr[p:] - _K.ar_residuals(arr, self.params_, self.intercept_)
        return out

    def forecast(self, steps: int = 1, alpha: float = 0.05) -> Forecast:
        """Forecast ``steps`` ahead with ``1 - alpha`` intervals.

        ``se_h^2 = sigma2 sum_{j<h} psi_j^2`` with the MA(inf) weights ``psi`` of the AR
        polynomial (B&D §3.3; statsmodels ``AutoReg`` gives the same intervals).
        """
        check_is_fitted(self, "params_")
        steps = check_int(steps, "steps", minimum=1)
        alpha = _check_alpha(alpha)
        mean = _K.ar_forecast_mean(self._history, self.params_, self.intercept_, steps)
        psi = _K.ar_psi_weights(self.params_, steps)
        se = np.sqrt(np.cumsum(psi**2)) * self._sigma()
        z = float(norm.ppf(1.0 - alpha / 2.0))
        return Forecast(mean, mean - z * se, mean + z * se, se, alpha)

    def simulate(self, steps: int, n_paths: int = 1, seed: SeedLike = None) -> np.ndarray:
        """Sample paths (steps, n_paths) continuing the fitted series after its last value."""
        check_is_fitted(self, "params_")
        steps = check_int(steps, "steps", minimum=1)
        n_paths = check_int(n_paths, "n_paths", minimum=1)
        rng = check_random_state(seed)
        p = self.params_.shape[0]
        buf = np.empty((p + steps, n_paths))
        buf[:p] = self._history[:, None]
        eps = rng.normal(0.0, self._sigma(), size=(steps, n_paths))
        for h in range(steps):
            lags = buf[h : p + h][::-1]  # x_{t-1}, ..., x_{t-p}
            buf[p + h] = self.intercept_ + self.params_ @ lags + eps[h]
        return buf[p:]

    def summary(self) -> str:
        """A plain-text table of the estimates and fit statistics."""
        check_is_fitted(self, "params_")
        lines = [f"AR({self.order}) by {self.method}, n = {self.nobs_}"]
        lines.append(f"{'':>10} {'coef':>12} {'std err':>12}")
        lines.append(f"{'mean':>10} {self.mean_:>12.6g} {'':>12}")
        for i, (c, s) in enumerate(zip(self.params_, self.bse_), start=1):
            lines.append(f"{f'ar.L{i}':>10} {c:>12.6g} {s:>12.4g}")
        lines.append(f"{'sigma2':>10} {self.sigma2_:>12.6g}")
        lines.append(f"loglik {self.loglik_:.4f}  aic {self.aic_:.4f}  bic {self.bic_:.4f}")
        return "\n".join(lines)


def _check_alpha(alpha: Any) -> float:
    if np.iscomplexobj(alpha):
        raise SeqlabTypeError(f"alpha is complex ({alpha!r}); pass a real number in (0, 1).")
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise SeqlabTypeError(f"alpha must be a number in (0, 1); got {alpha!r}.") from None
    if not 0.0 < a < 1.0:
        raise SeqlabValueError(
            f"alpha must be in (0, 1), e.g. 0.05 for 95% intervals; got {alpha!r}."
        )
    return a


def select_ar_order(
    x: Any,
    max_order: int = 10,
    *,
    method: ARMethod = "yule_walker",
    criterion: Literal["aic", "bic"] = "aic",
) -> tuple[AR, dict[int, float]]:
    """Fit AR(1..max_order) and return the one with the smallest AIC/BIC and the table.

    The exact Gaussian likelihood uses all ``n`` observations for every order, so the
    criteria are comparable across orders.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = np.zeros(1000)
    >>> for t in range(2, 1000):
    ...     x[t] = 0.5 * x[t - 1] - 0.3 * x[t - 2] + rng.normal()
    >>> best, table = select_ar_order(x, 5, criterion="bic")
    >>> best.order
    2
    """
    max_order = check_int(max_order, "max_order", minimum=1)
    check_choice(criterion, "criterion", ("aic", "bic"))
    arr = _check_series(x, max_order, extra=2)
    table: dict[int, float] = {}
    best: AR | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for p in range(1, max_order + 1):
            m = AR(p, method=method).fit(arr)
            value = m.aic_ if criterion == "aic" else m.bic_
            table[p] = value
            if np.isfinite(value) and (best is None or value < table[best.order]):
                best = m
    if best is None:
        raise SeqlabValueError("no AR order gave a finite criterion (all fits non-stationary).")
    return best, table

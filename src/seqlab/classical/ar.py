"""Autoregressive models AR(p): Yule–Walker, Burg and least squares.

The lecture's first traditional approach: "present the current value as a noised sum of n
previous values", ``X_t = phi_0 + phi_1 X_{t-1} + ... + phi_p X_{t-p} + e_t``, with the
parameters found "by solving the Yule–Walker equations".

One function per estimation method, each citing its book section (Brockwell & Davis,
*Introduction to Time Series and Forecasting*, 3rd ed. 2016, "B&D"):

- :func:`yule_walker` — B&D §5.1.1, solved by the Durbin–Levinson recursion (§2.5.3);
  equals ``statsmodels.regression.linear_model.yule_walker`` (``method="mle"`` when
  ``adjusted=False``, ``"adjusted"`` otherwise);
- :func:`burg` — B&D §5.1.2; equals ``statsmodels.regression.linear_model.burg``;
- :func:`ar_ols` — conditional least squares with an intercept; equals
  ``statsmodels.tsa.ar_model.AutoReg(x, lags=p, trend="c")``.

:class:`AR` wraps them as a scikit-learn style estimator with forecasts and prediction
intervals, and :func:`select_ar_order` picks ``p`` by AIC/BIC.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal, NamedTuple

import numpy as np

from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_choice,
    check_int,
    check_is_fitted,
    check_random_state,
)
from seqlab.base import BaseEstimator
from seqlab.classical import _ar_numpy as _N
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["AR", "ARParams", "Forecast", "ar_ols", "burg", "select_ar_order", "yule_walker"]

ARMethod = Literal["yule_walker", "burg", "ols"]
_METHODS: tuple[str, ...] = ("yule_walker", "burg", "ols")


class ARParams(NamedTuple):
    """Estimates returned by :func:`yule_walker`, :func:`burg` and :func:`ar_ols`.

    ``ar`` (p,): ``phi_1..phi_p``; ``sigma2``: innovation variance; ``pacf`` (p,): partial
    autocorrelations ``phi_11..phi_pp``; ``mean``: mean of the process; ``intercept``:
    ``phi_0 = mean * (1 - sum(ar))``.
    """

    ar: np.ndarray
    sigma2: float
    pacf: np.ndarray
    mean: float
    intercept: float


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


def _check_series(x: Any, order: int, name: str = "x", extra: int = 1) -> np.ndarray:
    arr = as_float_array(x, name, ndim=1, min_length=1)
    need = order + extra
    if arr.shape[0] < need:
        raise SeqlabValueError(
            f"{name} is too short for an AR({order}) fit: it has {arr.shape[0]} observation(s) "
            f"but at least {need} are needed; lower the order or pass a longer series."
        )
    return arr


def _singular(method: str) -> ValueError:
    return ValueError(
        f"{method}: the autocovariance Toeplitz matrix is singular (is the series constant "
        "or perfectly periodic?); cannot solve for the AR coefficients. Use a lower order or "
        "check the data."
    )


def yule_walker(x: Any, order: int, *, demean: bool = True, adjusted: bool = False) -> ARParams:
    """Yule–Walker estimates of an AR(p) (B&D §5.1.1) by Durbin–Levinson (§2.5.3).

    Solves ``Gamma_p phi = gamma_p`` with the sample autocovariances
    ``gamma(k) = sum_t (x_t - m)(x_{t-k} - m) / N`` where ``N = n`` (``adjusted=False``,
    B&D's estimator, always stationary) or ``N = n - k`` (``adjusted=True``);
    ``sigma2 = gamma(0) - phi' gamma_p`` and the partial autocorrelations are the
    recursion's ``phi_kk``.

    >>> import numpy as np
    >>> x = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 5.0, 7.0])
    >>> est = yule_walker(x, 1)
    >>> round(float(est.ar[0]), 4), round(est.sigma2, 4)
    (0.2722, 3.342)
    """
    order = check_int(order, "order", minimum=1)
    arr = _check_series(x, order)
    acov, mean = _N.autocovariance(arr, order, bool(demean), bool(adjusted))
    phi, pacf, ok = _N.durbin_levinson(acov, order)
    if not ok:
        raise _singular("yule_walker")
    sigma2 = float(acov[0] - np.dot(acov[1:], phi))
    return ARParams(phi, sigma2, pacf, float(mean), float(mean * (1.0 - phi.sum())))


def burg(x: Any, order: int, *, demean: bool = True) -> ARParams:
    """Burg's estimates of an AR(p) (B&D §5.1.2).

    Each partial autocorrelation minimises the summed forward and backward prediction
    errors, ``phi_kk = 2 sum u_{t} v_{t-1} / sum (u_t^2 + v_{t-1}^2)``; the estimate is
    always stationary. ``sigma2 = (1 - phi_pp^2) d_p / (2 (n - p))`` as in statsmodels.

    >>> import numpy as np
    >>> x = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 5.0, 7.0])
    >>> est = burg(x, 1)
    >>> round(float(est.ar[0]), 4)
    0.3958
    """
    order = check_int(order, "order", minimum=1)
    arr = _check_series(x, order)
    from seqlab.classical._ar_kernels import burg as burg_kernel  # numba: only when used

    phi, pacf, sigma2, mean, ok = burg_kernel(arr, order, bool(demean))
    if not ok:
        raise _singular("burg")
    return ARParams(phi, float(sigma2), pacf, float(mean), float(mean * (1.0 - phi.sum())))


def _ols_design(arr: np.ndarray, order: int, trend: bool) -> tuple[np.ndarray, np.ndarray]:
    n = arr.shape[0]
    cols = [arr[order - i : n - i] for i in range(1, order + 1)]
    if trend:
        cols.insert(0, np.ones(n - order))
    return np.column_stack(cols), arr[order:]


def ar_ols(x: Any, order: int, *, trend: Literal["c", "n"] = "c") -> ARParams:
    """Conditional least squares: regress ``x_t`` on ``(1, x_{t-1}, ..., x_{t-p})``.

    ``t = p..n-1``; ``sigma2 = SSR / (n - p)``; the estimate need not be stationary.
    Matches ``statsmodels.tsa.ar_model.AutoReg(x, lags=p, trend=trend)``. The ``pacf`` is
    that of the fitted model (step-down recursion), NaN beyond a non-stationary order.

    >>> import numpy as np
    >>> x = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 5.0, 7.0])
    >>> round(float(ar_ols(x, 1).ar[0]), 4)
    0.4706
    """
    order = check_int(order, "order", minimum=1)
    check_choice(trend, "trend", ("c", "n"))
    k = order + (trend == "c")
    arr = _check_series(x, order, extra=k + 1)
    X, y = _ols_design(arr, order, trend == "c")
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    if rank < k:
        raise SeqlabValueError(
            "ar_ols: the lagged design matrix is singular (is the series constant?); use a "
            "lower order or check the data."
        )
    intercept = float(beta[0]) if trend == "c" else 0.0
    phi = np.ascontiguousarray(beta[1:] if trend == "c" else beta)
    resid = y - X @ beta
    sigma2 = float(resid @ resid / y.shape[0])
    pacf, ok = _N.ar_to_pacf(phi)
    if not ok:
        pacf[np.argmax(~(np.abs(pacf) < 1)) :] = np.nan
    denom = 1.0 - phi.sum()
    mean = intercept / denom if denom != 0 else np.nan
    return ARParams(phi, sigma2, pacf, float(mean), intercept)


def _exact_loglik(x: np.ndarray, phi: np.ndarray, mu: float, sigma2: float) -> float:
    """Exact Gaussian log-likelihood of an AR(p) with mean ``mu`` (NaN if not stationary)."""
    return _N.ar_exact_loglik(x, phi, mu, sigma2)


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

    def fit(self, x: Any) -> AR:
        """Estimate the AR(p) from a 1-D series ``x`` (n,); returns ``self``."""
        order = check_int(self.order, "order", minimum=1)
        check_choice(self.method, "method", _METHODS)
        arr = as_float_array(x, "x", ndim=1)
        if self.method == "yule_walker":
            est = yule_walker(arr, order, demean=self.demean, adjusted=self.adjusted)
        elif self.method == "burg":
            est = burg(arr, order, demean=self.demean)
        else:
            est = ar_ols(arr, order, trend="c" if self.demean else "n")
        n = arr.shape[0]
        self.params_ = est.ar
        self.sigma2_ = est.sigma2
        self.pacf_ = est.pacf
        self.mean_ = est.mean
        self.intercept_ = est.intercept
        self.nobs_ = n
        if self.method == "ols":
            X, _ = _ols_design(arr, order, bool(self.demean))
            cov = est.sigma2 * np.linalg.inv(X.T @ X)
            bse = np.sqrt(np.diag(cov))
            self.bse_ = bse[1:] if self.demean else bse
            self.intercept_bse_ = float(bse[0]) if self.demean else 0.0
        else:
            acov, _ = _N.autocovariance(arr, order - 1, bool(self.demean), False)
            gamma = _N.toeplitz_sym(acov)
            self.bse_ = np.sqrt(np.diag(est.sigma2 * np.linalg.inv(gamma)) / n)
        self.resid_ = _N.ar_residuals(arr, est.ar, est.intercept)
        fitted = np.full(n, np.nan)
        fitted[order:] = arr[order:] - self.resid_
        self.fittedvalues_ = fitted
        stationary = bool(_N.ar_to_pacf(est.ar)[1])
        if stationary:
            self.loglik_ = _exact_loglik(arr, est.ar, est.mean, est.sigma2)
        else:
            warnings.warn(
                f"the fitted AR({order}) is not stationary; loglik_, aic_ and bic_ are NaN.",
                RuntimeWarning,
                stacklevel=2,
            )
            self.loglik_ = float("nan")
        k = order + 1 + int(bool(self.demean))
        self.aic_ = -2.0 * self.loglik_ + 2.0 * k
        self.bic_ = -2.0 * self.loglik_ + k * math.log(n)
        self._history = arr[n - order :].copy()
        return self

    def predict(self) -> np.ndarray:
        """In-sample one-step-ahead predictions (n,); the first ``p`` are NaN."""
        check_is_fitted(self, "params_")
        return self.fittedvalues_.copy()

    def forecast(self, steps: int = 1, alpha: float = 0.05) -> Forecast:
        """Forecast ``steps`` ahead with ``1 - alpha`` intervals.

        ``se_h^2 = sigma2 sum_{j<h} psi_j^2`` with the MA(inf) weights ``psi`` of the AR
        polynomial (B&D §3.3; statsmodels ``AutoReg`` gives the same intervals).
        """
        check_is_fitted(self, "params_")
        steps = check_int(steps, "steps", minimum=1)
        alpha = _check_alpha(alpha)
        mean = _N.ar_forecast_mean(self._history, self.params_, self.intercept_, steps)
        psi = _N.ar_psi_weights(self.params_, steps)
        se = np.sqrt(self.sigma2_ * np.cumsum(psi**2))
        z = _normal_quantile(1.0 - alpha / 2.0)
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
        eps = rng.normal(0.0, math.sqrt(self.sigma2_), size=(steps, n_paths))
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


def _normal_quantile(prob: float) -> float:
    """Standard normal quantile (the standard library's; importing scipy.stats for it
    would cost ~0.5 s on a first call)."""
    return NormalDist().inv_cdf(prob)


def _check_alpha(alpha: Any) -> float:
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

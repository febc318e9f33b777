"""The three AR(p) estimators behind :class:`~seqlab.classical.ar.AR`, one per method.

Each citing its book section (Brockwell & Davis, *Introduction to Time Series and
Forecasting*, 3rd ed. 2016, "B&D"):

- :func:`yule_walker` — B&D §5.1.1, solved by the Durbin–Levinson recursion (§2.5.3);
  equals ``statsmodels.regression.linear_model.yule_walker`` (``method="mle"`` when
  ``adjusted=False``, ``"adjusted"`` otherwise);
- :func:`burg` — B&D §5.1.2; equals ``statsmodels.regression.linear_model.burg``;
- :func:`ar_ols` — conditional least squares with an intercept; equals
  ``statsmodels.tsa.ar_model.AutoReg(x, lags=p, trend="c")``.

Every estimator works on ``x / c`` with a power-of-two unit ``c`` (``_units``) and converts
back, so data of any magnitude (1e-300, 1e200) give the estimates of ``x / c`` scaled exactly:
the mean and intercept by ``c``, ``sigma2`` by ``c^2``, the coefficients unchanged.
"""

from __future__ import annotations

import math
from typing import Any, Literal, NamedTuple

import numpy as np

from seqlab._validation import as_float_array, check_choice, check_int
from seqlab.classical import _ar_numpy as _N
from seqlab.classical._units import in_units, variance_from_units
from seqlab.exceptions import SeqlabValueError

__all__ = ["ARParams", "ar_ols", "burg", "yule_walker"]


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


def _check_series(x: Any, order: int, name: str = "x", extra: int = 1) -> np.ndarray:
    arr = as_float_array(x, name, ndim=1, min_length=1)
    need = order + extra
    if arr.shape[0] < need:
        raise SeqlabValueError(
            f"{name} is too short for an AR({order}) fit: it has {arr.shape[0]} observation(s) "
            f"but at least {need} are needed; lower the order or pass a longer series."
        )
    return arr


def _check_not_constant(xs: np.ndarray, centred: bool, method: str) -> None:
    """Refuse a series with nothing to model: constant (``centred``) or all zeros."""
    flat = np.ptp(xs) == 0 if centred else not np.any(xs)
    if flat:
        what = "constant" if centred else "all zeros"
        raise SeqlabValueError(
            f"{method}: the series is {what}, so it has no variation for an AR model to "
            "describe; check the data."
        )


def _singular(method: str, order: int) -> SeqlabValueError:
    what = "lagged design" if method == "ar_ols" else f"order-{order} autocovariance"
    return SeqlabValueError(
        f"{method}: the {what} matrix is singular to working precision: "
        f"the series is (numerically) an exact linear function of its last {order} values "
        "(e.g. a pure sinusoid, or a constant level without demeaning); use a lower order."
    )


def _to_units(est: ARParams, c: float) -> ARParams:
    if c == 1.0:
        return est
    sigma2 = float(variance_from_units(est.sigma2, c, "sigma2"))
    return ARParams(est.ar, sigma2, est.pacf, est.mean * c, est.intercept * c)


def _yule_walker(xs: np.ndarray, order: int, demean: bool, adjusted: bool) -> ARParams:
    _check_not_constant(xs, demean, "yule_walker")
    acov, mean = _N.autocovariance(xs, order, demean, adjusted)
    phi, pacf, ok = _N.durbin_levinson(acov, order)
    if not ok:
        raise _singular("yule_walker", order)
    sigma2 = float(acov[0] - np.dot(acov[1:], phi))
    return ARParams(phi, sigma2, pacf, float(mean), float(mean * (1.0 - phi.sum())))


def _burg(xs: np.ndarray, order: int, demean: bool) -> ARParams:
    _check_not_constant(xs, demean, "burg")
    from seqlab.classical._ar_kernels import burg as burg_kernel  # numba: only when used

    phi, pacf, sigma2, mean, ok = burg_kernel(xs, order, demean)
    if not ok:
        raise _singular("burg", order)
    return ARParams(phi, float(sigma2), pacf, float(mean), float(mean * (1.0 - phi.sum())))


def _ols_design(arr: np.ndarray, order: int, trend: bool) -> tuple[np.ndarray, np.ndarray]:
    n = arr.shape[0]
    cols = [arr[order - i : n - i] for i in range(1, order + 1)]
    if trend:
        cols.insert(0, np.ones(n - order))
    return np.column_stack(cols), arr[order:]


def _ols(xs: np.ndarray, order: int, trend: bool) -> tuple[ARParams, np.ndarray]:
    """``(estimates, covariance of [intercept,] phi / sigma2)`` by least squares on ``xs``
    centred at its sample mean ``m`` (``trend``): ``x_t - m = b + sum phi_i (x_{t-i} - m)``,
    so a large level (1e8 + noise) leaves the design well conditioned; the intercept of the
    uncentred model is ``b + m (1 - sum phi)``."""
    _check_not_constant(xs, trend, "ar_ols")
    m = float(xs.mean()) if trend else 0.0
    X, y = _ols_design(xs - m, order, trend)
    k = X.shape[1]
    # the intercept column at the data's own scale (a power of two, so exact): a column of
    # ones beside lags of size 1e-100 would look rank-deficient to lstsq's relative cutoff
    d = np.ones(k)
    if trend:
        spread = float(np.max(np.abs(xs - m)))
        d[0] = math.ldexp(1.0, math.frexp(spread)[1]) if spread > 0 else 1.0
    Xd = X * d
    beta_d, _, rank, _ = np.linalg.lstsq(Xd, y, rcond=None)
    if rank < k:
        raise _singular("ar_ols", order)
    beta = beta_d * d
    phi = np.ascontiguousarray(beta[1:] if trend else beta)
    resid = y - X @ beta
    sigma2 = float(resid @ resid / y.shape[0])
    xtx_inv = np.linalg.inv(Xd.T @ Xd) * np.outer(d, d)
    intercept = 0.0
    if trend:
        intercept = float(beta[0] + m * (1.0 - phi.sum()))
        grad = np.r_[1.0, np.full(order, -m)]  # d intercept / d (b, phi)
        xtx_inv[0, 0] = grad @ xtx_inv @ grad
        xtx_inv[0, 1:] = xtx_inv[1:, 0] = xtx_inv[1:] @ grad
    pacf, ok = _N.ar_to_pacf(phi)
    if not ok:
        pacf[np.argmax(~(np.abs(pacf) < 1)) :] = np.nan
    denom = 1.0 - phi.sum()
    mean = intercept / denom if denom != 0 else np.nan
    return ARParams(phi, sigma2, pacf, float(mean), intercept), xtx_inv


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
    xs, c = in_units(_check_series(x, order))
    return _to_units(_yule_walker(xs, order, bool(demean), bool(adjusted)), c)


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
    xs, c = in_units(_check_series(x, order))
    return _to_units(_burg(xs, order, bool(demean)), c)


def ar_ols(x: Any, order: int, *, trend: Literal["c", "n"] = "c") -> ARParams:
    """Conditional least squares: regress ``x_t`` on ``(1, x_{t-1}, ..., x_{t-p})``.

    ``t = p..n-1``; ``sigma2 = SSR / (n - p)``; the estimate need not be stationary.
    Matches ``statsmodels.tsa.ar_model.AutoReg(x, lags=p, trend=trend)`` (solved on the
    centred series, which gives the same estimates with a better conditioned design). The
    ``pacf`` is that of the fitted model (step-down recursion), NaN beyond a non-stationary
    order.

    >>> import numpy as np
    >>> x = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 5.0, 7.0])
    >>> round(float(ar_ols(x, 1).ar[0]), 4)
    0.4706
    """
    order = check_int(order, "order", minimum=1)
    check_choice(trend, "trend", ("c", "n"))
    k = order + (trend == "c")
    xs, c = in_units(_check_series(x, order, extra=k + 1))
    return _to_units(_ols(xs, order, trend == "c")[0], c)

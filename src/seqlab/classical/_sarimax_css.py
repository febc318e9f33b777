"""Conditional sum of squares (CSS) for SARIMAX, as R's ``arima`` and statsforecast define it.

The series and the regressors are differenced (``(1 - L)^d (1 - L^s)^D``); with the
reduced-form polynomials ``phi*(L) = phi(L) Phi(L^s)`` and ``theta*(L) = theta(L)
Theta(L^s)`` the residuals are

    e_t = u_t - c - sum_i phi*_i u_{t-i} - sum_j theta*_j e_{t-j},   u_t = w_t - x~_t' beta,

for ``t >= p + sP`` (earlier ``e_t = 0``: the conditioning), ``w`` the differenced series,
``x~`` the differenced regressors and ``c`` the intercept of statsmodels' parameterisation
(the mean is ``c / (1 - sum phi*)``). The coefficients minimise ``sum e_t^2`` without any
stationarity transform (R: "transform.pars is not used for CSS"); ``sigma2 = sum e_t^2 /
n_used`` (``n_used = n - d - sD - p - sP`` residuals) and the conditional log-likelihood is
R's ``-(n - d - sD) / 2 (log(2 pi sigma2) + 1)``.

>>> import numpy as np
>>> from seqlab.classical import SARIMAX
>>> e = np.random.default_rng(0).normal(size=200)
>>> y = e[1:] + 0.5 * e[:-1]                                  # MA(1), theta = 0.5
>>> m = SARIMAX(order=(0, 0, 1)).fit(y, method="css")
>>> bool(abs(m.params_[0] - 0.5) < 0.15), m.param_names_
(True, ['ma.L1', 'sigma2'])
"""

from __future__ import annotations

import math

import numpy as np

from seqlab._jit import njit
from seqlab.classical._sarimax_kernels import _reduced
from seqlab.classical._sarimax_system import Spec
from seqlab.exceptions import SeqlabValueError

__all__ = ["css_fit", "css_residuals"]


@njit(cache=True)
def css_residuals(w, X, params, dims, e):  # pragma: no cover - compiled
    """Write the CSS residuals of ``w`` (n,) into ``e`` (n,) and return their sum of
    squares; ``params`` in statsmodels' order (sigma2 last, unused), ``dims`` as
    :func:`seqlab.classical._sarimax_kernels.sarimax_nll`'s."""
    kt, ke = dims[0], dims[1]
    phi, theta = _reduced(params, dims)
    p, q = phi.shape[0], theta.shape[0]
    n = w.shape[0]
    u = np.empty(n)
    c = params[0] if kt > 0 else 0.0
    for t in range(n):
        acc = w[t]
        for j in range(ke):
            acc -= X[t, j] * params[kt + j]
        u[t] = acc
    ssq = 0.0
    for t in range(n):
        if t < p:
            e[t] = 0.0
            continue
        s = u[t] - c
        for i in range(p):
            s -= phi[i] * u[t - 1 - i]
        for j in range(min(q, t)):
            s -= theta[j] * e[t - 1 - j]
        e[t] = s
        ssq += s * s
    return ssq


def css_fit(
    spec: Spec, y: np.ndarray, X: np.ndarray, start: np.ndarray, maxiter: int
) -> tuple[np.ndarray, float, int, bool]:
    """CSS estimates from ``start`` (statsmodels' order, sigma2 last).

    Returns ``(params, conditional llf, n_iter, converged)``; ``params[-1]`` is
    ``sum e_t^2 / n_used``. Refuses series with missing values (the recursion has no
    conditional density for a gap: fit those with method="mle").
    """
    if spec.trend_powers not in ((), (0,)):
        raise SeqlabValueError(
            f"method='css' supports trend 'n' or 'c' (got trend powers {spec.trend_powers}); "
            "use method='mle' for a time trend")
    if np.isnan(y).any():
        raise SeqlabValueError(
            "method='css' needs a complete series (y has missing values); use "
            "method='mle', whose Kalman filter skips gaps")
    w = np.ascontiguousarray(spec.difference(y))
    Xd = np.ascontiguousarray(spec.difference(X)).reshape(w.shape[0], -1)
    dims = np.array([spec.k_trend, spec.k_exog, spec.p, spec.q, spec.P, spec.Q, spec.s,
                     spec.k_order, -1, 0, 0], dtype=np.int64)
    n_used = w.shape[0] - (spec.p + spec.s * spec.P)
    if n_used <= spec.k_params:
        raise SeqlabValueError(
            f"too few observations for CSS: {n_used} residual(s) after differencing and "
            f"conditioning for {spec.k_params} parameters; give a longer series")
    e = np.empty(w.shape[0])
    full = np.asarray(start, dtype=np.float64).copy()

    def f(x: np.ndarray) -> float:
        full[:-1] = x
        ssq = css_residuals(w, Xd, full, dims, e)
        return 0.5 * math.log(ssq / n_used) if ssq > 0.0 and math.isfinite(ssq) else 1e10

    def grad(x: np.ndarray) -> np.ndarray:
        g = np.empty_like(x)
        for i in range(x.shape[0]):
            h = 1e-6 * max(1.0, abs(x[i]))
            xp, xm = x.copy(), x.copy()
            xp[i] += h
            xm[i] -= h
            g[i] = (f(xp) - f(xm)) / (2 * h)
        return g

    x0 = full[:-1].copy()
    if x0.size:
        import scipy.optimize  # here, not at import: ~0.4 s that only CSS fits need

        opt = scipy.optimize.minimize(f, x0, jac=grad, method="BFGS",
                                      options={"gtol": 1e-9, "maxiter": maxiter})
        x, n_iter = opt.x, int(opt.nit)
        converged = bool(opt.success) or float(np.max(np.abs(grad(x)))) < 1e-6
    else:
        x, n_iter, converged = x0, 0, True
    full[:-1] = x
    ssq = css_residuals(w, Xd, full, dims, e)
    full[-1] = ssq / n_used
    # R's (and statsforecast's) value: sigma2 over the n_used residuals, but the density
    # counted for every observation after differencing
    llf = -0.5 * w.shape[0] * (math.log(2.0 * math.pi * full[-1]) + 1.0)
    return full, llf, n_iter, converged

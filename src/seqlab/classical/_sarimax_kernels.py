"""Numba kernels: SARIMAX's profile negative log-likelihood in one compiled call.

``sarimax_nll(x, scale, data)`` maps the optimiser's unconstrained vector to statsmodels'
parameters (Monahan's transform: :mod:`._sarimax_system`), forms the reduced-form lag
polynomials ``phi*(L) = phi(L) Phi(L^s)``, ``theta*(L) = theta(L) Theta(L^s)``, the
stationary covariance of the ARMA block (:func:`._arma_cov.harvey_stationary_cov`, O(m^2))
and runs a unit-variance Kalman filter on Harvey's form (or, for a complete pure AR,
``sarimax_nll_ar``: the exact Durbin–Levinson likelihood :func:`._arma_cov.ar_exact_terms`;
for a pure MA, ``sarimax_nll_ma``: the same filter without the AR solve of the covariance;
:func:`nll_kernel` picks the kernel a model needs, the only one it compiles), all without returning
to Python; sigma2 is profiled out (``sigma2_hat = sum v_t^2 / F_t / n_obs``), which is exact
for a model without differencing states: the caller passes the differenced series
(:func:`seqlab.classical._sarimax_fit.optimiser_data`).

``data = (w, X, dims)``: ``w`` (n,) the (differenced) series, NaN = missing, ``X``
(n, k_exog) the (differenced) regressors, ``dims = (k_trend, k_exog, p, q, P, Q, s, k,
last_nan, n_missing, want_sigma2)`` with ``k`` the ARMA block's size and ``k_trend`` 0 or
1 (a constant: the mean ``c / (1 - sum phi*)``).

>>> import numpy as np
>>> dims = np.array([0, 0, 1, 0, 0, 0, 0, 1, -1, 0, 0])     # AR(1), no trend, no exog
>>> round(float(constrain_params(np.array([1.0, 2.0]), np.ones(2), dims)[0]), 6)
-0.707107
"""

from __future__ import annotations

import math

import numpy as np

from seqlab._jit import njit
from seqlab.classical._arma_cov import ar_exact_terms, harvey_stationary_cov

__all__ = ["KERNELS", "constrain_params", "nll_kernel", "sarimax_nll", "sarimax_nll_ar",
           "sarimax_nll_ma"]

_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, inline="always")  # typed inside its callers: no own compile
def _monahan(u, out, start):  # pragma: no cover - compiled
    """statsmodels' ``constrain_stationary_univariate`` of ``u`` into ``out[start:]``."""
    n = u.shape[0]
    prev = np.empty(n)  # np.empty and loops: np.zeros compiles one more numba helper
    cur = np.empty(n)
    for i in range(n):
        prev[i] = 0.0
        cur[i] = 0.0
    for k in range(n):
        r = u[k] / math.sqrt(1.0 + u[k] * u[k])
        for i in range(k):
            cur[i] = prev[i] + r * prev[k - i - 1]
        cur[k] = r
        for i in range(k + 1):
            prev[i] = cur[i]
    for i in range(n):
        out[start + i] = -prev[i]


@njit(cache=True)
def constrain_params(x, scale, dims):  # pragma: no cover - compiled
    """Unconstrained ``x * scale`` -> parameters (trend, exog, ar, ma, sar, sma, sigma2)."""
    kt, ke, p, q, P, Q = dims[0], dims[1], dims[2], dims[3], dims[4], dims[5]
    u = np.empty(x.shape[0])
    for i in range(x.shape[0]):  # a loop, not ``x * scale``: array expressions compile slowly
        u[i] = x[i] * scale[i]
    out = np.empty(u.shape[0])
    for i in range(kt + ke):
        out[i] = u[i]
    pos = kt + ke
    for size, sign in ((p, 1.0), (q, -1.0), (P, 1.0), (Q, -1.0)):
        _monahan(u[pos:pos + size], out, pos)
        for i in range(pos, pos + size):
            out[i] *= sign
        pos += size
    out[pos] = u[pos] * u[pos]
    return out


@njit(cache=True, inline="always")  # typed inside its callers: no own compile
def _reduced(params, dims):  # pragma: no cover - compiled
    """Reduced-form AR ``phi*`` (p + sP) and MA ``theta*`` (q + sQ) coefficients."""
    kt, ke, p, q, P, Q, s = dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6]
    o = kt + ke
    phi = np.empty(p + s * P)
    theta = np.empty(q + s * Q)
    for i in range(phi.shape[0]):
        phi[i] = 0.0
    for i in range(theta.shape[0]):
        theta[i] = 0.0
    for i in range(p + 1):  # (1 - sum ar L^i)(1 - sum sar L^{sj}) = 1 - sum phi* L^k
        a = 1.0 if i == 0 else -params[o + i - 1]
        for j in range(P + 1):
            b = 1.0 if j == 0 else -params[o + p + q + j - 1]
            if i + s * j > 0:
                phi[i + s * j - 1] -= a * b
    for i in range(q + 1):
        a = 1.0 if i == 0 else params[o + p + i - 1]
        for j in range(Q + 1):
            b = 1.0 if j == 0 else params[o + p + q + P + j - 1]
            if i + s * j > 0:
                theta[i + s * j - 1] += a * b
    return phi, theta


@njit(cache=True)
def _arma_filter(w, tphi, rvec, P1, last_nan):  # pragma: no cover - compiled
    """Unit-variance Kalman filter of the zero-mean ARMA ``w`` in Harvey's form (NaN =
    missing: prediction without update); returns ``(sum log F_t, sum v_t^2 / F_t, n_obs)``
    (``n_obs = -1`` if some ``F_t <= 0``). The gain is frozen once the Riccati recursion
    has converged after the last missing value (then a step costs O(m))."""
    n = w.shape[0]
    m = tphi.shape[0]
    P = np.empty((m, m))  # np.empty and loops: .copy() and np.zeros compile numba helpers
    a = np.empty(m)
    TP = np.empty((m, m))
    K = np.empty(m)
    for i in range(m):
        a[i] = 0.0
        K[i] = 0.0
        for j in range(m):
            P[i, j] = P1[i, j]
    sumlog = 0.0
    ssq = 0.0
    nobs = 0
    frozen = False
    F = 1.0
    logF = 0.0
    for t in range(n):
        wt = w[t]
        miss = math.isnan(wt)
        if not frozen:
            F = P[0, 0]
            if not miss:
                if not F > 0.0:
                    return np.nan, np.nan, -1
                logF = math.log(F)
            for i in range(m):
                for j in range(m):
                    TP[i, j] = tphi[i] * P[0, j] + (P[i + 1, j] if i + 1 < m else 0.0)
            for i in range(m):
                K[i] = 0.0 if miss else TP[i, 0] / F
            diff = 0.0
            for i in range(m):
                for j in range(i, m):
                    val = tphi[j] * TP[i, 0] + (TP[i, j + 1] if j + 1 < m else 0.0)
                    val += rvec[i] * rvec[j] - F * K[i] * K[j]
                    diff = max(diff, abs(val - P[i, j]))
                    P[i, j] = val
                    P[j, i] = val
            if t > last_nan and diff < 1e-13:
                frozen = True
        v = 0.0
        if not miss:
            v = wt - a[0]
            sumlog += logF
            ssq += v * v / F
            nobs += 1
        a0 = a[0]
        for i in range(m - 1):
            a[i] = tphi[i] * a0 + a[i + 1] + K[i] * v
        a[m - 1] = tphi[m - 1] * a0 + K[m - 1] * v
    return sumlog, ssq, nobs


@njit(cache=True, inline="always")  # typed inside its callers: no own compile
def _demeaned(x, scale, data):  # pragma: no cover - compiled
    """``(phi*, theta*, w - X beta - mean)`` at the unconstrained ``x``."""
    y, X, dims = data
    kt, ke = dims[0], dims[1]
    xf = np.empty(x.shape[0] + 1)  # np.empty + loops only: each other allocator (np.ones,
    sf = np.empty(x.shape[0] + 1)  # np.zeros, .copy()) compiles one more helper on first use
    xf[-1] = 1.0
    sf[-1] = 1.0
    for i in range(x.shape[0]):
        xf[i] = x[i]
        sf[i] = scale[i]
    params = constrain_params(xf, sf, dims)
    phi, theta = _reduced(params, dims)
    tot = 0.0
    for i in range(phi.shape[0]):
        tot += phi[i]
    n = y.shape[0]
    w = np.empty(n)
    mean = params[0] / (1.0 - tot) if kt > 0 else 0.0
    for t in range(n):
        acc = mean
        for j in range(ke):
            acc += X[t, j] * params[kt + j]
        w[t] = y[t] - acc
    return phi, theta, w


@njit(cache=True, inline="always")  # typed inside its callers: no own compile
def _value(sumlog, ssq, ok, n, dims):  # pragma: no cover - compiled
    nn = n - dims[9]
    if dims[10] == 1:
        return ssq / nn
    if not ok or not ssq > 0.0 or not math.isfinite(ssq) or not math.isfinite(sumlog):
        return np.inf
    return 0.5 * (_LOG_2PI + 1.0 + math.log(ssq / nn) + sumlog / nn)


@njit(cache=True)
def sarimax_nll(x, scale, data):  # pragma: no cover - compiled
    """``-loglik / n_obs`` at the unconstrained ``x`` (every parameter but sigma2), sigma2
    profiled out; ``+inf`` where it is undefined. With ``dims[10] == 1`` it returns the
    profiled ``sigma2_hat`` instead.

    The unit-variance filter :func:`_arma_filter` runs on ``w - X beta - mean``,
    ``mean = c / (1 - sum phi*)`` (:func:`nll_kernel` picks :func:`sarimax_nll_ar` for a
    complete pure AR instead)."""
    dims = data[2]
    k = dims[7]
    phi, theta, w = _demeaned(x, scale, data)
    tphi = np.empty(k)
    rvec = np.empty(k)
    for i in range(k):
        tphi[i] = 0.0
        rvec[i] = 0.0
    rvec[0] = 1.0
    for i in range(phi.shape[0]):
        tphi[i] = phi[i]
    for i in range(theta.shape[0]):
        rvec[i + 1] = theta[i]
    Pk = np.empty((k, k))
    ok = harvey_stationary_cov(tphi, rvec, phi.shape[0], Pk)
    sumlog, ssq, nobs = (_arma_filter(w, tphi, rvec, Pk, dims[8]) if ok
                         else (np.nan, np.nan, -1))
    return _value(sumlog, ssq, ok and nobs > 0, w.shape[0], dims)


@njit(cache=True, inline="always")  # typed inside its callers: no own compile
def _ma_stationary_cov(rvec, out):  # pragma: no cover - compiled
    """:func:`._arma_cov.harvey_stationary_cov` of a pure MA (``p = 0``, ``tphi = 0``): the
    same operations in the same order (its ``tphi`` products are ``0.0 * x`` terms, kept so
    that every sum, its zeros' signs included, is bit for bit the same) without the
    ``(p + 1)``-square solve, which for ``p = 0`` is ``gamma(0) = rhs(0) / 1.0``."""
    m = rvec.shape[0]
    zero = 0.0
    psi = np.empty(m + 1)
    gamma = np.empty(m + 1)
    for j in range(m):
        psi[j] = rvec[j]
    psi[m] = 0.0
    for k in range(m):
        s = 0.0
        for j in range(k, m):
            s += rvec[j] * psi[j - k]
        gamma[k] = s
    gamma[m] = 0.0
    gamma[0] = gamma[0] / 1.0
    if not gamma[0] > 0.0 or not math.isfinite(gamma[0]):
        return False
    for l in range(m):
        s = 0.0
        for j in range(m - l):
            s += zero * gamma[j + 1] + rvec[l + j] * psi[j]
        out[0, l] = s
        out[l, 0] = s
    for i in range(m - 1, 0, -1):
        for l in range(m - 1, i - 1, -1):
            s = zero * zero * out[0, 0] + rvec[i] * rvec[l]
            if l + 1 < m:
                s += zero * out[0, l + 1]
                if i + 1 < m:
                    s += out[i + 1, l + 1]
            if i + 1 < m:
                s += zero * out[0, i + 1]
            out[i, l] = s
            out[l, i] = s
    for i in range(m):
        if not out[i, i] >= 0.0:
            return False
    return True


@njit(cache=True)
def sarimax_nll_ma(x, scale, data):  # pragma: no cover - compiled
    """:func:`sarimax_nll` of a pure MA (no AR lag, seasonal or not): its stationary
    covariance without the AR solve (:func:`_ma_stationary_cov`, the same numbers), so that
    such a model compiles neither :func:`._arma_cov.harvey_stationary_cov` nor its solve."""
    dims = data[2]
    k = dims[7]
    _, theta, w = _demeaned(x, scale, data)
    tphi = np.empty(k)
    rvec = np.empty(k)
    for i in range(k):
        tphi[i] = 0.0
        rvec[i] = 0.0
    rvec[0] = 1.0
    for i in range(theta.shape[0]):
        rvec[i + 1] = theta[i]
    Pk = np.empty((k, k))
    ok = _ma_stationary_cov(rvec, Pk)
    sumlog, ssq, nobs = (_arma_filter(w, tphi, rvec, Pk, dims[8]) if ok
                         else (np.nan, np.nan, -1))
    return _value(sumlog, ssq, ok and nobs > 0, w.shape[0], dims)


@njit(cache=True)
def sarimax_nll_ar(x, scale, data):  # pragma: no cover - compiled
    """:func:`sarimax_nll` of a pure AR without missing values: no filter needed, the exact
    likelihood is :func:`ar_exact_terms` (a kernel of its own, so that a model compiles
    only the likelihood it uses)."""
    phi, _, w = _demeaned(x, scale, data)
    sumlog, ssq, ok = ar_exact_terms(w, phi)
    return _value(sumlog, ssq, ok, w.shape[0], data[2])


def nll_kernel(dims: np.ndarray) -> str:
    """The likelihood a model needs, the only one it compiles (a key of ``KERNELS``): "ar"
    (:func:`sarimax_nll_ar`) for a complete pure AR (no MA lags: ``q = 0`` and ``s Q = 0``;
    no missing value), "ma" (:func:`sarimax_nll_ma`) for a pure MA (``p = 0`` and
    ``s P = 0``), "arma" (:func:`sarimax_nll`) otherwise."""
    if dims[3] == 0 and dims[5] * dims[6] == 0 and dims[9] == 0:
        return "ar"
    if dims[2] == 0 and dims[4] * dims[6] == 0:
        return "ma"
    return "arma"


KERNELS = {"arma": sarimax_nll, "ar": sarimax_nll_ar, "ma": sarimax_nll_ma}

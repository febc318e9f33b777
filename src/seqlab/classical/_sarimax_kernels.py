"""Numba kernels: SARIMAX's negative log-likelihood in one compiled call.

``sarimax_nll(x, scale, data)`` maps the optimiser's unconstrained vector to statsmodels'
parameters (Monahan's transform, a square for sigma2: :mod:`._sarimax_system`), builds the
state-space system (the reduced-form lag polynomials ``phi*(L) = phi(L) Phi(L^s)``,
``theta*(L) = theta(L) Theta(L^s)``, the sparse transition, the stationary covariance of
the ARMA block by :func:`._arma_cov.harvey_stationary_cov`, the approximate diffuse prior
1e6 of the differencing states) and runs the Kalman filter, all without returning to
Python. The filter freezes its gain once the Riccati recursion has converged (relative
change below 1e-12, only after the last missing value), after which a step costs O(m).

``data`` is the tuple built by :func:`seqlab.classical._sarimax_fit.kernel_data`:
``(y, X, TD, Tr, Tc, Tv, phi_slot, zidx, dims)`` with ``y`` (n,) (NaN = missing), ``X``
(n, k_exog), ``TD`` (n, k_trend) the trend regressors, the transition's triplets (rows,
cols, values with the AR column left for ``phi_slot`` to fill), ``zidx`` the states ``Z``
selects, and ``dims = (k_trend, k_exog, p, q, P, Q, s, d, D, last_nan, concentrated,
n_missing)``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from seqlab.classical._arma_cov import harvey_stationary_cov

__all__ = ["arma_terms", "constrain_params", "sarimax_nll"]

_LOG_2PI = math.log(2.0 * math.pi)
DIFFUSE = 1e6  # statsmodels' approximate diffuse variance


@njit(cache=True)
def _monahan(u, out, start):  # pragma: no cover - compiled
    """statsmodels' ``constrain_stationary_univariate`` of ``u`` into ``out[start:]``."""
    n = u.shape[0]
    prev = np.zeros(n)
    cur = np.zeros(n)
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
    u = x * scale
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


@njit(cache=True)
def _reduced(params, dims):  # pragma: no cover - compiled
    """Reduced-form AR ``phi*`` (p + sP) and MA ``theta*`` (q + sQ) coefficients."""
    kt, ke, p, q, P, Q, s = dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], dims[6]
    o = kt + ke
    phi = np.zeros(p + s * P)
    theta = np.zeros(q + s * Q)
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
    P = P1.copy()
    a = np.zeros(m)
    TP = np.empty((m, m))
    K = np.zeros(m)
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


@njit(cache=True)
def arma_terms(x, scale, data):  # pragma: no cover - compiled
    """Concentrated mode (no differencing states, a constant or no trend):
    ``(sum log F_t, sum v_t^2 / F_t, ok)`` of the unit-variance ARMA filter
    :func:`_arma_filter` on ``y - X beta - mean`` (NaN = missing), where
    ``x`` holds every parameter but sigma2 and ``mean = c / (1 - sum phi*)``."""
    y, X, TD, Tr, Tc, Tv0, phi_slot, zidx, dims = data
    kt, ke = dims[0], dims[1]
    xf = np.ones(x.shape[0] + 1)
    sf = np.ones(x.shape[0] + 1)
    xf[:-1] = x
    sf[:-1] = scale
    params = constrain_params(xf, sf, dims)
    phi, theta = _reduced(params, dims)
    k = phi_slot.shape[0]
    tphi = np.zeros(k)
    rvec = np.zeros(k)
    rvec[0] = 1.0
    tot = 0.0
    for i in range(phi.shape[0]):
        tphi[i] = phi[i]
        tot += phi[i]
    for i in range(theta.shape[0]):
        rvec[i + 1] = theta[i]
    Pk = np.empty((k, k))
    if not harvey_stationary_cov(tphi, rvec, phi.shape[0], Pk):
        return np.nan, np.nan, False
    n = y.shape[0]
    w = y.copy()
    mean = params[0] / (1.0 - tot) if kt > 0 else 0.0
    for t in range(n):
        acc = mean
        for j in range(ke):
            acc += X[t, j] * params[kt + j]
        w[t] -= acc
    sumlog, ssq, nobs = _arma_filter(w, tphi, rvec, Pk, dims[9])
    return sumlog, ssq, nobs > 0


@njit(cache=True)
def sarimax_nll(x, scale, data):  # pragma: no cover - compiled
    """``-loglik / n_obs`` at the unconstrained ``x`` (``+inf`` where it is undefined);
    in concentrated mode (``dims[10] == 1``: :func:`arma_terms`) sigma2 is profiled out."""
    y, X, TD, Tr, Tc, Tv0, phi_slot, zidx, dims = data
    if dims[10] == 1:
        sumlog, ssq, ok = arma_terms(x, scale, data)
        nn = y.shape[0] - dims[11]
        if not ok or not ssq > 0.0 or not np.isfinite(ssq) or not np.isfinite(sumlog):
            return np.inf
        return 0.5 * (_LOG_2PI + 1.0 + math.log(ssq / nn) + sumlog / nn)
    kt, ke, d, D, s, last_nan = dims[0], dims[1], dims[7], dims[8], dims[6], dims[9]
    params = constrain_params(x, scale, dims)
    phi, theta = _reduced(params, dims)
    sigma2 = params[params.shape[0] - 1]
    kd = d + D * s
    k = phi_slot.shape[0]
    m = kd + k
    n = y.shape[0]
    Tv = Tv0.copy()
    tphi = np.zeros(k)
    rvec = np.zeros(k)
    rvec[0] = 1.0
    for i in range(phi.shape[0]):
        tphi[i] = phi[i]
    for i in range(theta.shape[0]):
        rvec[i + 1] = theta[i]
    for i in range(k):
        Tv[phi_slot[i]] = tphi[i]
    P = np.zeros((m, m))
    Pk = np.empty((k, k))
    if not harvey_stationary_cov(tphi, rvec, phi.shape[0], Pk):
        return np.inf
    for i in range(k):
        for j in range(k):
            P[kd + i, kd + j] = sigma2 * Pk[i, j]
    for i in range(kd):
        P[i, i] = DIFFUSE
    RQR = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            RQR[i, j] = sigma2 * rvec[i] * rvec[j]
    a = np.zeros(m)
    if kt > 0:  # ARMA block starts at its mean given the first period's trend intercept
        c0 = 0.0
        for j in range(kt):
            c0 += TD[0, j] * params[j]
        tot = 0.0
        for i in range(k):
            tot += tphi[i]
        a0 = c0 / (1.0 - tot)
        acc = 0.0
        for i in range(k - 1, 0, -1):
            acc += tphi[i]
            a[kd + i] = a0 * acc
        a[kd] = a0
    M = np.empty(m)
    af = np.empty(m)
    work = np.empty((m, m))
    Pn = np.empty((m, m))
    nz = zidx.shape[0]
    nt = Tr.shape[0]
    frozen = False
    need = True  # recompute M = P Z', F = Z P Z' (once more after freezing)
    F = 1.0
    llf = 0.0
    nobs = 0
    for t in range(n):
        if need:
            need = not frozen
            F = 0.0
            for i in range(m):
                acc = 0.0
                for jj in range(nz):
                    acc += P[i, zidx[jj]]
                M[i] = acc
            for jj in range(nz):
                F += M[zidx[jj]]
        yt = y[t]
        for i in range(m):
            af[i] = a[i]
        if not math.isnan(yt):
            if not F > 0.0:
                return np.inf
            v = yt
            for j in range(ke):
                v -= X[t, j] * params[kt + j]
            for jj in range(nz):
                v -= a[zidx[jj]]
            for i in range(m):
                af[i] += M[i] * (v / F)
            if t >= kd:
                llf -= 0.5 * (_LOG_2PI + math.log(F) + v * v / F)
                nobs += 1
            if not frozen:
                for i in range(m):
                    for j in range(m):
                        P[i, j] -= M[i] * M[j] / F
        for i in range(m):  # a = T af + c_t
            a[i] = 0.0
        for e in range(nt):
            a[Tr[e]] += Tv[e] * af[Tc[e]]
        if kt > 0:
            ct = 0.0
            for j in range(kt):
                ct += TD[t, j] * params[j]
            a[kd] += ct
        if frozen:
            continue
        work[:, :] = 0.0  # P <- T P T' + RQR
        for e in range(nt):
            i, j, val = Tr[e], Tc[e], Tv[e]
            for c in range(m):
                work[i, c] += val * P[j, c]
        Pn[:, :] = 0.0
        for e in range(nt):
            i, j, val = Tr[e], Tc[e], Tv[e]
            for r in range(m):
                Pn[r, i] += val * work[r, j]
        for i in range(k):
            for j in range(k):
                Pn[kd + i, kd + j] += RQR[i, j]
        diff = 0.0
        big = 0.0
        for i in range(m):
            for j in range(m):
                diff = max(diff, abs(Pn[i, j] - P[i, j]))
                big = max(big, abs(Pn[i, j]))
                P[i, j] = Pn[i, j]
        if t > last_nan and t >= kd and diff <= 1e-12 * big:
            frozen = True
    if nobs == 0 or not np.isfinite(llf):
        return np.inf
    return -llf / nobs

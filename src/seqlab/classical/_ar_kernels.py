"""Numba kernels for AR(p) estimation: autocovariances, Durbin–Levinson, Burg, step-down.

Pure functions of arrays (no classes, no I/O, no random state); the estimator in
:mod:`seqlab.classical.ar` validates input and calls them.

Sources: Brockwell & Davis, *Introduction to Time Series and Forecasting* (3rd ed., 2016),
§2.4.2 (sample autocovariance), §2.5.3 (Durbin–Levinson algorithm), §5.1.1 (Yule–Walker),
§5.1.2 (Burg's algorithm); the Burg recursion follows ``statsmodels.tsa.stattools.pacf_burg``
step by step so that the two agree to rounding.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__: list[str] = []


@njit(cache=True, fastmath=True)  # reassociated (SIMD) sums: rounding-level differences
def autocovariance(x: np.ndarray, nlags: int, demean: bool, adjusted: bool):
    """Sample autocovariances ``gamma(0..nlags)`` and the mean that was subtracted.

    ``gamma(k) = sum_{t=k}^{n-1} (x_t - m)(x_{t-k} - m) / (n - k if adjusted else n)``
    (B&D §2.4.2; ``adjusted`` is statsmodels' ``method="adjusted"``).
    """
    n = x.shape[0]
    m = 0.0
    if demean:
        s = 0.0
        for t in range(n):
            s += x[t]
        m = s / n
    acov = np.zeros(nlags + 1)
    for k in range(nlags + 1):
        s = 0.0
        for t in range(k, n):
            s += (x[t] - m) * (x[t - k] - m)
        acov[k] = s / ((n - k) if adjusted else n)
    return acov, m


@njit(cache=True)
def durbin_levinson(acov: np.ndarray, order: int):
    """Solve the Yule–Walker equations ``Gamma_p phi = gamma_p`` by Durbin–Levinson.

    B&D §2.5.3: ``phi_kk = (gamma(k) - sum_j phi_{k-1,j} gamma(k-j)) / v_{k-1}``,
    ``phi_kj = phi_{k-1,j} - phi_kk phi_{k-1,k-j}``, ``v_k = v_{k-1} (1 - phi_kk^2)``.

    Returns ``(phi, pacf, v, ok)``: the order-``p`` coefficients, the partial
    autocorrelations ``phi_kk``, the innovation variances ``v_0..v_p``, and ``ok=False`` if
    a leading Toeplitz minor is singular (``v_k`` ~ 0), in which case the outputs are junk.
    """
    phi = np.zeros(order)
    prev = np.zeros(order)
    pacf = np.zeros(order)
    v = np.zeros(order + 1)
    v[0] = acov[0]
    scale = abs(acov[0])
    for k in range(1, order + 1):
        if not abs(v[k - 1]) > 1e-13 * scale or scale == 0.0:
            return phi, pacf, v, False
        acc = acov[k]
        for j in range(1, k):
            acc -= prev[j - 1] * acov[k - j]
        a = acc / v[k - 1]
        for j in range(1, k):
            phi[j - 1] = prev[j - 1] - a * prev[k - j - 1]
        phi[k - 1] = a
        pacf[k - 1] = a
        v[k] = v[k - 1] * (1.0 - a * a)
        for j in range(k):
            prev[j] = phi[j]
    return phi, pacf, v, True


@njit(cache=True)
def pacf_to_ar(pacf: np.ndarray) -> np.ndarray:
    """AR coefficients of the model whose partial autocorrelations are ``pacf`` (B&D §2.5.3)."""
    p = pacf.shape[0]
    phi = np.zeros(p)
    prev = np.zeros(p)
    for k in range(1, p + 1):
        a = pacf[k - 1]
        for j in range(1, k):
            phi[j - 1] = prev[j - 1] - a * prev[k - j - 1]
        phi[k - 1] = a
        for j in range(k):
            prev[j] = phi[j]
    return phi


@njit(cache=True)
def ar_to_pacf(phi: np.ndarray):
    """Step-down (inverse Durbin–Levinson): partial autocorrelations of AR coefficients.

    Returns ``(pacf, ok)``; ``ok`` is False when some ``|phi_kk| >= 1``, i.e. the AR
    polynomial ``1 - phi_1 z - ... - phi_p z^p`` has a root on or inside the unit circle.
    """
    p = phi.shape[0]
    cur = phi.copy()
    nxt = np.zeros(p)
    pacf = np.zeros(p)
    for k in range(p, 0, -1):
        a = cur[k - 1]
        pacf[k - 1] = a
        if not abs(a) < 1.0:
            return pacf, False
        den = 1.0 - a * a
        for j in range(1, k):
            nxt[j - 1] = (cur[j - 1] + a * cur[k - j - 1]) / den
        for j in range(k - 1):
            cur[j] = nxt[j]
    return pacf, True


@njit(cache=True)
def burg(x: np.ndarray, order: int, demean: bool):
    """Burg's estimator (B&D §5.1.2), the recursion of statsmodels' ``pacf_burg``.

    Returns ``(phi, pacf, sigma2, mean, ok)``; ``sigma2`` is
    ``(1 - pacf_p^2) d_p / (2 (n - p))`` as in statsmodels, ``ok`` is False when a
    denominator ``d_k`` vanishes (a constant series).
    """
    n = x.shape[0]
    m = 0.0
    if demean:
        s = 0.0
        for t in range(n):
            s += x[t]
        m = s / n
    u = np.empty(n)
    v = np.empty(n)
    for t in range(n):
        u[t] = x[n - 1 - t] - m
        v[t] = u[t]
    last_u = np.empty(n)
    last_v = np.empty(n)
    d = np.zeros(order + 1)
    pacf = np.zeros(order + 1)
    s0 = 0.0
    for t in range(n):
        s0 += u[t] * u[t]
    d[0] = 2.0 * s0
    s1 = 0.0
    s2 = 0.0
    for t in range(n - 1):
        s1 += u[t] * u[t] + v[t + 1] * v[t + 1]
        s2 += v[t + 1] * u[t]
    d[1] = s1
    if not d[1] > 0.0:
        return np.zeros(order), pacf[1:], np.nan, m, False
    pacf[1] = 2.0 / d[1] * s2
    for i in range(1, order):
        for t in range(n):
            last_u[t] = u[t]
            last_v[t] = v[t]
        for t in range(1, n):
            u[t] = last_u[t - 1] - pacf[i] * last_v[t]
            v[t] = last_v[t] - pacf[i] * last_u[t - 1]
        d[i + 1] = (1.0 - pacf[i] ** 2) * d[i] - v[i] ** 2 - u[n - 1] ** 2
        if not d[i + 1] > 0.0:
            return np.zeros(order), pacf[1:], np.nan, m, False
        s = 0.0
        for t in range(i + 1, n):
            s += v[t] * u[t - 1]
        pacf[i + 1] = 2.0 / d[i + 1] * s
    sigma2 = (1.0 - pacf[order] ** 2) * d[order] / (2.0 * (n - order))
    return pacf_to_ar(pacf[1:]), pacf[1:].copy(), sigma2, m, True


@njit(cache=True)
def ar_psi_weights(phi: np.ndarray, steps: int) -> np.ndarray:
    """MA(infinity) weights ``psi_0..psi_{steps-1}`` of ``1 / (1 - phi_1 z - ...)``."""
    p = phi.shape[0]
    psi = np.zeros(steps)
    psi[0] = 1.0
    for j in range(1, steps):
        s = 0.0
        for i in range(1, min(p, j) + 1):
            s += phi[i - 1] * psi[j - i]
        psi[j] = s
    return psi


@njit(cache=True)
def ar_forecast_mean(history: np.ndarray, phi: np.ndarray, intercept: float, steps: int):
    """Recursive AR forecast ``x_{n+h} = c + sum_i phi_i x_{n+h-i}`` from the last values."""
    p = phi.shape[0]
    buf = np.empty(p + steps)
    for i in range(p):
        buf[i] = history[history.shape[0] - p + i]
    for h in range(steps):
        s = intercept
        for i in range(1, p + 1):
            s += phi[i - 1] * buf[p + h - i]
        buf[p + h] = s
    return buf[p:].copy()


@njit(cache=True)
def ar_residuals(x: np.ndarray, phi: np.ndarray, intercept: float) -> np.ndarray:
    """Conditional residuals ``e_t = x_t - c - sum_i phi_i x_{t-i}`` for ``t = p..n-1``."""
    p = phi.shape[0]
    n = x.shape[0]
    e = np.empty(n - p)
    for t in range(p, n):
        s = x[t] - intercept
        for i in range(1, p + 1):
            s -= phi[i - 1] * x[t - i]
        e[t - p] = s
    return e

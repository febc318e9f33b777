"""Numba kernels for AR(p) estimation: Burg's recursion and the partial-autocorrelation map.

The one-pass pieces (autocovariances, Durbin–Levinson, step-down, residuals, forecasts)
are numpy, in :mod:`seqlab.classical._ar_numpy`: compiling them cost seconds on a first
call.

Pure functions of arrays (no classes, no I/O, no random state); the estimator in
:mod:`seqlab.classical.ar` validates input and calls them.

Sources: Brockwell & Davis, *Introduction to Time Series and Forecasting* (3rd ed., 2016),
§2.4.2 (sample autocovariance), §2.5.3 (Durbin–Levinson algorithm), §5.1.1 (Yule–Walker),
§5.1.2 (Burg's algorithm); the Burg recursion follows ``statsmodels.tsa.stattools.pacf_burg``
step by step so that the two agree to rounding.
"""

from __future__ import annotations

import numpy as np

from seqlab._jit import njit

__all__: list[str] = []


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

"""AR(p) building blocks in numpy: autocovariances, Durbin–Levinson, step-down, residuals,
forecasts and the exact likelihood.

Each is an O(n p) vector operation or an O(p^2) loop run once per fit, so numba would cost
seconds of compilation on a first call and save microseconds; only Burg's recursion stays
compiled (:mod:`seqlab.classical._ar_kernels`), and ARIMA's likelihood, which its optimiser
calls thousands of times.

Sources: Brockwell & Davis, *Introduction to Time Series and Forecasting* (3rd ed., 2016),
§2.4.2 (sample autocovariance), §2.5.3 (Durbin–Levinson), §3.3 (psi weights), §5.1.4
(Hannan–Rissanen), §5.2 (exact Gaussian likelihood).
"""

from __future__ import annotations

import math

import numpy as np

__all__: list[str] = []

_PACF_CLIP = 0.995  # starting partial autocorrelations are clipped into (-0.995, 0.995)


def toeplitz_sym(c: np.ndarray) -> np.ndarray:
    """The symmetric Toeplitz matrix with first column ``c`` (scipy.linalg.toeplitz(c))."""
    idx = np.arange(c.shape[0])
    return c[np.abs(idx[:, None] - idx[None, :])]


def autocovariance(
    x: np.ndarray, nlags: int, demean: bool, adjusted: bool
) -> tuple[np.ndarray, float]:
    """Sample autocovariances ``gamma(0..nlags)`` and the mean that was subtracted.

    ``gamma(k) = sum_{t=k}^{n-1} (x_t - m)(x_{t-k} - m) / (n - k if adjusted else n)``
    (B&D §2.4.2; ``adjusted`` is statsmodels' ``method="adjusted"``).
    """
    n = x.shape[0]
    m = float(x.mean()) if demean else 0.0
    xc = x - m
    acov = np.zeros(nlags + 1)
    for k in range(min(nlags, n - 1) + 1):
        acov[k] = xc[k:] @ xc[: n - k]
    div = (n - np.arange(nlags + 1)) if adjusted else n
    return acov / div, m


def durbin_levinson(acov: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Solve the Yule–Walker equations ``Gamma_p phi = gamma_p`` by Durbin–Levinson.

    B&D §2.5.3: ``phi_kk = (gamma(k) - sum_j phi_{k-1,j} gamma(k-j)) / v_{k-1}``,
    ``phi_kj = phi_{k-1,j} - phi_kk phi_{k-1,k-j}``, ``v_k = v_{k-1} (1 - phi_kk^2)``.

    Returns ``(phi, pacf, ok)``; ``ok`` is False if a leading Toeplitz minor is singular
    (``v_k`` ~ 0), in which case ``phi`` and ``pacf`` are junk.
    """
    g = [float(a) for a in acov[: order + 1]]
    phi: list[float] = []
    pacf = np.zeros(order)
    v = g[0]
    scale = abs(g[0])
    for k in range(1, order + 1):
        if not abs(v) > 1e-13 * scale or scale == 0.0:
            return np.zeros(order), pacf, False
        acc = g[k]
        for j in range(1, k):
            acc -= phi[j - 1] * g[k - j]
        a = acc / v
        phi = [phi[j - 1] - a * phi[k - j - 1] for j in range(1, k)] + [a]
        pacf[k - 1] = a
        v = v * (1.0 - a * a)
    return np.array(phi, dtype=np.float64).reshape(order), pacf, True


def pacf_to_ar(pacf: np.ndarray) -> np.ndarray:
    """AR coefficients of the model whose partial autocorrelations are ``pacf`` (§2.5.3)."""
    phi: list[float] = []
    for k, a in enumerate(pacf.tolist(), start=1):
        phi = [phi[j - 1] - a * phi[k - j - 1] for j in range(1, k)] + [a]
    return np.array(phi, dtype=np.float64).reshape(pacf.shape[0])


def ar_to_pacf(phi: np.ndarray) -> tuple[np.ndarray, bool]:
    """Step-down (inverse Durbin–Levinson): partial autocorrelations of AR coefficients.

    Returns ``(pacf, ok)``; ``ok`` is False when some ``|phi_kk| >= 1``, i.e. the AR
    polynomial ``1 - phi_1 z - ... - phi_p z^p`` has a root on or inside the unit circle.
    """
    p = phi.shape[0]
    cur = [float(a) for a in phi]
    pacf = np.zeros(p)
    for k in range(p, 0, -1):
        a = cur[k - 1]
        pacf[k - 1] = a
        if not abs(a) < 1.0:
            return pacf, False
        den = 1.0 - a * a
        cur = [(cur[j - 1] + a * cur[k - j - 1]) / den for j in range(1, k)]
    return pacf, True


def unconstrain(phi: np.ndarray) -> tuple[np.ndarray, bool]:
    """Stationary AR coefficients -> unconstrained reals (inverse of the Monahan 1984 map
    ``r = x / sqrt(1 + x^2)`` then Durbin–Levinson); ``ok`` False if not stationary (the
    partial autocorrelations are then clipped into (-0.995, 0.995))."""
    r, ok = ar_to_pacf(phi)
    r = np.clip(r, -_PACF_CLIP, _PACF_CLIP)
    return r / np.sqrt(1.0 - r * r), ok


def ar_residuals(x: np.ndarray, phi: np.ndarray, intercept: float) -> np.ndarray:
    """Conditional residuals ``e_t = x_t - c - sum_i phi_i x_{t-i}`` for ``t = p..n-1``."""
    p = phi.shape[0]
    n = x.shape[0]
    e = x[p:] - intercept
    for i in range(1, p + 1):
        e -= phi[i - 1] * x[p - i : n - i]
    return e


def ar_psi_weights(phi: np.ndarray, steps: int) -> np.ndarray:
    """MA(infinity) weights ``psi_0..psi_{steps-1}`` of ``1 / (1 - phi_1 z - ...)``."""
    p = phi.shape[0]
    ph = phi.tolist()
    psi = [1.0] + [0.0] * (steps - 1)
    for j in range(1, steps):
        s = 0.0
        for i in range(1, min(p, j) + 1):
            s += ph[i - 1] * psi[j - i]
        psi[j] = s
    return np.array(psi)


def ar_forecast_mean(
    history: np.ndarray, phi: np.ndarray, intercept: float, steps: int
) -> np.ndarray:
    """Recursive AR forecast ``x_{n+h} = c + sum_i phi_i x_{n+h-i}`` from the last values."""
    p = phi.shape[0]
    ph = phi.tolist()
    buf = history[history.shape[0] - p :].tolist()
    for h in range(steps):
        s = intercept
        for i in range(1, p + 1):
            s += ph[i - 1] * buf[p + h - i]
        buf.append(s)
    return np.array(buf[p:])


def ar_unit_autocovariance(phi: np.ndarray) -> np.ndarray:
    """``gamma(0..p)`` of the stationary AR(p) with unit innovation variance: the linear
    system ``gamma(k) - sum_i phi_i gamma(|k - i|) = [k = 0]``, ``k = 0..p`` (B&D §3.2)."""
    p = phi.shape[0]
    A = np.eye(p + 1)
    for k in range(p + 1):
        for i in range(1, p + 1):
            A[k, abs(k - i)] -= phi[i - 1]
    b = np.zeros(p + 1)
    b[0] = 1.0
    return np.linalg.solve(A, b)


def ar_exact_loglik(x: np.ndarray, phi: np.ndarray, mu: float, sigma2: float) -> float:
    """Exact Gaussian log-likelihood of a stationary AR(p) with mean ``mu`` (B&D §5.2):
    the first ``p`` values are ``N(mu, sigma2 V_p)`` with ``V_p`` the Toeplitz matrix of
    :func:`ar_unit_autocovariance`, the rest ``N(0, sigma2)`` given their ``p`` lags.
    NaN if ``phi`` is not stationary."""
    if not ar_to_pacf(phi)[1]:
        return float("nan")
    n = x.shape[0]
    p = phi.shape[0]
    z = x - mu
    e = ar_residuals(z, phi, 0.0)
    quad = float(e @ e)
    logdet = 0.0
    if p:
        V = toeplitz_sym(ar_unit_autocovariance(phi)[:p])
        L = np.linalg.cholesky(V)
        u = np.linalg.solve(L, z[:p])
        quad += float(u @ u)
        logdet = 2.0 * float(np.log(np.diag(L)).sum())
    return -0.5 * (n * math.log(2 * math.pi * sigma2) + logdet + quad / sigma2)

"""Numpy (not numba) pieces of ARMA fitting that run once per fit or forecast: the
state-space matrices, forecasts, Hannan–Rissanen starting values.

They are O(steps^2 m) or O(m^3) array operations done once, so compiling them with numba
would cost seconds of first-call time and save microseconds; the O(n) recursions (Kalman
filter, CSS residuals) stay in :mod:`seqlab.classical._arima_kernels`.

Harvey's form (Durbin & Koopman 2012, §3.4), ``m = max(p, q + 1)``:
``T = [phi | I_{m-1}; 0]`` (first column ``phi`` padded to ``m``), ``R = (1, theta)'``,
``Z = e_1'``.
"""

from __future__ import annotations

import math

import numpy as np

from seqlab.classical import _ar_numpy as _AR

__all__: list[str] = []


def system(phi: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Padded first column of ``T`` and ``R``, both length ``m``, and ``m``."""
    p, q = phi.shape[0], theta.shape[0]
    m = max(p, q + 1)
    tphi = np.zeros(m)
    tphi[:p] = phi
    rvec = np.zeros(m)
    rvec[0] = 1.0
    rvec[1 : q + 1] = theta
    return tphi, rvec, m


def transition(tphi: np.ndarray) -> np.ndarray:
    """The ``(m, m)`` transition matrix ``T``."""
    m = tphi.shape[0]
    T = np.eye(m, k=1)
    T[:, 0] += tphi
    return T


def arma_forecast(
    tphi: np.ndarray, rvec: np.ndarray, a: np.ndarray, P: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean (deviation from ``mu``) and covariance of ``w_{n+1..n+steps}`` (unit ``s2``)
    from the predicted state ``a_{n+1}, P_{n+1}``.

    ``a_{i+1} = T a_i``, ``P_{i+1} = T P_i T' + R R'``; ``Cov(w_i, w_j) = Z T^{j-i} P_i Z'
    = G_{j-i} . P_i[:, 0]`` for ``j >= i`` with the rows ``G_k = Z T^k``.
    """
    m = tphi.shape[0]
    T = transition(tphi)
    RR = np.outer(rvec, rvec)
    mean = np.empty(steps)
    Pcol = np.empty((steps, m))  # P_i[:, 0]
    G = np.empty((steps, m))  # Z T^k
    a = a.copy()
    P = P.copy()
    g = np.zeros(m)
    g[0] = 1.0
    for i in range(steps):
        mean[i] = a[0]
        Pcol[i] = P[:, 0]
        G[i] = g
        a = T @ a
        P = T @ P @ T.T + RR
        g = g @ T
    M = Pcol @ G.T  # M[i, k] = Cov(w_i, w_{i+k}) where i + k < steps
    rows, cols = np.triu_indices(steps)
    cov = np.zeros((steps, steps))
    cov[rows, cols] = M[rows, cols - rows]
    cov[cols, rows] = cov[rows, cols]
    return mean, cov


def hannan_rissanen(w: np.ndarray, p: int, q: int, k_trend: int) -> np.ndarray:
    """Starting values by Hannan–Rissanen (B&D §5.1.4), as the optimiser's unconstrained
    ``x = [ar (p), ma (q), mu (k_trend)]``.

    A long AR (Yule–Walker) gives residuals ``e_t``; ``w_t`` is then regressed on its ``p``
    lags and ``q`` lagged residuals. A non-stationary or non-invertible result is clipped
    into the admissible region through its partial autocorrelations.
    """
    n = w.shape[0]
    x = np.zeros(p + q + k_trend)
    mu = float(w.mean()) if k_trend > 0 else 0.0
    if k_trend > 0:
        x[p + q] = mu
    if p + q == 0:
        return x
    wc = w - mu
    phi: np.ndarray = np.zeros(p)
    theta: np.ndarray = np.zeros(q)
    if q == 0:
        acov, _ = _AR.autocovariance(wc, p, False, False)
        ph, _, ok = _AR.durbin_levinson(acov, p)
        if ok:
            phi = ph
    else:
        m_long = max(p + q, min(int(10.0 * math.log10(n)) + 1, n // 4))
        acov, _ = _AR.autocovariance(wc, m_long, False, False)
        along, _, ok = _AR.durbin_levinson(acov, m_long)
        start = m_long + q
        kk = p + q
        if ok and n - start > kk + 1:
            e = np.zeros(n)
            e[m_long:] = _AR.ar_residuals(wc, along, 0.0)
            Z = np.column_stack(
                [wc[start - 1 - i : n - 1 - i] for i in range(p)]
                + [e[start - 1 - j : n - 1 - j] for j in range(q)]
            )
            A = Z.T @ Z
            b = Z.T @ wc[start:]
            try:
                beta = np.linalg.solve(A, b)
            except np.linalg.LinAlgError:
                beta = np.full(kk, np.nan)
            if np.all(np.isfinite(beta)):
                phi = beta[:p]
                theta = -beta[p:]  # negated: the MA side is transformed as -theta
    x[:p] = _AR.unconstrain(phi)[0]
    x[p : p + q] = _AR.unconstrain(theta)[0]
    return x

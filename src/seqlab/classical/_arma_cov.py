"""Numba kernel: the stationary state covariance of an ARMA model in Harvey's form, O(m^2).

Harvey's form (the ARMA block of ARIMA and SARIMAX) has the companion transition
``T = [phi | I_{m-1}; 0]`` (first column ``phi``, ones above the diagonal) and the
innovation loading ``R = (1, theta_1, ..., theta_{m-1})'``. Its stationary covariance
solves ``P = T P T' + R R'`` (unit innovation variance). Solved as a dense Kronecker
system this is an ``m^2 x m^2`` matrix (12 GB at m = 199); by doubling ``O(m^3)`` per step.
Here instead (Brockwell & Davis 2016 §3.2, and the structure of ``T``):

1. the ARMA autocovariances ``gamma(0..m)`` from a ``(p + 1)``-square linear system
   ``gamma(k) - sum_i phi_i gamma(|k - i|) = sum_{j >= k} theta_j psi_{j-k}`` and the AR
   recursion beyond ``p`` (``psi`` the MA(infinity) weights);
2. the first row from the state's definition
   ``alpha_t[l] = sum_{j >= 0} phi_{l+j+1} y_{t-1-j} + theta_{l+j} e_{t-j}``:
   ``P[0, l] = sum_j phi_{l+j+1} gamma(j + 1) + theta_{l+j} psi_j``;
3. the rest from the fixed-point equation itself, read entry-wise,
   ``P[i, l] = phi_{i+1} phi_{l+1} P[0, 0] + phi_{i+1} P[0, l+1] + phi_{l+1} P[0, i+1]
   + P[i+1, l+1] + theta_i theta_l``, filled from the bottom-right corner up.

Cost ``O(p^3 + m^2)`` time and ``O(m^2)`` memory.

>>> import numpy as np
>>> P = np.empty((1, 1))                                    # AR(1), phi = 0.5
>>> bool(harvey_stationary_cov(np.array([0.5]), np.array([1.0]), 1, P)), round(float(P[0, 0]), 6)
(True, 1.333333)
>>> round(float(ar_exact_terms(np.array([1.0, 0.5]), np.array([0.5]))[1]), 6)  # 0.75 + 0
0.75
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

import numpy as np

from seqlab._jit import compiled_or_cached, interpreted, njit

__all__ = ["ar_exact_terms", "harvey_stationary_cov", "stationary_cov_from_python"]

# Python callers (a model's state-space form) get the covariance of a small system from
# the kernel's code run by the interpreter (the same numbers): up to INTERPRETED_MAX_OPS
# operations (~0.1 us each, so <= 0.5 ms) and for the first INTERPRETED_MAX_CALLS calls of a
# process (a fit of a model with gaps calls it once per likelihood evaluation, ~200 times);
# compiled (~1 s CPU once) after that, for larger systems, or once it is compiled or cached.
INTERPRETED_MAX_OPS = 5000
INTERPRETED_MAX_CALLS = 500
_interpreted_calls = 0


@njit(cache=True, inline="always")  # typed inside its callers: no own compile
def _solve(A, b):  # pragma: no cover - compiled
    """Gaussian elimination with partial pivoting in place; ``b`` becomes the solution."""
    n = b.shape[0]
    for c in range(n):
        piv = c
        big = abs(A[c, c])
        for r in range(c + 1, n):
            if abs(A[r, c]) > big:
                big = abs(A[r, c])
                piv = r
        if not big > 0.0 or not math.isfinite(big):
            return False
        if piv != c:
            for k in range(n):
                A[c, k], A[piv, k] = A[piv, k], A[c, k]
            b[c], b[piv] = b[piv], b[c]
        for r in range(c + 1, n):
            f = A[r, c] / A[c, c]
            if f != 0.0:
                for k in range(c, n):
                    A[r, k] -= f * A[c, k]
                b[r] -= f * b[c]
    for c in range(n - 1, -1, -1):
        s = b[c]
        for k in range(c + 1, n):
            s -= A[c, k] * b[k]
        b[c] = s / A[c, c]
    return True


@njit(cache=True)
def harvey_stationary_cov(tphi, rvec, p, out):  # pragma: no cover - compiled
    """Solve ``P = T P T' + R R'`` for Harvey's ARMA form; write ``out`` (m, m).

    ``tphi`` (m,) the AR coefficients padded with zeros (only the first ``p`` may be
    non-zero), ``rvec`` (m,) ``(1, theta_1, ..., theta_{m-1})``. Returns False when the AR
    part is not stationary (singular system or a non-positive variance).
    """
    m = tphi.shape[0]
    # np.empty and element loops only: np.zeros compiles numba's zeros helper on first use
    psi = np.empty(m + 1)  # MA(infinity) weights psi_0..psi_m
    rhs = np.empty(m + 1)  # sum_{j >= k} theta_j psi_{j-k}
    gamma = np.empty(m + 1)
    for j in range(m + 1):
        psi[j] = 0.0
        rhs[j] = 0.0
        gamma[j] = 0.0
    for j in range(m + 1):
        s = rvec[j] if j < m else 0.0
        for i in range(1, min(j, p) + 1):
            s += tphi[i - 1] * psi[j - i]
        psi[j] = s
    for k in range(m):
        s = 0.0
        for j in range(k, m):
            s += rvec[j] * psi[j - k]
        rhs[k] = s
    A = np.empty((p + 1, p + 1))
    g = np.empty(p + 1)
    for k in range(p + 1):
        for i in range(p + 1):
            A[k, i] = 0.0
    for k in range(p + 1):
        A[k, k] += 1.0
        for i in range(1, p + 1):
            A[k, abs(k - i)] -= tphi[i - 1]
        g[k] = rhs[k]
    if not _solve(A, g):
        return False
    for k in range(min(p, m) + 1):
        gamma[k] = g[k]
    for k in range(p + 1, m + 1):
        s = rhs[k]
        for i in range(1, p + 1):
            s += tphi[i - 1] * gamma[k - i]
        gamma[k] = s
    if not gamma[0] > 0.0 or not math.isfinite(gamma[0]):
        return False
    for l in range(m):
        s = 0.0
        for j in range(m - l):
            s += tphi[l + j] * gamma[j + 1] + rvec[l + j] * psi[j]
        out[0, l] = s
        out[l, 0] = s
    for i in range(m - 1, 0, -1):
        for l in range(m - 1, i - 1, -1):
            s = tphi[i] * tphi[l] * out[0, 0] + rvec[i] * rvec[l]
            if l + 1 < m:
                s += tphi[i] * out[0, l + 1]
                if i + 1 < m:
                    s += out[i + 1, l + 1]
            if i + 1 < m:
                s += tphi[l] * out[0, i + 1]
            out[i, l] = s
            out[l, i] = s
    for i in range(m):
        if not out[i, i] >= 0.0:
            return False
    return True


@njit(cache=True)
def ar_exact_terms(w, phi):  # pragma: no cover - compiled
    """Exact Gaussian AR(p) likelihood terms of the zero-mean complete series ``w`` (n,)
    without a Kalman filter: ``(sum log F_t, sum v_t^2 / F_t, ok)`` at unit innovation
    variance, the same numbers the filter gives.

    The step-down (reverse Durbin–Levinson) recursion of ``phi`` yields the best linear
    predictors of every order ``k < p`` and their error variances
    ``F_{k-1} = F_k / (1 - pi_k^2)``, ``F_p = 1`` (``pi_k`` the partial autocorrelations);
    observation ``t < p`` is predicted from its ``t`` predecessors by the order-``t``
    predictor, later ones by ``phi`` (Brockwell & Davis 2016 §2.5.3, §5.2). O(p^2 + n p);
    ``ok`` is False when ``phi`` is not stationary (some ``|pi_k| >= 1``).
    """
    p = phi.shape[0]
    n = w.shape[0]
    A = np.zeros((p + 1, p + 1))
    F = np.ones(p + 1)
    for i in range(p):
        A[p, i] = phi[i]
    for k in range(p, 0, -1):
        pk = A[k, k - 1]
        den = 1.0 - pk * pk
        if not den > 0.0:
            return np.nan, np.nan, False
        for i in range(k - 1):
            A[k - 1, i] = (A[k, i] + pk * A[k, k - 2 - i]) / den
        F[k - 1] = F[k] / den
    sumlog = 0.0
    ssq = 0.0
    for t in range(n):
        k = min(t, p)
        e = w[t]
        for j in range(k):
            e -= A[k, j] * w[t - 1 - j]
        ssq += e * e / F[k]
        if k < p:
            sumlog += np.log(F[k])
    return sumlog, ssq, True


@functools.cache
def interpreted_cov() -> Any:
    """``_solve`` and :func:`harvey_stationary_cov` run by the interpreter (same numbers)."""
    return interpreted(sys.modules[__name__], ("_solve", "harvey_stationary_cov"))


def stationary_cov_from_python(tphi: np.ndarray, rvec: np.ndarray, p: int, out: np.ndarray
                               ) -> bool:
    """:func:`harvey_stationary_cov` for a caller in Python: interpreted or compiled (the
    same numbers either way; comment above ``INTERPRETED_MAX_OPS``)."""
    global _interpreted_calls
    m = tphi.shape[0]
    if ((p + 1) ** 3 // 3 + 4 * m * m > INTERPRETED_MAX_OPS
            or _interpreted_calls >= INTERPRETED_MAX_CALLS
            or compiled_or_cached(harvey_stationary_cov)):
        return bool(harvey_stationary_cov(tphi, rvec, p, out))
    _interpreted_calls += 1
    return bool(interpreted_cov().harvey_stationary_cov(tphi, rvec, p, out))

"""Numba kernel: the Kalman filter of a univariate linear Gaussian state-space model.

The model (statsmodels' notation, one observation per time step)::

    y_t     = Z a_t + d_t + e_t,          e_t ~ N(0, H)
    a_{t+1} = T a_t + c_t + R eta_t,      R eta_t ~ N(0, RQR)
    a_0     ~ N(a0, P0)

``T`` is passed as a sparse triplet list (rows, cols, values): the SARIMAX transition is a
companion / differencing matrix with O(m) non-zeros, so one step costs O(nnz m) instead of
O(m^3). One compiled specialisation: every array float64 (the triplet indices int64).

A NaN ``y_t`` skips the update (the filtered state is the predicted one) and contributes
nothing to the log-likelihood, which sums ``-0.5 (log 2 pi + log F_t + v_t^2 / F_t)`` over the
observed ``t >= burn``.
"""

from __future__ import annotations

import math

import numpy as np

from seqlab._jit import njit

__all__ = ["kalman_filter", "predict_ahead"]

_LOG_2PI = math.log(2.0 * math.pi)


@njit(cache=True, inline="always")  # typed inside its callers: no own compile
def _tpt(Tr, Tc, Tv, P, RQR, work, out):  # pragma: no cover - compiled
    """``out = T P T' + RQR`` with ``T`` given as triplets; ``work`` is m x m scratch."""
    m = P.shape[0]
    for i in range(m):  # element loops, not slice assignments: those compile ~10x slower
        for j in range(m):
            work[i, j] = 0.0
            out[i, j] = RQR[i, j]
    for k in range(Tr.shape[0]):  # work = T P
        i, j, v = Tr[k], Tc[k], Tv[k]
        for col in range(m):
            work[i, col] += v * P[j, col]
    for k in range(Tr.shape[0]):  # out += (T P) T'
        i, j, v = Tr[k], Tc[k], Tv[k]
        for row in range(m):
            out[row, i] += v * work[row, j]


@njit(cache=True, inline="always")  # typed inside its callers: no own compile
def _ta(Tr, Tc, Tv, a, c, out):  # pragma: no cover - compiled
    for i in range(out.shape[0]):
        out[i] = c[i]
    for k in range(Tr.shape[0]):
        out[Tr[k]] += Tv[k] * a[Tc[k]]


@njit(cache=True)
def kalman_filter(
    y, d, Z, H, Tr, Tc, Tv, c, RQR, a0, P0, burn, v_out, F_out, a_pred, a_filt, P_last
):  # pragma: no cover - compiled
    """Run the filter over ``y`` (n,); return the log-likelihood.

    Inputs: ``d`` (n,) observation intercepts, ``Z`` (m,), ``H`` scalar, triplets of ``T``,
    ``c`` (n, m) state intercepts, ``RQR`` (m, m), ``a0`` (m,), ``P0`` (m, m), ``burn`` (int).
    Outputs written in place: ``v_out``/``F_out`` (n,) one-step prediction errors and their
    variances (NaN error where ``y`` is NaN), ``a_pred`` (n + 1, m) predicted states
    ``a_{t|t-1}``, ``a_filt`` (n, m) filtered states ``a_{t|t}``, ``P_last`` (m, m) the
    predicted covariance ``P_{n|n-1}`` (the start of a forecast). The log-likelihood is NaN
    if an observed ``y_t`` has prediction variance ``F_t <= 0``.
    """
    n = y.shape[0]
    m = Z.shape[0]
    a = a0.copy()
    P = P0.copy()
    M = np.empty(m)
    af = np.empty(m)
    Pf = np.empty((m, m))
    work = np.empty((m, m))
    llf = 0.0
    for t in range(n):
        for i in range(m):
            a_pred[t, i] = a[i]
        F = H
        for i in range(m):
            s = 0.0
            for j in range(m):
                s += P[i, j] * Z[j]
            M[i] = s
            F += Z[i] * s
        F_out[t] = F
        yt = y[t]
        if math.isnan(yt) or not F > 0.0:  # missing, or singular (a degenerate model)
            if not math.isnan(yt):  # singular prediction: no density
                llf = math.nan
            v_out[t] = math.nan
            for i in range(m):
                af[i] = a[i]
                for j in range(m):
                    Pf[i, j] = P[i, j]
        else:
            v = yt - d[t]
            for i in range(m):
                v -= Z[i] * a[i]
            v_out[t] = v
            for i in range(m):
                af[i] = a[i] + M[i] * v / F
                for j in range(m):
                    Pf[i, j] = P[i, j] - M[i] * M[j] / F
            if t >= burn:
                llf -= 0.5 * (_LOG_2PI + math.log(F) + v * v / F)
        for i in range(m):
            a_filt[t, i] = af[i]
        _ta(Tr, Tc, Tv, af, c[t], a)
        _tpt(Tr, Tc, Tv, Pf, RQR, work, P)
    for i in range(m):
        a_pred[n, i] = a[i]
        for j in range(m):
            P_last[i, j] = P[i, j]
    return llf


@njit(cache=True)
def predict_ahead(a, P, Z, H, Tr, Tc, Tv, c, RQR, d, mean_out, var_out):  # pragma: no cover
    """Forecast ``h = len(d)`` steps from the predicted state ``a`` (m,), covariance ``P``.

    ``c`` (h, m) holds the state intercepts of the forecast periods and ``d`` (h,) their
    observation intercepts; writes ``mean_out``/``var_out`` (h,): ``Z a + d`` and
    ``Z P Z' + H`` for each step.
    """
    m = Z.shape[0]
    a = a.copy()
    P = P.copy()
    a2 = np.empty(m)
    P2 = np.empty((m, m))
    work = np.empty((m, m))
    for h in range(d.shape[0]):
        mu = d[h]
        var = H
        for i in range(m):
            mu += Z[i] * a[i]
            s = 0.0
            for j in range(m):
                s += P[i, j] * Z[j]
            var += Z[i] * s
        mean_out[h] = mu
        var_out[h] = var
        _ta(Tr, Tc, Tv, a, c[h], a2)
        _tpt(Tr, Tc, Tv, P, RQR, work, P2)
        for i in range(m):
            a[i] = a2[i]
            for j in range(m):
                P[i, j] = P2[i, j]


@njit(cache=True)
def lyapunov_doubling(T, RQR, out):  # pragma: no cover - compiled
    """Solve ``P = T P T' + RQR`` by doubling (``P = sum_k T^k RQR T'^k``); write ``out``.

    Returns False when the series does not converge in 64 doublings (``T`` not stable).
    """
    m = T.shape[0]
    A = T.copy()
    P = RQR.copy()
    AP = np.empty((m, m))
    A2 = np.empty((m, m))
    for _ in range(64):
        # P += A P A'
        for i in range(m):
            for j in range(m):
                s = 0.0
                for k in range(m):
                    s += A[i, k] * P[k, j]
                AP[i, j] = s
        big = 0.0
        inc = 0.0
        for i in range(m):
            for j in range(m):
                s = 0.0
                for k in range(m):
                    s += AP[i, k] * A[j, k]
                A2[i, j] = s
        for i in range(m):
            for j in range(m):
                P[i, j] += A2[i, j]
                inc = max(inc, abs(A2[i, j]))
                big = max(big, abs(P[i, j]))
        if inc <= 1e-18 * big:
            for i in range(m):
                for j in range(m):
                    out[i, j] = 0.5 * (P[i, j] + P[j, i])
            return True
        for i in range(m):  # A = A A
            for j in range(m):
                s = 0.0
                for k in range(m):
                    s += A[i, k] * A[k, j]
                A2[i, j] = s
        for i in range(m):
            for j in range(m):
                A[i, j] = A2[i, j]
    return False

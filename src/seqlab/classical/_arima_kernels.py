"""Numba kernels for ARMA/ARIMA: exact likelihood, conditional sum of squares, the
stationarity transform and the loop that runs the shared BFGS (:mod:`._bfgs`) over many
series (starting values and forecasts are numpy, in :mod:`seqlab.classical._arma_numpy`).

Pure functions of arrays (no classes, no I/O, no random state). The model
``w_t - mu = sum_i phi_i (w_{t-i} - mu) + e_t + sum_j theta_j e_{t-j}``, ``e_t ~ N(0, s2)``,
is written in Harvey's state-space form (Durbin & Koopman 2012, §3.4; Hamilton 1994 §13.1):

    alpha_{t+1} = T alpha_t + R e_{t+1},   w_t = mu + Z alpha_t,
    T = [phi | I_{m-1}; 0], R = (1, theta_1, ..., theta_{m-1})', Z = e_1', m = max(p, q + 1),

with the stationary initialisation ``P_1 = T P_1 T' + R R'`` (Hamilton §13.2) and the Kalman
filter in prediction form (Durbin & Koopman §4.3). Everything is computed with ``s2 = 1``
so that ``s2`` can be concentrated out: ``s2_hat = (1/n) sum v_t^2 / F_t``.

Sources: Brockwell & Davis (2016) §5.1.4 (Hannan–Rissanen), §5.2 (MLE);
Jones (1980) / Monahan (1984) for the partial-autocorrelation reparametrisation that keeps
``phi`` stationary and ``theta`` invertible; Nocedal & Wright (2006) §6.1 (BFGS).
"""

from __future__ import annotations

import math

import numpy as np

from seqlab._jit import njit
from seqlab.classical._ar_kernels import pacf_to_ar
from seqlab.classical._arma_cov import ar_exact_terms, harvey_stationary_cov
from seqlab.classical._bfgs import bind

__all__: list[str] = []

_LOG2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------- transforms
@njit(cache=True)
def constrain(x: np.ndarray) -> np.ndarray:
    """Unconstrained reals -> coefficients of a stationary AR polynomial (Monahan 1984).

    ``r_k = x_k / sqrt(1 + x_k^2)`` are partial autocorrelations in (-1, 1); Durbin–Levinson
    turns them into ``phi``. (statsmodels' ``constrain_stationary_univariate`` map.)
    """
    r = np.empty(x.shape[0])
    for k in range(x.shape[0]):
        r[k] = x[k] / math.sqrt(1.0 + x[k] * x[k])
    return pacf_to_ar(r)


@njit(cache=True)
def unpack(x: np.ndarray, p: int, q: int, k_trend: int):
    """Unconstrained vector ``[ar (p), ma (q), mu (k_trend)]`` -> ``(phi, theta, mu)``."""
    xa = np.empty(p)
    for i in range(p):
        xa[i] = x[i]
    xm = np.empty(q)
    for j in range(q):
        xm[j] = x[p + j]
    phi = constrain(xa)
    theta = constrain(xm)
    for j in range(q):  # 1 + theta(z) invertible <=> -theta is "stationary"
        theta[j] = -theta[j]
    mu = x[p + q] if k_trend > 0 else 0.0
    return phi, theta, mu


# ------------------------------------------------------------------- system matrices
@njit(cache=True)
def _system(phi: np.ndarray, theta: np.ndarray):
    """Padded ``T`` first column (length m) and ``R`` (length m) of Harvey's form."""
    p = phi.shape[0]
    q = theta.shape[0]
    m = max(p, q + 1)
    tphi = np.zeros(m)
    for i in range(p):
        tphi[i] = phi[i]
    rvec = np.zeros(m)
    rvec[0] = 1.0
    for j in range(q):
        rvec[j + 1] = theta[j]
    return tphi, rvec, m


@njit(cache=True)
def stationary_cov(tphi: np.ndarray, rvec: np.ndarray):
    """Solve ``P = T P T' + R R'`` (unit innovation variance) in O(p^3 + m^2) time and
    O(m^2) memory (:func:`seqlab.classical._arma_cov.harvey_stationary_cov`; a dense
    ``(I - T (x) T) vec P`` system would be m^2 x m^2: 12 GB at m = 199)."""
    m = tphi.shape[0]
    p = 0
    for i in range(m):
        if tphi[i] != 0.0:
            p = i + 1
    P = np.zeros((m, m))
    ok = harvey_stationary_cov(tphi, rvec, p, P)
    return P, ok


# ------------------------------------------------------------------------ Kalman filter
@njit(cache=True)
def kalman_arma(w, tphi, rvec, P1, mu, v_out, f_out, a_out, P_out):
    """Exact Gaussian ARMA likelihood terms by the Kalman filter (unit variance), from the
    system ``tphi, rvec`` of :func:`_system` and the initial covariance ``P1`` (not changed).

    Returns ``(sum_t log F_t, sum_t v_t^2 / F_t, ok)``. If ``v_out`` is not empty (store)
    the innovations
    ``v_t`` and their variances ``F_t`` go to ``v_out``/``f_out`` and the predicted state
    ``a_{n+1}``, ``P_{n+1}`` of the step after the sample to ``a_out``/``P_out``. Once the
    Riccati recursion has converged the gain is frozen (steady state), which is exact to
    ~1e-12 and makes long series cost one AR/MA recursion per step.
    """
    n = w.shape[0]
    # a flag read from the arrays rather than passed: a literal True/False argument would
    # make numba compile one more specialisation of this kernel per call site
    store = v_out.shape[0] > 0
    m = tphi.shape[0]
    P = P1.copy()
    a = np.zeros(m)
    TP = np.empty((m, m))
    Pn = np.empty((m, m))
    K = np.empty(m)
    sumlog = 0.0
    ssq = 0.0
    converged = False
    F = 1.0
    logF = 0.0
    ssq_pre = 0.0
    t = 0
    for t in range(n):
        v = w[t] - mu - a[0]
        if not converged:
            F = P[0, 0]
            if not F > 0.0:
                return np.nan, np.nan, False
            logF = math.log(F)
            # TP = T P ; K = T P Z' / F
            for i in range(m):
                for j in range(m):
                    TP[i, j] = tphi[i] * P[0, j] + (P[i + 1, j] if i + 1 < m else 0.0)
            for i in range(m):
                K[i] = TP[i, 0] / F
            # P_next = T P T' - F K K' + R R'
            diff = 0.0
            for i in range(m):
                for j in range(i, m):
                    val = tphi[j] * TP[i, 0] + (TP[i, j + 1] if j + 1 < m else 0.0)
                    val += rvec[i] * rvec[j] - F * K[i] * K[j]
                    dd = abs(val - P[i, j])
                    if dd > diff:
                        diff = dd
                    Pn[i, j] = val
            for i in range(m):
                for j in range(i, m):
                    P[i, j] = Pn[i, j]
                    P[j, i] = Pn[i, j]
            if diff < 1e-13:
                converged = True
                ssq_pre = ssq + v * v / F
        sumlog += logF
        ssq += v * v / F
        if store:
            v_out[t] = v
            f_out[t] = F
        a0 = a[0]
        for i in range(m - 1):
            a[i] = tphi[i] * a0 + a[i + 1] + K[i] * v
        a[m - 1] = tphi[m - 1] * a0 + K[m - 1] * v
        if converged and not store:
            break
    if converged and not store:
        # steady state: F, K fixed; a branch-free recursion for the remaining steps
        t0 = t + 1
        for t in range(t0, n):
            v = w[t] - mu - a[0]
            ssq += v * v
            a0 = a[0]
            for i in range(m - 1):
                a[i] = tphi[i] * a0 + a[i + 1] + K[i] * v
            a[m - 1] = tphi[m - 1] * a0 + K[m - 1] * v
        ssq_scale = 1.0 / F
        sumlog += (n - t0) * logF
        return sumlog, ssq_pre + (ssq - ssq_pre) * ssq_scale, True
    if store:
        for i in range(m):
            a_out[i] = a[i]
            for j in range(m):
                P_out[i, j] = P[i, j]
    return sumlog, ssq, True


@njit(cache=True)
def css_arma(w, phi, theta, mu, e_out):
    """Conditional sum of squares: ``e_t = w_t - mu - sum phi_i (w_{t-i} - mu) - sum theta_j
    e_{t-j}`` for ``t >= p`` with ``e_t = 0`` before (B&D §5.2.2); returns ``sum e_t^2``.
    The residuals go to ``e_out`` unless it is empty."""
    n = w.shape[0]
    store = e_out.shape[0] > 0
    p = phi.shape[0]
    q = theta.shape[0]
    e = np.zeros(n)
    ssq = 0.0
    for t in range(p, n):
        s = w[t] - mu
        for i in range(1, p + 1):
            s -= phi[i - 1] * (w[t - i] - mu)
        for j in range(1, q + 1):
            if t - j >= p:
                s -= theta[j - 1] * e[t - j]
        e[t] = s
        ssq += s * s
    if store:
        for t in range(n):
            e_out[t] = e[t]
    return ssq


@njit(cache=True)
def kalman_loglik(w, phi, theta, mu, v_out, f_out, a_out, P_out):
    """:func:`kalman_arma` from the stationary initialisation of ``phi``, ``theta``;
    ``ok`` False (and NaNs) if there is none. A pure AR without outputs to store skips
    the filter: :func:`seqlab.classical._arma_cov.ar_exact_terms`, O(p^2 + n p)."""
    if theta.shape[0] == 0 and v_out.shape[0] == 0:
        return ar_exact_terms(w - mu, phi)
    tphi, rvec, _ = _system(phi, theta)
    P1, ok = stationary_cov(tphi, rvec)
    if not ok:
        return np.nan, np.nan, False
    return kalman_arma(w, tphi, rvec, P1, mu, v_out, f_out, a_out, P_out)


@njit(cache=True)
def concentrated_nll(x, w, p, q, k_trend, css):
    """``-loglik / n_eff`` at the unconstrained ``x`` with ``s2`` concentrated out."""
    phi, theta, mu = unpack(x, p, q, k_trend)
    dummy = np.empty(0)
    dummy2 = np.empty((0, 0))
    if css:
        ne = w.shape[0] - p
        ssq = css_arma(w, phi, theta, mu, dummy)
        if not ssq > 0.0 or not np.isfinite(ssq):
            return np.inf
        return 0.5 * (_LOG2PI + 1.0 + math.log(ssq / ne))
    n = w.shape[0]
    sumlog, ssq, ok = kalman_loglik(w, phi, theta, mu, dummy, dummy, dummy, dummy2)
    if not ok or not ssq > 0.0 or not np.isfinite(ssq):
        return np.inf
    return 0.5 * (_LOG2PI + 1.0 + math.log(ssq / n) + sumlog / n)


# ---------------------------------------------------------------------------- optimiser
@njit(cache=True)
def arima_objective(x, data):
    """:func:`concentrated_nll` as :mod:`._bfgs` calls it: ``data = (w, p, q, k_trend,
    css)``."""
    w, p, q, k_trend, css = data
    return concentrated_nll(x, w, p, q, k_trend, css)


bfgs = bind(arima_objective, "arima", compiled=True)


@njit(cache=True, nogil=True)
def fit_rows(W, X0, p, q, k_trend, css, maxiter, gtol, start, stop, X, fval, n_iter, conv):
    """Fit one ARMA(p, q) to rows ``start..stop-1`` of ``W`` (n_series, n_obs) from the
    starting values ``X0`` (n_series, k), writing into ``X`` (n_series, k), ``fval``,
    ``n_iter``, ``conv``. Releases the GIL, so callers run disjoint row ranges on several
    threads (see ``seqlab.classical.arima``).
    """
    for s in range(start, stop):
        data = (W[s], p, q, k_trend, css)
        x0 = X0[s].copy()
        if not np.isfinite(arima_objective(x0, data)):
            for i in range(p + q):  # e.g. a start on the boundary: restart from white noise
                x0[i] = 0.0
        x, f, it, c = bfgs(x0, data, maxiter, gtol)
        for i in range(x.shape[0]):
            X[s, i] = x[i]
        fval[s] = f
        n_iter[s] = it
        conv[s] = c

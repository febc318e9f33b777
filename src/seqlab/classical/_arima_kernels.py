"""Numba kernels for ARMA/ARIMA: exact likelihood, conditional sum of squares, the
stationarity transform and a compiled BFGS optimiser run over many series (starting values
and forecasts are numpy, in :mod:`seqlab.classical._arma_numpy`).

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
from numba import njit

from seqlab.classical._ar_kernels import pacf_to_ar
from seqlab.classical._arma_cov import ar_exact_terms, harvey_stationary_cov

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


# ------------------------------------------------------------------- small linear algebra
@njit(cache=True)
def _solve_inplace(A: np.ndarray, b: np.ndarray) -> bool:
    """Gaussian elimination with partial pivoting; ``b`` becomes the solution."""
    n = b.shape[0]
    for c in range(n):
        piv = c
        big = abs(A[c, c])
        for r in range(c + 1, n):
            if abs(A[r, c]) > big:
                big = abs(A[r, c])
                piv = r
        if big == 0.0 or not np.isfinite(big):
            return False
        if piv != c:
            for k in range(n):
                tmp = A[c, k]
                A[c, k] = A[piv, k]
                A[piv, k] = tmp
            tmp = b[c]
            b[c] = b[piv]
            b[piv] = tmp
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
def _grad(x, f0, w, p, q, k_trend, css, g, central):
    """Finite-difference gradient: forward (k evaluations) far from the optimum, central
    (2k evaluations, error O(h^2)) once ``central`` is set near it.

    Callers pass ``bool(central)``: a flag last assigned a constant is typed as a literal,
    and each literal would compile one more copy of this function."""
    k = x.shape[0]
    xx = x.copy()
    for i in range(k):
        if central:
            h = 1e-5 * (1.0 + abs(x[i]))
            xx[i] = x[i] + h
            fp = concentrated_nll(xx, w, p, q, k_trend, css)
            xx[i] = x[i] - h
            fm = concentrated_nll(xx, w, p, q, k_trend, css)
        else:
            h = 1e-6 * (1.0 + abs(x[i]))
            xx[i] = x[i] + h
            fp = concentrated_nll(xx, w, p, q, k_trend, css)
            fm = np.inf
        xx[i] = x[i]
        if np.isfinite(fp) and np.isfinite(fm):
            g[i] = (fp - fm) / (2.0 * h)
        elif np.isfinite(fp):
            g[i] = (fp - f0) / h
        elif central and np.isfinite(fm):
            g[i] = (f0 - fm) / h
        else:
            xx[i] = x[i] - h
            fm = concentrated_nll(xx, w, p, q, k_trend, css)
            xx[i] = x[i]
            g[i] = (f0 - fm) / h if np.isfinite(fm) else 0.0


@njit(cache=True)
def _set_identity(H, scale):
    k = H.shape[0]
    for i in range(k):
        for j in range(k):
            H[i, j] = scale if i == j else 0.0


@njit(cache=True)
def _max_abs(g):
    out = 0.0
    for i in range(g.shape[0]):
        out = max(out, abs(g[i]))
    return out


@njit(cache=True)
def bfgs(x0, w, p, q, k_trend, css, maxiter, gtol):
    """Minimise :func:`concentrated_nll` by BFGS with central-difference gradients and an
    Armijo backtracking line search (Nocedal & Wright §3.1, §6.1).

    Returns ``(x, f, n_iter, converged)``; converged means ``max |grad| < gtol`` (or no
    further decrease possible with ``max |grad| < 100 gtol``).
    """
    k = x0.shape[0]
    x = x0.copy()
    f = concentrated_nll(x, w, p, q, k_trend, css)
    if not np.isfinite(f):  # e.g. a start on the boundary: restart from white noise
        for i in range(p + q):
            x[i] = 0.0
        f = concentrated_nll(x, w, p, q, k_trend, css)
    if k == 0 or not np.isfinite(f):
        return x, f, 0, np.isfinite(f)
    g = np.empty(k)
    g_new = np.empty(k)
    x_new = np.empty(k)
    s_vec = np.empty(k)
    y_vec = np.empty(k)
    Hy = np.empty(k)
    d = np.empty(k)
    H = np.empty((k, k))
    _set_identity(H, 1.0)
    central = False
    _grad(x, f, w, p, q, k_trend, css, g, bool(central))
    converged = False
    it = 0
    for it in range(1, maxiter + 1):
        gmax = _max_abs(g)
        if not central and gmax < 1e-3:
            central = True  # near the optimum: switch to the accurate gradient
            _grad(x, f, w, p, q, k_trend, css, g, bool(central))
            gmax = _max_abs(g)
        if gmax < gtol and central:
            converged = True
            break
        slope = 0.0
        dn = 0.0
        for i in range(k):
            acc = 0.0
            for j in range(k):
                acc -= H[i, j] * g[j]
            d[i] = acc
            slope += acc * g[i]
            dn += acc * acc
        if not slope < 0.0:  # lost positive definiteness: restart on steepest descent
            _set_identity(H, 1.0)
            slope = 0.0
            dn = 0.0
            for i in range(k):
                d[i] = -g[i]
                slope -= g[i] * g[i]
                dn += g[i] * g[i]
        dn = math.sqrt(dn)
        if dn > 3.0:  # keep steps in the transformed space moderate
            for i in range(k):
                d[i] *= 3.0 / dn
            slope *= 3.0 / dn
        step = 1.0
        while True:
            for i in range(k):
                x_new[i] = x[i] + step * d[i]
            f_new = concentrated_nll(x_new, w, p, q, k_trend, css)
            if f_new <= f + 1e-4 * step * slope or step <= 1e-12:
                break
            step *= 0.5
        if not (f_new <= f):
            if not central:  # the forward gradient is too crude here: refine and retry
                central = True
                _grad(x, f, w, p, q, k_trend, css, g, bool(central))
                _set_identity(H, 1.0)
                continue
            # no descent possible at this gradient accuracy: we are at the optimum
            converged = gmax < 100.0 * gtol
            break
        _grad(x_new, f_new, w, p, q, k_trend, css, g_new, bool(central))
        sy = 0.0
        yy = 0.0
        for i in range(k):
            s_vec[i] = x_new[i] - x[i]
            y_vec[i] = g_new[i] - g[i]
            sy += s_vec[i] * y_vec[i]
            yy += y_vec[i] * y_vec[i]
        if sy > 1e-14:
            if it == 1:
                _set_identity(H, sy / yy)
            yHy = 0.0
            for i in range(k):
                acc = 0.0
                for j in range(k):
                    acc += H[i, j] * y_vec[j]
                Hy[i] = acc
                yHy += y_vec[i] * acc
            rho = 1.0 / sy
            for i in range(k):
                for j in range(k):
                    H[i, j] += (
                        (1.0 + yHy * rho) * rho * s_vec[i] * s_vec[j]
                        - rho * (Hy[i] * s_vec[j] + s_vec[i] * Hy[j])
                    )
        df = f - f_new
        for i in range(k):
            x[i] = x_new[i]
            g[i] = g_new[i]
        f = f_new
        if df < 1e-15 * (1.0 + abs(f)) and central:
            converged = _max_abs(g) < 100.0 * gtol
            break
    return x, f, it, converged


@njit(cache=True, nogil=True)
def fit_rows(W, X0, p, q, k_trend, css, maxiter, gtol, start, stop, X, fval, n_iter, conv):
    """Fit one ARMA(p, q) to rows ``start..stop-1`` of ``W`` (n_series, n_obs) from the
    starting values ``X0`` (n_series, k), writing into ``X`` (n_series, k), ``fval``,
    ``n_iter``, ``conv``. Releases the GIL, so callers run disjoint row ranges on several
    threads (see ``seqlab.classical.arima``).
    """
    for s in range(start, stop):
        x, f, it, c = bfgs(X0[s], W[s], p, q, k_trend, css, maxiter, gtol)
        for i in range(x.shape[0]):
            X[s, i] = x[i]
        fval[s] = f
        n_iter[s] = it
        conv[s] = c

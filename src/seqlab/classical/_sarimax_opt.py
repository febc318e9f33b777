"""Numba kernels: BFGS over SARIMAX's compiled likelihood, gradient included.

The same BFGS as the ARIMA kernels (:func:`seqlab.classical._arima_kernels.bfgs`: Armijo
backtracking, forward differences far from the optimum and central ones near it), run on
:func:`seqlab.classical._sarimax_kernels.sarimax_nll`, so a whole fit is one compiled
call: no Python between likelihood evaluations.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from seqlab.classical._sarimax_kernels import sarimax_nll

__all__ = ["bfgs"]


@njit(cache=True)
def _grad(x, f0, scale, data, g, central):
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
            fp = sarimax_nll(xx, scale, data)
            xx[i] = x[i] - h
            fm = sarimax_nll(xx, scale, data)
        else:
            h = 1e-6 * (1.0 + abs(x[i]))
            xx[i] = x[i] + h
            fp = sarimax_nll(xx, scale, data)
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
            fm = sarimax_nll(xx, scale, data)
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
def bfgs(x0, scale, data, maxiter, gtol):
    """Minimise :func:`sarimax_nll` by BFGS with central-difference gradients and an
    Armijo backtracking line search (Nocedal & Wright §3.1, §6.1).

    Returns ``(x, f, n_iter, converged)``; converged means ``max |grad| < gtol`` (or no
    further decrease possible with ``max |grad| < 100 gtol``).
    """
    k = x0.shape[0]
    x = x0.copy()
    f = sarimax_nll(x, scale, data)
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
    _grad(x, f, scale, data, g, bool(central))
    converged = False
    it = 0
    for it in range(1, maxiter + 1):
        gmax = _max_abs(g)
        if not central and gmax < 1e-3:
            central = True  # near the optimum: switch to the accurate gradient
            _grad(x, f, scale, data, g, bool(central))
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
            f_new = sarimax_nll(x_new, scale, data)
            if f_new <= f + 1e-4 * step * slope or step <= 1e-12:
                break
            step *= 0.5
        if not (f_new <= f):
            if not central:  # the forward gradient is too crude here: refine and retry
                central = True
                _grad(x, f, scale, data, g, bool(central))
                _set_identity(H, 1.0)
                continue
            # no descent possible at this gradient accuracy: we are at the optimum
            converged = gmax < 100.0 * gtol
            break
        _grad(x_new, f_new, scale, data, g_new, bool(central))
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

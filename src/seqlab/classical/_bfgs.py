"""One BFGS for ARIMA and SARIMAX, run compiled or by the interpreter, over any objective.

Armijo backtracking (Nocedal & Wright 2006 §3.1) with the BFGS inverse-Hessian update
(§6.1), forward-difference gradients far from the optimum and central ones near it. The
functions below are plain Python that call a global ``objective(x, data)``;
:func:`bind` makes a copy of them whose ``objective`` is a given function:

- ``bind(f, "name", compiled=True)``: numba-compiled (``f`` a compiled kernel), cached on
  disk like every kernel (under the qualified names ``bfgs_name``, ``_grad_name``, ...).
  ARIMA's batch fits (:mod:`._arima_kernels`) run it.
- ``bind(f, "name", compiled=False)``: the same code objects run by the interpreter around
  ``f`` (any Python callable, e.g. a compiled likelihood): the same IEEE operations in the
  same order, hence the same numbers, and nothing to compile. SARIMAX fits and ARIMA's
  first few series run it: a fit spends its time in the likelihood, not here.

A compiled copy embeds ``objective``'s compiled code: after editing the objective's module
delete the numba cache of this one too (the cache is keyed on this file only).
"""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from seqlab._jit import njit

__all__ = ["bind"]


def objective(x: np.ndarray, data: Any) -> float:  # pragma: no cover - replaced by bind
    raise NotImplementedError("use bind(objective, ...) to get a BFGS over an objective")


def _grad(x, f0, data, g, central):
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
            fp = objective(xx, data)
            xx[i] = x[i] - h
            fm = objective(xx, data)
        else:
            h = 1e-6 * (1.0 + abs(x[i]))
            xx[i] = x[i] + h
            fp = objective(xx, data)
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
            fm = objective(xx, data)
            xx[i] = x[i]
            g[i] = (f0 - fm) / h if np.isfinite(fm) else 0.0


def _set_identity(H, scale):  # pragma: no cover - compiled
    k = H.shape[0]
    for i in range(k):
        for j in range(k):
            H[i, j] = scale if i == j else 0.0


def _max_abs(g):  # pragma: no cover - compiled
    out = 0.0
    for i in range(g.shape[0]):
        out = max(out, abs(g[i]))
    return out


def bfgs(x0, data, maxiter, gtol):  # pragma: no cover - compiled
    """Minimise ``objective(x, data)`` by BFGS with central-difference gradients and an
    Armijo backtracking line search (Nocedal & Wright §3.1, §6.1).

    Returns ``(x, f, n_iter, converged)``; converged means ``max |grad| < gtol`` (or no
    further decrease possible with ``max |grad| < 100 gtol``).
    """
    k = x0.shape[0]
    x = x0.copy()
    f = objective(x, data)
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
    _grad(x, f, data, g, bool(central))
    converged = False
    it = 0
    for it in range(1, maxiter + 1):
        gmax = _max_abs(g)
        if not central and gmax < 1e-3:
            central = True  # near the optimum: switch to the accurate gradient
            _grad(x, f, data, g, bool(central))
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
            f_new = objective(x_new, data)
            if f_new <= f + 1e-4 * step * slope or step <= 1e-12:
                break
            step *= 0.5
        if not (f_new <= f):
            if not central:  # the forward gradient is too crude here: refine and retry
                central = True
                _grad(x, f, data, g, bool(central))
                _set_identity(H, 1.0)
                continue
            # no descent possible at this gradient accuracy: we are at the optimum
            converged = gmax < 100.0 * gtol
            break
        _grad(x_new, f_new, data, g_new, bool(central))
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


_NAMES = ("_set_identity", "_max_abs", "_grad", "bfgs")  # callees before callers


def bind(fn: Callable[..., float], tag: str, compiled: bool) -> Any:
    """:func:`bfgs` minimising ``fn(x, data)``: ``bfgs(x0, data, maxiter, gtol) -> (x, f,
    n_iter, converged)``, compiled (``fn`` must then be a compiled kernel) or interpreted."""
    module = sys.modules[__name__]
    env = dict(vars(module))
    env["objective"] = fn
    for name in _NAMES:
        code = getattr(module, name).__code__
        copy = types.FunctionType(code, env, name, None)
        copy.__qualname__ = f"{name}_{tag}"  # its own numba cache file
        env[name] = njit(cache=True)(copy) if compiled else copy
    return env["bfgs"]

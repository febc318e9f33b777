"""AutoARIMA's CSS objective kernel, on its own (numpy and numba only): ``seqlab._aot``
builds it ahead of time at install from this module, without importing scipy.

>>> import numpy as np
>>> round(float(_css(np.array([1.0, -1.0, 1.0, -1.0]), np.zeros(0), np.zeros(0), 0)), 6)
0.0
"""

from __future__ import annotations

import math

import numpy as np

from seqlab._jit import njit

__all__ = ["_css"]


@njit(cache=True)
def _css(w: np.ndarray, phi: np.ndarray, theta: np.ndarray, ncond: int) -> float:
    """0.5 log(S / nu) of the ARMA residuals of ``w`` (already differenced, full length)."""
    n = w.shape[0]
    p, q = phi.shape[0], theta.shape[0]
    resid = np.empty(n)  # np.empty and a loop: np.zeros compiles one more numba helper
    for t in range(n):
        resid[t] = 0.0
    ssq = 0.0
    nu = 0
    for t in range(ncond, n):
        tmp = w[t]
        for j in range(p):
            tmp -= phi[j] * w[t - j - 1]
        for j in range(min(t - ncond, q)):
            tmp -= theta[j] * resid[t - j - 1]
        resid[t] = tmp
        if not math.isnan(tmp):
            nu += 1
            ssq += tmp * tmp
    if nu == 0 or ssq <= 0.0:
        return -1e300 if nu else 1e300
    return 0.5 * math.log(ssq / nu)

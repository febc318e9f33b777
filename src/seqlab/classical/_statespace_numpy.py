"""The Kalman filter of :mod:`._statespace_kernels` in numpy, bit for bit: for first calls.

Compiling :func:`~._statespace_kernels.kalman_filter` costs ~0.8 s of CPU (issue 17); a
SARIMAX or AutoARIMA result needs it a few times on a short series (the log-likelihood at
the estimate, the forecasts, AutoARIMA's candidate scores). Run by the interpreter, its
element loops would cost about as much as compiling (~0.4 s for the airline model, m = 27
states), so :func:`kalman_filter` vectorises them over one index while keeping every sum
in the kernel's order:

- a dot product ``s = 0; s += x_j y_j`` is ``np.add.accumulate`` over ``[0, x_j y_j ...]``
  (each partial sum is an output, so nothing is reassociated);
- ``v -= Z_i a_i`` is ``np.subtract.accumulate``;
- the sparse transition products ``out[T_r] += T_v x[T_c]`` are ``np.add.at`` (unbuffered,
  applied in the order of the triplets, as the kernel's loop);
- elementwise products and quotients are grouped as in the kernel (``M_i v / F`` is
  ``(M_i v) / F``).

The kernel is compiled without fastmath (no FMA contraction, no reassociation), so both
give the same IEEE operations and the same bits (tests/classical/test_statespace_numpy.py).
The cost is O(n) numpy calls of O(m^2) work each: ~5 ms for the airline model.
:meth:`.statespace.StateSpace.filter` picks it (module ``statespace``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["kalman_filter"]

_LOG_2PI = math.log(2.0 * math.pi)


def kalman_filter(
    y: np.ndarray, d: np.ndarray, Z: np.ndarray, H: float, Tr: np.ndarray, Tc: np.ndarray,
    Tv: np.ndarray, c: np.ndarray, RQR: np.ndarray, a0: np.ndarray, P0: np.ndarray,
    burn: int, v_out: np.ndarray, F_out: np.ndarray, a_pred: np.ndarray,
    a_filt: np.ndarray, P_last: np.ndarray,
) -> float:
    """:func:`._statespace_kernels.kalman_filter` (same arguments, outputs, bits)."""
    n = y.shape[0]
    m = Z.shape[0]
    a = a0.copy()
    P = P0.copy()
    Tv_col = Tv[:, None]
    acc = np.empty((m, m + 1))  # [0, P_i0 Z_0, P_i1 Z_1, ...] per row i
    acc[:, 0] = 0.0
    vec = np.empty(m + 1)
    llf = 0.0
    for t in range(n):
        a_pred[t] = a
        np.multiply(P, Z, out=acc[:, 1:])
        M = np.add.accumulate(acc, axis=1)[:, m]
        vec[0] = H
        np.multiply(Z, M, out=vec[1:])
        F = float(np.add.accumulate(vec)[m])
        F_out[t] = F
        yt = float(y[t])
        if math.isnan(yt) or not F > 0.0:
            if not math.isnan(yt):
                llf = math.nan
            v_out[t] = math.nan
            af = a
            Pf = P
        else:
            vec[0] = yt - float(d[t])
            np.multiply(Z, a, out=vec[1:])
            v = float(np.subtract.accumulate(vec)[m])
            v_out[t] = v
            af = a + M * v / F
            Pf = P - M[:, None] * M[None, :] / F
            if t >= burn:
                llf -= 0.5 * (_LOG_2PI + math.log(F) + v * v / F)
        a_filt[t] = af
        a = c[t].copy()  # a = T af + c_t
        np.add.at(a, Tr, Tv * af[Tc])
        work = np.zeros((m, m))  # work = T Pf
        np.add.at(work, Tr, Tv_col * Pf[Tc])
        P = RQR.copy()  # P = (T Pf) T' + RQR, column by column: rows of P'
        np.add.at(P.T, Tr, Tv_col * work.T[Tc])
    a_pred[n] = a
    P_last[...] = P
    return llf

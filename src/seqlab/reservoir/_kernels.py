"""Numba kernels for echo state networks and Hopfield networks (pure array functions).

Nothing here validates input, allocates random numbers or holds state: the models in
``esn.py`` and ``hopfield.py`` do that and call these loops, which are the only parts that
run once per time step (ESN) or once per unit update (Hopfield).

ESN state update (Jaeger 2001; leaky version Jaeger et al. 2007, eq. 2)::

    x_t = (1 - a) * x_{t-1} + a * f(W x_{t-1} + drive_t)

where ``drive_t = W_in u_t + W_fb y_{t-1} + b (+ noise)`` is everything that does not depend
on the state; when the inputs and fed-back outputs are known in advance (teacher forcing) it
is computed for all ``t`` at once by one dense matrix product outside the loop.

Activation codes: 0 tanh, 1 identity, 2 sigmoid (logistic), 3 relu.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

ACTIVATIONS: dict[str, int] = {"tanh": 0, "identity": 1, "sigmoid": 2, "relu": 3}

# Only re-association and fused multiply-add: lets LLVM split the per-row dot-product
# dependency chain (the loop is latency-bound), keeps IEEE NaN/inf semantics.
_FAST = {"reassoc", "contract"}


@njit(cache=True, inline="always")
def _tanh(v: float) -> float:
    # (e^{2v} - 1) / (e^{2v} + 1): one exp instead of libm's tanh (5x faster here);
    # absolute error <= 3e-16, saturated beyond |v| > 20 where tanh(v) rounds to +-1.
    if v > 20.0:
        return 1.0
    if v < -20.0:
        return -1.0
    e = np.exp(2.0 * v)
    return (e - 1.0) / (e + 1.0)


@njit(cache=True, inline="always")
def _act(v: float, code: int) -> float:
    if code == 0:
        return _tanh(v)
    if code == 1:
        return v
    if code == 2:
        return 1.0 / (1.0 + np.exp(-v))
    return v if v > 0.0 else 0.0


@njit(cache=True, fastmath=_FAST)
def run_csr(indptr, indices, data, drive, x0, leak, act):  # pragma: no cover - numba
    """States ``(T, N)`` of the leaky reservoir with a CSR recurrent matrix.

    ``drive`` is ``(T, N)``; ``leak`` is ``(N,)``; ``x0`` is ``(N,)``.
    """
    T, N = drive.shape
    states = np.empty((T, N))
    x = x0.copy()
    x_new = np.empty(N)
    for t in range(T):
        for i in range(N):
            s = drive[t, i]
            for k in range(indptr[i], indptr[i + 1]):
                s += data[k] * x[indices[k]]
            x_new[i] = (1.0 - leak[i]) * x[i] + leak[i] * _act(s, act)
        x[:] = x_new
        states[t] = x
    return states


@njit(cache=True, fastmath=_FAST)
def run_csr_lowrank(indptr, indices, data, B, V, bias, x0, leak, act):  # pragma: no cover
    """:func:`run_csr` with ``drive_t = B V_t + bias`` formed inside the loop.

    For few inputs/feedbacks (``B`` is ``(N, r)``, ``V`` ``(T, r)`` with small ``r``) this
    avoids writing and reading a ``(T, N)`` drive array.
    """
    T, r = V.shape
    N = x0.shape[0]
    states = np.empty((T, N))
    x = x0.copy()
    x_new = np.empty(N)
    for t in range(T):
        for i in range(N):
            s = bias[i]
            for j in range(r):
                s += B[i, j] * V[t, j]
            for k in range(indptr[i], indptr[i + 1]):
                s += data[k] * x[indices[k]]
            x_new[i] = (1.0 - leak[i]) * x[i] + leak[i] * _act(s, act)
        x[:] = x_new
        states[t] = x
    return states


@njit(cache=True)
def run_dense(W, drive, x0, leak, act):  # pragma: no cover - numba
    """Same as :func:`run_csr` for a dense ``(N, N)`` recurrent matrix ``W``."""
    T, N = drive.shape
    states = np.empty((T, N))
    x = x0.copy()
    for t in range(T):
        pre = W @ x
        for i in range(N):
            x[i] = (1.0 - leak[i]) * x[i] + leak[i] * _act(pre[i] + drive[t, i], act)
        states[t] = x
    return states


@njit(cache=True, fastmath=_FAST)
def generate_csr(
    indptr, indices, data, drive, F, x0, y0, leak, act, Wout_x, out_const, G
):  # pragma: no cover - numba
    """Closed-loop run: the output ``y_{t-1}`` is fed back through ``F`` at every step.

    x_t = (1 - a) x_{t-1} + a f(W x_{t-1} + drive_t + F y_{t-1})
    y_t = Wout_x^T x_t + out_const_t + G^T y_{t-1}

    Shapes: drive (S, N), F (N, M), x0 (N,), y0 (M,), Wout_x (N, M), out_const (S, M),
    G (M, M). Returns (states (S, N), outputs (S, M)).
    """
    S, N = drive.shape
    M = y0.shape[0]
    states = np.empty((S, N))
    outputs = np.empty((S, M))
    x = x0.copy()
    x_new = np.empty(N)
    y = y0.copy()
    y_new = np.empty(M)
    for t in range(S):
        for i in range(N):
            s = drive[t, i]
            for m in range(M):
                s += F[i, m] * y[m]
            for k in range(indptr[i], indptr[i + 1]):
                s += data[k] * x[indices[k]]
            x_new[i] = (1.0 - leak[i]) * x[i] + leak[i] * _act(s, act)
        x[:] = x_new
        for m in range(M):
            v = out_const[t, m]
            for j in range(M):
                v += G[j, m] * y[j]
            for i in range(N):
                v += Wout_x[i, m] * x[i]
            y_new[m] = v
        y[:] = y_new
        states[t] = x
        outputs[t] = y
    return states, outputs


# --------------------------------------------------------------------------- Hopfield


@njit(cache=True, inline="always")
def _xorshift(state: np.uint64) -> np.uint64:
    state ^= state << np.uint64(13)
    state ^= state >> np.uint64(7)
    state ^= state << np.uint64(17)
    return state


def _hopfield_async_sweep(W, theta, states, h, seeds, active):  # pragma: no cover - numba
    """One asynchronous sweep, in place, over every active row of ``states`` (bipolar int8).

    Each row visits its units in a random order (Fisher–Yates shuffle driven by a xorshift
    generator started from ``seeds[r]``, so the result does not depend on thread
    scheduling). Unit ``i`` is set to ``sign(h_i - theta_i)`` with local field
    ``h = W s``; a tie ``h_i == theta_i`` keeps the current value, so the energy never
    increases. The fields ``h`` (``(n, N)``, kept between sweeps) are updated
    incrementally: ``h += 2 s_i W[i, :]`` when unit ``i`` flips (``W`` is symmetric).
    Returns the number of flips per row (0 for inactive rows).
    """
    n, N = states.shape
    flips = np.zeros(n, dtype=np.int64)
    for r in prange(n):
        if not active[r]:
            continue
        order = np.arange(N)
        rs = np.uint64(seeds[r]) | np.uint64(1)
        for j in range(N - 1, 0, -1):
            rs = _xorshift(rs)
            k = np.int64(rs % np.uint64(j + 1))
            tmp = order[j]
            order[j] = order[k]
            order[k] = tmp
        s = states[r]
        hr = h[r]
        count = 0
        for idx in range(N):
            i = order[idx]
            d = hr[i] - theta[i]
            new = s[i]
            if d > 0.0:
                new = 1
            elif d < 0.0:
                new = -1
            if new != s[i]:
                count += 1
                s[i] = new
                step = 2.0 * new
                for c in range(N):
                    hr[c] += step * W[i, c]
        flips[r] = count
    return flips


# serial for small batches (a parallel region costs more than it saves there, and much
# more on a loaded machine); parallel over rows for large ones
hopfield_async_sweep = njit(cache=True)(_hopfield_async_sweep)
hopfield_async_sweep_parallel = njit(cache=True, parallel=True)(_hopfield_async_sweep)

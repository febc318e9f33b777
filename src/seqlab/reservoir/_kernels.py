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

import llvmlite.ir as llvm_ir
import numpy as np
from numba import prange, types
from numba.extending import intrinsic

from seqlab._jit import njit
from seqlab.reservoir._simd import gather_fma4x4

ACTIVATIONS: dict[str, int] = {"tanh": 0, "identity": 1, "sigmoid": 2, "relu": 3}

# Copies into arrays are written as loops: a slice assignment (``pre[:] = v``) makes numba
# compile its broadcasting code with the shape-mismatch message (string formatting), ~2 s
# of CPU on a first call.

# Only re-association and fused multiply-add: lets LLVM split the per-row dot-product
# dependency chain (the loop is latency-bound), keeps IEEE NaN/inf semantics.
_FAST = {"reassoc", "contract"}


# Cephes tanh (|v| < 0.625: v + v^3 P(v^2)/Q(v^2)) and exp (Cody-Waite reduction
# w = k ln2 + r, Pade form of e^r, times 2^k built from its exponent bits), merged into ONE
# division and no branches, tables or libm calls, so LLVM vectorizes the activation loop
# (numba's np.tanh/np.exp call libm per element; a 2^k table lookup was a gather that made
# the loop 1.8x slower). Error <= 3 ulp of np.tanh (tests/reservoir/test_esn.py checks
# 6.5e5 values incl. extremes).
_TP0, _TP1, _TP2 = -9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3
_TQ0, _TQ1, _TQ2 = 1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3
_EP0, _EP1, _EP2 = 1.26177193074810590878e-4, 3.02994407707441961300e-2, 9.99999999999999999910e-1
_EQ0, _EQ1 = 3.00198505138664455042e-6, 2.52448340349684104192e-3
_EQ2, _EQ3 = 2.27265548208155028766e-1, 2.00000000000000000009e0
_LN2_HI, _LN2_LO = 6.93145751953125e-1, 1.42860682030941723212e-6
_LOG2E = 1.4426950408889634073599


@intrinsic
def _bits_to_f64(typingctx, bits):  # pragma: no cover - numba
    """Reinterpret an int64 as the float64 with the same bits (no conversion)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_ir.DoubleType())

    return types.float64(types.int64), codegen


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _tanh(v: float) -> float:
    z = abs(v)
    z = z if z < 22.0 else 22.0  # tanh(22) rounds to 1; NaN also lands here (index stays valid)
    zz = v * v
    # big |v|: e = exp(-2z) = 2^k (q + p) / (q - p), tanh(z) = (1 - e) / (1 + e)
    w = -2.0 * z
    kf = np.floor(_LOG2E * w + 0.5)
    r = (w - kf * _LN2_HI) - kf * _LN2_LO
    rr = r * r
    p = r * ((_EP0 * rr + _EP1) * rr + _EP2)
    q = ((_EQ0 * rr + _EQ1) * rr + _EQ2) * rr + _EQ3
    a = q - p
    pow2k: float = _bits_to_f64((np.int64(kf) + 1023) << 52)  # type: ignore[call-arg]  # k in [-63, 0]
    b = pow2k * (q + p)
    qs = ((zz + _TQ0) * zz + _TQ1) * zz + _TQ2
    small = z < 0.625
    big_num = a - b if v >= 0 else b - a
    num = v * (qs + zz * ((_TP0 * zz + _TP1) * zz + _TP2)) if small else big_num
    den = qs if small else a + b
    return num / den if v == v else v


@njit(cache=True, inline="always", error_model="numpy")
def _act(v: float, code: int) -> float:
    if code == 0:
        return _tanh(v)
    if code == 1:
        return v
    if code == 2:
        return 1.0 / (1.0 + np.exp(-v))
    return v if v > 0.0 else 0.0


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _leaky_update(pre, x_prev, leak, act, out):  # pragma: no cover - numba
    """``out = (1 - leak) x_prev + leak f(pre)``: one separate pass over the units, so the
    (branch-free) tanh loop vectorizes. Returns ``sum_i |out_i|`` (NaN if any is NaN), the
    callers' divergence check: one vectorized add per unit."""
    N = pre.shape[0]
    total = 0.0
    if act == 0:
        for i in range(N):
            v = (1.0 - leak[i]) * x_prev[i] + leak[i] * _tanh(pre[i])
            out[i] = v
            total += abs(v)
    else:
        for i in range(N):
            v = (1.0 - leak[i]) * x_prev[i] + leak[i] * _act(pre[i], act)
            out[i] = v
            total += abs(v)
    return total


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def tanh_array(v):  # pragma: no cover - numba
    """The kernels' tanh on an array (for tests)."""
    out = np.empty_like(v)
    for i in range(v.shape[0]):
        out[i] = _tanh(v[i])
    return out


Ell = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def csr_to_ell(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, bounded: bool,
    col_like: np.ndarray,
) -> Ell:
    """Split a CSR matrix into an ELL part and a COO overflow, for :func:`_spmv_add`.

    ELL (``ell_data``, ``ell_cols``, both ``(K, N)``) holds the first ``K`` entries of
    every row (rows with fewer are padded with zero weights pointing at column ``i``); the
    rest of each row goes to the COO lists (``row``, ``col``, ``val``), in row order. The
    ELL loop runs over four rows and four slots at once (``_simd.gather_fma4x4``); ``K``, a
    multiple of 4, minimises ``K N + 6 * overflow`` (a COO entry costs ~6 vectorised ELL
    slots: 7% less time than ``4 *`` over all ``K``, measured at N = 1000). Entries keep their
    CSR order, so each row is summed in the same order as the plain CSR loop. With
    ``bounded=False`` ``K = 0`` (for ``x`` that may be infinite: 0 * inf is NaN).
    ``ell_cols`` has the dtype of ``col_like`` (see :func:`col_template`). Numpy, not numba:
    it runs once per call, and compiling it cost ~1 s of CPU on a first call.
    """
    indptr = np.asarray(indptr, np.int64)
    N = indptr.shape[0] - 1
    counts = np.diff(indptr)
    row_of = np.repeat(np.arange(N), counts)  # row of each stored entry, in CSR order
    pos = np.arange(indices.shape[0]) - indptr[:-1][row_of]  # its place within the row
    K = 0
    if bounded and N and indices.shape[0]:
        ks = np.arange(0, int(counts.max()) + 4, 4)  # whole blocks of four slots
        over = np.clip(counts[None, :] - ks[:, None], 0, None).sum(axis=1)
        K = int(ks[np.argmin(ks * N + 6 * over)])  # the first minimum
    in_ell = pos < K
    ell_data = np.zeros((K, N))
    # unsigned column indices: no negative-index wraparound
    ell_cols = np.tile(np.arange(N, dtype=col_like.dtype), (K, 1))
    ell_data[pos[in_ell], row_of[in_ell]] = data[in_ell]
    ell_cols[pos[in_ell], row_of[in_ell]] = indices[in_ell]
    rest = ~in_ell
    row = row_of[rest].astype(np.uint32)
    col = np.asarray(indices[rest], dtype=np.uint32)
    val = np.ascontiguousarray(data[rest], dtype=np.float64)
    return ell_data, ell_cols, row, col, val


def ell_for(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> Ell:
    """:func:`csr_to_ell` for the run kernels: padded ELL slots for every activation. A
    zero padding weight times an infinite state would give NaN, but the kernels stop at
    the first state that is not finite (or over their bound), so ``x`` is always finite."""
    n = indptr.shape[0] - 1
    return csr_to_ell(indptr, indices, data, True, col_template(n))


def col_template(n: int) -> np.ndarray:
    """Empty array whose dtype the ELL column indices take: uint16 up to 65,536 columns
    (one 64-bit load reads four indices: 15-20% less time per product at 1,000 units),
    else uint32. The kernels are compiled for the dtype they get (in practice uint16)."""
    return np.empty(0, np.uint16 if n <= 65536 else np.uint32)


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _spmv_add(ell, x, pre):  # pragma: no cover - numba
    """``pre += W x`` for ``W`` in the :func:`csr_to_ell` layout ``ell``: four slots by
    four rows at a time with :func:`~seqlab.reservoir._simd.gather_fma4x4`, then the last
    ``N % 4`` rows, the last ``K % 4`` slots and the overflow entries one by one."""
    ell_data, ell_cols, row, col, val = ell
    K, N = ell_data.shape
    N4 = N - N % 4
    j = 0
    while j + 4 <= K:
        for i in range(0, N4, 4):
            gather_fma4x4(pre, ell_data, ell_cols, x, j, i)  # type: ignore[call-arg]
        for i in range(N4, N):
            for s in range(j, j + 4):
                pre[i] += ell_data[s, i] * x[ell_cols[s, i]]
        j += 4
    while j < K:
        d0, c0 = ell_data[j], ell_cols[j]
        for i in range(N):
            pre[i] += d0[i] * x[c0[i]]
        j += 1
    for e in range(row.shape[0]):
        pre[row[e]] += val[e] * x[col[e]]


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _add_rows(pre, MT, v):  # pragma: no cover - numba
    """``pre += M v`` for a tall, thin ``M`` given as ``MT = M^T`` (r, N): row by row of
    ``MT``, so every pass over the units reads contiguous memory and vectorizes."""
    for j in range(MT.shape[0]):
        vj = v[j]
        m = MT[j]
        for i in range(pre.shape[0]):
            pre[i] += m[i] * vj


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def ell_power_matvec(ell, x, power):  # pragma: no cover - numba
    """``W^power x`` for ``W`` in the :func:`csr_to_ell` layout (built with ``bounded=True``:
    ``x`` must be finite): the operator of the spectral-radius search."""
    a = x.astype(np.float64)
    b = np.empty_like(a)
    for _ in range(power):
        for i in range(b.shape[0]):
            b[i] = 0.0
        _spmv_add(ell, a, b)
        a, b = b, a
    return a


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def run_csr(ell, drive, x0, leak, act, bound):  # pragma: no cover - numba
    """States ``(T, N)`` of the leaky reservoir (recurrent matrix in the :func:`ell_for`
    layout ``ell``), and the first
    step whose state diverged (``sum |x_t| > bound`` or NaN; -1 if none: the run stops
    there, later rows are unset).

    ``drive`` is ``(T, N)``; ``leak`` is ``(N,)``; ``x0`` is ``(N,)``.
    """
    T, N = drive.shape
    states = np.empty((T, N))
    pre = np.empty(N)
    x = x0.copy()
    for t in range(T):
        for i in range(N):
            pre[i] = drive[t, i]
        _spmv_add(ell, x, pre)
        xt = states[t]
        if not _leaky_update(pre, x, leak, act, xt) <= bound:
            return states, t
        x = xt
    return states, -1


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def run_csr_lowrank(
    ell, BT, V, bias, x0, leak, act, discard, bound
):  # pragma: no cover - numba
    """:func:`run_csr` with ``drive_t = B V_t + bias`` formed inside the loop.

    For few inputs/feedbacks (``BT = B^T`` is ``(r, N)``, ``V`` ``(T, r)`` with small ``r``)
    this avoids writing and reading a ``(T, N)`` drive array. Returns the states from step
    ``discard`` on, ``(T - discard, N)`` (the first ``discard`` are never stored: a washout,
    or a warmup of which only the last state is wanted), and the first diverged step or -1.
    """
    T = V.shape[0]
    N = x0.shape[0]
    states = np.empty((T - discard, N))
    scratch = np.empty((2, N))
    pre = np.empty(N)
    x = x0.copy()
    for t in range(T):
        for i in range(N):
            pre[i] = bias[i]
        _add_rows(pre, BT, V[t])
        _spmv_add(ell, x, pre)
        xt = states[t - discard] if t >= discard else scratch[t % 2]
        if not _leaky_update(pre, x, leak, act, xt) <= bound:
            return states, t
        x = xt
    return states, -1


@njit(cache=True, error_model="numpy")
def run_dense(W, drive, x0, leak, act, bound):  # pragma: no cover - numba
    """Same as :func:`run_csr` for a dense ``(N, N)`` recurrent matrix ``W``."""
    T, N = drive.shape
    states = np.empty((T, N))
    x = x0.copy()
    for t in range(T):
        pre = W @ x + drive[t]
        xt = states[t]
        if not _leaky_update(pre, x, leak, act, xt) <= bound:
            return states, t
        x = xt
    return states, -1


@njit(cache=True, fastmath=_FAST, error_model="numpy")
def generate_csr(
    ell, drive, FT, x0, y0, leak, act, Wout_xT, out_const, G, bound,
):  # pragma: no cover - numba
    """Closed-loop run: the output ``y_{t-1}`` is fed back through ``F`` at every step.

    x_t = (1 - a) x_{t-1} + a f(W x_{t-1} + drive_t + F y_{t-1})
    y_t = Wout_x^T x_t + out_const_t + G^T y_{t-1}

    Shapes: drive (S, N), FT = F^T (M, N), x0 (N,), y0 (M,), Wout_xT (M, N) (``F`` and
    the readout transposed, so that the loops over units run over contiguous memory),
    out_const (S, M), G (M, M). Returns (states (S, N), outputs (S, M), step, what): the
    first step whose state diverged (``what`` 0: ``sum |x_t| > bound`` or NaN) or whose
    output is not finite (``what`` 1), or ``(-1, -1)``; the run stops there.
    """
    S, N = drive.shape
    M = y0.shape[0]
    states = np.empty((S, N))
    outputs = np.empty((S, M))
    pre = np.empty(N)
    x = x0.copy()
    y = y0.copy()
    for t in range(S):
        for i in range(N):
            pre[i] = drive[t, i]
        _add_rows(pre, FT, y)
        _spmv_add(ell, x, pre)
        xt = states[t]
        if not _leaky_update(pre, x, leak, act, xt) <= bound:
            return states, outputs, t, 0
        x = xt
        yt = outputs[t]
        for m in range(M):
            v = out_const[t, m]
            for j in range(M):
                v += G[j, m] * y[j]
            for i in range(N):
                v += Wout_xT[m, i] * x[i]
            if not abs(v) < np.inf:
                return states, outputs, t, 1
            yt[m] = v
        y = yt
    return states, outputs, -1, -1


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

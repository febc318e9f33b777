"""numba kernels for the sequential part of explicit BPTT (forward loop and delta recursion).

Pure functions on numpy arrays, time-major ``(T, B, ...)`` so that step ``t`` is one
contiguous ``(B, ...)`` block. The input projection ``X W_ih^T + b`` is hoisted out of the
loop by the caller (one big matmul), and the weight gradients are formed by the caller after
the recursion (one big matmul over all ``t``); these kernels only do what must be sequential:
the ``h_{t-1} W_hh^T`` product, the elementwise cell update and the delta recursion.

Conventions shared by every kernel:

- ``mask`` is ``(T, B)`` with entries 0 or 1; at a 0 step the state is carried unchanged
  and no gradient flows through the cell at that step;
- the state arrays written by the forward kernels hold the *carried* state at every step
  (so ``states[t]`` is the state after step ``t`` whether or not it was padding);
- ``act`` codes: 0 tanh, 1 relu, 2 identity, 3 sigmoid. Derivatives are taken from the
  activation's *output* (tanh' = 1 - y^2, sigmoid' = y (1 - y), relu' = [y > 0]).

The per-step products are written as loops (:func:`_mm`) rather than ``np.dot``: numba's
``np.dot`` calls scipy's OpenBLAS, whose own thread pool fights torch's OpenMP threads for
the cores (measured here: 20-300x slowdowns on 2 cores), and for the small B*H this path is
used for the loops are as fast. (:mod:`._blas_loop` does use ``np.dot``, for larger steps,
with scipy's BLAS held at one thread.) ``cache=True`` keeps compiled code across processes.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

from seqlab._jit import njit

ACT_CODES = {"tanh": 0, "relu": 1, "identity": 2, "sigmoid": 3}

# tanh(x) rounds to x in float32 below this |x| (tanh x = x (1 - x^2/3 + ...), x^2/3 < 2^-24)
_TANH32_LINEAR = np.float32(4e-4)


def _tanh(v: float) -> float:
    """tanh for the kernels (numba compiles :func:`_tanh_typed`'s choice; this is its
    meaning)."""
    return math.tanh(v)


@overload(_tanh)
def _tanh_typed(v):
    """float32: ``1 - 2 / (exp(2x) + 1)`` in float64, rounded once, and x itself where tanh
    rounds to x -- within 1 ulp of tanh (glibc's ``tanhf``: 2) and 3.4x faster in the kernels'
    loops (0.28 vs 0.94 ms per 64k values, 1 thread; the Jordan forward kernel at B=1 T=1000
    H=64 went 1.57 -> 0.87 ms, the Elman one 1.31 -> 0.62, issue 19). float64: ``math.tanh``
    (the readable cells' own function, so float64 results stay equal to them to the bit)."""
    if isinstance(v, types.Float) and v.bitwidth == 32:
        def tanh32(v):
            if abs(v) < _TANH32_LINEAR:
                return v
            return np.float32(1.0 - 2.0 / (math.exp(2.0 * np.float64(v)) + 1.0))
        return tanh32
    return lambda v: math.tanh(v)


@intrinsic
def _f32_from_bits(typingctx, bits):
    """The float32 whose bit pattern is the int32 ``bits`` (an LLVM bitcast: no call, so a
    loop around it still vectorises)."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


# exp(x) for x in [_EXP32_LO, _EXP32_HI] (Cephes' expf: x = n ln2 + r, |r| <= ln2/2, a
# degree-7 polynomial in r, times 2^n built from its bits; ln2 split in two for an exact n ln2)
_EXP32_LO, _EXP32_HI = np.float32(-87.33654), np.float32(88.0)  # exp: FLT_MIN; 1.65e38
_LOG2E32 = np.float32(1.44269504088896341)
_LN2_HI32, _LN2_LO32 = np.float32(0.693359375), np.float32(-2.12194440e-4)
_EXP32_POLY = tuple(np.float32(c) for c in (
    1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
    5.0000001201e-1))


@njit(cache=True, inline="always")
def _sigmoid32(v):
    """float32 ``1 / (1 + exp(-v))`` with an exp of arithmetic only, so that the loops
    around it vectorise (numba has no vector libm here: a scalar ``math.exp`` costs ~4 ns a
    value, this sigmoid 0.28 ns in a loop; issue 19). Within 2 ulp of the correctly rounded
    sigmoid for v >= -88 (torch's own float32 sigmoid: also 2; the exp alone: 1); below,
    where the true value is a subnormal under 6.1e-39, it returns sigmoid(-88) = 6.05e-39.
    NaN gives NaN, +inf 1, -inf 6.05e-39. The caller must be compiled with
    ``error_model="numpy"`` (numba's default zero-division check keeps a loop scalar)."""
    x = -v
    x = _EXP32_LO if x < _EXP32_LO else x  # NaN passes both tests unchanged
    x = _EXP32_HI if x > _EXP32_HI else x
    n = np.floor(x * _LOG2E32 + np.float32(0.5))
    r = x - n * _LN2_HI32 - n * _LN2_LO32
    c0, c1, c2, c3, c4, c5 = _EXP32_POLY
    y = ((((c0 * r + c1) * r + c2) * r + c3) * r + c4) * r + c5
    y = y * r * r + r + np.float32(1.0)
    bits = (np.int32(n) + np.int32(127)) << np.int32(23)  # 2^n, n in [-126, 127]
    e = y * _f32_from_bits(bits)  # type: ignore[call-arg]  # numba's typing, not Python's
    s = np.float32(1.0) / (np.float32(1.0) + e)
    # NaN in, NaN out, whatever LLVM made of int32(NaN) (poison); a select, still vectorised
    return v if v != v else s


@njit(cache=True, inline="always")
def _act(v, code):
    if code == 0:
        return _tanh(v)
    if code == 1:
        return v if v > 0.0 else 0.0 * v
    if code == 3:
        return 1.0 / (1.0 + math.exp(-v))
    return v


@njit(cache=True, inline="always")
def _dact(y, code):
    """Derivative of the activation, written in terms of its output ``y``."""
    if code == 0:
        return 1.0 - y * y
    if code == 1:
        return 1.0 if y > 0.0 else 0.0
    if code == 3:
        return y * (1.0 - y)
    return 1.0


@njit(cache=True, fastmath={"reassoc", "contract"})
def _mm(out, a, m, beta):
    """out (B, N) = beta * out + a (B, K) @ m (K, N) for ``beta`` 1.0 (accumulate) or 0.0
    (overwrite), row by row (contiguous, vectorisable inner loop). ``beta`` is a float
    because numba types a True/False constant as a literal and compiles one copy per value."""
    B, K = a.shape
    N = m.shape[1]
    for b in range(B):
        if beta == 0.0:
            for n in range(N):
                out[b, n] = 0.0
        for k in range(K):
            v = a[b, k]
            if v != 0.0:
                for n in range(N):
                    out[b, n] += v * m[k, n]


@njit(cache=True, inline="always")
def _sig(v):
    return 1.0 / (1.0 + math.exp(-v))


# ---------------------------------------------------------------------------------------
# Elman / leaky / skip: h_t = a*h_{t-1} + (1-a) f(xp_t + h_{t-1} W_hh^T + h_{t-k} W_skip^T)
# (Elman: no alpha, no skip; leaky: alpha of size H; skip: k >= 2 and W_skip)
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def simple_forward(xp, h0, w_hh_t, alpha, w_skip_t, skip, act, mask, states, fz):
    """Fill ``states`` (T,B,H) with h_t and ``fz`` (T,B,H) with f(z_t)."""
    T, B, H = xp.shape
    leaky = alpha.shape[0] > 0
    h_prev = h0
    z = np.empty((B, H), dtype=xp.dtype)
    for t in range(T):
        _mm(z, h_prev, w_hh_t, 0.0)  # (B, H)
        if skip > 0 and t >= skip:
            _mm(z, states[t - skip], w_skip_t, 1.0)
        for b in range(B):
            m = mask[t, b]
            for j in range(H):
                u = _act(xp[t, b, j] + z[b, j], act)
                fz[t, b, j] = u
                if m != 0.0:
                    if leaky:
                        states[t, b, j] = alpha[j] * h_prev[b, j] + (1.0 - alpha[j]) * u
                    else:
                        states[t, b, j] = u
                else:
                    states[t, b, j] = h_prev[b, j]
        h_prev = states[t]


@njit(cache=True)
def simple_step_backward(gout_t, g, pend_t, fz_t, h_prev, alpha, act, mask_t, dz_t, dalpha):
    """One step of the Elman/leaky/skip delta recursion: fill dz_t; g becomes the carry.

    ``pend_t`` holds the gradient arriving through the skip path (size 0 when no skip);
    the caller then adds dz_t W_hh to g (and dz_t W_skip to the state k steps back).
    """
    B, H = g.shape
    leaky = alpha.shape[0] > 0
    has_pend = pend_t.shape[0] > 0
    for b in range(B):
        m = mask_t[b]
        for j in range(H):
            gt = g[b, j] + m * gout_t[b, j]
            if has_pend:
                gt += pend_t[b, j]
            if m != 0.0:
                u = fz_t[b, j]
                d = _dact(u, act)
                if leaky:
                    a = alpha[j]
                    dz_t[b, j] = gt * (1.0 - a) * d
                    dalpha[j] += gt * (h_prev[b, j] - u)
                    g[b, j] = gt * a
                else:
                    dz_t[b, j] = gt * d
                    g[b, j] = 0.0
            else:
                dz_t[b, j] = 0.0
                g[b, j] = gt


@njit(cache=True)
def simple_backward(gout, g_last, h0, states, fz, w_hh, alpha, w_skip, skip, act, mask, dz_all):
    """The delta recursion; fills ``dz_all`` (T,B,H) = dE/dz_t, returns (dE/dh0, dE/dalpha).

    ``g`` holds delta_int(t) = dE/dh_t (total); dz_t = g * (1-a) f'(z_t) and
    delta_int(t-1) = a*g + dz_t W_hh + (the direct term m*gout_{t-1}) (+ dz_{t+k-1} W_skip).
    """
    T, B, H = gout.shape
    dalpha = np.zeros(alpha.shape[0], dtype=gout.dtype)
    pend = np.zeros((T if skip > 0 else 1, B if skip > 0 else 0, H), dtype=gout.dtype)
    g = g_last.copy()
    for t in range(T - 1, -1, -1):
        h_prev = states[t - 1] if t > 0 else h0
        pend_t = pend[t] if skip > 0 else pend[0]
        simple_step_backward(
            gout[t], g, pend_t, fz[t], h_prev, alpha, act, mask[t], dz_all[t], dalpha
        )
        _mm(g, dz_all[t], w_hh, 1.0)
        if skip > 0 and t >= skip:
            _mm(pend[t - skip], dz_all[t], w_skip, 1.0)
    return g, dalpha


# ---------------------------------------------------------------------------------------
# Jordan: h_t = f(xp_t + y_{t-1} W_yh^T), y_t = g(h_t W_hy^T + b_hy)
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def jordan_forward(xp, y0, w_yh_t, w_hy_t, b_hy, act, out_act, mask, hs, ys):
    """Fill ``hs`` (T,B,H) with h_t (computed at every step) and ``ys`` (T,B,O) with carried y_t."""
    T, B, H = xp.shape
    O = y0.shape[1]
    y_prev = y0
    z = np.empty((B, H), dtype=xp.dtype)
    v = np.empty((B, O), dtype=xp.dtype)
    for t in range(T):
        _mm(z, y_prev, w_yh_t, 0.0)  # (B, H)
        for b in range(B):
            for j in range(H):
                hs[t, b, j] = _act(xp[t, b, j] + z[b, j], act)
        _mm(v, hs[t], w_hy_t, 0.0)  # (B, O)
        for b in range(B):
            m = mask[t, b]
            for o in range(O):
                if m != 0.0:
                    ys[t, b, o] = _act(v[b, o] + b_hy[o], out_act)
                else:
                    ys[t, b, o] = y_prev[b, o]
        y_prev = ys[t]


@njit(cache=True)
def jordan_backward(
    gh_out, gy_out, gy_last, hs, ys, w_yh, w_hy, act, out_act, mask, dz_all, dv_all
):
    """Fill dz_all (T,B,H) = dE/dz_t and dv_all (T,B,O) = dE/dv_t (v: output pre-activation).

    Returns dE/dy0. The carried quantity is dE/dy_t (the output is the recurrent state).
    """
    T, B, H = gh_out.shape
    O = gy_out.shape[2]
    gy = gy_last.copy()
    dh = np.empty((B, H), dtype=gh_out.dtype)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            m = mask[t, b]
            for o in range(O):
                gt = gy[b, o] + m * gy_out[t, b, o]
                if m != 0.0:
                    dv_all[t, b, o] = gt * _dact(ys[t, b, o], out_act)
                    gy[b, o] = 0.0
                else:
                    dv_all[t, b, o] = 0.0
                    gy[b, o] = gt
        _mm(dh, dv_all[t], w_hy, 0.0)  # (B, H)
        for b in range(B):
            m = mask[t, b]
            for j in range(H):
                if m != 0.0:
                    dz_all[t, b, j] = (dh[b, j] + gh_out[t, b, j]) * _dact(hs[t, b, j], act)
                else:
                    dz_all[t, b, j] = 0.0
        _mm(gy, dz_all[t], w_yh, 1.0)  # (B, O)
    return gy


# ---------------------------------------------------------------------------------------
# LSTM (torch gate order i, f, g, o)
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def lstm_forward(xp, h0, c0, w_hh_t, mask, hs, cs, gates, tcs):
    """Fill hs, cs (T,B,H) with carried states, gates (T,B,4H) with i, f, g, o, tcs = tanh(c)."""
    T, B, H = hs.shape
    h_prev = h0
    c_prev = c0
    a = np.empty((B, 4 * H), dtype=xp.dtype)
    for t in range(T):
        _mm(a, h_prev, w_hh_t, 0.0)  # (B, 4H)
        for b in range(B):
            m = mask[t, b]
            for j in range(H):
                i = _sig(xp[t, b, j] + a[b, j])
                f = _sig(xp[t, b, H + j] + a[b, H + j])
                g = _tanh(xp[t, b, 2 * H + j] + a[b, 2 * H + j])
                o = _sig(xp[t, b, 3 * H + j] + a[b, 3 * H + j])
                gates[t, b, j] = i
                gates[t, b, H + j] = f
                gates[t, b, 2 * H + j] = g
                gates[t, b, 3 * H + j] = o
                if m != 0.0:
                    c = f * c_prev[b, j] + i * g
                    tc = _tanh(c)
                    cs[t, b, j] = c
                    tcs[t, b, j] = tc
                    hs[t, b, j] = o * tc
                else:
                    cs[t, b, j] = c_prev[b, j]
                    hs[t, b, j] = h_prev[b, j]
        h_prev = hs[t]
        c_prev = cs[t]


@njit(cache=True)
def lstm_step_backward(gh_out_t, gc_out_t, gh, gc, c_prev, gates_t, tcs_t, mask_t, dz_t):
    """One step of the LSTM delta recursion: fill dz_t (B,4H); gh, gc become the carries.

    The caller then adds dz_t W_hh to gh to get dE/dh_{t-1}.
    """
    B, H = gh.shape
    for b in range(B):
        m = mask_t[b]
        for j in range(H):
            ght = gh[b, j] + m * gh_out_t[b, j]
            gct = gc[b, j] + m * gc_out_t[b, j]
            if m != 0.0:
                i = gates_t[b, j]
                f = gates_t[b, H + j]
                g = gates_t[b, 2 * H + j]
                o = gates_t[b, 3 * H + j]
                tc = tcs_t[b, j]
                dc = gct + ght * o * (1.0 - tc * tc)  # dE/dc_t
                dz_t[b, j] = dc * g * i * (1.0 - i)
                dz_t[b, H + j] = dc * c_prev[b, j] * f * (1.0 - f)
                dz_t[b, 2 * H + j] = dc * i * (1.0 - g * g)
                dz_t[b, 3 * H + j] = ght * tc * o * (1.0 - o)
                gc[b, j] = dc * f
                gh[b, j] = 0.0
            else:
                for q in range(4):
                    dz_t[b, q * H + j] = 0.0
                gc[b, j] = gct
                gh[b, j] = ght


@njit(cache=True)
def lstm_backward(gh_out, gc_out, gh_last, gc_last, c0, cs, gates, tcs, w_hh, mask, dz_all):
    """Fill dz_all (T,B,4H) = dE/d(gate pre-activations); return (dE/dh0, dE/dc0)."""
    T = gh_out.shape[0]
    gh = gh_last.copy()
    gc = gc_last.copy()
    for t in range(T - 1, -1, -1):
        c_prev = cs[t - 1] if t > 0 else c0
        lstm_step_backward(
            gh_out[t], gc_out[t], gh, gc, c_prev, gates[t], tcs[t], mask[t], dz_all[t]
        )
        _mm(gh, dz_all[t], w_hh, 1.0)
    return gh, gc


# ---------------------------------------------------------------------------------------
# GRU (torch convention): r, z = sigma(.), n = tanh(xp_n + r*(h W_hn^T + b_hn)),
# h_t = (1-z) n + z h_{t-1}
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def gru_step_forward(xp_t, a, b_hh, h_prev, mask_t, hs_t, saved_t):
    """One GRU step after a = h_{t-1} W_hh^T (B, 3H): fill hs_t (B,H), saved_t (B,4H)."""
    B, H = hs_t.shape
    for b in range(B):
        m = mask_t[b]
        for j in range(H):
            r = _sig(xp_t[b, j] + a[b, j] + b_hh[j])
            z = _sig(xp_t[b, H + j] + a[b, H + j] + b_hh[H + j])
            hn = a[b, 2 * H + j] + b_hh[2 * H + j]
            n = _tanh(xp_t[b, 2 * H + j] + r * hn)
            saved_t[b, j] = r
            saved_t[b, H + j] = z
            saved_t[b, 2 * H + j] = n
            saved_t[b, 3 * H + j] = hn
            if m != 0.0:
                hs_t[b, j] = (1.0 - z) * n + z * h_prev[b, j]
            else:
                hs_t[b, j] = h_prev[b, j]


@njit(cache=True)
def gru_forward(xp, h0, w_hh_t, b_hh, mask, hs, saved):
    """Fill hs (T,B,H) with carried states and saved (T,B,4H) with r, z, n, (h W_hn^T + b_hn)."""
    T, B, H = hs.shape
    h_prev = h0
    a = np.empty((B, 3 * H), dtype=xp.dtype)
    for t in range(T):
        _mm(a, h_prev, w_hh_t, 0.0)  # (B, 3H)
        gru_step_forward(xp[t], a, b_hh, h_prev, mask[t], hs[t], saved[t])
        h_prev = hs[t]


@njit(cache=True)
def gru_step_backward(gout_t, gh, h_prev, saved_t, mask_t, dx_t, dh_t):
    """One step of the GRU delta recursion: fill dx_t, dh_t (B,3H); gh becomes the carry.

    The caller then adds dh_t W_hh to gh to get dE/dh_{t-1}.
    """
    B, H = gh.shape
    for b in range(B):
        m = mask_t[b]
        for j in range(H):
            ght = gh[b, j] + m * gout_t[b, j]
            if m != 0.0:
                r = saved_t[b, j]
                z = saved_t[b, H + j]
                n = saved_t[b, 2 * H + j]
                hn = saved_t[b, 3 * H + j]
                dan = ght * (1.0 - z) * (1.0 - n * n)
                dar = dan * hn * r * (1.0 - r)
                daz = ght * (h_prev[b, j] - n) * z * (1.0 - z)
                dx_t[b, j] = dar
                dx_t[b, H + j] = daz
                dx_t[b, 2 * H + j] = dan
                dh_t[b, j] = dar
                dh_t[b, H + j] = daz
                dh_t[b, 2 * H + j] = dan * r
                gh[b, j] = ght * z
            else:
                for q in range(3):
                    dx_t[b, q * H + j] = 0.0
                    dh_t[b, q * H + j] = 0.0
                gh[b, j] = ght


@njit(cache=True)
def gru_backward(gh_out, gh_last, h0, hs, saved, w_hh, mask, dx_all, dh_all):
    """Fill dx_all (T,B,3H) = dE/d(input projection) and dh_all (T,B,3H) = dE/d(h W_hh^T + b_hh).

    They differ only in the n block (dh_n = dx_n * r). Returns dE/dh0.
    """
    T = gh_out.shape[0]
    gh = gh_last.copy()
    for t in range(T - 1, -1, -1):
        h_prev = hs[t - 1] if t > 0 else h0
        gru_step_backward(gh_out[t], gh, h_prev, saved[t], mask[t], dx_all[t], dh_all[t])
        _mm(gh, dh_all[t], w_hh, 1.0)
    return gh

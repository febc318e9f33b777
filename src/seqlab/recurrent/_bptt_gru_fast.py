"""GRU with hand-written BPTT for steps where the matrix products dominate (large ``B*H``).

Same function as :class:`seqlab.recurrent._bptt_gated.GRUSequenceFn` (torch.nn.GRU's gates
r, z, n; padded steps carry the state), organised so that each time step costs ONE matrix
product and a handful of vectorised ops, and all that does not depend on the recursion is
done once for all steps:

forward
    ``X W_ih^T + b`` for many steps at once (chunks of ~2048 rows); per step one product
    ``a = h_{t-1} W_hh^T + [W_ir x + b_ir + b_hr, W_iz x + b_iz + b_hz, b_hn]`` (the
    addition fused into the product), ``r, z = sigmoid(a_rz)`` in place,
    ``n = tanh(W_in x + b_in + r a_n) = 2 sigmoid(2 (...)) - 1`` (``a_n = W_hn h + b_hn``;
    torch's sigmoid is 3-4x faster than its tanh here) and
    ``h_t = lerp(n, h_{t-1}, z) = (1-z) n + z h_{t-1}``. Saved: ``[r, z, a_n]``, n, h.
    In float32 everything after the product is one numba call (:func:`_step_forward32`,
    with a sigmoid whose loops vectorise); float64 runs those five steps as torch ops.
backward
    Per step one numba call (:func:`_step_backward`: the gate gradients from
    ``g = dE/dh_t``, written both row-major for the product below and feature-major into
    a (4H, T*B) block for the weight gradients) and one product,
    ``dE/dh_{t-1} = g z + dG_t W_hh + dE/dh_{t-1}|_outputs``. After the recursion
    ``dW_hh = sum_t dG_t^T h_{t-1}`` is ONE (3H, T*B) @ (T*B, H) product, ``dW_ih`` and
    ``dX`` likewise, the biases row sums.

Float32 products go through MKL or oneDNN, whichever :mod:`seqlab.recurrent._matmul` measured
to be faster on this machine for the product's shape (per-step products: ``W_hh`` packed once
per call for oneDNN). On the AMD EPYC of the earlier sessions oneDNN ran the per-step shapes
(32x128 @ 128x384, 64x512 @ 512x1536) at ~110-130 GFLOP/s against MKL's 40-60; on a Zen 4
EPYC (2026-12-05) MKL ran the first at 88 GFLOP/s, oneDNN at 72. Float64, and builds without
oneDNN, use torch's ``addmm``. Memory: the projections and the weight gradients work on chunks of
~2048 rows (a few steps) so that no large buffer is allocated fresh at every call (at B=64
T=256 H=512 whole-sequence buffers cost ~110k page faults, a quarter of the time; huge pages
cut the faults but their zeroing and compaction cost as much on a busy machine).
Where the time goes (issue 19 accounting, B=32 T=100 I=32 H=128, float32, 1 thread, CPU
time of one forward+backward through ``RNNLayer``, 17.7 ms): step products 3.6 ms forward
(36 us each in the loop, 26 alone) and 2.9 backward (29 / 27), whole-sequence products
~3.2 (projections, dX, dW in chunks), the forward's five elementwise ops 1.8 (18 us a step),
the backward's step kernel 2.5 (25 us a step in the loop, 15 alone), the rest ~3.7 (Python,
weight packing, autograd, the layer). The products alone are ~0.27x nn.GRU's time.
Since then (cProfile of 20 calls, 15.4 ms a call): the fused float32 step 0.85 ms (8 us a
step alone), the backward kernel 2.05 (10 us alone: 6.4 of it the feature-major copy; cold
data in the loop doubles it), the step products 5.5 (27.7 us each), the whole-sequence
products 3.3, oneDNN's two weight packings 0.45.
Since 2026-12-05 (Zen 4 EPYC), where torch's step product is MKL's (oneDNN not measured
faster for the shape), the float32 steps of each chunk run as ONE numba call that calls
torch's MKL itself (:mod:`._mkl`, :func:`_forward_steps` / :func:`_backward_steps`): the same
products and step kernels without a torch call and a numba call per step; B=32 T=100 I=32
H=128, forward+backward through ``RNNLayer``, median of 7 interleaved rounds: 1 thread 22.9
-> 20.8 ms (0.74 -> 0.68 of nn.GRU), 2 threads 15.9 -> 14.9 (0.62 -> 0.58).
Higher-order gradients (``create_graph=True``) re-run
the recurrence in plain torch ops (:mod:`seqlab.recurrent._bptt_reference`), as every BPTT
Function does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from seqlab._jit import njit
from seqlab.recurrent import _bptt_reference as R
from seqlab.recurrent import _mkl
from seqlab.recurrent._bptt_common import np_of
from seqlab.recurrent._bptt_kernels import _sigmoid32
from seqlab.recurrent._matmul import linear, linear_dnn, onednn_faster, step_product
from seqlab.recurrent._mkl import gemm as _gemm
from seqlab.recurrent._workspace import Lease, borrow, pooled, scratch

Tensor = torch.Tensor


def use_gru_fast(batch: int, hidden: int) -> bool:
    """True when :class:`GRUFastFn` is expected to beat :class:`GRUSequenceFn` (numba
    kernels / torch-op loop) at forward + backward: B >= 2 and B * H^2 >= 2^18, i.e. a
    per-step product of at least ~0.8M multiply-adds to repay the fast path's fixed cost
    (~30 us a step: oneDNN's call overhead, seven torch ops).

    Measured 2026-12-04, 1 thread, T=100, I=16, CPU time, best of 7 (fast / old):
    H=1024 B=2 0.47; H=512 B=2 0.72, B=1 1.45; H=256 B=4 0.83, B=8 0.77, B=2 1.51;
    H=128 B=16 0.83, B=32 0.83, B=8 1.12; H=64 B=64 0.83, B=32 1.05, B=16 1.17;
    H=32 B=256 0.98, B=512 0.93, B=128 1.03.
    """
    return batch >= 2 and batch * hidden * hidden >= 1 << 18


# Rows (steps x batch) per product for the input projection and the weight gradients: a
# few thousand keep the products efficient; whole-sequence blocks were fresh memory (page
# faults) at every call once over malloc's mmap limit.
_CHUNK_ROWS = 2048


# Rows per input-projection product in the forward pass when the saved buffers are pooled:
# oneDNN's products return new tensors, and blocks of 2048 rows were fresh pages at every call
# in a process running only this layer (1,170 page faults per call at B=32 T=100 H=128,
# 20.4-24.3 ms CPU; 512 rows: none, 17.5-20.3 ms; three runs each, load ~2.8).
_PROJ_ROWS = 512


# The float32 forward pass runs a step's elementwise part as one numba call
# (:func:`_step_forward32`, one thread) instead of five torch ops where a step has at most
# FUSED32_MAX gate values (B*3H): torch's elementwise ops split across threads only from
# 32768 values (its GRAIN_SIZE), so below that they run on one thread anyway and their
# per-op cost is what the fused call saves. Measured (issue 19, rnn.py, 3 alternating runs,
# forward+backward ratio to nn.GRU, before -> after): B=32 T=100 I=32 H=128 (12,288 values)
# 1 thread 0.61-0.67 -> 0.59-0.64, 2 threads 0.71-0.75 -> 0.64-0.67 (the forward pass alone
# 7.7 -> 5.0-5.9 ms); B=64 T=256 I=64 H=512 (98,304) 1 thread 0.48-0.50 either way, but 2
# threads 0.49-0.51 -> 0.54-0.56, where torch's ops ran on both cores. FUSED32 False: the
# torch ops (float64 always uses them: their sigmoid is the readable cell's to the bit).
FUSED32 = True
FUSED32_MAX = 1 << 15


# The float32 recursion (fused steps) as one numba call per chunk of steps calling torch's
# MKL directly (:mod:`._mkl`), where torch's own step product is MKL's anyway (oneDNN not
# measured faster for the shape): the same library and product, without the torch call and
# the numba call per step around it (issue 19, Zen 4, B=32 T=100 I=32 H=128, 1 thread:
# see the module docstring). "auto": that rule; "on" / "off": forced where the fused step
# runs (tests).
MKL_LOOP = "auto"


def mkl_loop(batch: int, k: int, n: int) -> bool:
    """True when a fused float32 pass runs its (batch, k) @ (k, n) step products as
    :func:`_forward_steps` / :func:`_backward_steps` (torch's MKL called from numba)."""
    if MKL_LOOP != "auto":
        return MKL_LOOP == "on" and _mkl.available()
    return _mkl.available() and not onednn_faster("step", batch, k, n)


def _chunk_steps(steps: int, batch: int, rows: int | None = None) -> int:
    """Steps per chunk: about ``rows`` (default ``_CHUNK_ROWS``) rows, the chunks of one
    sequence equal."""
    n_chunks = -(-steps * batch // (_CHUNK_ROWS if rows is None else rows))
    return -(-steps // n_chunks)


class GRUFastFn(torch.autograd.Function):
    """GRU over a sequence with hand-written BPTT, matrix-product bound (module docstring).

    Arguments as :class:`seqlab.recurrent._bptt_gated.GRUSequenceFn`: x (B, T, I), h0 (B, H)
    or None, weights in torch.nn.GRU's layout, biases or None, mask_tm (T, B) 0/1 or None.
    Returns (h_all (B, T, H), zero at padding; h_last (B, H)).
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, h0: Tensor | None, w_ih: Tensor, w_hh: Tensor,
        b_ih: Tensor | None, b_hh: Tensor | None, mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor]:  # fmt: skip
        B, T, I = x.shape
        H = w_hh.shape[1]
        x_tm = x.detach().transpose(0, 1).reshape(T * B, I)
        w = w_ih.detach()
        b_i = x.new_zeros(3 * H) if b_ih is None else b_ih.detach()
        b_h = x.new_zeros(3 * H) if b_hh is None else b_hh.detach()
        # added to h W_hh^T at each step: [W_ir x + b_ir + b_hr, W_iz x + b_iz + b_hz, b_hn]
        w_o = torch.cat([w[: 2 * H], w.new_zeros(H, I)])
        b_o = torch.cat([b_i[: 2 * H] + b_h[: 2 * H], b_h[2 * H :]])
        # 2 (W_in x + b_in): the argument of n = 2 sigmoid(2 v) - 1 (x2 is exact)
        w_n2, b_n2 = 2.0 * w[2 * H :], 2.0 * b_i[2 * H :]
        step = step_product(w_hh.detach(), B)
        # saved for the backward pass in pooled buffers (fresh ones page-fault: _workspace)
        hs_ext = borrow("gru_h", (T + 1, B, H), x.dtype)  # h_{-1} = h0, h_0, ..., h_{T-1}
        if h0 is None:
            hs_ext[0] = 0.0
        else:
            hs_ext[0] = h0.detach()
        ns = borrow("gru_n", (T, B, H), x.dtype)
        acts = borrow("gru_acts", (T, B, 3 * H), x.dtype)  # [r, z, a_n] of every step
        keep = None if mask_tm is None else (mask_tm != 0).unsqueeze(-1)  # (T, B, 1)
        # float32: the elementwise part of a step in one numba call (_step_forward32)
        fused = FUSED32 and x.dtype == torch.float32 and B * 3 * H <= FUSED32_MAX
        hs_np, ns_np, acts_np = (hs_ext.numpy(), ns.numpy(), acts.numpy()) if fused else (
            None, None, None)
        # the fused step reads the product from its own buffer: written into acts[t] (MKL's
        # addmm with ``out``), LLVM's overlap check sent every loop of the kernel to its scalar
        # version (1.4 -> 4.95 ms a call of 100 steps at B=32 H=128)
        pre = x.new_empty(B, 3 * H) if fused else None
        # the input projections, a few steps at a time (fewer, larger blocks where the saved
        # buffers are too large to be pooled: that call page-faults anyway)
        small = pooled((T, B, 3 * H), x.dtype)
        chunk = _chunk_steps(T, B, _PROJ_ROWS if small else _CHUNK_ROWS)
        if fused and mkl_loop(B, H, 3 * H):  # the steps of each chunk in one numba call
            assert pre is not None
            w_t, pre_np = w_hh.detach().t().contiguous().numpy(), pre.numpy()  # W_hh^T (H, 3H)
            m_np = np_of(mask_tm, x.dtype, (0, B))  # (T, B) 0/1, or length 0: no padding
            for c0 in range(0, T, chunk):
                xs = x_tm[c0 * B : min(T, c0 + chunk) * B]
                o_np = linear(xs, w_o, b_o).reshape(-1, B, 3 * H).numpy()
                p_np = linear(xs, w_n2, b_n2).reshape(-1, B, H).numpy()
                _forward_steps(c0, min(T, c0 + chunk), o_np, p_np, w_t, hs_np, ns_np, acts_np,
                               pre_np, m_np)
            h = hs_ext[T]
        else:  # a Python loop of torch calls (and _step_forward32)
            full = [True] * T if keep is None else keep.reshape(T, B).all(1).tolist()
            hss, nss, ass = hs_ext.unbind(0), ns.unbind(0), acts.unbind(0)
            s, minus_one = x.new_empty(B, H), x.new_full((1,), -1.0)
            addcmul, add, lerp, where = torch.addcmul, torch.add, torch.lerp, torch.where
            h = hss[0]
            for t in range(T):
                if t % chunk == 0:
                    xs = x_tm[t * B : min(T, t + chunk) * B]
                    others = linear(xs, w_o, b_o).reshape(-1, B, 3 * H).unbind(0)
                    pn2 = linear(xs, w_n2, b_n2).reshape(-1, B, H)
                    pn2s, pn2_np = pn2.unbind(0), pn2.numpy() if fused else None
                a = ass[t]
                p = step(h, others[t % chunk], out=a if pre is None else pre)  # [pre_r, pre_z, a_n]
                if fused:
                    _step_forward32(p.numpy(), pn2_np, t % chunk, hs_np, ns_np, acts_np, t)
                else:
                    if p is a:
                        a[:, : 2 * H].sigmoid_()
                    else:  # oneDNN's new tensor: freed at once, the next step reuses its memory
                        torch.sigmoid(p[:, : 2 * H], out=a[:, : 2 * H])
                        a[:, 2 * H :].copy_(p[:, 2 * H :])
                    a_r, a_z, a_n = a.unsafe_split(H, 1)  # views without autograd bookkeeping
                    addcmul(pn2s[t % chunk], a_r, a_n, value=2.0, out=s).sigmoid_()
                    n = add(minus_one, s, alpha=2.0, out=nss[t])  # tanh(W_in x + b_in + r a_n)
                    lerp(n, h, a_z, out=hss[t + 1])  # (1-z) n + z h
                h_new = hss[t + 1]
                if not full[t]:
                    assert keep is not None
                    where(keep[t], h_new, h, out=h_new)
                h = h_new
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, mask_tm)
        ctx.fast = (acts, ns, hs_ext)
        ctx.lease = Lease(gru_h=hs_ext, gru_n=ns, gru_acts=acts)  # back to the pool with ctx
        hs = hs_ext[1:].transpose(0, 1)
        # a copy in any case (never a view of the pooled buffer; .contiguous() is one at B=1)
        out = hs.clone(memory_format=torch.contiguous_format) if keep is None else (
            hs * keep.transpose(0, 1))
        return out, h.clone()

    @staticmethod
    def backward(ctx: Any, g_h: Tensor, g_hlast: Tensor) -> tuple[Tensor | None, ...]:
        saved = ctx.saved_tensors  # x, h0, w_ih, w_hh, b_ih, b_hh, mask_tm
        if torch.is_grad_enabled():  # create_graph=True: the gradient's graph is needed
            return R.differentiable_backward(
                R.gru_forward, saved, ctx.needs_input_grad, (g_h, g_hlast)
            )
        x, _, w_ih, w_hh, _, _, mask_tm = saved
        acts, ns, hs_ext = ctx.fast
        T1, B, H = hs_ext.shape
        T = T1 - 1
        mask = x.new_ones(T, B) if mask_tm is None else mask_tm
        g_out = g_h.detach()  # (B, T, H), any strides (often an expanded 1): read in place
        step = step_product(w_hh.detach().t(), B)
        chunk = _chunk_steps(T, B)
        # the gate gradients of a chunk of steps, row-major: row (step - first) * B + b holds
        # dE/d[pre_r, pre_z, a_n, pre_n] of that step and sequence
        flat = scratch("gru_flat", (4 * H * chunk * B,), x.dtype)
        carry = x.new_empty(B, H)
        n_np, h_np, go_np, m_np = ns.numpy(), hs_ext.numpy(), g_out.numpy(), mask.numpy()
        a_np, carry_np = acts.numpy(), carry.numpy()
        sums = _WeightGrads(ctx.needs_input_grad, x, w_ih, hs_ext)
        g = torch.addcmul(g_hlast.detach(), g_out[:, T - 1], mask[T - 1].unsqueeze(1))
        if x.dtype == torch.float32 and mkl_loop(B, 3 * H, H):  # a chunk: one numba call
            w_np, g_np, t = w_hh.detach().contiguous().numpy(), g.numpy(), T - 1  # W_hh (3H, H)
            while t >= 0:
                first = t - t % chunk
                blk = flat[: 4 * H * (t + 1 - first) * B].view(-1, 4 * H)
                _backward_steps(t, first, g_np, go_np, m_np, a_np, n_np, h_np, blk.numpy(),
                                carry_np, w_np)
                sums.add(blk, first)
                t = first - 1
        else:
            blk = flat
            for t in range(T - 1, -1, -1):
                first = t - t % chunk  # the chunk's first step
                if t == T - 1 or t % chunk == chunk - 1:  # a chunk starts: a contiguous block
                    blk = flat[: 4 * H * (t + 1 - first) * B].view(-1, 4 * H)
                    blk_np = blk.numpy()
                row = (t - first) * B
                _step_backward(g.numpy(), go_np, m_np, t, a_np, n_np, h_np, row, blk_np, carry_np)
                # dE/dh_{t-1} = g z + dG_t W_hh (+ its output's gradient); dG_t read in place
                g = step(blk[row : row + B, : 3 * H], carry)
                if t == first:
                    sums.add(blk, first)
        dx, dw_ih, dw_hh, db_ih, db_hh = sums.result()
        dh0 = g if ctx.needs_input_grad[1] else None
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None


@njit(cache=True, error_model="numpy")
def _step_forward32(p, pn2, k, hs, ns, acts, t):
    """Step ``t`` of the float32 forward pass after its product, fused (one call instead of
    five torch ops, issue 19): from ``p`` (B, 3H) = [pre_r, pre_z, a_n] and the chunk's
    ``pn2[k]`` = 2 (W_in x + b_in), ``acts[t]`` = [r, z, a_n] (r, z = sigmoid), ``ns[t]`` =
    n = tanh(W_in x + b_in + r a_n) = 2 sigmoid(2 (...)) - 1 and ``hs[t + 1]`` = h_t =
    lerp(n, h_{t-1}, z), the same formulas as the float64 torch ops in
    :meth:`GRUFastFn.forward` (``torch.lerp``'s two branches included), with
    :func:`~seqlab.recurrent._bptt_kernels._sigmoid32`. ``p`` may be ``acts[t]`` itself (right, but
    LLVM's overlap check then runs every loop's scalar version: ~3.5x slower)."""
    B, H = ns.shape[1], ns.shape[2]
    one, two, half = np.float32(1.0), np.float32(2.0), np.float32(0.5)
    a, h, n_t, h_new, q = acts[t], hs[t], ns[t], hs[t + 1], pn2[k]
    for b in range(B):  # separate loops: each one vectorises (one loop of all: 3x slower)
        for j in range(2 * H):
            a[b, j] = _sigmoid32(p[b, j])
        for j in range(2 * H, 3 * H):
            a[b, j] = p[b, j]
        for j in range(H):
            n_t[b, j] = two * _sigmoid32(q[b, j] + two * (a[b, j] * a[b, 2 * H + j])) - one
        for j in range(H):
            n, z, hp = n_t[b, j], a[b, H + j], h[b, j]
            h_new[b, j] = n + z * (hp - n) if z < half else hp - (hp - n) * (one - z)


@njit(cache=True, error_model="numpy")
def _step_backward(g, g_out, mask, t, acts, ns, hs, row, blk, carry):
    """Step ``t`` of the delta recursion, elementwise, from g = dE/dh_t (B, H).

    Fills rows ``row .. row+B`` of ``blk`` (n*B, 4H) with dE/d[pre_r, pre_z, a_n] (the
    first 3H columns: dG_t, for the product with W_hh, which reads them in place) and
    dE/d pre_n, and ``carry = g z + mask[t-1] g_out[:, t-1]`` (``g_out`` (B, T, H) the
    gradient of the per-step outputs); the caller adds dG_t W_hh to ``carry``
    (dE/dh_{t-1}). ``acts``, ``ns`` and ``hs`` are the forward pass's saved [r, z, a_n], n
    and states (h0 first).

    The constants are float32 (exact in either precision) so that float32 arrays are
    computed in float32: a float64 literal promoted every product to float64 and back,
    16.6 -> 13.5 us a call at B=32 H=128 (issue 19). Each output has its own loop so that
    each vectorises (one loop writing all: 12.9 us a call, these: 10.0). The gate gradients
    were written to separate arrays and copied feature-major into a (4H, n*B) block for
    oneDNN's weight-gradient products until 2026-12-05: that scattered copy was 6.4 of the
    10 us alone and 3.2 -> 1.25 ms of the 100 calls at B=32 T=100 H=128 in the loop;
    row-major, MKL reads the block transposed in place and oneDNN gets one bulk transposed
    copy of it (:class:`_WeightGrads`).
    """
    B, H = g.shape
    one, zero = np.float32(1.0), np.float32(0.0)
    a_t, n_t, h_prev = acts[t], ns[t], hs[t]
    dg, dn = blk[row : row + B, : 3 * H], blk[row : row + B, 3 * H :]
    for b in range(B):
        m_prev = mask[t - 1, b] if t > 0 else zero
        tp = t - 1 if t > 0 else 0
        if mask[t, b] != zero:
            for j in range(H):
                n = n_t[b, j]
                dn[b, j] = g[b, j] * (one - a_t[b, H + j]) * (one - n * n)
            for j in range(H):
                r = a_t[b, j]
                dg[b, j] = dn[b, j] * a_t[b, 2 * H + j] * r * (one - r)
            for j in range(H):
                z = a_t[b, H + j]
                dg[b, H + j] = g[b, j] * (h_prev[b, j] - n_t[b, j]) * z * (one - z)
            for j in range(H):
                dg[b, 2 * H + j] = dn[b, j] * a_t[b, j]
            for j in range(H):
                carry[b, j] = g[b, j] * a_t[b, H + j] + m_prev * g_out[b, tp, j]
        else:  # padded step: no gradient through the cell, the state's passes unchanged
            for j in range(3 * H):
                dg[b, j] = zero
            for j in range(H):
                dn[b, j] = zero
                carry[b, j] = g[b, j] + m_prev * g_out[b, tp, j]


@njit(cache=True, error_model="numpy")
def _forward_steps(t0, t1, others, pn2, w_t, hs, ns, acts, pre, mask):
    """Steps ``t0 .. t1-1`` of the float32 forward pass (a chunk): per step ``pre = others[t
    - t0] + h_{t-1} W_hh^T`` through torch's MKL (:func:`seqlab.recurrent._mkl.gemm`; ``w_t``
    is W_hh^T (H, 3H) contiguous), then :func:`_step_forward32`, then the carried state at
    padded steps (``mask`` (T, B) 0/1, or length 0): the same as the Python loop of
    :meth:`GRUFastFn.forward` with its torch calls."""
    B, G = pre.shape
    H = hs.shape[2]
    masked = mask.shape[0] > 0
    for t in range(t0, t1):
        o = others[t - t0]
        for b in range(B):
            for j in range(G):
                pre[b, j] = o[b, j]
        _gemm(B, G, H, hs[t], H, w_t, G, pre, G, 1.0)
        _step_forward32(pre, pn2, t - t0, hs, ns, acts, t)
        if masked:
            for b in range(B):
                if mask[t, b] == 0.0:
                    for j in range(H):
                        hs[t + 1, b, j] = hs[t, b, j]


@njit(cache=True, error_model="numpy")
def _backward_steps(t_hi, first, g, g_out, mask, acts, ns, hs, blk, carry, w):
    """Steps ``t_hi`` down to ``first`` (a chunk) of the float32 delta recursion: per step
    :func:`_step_backward` (rows ``(t - first) * B ..`` of ``blk``), then ``g = carry + dG_t
    W_hh`` through torch's MKL (``w`` = W_hh (3H, H) contiguous, dG_t read in place from
    ``blk``). ``g`` (B, H) ends as dE/dh_{first-1}."""
    B, H = g.shape
    G = w.shape[0]
    ld = blk.shape[1]
    for t in range(t_hi, first - 1, -1):
        row = (t - first) * B
        _step_backward(g, g_out, mask, t, acts, ns, hs, row, blk, carry)
        for b in range(B):
            for j in range(H):
                g[b, j] = carry[b, j]
        _gemm(B, H, G, blk[row : row + B], ld, w, H, g, H, 1.0)


class _WeightGrads:
    """dX, dW_ih, dW_hh, db_ih, db_hh summed chunk by chunk from the row-major gate
    gradients (n*B, 4H) of n steps: one product (or column sum) per chunk and quantity.

    dE/d(input projection) is columns [r, z, pre_n]; dE/d(h W_hh^T + b_hh) columns [r, z,
    a_n] (they differ in the n block: dE/da_n = r dE/dpre_n). The products read the block
    transposed in place through MKL, or through oneDNN from one feature-major copy of it,
    whichever :mod:`seqlab.recurrent._matmul` measured faster for ``dG^T H`` here.
    """

    def __init__(self, needs: Any, x: Tensor, w_ih: Tensor, hs_ext: Tensor) -> None:
        B, T, I = x.shape
        H = hs_ext.shape[2]
        self.needs, self.B, self.H = needs, B, H
        self.x_tm = x.detach().transpose(0, 1).reshape(T * B, I)
        self.h_prev = hs_ext[:-1].reshape(T * B, H)  # h_{t-1} of every step
        w = w_ih.detach()
        self.w_rz, self.w_n = w[: 2 * H], w[2 * H :]
        self.dnn = x.dtype == torch.float32 and onednn_faster(
            "tn", _chunk_steps(T, B) * B, 3 * H, H)
        if self.dnn:  # (I, 2H), (I, H): oneDNN's dX^T = W_ih^T d_in^T
            self.w_rz_t, self.w_n_t = self.w_rz.t().contiguous(), self.w_n.t().contiguous()
        self.dx = x.new_empty(T * B, I) if needs[0] else None
        self.dw_ih = x.new_zeros(3 * H, I)
        self.dw_hh = x.new_zeros(3 * H, H)
        self.db_ih, self.db_hh = x.new_zeros(3 * H), x.new_zeros(3 * H)

    def add(self, blk: Tensor, first: int) -> None:
        """Add the steps from ``first`` on whose gate gradients are the rows of ``blk``."""
        if self.dnn:
            self._add_feature_major(blk.t().contiguous(), first)
            return
        H, rows = self.H, slice(first * self.B, first * self.B + blk.shape[0])
        d_rz, d_hh, d_n = blk[:, : 2 * H], blk[:, : 3 * H], blk[:, 3 * H :]
        if self.dx is not None:
            dx = self.dx[rows]
            torch.mm(d_rz, self.w_rz, out=dx)
            dx.addmm_(d_n, self.w_n)
        if self.needs[2]:
            x_r = self.x_tm[rows]
            self.dw_ih[: 2 * H].addmm_(d_rz.t(), x_r)
            self.dw_ih[2 * H :].addmm_(d_n.t(), x_r)
        if self.needs[3]:  # sum_t dG_t^T h_{t-1}
            self.dw_hh.addmm_(d_hh.t(), self.h_prev[rows])
        if self.needs[4]:
            self.db_ih[: 2 * H] += d_rz.sum(0)
            self.db_ih[2 * H :] += d_n.sum(0)
        if self.needs[5]:
            self.db_hh += d_hh.sum(0)

    def _add_feature_major(self, d: Tensor, first: int) -> None:
        """:meth:`add` from the block's feature-major copy ``d`` (4H, n*B), through oneDNN."""
        H, rows = self.H, slice(first * self.B, first * self.B + d.shape[1])
        d_rz, d_hh, d_n = d[: 2 * H], d[: 3 * H], d[3 * H :]
        if self.dx is not None:  # dX^T = W_ih^T d_in
            self.dx[rows] = linear_dnn(self.w_rz_t, d_rz.t()).add_(
                linear_dnn(self.w_n_t, d_n.t())).t()
        if self.needs[2]:
            x_t = self.x_tm[rows].t()
            self.dw_ih[: 2 * H] += linear_dnn(d_rz, x_t)
            self.dw_ih[2 * H :] += linear_dnn(d_n, x_t)
        if self.needs[3]:  # sum_t dG_t^T h_{t-1}
            self.dw_hh += linear_dnn(d_hh, self.h_prev[rows].t())
        if self.needs[4]:
            self.db_ih[: 2 * H] += d_rz.sum(1)
            self.db_ih[2 * H :] += d_n.sum(1)
        if self.needs[5]:
            self.db_hh += d_hh.sum(1)

    def result(self) -> tuple[Tensor | None, ...]:
        """(dX (B, T, I), dW_ih, dW_hh, db_ih, db_hh), None where not needed."""
        nd = self.needs
        dx = None
        if self.dx is not None:
            dx = self.dx.reshape(-1, self.B, self.dx.shape[1]).transpose(0, 1)
        return (dx, self.dw_ih if nd[2] else None, self.dw_hh if nd[3] else None,
                self.db_ih if nd[4] else None, self.db_hh if nd[5] else None)

"""Explicit BPTT for Elman / leaky / skip units on large steps: one GEMM per step, no copies.

Same contract as :class:`seqlab.recurrent._bptt_elman.SimpleSequenceFn` (same arguments, same
outputs, same gradients); used instead of it when ``B*H`` is large (:func:`use_fast`), where the
time goes to per-step overhead around the step's matrix product rather than to arithmetic.
What it does differently:

- forward: the input projection ``X W_ih^T + b_ih + b_hh`` of all steps is ONE GEMM into a
  time-major ``(T, B, H)`` buffer; step ``t`` then adds ``h_{t-1} W_hh^T`` to its block of that
  buffer in place (``addmm_``) and applies the activation in place, so an Elman step is two
  torch calls and the buffer ends up holding every ``h_t`` (stored once, nothing recomputed);
- backward: ``f'(z_t)`` of all steps is one vectorised op on the stored activations (times
  ``1 - a`` for leaky units and the mask); the incoming gradient is copied once to a
  time-major buffer ``G`` that accumulates ``dE/dh_t``; step ``t`` is then
  ``dz_t = G_t * f'(z_t)`` (in place, into the derivative buffer) and
  ``G_{t-1} += dz_t W_hh`` (``addmm_``): two calls (three for leaky units: ``+ a G_t``);
- every weight gradient is ONE GEMM over all steps after the recursion
  (``dW_hh = sum_t dz_t^T h_{t-1}`` is ``dZ^T S_prev``), the biases are column sums;
- skip connections: the ``W_skip h_{t-k}`` terms of ``k`` consecutive steps only read states
  computed before them, so they are added as one GEMM per ``k`` steps (and their gradient
  ``G_{t-k} += dz_t W_skip`` likewise in the backward pass).

Padding (``mask_tm`` (T, B), 0 = padded): the state is carried (``torch.where`` per step), the
derivative buffer is zero there and the carried gradient passes through (``+ (1-m) G_t``).

Float32 products go through MKL or oneDNN, whichever :mod:`seqlab.recurrent._matmul`
measured to be faster here for the product's shape (:func:`dnn`): per step with ``W_hh``
packed once per call for oneDNN (the product's result is then a new tensor, copied into the
buffer), the skip blocks, the input projection, dX, and the weight gradients from one
transposed copy of ``dZ``. (Until 2026-12-04 a fixed rule chose: per-step products from
``B*H^2 >= 2^22`` and whole-sequence ones from ``H >= 128`` through oneDNN, measured on the
AMD EPYC of those sessions; on a Zen 4 EPYC MKL was the faster of the two at B=32 H=128.)

The recursion itself (the per-step products and elementwise ops above, forward and
backward) runs either as that loop of torch calls or as ONE numba call per pass whose
per-step products are ``np.dot`` calls (scipy's BLAS, at one thread) or calls of torch's own
MKL (:mod:`seqlab.recurrent._mkl`), with the elementwise part fused
(:mod:`seqlab.recurrent._blas_loop`), whichever was measured fastest on this machine for
the step's shape (:func:`loop_kind`; float32; after a warm-up of torch-loop calls, so that a
one-off call does not pay numba's load). On the AMD EPYC of 2026-12-04 the
numba loop (then with the same ``np.dot``) was no faster (0.81-0.96x); on a Zen 4 EPYC
(2026-12-05) OpenBLAS multiplies 32x128 @ 128x128 in 9.2 us against MKL's 12.5 and the
loop is chosen at B=32 H=128: a forward+backward through ``RNNLayer`` at B=32 T=100 I=32,
1 thread, 6.9 -> 5.9 ms (Elman), 7.0-7.5 -> 5.9-6.0 (leaky), 10.9-11.2 -> 10.0 (skip);
at B=64 H=512 oneDNN's packed product (320 us) beats OpenBLAS's (400) and the torch loop
stays.

Where the time went (issue 19 accounting on the earlier EPYC, torch loop, B=32 T=100 I=32
H=128, float32, 1 thread, CPU time of one forward+backward through ``RNNLayer``, 5.8 ms):
the 200 per-step products 2.3 ms (11.5 us each: MKL's AVX2 kernel at ~90 GFLOP/s; OpenBLAS
11.8 us, oneDNN 15-18 us with its call overhead), the whole-sequence products 0.9 ms (input
projection 0.16, dX 0.12, dW_ih 0.12, dW_hh 0.5), the per-step elementwise ops 0.4 ms
(sigmoid + add forward, multiply backward) and 0.2 ms of Python; the rest (~1.9 ms) is
spread over ~20 whole-sequence operations of 0.05-0.3 ms each (the transposed copy of dZ for
oneDNN 0.27, the input check 0.15 before it became one sum, autograd and the layer's
bookkeeping ~0.5). The products alone are 0.37x nn.RNN's time, so 0.5x would leave ~1.2 ms
for everything else.

Higher-order gradients: with grad mode on in the backward pass (``create_graph=True``) the
recurrence is re-run in plain torch ops and differentiated by autograd
(:mod:`seqlab.recurrent._bptt_reference`), as for the other BPTT Functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from seqlab.recurrent import _blas_loop, _mkl
from seqlab.recurrent import _bptt_reference as R
from seqlab.recurrent._bptt_common import np_of
from seqlab.recurrent._matmul import linear_dnn as linear
from seqlab.recurrent._matmul import loop_choice, onednn_faster, step_product
from seqlab.recurrent._workspace import scratch

Tensor = torch.Tensor

# B*H from which these Functions replace the numba kernels of _bptt_elman (forward +
# backward, 1 thread; see bptt.py's "Speed" section for the figures).
FAST_MIN_BH = {"simple": 512, "jordan": 1024}

_ACT_INPLACE = {0: Tensor.tanh_, 1: Tensor.relu_, 3: Tensor.sigmoid_}  # 2 identity: nothing


# Where the recursion runs: "auto" measures (float32: :func:`loop_kind`); "torch", "blas" or
# "mkl" force the torch-call loop or a numba loop of :mod:`._blas_loop` with ``np.dot`` or
# (float32, where found) torch's MKL at any dtype (tests).
LOOP = "auto"

# Rent or buy (issue 17's first call): the numba loop's first use in a process loads numba's
# cached code and scipy's BLAS (0.35 s at B=32 T=100 H=128 here, first forward+backward 0.366
# s against 0.013 with the torch loop; 2.2 s the very first time: compilation). So "auto"
# runs the torch loop until its estimated time in this process (the recursion's products at
# WARMUP_GFLOPS) reaches WARMUP_S, and only then measures and switches: a one-off call
# stays cheap, a training run pays at most WARMUP_S more than switching at once (~120
# forward+backward calls at that shape).
WARMUP_S = 0.5
WARMUP_GFLOPS = 50.0
_warmup = {"s": 0.0}


def warm() -> None:
    """Count the warm-up as done in this process (benchmarks time the steady state)."""
    _warmup["s"] = WARMUP_S


def loop_kind(t: Tensor, steps: int, batch: int, hidden: int) -> str:
    """Where the recursion of a ``t``-typed problem runs: "torch" (a loop of torch calls),
    "blas" or "mkl" (one numba call per pass, :mod:`._blas_loop`, with ``np.dot`` or torch's
    MKL): after the warm-up, as measured fastest here for float32
    (:func:`seqlab.recurrent._matmul.loop_choice`); or as forced by :data:`LOOP` (MKL only
    for float32 where torch's MKL is found, else ``np.dot``)."""
    if LOOP != "auto":
        if LOOP == "mkl" and not (t.dtype == torch.float32 and _mkl.available()):
            return "blas"  # MKL's product here is float32's: np.dot then
        return LOOP
    if t.dtype != torch.float32:
        return "torch"
    if _warmup["s"] < WARMUP_S:  # forward + backward: 2 products a step
        _warmup["s"] += 4.0 * steps * batch * hidden * hidden / (WARMUP_GFLOPS * 1e9)
        return "torch"
    return loop_choice(batch, hidden, hidden)


def use_fast(kind: str, batch: int, hidden: int) -> bool:
    """True when the one-GEMM-per-step Functions of this module are the faster path."""
    return batch * hidden >= FAST_MIN_BH[kind]


def act_derivative(y: Tensor, code: int, name: str) -> Tensor:
    """``f'(z)`` written with the activation's output ``y = f(z)``, in scratch ``name``."""
    out = scratch(name, tuple(y.shape), y.dtype)
    if code == 0:
        return torch.addcmul(y.new_ones(()), y, y, value=-1.0, out=out)  # 1 - y^2, one pass
    if code == 1:
        return torch.gt(y, 0, out=out)  # 1 where y > 0 (bool written as 0/1 of y's dtype)
    if code == 3:
        return torch.addcmul(y, y, y, value=-1.0, out=out)  # y (1 - y)
    return out.fill_(1.0)


def time_major_copy(g: Tensor | None, mask: Tensor | None, name: str,
                    shape: tuple[int, int, int], dtype: torch.dtype) -> Tensor:
    """A (B, T, F) incoming gradient as a time-major (T, B, F) = ``shape`` scratch copy (times
    the mask); zeros for None (the Functions do not materialise gradients of unused outputs)."""
    out = scratch(name, shape, dtype)
    if g is None:
        return out.zero_()
    out.copy_(g.detach().transpose(0, 1))
    if mask is not None:
        out.mul_(mask)
    return out


def zeros_for_none(grads: tuple[Tensor | None, ...], outputs: tuple[Tensor, ...]
                   ) -> tuple[Tensor, ...]:
    """Incoming gradients with None (an unused output) replaced by zeros like the output."""
    return tuple(torch.zeros_like(o) if g is None else g for g, o in zip(grads, outputs))


def dnn(t: Tensor, hidden: int, batch: int | None = None) -> bool:
    """True when the products of a float32 ``t`` go through oneDNN, as measured on this
    machine (:func:`seqlab.recurrent._matmul.onednn_faster`): the per-step ones, (batch,
    hidden) @ (hidden, hidden), or (``batch`` None) the whole-sequence ones, judged by the
    largest of them, the weight gradient ``dZ^T S`` over the rows of ``t`` (with oneDNN's
    transposed copy of ``dZ``)."""
    if t.dtype != torch.float32:
        return False
    if batch is None:
        return onednn_faster("tn", t.numel() // max(1, t.shape[-1]), hidden, hidden)
    return onednn_faster("step", batch, hidden, hidden)


def mm_tn(d: Tensor, s: Tensor, d_t: Tensor | None = None) -> Tensor:
    """``d^T s`` for row-major d (N, G), s (N, F); with ``d_t`` (d^T contiguous) by oneDNN."""
    return d.t() @ s if d_t is None else linear(d_t, s.t())


def step_addmm(w_t: Tensor, batch: int) -> Any:
    """``(acc, a) -> acc + a @ w_t`` (a new tensor, or ``acc`` itself: in place) for the
    per-step product with the fixed (in, out) matrix ``w_t``: :func:`_matmul.step_product`
    (oneDNN with the weight packed once where measured faster, else MKL into ``acc``)."""
    step = step_product(w_t.t(), batch)
    return lambda acc, a: step(a, acc, out=acc)


def input_projection(x: Tensor, w_ih: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
                     scale: float = 1.0, on: bool = False) -> tuple[Tensor, Tensor]:
    """(xt (T*B, I) time-major x, ``scale`` (X W_ih^T + b_ih + b_hh) as (T*B, H)): one GEMM.

    ``scale`` 2 doubles the result exactly (BLAS's alpha and beta; a power of two).
    """
    B, T, I = x.shape
    xt = x.detach().transpose(0, 1).reshape(T * B, I)
    biases = [b.detach() for b in (b_ih, b_hh) if b is not None]
    if on:  # oneDNN
        bias = None if not biases else biases[0] if len(biases) == 1 else biases[0] + biases[1]
        w2 = w_ih.detach() * scale if scale != 1.0 else w_ih.detach()
        b2 = bias * scale if bias is not None and scale != 1.0 else bias
        return xt, linear(xt.contiguous(), w2, b2)
    w = w_ih.detach().t()
    if not biases:
        return xt, torch.mm(xt, w) if scale == 1.0 else torch.mm(xt, w).mul_(scale)
    bias = biases[0] if len(biases) == 1 else biases[0] + biases[1]
    return xt, torch.addmm(bias, xt, w, beta=scale, alpha=scale)


def prev_product(d: Tensor, states: Tensor, first: Tensor, d_t: Tensor | None = None
                 ) -> Tensor:
    """sum_t d_t^T s_{t-1} with s_{-1} = ``first``: d (T*B, G), states (T*B, F) -> (G, F).

    With ``d_t`` = d^T contiguous (G, T*B): oneDNN, times the shifted states (a copy)."""
    B = first.shape[0]
    if d_t is not None:
        shifted = scratch("shifted", tuple(states.shape), states.dtype)
        torch.cat([first, states[: states.shape[0] - B]], out=shifted)
        return mm_tn(d, shifted, d_t)
    out = torch.mm(d[:B].t(), first)
    if d.shape[0] > B:
        out.addmm_(d[B:].t(), states[:-B])
    return out


def batch_first(states: Tensor, mask: Tensor | None) -> Tensor:
    """Time-major (T, B, F) -> batch-first (B, T, F), 0 at padding.

    Without a mask this is a transposed *view* of ``states`` (no copy): the Function then
    saves it as an output with ``save_for_backward``, so an in-place change of it before the
    backward pass raises instead of corrupting the stored states.
    """
    out = states.transpose(0, 1)
    return out if mask is None else out * mask.transpose(0, 1)


def _add_product(acc: Tensor, a: Tensor, w_t: Tensor, on: bool) -> None:
    """``acc += a @ w_t`` in place (oneDNN if ``on``)."""
    if on:
        acc.add_(linear(a, w_t.t()))
    else:
        acc.addmm_(a, w_t)


class SimpleFastFn(torch.autograd.Function):
    """Elman / leaky / skip recurrence (arguments and outputs of ``SimpleSequenceFn``).

    z_t = W_ih x_t + b_ih + b_hh + W_hh h_{t-1} (+ W_skip h_{t-k}), u_t = f(z_t);
    h_t = u_t, or h_t = a h_{t-1} + (1 - a) u_t for leaky units (``alpha`` = a given).
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, h0: Tensor | None, w_ih: Tensor, w_hh: Tensor,
        b_ih: Tensor | None, b_hh: Tensor | None, alpha: Tensor | None, w_skip: Tensor | None,
        skip: int, act: int, mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor]:  # fmt: skip
        B, T, _ = x.shape
        H = w_hh.shape[0]
        tanh = act == 0  # tanh(z) = 2 sigmoid(2z) - 1: torch's sigmoid is 5x faster
        xt, z = input_projection(x, w_ih, b_ih, b_hh, 2.0 if tanh else 1.0, dnn(x, H))  # 2z
        u = z.view(T, B, H)  # becomes u_t = f(z_t) in place
        mask = None if mask_tm is None else mask_tm.unsqueeze(-1)  # (T, B, 1) 0/1 floats
        keep = None if mask is None else mask != 0
        leaky = alpha is not None
        s = torch.empty_like(u) if leaky else u  # the states h_t (u itself for Elman / skip)
        a = None if alpha is None else alpha.detach()
        w = w_hh.detach().t()
        ws = None if w_skip is None else w_skip.detach().t()
        k = skip if ws is not None else 0
        h = x.new_zeros(B, H) if h0 is None else h0.detach()
        if tanh:  # doubled weights: exact (a power of two)
            w, ws = w * 2.0, None if ws is None else ws * 2.0
        loop = loop_kind(x, T, B, H)
        if loop != "torch":
            _blas_forward(u, s if leaky else None, h, w, ws, k, a, mask_tm, act, loop == "mkl")
            h = s[T - 1]
        else:
            h = _torch_forward(u, s, h, w, ws, k, a, keep, act, dnn(x, H, B))
        out = batch_first(s, mask)
        # the states are saved through ``out`` when it is a view of them (no mask)
        ctx.set_materialize_grads(False)  # an unused output's gradient stays None
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, alpha, w_skip, mask_tm,
                              out if mask is None else None)
        ctx.bufs = (xt, u, None if mask is None else s)
        ctx.skip, ctx.act, ctx.loop = skip, act, loop
        return out, h.clone()

    @staticmethod
    def backward(ctx: Any, g_all: Tensor, g_last: Tensor) -> tuple[Tensor | None, ...]:
        x, h0, w_ih, w_hh, b_ih, b_hh, alpha, w_skip, mask_tm, out = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: the gradient's graph is needed
            inputs = (x, h0, w_ih, w_hh, b_ih, b_hh, alpha, w_skip, ctx.skip, ctx.act, mask_tm)
            B, T, H = x.shape[0], x.shape[1], w_hh.shape[0]
            like = (x.new_empty(B, T, H), x.new_empty(B, H))
            return R.differentiable_backward(R.simple_forward, inputs, ctx.needs_input_grad,
                                             zeros_for_none((g_all, g_last), like))
        xt, u, s = ctx.bufs
        if s is None:
            s = out.detach().transpose(0, 1)
        T, B, H = s.shape
        mask = None if mask_tm is None else mask_tm.unsqueeze(-1)
        g = time_major_copy(g_all, mask, "g", (T, B, H), s.dtype)  # G_t: dE/dh_t, completed
        if g_last is not None:
            g[T - 1].add_(g_last)
        d = act_derivative(u, ctx.act, "d")  # becomes dz_t = G_t * d_t in place
        a = None if alpha is None else alpha.detach()
        carry = None  # the factor with which G_t passes to G_{t-1} directly
        if a is not None:
            d.mul_(1.0 - a)
            carry = a if mask is None else torch.where(mask != 0, a, 1.0)
        if mask is not None:
            d.mul_(mask)
            if carry is None:
                carry = 1.0 - mask
        w = w_hh.detach()
        ws = None if w_skip is None else w_skip.detach()
        k = ctx.skip if ws is not None else 0
        if ctx.loop != "torch":
            _blas_backward(g, d, w, ws, k, a, mask_tm, ctx.loop == "mkl")
        else:
            _torch_backward(g, d, w, ws, k, carry, dnn(s, H, B))
        df = d.view(T * B, H)
        nig = ctx.needs_input_grad
        dh0 = None
        if nig[1]:
            dh0 = torch.mm(d[0], w)
            if carry is not None:
                dh0.addcmul_(g[0], carry[0] if carry.dim() == 3 else carry)
        dx = dw_ih = dw_hh = dw_skip = dalpha = None
        if nig[0]:
            dx = (linear(df, w_ih.detach().t()) if dnn(df, H) else torch.mm(df, w_ih.detach())
                  ).view(T, B, -1).transpose(0, 1)
        d_t = None
        if dnn(df, H) and (nig[2] or nig[3] or nig[7]):
            d_t = scratch("dT", (H, T * B), df.dtype).copy_(df.t())
        if nig[2]:
            dw_ih = mm_tn(df, xt, d_t)
        sf = s.view(T * B, H)
        first = x.new_zeros(B, H) if h0 is None else h0.detach()
        if nig[3]:
            dw_hh = prev_product(df, sf, first, d_t)
        if nig[7]:
            if T <= k:
                dw_skip = torch.zeros_like(w_skip)
            elif d_t is not None:  # states shifted by k steps, zeros before the first
                shifted = scratch("shifted", (T * B, H), sf.dtype)
                shifted[: k * B].zero_()
                shifted[k * B :].copy_(sf[: (T - k) * B])
                dw_skip = mm_tn(df, shifted, d_t)
            else:
                dw_skip = df[k * B :].t() @ sf[: (T - k) * B]
        if nig[6]:  # dE/da = sum_t G_t (h_{t-1} - u_t) at real steps
            diff = torch.empty_like(u)
            torch.sub(first, u[0], out=diff[0])
            torch.sub(s[:-1], u[1:], out=diff[1:])
            if mask is not None:
                diff.mul_(mask)
            dalpha = (diff.mul_(g)).sum((0, 1))
        db = df.sum(0) if (nig[4] or nig[5]) else None
        return (dx, dh0, dw_ih, dw_hh, db if nig[4] else None, db if nig[5] else None,
                dalpha, dw_skip, None, None, None)  # fmt: skip


def _torch_forward(u: Tensor, s: Tensor, h: Tensor, w: Tensor, ws: Tensor | None, k: int,
                   a: Tensor | None, keep: Tensor | None, act: int, on: bool) -> Tensor:
    """:meth:`SimpleFastFn.forward`'s recursion as torch calls (per step one product into
    ``u_t``, the activation in place, the leak and the mask); returns the last state.
    ``u`` (T, B, H) holds the projections (doubled for tanh, as ``w`` and ``ws``), ``s`` the
    states (``u`` itself but for leaky units), ``on``: the skip blocks through oneDNN."""
    T, B, H = u.shape
    z, sf = u.view(T * B, H), s.view(T * B, H)
    minus_one = u.new_full((), -1.0)
    f_ = None if act == 0 else _ACT_INPLACE.get(act)
    us, ss = u.unbind(0), s.unbind(0)
    step = step_addmm(w, B)
    for t in range(T):
        if k and t >= k and t % k == 0:  # skip terms of steps t..t+k-1: h_{t-k..t-1}
            assert ws is not None
            n = min(k, T - t) * B
            _add_product(z[t * B : t * B + n], sf[(t - k) * B : (t - k) * B + n], ws, on)
        ut = us[t]
        zt = step(ut, h)  # ut itself (torch) or a new tensor (oneDNN)
        if act == 0:  # tanh(z) = 2 sigmoid(2z) - 1 (z doubled already)
            torch.add(minus_one, zt.sigmoid_(), alpha=2, out=ut)
        else:
            if f_ is not None:
                f_(zt)
            if zt is not ut:
                ut.copy_(zt)
        ht = ut if a is None else torch.lerp(ut, h, a, out=ss[t])  # a h + (1 - a) u
        if keep is not None:
            torch.where(keep[t], ht, h, out=ht)
        h = ht
    return h


def _torch_backward(g: Tensor, d: Tensor, w: Tensor, ws: Tensor | None, k: int,
                    carry: Tensor | None, on: bool) -> None:
    """:meth:`SimpleFastFn.backward`'s recursion as torch calls: ``g`` (T, B, H) completed
    into dE/dh_t, ``d`` into dz_t (in place); ``carry`` the direct factor from G_t to
    G_{t-1} (None, (H,) or (T, B, 1 or H))."""
    T, B, H = g.shape
    gf, df = g.view(T * B, H), d.view(T * B, H)
    gs, ds = g.unbind(0), d.unbind(0)
    cs = None if carry is None or carry.dim() < 3 else carry.unbind(0)
    step = step_addmm(w, B)
    for t in range(T - 1, -1, -1):
        if k and (T - 1 - t) % k == 0:  # G_{j} += dz_{j+k} W_skip for j in (t-k, t]
            lo, hi = max(0, t - k + 1), min(t, T - 1 - k)
            if hi >= lo and ws is not None:
                _add_product(gf[lo * B : (hi + 1) * B], df[(lo + k) * B : (hi + k + 1) * B],
                             ws, on)
        dz = ds[t].mul_(gs[t])
        if t > 0:
            gp = gs[t - 1]
            acc = step(gp, dz)
            if acc is not gp:
                gp.copy_(acc)
            if carry is not None:
                gp.addcmul_(gs[t], carry if cs is None else cs[t])


def _blas_forward(u: Tensor, s: Tensor | None, h0: Tensor, w_t: Tensor, ws_t: Tensor | None,
                  k: int, alpha: Tensor | None, mask_tm: Tensor | None, act: int, mkl: bool
                  ) -> None:
    """:meth:`SimpleFastFn.forward`'s recursion as :func:`._blas_loop.simple_forward` (with
    torch's MKL where ``mkl``, float32 only)."""
    _, B, H = u.shape
    dt = u.dtype
    assert not mkl or dt == torch.float32
    h = np_of(h0, dt, ())
    _mkl.register()  # the kernels name the MKL product (linked before they load)
    with _blas_loop.threads_for(mkl):
        _blas_loop.simple_forward(
            u.numpy(), np_of(s, dt, (0, B, H)), h, np_of(w_t, dt, ()), np_of(ws_t, dt, (0, 0)),
            k, np_of(alpha, dt, (0,)), np_of(mask_tm, dt, (0, 0)), act, np.empty_like(h),
            np.empty((k * B, H), dtype=h.dtype), mkl)


def _blas_backward(g: Tensor, d: Tensor, w: Tensor, ws: Tensor | None, k: int,
                   alpha: Tensor | None, mask_tm: Tensor | None, mkl: bool) -> None:
    """:meth:`SimpleFastFn.backward`'s recursion as :func:`._blas_loop.simple_backward` (with
    torch's MKL where ``mkl``, float32 only)."""
    _, B, H = g.shape
    dt, g_np = g.dtype, g.numpy()
    assert not mkl or dt == torch.float32
    _mkl.register()
    with _blas_loop.threads_for(mkl):
        _blas_loop.simple_backward(
            g_np, d.numpy(), np_of(w, dt, ()), np_of(ws, dt, (0, 0)), k, np_of(alpha, dt, (0,)),
            np_of(mask_tm, dt, (0, 0)), np.empty_like(g_np[0]),
            np.empty((k * B, H), dtype=g_np.dtype), mkl)

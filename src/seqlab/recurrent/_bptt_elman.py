"""Explicit-BPTT ``autograd.Function``s for the simple recurrences: Elman, leaky, skip, Jordan.

The public, validated entry points are in :mod:`seqlab.recurrent.bptt`; these classes assume
checked input. Layout: the caller's tensors are batch-first ``(B, T, ...)``; internally
everything is time-major ``(T, B, ...)`` so that one time step is one contiguous block for the
numba kernels in :mod:`seqlab.recurrent._bptt_kernels` (the layout helpers are in
:mod:`seqlab.recurrent._bptt_common`). :mod:`seqlab.recurrent.bptt` calls these Functions only
below ``FAST_MIN_BH`` (B*H < 512, Jordan 1024), where the numba kernels are the fastest; larger
steps run the Functions of :mod:`seqlab.recurrent._bptt_elman_fast` / ``_bptt_jordan_fast``.

Backward (the lecture's BPTT, Elman case): with delta_int(t) = dE/dh_t and
dz_t = delta_int(t) * f'(z_t), the kernel runs

    delta_int(t-1) = dz_t W_hh + W_out^T delta_out(t-1)        (the second term arrives as
                                                                the gradient of h_all)

and the weight gradients are the sums over t, each formed here as ONE matmul over all steps:

    dW_hh = sum_t dz_t^T h_{t-1},  dW_ih = sum_t dz_t^T x_t,  db = sum_t dz_t,  dx_t = dz_t W_ih.

Higher-order gradients: when the backward itself must be differentiated (grad mode on, i.e.
``create_graph=True``), it re-runs the recurrence with plain torch ops on the saved inputs and
lets autograd build the gradient's graph (:mod:`seqlab.recurrent._bptt_reference`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from seqlab.recurrent import _bptt_common as C
from seqlab.recurrent import _bptt_jordan_fast as JF
from seqlab.recurrent import _bptt_kernels as K
from seqlab.recurrent import _bptt_reference as R

Tensor = torch.Tensor


class SimpleSequenceFn(torch.autograd.Function):
    """Elman / leaky / skip recurrence with hand-written BPTT (see module docstring).

    Forward: z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh (+ W_skip h_{t-k}), u_t = f(z_t),
    h_t = u_t, or h_t = alpha h_{t-1} + (1 - alpha) u_t for leaky units.
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor,
        b_ih: Tensor | None, b_hh: Tensor | None, alpha: Tensor | None, w_skip: Tensor | None,
        skip: int, act: int, mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor]:  # fmt: skip
        B, T, xp, mask_np = C.start_forward(ctx, x, w_ih, mask_tm, b_ih, b_hh)
        H, dt = w_hh.shape[0], x.dtype
        h0_np = C.np_of(h0, dt, (B, H))
        alpha_np = C.np_of(alpha, dt, (0,))  # empty: not leaky
        w_hh_np = C.np_of(w_hh, dt, (H, H))
        w_skip_np = C.np_of(w_skip, dt, (0, 0))  # empty: no skip connection
        states = np.empty((T, B, H), xp.dtype)  # h_t
        fz = np.empty((T, B, H), xp.dtype)  # u_t = f(z_t)
        w_hh_t, w_skip_t = np.ascontiguousarray(w_hh_np.T), np.ascontiguousarray(w_skip_np.T)
        K.simple_forward(xp, h0_np, w_hh_t, alpha_np, w_skip_t, skip, act, mask_np, states, fz)
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, alpha, w_skip, mask_tm)
        ctx.arrays = (h0_np, states, fz, w_hh_np, alpha_np, w_skip_np, mask_np)
        ctx.skip, ctx.act = skip, act
        return C.batch_first(states, mask_tm), C.last_step(states)

    @staticmethod
    def backward(ctx: Any, g_all: Tensor, g_last: Tensor) -> tuple[Tensor | None, ...]:
        x, h0, w_ih, w_hh, b_ih, b_hh, alpha, w_skip, mask_tm = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: the gradient's graph is needed
            inputs = (x, h0, w_ih, w_hh, b_ih, b_hh, alpha, w_skip, ctx.skip, ctx.act, mask_tm)
            return R.differentiable_backward(
                R.simple_forward, inputs, ctx.needs_input_grad, (g_all, g_last)
            )
        h0_np, states, fz, w_hh_np, alpha_np, w_skip_np, mask_np = ctx.arrays
        T, B, H = states.shape
        dz_np = np.empty_like(states)  # filled with dz_t = dE/dz_t by the delta recursion
        dh0, dalpha = K.simple_backward(
            C.time_major_grad(g_all), C.np_grad(g_last), h0_np, states, fz, w_hh_np, alpha_np,
            w_skip_np, ctx.skip, ctx.act, mask_np, dz_np,
        )  # fmt: skip
        dz, s = C.flat(dz_np), C.flat(states)
        nig = ctx.needs_input_grad
        dx, dw_ih, (db_ih, db_hh) = C.input_grads(ctx, dz, x, w_ih, 0, 2, (4, 5))
        # dW_hh = sum_t dz_t^T h_{t-1}
        dw_hh = C.prev_product(dz, s, torch.from_numpy(h0_np)) if nig[3] else None
        dw_skip = None
        if nig[7]:  # dW_skip = sum_{t >= k} dz_t^T h_{t-k}
            k = ctx.skip
            dw_skip = torch.zeros(H, H, dtype=dz.dtype)
            if T > k:
                dw_skip = dz[k * B :].t() @ s[: (T - k) * B]
        dalpha_t = C.grad_if(nig[6], dalpha)
        return (dx, C.grad_if(nig[1], dh0), dw_ih, dw_hh, db_ih, db_hh, dalpha_t, dw_skip,
                None, None, None)  # fmt: skip


class JordanSequenceFn(torch.autograd.Function):
    """Jordan network: h_t = f(W_ih x_t + b_ih + W_yh y_{t-1} + b_hh), y_t = g(W_hy h_t + b_hy).

    Backward: the carried delta is dE/dy_t; dv_t = dE/dy_t * g'(v_t), dE/dh_t = dv_t W_hy +
    (gradient of h_all), dz_t = dE/dh_t * f'(z_t), dE/dy_{t-1} = dz_t W_yh + (grad of y_all).
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, y0: Tensor, w_ih: Tensor, w_yh: Tensor,
        b_ih: Tensor | None, b_hh: Tensor | None, w_hy: Tensor, b_hy: Tensor | None,
        act: int, out_act: int, mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
        B, T, xp, mask_np = C.start_forward(ctx, x, w_ih, mask_tm, b_ih, b_hh)
        (H, O), dt = w_yh.shape, x.dtype
        y0_np = C.np_of(y0, dt, (B, O))
        w_yh_np = C.np_of(w_yh, dt, (H, O))
        w_hy_np = C.np_of(w_hy, dt, (O, H))
        hs = np.empty((T, B, H), xp.dtype)
        ys = np.empty((T, B, O), xp.dtype)
        b_hy_np = C.np_of(b_hy, dt, (O,))
        fold = JF.folds(out_act, mask_tm is not None, H, O)
        if fold:
            _folded_forward(xp, y0_np, w_yh_np, w_hy_np, b_hy_np, act, mask_np, hs, ys)
        else:
            w_yh_t, w_hy_t = np.ascontiguousarray(w_yh_np.T), np.ascontiguousarray(w_hy_np.T)
            K.jordan_forward(xp, y0_np, w_yh_t, w_hy_t, b_hy_np, act, out_act, mask_np, hs, ys)
        ctx.save_for_backward(x, y0, w_ih, w_yh, b_ih, b_hh, w_hy, b_hy, mask_tm)
        ctx.arrays = (y0_np, hs, ys, w_yh_np, w_hy_np, mask_np)
        ctx.act, ctx.out_act, ctx.fold = act, out_act, fold
        # h is computed at padded steps too; batch_first zeroes it there for the caller
        return C.batch_first(hs, mask_tm), C.batch_first(ys, mask_tm), C.last_step(ys)

    @staticmethod
    def backward(ctx: Any, g_h: Tensor, g_y: Tensor, g_ylast: Tensor) -> tuple[Tensor | None, ...]:
        x, y0, w_ih, w_yh, b_ih, b_hh, w_hy, b_hy, mask_tm = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: the gradient's graph is needed
            inputs = (x, y0, w_ih, w_yh, b_ih, b_hh, w_hy, b_hy, ctx.act, ctx.out_act, mask_tm)
            return R.differentiable_backward(
                R.jordan_forward, inputs, ctx.needs_input_grad, (g_h, g_y, g_ylast)
            )
        y0_np, hs, ys, w_yh_np, w_hy_np, mask_np = ctx.arrays
        if ctx.fold:
            return _folded_backward(ctx, g_h, g_y, g_ylast)
        dz_np = np.empty_like(hs)  # dz_t = dE/dz_t (hidden pre-activations)
        dv_np = np.empty_like(ys)  # dv_t = dE/dv_t (output pre-activations)
        dy0 = K.jordan_backward(
            C.time_major_grad(g_h), C.time_major_grad(g_y), C.np_grad(g_ylast), hs, ys, w_yh_np,
            w_hy_np, ctx.act, ctx.out_act, mask_np, dz_np, dv_np,
        )  # fmt: skip
        dz, dv = C.flat(dz_np), C.flat(dv_np)
        nig = ctx.needs_input_grad
        dx, dw_ih, (db_ih, db_hh) = C.input_grads(ctx, dz, x, w_ih, 0, 2, (4, 5))
        # dW_yh = sum_t dz_t^T y_{t-1},  dW_hy = sum_t dv_t^T h_t,  db_hy = sum_t dv_t
        dw_yh = C.prev_product(dz, C.flat(ys), torch.from_numpy(y0_np)) if nig[3] else None
        dw_hy = dv.t() @ C.flat(hs) if nig[6] else None
        db_hy = dv.sum(0) if nig[7] else None
        return (dx, C.grad_if(nig[1], dy0), dw_ih, dw_yh, db_ih, db_hh, dw_hy, db_hy,
                None, None, None)  # fmt: skip


# Identity output without padding (the Jordan cell's default): y_{t-1} = W_hy h_{t-1} + b_hy
# exactly, so for t >= 1 the feedback W_yh y_{t-1} is (W_yh W_hy) h_{t-1} + W_yh b_hy. The
# recursion is then an Elman one with W_hh = W_yh W_hy (one product per step instead of two,
# forward and backward: K.simple_forward / simple_backward) and every y_t is one product after
# it -- as :mod:`seqlab.recurrent._bptt_jordan_fast` does for large steps. Only the rounding
# differs from the readable cell (float64: ~1e-15). B=1 T=1000 H=64 float32, 1 thread (50
# calls under cProfile): the kernels 0.86 -> 0.58 ms forward, 0.54 -> 0.38 ms backward
# (issue 19, shape b).
def _folded_forward(
    xp: np.ndarray, y0: np.ndarray, w_yh: np.ndarray, w_hy: np.ndarray, b_hy: np.ndarray,
    act: int, mask_np: np.ndarray, hs: np.ndarray, ys: np.ndarray,
) -> None:  # fmt: skip
    """Fill ``hs`` (T,B,H) with h_t and ``ys`` (T,B,O) with y_t; ``xp`` is overwritten."""
    T, B, H = xp.shape
    xpt, wyh, why = torch.from_numpy(xp), torch.from_numpy(w_yh), torch.from_numpy(w_hy)
    xpt[0].addmm_(torch.from_numpy(y0), wyh.t())  # step 0 feeds back y0 itself
    if T > 1:
        xpt[1:].add_(torch.mv(wyh, torch.from_numpy(b_hy)))
    m_t = torch.mm(wyh, why).t().contiguous().numpy()  # (W_yh W_hy)^T
    empty = np.empty(0, xp.dtype)
    # the activation's output is the state: fz and states are the same array
    K.simple_forward(xp, np.zeros((B, H), xp.dtype), m_t, empty, empty.reshape(0, 0), 0, act,
                     mask_np, hs, hs)
    torch.addmm(torch.from_numpy(b_hy), C.flat(hs), why.t(), out=C.flat(ys))


def _folded_backward(ctx: Any, g_h: Tensor, g_y: Tensor, g_ylast: Tensor
                     ) -> tuple[Tensor | None, ...]:
    """The delta recursion of :func:`_folded_forward` and the gradients: with GY_t the
    gradient reaching y_t from outside, dE/dh_t = GH_t + GY_t W_hy + dz_{t+1} (W_yh W_hy);
    the output weights' gradients come from
    :func:`seqlab.recurrent._bptt_jordan_fast.folded_output_grads`, shared with the
    large-step path."""
    x, _, w_ih, _, _, _, _, b_hy, _ = ctx.saved_tensors
    y0_np, hs, _, w_yh_np, w_hy_np, mask_np = ctx.arrays
    T, B, H = hs.shape
    wyh, why = torch.from_numpy(w_yh_np), torch.from_numpy(w_hy_np)
    gy = C.time_major_grad(g_y)  # a copy: GY_t
    gy[T - 1] += C.np_grad(g_ylast)
    gyf = C.flat(gy)
    gh = C.time_major_grad(g_h)  # becomes GH_t + GY_t W_hy
    C.flat(gh).addmm_(gyf, why)
    m = torch.mm(wyh, why).numpy()
    empty = np.empty(0, hs.dtype)
    dz_np = np.empty_like(hs)
    zeros = np.zeros((B, H), hs.dtype)
    K.simple_backward(gh, zeros, zeros, hs, hs, m, empty, empty.reshape(0, 0), 0, ctx.act,
                      mask_np, dz_np)
    dz, hf = C.flat(dz_np), C.flat(hs)
    nig = ctx.needs_input_grad
    dx, dw_ih, (db_ih, db_hh) = C.input_grads(ctx, dz, x, w_ih, 0, 2, (4, 5))
    dm = dz[B:].t() @ hf[:-B]  # sum_{t>=1} dz_t^T h_{t-1} (zeros when T = 1)
    s = dz[B:].sum(0)
    gy_h = gyf.t() @ hf if nig[6] else None  # GY^T H
    dy0, dw_yh, dw_hy, db_hy = JF.folded_output_grads(
        dz[:B], torch.from_numpy(y0_np), dm, s, gyf, gy_h, wyh, why, b_hy, nig)
    return (dx, dy0, dw_ih, dw_yh, db_ih, db_hh, dw_hy, db_hy, None, None, None)

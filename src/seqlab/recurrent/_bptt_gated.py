"""Explicit-BPTT ``autograd.Function``s for the gated cells: LSTM and GRU (PyTorch conventions).

The public, validated entry points are in :mod:`seqlab.recurrent.bptt`. Same layout as
:mod:`seqlab.recurrent._bptt_elman` (shared scaffolding in :mod:`seqlab.recurrent._bptt_common`):
batch-first outside, time-major inside, the sequential part in numba
(:mod:`seqlab.recurrent._bptt_kernels`), the weight gradients as one matmul over all steps
after the delta recursion.

LSTM backward (gates i, f, g, o; c_t = f c_{t-1} + i g; h_t = o tanh(c_t)), with
dh = dE/dh_t and dc = dE/dc_t + dh * o * (1 - tanh^2 c_t):

    da_i = dc g i(1-i),  da_f = dc c_{t-1} f(1-f),  da_g = dc i (1-g^2),
    da_o = dh tanh(c_t) o(1-o),  dE/dc_{t-1} = dc f,  dE/dh_{t-1} = da W_hh.

GRU backward (torch: n = tanh(a_n + r * hn), hn = W_hn h_{t-1} + b_hn,
h_t = (1-z) n + z h_{t-1}):

    da_n = dh (1-z)(1-n^2),  da_r = da_n hn r(1-r),  da_z = dh (h_{t-1} - n) z(1-z),
    dE/dh_{t-1} = dh z + [da_r, da_z, da_n r] W_hh.

Higher-order gradients (``create_graph=True``): the backward re-runs the cell with plain torch
ops on the saved inputs and differentiates that with autograd
(:mod:`seqlab.recurrent._bptt_reference`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from seqlab.recurrent import _bptt_common as C
from seqlab.recurrent import _bptt_kernels as K
from seqlab.recurrent import _bptt_reference as R
from seqlab.recurrent import _bptt_torchloop as TL

Tensor = torch.Tensor


class LSTMSequenceFn(torch.autograd.Function):
    """LSTM over a sequence with hand-written BPTT (see module docstring)."""

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor,
        b_ih: Tensor | None, b_hh: Tensor | None, mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:  # fmt: skip
        B, T, xp, mask_np = C.start_forward(ctx, x, w_ih, mask_tm, b_ih, b_hh)
        H, dt = w_hh.shape[1], x.dtype
        h0_np = C.np_of(h0, dt, (B, H))
        c0_np = C.np_of(c0, dt, (B, H))
        w_hh_np = C.np_of(w_hh, dt, (4 * H, H))
        hs = np.empty((T, B, H), xp.dtype)  # h_t
        cs = np.empty((T, B, H), xp.dtype)  # c_t
        gates = np.empty((T, B, 4 * H), xp.dtype)  # i, f, g, o after their nonlinearities
        tcs = np.empty((T, B, H), xp.dtype)  # tanh(c_t)
        args = [xp, h0_np, c0_np, np.ascontiguousarray(w_hh_np.T), mask_np, hs, cs, gates, tcs]
        C.run_forward("lstm", B, H, K.lstm_forward, TL.lstm_forward, args, 4, mask_tm)
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask_tm)
        ctx.arrays = (h0_np, c0_np, hs, cs, gates, tcs, w_hh_np, mask_np)
        h_all, c_all = C.batch_first(hs, mask_tm), C.batch_first(cs, mask_tm)
        return h_all, c_all, C.last_step(hs), C.last_step(cs)

    @staticmethod
    def backward(
        ctx: Any, g_h: Tensor, g_c: Tensor, g_hlast: Tensor, g_clast: Tensor
    ) -> tuple[Tensor | None, ...]:
        saved = ctx.saved_tensors  # x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask_tm
        if torch.is_grad_enabled():  # create_graph=True: the gradient's graph is needed
            return R.differentiable_backward(
                R.lstm_forward, saved, ctx.needs_input_grad, (g_h, g_c, g_hlast, g_clast)
            )
        x, w_ih = saved[0], saved[3]
        h0_np, c0_np, hs, cs, gates, tcs, w_hh_np, mask_np = ctx.arrays
        B, H = hs.shape[1:]
        dz_np = np.empty_like(gates)  # da_t = dE/d(gate pre-activations) [da_i, da_f, da_g, da_o]
        g_hs, g_cs = C.time_major_grad(g_h), C.time_major_grad(g_c)
        args = [g_hs, g_cs, C.np_grad(g_hlast), C.np_grad(g_clast), c0_np, cs, gates, tcs,
                w_hh_np, mask_np, dz_np]  # fmt: skip
        dh0, dc0 = C.run_backward(
            "lstm", B, H, K.lstm_backward, TL.lstm_backward, args, 9, ctx.has_mask
        )
        dz = C.flat(dz_np)
        nig = ctx.needs_input_grad
        dx, dw_ih, (db_ih, db_hh) = C.input_grads(ctx, dz, x, w_ih, 0, 3, (5, 6))
        # dW_hh = sum_t da_t^T h_{t-1}
        dw_hh = C.prev_product(dz, C.flat(hs), torch.from_numpy(h0_np)) if nig[4] else None
        return (dx, C.grad_if(nig[1], dh0), C.grad_if(nig[2], dc0), dw_ih, dw_hh, db_ih, db_hh,
                None)  # fmt: skip


class GRUSequenceFn(torch.autograd.Function):
    """GRU over a sequence with hand-written BPTT (see module docstring)."""

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor,
        b_ih: Tensor | None, b_hh: Tensor | None, mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor]:  # fmt: skip
        # b_hh stays inside the recursion (r gates hn = W_hn h_{t-1} + b_hn only)
        B, T, xp, mask_np = C.start_forward(ctx, x, w_ih, mask_tm, b_ih)
        H, dt = w_hh.shape[1], x.dtype
        h0_np = C.np_of(h0, dt, (B, H))
        w_hh_np = C.np_of(w_hh, dt, (3 * H, H))
        hs = np.empty((T, B, H), xp.dtype)  # h_t
        saved = np.empty((T, B, 4 * H), xp.dtype)  # r, z, n, hn
        w_hh_t, b_hh_np = np.ascontiguousarray(w_hh_np.T), C.np_of(b_hh, dt, (3 * H,))
        args = [xp, h0_np, w_hh_t, b_hh_np, mask_np, hs, saved]
        C.run_forward("gru", B, H, K.gru_forward, TL.gru_forward, args, 4, mask_tm)
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, mask_tm)
        ctx.arrays = (h0_np, hs, saved, w_hh_np, mask_np)
        return C.batch_first(hs, mask_tm), C.last_step(hs)

    @staticmethod
    def backward(ctx: Any, g_h: Tensor, g_hlast: Tensor) -> tuple[Tensor | None, ...]:
        saved = ctx.saved_tensors  # x, h0, w_ih, w_hh, b_ih, b_hh, mask_tm
        if torch.is_grad_enabled():  # create_graph=True: the gradient's graph is needed
            return R.differentiable_backward(
                R.gru_forward, saved, ctx.needs_input_grad, (g_h, g_hlast)
            )
        x, w_ih = saved[0], saved[2]
        h0_np, hs, saved, w_hh_np, mask_np = ctx.arrays
        T, B, H = hs.shape
        dxp_np = np.empty((T, B, 3 * H), hs.dtype)  # dE/d(input projection): [da_r, da_z, da_n]
        dhp_np = np.empty((T, B, 3 * H), hs.dtype)  # dE/d(h W_hh^T + b_hh): [da_r, da_z, da_n r]
        args = [C.time_major_grad(g_h), C.np_grad(g_hlast), h0_np, hs, saved, w_hh_np, mask_np,
                dxp_np, dhp_np]  # fmt: skip
        dh0 = C.run_backward("gru", B, H, K.gru_backward, TL.gru_backward, args, 6, ctx.has_mask)
        dxp, dhp = C.flat(dxp_np), C.flat(dhp_np)
        nig = ctx.needs_input_grad
        dx, dw_ih, (db_ih,) = C.input_grads(ctx, dxp, x, w_ih, 0, 2, (4,))
        # dW_hh = sum_t dhp_t^T h_{t-1},  db_hh = sum_t dhp_t
        dw_hh = C.prev_product(dhp, C.flat(hs), torch.from_numpy(h0_np)) if nig[3] else None
        db_hh = dhp.sum(0) if nig[5] else None
        return (dx, C.grad_if(nig[1], dh0), dw_ih, dw_hh, db_ih, db_hh, None)  # fmt: skip

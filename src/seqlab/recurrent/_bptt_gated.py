"""Explicit-BPTT ``autograd.Function``s for the gated cells: LSTM and GRU (PyTorch conventions).

The public, validated entry points are in :mod:`seqlab.recurrent.bptt`. Same layout as
:mod:`seqlab.recurrent._bptt_elman`: batch-first outside, time-major inside, the sequential
part in numba (:mod:`seqlab.recurrent._bptt_kernels`), the weight gradients as one matmul
over all steps after the delta recursion.

LSTM backward (gates i, f, g, o; c_t = f c_{t-1} + i g; h_t = o tanh(c_t)), with
dh = dE/dh_t and dc = dE/dc_t + dh * o * (1 - tanh^2 c_t):

    da_i = dc g i(1-i),  da_f = dc c_{t-1} f(1-f),  da_g = dc i (1-g^2),
    da_o = dh tanh(c_t) o(1-o),  dE/dc_{t-1} = dc f,  dE/dh_{t-1} = da W_hh.

GRU backward (torch: n = tanh(a_n + r * hn), hn = W_hn h_{t-1} + b_hn,
h_t = (1-z) n + z h_{t-1}):

    da_n = dh (1-z)(1-n^2),  da_r = da_n hn r(1-r),  da_z = dh (h_{t-1} - n) z(1-z),
    dE/dh_{t-1} = dh z + [da_r, da_z, da_n r] W_hh.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from seqlab.recurrent import _bptt_kernels as K
from seqlab.recurrent import _bptt_torchloop as TL
from seqlab.recurrent._bptt_elman import (
    batch_first,
    bool_mask,
    input_grads,
    input_projection,
    np_of,
    prev_product,
    run_backward,
    time_major_grad,
)

Tensor = torch.Tensor


class LSTMSequenceFn(torch.autograd.Function):
    """LSTM over a sequence with hand-written BPTT (see module docstring)."""

    @staticmethod
    def forward(
        ctx: Any,
        x: Tensor,
        h0: Tensor,
        c0: Tensor,
        w_ih: Tensor,
        w_hh: Tensor,
        b_ih: Tensor | None,
        b_hh: Tensor | None,
        mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        B, T, _ = x.shape
        H = w_hh.shape[1]
        dt = x.dtype
        x_tm = x.detach().transpose(0, 1).contiguous()
        xp = input_projection(x_tm, w_ih, b_ih, b_hh)
        npdt = xp.dtype
        mask_np = np.ones((T, B), npdt) if mask_tm is None else mask_tm.numpy()
        h0_np = np_of(h0, dt, (B, H))
        c0_np = np_of(c0, dt, (B, H))
        w_hh_np = np_of(w_hh, dt, (4 * H, H))
        hs = np.empty((T, B, H), npdt)
        cs = np.empty((T, B, H), npdt)
        gates = np.empty((T, B, 4 * H), npdt)
        tcs = np.empty((T, B, H), npdt)
        w_hh_t = np.ascontiguousarray(w_hh_np.T)
        if TL.use_torch_loop("lstm", B, H):
            t = [torch.from_numpy(a) for a in (xp, h0_np, c0_np, w_hh_t, hs, cs, gates, tcs)]
            TL.lstm_forward(t[0], t[1], t[2], t[3], bool_mask(mask_tm), t[4], t[5], t[6], t[7])
        else:
            K.lstm_forward(xp, h0_np, c0_np, w_hh_t, mask_np, hs, cs, gates, tcs)
        ctx.x_tm, ctx.w_ih = x_tm, w_ih.detach()
        ctx.arrays = (h0_np, c0_np, hs, cs, gates, tcs, w_hh_np, mask_np)
        ctx.has_mask = mask_tm is not None
        return (
            batch_first(hs, mask_tm),
            batch_first(cs, mask_tm),
            torch.from_numpy(hs[T - 1].copy()),
            torch.from_numpy(cs[T - 1].copy()),
        )

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any, g_h: Tensor, g_c: Tensor, g_hlast: Tensor, g_clast: Tensor
    ) -> tuple[Tensor | None, ...]:
        h0_np, c0_np, hs, cs, gates, tcs, w_hh_np, mask_np = ctx.arrays
        T, B, H = hs.shape
        dz_np = np.empty_like(gates)
        args = [
            time_major_grad(g_h),
            time_major_grad(g_c),
            g_hlast.detach().contiguous().numpy(),
            g_clast.detach().contiguous().numpy(),
            c0_np,
            cs,
            gates,
            tcs,
            w_hh_np,
            mask_np,
            dz_np,
        ]
        dh0, dc0 = run_backward(
            "lstm", B, H, K.lstm_backward, TL.lstm_backward, args, 9, ctx.has_mask
        )
        dz = torch.from_numpy(dz_np).reshape(T * B, 4 * H)
        dx, dw_ih, (db_ih, db_hh) = input_grads(ctx, dz, 0, 3, (5, 6))
        nig = ctx.needs_input_grad
        dw_hh = None
        if nig[4]:
            dw_hh = prev_product(
                dz, torch.from_numpy(hs).reshape(T * B, H), torch.from_numpy(h0_np)
            )
        return (
            dx,
            torch.from_numpy(dh0) if nig[1] else None,
            torch.from_numpy(dc0) if nig[2] else None,
            dw_ih,
            dw_hh,
            db_ih,
            db_hh,
            None,
        )


class GRUSequenceFn(torch.autograd.Function):
    """GRU over a sequence with hand-written BPTT (see module docstring)."""

    @staticmethod
    def forward(
        ctx: Any,
        x: Tensor,
        h0: Tensor,
        w_ih: Tensor,
        w_hh: Tensor,
        b_ih: Tensor | None,
        b_hh: Tensor | None,
        mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor]:
        B, T, _ = x.shape
        H = w_hh.shape[1]
        dt = x.dtype
        x_tm = x.detach().transpose(0, 1).contiguous()
        xp = input_projection(x_tm, w_ih, b_ih)  # b_hh stays inside (r gates hn only)
        npdt = xp.dtype
        mask_np = np.ones((T, B), npdt) if mask_tm is None else mask_tm.numpy()
        h0_np = np_of(h0, dt, (B, H))
        w_hh_np = np_of(w_hh, dt, (3 * H, H))
        hs = np.empty((T, B, H), npdt)
        saved = np.empty((T, B, 4 * H), npdt)
        fwd_args = (xp, h0_np, np.ascontiguousarray(w_hh_np.T), np_of(b_hh, dt, (3 * H,)))
        if TL.use_torch_loop("gru", B, H):
            t = [torch.from_numpy(a) for a in (*fwd_args, hs, saved)]
            TL.gru_forward(t[0], t[1], t[2], t[3], bool_mask(mask_tm), t[4], t[5])
        else:
            K.gru_forward(*fwd_args, mask_np, hs, saved)
        ctx.x_tm, ctx.w_ih = x_tm, w_ih.detach()
        ctx.arrays = (h0_np, hs, saved, w_hh_np, mask_np)
        ctx.has_mask = mask_tm is not None
        return batch_first(hs, mask_tm), torch.from_numpy(hs[T - 1].copy())

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, g_h: Tensor, g_hlast: Tensor) -> tuple[Tensor | None, ...]:
        h0_np, hs, saved, w_hh_np, mask_np = ctx.arrays
        T, B, H = hs.shape
        dxp_np = np.empty((T, B, 3 * H), hs.dtype)
        dhp_np = np.empty((T, B, 3 * H), hs.dtype)
        args = [
            time_major_grad(g_h),
            g_hlast.detach().contiguous().numpy(),
            h0_np,
            hs,
            saved,
            w_hh_np,
            mask_np,
            dxp_np,
            dhp_np,
        ]
        dh0 = run_backward("gru", B, H, K.gru_backward, TL.gru_backward, args, 6, ctx.has_mask)
        dxp = torch.from_numpy(dxp_np).reshape(T * B, 3 * H)
        dhp = torch.from_numpy(dhp_np).reshape(T * B, 3 * H)
        dx, dw_ih, (db_ih,) = input_grads(ctx, dxp, 0, 2, (4,))
        nig = ctx.needs_input_grad
        dw_hh = None
        if nig[3]:
            dw_hh = prev_product(
                dhp, torch.from_numpy(hs).reshape(T * B, H), torch.from_numpy(h0_np)
            )
        return (
            dx,
            torch.from_numpy(dh0) if nig[1] else None,
            dw_ih,
            dw_hh,
            db_ih,
            dhp.sum(0) if nig[5] else None,
            None,
        )

"""Explicit-BPTT ``autograd.Function``s for the simple recurrences: Elman, leaky, skip, Jordan.

The public, validated entry points are in :mod:`seqlab.recurrent.bptt`; these classes assume
checked input. Layout: the caller's tensors are batch-first ``(B, T, ...)``; internally
everything is time-major ``(T, B, ...)`` so that one time step is one contiguous block for the
numba kernels in :mod:`seqlab.recurrent._bptt_kernels`.

Backward (the lecture's BPTT, Elman case): with delta_int(t) = dE/dh_t and
dz_t = delta_int(t) * f'(z_t), the kernel runs

    delta_int(t-1) = dz_t W_hh + W_out^T delta_out(t-1)        (the second term arrives as
                                                                the gradient of h_all)

and the weight gradients are the sums over t, each formed here as ONE matmul over all steps:

    dW_hh = sum_t dz_t^T h_{t-1},  dW_ih = sum_t dz_t^T x_t,  db = sum_t dz_t,  dx_t = dz_t W_ih.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from seqlab.recurrent import _bptt_kernels as K
from seqlab.recurrent import _bptt_torchloop as TL

Tensor = torch.Tensor


def np_of(t: Tensor | None, dtype: torch.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """A contiguous numpy view/copy of ``t`` (zeros of ``shape`` when ``t`` is None)."""
    if t is None:
        return np.zeros(shape, dtype=torch.empty(0, dtype=dtype).numpy().dtype)
    return t.detach().contiguous().numpy()


def input_projection(x_tm: Tensor, w_ih: Tensor, *biases: Tensor | None) -> np.ndarray:
    """``X W_ih^T + sum(biases)`` for all steps at once: (T,B,I) -> numpy (T,B,G*H)."""
    T, B, I = x_tm.shape
    xp = x_tm.reshape(T * B, I) @ w_ih.detach().t()
    for b in biases:
        if b is not None:
            xp += b.detach()
    return xp.reshape(T, B, -1).numpy()


def bool_mask(mask_tm: Tensor | None) -> Tensor | None:
    """(T, B) 0/1 float mask -> (T, B, 1) bool for the torch-op loops (None stays None)."""
    return None if mask_tm is None else (mask_tm != 0).unsqueeze(-1)


def run_backward(
    kind: str, B: int, H: int, kernel: Any, torch_fn: Any, args: list[Any], mask_pos: int,
    has_mask: bool,
) -> Any:  # fmt: skip
    """Run the delta recursion with the numba ``kernel`` or, for large B*H, ``torch_fn``.

    ``args`` are the kernel's arguments (numpy arrays share memory with the tensors handed
    to the torch version, so output arrays are filled either way); results come back as
    numpy arrays.
    """
    if not TL.use_torch_backward(kind, B, H):
        return kernel(*args)
    targs = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    targs[mask_pos] = targs[mask_pos].unsqueeze(-1) if has_mask else None
    out = torch_fn(*targs)
    return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()


def time_major_grad(g: Tensor) -> np.ndarray:
    """A (B,T,...) incoming gradient as a contiguous time-major numpy array."""
    return g.detach().transpose(0, 1).contiguous().numpy()


def batch_first(a: np.ndarray, mask_tm: Tensor | None) -> Tensor:
    """Time-major numpy (T,B,F) states -> batch-first (B,T,F) tensor, zeroed at padding."""
    out = torch.from_numpy(a)
    if mask_tm is not None:
        out = out * mask_tm.unsqueeze(-1)
    return out.transpose(0, 1).contiguous()


def prev_product(d: Tensor, states: Tensor, first: Tensor) -> Tensor:
    """sum_t d_t^T s_{t-1} with s_{-1} = ``first``: d (T*B, G), states (T*B, F) -> (G, F)."""
    B = first.shape[0]
    out = d[:B].t() @ first
    if d.shape[0] > B:
        out = out + d[B:].t() @ states[:-B]
    return out


def input_grads(
    ctx: Any, dz: Tensor, i_x: int, i_w: int, biases: tuple[int, ...]
) -> tuple[Tensor | None, Tensor | None, list[Tensor | None]]:
    """dX (B,T,I), dW_ih and the bias gradients from dz (T*B, G) and the saved x_tm, w_ih."""
    x_tm, w_ih = ctx.x_tm, ctx.w_ih
    T, B, I = x_tm.shape
    dx = dw = None
    if ctx.needs_input_grad[i_x]:
        dx = (dz @ w_ih).reshape(T, B, I).transpose(0, 1)
    if ctx.needs_input_grad[i_w]:
        dw = dz.t() @ x_tm.reshape(T * B, I)
    db = dz.sum(0)
    return dx, dw, [db if ctx.needs_input_grad[i] else None for i in biases]


class SimpleSequenceFn(torch.autograd.Function):
    """Elman / leaky / skip recurrence with hand-written BPTT (see module docstring)."""

    @staticmethod
    def forward(
        ctx: Any,
        x: Tensor,
        h0: Tensor,
        w_ih: Tensor,
        w_hh: Tensor,
        b_ih: Tensor | None,
        b_hh: Tensor | None,
        alpha: Tensor | None,
        w_skip: Tensor | None,
        skip: int,
        act: int,
        mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor]:
        B, T, _ = x.shape
        H = w_hh.shape[0]
        dt = x.dtype
        x_tm = x.detach().transpose(0, 1).contiguous()
        xp = input_projection(x_tm, w_ih, b_ih, b_hh)
        npdt = xp.dtype
        mask_np = np.ones((T, B), npdt) if mask_tm is None else mask_tm.numpy()
        h0_np = np_of(h0, dt, (B, H))
        alpha_np = np_of(alpha, dt, (0,))
        w_hh_np = np_of(w_hh, dt, (H, H))
        w_skip_np = np_of(w_skip, dt, (0, 0))
        states = np.empty((T, B, H), npdt)
        fz = np.empty((T, B, H), npdt)
        fwd_args = (
            xp,
            h0_np,
            np.ascontiguousarray(w_hh_np.T),
            alpha_np,
            np.ascontiguousarray(w_skip_np.T),
        )
        if TL.use_torch_loop("simple", B, H):
            t = [torch.from_numpy(a) for a in (*fwd_args, states, fz)]
            TL.simple_forward(
                t[0], t[1], t[2], t[3], t[4], skip, act, bool_mask(mask_tm), t[5], t[6]
            )
        else:
            K.simple_forward(*fwd_args, skip, act, mask_np, states, fz)
        ctx.x_tm, ctx.w_ih = x_tm, w_ih.detach()
        ctx.arrays = (h0_np, states, fz, w_hh_np, alpha_np, w_skip_np, mask_np)
        ctx.has_mask = mask_tm is not None
        ctx.skip, ctx.act = skip, act
        h_last = torch.from_numpy(states[T - 1].copy())
        return batch_first(states, mask_tm), h_last

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, g_all: Tensor, g_last: Tensor) -> tuple[Tensor | None, ...]:
        h0_np, states, fz, w_hh_np, alpha_np, w_skip_np, mask_np = ctx.arrays
        T, B, H = states.shape
        dz_np = np.empty_like(states)
        args = [
            time_major_grad(g_all),
            g_last.detach().contiguous().numpy(),
            h0_np,
            states,
            fz,
            w_hh_np,
            alpha_np,
            w_skip_np,
            ctx.skip,
            ctx.act,
            mask_np,
            dz_np,
        ]
        dh0, dalpha = run_backward(
            "simple", B, H, K.simple_backward, TL.simple_backward, args, 10, ctx.has_mask
        )
        dz = torch.from_numpy(dz_np).reshape(T * B, H)
        s = torch.from_numpy(states).reshape(T * B, H)
        h0 = torch.from_numpy(h0_np)
        dx, dw_ih, (db_ih, db_hh) = input_grads(ctx, dz, 0, 2, (4, 5))
        dw_hh = prev_product(dz, s, h0) if ctx.needs_input_grad[3] else None
        dw_skip = None
        if ctx.needs_input_grad[7]:
            k = ctx.skip
            dw_skip = torch.zeros(H, H, dtype=dz.dtype)
            if T > k:
                dw_skip = dz[k * B :].t() @ s[: (T - k) * B]
        return (
            dx,
            torch.from_numpy(dh0) if ctx.needs_input_grad[1] else None,
            dw_ih,
            dw_hh,
            db_ih,
            db_hh,
            torch.from_numpy(dalpha) if ctx.needs_input_grad[6] else None,
            dw_skip,
            None,
            None,
            None,
        )


class JordanSequenceFn(torch.autograd.Function):
    """Jordan network: h_t = f(W_ih x_t + b_ih + W_yh y_{t-1} + b_hh), y_t = g(W_hy h_t + b_hy).

    Backward: the carried delta is dE/dy_t; dv_t = dE/dy_t * g'(v_t), dE/dh_t = dv_t W_hy +
    (gradient of h_all), dz_t = dE/dh_t * f'(z_t), dE/dy_{t-1} = dz_t W_yh + (grad of y_all).
    """

    @staticmethod
    def forward(
        ctx: Any,
        x: Tensor,
        y0: Tensor,
        w_ih: Tensor,
        w_yh: Tensor,
        b_ih: Tensor | None,
        b_hh: Tensor | None,
        w_hy: Tensor,
        b_hy: Tensor | None,
        act: int,
        out_act: int,
        mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        B, T, _ = x.shape
        H, O = w_yh.shape
        dt = x.dtype
        x_tm = x.detach().transpose(0, 1).contiguous()
        xp = input_projection(x_tm, w_ih, b_ih, b_hh)
        npdt = xp.dtype
        mask_np = np.ones((T, B), npdt) if mask_tm is None else mask_tm.numpy()
        y0_np = np_of(y0, dt, (B, O))
        w_yh_np = np_of(w_yh, dt, (H, O))
        w_hy_np = np_of(w_hy, dt, (O, H))
        hs = np.empty((T, B, H), npdt)
        ys = np.empty((T, B, O), npdt)
        fwd_args = (
            xp,
            y0_np,
            np.ascontiguousarray(w_yh_np.T),
            np.ascontiguousarray(w_hy_np.T),
            np_of(b_hy, dt, (O,)),
        )
        if TL.use_torch_loop("jordan", B, H):
            t = [torch.from_numpy(a) for a in (*fwd_args, hs, ys)]
            TL.jordan_forward(
                t[0], t[1], t[2], t[3], t[4], act, out_act, bool_mask(mask_tm), t[5], t[6]
            )
        else:
            K.jordan_forward(*fwd_args, act, out_act, mask_np, hs, ys)
        ctx.x_tm, ctx.w_ih = x_tm, w_ih.detach()
        ctx.arrays = (y0_np, hs, ys, w_yh_np, w_hy_np, mask_np)
        ctx.has_mask = mask_tm is not None
        ctx.act, ctx.out_act = act, out_act
        # h is computed at padded steps too; batch_first zeroes it there for the caller
        h_out = batch_first(hs, mask_tm)
        return h_out, batch_first(ys, mask_tm), torch.from_numpy(ys[T - 1].copy())

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, g_h: Tensor, g_y: Tensor, g_ylast: Tensor) -> tuple[Tensor | None, ...]:
        y0_np, hs, ys, w_yh_np, w_hy_np, mask_np = ctx.arrays
        T, B, H = hs.shape
        O = ys.shape[2]
        dz_np = np.empty_like(hs)
        dv_np = np.empty_like(ys)
        args = [
            time_major_grad(g_h),
            time_major_grad(g_y),
            g_ylast.detach().contiguous().numpy(),
            hs,
            ys,
            w_yh_np,
            w_hy_np,
            ctx.act,
            ctx.out_act,
            mask_np,
            dz_np,
            dv_np,
        ]
        dy0 = run_backward(
            "jordan", B, H, K.jordan_backward, TL.jordan_backward, args, 9, ctx.has_mask
        )
        dz = torch.from_numpy(dz_np).reshape(T * B, H)
        dv = torch.from_numpy(dv_np).reshape(T * B, O)
        dx, dw_ih, (db_ih, db_hh) = input_grads(ctx, dz, 0, 2, (4, 5))
        nig = ctx.needs_input_grad
        dw_yh = None
        if nig[3]:
            dw_yh = prev_product(
                dz, torch.from_numpy(ys).reshape(T * B, O), torch.from_numpy(y0_np)
            )
        dw_hy = dv.t() @ torch.from_numpy(hs).reshape(T * B, H) if nig[6] else None
        db_hy = dv.sum(0) if nig[7] else None
        return (
            dx,
            torch.from_numpy(dy0) if nig[1] else None,
            dw_ih,
            dw_yh,
            db_ih,
            db_hh,
            dw_hy,
            db_hy,
            None,
            None,
            None,
        )

"""Explicit BPTT for the Jordan network on large steps: one or two GEMMs per step, no copies.

Same contract as :class:`seqlab.recurrent._bptt_elman.JordanSequenceFn` (same arguments,
outputs and gradients), built like :mod:`seqlab.recurrent._bptt_elman_fast`:

- forward: ``X W_ih^T + b_ih + b_hh`` of all steps is one GEMM into the time-major buffer of
  the hidden states; step ``t`` adds ``y_{t-1} W_yh^T`` to its block in place and applies
  ``f`` in place (``h_t``), then writes ``y_t = g(h_t W_hy^T + b_hy)`` straight into the
  output buffer (``addmm`` with ``out=``);
- backward, with ``GY_t = dE/dy_t`` and ``GH_t = dE/dh_t`` accumulated in time-major copies of
  the incoming gradients: ``dv_t = GY_t g'(v_t)``, ``GH_t += dv_t W_hy``,
  ``dz_t = GH_t f'(z_t)`` (in place into the derivative buffer), ``GY_{t-1} += dz_t W_yh``;
  the weight gradients are one GEMM each over all steps after the recursion.

Identity output activation (the default) without padding and with ``2 O >= H``: the cell's
definition gives ``y_{t-1} = W_hy h_{t-1} + b_hy`` exactly, so for ``t >= 1`` the feedback is
``(W_yh W_hy) h_{t-1} + W_yh b_hy`` -- one (H, H) GEMM per step instead of two, and all ``y_t``
as one GEMM after the loop (:func:`_folded_forward`); the backward pass regroups the weight
gradients so that its FLOPs stay those of the two-GEMM form (:func:`_folded_backward`). Only
the rounding differs from the readable cell (float64: ~1e-15). Measured at B=32 T=100 I=32
H=128, 1 thread: 0.93x nn.LSTM's forward+backward, the two-GEMM form 0.97-1.0x.
"""

from __future__ import annotations

from typing import Any

import torch

from seqlab.recurrent import _bptt_reference as R
from seqlab.recurrent._bptt_elman_fast import (
    _ACT_INPLACE,
    act_derivative,
    batch_first,
    dnn,
    input_projection,
    linear,
    mm_tn,
    prev_product,
    scratch,
    step_addmm,
    time_major_copy,
    zeros_for_none,
)

Tensor = torch.Tensor


def _activate(v: Tensor, code: int, minus_one: Tensor, out: Tensor | None = None) -> Tensor:
    """``f`` of ``v`` written into ``out`` (default: ``v`` itself); for tanh ``v`` holds 2z
    and 2 sigmoid(2z) - 1 is written."""
    out = v if out is None else out
    if code == 0:
        return torch.add(minus_one, v.sigmoid_(), alpha=2, out=out)
    f_ = _ACT_INPLACE.get(code)
    if f_ is not None:
        f_(v)
    return v if v is out else out.copy_(v)


def _forward(
    hs: Tensor, y0: Tensor | None, w_yh: Tensor, w_hy: Tensor, b_hy: Tensor | None, act: int,
    out_act: int, mask: Tensor | None, two_h: float, two_y: float,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """The recurrence with y fed back: fills ``hs`` (holding the input projection) with h_t;
    returns (ys (T, B, O), y after the last step). Two GEMMs per step."""
    T, B, _ = hs.shape
    O = w_yh.shape[1]
    ys = hs.new_empty(T, B, O)
    keep = None if mask is None else mask != 0
    w_yh_t = w_yh.detach().t() * two_h  # doubling is exact
    w_hy_t = w_hy.detach().t()
    bias = hs.new_zeros(O) if b_hy is None else b_hy.detach()
    minus_one = hs.new_full((), -1.0)
    y = hs.new_zeros(B, O) if y0 is None else y0.detach()
    hsl, ysl = hs.unbind(0), ys.unbind(0)
    for t in range(T):
        h = _activate(hsl[t].addmm_(y, w_yh_t), act, minus_one)
        yt = _activate(torch.addmm(bias, h, w_hy_t, beta=two_y, alpha=two_y, out=ysl[t]),
                       out_act, minus_one)
        if keep is not None:
            torch.where(keep[t], yt, y, out=yt)
        y = yt
    return ys, y


def _folded_forward(
    hs: Tensor, y0: Tensor | None, w_yh: Tensor, w_hy: Tensor, b_hy: Tensor | None, act: int,
    two_h: float,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """Identity output, no padding: y_{t-1} = W_hy h_{t-1} + b_hy exactly, so for t >= 1
    z_t = xp_t + W_yh b_hy + (W_yh W_hy) h_{t-1}: ONE GEMM per step; y_t for all steps after
    the loop as one GEMM. Returns (ys (T, B, O), y_{T-1})."""
    T, B, H = hs.shape
    w_yh_d, w_hy_d = w_yh.detach(), w_hy.detach()
    minus_one = hs.new_full((), -1.0)
    flat = hs.view(T * B, H)
    if b_hy is not None and T > 1:
        flat[B:].add_(torch.mv(w_yh_d, b_hy.detach()), alpha=two_h)
    hsl = hs.unbind(0)
    h = hsl[0] if y0 is None else hsl[0].addmm_(y0.detach(), w_yh_d.t(), alpha=two_h)
    h = _activate(h, act, minus_one)
    m_t = torch.mm(w_yh_d, w_hy_d).t() * two_h  # (W_yh W_hy)^T, doubled for tanh: exact
    step = step_addmm(m_t, B)  # oneDNN where measured faster (float32)
    for t in range(1, T):
        zt = step(hsl[t], h)  # hsl[t] itself (torch) or a new tensor (oneDNN)
        h = _activate(zt, act, minus_one, hsl[t])
    b = None if b_hy is None else b_hy.detach()
    if dnn(hs, H):
        ys = linear(flat, w_hy_d, b)
    else:
        ys = torch.mm(flat, w_hy_d.t()) if b is None else torch.addmm(b, flat, w_hy_d.t())
    ys = ys.view(T, B, -1)
    return ys, ys[T - 1]


class JordanFastFn(torch.autograd.Function):
    """Jordan network: h_t = f(W_ih x_t + b_ih + W_yh y_{t-1} + b_hh), y_t = g(W_hy h_t + b_hy).

    Arguments and outputs of ``JordanSequenceFn``: returns ``(h_all, y_all, y_last)``.
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, y0: Tensor | None, w_ih: Tensor, w_yh: Tensor,
        b_ih: Tensor | None, b_hh: Tensor | None, w_hy: Tensor, b_hy: Tensor | None,
        act: int, out_act: int, mask_tm: Tensor | None,
    ) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
        B, T, _ = x.shape
        H, O = w_yh.shape
        two_h, two_y = 2.0 if act == 0 else 1.0, 2.0 if out_act == 0 else 1.0  # tanh: 2z, 2v
        xt, z = input_projection(x, w_ih, b_ih, b_hh, two_h, dnn(x, H))
        hs = z.view(T, B, H)  # becomes h_t in place
        mask = None if mask_tm is None else mask_tm.unsqueeze(-1)
        fold = folds(out_act, mask is not None, H, O)
        if fold:
            ys, y = _folded_forward(hs, y0, w_yh, w_hy, b_hy, act, two_h)
        else:
            ys, y = _forward(hs, y0, w_yh, w_hy, b_hy, act, out_act, mask, two_h, two_y)
        h_out, y_out = batch_first(hs, mask), batch_first(ys, mask)
        plain = mask is None  # the outputs are views of the buffers: saved through them
        ctx.set_materialize_grads(False)  # an unused output's gradient stays None
        ctx.save_for_backward(x, y0, w_ih, w_yh, b_ih, b_hh, w_hy, b_hy, mask_tm,
                              h_out if plain else None, y_out if plain else None)
        ctx.bufs = (xt, None, None) if plain else (xt, hs, ys)
        ctx.act, ctx.out_act, ctx.fold = act, out_act, fold
        return h_out, y_out, y.clone()

    @staticmethod
    def backward(ctx: Any, g_h: Tensor, g_y: Tensor, g_ylast: Tensor) -> tuple[Tensor | None, ...]:
        x, y0, w_ih, w_yh, b_ih, b_hh, w_hy, b_hy, mask_tm, h_out, y_out = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: the gradient's graph is needed
            inputs = (x, y0, w_ih, w_yh, b_ih, b_hh, w_hy, b_hy, ctx.act, ctx.out_act, mask_tm)
            (B, T), (H, O) = x.shape[:2], w_yh.shape
            like = (x.new_empty(B, T, H), x.new_empty(B, T, O), x.new_empty(B, O))
            return R.differentiable_backward(R.jordan_forward, inputs, ctx.needs_input_grad,
                                             zeros_for_none((g_h, g_y, g_ylast), like))
        xt, hs, ys = ctx.bufs
        if hs is None:
            hs, ys = h_out.detach().transpose(0, 1), y_out.detach().transpose(0, 1)
        T, B, H = hs.shape
        O = ys.shape[2]
        mask = None if mask_tm is None else mask_tm.unsqueeze(-1)
        # GH_t = dE/dh_t (None: h_all unused, the folded path then writes GY W_hy in its place)
        gh = None if g_h is None and ctx.fold else time_major_copy(g_h, mask, "gh", (T, B, H),
                                                                    hs.dtype)
        gy = time_major_copy(g_y, mask, "gy", (T, B, O), hs.dtype)  # GY_t = dE/dy_t
        if g_ylast is not None:
            gy[T - 1].add_(g_ylast)
        dh = act_derivative(hs, ctx.act, "dh")  # becomes dz_t
        nig = ctx.needs_input_grad
        w_yh_d, w_hy_d = w_yh.detach(), w_hy.detach()
        df = dh.view(T * B, H)
        y_first = x.new_zeros(B, O) if y0 is None else y0.detach()
        if ctx.fold:
            dy0, dw_yh, dw_hy, db_hy, d_t = _folded_backward(gh, gy, dh, hs, y_first, w_yh_d,
                                                             w_hy_d, b_hy, nig)
        else:
            dy0, dw_yh, dw_hy, db_hy = _backward(gh, gy, dh, hs, ys, y_first, w_yh_d, w_hy_d,
                                                 ctx.out_act, mask, nig)
            d_t = _transposed(df, "dT") if nig[2] and dnn(df, H) else None
        dx = dw_ih = None
        if nig[0]:
            dx = (linear(df, w_ih.detach().t()) if dnn(df, H) else torch.mm(df, w_ih.detach())
                  ).view(T, B, -1).transpose(0, 1)
        if nig[2]:
            dw_ih = mm_tn(df, xt, d_t)
        db = df.sum(0) if (nig[4] or nig[5]) else None
        return (dx, dy0, dw_ih, dw_yh, db if nig[4] else None, db if nig[5] else None,
                dw_hy, db_hy, None, None, None)  # fmt: skip


def _backward(
    gh: Tensor | None, gy: Tensor, dh: Tensor, hs: Tensor, ys: Tensor, y_first: Tensor,
    w_yh: Tensor, w_hy: Tensor, out_act: int, mask: Tensor | None, nig: tuple[bool, ...],
) -> tuple[Tensor | None, ...]:  # fmt: skip
    """The delta recursion of :func:`_forward` (fills ``dh`` with dz_t); returns
    (dy0, dW_yh, dW_hy, db_hy)."""
    T, B, H = hs.shape
    O = ys.shape[2]
    dy = None
    if out_act != 2 or mask is not None:
        dy = act_derivative(ys, out_act, "dy")
    carry = None
    if mask is not None:
        dh.mul_(mask)
        assert dy is not None
        dy.mul_(mask)
        carry = (1.0 - mask).unbind(0)
    dv = gy if dy is None else dy  # dv_t = GY_t g'(v_t) (GY itself for identity g)
    assert gh is not None
    ghl, gyl, dhl, dvl = gh.unbind(0), gy.unbind(0), dh.unbind(0), dv.unbind(0)
    for t in range(T - 1, -1, -1):
        dv_t = dvl[t] if dy is None else dvl[t].mul_(gyl[t])
        dz_t = dhl[t].mul_(ghl[t].addmm_(dv_t, w_hy))
        if t > 0:
            gp = gyl[t - 1].addmm_(dz_t, w_yh)
            if carry is not None:
                gp.addcmul_(gyl[t], carry[t])
    dy0 = dw_yh = dw_hy = db_hy = None
    if nig[1]:
        dy0 = torch.mm(dhl[0], w_yh)
        if carry is not None:
            dy0.addcmul_(gyl[0], carry[0])
    df, dvf = dh.view(T * B, H), dv.view(T * B, O)
    if nig[3]:  # dW_yh = sum_t dz_t^T y_{t-1}
        dw_yh = prev_product(df, ys.reshape(T * B, O), y_first)
    if nig[6]:  # dW_hy = sum_t dv_t^T h_t
        dw_hy = dvf.t() @ hs.reshape(T * B, H)
    if nig[7]:
        db_hy = dvf.sum(0)
    return dy0, dw_yh, dw_hy, db_hy


def _folded_backward(
    gh: Tensor | None, gy: Tensor, dh: Tensor, hs: Tensor, y_first: Tensor, w_yh: Tensor,
    w_hy: Tensor, b_hy: Tensor | None, nig: tuple[bool, ...],
) -> tuple[Tensor | None, ...]:  # fmt: skip
    """The delta recursion of :func:`_folded_forward` (fills ``dh`` with dz_t).

    With GY_t the gradient reaching y_t from outside, dE/dh_t = GH_t + GY_t W_hy +
    dz_{t+1} (W_yh W_hy): the first two terms for all steps are one GEMM, the recursion one
    GEMM per step. With dM = sum_{t>=1} dz_t^T h_{t-1} and s = sum_{t>=1} dz_t:
    dW_yh = dz_0^T y0 + dM W_hy^T + s^T b_hy, dW_hy = GY^T H + W_yh^T dM,
    db_hy = sum_t GY_t + s W_yh, dy0 = dz_0 W_yh.
    """
    T, B, H = hs.shape
    O = gy.shape[2]
    gyf, hf = gy.view(T * B, O), hs.reshape(T * B, H)
    seq = dnn(hs, H)  # the whole-sequence products through oneDNN
    if gh is None and seq:
        gh = scratch("gh", (T * B, H), gy.dtype).copy_(linear(gyf, w_hy.t())).view(T, B, H)
    elif gh is None:
        gh = torch.mm(gyf, w_hy, out=scratch("gh", (T * B, H), gy.dtype)).view(T, B, H)
    elif seq:
        gh.view(T * B, H).add_(linear(gyf, w_hy.t()))
    else:
        gh.view(T * B, H).addmm_(gyf, w_hy)
    m = torch.mm(w_yh, w_hy)
    ghl, dhl = gh.unbind(0), dh.unbind(0)
    step = step_addmm(m, B)
    for t in range(T - 1, -1, -1):
        dz_t = dhl[t].mul_(ghl[t])
        if t > 0:
            acc = step(ghl[t - 1], dz_t)
            if acc is not ghl[t - 1]:
                ghl[t - 1].copy_(acc)
    df = dh.view(T * B, H)
    d_t = _transposed(df, "dT") if seq else None
    if T <= 1:
        dm = hs.new_zeros(H, H)
    elif d_t is not None:  # sum_{t>=1} dz_t^T h_{t-1}: h_{-1} = 0 adds nothing
        dm = prev_product(df, hf, hs.new_zeros(B, H), d_t)
    else:
        dm = torch.mm(df[B:].t(), hf[:-B])
    s = df[B:].sum(0)
    gy_h = None
    if nig[6]:  # GY^T H
        gy_h = mm_tn(gyf, hf, _transposed(gyf, "gyT") if seq else None)
    dy0, dw_yh, dw_hy, db_hy = folded_output_grads(dhl[0], y_first, dm, s, gyf, gy_h, w_yh,
                                                   w_hy, b_hy, nig)
    return dy0, dw_yh, dw_hy, db_hy, d_t


def folds(out_act: int, masked: bool, hidden: int, out: int) -> bool:
    """True when a Jordan recursion folds its feedback into ``W_yh W_hy`` (one product a step,
    :func:`_folded_forward` here, ``_bptt_elman._folded_forward`` on the numba path): identity
    output, no padding (the carried y then equals W_hy h + b_hy), and ``2 O >= H`` (below
    that the two thin products cost less than one H x H product)."""
    return out_act == 2 and not masked and 2 * out >= hidden


def folded_output_grads(
    dz0: Tensor, y_first: Tensor, dm: Tensor, s: Tensor, gyf: Tensor, gy_h: Tensor | None,
    w_yh: Tensor, w_hy: Tensor, b_hy: Tensor | None, nig: tuple[bool, ...],
) -> tuple[Tensor | None, ...]:  # fmt: skip
    """(dy0, dW_yh, dW_hy, db_hy) of a folded recursion (None where not needed), regrouped so
    that its FLOPs stay those of the two-product form: from dz_0, the first y, dM = sum_{t>=1}
    dz_t^T h_{t-1}, s = sum_{t>=1} dz_t, GY (T*B, O) and ``gy_h`` = GY^T H (needed for dW_hy):
    dy0 = dz_0 W_yh, dW_yh = dz_0^T y0 + dM W_hy^T + s^T b_hy, dW_hy = GY^T H + W_yh^T dM,
    db_hy = sum_t GY_t + s W_yh."""
    dy0 = dw_yh = dw_hy = db_hy = None
    if nig[1]:
        dy0 = torch.mm(dz0, w_yh)
    if nig[3]:
        dw_yh = torch.mm(dz0.t(), y_first).addmm_(dm, w_hy.t())
        if b_hy is not None:
            dw_yh.addr_(s, b_hy.detach())
    if nig[6]:
        assert gy_h is not None
        dw_hy = gy_h.addmm_(w_yh.t(), dm)
    if nig[7]:
        db_hy = gyf.sum(0).addmv_(w_yh.t(), s)
    return dy0, dw_yh, dw_hy, db_hy


def _transposed(a: Tensor, name: str) -> Tensor:
    """``a^T`` (F, N) of a row-major (N, F) ``a``, contiguous, in scratch ``name``."""
    return scratch(name, (a.shape[1], a.shape[0]), a.dtype).copy_(a.t())

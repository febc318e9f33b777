"""GRU with hand-written BPTT for steps where the matrix products dominate (large ``B*H``).

Same function as :class:`seqlab.recurrent._bptt_gated.GRUSequenceFn` (torch.nn.GRU's gates
r, z, n; padded steps carry the state), organised so that each time step costs one matrix
product and a handful of vectorised torch ops, and everything that does not depend on the
recursion is done once for all steps:

forward
    ``P = X W_ih^T + b`` for all T steps in one product; per step ONE product
    ``a = h_{t-1} W_hh^T + [P_r + b_hr, P_z + b_hz, b_hn]`` (the addition fused into the
    product), then ``r, z = sigmoid(a_rz)`` in place, ``n = tanh(P_n + r * a_n)``
    (``a_n = W_hn h_{t-1} + b_hn``) and ``h_t = lerp(n, h_{t-1}, z) = (1-z) n + z h_{t-1}``.
    Saved for backward: the (B, 3H) blocks ``[r, z, a_n]``, ``n`` and ``h``.
backward
    The per-unit factors of the gate gradients are computed for all steps at once,
    ``dE/da_t = F_t * g_t`` with ``g_t = dE/dh_t`` and
    ``F = [(1-z)(1-n^2) a_n r(1-r), (h_{t-1}-n) z(1-z), (1-z)(1-n^2) r]``, so the delta
    recursion is per step one multiplication, one ``addcmul`` and ONE product,
    ``g_{t-1} = g_t z + (F_t * g_t) W_hh + dE/dh_{t-1}|_out``. The weight gradients are then
    one product each over all steps (``dW_hh = sum_t dG_t^T h_{t-1}`` as (3H, T*B) @ (T*B, H)).

The products of float32 tensors go through oneDNN (``torch.ops.mkldnn._linear_pointwise``)
with W_hh packed once per call: on the AMD EPYC this was measured on, PyTorch's ``torch.mm``
(MKL) reached ~40 GFLOP/s at the per-step shapes (32x128 @ 128x384, 64x512 @ 512x1536) and
oneDNN ~110-130, the speed nn.LSTM (also oneDNN) gets. Float64 (and builds without oneDNN)
use ``torch.mm``/``addmm``. Higher-order gradients re-run the recurrence in plain torch ops
(:mod:`seqlab.recurrent._bptt_reference`), as every BPTT Function does.
"""

from __future__ import annotations

from typing import Any

import torch
from numba import njit

from seqlab.recurrent import _bptt_reference as R

Tensor = torch.Tensor


def _probe_onednn() -> bool:
    """True when oneDNN's fused linear ops exist in this torch build and compute x W^T + o."""
    try:
        ops = torch.ops.mkldnn
        if not torch.backends.mkldnn.is_available():
            return False
        x, w, o = torch.randn(3, 5), torch.randn(4, 5), torch.randn(3, 4)
        packed = ops._reorder_linear_weight(w, 3)
        y = ops._linear_pointwise.binary(x, o, packed, None, "add")
        y2 = ops._linear_pointwise(x, w, None, "none", [None], "")
        return bool(torch.allclose(y, x @ w.t() + o, atol=1e-5)
                    and torch.allclose(y2, x @ w.t(), atol=1e-5))
    except Exception:  # any missing op or changed signature: use torch.mm
        return False


ONEDNN = _probe_onednn()


class _Linear:
    """``a -> a @ W^T + other`` for a fixed W (out, in), oneDNN-packed for float32."""

    def __init__(self, w: Tensor, batch: int) -> None:
        w = w.detach()
        self.dnn = ONEDNN and w.dtype == torch.float32
        if self.dnn:
            self.w = torch.ops.mkldnn._reorder_linear_weight(w.contiguous(), batch)
        else:
            self.w = w.t()

    def __call__(self, a: Tensor, other: Tensor) -> Tensor:
        if self.dnn:
            return torch.ops.mkldnn._linear_pointwise.binary(a, other, self.w, None, "add")
        return torch.addmm(other, a, self.w)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b`` through oneDNN for float32 (``b`` given as any strided view), else torch."""
    if ONEDNN and a.dtype == torch.float32:
        return torch.ops.mkldnn._linear_pointwise(a, b.t(), None, "none", [None], "")
    return a @ b


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
        proj = matmul(x_tm, w_ih.detach().t())  # (T*B, 3H)
        if b_ih is not None:
            proj += b_ih.detach()
        p_n = proj[:, 2 * H :].clone().reshape(T, B, H)  # W_in x + b_in
        other = proj  # becomes [P_r + b_hr, P_z + b_hz, b_hn]: added to h W_hh^T
        if b_hh is not None:
            other[:, : 2 * H] += b_hh.detach()[: 2 * H]
            other[:, 2 * H :] = b_hh.detach()[2 * H :]
        else:
            other[:, 2 * H :] = 0.0
        other = other.reshape(T, B, 3 * H)
        lin = _Linear(w_hh, B)
        h = x.new_zeros(B, H) if h0 is None else h0.detach()
        hs = x.new_empty(T, B, H)
        ns = x.new_empty(T, B, H)
        keep = None if mask_tm is None else (mask_tm != 0).unsqueeze(-1)  # (T, B, 1)
        full = None if keep is None else keep.reshape(T, B).all(1).tolist()
        acts: list[Tensor] = []
        for t in range(T):
            a = lin(h, other[t])  # [pre_r, pre_z, a_n]
            a_r, a_z, a_n = a.split(H, 1)
            a[:, : 2 * H].sigmoid_()
            n = torch.addcmul(p_n[t], a_r, a_n, out=ns[t]).tanh_()
            h_new = torch.lerp(n, h, a_z, out=hs[t])  # (1-z) n + z h
            if keep is not None and not full[t]:
                torch.where(keep[t], h_new, h, out=h_new)
            acts.append(a)
            h = h_new
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, mask_tm)
        ctx.fast = (torch.stack(acts), ns, hs)
        out = hs if keep is None else hs * keep
        return out.transpose(0, 1).contiguous(), h.clone()

    @staticmethod
    def backward(ctx: Any, g_h: Tensor, g_hlast: Tensor) -> tuple[Tensor | None, ...]:
        saved = ctx.saved_tensors  # x, h0, w_ih, w_hh, b_ih, b_hh, mask_tm
        if torch.is_grad_enabled():  # create_graph=True: the gradient's graph is needed
            return R.differentiable_backward(
                R.gru_forward, saved, ctx.needs_input_grad, (g_h, g_hlast)
            )
        x, h0, w_ih, w_hh, _, _, mask_tm = saved
        acts, ns, hs = ctx.fast
        T, B, H = hs.shape
        dt = hs.dtype
        h_first = x.new_zeros(B, H) if h0 is None else h0.detach().contiguous()
        g_out = g_h.detach().transpose(0, 1)  # (T, B, H); the outputs are 0 at padding
        g_out = g_out.contiguous() if mask_tm is None else g_out * mask_tm.unsqueeze(-1)
        mask_np = (torch.ones(T, B, dtype=dt) if mask_tm is None else mask_tm).numpy()
        lin = _Linear(w_hh.t(), B)
        dg = x.new_empty(T, B, 3 * H)  # dE/d[pre_r, pre_z, a_n]
        dn = x.new_empty(T, B, H)  # dE/d pre_n
        carry = x.new_empty(B, H)
        zeros = x.new_zeros(B, H)
        a_np, n_np, h_np, go_np = acts.numpy(), ns.numpy(), hs.numpy(), g_out.numpy()
        dg_np, dn_np, carry_np = dg.numpy(), dn.numpy(), carry.numpy()
        h0_np, zeros_np = h_first.numpy(), zeros.numpy()
        g = (g_hlast.detach() + g_out[T - 1]).contiguous()
        for t in range(T - 1, -1, -1):
            _step_backward(g.numpy(), go_np[t - 1] if t > 0 else zeros_np, a_np[t], n_np[t],
                           h_np[t - 1] if t > 0 else h0_np, mask_np[t], dg_np[t], dn_np[t],
                           carry_np)
            g = lin(dg[t], carry)  # dE/dh_{t-1} = g z + dG_t W_hh (+ its output's gradient)
        dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(
            ctx.needs_input_grad, x, w_ih, dg, dn, hs, h_first)
        dh0 = g if ctx.needs_input_grad[1] else None
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None


@njit(cache=True)
def _step_backward(g, g_out_prev, a_t, n_t, h_prev, mask_t, dg_t, dn_t, carry):
    """One step of the delta recursion, elementwise: from g = dE/dh_t (B, H) fill
    dg_t (B, 3H) = dE/d[pre_r, pre_z, a_n], dn_t (B, H) = dE/d pre_n and
    carry = g z + g_out_prev; the caller adds dg_t W_hh to carry (dE/dh_{t-1})."""
    B, H = g.shape
    for b in range(B):
        if mask_t[b] != 0.0:
            for j in range(H):
                r = a_t[b, j]
                z = a_t[b, H + j]
                n = n_t[b, j]
                gj = g[b, j]
                d = gj * (1.0 - z) * (1.0 - n * n)
                dn_t[b, j] = d
                dg_t[b, j] = d * a_t[b, 2 * H + j] * r * (1.0 - r)
                dg_t[b, H + j] = gj * (h_prev[b, j] - n) * z * (1.0 - z)
                dg_t[b, 2 * H + j] = d * r
                carry[b, j] = gj * z + g_out_prev[b, j]
        else:  # padded step: no gradient through the cell, the state's passes unchanged
            for j in range(H):
                dn_t[b, j] = 0.0
                dg_t[b, j] = 0.0
                dg_t[b, H + j] = 0.0
                dg_t[b, 2 * H + j] = 0.0
                carry[b, j] = g[b, j] + g_out_prev[b, j]


def _weight_grads(
    needs: Any, x: Tensor, w_ih: Tensor, dg: Tensor, dn: Tensor, hs: Tensor, h_first: Tensor
) -> tuple[Tensor | None, ...]:
    """dX, dW_ih, dW_hh, db_ih, db_hh, each one product (or sum) over all steps.

    The input projection's gradient is ``[dg_r, dg_z, dn]`` (dg's n block is ``dn * r``).
    """
    T, B, H = hs.shape
    dg_f, dn_f = dg.reshape(T * B, 3 * H), dn.reshape(T * B, H)
    dg_rz = dg_f[:, : 2 * H]
    dx = dw_ih = dw_hh = db_ih = db_hh = None
    if needs[0]:
        w = w_ih.detach()
        dx = matmul(dg_rz, w[: 2 * H]).addmm_(dn_f, w[2 * H :])
        dx = dx.reshape(T, B, -1).transpose(0, 1)
    if needs[2]:
        x_tm = x.detach().transpose(0, 1).reshape(T * B, -1)
        dw_ih = torch.cat([matmul(dg_rz.t(), x_tm), matmul(dn_f.t(), x_tm)])
    if needs[3]:  # sum_t dg_t^T h_{t-1}
        dw_hh = matmul(dg_f[:B].t(), h_first)
        if T > 1:
            dw_hh += matmul(dg_f[B:].t(), hs[:-1].reshape((T - 1) * B, H))
    if needs[4]:
        db_ih = torch.cat([dg_rz.sum(0), dn_f.sum(0)])
    if needs[5]:
        db_hh = dg_f.sum(0)
    return dx, dw_ih, dw_hh, db_ih, db_hh

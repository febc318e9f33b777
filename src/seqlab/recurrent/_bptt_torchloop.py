"""Explicit-BPTT loops with torch ops for the gated cells (LSTM, GRU) on large steps.

Same contract as the numba kernels in :mod:`seqlab.recurrent._bptt_kernels` (they fill the
same preallocated time-major arrays, here as tensors sharing their memory), so forward and
backward paths can be mixed. A torch op costs a few microseconds of dispatch, which
dominates when ``B*H`` is small (numba wins there); when ``B*H`` is large torch's MKL
matmul and vectorised transcendental functions (tanh, sigmoid) win, since numba calls
scalar libm ones. The choice is made by :func:`use_torch_loop` (forward) and
:func:`use_torch_backward`.

Elman, leaky, skip and Jordan units have no loop here: from the sizes where one would pay
(B*H >= 512, Jordan 1024) :mod:`seqlab.recurrent.bptt` runs the one-GEMM-per-step Functions
of :mod:`seqlab.recurrent._bptt_elman_fast` / ``_bptt_jordan_fast`` instead, so their
numba-kernel Functions (:mod:`seqlab.recurrent._bptt_elman`) only ever see small steps.
"""

from __future__ import annotations

import numpy as np
import torch

from seqlab.recurrent import _bptt_kernels as K

Tensor = torch.Tensor

# B*H from which the torch-op forward loop is faster than numba (measured on 1 core:
# crossover near B*H = 1024)
TORCH_LOOP_MIN_BH = {"lstm": 1024, "gru": 1024}


def _np_mask(mask: Tensor | None, T: int, B: int, like: np.ndarray) -> np.ndarray:
    """(T, B) float 0/1 numpy mask for the numba step kernels."""
    if mask is None:
        return np.ones((T, B), dtype=like.dtype)
    return np.ascontiguousarray(mask.reshape(T, B).numpy(), dtype=like.dtype)


def use_torch_loop(kind: str, batch: int, hidden: int) -> bool:
    """True when the torch-op forward loop is expected to beat the numba kernel."""
    return batch * hidden >= TORCH_LOOP_MIN_BH[kind]


def _carry(new: Tensor, prev: Tensor, m: Tensor | None) -> None:
    """new <- m*new + (1-m)*prev in place (state carried at padded steps)."""
    if m is not None:
        torch.where(m, new, prev, out=new)


def lstm_forward(
    xp: Tensor, h0: Tensor, c0: Tensor, w_hh_t: Tensor, mask: Tensor | None, hs: Tensor,
    cs: Tensor, gates: Tensor, tcs: Tensor,
) -> None:  # fmt: skip
    """torch version of ``_bptt_kernels.lstm_forward``."""
    H = hs.shape[2]
    h_prev, c_prev = h0, c0
    for t in range(xp.shape[0]):
        a = torch.addmm(xp[t], h_prev, w_hh_t, out=gates[t])  # (B, 4H): i, f, g, o
        a[:, : 2 * H].sigmoid_()
        a[:, 2 * H : 3 * H].tanh_()
        a[:, 3 * H :].sigmoid_()
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        torch.mul(f, c_prev, out=cs[t]).addcmul_(i, g)
        torch.tanh(cs[t], out=tcs[t])
        torch.mul(o, tcs[t], out=hs[t])
        if mask is not None:
            _carry(cs[t], c_prev, mask[t])
            _carry(hs[t], h_prev, mask[t])
        h_prev, c_prev = hs[t], cs[t]


def gru_forward(
    xp: Tensor, h0: Tensor, w_hh_t: Tensor, b_hh: Tensor, mask: Tensor | None, hs: Tensor,
    saved: Tensor,
) -> None:  # fmt: skip
    """torch version of ``_bptt_kernels.gru_forward`` (saved: r, z, n, hn)."""
    H = hs.shape[2]
    h_prev = h0
    for t in range(xp.shape[0]):
        s = saved[t]  # (B, 4H)
        a = torch.addmm(b_hh, h_prev, w_hh_t)  # (B, 3H)
        torch.add(xp[t, :, : 2 * H], a[:, : 2 * H], out=s[:, : 2 * H]).sigmoid_()
        s[:, 3 * H :].copy_(a[:, 2 * H :])
        r, z, n = s[:, :H], s[:, H : 2 * H], s[:, 2 * H : 3 * H]
        torch.addcmul(xp[t, :, 2 * H :], r, a[:, 2 * H :], out=n).tanh_()
        torch.addcmul(n, z, h_prev - n, out=hs[t])  # (1-z) n + z h = n + z (h - n)
        _carry(hs[t], h_prev, None if mask is None else mask[t])
        h_prev = hs[t]


# ---------------------------------------------------------------------------------------
# Backward (delta recursion): same contract as the numba backward kernels. For large B*H
# the per-step matmul is torch's (MKL), faster than numba's loops; the elementwise part is
# a numba step kernel (the backward has no transcendental functions, so one numba call per
# step beats ~15 torch ops); thresholds measured on one core.
# ---------------------------------------------------------------------------------------
TORCH_BACKWARD_MIN_BH = {"lstm": 1024, "gru": 1024}


def use_torch_backward(kind: str, batch: int, hidden: int) -> bool:
    """True when the torch-op delta recursion is expected to beat the numba kernel."""
    return batch * hidden >= TORCH_BACKWARD_MIN_BH[kind]


def lstm_backward(
    gh_out: Tensor, gc_out: Tensor, gh_last: Tensor, gc_last: Tensor, c0: Tensor, cs: Tensor,
    gates: Tensor, tcs: Tensor, w_hh: Tensor, mask: Tensor | None, dz_all: Tensor,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """Hybrid version of ``_bptt_kernels.lstm_backward``: numba elementwise step + torch matmul."""
    T, B, _ = cs.shape
    gh_np, gc_np = gh_out.numpy(), gc_out.numpy()
    cs_np, gates_np, tcs_np, c0_np = cs.numpy(), gates.numpy(), tcs.numpy(), c0.numpy()
    dz_np = dz_all.numpy()
    m_np = _np_mask(mask, T, B, cs_np)
    gh, gc = gh_last.clone(), gc_last.clone()
    gh_c, gc_c = gh.numpy(), gc.numpy()
    dz_steps = dz_all.unbind(0)
    for t in range(T - 1, -1, -1):
        c_prev = cs_np[t - 1] if t > 0 else c0_np
        K.lstm_step_backward(
            gh_np[t], gc_np[t], gh_c, gc_c, c_prev, gates_np[t], tcs_np[t], m_np[t], dz_np[t]
        )
        gh.addmm_(dz_steps[t], w_hh)
    return gh, gc


def gru_backward(
    gh_out: Tensor, gh_last: Tensor, h0: Tensor, hs: Tensor, saved: Tensor, w_hh: Tensor,
    mask: Tensor | None, dx_all: Tensor, dh_all: Tensor,
) -> Tensor:  # fmt: skip
    """Hybrid version of ``_bptt_kernels.gru_backward``: the elementwise part of each step
    (no transcendental functions) in a numba step kernel, the matmul with torch (MKL)."""
    T, B, _ = hs.shape
    gout_np, hs_np, saved_np, h0_np = gh_out.numpy(), hs.numpy(), saved.numpy(), h0.numpy()
    dx_np, dh_np = dx_all.numpy(), dh_all.numpy()
    m_np = _np_mask(mask, T, B, hs_np)
    gh = gh_last.clone()
    gh_np = gh.numpy()
    dh_steps = dh_all.unbind(0)
    for t in range(T - 1, -1, -1):
        h_prev = hs_np[t - 1] if t > 0 else h0_np
        K.gru_step_backward(gout_np[t], gh_np, h_prev, saved_np[t], m_np[t], dx_np[t], dh_np[t])
        gh.addmm_(dh_steps[t], w_hh)
    return gh

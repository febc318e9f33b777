"""Scaffolding shared by the explicit-BPTT ``autograd.Function``s (no BPTT math lives here).

:mod:`seqlab.recurrent._bptt_elman` (Elman, leaky, skip, Jordan) and
:mod:`seqlab.recurrent._bptt_gated` (LSTM, GRU) write out each cell's forward recursion and
its delta recursion; this module holds what they do alike around those equations:

- layout: the caller's tensors are batch-first ``(B, T, ...)``; internally everything is
  time-major ``(T, B, ...)`` numpy, so that one time step is one contiguous block for the numba
  kernels in :mod:`seqlab.recurrent._bptt_kernels` (:func:`start_forward`,
  :func:`time_major_grad`, :func:`batch_first`, :func:`last_step`);
- the choice between a numba kernel and the torch-op loop of
  :mod:`seqlab.recurrent._bptt_torchloop` for the sequential part of the gated cells
  (:func:`run_forward`, :func:`run_backward`);
- the weight-gradient sums over all steps, each ONE matmul after the delta recursion
  (:func:`prev_product`, :func:`input_grads`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

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


def start_forward(
    ctx: Any, x: Tensor, w_ih: Tensor, mask_tm: Tensor | None, *biases: Tensor | None
) -> tuple[int, int, np.ndarray, np.ndarray]:
    """The common start of every forward: returns ``(B, T, xp, mask_np)``.

    ``xp`` = X W_ih^T + sum(biases) as time-major numpy (T,B,G*H) (:func:`input_projection`)
    and ``mask_np`` the (T, B) 0/1 mask (all ones without a mask). Saves on ``ctx`` what
    :func:`run_backward` needs: ``has_mask``. (The Functions keep their inputs with
    ``ctx.save_for_backward``, so an in-place change of a weight between forward and
    backward raises instead of giving a wrong gradient.)
    """
    B, T, _ = x.shape
    x_tm = x.detach().transpose(0, 1).contiguous()
    xp = input_projection(x_tm, w_ih, *biases)
    mask_np = np.ones((T, B), xp.dtype) if mask_tm is None else mask_tm.numpy()
    ctx.has_mask = mask_tm is not None
    return B, T, xp, mask_np


def bool_mask(mask_tm: Tensor | None) -> Tensor | None:
    """(T, B) 0/1 float mask -> (T, B, 1) bool for the torch-op loops (None stays None)."""
    return None if mask_tm is None else (mask_tm != 0).unsqueeze(-1)


def _on_tensors(torch_fn: Any, args: list[Any], mask_pos: int, mask: Tensor | None) -> Any:
    """``torch_fn`` on the kernel's ``args`` as tensors (sharing memory), its mask replaced."""
    targs = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    targs[mask_pos] = mask
    return torch_fn(*targs)


def run_forward(
    kind: str, B: int, H: int, kernel: Any, torch_fn: Any, args: list[Any], mask_pos: int,
    mask_tm: Tensor | None,
) -> None:  # fmt: skip
    """Run the forward recursion with the numba ``kernel`` or, for large B*H, ``torch_fn``.

    ``args`` are the kernel's arguments, ``args[mask_pos]`` its (T, B) float mask; the torch
    version gets the same arrays as tensors (sharing memory, so the output arrays are filled
    either way) and the mask as (T, B, 1) bools (None without one).
    """
    if TL.use_torch_loop(kind, B, H):
        _on_tensors(torch_fn, args, mask_pos, bool_mask(mask_tm))
    else:
        kernel(*args)


def run_backward(
    kind: str, B: int, H: int, kernel: Any, torch_fn: Any, args: list[Any], mask_pos: int,
    has_mask: bool,
) -> Any:  # fmt: skip
    """Run the delta recursion with the numba ``kernel`` or, for large B*H, ``torch_fn``.

    ``args`` are the kernel's arguments (numpy arrays share memory with the tensors handed
    to the torch version, so output arrays are filled either way); results come back as
    numpy arrays. The torch version gets the mask as (T, B, 1) floats (None without one).
    """
    if not TL.use_torch_backward(kind, B, H):
        return kernel(*args)
    mask = torch.from_numpy(args[mask_pos]).unsqueeze(-1) if has_mask else None
    out = _on_tensors(torch_fn, args, mask_pos, mask)
    return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()


def time_major_grad(g: Tensor) -> np.ndarray:
    """A (B,T,...) incoming gradient as a contiguous time-major numpy array."""
    return g.detach().transpose(0, 1).contiguous().numpy()


def np_grad(g: Tensor) -> np.ndarray:
    """An incoming gradient of a final state (B, F) as a contiguous numpy array."""
    return g.detach().contiguous().numpy()


def batch_first(a: np.ndarray, mask_tm: Tensor | None) -> Tensor:
    """Time-major numpy (T,B,F) states -> batch-first (B,T,F) tensor, zeroed at padding."""
    out = torch.from_numpy(a)
    if mask_tm is not None:
        out = out * mask_tm.unsqueeze(-1)
    return out.transpose(0, 1).contiguous()


def last_step(a: np.ndarray) -> Tensor:
    """The state after the last step, ``a[T-1]`` (B, F), as a tensor of its own."""
    return torch.from_numpy(a[-1].copy())


def grad_if(needed: bool, a: np.ndarray) -> Tensor | None:
    """``a`` as a tensor when its input needs a gradient, else None."""
    return torch.from_numpy(a) if needed else None


def prev_product(d: Tensor, states: Tensor, first: Tensor) -> Tensor:
    """sum_t d_t^T s_{t-1} with s_{-1} = ``first``: d (T*B, G), states (T*B, F) -> (G, F)."""
    B = first.shape[0]
    out = d[:B].t() @ first
    if d.shape[0] > B:
        out = out + d[B:].t() @ states[:-B]
    return out


def flat(a: np.ndarray) -> Tensor:
    """Time-major numpy (T, B, F) -> tensor (T*B, F) sharing memory, for the weight sums."""
    T, B, F = a.shape
    return torch.from_numpy(a).reshape(T * B, F)


def input_grads(
    ctx: Any, dz: Tensor, x: Tensor, w_ih: Tensor, i_x: int, i_w: int, biases: tuple[int, ...]
) -> tuple[Tensor | None, Tensor | None, list[Tensor | None]]:
    """dX (B,T,I), dW_ih and the bias gradients from dz (T*B, G) and the saved x, w_ih."""
    B, T, I = x.shape
    dx = dw = None
    if ctx.needs_input_grad[i_x]:
        dx = (dz @ w_ih.detach()).reshape(T, B, I).transpose(0, 1)
    if ctx.needs_input_grad[i_w]:
        dw = dz.t() @ x.detach().transpose(0, 1).reshape(T * B, I)
    db = dz.sum(0)
    return dx, dw, [db if ctx.needs_input_grad[i] else None for i in biases]

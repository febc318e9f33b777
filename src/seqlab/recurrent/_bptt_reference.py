"""Plain-torch reference forwards of the explicit-BPTT Functions, for higher-order gradients.

The ``autograd.Function``s of :mod:`seqlab.recurrent._bptt_elman` and
:mod:`seqlab.recurrent._bptt_gated` compute their backward by hand (numba kernels on numpy
arrays), so that backward is itself not differentiable: a penalty on a gradient
(``||dL/dx||^2``, gradient-norm regularisers, ``torch.autograd.gradgradcheck``) needs the graph
of the gradient, which the hand-written backward does not build. When the backward runs with
grad mode on (``create_graph=True``), each Function instead re-runs the same recurrence with
the torch ops below on its saved inputs and differentiates it with autograd
(:func:`differentiable_backward`), so every higher derivative is exact. The fast hand-written
backward still serves every ordinary ``.backward()``.

Each ``*_forward`` takes exactly the arguments of the matching Function's ``forward`` (batch-first
``x`` (B, T, I), optional initial states, PyTorch-layout weights, the activation codes of
:data:`seqlab.recurrent._bptt_kernels.ACT_CODES`, the (T, B) 0/1 mask or None) and returns the
same outputs: padded steps carry the state unchanged and the per-step outputs are 0 there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def _act(v: Tensor, code: int) -> Tensor:
    """The activation with code ``code`` (0 tanh, 1 relu, 2 identity, 3 sigmoid)."""
    if code == 0:
        return torch.tanh(v)
    if code == 1:
        return torch.relu(v)
    if code == 3:
        return torch.sigmoid(v)
    return v


def _masks(mask_tm: Tensor | None, steps: int) -> list[Tensor | None]:
    """Per-step (B, 1) bool masks (True: a real step), or None at every step."""
    if mask_tm is None:
        return [None] * steps
    return list((mask_tm != 0).unsqueeze(-1).unbind(0))


def _keep(new: Tensor, prev: Tensor, m: Tensor | None) -> Tensor:
    """``new`` at real steps, ``prev`` (the carried state) at padded ones."""
    return new if m is None else torch.where(m, new, prev)


def _padded(states: list[Tensor], mask_tm: Tensor | None) -> Tensor:
    """T x (B, F) -> (B, T, F), zero at padded steps."""
    out = torch.stack(states, 1)
    if mask_tm is None:
        return out
    return torch.where((mask_tm.t() != 0).unsqueeze(-1), out, torch.zeros_like(out))


def _projection(x: Tensor, w_ih: Tensor, *biases: Tensor | None) -> list[Tensor]:
    """``W_ih x_t + sum(biases)`` for all steps at once, as T x (B, G*H)."""
    xp = F.linear(x, w_ih)
    for b in biases:
        if b is not None:
            xp = xp + b
    return list(xp.unbind(1))


def _zeros(t: Tensor | None, x: Tensor, width: int) -> Tensor:
    return x.new_zeros(x.shape[0], width) if t is None else t


def simple_forward(
    x: Tensor, h0: Tensor | None, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
    b_hh: Tensor | None, alpha: Tensor | None, w_skip: Tensor | None, skip: int, act: int,
    mask_tm: Tensor | None,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """Elman / leaky / skip units.

    h_t = a h_{t-1} + (1-a) f(W_ih x_t + b + W_hh h_{t-1} + W_skip h_{t-k}).
    """
    h = _zeros(h0, x, w_hh.shape[0])
    states: list[Tensor] = []
    xps = _projection(x, w_ih, b_ih, b_hh)
    for t, (xp_t, m) in enumerate(zip(xps, _masks(mask_tm, x.shape[1]))):
        z = xp_t + h @ w_hh.t()
        if w_skip is not None and skip > 0 and t >= skip:
            z = z + states[t - skip] @ w_skip.t()
        u = _act(z, act)
        new = u if alpha is None else alpha * h + (1.0 - alpha) * u
        h = _keep(new, h, m)
        states.append(h)
    return _padded(states, mask_tm), h


def jordan_forward(
    x: Tensor, y0: Tensor | None, w_ih: Tensor, w_yh: Tensor, b_ih: Tensor | None,
    b_hh: Tensor | None, w_hy: Tensor, b_hy: Tensor | None, act: int, out_act: int,
    mask_tm: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """Jordan: h_t = f(W_ih x_t + b + W_yh y_{t-1}), y_t = g(W_hy h_t + b_hy)."""
    y = _zeros(y0, x, w_yh.shape[1])
    hs: list[Tensor] = []
    ys: list[Tensor] = []
    for xp_t, m in zip(_projection(x, w_ih, b_ih, b_hh), _masks(mask_tm, x.shape[1])):
        h = _act(xp_t + y @ w_yh.t(), act)
        y = _keep(_act(F.linear(h, w_hy, b_hy), out_act), y, m)
        hs.append(h)
        ys.append(y)
    return _padded(hs, mask_tm), _padded(ys, mask_tm), y


def lstm_forward(
    x: Tensor, h0: Tensor | None, c0: Tensor | None, w_ih: Tensor, w_hh: Tensor,
    b_ih: Tensor | None, b_hh: Tensor | None, mask_tm: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:  # fmt: skip
    """LSTM (gates i, f, g, o): c_t = f c_{t-1} + i g, h_t = o tanh(c_t)."""
    H = w_hh.shape[1]
    h, c = _zeros(h0, x, H), _zeros(c0, x, H)
    hs: list[Tensor] = []
    cs: list[Tensor] = []
    for xp_t, m in zip(_projection(x, w_ih, b_ih, b_hh), _masks(mask_tm, x.shape[1])):
        i, f, g, o = (xp_t + h @ w_hh.t()).chunk(4, -1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        h, c = _keep(h_new, h, m), _keep(c_new, c, m)
        hs.append(h)
        cs.append(c)
    return _padded(hs, mask_tm), _padded(cs, mask_tm), h, c


def gru_forward(
    x: Tensor, h0: Tensor | None, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
    b_hh: Tensor | None, mask_tm: Tensor | None,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """GRU (torch.nn.GRU's r, z, n): n = tanh(a_n + r (W_hn h + b_hn)), h_t = (1-z) n + z h."""
    h = _zeros(h0, x, w_hh.shape[1])
    hs: list[Tensor] = []
    for xp_t, m in zip(_projection(x, w_ih, b_ih), _masks(mask_tm, x.shape[1])):
        a_r, a_z, a_n = xp_t.chunk(3, -1)
        h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
        r, z = torch.sigmoid(a_r + h_r), torch.sigmoid(a_z + h_z)
        n = torch.tanh(a_n + r * h_n)
        h = _keep(n + z * (h - n), h, m)
        hs.append(h)
    return _padded(hs, mask_tm), h


def differentiable_backward(
    forward: Callable[..., Sequence[Tensor]], inputs: Sequence[Any], needs: Sequence[bool],
    grads: Sequence[Tensor],
) -> tuple[Tensor | None, ...]:  # fmt: skip
    """The gradients of ``inputs`` through ``forward``, as a graph (``create_graph=True``).

    ``inputs`` are the Function's forward arguments (the saved tensors, still attached to
    their history), ``needs`` its ``ctx.needs_input_grad`` and ``grads`` the incoming
    gradients of its outputs. Returns one entry per input (None where none is needed).
    """
    wrt = [t for t, need in zip(inputs, needs) if need]
    with torch.enable_grad():
        outs = forward(*inputs)
        pairs = [(o, g) for o, g in zip(outs, grads) if o.requires_grad]
        got: Sequence[Tensor | None] = [None] * len(wrt)
        if pairs:
            got = torch.autograd.grad(
                [o for o, _ in pairs], wrt, [g for _, g in pairs],
                create_graph=True, allow_unused=True,
            )  # fmt: skip
    it = iter(got)
    return tuple(next(it) if need else None for need in needs)

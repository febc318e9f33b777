"""Gradient clipping, the 'manual' remedy for exploding gradients (lecture; Pascanu et al. 2013).

Both functions act in place on the ``.grad`` of the given parameters and return the global
L2 norm of the gradient *before* clipping, ||g|| = sqrt(sum_p ||g_p||^2), which the trainer
logs every epoch.

- :func:`clip_grad_norm`: Pascanu, Mikolov & Bengio (2013), "On the difficulty of training
  recurrent neural networks", ICML, Algorithm 1: if ||g|| > threshold, g <- threshold g / ||g||.
  The direction is kept; afterwards ||g|| <= threshold (guaranteed, see below).
- :func:`clip_grad_value`: each component clamped to [-c, c] (Mikolov's earlier practice);
  it can change the direction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from seqlab._validation import check_positive

__all__ = ["clip_grad_norm", "clip_grad_value", "grad_norm"]

# relative safety margin: the rescaled gradient is computed in floating point, so the factor
# is shrunk by this much to make ||g|| <= max_norm hold after rounding (float32 included)
_MARGIN = 1e-6


def _grads(parameters: Iterable[torch.Tensor] | torch.Tensor) -> list[torch.Tensor]:
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def grad_norm(parameters: Iterable[torch.Tensor] | torch.Tensor) -> float:
    """Global L2 norm of the gradients of ``parameters`` (computed in float64).

    >>> import torch
    >>> w = torch.zeros(2, requires_grad=True); w.grad = torch.tensor([3.0, 4.0])
    >>> grad_norm([w])
    5.0
    """
    total = 0.0
    for g in _grads(parameters):
        total += float(torch.sum(g.detach().double() ** 2))
    return math.sqrt(total)


def clip_grad_norm(parameters: Iterable[torch.Tensor] | torch.Tensor, max_norm: float) -> float:
    """Rescale the gradients so that their global norm is at most ``max_norm``.

    g <- g * max_norm / ||g|| when ||g|| > max_norm (Pascanu et al. 2013, Algorithm 1).
    Returns the norm before clipping (``inf``/``nan`` when a gradient is not finite; the
    gradients are then left untouched, so the caller can skip the step).

    >>> import torch
    >>> w = torch.zeros(2, requires_grad=True); w.grad = torch.tensor([3.0, 4.0])
    >>> clip_grad_norm([w], 1.0)
    5.0
    >>> round(grad_norm([w]), 5)
    1.0
    """
    max_norm = check_positive(max_norm, "max_norm")
    params = list(parameters) if not isinstance(parameters, torch.Tensor) else [parameters]
    norm = grad_norm(params)
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm * (1.0 - _MARGIN)
        for g in _grads(params):
            g.mul_(scale)
    return norm


def clip_grad_value(parameters: Iterable[torch.Tensor] | torch.Tensor, clip_value: float) -> float:
    """Clamp every gradient component to ``[-clip_value, clip_value]``; return the pre-clip norm.

    >>> import torch
    >>> w = torch.zeros(3, requires_grad=True); w.grad = torch.tensor([-3.0, 0.5, 4.0])
    >>> clip_grad_value([w], 1.0)
    5.024937810560445
    >>> w.grad
    tensor([-1.0000,  0.5000,  1.0000])
    """
    clip_value = check_positive(clip_value, "clip_value")
    params = list(parameters) if not isinstance(parameters, torch.Tensor) else [parameters]
    norm = grad_norm(params)
    for g in _grads(params):
        g.clamp_(-clip_value, clip_value)
    return norm

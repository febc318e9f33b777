"""Losses over padded batches and the default forward call of :class:`~seqlab.training.Trainer`.

``(pred, target, mask) -> scalar``: per-step outputs (B, T, ...) are averaged over the
steps where the (B, T) ``mask`` is True (the real, unpadded steps); one output per
sequence (B, ...) passes ``mask=None``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.exceptions import SeqlabValueError

__all__ = ["LOSSES", "default_forward", "masked_cross_entropy", "masked_mse"]

LossFn = Callable[[Tensor, Tensor, Tensor | None], Tensor]


def _reduce(err: Tensor, mask: Tensor | None) -> Tensor:
    """Mean of ``err`` (B, T, ...) over the valid (B, T) entries of ``mask``."""
    if mask is None:
        return err.mean()
    m = mask.to(err.dtype).reshape(mask.shape + (1,) * (err.dim() - mask.dim()))
    per_entry = err[0, 0].numel() if err.dim() > 2 else 1
    return (err * m).sum() / (m.sum() * per_entry).clamp_min(1.0)


def masked_mse(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error over valid entries; a (B,) target meets a (B, 1) prediction.

    >>> import torch
    >>> float(masked_mse(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0])))
    2.5
    >>> float(masked_mse(torch.ones(1, 3, 1), torch.zeros(1, 3, 1), torch.tensor([[1, 1, 0]])))
    1.0
    """
    if target.dim() == pred.dim() - 1 and pred.shape[-1] == 1:
        target = target.unsqueeze(-1)
    if target.shape != pred.shape:
        raise SeqlabValueError(
            f"target shape {tuple(target.shape)} does not match the prediction {tuple(pred.shape)}."
        )
    return _reduce((pred - target.to(pred.dtype)) ** 2, mask)


def masked_cross_entropy(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Cross-entropy of logits ``pred`` (..., C) against class indices ``target`` (...).

    >>> import torch
    >>> round(float(masked_cross_entropy(torch.zeros(2, 4), torch.tensor([0, 3]))), 4)
    1.3863
    """
    if target.shape != pred.shape[:-1]:
        raise SeqlabValueError(
            f"cross_entropy needs class indices of shape {tuple(pred.shape[:-1])}; "
            f"got {tuple(target.shape)}."
        )
    ce = F.cross_entropy(
        pred.reshape(-1, pred.shape[-1]), target.reshape(-1).long(), reduction="none"
    )
    return _reduce(ce.reshape(target.shape), mask)


LOSSES: dict[str, LossFn] = {"mse": masked_mse, "cross_entropy": masked_cross_entropy}


def default_forward(model: nn.Module, x: Tensor, y: Tensor, lengths: Tensor | None) -> Tensor:
    """``model(x[, lengths=])``; teacher forcing for models with ``shift_targets`` (pattern 2)."""
    kw = {} if lengths is None else {"lengths": lengths}
    shift = getattr(model, "shift_targets", None)
    if callable(shift):
        return model(x, shift(y), **kw)
    return model(x, **kw)

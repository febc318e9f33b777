"""Losses over padded batches and the default forward call of :class:`~seqlab.training.Trainer`.

``(pred, target, mask) -> scalar``: per-step outputs (B, T, ...) are averaged over the
steps where the (B, T) ``mask`` is True (the real, unpadded steps); one output per
sequence (B, ...) passes ``mask=None``.

Targets are checked where they count: a NaN or infinite target at a real step, a complex
target, a class label that is not an integer or not in ``0..C-1`` raise
:class:`~seqlab.exceptions.SeqlabValueError` (or ``SeqlabTypeError``) instead of giving a NaN
(or a silently wrong) loss. Padded steps may hold anything (NaN, -1, -100): they are replaced
with ``torch.where`` before any arithmetic, so they reach neither the loss nor its gradient.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["LOSSES", "default_forward", "masked_cross_entropy", "masked_mse"]

LossFn = Callable[[Tensor, Tensor, Tensor | None], Tensor]


def _check_inputs(pred: object, target: object, mask: object) -> None:
    """Tensors in, and a mask of the prediction's leading (B, T) shape."""
    for name, value in (("pred", pred), ("target", target), ("mask", mask)):
        if (value is not None or name != "mask") and not isinstance(value, Tensor):
            raise SeqlabTypeError(
                f"{name} must be a torch.Tensor; got {type(value).__name__} (convert with "
                "torch.as_tensor)."
            )
    if isinstance(mask, Tensor) and isinstance(pred, Tensor):
        lead = tuple(pred.shape[: mask.dim()])
        if mask.dim() > pred.dim() or tuple(mask.shape) != lead:
            raise SeqlabValueError(
                f"mask shape {tuple(mask.shape)} does not match the prediction's leading "
                f"dimensions {lead}; give one entry per (sequence, step)."
            )


def _valid(mask: Tensor | None, like: Tensor) -> Tensor | None:
    """The (B, T) ``mask`` as bools broadcast to ``like`` (B, T, ...); None stays None."""
    if mask is None:
        return None
    m = mask.to(device=like.device) != 0
    return m.reshape(m.shape + (1,) * (like.dim() - m.dim())).expand_as(like)


def _where(valid: Tensor | None, t: Tensor, fill: float | int = 0) -> Tensor:
    """``t`` at real steps, ``fill`` at padded ones (so NaN padding never reaches a gradient)."""
    return t if valid is None else torch.where(valid, t, torch.full_like(t, fill))


def _first(bad: Tensor) -> tuple[int, ...]:
    """Index of the first True entry of ``bad``."""
    return tuple(int(i) for i in bad.nonzero()[0])


def _check_target(target: Tensor, valid: Tensor | None) -> None:
    """Refuse a complex target, or NaN/inf at real (unpadded) steps."""
    if target.is_complex():
        raise SeqlabTypeError(
            f"target is complex ({target.dtype}); losses take real numbers. Pass the real part "
            "(target.real), the modulus (target.abs()), or both as separate outputs."
        )
    if target.is_floating_point():
        bad = ~torch.isfinite(target)
        if valid is not None:
            bad &= valid
        if bool(bad.any()):
            raise SeqlabValueError(
                f"target contains {int(bad.sum())} NaN or infinite value(s) at real (unpadded) "
                f"steps (first at index {_first(bad)}); remove or impute them. NaN is allowed "
                "only at padded steps, beyond each sequence's length."
            )


def _reduce(err: Tensor, mask: Tensor | None) -> Tensor:
    """Mean of ``err`` (B, T, ...) over the valid (B, T) entries of ``mask``."""
    if mask is None:
        return err.mean()
    m = mask.to(device=err.device, dtype=err.dtype)
    m = m.reshape(mask.shape + (1,) * (err.dim() - mask.dim()))
    per_entry = err[0, 0].numel() if err.dim() > 2 else 1
    err = torch.where(m != 0, err, torch.zeros_like(err))  # NaN * 0 would be NaN
    return err.sum() / (m.sum() * per_entry).clamp_min(1.0)


def masked_mse(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error over valid entries; a (B,) target meets a (B, 1) prediction.

    >>> import torch
    >>> float(masked_mse(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0])))
    2.5
    >>> float(masked_mse(torch.ones(1, 3, 1), torch.zeros(1, 3, 1), torch.tensor([[1, 1, 0]])))
    1.0
    >>> y = torch.tensor([[[0.0], [float("nan")]]])  # NaN at a padded step: allowed
    >>> float(masked_mse(torch.ones(1, 2, 1), y, torch.tensor([[1, 0]])))
    1.0
    """
    _check_inputs(pred, target, mask)
    if target.dim() == pred.dim() - 1 and pred.shape[-1] == 1:
        target = target.unsqueeze(-1)
    if target.shape != pred.shape:
        raise SeqlabValueError(
            f"target shape {tuple(target.shape)} does not match the prediction {tuple(pred.shape)}."
        )
    valid = _valid(mask, pred)
    _check_target(target, valid)
    # padded steps: both sides replaced before the subtraction, so their gradient is exactly 0
    err = (_where(valid, pred) - _where(valid, target.to(pred.dtype))) ** 2
    return _reduce(err, mask)


def _class_indices(target: Tensor, valid: Tensor | None, n_classes: int) -> Tensor:
    """``target`` as int64 class indices; refuse non-integral or out-of-range labels."""
    if target.is_floating_point():
        frac = target != torch.round(target)
        if valid is not None:
            frac &= valid
        if bool(frac.any()):
            i = _first(frac)
            raise SeqlabValueError(
                f"cross_entropy needs integer class indices; target holds {int(frac.sum())} "
                f"non-integral value(s) (first {float(target[i])!r} at index {i}), which would "
                f"be truncated. Pass labels 0..{n_classes - 1}, or class probabilities of the "
                f"prediction's shape (..., {n_classes}) for soft labels."
            )
    labels = _where(valid, target)  # padded steps (any label, NaN, -100) -> class 0
    bad = (labels < 0) | (labels >= n_classes)  # checked before the cast: 1e20 stays 1e20
    if bool(bad.any()):
        i = _first(bad)
        raise SeqlabValueError(
            f"cross_entropy class labels must be in 0..{n_classes - 1} (the prediction has "
            f"{n_classes} classes); got {labels[i].item()!r} at index {i}. Padded steps may "
            "hold any label; at real steps every label must name a class."
        )
    return labels.long()


def _soft_labels(target: Tensor, valid: Tensor | None) -> Tensor:
    """Class probabilities (..., C): refuse negative entries or rows not summing to 1."""
    probs = _where(valid, target, 1.0 / target.shape[-1]).to(torch.float64)
    if bool((probs < 0).any()) or not torch.allclose(
        probs.sum(-1), torch.ones((), dtype=probs.dtype), atol=1e-4
    ):
        raise SeqlabValueError(
            "cross_entropy with a target of the prediction's shape (..., C) reads it as class "
            "probabilities: every entry must be >= 0 and each row must sum to 1. For class "
            "indices pass a target of shape (...) without the class axis."
        )
    return probs.to(target.dtype)


def masked_cross_entropy(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Cross-entropy of logits ``pred`` (..., C) against class indices ``target`` (...).

    Class indices may be integers or integral floats (``2.0``); a non-integral or
    out-of-range label raises. A float ``target`` of the prediction's own shape (..., C) is
    read as class probabilities (soft labels; each row sums to 1).

    >>> import torch
    >>> round(float(masked_cross_entropy(torch.zeros(2, 4), torch.tensor([0, 3]))), 4)
    1.3863
    >>> masked_cross_entropy(torch.zeros(2, 4), torch.tensor([0.0, 2.5]))
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: cross_entropy needs integer class indices; target ...
    """
    _check_inputs(pred, target, mask)
    n_classes = pred.shape[-1]
    soft = target.shape == pred.shape and target.is_floating_point()
    if target.shape != pred.shape[:-1] and not soft:
        raise SeqlabValueError(
            f"cross_entropy needs class indices of shape {tuple(pred.shape[:-1])} (or class "
            f"probabilities of shape {tuple(pred.shape)}); got {tuple(target.shape)}."
        )
    valid_step = _valid(mask, pred[..., 0])  # (B, T) steps, or None
    valid = _valid(mask, target) if soft else valid_step
    _check_target(target, valid)
    logits = _where(_valid(mask, pred), pred).reshape(-1, n_classes)
    if soft:
        goal = _soft_labels(target, valid).to(pred.dtype).reshape(-1, n_classes)
    else:
        goal = _class_indices(target, valid, n_classes).reshape(-1)
    ce = F.cross_entropy(logits, goal, reduction="none")
    return _reduce(ce.reshape(pred.shape[:-1]), mask)


LOSSES: dict[str, LossFn] = {"mse": masked_mse, "cross_entropy": masked_cross_entropy}


def default_forward(model: nn.Module, x: Tensor, y: Tensor, lengths: Tensor | None) -> Tensor:
    """``model(x[, lengths=])``; teacher forcing for models with ``shift_targets`` (pattern 2)."""
    kw = {} if lengths is None else {"lengths": lengths}
    shift = getattr(model, "shift_targets", None)
    if callable(shift):
        return model(x, shift(y), **kw)
    return model(x, **kw)

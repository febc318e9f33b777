"""Checks and helpers for padded batches of sequences (batch-first), used by the layers,
the patterns and the diagnostics; re-exported by :mod:`seqlab.recurrent.layers`."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["check_lengths_tensor", "check_sequence_tensor", "reverse_padded"]


def check_lengths_tensor(lengths: Any, batch: int, steps: int) -> Tensor:
    """Validate ``lengths`` of a padded batch: (B,) integers with ``1 <= lengths[b] <= T``.

    >>> check_lengths_tensor([3, 1], batch=2, steps=3)
    tensor([3, 1])
    >>> check_lengths_tensor([4, 1], batch=2, steps=3)
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: lengths must be <= the padded length T=3 of x; got max 4.
    """
    if isinstance(lengths, str | bytes):
        raise SeqlabTypeError(f"lengths must hold integers; got text {lengths!r}.")
    try:
        t = torch.as_tensor(lengths).detach().to("cpu")
    except (TypeError, ValueError, RuntimeError):
        raise SeqlabTypeError(f"lengths must be a sequence of integers (list, array or tensor); "
                              f"got {lengths!r}.") from None
    if t.dtype.is_floating_point or t.dtype == torch.bool or t.is_complex():
        raise SeqlabTypeError(f"lengths must hold integers; got dtype {t.dtype}.")
    if t.shape != (batch,):
        raise SeqlabValueError(
            f"lengths must have shape ({batch},) (one length per sequence); got {tuple(t.shape)}."
        )
    t = t.to(torch.int64)
    if bool((t <= 0).any()):
        raise SeqlabValueError(f"lengths must all be >= 1 (empty sequences are not allowed); got "
                         f"min {int(t.min())}.")
    if bool((t > steps).any()):
        raise SeqlabValueError(f"lengths must be <= the padded length T={steps} of x; got max "
                         f"{int(t.max())}.")
    return t


def all_finite(x: Tensor) -> bool:
    """True when every element of the float tensor ``x`` is finite.

    One reduction first: a NaN or infinite element makes the sum NaN or infinite (IEEE), so a
    finite sum proves every element finite; only a non-finite sum (a bad element, or finite
    values whose sum overflows) runs the elementwise test. ``torch.isfinite(x).all()`` alone
    took 0.15 ms of an Elman layer's 6.2 ms forward+backward at B=32 T=100 I=32 (1 thread,
    issue 19), the sum 0.007 ms.

    >>> all_finite(torch.tensor([1.0, 3e38, 3e38])), all_finite(torch.tensor([1.0, float("nan")]))
    (True, False)
    """
    xd = x.detach()
    return bool(torch.isfinite(xd.sum())) or bool(torch.isfinite(xd).all())


def check_sequence_tensor(x: Any, name: str, features: int, dtype: torch.dtype,
                          order: str = "(batch, time, features)") -> Tensor:
    """Check a 3-D real float tensor of ``features`` features, dtype ``dtype``, finite values.

    >>> check_sequence_tensor(torch.zeros(2, 3), "x", 3, torch.float32)
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: x must be 3-D (batch, time, features); got shape (2, ...
    """
    if not isinstance(x, Tensor):
        raise SeqlabTypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}.")
    if x.is_complex():
        raise SeqlabTypeError(
            f"{name} is complex ({x.dtype}); recurrent layers take real numbers. Pass the real "
            f"part ({name}.real), the modulus ({name}.abs()), or both as separate features."
        )
    if x.dim() != 3:
        raise SeqlabValueError(f"{name} must be 3-D {order}; got shape {tuple(x.shape)}. For one "
                         "sequence add a batch axis (x.unsqueeze(0)).")
    if x.shape[-1] != features:
        raise SeqlabValueError(
            f"{name} has {x.shape[-1]} features (last axis) but the model was built "
            f"for {features}."
        )
    if x.dtype != dtype:
        raise SeqlabTypeError(f"{name} has dtype {x.dtype} but the model's parameters are {dtype}; "
                        f"convert one of them ({name}.to(dtype) or model.to(dtype)).")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise SeqlabValueError(f"{name} must have at least one sequence and one step; got shape "
                         f"{tuple(x.shape)}.")
    if not all_finite(x):
        raise SeqlabValueError(
            f"{name} contains NaN or infinite values; remove or impute them (pad "
            "with zeros, not NaN)."
        )
    return x


def reverse_padded(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverse each sequence of ``x`` (B, T, ...) within its own length; padding stays last.

    Its own inverse. ``lengths=None`` reverses the whole time axis.

    >>> x = torch.arange(6.).reshape(2, 3, 1)
    >>> reverse_padded(x, torch.tensor([3, 2]))[..., 0]
    tensor([[2., 1., 0.],
            [4., 3., 5.]])
    """
    if lengths is None:
        return x.flip(1)
    steps = x.shape[1]
    t = torch.arange(steps, device=x.device)
    n = lengths.to(x.device)[:, None]
    idx = torch.where(t < n, n - 1 - t, t)  # (B, T)
    idx = idx.view(*idx.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, idx)

"""Training data for :class:`seqlab.training.Trainer`: in-memory tensors, any re-iterable of
batches (a list, a ``torch.utils.data.DataLoader``), or a :class:`TokenStream`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.training._stream import TokenStream

__all__ = [
    "Batch", "BatchData", "TensorData", "as_data", "as_dataset", "prepare", "split_validation",
]

Batch = tuple[Tensor, Tensor, Tensor | None]


def _as_tensor(a: Any, name: str) -> Tensor:
    if isinstance(a, torch.Tensor):
        t = a
    else:
        arr = np.asarray(a)
        if arr.dtype == object or arr.dtype.kind in "USV":
            raise SeqlabTypeError(f"{name} must be a numeric array or tensor; got {arr.dtype}.")
        t = torch.as_tensor(arr)
    if t.is_complex():
        raise SeqlabTypeError(f"{name} is complex; seqlab trains on real data.")
    if t.dim() == 0:
        raise SeqlabValueError(f"{name} must have a first (sequence) axis; got a scalar.")
    return t


def _parts(data: Any, name: str) -> tuple[Any, Any, Any]:
    if hasattr(data, "X") and hasattr(data, "y"):
        return data.X, data.y, getattr(data, "lengths", None)
    if isinstance(data, tuple | list) and len(data) in (2, 3):
        return data[0], data[1], data[2] if len(data) == 3 else None
    raise SeqlabTypeError(
        f"{name} must be (x, y), (x, y, lengths) or an object with X and y "
        f"attributes; got {type(data).__name__}."
    )


def as_dataset(data: Any, name: str = "train_data") -> Batch:
    """Normalise ``data`` to ``(x, y, lengths-or-None)`` tensors with the same first axis N.

    >>> x, y, lengths = as_dataset((np.zeros((4, 3, 1)), np.ones(4)))
    >>> tuple(x.shape), tuple(y.shape), lengths
    ((4, 3, 1), (4,), None)
    """
    p = _parts(data, name)
    x, y = _as_tensor(p[0], f"{name} x"), _as_tensor(p[1], f"{name} y")
    lengths = None if p[2] is None else _as_tensor(p[2], f"{name} lengths").long()
    n = x.shape[0]
    for label, t in (("y", y), ("lengths", lengths)):
        if t is not None and t.shape[0] != n:
            raise SeqlabValueError(f"{name}: x has {n} sequences but {label} has {t.shape[0]}.")
    if n == 0:
        raise SeqlabValueError(f"{name} is empty.")
    return x, y, lengths


def subset(d: Batch, idx: Tensor) -> Batch:
    """The sequences ``idx`` of ``d``."""
    return d[0][idx], d[1][idx], None if d[2] is None else d[2][idx]


class TensorData:
    """In-memory tensors, cut into mini-batches (reshuffled each epoch when asked)."""

    def __init__(self, d: Batch) -> None:
        self.d = d
        self.n = d[0].shape[0]

    def batches(self, batch_size: int, generator: torch.Generator | None) -> Iterator[Batch]:
        """Mini-batches of ``batch_size`` sequences; shuffled with ``generator`` unless None."""
        n = self.n
        order = torch.randperm(n, generator=generator) if generator is not None else None
        for start in range(0, n, batch_size):
            idx = (
                order[start : start + batch_size]
                if order is not None
                else torch.arange(start, min(start + batch_size, n))
            )
            yield subset(self.d, idx)


class BatchData:
    """Any re-iterable (a list of batches, a DataLoader) yielding ``(x, y[, lengths])``; it is
    iterated again every epoch, in its own order (``TrainConfig.shuffle`` does not apply)."""

    def __init__(self, source: Iterable[Any], name: str) -> None:
        self.source, self.name = source, name

    def batches(self, batch_size: int, generator: torch.Generator | None) -> Iterator[Batch]:
        """The source's batches, each checked."""
        count = 0
        for i, b in enumerate(self.source):
            label = f"{self.name} batch {i}"
            if not isinstance(b, tuple | list) or len(b) not in (2, 3):
                raise SeqlabTypeError(
                    f"{label} must be (x, y) or (x, y, lengths); got "
                    f"{type(b).__name__}{f' of length {len(b)}' if hasattr(b, '__len__') else ''}."
                )
            count += 1
            yield as_dataset(tuple(b), label)
        if count == 0:
            raise SeqlabValueError(f"{self.name} yielded no batches.")


Data = TensorData | BatchData | TokenStream


def as_data(data: Any, name: str = "train_data") -> Data:
    """Tensors / ``(x, y[, lengths])`` -> :class:`TensorData`; a :class:`TokenStream` as is;
    any other re-iterable of batches (list of tuples, DataLoader) -> :class:`BatchData`."""
    if isinstance(data, TokenStream | TensorData | BatchData):
        return data
    if hasattr(data, "X") and hasattr(data, "y"):
        return TensorData(as_dataset(data, name))
    # a list of (x, y[, lengths]) tuples of arrays/tensors, not (x, y) given as nested lists
    is_batch_list = isinstance(data, list) and bool(data) and all(
        isinstance(b, tuple | list) and all(isinstance(t, Tensor | np.ndarray) for t in b)
        for b in data
    )
    if isinstance(data, tuple | list) and len(data) in (2, 3) and not is_batch_list:
        return TensorData(as_dataset(data, name))
    if isinstance(data, Iterable) and not isinstance(
        data, str | bytes | dict | Tensor | tuple | np.ndarray
    ):
        if isinstance(data, Iterator):  # (iter() would start a DataLoader's workers)
            raise SeqlabTypeError(
                f"{name} is a one-shot iterator ({type(data).__name__}), but training "
                "iterates the data once per epoch; pass a list of batches or a DataLoader."
            )
        return BatchData(data, name)
    return TensorData(as_dataset(data, name))


def split_validation(data: Data, fraction: float, seed: int | None) -> tuple[Data, Data]:
    """Hold out ``fraction`` of in-memory training sequences (a seeded permutation)."""
    if not isinstance(data, TensorData):
        raise SeqlabValueError(
            f"val_fraction={fraction} splits in-memory tensors only; for a "
            f"{type(data).__name__} pass val_data (or set val_fraction=0)."
        )
    n = data.n
    n_val = max(1, round(fraction * n))
    if n_val >= n:
        raise SeqlabValueError(f"val_fraction={fraction} leaves no training data.")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed or 0))
    return TensorData(subset(data.d, perm[n_val:])), TensorData(subset(data.d, perm[:n_val]))


def prepare(train_data: Any, val_data: Any, config: Any, forward_given: bool,
            plateau: bool) -> tuple[Data, Data | None]:
    """The trainer's (training data, validation data or None), checked: ``forward=`` is not
    used for a token stream, ``val_fraction`` splits in-memory data, a plateau schedule
    (``plateau``) needs validation data."""
    data = as_data(train_data)
    val = None if val_data is None else as_data(val_data, "val_data")
    if isinstance(data, TokenStream) and forward_given:
        raise SeqlabValueError(
            "forward= is not used for a TokenStream (the model is called as "
            "model(x, state=state, return_state=True)); drop forward=."
        )
    if val is None and config.val_fraction > 0:
        data, val = split_validation(data, config.val_fraction, config.seed)
    if val is None and plateau:
        raise SeqlabValueError(
            "the plateau schedule steps on the validation loss, but there is none; pass "
            "val_data or set val_fraction > 0."
        )
    return data, val

"""Turn series into training examples: sliding windows, chronological splits, padding.

- :func:`sliding_windows` cuts one series into (input window, target window) pairs for
  one-step or multi-step forecasting, as read-only views (no copy).
- :func:`chronological_split` splits a series into train / validation / test in time
  order, never shuffled (shuffling leaks the future into training).
- :func:`pad_sequences` and :func:`lengths_to_mask` build the batch-first padded arrays
  plus lengths that the recurrent layers take for variable-length batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from seqlab._validation import check_int
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["chronological_split", "lengths_to_mask", "pad_sequences", "sliding_windows"]


def sliding_windows(
    x: Any, input_length: int, horizon: int = 1, *, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series into (input window, following target window) pairs.

    Window ``i`` starts at ``s = i * stride``: ``inputs[i] = x[s : s + input_length]`` and
    ``targets[i] = x[s + input_length : s + input_length + horizon]``.

    ========= ======================================== ================================
    name      shape                                    note
    ========= ======================================== ================================
    x         (T, ...)                                 time on the first axis
    inputs    (n_windows, input_length, ...)           read-only view into x
    targets   (n_windows, horizon, ...)                read-only view into x
    ========= ======================================== ================================

    with ``n_windows = (T - input_length - horizon) // stride + 1``. Both outputs share
    memory with ``x`` when it is already a numpy array (``np.sliding_window_view``); call
    ``np.array(inputs)`` for a writable copy.

    >>> inputs, targets = sliding_windows(np.arange(6), 3, horizon=2)
    >>> inputs.tolist(), targets.tolist()
    ([[0, 1, 2], [1, 2, 3]], [[3, 4], [4, 5]])
    >>> sliding_windows(np.arange(10), 4, stride=3)[0].shape
    (2, 4)
    """
    arr = _as_numeric(x, "x")
    if arr.ndim < 1:
        raise SeqlabValueError("x must have a time axis (at least 1-D); got a scalar.")
    L = check_int(input_length, "input_length", minimum=1)
    h = check_int(horizon, "horizon", minimum=1)
    s = check_int(stride, "stride", minimum=1)
    T = arr.shape[0]
    if T < L + h:
        raise SeqlabValueError(
            f"x is too short: it has {T} time steps but one window needs input_length + "
            f"horizon = {L} + {h} = {L + h}. Use a longer series or shorter windows."
        )
    view = sliding_window_view(arr, L + h, axis=0)  # (T - L - h + 1, ..., L + h)
    view = np.moveaxis(view, -1, 1)[::s]  # (n_windows, L + h, ...)
    return view[:, :L], view[:, L:]


def _as_numeric(x: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise SeqlabValueError(f"{name} must be a regular array (not ragged): {err}") from None
    if np.iscomplexobj(arr):
        raise SeqlabTypeError(
            f"{name} is complex; pass the real part (x.real), the modulus (abs(x)), or both "
            "as separate columns."
        )
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise SeqlabTypeError(
            f"{name} must be numeric (array-like of numbers); got dtype {arr.dtype}."
        )
    return arr


def _is_complex(x: Any) -> bool:
    try:
        return bool(np.iscomplexobj(x))
    except (TypeError, ValueError):  # ragged: reported by the conversion that follows
        return False


def chronological_split(
    x: Any, *, train: float = 0.7, validation: float = 0.15
) -> tuple[Any, Any, Any]:
    """Split along time into (train, validation, test), in order and never shuffled.

    The first ``floor(train * T)`` steps are the training part, the next
    ``floor(validation * T)`` the validation part, and the rest the test part. Works on
    numpy arrays (split along the first axis, returning views), ``pandas.Series`` and
    ``pandas.DataFrame`` (split by position with ``.iloc``, keeping the index), and any
    sequence numpy can convert.

    >>> tr, va, te = chronological_split(np.arange(20), train=0.5, validation=0.25)
    >>> tr.tolist(), va.tolist(), te.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14], [15, 16, 17, 18, 19])
    """
    fractions = {"train": train, "validation": validation}
    for name, value in fractions.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise SeqlabTypeError(f"{name} must be a fraction (a number in [0, 1]); got {value!r}.")
        if not 0.0 <= float(value) <= 1.0:
            raise SeqlabValueError(f"{name} must be a fraction in [0, 1]; got {value!r}.")
    if train <= 0:
        raise SeqlabValueError(f"train must be > 0; got {train!r}.")
    if train + validation > 1.0 + 1e-12:
        raise SeqlabValueError(
            f"train + validation must be <= 1 (the test part gets the rest); got "
            f"{train} + {validation} = {train + validation}."
        )
    is_pandas = hasattr(x, "iloc") and hasattr(x, "index")
    try:
        data: Any = x if is_pandas else np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise SeqlabValueError(f"x must be a regular array (not ragged): {err}") from None
    if _is_complex(data):
        raise SeqlabTypeError(
            "x is complex; pass the real part (x.real), the modulus (abs(x)), or both as "
            "separate columns."
        )
    if np.ndim(data) < 1:
        raise SeqlabValueError("x must have a time axis (at least 1-D); got a scalar.")
    T = len(data)
    n_train = int(np.floor(train * T + 1e-9))
    n_val = int(np.floor(validation * T + 1e-9))
    if n_train < 1:
        raise SeqlabValueError(
            f"x has {T} time steps, too few for a training part of fraction {train} "
            "(it would be empty); use a longer series or a larger train fraction."
        )
    cut = (slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, T))
    if is_pandas:
        return data.iloc[cut[0]], data.iloc[cut[1]], data.iloc[cut[2]]
    return data[cut[0]], data[cut[1]], data[cut[2]]


def pad_sequences(
    sequences: Iterable[Any],
    *,
    padding_value: float = 0.0,
    dtype: npt.DTypeLike = np.float32,
    max_length: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Stack variable-length sequences into one batch-first padded array plus lengths.

    ========== ======================= ==================================================
    name       shape                   note
    ========== ======================= ==================================================
    sequences  N items of (T_i, ...)   every item has the same trailing shape, T_i >= 1
    padded     (N, T_max, ...)         ``padded[i, T_i:]`` is ``padding_value``
    lengths    (N,) int64              T_i
    ========== ======================= ==================================================

    ``T_max = max(T_i)``, or ``max_length`` when given (it must be >= every T_i).

    >>> padded, lengths = pad_sequences([[1, 2, 3], [4]])
    >>> padded.tolist(), lengths.tolist()
    ([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]], [3, 1])
    >>> pad_sequences([np.ones((2, 3)), np.ones((4, 3))])[0].shape
    (2, 4, 3)
    """
    if isinstance(sequences, str | bytes) or not isinstance(sequences, Iterable):
        raise SeqlabTypeError(
            f"sequences must be a list (or other iterable) of arrays; got "
            f"{type(sequences).__name__}."
        )
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise SeqlabTypeError(f"dtype {dtype!r} is not a numpy dtype: {err}") from None
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_) or np.issubdtype(
        dtype, np.complexfloating
    ):
        raise SeqlabTypeError(f"dtype must be a real numeric dtype; got {dtype}.")
    if isinstance(padding_value, str | bytes) or np.iscomplexobj(padding_value):
        raise SeqlabTypeError(f"padding_value must be a real number; got {padding_value!r}.")
    items = list(sequences)
    if not items:
        raise SeqlabValueError("sequences is empty; give at least one sequence.")
    arrays: list[np.ndarray] = []
    for i, seq in enumerate(items):
        if _is_complex(seq):
            raise SeqlabTypeError(
                f"sequences[{i}] is complex; pass the real part or the modulus instead."
            )
        try:
            a = np.asarray(seq, dtype=dtype)
        except (TypeError, ValueError) as err:
            raise SeqlabTypeError(
                f"sequences[{i}] cannot be converted to {np.dtype(dtype).name} (ragged or "
                f"not numeric?): {err}"
            ) from None
        if a.ndim < 1:
            raise SeqlabValueError(
                f"sequences[{i}] is a scalar; every sequence needs a time axis (T_i, ...)."
            )
        if a.shape[0] < 1:
            raise SeqlabValueError(f"sequences[{i}] is empty; every sequence needs T_i >= 1 steps.")
        if arrays and a.shape[1:] != arrays[0].shape[1:]:
            raise SeqlabValueError(
                f"sequences[{i}] has feature shape {a.shape[1:]} but sequences[0] has "
                f"{arrays[0].shape[1:]}; all sequences must share the shape after the time "
                "axis."
            )
        arrays.append(a)
    lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    t_max = int(lengths.max())
    if max_length is not None:
        m = check_int(max_length, "max_length", minimum=1)
        if m < t_max:
            i = int(np.argmax(lengths))
            raise SeqlabValueError(
                f"max_length={m} is shorter than sequences[{i}], which has {t_max} steps."
            )
        t_max = m
    padded = np.full((len(arrays), t_max, *arrays[0].shape[1:]), padding_value, dtype=dtype)
    for i, a in enumerate(arrays):
        padded[i, : a.shape[0]] = a
    return padded, lengths


def lengths_to_mask(lengths: Any, T: int | None = None) -> np.ndarray:
    """Boolean mask (N, T) with ``mask[i, t] = t < lengths[i]`` (True on real steps).

    ``T`` defaults to ``max(lengths)``.

    >>> lengths_to_mask([3, 1], 4).astype(int).tolist()
    [[1, 1, 1, 0], [1, 0, 0, 0]]
    """
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise SeqlabValueError(
            f"lengths must be a non-empty 1-D array of integers; got {lengths!r}."
        )
    if (arr < 0).any():
        raise SeqlabValueError(f"lengths must be >= 0; got {arr.tolist()}.")
    width = int(arr.max()) if T is None else check_int(T, "T", minimum=0)
    if arr.max() > width:
        raise SeqlabValueError(f"T={width} is shorter than the longest length {int(arr.max())}.")
    return np.arange(width)[None, :] < arr[:, None]

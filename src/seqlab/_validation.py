"""Input checks shared by every model: one place that turns bad input into a clear error.

Every public entry point validates with these helpers, so a NaN, a wrong shape, a too-short
series or an unknown option is reported in the caller's terms (argument name, what was
given, what to do) instead of failing deep inside numpy or torch.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from seqlab.exceptions import (
    ComplexDataError,
    NotFittedError,
    SeqlabTypeError,
    SeqlabValueError,
)

SeedLike = int | np.random.Generator | None


def as_float_array(
    x: Any,
    name: str = "X",
    *,
    ndim: int | Collection[int] = (1, 2),
    min_length: int = 1,
    allow_nonfinite: bool = False,
    dtype: npt.DTypeLike = np.float64,
) -> np.ndarray:
    """Return ``x`` as a contiguous float array, or raise a clear error.

    Checks, in order: numeric content, number of dimensions, length of the first axis
    (``min_length``), and finiteness (NaN/inf) unless ``allow_nonfinite``.

    >>> as_float_array([1, 2, 3], "y", ndim=1)
    array([1., 2., 3.])
    >>> as_float_array([1.0, float("nan")], "y", ndim=1)
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: y contains 1 NaN or infinite value(s) (first at index ...
    """
    dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    refuse_sparse(x, name)
    if _is_complex(x):
        raise ComplexDataError(
            f"Complex data not supported: {name} is complex; seqlab's models take real "
            "numbers. Pass the real part "
            "(x.real), the modulus (abs(x)), or both as separate columns."
        )
    if getattr(getattr(x, "dtype", None), "kind", None) in ("M", "m"):
        raise SeqlabTypeError(
            f"{name} holds dates or time spans (dtype {x.dtype}); seqlab's models take plain "
            "numbers. Pass the values and keep the time stamps as the index."
        )
    if _is_text(x):
        raise SeqlabTypeError(
            f"{name} holds text (strings); seqlab's models take numbers. Parse the values "
            "first (e.g. pandas.to_numeric, or float(...) on each)."
        )
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise SeqlabTypeError(
            f"{name} must be numeric (array-like of numbers); got {type(x).__name__} "
            f"that numpy cannot convert to float: {err}"
        ) from None
    if arr.ndim not in dims:
        want = " or ".join(f"{d}-D" for d in dims)
        raise SeqlabValueError(f"{name} must be {want}; got an array of shape {arr.shape}.")
    if arr.ndim >= 1 and arr.shape[0] < min_length:
        raise SeqlabValueError(
            f"{name} is too short: it has {arr.shape[0]} observation(s) but at least "
            f"{min_length} are needed."
        )
    if not allow_nonfinite:
        bad = ~np.isfinite(arr)
        if bad.any():
            first = np.unravel_index(int(np.argmax(bad)), arr.shape)
            where = first[0] if len(first) == 1 else tuple(int(i) for i in first)
            raise SeqlabValueError(
                f"{name} contains {int(bad.sum())} NaN or infinite value(s) (first at index "
                f"{where}); remove or impute them before fitting."
            )
    return np.ascontiguousarray(arr)


def refuse_sparse(x: Any, name: str = "X") -> None:
    """Refuse a scipy.sparse matrix/array (detected without importing scipy.sparse)."""
    if hasattr(x, "toarray") and hasattr(x, "nnz"):
        raise SeqlabTypeError(
            f"{name} is a sparse matrix ({type(x).__name__}); seqlab's models take dense "
            "arrays. Pass x.toarray() if it fits in memory."
        )


def check_min_features(arr: np.ndarray, name: str = "X", minimum: int = 1) -> np.ndarray:
    """Refuse a 2-D (or 3-D) ``arr`` with fewer than ``minimum`` columns (last axis), in
    scikit-learn's words; returns ``arr``.

    >>> check_min_features(np.empty((12, 0)))
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: X has 0 feature(s) (shape=(12, 0)) while a minimum ...
    """
    if arr.ndim >= 2 and arr.shape[-1] < minimum:
        raise SeqlabValueError(
            f"{name} has {arr.shape[-1]} feature(s) (shape={arr.shape}) while a minimum of "
            f"{minimum} is required; pass data with at least {minimum} column(s)."
        )
    return arr


def _is_complex(x: Any) -> bool:
    """Whether ``x`` holds complex numbers (checked before a cast would drop them)."""
    if isinstance(x, list | tuple):
        return any(isinstance(v, complex | np.complexfloating) for v in _flat_head(x))
    if not hasattr(x, "dtype"):  # other array-likes: ask for the array, not np.* dispatch
        try:
            x = np.asarray(x)
        except (TypeError, ValueError):
            return False
    try:
        return np.dtype(x.dtype).kind == "c"
    except TypeError:  # a dtype numpy does not know (pandas extension types)
        return False


def _is_text(x: Any) -> bool:
    """True for strings, string arrays, and lists/object arrays holding strings (numpy would
    silently parse "1.5" as a number)."""
    if isinstance(x, str | bytes):
        return True
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    if kind in ("U", "S"):
        return True
    if isinstance(x, list | tuple) or (isinstance(x, np.ndarray) and kind == "O"):
        head = _flat_head(x) if isinstance(x, list | tuple) else x.ravel()[:10_000].tolist()
        return any(isinstance(v, str | bytes) for v in head)
    return False


def _flat_head(x: Any, limit: int = 10_000) -> list[Any]:
    """The first ``limit`` scalars of a nested list/tuple (to spot Python complex numbers)."""
    out: list[Any] = []
    stack = [x]
    while stack and len(out) < limit:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``; else raise ``ValueError`` naming them.

    >>> check_choice("burg", "method", ("yule_walker", "burg"))
    'burg'
    >>> check_choice("bug", "method", ("yule_walker", "burg"))
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: unknown method 'bug'; valid options are: ...
    """
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise SeqlabValueError(f"unknown {name} {value!r}; valid options are: {valid}.")
    return value


def check_int(
    value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an ``int`` within ``[minimum, maximum]`` or raise a clear error.

    >>> check_int(3, "order", minimum=0)
    3
    >>> check_int(-1, "order", minimum=0)
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: order must be >= 0; got -1.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise SeqlabTypeError(f"{name} must be an integer; got {value!r} ({type(value).__name__}).")
    value = int(value)
    if minimum is not None and value < minimum:
        raise SeqlabValueError(f"{name} must be >= {minimum}; got {value}.")
    if maximum is not None and value > maximum:
        raise SeqlabValueError(f"{name} must be <= {maximum}; got {value}.")
    return value


def check_positive(value: Any, name: str, *, strict: bool = True) -> float:
    """Return ``value`` as a finite float that is > 0 (or >= 0 when ``strict=False``)."""
    if isinstance(value, bool | str | bytes):  # float() would take True and "1e-3"
        raise SeqlabTypeError(f"{name} must be a number; got {value!r}.")
    if np.iscomplexobj(value):
        raise SeqlabTypeError(f"{name} is complex ({value!r}); it must be a real number.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SeqlabTypeError(f"{name} must be a number; got {value!r}.") from None
    if not np.isfinite(v) or (v <= 0 if strict else v < 0):
        bound = "> 0" if strict else ">= 0"
        raise SeqlabValueError(f"{name} must be a finite number {bound}; got {value!r}.")
    return v


def check_real(value: Any, name: str) -> float:
    """Return ``value`` as a finite float of any sign, or raise a clear error.

    >>> check_real(-2, "const")
    -2.0
    """
    if isinstance(value, bool | str | bytes):
        raise SeqlabTypeError(f"{name} must be a number; got {value!r}.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SeqlabTypeError(f"{name} must be a number; got {value!r}.") from None
    if not np.isfinite(v):
        raise SeqlabValueError(f"{name} must be finite; got {value!r}.")
    return v


def check_random_state(seed: SeedLike) -> np.random.Generator:
    """Turn ``seed`` (None, an int, or a Generator) into a ``numpy.random.Generator``.

    >>> a = check_random_state(0).normal(); b = check_random_state(0).normal()
    >>> a == b
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed < 0:
        raise SeqlabValueError(f"seed must be a non-negative integer; got {seed}.")
    if seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise SeqlabTypeError(
        f"seed must be None, an int or a numpy.random.Generator; got {type(seed).__name__}."
    )


def check_lengths(lengths: Any, n_samples: int, name: str = "lengths") -> np.ndarray:
    """Validate per-sequence ``lengths`` of a concatenated batch of ``n_samples`` rows.

    ``None`` means one sequence. Each length must be a positive integer and they must sum to
    ``n_samples``.

    >>> check_lengths([2, 3], 5)
    array([2, 3])
    >>> check_lengths([2, 2], 5)
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: lengths sum to 4 but the data has 5 rows; lengths must ...
    """
    if lengths is None:
        return np.array([n_samples], dtype=np.int64)
    if isinstance(lengths, list | tuple) and lengths and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in lengths
    ):
        values = [int(v) for v in lengths]  # exact Python ints, even beyond int64
    else:
        arr = np.asarray(lengths)
        if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
            raise SeqlabValueError(
                f"{name} must be a non-empty 1-D sequence of integers; got {lengths!r}."
            )
        values = [int(v) for v in arr.tolist()]  # exact Python ints: sums cannot wrap
    if min(values) <= 0:
        raise SeqlabValueError(f"{name} must all be positive; got {_short(values)}.")
    if max(values) > n_samples:
        i = int(np.argmax([v > n_samples for v in values]))
        raise SeqlabValueError(
            f"{name}[{i}] = {values[i]} is longer than the data ({n_samples} rows); "
            f"{name} must partition the rows of X."
        )
    total = sum(values)
    if total != n_samples:
        raise SeqlabValueError(
            f"{name} sum to {total} but the data has {n_samples} rows; "
            f"{name} must partition the rows of X."
        )
    return np.array(values, dtype=np.int64)


def _short(values: list[int], limit: int = 10) -> str:
    head = ", ".join(str(v) for v in values[:limit])
    return f"[{head}{', ...' if len(values) > limit else ''}]"


def check_is_fitted(estimator: object, attributes: str | Sequence[str]) -> None:
    """Raise :class:`NotFittedError` unless every learned attribute is set."""
    attrs = [attributes] if isinstance(attributes, str) else list(attributes)
    if not all(getattr(estimator, "__dict__", {}).get(a) is not None for a in attrs):
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet; call fit(...) "
            "before using it."
        )

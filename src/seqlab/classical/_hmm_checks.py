"""Checks of the hidden Markov models' priors and hyperparameters.

A NaN prior used to pass silently: the M-step's ``max(nan - 1 + counts, 0)`` kept the old
parameter, which stopped moving while the fit reported convergence.
Every prior is therefore checked once, at the start of ``fit``: finite, real, non-negative
where it is a count or a variance, and of a shape that broadcasts to the parameter's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab._validation import as_float_array
from seqlab.exceptions import SeqlabValueError

__all__ = ["check_prior", "check_stochastic"]

_SUM_TOL = 1e-6  # how far a probability row may sum away from 1


def check_prior(
    value: Any,
    name: str,
    shape: tuple[int, ...] | None,
    *,
    nonnegative: bool = True,
    what: str = "",
) -> np.ndarray:
    """Return ``value`` as a float array broadcast to ``shape``, or raise a clear error.

    ``shape=None`` checks the values only. ``what`` says what the prior is (e.g. "Dirichlet
    pseudo-counts") for the message.

    >>> check_prior(1.0, "transmat_prior", (2, 2)).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    >>> check_prior(float("nan"), "emissionprob_prior", (2, 3))
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: emissionprob_prior must be finite; got nan. ...
    """
    arr = as_float_array(value, name, ndim=range(4), allow_nonfinite=True)
    kind = f" ({what})" if what else ""
    if not np.isfinite(arr).all():
        raise SeqlabValueError(
            f"{name} must be finite; got {_show(arr)}. A NaN or infinite prior would freeze "
            f"the parameter{kind} without any error; pass finite values."
        )
    if nonnegative and (arr < 0).any():
        raise SeqlabValueError(
            f"{name} must be >= 0{kind}; got {_show(arr)}."
        )
    if shape is None:
        return arr
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise SeqlabValueError(
            f"{name} must be a scalar or an array that broadcasts to shape {shape}; got shape "
            f"{arr.shape}."
        ) from None


def _show(arr: np.ndarray) -> str:
    flat = arr.ravel()
    bad = np.flatnonzero(~np.isfinite(flat) | (flat < 0))
    first = int(bad[0]) if bad.size else 0
    if flat.size == 1:
        return repr(float(flat[0]))
    return f"{float(flat[first])!r} at flat index {first} of an array of shape {arr.shape}"


def check_stochastic(p: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``p`` as a float array of ``shape`` whose last axis holds probabilities.

    Raises ``ValueError`` naming ``name`` when the shape is wrong, an entry is negative or
    not finite, or a row does not sum to 1 (within 1e-6).

    >>> check_stochastic([[0.5, 0.5], [0.2, 0.7]], "transmat_", (2, 2))
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: transmat_ rows must each sum to 1; row(s) [1] sum to ...
    """
    # no copy (predict must not replace attributes); as_float_array refuses complex
    arr = as_float_array(p, name, ndim=range(4), allow_nonfinite=True)
    if arr.shape != shape:
        raise SeqlabValueError(f"{name} must have shape {shape}; got {arr.shape}.")
    # min >= 0 and max < inf: every entry finite and >= 0 (a NaN fails the first); two
    # reductions, and the rows' sums are examined one by one only when one is off
    if not (arr.min() >= 0.0 and arr.max() < np.inf):
        raise SeqlabValueError(f"{name} must contain finite probabilities >= 0; got {arr}.")
    sums = arr.sum(axis=-1)
    if np.abs(sums - 1.0).max() > _SUM_TOL:
        bad = np.flatnonzero(np.abs(np.atleast_1d(sums) - 1.0) > _SUM_TOL)
        if arr.ndim == 1:
            raise SeqlabValueError(f"{name} must sum to 1; it sums to {float(sums):.6g}.")
        raise SeqlabValueError(
            f"{name} rows must each sum to 1; row(s) {bad.tolist()} sum to "
            f"{np.round(sums[bad], 6).tolist()}. Normalise them (row / row.sum())."
        )
    return arr


def _target_or_lengths(X: Any, y: Any, lengths: Any) -> Any:
    """The ``lengths`` meant by ``fit(X, y, lengths)`` / ``score(X, y, lengths)``.

    scikit-learn passes a target second (``fit(X, y)``; pipelines and grid searches do);
    hmmlearn users pass ``lengths`` second (``fit(X, lengths)``). An HMM is unsupervised,
    so a target is ignored, as by scikit-learn's clusterers. The two are told apart by
    size: a second argument with one entry per row of ``X`` is a target; anything else
    there is hmmlearn's ``lengths``. A per-row array of integer ones is both (a target, or
    every row its own sequence) and is refused; pass ``lengths=`` by keyword then.

    >>> import numpy as np
    >>> X = np.zeros((5, 1))
    >>> _target_or_lengths(X, [2, 3], None), _target_or_lengths(X, np.arange(5), None)
    ([2, 3], None)
    """
    if y is None:
        return lengths
    n_rows, n_y = len(X), (len(y) if hasattr(y, "__len__") else -1)
    if n_y != n_rows:
        if lengths is not None:
            raise SeqlabValueError(
                f"y has {n_y} entries but X has {n_rows} rows; y (ignored: an HMM is "
                "unsupervised) must have one entry per row, or be left out."
            )
        return y  # hmmlearn's fit(X, lengths)
    arr = np.asarray(y)
    if lengths is None and n_rows > 1 and arr.dtype.kind in "iu" and (arr == 1).all():
        raise SeqlabValueError(
            "the second argument is all ones with one entry per row of X: it could be a "
            "target y (ignored) or lengths (every row its own sequence). Pass it by keyword: "
            "lengths=... or y=..."
        )
    return lengths

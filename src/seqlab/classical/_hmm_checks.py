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
    arr = as_float_array(p, name, ndim=range(4), allow_nonfinite=True).copy()
    if arr.shape != shape:
        raise SeqlabValueError(f"{name} must have shape {shape}; got {arr.shape}.")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise SeqlabValueError(f"{name} must contain finite probabilities >= 0; got {arr}.")
    sums = arr.sum(axis=-1)
    bad = np.flatnonzero(np.abs(np.atleast_1d(sums) - 1.0) > _SUM_TOL)
    if bad.size:
        if arr.ndim == 1:
            raise SeqlabValueError(f"{name} must sum to 1; it sums to {float(sums):.6g}.")
        raise SeqlabValueError(
            f"{name} rows must each sum to 1; row(s) {bad.tolist()} sum to "
            f"{np.round(sums[bad], 6).tolist()}. Normalise them (row / row.sum())."
        )
    return arr

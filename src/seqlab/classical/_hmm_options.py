"""hmmlearn's spellings of the hidden Markov models' options, turned into seqlab's.

hmmlearn users write ``params="stmc"`` / ``init_params=""`` (one letter per parameter),
``random_state=0`` (an int or a ``numpy.random.RandomState``) and ``implementation="log"``;
seqlab's own spellings are lists of full names (``init_params=("means",)``,
``fixed=("transmat",)``) and ``seed``. Both are accepted; the functions here turn either into
a set of parameter names or a ``numpy.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from seqlab._validation import check_choice, check_random_state
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["IMPLEMENTATIONS", "LETTER_CODES", "parameter_names", "resolve_rng"]

#: hmmlearn's one-letter codes of the model parameters
LETTER_CODES = {
    "s": "startprob",
    "t": "transmat",
    "e": "emissionprob",
    "m": "means",
    "c": "covars",
    "w": "weights",
    "l": "lambdas",
}
#: hmmlearn's ``implementation`` values; seqlab's kernels are scaled and give both results
IMPLEMENTATIONS = ("log", "scaling")


def parameter_names(
    value: Any, arg: str, param_set: tuple[str, ...], default: tuple[str, ...]
) -> set[str]:
    """The parameter names ``value`` stands for.

    ``None`` means ``default``; a string is a full name (``"transmat"``) or hmmlearn's letter
    codes (``"stmc"``, ``""`` for none); any other iterable holds full names.

    >>> sorted(parameter_names("st", "params", ("startprob", "transmat", "means"), ()))
    ['startprob', 'transmat']
    >>> parameter_names("", "init_params", ("startprob", "transmat"), ("startprob",))
    set()
    """
    if value is None:
        return set(default)
    if isinstance(value, str):
        if value in param_set:
            return {value}
        codes = {c: n for c, n in LETTER_CODES.items() if n in param_set}
        unknown = sorted({ch for ch in value if ch not in codes})
        if unknown:
            legend = ", ".join(f"{c}={n}" for c, n in codes.items())
            raise SeqlabValueError(
                f"unknown {arg} entry {value!r}: give hmmlearn's letter codes ({legend}; "
                f"{''.join(unknown)!r} is none of them) or a list of names from {param_set}."
            )
        return {codes[ch] for ch in value}
    if not isinstance(value, Iterable):
        raise SeqlabTypeError(
            f"{arg} must be None, a string of letter codes or a list of parameter names from "
            f"{param_set}; got {value!r}."
        )
    return {check_choice(v, f"{arg} entry", param_set) for v in value}


def resolve_rng(seed: Any, random_state: Any) -> np.random.Generator:
    """A Generator from seqlab's ``seed`` or hmmlearn's ``random_state`` (not two different).

    A ``numpy.random.RandomState`` (hmmlearn's habit) is accepted and advanced by one draw,
    so a shared RandomState gives different but reproducible streams to successive fits.

    >>> float(resolve_rng(None, 3).random()) == float(resolve_rng(3, None).random())
    True
    """
    same = seed is random_state or (
        isinstance(seed, int) and isinstance(random_state, int) and seed == random_state
    )
    if seed is not None and random_state is not None and not same:
        raise SeqlabValueError(
            f"give seed={seed!r} or random_state={random_state!r} (hmmlearn's name), not "
            "both; they mean the same thing."
        )
    value = seed if seed is not None else random_state
    if isinstance(value, np.random.RandomState):
        return np.random.default_rng(int(value.randint(0, 2**31 - 1)))
    return check_random_state(value)


def check_implementation(value: Any) -> str:
    """hmmlearn's ``implementation`` ("log" or "scaling"); both give the same results here."""
    return check_choice(value, "implementation", IMPLEMENTATIONS)

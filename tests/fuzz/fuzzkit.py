"""Shared pieces of the fuzz suite: settings, input strategies and the two verdicts.

The contract every public entry point is fuzzed against (issue 17):

- **valid input** gives finite output, never NaN/inf and never a traceback
  (:func:`assert_finite_result`, or :func:`assert_finite_or_refused` where a well-formed
  input may still be legitimately refused, e.g. a constant series for an AR fit);
- **invalid input** raises a :class:`seqlab.SeqlabError` with a non-empty message, never a
  raw numpy / torch / scipy / Python error (:func:`assert_seqlab_error`).

Strategies build inputs from a seed and a few shape/scale parameters (cheap to generate and
to shrink) rather than element by element.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from seqlab.exceptions import SeqlabError

PROFILE = os.environ.get("SEQLAB_FUZZ_PROFILE", "ci")


def fuzz(factor: float = 1.0) -> settings:
    """Settings of the active profile, with ``factor`` times its number of examples.

    Heavy targets (a model fit per example) use a factor below 1 so the ``ci`` profile stays
    within its time budget; ``deep`` scales up with them.
    """
    base = settings.get_profile(PROFILE)
    return settings(base, max_examples=max(1, math.ceil(base.max_examples * factor)))


FUZZ = fuzz()

# --------------------------------------------------------------------------- verdicts
def _name(err: BaseException) -> str:
    return f"{type(err).__module__}.{type(err).__qualname__}"


def assert_seqlab_error(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> SeqlabError:
    """``fn(*args, **kwargs)`` must raise a SeqlabError with a non-empty message.

    A raw error (numpy's, torch's, a KeyError, ...) or no error at all fails the test with
    the offending traceback, so the report says exactly which line leaked it.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*args, **kwargs)
    except SeqlabError as err:
        msg = str(err).strip()
        assert msg, f"{type(err).__name__} raised with an empty message"
        return err
    except Exception as err:
        raise AssertionError("invalid input raised a raw error instead of a SeqlabError: "
                             f"{_name(err)}: {err}") from err
    raise AssertionError(f"invalid input was accepted without an error; returned {_short(out)}")


def assert_finite_result(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` must return without error, every number in it finite."""
    try:
        out = fn(*args, **kwargs)
    except Exception as err:
        raise AssertionError(f"valid input raised {_name(err)}: {err}") from err
    check_finite(out)
    return out


def assert_finite_or_refused(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Either a finite result or a SeqlabError with a message (a well-formed but degenerate
    input, e.g. a constant series, may be refused); never NaN, never a raw error.

    Returns the result, or None when refused.
    """
    try:
        out = fn(*args, **kwargs)
    except SeqlabError as err:
        assert str(err).strip(), f"{type(err).__name__} raised with an empty message"
        return None
    except Exception as err:
        raise AssertionError(f"valid input raised a raw {_name(err)}: {err}") from err
    check_finite(out)
    return out


def result_or_seqlab_error(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Any outcome but a raw exception: the result, or None for a SeqlabError (for inputs
    that may or may not be valid, such as random text given to a parser)."""
    try:
        return fn(*args, **kwargs)
    except SeqlabError as err:
        assert str(err).strip(), f"{type(err).__name__} raised with an empty message"
        return None
    except Exception as err:
        raise AssertionError(f"raw {_name(err)}: {err}") from err


def check_finite(obj: Any, path: str = "result") -> None:
    """Every number reachable in ``obj`` (arrays, tensors, floats, tuples, lists, dicts,
    dataclasses, named tuples) is finite."""
    for where, value in _numbers(obj, path):
        if not np.all(np.isfinite(value)):
            raise AssertionError(f"non-finite value(s) in {where}: {_short(value)}")


def _numbers(obj: Any, path: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    if depth > 6 or obj is None or isinstance(obj, str | bytes | bool):
        return
    if hasattr(obj, "detach") and hasattr(obj, "numpy"):  # a torch tensor
        t = obj.detach()
        if t.is_floating_point() or t.is_complex():
            yield path, t.cpu().numpy()
        return
    if isinstance(obj, np.ndarray):
        if np.issubdtype(obj.dtype, np.inexact):
            yield path, obj
        return
    if isinstance(obj, float | np.floating | complex):
        yield path, obj
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _numbers(getattr(obj, f.name), f"{path}.{f.name}", depth + 1)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, f"{path}[{k!r}]", depth + 1)
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{path}[{i}]", depth + 1)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."


# --------------------------------------------------------------------------- valid data
seeds = st.integers(0, 2**32 - 1)


@st.composite
def series(
    draw: st.DrawFn,
    min_len: int = 20,
    max_len: int = 200,
    *,
    min_log_scale: float = -6.0,
    max_log_scale: float = 6.0,
    kinds: tuple[str, ...] = ("noise", "ar1", "walk", "sine", "spiky"),
) -> np.ndarray:
    """A finite, non-constant 1-D float64 series of a random kind, scale and offset."""
    rng = np.random.default_rng(draw(seeds))
    n = draw(st.integers(min_len, max_len))
    kind = draw(st.sampled_from(kinds))
    e = rng.standard_normal(n)
    if kind == "noise":
        x = e
    elif kind == "ar1":
        phi = draw(st.floats(-0.95, 0.95))
        x = np.empty(n)
        x[0] = e[0]
        for t in range(1, n):
            x[t] = phi * x[t - 1] + e[t]
    elif kind == "walk":
        x = np.cumsum(e)
    elif kind == "sine":
        x = np.sin(np.arange(n) * draw(st.floats(0.05, 2.0))) + 0.1 * e
    else:  # spiky: mostly small noise, a few large outliers
        x = 0.01 * e
        x[rng.integers(n, size=max(1, n // 20))] += rng.choice([-1.0, 1.0]) * 10.0
    scale = 10.0 ** draw(st.floats(min_log_scale, max_log_scale))
    offset = draw(st.sampled_from([0.0, 0.0, 1.0, -3.0])) * scale
    return x * scale + offset


@st.composite
def matrices(
    draw: st.DrawFn,
    min_rows: int = 10,
    max_rows: int = 120,
    min_cols: int = 1,
    max_cols: int = 4,
    *,
    max_log_scale: float = 3.0,
) -> np.ndarray:
    """A finite 2-D float64 array (rows = time steps) of random scale."""
    rng = np.random.default_rng(draw(seeds))
    n = draw(st.integers(min_rows, max_rows))
    k = draw(st.integers(min_cols, max_cols))
    scale = 10.0 ** draw(st.floats(-max_log_scale, max_log_scale))
    return rng.standard_normal((n, k)) * scale + draw(st.sampled_from([0.0, 5.0])) * scale


def random_lengths(draw: st.DrawFn, n: int, max_pieces: int = 4) -> list[int] | None:
    """None (one sequence) or positive lengths that sum to ``n``."""
    pieces = draw(st.integers(1, max(1, min(max_pieces, n))))
    if pieces == 1 and draw(st.booleans()):
        return None
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), min_size=pieces - 1,
                               max_size=pieces - 1))) if pieces > 1 else []
    bounds = [0, *cuts, n]
    return [b - a for a, b in itertools.pairwise(bounds)]


# --------------------------------------------------------------------------- invalid data
def _poison(value: float) -> Callable[[np.ndarray, int], Any]:
    def make(x: np.ndarray, i: int) -> Any:
        y = np.array(x, dtype=np.float64, copy=True)
        y.flat[i % y.size] = value
        return y
    return make


#: name -> function (a valid float array, an index) -> an invalid version of it
CORRUPTIONS: dict[str, Callable[[np.ndarray, int], Any]] = {
    "nan": _poison(math.nan),
    "inf": _poison(math.inf),
    "-inf": _poison(-math.inf),
    "complex": lambda x, i: np.asarray(x, dtype=np.float64) + 1j,
    "complex_list": lambda x, i: [complex(v, 1.0) for v in np.ravel(x)[:20]],
    "strings": lambda x, i: np.asarray(x).astype(str),
    "letters": lambda x, i: ["a"] * max(2, np.size(x)),
    "object": lambda x, i: np.array([{"a": 1}] * max(2, np.size(x)), dtype=object),
    "none": lambda x, i: None,
    "dict": lambda x, i: {"x": x},
    "scalar": lambda x, i: np.float64(np.ravel(x)[0]),
    "3d": lambda x, i: np.reshape(np.asarray(x, dtype=np.float64), (-1, 1, 1)),
    "empty": lambda x, i: np.asarray(x, dtype=np.float64)[:0],
    "ragged": lambda x, i: [[1.0, 2.0], [3.0]],
    "datetime": lambda x, i: np.arange(max(2, np.size(x))).astype("datetime64[D]"),
}

#: corruptions every array-taking entry point must refuse, whatever ndim it accepts
UNIVERSAL = ("nan", "inf", "-inf", "complex", "complex_list", "strings", "letters",
             "object", "none", "dict", "empty", "ragged", "datetime")


def corrupted(x: np.ndarray, names: tuple[str, ...] = UNIVERSAL) -> st.SearchStrategy[Any]:
    """An invalid version of ``x``: one of the named :data:`CORRUPTIONS`."""
    return st.tuples(st.sampled_from(names), st.integers(0, 10**6)).map(
        lambda c: CORRUPTIONS[c[0]](x, c[1])
    )


#: values that are never a valid count (order, n_units, n_iter, steps, ...)
BAD_COUNTS = (-1, 1.5, math.nan, math.inf, "3", None, True, [2], 2 + 0j)
#: values that are never a valid positive finite real (tol, lr, ridge, scales, ...)
BAD_POSITIVE = (0.0, -1.0, math.nan, math.inf, -math.inf, "abc", None, 1 + 1j, [0.1])
#: values that are never a valid non-negative finite real (priors, weights, noise, ...)
BAD_NONNEGATIVE = (-1.0, math.nan, math.inf, "abc", None, 1 + 1j)
#: never a valid option string
BAD_CHOICES = ("", "bogus", "LSTM ", 3, ["tanh"])

bad_counts = st.sampled_from(BAD_COUNTS)
bad_positive_floats = st.sampled_from(BAD_POSITIVE)
bad_choices = st.sampled_from(BAD_CHOICES)


# --------------------------------------------------------------------------- case tables
def case_id(name: str, value: Any) -> str:
    return f"{name}={value!r}"


def bad_cases(
    table: dict[str, tuple[Any, ...]], known: dict[str, str] | None = None, owner: str = ""
) -> list[Any]:
    """``pytest.param((name, value))`` for each argument ``name`` and each invalid ``value``.

    ``known`` maps a case id (``"tol=nan"``, see :func:`case_id`) to what is wrong today:
    that case is a strict xfail, so it turns red (and the mark must go) once fixed.
    """
    known = dict(known or {})
    out = []
    for name, values in table.items():
        for value in values:
            cid = case_id(name, value)
            marks = []
            if cid in known:
                reason = known.pop(cid)
                marks.append(pytest.mark.xfail(strict=True, reason=f"{owner} — {reason}"))
            out.append(pytest.param(name, value, id=cid, marks=marks))
    assert not known, f"known failures that match no case: {sorted(known)}"
    return out

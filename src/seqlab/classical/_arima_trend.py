"""ARIMA's deterministic trend: statsmodels' ``trend`` specification, names and regressors.

``trend`` is ``"n"``, ``"c"`` (constant), ``"t"`` (linear), ``"ct"``, ``"ctt"`` (with
``t^2``) or, as in statsmodels and ``numpy.poly1d``, a list of polynomial coefficients flags:
``[1, 0, 1]`` is ``a + c t^2`` (entry ``k`` > 0 includes ``t^k``; ``t = 1, 2, ...``). The
terms enter the mean (regression with SARIMA errors), so with integration ``d + D`` a term of
lower order is eliminated by differencing: statsmodels refuses it, and so does seqlab, with
statsmodels' message.

Names follow statsmodels' ``tsa.arima.model.ARIMA``, which names the trend columns as part
of its regressors: ``const`` for ``t^0`` and ``x1, x2, ...`` for the other terms and then the
(array) regressors; with pandas regressors ``const``, ``drift`` (``t``), ``trend.k``
(``t^k``) and the column names.

>>> trend_powers([1, 0, 1], 0)
(0, 2)
>>> trend_names((0, 1, 2), None, 0)
['const', 'x1', 'x2']
>>> trend_powers("c", 1)
Traceback (most recent call last):
...
seqlab.exceptions.SeqlabValueError: trend='c' has a term of order 0 < d + D = 1. In models ...
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["trend_cols", "trend_label", "trend_names", "trend_powers"]

NAMED = {"n": (), "c": (0,), "t": (1,), "ct": (0, 1), "ctt": (0, 1, 2)}

_SM_INTEGRATION = (
    "In models with integration (`d > 0`) or seasonal integration (`D > 0`), trend terms of "
    "lower order than `d + D` cannot be (as they would be eliminated due to the differencing "
    "operation). For example, a constant cannot be included in an ARIMA(1, 1, 1) model, but "
    "including a linear trend, which would have the same effect as fitting a constant to the "
    "differenced data, is allowed.")


def _bad(trend: Any) -> SeqlabTypeError:
    return SeqlabTypeError(
        "trend must be one of 'n', 'c', 't', 'ct', 'ctt' or a list of polynomial flags as in "
        f"statsmodels, e.g. [1, 0, 1] for const + t^2; got {trend!r}")


def trend_powers(trend: Any, dd: int) -> tuple[int, ...]:
    """The powers of ``t`` that ``trend`` includes, checked against ``d + D = dd``."""
    if isinstance(trend, str):
        if trend not in NAMED:
            raise SeqlabValueError(
                f"unknown trend {trend!r}; valid options are 'n', 'c', 't', 'ct', 'ctt' or a "
                "list of polynomial flags such as [1, 0, 1]")
        powers: tuple[int, ...] = NAMED[trend]
    elif isinstance(trend, list | tuple | np.ndarray) and not isinstance(trend, bool):
        arr = np.asarray(trend)
        if arr.ndim != 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)
                                 or np.issubdtype(arr.dtype, np.floating)):
            raise _bad(trend)
        if arr.size and not np.all(np.isfinite(arr)):
            raise _bad(trend)
        powers = tuple(int(k) for k in np.flatnonzero(arr > 0))
    else:
        raise _bad(trend)
    if powers and powers[0] < dd:
        raise SeqlabValueError(
            f"trend={trend!r} has a term of order {powers[0]} < d + D = {dd}. "
            f"{_SM_INTEGRATION} Drop the terms of order < {dd} (the term is not identified), "
            "e.g. trend='t' for a drift with d + D = 1, or trend='n'")
    return powers


def trend_label(powers: tuple[int, ...]) -> str:
    """``"n"``, ``"c"``, ``"t"``, ``"ct"``, ``"ctt"`` when ``powers`` is one of those, else
    the flag list (for messages and for the fast kernel's ``'n'/'c'/'t'``)."""
    for name, pw in NAMED.items():
        if pw == powers:
            return name
    flags = [0] * (max(powers) + 1)
    for k in powers:
        flags[k] = 1
    return str(flags)


def trend_names(powers: tuple[int, ...], exog: Any, k_exog: int) -> list[str]:
    """statsmodels' ARIMA names of the trend columns followed by ``k_exog`` regressors."""
    from seqlab.classical._sarimax_data import exog_names

    if exog is not None and hasattr(exog, "iloc"):  # pandas regressors: named trend terms
        tnames = ["const" if k == 0 else "drift" if k == 1 else f"trend.{k}" for k in powers]
        return tnames + exog_names(exog, k_exog)
    names, i = [], 0
    for k in powers:
        if k == 0:
            names.append("const")
        else:
            i += 1
            names.append(f"x{i}")
    return names + [f"x{i + j + 1}" for j in range(k_exog)]


def trend_cols(powers: tuple[int, ...], start: int, n: int) -> np.ndarray:
    """(n, len(powers)) regressors ``t^k`` for periods ``start .. start + n - 1``, t = period
    + 1."""
    t = np.arange(start + 1, start + n + 1, dtype=np.float64)
    return np.column_stack([t**k for k in powers]) if powers else np.zeros((n, 0))

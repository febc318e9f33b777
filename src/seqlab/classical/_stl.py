"""STL (Seasonal-Trend decomposition by LOESS), non-robust, as statsmodels' ``STL``.

A numba port of the non-robust path of statsmodels' ``tsa/stl/_stl.pyx`` (itself a port of
Cleveland et al.'s 1990 NETLIB Fortran) with all jumps 1: ``inner_iter`` passes of
(cycle-subseries LOESS, low-pass filter, seasonal = smoothed - low-pass, trend LOESS of the
deseasonalised series). Used by :func:`seqlab.classical.unitroot.seasonal_strength`, whose
decisions must equal statsforecast's (which calls statsmodels' STL), so the arithmetic
follows the original step by step.

>>> import numpy as np
>>> t = np.arange(48)
>>> seas, trend = stl(np.sin(2 * np.pi * t / 12) + 0.1 * t, 12, seasonal=11, seasonal_deg=0)
>>> seas.shape, trend.shape
((48,), (48,))
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

import numpy as np

from seqlab._jit import interpreted, njit

__all__ = ["stl"]

# A short series is decomposed by the kernels' code run by the interpreter (the same IEEE
# operations, hence the same numbers; ~1 us per unit of ``inner * n * (windows)``, 0.03 s
# for a monthly series of 12 years) instead of compiling them (~2 s CPU once): up to
# INTERPRETED_MAX_WORK units a call, and until an estimated INTERPRETED_BUDGET_S seconds are
# spent, counted over the processes that share numba's cache folder
# (``seqlab._jit.FirstCalls``); compiled (and cached) then, or once compiled or cached.
INTERPRETED_MAX_WORK = 100_000
INTERPRETED_BUDGET_S = 0.5


# callers pass np.int64(...) for constant ints: a literal argument would compile one more
# specialisation of _est/_ma (one per literal value)
@njit(cache=True)
def _est(y: np.ndarray, n: int, len_: int, ideg: int, xs: float, nleft: int | np.int64,
         nright: int, w: np.ndarray) -> float:
    rng = n - 1.0
    h = float(max(xs - nleft, nright - xs))
    if len_ > n:
        h += (len_ - n) // 2
    h9 = 0.999 * h
    h1 = 0.001 * h
    a = 0.0
    for j in range(nleft - 1, nright):
        w[j] = 0.0
        r = abs(j + 1 - xs)
        if r <= h9:
            if r <= h1:
                w[j] = 1.0
            else:  # (1 - (r / h)^3)^3 by products, as numba computes ``x ** 3`` (the
                # interpreter's ``**`` calls pow(), which may round differently)
                u = r / h
                u = 1.0 - u * u * u
                w[j] = u * u * u
            a += w[j]
    if a <= 0:
        return math.nan
    for j in range(nleft - 1, nright):
        w[j] = w[j] / a
    if h > 0 and ideg > 0:
        a = 0.0
        for j in range(nleft - 1, nright):
            a += w[j] * (j + 1)
        b = xs - a
        c = 0.0
        for j in range(nleft - 1, nright):
            c += w[j] * ((j + 1 - a) * (j + 1 - a))
        if math.sqrt(c) > 0.001 * rng:
            b = b / c
            for j in range(nleft - 1, nright):
                w[j] = w[j] * (b * (j + 1 - a) + 1.0)
    ys = 0.0
    for j in range(nleft - 1, nright):
        ys += w[j] * y[j]
    return ys


@njit(cache=True)
def _ess(y: np.ndarray, n: int, len_: int, ideg: int, ys: np.ndarray, off: int | np.int64,
         res: np.ndarray) -> None:
    """LOESS smooth of ``y[:n]`` into ``ys[off:off + n]`` (jump 1)."""
    if n < 2:
        ys[off] = y[0]
        return
    if len_ >= n:
        for i in range(n):
            v = _est(y, n, len_, ideg, i + 1.0, np.int64(1), n, res)
            ys[off + i] = y[i] if math.isnan(v) else v
        return
    nsh = (len_ + 2) // 2
    nleft = 1
    nright = len_
    for i in range(n):
        if (i + 1) > nsh and nright != n:
            nleft += 1
            nright += 1
        v = _est(y, n, len_, ideg, i + 1.0, nleft, nright, res)
        ys[off + i] = y[i] if math.isnan(v) else v


@njit(cache=True)
def _ma(x: np.ndarray, n: int, len_: int | np.int64, ave: np.ndarray) -> None:
    newn = n - len_ + 1
    v = 0.0
    for i in range(len_):
        v += x[i]
    ave[0] = v / len_
    k = len_
    m = 0
    for j in range(1, newn):
        v += x[k] - x[m]
        ave[j] = v / len_
        k += 1
        m += 1


@njit(cache=True)
def _stl(y: np.ndarray, period: int, ns: int, nt: int, nl: int, isdeg: int, itdeg: int,
         ildeg: int, inner: int) -> tuple[np.ndarray, np.ndarray]:
    n = y.shape[0]
    npd = period
    work = np.zeros((5, n + 2 * npd))
    season = np.zeros(n)
    trend = np.zeros(n)
    scratch = np.zeros(n)
    for _ in range(inner):
        for i in range(n):
            work[0, i] = y[i] - trend[i]
        # cycle-subseries smoothing, extended one cycle at each end, into work[1]
        for j in range(npd):
            k = (n - (j + 1)) // npd + 1
            for i in range(k):
                work[2, i] = work[0, i * npd + j]
            _ess(work[2], k, ns, isdeg, work[3], np.int64(1), scratch)
            nright = min(ns, k)
            v = _est(work[2], k, ns, isdeg, 0.0, np.int64(1), nright, scratch)
            work[3, 0] = work[3, 1] if math.isnan(v) else v
            nleft = max(1, k - ns + 1)
            v = _est(work[2], k, ns, isdeg, k + 1.0, nleft, k, scratch)
            work[3, k + 1] = work[3, k] if math.isnan(v) else v
            for m in range(k + 2):
                work[1, m * npd + j] = work[3, m]
        # low-pass filter of the cycle-subseries: three moving averages then LOESS
        nn = n + 2 * npd
        _ma(work[1], nn, npd, work[2])
        _ma(work[2], nn - npd + 1, npd, work[0])
        _ma(work[0], nn - 2 * npd + 2, np.int64(3), work[2])
        _ess(work[2], n, nl, ildeg, work[0], np.int64(0), work[4])
        for i in range(n):
            season[i] = work[1, npd + i] - work[0, i]
            work[0, i] = y[i] - season[i]
        _ess(work[0], n, nt, itdeg, trend, np.int64(0), work[2])
    return season, trend


def stl(
    y: np.ndarray,
    period: int,
    seasonal: int = 7,
    seasonal_deg: int = 1,
    trend_deg: int = 1,
    low_pass_deg: int = 1,
    inner_iter: int = 5,
) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal and trend components (n,) of ``y`` (n,) with statsmodels' default windows.

    ``trend`` window: the smallest odd integer >= ``1.5 period / (1 - 1.5 / seasonal)``;
    low-pass window: the smallest odd integer > ``period``. The remainder is
    ``y - seasonal - trend``.
    """
    trend_len = int(np.ceil(1.5 * period / (1 - 1.5 / seasonal)))
    trend_len += (trend_len % 2) == 0
    low_pass = period + 1
    low_pass += (low_pass % 2) == 0
    arr = np.ascontiguousarray(y, dtype=np.float64)
    work = inner_iter * arr.shape[0] * (seasonal + trend_len + low_pass)
    return _kernel(work)(arr, int(period), int(seasonal), trend_len, low_pass,
                         int(seasonal_deg), int(trend_deg), int(low_pass_deg),
                         int(inner_iter))


@functools.cache
def _interpreted() -> Any:
    return interpreted(sys.modules[__name__], ("_est", "_ess", "_ma", "_stl"))._stl


def _gate() -> Any:
    from seqlab._jit import GATES, FirstCalls

    return GATES.get("stl") or FirstCalls("stl", lambda: (_stl,), INTERPRETED_BUDGET_S)


def _kernel(work: int) -> Any:
    """The compiled ``_stl`` or its interpreted twin (module comment above)."""
    if work > INTERPRETED_MAX_WORK or not _gate().interpret(work * 1e-6):
        return _stl
    return _interpreted()

"""Unit-root tests that choose the differencing orders d and D for AutoARIMA.

* :func:`kpss` -- the KPSS level-stationarity statistic (Kwiatkowski et al. 1992)::

      eta = sum_t S_t^2 / (n^2 s2),   S_t = sum_{i<=t} (y_i - ybar),
      s2  = (1/n) [sum e_t^2 + 2 sum_{l=1}^{L} (1 - l/(L+1)) sum_t e_t e_{t-l}]

  with statsmodels' p-value: linear interpolation in the table (0.347, 0.463, 0.574, 0.739)
  -> (0.10, 0.05, 0.025, 0.01), clipped to [0.01, 0.10].
* :func:`ndiffs` -- R forecast's / statsforecast's rule: difference while KPSS rejects
  (p < alpha) with ``L = floor(3 sqrt(n) / 13)`` lags, at most ``max_d`` times.
* :func:`seasonal_strength` and :func:`nsdiffs` -- the ``"seas"`` heuristic (statsforecast's
  default): seasonally difference while the STL seasonal strength
  ``max(0, min(1, 1 - var(R) / var(R + S)))`` exceeds 0.64.

Every decision equals statsforecast 2.1.1's ``ndiffs``/``nsdiffs`` on the same input,
including its quirks: after each difference ``ndiffs`` drops one more leading value (its
``diff(x, 1, 1)[1:]``), and a KPSS that cannot run (too few values) counts as "no
difference".

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> ndiffs(np.cumsum(rng.normal(size=200)))          # a random walk needs one difference
1
>>> ndiffs(rng.normal(size=200))
0
>>> t = np.arange(120)
>>> nsdiffs(10 * np.sin(2 * np.pi * t / 12) + rng.normal(size=120), period=12)
1
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from seqlab._validation import as_float_array, check_choice, check_int
from seqlab.exceptions import SeqlabValueError

__all__ = ["kpss", "ndiffs", "nsdiffs", "seasonal_strength"]

#: statsmodels' KPSS critical values (level stationarity) and their p-values
_KPSS_CRIT = np.array([0.347, 0.463, 0.574, 0.739])
_KPSS_PVALS = np.array([0.10, 0.05, 0.025, 0.01])
#: seasonal strength above which nsdiffs(test="seas") differences (R forecast's 0.64)
SEAS_THRESHOLD = 0.64


def _is_constant(x: np.ndarray) -> bool:
    return bool(np.all(x[0] == x))


def kpss(y: Any, nlags: int | None = None) -> tuple[float, float, int]:
    """KPSS level-stationarity test of ``y`` (n,): ``(statistic, p_value, nlags)``.

    ``nlags`` defaults to ``floor(3 sqrt(n) / 13)`` (the lag ndiffs uses); the p-value is
    statsmodels' interpolation, clipped to [0.01, 0.10]. Same figures as
    ``statsmodels.tsa.stattools.kpss(y, "c", nlags=nlags)``.

    >>> import numpy as np
    >>> stat, p, lags = kpss(np.cumsum(np.random.default_rng(1).normal(size=100)))
    >>> p, lags
    (0.01, 2)
    """
    x = as_float_array(y, "y", ndim=1, min_length=2)
    n = x.shape[0]
    lags = math.floor(3 * math.sqrt(n) / 13) if nlags is None else check_int(
        nlags, "nlags", minimum=0)
    if lags >= n:
        raise SeqlabValueError(f"nlags ({lags}) must be smaller than the series length ({n})")
    resid = x - x.mean()
    eta = float(np.sum(np.cumsum(resid) ** 2)) / n**2
    s_hat = float(np.sum(resid**2))
    for i in range(1, lags + 1):
        s_hat += 2.0 * float(np.dot(resid[i:], resid[: n - i])) * (1.0 - i / (lags + 1.0))
    s_hat /= n
    if s_hat <= 0.0:
        raise SeqlabValueError("y is constant: the KPSS statistic is undefined")
    stat = eta / s_hat
    return stat, float(np.interp(stat, _KPSS_CRIT, _KPSS_PVALS)), lags


def _check_alpha(alpha: float) -> float:
    a = float(alpha)
    if not 0.01 <= a <= 0.1:
        raise SeqlabValueError(
            f"alpha must lie in [0.01, 0.1] (the range of the KPSS table); got {alpha!r}")
    return a


def ndiffs(y: Any, alpha: float = 0.05, test: str = "kpss", max_d: int = 2) -> int:
    """Number of first differences (0..``max_d``) that make ``y`` level-stationary by KPSS.

    NaN values are dropped first (as statsforecast does). ``test``: only ``"kpss"``.
    """
    check_choice(test, "test", ("kpss",))
    a = _check_alpha(alpha)
    max_d = check_int(max_d, "max_d", minimum=0)
    x = as_float_array(y, "y", ndim=1, allow_nonfinite=True)
    x = x[~np.isnan(x)]
    if x.size == 0 or _is_constant(x):
        return 0

    def rejects(z: np.ndarray) -> bool:
        try:
            return kpss(z)[1] < a
        except SeqlabValueError:  # too short or constant: statsforecast counts no difference
            return False

    d = 0
    dodiff = rejects(x)
    while dodiff and d < max_d:
        d += 1
        x = np.diff(x)[1:]  # statsforecast's diff(x, 1, 1)[1:] drops one value too many
        if x.size == 0 or _is_constant(x):
            return d
        dodiff = rejects(x)
    return d


def seasonal_strength(y: Any, period: int) -> float:
    """STL seasonal strength ``max(0, min(1, 1 - var(R) / var(R + S)))`` of ``y`` (n,).

    STL with a seasonal window of 11 and degree-0 seasonal LOESS, as R forecast's ``mstl``
    (and statsforecast's ``seas_heuristic``); variances with ``ddof=1``.
    """
    from seqlab.classical._stl import stl

    x = as_float_array(y, "y", ndim=1)
    period = check_int(period, "period", minimum=2)
    if x.shape[0] < period + 1:
        raise SeqlabValueError(
            f"y has {x.shape[0]} values; the seasonal strength needs more than one period "
            f"({period})")
    seas, trend = stl(x, period, seasonal=11, seasonal_deg=0)
    rem = x - seas - trend
    vare = float(np.var(rem, ddof=1))
    return max(0.0, min(1.0, 1.0 - vare / float(np.var(rem + seas, ddof=1))))


def nsdiffs(y: Any, period: int, test: str = "seas", max_D: int = 1) -> int:
    """Number of seasonal differences (0..``max_D``) by the seasonal-strength heuristic.

    Differences while :func:`seasonal_strength` > 0.64 (R forecast's ``nsdiffs(test="seas")``).
    ``test``: only ``"seas"`` (statsforecast runs this heuristic whatever test it is given).
    """
    check_choice(test, "seasonal_test", ("seas",))
    period = check_int(period, "period", minimum=2)
    max_D = check_int(max_D, "max_D", minimum=0)
    x = as_float_array(y, "y", ndim=1, allow_nonfinite=True)
    if _is_constant(x) or period >= x.shape[0]:
        return 0
    if not np.isfinite(x).all():
        warnings.warn(
            "nsdiffs: y has missing values, so its STL seasonal strength cannot be computed; "
            "using 0 seasonal differences (as statsforecast does); pass D explicitly to choose",
            RuntimeWarning,
            stacklevel=2,
        )
        return 0

    def strong(z: np.ndarray) -> bool:
        try:
            return seasonal_strength(z, period) > SEAS_THRESHOLD
        except SeqlabValueError:
            return False

    D = 0
    dodiff = strong(x)
    while dodiff and D < max_D:
        D += 1
        x = x[period:] - x[:-period]
        if _is_constant(x):
            return D
        dodiff = strong(x) if x.shape[0] >= 2 * period and D < max_D else False
    return D

"""Power-of-two units: fit data of any magnitude float64 can hold without overflow.

Squares of values above ~1e154 overflow and squares below ~1e-154 underflow, so a variance,
a sum of squares or a Gaussian density computed directly on such data is inf, 0 or NaN. The
classical models therefore fit ``x / c`` and convert the results back (a location scales by
``c``, a variance by ``c^2``, a log-density of ``n`` scalars shifts by ``-n log c``). ``c`` is a
power of two, so ``x / c`` and the conversions back are exact in floating point: the fit is
the same computation as on data that were of ordinary size to begin with.

``c = 1`` (no rescaling at all) while the magnitude lies in ``[1e-100, 1e100]``, where every
square and sum of squares is comfortably representable, unless ``always`` (ARIMA, whose
optimiser and numerical Hessian then see bit-identical input for ``y`` and ``2^k y``).

>>> unit_for(3.0e200) == 2.0 ** 666, unit_for(5.0), unit_for(0.0)
(True, 1.0, 1.0)
>>> x = 3.0e200
>>> (x / unit_for(x)) * unit_for(x) == x
True
"""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["in_units", "magnitude", "unit_for", "variance_from_units"]

_LOW, _HIGH = 1e-100, 1e100
EPS = float(np.finfo(np.float64).eps)


def magnitude(x: np.ndarray) -> float:
    """Largest absolute value in ``x`` (0 for an empty array)."""
    return float(np.max(np.abs(x))) if np.size(x) else 0.0


def unit_for(mag: float, always: bool = False) -> float:
    """The power of two ``c`` to divide data of magnitude ``mag`` by (1.0 if not needed).

    For ``mag`` outside ``[1e-100, 1e100]`` (any ``mag > 0`` when ``always``), ``c = 2^e`` with
    ``mag / c`` in ``(0.5, 1]``.
    """
    if not (mag > 0.0 and math.isfinite(mag)) or (not always and _LOW <= mag <= _HIGH):
        return 1.0
    return math.ldexp(1.0, min(math.frexp(mag)[1], 1023))


def in_units(x: np.ndarray, always: bool = False) -> tuple[np.ndarray, float]:
    """``(x / c, c)`` with ``c = unit_for(magnitude(x), always)`` (``x`` itself if ``c = 1``)."""
    c = unit_for(magnitude(x), always)
    return (x if c == 1.0 else x / c), c


def variance_from_units(
    v: float | np.ndarray, c: float | np.ndarray, name: str
) -> float | np.ndarray:
    """``v c^2`` (a variance in the data's units), warning when it leaves float64's range.

    Computed as ``(v c) c`` so the product overflows only when the result does. The
    warning names the quantity and says what stays exact.
    """
    v_arr = np.asarray(v, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        out = (v_arr * c) * c
    bad = (v_arr > 0) & ((out == 0) | ~np.isfinite(out))
    if np.any(bad):
        first = np.flatnonzero(bad.ravel())[0]
        c_bad = float(np.broadcast_to(c, out.shape).ravel()[first])
        got = float(out.ravel()[first])
        warnings.warn(
            f"{name} is {'above' if got > 0 else 'below'} float64's range (the data's "
            f"magnitude, ~{c_bad:.3g}, squared) and is reported as {got}; the other "
            "estimates, the log-likelihood, the forecasts and their intervals are exact. "
            "Divide the data by a power of ten before fitting to read it.",
            RuntimeWarning,
            stacklevel=3,
        )
    return float(out) if np.ndim(out) == 0 else out

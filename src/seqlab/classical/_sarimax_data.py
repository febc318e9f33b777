"""Input checks and pandas index handling for SARIMAX (series, exog, future periods)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from seqlab._validation import as_float_array
from seqlab.exceptions import SeqlabValueError

__all__ = ["check_endog", "check_exog", "future_index", "index_info", "past_index"]


def check_endog(y: Any) -> np.ndarray:
    """``y`` as a float (n,) array; NaN allowed (missing), inf, 2-D and all-NaN refused."""
    if hasattr(y, "ndim") and getattr(y, "ndim", 1) == 2 and getattr(y, "shape", (0, 0))[1] == 1:
        y = np.asarray(y)[:, 0] if not hasattr(y, "iloc") else y.iloc[:, 0]
    arr = np.asarray(y) if not hasattr(y, "to_numpy") else y.to_numpy()
    if getattr(arr, "ndim", 1) != 1:
        raise SeqlabValueError(
            f"y must be one series (1-D), got shape {np.shape(arr)}; pass regressors as "
            "exog=... (n, k), and fit independent series one model at a time"
        )
    out = as_float_array(arr, "y", ndim=1, allow_nonfinite=True)
    if np.isinf(out).any():
        raise SeqlabValueError("y contains infinite values; replace them by NaN (missing) "
                               "or remove them")
    if np.isnan(out).all():
        raise SeqlabValueError("y holds no observed value (all NaN); nothing to fit")
    return out


def check_exog(exog: Any, n: int, k: int | None, name: str = "exog") -> np.ndarray:
    """``exog`` as a finite float (n, k) array (1-D is one column); ``k=None`` any width."""
    if exog is None:
        if k:
            raise SeqlabValueError(
                f"the model was fitted with {k} exogenous regressor(s); pass {name} with "
                f"shape ({n}, {k}) holding their values for the forecast periods"
            )
        return np.zeros((n, 0))
    arr = as_float_array(exog.to_numpy() if hasattr(exog, "to_numpy") else exog, name,
                         ndim=(1, 2), min_length=0)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] != n or (k is not None and arr.shape[1] != k):
        want = f"({n}, {k})" if k is not None else f"({n}, k)"
        raise SeqlabValueError(f"{name} has shape {arr.shape}; expected {want}"
                               + (" (one row per forecast step, one column per regressor "
                                  "used in fit)" if k is not None else " (one row per "
                                  "observation of y)"))
    return arr


def exog_names(exog: Any, k: int) -> list[str]:
    """Column names of a DataFrame exog (statsmodels' ``x1..xk`` otherwise)."""
    cols = getattr(exog, "columns", None)
    if cols is not None and len(cols) == k:
        return [str(c) for c in cols]
    name = getattr(exog, "name", None)
    if name is not None and k == 1:
        return [str(name)]
    return [f"x{i + 1}" for i in range(k)]


def index_info(y: Any) -> tuple[str, str, str]:
    """(kind, last, freq) of a pandas series' index: kind ``date``/``period``/``range``/``none``.

    Dates need a frequency (given or inferable) to extend into the future.
    """
    idx = getattr(y, "index", None)
    if idx is None:
        return ("none", "", "")
    import pandas as pd

    if isinstance(idx, pd.DatetimeIndex | pd.PeriodIndex) and len(idx):
        freq = idx.freqstr if idx.freq is not None else (
            pd.infer_freq(idx) if len(idx) >= 3 and isinstance(idx, pd.DatetimeIndex) else None)
        if freq:
            kind = "date" if isinstance(idx, pd.DatetimeIndex) else "period"
            return (kind, str(idx[-1]), str(freq))
    if isinstance(idx, pd.RangeIndex):
        return ("range", str(idx[-1] + idx.step if len(idx) else idx.start), str(idx.step))
    if isinstance(idx, pd.DatetimeIndex | pd.PeriodIndex):
        warnings.warn(
            "y's date index has no frequency (irregular dates), so forecasts are indexed by "
            "position (n, n + 1, ...); set a frequency (y.asfreq('MS'), ...) to get dates",
            UserWarning,
            stacklevel=3,
        )
    return ("none", "", "")


def future_index(info: tuple[str, str, str], n: int, steps: int) -> Any:
    """The pandas index of ``steps`` future periods (positions ``n ..`` when unknown)."""
    import pandas as pd

    kind, last, freq = info
    if kind == "date":
        return pd.date_range(start=pd.Timestamp(last), periods=steps + 1, freq=freq)[1:]
    if kind == "period":
        return pd.period_range(start=pd.Period(last, freq=freq), periods=steps + 1,
                               freq=freq)[1:]
    if kind == "range":
        step = int(freq)
        return pd.RangeIndex(int(last), int(last) + step * steps, step)
    return pd.RangeIndex(n, n + steps)


def past_index(info: tuple[str, str, str], n: int) -> Any:
    """The pandas index of the ``n`` fitted periods (positions ``0 .. n-1`` when unknown)."""
    import pandas as pd

    kind, last, freq = info
    if kind == "date":
        return pd.date_range(end=pd.Timestamp(last), periods=n, freq=freq)
    if kind == "period":
        return pd.period_range(end=pd.Period(last, freq=freq), periods=n, freq=freq)
    if kind == "range":
        step = int(freq)
        return pd.RangeIndex(int(last) - step * n, int(last), step)
    return pd.RangeIndex(0, n)

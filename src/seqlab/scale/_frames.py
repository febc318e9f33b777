"""Long-format frames: checking them, cutting them into chunks of series, future dates.

The long format is statsforecast's: one row per (series, time), columns ``unique_id``
(the series), ``ds`` (its time: datetimes or integers), ``y`` (the value) and any further
numeric columns as exogenous regressors. Series may have different lengths and start dates.

A frame is sorted once by (``unique_id``, ``ds``); a series is then a contiguous block of
rows, and a chunk is a contiguous block of whole series (so a chunk is a cheap slice, and
pickling it to a worker copies only its own rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__: list[str] = []


@dataclass(frozen=True)
class Columns:
    """The names of the id, time and target columns, and of the exogenous ones."""

    id: str = "unique_id"
    time: str = "ds"
    target: str = "y"
    exog: tuple[str, ...] = ()


def check_frame(df: Any, cols: Columns, *, future: bool = False) -> tuple[str, ...]:
    """Check a pandas long frame; return its exogenous column names (all columns but the id,
    time and target, in frame order). ``future=True``: ``X_df`` of future regressors, which
    has no target column."""
    what = "X_df" if future else "df"
    if not isinstance(df, pd.DataFrame):
        raise SeqlabTypeError(
            f"{what} must be a pandas or Dask DataFrame in long format; got "
            f"{type(df).__name__}. Build one with columns {cols.id!r}, {cols.time!r}"
            + ("" if future else f", {cols.target!r}") + "."
        )
    need = [cols.id, cols.time] + ([] if future else [cols.target])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise SeqlabValueError(
            f"{what} has no column {', '.join(map(repr, missing))} (columns: "
            f"{', '.join(map(repr, map(str, df.columns)))}); name them, or pass id_col=, "
            "time_col=, target_col= to ManySeries."
        )
    exog = tuple(str(c) for c in df.columns if c not in need)
    for c in exog + (() if future else (cols.target,)):
        kind = df[c].dtype.kind
        if kind == "c":
            raise SeqlabTypeError(f"{what} column {c!r} is complex; seqlab fits real series.")
        if kind not in "biuf":
            raise SeqlabTypeError(
                f"{what} column {c!r} has dtype {df[c].dtype}, not numbers; drop it or convert "
                "it (every column but the id and time is read as a regressor)."
            )
    kind = df[cols.time].dtype.kind
    if isinstance(df[cols.time].dtype, pd.DatetimeTZDtype):
        raise SeqlabTypeError(
            f"{what} column {cols.time!r} has time zone {df[cols.time].dt.tz}; convert it to "
            "naive times first, e.g. df[time_col].dt.tz_convert(None)."
        )
    if kind not in "Miu":
        raise SeqlabTypeError(
            f"{what} column {cols.time!r} has dtype {df[cols.time].dtype}: it must hold "
            "datetimes or integers; convert it with pandas.to_datetime."
        )
    return exog


def sort_frame(df: pd.DataFrame, cols: Columns) -> pd.DataFrame:
    """``df`` sorted by (id, time) with a fresh RangeIndex; a duplicated (id, time) is an
    error (which value would the model use?)."""
    out = df.sort_values([cols.id, cols.time], kind="stable", ignore_index=True)
    dup = (out[cols.id].to_numpy()[1:] == out[cols.id].to_numpy()[:-1]) & (
        out[cols.time].to_numpy()[1:] == out[cols.time].to_numpy()[:-1]
    )
    if dup.any():
        i = int(np.argmax(dup))
        raise SeqlabValueError(
            f"series {out[cols.id].iat[i]!r} has two rows at {cols.time}="
            f"{out[cols.time].iat[i]}; keep one row per (series, time)."
        )
    return out


def series_starts(ids: np.ndarray) -> np.ndarray:
    """Row offsets (S + 1,) of the series in sorted ``ids``: series s is rows
    ``starts[s]:starts[s + 1]``."""
    n = len(ids)
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    return np.concatenate([[0], change, [n]]).astype(np.int64)


def plan_chunks(
    starts: np.ndarray, row_bytes: float, chunk_size: int | None, chunk_bytes: int | None
) -> list[tuple[int, int]]:
    """Cut the series at ``starts`` into chunks of whole series: at most ``chunk_size``
    series and (unless one series alone is larger) at most ``chunk_bytes`` of input rows.
    Returns series ranges ``(s0, s1)``."""
    S = len(starts) - 1
    if S == 0:
        return []
    by_count = chunk_size if chunk_size is not None else S
    if chunk_bytes is None:
        return [(a, min(a + by_count, S)) for a in range(0, S, by_count)]
    rows_cap = max(1, int(chunk_bytes // max(row_bytes, 1.0)))
    out = []
    a = 0
    while a < S:
        # the furthest series end within the byte budget, at least one series
        b = int(np.searchsorted(starts, starts[a] + rows_cap, side="right")) - 1
        b = min(max(b, a + 1), a + by_count, S)
        out.append((a, b))
        a = b
    return out


def future_times(last: np.ndarray, freq: Any, h: int) -> np.ndarray:
    """The ``h`` times after each of ``last`` (S,): shape (S, h)."""
    last = np.asarray(last)
    if last.dtype.kind in "iu":
        step = 1 if freq is None else freq
        if not isinstance(step, (int, np.integer)) or isinstance(step, bool) or step < 1:
            raise SeqlabValueError(
                f"freq must be a positive integer step for integer times; got {freq!r}."
            )
        return last[:, None] + step * np.arange(1, h + 1)
    offset = to_offset(freq)
    idx = pd.DatetimeIndex(last)
    cols = [np.asarray(idx + k * offset) for k in range(1, h + 1)]
    return np.stack(cols, axis=1) if cols else np.empty((len(last), 0), "datetime64[ns]")


def to_offset(freq: Any) -> Any:
    """A pandas offset for ``freq`` (an alias such as ``"D"``, ``"MS"``, ``"ME"``), with an
    error that says what to pass."""
    if freq is None:
        raise SeqlabValueError(
            "freq is needed to date the forecasts of datetime series: pass a pandas alias "
            "such as freq='D', 'W', 'MS' or 'ME' (statsforecast's freq)."
        )
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except (ValueError, TypeError) as err:
        raise SeqlabValueError(
            f"freq={freq!r} is not a pandas frequency ({err}); use an alias such as 'D', 'W', "
            "'MS', 'ME', 'h'."
        ) from None

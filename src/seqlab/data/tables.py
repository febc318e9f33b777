"""Reading a user's time series from a CSV/TSV file: a date column and numeric value columns.

:func:`read_series_csv` returns a :class:`SeriesTable` (values ``(T, k)``, the parsed dates,
the column names and the inferred frequency). Everything a forecaster would otherwise get
silently wrong is refused with a message naming the rows: dates that do not parse, dates out
of order or repeated, missing values (never interpolated), a table too short for the
requested window and horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from seqlab.exceptions import SeqlabValueError

__all__ = ["SeriesTable", "read_series_csv"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_NAMES = ("date", "time", "timestamp", "datetime", "ds", "day", "month", "year", "period")


@dataclass
class SeriesTable:
    """A time series read from a table.

    ============ =============== ==============================================
    attribute    shape / type    meaning
    ============ =============== ==============================================
    values       (T, k) float64  the value columns, in file order
    dates        (T,) datetime64 the parsed dates (ns), increasing
    columns      list[str]       the value columns' names
    date_column  str             the date column's name
    freq         str or None     ``pandas.infer_freq`` of the dates (None: irregular)
    ============ =============== ==============================================
    """

    values: np.ndarray
    dates: np.ndarray
    columns: list[str]
    date_column: str
    freq: str | None

    def to_frame(self) -> Any:
        """The table as a pandas DataFrame indexed by date."""
        import pandas as pd

        index = pd.DatetimeIndex(self.dates, name=self.date_column, freq=None)
        return pd.DataFrame(self.values, index=index, columns=self.columns)


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    """'rows 3, 7, 9' (1-based data rows, as a spreadsheet shows them after the header)."""
    idx = np.flatnonzero(mask) + 2  # +1 for 1-based, +1 for the header line
    shown = ", ".join(str(i) for i in idx[:limit])
    more = f" and {idx.size - limit} more" if idx.size > limit else ""
    return f"line{'s' if idx.size > 1 else ''} {shown}{more}"


def _parse_dates(column: Any) -> Any:
    """``pandas.to_datetime`` with NaT for what does not parse (no warnings about formats)."""
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = column.to_numpy()
        if column.dtype.kind in "iuf" and np.all(np.isfinite(values)) and np.all(
                (values == np.round(values)) & (values >= 1) & (values <= 9999)):
            # bare years such as 1959 (or 1959.0), not nanoseconds since 1970
            years = column.astype(np.int64).astype(str).str.zfill(4)
            return pd.to_datetime(years, format="%Y", errors="coerce")
        return pd.to_datetime(column, errors="coerce")


def _find_date_column(frame: Any, name: str | None, where: str) -> str:
    cols = [str(c) for c in frame.columns]
    if name is not None:
        if name not in cols:
            raise SeqlabValueError(f"{where}: no column named {name!r} for the dates; the "
                                   f"columns are {', '.join(map(repr, cols))}.")
        return name
    by_name = [c for c in cols if c.strip().lower() in _DATE_NAMES]
    if by_name:
        return by_name[0]
    for c in cols:  # the first non-numeric column whose values mostly parse as dates
        col = frame[c]
        if col.dtype.kind in "fiub":
            continue
        if _parse_dates(col).notna().mean() > 0.9:
            return c
    raise SeqlabValueError(
        f"{where}: found no date column (none is named {', '.join(_DATE_NAMES[:4])}, ... and "
        f"no text column parses as dates); columns: {', '.join(map(repr, cols))}. Name it "
        "with date_column= (--date-column)."
    )


def read_series_csv(
    path: str | Path,
    date_column: str | None = None,
    value_columns: list[str] | tuple[str, ...] | None = None,
    *,
    min_rows: int = 2,
    missing: Literal["refuse", "keep"] = "refuse",
) -> SeriesTable:
    """Read a time series from a CSV (``.tsv``: tab-separated) file.

    The date column is ``date_column`` or else the first column named like a date
    (``date``, ``time``, ``timestamp``, ...) or else the first text column that parses as
    dates; integer years (``1959``) are read as years. The values are ``value_columns`` or
    else every numeric column other than the date column. ``min_rows`` (e.g. window +
    horizon + the test tail) is the fewest rows accepted. ``missing="keep"`` keeps empty
    cells as NaN (for models that fit through gaps, such as the state-space ARIMA);
    ``"refuse"`` (the default) names the rows that have them.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> _ = open(p, "w").write("date,y\\n2020-01-01,1\\n2020-01-02,2\\n2020-01-03,4\\n")
    >>> t = read_series_csv(p)
    >>> t.values.ravel().tolist(), t.columns, t.freq
    ([1.0, 2.0, 4.0], ['y'], 'D')
    """
    import pandas as pd

    if missing not in ("refuse", "keep"):
        raise SeqlabValueError(f"missing must be 'refuse' or 'keep'; got {missing!r}.")
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise SeqlabValueError(f"{where}: no such file.")
    sep = "\t" if p.suffix.lower() == ".tsv" else ","
    try:
        frame = pd.read_csv(p, sep=sep, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SeqlabValueError(f"{where} is not UTF-8 text, so not a readable CSV table; "
                               "save it as a UTF-8 CSV/TSV with a header row.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SeqlabValueError(f"{where} is not a readable {'TSV' if sep == chr(9) else 'CSV'} "
                               f"table: {first}.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    dcol = _find_date_column(frame, date_column, where)
    dates = _parse_dates(frame[dcol])
    bad = dates.isna().to_numpy()
    if bad.any():
        first = frame[dcol].iloc[int(np.flatnonzero(bad)[0])]
        raise SeqlabValueError(f"{where}: {int(bad.sum())} date(s) in column {dcol!r} do not "
                               f"parse ({_rows(bad)}; e.g. {first!r}). Fix or remove them.")
    if value_columns:
        absent = [c for c in value_columns if c not in frame.columns]
        if absent:
            raise SeqlabValueError(f"{where}: no column {', '.join(map(repr, absent))}; the "
                                   f"columns are {', '.join(map(repr, frame.columns))}.")
        cols = list(value_columns)
        repeated = sorted({c for c in cols if cols.count(c) > 1})
        if repeated:
            raise SeqlabValueError(f"value column(s) {', '.join(map(repr, repeated))} given more "
                                   "than once; name each column once.")
        text = [c for c in cols if frame[c].dtype.kind not in "fiub"]
        if text:
            raise SeqlabValueError(f"{where}: column(s) {', '.join(map(repr, text))} are not "
                                   "numeric (a value that is not a number, e.g. a unit or a "
                                   "comma decimal?). Fix the file or choose other columns.")
    else:
        cols = [c for c in frame.columns if c != dcol and frame[c].dtype.kind in "fiu"]
        if not cols:
            raise SeqlabValueError(f"{where}: no numeric value column besides the date column "
                                   f"{dcol!r} (columns: {', '.join(map(repr, frame.columns))}).")
        months = [c for c in cols if c.strip().lower()[:3] in _MONTHS]
        if len(months) >= 6:
            raise SeqlabValueError(
                f"{where} looks like a wide table (one row per {dcol!r}, one column per month: "
                f"{', '.join(months[:3])}, ...), not one row per date. Reshape it to a date "
                "column and a value column (e.g. pandas melt), or name the value columns "
                "with --columns if they really are separate series.")
    values = frame[cols].to_numpy(dtype=np.float64)
    if np.isinf(values).any():
        inf = np.isinf(values)
        raise SeqlabValueError(f"{where}: infinite value(s) ({_rows(inf.any(1))}); replace "
                               "them by a number or leave the cell empty.")
    nan = np.isnan(values)
    if nan.any() and missing == "refuse":
        per_col = {c: int(n) for c, n in zip(cols, nan.sum(0), strict=True) if n}
        raise SeqlabValueError(
            f"{where}: {int(nan.sum())} missing or non-finite value(s) "
            f"({', '.join(f'{c!r}: {n}' for c, n in per_col.items())}; {_rows(nan.any(1))}). "
            "seqlab does not fill gaps silently: fill or drop them first (e.g. pandas "
            "interpolate/dropna)."
        )
    d = dates.to_numpy(dtype="datetime64[ns]")
    step = np.diff(d)
    dup = np.concatenate([[False], step == np.timedelta64(0, "ns")])
    if dup.any():
        parts = [c for c in frame.columns if c.strip().lower() in ("quarter", "month", "week")]
        hint = (f" The file also has {', '.join(map(repr, parts))}: combine it with {dcol!r} "
                "into one date column (e.g. 1959-04-01 or 1959Q2)." if parts else "")
        raise SeqlabValueError(f"{where}: repeated dates in {dcol!r} ({_rows(dup)}); each date "
                               f"must appear once (aggregate the duplicates first).{hint}")
    back = np.concatenate([[False], step < np.timedelta64(0, "ns")])
    if back.any():
        raise SeqlabValueError(f"{where}: the dates in {dcol!r} are not in increasing order "
                               f"({_rows(back)} go back in time); sort the file by date.")
    if len(d) < min_rows:
        raise SeqlabValueError(f"{where}: {len(d)} rows, too few: this needs at least "
                               f"{min_rows} (window + horizon + test rows); use a smaller "
                               "--window/--horizon/--test-size or a longer series.")
    freq = pd.infer_freq(pd.DatetimeIndex(d)) if len(d) >= 3 else None
    return SeriesTable(values, d, cols, dcol, freq)

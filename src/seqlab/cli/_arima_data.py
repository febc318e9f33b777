"""The data of ``seqlab arima``: a dated series, its regressors and their future values.

:func:`load_arima_data` turns the command's options into one :class:`ArimaData`:

- ``--file CSV`` (or ``--data PATH``): a date column and a value column, read by
  :func:`seqlab.data.tables.read_series_csv` with empty cells kept as missing values (the
  state-space model fits through them); ``--exog COL ...`` are regressors from the same
  file. Their future values come from ``--future-exog FILE`` (a CSV with those columns,
  one row per forecast step, optionally with the date column, which must then hold the
  forecast dates) or from rows at the end of the file whose value is empty and whose
  regressors are filled in; never from both.
- ``--data NAME``: a bundled series (``seqlab data list``), with its dates.

The dates must have one frequency (``pandas.infer_freq``); ``--freq F`` states it instead,
and then dates absent from the regular ``F`` grid become missing values (said in
``notes``). Everything else is a one-line error that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.cli._paths import check_input_file
from seqlab.exceptions import SeqlabValueError

__all__ = ["ArimaData", "load_arima_data"]


@dataclass
class ArimaData:
    """What ``seqlab arima`` fits: ``y`` (a Series on a regular DatetimeIndex with a freq),
    ``exog`` (a DataFrame on the same index, or None), ``future_exog`` (a DataFrame of the
    regressors' values for the forecast steps, or None), a ``label`` for titles, and
    ``notes`` the command prints (gaps, inserted dates)."""

    y: Any
    exog: Any = None
    future_exog: Any = None
    label: str = ""
    notes: list[str] = field(default_factory=list)


def _regular(frame: Any, freq: str | None, given: bool, where: str) -> Any:
    """``frame`` on a DatetimeIndex with frequency ``freq`` (absent grid dates -> NaN rows)."""
    import pandas as pd

    idx = frame.index
    if not given:
        if freq is None:
            raise SeqlabValueError(
                f"{where}: the dates in {idx.name!r} are irregular (no single frequency such "
                "as daily or monthly; e.g. a missing or repeated period); state the "
                "frequency with --freq (e.g. --freq MS for month starts, D, W-SUN, YS), or fix "
                "the dates.")
        return frame.set_axis(pd.DatetimeIndex(idx, freq=freq, name=idx.name), axis=0)
    try:
        grid = pd.date_range(idx[0], idx[-1], freq=freq, name=idx.name)
    except ValueError as err:
        raise SeqlabValueError(f"--freq {freq!r} is not a pandas frequency ({err}); use e.g. "
                               "D, W-SUN, MS, ME, QS, YS, h.") from None
    off = idx[~idx.isin(grid)]
    if len(off) or len(grid) == 0:
        first = off[0] if len(off) else idx[0]
        raise SeqlabValueError(
            f"{where}: the date {first} is not on the --freq {freq} grid that starts at "
            f"{idx[0]} ({len(off)} date(s) are off it); give the frequency the dates follow.")
    return frame.reindex(grid)


def _future_from_file(path: str, cols: list[str], date_col: str, future_dates: Any,
                      option: str = "--future-exog") -> Any:
    import pandas as pd

    check_input_file(path, option)
    sep = "\t" if path.lower().endswith(".tsv") else ","
    try:
        frame = pd.read_csv(path, sep=sep, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SeqlabValueError(f"{option} {path}: not a readable table ({first}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SeqlabValueError(
            f"{option} {path}: no column {', '.join(map(repr, missing))}; it needs the "
            f"regressors {', '.join(map(repr, cols))} (one row per forecast step).")
    if len(frame) != len(future_dates):
        raise SeqlabValueError(
            f"{option} {path} has {len(frame)} row(s) but the forecast has {len(future_dates)} "
            f"step(s) (--horizon); give one row per step, or set --horizon {len(frame)}.")
    if date_col in frame.columns:
        from seqlab.data.tables import _parse_dates

        dates = pd.DatetimeIndex(_parse_dates(frame[date_col]))
        if not dates.equals(pd.DatetimeIndex(future_dates)):
            raise SeqlabValueError(
                f"{option} {path}: its dates in {date_col!r} ({dates[0]} ...) are not the "
                f"forecast dates ({future_dates[0]} ... {future_dates[-1]}); give the rows of "
                "the periods right after the series, or drop the date column.")
    out = frame[cols]
    bad = [c for c in cols if out[c].dtype.kind not in "fiu" or out[c].isna().any()]
    if bad:
        raise SeqlabValueError(f"{option} {path}: column(s) {', '.join(map(repr, bad))} have "
                               "empty or non-numeric cells; every future regressor value is "
                               "needed.")
    return out.astype(float).set_axis(future_dates, axis=0)


def _bundled(name: str) -> Any:
    import pandas as pd

    from seqlab.data import get_dataset

    obj = get_dataset(name).loader()
    if not isinstance(obj, pd.Series):
        raise SeqlabValueError(f"data set {name!r} is not one numeric time series; pick "
                               "sunspots, nile, co2, elnino or airline, or give --file.")
    y = obj.astype(float)
    if not isinstance(y.index, pd.DatetimeIndex):  # integer years (sunspots, nile)
        years = pd.to_datetime(y.index.astype(str), format="%Y")
        y.index = pd.DatetimeIndex(years, name=y.index.name or "year")
    return y.to_frame(str(y.name or name))


def load_arima_data(file: str | None, data: str | None, date_col: str | None,
                    value_col: str | None, exog: tuple[str, ...] | None,
                    future_exog: str | None, freq: str | None, horizon: int | None
                    ) -> tuple[ArimaData, int]:
    """The series, regressors and future regressors, and the forecast horizon (the
    ``--future-exog`` rows when ``horizon`` is None; 12 without regressors)."""
    import pandas as pd

    from seqlab.data.tables import read_series_csv

    if file is not None and data is not None:
        raise SeqlabValueError("give the series once: --file CSV or --data NAME, not both.")
    path = file if file is not None else data
    exog_cols = list(exog or [])
    repeated = sorted({c for c in exog_cols if exog_cols.count(c) > 1})
    if repeated:
        raise SeqlabValueError(f"--exog names {', '.join(map(repr, repeated))} more than once; "
                               "name each regressor once.")
    is_file = path is not None and (Path(path).suffix.lower() in (".csv", ".tsv")
                                    or Path(path).exists() or file is not None)
    option = "--file" if file is not None else "--data"
    if not is_file:
        if exog_cols or date_col or value_col or future_exog:
            raise SeqlabValueError("--exog, --future-exog, --date-col and --value-col read a "
                                   "CSV file; give it with --file.")
        frame = _bundled(path or "sunspots")
        where = f"data set {path or 'sunspots'!r}"
        value = str(frame.columns[0])
    else:
        assert path is not None
        check_input_file(path, option)
        table = read_series_csv(path, date_col, None, missing="keep")
        frame = table.to_frame()
        where = str(path)
        absent = [c for c in exog_cols if c not in table.columns]
        if absent:
            raise SeqlabValueError(
                f"--exog: {where} has no numeric column {', '.join(map(repr, absent))}; its "
                f"value columns are {', '.join(map(repr, table.columns))}.")
        if value_col is not None:
            if value_col not in table.columns:
                raise SeqlabValueError(
                    f"--value-col {value_col!r}: {where} has no numeric column of that name; "
                    f"its value columns are {', '.join(map(repr, table.columns))}.")
            value = value_col
        else:
            left = [c for c in table.columns if c not in exog_cols]
            if len(left) != 1:
                raise SeqlabValueError(
                    f"{where} has {len(left)} numeric columns besides the regressors "
                    f"({', '.join(map(repr, left))}); name the series with --value-col.")
            value = left[0]
        if value in exog_cols:
            raise SeqlabValueError(f"--exog names the series {value!r} itself; a regressor "
                                   "must be another column.")
        frame = frame[[value, *exog_cols]]
    notes: list[str] = []
    # rows at the end with the value empty and every regressor given: the future regressors
    n_future = 0
    if exog_cols:
        v = frame[value].isna().to_numpy()
        filled = frame[exog_cols].notna().all(axis=1).to_numpy()
        while n_future < len(frame) and v[-1 - n_future] and filled[-1 - n_future]:
            n_future += 1
    history, tail = frame.iloc[:len(frame) - n_future], frame.iloc[len(frame) - n_future:]
    freq_given = freq is not None
    inferred = pd.infer_freq(frame.index) if len(frame) >= 3 else None
    history = _regular(history, freq if freq_given else inferred, freq_given, where)
    inserted = len(history) - (len(frame) - n_future)
    if inserted:
        notes.append(f"{inserted} date(s) absent from the --freq {freq} grid are fitted as "
                     "missing values")
    y = history[value]
    n_missing = int(y.isna().sum())
    if n_missing and n_missing > inserted:
        notes.append(f"{n_missing - inserted} missing value(s) in {value!r} are fitted through "
                     "by the Kalman filter")
    if y.notna().sum() < 3:
        raise SeqlabValueError(f"{where}: {int(y.notna().sum())} observed value(s) in "
                               f"{value!r}; a model needs a longer series.")
    x = fx = None
    if exog_cols:
        x = history[exog_cols]
        gaps = x.isna().any(axis=1).to_numpy()
        if gaps.any():
            first = history.index[int(np.flatnonzero(gaps)[0])]
            raise SeqlabValueError(
                f"{where}: the regressors {', '.join(map(repr, exog_cols))} have "
                f"{int(gaps.sum())} row(s) with empty cells (first {first.date()}); the "
                "regressors must be known at every date (only the series may have gaps).")
        if n_future and future_exog is not None:
            raise SeqlabValueError(
                f"the future regressors are given twice: {n_future} row(s) at the end of "
                f"{where} have an empty value, and --future-exog {future_exog}; keep one.")
        if not n_future and future_exog is None:
            raise SeqlabValueError(
                f"--exog {' '.join(exog_cols)}: the forecast needs the regressors' future "
                "values; add rows at the end of the file with the dates and regressors and an "
                "empty value, or give them with --future-exog FILE (one row per step).")
        if n_future:
            steps = n_future if horizon is None else horizon
            if steps != n_future:
                raise SeqlabValueError(
                    f"{where} has {n_future} future row(s) (empty value, regressors given) "
                    f"but --horizon is {horizon}; give one future row per forecast step, or "
                    f"drop --horizon to forecast {n_future}.")
            dates = pd.date_range(history.index[-1], periods=steps + 1,
                                  freq=history.index.freq)[1:]
            if not pd.DatetimeIndex(tail.index).equals(dates):
                raise SeqlabValueError(
                    f"{where}: the future rows' dates ({tail.index[0]} ...) do not continue "
                    f"the series' {history.index.freqstr} dates ({dates[0]} ...); fix them.")
            fx = tail[exog_cols].astype(float).set_axis(dates, axis=0)
        else:
            assert future_exog is not None
            steps = horizon if horizon is not None else _count_rows(future_exog)
            dates = pd.date_range(history.index[-1], periods=steps + 1,
                                  freq=history.index.freq)[1:]
            fx = _future_from_file(future_exog, exog_cols, str(frame.index.name), dates)
    else:
        if future_exog is not None:
            raise SeqlabValueError("--future-exog gives the future values of --exog "
                                   "regressors; name the regressors with --exog COL ...")
        steps = 12 if horizon is None else horizon
    return ArimaData(y, x, fx, f"{where} [{value}]" if is_file else where, notes), steps


def _count_rows(path: str) -> int:
    import pandas as pd

    check_input_file(path, "--future-exog")
    sep = "\t" if path.lower().endswith(".tsv") else ","
    try:
        return len(pd.read_csv(path, sep=sep, encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SeqlabValueError(f"--future-exog {path}: not a readable table ({first}).") from None

"""The work of one chunk: long rows in, long forecasts out (what every engine runs).

:func:`run_chunk` is a plain function of a pandas frame holding whole series and a
:class:`Job` (the models and options, picklable), so the in-process loop, a process pool,
Dask workers and Ray tasks all run exactly the same code on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from seqlab.scale._frames import Columns, future_times, plan_chunks, series_starts, sort_frame
from seqlab.scale._models import Task, run_model

__all__: list[str] = []


@dataclass(frozen=True)
class Job:
    """What to do with every chunk (sent once to each worker)."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    models: tuple[Any, ...]
    fitted: tuple[Any, ...]  # a shared model's fits per window, else None
    h: int
    levels: tuple[Any, ...]  # ascending
    cols: Columns
    freq: Any
    cv: tuple[int, int] | None  # (n_windows, step_size) for cross-validation
    threads: int | None = None  # numba threads in a worker (None: leave as is)

    def out_columns(self) -> list[str]:
        """The output columns, statsforecast's layout plus ``error``."""
        c = self.cols
        head = [c.id, c.time] + ([ "cutoff", c.target] if self.cv else [])
        body = []
        for name in self.names:
            body.append(name)
            body += [f"{name}-lo-{_fmt(lv)}" for lv in reversed(self.levels)]
            body += [f"{name}-hi-{_fmt(lv)}" for lv in self.levels]
        return head + body + ["error"]


def _fmt(level: Any) -> str:
    return str(int(level)) if float(level).is_integer() else str(level)


@dataclass
class _Meta:
    """Where each task's rows go: its series id, cutoff, future times and actual values."""

    uid: list[Any]
    cutoff: list[Any]
    times: list[np.ndarray]
    actual: list[np.ndarray]
    error: list[str | None]


def build_tasks(df: pd.DataFrame, xf: pd.DataFrame | None, job: Job) -> tuple[list[Task], _Meta]:
    """One task per series (forecast) or per series and window (cross-validation) of the
    sorted frame ``df``; ``xf`` holds the future regressors (sorted the same way)."""
    c, h = job.cols, job.h
    ids = df[c.id].to_numpy()
    starts = series_starts(ids)
    y_all = df[c.target].to_numpy(dtype=np.float64)
    t_all = df[c.time].to_numpy()
    X_all = df[list(c.exog)].to_numpy(dtype=np.float64) if c.exog else None
    tasks: list[Task] = []
    meta = _Meta([], [], [], [], [])
    S = len(starts) - 1
    if job.cv is None:
        last = t_all[starts[1:] - 1]
        fut = future_times(last, job.freq, h) if xf is None else np.empty((S, 0))
        if xf is not None:
            xids = xf[c.id].to_numpy()
            uids = ids[starts[:-1]]
            lo = np.searchsorted(xids, uids, side="left")
            hi = np.searchsorted(xids, uids, side="right")
            Xf_all = xf[list(c.exog)].to_numpy(dtype=np.float64)
            tf_all = xf[c.time].to_numpy()
        for s in range(S):
            a, b = starts[s], starts[s + 1]
            X = None if X_all is None else X_all[a:b]
            err = None
            if xf is not None:
                k = hi[s] - lo[s]
                Xf = Xf_all[lo[s] : hi[s]]
                times = tf_all[lo[s] : hi[s]]
                if k != h:
                    err = (f"X_df has {k} future rows for this series; the forecast needs "
                           f"exactly h={h}.")
                    times = future_times(t_all[b - 1 : b], job.freq, h)[0]
            else:
                Xf, times = None, fut[s]
            tasks.append(Task(y_all[a:b], X, Xf if err is None else None))
            meta.uid.append(ids[a])
            meta.cutoff.append(None)
            meta.times.append(times)
            meta.actual.append(np.empty(0))
            meta.error.append(err)
        return tasks, meta
    n_windows, step = job.cv
    for s in range(S):
        a, b = starts[s], starts[s + 1]
        n = b - a
        for w in range(n_windows):
            cut = n - h - step * (n_windows - 1 - w)
            err = None
            if cut < 1:
                err = (f"the series has {n} values: too short for {n_windows} window(s) of "
                       f"h={h} every {step} step(s); it needs at least "
                       f"{h + step * (n_windows - 1) + 1}.")
                cut = max(cut, 0)
            y = y_all[a : a + cut]
            X = None if X_all is None else X_all[a : a + cut]
            Xf = None if X_all is None else X_all[a + cut : a + cut + h]
            tasks.append(Task(y, X, Xf, window=w))
            meta.uid.append(ids[a])
            meta.cutoff.append(t_all[a + cut - 1] if cut >= 1 else None)
            meta.times.append(t_all[a + cut : a + cut + h])
            meta.actual.append(y_all[a + cut : a + cut + h])
            meta.error.append(err)
    return tasks, meta


def run_chunk(df: pd.DataFrame, xf: pd.DataFrame | None, job: Job) -> pd.DataFrame:
    """Fit and forecast every series of ``df`` (sorted, whole series) with every model."""
    if job.threads is not None:
        import numba

        cap = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
        numba.set_num_threads(max(1, min(job.threads, cap)))
    tasks, meta = build_tasks(df, xf, job)
    ok = [i for i, e in enumerate(meta.error) if e is None]
    h, L = job.h, len(job.levels)
    T = len(tasks)
    per_model = []
    for name, kind, model, fitted in zip(job.names, job.kinds, job.models, job.fitted):
        res = run_model(kind, model, [tasks[i] for i in ok], h, job.levels, fitted)
        mean = np.full((T, h), np.nan)
        lo = np.full((T, L, h), np.nan)
        hi = np.full((T, L, h), np.nan)
        errs: list[str | None] = [None] * T
        for j, i in enumerate(ok):
            mean[i], lo[i], hi[i], errs[i] = res.mean[j], res.lo[j], res.hi[j], res.error[j]
        per_model.append((name, mean, lo, hi, errs))
    return _assemble(tasks, meta, per_model, job, df)


def _assemble(tasks, meta: _Meta, per_model, job: Job, df: pd.DataFrame) -> pd.DataFrame:
    """The long output: ``h`` rows per task (fewer where a window has fewer future rows)."""
    c, h = job.cols, job.h
    T = len(tasks)
    counts = np.array([len(t) for t in meta.times], dtype=np.int64)
    # a task with no future rows (a window that does not fit) still gets one error row
    rows = np.maximum(counts, 1)
    rep = np.repeat(np.arange(T), rows)
    pos = np.arange(rep.size) - np.repeat(np.cumsum(rows) - rows, rows)  # step within task
    has = pos < np.repeat(counts, rows)
    out: dict[str, Any] = {}
    # the ids keep their dtype (object, integers, category, string...)
    out[c.id] = pd.Series(meta.uid, dtype=df[c.id].dtype).take(rep).reset_index(drop=True)
    tdt = df[c.time].dtype
    times = np.concatenate([
        m if n else np.array([np.datetime64("NaT") if tdt.kind == "M" else -1], dtype=tdt)
        for m, n in zip(meta.times, counts)
    ]) if T else np.empty(0, tdt)
    out[c.time] = times.astype(tdt)
    if job.cv is not None:
        cut = np.array([np.datetime64("NaT") if (v is None and tdt.kind == "M") else
                        (-1 if v is None else v) for v in meta.cutoff], dtype=tdt)
        out["cutoff"] = cut[rep] if T else np.empty(0, tdt)
        actual = np.concatenate([a if n else [np.nan] for a, n in zip(meta.actual, counts)])
        out[c.target] = actual if T else np.empty(0)
    pos_c = np.minimum(pos, h - 1)
    messages: list[list[str]] = [[e] if e else [] for e in meta.error]
    for name, mean, lo, hi, errs in per_model:
        out[name] = np.where(has, mean[rep, pos_c], np.nan) if T else np.empty(0)
        L = len(job.levels)
        for j in reversed(range(L)):
            out[f"{name}-lo-{_fmt(job.levels[j])}"] = (
                np.where(has, lo[rep, j, pos_c], np.nan) if T else np.empty(0))
        for j in range(L):
            out[f"{name}-hi-{_fmt(job.levels[j])}"] = (
                np.where(has, hi[rep, j, pos_c], np.nan) if T else np.empty(0))
        for i, e in enumerate(errs):
            if e:
                messages[i].append(f"{name}: {e}")
    err = np.array(["; ".join(m) if m else None for m in messages], dtype=object)
    out["error"] = err[rep] if T else np.empty(0, dtype=object)
    frame = pd.DataFrame(out, columns=job.out_columns())
    if tdt.kind != "M" and (counts == 0).any():  # integer times: missing, not -1
        frame[c.time] = frame[c.time].astype("Int64").mask(~has)
        if job.cv is not None:
            frame["cutoff"] = frame["cutoff"].astype("Int64").mask(frame["cutoff"] == -1)
    return frame


def run_partition(part: pd.DataFrame, xf: pd.DataFrame | None, job: Job,
                  chunk_size: int | None, chunk_bytes: int | None) -> pd.DataFrame:
    """A Dask partition (whole series, any order): sorted, then run chunk by chunk."""
    part = sort_frame(part, job.cols)
    starts = series_starts(part[job.cols.id].to_numpy())
    row_bytes = part.memory_usage(index=False).sum() / max(len(part), 1)
    outs = [
        run_chunk(part.iloc[starts[a] : starts[b]], _future_rows(xf, part, starts, a, b, job),
                  job)
        for a, b in plan_chunks(starts, row_bytes, chunk_size, chunk_bytes)
    ]
    if not outs:
        return empty_output(part, job)
    return pd.concat(outs, ignore_index=True)


def _future_rows(xf, df, starts, a, b, job: Job) -> pd.DataFrame | None:
    """The rows of the sorted ``xf`` whose id is one of series ``a..b-1`` of ``df``."""
    if xf is None:
        return None
    ids = xf[job.cols.id].to_numpy()
    col = df[job.cols.id].to_numpy()
    i0 = np.searchsorted(ids, col[starts[a]], side="left")
    i1 = np.searchsorted(ids, col[starts[b] - 1], side="right")
    return xf.iloc[i0:i1]


def empty_output(df: pd.DataFrame, job: Job) -> pd.DataFrame:
    """An output frame with no rows and the right dtypes (a Dask ``meta``)."""
    c = job.cols
    out: dict[str, Any] = {c.id: df[c.id].iloc[:0], c.time: df[c.time].iloc[:0]}
    if job.cv is not None:
        out["cutoff"] = df[c.time].iloc[:0]
        out[c.target] = pd.Series([], dtype=np.float64)
    for col in job.out_columns():
        if col not in out and col != "error":
            out[col] = pd.Series([], dtype=np.float64)
    out["error"] = pd.Series([], dtype=object)
    return pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in out.items()},
                        columns=job.out_columns())

"""``ManySeries``: fit, forecast and cross-validate many series in long format, on one core,
local processes, Dask or Ray (statsforecast's ``StatsForecast`` is the model).

Input is statsforecast's long format (``unique_id``, ``ds``, ``y`` and regressors), a pandas
or a Dask DataFrame; output is long too: ``unique_id``, ``ds`` (and ``cutoff``, ``y`` for
cross-validation), one column per model, its interval bounds ``MODEL-lo-80``,
``MODEL-hi-80``..., and ``error`` (None, or why a series could not be fitted).

The series are cut into chunks of whole series (``chunk_size`` series, at most
``chunk_bytes`` of input each), and a chunk is the unit of work: never one task per series,
never the whole frame on one worker. A Dask DataFrame is shuffled by series and each
partition is processed, chunk by chunk, where it lives. Each series' numbers are those it
gets fitted alone: the same code runs on the same rows whatever the engine and chunking.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from seqlab._validation import check_int
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.scale import _engines as _E
from seqlab.scale._frames import Columns, check_frame, plan_chunks, series_starts, sort_frame
from seqlab.scale._models import fit_shared, kind_of
from seqlab.scale._work import Job, build_tasks, empty_output, run_partition

__all__ = ["ManySeries"]

_NAMES = {"ESNForecaster": "ESN"}


class ManySeries:
    """Forecast many series with seqlab models on an engine (statsforecast's
    ``StatsForecast(models, freq, n_jobs).forecast(df, h, level)``).

    Parameters
    ----------
    models : list of models, or {name: model}
        ``ARIMA`` (batch kernel), ``SARIMAX``, ``AutoARIMA``, ``GaussianHMM`` (one per
        series), ``SharedHMM(GaussianHMM(...))`` (one for all), ``ESNForecaster``. Columns
        are named after the class (``ESN`` for the ESN) unless a dict names them.
    freq : pandas alias (``"D"``, ``"MS"``...) or int
        Step of ``ds``, to date the forecasts (integer ``ds``: default 1).
    engine : {"inprocess", "processes", "dask", "ray"}
    n_jobs : int or None
        Workers for ``processes``, a started ``LocalCluster`` or local Ray (default: cores).
    chunk_size, chunk_bytes : int or None
        At most this many series / bytes of input rows per chunk (default: 4 chunks per
        worker, at most 64 MiB each).
    client, address
        A ``dask.distributed.Client``, or the address of a Dask scheduler
        (``"tcp://host:8786"``) or Ray cluster (``"ray://host:10001"``, ``"auto"``).
    progress : None, True (tqdm bar) or callable(done_series, total_series)
    id_col, time_col, target_col : column names

    >>> import numpy as np, pandas as pd
    >>> from seqlab.classical import ARIMA
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 60),
    ...                    "ds": np.tile(np.arange(60), 2),
    ...                    "y": rng.normal(size=120).cumsum()})
    >>> fc = ManySeries([ARIMA(order=(1, 1, 0))]).forecast(df, h=2, level=[80])
    >>> list(fc.columns)
    ['unique_id', 'ds', 'ARIMA', 'ARIMA-lo-80', 'ARIMA-hi-80', 'error']
    >>> fc[["unique_id", "ds"]].values.tolist()
    [['a', 60], ['a', 61], ['b', 60], ['b', 61]]
    """

    def __init__(
        self,
        models: Sequence[Any] | Mapping[str, Any],
        freq: Any = None,
        *,
        engine: str = "inprocess",
        n_jobs: int | None = None,
        chunk_size: int | None = None,
        chunk_bytes: int | None = 64 * 2**20,
        client: Any = None,
        address: str | None = None,
        progress: Any = None,
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str = "y",
    ) -> None:
        self.models = models
        self.freq = freq
        self.engine = engine
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.chunk_bytes = chunk_bytes
        self.client = client
        self.address = address
        self.progress = progress
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col

    # ------------------------------------------------------------------ public
    def forecast(self, df: Any, h: int, level: Sequence[float] = (), X_df: Any = None) -> Any:
        """Fit every model to every series of ``df`` and forecast ``h`` steps, with the
        ``level`` % intervals; ``X_df`` holds the regressors' ``h`` future rows per series.
        A Dask DataFrame in gives a (lazy) Dask DataFrame out."""
        return self._run(df, h, level, X_df, None)

    def cross_validation(self, df: Any, h: int, n_windows: int = 1, step_size: int | None = None,
                         level: Sequence[float] = ()) -> Any:
        """Rolling-origin backtest: for each series of length ``n`` and window ``i`` of
        ``n_windows``, fit on the first ``n - h - step_size (n_windows - 1 - i)`` values
        (the last one is ``cutoff``) and forecast the next ``h``, next to the actual ``y``.
        """
        n_windows = check_int(n_windows, "n_windows", minimum=1)
        step = check_int(h if step_size is None else step_size, "step_size", minimum=1)
        return self._run(df, h, level, None, (n_windows, step))

    # ------------------------------------------------------------------ internals
    def _named_models(self) -> tuple[tuple[str, ...], tuple[Any, ...]]:
        models = self.models
        if isinstance(models, Mapping):
            names, objs = tuple(str(k) for k in models), tuple(models.values())
        elif isinstance(models, Sequence) and not isinstance(models, str):
            objs = tuple(models)
            names = tuple(_NAMES.get(type(m).__name__, type(m).__name__) for m in objs)
        else:
            raise SeqlabTypeError("models must be a list of models or a {name: model} dict.")
        if not objs:
            raise SeqlabValueError("models is empty; give at least one model.")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SeqlabValueError(
                f"two models would both be named {dup[0]!r}; pass a dict {{name: model}}."
            )
        return names, objs

    def _job(self, h: int, level: Sequence[float], cols: Columns, cv: Any, n_workers: int,
             ) -> Job:
        names, objs = self._named_models()
        kinds = tuple(kind_of(m) for m in objs)
        levels = tuple(sorted(level))
        for lv in levels:
            if not (isinstance(lv, (int, float, np.integer, np.floating)) and 0 < lv < 100):
                raise SeqlabValueError(f"level must be in (0, 100) percent; got {lv!r}.")
        takes_exog = [k == "statespace" or (k == "arima" and hasattr(m, "fit_many"))
                      for k, m in zip(kinds, objs)]
        if cols.exog and not all(takes_exog):
            bad = [n for n, ok in zip(names, takes_exog) if not ok]
            raise SeqlabValueError(
                f"df has regressor column(s) {', '.join(map(repr, cols.exog))} but "
                f"{', '.join(bad)} take none; drop the columns or use SARIMAX/AutoARIMA."
            )
        threads = None if self.engine == "inprocess" else 1
        return Job(names, kinds, objs, (None,) * len(objs), h, levels, cols, self.freq, cv,
                   threads)

    def _check_options(self) -> None:
        if self.engine not in _E.ENGINES:
            raise SeqlabValueError(
                f"engine must be one of {', '.join(_E.ENGINES)}; got {self.engine!r}."
            )
        if self.client is not None and self.engine != "dask":
            raise SeqlabValueError("client= is a Dask client: use it with engine='dask'.")
        if self.address is not None and self.engine not in ("dask", "ray"):
            raise SeqlabValueError("address= names a Dask scheduler or Ray cluster: use it "
                                   "with engine='dask' or engine='ray'.")
        if self.n_jobs is not None:
            check_int(self.n_jobs, "n_jobs", minimum=1)
        if self.chunk_size is not None:
            check_int(self.chunk_size, "chunk_size", minimum=1)
        if self.chunk_bytes is not None:
            check_int(self.chunk_bytes, "chunk_bytes", minimum=1)

    def _run(self, df: Any, h: int, level: Sequence[float], X_df: Any, cv: Any) -> Any:
        h = check_int(h, "h", minimum=1)
        self._check_options()
        base = Columns(self.id_col, self.time_col, self.target_col)
        if _is_dask(df):
            return self._run_dask(df, h, level, X_df, cv, base)
        exog = check_frame(df, base)
        cols = Columns(base.id, base.time, base.target, exog)
        if cv is not None and X_df is not None:
            raise SeqlabValueError("cross_validation takes the regressors from df; drop X_df.")
        xf = self._future(X_df, cols, exog)
        data = sort_frame(df, cols)
        starts = series_starts(data[cols.id].to_numpy())
        n_workers = _E.workers_for(self.engine, self.n_jobs, self.client)
        job = self._job(h, level, cols, cv, n_workers)
        job = self._fit_shared(job, data, xf)
        S = len(starts) - 1
        size = self.chunk_size or max(1, math.ceil(S / (4 * n_workers)))
        row_bytes = data.memory_usage(index=False).sum() / max(len(data), 1)
        pieces = []
        for a, b in plan_chunks(starts, row_bytes, size, self.chunk_bytes):
            rows = data.iloc[starts[a] : starts[b]]
            pieces.append((rows, _slice_future(xf, rows, cols), b - a))
        progress = _E.Progress(self.progress, S)
        try:
            outs = _E.run(self.engine, pieces, job, progress, n_jobs=self.n_jobs,
                          client=self.client, address=self.address)
        finally:
            progress.close()
        if not outs:
            return empty_output(data, job)
        return pd.concat(outs, ignore_index=True)

    def _future(self, X_df: Any, cols: Columns, exog: tuple[str, ...]) -> pd.DataFrame | None:
        if X_df is None:
            if exog:
                raise SeqlabValueError(
                    f"df has regressors {', '.join(map(repr, exog))}: pass X_df with their h "
                    "future rows per series (columns unique_id, ds and the regressors)."
                )
            return None
        if not exog:
            raise SeqlabValueError("X_df was given but df has no regressor columns.")
        fut = check_frame(X_df, cols, future=True)
        if set(fut) != set(exog):
            raise SeqlabValueError(
                f"X_df has regressors {sorted(fut)}; df has {sorted(exog)}: they must match."
            )
        return sort_frame(X_df, cols)

    def _fit_shared(self, job: Job, data: pd.DataFrame, xf: Any) -> Job:
        """Fit the shared models (where the whole frame is) before the chunks go out."""
        if "shared_hmm" not in job.kinds:
            return job
        tasks, meta = build_tasks(data, xf, job)
        tasks = [t for t, e in zip(tasks, meta.error) if e is None]
        fitted = tuple(
            fit_shared(m, tasks) if k == "shared_hmm" else None
            for k, m in zip(job.kinds, job.models)
        )
        return Job(job.names, job.kinds, job.models, fitted, job.h, job.levels, job.cols,
                   job.freq, job.cv, job.threads)

    def _run_dask(self, ddf: Any, h: int, level: Any, X_df: Any, cv: Any, base: Columns) -> Any:
        if self.engine != "dask":
            raise SeqlabValueError(
                "a Dask DataFrame is processed on Dask: pass engine='dask' (or compute it to "
                "pandas first)."
            )
        # indexed by series with known divisions (ddf.set_index(id_col)): every series is
        # already inside one partition, and no shuffle is needed
        by_id = ddf.index.name == base.id and ddf.known_divisions
        if by_id:
            ddf = ddf.map_partitions(pd.DataFrame.reset_index)
        exog = check_frame(ddf._meta, base)
        cols = Columns(base.id, base.time, base.target, exog)
        xf = self._future(X_df, cols, exog)
        job = self._job(h, level, cols, cv, 1)
        if "shared_hmm" in job.kinds:
            fitted = tuple(
                fit_shared(m, []) if k == "shared_hmm" else None
                for k, m in zip(job.kinds, job.models)
            )
            if any(k == "shared_hmm" and m.refit for k, m in zip(job.kinds, job.models)):
                raise SeqlabValueError(
                    "SharedHMM fits on every series at once; for a Dask DataFrame fit it on "
                    "a pandas sample first and pass SharedHMM(model, refit=False)."
                )
            job = Job(job.names, job.kinds, job.models, fitted, h, job.levels, cols,
                      job.freq, cv, 1)
        job = Job(job.names, job.kinds, job.models, job.fitted, h, job.levels, cols, job.freq,
                  cv, 1)
        parts = ddf if by_id or ddf.npartitions == 1 else ddf.shuffle(on=cols.id)
        meta = empty_output(ddf._meta, job)
        return parts.map_partitions(run_partition, xf, job, self.chunk_size, self.chunk_bytes,
                                    meta=meta, align_dataframes=False)


def _is_dask(df: Any) -> bool:
    mod = type(df).__module__
    return mod.startswith("dask") and hasattr(df, "map_partitions")


def _slice_future(xf: Any, rows: pd.DataFrame, cols: Columns) -> Any:
    if xf is None:
        return None
    ids = xf[cols.id].to_numpy()
    col = rows[cols.id].to_numpy()
    i0 = np.searchsorted(ids, col[0], side="left")
    i1 = np.searchsorted(ids, col[-1], side="right")
    return xf.iloc[i0:i1]


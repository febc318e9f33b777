"""Engines, peak-memory sampling and the Dask curve for benchmarks/scale.py."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np
import pandas as pd

ENGINES = ("inprocess", "processes", "dask", "ray")
WORKERS = 2


class PeakRss:
    """Samples the RSS of every descendant process (psutil, every ``interval`` s) and keeps
    each one's peak; ``report()`` gives the worker processes' peaks in MiB, largest first
    (workers: spawned/forked Python children, Ray's ``ray::`` workers; not Ray's daemons)."""

    def __init__(self, interval: float = 0.25) -> None:
        import psutil

        self._me = psutil.Process()
        self._cmd = self._me.cmdline()
        self.interval = interval
        self.peak: dict[int, tuple[str, float]] = {}
        self.driver_peak = 0.0
        self._stop = threading.Event()

    def _label(self, p: Any) -> str | None:
        try:
            cmd = " ".join(p.cmdline())
            name = p.name()
        except Exception:
            return None
        if "ray::" in cmd or "ray::" in name or "default_worker" in cmd:
            return "ray worker"
        if "resource_tracker" in cmd or "semaphore_tracker" in cmd:
            return None
        if "spawn_main" in cmd:
            return "spawned worker"
        if p.cmdline() == self._cmd:
            return "forked worker"
        return None

    def _sample(self) -> None:
        labels: dict[int, str | None] = {}
        while not self._stop.is_set():
            try:
                kids = self._me.children(recursive=True)
            except Exception:
                kids = []
            try:
                self.driver_peak = max(self.driver_peak, self._me.memory_info().rss / 2**20)
            except Exception:
                pass
            for p in kids:
                if p.pid not in labels:
                    labels[p.pid] = self._label(p)
                if labels[p.pid] is None:
                    continue
                try:
                    rss = p.memory_info().rss / 2**20
                except Exception:
                    continue
                old = self.peak.get(p.pid, ("", 0.0))[1]
                self.peak[p.pid] = (labels[p.pid], max(old, rss))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def report(self) -> dict:
        peaks = sorted(((v, k) for k, v in self.peak.values()), reverse=True)
        big = [round(v, 1) for v, _ in peaks if v > 150]  # idle Ray workers excluded
        return {"workers_mib": big[: max(WORKERS, len(big))],
                "kinds": sorted({k for v, k in peaks if v > 150}),
                "driver_mib": round(self.driver_peak, 1)}


def _rows(df: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
    return df[df.unique_id.isin(ids)]


def _maxrss() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _frame_out(out: Any) -> pd.DataFrame:
    if hasattr(out, "compute"):
        return out.compute()
    if hasattr(out, "to_pandas"):
        return out.to_pandas()
    return out


class Engine:
    """``run(lib, data, model)``: one forecast on this engine; ``data(df)``: its input."""

    name = "inprocess"
    detail = "one process, 1 thread; statsforecast n_jobs=1"

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def data(self, df: pd.DataFrame) -> Any:
        return df

    def _seqlab_kw(self) -> dict:
        return {"engine": "inprocess"}

    def _peer_jobs(self) -> int:
        return 1

    def run(self, lib: str, data: Any, model: Any) -> pd.DataFrame:
        if lib == "seqlab":
            from seqlab.scale import ManySeries

            out = ManySeries([model], freq=1, **self._seqlab_kw()).forecast(data, h=12,
                                                                            level=[80, 95])
        else:
            from statsforecast import StatsForecast

            sf = StatsForecast(models=[model], freq=1, n_jobs=self._peer_jobs())
            out = sf.forecast(df=self._peer_data(data), h=12, level=[80, 95])
        return _frame_out(out)

    def _peer_data(self, data: Any) -> Any:
        return data


class Processes(Engine):
    name = "processes"
    detail = ("seqlab engine='processes' (spawned pool of 2, kept between calls) vs "
              "StatsForecast(n_jobs=2) (multiprocessing.Pool of 2, started per call); pandas in")

    def _seqlab_kw(self) -> dict:
        return {"engine": "processes", "n_jobs": WORKERS}

    def _peer_jobs(self) -> int:
        return WORKERS


class Dask(Engine):
    name = "dask"
    detail = ("LocalCluster(2 worker processes x 1 thread); both get the same persisted Dask "
              "DataFrame (from_pandas, not indexed: seqlab shuffles by series, statsforecast "
              "goes through fugue's Dask engine, partition by unique_id)")

    def __enter__(self) -> Dask:
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                    host="127.0.0.1", dashboard_address=None)
        self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.close()
        self.cluster.close()

    def data(self, df: pd.DataFrame) -> Any:
        import dask.dataframe as dd

        n = df.unique_id.nunique()
        nparts = max(2 * WORKERS, n // 10_000)
        return dd.from_pandas(df, npartitions=nparts, sort=False).persist()

    def _seqlab_kw(self) -> dict:
        return {"engine": "dask", "client": self.client}

    def run(self, lib: str, data: Any, model: Any) -> pd.DataFrame:
        out = super().run(lib, data, model)
        self.worker_maxrss = sorted(self.client.run(_maxrss).values())
        return out


class Ray(Engine):
    name = "ray"
    detail = ("local Ray, num_cpus=2; seqlab engine='ray' on the pandas frame (chunks put by "
              "the driver) vs statsforecast on ray.data.from_pandas(frame) (fugue's Ray engine, "
              "partition by unique_id); the conversion is inside both timings")

    def __enter__(self) -> Ray:
        import ray

        ray.init(num_cpus=WORKERS, include_dashboard=False, log_to_driver=False,
                 object_store_memory=2 * 2**30)
        return self

    def __exit__(self, *exc: Any) -> None:
        import ray

        ray.shutdown()

    def _seqlab_kw(self) -> dict:
        return {"engine": "ray", "n_jobs": WORKERS}

    def _peer_data(self, data: Any) -> Any:
        import ray.data

        return ray.data.from_pandas(data)


def make_engine(name: str) -> Engine:
    return {"inprocess": Engine, "processes": Processes, "dask": Dask, "ray": Ray}[name]()


# ---------------------------------------------------------------------------- curve
def dask_curve_point(n: int, model_name: str, make_model, block, block_size: int, n_obs: int,
                     h: int, level: list[int], check: int, compare_frames) -> dict:
    """seqlab on N series on a fresh 2-worker LocalCluster: each partition made on its
    worker (indexed by series, known divisions: no shuffle), each partition's forecasts
    reduced there to a summary; a random sample of series is brought back and refitted in
    process."""
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from seqlab.scale import ManySeries

    per = min(block_size, max(1, -(-n // (4 * WORKERS))))  # >= 4 partitions per worker
    parts = [(lo, min(lo + per, n)) for lo in range(0, n, per)]
    sample = np.sort(np.random.default_rng(n).choice(n, size=min(check, n), replace=False))
    meta = block(0).iloc[:0].set_index("unique_id")

    def make(part: tuple[int, int]) -> pd.DataFrame:
        lo, hi = part
        b = lo // block_size
        assert (hi - 1) // block_size == b
        df = block(b)
        off = b * block_size
        return df.iloc[(lo - off) * n_obs: (hi - off) * n_obs].set_index("unique_id")

    def summary(out: pd.DataFrame) -> pd.DataFrame:
        col = next(c for c in out.columns if c not in ("unique_id", "ds", "error"))
        return pd.DataFrame({"rows": [len(out)], "series": [out.unique_id.nunique()],
                             "failed": [out.loc[out.error.notna(), "unique_id"].nunique()],
                             "sum": [float(out[col].sum())]})


    divisions = (*(lo for lo, _ in parts), n - 1)
    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        # warm-up: load the compiled kernels on both workers
        warm = dd.from_pandas(block(0).iloc[: 40 * n_obs], npartitions=2)
        ManySeries([make_model(model_name, "seqlab")], freq=1, engine="dask",
                   client=client).forecast(warm, h=h, level=level).compute()
        ddf = dd.from_map(make, parts, divisions=divisions, meta=meta)
        load_before = [round(x, 2) for x in os.getloadavg()]
        with PeakRss() as rss:
            t0 = time.perf_counter()
            out = ManySeries([make_model(model_name, "seqlab")], freq=1, engine="dask",
                             client=client).forecast(ddf, h=h, level=level)
            summ, picked = dask.compute(out.map_partitions(summary),
                                        out[out.unique_id.isin(sample)])
            dt = time.perf_counter() - t0
        worker_maxrss = sorted(client.run(_maxrss).values())
    ref_rows = pd.concat([_rows(block(b), sample) for b in np.unique(sample // block_size)])
    ref = ManySeries([make_model(model_name, "seqlab")], freq=1).forecast(ref_rows, h=h,
                                                                          level=level)
    return {"seqlab_s": dt, "partitions": len(parts), "series_per_partition": per,
            "input": "made on the workers (from_map), indexed by unique_id, no shuffle",
            "output": "reduced on the workers (per-partition summary + sampled series)",
            "rows_out": int(summ.rows.sum()), "series_out": int(summ.series.sum()),
            "failed_series": int(summ.failed.sum()),
            "worker_peak_rss_mib": rss.report()["workers_mib"],
            "driver_peak_rss_during_run_mib": rss.report()["driver_mib"],
            "worker_ru_maxrss_mib": worker_maxrss,
            "spot_check_vs_inprocess": compare_frames(picked, ref) | {"n_series": len(sample)},
            "load_before": load_before, "load_after": [round(x, 2) for x in os.getloadavg()]}

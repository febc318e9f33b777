"""Engines that run :func:`seqlab.scale._work.run_chunk` over chunks of series.

- ``"inprocess"``: a loop in this process (the ARIMA batch kernel runs on numba's threads);
- ``"processes"``: a ``concurrent.futures.ProcessPoolExecutor`` of spawned workers, kept
  between calls (:func:`process_pool`: the next call with the same ``n_jobs`` reuses it and
  skips the ~1.5 s start of fresh interpreters; :func:`close_pool` or interpreter exit
  shuts it down);
- ``"dask"``: a ``dask.distributed.Client`` the caller passes, a scheduler ``address``, or a
  ``LocalCluster`` started (and closed) here;
- ``"ray"``: a running Ray (``address``, or the one this process already joined), or a local
  one started with ``ray.init``.

Every engine keeps at most ``2 x workers`` chunks in flight, so the driver never ships the
whole frame at once, and reports progress (series done / total) as chunks finish. Dask and
Ray are imported only here, only when asked for.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from seqlab.exceptions import MissingDependencyError, SeqlabValueError
from seqlab.scale._work import Job, run_chunk

__all__: list[str] = []

ENGINES = ("inprocess", "processes", "dask", "ray")
INSTALL = "pip install 'seqlab[scale]'"

Piece = tuple[pd.DataFrame, "pd.DataFrame | None", int]  # rows, future rows, n series


def require(module: str, package: str, engine: str) -> Any:
    """Import an optional engine or raise MissingDependencyError naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(package, INSTALL, f"engine={engine!r}") from None


class Progress:
    """Calls ``callback(done, total)`` (series) or drives a tqdm bar (``True``)."""

    def __init__(self, progress: Any, total: int) -> None:
        self.total, self.done = total, 0
        self._bar = None
        self._call: Callable[[int, int], Any] | None = None
        if progress is True:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit="series")
        elif callable(progress):
            self._call = progress
        elif progress not in (None, False):
            raise SeqlabValueError(
                f"progress must be None, True (a tqdm bar) or a callable(done, total); "
                f"got {progress!r}."
            )

    def add(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        if self._call is not None:
            self._call(self.done, self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def workers_for(engine: str, n_jobs: int | None, client: Any) -> int:
    """How many workers the engine will run (to size the chunks)."""
    if engine == "inprocess":
        return 1
    if client is not None:
        try:
            return max(1, len(client.scheduler_info().get("workers", {})))
        except Exception:
            return n_jobs or 2
    return n_jobs or (os.cpu_count() or 1)


def run(engine: str, pieces: list[Piece], job: Job, progress: Progress, *, n_jobs: int | None,
        client: Any, address: str | None) -> list[pd.DataFrame]:
    """Run every piece on ``engine``; the outputs in the order of ``pieces``."""
    out: list[pd.DataFrame | None] = [None] * len(pieces)
    if engine == "inprocess":
        for i, (df, xf, n) in enumerate(pieces):
            out[i] = run_chunk(df, xf, job)
            progress.add(n)
    elif engine == "processes":
        for i, frame in _processes(pieces, job, n_jobs or (os.cpu_count() or 1), progress):
            out[i] = frame
    elif engine == "dask":
        for i, frame in _dask(pieces, job, client, address, n_jobs, progress):
            out[i] = frame
    elif engine == "ray":
        for i, frame in _ray(pieces, job, address, n_jobs, progress):
            out[i] = frame
    else:  # pragma: no cover - checked by ManySeries
        raise SeqlabValueError(f"unknown engine {engine!r}; use one of {ENGINES}.")
    return [f for f in out if f is not None]


# ---------------------------------------------------------------------- the process pool
_POOL: Any = None  # (n_workers, ProcessPoolExecutor) of this process, or None
_POOL_LOCK = threading.Lock()


def process_pool(n_workers: int) -> Any:
    """The process pool of ``n_workers`` spawned workers, started on first use and reused by
    later calls asking for as many workers (another count, or a broken pool, replaces it).

    Spawned, not forked: a fork would copy numba's, BLAS's or torch's thread pools
    mid-state. A forked child of this process never touches the parent's pool (it starts
    its own); the pool is shut down at interpreter exit or by :func:`close_pool`.
    """
    global _POOL
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with _POOL_LOCK:
        if _POOL is not None:
            n, pool = _POOL
            if n == n_workers and not (getattr(pool, "_broken", False)
                                       or getattr(pool, "_shutdown_thread", False)):
                return pool
            _POOL = None
            pool.shutdown(wait=True, cancel_futures=True)
        pool = ProcessPoolExecutor(max_workers=n_workers,
                                   mp_context=multiprocessing.get_context("spawn"))
        _POOL = (n_workers, pool)
        return pool


def close_pool() -> None:
    """Shut down the ``engine="processes"`` worker pool kept between calls (if any) and wait
    for its processes to exit; the next call starts a fresh one. Runs at interpreter exit."""
    global _POOL
    with _POOL_LOCK:
        held, _POOL = _POOL, None
    if held is not None:
        held[1].shutdown(wait=True, cancel_futures=True)


def _forget_pool() -> None:  # in a forked child: the parent's pool is not ours to use
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


atexit.register(close_pool)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _processes(pieces, job, n_workers, progress) -> Iterator[tuple[int, pd.DataFrame]]:
    from concurrent.futures import FIRST_COMPLETED, wait

    pool = process_pool(n_workers)
    todo = iter(enumerate(pieces))
    running: dict[Any, tuple[int, int]] = {}
    try:
        for i, (df, xf, n) in todo:
            running[pool.submit(run_chunk, df, xf, job)] = (i, n)
            if len(running) >= 2 * n_workers:
                break
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                i, n = running.pop(fut)
                yield i, fut.result()
                progress.add(n)
                nxt = next(todo, None)
                if nxt is not None:
                    j, (df, xf, m) = nxt
                    running[pool.submit(run_chunk, df, xf, job)] = (j, m)
    finally:  # an error, or the caller stopped early: leave the kept pool idle
        for fut in running:
            fut.cancel()
        if getattr(pool, "_broken", False):  # a worker died: the next call starts afresh
            close_pool()


def dask_client(client: Any, address: str | None, n_jobs: int | None) -> tuple[Any, list[Any]]:
    """The client to use and what to close afterwards (what was started here)."""
    distributed = require("distributed", "dask[distributed]", "dask")
    if client is not None:
        if address is not None:
            raise SeqlabValueError("give client= or address=, not both.")
        return client, []
    if address is not None:
        c = distributed.Client(address)
        return c, [c]
    cluster = distributed.LocalCluster(
        n_workers=n_jobs or (os.cpu_count() or 1), threads_per_worker=1, processes=True,
        host="127.0.0.1", dashboard_address=None,
    )
    c = distributed.Client(cluster)
    return c, [c, cluster]


def _dask(pieces, job, client, address, n_jobs, progress) -> Iterator[tuple[int, pd.DataFrame]]:
    distributed = require("distributed", "dask[distributed]", "dask")
    c, started = dask_client(client, address, n_jobs)
    try:
        n_workers = max(1, len(c.scheduler_info().get("workers", {})))
        job_f = c.scatter(job, broadcast=True)
        todo = iter(enumerate(pieces))
        index: dict[str, tuple[int, int]] = {}

        def submit(i: int, df: Any, xf: Any, n: int) -> Any:
            fut = c.submit(run_chunk, df, xf, job_f, pure=False)
            index[fut.key] = (i, n)
            return fut

        first = [submit(i, df, xf, n) for _, (i, (df, xf, n)) in zip(range(2 * n_workers), todo)]
        queue = distributed.as_completed(first)
        for fut in queue:
            i, n = index.pop(fut.key)
            yield i, fut.result()
            progress.add(n)
            nxt = next(todo, None)
            if nxt is not None:
                j, (df, xf, m) = nxt
                queue.add(submit(j, df, xf, m))
    finally:
        for obj in started:
            obj.close()


_RAY_TASK: Any = None


def ray_start(address: str | None, n_jobs: int | None) -> Any:
    """The ``ray`` module, joined to a cluster: the running one, ``address``, or a local
    one (``num_cpus=n_jobs``, no dashboard) left running for later calls."""
    ray = require("ray", "ray", "ray")
    if not ray.is_initialized():
        if address is not None:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(num_cpus=n_jobs or (os.cpu_count() or 1), include_dashboard=False,
                     log_to_driver=False)
    return ray


def _ray(pieces, job, address, n_jobs, progress) -> Iterator[tuple[int, pd.DataFrame]]:
    global _RAY_TASK
    ray = ray_start(address, n_jobs)
    if _RAY_TASK is None:
        _RAY_TASK = ray.remote(run_chunk)
    n_workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
    job_ref = ray.put(job)
    todo = iter(enumerate(pieces))
    index: dict[Any, tuple[int, int]] = {}
    for _, (i, (df, xf, n)) in zip(range(2 * n_workers), todo):  # range first: zip
        index[_RAY_TASK.remote(df, xf, job_ref)] = (i, n)
    while index:
        done, _ = ray.wait(list(index), num_returns=1)
        for ref in done:
            i, n = index.pop(ref)
            yield i, ray.get(ref)
            progress.add(n)
            nxt = next(todo, None)
            if nxt is not None:
                j, (df, xf, m) = nxt
                index[_RAY_TASK.remote(df, xf, job_ref)] = (j, m)

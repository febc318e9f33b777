"""Many series: seqlab.scale.ManySeries against statsforecast on the same engine and data.

ARIMA(1,1,1) (exact MLE in both) on N simulated series of length 120, forecast h=12 with
80/95 % intervals, long format in and out:

- ``inprocess``: seqlab's batch kernel on one thread vs ``StatsForecast(n_jobs=1)``;
- ``processes``: 2 worker processes (seqlab ``engine="processes"`` vs ``n_jobs=2``);
- ``dask``: a LocalCluster of 2 worker processes x 1 thread, both given the same Dask
  DataFrame (statsforecast through fugue's Dask engine).

Rounds are interleaved (peer, seqlab, peer, seqlab...; seqlab first on worker engines)
and the median ratio seqlab_time / peer_time is reported. Peak memory: in process,
tracemalloc's peak of the call (Python + numpy allocations; a separate untimed run, since
tracing slows Python) and the process's peak RSS; worker processes, their peak RSS
(``ru_maxrss``: children of a pool, or each Dask worker's own), read after seqlab's first
round and again after the peer's. ``--curve``: seqlab alone at larger N (the peer takes
~0.1 s a series on this machine), in process and on Dask.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/scale.py --sizes 1000 10000
    python benchmarks/scale.py --quick     # 200 series, a smoke test
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

H, LEVEL, N_OBS = 12, [80, 95], 120


def simulate(n_series: int, seed: int = 0) -> pd.DataFrame:
    """ARIMA(1,1,1) paths (phi 0.5, theta 0.3), integer ds, long format."""
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(N_OBS + 1, n_series))
    w = np.zeros((N_OBS + 1, n_series))
    for t in range(1, N_OBS + 1):
        w[t] = 0.5 * w[t - 1] + e[t] + 0.3 * e[t - 1]
    y = np.cumsum(w[1:], axis=0) + 50.0
    return pd.DataFrame({
        "unique_id": np.repeat(np.arange(n_series), N_OBS),
        "ds": np.tile(np.arange(N_OBS), n_series),
        "y": y.T.ravel(),
    })


def _maxrss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def _rss() -> float:
    """This process's peak RSS in MiB (run on each Dask worker)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_seqlab(df, engine: str, client=None) -> pd.DataFrame:
    from seqlab.classical import ARIMA
    from seqlab.scale import ManySeries

    ms = ManySeries([ARIMA(order=(1, 1, 1))], freq=1, engine=engine, n_jobs=2, client=client)
    out = ms.forecast(df, h=H, level=LEVEL)
    return out.compute() if hasattr(out, "compute") else out


def run_peer(df, n_jobs: int = 1) -> pd.DataFrame:
    from statsforecast import StatsForecast
    from statsforecast.models import ARIMA

    sf = StatsForecast(models=[ARIMA(order=(1, 1, 1))], freq=1, n_jobs=n_jobs)
    out = sf.forecast(df=df, h=H, level=LEVEL)
    return out.compute() if hasattr(out, "compute") else out


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def traced_peak_mib(fn, *args, **kwargs) -> float:
    """tracemalloc's peak over one call (a separate, untimed run: tracing slows Python)."""
    tracemalloc.start()
    fn(*args, **kwargs)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def bench_inprocess(n: int, rounds: int) -> dict:
    df = simulate(n)
    rows: dict = {"seqlab_s": [], "peer_s": []}
    for _ in range(rounds):
        dt, ref = timed(run_peer, df, 1)
        rows["peer_s"].append(dt)
        dt, got = timed(run_seqlab, df, "inprocess")
        rows["seqlab_s"].append(dt)
    rows["seqlab_tracemalloc_mib"] = traced_peak_mib(run_seqlab, df, "inprocess")
    rows["max_abs_diff_forecast"] = float(np.nanmax(np.abs(got["ARIMA"].to_numpy()
                                                           - ref["ARIMA"].to_numpy())))
    rows["seqlab_failed_series"] = int(got.loc[got.error.notna(), "unique_id"].nunique())
    return rows


def bench_processes(n: int, rounds: int) -> dict:
    """seqlab's round first, so the children's peak RSS is read before the peer's pool."""
    df = simulate(n)
    rows: dict = {"seqlab_s": [], "peer_s": []}
    for r in range(rounds):
        rows["seqlab_s"].append(timed(run_seqlab, df, "processes")[0])
        if r == 0:
            rows["seqlab_worker_peak_rss_mib"] = _maxrss_mib(resource.RUSAGE_CHILDREN)
        rows["peer_s"].append(timed(run_peer, df, 2)[0])
    rows["any_worker_peak_rss_mib"] = _maxrss_mib(resource.RUSAGE_CHILDREN)
    return rows


def bench_dask(n: int, rounds: int) -> dict:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    df = simulate(n)
    rows = {"seqlab_s": [], "peer_s": []}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("os").environ.update(
            OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1"))
        ddf = dd.from_pandas(df, npartitions=8).persist()
        for r in range(rounds):  # seqlab first: its workers' peak RSS is read before the peer
            rows["seqlab_s"].append(timed(run_seqlab, ddf, "dask", client)[0])
            if r == 0:
                rows["seqlab_worker_peak_rss_mib"] = sorted(client.run(_rss).values())
            rows["peer_s"].append(timed(run_peer, ddf)[0])
        rows["any_worker_peak_rss_mib"] = sorted(client.run(_rss).values())
    return rows


def curve(n: int, engine: str) -> dict:
    """seqlab alone (the peer takes ~0.1 s a series here): time and peak memory for N."""
    if engine == "inprocess":  # a fresh process per size: its peak RSS is this run's
        import subprocess
        import sys

        proc = subprocess.run([sys.executable, __file__, "--one", str(n)], check=True,
                              capture_output=True, text=True)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    df = simulate(n)
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("os").environ.update(
            OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1"))
        # indexed by series (sorted, known divisions): ManySeries skips the shuffle
        ddf = dd.from_pandas(df.set_index("unique_id"), npartitions=max(2, n // 5000),
                             sort=True).persist()
        del df
        dt = timed(run_seqlab, ddf, "dask", client)[0]
        rss = client.run(_rss)
    return {"seqlab_s": dt, "worker_peak_rss_mib": sorted(rss.values()),
            "partitions": max(2, n // 5000), "input": "indexed by unique_id, no shuffle"}


def bench_autoarima(n: int, out: str) -> None:
    """``--autoarima N``: AutoARIMA (nonseasonal search, season_length=1) on N series, in
    process, peer first; added to the JSON already at ``out``."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA as PeerAutoARIMA

    from seqlab.classical import AutoARIMA
    from seqlab.scale import ManySeries

    warnings.simplefilter("ignore")
    warm = simulate(4, seed=9)
    ManySeries([AutoARIMA(season_length=1)], freq=1).forecast(warm, h=H, level=LEVEL)
    StatsForecast(models=[PeerAutoARIMA(season_length=1)], freq=1).forecast(df=warm, h=H)
    df = simulate(n)
    peer_s, ref = timed(StatsForecast(models=[PeerAutoARIMA(season_length=1)], freq=1,
                                      n_jobs=1).forecast, df=df, h=H, level=LEVEL)
    seq_s, got = timed(ManySeries([AutoARIMA(season_length=1)], freq=1).forecast, df, h=H,
                       level=LEVEL)
    row = {"engine": "inprocess", "n_series": n, "seqlab_s": seq_s, "peer_s": peer_s,
           "ratio": seq_s / peer_s,
           "max_abs_diff_forecast": float(np.nanmax(np.abs(got["AutoARIMA"].to_numpy()
                                                           - ref["AutoARIMA"].to_numpy()))),
           "seqlab_failed_series": int(got.loc[got.error.notna(), "unique_id"].nunique())}
    print(f"AutoARIMA N={n}: seqlab {seq_s:.2f} s, statsforecast {peer_s:.2f} s, "
          f"ratio {row['ratio']:.3f}")
    path = Path(out)
    doc = json.loads(path.read_text()) if path.exists() else {}
    doc["autoarima"] = row
    path.write_text(json.dumps(doc, indent=1) + "\n")


def one(n: int) -> None:
    """``--one N``: seqlab in process on N series, printed as JSON (time, peak RSS)."""
    warnings.simplefilter("ignore")
    run_seqlab(simulate(40, seed=9), "inprocess")  # compiled kernels from numba's cache
    base = _maxrss_mib()
    df = simulate(n)
    dt, out = timed(run_seqlab, df, "inprocess")
    print(json.dumps({"seqlab_s": dt, "peak_rss_mib": _maxrss_mib(),
                      "rss_before_data_mib": base,
                      "input_mib": float(df.memory_usage().sum() / 2**20),
                      "failed_series": int(out.loc[out.error.notna(), "unique_id"].nunique())}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--engines", nargs="*", default=["inprocess", "processes", "dask"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--curve", type=int, nargs="*", default=[1000, 10000, 100000],
                    help="sizes for seqlab's own time curve (in process and on Dask)")
    ap.add_argument("--curve-engines", nargs="*", default=["inprocess", "dask"])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--autoarima", type=int, default=None, metavar="N",
                    help="only AutoARIMA on N series in process, added to --out's JSON")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "scale.json"))
    args = ap.parse_args()
    if args.one is not None:
        return one(args.one)
    if args.autoarima is not None:
        return bench_autoarima(args.autoarima, args.out)
    sizes = [200] if args.quick else args.sizes
    warnings.simplefilter("ignore")
    # warm-up: compile both libraries' kernels before timing anything
    run_seqlab(simulate(40, seed=9), "inprocess")
    run_peer(simulate(40, seed=9), 1)
    bench = {"inprocess": bench_inprocess, "processes": bench_processes, "dask": bench_dask}
    results = []
    for engine in args.engines:
        for n in sizes:
            t0 = time.perf_counter()
            row = bench[engine](n, args.rounds)
            ratios = [s / p for s, p in zip(row["seqlab_s"], row["peer_s"])]
            row.update(engine=engine, n_series=n, ratio_median=statistics.median(ratios),
                       seqlab_per_series_ms=1e3 * statistics.median(row["seqlab_s"]) / n,
                       peer_per_series_ms=1e3 * statistics.median(row["peer_s"]) / n,
                       wall_s=time.perf_counter() - t0)
            results.append(row)
            print(f"{engine:>10} N={n:>7}: seqlab {statistics.median(row['seqlab_s']):8.2f} s, "
                  f"statsforecast {statistics.median(row['peer_s']):8.2f} s, "
                  f"ratio {row['ratio_median']:.3f}", flush=True)
    curves = []
    for engine in args.curve_engines:
        for n in ([200] if args.quick else args.curve):
            row = curve(n, engine)
            row.update(engine=engine, n_series=n,
                       seqlab_per_series_ms=1e3 * row["seqlab_s"] / n)
            curves.append(row)
            print(f"curve {engine:>10} N={n:>7}: seqlab {row['seqlab_s']:8.2f} s "
                  f"({row['seqlab_per_series_ms']:.2f} ms/series)", flush=True)
    doc = {
        "benchmark": "ARIMA(1,1,1), length 120, h=12, levels 80/95; seqlab ManySeries vs "
                     "statsforecast StatsForecast on the same engine and data",
        "machine": f"{platform.machine()}, 2 cores shared with other jobs (timings noisy)",
        "driver_peak_rss_mib": _maxrss_mib(),
        "results": results,
        "seqlab_curve": curves,
    }
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

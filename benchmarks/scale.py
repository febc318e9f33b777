"""Many series: seqlab.scale.ManySeries against statsforecast on the same engine and data.

N simulated ARIMA(1,1,1) series of length 120 (the first N of one fixed population, made
in blocks of 10,000 so a size's data never depends on the others), forecast h=12 with
80/95 % intervals, long format in and out. Models: ``arima`` = ARIMA(1,1,1) (exact MLE in
both), ``autoarima`` = AutoARIMA(season_length=12). Engines, 2 workers x 1 thread each:

- ``processes``: seqlab ``engine="processes", n_jobs=2`` (its spawned pool kept between
  calls: started by the warm-up call, reused by the timed ones) vs ``StatsForecast(n_jobs=2)``
  (a multiprocessing pool per call); ``overhead`` times one call with the pool started and
  shut down inside it (what every call paid before the pool was kept) against one on the
  kept pool;
- ``dask``: a LocalCluster of 2 worker processes; both get the same Dask DataFrame
  (statsforecast through fugue's Dask engine, its documented path);
- ``ray``: a local Ray with 2 CPUs; seqlab ``engine="ray"`` on the pandas frame,
  statsforecast on ``ray.data.from_pandas`` of it (fugue's Ray engine; needs duckdb);
- ``inprocess``: one thread each (``n_jobs=1``).

``compare``: at the ``--both`` sizes both libraries run on the same random subset of the
population (nested subsets; alternated, seqlab first then the peer, ``--rounds`` times);
at the ``--seqlab-only`` sizes seqlab alone runs the first N series. The peer's time at a
size it did not run is extrapolated by a least-squares line t = a + b N through its
measured sizes (the JSON says which figures are measured and which extrapolated, and the
per-series times that show the line fits). ``curve``: seqlab alone on Dask for growing N,
the data made on the workers (indexed by series: no shuffle) and the forecasts reduced there
(a per-partition summary and a sample of series, not gathered to the driver), so driver
memory stays flat up to 1e6 series. Peak memory: every worker process's peak RSS, sampled
with psutil every 0.25 s during each timed call (not ``ru_maxrss``: a spawned worker's
starts at its parent's peak). Spot checks: a sample of each seqlab run's series is refitted
in process and compared. Every row records os.getloadavg() before and after.

    python benchmarks/scale.py compare --engine processes --model arima \
        --both 500 1000 2000 --seqlab-only 10000 100000
    python benchmarks/scale.py curve --sizes 1000 10000 100000 1000000
    python benchmarks/scale.py overhead --n 200 --rounds 5   # processes: pool kept or not
    python benchmarks/scale.py report          # the summary table from the JSON
    python benchmarks/scale.py compare --engine dask --model arima --both 40 --quick
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"  # before numpy/numba load; every worker inherits it

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _scale_engines import ENGINES, PeakRss, make_engine  # noqa: E402

H, LEVEL, N_OBS, BLOCK = 12, [80, 95], 120, 10_000
OUT = Path(__file__).parent / "results" / "scale.json"


def block(b: int, seed: int = 0) -> pd.DataFrame:
    """Series ``b*BLOCK .. (b+1)*BLOCK-1``: ARIMA(1,1,1) paths (phi 0.5, theta 0.3)."""
    rng = np.random.default_rng([seed, b])
    e = rng.normal(size=(N_OBS + 1, BLOCK))
    w = np.zeros((N_OBS + 1, BLOCK))
    for t in range(1, N_OBS + 1):
        w[t] = 0.5 * w[t - 1] + e[t] + 0.3 * e[t - 1]
    y = np.cumsum(w[1:], axis=0) + 50.0
    return pd.DataFrame({
        "unique_id": np.repeat(np.arange(b * BLOCK, (b + 1) * BLOCK), N_OBS),
        "ds": np.tile(np.arange(N_OBS), BLOCK),
        "y": y.T.ravel(),
    })


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    """The first ``n`` series of the population, long format sorted by series."""
    nb = -(-n // BLOCK)
    df = pd.concat([block(b, seed) for b in range(nb)], ignore_index=True)
    return df.iloc[: n * N_OBS].reset_index(drop=True)


def make_model(name: str, lib: str):
    if lib == "seqlab":
        from seqlab.classical import ARIMA, AutoARIMA
    else:
        from statsforecast.models import ARIMA, AutoARIMA
    return ARIMA(order=(1, 1, 1)) if name == "arima" else AutoARIMA(season_length=12)


def col_of(name: str) -> str:
    return "ARIMA" if name == "arima" else "AutoARIMA"


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(fn, *args) -> tuple[float, object, dict]:
    """Seconds, result, and the workers' peak RSS (psutil samples) of one call."""
    with PeakRss() as rss:
        t0 = time.perf_counter()
        out = fn(*args)
        dt = time.perf_counter() - t0
    return dt, out, rss.report()


def spot_check(got: pd.DataFrame, df: pd.DataFrame, model: str, k: int, seed: int) -> dict:
    """Refit ``k`` random series of ``df`` in process; the max difference from ``got``."""
    from seqlab.scale import ManySeries

    ids = np.random.default_rng(seed).choice(df.unique_id.unique(), size=k, replace=False)
    ref = ManySeries([make_model(model, "seqlab")], freq=1).forecast(
        df[df.unique_id.isin(ids)], h=H, level=LEVEL)
    return compare_frames(got[got.unique_id.isin(ids)], ref) | {"n_series": int(k)}


def compare_frames(got: pd.DataFrame, ref: pd.DataFrame) -> dict:
    key = ["unique_id", "ds"]
    a = got.sort_values(key).reset_index(drop=True)
    b = ref.sort_values(key).reset_index(drop=True)
    num = [c for c in b.columns if c not in [*key, "error"]]
    same_rows = len(a) == len(b) and bool((a[key].to_numpy() == b[key].to_numpy()).all())
    diff = float(np.nanmax(np.abs(a[num].to_numpy() - b[num].to_numpy()))) if same_rows \
        else float("nan")
    return {"same_rows": same_rows, "max_abs_diff": diff,
            "bitwise_equal": same_rows and bool(np.array_equal(
                a[num].to_numpy(), b[num].to_numpy(), equal_nan=True)),
            "same_errors": same_rows and bool((a.error.isna() == b.error.isna()).all())}


# ---------------------------------------------------------------------------- JSON
def read_doc(path: Path) -> dict:
    doc = json.loads(path.read_text()) if path.exists() else {}
    if "runs" not in doc:  # an earlier layout: start afresh (git keeps the old one)
        doc = {"runs": []}
    return doc


def upsert(path: Path, row: dict) -> None:
    doc = read_doc(path)
    key = ("kind", "model", "engine", "n_series")
    doc["runs"] = [r for r in doc["runs"] if tuple(r.get(k) for k in key)
                   != tuple(row.get(k) for k in key)] + [row]
    doc.update(
        benchmark="seqlab ManySeries vs statsforecast StatsForecast, same engine and data: "
                  "simulated ARIMA(1,1,1) series of length 120, h=12, levels 80/95; "
                  "models ARIMA(1,1,1) and AutoARIMA(season_length=12); 2 workers x 1 thread",
        machine=f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs",
        summary=summarise(doc["runs"]))
    path.write_text(json.dumps(doc, indent=1) + "\n")


def linear_fit(ns: list[int], ts: list[float]) -> tuple[float, float]:
    """Least-squares t = a + b n (a = 0, b = mean per series with one point)."""
    if len(set(ns)) < 2:
        return 0.0, ts[0] / ns[0]
    b, a = np.polyfit(np.asarray(ns, float), np.asarray(ts, float), 1)
    return float(a), float(b)


def summarise(runs: list[dict]) -> list[dict]:
    """For each model x engine: the peer's and seqlab's lines through their measured
    sizes, and every size with its ratio (peer or seqlab time extrapolated where the JSON
    says so)."""
    out = []
    for model, engine in sorted({(r["model"], r["engine"]) for r in runs
                                 if r["kind"] == "compare"}):
        rows = [r for r in runs if r["kind"] == "compare" and r["model"] == model
                and r["engine"] == engine]
        peer = [(r["n_series"], r["peer_s"]) for r in rows if r.get("peer_s") is not None]
        seq = [(r["n_series"], r["seqlab_s"]) for r in rows]
        if not peer:
            continue
        pa, pb = linear_fit(*map(list, zip(*sorted(peer))))
        sa, sb = linear_fit(*map(list, zip(*sorted(seq))))
        sizes = sorted({n for n, _ in seq} | {100_000})
        points = []
        for n in sizes:
            r = next((r for r in rows if r["n_series"] == n), None)
            s_meas = r is not None
            p_meas = s_meas and r.get("peer_s") is not None
            s = r["seqlab_s"] if s_meas else sa + sb * n
            p = r["peer_s"] if p_meas else pa + pb * n
            points.append({
                "n_series": n, "seqlab_s": s, "seqlab": "measured" if s_meas else "extrapolated",
                "peer_s": p, "peer": "measured" if p_meas else "extrapolated",
                "ratio": s / p, "seqlab_ms_per_series": 1e3 * s / n,
                "seqlab_worker_peak_gib": (max(r["seqlab_worker_peak_mib"]) / 1024
                                           if s_meas and r["seqlab_worker_peak_mib"] else None),
            })
        out.append({
            "model": model, "engine": engine,
            "peer_line": {"intercept_s": pa, "ms_per_series": 1e3 * pb,
                          "measured_ms_per_series": {str(n): 1e3 * t / n for n, t in peer}},
            "seqlab_line": {"intercept_s": sa, "ms_per_series": 1e3 * sb},
            "points": points,
        })
    return out


# ---------------------------------------------------------------------------- modes
def compare(args) -> None:
    eng = make_engine(args.engine)
    population = simulate(max(args.both + args.seqlab_only))
    perm = np.random.default_rng(1).permutation(population.unique_id.unique())
    warnings.simplefilter("ignore")
    with eng:
        warm = simulate(40, seed=9)  # compile/load both libraries' kernels on the workers
        for lib in ("seqlab", "peer"):
            eng.run(lib, eng.data(warm), make_model(args.model, lib))
        for n in args.both + args.seqlab_only:
            both = n in args.both
            df = (population[population.unique_id.isin(perm[:n])] if both
                  else population.iloc[: n * N_OBS])
            x = eng.data(df)
            row: dict = {"kind": "compare", "model": args.model, "engine": args.engine,
                         "n_series": n, "data": "random subset" if both else "first N series",
                         "engine_detail": eng.detail, "seqlab_s": None, "peer_s": None,
                         "rounds": []}
            for _ in range(args.rounds if both else 1):
                rnd: dict = {"load_before": load()}
                rnd["seqlab_s"], got, rnd["seqlab_rss"] = timed(
                    eng.run, "seqlab", x, make_model(args.model, "seqlab"))
                if both:
                    rnd["peer_s"], ref, rnd["peer_rss"] = timed(
                        eng.run, "peer", x, make_model(args.model, "peer"))
                rnd["load_after"] = load()
                row["rounds"].append(rnd)
            row["seqlab_s"] = float(np.median([r["seqlab_s"] for r in row["rounds"]]))
            row["seqlab_worker_peak_mib"] = max((r["seqlab_rss"]["workers_mib"]
                                                 for r in row["rounds"]), key=len)
            row["seqlab_failed_series"] = int(got.loc[got.error.notna(), "unique_id"].nunique())
            if both:
                row["peer_s"] = float(np.median([r["peer_s"] for r in row["rounds"]]))
                row["peer_worker_peak_mib"] = row["rounds"][-1]["peer_rss"]["workers_mib"]
                c = col_of(args.model)
                m = got.merge(ref, on=["unique_id", "ds"], suffixes=("", "_peer"))
                row["max_abs_diff_vs_peer"] = float(np.nanmax(np.abs(m[c] - m[c + "_peer"])))
                row["ratio"] = row["seqlab_s"] / row["peer_s"]
            row["spot_check_vs_inprocess"] = spot_check(got, df, args.model,
                                                        min(args.check, n), seed=n)
            row["seqlab_ms_per_series"] = 1e3 * row["seqlab_s"] / n
            print(f"{args.model} {args.engine:>9} N={n:>7}: seqlab {row['seqlab_s']:8.2f} s"
                  + (f", statsforecast {row['peer_s']:8.2f} s, ratio {row['ratio']:.3f}"
                     if both else "")
                  + f"  (load {row['rounds'][0]['load_before']})", flush=True)
            if not args.quick:
                upsert(Path(args.out), row)
            del x


def curve(args) -> None:
    """seqlab alone on Dask, data made on the workers, output reduced there."""
    from _scale_engines import dask_curve_point

    warnings.simplefilter("ignore")
    for n in args.sizes:
        row = dask_curve_point(n, args.model, make_model, block, BLOCK, N_OBS, H, LEVEL,
                               args.check, compare_frames)
        row.update(kind="curve", model=args.model, engine="dask", n_series=n,
                   seqlab_ms_per_series=1e3 * row["seqlab_s"] / n,
                   driver_peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(f"curve {args.model} dask N={n:>8}: {row['seqlab_s']:8.2f} s "
              f"({row['seqlab_ms_per_series']:.3f} ms/series), worker peak "
              f"{row['worker_peak_rss_mib']} MiB (load {row['load_before']})", flush=True)
        if not args.quick:
            upsert(Path(args.out), row)


def overhead(args) -> None:
    """engine="processes": one call's time with the pool started (and shut down) inside the
    call, as every call paid before the pool was kept, against a call on the kept pool;
    statsforecast(n_jobs=2), which starts its pool per call, alongside. Alternated."""
    from seqlab.scale import ManySeries, close_pool

    warnings.simplefilter("ignore")
    df = simulate(args.n)
    ms = ManySeries([make_model("arima", "seqlab")], freq=1, engine="processes", n_jobs=2)
    eng = make_engine("processes")
    eng.run("peer", df, make_model("arima", "peer"))
    ms.forecast(df, h=H, level=LEVEL)  # numba's cache files read once (the OS caches them)
    rounds = []
    for _ in range(args.rounds):
        r: dict = {"load_before": load()}
        close_pool()
        t0 = time.perf_counter()
        ms.forecast(df, h=H, level=LEVEL)
        close_pool()
        r["fresh_pool_s"] = time.perf_counter() - t0
        ms.forecast(df, h=H, level=LEVEL)  # starts the pool kept for the next call
        t0 = time.perf_counter()
        ms.forecast(df, h=H, level=LEVEL)
        r["kept_pool_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        eng.run("peer", df, make_model("arima", "peer"))
        r["peer_s"] = time.perf_counter() - t0
        r["load_after"] = load()
        rounds.append(r)
        print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}, flush=True)
    close_pool()
    med = {k: float(np.median([r[k] for r in rounds]))
           for k in ("fresh_pool_s", "kept_pool_s", "peer_s")}
    row = {"kind": "overhead", "model": "arima", "engine": "processes", "n_series": args.n,
           "detail": "seqlab engine='processes', n_jobs=2: pool started and shut down inside "
                     "the call (before) vs the pool kept between calls (after); "
                     "StatsForecast(n_jobs=2) alongside; medians of alternated rounds",
           **med, "per_call_overhead_saved_s": med["fresh_pool_s"] - med["kept_pool_s"],
           "rounds": rounds}
    print(f"N={args.n}: fresh pool {med['fresh_pool_s']:.2f} s, kept pool "
          f"{med['kept_pool_s']:.2f} s, statsforecast {med['peer_s']:.2f} s", flush=True)
    if not args.quick:
        upsert(Path(args.out), row)


def report(args) -> None:
    doc = read_doc(Path(args.out))
    print(f"{'model':>9} {'engine':>9} {'N':>8} {'seqlab s':>12} {'peer s':>14} {'ratio':>6} "
          f"{'ms/series':>9} {'GiB/worker':>10}")
    for s in doc.get("summary", []):
        for p in s["points"]:
            g = p["seqlab_worker_peak_gib"]
            gib = "" if g is None else f"{g:.2f}"
            print(f"{s['model']:>9} {s['engine']:>9} {p['n_series']:>8} "
                  f"{p['seqlab_s']:>9.1f} {p['seqlab'][0]:>2} {p['peer_s']:>11.1f} "
                  f"{p['peer'][0]:>2} {p['ratio']:>6.3f} {p['seqlab_ms_per_series']:>9.3f} "
                  f"{gib:>10}")
    for r in doc["runs"]:
        if r["kind"] == "curve":
            print(f"curve {r['model']} dask N={r['n_series']:>8}: {r['seqlab_s']:.1f} s, "
                  f"{r['seqlab_ms_per_series']:.3f} ms/series, worker peak "
                  f"{max(r['worker_peak_rss_mib']) / 1024:.2f} GiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("compare", help="seqlab vs statsforecast on one engine")
    c.add_argument("--engine", choices=ENGINES, required=True)
    c.add_argument("--model", choices=["arima", "autoarima"], default="arima")
    c.add_argument("--both", type=int, nargs="*", default=[],
                   help="sizes run by both libraries (random subsets)")
    c.add_argument("--seqlab-only", type=int, nargs="*", default=[],
                   help="sizes run by seqlab alone (the peer's time is extrapolated)")
    c.add_argument("--rounds", type=int, default=1)
    k = sub.add_parser("curve", help="seqlab's time and memory curve on Dask")
    k.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 1000000])
    k.add_argument("--model", choices=["arima", "autoarima"], default="arima")
    o = sub.add_parser("overhead", help="processes: a fresh pool per call vs the kept pool")
    o.add_argument("--n", type=int, default=200)
    o.add_argument("--rounds", type=int, default=5)
    sub.add_parser("report", help="print the summary table from the JSON")
    for p in (c, k, o):
        p.add_argument("--check", type=int, default=100,
                       help="series refitted in process to check each run's numbers")
        p.add_argument("--quick", action="store_true", help="print only, write no JSON")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    {"compare": compare, "curve": curve, "overhead": overhead,
     "report": report}[args.mode](args)


if __name__ == "__main__":
    main()

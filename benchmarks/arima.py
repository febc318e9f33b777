"""AR / ARIMA speed: seqlab against statsmodels and statsforecast, same data, one process.

Rows (issue 3):
  1. AR(2) Yule–Walker on one series of n = 1e6           (statsmodels ``yule_walker``)
  2. ARIMA(2,1,2) exact MLE on one series of n = 1000      (statsmodels ``ARIMA``,
                                                             statsforecast ``ARIMA``)
  3. ARIMA(2,1,2) on 1000 series of n = 200                (a statsmodels loop,
                                                             statsforecast batch)
  4. ARIMA(1,1,1) on 10,000 series of n = 200              (statsforecast batch; issue 13's
                                                             goal: <= 0.5x)
Prints each time (median of repeats, warm: numba compiled first), the ratio
seqlab_time / peer_time, and the log-likelihood agreement with statsmodels. Threads: 1 for
everything (threadpoolctl + numba), and seqlab's many-series row again at 2 threads.

    python benchmarks/arima.py            # full sizes (the statsmodels loop takes ~30 s)
    python benchmarks/arima.py --quick    # tiny sizes, a smoke test
    python benchmarks/arima.py --peer-series 500 --json benchmarks/results/arima.json
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable

import numba
import numpy as np
from threadpoolctl import threadpool_limits


def _timeit(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _simulate(n: int, n_series: int, seed: int) -> np.ndarray:
    """ARIMA(2,1,2) paths, phi = (0.6, -0.3), theta = (0.5, 0.2): (n, n_series)."""
    rng = np.random.default_rng(seed)
    burn = 100
    e = rng.standard_normal((n + burn, n_series))
    w = np.zeros_like(e)
    for t in range(2, n + burn):
        w[t] = 0.6 * w[t - 1] - 0.3 * w[t - 2] + e[t] + 0.5 * e[t - 1] + 0.2 * e[t - 2]
    return np.cumsum(w[burn:], axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--peer-series", type=int, default=None,
                        help="fit only this many series with the peers on row 3 and scale "
                        "their time up (default: all)")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args()

    from statsmodels.regression.linear_model import yule_walker as sm_yw
    from statsmodels.tsa.arima.model import ARIMA as SMARIMA

    from seqlab.classical import ARIMA, yule_walker

    n_yw, n_one, n_many, len_many = (10_000, 200, 20, 100) if args.quick else (
        1_000_000, 1000, 1000, 200)
    n_111 = 50 if args.quick else 10_000
    reps = 2 if args.quick else args.repeats
    rows: list[tuple[str, str, float, float]] = []
    notes: list[str] = []
    warnings.simplefilter("ignore")

    with threadpool_limits(1):
        numba.set_num_threads(1)
        # ---- row 1: Yule–Walker
        x = np.random.default_rng(0).standard_normal(n_yw).cumsum() * 0.01
        x = np.ascontiguousarray(x - np.convolve(x, np.ones(50) / 50, mode="same"))
        yule_walker(x[:100], 2)
        t_sl = _timeit(lambda: yule_walker(x, 2), reps * 4)
        t_sm = _timeit(lambda: sm_yw(x, 2, method="mle", result_object=False), reps * 4)
        ours, ref = yule_walker(x, 2), sm_yw(x, 2, method="mle", result_object=False)
        notes.append(f"YW max |phi diff| = {np.abs(ours.ar - ref[0]).max():.1e}")
        rows.append((f"AR(2) Yule-Walker n={n_yw:.0e}", "statsmodels", t_sl, t_sm))

        # ---- row 2: one ARIMA(2,1,2)
        y = _simulate(n_one, 1, seed=1)[:, 0]
        ARIMA((2, 1, 2)).fit(y)  # compile
        t_sl = _timeit(lambda: ARIMA((2, 1, 2)).fit(y), reps)
        t_sm = _timeit(lambda: SMARIMA(y, order=(2, 1, 2)).fit(), reps)
        ll_sl = ARIMA((2, 1, 2)).fit(y).loglik_
        ll_sm = SMARIMA(y, order=(2, 1, 2)).fit().llf
        notes.append(f"one series: loglik seqlab {ll_sl:.6f}, statsmodels {ll_sm:.6f}")
        rows.append((f"ARIMA(2,1,2) 1 series n={n_one}", "statsmodels", t_sl, t_sm))
        try:
            from statsforecast.models import ARIMA as SFARIMA

            SFARIMA(order=(2, 1, 2), include_mean=False).fit(y)
            t_sf = _timeit(lambda: SFARIMA(order=(2, 1, 2), include_mean=False).fit(y), reps)
            rows.append((f"ARIMA(2,1,2) 1 series n={n_one}", "statsforecast", t_sl, t_sf))
        except ImportError:
            notes.append("statsforecast not installed: its rows are skipped")
            SFARIMA = None

        # ---- row 3: many series
        Y = _simulate(len_many, n_many, seed=2)
        ARIMA((2, 1, 2)).fit_many(Y)  # compile (a batch of a few series runs interpreted)
        t_sl = _timeit(lambda: ARIMA((2, 1, 2)).fit_many(Y), max(1, reps // 2))
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        t_sl2 = _timeit(lambda: ARIMA((2, 1, 2)).fit_many(Y), max(1, reps // 2))
        numba.set_num_threads(1)
        batch = ARIMA((2, 1, 2)).fit_many(Y)
        k_peer = min(args.peer_series or n_many, n_many)
        t0 = time.perf_counter()
        llf_sm = np.array([SMARIMA(Y[:, s], order=(2, 1, 2)).fit().llf for s in range(k_peer)])
        t_sm = (time.perf_counter() - t0) * n_many / k_peer
        diff = batch.loglik_[:k_peer] - llf_sm
        notes.append(
            f"{n_many} series: loglik seqlab - statsmodels: median {np.median(diff):+.1e}, "
            f"min {diff.min():+.1e}, max {diff.max():+.1e}; seqlab >= statsmodels - 1e-4 on "
            f"{np.mean(diff >= -1e-4):.1%} of series"
            + ("" if k_peer == n_many else f" (peers timed on {k_peer} series, scaled up)")
        )
        name = f"ARIMA(2,1,2) {n_many} series n={len_many}"
        rows.append((name, "statsmodels loop", t_sl, t_sm))
        rows.append((name + " [seqlab 2 thr]", "statsmodels loop", t_sl2, t_sm))
        if SFARIMA is not None:
            import pandas as pd
            from statsforecast import StatsForecast

            frame = pd.DataFrame({
                "unique_id": np.repeat(np.arange(k_peer), len_many),
                "ds": np.tile(np.arange(len_many), k_peer),
                "y": Y[:, :k_peer].T.ravel(),
            })
            sf = StatsForecast(models=[SFARIMA(order=(2, 1, 2), include_mean=False)], freq=1,
                               n_jobs=1)
            t0 = time.perf_counter()
            sf.fit(frame)
            t_sf = (time.perf_counter() - t0) * n_many / k_peer
            rows.append((name, "statsforecast batch", t_sl, t_sf))

            # ---- row 4: ARIMA(1,1,1), many series (the peer on a subset, scaled up)
            Y4 = _simulate(len_many, n_111, seed=3)
            ARIMA((1, 1, 1)).fit_many(Y4[:, :100])  # compile
            t_sl = _timeit(lambda: ARIMA((1, 1, 1)).fit_many(Y4), max(1, reps // 2))
            k4 = min(args.peer_series or n_111, n_111)
            frame = pd.DataFrame({
                "unique_id": np.repeat(np.arange(k4), len_many),
                "ds": np.tile(np.arange(len_many), k4),
                "y": Y4[:, :k4].T.ravel(),
            })
            sf = StatsForecast(models=[SFARIMA(order=(1, 1, 1), include_mean=False)], freq=1,
                               n_jobs=1)
            t0 = time.perf_counter()
            sf.fit(frame)
            t_sf = (time.perf_counter() - t0) * n_111 / k4
            name = f"ARIMA(1,1,1) {n_111} series n={len_many}"
            rows.append((name, "statsforecast batch", t_sl, t_sf))
            if k4 < n_111:
                notes.append(f"row 4: statsforecast timed on {k4} series, scaled up")

    print(f"\n{'row':<44} {'peer':<20} {'seqlab s':>10} {'peer s':>10} {'ratio':>8}")
    for row, peer, ts, tp in rows:
        print(f"{row:<44} {peer:<20} {ts:>10.4f} {tp:>10.4f} {ts / tp:>8.3f}")
    print("\n(ratio = seqlab_time / peer_time; 1 thread unless marked)")
    for note in notes:
        print(note)
    if args.json:
        import json
        import platform

        out = {"benchmark": "arima", "threads": 1, "python": platform.python_version(),
               "peer_series": args.peer_series, "notes": notes,
               "rows": [{"row": r, "peer": p, "seqlab_s": ts, "peer_s": tp, "ratio": ts / tp}
                        for r, p, ts, tp in rows]}
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()

"""SARIMAX fit time: seqlab against statsmodels on the same data, one process, 1 thread.

Rows: the airline model SARIMA(0,1,1)(0,1,1)12 and SARIMA(2,1,0)(1,1,0)12 + drift on log
airline passengers (sktime's ``Airline.csv``, read without importing sktime), and
SARIMA(1,0,1)(1,0,0)4 + intercept + two regressors on statsmodels' macrodata (inflation on
unemployment and the real interest rate), with and without 10% of values missing. Each fit
is timed warm (numba compiled by a first call), median of ``--repeats``; prints seqlab /
statsmodels time ratios and the log-likelihoods (seqlab's >= statsmodels' means seqlab's
optimum is at least as good).

    python benchmarks/sarimax.py --json benchmarks/results/sarimax.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits


def _timeit(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _airline() -> np.ndarray:
    spec = importlib.util.find_spec("sktime")
    if spec is None or spec.origin is None:
        raise SystemExit("sktime's Airline.csv is needed (pip install sktime)")
    path = Path(spec.origin).parent / "datasets" / "data" / "Airline" / "Airline.csv"
    return np.log(np.loadtxt(path, delimiter=",", skiprows=1, usecols=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args()

    import numba
    import statsmodels.api as sm

    from seqlab.classical import SARIMAX

    numba.set_num_threads(1)
    macro = sm.datasets.macrodata.load_pandas().data
    y_m = macro["infl"].to_numpy(float)
    X_m = macro[["unemp", "realint"]].to_numpy(float)
    y_gap = y_m.copy()
    y_gap[np.random.default_rng(0).choice(y_m.size, y_m.size // 10, replace=False)] = np.nan
    air = _airline()
    cases = [
        ("airline (0,1,1)(0,1,1,12)", air, None, (0, 1, 1), (0, 1, 1, 12), "n"),
        ("airline (2,1,0)(1,1,0,12) c", air, None, (2, 1, 0), (1, 1, 0, 12), "c"),
        ("macro (1,0,1)(1,0,0,4) c+exog", y_m, X_m, (1, 0, 1), (1, 0, 0, 4), "c"),
        ("macro 10% NaN", y_gap, X_m, (1, 0, 1), (1, 0, 0, 4), "c"),
    ]
    SARIMAX((1, 1, 1), (0, 1, 1, 4), trend="c").fit(air[:40], exog=np.arange(40.0) % 3)  # compile
    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, y, X, order, seasonal, trend in cases:
            ours = SARIMAX(order, seasonal, trend=trend)
            mod = sm.tsa.SARIMAX(y, exog=X, order=order, seasonal_order=seasonal, trend=trend)
            t_ours = _timeit(lambda: ours.fit(y, exog=X), args.repeats)  # noqa: B023
            t_sm = _timeit(lambda: mod.fit(disp=0), args.repeats)  # noqa: B023
            res = mod.fit(disp=0)
            row = {"case": name, "seqlab_s": t_ours, "statsmodels_s": t_sm,
                   "ratio": t_ours / t_sm, "llf_seqlab": ours.llf_, "llf_statsmodels": res.llf,
                   "max_abs_param_diff": float(np.max(np.abs(ours.params_ - res.params)))}
            rows.append(row)
            print(f"{name:32s} seqlab {t_ours:7.3f} s  statsmodels {t_sm:7.3f} s  "
                  f"ratio {row['ratio']:.3f}  llf {ours.llf_:.6f} vs {res.llf:.6f}  "
                  f"max|dparam| {row['max_abs_param_diff']:.1e}")
    if args.json is not None:
        meta = {"benchmark": "sarimax", "python": platform.python_version(),
                "threads": 1, "repeats": args.repeats}
        args.json.write_text(json.dumps(meta | {"rows": rows}, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()

"""SARIMAX fit time: seqlab against statsmodels on the same data, one process, 1 thread.

Rows: the airline model SARIMA(0,1,1)(0,1,1)12 and SARIMA(2,1,0)(1,1,0)12 + intercept on
log airline passengers (sktime's ``Airline.csv``, read without importing sktime), and
SARIMA(1,0,1)(1,0,0)4 + intercept + two regressors on statsmodels' macrodata (inflation on
unemployment and the real interest rate), with and without 10% of values missing. Each fit
is timed warm (numba compiled by a first call), median of ``--repeats`` interleaved rounds;
prints seqlab / statsmodels time ratios and the log-likelihoods (seqlab's >= statsmodels'
means seqlab's optimum is at least as good).

statsforecast's ``ARIMA`` is timed where it fits the same model: the airline model
(``method="ML"`` as asked, and its default ``"CSS-ML"`` against seqlab's ``method="css-mle"``)
and the macrodata model with regressors (``include_mean=True``: a mean instead of
statsmodels' intercept, the same model). Its (2,1,0)(1,1,0)12 "c" would be a drift, which
differencing removes (another model), and it does not fit series with missing values.

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


def _interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each callable, timed in interleaved rounds (a, b, c, a, b, c, ...)
    so that a busy shared machine slows all of them alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def _airline() -> np.ndarray:
    spec = importlib.util.find_spec("sktime")
    if spec is None or spec.origin is None:
        raise SystemExit("sktime's Airline.csv is needed (pip install sktime)")
    path = Path(spec.origin).parent / "datasets" / "data" / "Airline" / "Airline.csv"
    return np.log(np.loadtxt(path, delimiter=",", skiprows=1, usecols=1))


COMPILED_WARMUP = 17  # warm-up fits: the kernels compiled (or loaded) before timing


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
    from statsforecast.models import ARIMA as SFARIMA

    def sf_model(order, seasonal, method):
        return SFARIMA(order=order, season_length=seasonal[3], seasonal_order=seasonal[:3],
                       include_mean=order[1] + seasonal[1] == 0, method=method)

    # steady state: the first-call gates (seqlab._jit.FirstCalls: the filter's numpy twin,
    # the interpreted profile BFGS) compile at once, as after their budgets are spent
    from seqlab.classical import _sarimax_fit, statespace

    statespace.TWIN_BUDGET_S = 0.0
    _sarimax_fit.INTERPRETED_BUDGET_S = 0.0
    # warm-up: numba compiles (and caches) everything a fit uses, ours and statsforecast's
    for _ in range(COMPILED_WARMUP):
        SARIMAX((1, 1, 1), (0, 1, 1, 4), trend="c").fit(air[:40], exog=np.arange(40.0) % 3)
    SARIMAX((0, 1, 1), (0, 1, 1, 12)).fit(air)
    sf_model((0, 1, 1), (0, 1, 1, 12), "ML").fit(air)
    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, y, X, order, seasonal, trend in cases:
            ours = SARIMAX(order, seasonal, trend=trend)
            mod = sm.tsa.SARIMAX(y, exog=X, order=order, seasonal_order=seasonal, trend=trend)
            fns = {"statsmodels": lambda: mod.fit(disp=0),  # noqa: B023
                   "seqlab": lambda: ours.fit(y, exog=X)}  # noqa: B023
            same_model = not np.isnan(y).any() and (trend == "n" or order[1] + seasonal[1] == 0)
            if same_model:
                sf = sf_model(order, seasonal, "ML")
                fns["statsforecast_ml"] = lambda: sf.fit(y, X)  # noqa: B023
                if name.startswith("airline (0"):
                    sf2 = sf_model(order, seasonal, "CSS-ML")
                    ours2 = SARIMAX(order, seasonal, trend=trend)
                    fns["statsforecast_cssml"] = lambda: sf2.fit(y, X)  # noqa: B023
                    fns["seqlab_cssml"] = lambda: ours2.fit(y, exog=X, method="css-mle")  # noqa: B023
            t = _interleaved(fns, args.repeats)
            res = mod.fit(disp=0)
            ours.fit(y, exog=X)
            row: dict[str, object] = {
                "case": name, "seqlab_s": t["seqlab"], "statsmodels_s": t["statsmodels"],
                "ratio": t["seqlab"] / t["statsmodels"], "llf_seqlab": ours.llf_,
                "llf_statsmodels": res.llf,
                "max_abs_param_diff": float(np.max(np.abs(ours.params_ - res.params)))}
            line = (f"{name:30s} seqlab {t['seqlab']:7.4f} s  statsmodels "
                    f"{t['statsmodels']:7.3f} s  ratio {row['ratio']:.3f}")
            if same_model:
                sf.fit(y, X)
                row |= {"statsforecast_ml_s": t["statsforecast_ml"],
                        "ratio_statsforecast_ml": t["seqlab"] / t["statsforecast_ml"],
                        "llf_statsforecast_ml": float(sf.model_["loglik"])}
                line += (f"  sf-ML {t['statsforecast_ml']:.4f} s ratio "
                         f"{row['ratio_statsforecast_ml']:.3f} (llf {sf.model_['loglik']:.4f})")
                if "seqlab_cssml" in t:
                    row |= {"seqlab_cssml_s": t["seqlab_cssml"],
                            "statsforecast_cssml_s": t["statsforecast_cssml"],
                            "ratio_cssml": t["seqlab_cssml"] / t["statsforecast_cssml"]}
                    line += f"  css-ml ratio {row['ratio_cssml']:.3f}"
            rows.append(row)
            print(line + f"\n{'':30s} llf {ours.llf_:.6f} vs statsmodels {res.llf:.6f}  "
                  f"max|dparam| {row['max_abs_param_diff']:.1e}")
    if args.json is not None:
        meta = {"benchmark": "sarimax", "python": platform.python_version(),
                "threads": 1, "repeats": args.repeats,
                "note": "2-core machine shared with other jobs: interleaved rounds, medians"}
        args.json.write_text(json.dumps(meta | {"rows": rows}, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()

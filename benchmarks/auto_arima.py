"""AutoARIMA: seqlab against statsforecast's AutoARIMA, same series, one process, 1 thread.

For each series (``--n-sim`` simulated SARIMA series, half non-seasonal of length 120 and
half monthly (s = 12) of length 120, seeds fixed, plus the real ones: log airline
passengers, Nile, sunspots, CO2 monthly) both libraries select and fit a model on all but
the last ``h`` values (h = 12 monthly, 10 otherwise), then forecast the tail:

* order agreement: same (p, d, q)(P, D, Q) and the same constant/drift choice;
* MASE on the held-out tail (scaled by the in-sample seasonal-naive error, lag s), averaged;
* fit time of each library (interleaved per series: peer, seqlab, peer, ...), summed over the
  monthly simulated series, and the ratio seqlab / statsforecast.

Where the orders differ, the statsforecast ic of seqlab's chosen model and seqlab's ic of
statsforecast's model are recorded, to tell a search-path difference from a fit difference.
Results go to benchmarks/results/auto_arima.json (rewritten after every series).

    python benchmarks/auto_arima.py --n-sim 200
    python benchmarks/auto_arima.py --n-sim 6      # a smoke test
    python benchmarks/auto_arima.py --n-sim 1000 --monthly-only \
        --out benchmarks/results/auto_arima-1000.json   # the issue's 1,000 monthly series
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

OUT = Path(__file__).parent / "results" / "auto_arima.json"


def simulate(seed: int, n: int, m: int) -> np.ndarray:
    """A SARIMA series with random orders (p, q in 0..2), seasonal pattern and d/D in {0, 1}."""
    rng = np.random.default_rng(seed)
    p, q = rng.integers(0, 3, size=2)
    ar = rng.uniform(-0.5, 0.5, size=p) / max(p, 1)
    ma = rng.uniform(-0.6, 0.6, size=q)
    e = rng.normal(size=n + 50)
    x = np.zeros(n + 50)
    for t in range(n + 50):
        x[t] = e[t] + sum(ar[i] * x[t - 1 - i] for i in range(p) if t > i) + sum(
            ma[j] * e[t - 1 - j] for j in range(q) if t > j)
    x = x[50:]
    if m > 1:
        x = x + rng.uniform(0.5, 3.0) * np.sin(2 * np.pi * np.arange(n) / m + rng.uniform(0, 6))
        if rng.random() < 0.5:
            s = np.zeros(n)
            for t in range(n):
                s[t] = x[t] + (s[t - m] if t >= m else 0.0)
            x = s / np.sqrt(max(n // m, 1))
    if rng.random() < 0.5:
        x = np.cumsum(x) + rng.uniform(-0.3, 0.3) * np.arange(n)
    return x + 10.0


def real_series() -> list[tuple[str, np.ndarray, int]]:
    import statsmodels.api as sm

    out = []
    spec = importlib.util.find_spec("sktime")
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "datasets" / "data" / "Airline" / "Airline.csv"
        out.append(("airline_log", np.log(pd.read_csv(path)["Passengers"].to_numpy(float)), 12))
    out.append(("nile", sm.datasets.nile.load_pandas().data["volume"].to_numpy(float), 1))
    out.append(("sunspots", sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"]
                .to_numpy(float), 1))
    co2 = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean().ffill()
    out.append(("co2_monthly_last20y", co2.to_numpy(float)[-240:], 12))
    return out


def mase(y_train: np.ndarray, y_test: np.ndarray, f: np.ndarray, m: int) -> float:
    lag = m if m > 1 and y_train.shape[0] > m else 1
    scale = float(np.mean(np.abs(y_train[lag:] - y_train[:-lag])))
    return float(np.mean(np.abs(y_test - f)) / scale)


def sf_fit(y: np.ndarray, m: int) -> tuple[dict, float]:
    from statsforecast.arima import auto_arima_f

    t0 = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fit = auto_arima_f(y.copy(), period=m, approximation=False)  # as its AutoARIMA class
    return fit, time.perf_counter() - t0


def sf_key(fit: dict) -> tuple:
    a = fit["arma"]
    return ((a[0], a[5], a[1]), (a[2], a[6], a[3]),
            any(k in fit["coef"] for k in ("intercept", "drift")))


def run(n_sim: int, monthly_only: bool = False, out: Path = OUT) -> dict:
    from statsforecast.arima import forecast_arima, myarima

    from seqlab.classical import AutoARIMA

    series = real_series()  # first, so a partial run has them
    for i in range(n_sim):
        m = 12 if (i % 2 or monthly_only) else 1
        # monthly-only runs use seeds 1000 + 2i + 1, so their first series are the same
        # monthly series as the mixed run's
        seed = 1000 + (2 * i + 1 if monthly_only else i)
        series.append((f"sim{i:04d}_m{m}", simulate(seed, 120, m), m))
    # warm up both (numba compilation) outside the timings; steady state: seqlab's first-call
    # gates (seqlab._jit.FirstCalls) compile at once, as after their budgets are spent
    from seqlab.classical import _auto_arima_css, _sarimax_fit, statespace

    statespace.TWIN_BUDGET_S = 0.0
    _sarimax_fit.INTERPRETED_BUDGET_S = 0.0
    _auto_arima_css.INTERPRETED_BUDGET_S = 0.0
    sf_fit(series[0][1][:60], 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        AutoARIMA(season_length=12).fit(series[0][1][:60])
    rows = []
    for name, y, m in series:
        h = 12 if m == 12 else 10
        tr, te = y[:-h], y[-h:]
        fit, t_sf = sf_fit(tr, m)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = AutoARIMA(season_length=m).fit(tr)
        t_ours = time.perf_counter() - t0
        so = ours.seasonal_order_
        key_ours = (ours.order_, (so[0], so[1], so[2]), ours.trend_ == "c")
        key_sf = sf_key(fit)
        f_sf = np.asarray(forecast_arima(fit, h=h)["mean"])
        f_ours = np.asarray(ours.forecast(h))
        row = {"name": name, "m": m, "n": int(tr.shape[0]), "sf": str(key_sf),
               "seqlab": str(key_ours), "agree": key_sf == key_ours,
               "mase_sf": mase(tr, te, f_sf, m), "mase_seqlab": mase(tr, te, f_ours, m),
               "time_sf": t_sf, "time_seqlab": t_ours, "n_candidates": len(ours.candidates_)}
        if key_sf != key_ours:
            # statsforecast's ic of seqlab's choice, and seqlab's ic of statsforecast's choice
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                alt = myarima(tr, key_ours[0], {"order": key_ours[1], "period": m},
                              constant=key_ours[2], ic="aicc")
            row["sf_ic_of_sf_choice"] = float(fit.get("aicc", np.nan))
            row["sf_ic_of_seqlab_choice"] = float(alt.get("ic", np.nan))
            row["seqlab_ic_of_seqlab_choice"] = ours.ic_
            same = [c["ic"] for c in ours.candidates_ if (c["order"], c["seasonal_order"][:3],
                                                          c["trend"] == "c") == key_sf]
            row["seqlab_ic_of_sf_choice"] = same[0] if same else None
        rows.append(row)
        print(f"{name:24s} sf={key_sf} seqlab={key_ours} agree={row['agree']} "
              f"mase {row['mase_sf']:.3f}/{row['mase_seqlab']:.3f} "
              f"time {t_sf:.2f}s/{t_ours:.2f}s", flush=True)
        out.write_text(json.dumps(summarise(rows, n_sim), indent=1))
    return summarise(rows, n_sim)


def summarise(rows: list[dict], n_sim: int) -> dict:
    sim = [r for r in rows if r["name"].startswith("sim")]
    monthly = [r for r in sim if r["m"] == 12]
    ratios = [r["time_seqlab"] / r["time_sf"] for r in monthly]
    return {
        "note": "1 thread each; timings interleaved per series (statsforecast, then seqlab) "
                "so machine load hits both alike; load_average is os.getloadavg() at the end",
        "load_average": list(os.getloadavg()),
        "n_sim_planned": n_sim,
        "n_series_done": len(rows),
        "agreement_all": float(np.mean([r["agree"] for r in rows])) if rows else None,
        "agreement_simulated": float(np.mean([r["agree"] for r in sim])) if sim else None,
        "agreement_real": {r["name"]: r["agree"] for r in rows if not r["name"].startswith(
            "sim")},
        "mase_mean_sf": float(np.mean([r["mase_sf"] for r in rows])) if rows else None,
        "mase_mean_seqlab": float(np.mean([r["mase_seqlab"] for r in rows])) if rows else None,
        "monthly_n120_series_timed": len(monthly),
        "monthly_time_sf_s": float(sum(r["time_sf"] for r in monthly)),
        "monthly_time_seqlab_s": float(sum(r["time_seqlab"] for r in monthly)),
        "monthly_time_ratio_total": (float(sum(r["time_seqlab"] for r in monthly)
                                           / sum(r["time_sf"] for r in monthly))
                                     if monthly else None),
        "monthly_time_ratio_median": float(statistics.median(ratios)) if ratios else None,
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sim", type=int, default=200)
    parser.add_argument("--monthly-only", action="store_true",
                        help="simulate only monthly (s = 12) series of length 120")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        res = run(args.n_sim, args.monthly_only, args.out)
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}, indent=1))


if __name__ == "__main__":
    main()

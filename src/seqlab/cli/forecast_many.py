"""``seqlab forecast-many DATA --model M --horizon H``: forecast every series of a long file.

DATA is a CSV or Parquet file in long format (statsforecast's): one row per series and time,
columns ``unique_id``, ``ds``, ``y`` (other names with --id-col/--time-col/--target-col).
Every series is fitted on its own (or, for ``shared-hmm``, one HMM for all) and forecast
``--horizon`` steps with ``--level`` % intervals, on one core, local processes, Dask or Ray;
``--cv-windows N`` backtests over N rolling origins instead. The result (long format, with
an ``error`` column naming why a series could not be fitted) is written atomically as CSV or
Parquet (by the extension of --out).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser", "run"]

MODELS = ("arima", "autoarima", "hmm", "shared-hmm", "esn")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab forecast-many``."""
    p = subparsers.add_parser(
        "forecast-many", help="forecast many series of a long CSV/Parquet (Dask, Ray, processes)",
        description=(__doc__ or "").split("\n\n")[1].replace("\n", " "),
    )
    p.add_argument("data", metavar="DATA", help="long-format CSV or Parquet file")
    p.add_argument("--model", choices=MODELS, default="arima", help="the model (default arima)")
    p.add_argument("--order", type=int, nargs=3, default=(1, 1, 1), metavar=("P", "D", "Q"),
                   help="ARIMA order (default 1 1 1)")
    p.add_argument("--seasonal-order", type=int, nargs=3, default=None, metavar=("P", "D", "Q"),
                   help="seasonal ARIMA order (with --season; fitted by SARIMAX)")
    p.add_argument("--season", type=int, default=None,
                   help="season length (autoarima's season_length; arima with --seasonal-order)")
    p.add_argument("--states", type=int, default=3, help="HMM states (default 3)")
    p.add_argument("--units", type=int, default=100,
                   help="ESN reservoir units (default 100; used as given, a warning counts the "
                   "series with fewer training windows than units)")
    p.add_argument("--seed", type=int, default=0, help="seed of HMM and ESN (default 0)")
    p.add_argument("--horizon", type=int, required=True, help="steps to forecast")
    p.add_argument("--level", type=float, nargs="*", default=[80.0, 95.0],
                   help="interval levels in %% (default 80 95; none: no intervals)")
    p.add_argument("--freq", default=None,
                   help="pandas frequency of ds (default: inferred from the longest series)")
    p.add_argument("--cv-windows", type=int, default=None,
                   help="backtest over this many rolling origins instead of forecasting")
    p.add_argument("--step-size", type=int, default=None,
                   help="steps between backtest origins (default: the horizon)")
    p.add_argument("--engine", choices=("inprocess", "processes", "dask", "ray"),
                   default="inprocess", help="where to run (default inprocess)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler (tcp://host:8786) or Ray cluster (ray://host:10001) "
                   "address; default: a local cluster")
    p.add_argument("--n-jobs", type=int, default=None, help="local workers (default: cores)")
    p.add_argument("--chunk-size", type=int, default=None, help="series per chunk")
    p.add_argument("--id-col", default="unique_id")
    p.add_argument("--time-col", default="ds")
    p.add_argument("--target-col", default="y")
    p.add_argument("--out", required=True, help="output .csv or .parquet")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(func=run)


def _model(args: argparse.Namespace) -> Any:
    from seqlab.exceptions import SeqlabValueError

    if args.seasonal_order is not None and args.model != "arima":
        raise SeqlabValueError("--seasonal-order is for --model arima; drop it.")
    if args.model == "arima":
        if args.seasonal_order is not None and any(args.seasonal_order):
            if args.season is None or args.season < 2:
                raise SeqlabValueError("--seasonal-order needs --season (the period, >= 2).")
            from seqlab.classical import SARIMAX

            return SARIMAX(order=tuple(args.order),
                           seasonal_order=(*args.seasonal_order, args.season))
        if args.season is not None:
            raise SeqlabValueError(
                "--season with --model arima needs --seasonal-order P D Q (or use --model "
                "autoarima, which chooses them)."
            )
        from seqlab.classical import ARIMA

        return ARIMA(order=tuple(args.order))
    if args.model == "autoarima":
        try:
            from seqlab.classical import AutoARIMA  # type: ignore[attr-defined,unused-ignore]
        except ImportError:
            raise SeqlabValueError(
                "--model autoarima needs seqlab.classical.AutoARIMA, which this seqlab lacks; "
                "use --model arima --order P D Q."
            ) from None
        return AutoARIMA(season_length=args.season or 1)
    if args.season is not None:
        raise SeqlabValueError(f"--season is not used by --model {args.model}; drop it.")
    if args.model in ("hmm", "shared-hmm"):
        from seqlab.classical import GaussianHMM

        hmm = GaussianHMM(args.states, seed=args.seed, n_iter=50)
        if args.model == "hmm":
            return hmm
        from seqlab.scale import SharedHMM

        return SharedHMM(hmm)
    from seqlab.scale import ESNForecaster

    return ESNForecaster(n_units=args.units, seed=args.seed)


def _read(path: str, args: argparse.Namespace) -> Any:
    import pandas as pd

    from seqlab.exceptions import SeqlabValueError

    try:
        if path.lower().endswith((".parquet", ".pq")):
            df = pd.read_parquet(path)
        else:
            # round_trip: the values written, to the last bit (pandas' default parser is not)
            df = pd.read_csv(path, sep="\t" if path.lower().endswith(".tsv") else ",",
                             float_precision="round_trip")
    except (ValueError, UnicodeDecodeError, ImportError) as err:
        raise SeqlabValueError(f"cannot read {path}: {err}") from None
    if args.time_col in df.columns and df[args.time_col].dtype.kind not in "Miu":
        try:
            df[args.time_col] = pd.to_datetime(df[args.time_col])
        except (ValueError, TypeError):
            raise SeqlabValueError(
                f"{path}: column {args.time_col!r} holds neither integers nor dates."
            ) from None
    return df


def _freq(df: Any, args: argparse.Namespace) -> Any:
    import pandas as pd

    from seqlab.exceptions import SeqlabValueError

    if args.freq is not None:
        return int(args.freq) if args.freq.isdigit() else args.freq
    t = df[args.time_col] if args.time_col in df.columns else None
    if t is None or t.dtype.kind != "M":
        return None
    counts = df[args.id_col].value_counts() if args.id_col in df.columns else None
    if counts is None or counts.empty:
        return None
    longest = df[df[args.id_col] == counts.index[0]][args.time_col].sort_values()
    freq = pd.infer_freq(longest) if len(longest) >= 3 else None
    if freq is None:
        raise SeqlabValueError(
            f"cannot infer the frequency of {args.time_col!r}; pass --freq (D, W, MS, ME, h...)."
        )
    return freq


def run(args: argparse.Namespace) -> int:
    """Read, forecast (or backtest), write; returns the exit code."""
    from seqlab.cli._paths import check_input_file, check_output_file
    from seqlab.exceptions import SeqlabValueError
    from seqlab.io.atomic import atomic_write
    from seqlab.scale import ManySeries

    check_input_file(args.data, "DATA")
    out = str(check_output_file(args.out, "--out"))
    parquet = out.lower().endswith((".parquet", ".pq"))
    if not parquet and not out.lower().endswith(".csv"):
        raise SeqlabValueError(f"--out {args.out}: give a .csv or .parquet file name.")
    if args.scheduler is not None and args.engine not in ("dask", "ray"):
        raise SeqlabValueError("--scheduler is for --engine dask or ray.")
    if args.cv_windows is None and args.step_size is not None:
        raise SeqlabValueError("--step-size is for backtests: add --cv-windows N.")
    model = _model(args)
    df = _read(args.data, args)
    ms = ManySeries(
        [model], _freq(df, args), engine=args.engine, n_jobs=args.n_jobs,
        chunk_size=args.chunk_size, address=args.scheduler, progress=args.progress or None,
        id_col=args.id_col, time_col=args.time_col, target_col=args.target_col,
    )
    level = [int(v) if float(v).is_integer() else v for v in args.level]
    if args.cv_windows is None:
        result = ms.forecast(df, h=args.horizon, level=level)
    else:
        result = ms.cross_validation(df, h=args.horizon, n_windows=args.cv_windows,
                                     step_size=args.step_size, level=level)
    if parquet:
        atomic_write(out, lambda tmp: result.to_parquet(tmp, index=False))
    else:
        atomic_write(out, lambda tmp: result.to_csv(tmp, index=False))
    ids = result[args.id_col]
    failed = ids[result["error"].notna()].nunique()
    print(f"{ids.nunique()} series, {len(result)} rows ({failed} series with errors, see the "
          f"'error' column) -> {out}")
    return 0

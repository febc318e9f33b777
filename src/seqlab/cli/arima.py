"""``seqlab arima``: fit an ARIMA(p, d, q) to a bundled or CSV series and forecast it.

Prints the fitted table (coefficients, standard errors, loglik, AIC, BIC) and the forecast
with prediction intervals; ``--auto`` picks (p, q) by AIC/BIC over a grid; ``--plot FILE``
saves the series, the forecast and its interval band. Flags come from :class:`ArimaConfig`.

    seqlab arima --data sunspots --order 2 0 0 --steps 10 --plot sunspots.png
    seqlab arima --data nile --order 0 1 1 --auto --max-p 2 --max-q 2 --criterion bic
    seqlab arima --data my.csv --column sales --order 1 1 1
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args
from seqlab.cli._paths import check_input_file, check_plot_file
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["ArimaConfig", "add_parser", "run"]


@dataclass
class ArimaConfig:
    """Options of ``seqlab arima`` (each field is a ``--flag``)."""

    data: str = field(default="sunspots", metadata={
        "help": "bundled series (sunspots, nile, co2, elnino) or a CSV file path"})
    column: str | None = field(default=None, metadata={
        "help": "CSV column to model (default: the last numeric column)"})
    order: tuple[int, ...] = field(default=(2, 0, 0), metadata={"help": "p d q"})
    trend: Literal["n", "c", "t"] | None = field(default=None, metadata={
        "help": "n none, c mean (d=0), t drift (d=1); default c if d=0 else n"})
    method: Literal["mle", "css"] = field(default="mle", metadata={
        "help": "exact maximum likelihood or conditional sum of squares"})
    steps: int = field(default=10, metadata={"help": "forecast horizon"})
    alpha: float = field(default=0.05, metadata={"help": "1 - coverage of the intervals"})
    auto: bool = field(default=False, metadata={
        "help": "choose p and q by --criterion over 0..--max-p x 0..--max-q (d from --order)"})
    max_p: int = field(default=3, metadata={"help": "largest p tried by --auto"})
    max_q: int = field(default=3, metadata={"help": "largest q tried by --auto"})
    criterion: Literal["aic", "bic"] = field(default="aic", metadata={"help": "for --auto"})
    plot: str | None = field(default=None, metadata={
        "help": "save a forecast plot to this file (.png, .pdf, ...)"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab arima``."""
    parser = subparsers.add_parser(
        "arima", help="fit an ARIMA(p,d,q) to a series and forecast it",
        description="Fit ARIMA(p, d, q) by exact maximum likelihood (or CSS) to a bundled or "
        "CSV series; print the fitted table and the forecast with prediction intervals.",
    )
    add_dataclass_arguments(parser, ArimaConfig)
    parser.set_defaults(func=_handler)


def _handler(args: argparse.Namespace) -> int:
    return run(dataclass_from_args(ArimaConfig, args))


def _load_series(data: str, column: str | None) -> Any:
    import numpy as np
    import pandas as pd

    path = Path(data)
    if data.lower().endswith(".csv") or path.exists():
        check_input_file(path, "--data")
        try:
            frame = pd.read_csv(path)
        except ValueError as err:  # pandas parser errors, UnicodeDecodeError, an empty file
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise SeqlabValueError(
                f"--data {data}: not a readable CSV table ({first}); give a CSV file with a "
                "header row and one value per row, or a bundled series name."
            ) from None
    else:
        from seqlab.data import get_dataset

        obj = get_dataset(data).loader()
        if isinstance(obj, pd.Series):
            if column is not None:
                raise SeqlabValueError(
                    f"--column is only for CSV files or tables; {data!r} is one series."
                )
            return obj.astype(float)
        if not isinstance(obj, pd.DataFrame):
            raise SeqlabValueError(f"data set {data!r} is not a numeric time series; pick another.")
        frame = obj
    if column is not None:
        if column not in frame.columns:
            raise SeqlabValueError(
                f"--column {column!r} not found; columns are: {', '.join(map(str, frame.columns))}."
            )
        series = frame[column]
    else:
        numeric = [c for c in frame.columns if np.issubdtype(frame[c].dtype, np.number)]
        if not numeric:
            raise SeqlabValueError(f"{data!r} has no numeric column; name one with --column.")
        series = frame[numeric[-1]]
    try:
        return pd.to_numeric(series, errors="raise").astype(float)
    except (TypeError, ValueError):
        raise SeqlabTypeError(
            f"column {series.name!r} of {data!r} is not numeric; choose another with --column."
        ) from None


def _future_index(index: Any, steps: int) -> list[Any]:
    import pandas as pd

    if isinstance(index, pd.DatetimeIndex) and len(index) > 2:
        freq = index.freq or pd.infer_freq(index)
        if freq is not None:
            return list(pd.date_range(index[-1], periods=steps + 1, freq=freq)[1:].date)
    if pd.api.types.is_integer_dtype(index) and len(index) > 0:
        return list(range(int(index[-1]) + 1, int(index[-1]) + steps + 1))
    return [f"+{h}" for h in range(1, steps + 1)]


def run(cfg: ArimaConfig) -> int:
    """Fit, print the table and the forecast, optionally plot; returns the exit code."""
    import numpy as np

    from seqlab.classical import ARIMA, select_order
    from seqlab.classical.ar import Forecast

    if len(cfg.order) != 3:
        raise SeqlabValueError(f"--order takes three integers p d q; got {list(cfg.order)}.")
    p, d, q = (int(v) for v in cfg.order)
    if cfg.plot:
        check_plot_file(cfg.plot)
    series = _load_series(cfg.data, cfg.column)
    if series.isna().any():
        raise SeqlabValueError(
            f"{cfg.data!r} has {int(series.isna().sum())} missing value(s); fill or drop them."
        )
    y = series.to_numpy(dtype=np.float64)
    if cfg.auto:
        model, table = select_order(
            y, d=d, max_p=cfg.max_p, max_q=cfg.max_q, criterion=cfg.criterion,
            trend=cfg.trend, method=cfg.method,
        )
        print(f"order selection by {cfg.criterion.upper()} (d = {d}):")
        for (pp, qq), value in sorted(table.items(), key=lambda kv: kv[1]):
            print(f"  ARIMA({pp},{d},{qq})  {value:12.4f}")
        print()
    else:
        model = ARIMA((p, d, q), trend=cfg.trend, method=cfg.method).fit(y)
    print(f"series: {cfg.data}{f' [{cfg.column}]' if cfg.column else ''}, n = {len(y)}")
    print(model.summary())
    pred = model.get_forecast(cfg.steps)
    ci = pred.conf_int(cfg.alpha)
    fc = Forecast(pred.predicted_mean, ci[:, 0], ci[:, 1], pred.se_mean, cfg.alpha)
    labels = _future_index(series.index, cfg.steps)
    pct = f"{100 * (1 - cfg.alpha):g}%"
    print(f"\nforecast ({pct} prediction intervals):")
    print(f"{'time':>12} {'mean':>12} {'lower':>12} {'upper':>12}")
    for lab, m, lo, hi in zip(labels, fc.mean, fc.lower, fc.upper):
        print(f"{lab!s:>12} {m:12.4f} {lo:12.4f} {hi:12.4f}")
    if cfg.plot:
        _plot(series, labels, fc, model, cfg, pct)
        print(f"\nplot saved to {cfg.plot}")
    return 0


def _plot(
    series: Any, labels: list[Any], fc: Any, model: Any, cfg: ArimaConfig, pct: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    n = len(series)
    keep = min(n, 300)
    x_hist = np.arange(n - keep, n)
    x_fc = np.arange(n, n + len(fc.mean))
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(x_hist, series.to_numpy()[-keep:], color="k", lw=1, label=str(cfg.data))
    ax.plot(x_fc, fc.mean, color="C0", lw=1.5, label="forecast")
    ax.fill_between(x_fc, fc.lower, fc.upper, color="C0", alpha=0.25, label=pct + " interval")
    p, d, q = model.order
    ax.set_title(f"ARIMA({p},{d},{q}) forecast of {cfg.data}")
    ticks = ax.get_xticks()
    index = list(series.index) + labels
    ax.set_xticks([t for t in ticks if 0 <= t < len(index)])
    ax.set_xticklabels([str(index[int(t)]) for t in ax.get_xticks()], rotation=30)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(str(cfg.plot))
    plt.close(fig)

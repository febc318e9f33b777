"""``seqlab arima``: fit a seasonal ARIMA with regressors to a dated series and forecast it.

Reads a CSV (a date column and a value column, found by name or given with ``--date-col``
and ``--value-col``; regressors with ``--exog``) or a bundled series, fits
SARIMA(p,d,q)(P,D,Q)s by exact maximum likelihood with :class:`seqlab.classical.ARIMA`
(statsmodels' ``tsa.arima.model.ARIMA``: ``--trend`` is a regression term of the mean, as in
the README's Python example, so both give the same numbers; empty cells are missing values,
fitted through by the Kalman filter), prints
the parameters and the forecast table (dates, mean, standard error, one interval per
``--level``), and optionally writes it (``--out``), saves the model (``--save``) and plots
history, forecast and bands (``--plot``). ``--auto`` chooses the orders with
:class:`seqlab.classical.AutoARIMA`. Flags come from :class:`ArimaConfig`::

    seqlab arima --file airline.csv --order 0 1 1 --seasonal 0 1 1 12 --horizon 24
    seqlab arima --file sales.csv --value-col sales --exog price promo --future-exog next.csv
    seqlab arima --data airline --auto --season 12 --level 80 95 --plot airline.png
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args
from seqlab.exceptions import SeqlabValueError

__all__ = ["ArimaConfig", "add_parser", "forecast_table", "run"]


@dataclass
class ArimaConfig:
    """Options of ``seqlab arima`` (each field is a ``--flag``)."""

    file: str | None = field(default=None, metadata={
        "help": "CSV/TSV with a date column and a value column (empty cells = missing)"})
    data: str | None = field(default=None, metadata={
        "help": "a bundled series (sunspots, nile, co2, elnino, airline; default sunspots) "
        "or, like --file, a CSV path"})
    date_col: str | None = field(default=None, metadata={
        "aliases": ("--date-column",), "help": "the date column (default: found by name or "
        "by parsing)"})
    value_col: str | None = field(default=None, metadata={
        "aliases": ("--column",), "help": "the series' column (default: the one numeric "
        "column not named by --exog)"})
    exog: tuple[str, ...] | None = field(default=None, metadata={
        "help": "regressor columns of the same file (regression with SARIMA errors)"})
    future_exog: str | None = field(default=None, metadata={
        "help": "CSV with the regressors' values for the forecast steps (or put them in rows "
        "at the end of --file with the value empty)"})
    freq: str | None = field(default=None, metadata={
        "help": "the dates' pandas frequency (MS, D, W-SUN, ...) when it cannot be inferred; "
        "dates absent from its grid become missing values"})
    order: tuple[int, ...] | None = field(default=None, metadata={
        "help": "p d q (default: 2 0 0)"})
    seasonal: tuple[int, ...] | None = field(default=None, metadata={
        "help": "P D Q s, e.g. 0 1 1 12 (default: no seasonal part)"})
    trend: Literal["n", "c", "t", "ct", "ctt"] | None = field(default=None, metadata={
        "help": "deterministic trend of the MEAN, statsmodels' ARIMA convention (regression "
        "with SARIMA errors, seqlab.classical.ARIMA): n none, c constant (the mean), t linear "
        "in time (with d = 1: the drift), ct both, ctt with t^2; terms of order < d + D are "
        "refused (differencing removes them). Default: c if d + D = 0, else n"})
    auto: bool = field(default=False, metadata={
        "help": "choose the orders with AutoARIMA (stepwise search; the season length "
        "from the dates or --season)"})
    season: int | None = field(default=None, metadata={
        "help": "season length for --auto (1: none; default: from the dates, 12 monthly, 4 "
        "quarterly, 7 daily, 52 weekly, 24 hourly, else 1)"})
    max_p: int | None = field(default=None, metadata={"help": "largest p tried by --auto"})
    max_q: int | None = field(default=None, metadata={"help": "largest q tried by --auto"})
    criterion: Literal["aic", "aicc", "bic"] | None = field(default=None, metadata={
        "help": "information criterion of --auto (default: AutoARIMA's)"})
    horizon: int | None = field(default=None, metadata={
        "aliases": ("--steps",), "help": "steps to forecast (default: 12, or the number of "
        "future regressor rows)"})
    level: tuple[float, ...] | None = field(default=None, metadata={
        "help": "prediction-interval levels in percent, any number (default: 95)"})
    alpha: float | None = field(default=None, metadata={
        "help": "one interval of level 100 (1 - alpha) percent (older spelling of --level)"})
    out: str | None = field(default=None, metadata={"help": "also write the forecast table "
                                                    "to this CSV file"})
    save: str | None = field(default=None, metadata={
        "help": "save the fitted ARIMA here (with --auto: AutoARIMA's chosen SARIMAX; "
        "seqlab.load reads it)"})
    plot: str | None = field(default=None, metadata={
        "help": "save a plot of history, forecast and bands (.png, .pdf, ...)"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab arima``."""
    parser = subparsers.add_parser(
        "arima", help="fit a seasonal ARIMA (with regressors) to a dated series; forecast it",
        description="Fit SARIMA(p,d,q)(P,D,Q)s with optional regressors by exact maximum "
        "likelihood (Kalman filter; missing values are fitted through) to a CSV or bundled "
        "series; print the parameters and the dated forecast with prediction intervals.",
    )
    add_dataclass_arguments(parser, ArimaConfig)
    parser.set_defaults(func=_handler)


def _handler(args: argparse.Namespace) -> int:
    return run(dataclass_from_args(ArimaConfig, args))


def _levels(cfg: ArimaConfig) -> list[float]:
    if cfg.alpha is not None and cfg.level is not None:
        raise SeqlabValueError("give the interval once: --level (percent) or --alpha, not both.")
    if cfg.alpha is not None:
        if not 0.0 < cfg.alpha < 1.0:
            raise SeqlabValueError(f"--alpha must lie in (0, 1), e.g. 0.05; got {cfg.alpha:g}.")
        return [100.0 * (1.0 - cfg.alpha)]
    levels = list(cfg.level) if cfg.level is not None else [95.0]
    bad = [v for v in levels if not (math.isfinite(v) and 0.0 < v < 100.0)]
    if bad:
        raise SeqlabValueError(f"--level takes percentages strictly between 0 and 100, e.g. "
                               f"--level 80 95; got {' '.join(f'{v:g}' for v in bad)}.")
    if len(set(levels)) != len(levels):
        raise SeqlabValueError("--level: each level once, please.")
    return sorted(levels)


def _check_orders(cfg: ArimaConfig) -> tuple[tuple[int, int, int], tuple[int, int, int, int]]:
    order = cfg.order if cfg.order is not None else (2, 0, 0)
    if len(order) != 3 or min(order) < 0:
        raise SeqlabValueError(f"--order takes three integers p d q >= 0; got "
                               f"{' '.join(map(str, order))}.")
    seasonal = (0, 0, 0, 0)
    if cfg.seasonal is not None:
        if len(cfg.seasonal) != 4 or min(cfg.seasonal) < 0:
            raise SeqlabValueError(f"--seasonal takes four integers P D Q s (e.g. 0 1 1 12); "
                                   f"got {' '.join(map(str, cfg.seasonal))}.")
        seasonal = tuple(int(v) for v in cfg.seasonal)  # type: ignore[assignment]
        if seasonal[3] < 2:
            raise SeqlabValueError(f"--seasonal: the period s must be at least 2 (12 for "
                                   f"monthly data); got {seasonal[3]}.")
    p, d, q = (int(v) for v in order)
    return (p, d, q), seasonal


def label_dates(index: Any) -> list[str]:
    """Dates as a person reads them at the index's frequency (1961, 1961-01, 1961-01-07)."""
    freq = (index.freqstr or "") if hasattr(index, "freqstr") else ""
    base = freq.split("-")[0].lstrip("0123456789").upper()
    if base in ("Y", "YS", "A", "AS", "BY", "BYS", "BA", "BAS"):
        fmt = "%Y"
    elif base in ("M", "MS", "ME", "BM", "BMS", "BME", "SM", "SMS"):
        fmt = "%Y-%m"
    elif base.startswith("Q") or base.startswith("BQ"):
        return [str(t.to_period("Q")) for t in index]
    elif base in ("D", "B", "C", "W"):
        fmt = "%Y-%m-%d"
    else:
        return [t.isoformat(sep=" ") for t in index]
    return [t.strftime(fmt) for t in index]


def season_of(index: Any) -> int:
    """The usual season length of a date index's frequency (1 when it has none).

    >>> import pandas as pd
    >>> season_of(pd.date_range("2000-01", periods=3, freq="MS"))
    12
    """
    freq = (index.freqstr or "") if hasattr(index, "freqstr") else ""
    base = freq.split("-")[0].lstrip("0123456789").upper()
    if freq[:1].isdigit():  # "2MS", "15min": multiples have no usual season
        return 1
    for prefixes, s in ((("MS", "ME", "M", "BMS", "BME", "BM"), 12), (("QS", "QE", "Q", "BQ"), 4),
                        (("D",), 7), (("W",), 52), (("H",), 24)):
        if base in prefixes or (s == 4 and base.startswith(("Q", "BQ"))):
            return s
    return 1


def forecast_table(model: Any, steps: int, levels: list[float], exog: Any = None) -> Any:
    """The forecast as a DataFrame: mean, mean_se and lower_L/upper_L per level L (percent),
    indexed by the forecast dates. Shapes: (steps, 2 + 2 * len(levels))."""
    import pandas as pd

    fc = model.get_forecast(steps, exog=exog)
    cols: dict[str, Any] = {}
    for lev in levels:
        frame = fc.summary_frame(alpha=1.0 - lev / 100.0)
        if not cols:
            cols = {"mean": frame["mean"], "mean_se": frame["mean_se"]}
        cols[f"lower_{lev:g}"] = frame["mean_ci_lower"]
        cols[f"upper_{lev:g}"] = frame["mean_ci_upper"]
    return pd.DataFrame(cols)


def _fit(cfg: ArimaConfig, data: Any, order: Any, seasonal: Any) -> tuple[Any, str]:
    if cfg.auto:
        given = [flag for flag, v in (("--order", cfg.order is not None),
                                      ("--seasonal", cfg.seasonal is not None),
                                      ("--trend", cfg.trend is not None)) if v]
        if given:
            raise SeqlabValueError(f"--auto chooses the model itself; drop {', '.join(given)} "
                                   "(give the season length with --season).")
        from seqlab.classical import AutoARIMA

        season = cfg.season if cfg.season is not None else season_of(data.y.index)
        if season < 1:
            raise SeqlabValueError(f"--season must be at least 1 (1: no season); got {season}.")
        kwargs: dict[str, Any] = {"season_length": season}
        for name, value in (("max_p", cfg.max_p), ("max_q", cfg.max_q),
                            ("ic", cfg.criterion)):
            if value is not None:
                kwargs[name] = value
        auto = AutoARIMA(**kwargs).fit(data.y, data.exog)
        model = auto.model_
        title = f"AutoARIMA (season {season}) chose " + _model_name(
            auto.order_, auto.seasonal_order_, auto.trend_)
        if auto.trend_ == "c" and auto.order_[1] + auto.seasonal_order_[1] == 1:
            title += " (a drift: SARIMAX's intercept of the differenced equation)"
        return model, title
    for flag, value in (("--season", cfg.season), ("--max-p", cfg.max_p),
                        ("--max-q", cfg.max_q), ("--criterion", cfg.criterion)):
        if value is not None:
            raise SeqlabValueError(f"{flag} is an option of --auto; add --auto or drop it.")
    from seqlab.classical import ARIMA

    # statsmodels' tsa.arima ARIMA (the class the README's Python example uses): the trend is
    # a regression term of the mean, so the CLI and the library give the same numbers
    trend = cfg.trend or ("c" if order[1] + seasonal[1] == 0 else "n")
    fitted = ARIMA(order=order, seasonal_order=seasonal, trend=trend).fit(data.y, data.exog)
    return fitted, _model_name(order, seasonal, trend)


def _model_name(order: Any, seasonal: Any, trend: str) -> str:
    p, d, q = order
    name = f"SARIMA({p},{d},{q})"
    if seasonal[3]:
        name += f"({seasonal[0]},{seasonal[1]},{seasonal[2]}){seasonal[3]}"
    return name + f", trend {trend!r}"


def run(cfg: ArimaConfig) -> int:
    """Read, fit, print the parameters and the forecast; write, save, plot; exit code."""
    from seqlab.cli._arima_data import load_arima_data
    from seqlab.cli._paths import check_output_file, check_plot_file

    order, seasonal = _check_orders(cfg)
    levels = _levels(cfg)
    if cfg.horizon is not None and cfg.horizon < 1:
        raise SeqlabValueError(f"--horizon must be at least 1; got {cfg.horizon}.")
    for option, path in (("--out", cfg.out), ("--save", cfg.save)):
        if path:
            check_output_file(path, option)
    if cfg.plot:
        check_plot_file(cfg.plot)
    data, steps = load_arima_data(cfg.file, cfg.data, cfg.date_col, cfg.value_col, cfg.exog,
                                  cfg.future_exog, cfg.freq, cfg.horizon)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, title = _fit(cfg, data, order, seasonal)
        table = forecast_table(model, steps, levels, data.future_exog)
    for w in caught:  # one line each on stderr, like the errors
        text = " ".join(str(w.message).split())
        print(f"seqlab: warning: {text}", file=sys.stderr)
    y = data.y
    print(f"{title} fitted to {data.label}: n = {len(y)}, {label_dates(y.index[:1])[0]} to "
          f"{label_dates(y.index[-1:])[0]} ({y.index.freqstr})")
    for note in data.notes:
        print(f"  note: {note}")
    # standard errors where the model computes them (bse_, statsmodels' cov_type "opg")
    bse = getattr(model, "bse_", None)
    print(f"\n{'parameter':>16} {'value':>14}" + (f" {'std err':>12}" if bse is not None else ""))
    for i, (name, value) in enumerate(zip(model.param_names_, model.params_, strict=True)):
        err = f" {float(bse[i]):12.4g}" if bse is not None else ""
        print(f"{name:>16} {value:14.6g}{err}")
    print(f"{'loglik':>16} {float(model.llf_):14.6f}\n{'aic':>16} {float(model.aic_):14.6f}\n"
          f"{'bic':>16} {float(model.bic_):14.6f}")
    shown = table.copy()
    shown.index = label_dates(table.index)
    shown.index.name = str(y.index.name or "date")
    pct = ", ".join(f"{lev:g}%" for lev in levels)
    print(f"\nforecast, {steps} step(s) ({pct} prediction intervals):")
    print(shown.to_string(float_format=lambda v: f"{v:.6g}"))
    if cfg.out:
        from seqlab.io.atomic import atomic_write_text

        atomic_write_text(cfg.out, shown.to_csv(float_format="%.10g"))
        print(f"\nforecast written to {cfg.out}")
    if cfg.save:
        import seqlab

        seqlab.save(model, cfg.save)
        print(f"model saved to {cfg.save}")
    if cfg.plot:
        from seqlab.cli._arima_plot import plot_forecast

        plot_forecast(cfg.plot, y, table, levels, f"{title}: {data.label}")
        print(f"plot saved to {cfg.plot}")
    return 0

"""``seqlab forecast MODEL --data CSV``: dated forecasts from a saved forecaster.

The model file is one written by ``seqlab train --data series.csv --save MODEL`` (or
``seqlab.save`` of a :class:`seqlab.pipelines.RNNForecaster`); the CSV holds the history
(at least the model's window of rows, with the columns it was trained on). The forecast
starts after the CSV's last row; with ``--output`` it is also written as a CSV.

A model saved by ``seqlab arima --save`` (a fitted SARIMA/ARIMA) forecasts after the data
it was fitted to, or, with ``--data``, keeps its parameters and runs on that series instead
(statsmodels' ``results.apply``: e.g. the same model on newer data), with 95 % prediction
intervals. Models with regressors need their future values: use ``seqlab arima`` or Python.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args

__all__ = ["ForecastConfig", "add_parser", "run"]


@dataclass
class ForecastConfig:
    """Options of ``seqlab forecast``."""

    model: str = field(default="", metadata={
        "help": "the model file (the same as MODEL; give it one way)"})
    data: str = field(default="", metadata={"help": "CSV/TSV history to forecast from"})
    horizon: int | None = field(default=None, metadata={
        "help": "steps to forecast (at most the trained horizon; default: all of it)"})
    date_column: str | None = field(default=None, metadata={
        "help": "the date column (default: found by name or by parsing)"})
    value_column: str | None = field(default=None, metadata={
        "help": "SARIMA models: the series' column of --data (default: its one numeric column)"})
    output: str | None = field(default=None, metadata={"help": "also write the forecast here"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab forecast``."""
    parser = subparsers.add_parser(
        "forecast", help="forecast a CSV series with a saved forecaster (seqlab train --data)",
        description=(__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("model_path", metavar="MODEL", nargs="?", default=None,
                        help="model file (seqlab train --save or seqlab arima --save)")
    add_dataclass_arguments(parser, ForecastConfig)
    parser.set_defaults(func=_handler)


def _handler(args: argparse.Namespace) -> int:
    from seqlab.exceptions import SeqlabValueError

    if args.model_path and args.model and args.model_path != args.model:
        raise SeqlabValueError(f"two model files given ({args.model_path!r} and --model "
                               f"{args.model!r}); give one.")
    args.model = args.model_path or args.model
    if not args.model:
        raise SeqlabValueError("give the model file: seqlab forecast MODEL --data CSV.")
    return run(dataclass_from_args(ForecastConfig, args))


def run(config: ForecastConfig) -> int:
    """Load, read, forecast, print (and write); returns the exit code."""
    import pandas as pd

    import seqlab
    from seqlab.classical.arima import ARIMA
    from seqlab.classical.sarimax import SARIMAX
    from seqlab.cli._paths import check_input_file, check_output_file
    from seqlab.data.tables import read_series_csv
    from seqlab.exceptions import SeqlabValueError
    from seqlab.pipelines import RNNForecaster

    check_input_file(config.model, "MODEL")
    if config.data:
        check_input_file(config.data, "--data")
    if config.output:
        check_output_file(config.output, "--output")
    if config.horizon is not None and config.horizon < 1:
        raise SeqlabValueError(f"--horizon must be at least 1; got {config.horizon}.")
    model = seqlab.load(config.model, expect=(RNNForecaster, SARIMAX, ARIMA))
    if not isinstance(model, RNNForecaster):
        from seqlab.cli._forecast_arima import run_arima

        return run_arima(config, model)
    if config.value_column is not None:
        raise SeqlabValueError(f"--value-column is for SARIMA models; {config.model} holds an "
                               f"RNN forecaster, which reads its columns {model.columns_}.")
    if not config.data:
        raise SeqlabValueError("--data is required: the CSV series to forecast from.")
    missing = [c for c in model.columns_ if c not in _header(config.data)]
    if missing:
        raise SeqlabValueError(
            f"--data {config.data} has no column {', '.join(map(repr, missing))}; the model was "
            f"trained on {', '.join(map(repr, model.columns_))}.")
    table = read_series_csv(config.data, config.date_column, model.columns_,
                            min_rows=model.window)
    frame = table.to_frame()
    fc = model.forecast(frame, config.horizon)
    if isinstance(fc.index, pd.DatetimeIndex):
        fc.index = fc.index.rename(table.date_column)
    print(f"forecast of {', '.join(model.columns_)} after {pd.Timestamp(table.dates[-1])} "
          f"({len(fc)} steps, from the last {model.window} of {len(table.dates)} rows):")
    print(fc.to_string(float_format=lambda v: f"{v:.6g}"))
    if config.output:
        from seqlab.io.atomic import atomic_write_text

        atomic_write_text(config.output, fc.to_csv())
        print(f"saved {config.output}")
    return 0


def _header(path: str) -> list[str]:
    import pandas as pd

    sep = "\t" if path.lower().endswith(".tsv") else ","
    try:
        return [str(c).strip() for c in pd.read_csv(path, sep=sep, nrows=0).columns]
    except (ValueError, UnicodeDecodeError):
        return []  # read_series_csv reports what is wrong with the file

"""train a multi-step forecaster on a CSV time series.

``seqlab train --data series.csv --horizon 12 --window 48 --save f.seqlab`` reads the series
(:func:`seqlab.data.tables.read_series_csv`), holds out the last ``--test-size`` rows, fits a
:class:`seqlab.pipelines.RNNForecaster` on the rest, prints the held-out evaluation against
the naive, seasonal-naive and ARIMA baselines (:func:`seqlab.pipelines.backtest`), then
refits on the whole series and writes the model file (unless ``--no-refit``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Options", "run"]


@dataclass
class Options:
    """Flags of the CSV time-series journey."""

    date_column: str | None = field(default=None, metadata={
        "help": "CSV series: the date column (default: found by name or by parsing)"})
    columns: tuple[str, ...] | None = field(default=None, metadata={
        "help": "CSV series: the value columns (default: every numeric column)"})
    horizon: int = field(default=12, metadata={"help": "CSV series: steps to forecast"})
    window: int = field(default=48, metadata={"help": "CSV series: past steps the model reads"})
    test_size: int | None = field(default=None, metadata={
        "help": "CSV series: held-out tail rows for the evaluation (default: 2 * horizon)"})
    season: int | None = field(default=None, metadata={
        "help": "CSV series: season length for seasonal naive / MASE (default: from the "
                "dates' frequency)"})
    refit: bool = field(default=True, metadata={
        "help": "CSV series: refit on the whole series before saving"})


_OWN = ("epochs", "lr", "batch_size", "seed", "progress", "max_steps", "max_time",
        "val_fraction")


CHECKPOINTS = ("checkpoint_path", "resume_from")


def _train_options(train: Any, checkpoints: bool = True) -> dict[str, Any] | None:
    """The TrainConfig flags the user changed, other than those RNNForecaster takes itself
    (so --clip-norm, --optimizer, --checkpoint-path, ... are used, never silently dropped).

    ``checkpoints=False`` leaves out --checkpoint-path / --resume-from: they belong to the
    fit whose model is saved (the refit on all rows), not to the evaluation fit."""
    from dataclasses import fields

    default = type(train)()
    changed = {f.name: getattr(train, f.name) for f in fields(train)
               if f.name not in _OWN and getattr(train, f.name) != getattr(default, f.name)
               and (checkpoints or f.name not in CHECKPOINTS)}
    return changed or None


def _forecaster(task: Any, train: Any, options: Options, checkpoints: bool = True) -> Any:
    from seqlab.pipelines import RNNForecaster

    return RNNForecaster(
        horizon=options.horizon, window=options.window, cell=task.cell,
        hidden_size=task.hidden_size, num_layers=task.num_layers, dropout=task.dropout,
        epochs=train.epochs, max_steps=getattr(train, "max_steps", None),
        max_time=getattr(train, "max_time", None), lr=train.lr, batch_size=train.batch_size,
        seed=train.seed, progress=train.progress, val_fraction=train.val_fraction,
        train_options=_train_options(train, checkpoints),
    )


def run(path: Path, task: Any, train: Any, options: Options) -> int:
    """Evaluate on the held-out tail, refit on everything, save; returns the exit code."""
    from seqlab._validation import check_int
    from seqlab.data.tables import read_series_csv
    from seqlab.pipelines import backtest

    horizon = check_int(options.horizon, "--horizon", minimum=1)
    window = check_int(options.window, "--window", minimum=1)
    test = 2 * horizon if options.test_size is None else check_int(
        options.test_size, "--test-size", minimum=1)
    table = read_series_csv(path, options.date_column, options.columns,
                            min_rows=window + horizon + test)
    print(f"read {path}: {len(table.dates)} rows x {len(table.columns)} column(s) "
          f"({', '.join(table.columns)}), dates in {table.date_column!r} from "
          f"{str(table.dates[0])[:10]} to {str(table.dates[-1])[:10]}, frequency "
          f"{table.freq or 'irregular (forecasts will be numbered by step, not dated)'}")
    refit = bool(task.save) and options.refit
    forecaster = _forecaster(task, train, options, checkpoints=not refit)
    result = backtest(table.to_frame(), forecaster, test_size=test, season=options.season)
    fitted = result.forecaster
    print(f"model: {type(fitted.model_).__name__} cell={task.cell} hidden={task.hidden_size} "
          f"layers={task.num_layers}, window={window} -> horizon={horizon}; trained "
          f"{fitted.n_steps_} steps, final training loss (scaled MSE) "
          f"{fitted.loss_curve_[-1] if fitted.loss_curve_ else float('nan'):.4g}"
          + (f", best validation loss {min(fitted.val_loss_curve_):.4g} (last "
             f"{train.val_fraction:g} of the windows)" if fitted.val_loss_curve_ else ""))
    print(result.table())
    if task.save:
        from seqlab.cli import _train_data

        if refit:
            fitted = _forecaster(task, train, options).fit(table.to_frame())
            print(f"refitted on all {len(table.dates)} rows ({fitted.n_steps_} steps)")
        else:
            print("not refitted (--no-refit): the saved model saw only the training rows")
        _train_data.save_model(fitted, task.save,
                    data={"file": str(path), "rows": len(table.dates), "columns": table.columns,
                          "date_column": table.date_column, "freq": table.freq},
                    training={"evaluation": result.scores, "test_size": test,
                              "steps": fitted.n_steps_})
        print(f"saved {task.save} (forecast with: seqlab forecast {task.save} --data {path})")
    else:
        print("not saved (add --save FILE to keep the model)")
    return 0

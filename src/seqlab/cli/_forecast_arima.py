"""``seqlab forecast`` for a model saved by ``seqlab arima --save`` (SARIMAX or ARIMA)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab.exceptions import SeqlabValueError

if TYPE_CHECKING:
    from seqlab.cli.forecast import ForecastConfig

__all__ = ["run_arima"]


def run_arima(config: ForecastConfig, model: Any) -> int:
    """Forecast ``config.horizon`` (default 12) steps with the fitted ``model``: after its own
    data, or -- with ``--data`` -- after that series, same parameters (``model.apply``)."""
    from seqlab.cli._arima_data import load_arima_data
    from seqlab.cli.arima import forecast_table, label_dates

    name = type(model).__name__
    n_reg = model._user_exog()  # the regressors given to fit (trend columns excluded)
    if n_reg is not None:
        raise SeqlabValueError(
            f"{config.model} holds a {name} with {n_reg.shape[1]} regressor(s); its forecast "
            "needs their future values: refit with `seqlab arima --file CSV --exog ... "
            "--future-exog FILE`, or in Python: seqlab.load(path).get_forecast(steps, "
            "exog=future).")
    if config.data:
        data, steps = load_arima_data(config.data, None, config.date_column,
                                      config.value_column, None, None, None, config.horizon)
        model = model.apply(data.y)
        where = f"{data.label}, the saved model's parameters"
        for note in data.notes:
            print(f"  note: {note}")
    else:
        if config.date_column or config.value_column:
            raise SeqlabValueError("--date-column and --value-column read --data; without "
                                   "--data the model forecasts after the data it was fit to.")
        steps = 12 if config.horizon is None else config.horizon
        where = "the data it was fitted to"
    table = forecast_table(model, steps, [95.0])
    shown = table.copy()
    if hasattr(table.index, "freqstr"):
        shown.index = label_dates(table.index)
    shown.index.name = "date"
    print(f"{name}{tuple(model.order)}{_seasonal(model)} from {config.model} on {where}: "
          f"forecast, {steps} step(s), 95% prediction intervals:")
    print(shown.to_string(float_format=lambda v: f"{v:.6g}"))
    if config.output:
        from seqlab.io.atomic import atomic_write_text

        atomic_write_text(config.output, shown.to_csv(float_format="%.10g"))
        print(f"saved {config.output}")
    return 0


def _seasonal(model: Any) -> str:
    s = getattr(model, "seasonal_order", None)
    return "" if not s or s[3] in (0, 1) else str(tuple(s))

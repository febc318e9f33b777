"""Seattle weather, read from the CSV files that ship with ``vega_datasets``.

- ``seattle-weather.csv``: one row per day 2012-01-01..2015-12-31 with precipitation,
  daily maximum and minimum temperature, mean wind speed and a recorded weather label
  (drizzle, fog, rain, snow, sun): the HMM "weather states" example;
- ``seattle-temps.csv``: hourly temperature through 2010 (in °F in the file).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from seqlab._validation import check_choice
from seqlab.data._files import package_file
from seqlab.data._registry import DatasetInfo, register
from seqlab.exceptions import SeqlabValueError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SEATTLE_WEATHER_LABELS", "load_seattle_temps", "load_seattle_weather"]

_INSTALL = "pip install vega_datasets"

#: the weather labels of ``seattle-weather.csv``, in the order of the Categorical's codes
SEATTLE_WEATHER_LABELS: tuple[str, ...] = ("drizzle", "fog", "rain", "snow", "sun")


def _vega_csv(name: str, purpose: str) -> Path:
    return package_file("vega_datasets", f"_data/{name}", _INSTALL, purpose)


@cache
def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(path)


def load_seattle_weather() -> pd.DataFrame:
    """Daily Seattle weather, 2012-01-01 to 2015-12-31 (1461 days).

    ============== ========== ================================================
    column         dtype      meaning
    ============== ========== ================================================
    precipitation  float64    daily precipitation in mm
    temp_max       float64    daily maximum temperature in °C
    temp_min       float64    daily minimum temperature in °C
    wind           float64    mean wind speed in m/s
    weather        category   recorded label, categories
                              :data:`SEATTLE_WEATHER_LABELS` (codes 0..4)
    ============== ========== ================================================

    The index is a daily ``DatetimeIndex`` named ``"date"``. Source:
    ``vega_datasets/_data/seattle-weather.csv``.

    >>> df = load_seattle_weather()
    >>> df.shape, df["weather"].iloc[0], float(df["temp_max"].iloc[0])
    ((1461, 5), 'drizzle', 12.8)
    >>> df["weather"].cat.codes.iloc[:3].tolist()   # integer states for an HMM
    [0, 2, 2]
    """
    import pandas as pd

    raw = _read_csv(_vega_csv("seattle-weather.csv", "load_seattle_weather()"))
    df = raw.drop(columns=["date", "weather"]).astype("float64")
    df.index = pd.DatetimeIndex(pd.to_datetime(raw["date"], format="%Y/%m/%d"), name="date")
    df.index.freq = "D"
    unknown = sorted(set(raw["weather"]) - set(SEATTLE_WEATHER_LABELS))
    if unknown:  # a newer vega_datasets with labels we do not know: fail loudly
        raise SeqlabValueError(f"seattle-weather.csv has unexpected weather labels {unknown}.")
    df["weather"] = pd.Categorical(raw["weather"].to_numpy(), categories=SEATTLE_WEATHER_LABELS)
    return df


def load_seattle_temps(
    unit: Literal["C", "F"] = "C",
    missing: Literal["interpolate", "keep"] = "interpolate",
) -> pd.Series:
    """Hourly temperature in Seattle through 2010, in °C (default) or °F.

    The file (``vega_datasets/_data/seattle-temps.csv``) holds °F with one hour missing
    (2010-03-14 03:00, the switch to daylight saving time). ``missing="interpolate"``
    (default) inserts it by linear interpolation, giving 8760 regular hours with
    ``freq="h"``; ``"keep"`` returns the 8759 recorded hours. ``unit="C"`` converts
    with (F - 32) * 5 / 9.

    >>> s = load_seattle_temps(unit="F")
    >>> len(s), float(s.iloc[0]), str(s.index[0])
    (8760, 39.4, '2010-01-01 00:00:00')
    >>> round(float(load_seattle_temps().iloc[0]), 3)   # 39.4 F in C
    4.111
    """
    import pandas as pd

    check_choice(unit, "unit", ("C", "F"))
    check_choice(missing, "missing", ("interpolate", "keep"))
    raw = _read_csv(_vega_csv("seattle-temps.csv", "load_seattle_temps()"))
    index = pd.DatetimeIndex(pd.to_datetime(raw["date"], format="%Y/%m/%d %H:%M"), name="date")
    values = raw["temp"].to_numpy(dtype=np.float64, copy=True)
    if unit == "C":
        values = (values - 32.0) * 5.0 / 9.0
    s = pd.Series(values, index=index, name=f"temperature_{unit}")
    if missing == "interpolate":
        full = pd.date_range(index[0], index[-1], freq="h", name="date")
        s = s.reindex(full).interpolate(method="time")
    return s


_SRC = "vega_datasets: vega_datasets/_data/{}"
register(DatasetInfo("seattle-weather", "weather", load_seattle_weather,
                     "daily Seattle precipitation (mm), temp max/min (C), wind (m/s), label",
                     "1461 days x 5 columns", _SRC.format("seattle-weather.csv")))
register(DatasetInfo("seattle-temps", "weather", load_seattle_temps,
                     "hourly Seattle temperature in deg C, 2010", "8760 hours",
                     _SRC.format("seattle-temps.csv")))

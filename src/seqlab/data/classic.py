"""Classic time series of the textbooks, read from the CSV files that ship with statsmodels.

The files are read directly (``statsmodels.api`` is never imported, so loading stays fast):

- yearly sunspot numbers 1700–2008 (Yule 1927 fitted his AR(2) to them; Brockwell & Davis,
  *Introduction to Time Series and Forecasting*, use 1770–1869);
- annual flow of the Nile at Aswan 1871–1970 (Cobb 1978; Durbin & Koopman's local level
  example);
- weekly atmospheric CO2 at Mauna Loa 1958–2001 (Keeling & Whorf 2004);
- monthly sea-surface temperature of the El Niño region 1950–2010;
- monthly international airline passengers 1949–1960 (Box & Jenkins' series G, the
  "airline model" SARIMA(0,1,1)(0,1,1)12 of log passengers), from sktime's data folder.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from seqlab._validation import check_choice
from seqlab.data._files import package_file
from seqlab.data._registry import DatasetInfo, register

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load_airline", "load_co2", "load_elnino", "load_nile", "load_sunspots"]

_INSTALL = "pip install statsmodels"


def _statsmodels_csv(name: str, purpose: str) -> Path:
    return package_file("statsmodels", f"datasets/{name}/{name}.csv", _INSTALL, purpose)


@cache
def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(path)


def load_sunspots() -> pd.Series:
    """Yearly mean sunspot numbers, 1700–2008 (309 values).

    Returns a float64 ``pd.Series`` named ``"sunspots"`` whose index is the integer year.
    Source: ``statsmodels/datasets/sunspots/sunspots.csv`` (from R's ``sunspot.year``).

    >>> s = load_sunspots()
    >>> len(s), int(s.index[0]), int(s.index[-1]), float(s.loc[1700])
    (309, 1700, 2008, 5.0)
    """
    import pandas as pd

    df = _read_csv(_statsmodels_csv("sunspots", "load_sunspots()"))
    years = pd.Index(df["YEAR"].astype("int64"), name="year")
    values = df["SUNACTIVITY"].to_numpy(dtype="float64", copy=True)
    return pd.Series(values, index=years, name="sunspots")


def load_nile() -> pd.Series:
    """Annual flow of the Nile at Aswan, 1871–1970, in 10^8 m^3 (100 values).

    Returns a float64 ``pd.Series`` named ``"nile"`` indexed by integer year. The series has
    a well-known change point near 1898 (Cobb 1978).
    Source: ``statsmodels/datasets/nile/nile.csv``.

    >>> s = load_nile()
    >>> len(s), float(s.loc[1871]), int(s.index[-1])
    (100, 1120.0, 1970)
    """
    import pandas as pd

    df = _read_csv(_statsmodels_csv("nile", "load_nile()"))
    years = pd.Index(df["year"].astype("int64"), name="year")
    return pd.Series(df["volume"].to_numpy(dtype="float64", copy=True), index=years, name="nile")


def load_co2(missing: Literal["interpolate", "keep", "drop"] = "interpolate") -> pd.Series:
    """Weekly atmospheric CO2 at Mauna Loa, 1958-03-29 to 2001-12-29, in ppm (2284 weeks).

    The file has 59 weeks without a measurement. ``missing`` says what to do with them:

    ============== =======================================================================
    ``missing``    result
    ============== =======================================================================
    "interpolate"  linear interpolation in time (default; no NaN left, 2284 values)
    "keep"         leave them as NaN (2284 values)
    "drop"         remove those weeks (2225 values; the index then has gaps)
    ============== =======================================================================

    The index is a weekly (Saturday) ``DatetimeIndex``. Source:
    ``statsmodels/datasets/co2/co2.csv`` (Keeling & Whorf 2004).

    >>> s = load_co2()
    >>> len(s), str(s.index[0].date()), float(s.iloc[0]), int(load_co2("keep").isna().sum())
    (2284, '1958-03-29', 316.1, 59)
    """
    import pandas as pd

    check_choice(missing, "missing", ("interpolate", "keep", "drop"))
    df = _read_csv(_statsmodels_csv("co2", "load_co2()"))
    dates = pd.DatetimeIndex(pd.to_datetime(df["date"].astype(str), format="%Y%m%d"), name="date")
    s = pd.Series(df["co2"].to_numpy(dtype="float64", copy=True), index=dates, name="co2")
    if missing == "interpolate":
        s = s.interpolate(method="time")
    elif missing == "drop":
        s = s.dropna()
    if missing != "drop":
        s.index.freq = pd.infer_freq(s.index)
    return s


def load_elnino() -> pd.Series:
    """Monthly sea-surface temperature of the El Niño region in °C, 1950-01 to 2010-12.

    732 values, a month-start ``DatetimeIndex`` (``freq="MS"``), float64, name ``"elnino"``.
    Source: ``statsmodels/datasets/elnino/elnino.csv`` (NOAA; one row per year, one column
    per month, flattened here in time order).

    >>> s = load_elnino()
    >>> len(s), str(s.index[0].date()), float(s.iloc[0]), str(s.index[-1].date())
    (732, '1950-01-01', 23.11, '2010-12-01')
    """
    import pandas as pd

    df = _read_csv(_statsmodels_csv("elnino", "load_elnino()"))
    # one row per year, one column per month: ravel in row-major order is time order
    values = df.drop(columns="YEAR").to_numpy(dtype="float64", copy=True).ravel()
    start = f"{int(df['YEAR'].iloc[0])}-01-01"
    index = pd.date_range(start, periods=len(values), freq="MS", name="date")
    return pd.Series(values, index=index, name="elnino")


def load_airline() -> pd.Series:
    """Monthly totals of international airline passengers in thousands, 1949-01 to 1960-12.

    144 values, a month-start ``DatetimeIndex`` (``freq="MS"``, named ``"date"``), float64,
    name ``"passengers"``. Box, Jenkins & Reinsel, *Time Series Analysis*, series G: the
    seasonal ARIMA(0,1,1)(0,1,1)12 of the log series is the textbook "airline model".
    Source: ``sktime/datasets/data/Airline/Airline.csv`` (the file is read; sktime is not
    imported).

    >>> s = load_airline()
    >>> len(s), str(s.index[0].date()), float(s.iloc[0]), float(s.iloc[-1]), s.index.freqstr
    (144, '1949-01-01', 112.0, 432.0, 'MS')
    """
    import pandas as pd

    path = package_file("sktime", "datasets/data/Airline/Airline.csv", "pip install sktime",
                        "load_airline()")
    df = _read_csv(path)
    index = pd.DatetimeIndex(pd.to_datetime(df["Date"], format="%Y-%m"), freq="MS", name="date")
    values = df["Passengers"].to_numpy(dtype="float64", copy=True)
    return pd.Series(values, index=index, name="passengers")


_SRC = "statsmodels: statsmodels/datasets/{}/{}.csv"
register(DatasetInfo("sunspots", "classic", load_sunspots,
                     "yearly mean sunspot number, 1700-2008", "309 years",
                     _SRC.format("sunspots", "sunspots")))
register(DatasetInfo("nile", "classic", load_nile,
                     "annual Nile flow at Aswan in 10^8 m^3, 1871-1970", "100 years",
                     _SRC.format("nile", "nile")))
register(DatasetInfo("co2", "classic", load_co2,
                     "weekly Mauna Loa CO2 in ppm, 1958-2001 (gaps interpolated)", "2284 weeks",
                     _SRC.format("co2", "co2")))
register(DatasetInfo("elnino", "classic", load_elnino,
                     "monthly El Nino sea-surface temperature in deg C, 1950-2010", "732 months",
                     _SRC.format("elnino", "elnino")))
register(DatasetInfo("airline", "classic", load_airline,
                     "monthly international airline passengers in thousands, 1949-1960",
                     "144 months", "sktime: sktime/datasets/data/Airline/Airline.csv"))

"""Stock prices, read from files that ship with ``vega_datasets`` and ``arch``.

- ``vega_datasets/_data/stocks.csv``: monthly closing prices of AAPL, AMZN, GOOG, IBM and
  MSFT, 2000-01 to 2010-03 (GOOG from its listing in 2004-08);
- ``arch/data/sp500/sp500.csv.gz``: daily open/high/low/close/adjusted close/volume of the
  S&P 500 index, 1999-01-04 to 2018-12-31 (the data of arch's volatility examples).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from seqlab.data._files import package_file
from seqlab.data._registry import DatasetInfo, register

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["STOCK_TICKERS", "load_sp500", "load_stocks"]

#: the tickers of ``stocks.csv``, in column order of :func:`load_stocks`
STOCK_TICKERS: tuple[str, ...] = ("AAPL", "AMZN", "GOOG", "IBM", "MSFT")


@cache
def _read_stocks(path: Path) -> pd.DataFrame:
    import pandas as pd

    raw = pd.read_csv(path)
    raw["date"] = pd.to_datetime(raw["date"], format="%b %d %Y")
    wide = raw.pivot(index="date", columns="symbol", values="price").astype("float64")
    wide = wide.reindex(columns=list(STOCK_TICKERS))
    wide.columns.name = None
    wide.index = pd.DatetimeIndex(wide.index, name="date", freq="MS")
    return wide


def load_stocks() -> pd.DataFrame:
    """Monthly closing prices in US$ of five stocks, 2000-01-01 to 2010-03-01 (123 months).

    One float64 column per ticker of :data:`STOCK_TICKERS`, a month-start
    ``DatetimeIndex``; NaN before a ticker was listed (GOOG before 2004-08).

    >>> df = load_stocks()
    >>> df.shape, float(df.loc["2000-01-01", "MSFT"]), int(df["GOOG"].isna().sum())
    ((123, 5), 39.81, 55)
    """
    path = package_file("vega_datasets", "_data/stocks.csv", "pip install vega_datasets",
                        "load_stocks()")
    return _read_stocks(path).copy()


@cache
def _read_sp500(path: Path) -> pd.DataFrame:
    import pandas as pd

    df = pd.read_csv(path)
    index = pd.DatetimeIndex(pd.to_datetime(df.pop("Date"), format="%m/%d/%Y"), name="Date")
    df.index = index
    return df.astype({c: "float64" for c in df.columns if c != "Volume"})


def load_sp500() -> pd.DataFrame:
    """Daily S&P 500 index, 1999-01-04 to 2018-12-31 (5031 trading days).

    Columns as in the file: ``Open, High, Low, Close, Adj Close`` (float64, index points)
    and ``Volume`` (int64, shares); the index is the trading-day ``DatetimeIndex``
    named ``"Date"`` (no frequency: markets close on weekends and holidays).
    Source: ``arch/data/sp500/sp500.csv.gz``.

    >>> df = load_sp500()
    >>> df.shape, str(df.index[0].date()), str(df.index[-1].date())
    ((5031, 6), '1999-01-04', '2018-12-31')
    """
    path = package_file("arch", "data/sp500/sp500.csv.gz", "pip install arch", "load_sp500()")
    return _read_sp500(path).copy()


register(DatasetInfo("stocks", "stocks", load_stocks,
                     "monthly closing prices (US$) of AAPL AMZN GOOG IBM MSFT, 2000-2010",
                     "123 months x 5 columns", "vega_datasets: vega_datasets/_data/stocks.csv"))
register(DatasetInfo("sp500", "stocks", load_sp500,
                     "daily S&P 500 open/high/low/close/adj close/volume, 1999-2018",
                     "5031 days x 6 columns", "arch: arch/data/sp500/sp500.csv.gz"))

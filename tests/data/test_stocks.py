"""Stock loaders against vega_datasets' and arch's own loaders."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500 as arch_sp500
from vega_datasets import data as vega

from seqlab import MissingDependencyError
from seqlab.data import stocks


def test_stocks_wide_table_matches_vega():
    df = stocks.load_stocks()
    assert df.shape == (123, 5)
    assert list(df.columns) == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    assert (df.dtypes == np.float64).all()
    assert df.index[0] == pd.Timestamp("2000-01-01") and df.index[-1] == pd.Timestamp("2010-03-01")
    assert df.index.freqstr == "MS"
    # Google listed in August 2004: NaN before, a price from then on
    assert df.loc[: "2004-07-01", "GOOG"].isna().all()
    assert df.loc["2004-08-01":, "GOOG"].notna().all()
    assert df.drop(columns="GOOG").notna().all().all()
    assert df.loc["2000-01-01", "MSFT"] == 39.81  # first row of stocks.csv
    ref = vega.stocks()
    for _, row in ref.iterrows():
        assert df.loc[row["date"], row["symbol"]] == row["price"]
    assert df.notna().sum().sum() == len(ref)


def test_sp500_matches_arch():
    df = stocks.load_sp500()
    ref = arch_sp500.load()
    assert df.shape == (5031, 6)
    assert list(df.columns) == ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    assert df.index[0] == pd.Timestamp("1999-01-04")
    assert df.index[-1] == pd.Timestamp("2018-12-31")
    assert (df.index == ref.index).all()
    pd.testing.assert_frame_equal(df, ref, check_names=False, check_freq=False)
    assert df["Volume"].dtype == np.int64
    assert (df["High"] >= df["Low"]).all()


def test_missing_arch_names_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "arch" else real(name, *a))
    with pytest.raises(MissingDependencyError, match="pip install arch"):
        stocks.load_sp500()


def test_missing_vega_names_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "vega_datasets" else real(name, *a))
    with pytest.raises(MissingDependencyError, match="pip install vega_datasets"):
        stocks.load_stocks()


@pytest.mark.parametrize("loader", [stocks.load_stocks, stocks.load_sp500])
def test_loaders_return_copies(loader):
    first = loader().iloc[0, 0]
    df = loader()
    df.iloc[0, 0] = -99.0
    assert loader().iloc[0, 0] == first

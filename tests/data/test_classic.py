"""Classic series (seqlab.data.classic) against statsmodels' own loaders and published values."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from seqlab import MissingDependencyError
from seqlab.data import classic


def test_sunspots_matches_statsmodels_and_published_values():
    s = classic.load_sunspots()
    assert s.name == "sunspots" and s.dtype == np.float64 and len(s) == 309
    assert s.index.dtype == np.int64
    assert (s.index[0], s.index[-1]) == (1700, 2008)
    assert np.all(np.diff(s.index) == 1)
    # SIDC yearly mean sunspot number (version 1, as in R's sunspot.year): 1700 -> 5,
    # the 1957 maximum -> 190.2, 2008 -> 2.9
    assert (s.loc[1700], s.loc[1957], s.loc[2008]) == (5.0, 190.2, 2.9)
    ref = sm.datasets.sunspots.load_pandas().data
    np.testing.assert_array_equal(s.to_numpy(), ref["SUNACTIVITY"].to_numpy())
    np.testing.assert_array_equal(s.index.to_numpy(), ref["YEAR"].to_numpy().astype(int))


def test_nile_matches_statsmodels_and_cobb_1978():
    s = classic.load_nile()
    assert len(s) == 100 and s.dtype == np.float64
    assert (s.index[0], s.index[-1]) == (1871, 1970)
    # Cobb (1978) / R's datasets::Nile: first flow 1120, last 740 (10^8 m^3)
    assert s.loc[1871] == 1120.0 and s.loc[1970] == 740.0
    ref = sm.datasets.nile.load_pandas().data
    np.testing.assert_array_equal(s.to_numpy(), ref["volume"].to_numpy())


def test_co2_missing_weeks_and_statsmodels_values():
    kept = classic.load_co2("keep")
    ref = sm.datasets.co2.load_pandas().data["co2"]
    assert len(kept) == len(ref) == 2284
    # statsmodels builds the same weekly (Saturday) index from the first date
    assert (kept.index == ref.index).all()
    np.testing.assert_array_equal(kept.isna(), ref.isna())
    np.testing.assert_array_equal(kept.dropna().to_numpy(), ref.dropna().to_numpy())
    assert int(kept.isna().sum()) == 59  # 2284 weeks, 2225 observations (statsmodels NOTE)
    assert kept.index[0] == pd.Timestamp("1958-03-29")
    assert kept.index[-1] == pd.Timestamp("2001-12-29")

    filled = classic.load_co2()
    assert not filled.isna().any() and len(filled) == 2284
    assert filled.index.freqstr == "W-SAT"
    # a single missing week is the mean of its neighbours (equal spacing)
    gaps = np.flatnonzero(kept.isna().to_numpy())
    isna = kept.isna().to_numpy()
    single = [g for g in gaps if 0 < g < len(kept) - 1 and not (isna[g - 1] or isna[g + 1])]
    assert single
    g = single[0]
    assert filled.iloc[g] == pytest.approx((kept.iloc[g - 1] + kept.iloc[g + 1]) / 2)

    dropped = classic.load_co2("drop")
    assert len(dropped) == 2225


def test_co2_bad_option_names_the_valid_ones():
    with pytest.raises(ValueError, match="'interpolate', 'keep', 'drop'"):
        classic.load_co2("fill")


def test_elnino_flattened_in_time_order():
    s = classic.load_elnino()
    assert len(s) == 732 and s.dtype == np.float64
    assert s.index[0] == pd.Timestamp("1950-01-01") and s.index[-1] == pd.Timestamp("2010-12-01")
    assert s.index.freqstr == "MS"
    ref = sm.datasets.elnino.load_pandas().data
    wide = ref.drop(columns="YEAR").to_numpy()
    np.testing.assert_array_equal(s.to_numpy(), wide.ravel())
    # row 1950 of the file: JAN 23.11, DEC 21.80
    assert s.loc["1950-01-01"] == 23.11 and s.loc["1950-12-01"] == 21.8
    # the 1997-98 El Nino, the strongest of the record: December 1997 more than 2 C above
    # the mean December, and the warmest December of all
    decembers = s[s.index.month == 12]
    assert s.loc["1997-12-01"] - decembers.mean() > 2.0
    assert decembers.idxmax() == pd.Timestamp("1997-12-01")


@pytest.mark.parametrize("loader", [classic.load_sunspots, classic.load_nile, classic.load_co2,
                                    classic.load_elnino, classic.load_airline])
def test_loaders_return_copies(loader):
    first = loader().iloc[0]
    s = loader()
    s.iloc[0] = -1.0
    assert loader().iloc[0] == first


@pytest.mark.parametrize("loader", [classic.load_sunspots, classic.load_nile, classic.load_co2,
                                    classic.load_elnino])
def test_missing_statsmodels_names_install_command(monkeypatch, loader):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "statsmodels" else real(name, *a))
    with pytest.raises(MissingDependencyError, match="pip install statsmodels"):
        loader()


def test_airline_is_box_jenkins_series_g():
    """Box, Jenkins & Reinsel, series G: 112 (thousand) passengers in Jan 1949, 432 in Dec
    1960, 40,363 over the 12 years."""
    s = classic.load_airline()
    assert len(s) == 144 and s.index.freqstr == "MS"
    assert s.iloc[0] == 112.0 and s.iloc[-1] == 432.0 and s.sum() == 40363.0
    assert str(s.index[-1].date()) == "1960-12-01"


def test_missing_sktime_names_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sktime" else real(name, *a))
    with pytest.raises(MissingDependencyError, match="pip install sktime"):
        classic.load_airline()

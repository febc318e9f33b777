"""Seattle weather loaders against vega_datasets' own loaders and the file's values."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
from vega_datasets import data as vega

from seqlab import MissingDependencyError
from seqlab.data import weather


def test_seattle_weather_columns_units_and_labels():
    df = weather.load_seattle_weather()
    assert df.shape == (1461, 5)
    assert list(df.columns) == ["precipitation", "temp_max", "temp_min", "wind", "weather"]
    assert all(df[c].dtype == np.float64 for c in df.columns[:4])
    assert isinstance(df["weather"].dtype, pd.CategoricalDtype)
    assert tuple(df["weather"].cat.categories) == weather.SEATTLE_WEATHER_LABELS
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.freqstr == "D"
    assert df.index[0] == pd.Timestamp("2012-01-01") and df.index[-1] == pd.Timestamp("2015-12-31")
    # first row of seattle-weather.csv: 2012/01/01,0.0,12.8,5.0,4.7,drizzle
    first = df.iloc[0]
    assert (first["precipitation"], first["temp_max"], first["temp_min"], first["wind"]) == (
        0.0, 12.8, 5.0, 4.7)
    assert first["weather"] == "drizzle"
    assert (df["temp_min"] <= df["temp_max"]).all()

    ref = vega.seattle_weather()  # vega_datasets' own (local) loader
    np.testing.assert_array_equal(df["temp_max"].to_numpy(), ref["temp_max"].to_numpy())
    np.testing.assert_array_equal(df["weather"].astype(str).to_numpy(), ref["weather"].to_numpy())
    assert df["weather"].value_counts().to_dict() == ref["weather"].value_counts().to_dict()


def test_seattle_temps_units_and_missing_hour():
    ref = vega.seattle_temps()
    kept_f = weather.load_seattle_temps(unit="F", missing="keep")
    assert len(kept_f) == len(ref) == 8759
    np.testing.assert_array_equal(kept_f.to_numpy(), ref["temp"].to_numpy())

    c = weather.load_seattle_temps()
    assert len(c) == 8760 and c.index.freqstr == "h" and not c.isna().any()
    assert c.index[0] == pd.Timestamp("2010-01-01 00:00")
    assert c.index[-1] == pd.Timestamp("2010-12-31 23:00")
    np.testing.assert_allclose(c.loc[kept_f.index].to_numpy(),
                               (kept_f.to_numpy() - 32) * 5 / 9, rtol=0, atol=1e-12)
    # the one hour the file lacks is filled halfway between its neighbours
    gap = pd.Timestamp("2010-03-14 03:00")
    assert gap not in kept_f.index
    before, after = c.loc[gap - pd.Timedelta("1h")], c.loc[gap + pd.Timedelta("1h")]
    assert c.loc[gap] == pytest.approx((before + after) / 2)


def test_seattle_temps_bad_unit():
    with pytest.raises(ValueError, match="unit"):
        weather.load_seattle_temps(unit="K")


@pytest.mark.parametrize("loader", [weather.load_seattle_weather, weather.load_seattle_temps])
def test_missing_vega_datasets_names_install_command(monkeypatch, loader):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "vega_datasets" else real(name, *a))
    with pytest.raises(MissingDependencyError, match="pip install vega_datasets"):
        loader()


@pytest.mark.parametrize("loader", [weather.load_seattle_weather,
                                    lambda: weather.load_seattle_temps(unit="F", missing="keep")])
def test_loaders_return_copies(loader):
    first = loader().iloc[0, 0] if loader().ndim == 2 else loader().iloc[0]
    obj = loader()
    if obj.ndim == 2:
        obj.iloc[0, 0] = -99.0
        assert loader().iloc[0, 0] == first
    else:
        obj.iloc[0] = -99.0
        assert loader().iloc[0] == first

"""``seqlab forecast-many``: the file it writes is ManySeries' frame; errors are one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqlab.classical import ARIMA, SARIMAX
from seqlab.cli import main
from seqlab.scale import ManySeries

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(5)
    frames = [pd.DataFrame({"unique_id": f"u{i}", "y": rng.normal(size=48).cumsum(),
                            "ds": pd.date_range("2010-01-01", periods=48, freq="MS")})
              for i in range(4)]
    frames.append(pd.DataFrame({"unique_id": "flat", "y": 1.0,
                                "ds": pd.date_range("2010-01-01", periods=48, freq="MS")}))
    df = pd.concat(frames, ignore_index=True)
    path = tmp_path_factory.mktemp("fm") / "data.csv"
    df.to_csv(path, index=False)
    return path, df


def test_csv_forecast_is_manyseries_output(data, tmp_path, capsys):
    path, df = data
    out = tmp_path / "fc.csv"
    assert main(["forecast-many", str(path), "--horizon", "6", "--level", "90",
                 "--out", str(out)]) == 0
    assert "5 series, 30 rows (1 series with errors" in capsys.readouterr().out
    got = pd.read_csv(out, parse_dates=["ds"], float_precision="round_trip")
    ref = ManySeries([ARIMA(order=(1, 1, 1))], freq="MS").forecast(df, h=6, level=[90])
    np.testing.assert_array_equal(got.ARIMA, ref.ARIMA)  # CSV keeps 17 digits, read exactly
    assert list(got.columns) == list(ref.columns)
    assert got.error.notna().sum() == 6 and sorted(p.name for p in tmp_path.iterdir()) == [
        "fc.csv"]


def test_parquet_seasonal_backtest(data, tmp_path):
    path, df = data
    out = tmp_path / "cv.parquet"
    assert main(["forecast-many", str(path), "--horizon", "3", "--season", "12",
                 "--seasonal-order", "0", "1", "0", "--order", "1", "0", "0", "--cv-windows", "2",
                 "--level", "--out", str(out)]) == 0
    got = pd.read_parquet(out)
    ref = ManySeries([SARIMAX(order=(1, 0, 0), seasonal_order=(0, 1, 0, 12))],
                     freq="MS").cross_validation(df, h=3, n_windows=2)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


@pytest.mark.parametrize("argv, message", [
    (["--out", "x.txt"], "--out x.txt: give a .csv or .parquet file name."),
    (["--season", "12", "--out", "o.csv"], "--season with --model arima needs --seasonal-order"),
    (["--scheduler", "tcp://127.0.0.1:1", "--out", "o.csv"], "--scheduler is for --engine dask"),
    (["--model", "esn", "--season", "4", "--out", "o.csv"], "--season is not used by --model esn"),
])
def test_one_line_errors(data, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["forecast-many", str(data[0]), "--horizon", "2", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seqlab: error: ") and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []

"""`seqlab arima`: bundled series, CSV via --data, plots and errors (dated CSVs, regressors and
gaps: test_arima_file.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqlab.classical import SARIMAX
from seqlab.cli import main
from seqlab.data import load_nile


def test_bundled_series_table_and_forecast(capsys):
    assert main(["arima", "--data", "nile", "--order", "1", "1", "1", "--steps", "4"]) == 0
    out = capsys.readouterr().out
    for word in ("ar.L1", "ma.L1", "sigma2", "loglik", "aic", "bic", "1971", "1974"):
        assert word in out
    # the printed forecast is the library's, and its interval
    fc = SARIMAX((1, 1, 1)).fit(load_nile().to_numpy()).get_forecast(4)
    assert f"{fc.predicted_mean[0]:.6g}" in out
    assert f"{fc.conf_int(0.05)[3, 1]:.6g}" in out


def test_dated_csv_through_data_with_alpha_and_plot(tmp_path, capsys):
    rng = np.random.default_rng(0)
    e = rng.normal(size=201)
    frame = pd.DataFrame({"date": pd.date_range("2000-01-03", periods=200, freq="D"),
                          "label": ["a"] * 200, "value": e[1:] + 0.6 * e[:-1]})
    path = tmp_path / "series.csv"
    frame.to_csv(path, index=False)
    plot = tmp_path / "fc.png"
    code = main(["arima", "--data", str(path), "--column", "value", "--order", "0", "0", "1",
                 "--plot", str(plot), "--steps", "3", "--alpha", "0.2"])
    assert code == 0
    out = capsys.readouterr().out
    assert "80% prediction intervals" in out and "2000-07-22" in out
    assert plot.exists() and plot.stat().st_size > 1000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "missing.csv"], "does not exist"),
        (["--data", "nile", "--order", "1", "1"], "three integers"),
        (["--data", "no_such_set"], "unknown data set"),
        (["--data", "nile", "--exog", "x"], "give it with --file"),
    ],
)
def test_errors_are_reported(argv, message, capsys):
    assert main(["arima", *argv]) == 2
    assert message in capsys.readouterr().err


def test_bad_csv_column(tmp_path, capsys):
    path = tmp_path / "s.csv"
    pd.DataFrame({"date": pd.date_range("2001-01-01", periods=30, freq="D"),
                  "x": np.arange(30.0)}).to_csv(path, index=False)
    assert main(["arima", "--data", str(path), "--column", "y"]) == 2
    assert "--value-col 'y'" in capsys.readouterr().err

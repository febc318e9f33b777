"""README's self-contained examples run as written (they must not go out of date): the Python
blocks of the "Forecasting" section and its subsections, then its `seqlab arima` commands on
the CSV the first block writes."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks(heading: str, language: str) -> list[str]:
    """The ``language`` code blocks under the heading (## or ###) up to the next ## one."""
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    assert blocks, f"no {language} block under {heading!r}"
    return blocks


@pytest.mark.parametrize(("heading", "columns"), [
    ("Seasonal ARIMA with regressors and missing values",  # levels=(80, 95) and predict
     ("mean", "mean_se", "lower_80", "upper_95", "predicted_mean")),
    ("Automatic order selection: AutoARIMA",  # summary_frame() at the default alpha
     ("mean", "mean_se", "mean_ci_lower", "mean_ci_upper")),
])
def test_example_runs(heading, columns, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # optimiser notes are fine here
        exec(compile(_blocks(heading, "python")[0], str(README), "exec"), {})
    out = capsys.readouterr().out
    for column in columns:
        assert column in out
    assert "2025-06-01" in out  # the forecast carries the future dates


def test_forecasting_airline_example_and_cli_run(tmp_path, monkeypatch, capsys):
    from seqlab.cli import main

    monkeypatch.chdir(tmp_path)  # the airline example writes airline.csv here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        exec(compile(_blocks("Forecasting", "python")[0], str(README), "exec"), {})
    out = capsys.readouterr().out
    # the figures the prose quotes are the ones the example prints
    for quoted in ("ma.L1      -0.342", "ma.S.L12   -0.541", "MAPE 8.5 %",
                   "covers 100% of 24 months", "1959-01-01"):
        assert quoted in out, quoted
    commands = [shlex.split(line.split("#")[0]) for line in _blocks("Forecasting", "bash")[0]
                .splitlines() if line.startswith("seqlab arima --file airline.csv")]
    assert len(commands) == 2
    for argv in commands:
        assert main(argv[1:]) == 0, argv
    printed = capsys.readouterr().out
    # the estimates quoted (the likelihood is flat in the 4th decimal: compare to 5e-4)
    table = dict(re.findall(r"^\s+(ma\.L1|ma\.S\.L12)\s+(\S+)", printed, re.M))
    assert abs(float(table["ma.L1"]) + 0.402) < 5e-4
    assert abs(float(table["ma.S.L12"]) + 0.557) < 5e-4
    assert "AutoARIMA (season 12) chose SARIMA(0,1,1)(0,1,1)12" in printed  # as quoted
    frame = pd.read_csv("forecast.csv", index_col=0)
    assert len(frame) == 24 and frame.index[0] == "1961-01"
    assert Path("airline.png").stat().st_size > 1000
    assert np.all(frame["lower_95"] < frame["lower_80"])


def test_sktime_example_runs(capsys):
    exec(compile(_blocks("Using seqlab from sktime", "python")[0], str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "1961-01" in out and "1961-03" in out  # sktime's index conventions
    assert "lower" in out and "upper" in out

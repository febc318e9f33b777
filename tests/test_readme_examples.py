"""README's self-contained examples run as written (they must not go out of date): the Python
blocks of the "Forecasting" section, then its `seqlab arima` command on the CSV the first
block writes."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks(heading: str, language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    assert blocks, f"no {language} block under {heading!r}"
    return blocks


def test_forecasting_examples_run(tmp_path, monkeypatch, capsys):
    from seqlab.cli import main

    monkeypatch.chdir(tmp_path)  # the airline example writes airline.csv here
    first, second = _blocks("Forecasting", "python")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # optimiser notes are fine here
        exec(compile(first, str(README), "exec"), {})
        out = capsys.readouterr().out
        # the figures the prose quotes are the ones the example prints
        for quoted in ("ma.L1      -0.342", "ma.S.L12   -0.541", "MAPE 8.5 %",
                       "covers 100% of 24 months", "1959-01-01"):
            assert quoted in out, quoted
        exec(compile(second, str(README), "exec"), {})
    out = capsys.readouterr().out
    for column in ("mean", "mean_se", "mean_ci_lower", "mean_ci_upper"):
        assert column in out
    assert "2025-06-01" in out  # the forecast carries the future dates
    commands = [shlex.split(line.split("#")[0]) for line in _blocks("Forecasting", "bash")[0]
                .splitlines() if line.startswith("seqlab arima --file airline.csv")]
    assert commands
    for argv in commands:
        assert main(argv[1:]) == 0, argv
    printed = capsys.readouterr().out
    # the estimates quoted (the likelihood is flat in the 4th decimal: compare to 5e-4)
    table = dict(re.findall(r"^\s+(ma\.L1|ma\.S\.L12)\s+(\S+)$", printed, re.M))
    assert abs(float(table["ma.L1"]) + 0.402) < 5e-4
    assert abs(float(table["ma.S.L12"]) + 0.557) < 5e-4
    assert "AutoARIMA (season 12) chose SARIMA(0,1,1)(0,1,1)12" in printed  # as quoted
    table = pd.read_csv("forecast.csv", index_col=0)
    assert len(table) == 24 and table.index[0] == "1961-01"
    assert Path("airline.png").stat().st_size > 1000
    assert np.all(table["lower_95"] < table["lower_80"])

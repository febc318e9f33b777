"""README's self-contained Python examples run as written (they must not go out of date)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_block(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block under {heading!r}"
    return match.group(1)


@pytest.mark.parametrize("heading", ["Seasonal ARIMA with regressors and missing values",
                                     "Automatic order selection: AutoARIMA"])
def test_example_runs(heading, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # optimiser notes are fine here
        exec(compile(_python_block(heading), str(README), "exec"), {})
    out = capsys.readouterr().out
    for column in ("mean", "mean_se", "lower_80", "upper_95", "predicted_mean"):
        assert column in out
    assert "2025-06-01" in out  # the forecast carries the future dates


def test_sktime_example_runs(capsys):
    exec(compile(_python_block("Using seqlab from sktime"), str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "1961-01" in out and "1961-03" in out  # sktime's index conventions
    assert "lower" in out and "upper" in out

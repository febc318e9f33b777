"""README's "Many series" Python example runs as written (in process)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_many_series_example_runs(capsys):
    text = README.read_text(encoding="utf-8")
    section = text.split("### Many series\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "arima-lo-95" in out and "store2" in out

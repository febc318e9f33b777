"""`seqlab diagnose`: the table, the files it writes, one-line errors."""

from __future__ import annotations

import json

import pytest

from seqlab.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")


def test_table_json_and_plot(tmp_path, capsys):
    out, fig = tmp_path / "d.json", tmp_path / "d.png"
    code = main(["diagnose", "--cells", "elman", "lstm", "--init", "default", "forget1",
                 "--length", "15", "--hidden", "4", "--batch", "4", "--train-steps", "2",
                 "--json", str(out), "--plot", str(fig)])
    assert code == 0
    text = capsys.readouterr().out
    assert "decay/step" in text and "skipped elman/forget1" in text
    rows = json.loads(out.read_text())["rows"]
    assert [(r["cell"], r["init"], r["phase"]) for r in rows] == [
        ("elman", "default", "init"), ("elman", "default", "trained"),
        ("lstm", "default", "init"), ("lstm", "default", "trained"),
        ("lstm", "forget1", "init"), ("lstm", "forget1", "trained"),
    ]
    for r in rows:  # the printed table shows the same numbers
        assert f"{r['decay']:.4f}" in text
    assert fig.stat().st_size > 1000


@pytest.mark.parametrize(("argv", "message"), [
    (["--cells", "lstmm"], "unknown cell 'lstmm'"),
    (["--task", "temporal-order", "--length", "40"], "--length"),
    (["--json", "/no/such/folder/x.json"], "does not exist"),
    (["--plot", "/no/such/folder/x.png"], "does not exist"),
])
def test_errors_are_one_line(argv, message, capsys):
    assert main(["diagnose", "--train-steps", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1

"""``seqlab compare`` end to end: the tiny budget of every task through the CLI handler, and
user data files standing in for the built-in data sets."""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np

from seqlab.cli.compare import add_parser


def _run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="seqlab")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def _rows(doc: dict, task: str) -> dict[str, dict]:
    return {r["model"]: r for r in doc["tasks"][task]["rows"]}


def test_tiny_budget_of_every_task_writes_a_complete_report(tmp_path: Path, capsys,
                                                           monkeypatch):
    from seqlab.applications import TASKS, task_models

    monkeypatch.chdir(tmp_path)  # a relative --out, as a user types it
    assert _run_cli(["compare", "--budget", "tiny", "--out", "report", "--no-progress"]) == 0
    out = tmp_path / "report"
    printed = capsys.readouterr().out
    doc = json.loads((out / "results.json").read_text())
    assert set(doc["tasks"]) == set(TASKS)
    has_espeak = shutil.which("espeak-ng") is not None and shutil.which("sox") is not None
    for task, info in doc["tasks"].items():
        if task == "digits" and not has_espeak:
            assert info["skipped"] and not info["rows"]
            continue
        assert {r["model"] for r in info["rows"]} == set(task_models(task)), task
        for r in info["rows"]:
            v = r["metrics"][info["metric"]]
            assert v is not None and math.isfinite(v), (task, r)
            assert r["train_seconds"] >= 0
        assert f"[{task}]" in printed  # one leaderboard printed per task
    # the report links only PNGs that exist and are PNGs
    report = (out / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert len(links) >= 10
    for link in links:
        data = (out / link).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", link
    for task in TASKS:
        assert f"(`{task}`)" in report
    # results that do not depend on the tiny budget (classical fits, baselines): a fitted
    # AR/ARIMA beats persistence on sunspots (Yule 1927) and next-day temperature
    sun = _rows(doc, "sunspots")
    assert sun["ar"]["metrics"]["rmse"] < sun["naive"]["metrics"]["rmse"]
    assert sun["arima"]["metrics"]["rmse"] < sun["naive"]["metrics"]["rmse"]
    wea = _rows(doc, "weather")
    assert wea["arima"]["metrics"]["rmse"] < wea["naive"]["metrics"]["rmse"]
    # Japanese Vowels: the reservoir classifier is far above chance (1/9) even when tiny
    assert _rows(doc, "vowels")["esn"]["metrics"]["accuracy"] > 0.5
    # the character Markov chain beats a uniform guess over the vocabulary (>= 60 symbols)
    assert _rows(doc, "text")["markov"]["metrics"]["bpc"] < np.log2(60)
    # the weather HMM's states carry information about the recorded labels
    assert _rows(doc, "weather-hmm")["hmm"]["metrics"]["ari"] > 0.05
    # the CpG-island HMM finds segments of ~100s of bases, overlapping the rule's islands
    isl = _rows(doc, "dna-islands")["hmm"]["metrics"]
    assert isl["median_length"] >= 100 and isl["rule_found"] > 0 and isl["jaccard"] > 0
    assert "temperature 0.8" in report  # sampled text


def test_user_csv_and_text_files_replace_the_builtin_data(tmp_path: Path):
    rng = np.random.default_rng(0)
    x = np.zeros(150)
    for t in range(2, 150):
        x[t] = 1.2 * x[t - 1] - 0.5 * x[t - 2] + rng.normal()
    csv = tmp_path / "series.csv"
    csv.write_text("when,value\n" + "\n".join(f"{i},{v}" for i, v in enumerate(x)))
    out = tmp_path / "csv"
    assert _run_cli(["compare", "--data", str(csv), "--models", "naive", "ar", "--budget",
                     "tiny", "--out", str(out), "--no-progress"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert list(doc["tasks"]) == ["sunspots"]
    assert "series.csv" in doc["tasks"]["sunspots"]["title"]
    rows = _rows(doc, "sunspots")
    assert set(rows) == {"naive", "ar"}
    assert rows["ar"]["metrics"]["rmse"] < rows["naive"]["metrics"]["rmse"]

    txt = tmp_path / "book.txt"
    txt.write_text("the cat sat on the mat. " * 200)
    out = tmp_path / "txt"
    assert _run_cli(["compare", "--data", str(txt), "--models", "markov", "--budget", "tiny",
                     "--out", str(out), "--no-progress"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert list(doc["tasks"]) == ["text"]
    # a periodic text is almost deterministic for an order-2 chain
    assert _rows(doc, "text")["markov"]["metrics"]["bpc"] < 0.5


def test_cli_choices_equal_the_application_names() -> None:
    """The CLI keeps its own copy of the names (a fast ``--help``): it must not drift."""
    from seqlab.applications import compare as app
    from seqlab.cli import compare as cli

    assert cli._TASKS == tuple(app.TASKS)
    assert cli._MODELS == app.ALL_MODELS

"""The CSV time-series journey end to end: seqlab train --data series.csv --save, then
seqlab forecast; every failure is one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from seqlab.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _csv(path, n=120, sep=","):
    t = np.arange(n)
    frame = pd.DataFrame({
        "date": pd.date_range("2010-01-01", periods=n, freq="MS").strftime("%Y-%m-%d"),
        "sales": 10 + 0.05 * t + 2 * np.sin(2 * np.pi * t / 12),
    })
    frame.to_csv(path, index=False, sep=sep)
    return frame


def test_train_save_forecast_journey(tmp_path, capsys):
    data, model, out = tmp_path / "series.csv", tmp_path / "f.seqlab", tmp_path / "out.csv"
    _csv(data)
    code = main(["train", "--data", str(data), "--horizon", "6", "--window", "24",
                 "--epochs", "3", "--hidden", "8", "--no-progress", "--val-fraction", "0.2",
                 "--save", str(model)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "120 rows x 1 column(s) (sales)" in text and "frequency MS" in text
    assert "best validation loss" in text
    for method in ("RNN (lstm)", "naive", "seasonal naive (m=12)", "ARIMA("):
        assert method in text
    assert model.exists()
    code = main(["forecast", str(model), "--data", str(data), "--horizon", "4",
                 "--output", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    written = pd.read_csv(out)
    assert list(written.columns) == ["date", "sales"]
    assert list(written["date"]) == ["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"]
    assert "2020-04-01" in text
    # too long a horizon: one line, exit 2
    assert main(["forecast", str(model), "--data", str(data), "--horizon", "7"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "longer than the 6 steps" in err


def test_forecast_needs_the_trained_columns(tmp_path, capsys):
    data, model = tmp_path / "series.tsv", tmp_path / "f.seqlab"
    _csv(data, n=60, sep="\t")
    assert main(["train", "--data", str(data), "--horizon", "3", "--window", "12",
                 "--epochs", "1", "--hidden", "4", "--no-progress", "--no-refit",
                 "--save", str(model)]) == 0
    assert "not refitted" in capsys.readouterr().out
    other = tmp_path / "other.csv"
    other.write_text("date,price\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 20)))
    assert main(["forecast", str(model), "--data", str(other)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no column 'sales'" in err


@pytest.mark.parametrize(("text", "flags", "message"), [
    ("date,v\n2020-01-01,1\n2020-01-03,2\n2020-01-02,3\n", [], "not in increasing order"),
    ("date,v\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n", [], "1 missing"),
    ("date,v\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 20)),
     ["--horizon", "4", "--window", "8"], "19 rows, too few: this needs at least 20"),
], ids=["unsorted", "missing", "too-short"])
def test_bad_series_are_one_line_errors(tmp_path, capsys, text, flags, message):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    assert main(["train", "--data", str(p), "--no-progress", *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("seqlab: error:") and message in err


def test_max_steps_is_the_step_budget(tmp_path, capsys):
    import dataclasses

    from seqlab.training import TrainConfig

    if "max_steps" not in {f.name for f in dataclasses.fields(TrainConfig)}:
        pytest.skip("this build's TrainConfig has no max_steps (the trainer branch adds it)")
    data = tmp_path / "series.csv"
    _csv(data, n=80)
    assert main(["train", "--data", str(data), "--horizon", "3", "--window", "12",
                 "--max-steps", "7", "--hidden", "4", "--no-progress"]) == 0
    assert "trained 7 steps" in capsys.readouterr().out


def test_other_training_flags_are_passed_on_not_dropped():
    from seqlab.cli.train_series import _train_options
    from seqlab.training import TrainConfig

    assert _train_options(TrainConfig()) is None
    cfg = TrainConfig(clip_norm=1.0, optimizer="sgd", epochs=5, lr=0.1)
    assert _train_options(cfg) == {"clip_norm": 1.0, "optimizer": "sgd"}


def test_checkpoints_belong_to_the_saved_refit_and_resume_ends_identically(tmp_path, capsys):
    """--checkpoint-path is written by the fit whose model is saved (the refit on all rows),
    and --resume-from continues it: 2 + 2 epochs save the same weights as 4 straight."""
    import seqlab

    data = tmp_path / "series.csv"
    _csv(data)
    ck = tmp_path / "ck.safetensors"
    base = ["train", "--data", str(data), "--horizon", "6", "--window", "24", "--hidden", "8",
            "--no-progress"]
    assert main([*base, "--epochs", "4", "--save", str(tmp_path / "a.seqlab")]) == 0
    assert main([*base, "--epochs", "2", "--checkpoint-path", str(ck),
                 "--save", str(tmp_path / "half.seqlab")]) == 0
    from seqlab.training.checkpoint import load_checkpoint

    half = seqlab.load(tmp_path / "half.seqlab")
    fresh = seqlab.load(tmp_path / "half.seqlab").model_
    for p in fresh.parameters():
        p.data.zero_()
    load_checkpoint(ck, fresh)
    for a, b in zip(fresh.parameters(), half.model_.parameters(), strict=True):
        assert torch.equal(a, b)  # the checkpoint is the saved (refit) model's
    assert main([*base, "--epochs", "4", "--resume-from", str(ck),
                 "--save", str(tmp_path / "b.seqlab")]) == 0
    capsys.readouterr()
    a, b = seqlab.load(tmp_path / "a.seqlab"), seqlab.load(tmp_path / "b.seqlab")
    for pa, pb in zip(a.model_.parameters(), b.model_.parameters(), strict=True):
        assert torch.equal(pa, pb)

"""``seqlab train``: runs each task end to end at tiny sizes; bad options exit with code 2."""

from __future__ import annotations

import pytest

from seqlab.cli import main

TINY = [
    "--epochs",
    "2",
    "--n-train",
    "24",
    "--n-val",
    "8",
    "--length",
    "12",
    "--hidden-size",
    "6",
    "--batch-size",
    "8",
    "--no-progress",
]


@pytest.mark.parametrize(
    ("task", "score"),
    [
        ("adding", "fraction within 0.04"),
        ("temporal-order", "accuracy"),
        ("copy", "recall accuracy"),
        ("mackey-glass", "teacher-forced RMSE"),
    ],
)
def test_each_task_runs(task, score, capsys):
    assert main(["train", "--task", task, "--cell", "gru", *TINY]) == 0
    out = capsys.readouterr().out
    assert f"task={task}" in out and f"validation {score}" in out
    assert len([line for line in out.splitlines() if line.strip().startswith(("1 ", "2 "))]) == 2


def test_flags_reach_the_trainer_and_files_are_written(tmp_path, capsys):
    ck, png = tmp_path / "m.safetensors", tmp_path / "loss.png"
    code = main(
        [
            "train",
            "--task",
            "adding",
            "--cell",
            "elman",
            "--regularizer-alpha",
            "0.1",
            "--clip-norm",
            "0.5",
            "--optimizer",
            "sgd",
            "--lr",
            "0.05",
            "--checkpoint-path",
            str(ck),
            "--plot",
            str(png),
            *TINY,
        ]
    )
    assert code == 0
    assert ck.stat().st_size > 0 and png.read_bytes()[:4] == b"\x89PNG"
    from seqlab.training import load_checkpoint

    assert load_checkpoint(ck, _model()).epoch == 2


def _model():
    from seqlab.recurrent.patterns import SequenceClassifier

    return SequenceClassifier(2, 6, 1, cell="elman", seed=0)


@pytest.mark.parametrize(
    "bad", [["--lr", "-1"], ["--n-train", "0"], ["--clip-norm", "0"], ["--val-fraction", "1.5"]]
)
def test_bad_options_exit_2(bad, capsys):
    assert main(["train", *TINY, *bad]) == 2
    assert "error" in capsys.readouterr().err

"""``seqlab train --data``: what kind of data a path holds; unreadable input is a clear error."""

from __future__ import annotations

import pytest

from seqlab.cli import main
from seqlab.cli._train_data import detect_kind
from seqlab.exceptions import SeqlabValueError


def test_kinds_by_file_type(tmp_path):
    (tmp_path / "corpus.txt").write_text("to be or not to be\n")
    (tmp_path / "series.csv").write_text("date,value\n2020-01-01,1.0\n")
    (tmp_path / "labelled.csv").write_text("sequence,label,value\n0,a,1.0\n")
    (tmp_path / "classes").mkdir()
    (tmp_path / "classes" / "yes").mkdir()
    assert detect_kind(tmp_path / "corpus.txt") == "text"
    assert detect_kind(tmp_path / "series.csv") == "series"
    assert detect_kind(tmp_path / "labelled.csv") == "labelled"
    assert detect_kind(tmp_path / "classes") == "labelled"
    assert detect_kind(tmp_path / "series.csv", "labelled") == "labelled"
    (tmp_path / "LICENSE").write_text("Permission is hereby granted, free of charge, ... é\n")
    assert detect_kind(tmp_path / "LICENSE") == "text"  # UTF-8 without a suffix


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "does not exist"),
        ("empty.txt", b"", "empty file"),
        ("junk.bin", b"\x00\x01\x02", "cannot tell"),
        ("latin1", "café".encode("latin-1") * 10, "not UTF-8"),
        ("empty_dir", "dir", "empty folder"),
    ],
)
def test_unusable_paths_are_refused(tmp_path, name, content, message):
    p = tmp_path / name
    if content == "dir":
        p.mkdir()
    elif content is not None:
        p.write_bytes(content)
    with pytest.raises(SeqlabValueError, match=message):
        detect_kind(p)


def test_cli_never_falls_back_to_builtin_data(tmp_path, capsys):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01")
    assert main(["train", "--data", str(junk), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seqlab: error:") and "junk.bin" in err and "--kind" in err


def test_synthetic_options_with_data_and_data_options_without_are_refused(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be " * 50)
    assert main(["train", "--data", str(corpus), "--n-train", "5"]) == 2
    assert "--n-train" in capsys.readouterr().err
    assert main(["train", "--task", "adding", "--dropout", "0.2"]) == 2
    assert "--dropout" in capsys.readouterr().err


def test_synthetic_task_saves_its_model(tmp_path, capsys):
    import torch

    import seqlab

    path = tmp_path / "adding.seqlab"
    assert main(["train", "--task", "adding", "--n-train", "16", "--n-val", "8", "--length",
                 "12", "--epochs", "1", "--batch-size", "8", "--hidden-size", "4",
                 "--no-progress", "--save", str(path)]) == 0
    assert "saved" in capsys.readouterr().out
    model = seqlab.load(path)
    x = torch.randn(2, 12, 2)
    assert model(x).shape == (2, 1)

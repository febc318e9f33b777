"""``seqlab train --nproc N``: the torchrun machinery starts N workers on 127.0.0.1 (gloo);
rank 0 alone prints and writes; bad process counts are one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import seqlab
from seqlab.cli import main

SMALL = ["train", "--task", "adding", "--n-train", "48", "--n-val", "16", "--length", "12",
         "--hidden", "6", "--epochs", "2", "--batch-size", "16", "--no-progress"]


def _epoch_row(out: str, epoch: int) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.split()[:1] == [str(epoch)])


def _params(path: Path) -> list[torch.Tensor]:
    return [p.detach() for p in seqlab.load(str(path)).parameters()]


def test_synthetic_task_in_two_processes_resumed_matches_one(tmp_path: Path, capfd) -> None:
    two, one = tmp_path / "two", tmp_path / "one"
    two.mkdir()
    one.mkdir()
    ckpt = str(two / "ck.safetensors")
    first = [*SMALL, "--nproc", "2", "--checkpoint-path", ckpt]
    first[first.index("--epochs") + 1] = "1"  # stopped after epoch 1 ...
    assert main(first) == 0
    out_first, _ = capfd.readouterr()
    # ... and resumed by every process from rank 0's checkpoint, up to epoch 2; another
    # validation set (--n-val 8) tells the restored epoch-1 log from a recomputed one
    assert main([*SMALL, "--nproc", "2", "--resume-from", ckpt, "--n-val", "8", "--save",
                 str(two / "m.seqlab")]) == 0
    out, err = capfd.readouterr()
    assert _epoch_row(out, 1) == _epoch_row(out_first, 1)
    assert out.count("validation fraction within 0.04") == 1, out  # rank 0 alone prints
    assert "error" not in err
    assert sorted(p.name for p in two.iterdir()) == ["ck.safetensors", "m.seqlab"]
    assert main([*SMALL, "--n-val", "8", "--save", str(one / "m.seqlab")]) == 0  # 1 process
    out_one, _ = capfd.readouterr()
    assert _epoch_row(out_one, 1)[2] != _epoch_row(out, 1)[2]  # its own epoch-1 val loss
    for a, b in zip(_params(two / "m.seqlab"), _params(one / "m.seqlab"), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)  # float32, summed differently


def test_text_file_in_two_processes(tmp_path: Path, capfd) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog. " * 40)
    common = ["train", "--data", str(corpus), "--hidden", "8", "--embedding", "4", "--bptt",
              "12", "--batch-size", "4", "--max-steps", "5", "--no-progress"]
    assert main([*common, "--nproc", "2", "--save", str(tmp_path / "lm.seqlab")]) == 0
    out_two, _ = capfd.readouterr()
    assert out_two.count("validation bits/char") == 1, out_two
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt", "lm.seqlab"]
    assert seqlab.load(str(tmp_path / "lm.seqlab")).vocab_ is not None
    assert main(common) == 0
    out_one, _ = capfd.readouterr()

    def bits(text: str) -> float:
        return float(text.split("validation bits/char: ")[1].split()[0])

    assert bits(out_two) == pytest.approx(bits(out_one), abs=2e-4)


def _one_line_error(capfd, argv: list[str], code: int = 2) -> str:
    assert main(argv) == code
    _, err = capfd.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqlab: error: "), err
    return lines[0]


@pytest.mark.parametrize(("value", "message"), [
    ("0", "--nproc must be >= 1 (the number of training processes); got 0."),
    ("-3", "--nproc must be >= 1 (the number of training processes); got -3."),
])
def test_bad_nproc_values(capfd, value: str, message: str) -> None:
    assert _one_line_error(capfd, [*SMALL, "--nproc", value]).endswith(message)


def test_more_processes_than_cores_refused(capfd, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    line = _one_line_error(capfd, [*SMALL, "--nproc", "99999999999999999999"])
    assert line.endswith("--nproc 99999999999999999999: this machine has 2 CPU core(s) and "
                         "each training process needs one; use --nproc 2 or fewer.")


def test_non_integer_nproc(capfd) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*SMALL, "--nproc", "two"])
    assert exc.value.code == 2
    assert "argument --nproc: invalid int value: 'two'" in capfd.readouterr().err


def test_gpu_count_mismatch_refused(capfd, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    line = _one_line_error(capfd, [*SMALL, "--nproc", "2", "--device", "cuda"])
    assert line.endswith("--nproc 2 with --device cuda needs 2 GPUs (one per process), but "
                         "this machine has 1; use --nproc 1 or --device cpu.")


def test_nproc_disagreeing_with_torchrun_refused(capfd, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {"RANK": "0", "WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "4"}.items():
        monkeypatch.setenv(k, v)
    line = _one_line_error(capfd, [*SMALL, "--nproc", "2"])
    assert "this process is one of 4 that torchrun started on this node" in line


def test_an_error_in_the_workers_is_one_line(capfd) -> None:
    argv = [*SMALL, "--nproc", "2"]
    argv[argv.index("--length") + 1] = "10"  # the adding task refuses it in the workers
    assert _one_line_error(capfd, argv).endswith("min_length must be >= 12; got 10.")

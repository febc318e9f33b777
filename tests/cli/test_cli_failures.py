"""Every ``seqlab`` failure is one line on stderr with the right exit code (issue 17).

Output paths are checked before any work (nothing is printed to stdout, which every command
only does after its work), bad input files say what they are, model files that cannot be
read raise ModelFileError saying why, and ``seqlab compare`` replaces its report folder
whole or not at all, also on Ctrl-C (a real SIGINT in a child process).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from seqlab.cli import main
from seqlab.exceptions import ModelFileError

SRC = str(Path(__file__).resolve().parents[2] / "src")
TRAIN = ["train", "--task", "adding", "--n-train", "16", "--n-val", "8", "--length", "12",
         "--hidden-size", "4", "--epochs", "1", "--batch-size", "8", "--no-progress"]
ESN = ["esn", "--train", "300", "--steps", "10", "--n-units", "30", "--connectivity", "0.2"]
ARIMA = ["arima", "--data", "nile", "--order", "1", "0", "0", "--steps", "2"]
COMPARE = ["compare", "--budget", "tiny", "--no-progress"]


def _one_line(capsys, argv: list[str], code: int = 2) -> tuple[str, str]:
    """Run ``seqlab argv``; check the exit code and the single stderr line; (line, stdout)."""
    rc = main(argv)
    cap = capsys.readouterr()
    lines = [ln for ln in cap.err.splitlines() if ln.strip()]
    assert rc == code, cap.err
    assert "Traceback" not in cap.err
    assert len(lines) == 1, cap.err
    assert lines[0].startswith("seqlab: error: ") or lines[0].startswith("seqlab: interrupted")
    return lines[0], cap.out


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """A folder, a plain file, DNA, junk, and good and broken ``hmm fit --save`` files."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "file.txt").write_text("a plain file\n")
    rng = np.random.default_rng(0)
    (tmp_path / "dna.txt").write_text("".join(rng.choice(list("ACGT"), 200)) + "\n")
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)) * 8)
    import seqlab
    from seqlab.classical import AR, CategoricalHMM

    hmm = CategoricalHMM(2, seed=0, n_iter=3).fit(np.array([0, 1, 1, 0, 2, 2, 3]))
    seqlab.save(hmm, tmp_path / "good.bin")
    data = (tmp_path / "good.bin").read_bytes()
    (tmp_path / "empty.bin").write_bytes(b"")
    (tmp_path / "trunc.bin").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[-3] ^= 1
    (tmp_path / "flipped.bin").write_bytes(bytes(flipped))
    seqlab.save(AR(2).fit(rng.normal(size=50)), tmp_path / "ar.bin")
    np.savez(tmp_path / "oldnpz.npz", startprob_=np.array([0.5, 0.5]))
    (tmp_path / "pickled.bin").write_bytes(pickle.dumps({"startprob_": [0.5, 0.5]}))
    return {p.stem if p.is_file() else p.name: str(p) for p in tmp_path.iterdir()} | {
        "tmp": str(tmp_path)}


# one entry per option that writes a file: (argv before the path, option, kind of path)
WRITERS = [
    (["data", "show", "nile"], "--plot"),
    (ARIMA, "--plot"),
    (["hmm", "fit", "--file", "{dna}", "--n-iter", "2"], "--save"),
    (["hmm", "fit", "--file", "{dna}", "--n-iter", "2"], "--plot"),
    (["hmm", "decode", "--file", "{dna}", "--n-iter", "2"], "--output"),
    (["hmm", "decode", "--file", "{dna}", "--n-iter", "2"], "--plot"),
    (["hmm", "sample", "--model", "{good}"], "--output"),
    (["hmm", "islands"], "--output"),
    (TRAIN, "--plot"),
    (TRAIN, "--checkpoint-path"),
    (ESN, "--plot"),
    (["hopfield", "restore"], "--plot"),
    (["hopfield", "capacity", "--n-units", "40", "--loads", "0.1"], "--plot"),
]
DIR_WRITERS = [(["reproduce", "esn-adding"], "--out"),
               ([*COMPARE, "--task", "sunspots", "--models", "naive"], "--out")]


def _argv(head: list[str], option: str, path: str, files: dict[str, str]) -> list[str]:
    return [a.format(**files) for a in head] + [option, path]


@pytest.mark.parametrize(("head", "option"), WRITERS)
def test_output_file_problems_are_found_before_any_work(head, option, files, capsys):
    tmp = files["tmp"]
    cases = [(f"{tmp}/dir", "is a folder"), (f"{tmp}/file.txt/out.png", "is a file")]
    if option != "--checkpoint-path":  # the checkpoint writer creates missing folders
        cases.append((f"{tmp}/no/such/out.png", "does not exist"))
    for path, what in cases:
        line, out = _one_line(capsys, _argv(head, option, path, files))
        assert option in line and what in line, line
        assert out == "", "the command worked before checking its output path"


@pytest.mark.parametrize(("head", "option"), DIR_WRITERS)
def test_output_folder_that_is_a_file_is_refused_before_any_work(head, option, files, capsys):
    for path in (files["file"], files["file"] + "/sub"):
        line, out = _one_line(capsys, _argv(head, option, path, files))
        assert option in line and "is a file" in line, line
        assert out == ""


def test_unwritable_folder_and_unknown_plot_format(files, capsys, monkeypatch):
    line, out = _one_line(capsys, [*ARIMA, "--plot", files["tmp"] + "/plot.xyz"])
    assert "cannot write '.xyz'" in line and ".png" in line and out == ""

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # a read-only folder (root ignores permission bits, so refuse the probe file instead)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    line, out = _one_line(capsys, [*ARIMA, "--plot", files["tmp"] + "/x.png"])
    assert "cannot write in the folder" in line and "Permission denied" in line and out == ""


def test_special_files_are_valid_outputs(files, capsys):
    assert main(["hmm", "sample", "--model", files["good"], "--output", os.devnull]) == 0
    assert "written to" in capsys.readouterr().out


def test_input_paths_say_what_is_wrong(files, capsys):
    line, _ = _one_line(capsys, ["arima", "--data", files["dir"]])
    assert "is a folder, not a file" in line
    line, _ = _one_line(capsys, ["hmm", "fit", "--file", files["dir"]])
    assert "is a folder, not a file" in line and "does not exist" not in line
    line, _ = _one_line(capsys, ["arima", "--data", files["junk"]])
    assert "not a readable CSV table" in line
    empty = Path(files["tmp"]) / "empty.csv"
    empty.write_text("")
    line, _ = _one_line(capsys, ["arima", "--data", str(empty)])
    assert "not a readable CSV table" in line
    line, _ = _one_line(capsys, ["hmm", "fit", "--file", files["junk"]])
    assert "not a text file" in line


@pytest.mark.parametrize(
    ("name", "what"),
    [("empty", "the file is empty"), ("trunc", "truncated"),
     ("flipped", "checksum does not match"), ("junk", "not a safetensors file"),
     ("pickled", "seqlab never loads pickles"), ("oldnpz", "zip archive"),
     ("ar", "class AR, not CategoricalHMM or GaussianHMM"), ("dir", "is a folder")],
)
def test_bad_model_files_for_decode_and_sample(name, what, files, capsys):
    for head in (["hmm", "decode", "--file", files["dna"]], ["hmm", "sample"]):
        line, out = _one_line(capsys, [*head, "--model", files[name]])
        assert what in line, line
        assert out == ""
    if name != "dir":
        from seqlab.cli.hmm import load_model

        with pytest.raises(ModelFileError, match=what):
            load_model(files[name])


def _checkpoint_files(tmp: Path) -> dict[str, Path]:
    import torch

    from seqlab.training.checkpoint import save_checkpoint

    good = save_checkpoint(tmp / "good.safetensors", torch.nn.Linear(3, 2), epoch=1)
    data = good.read_bytes()
    torch.save(torch.nn.Linear(3, 2).state_dict(), tmp / "torch.pt")
    out = {"good": good, "torch.save": tmp / "torch.pt"}
    for name, content in [("empty", b""), ("pickle", pickle.dumps({"weight": [1.0]})),
                          ("short header", data[:40]), ("short data", data[:-10]),
                          ("junk", b"not a checkpoint at all" * 10)]:
        out[name] = tmp / f"{name}.bin"
        out[name].write_bytes(content)
    return out


@pytest.mark.parametrize(
    ("name", "what"),
    [("empty", "the file is empty"), ("pickle", "pickle or torch.save file"),
     ("torch.save", "pickle or torch.save file"), ("short header", "truncated or corrupted"),
     ("short data", "truncated or corrupted"), ("junk", "not a safetensors file")],
)
def test_load_checkpoint_says_what_the_file_is(name, what, tmp_path):
    import torch

    from seqlab.training.checkpoint import load_checkpoint

    path = _checkpoint_files(tmp_path)[name]
    with pytest.raises(ModelFileError, match=what) as info:
        load_checkpoint(path, torch.nn.Linear(3, 2))
    assert "header too large" not in str(info.value)


def test_load_checkpoint_into_the_wrong_model_or_a_folder(tmp_path):
    import torch

    from seqlab.training.checkpoint import load_checkpoint

    good = _checkpoint_files(tmp_path)["good"]
    with pytest.raises(ModelFileError, match=r"does not fit this model.*size mismatch"):
        load_checkpoint(good, torch.nn.Linear(4, 2))
    with pytest.raises(FileNotFoundError, match="is a folder"):
        load_checkpoint(tmp_path, torch.nn.Linear(3, 2))


def test_unknown_or_missing_device_names_the_valid_ones(capsys):
    import torch

    missing = f"cuda:{torch.cuda.device_count() + 3}"
    for device in ("tpu", missing):
        line, out = _one_line(capsys, [*TRAIN, "--device", device])
        assert f"--device {device!r}" in line and "valid on this machine: cpu" in line
        assert out == ""


def test_compare_refuses_bad_data_files_and_folders_of_user_files(files, capsys):
    tmp = files["tmp"]
    line, _ = _one_line(capsys, [*COMPARE, "--data", files["junk"], "--out", tmp + "/r"])
    assert "unknown type '.bin'" in line and ".csv" in line
    line, _ = _one_line(capsys, [*COMPARE, "--data", files["dir"], "--out", tmp + "/r"])
    assert "is a folder" in line
    csv = Path(tmp) / "series.csv"
    csv.write_text("y\n" + "\n".join(str(v) for v in range(50)))
    line, _ = _one_line(capsys, [*COMPARE, "--task", "weather", "--data", str(csv),
                                 "--out", tmp + "/r"])
    assert "read by the 'sunspots' task only" in line
    assert not (Path(tmp) / "r").exists()
    mine = Path(tmp) / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("my own work")
    line, _ = _one_line(capsys, [*COMPARE, "--task", "sunspots", "--out", str(mine)])
    assert "thesis.tex" in line and "not part of a seqlab report" in line
    assert (mine / "thesis.tex").read_text() == "my own work"


# a stand-in for a task runner: draws one figure into the staging folder, then finishes or
# is interrupted (a real SIGINT, as Ctrl-C sends) -- runs in a child process
_FAKE_RUN = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import seqlab.applications.compare as compare
    from seqlab.applications._common import ModelResult, TaskResult
    from seqlab.cli import main

    figure, interrupt = sys.argv[1], sys.argv[2] == "interrupt"

    def run(ctx):
        png = Path(ctx.out_dir) / figure
        png.write_bytes(b"\\x89PNG fake")
        if interrupt:
            os.kill(os.getpid(), signal.SIGINT)
        res = TaskResult("sunspots", "fake", "a stand-in task", "rmse", False)
        res.rows.append(ModelResult("naive", {"rmse": 1.0}, 0.0))
        res.figures.append(("forecasts", str(png)))
        return res

    compare._entry = lambda task: (("naive",), run)
    sys.exit(main(["compare", "--task", "sunspots", "--out", sys.argv[3], "--no-progress"]))
""")


def _fake_compare(out: Path, figure: str, mode: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=SRC, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-c", _FAKE_RUN, figure, mode, str(out)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_compare_replaces_the_report_whole_and_ctrl_c_keeps_the_old_one(tmp_path):
    out = tmp_path / "report"
    first = _fake_compare(out, "old.png", "finish")
    assert first.returncode == 0, first.stderr
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(old) == {"old.png", "report.md", "results.json"}

    stopped = _fake_compare(out, "new.png", "interrupt")
    assert stopped.returncode == 130
    assert "Traceback" not in stopped.stderr
    assert [ln for ln in stopped.stderr.splitlines() if ln.strip()] == [
        "seqlab: interrupted (Ctrl-C)"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old  # the old report, intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging left

    second = _fake_compare(out, "new.png", "finish")
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in out.iterdir()) == ["new.png", "report.md", "results.json"]
    assert "new.png" in (out / "report.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_main_maps_exceptions_to_one_line_and_exit_codes(monkeypatch, capsys):
    import seqlab.cli.rnn as rnn
    from seqlab.exceptions import DivergenceError

    for exc, code, words in [
        (DivergenceError("states exploded; lower the spectral radius"), 1, "states exploded"),
        (OSError(28, "No space left on device", "/tmp/x.png"), 1, "No space left on device"),
        (RuntimeError("boom\nsecond line"), 1, "unexpected error RuntimeError: boom second"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ]:
        def fail(args, exc=exc):
            raise exc

        monkeypatch.setattr(rnn, "_cmd_info", fail)
        line, _ = _one_line(capsys, ["rnn", "info"], code=code)
        assert words in line, line
        if isinstance(exc, RuntimeError):
            assert "--debug" in line
            for argv in (["--debug", "rnn", "info"], ["rnn", "info", "--debug"]):
                with pytest.raises(RuntimeError, match="boom"):
                    main(argv)


def test_usage_errors_are_one_line(capsys):
    for argv in (["arima", "--steps", "x"], ["no-such-command"], ["esn", "--series", "nope"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("seqlab: error: "), lines
        assert "--help" in lines[0]


def test_a_real_process_prints_no_traceback(files):
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.run([sys.executable, "-m", "seqlab", "hmm", "sample", "--model",
                           files["trunc"]], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.startswith("seqlab: error: ") and proc.stderr.count("\n") == 1
    assert "truncated" in proc.stderr

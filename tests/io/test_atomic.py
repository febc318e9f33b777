"""Atomic writes: paths used exactly as given, the previous file intact after any failure (an
exception mid-write, Ctrl-C, a writer killed with SIGKILL), stale temporary files cleaned,
and the writers that use it (the HMM CLI, training checkpoints)."""

from __future__ import annotations

import os
import random
import signal
import stat
import time

import numpy as np
import pytest
import torch

import seqlab
from seqlab.classical import AR, CategoricalHMM
from seqlab.exceptions import SeqlabFileNotFoundError, SeqlabTypeError, SeqlabValueError
from seqlab.io import atomic, model_file
from seqlab.io.atomic import TEMP_SUFFIX, atomic_write, stale_temp_files


def _model(value: float, n: int = 4) -> AR:
    """A registered estimator whose every array holds ``value`` (so a torn file shows)."""
    m = AR(2)
    m.params_ = np.full(n, value)
    m.fittedvalues_ = np.full(n, value)
    m.sigma2_ = value
    return m


def _consistent(path) -> float:
    m = seqlab.load(path)
    assert np.all(m.params_ == m.sigma2_) and np.all(m.fittedvalues_ == m.sigma2_)
    assert seqlab.read_header(path).metadata == {"version": m.sigma2_}
    return m.sigma2_


@pytest.mark.parametrize("name", ["m.bin", "model", "m.npz", "weights.safetensors.bak",
                                  "with space ü.model"])
def test_path_is_used_exactly_as_given(tmp_path, name):
    seqlab.save(_model(1.0), tmp_path / name)
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert seqlab.load(tmp_path / name).sigma2_ == 1.0


def test_relative_path_and_str(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert seqlab.save(_model(2.0), "rel.bin") == tmp_path.joinpath("rel.bin").relative_to(
        tmp_path)
    assert os.listdir(".") == ["rel.bin"] and seqlab.load("rel.bin").sigma2_ == 2.0


def test_bad_targets_are_refused_before_writing(tmp_path):
    with pytest.raises(SeqlabFileNotFoundError, match=r"folder .* does not exist"):
        seqlab.save(_model(1.0), tmp_path / "missing" / "m.bin")
    with pytest.raises(SeqlabValueError, match="is a folder"):
        seqlab.save(_model(1.0), tmp_path)
    with pytest.raises(SeqlabTypeError, match="not a registered class"):
        seqlab.save(torch.nn.Linear(2, 2), tmp_path / "lin")
    with pytest.raises(SeqlabTypeError, match=r"model/W.*complex"):
        bad = _model(1.0)
        bad.W = np.ones(2, dtype=complex)
        seqlab.save(bad, tmp_path / "c")
    with pytest.raises(SeqlabTypeError, match="metadata must hold plain values"):
        seqlab.save(_model(1.0), tmp_path / "c", metadata={"x": np.ones(3)})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_write_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch, error):
    target = tmp_path / "m.bin"
    seqlab.save(_model(1.0), target, metadata={"version": 1.0})
    old = target.read_bytes()

    def half_write(tmp, arrays, meta):
        with open(tmp, "wb") as f:
            f.write(b"\0" * 1000)  # some bytes reached the temporary file
        raise error

    monkeypatch.setattr(model_file, "write_container", half_write)
    with pytest.raises(type(error)):
        seqlab.save(_model(2.0), target, metadata={"version": 2.0})
    assert target.read_bytes() == old and os.listdir(tmp_path) == ["m.bin"]
    assert _consistent(target) == 1.0


def test_stale_temps_of_dead_writers_are_removed(tmp_path):
    target = tmp_path / "m.bin"
    pid = os.fork()
    if pid == 0:  # a writer that dies without cleaning up
        os._exit(0)
    os.waitpid(pid, 0)
    dead = tmp_path / f".m.bin.{pid}.0a0b0c0d{TEMP_SUFFIX}"
    alive = tmp_path / f".m.bin.{os.getpid()}.0a0b0c0d{TEMP_SUFFIX}"  # a writer still running
    other = tmp_path / f".n.bin.{pid}.0a0b0c0d{TEMP_SUFFIX}"  # another target's
    for p in (dead, alive, other):
        p.write_bytes(b"partial")
    assert stale_temp_files(target) == [dead]
    seqlab.save(_model(1.0), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name,
                                                                 "m.bin"])


def test_file_mode_follows_umask_and_existing_file(tmp_path):
    old = os.umask(0o027)
    try:
        atomic._UMASK = None
        atomic_write(tmp_path / "a", lambda t: open(t, "wb").close())
        assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o640
        os.chmod(tmp_path / "a", 0o600)
        atomic_write(tmp_path / "a", lambda t: open(t, "wb").close())
        assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o600
    finally:
        os.umask(old)
        atomic._UMASK = None


def _kill_trials(target, n_tries: int, size: int) -> tuple[list[float], int]:
    """Fork ``n_tries`` writers that save versions of a big model over ``target`` in a loop,
    SIGKILL each at a random moment; return the versions found after each kill and how many
    kills left a temporary file behind (i.e. landed inside a write)."""
    rng = random.Random(0)
    t0 = time.perf_counter()
    seqlab.save(_model(-1.0, size), target, metadata={"version": -1.0})
    save_s = time.perf_counter() - t0
    found, mid_write = [], 0
    for trial in range(n_tries):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: save forever (at most 60 s), never return into pytest
            try:
                os.close(r)
                os.write(w, b"x")
                k, t_end = 1000.0 * trial, time.monotonic() + 60
                while time.monotonic() < t_end:
                    seqlab.save(_model(k, size), target, metadata={"version": k})
                    k += 1
            finally:
                os._exit(0)
        os.close(w)
        os.read(r, 1)
        os.close(r)
        time.sleep(rng.uniform(0.2, 3.0) * save_s)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        mid_write += bool(stale_temp_files(target))
        found.append(_consistent(target))
    return found, mid_write


def test_sigkill_during_save_never_destroys_the_previous_file(tmp_path):
    """12 writers killed at random moments while saving a 16 MB model: after every kill the
    file loads and is one complete version (on main, np.savez writing in place left a
    corrupt file in most tries, see benchmarks/io_kill.py)."""
    target = tmp_path / "big.model"
    found, mid_write = _kill_trials(target, 12, 1_000_000)
    assert len(found) == 12
    assert mid_write >= 1  # the kills did land inside writes
    seqlab.save(_model(0.0), target)  # the killed writers' temporary files are cleaned
    assert os.listdir(tmp_path) == ["big.model"]


def test_hmm_cli_save_writes_exactly_the_given_path(tmp_path, capsys):
    from seqlab.cli import main

    dna = tmp_path / "dna.txt"
    dna.write_text("ACGT" * 50 + "GGCC" * 50)
    target = tmp_path / "m.bin"
    assert main(["hmm", "fit", "--file", str(dna), "--n-iter", "5", "--save", str(target)]) == 0
    assert f"saved to {target}" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dna.txt", "m.bin"]
    model = seqlab.load(target)
    assert isinstance(model, CategoricalHMM)
    out = tmp_path / "states.txt"
    assert main(["hmm", "decode", "--file", str(dna), "--model", str(target),
                 "--output", str(out)]) == 0
    assert np.loadtxt(out, dtype=int).shape == (400,)


def test_checkpoint_write_failure_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    from seqlab.training import checkpoint, load_checkpoint, save_checkpoint

    net = torch.nn.Linear(3, 2)
    path = save_checkpoint(tmp_path / "c.safetensors", net, epoch=1)
    old = path.read_bytes()

    def failing(tmp):
        open(tmp, "wb").write(b"partial")
        raise OSError("disk full")

    real = checkpoint.atomic_write
    monkeypatch.setattr(checkpoint, "atomic_write", lambda p, write: real(p, failing))
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, torch.nn.Linear(3, 2), epoch=2)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["c.safetensors"]
    assert load_checkpoint(path, torch.nn.Linear(3, 2)).epoch == 1

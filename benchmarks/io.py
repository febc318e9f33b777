"""Benchmark: model files -- seqlab.save/load against torch.save/load and safetensors, and
what a writer killed mid-save leaves behind.

1. **Kill during save** (``--kill-tries``, default 12): a forked writer saves a 16 MB model
   over the same path in a loop and is SIGKILLed at a random moment (0.2 to 3 save
   durations after it starts); then the file is read back. Two writers, the same harness:
   ``np.savez`` writing ``m.npz`` in place (what ``seqlab hmm fit --save`` did before
   seqlab.io) and :func:`seqlab.save`. Reported: tries that left an unreadable or torn file.
2. **A large LSTM** (``SequenceTagger(256, 1024, 256, cell="lstm", num_layers=2)``, 13.9 M
   parameters, 56 MB in float32): median save and load times of ``seqlab.save`` /
   ``seqlab.load`` (which rebuilds the model from its file and checks the SHA-256),
   ``torch.save`` / ``torch.load`` of the ``state_dict`` (weights only), the same plus
   building the model and ``load_state_dict`` (what a torch user does to get the model
   back), and ``safetensors.torch.save_file`` / ``load_file`` (which memory-maps the file:
   its tensors are read lazily, later). The ratio column is ``time / torch.save`` or
   ``time / torch.load`` time.

Usage: ``python benchmarks/io.py [--repeats 5] [--kill-tries 12] [--folder DIR]``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import seqlab
from seqlab.classical import AR
from seqlab.recurrent import SequenceTagger


def _arrays(value: float, n: int) -> dict[str, np.ndarray]:
    return {"params_": np.full(n, value), "fittedvalues_": np.full(n, value)}


def _npz_write(path: Path, value: float, n: int) -> None:
    np.savez(path, **_arrays(value, n))


def _npz_read(path: Path) -> float:
    with np.load(path, allow_pickle=False) as f:
        a, b = f["params_"], f["fittedvalues_"]
    if not (np.all(a == a[0]) and np.all(b == a[0])):
        raise ValueError("torn file")
    return float(a[0])


def _seqlab_write(path: Path, value: float, n: int) -> None:
    m = AR(2)
    for k, v in _arrays(value, n).items():
        setattr(m, k, v)
    seqlab.save(m, path)


def _seqlab_read(path: Path) -> float:
    m = seqlab.load(path)
    if not (np.all(m.params_ == m.params_[0]) and np.all(m.fittedvalues_ == m.params_[0])):
        raise ValueError("torn file")
    return float(m.params_[0])


def kill_trials(write: Callable[[Path, float, int], None], read: Callable[[Path], float],
                path: Path, tries: int, n: int = 1_000_000, seed: int = 0) -> tuple[int, int]:
    """(tries whose file was unreadable or torn after the kill, tries) for one writer."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    write(path, -1.0, n)
    save_s = time.perf_counter() - t0
    bad = 0
    for trial in range(tries):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                os.write(w, b"x")
                k, t_end = 1000.0 * trial, time.monotonic() + 60
                while time.monotonic() < t_end:
                    write(path, k, n)
                    k += 1
            finally:
                os._exit(0)
        os.close(w)
        os.read(r, 1)
        os.close(r)
        time.sleep(rng.uniform(0.2, 3.0) * save_s)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        try:
            read(path)
        except Exception:  # any failure to read counts as a destroyed file
            bad += 1
            write(path, -1.0, n)  # start the next try from a good file again
    return bad, tries


def _median_time(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def lstm_times(folder: Path, repeats: int) -> None:
    from safetensors.torch import load_file, save_file

    model = SequenceTagger(256, 1024, 256, cell="lstm", num_layers=2, seed=0)
    n_params = sum(p.numel() for p in model.parameters())
    sd = model.state_dict()
    paths = {k: folder / f"lstm.{k}" for k in ("seqlab", "torch", "safetensors")}
    rows = {
        "seqlab.save": lambda: seqlab.save(model, paths["seqlab"]),
        "torch.save(state_dict)": lambda: torch.save(sd, paths["torch"]),
        "safetensors save_file": lambda: save_file(sd, str(paths["safetensors"])),
        "seqlab.load (rebuild)": lambda: seqlab.load(paths["seqlab"]),
        "torch.load(state_dict)": lambda: torch.load(paths["torch"], weights_only=True),
        "torch: build + load": lambda: SequenceTagger(256, 1024, 256, cell="lstm", num_layers=2
                                                      ).load_state_dict(
            torch.load(paths["torch"], weights_only=True)),
        "safetensors load_file": lambda: load_file(str(paths["safetensors"])),
    }
    times = {name: _median_time(fn, repeats) for name, fn in rows.items()}
    again = seqlab.load(paths["seqlab"])
    x = torch.randn(2, 16, 256)
    assert torch.equal(again(x), model(x))
    size = paths["seqlab"].stat().st_size
    print(f"\nLSTM SequenceTagger(256, 1024, 256, num_layers=2): {n_params / 1e6:.1f} M "
          f"parameters, seqlab file {size / 2**20:.1f} MiB, median of {repeats}")
    print(f"{'':<26}{'seconds':>9}{'MB/s':>8}{'ratio':>8}")
    for name, t in times.items():
        ref = times["torch.save(state_dict)" if "save" in name else "torch.load(state_dict)"]
        print(f"{name:<26}{t:>9.3f}{size / 2**20 / t:>8.0f}{t / ref:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--kill-tries", type=int, default=12)
    parser.add_argument("--folder", default=None, help="where to write (default: a temp dir)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(dir=args.folder) as d:
        folder = Path(d)
        print(f"kill during save: {args.kill_tries} writers SIGKILLed mid-loop, 16 MB model")
        for name, write, read, file in (
            ("np.savez in place (before)", _npz_write, _npz_read, "m.npz"),
            ("seqlab.save (atomic)", _seqlab_write, _seqlab_read, "m.model"),
        ):
            bad, tries = kill_trials(write, read, folder / file, args.kill_tries)
            print(f"  {name:<28} previous file destroyed in {bad} of {tries} tries")
        lstm_times(folder, args.repeats)


if __name__ == "__main__":
    main()

"""MKL against oneDNN on this machine, for the recurrent fast paths' float32 products.

Prints, for the product shapes the fast BPTT paths run at the shapes of ``benchmarks/rnn.py``
(a) B=32 T=100 I=32 H=128 and (c) B=64 T=256 I=64 H=512, each library's time a product (best
of 5 interleaved rounds, in this process) and what :mod:`seqlab.recurrent._matmul` chooses
there; then, in fresh processes with an empty ``$SEQLAB_CACHE``, the first forward+backward of
a GRU and an Elman layer at (a) with the choice measured (the once-per-machine cost) and with
it pinned (``SEQLAB_MATMUL=mkl``). The CPU is printed and written into the JSON: the answers
differ between CPUs (issue 19: oneDNN twice MKL's speed on one AMD EPYC, MKL the faster at
(a) on a Zen 4). For the per-step products it also prints the product as ``np.dot`` in a
numba loop (scipy's BLAS at one thread) and which loop the Elman family's recursion takes
(:func:`seqlab.recurrent._matmul.loop_choice`), with the product's time as MKL called from
numba.

Usage: ``python benchmarks/matmul_choice.py [--threads 1] [--out FILE.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from seqlab.recurrent import _matmul
from seqlab.recurrent._matmul import Kind

ROOT = Path(__file__).resolve().parents[1]

# (label, kind, m, k, n): the per-step products (B, H) @ (H, G*H) forward and (B, G*H) @
# (G*H, H) backward, a whole-sequence projection and the weight gradient dG^T H
PRODUCTS: list[tuple[str, Kind, int, int, int]] = [
    ("a: Elman step", "step", 32, 128, 128),
    ("a: GRU step forward", "step", 32, 128, 384),
    ("a: GRU step backward", "step", 32, 384, 128),
    ("a: GRU projection (512 rows)", "seq", 512, 32, 384),
    ("a: Elman dW (3200 rows)", "tn", 3200, 128, 128),
    ("a: GRU dW_hh (1600 rows)", "tn", 1600, 384, 128),
    ("c: Elman step", "step", 64, 512, 512),
    ("c: GRU step forward", "step", 64, 512, 1536),
    ("c: GRU step backward", "step", 64, 1536, 512),
    ("c: GRU dW_hh (2048 rows)", "tn", 2048, 1536, 512),
]

_FIRST_CALL = """
import time, torch
torch.set_num_threads({threads})
from seqlab.recurrent.layers import RNNLayer
x = torch.randn(32, 100, 32)
m = RNNLayer(32, 128, cell="{cell}")
t0 = time.perf_counter(); m(x)[0].sum().backward(); t1 = time.perf_counter()
m(x)[0].sum().backward(); t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def product_times(kind: Kind, m: int, k: int, n: int, rounds: int = 5) -> dict[str, float]:
    """Microseconds a product through each library (best of ``rounds`` interleaved, the
    timing of :func:`seqlab.recurrent._matmul.measure`)."""
    best = _matmul.best_times(_matmul.runners(kind, m, k, n), 2.0 * m * k * n, rounds)
    return {name: 1e6 * t for name, t in best.items()}


def loop_times(m: int, k: int, n: int, rounds: int = 5) -> dict[str, float]:
    """Microseconds a per-step product as a torch call (the library chosen above), as
    ``np.dot`` in a numba loop (scipy's BLAS at one thread) and as torch's MKL called from a
    numba loop: the timing of :func:`seqlab.recurrent._matmul.loop_choice`."""
    flops = 2.0 * m * k * n
    reps = max(1, min(200, int(2e-3 * 5e10 / flops)))
    best = _matmul.best_times(_matmul.loop_runners(m, k, n, reps), reps * flops, rounds)
    return {name: 1e6 * t / reps for name, t in best.items()}


def first_call(cell: str, threads: int, pin: str | None) -> tuple[float, float]:
    """(first, second) forward+backward seconds in a fresh process with an empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SEQLAB_CACHE": cache}
        env.pop(_matmul.ENV, None)
        if pin is not None:
            env[_matmul.ENV] = pin
        env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
        out = subprocess.run([sys.executable, "-c", _FIRST_CALL.format(cell=cell,
                                                                       threads=threads)],
                             env=env, capture_output=True, text=True, check=True)
    first, second = (float(v) for v in out.stdout.split())
    return first, second


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"CPU: {_matmul.machine()}; threads={args.threads}; oneDNN ops: {_matmul.onednn()}")
    rows = []
    if _matmul.onednn():
        print(f"{'product':32} {'shape':>18} {'MKL us':>9} {'oneDNN us':>10} {'chosen':>7} "
              f"{'np.dot us':>10} {'MKL-loop us':>11} {'loop':>6}")
        with tempfile.TemporaryDirectory() as cache:
            os.environ["SEQLAB_CACHE"] = cache  # measure afresh, keep nothing
            os.environ.pop(_matmul.ENV, None)
            _matmul.forget()
            for label, kind, m, k, n in PRODUCTS:
                us = product_times(kind, m, k, n)
                chosen = "onednn" if _matmul.onednn_faster(kind, m, k, n) else "mkl"
                row = {"product": label, "kind": kind, "m": m, "k": k, "n": n,
                       "mkl_us": round(us["mkl"], 2), "onednn_us": round(us["onednn"], 2),
                       "chosen": chosen}
                extra = ""
                if kind == "step" and "Elman" in label:  # the Elman family's loop (_blas_loop)
                    times = loop_times(m, k, n)
                    dot, mkl = times["blas"], times.get("mkl", float("nan"))
                    loop = _matmul.loop_choice(m, k, n)
                    row.update(np_dot_us=round(dot, 2), mkl_loop_us=round(mkl, 2), loop=loop)
                    extra = f" {dot:10.1f} {mkl:11.1f} {loop:>6}"
                print(f"{label:32} {f'{m}x{k}x{n}':>18} {us['mkl']:9.1f} {us['onednn']:10.1f} "
                      f"{chosen:>7}{extra}", flush=True)
                rows.append(row)
    first = {}
    for cell in ("gru", "elman"):
        for pin in (None, "mkl"):
            f, s = first_call(cell, args.threads, pin)
            name = f"{cell} {'measured' if pin is None else 'pinned mkl'}"
            first[name] = {"first_s": round(f, 4), "second_s": round(s, 4)}
            print(f"first forward+backward at (a), fresh process, empty cache, {name}: "
                  f"{f:.3f} s (the next {s:.3f} s)", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"cpu": _matmul.machine(), "torch": torch.__version__,
                                        "threads": args.threads, "products": rows,
                                        "first_call": first}, indent=1))


if __name__ == "__main__":
    main()

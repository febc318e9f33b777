"""Does ``impl="auto"`` pick the fastest implementation? RNNLayer forward+backward per step.

For every size (cell, B, H, T, I, with/without ``lengths``) it times one training step
(``zero_grad``, forward, ``loss.backward()``) of :class:`seqlab.recurrent.RNNLayer` with
``impl`` = "torch", "bptt", "loop" and "auto" on the same weights and data, in one process,
and prints each impl's median CPU milliseconds, what "auto" resolved to, and the ratio
``auto / best``. CPU time (``time.process_time``) with one torch thread, so the figures are
robust to other processes on a shared machine; every impl of a size is timed round-robin
(interleaved repeats) so drifts in machine load hit them alike, and each timed step is
preceded by two untimed steps of the same impl (the first two steps after "loop" otherwise
pay up to ~0.4 ms for the loop's many freed small tensors).

Usage: ``python benchmarks/impl_auto.py [--quick] [--repeats 5] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import torch

from seqlab.recurrent import _bptt_elman_fast
from seqlab.recurrent.layers import RNNLayer, _bptt_function

IMPLS = ("torch", "bptt", "loop", "auto")


def step_fn(layer: RNNLayer, x: torch.Tensor, lengths: torch.Tensor | None):
    """One training step: zero grads, forward, backward of a loss on outputs and final h."""
    def run() -> None:
        layer.zero_grad(set_to_none=True)
        out, fin = layer(x, lengths=lengths)
        h = fin[0] if isinstance(fin, tuple) else fin
        (out.square().mean() + h.sum()).backward()

    return run


def time_size(cell: str, batch: int, hidden: int, steps: int, inp: int, with_lengths: bool,
              repeats: int, budget_s: float) -> dict:
    """Median CPU ms per step of every available impl at one size (round-robin repeats)."""
    torch.manual_seed(0)
    layer = RNNLayer(inp, hidden, cell=cell)
    x = torch.randn(batch, steps, inp)
    lengths = None
    if with_lengths:
        lengths = torch.randint(steps // 2, steps + 1, (batch,))
        lengths[0] = steps
    impls = [i for i in IMPLS
             if not (i == "torch" and not layer._torch_supported())
             and not (i == "bptt" and _bptt_function(cell) is None)]
    layer.impl = "auto"
    padded = lengths is not None and bool((lengths < steps).any())
    resolved = layer.resolve_impl(False, batch, x.device, padded=padded)
    runs = {}
    for impl in impls:
        layer.impl = impl
        run = step_fn(layer, x, lengths)
        run()  # warm-up (numba compile, allocator)
        runs[impl] = run
    times: dict[str, list[float]] = {i: [] for i in impls}
    spent = 0.0
    for r in range(repeats):
        for impl in impls[r % len(impls):] + impls[: r % len(impls)]:
            layer.impl = impl
            runs[impl]()  # untimed twice: the first two steps after "loop" pay for its
            runs[impl]()  # many freed small tensors (0.85 / 0.57 vs 0.45 ms, LSTM B=1 H=32)
            t0 = time.process_time()
            runs[impl]()
            dt = time.process_time() - t0
            times[impl].append(dt)
            spent += dt
        if r >= 2 and spent > budget_s:  # at least 3 repeats, then stop when over budget
            break
    ms = {i: 1e3 * statistics.median(v) for i, v in times.items()}
    best = min((i for i in ms if i != "auto"), key=ms.__getitem__)
    return {"cell": cell, "batch": batch, "hidden": hidden, "steps": steps, "input": inp,
            "lengths": with_lengths, "ms": ms, "auto_resolves_to": resolved, "best": best,
            "auto_over_best": ms["auto"] / ms[best],
            "resolved_over_best": ms[resolved] / ms[best],
            "repeats": len(times[impls[0]])}


def grid(quick: bool):
    if quick:
        yield from itertools.product(("lstm", "gru", "elman"), (1, 32), (16, 64), (20,),
                                     (39,), (False, True))
        return
    # main grid at I = 39, T = 50; T = 200 and I = 1 / 65 on a subset
    yield from itertools.product(("lstm", "gru", "elman"), (1, 8, 32, 64), (32, 64, 128, 256),
                                 (50,), (39,), (False, True))
    yield from itertools.product(("lstm", "gru", "elman"), (1, 32), (64, 256), (200,), (39,),
                                 (True,))
    yield from itertools.product(("lstm", "gru"), (32,), (64,), (50,), (1, 65), (True,))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=6)
    ap.add_argument("--budget", type=float, default=3.0, help="CPU seconds per size")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    _bptt_elman_fast.warm()  # the steady state: the Elman family's loop as measured, at once
    print(f"torch {torch.__version__}, 1 thread, CPU ms per forward+backward step (median)")
    print(f"{'cell':6} {'B':>3} {'H':>4} {'T':>4} {'I':>3} len {'torch':>8} {'bptt':>8} "
          f"{'loop':>8} {'auto':>8} auto->  best  auto/best")
    rows = []
    for cell, b, h, t, i, lens in grid(args.quick):
        row = time_size(cell, b, h, t, i, lens, args.repeats, args.budget)
        rows.append(row)
        ms = row["ms"]
        cols = " ".join(f"{ms[k]:8.2f}" if k in ms else f"{'-':>8}" for k in IMPLS)
        print(f"{cell:6} {b:3d} {h:4d} {t:4d} {i:3d} {'y' if lens else 'n':>3} {cols} "
              f"{row['auto_resolves_to']:>6} {row['best']:>5} {row['auto_over_best']:9.2f}",
              flush=True)
    worst = max(rows, key=lambda r: r["resolved_over_best"])
    print(f"worst resolved/best: {worst['resolved_over_best']:.2f} at "
          f"{ {k: worst[k] for k in ('cell', 'batch', 'hidden', 'steps', 'lengths')} }")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": 1, "clock": "process_time",
                       "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()

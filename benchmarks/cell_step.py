"""Cost of the input checks in a cell's one-step ``forward(x_t, state)``.

``RecurrentCell.forward`` checks type, shape and dtype of ``x_t`` and of the state at every
step (no value scan); ``cell.step(cell.input_term(x_t), state)`` is the same computation
without the checks. For each cell and shape (B, I, H) this times a Python loop of T steps
of both (forward only, and forward + backward through the T steps), the two alternating
so that load from other processes hits both alike, and prints the median of the per-repeat
ratios checked / unchecked (1.00 = free) and, for reference, torch.nn's cell in the same
loop. On a loaded machine those ratios are noisy (+-10% either way), so it also times the
checks alone (20,000 calls of both, best of 5) and prints their share of an unchecked
step: ``check_us / (unchecked_ms * 1000 / steps)``, the figure to read. Results go to
``benchmarks/results/cell_step.json``. Measured 2026-12-04 (1 thread, a loaded 2-core
machine): about 1-2 us per step for the checks; under 2% of a step everywhere except the
tiniest Elman step (B=1, I=8, H=32: 6.6% forward only, 2.2% forward + backward).
RNNLayer's unroll calls ``step`` and pays nothing.

Usage: ``python benchmarks/cell_step.py [--threads 1] [--repeats 15] [--steps 200]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from seqlab.recurrent import make_cell
from seqlab.recurrent._cell_checks import check_step

SHAPES = {"tiny": (1, 8, 32), "small": (32, 32, 128), "large": (64, 64, 512)}
PEERS = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "elman": nn.RNNCell}


def _loops(cell_type: str, shape: tuple[int, int, int], steps: int, backward: bool):
    batch, n_in, hidden = shape
    torch.manual_seed(0)
    cell = make_cell(cell_type, n_in, hidden)
    peer = PEERS[cell_type](n_in, hidden)
    xs = torch.randn(steps, batch, n_in).unbind(0)

    def checked() -> None:
        state = None
        for x_t in xs:
            state = cell(x_t, state)
        if backward:
            state[0].sum().backward()

    def unchecked() -> None:
        state = cell.initial_state(None, batch, xs[0])
        for x_t in xs:
            state = cell.step(cell.input_term(x_t), state)
        if backward:
            state[0].sum().backward()

    def torch_nn() -> None:
        h: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None
        for x_t in xs:
            h = peer(x_t, h)
        if backward:
            (h[0] if isinstance(h, tuple) else h).sum().backward()

    return checked, unchecked, torch_nn


def _check_us(cell_type: str, shape: tuple[int, int, int], calls: int = 20_000) -> float:
    """Microseconds of the two checks ``forward`` adds to one step (best of 5)."""
    batch, n_in, hidden = shape
    cell = make_cell(cell_type, n_in, hidden)
    x_t = torch.randn(batch, n_in)
    state = cell.initial_state(None, batch, x_t)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(calls):
            check_step(cell, x_t, state)
        best = min(best, (time.perf_counter() - t0) / calls * 1e6)
    return best


def _ms(fn: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" /
                                             "cell_step.json"))
    args = parser.parse_args(argv)

    def share(check_us: float, unchecked_ms: float) -> float:
        return check_us / (unchecked_ms * 1e3 / args.steps)

    torch.set_num_threads(args.threads)
    rows = []
    print(f"{'cell':6} {'shape':6} {'pass':8} {'checked ms':>10} {'unchecked':>10} "
          f"{'ratio':>6} {'nn ms':>7} {'chk us':>7} {'share':>7}")
    for cell_type in PEERS:
        for name, shape in SHAPES.items():
            for backward in (False, True):
                fns = _loops(cell_type, shape, args.steps, backward)
                for f in fns:  # warm-up
                    f()
                times: list[list[float]] = [[], [], []]
                for r in range(args.repeats):
                    order = (0, 1, 2) if r % 2 == 0 else (1, 0, 2)
                    for i in order:
                        times[i].append(_ms(fns[i]))
                ratio = statistics.median(a / b for a, b in zip(times[0], times[1]))
                check_us = _check_us(cell_type, shape)
                med = [statistics.median(t) for t in times]
                kind = "fwd+bwd" if backward else "fwd"
                print(f"{cell_type:6} {name:6} {kind:8} {med[0]:10.2f} {med[1]:10.2f} "
                      f"{ratio:6.3f} {med[2]:7.2f} {check_us:7.2f} "
                      f"{100 * share(check_us, med[1]):6.2f}%")
                rows.append({"cell": cell_type, "shape": name, "B_I_H": shape, "pass": kind,
                             "steps": args.steps, "checked_ms": med[0], "unchecked_ms": med[1],
                             "torch_nn_ms": med[2], "ratio_checked_over_unchecked": ratio,
                             "check_us_per_step": check_us,
                             "check_share_of_step": share(check_us, med[1])})
    Path(args.out).write_text(json.dumps({"threads": args.threads, "repeats": args.repeats,
                                          "torch": torch.__version__, "rows": rows}, indent=1))
    print(f"largest check share of a step: "
          f"{100 * max(r['check_share_of_step'] for r in rows):.2f}%")
    print(f"median ratio over all rows: "
          f"{statistics.median(r['ratio_checked_over_unchecked'] for r in rows):.3f}")


if __name__ == "__main__":
    main()

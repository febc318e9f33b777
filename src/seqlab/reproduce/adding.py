"""The adding problem (Hochreiter & Schmidhuber 1997, Experiment 4): gates win, Elman fails.

Task (exact definition in :func:`seqlab.data.synthetic.adding_problem`): pairs (value,
marker), length in [T, 1.1 T]; the target at the end is ``0.5 + (X1 + X2) / 4`` of the two
marked values, the first within the first 10 steps. A sequence is correct when
``|error| < 0.04``; the test set has 2560 sequences. HS97, Table 7 (LSTM, average over
runs): T = 100: 1 of 2560 wrong after 74,000 training sequences; T = 500: 0 of 2560 after
209,000; T = 1000: 1 of 2560 after 853,000.

Here: LSTM, GRU, leaky units, skip connections through time and plain Elman (tanh), all
with the same hidden size, optimiser and training-sequence budget, trained online on fresh
sequences until at most 1 of 2560 test sequences is wrong (:mod:`seqlab.reproduce._train`).
Differences from HS97: Adam (HS97: online gradient descent, lr 0.5), mini-batches of 16
(HS97: one sequence per update), a forget gate with bias +1 (HS97's LSTM had no forget
gate), a linear output unit.

Measured here (full budget, T = 100, seed 0, H = 32, 2 shared cores under heavy load, one
process per cell): LSTM 1/2560 wrong after 86,400 sequences (510 s; HS97: 74,000);
GRU 1/2560 after 112,000 (762 s); leaky units (learned leak, start 0.95) 490/2560 wrong
after the whole budget of 200,000 (1013 s) -- in between; skip connections (k = 10)
2198/2560 and Elman 2174/2560 after 200,000 (~1000 s each): no better than predicting the
mean (the target's variance, MSE ~0.041). Quick budget (T = 20, 8,000 sequences, H = 16):
gated cells get all but a few percent right, Elman fails.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from seqlab.data.synthetic import adding_problem, adding_problem_correct
from seqlab.diagnostics import state_gradients
from seqlab.reproduce._report import Report, Row
from seqlab.reproduce._train import RunResult, StreamConfig, build_model, train_stream

__all__ = ["BUDGETS", "PAPER", "run", "run_cell"]

#: HS97 Table 7 (LSTM): (wrong of 2560, training sequences), by minimal length T
PAPER = {100: (1, 74_000), 500: (0, 209_000), 1000: (1, 853_000)}
CELLS = ("lstm", "gru", "leaky", "skip", "elman")
#: per budget: lengths T, the sequence budget per run, hidden units, test-set size
BUDGETS: dict[str, dict[str, Any]] = {
    "quick": {"lengths": (20,), "max_sequences": 8_000, "hidden": 16, "n_test": 1000,
              "batch_size": 16, "lr": 1e-2, "eval_every": 800, "cells": CELLS},
    "full": {"lengths": (100, 500), "max_sequences": {100: 200_000, 500: 300_000},
             "hidden": 32, "n_test": 2560,
             "batch_size": 16, "lr": 3e-3, "eval_every": 3_200, "cells": CELLS},
}
N_TEST_PAPER = 2560


def _generator(T: int) -> Any:
    def generate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = adding_problem(n, T, seed=seed)
        return d.X, d.lengths, d.y
    return generate


def _loss(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(pred[:, 0], y)


def _errors(pred: torch.Tensor, y: np.ndarray) -> int:
    return int((~adding_problem_correct(pred[:, 0].numpy(), y)).sum())


def run_cell(cell: str, T: int, *, max_sequences: int, hidden: int = 32, n_test: int = 2560,
             batch_size: int = 16, lr: float = 3e-3, eval_every: int = 3_200, seed: int = 0,
             callback: Any = None, on_eval: Any = None) -> RunResult:
    """Train one ``cell`` on the adding problem with minimal length ``T``.

    Stops at <= 1 wrong test sequence (HS97: 1 of 2560). ``callback(step, model)`` runs after
    every step, ``on_eval(seen, errors, loss)`` after every test evaluation.
    """
    test = _generator(T)(n_test, 10_000 + seed)
    model = build_model(cell, 2, hidden, 1, seed=seed)
    cfg = StreamConfig(max_sequences=max_sequences, batch_size=batch_size, lr=lr,
                       eval_every=eval_every, clip_norm=1.0, target_errors=1, seed=seed)
    result = train_stream(model, _generator(T), _loss, _errors, test, cfg,
                          label=f"{cell} T={T}", callback=callback, on_eval=on_eval)
    result.extra["gradient_reach"] = gradient_reach(model, test, T)
    return result


def gradient_reach(model: torch.nn.Module, test: tuple[np.ndarray, ...], T: int) -> float:
    """Mean ``||dL/dh_1|| / ||dL/dh_T||`` of the trained model on 32 test sequences of length T.

    How much of the error at the end still reaches the first step (the lecture's argument,
    measured by :func:`seqlab.diagnostics.state_gradients`): ~1e-10 and below means it has
    vanished.
    """
    X, lengths, y = test
    idx = np.flatnonzero(lengths == lengths.min())[:32]
    x = torch.from_numpy(X[idx, : int(lengths.min())])
    target = torch.from_numpy(y[idx])
    g = state_gradients(model, x, lambda p: _loss(p, target))
    m = g.mean_norms("h")[0]
    return float(m[0] / m[-1]) if m[-1] > 0 else float("nan")


def _ours(r: RunResult) -> str:
    state = "" if r.solved else "not solved: "
    return (f"{state}{r.test_errors}/{r.n_test} wrong after {r.sequences:,} seqs "
            f"({r.wall_time_s:.0f} s; |dL/dh_1|/|dL/dh_T| = "
            f"{r.extra.get('gradient_reach', float('nan')):.1e})")


def run(budget: str = "quick", *, seed: int = 0) -> Report:
    """Run every cell at every length of ``budget``; return the comparison with HS97."""
    b = BUDGETS[budget]
    t0 = time.perf_counter()
    rows: list[Row] = []
    results: dict[tuple[str, int], RunResult] = {}
    for T in b["lengths"]:
        for cell in b["cells"]:
            budget_T = b["max_sequences"]
            budget_T = budget_T[T] if isinstance(budget_T, dict) else budget_T
            r = run_cell(cell, T, max_sequences=budget_T, hidden=b["hidden"],
                         n_test=b["n_test"], batch_size=b["batch_size"], lr=b["lr"],
                         eval_every=b["eval_every"], seed=seed)
            results[cell, T] = r
            if cell == "lstm" and T in PAPER:
                wrong, seqs = PAPER[T]
                paper = f"LSTM {wrong}/{N_TEST_PAPER} wrong after {seqs:,} seqs"
            elif cell == "elman":
                paper = "RNN/BPTT, RTRL etc.: fail (HS97 Sect. 5.4)"
            else:
                paper = "-"
            rows.append(Row(f"{cell:<5} T={T}", paper, _ours(r), r.as_dict()))
    conclusion = _conclude(results, b)
    return Report("adding", "Adding problem (HS97 Exp. 4)", "Hochreiter & Schmidhuber 1997",
                  budget, rows, conclusion, time.perf_counter() - t0, settings=dict(b))


def _conclude(results: dict[tuple[str, int], RunResult], b: dict[str, Any]) -> str:
    parts = []
    for T in b["lengths"]:
        wrong = {c: results[c, T].test_errors for c in b["cells"]}
        order = sorted(wrong, key=lambda c: wrong[c])
        parts.append(f"T={T}: wrong of {b['n_test']}: " +
                     ", ".join(f"{c} {wrong[c]}" for c in order))
    return "; ".join(parts)

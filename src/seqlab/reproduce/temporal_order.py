"""Temporal order, task 6a (Hochreiter & Schmidhuber 1997, Experiment 6a).

Task (:func:`seqlab.data.synthetic.temporal_order`): sequences of 100-110 one-hot symbols
over {E, B, a, b, c, d, X, Y}; two of them, at t1 in [10, 20] and t2 in [50, 60], are X or Y
and the class (Q, R, S, U) is their order (XX, XY, YX, YY), asked for at the end. HS97,
Table 9 (LSTM, means of 20 runs): 1 of 2560 test sequences wrong after 31,390 training
sequences (task 6b, three symbols: 2 wrong after 571,100, means of 10 runs). The data
module's position ranges and class rules were checked against HS97 Sect. 5.6: 6a t1 in
[10, 20], t2 in [50, 60]; 6b t1 in [10, 20], t2 in [33, 43], t3 in [66, 76], classes
XXX->Q, XXY->R, XYX->S, XYY->U, YXX->V, YXY->A, YYX->B, YYY->C; length 100-110. HS97
count a sequence correct when every output unit's absolute error is < 0.3 (sigmoid
outputs, MSE); we take the arg-max of a softmax, a weaker criterion.

Here LSTM, GRU and Elman (tanh) get the same hidden size, optimiser (Adam, clipping at norm
1), mini-batches of 16 fresh sequences and the same budget; a run stops when at most 1 test
sequence is wrong. Cross-entropy on a 4-way softmax output (HS97: sigmoid outputs, MSE).

Measured here (full budget, ``seqlab reproduce temporal-order --full``, seed 0, H = 32, one
torch thread, 2 cores shared, load ~10; gated cells with the constant +3 / +1 keeping-gate
bias of :func:`~seqlab.reproduce._train.build_model`; 314 s in all): LSTM 0/2560 wrong after
35,200 sequences (HS97: 1 wrong after 31,390; 17 s); GRU 0/2560 after 16,000 (13 s); leaky
units (learnable leak from 0.95) 0/2560 after 12,800 (6,400 in the 2026-11-27 run); skip
connections (h_{t-10}) 1904/2560 and Elman 1937/2560 wrong (chance: 1920) after the whole
budget of 100,000; and without the keeping-gate bias (PyTorch's initialisation) GRU 1921
and LSTM 1934 wrong after 100,000 -- the rows that explain the others.

Why the GRU "stays at 0/2560" (issue 18): it does not. The figure is 0 *wrong*: the run
stops at <= 1 wrong test sequence, and the GRU got there after 16,000 sequences, before the
LSTM (35,200 now; 30,400 in the 2026-11-27 run -- the recurrent layer's code (impl=auto,
init options) changed since; the cause of that shift was not traced). Its learning curve
sits at chance (1891-1966 wrong of 2560, loss ~1.386 = ln 4) up to 14,400 sequences and
drops to 0 wrong by 16,000.
No defect: the GRU cell and layer equal ``torch.nn.GRU`` / ``nn.GRUCell`` with copied weights
(outputs and gradients, tests/recurrent/test_cells.py, test_layers.py); both cells see the
same training stream, test set, loss, Adam lr 3e-3, clipping, batch and budget; the GRU has
4,032 recurrent weights against the LSTM's 5,376 (same H = 32). The sweep
``benchmarks/reproduce.py --sweep-gru-temporal-order`` (64,000 sequences per run, 4x the
GRU's 16,000; benchmarks/results/temporal-order-gru-sweep.json, load 7-12 on 2 cores) says
what matters -- the keeping-gate start, not the budget, learning rate or size:

=============================== ======= ==================== ==========================
variant                          solved  sequences (median,   |dL/dh_1|/|dL/dh_T| at init
                                         range)               (median)
=============================== ======= ==================== ==========================
GRU, update bias +1 (the table)  5/5     16,000 (14k-22k)     2e-10
LSTM, forget bias +3 (the table) 5/5     27,200 (18k-35k)     1e-01
GRU, PyTorch default init        0/3     1917-1930 wrong      2e-19
  ... with 160,000 sequences     0/1     1902 wrong           2e-19
LSTM, PyTorch default init       0/3     1902-1920 wrong      3e-20
GRU, update bias +3              3/3     6,400                3e-02
GRU, chrono (t_max 110)          3/3     4,800 (4.8k-6.4k)    3e-01
GRU, orthogonal W_hh, bias +1    3/3     9,600 (8k-11k)       2e-07
GRU +1, lr 1e-3 / 1e-2           3/3 ea. 28,800 / 12,800      9e-10
GRU +1, H = 16 / 64              3/3 ea. 19,200 / 19,200      7e-11 / 5e-10
=============================== ======= ==================== ==========================

At PyTorch's initialisation (z ~ sigm(0) = 0.5) the error shrinks by ~0.65 per step back
(``seqlab diagnose --task temporal-order``: GRU 0.652, LSTM 0.670, Elman 0.652) and
reaches the first relevant symbol, 80-90 steps back, as ~1e-19 of its size at the end:
both gated cells then stay at chance like Elman, even after 10x the budget. A keeping-gate
bias raises the per-step factor (GRU +1: ~0.80, LSTM +3: ~0.98, GRU chrono: 0.987) and the
run succeeds, faster the larger the start; the GRU with +1 starts with a reach of only
~1e-10 but still learns (at ~0.8 per step the second symbol, 40-60 steps back, gets
~0.8^50 ~ 1e-5, and training opens the gates: reach 0.08-1.9 in the five trained GRUs).
Budget, learning rate (3x lower: 1.8x slower) and hidden size change the speed, not the
outcome.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from seqlab._validation import check_choice
from seqlab.data.synthetic import temporal_order
from seqlab.exceptions import SeqlabValueError
from seqlab.recurrent.init import init_cell_
from seqlab.reproduce._report import Report, Row
from seqlab.reproduce._train import (
    GATE_BIAS,
    RunResult,
    StreamConfig,
    build_model,
    train_stream,
)
from seqlab.reproduce._train import gradient_reach as _gradient_reach

__all__ = ["BUDGETS", "PAPER", "T_MAX", "gradient_reach", "run", "run_cell"]

#: the longest sequence of task 6a (lengths 100-110): chrono's t_max
T_MAX = 110

#: HS97 Table 9, task 6a (LSTM): wrong of 2560 test sequences, training sequences needed
PAPER = (1, 31_390)
BUDGETS: dict[str, dict[str, Any]] = {
    "quick": {"max_sequences": 1_600, "hidden": 16, "n_test": 500, "batch_size": 16,
              "lr": 1e-2, "eval_every": 800, "cells": ("lstm", "gru", "elman")},
    "full": {"max_sequences": 100_000, "hidden": 32, "n_test": 2560, "batch_size": 16,
             "lr": 3e-3, "eval_every": 1_600, "cells": ("lstm", "gru", "leaky", "skip", "elman"),
             "ablations": (("gru", 0.0), ("lstm", 0.0))},
}


def generate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, lengths, labels)`` of ``n`` fresh task-6a sequences."""
    d = temporal_order(n, variant="6a", seed=seed)
    return d.X, d.lengths, d.y


def loss(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the 4 class scores."""
    return F.cross_entropy(pred, y)


def errors(pred: torch.Tensor, y: np.ndarray) -> int:
    """Number of sequences whose arg-max class is wrong."""
    return int((pred.argmax(1).numpy() != y).sum())


def _model(cell: str, hidden: int, seed: int, gate_bias: float | None, chrono: bool,
           recurrent_init: str) -> torch.nn.Module:
    model = build_model(cell, 8, hidden, 4, seed=seed, gate_bias=gate_bias,
                        chrono=T_MAX if chrono and cell in ("lstm", "gru") else None)
    if recurrent_init != "uniform":
        if chrono:
            raise SeqlabValueError("recurrent_init='orthogonal' is combined with gate_bias "
                                   "here, not with chrono; pass chrono=False.")
        c: Any = model.rnn.cells[0]  # type: ignore[index, union-attr]
        init_cell_(c, recurrent_init, generator=torch.Generator().manual_seed(seed))  # type: ignore[arg-type]
        bias = GATE_BIAS.get(cell, 0.0) if gate_bias is None else gate_bias
        if cell in ("lstm", "gru") and bias:  # build_model's keeping-gate start, again
            with torch.no_grad():
                c.bias_ih[hidden:2 * hidden] += bias
    return model


def gradient_reach(model: torch.nn.Module, test: tuple[np.ndarray, ...]) -> float:
    """Mean ``||dL/dh_1|| / ||dL/dh_T||`` on 32 test sequences of the shortest length (100).

    The two relevant symbols sit at t1 in [10, 20] and t2 in [50, 60]: the error at the end
    must cross 80-90 steps to reach t1. Below ~1e-10 it has vanished.
    """
    return _gradient_reach(model, test, loss)


def run_cell(cell: str, *, max_sequences: int, hidden: int = 32, n_test: int = 2560,
             batch_size: int = 16, lr: float = 3e-3, eval_every: int = 1_600, seed: int = 0,
             gate_bias: float | None = None, chrono: bool = False,
             recurrent_init: str = "uniform", callback: Any = None,
             on_eval: Any = None) -> RunResult:
    """Train one ``cell`` on task 6a until <= 1 test sequence is wrong or the budget is spent.

    ``gate_bias`` (LSTM, GRU): added to the keeping gate's bias (default
    :data:`~seqlab.reproduce._train.GATE_BIAS`: +3 forget gate, +1 update gate; ``0.0`` is
    PyTorch's initialisation); ``chrono=True``: the chrono initialisation for ``T_MAX`` =
    110 steps instead; ``recurrent_init="orthogonal"``: orthogonal recurrent blocks (the
    keeping-gate bias kept). The result's ``extra`` holds :func:`gradient_reach` at
    initialisation (``reach_init``) and after training (``gradient_reach``).
    """
    check_choice(recurrent_init, "recurrent_init", ("uniform", "orthogonal"))
    test = generate(n_test, 20_000 + seed)
    model = _model(cell, hidden, seed, gate_bias, chrono, recurrent_init)
    reach_init = gradient_reach(model, test)
    cfg = StreamConfig(max_sequences=max_sequences, batch_size=batch_size, lr=lr,
                       eval_every=eval_every, clip_norm=1.0, target_errors=1, seed=seed)
    r = train_stream(model, generate, loss, errors, test, cfg, label=cell, callback=callback,
                     on_eval=on_eval)
    r.extra.update(reach_init=reach_init, gradient_reach=gradient_reach(model, test))
    return r


def _setting(cell: str, gate_bias: float | None) -> str:
    if cell not in ("lstm", "gru"):
        return cell
    gate = "forget" if cell == "lstm" else "update"
    bias = GATE_BIAS[cell] if gate_bias is None else gate_bias
    return f"{cell} {gate} bias {bias:+g}" if bias else f"{cell} default init"


def run(budget: str = "quick", *, seed: int = 0) -> Report:
    """Every cell of ``budget`` on task 6a; the comparison with HS97.

    ``budget["ablations"]`` adds (cell, keeping-gate bias) runs, e.g. the gated cells without
    the bias (PyTorch's initialisation), which fail: the row that explains the others.
    """
    b = BUDGETS[budget]
    t0 = time.perf_counter()
    rows, wrong = [], {}
    runs = [(c, None) for c in b["cells"]] + list(b.get("ablations", ()))
    for cell, gate_bias in runs:
        r = run_cell(cell, max_sequences=b["max_sequences"], hidden=b["hidden"],
                     n_test=b["n_test"], batch_size=b["batch_size"], lr=b["lr"],
                     eval_every=b["eval_every"], seed=seed, gate_bias=gate_bias)
        setting = _setting(cell, gate_bias)
        wrong[setting] = r.test_errors
        paper = (f"LSTM {PAPER[0]}/2560 wrong after {PAPER[1]:,} seqs"
                 if setting == _setting("lstm", None)
                 else "RNN/BPTT etc.: not reported (fail on Exp. 4-6)" if cell == "elman" else "-")
        state = "" if r.solved else "not solved: "
        ours = (f"{state}{r.test_errors}/{r.n_test} wrong after {r.sequences:,} seqs "
                f"({r.wall_time_s:.0f} s; |dL/dh_1|/|dL/dh_T| {r.extra['reach_init']:.1e} at "
                f"init, {r.extra['gradient_reach']:.1e} trained)")
        rows.append(Row(setting, paper, ours, r.as_dict()))
    order = sorted(wrong, key=lambda c: wrong[c])
    conclusion = f"wrong of {b['n_test']}: " + ", ".join(f"{c} {wrong[c]}" for c in order)
    return Report("temporal-order", "Temporal order 6a (HS97 Exp. 6a)",
                  "Hochreiter & Schmidhuber 1997", budget, rows, conclusion,
                  time.perf_counter() - t0, settings=dict(b))

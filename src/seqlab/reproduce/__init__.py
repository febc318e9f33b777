"""Reproductions of the lecture's experiments: why plain RNNs fail and gates win.

Each reproduction is one module with a ``run(budget, seed) -> Report`` function; the
registry below names them without importing them (so ``seqlab reproduce --list`` is fast).

========================= ==============================================================
name                      experiment
========================= ==============================================================
``adding``                HS97 Exp. 4: LSTM, GRU, Elman, leaky, skip at T = 100 (and 500)
``temporal-order``        HS97 Exp. 6a: LSTM, GRU and Elman on temporal order
``pascanu``               Pascanu et al. 2013: Elman (50 tanh, rho = 0.95) with/without
                          clipping and the regularizer, success rate over seeds
``esn-adding``            an echo state network (fixed reservoir) on the adding problem
``chung2014``             Chung et al. 2014: tanh-RNN, GRU and LSTM (~22k parameters) on
                          Bach chorales (music21), NLL per frame, learning curves
========================= ==============================================================

Budgets: ``"quick"`` (a few minutes on 2 cores; the adding problem at T = 20, where gated
cells already solve it and Elman already fails; the temporal-order runs are too short to
learn anything and only exercise the code) and ``"full"`` (the papers' lengths and
sequence counts, run from ``benchmarks/reproduce.py``; each module's docstring gives the
measured times -- the adding problem at T = 100 and 500 took 24 minutes on one core).

>>> [r.name for r in list_reproductions()]
['adding', 'temporal-order', 'pascanu', 'esn-adding', 'chung2014']
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from seqlab._validation import check_choice

if TYPE_CHECKING:
    from seqlab.reproduce._report import Report

__all__ = ["BUDGETS", "REPRODUCTIONS", "ReproductionInfo", "list_reproductions",
           "run_reproduction"]

Budget = Literal["quick", "full"]
BUDGETS = ("quick", "full")


@dataclass(frozen=True)
class ReproductionInfo:
    """A registry entry: name, one-line description, the paper, and the module running it."""

    name: str
    description: str
    source: str
    module: str


REPRODUCTIONS: dict[str, ReproductionInfo] = {
    info.name: info
    for info in (
        ReproductionInfo(
            "adding", "adding problem: LSTM/GRU reach <= 1 wrong of 2560, Elman fails",
            "Hochreiter & Schmidhuber 1997, Neural Computation 9(8), Exp. 4 (Table 7)",
            "seqlab.reproduce.adding"),
        ReproductionInfo(
            "temporal-order", "temporal order 6a: gated cells solve it, Elman does not",
            "Hochreiter & Schmidhuber 1997, Exp. 6a (Table 9)",
            "seqlab.reproduce.temporal_order"),
        ReproductionInfo(
            "pascanu", "Elman on temporal order with/without clipping and the regularizer",
            "Pascanu, Mikolov & Bengio 2013, ICML, Section 4.1 (Fig. 7)",
            "seqlab.reproduce.pascanu"),
        ReproductionInfo(
            "esn-adding", "echo state network (fixed reservoir) on the adding problem",
            "Jaeger 2001 (GMD 148) as a baseline for HS97 Exp. 4",
            "seqlab.reproduce.esn_adding"),
        ReproductionInfo(
            "chung2014", "JSB Chorales: GRU ~ LSTM < tanh-RNN in NLL per frame",
            "Chung, Gulcehre, Cho & Bengio 2014, arXiv:1412.3555, Table 2 (Figs. 2-3)",
            "seqlab.reproduce.chung2014"),
    )
}


def list_reproductions() -> list[ReproductionInfo]:
    """The registered reproductions, in the order ``seqlab reproduce --list`` shows them."""
    return list(REPRODUCTIONS.values())


def run_reproduction(name: str, budget: Budget = "quick", *, seed: int = 0,
                     out_dir: str | None = None) -> Report:
    """Run reproduction ``name`` with ``budget``; write JSON + PNG to ``out_dir`` if given.

    >>> run_reproduction("lstm-magic")
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: unknown reproduction 'lstm-magic'; valid options are: ...
    """
    info = REPRODUCTIONS[check_choice(name, "reproduction", tuple(REPRODUCTIONS))]
    check_choice(budget, "budget", BUDGETS)
    module = importlib.import_module(info.module)
    report: Report = module.run(budget, seed=seed)
    if out_dir is not None:
        report.save(out_dir)
    return report

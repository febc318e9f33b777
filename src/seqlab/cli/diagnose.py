"""``seqlab diagnose``: why plain RNNs forget and gates remember, measured in one command.

For each chosen cell and initialisation it prints, at initialisation and after a short
training run on a long-range task, the per-step decay of ``||dL/dh_t||``, how much of the
error reaches the first step, the spectral radius of the recurrent weights and of the
state-to-state Jacobians, and the gain ``||J_T ... J_2||``
(:func:`seqlab.diagnostics.diagnose.diagnose`); ``--plot`` draws the curves of every
configuration in one figure, ``--json`` writes the numbers.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args
from seqlab.cli._paths import check_output_file, check_plot_file

__all__ = ["DiagnoseConfig", "add_parser"]

_LEGEND = """\
decay/step  geometric rate of mean ||dL/dh_t|| per step back in time (< 1: vanishing)
reach 1<-T  mean ||dL/dh_1|| / mean ||dL/dh_T||: the share of the error left at step 1
rho(W)      spectral radius of the state-carrying recurrent block (Elman W_hh, LSTM W_hg,
            GRU W_hn); a tanh Elman net with sigma_max(W_hh) < 1 must vanish (Pascanu 2013)
rho(J)      mean spectral radius of J_t = d state_t / d state_(t-1) along one sequence
log10 gain  log10 ||J_T ... J_2||: how strongly the first step still moves the last state"""


@dataclass
class DiagnoseConfig:
    """Options of ``seqlab diagnose``."""

    cells: tuple[str, ...] = field(
        default=("elman", "lstm", "gru"),
        metadata={"help": "cells: elman leaky skip lstm gru"},
    )
    init: tuple[str, ...] = field(
        default=("default",),
        metadata={"help": "initialisations: default forget1 forget3 chrono orthogonal identity"},
    )
    task: str = field(default="adding", metadata={"help": "adding or temporal-order"})
    length: int | None = field(
        default=None, metadata={"help": "sequence length (adding; default 100)"}
    )
    hidden_size: int = field(default=32, metadata={"help": "units", "aliases": ["--hidden"]})
    batch: int = field(default=32, metadata={"help": "sequences in the probe and train batches"})
    train_steps: int = field(default=100, metadata={"help": "Adam steps before the 2nd look"})
    lr: float = field(default=1e-3, metadata={"help": "learning rate of the short run"})
    seed: int = field(default=0, metadata={"help": "random seed"})
    plot: str | None = field(default=None, metadata={"help": "save a figure to this file"})
    json: str | None = field(default=None, metadata={"help": "write the numbers to this file"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab diagnose``."""
    parser = subparsers.add_parser(
        "diagnose",
        help="gradient flow through time per cell and initialisation (vanishing/exploding)",
        description="Measure how far the error reaches back in time for each cell and "
        "initialisation, at initialisation and after a short training run.",
    )
    add_dataclass_arguments(parser, DiagnoseConfig)
    parser.set_defaults(func=_cmd_diagnose)


def _cmd_diagnose(args: argparse.Namespace) -> int:
    import json

    from seqlab.diagnostics.diagnose import diagnose
    from seqlab.io import atomic_write_text

    cfg = dataclass_from_args(DiagnoseConfig, args)
    plot = None if cfg.plot is None else check_plot_file(cfg.plot)
    out = None if cfg.json is None else check_output_file(cfg.json, "--json")
    report = diagnose(cfg.cells, cfg.init, task=cfg.task, length=cfg.length,
                      hidden_size=cfg.hidden_size, batch_size=cfg.batch,
                      train_steps=cfg.train_steps, lr=cfg.lr, seed=cfg.seed)
    print(f"task {report.task}, length {report.length}, hidden {cfg.hidden_size}, "
          f"probe batch {cfg.batch}, {cfg.train_steps} training steps\n")
    print(report.table())
    for note in report.skipped:
        print(f"skipped {note}")
    print("\n" + _LEGEND)
    if out is not None:
        atomic_write_text(out, json.dumps(report.to_dict(), indent=1) + "\n")
        print(f"numbers written to {out}")
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from seqlab.diagnostics.plots import plot_diagnostics

        fig = plot_diagnostics(report.grads, report.spectra, str(plot), report.jacobians)
        plt.close(fig)
        print(f"figure saved to {plot}")
    return 0

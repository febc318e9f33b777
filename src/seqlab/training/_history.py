"""The training log: one :class:`EpochLog` per (possibly partial) epoch, in a :class:`History`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["EpochLog", "History", "StopReason"]

#: why :meth:`seqlab.training.Trainer.fit` stopped
StopReason = Literal["epochs", "max_steps", "max_time", "early_stopping"]


@dataclass
class EpochLog:
    """One line of the per-epoch log (the last epoch may be partial: see ``History.stopped_by``).

    For a :class:`~seqlab.training.TokenStream` the losses are cross-entropies per token in
    nats, and ``train_bits`` / ``val_bits`` give them in bits per token (loss / ln 2).
    """

    epoch: int
    train_loss: float
    val_loss: float | None
    grad_norm: float  # mean pre-clip global gradient norm over the epoch's steps
    max_grad_norm: float
    regularizer: float  # mean Omega (0 when off)
    skipped_steps: int  # steps skipped for a non-finite gradient
    seconds: float
    steps: int = 0  # optimiser steps taken in this epoch
    lr: float | None = None  # learning rate of the first parameter group at the epoch's end
    train_bits: float | None = None  # token streams only: train_loss / ln 2
    val_bits: float | None = None  # token streams only: val_loss / ln 2


def bits(loss: float | None) -> float | None:
    """Nats to bits (``loss / ln 2``); None stays None."""
    return None if loss is None else loss / math.log(2.0)


@dataclass
class History:
    """What :meth:`Trainer.fit` returns: the per-epoch logs, the early-stopping outcome, why the
    run stopped (``stopped_by``: ``"epochs"``, ``"max_steps"``, ``"max_time"`` or
    ``"early_stopping"``) and the total number of optimiser steps (``steps``)."""

    epochs: list[EpochLog] = field(default_factory=list)
    best_epoch: int | None = None
    best_val_loss: float | None = None
    stopped_early: bool = False
    stopped_by: StopReason = "epochs"
    steps: int = 0

    def table(self) -> str:
        """The log as a fixed-width text table."""
        lines = [f"{'epoch':>5} {'train':>12} {'val':>12} {'grad_norm':>10} {'sec':>7}"]
        for e in self.epochs:
            val = "-" if e.val_loss is None else f"{e.val_loss:.6g}"
            lines.append(
                f"{e.epoch:>5} {e.train_loss:>12.6g} {val:>12} {e.grad_norm:>10.4g} "
                f"{e.seconds:>7.2f}"
            )
        return "\n".join(lines)

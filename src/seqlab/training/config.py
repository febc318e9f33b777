"""The training configuration: one typed dataclass, the single source of the trainer's options.

``seqlab train`` derives its flags from it (:mod:`seqlab.cli._dataclass_args`), so every
field has a type, a commented default and a ``help`` text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from seqlab._validation import check_choice, check_int, check_positive
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["TrainConfig"]

OPTIMIZERS = ("adam", "sgd", "rmsprop")  # the usual ones; any torch.optim optimizer works
SCHEDULERS = ("none", "cosine", "step", "plateau")


def _h(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass
class TrainConfig:
    """Options of :class:`seqlab.training.Trainer` (validated on creation).

    >>> TrainConfig(optimizer="sgd", lr=0.1).optimizer
    'sgd'
    >>> TrainConfig(optimizer="AdamW").optimizer  # any torch.optim optimizer, any case
    'adamw'
    >>> TrainConfig(optimizer="lbfgs")
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: unknown optimizer 'lbfgs' (it needs ...); valid ...
    """

    # optimiser (the name of any torch.optim optimizer, case-insensitive) and its step size
    optimizer: str = field(
        default="adam", metadata=_h("torch.optim optimiser: adam, adamw, sgd, rmsprop, ...")
    )
    lr: float = field(default=1e-3, metadata=_h("learning rate"))
    # momentum for optimisers that take one (sgd, rmsprop); refused by the others when > 0
    momentum: float = field(default=0.0, metadata=_h("momentum (sgd, rmsprop)"))
    weight_decay: float = field(default=0.0, metadata=_h("L2 weight decay"))
    # total number of epochs (a resumed run continues up to this number)
    epochs: int = field(default=10, metadata=_h("number of epochs"))
    # budgets: stop (mid-epoch) after this many optimiser steps in all / seconds of this fit
    max_steps: int | None = field(default=None, metadata=_h("stop after this many steps"))
    max_time: float | None = field(default=None, metadata=_h("stop after this many seconds"))
    # learning-rate schedule: cosine (to min_lr over max_steps steps, else over the epochs),
    # step (times gamma every step_size epochs), plateau (times gamma after plateau_patience
    # epochs without a better validation loss)
    scheduler: Literal["none", "cosine", "step", "plateau"] = field(
        default="none", metadata=_h("learning-rate schedule")
    )
    step_size: int = field(default=10, metadata=_h("epochs between lr decays (step)"))
    gamma: float = field(default=0.1, metadata=_h("lr decay factor (step, plateau)"))
    min_lr: float = field(default=0.0, metadata=_h("lowest lr (cosine, plateau)"))
    plateau_patience: int = field(default=5, metadata=_h("epochs without improvement (plateau)"))
    batch_size: int = field(default=32, metadata=_h("sequences per mini-batch"))
    shuffle: bool = field(default=True, metadata=_h("reshuffle the training set every epoch"))
    # remedies for exploding gradients: rescale to this global norm / clamp each component
    clip_norm: float | None = field(default=None, metadata=_h("clip the gradient's global norm"))
    clip_value: float | None = field(default=None, metadata=_h("clamp gradient components"))
    # weight of the Pascanu et al. (2013) vanishing-gradient regularizer (0 = off; Elman only)
    regularizer_alpha: float = field(default=0.0, metadata=_h("Pascanu et al. 2013 Omega weight"))
    # early stopping: stop after this many epochs without a better validation loss
    early_stopping_patience: int | None = field(
        default=None, metadata=_h("epochs without validation improvement before stopping")
    )
    min_delta: float = field(default=0.0, metadata=_h("smallest validation improvement"))
    restore_best: bool = field(default=True, metadata=_h("end with the best validation weights"))
    # fraction of the training data held out for validation when no val_data is given
    val_fraction: float = field(default=0.0, metadata=_h("validation split of the training data"))
    # seeds the shuffling generator and torch's global RNG (dropout); None: not reproducible
    seed: int | None = field(default=0, metadata=_h("random seed"))
    device: str = field(default="cpu", metadata=_h("torch device"))
    progress: bool = field(default=True, metadata=_h("show a progress bar"))
    verbose: bool = field(default=False, metadata=_h("print one log line per epoch"))
    # safetensors checkpoint written after every `checkpoint_every` epochs (None: none)
    checkpoint_path: str | None = field(default=None, metadata=_h("checkpoint file"))
    checkpoint_every: int = field(default=1, metadata=_h("epochs between checkpoints"))
    # a checkpoint (written with checkpoint_path) to continue from: model, optimiser, schedule,
    # RNG states, epoch and step counters; the run goes on up to `epochs` / `max_steps` in total
    resume_from: str | None = field(default=None, metadata=_h("continue from this checkpoint"))

    def __post_init__(self) -> None:
        if not isinstance(self.optimizer, str):
            raise SeqlabTypeError(
                f"optimizer must be the name of a torch.optim optimizer such as 'adam'; got "
                f"{self.optimizer!r} (pass an optimizer object to Trainer(optimizer=...))."
            )
        from seqlab.training._optim import check_optimizer_name, optimizer_kwargs

        self.optimizer = check_optimizer_name(self.optimizer)
        check_choice(self.scheduler, "scheduler", SCHEDULERS)
        check_int(self.step_size, "step_size", minimum=1)
        check_int(self.plateau_patience, "plateau_patience", minimum=1)
        gamma = check_positive(self.gamma, "gamma")
        if not gamma < 1.0:
            raise SeqlabValueError(f"gamma must be in (0, 1); got {self.gamma!r}.")
        check_positive(self.min_lr, "min_lr", strict=False)
        if self.max_steps is not None:
            check_int(self.max_steps, "max_steps", minimum=1)
        if self.max_time is not None:
            check_positive(self.max_time, "max_time")
        check_positive(self.lr, "lr")
        check_positive(self.momentum, "momentum", strict=False)
        check_positive(self.weight_decay, "weight_decay", strict=False)
        optimizer_kwargs(self)  # a momentum / weight decay the optimiser does not take
        check_int(self.epochs, "epochs", minimum=0)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_int(self.checkpoint_every, "checkpoint_every", minimum=1)
        for name in ("clip_norm", "clip_value"):
            if getattr(self, name) is not None:
                check_positive(getattr(self, name), name)
        check_positive(self.regularizer_alpha, "regularizer_alpha", strict=False)
        check_positive(self.min_delta, "min_delta", strict=False)
        if self.early_stopping_patience is not None:
            check_int(self.early_stopping_patience, "early_stopping_patience", minimum=1)
        val = check_positive(self.val_fraction, "val_fraction", strict=False)
        if not val < 1.0:
            raise SeqlabValueError(f"val_fraction must be in [0, 1); got {self.val_fraction!r}.")
        if self.seed is not None:
            check_int(self.seed, "seed", minimum=0)
        for name in ("shuffle", "restore_best", "progress", "verbose"):
            _check_bool(getattr(self, name), name)
        # the name itself is checked where torch is imported (the CLI, the Trainer)
        if not isinstance(self.device, str) or not self.device.strip():
            raise SeqlabTypeError(
                f"device must be a torch device name such as 'cpu', 'cuda' or 'cuda:1'; got "
                f"{self.device!r}."
            )
        for name in ("checkpoint_path", "resume_from"):
            path = getattr(self, name)
            if path is not None and (not isinstance(path, str | os.PathLike) or not str(path)):
                raise SeqlabTypeError(f"{name} must be a file path (str) or None; got {path!r}.")


def _check_bool(value: Any, name: str) -> None:
    if not isinstance(value, bool):
        raise SeqlabTypeError(f"{name} must be True or False; got {value!r}.")

"""Helpers of the training loop: budgets, recurrent state, the Pascanu layer, epoch statistics."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import torch
from torch import Tensor, nn

from seqlab.exceptions import DivergenceError, SeqlabTypeError, SeqlabValueError
from seqlab.training._history import StopReason
from seqlab.training.regularizers import hidden_deltas, pascanu_regularizer

__all__ = [
    "Budget",
    "EpochStats",
    "call_stream",
    "detach_state",
    "find_elman_layer",
    "lr_of",
    "omega_of",
    "padding_mask",
]

Nonlinearity = Literal["tanh", "relu", "identity"]


def detach_state(state: Any) -> Any:
    """``state`` (a tensor, or nested tuples/lists of tensors) cut from its graph."""
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, tuple | list):
        return type(state)(detach_state(s) for s in state)
    return state


class Budget:
    """``max_steps`` (optimiser steps in all, a resumed run included) and ``max_time``
    (seconds since this ``fit`` started)."""

    def __init__(self, max_steps: int | None, max_time: float | None) -> None:
        self.max_steps, self.max_time = max_steps, max_time
        self.t0 = time.perf_counter()

    def reached(self, step: int, check_time: bool = True) -> StopReason | None:
        """The limit reached after ``step`` steps, or None."""
        if self.max_steps is not None and step >= self.max_steps:
            return "max_steps"
        if not check_time:
            return None
        if self.max_time is not None and time.perf_counter() - self.t0 >= self.max_time:
            return "max_time"
        return None


@dataclass
class EpochStats:
    """Running sums of one epoch (losses weighted by sequences, or tokens for a stream)."""

    total: float = 0.0
    omega: float = 0.0
    weight: int = 0
    steps: int = 0
    skipped: int = 0
    first_bad: float = math.nan
    norms: list[float] = field(default_factory=list)

    def skip(self, loss: float) -> None:
        """Count a step skipped for a non-finite gradient."""
        if self.skipped == 0:
            self.first_bad = loss
        self.skipped += 1

    def add(self, loss: float, omega: float, norm: float, weight: int) -> None:
        """Count a step taken."""
        self.total += loss * weight
        self.omega += omega * weight
        self.weight += weight
        self.steps += 1
        self.norms.append(norm)

    def result(self, epoch: int) -> tuple[float, float, float, float]:
        """(mean loss, mean Omega, mean and max gradient norm) over the steps taken."""
        if self.weight == 0:
            raise DivergenceError(
                f"epoch {epoch}: all {self.skipped} steps had a non-finite gradient (first "
                f"loss {self.first_bad:.6g}), so no step was taken and there is no training "
                "loss to report. Look for NaN/inf in the inputs or targets; if the model "
                "diverged, lower lr or set clip_norm."
            )
        norms = self.norms
        return (self.total / self.weight, self.omega / self.weight,
                float(np.mean(norms)), float(max(norms)))


def padding_mask(pred: Tensor, lengths: Tensor | None) -> Tensor | None:
    """The (B, T) mask of real steps for per-step outputs; None for one output per sequence
    (pattern 3) or no padding."""
    if lengths is None or pred.dim() < 3:
        return None
    steps = pred.shape[1]
    return torch.arange(steps, device=pred.device)[None, :] < lengths[:, None].to(pred.device)


def omega_of(loss: Tensor, h_all: Tensor, w_hh: Tensor, nonlin: Nonlinearity,
             mask: Tensor | None) -> Tensor:
    """Pascanu et al.'s Omega from the Elman layer's captured states (see regularizers)."""
    direct = torch.autograd.grad(loss, h_all, retain_graph=True, allow_unused=True)[0]
    if direct is None:
        direct = torch.zeros_like(h_all)
    deltas = hidden_deltas(direct, h_all.detach(), w_hh.detach(), nonlin, mask)
    return pascanu_regularizer(h_all, w_hh, deltas, nonlin, mask)


def find_elman_layer(model: nn.Module) -> tuple[nn.Module, Tensor, Nonlinearity]:
    """The single-layer, unidirectional Elman layer the Pascanu regularizer applies to."""
    for mod in model.modules():
        if getattr(mod, "cell_type", None) == "elman" and hasattr(mod, "cells"):
            if getattr(mod, "num_layers", 1) != 1 or getattr(mod, "bidirectional", False):
                break
            cells: Any = mod.cells
            nonlin = str(getattr(mod, "nonlinearity", "tanh"))
            if nonlin not in ("tanh", "relu", "identity"):
                break
            return mod, cells[0].weight_hh, cast(Nonlinearity, nonlin)
    raise SeqlabValueError(
        "regularizer_alpha > 0 needs a model with one single-layer, unidirectional Elman "
        "recurrent layer (e.g. SequenceTagger(cell='elman')); Pascanu et al.'s Omega is "
        "defined here for h_t = f(W_ih x_t + W_hh h_{t-1} + b). Set regularizer_alpha=0."
    )


def stream_output(out: Any) -> tuple[Tensor, Any]:
    """``(pred, state)`` from ``model(x, state=..., return_state=True)``, checked."""
    if not (isinstance(out, tuple | list) and len(out) == 2 and isinstance(out[0], Tensor)):
        raise SeqlabValueError(
            "training on a TokenStream calls model(x, state=state, return_state=True), which "
            f"must return (predictions, state); {type(out).__name__} came back. Use a model "
            "with that protocol (e.g. SequenceTagger) or wrap yours."
        )
    return out[0], out[1]


def call_stream(model: nn.Module, x: Tensor, state: Any) -> tuple[Tensor, Any]:
    """``model(x, state=<detached state>, return_state=True)`` -> ``(pred, new state)``."""
    try:
        out = model(x, state=detach_state(state), return_state=True)
    except TypeError as err:
        if "state" not in str(err):
            raise
        raise SeqlabTypeError(
            f"training on a TokenStream calls model(x, state=state, return_state=True), "
            f"which {type(model).__name__} does not take ({err}); use a model with "
            "that protocol (e.g. SequenceTagger) or wrap yours."
        ) from None
    return stream_output(out)


def lr_of(optimizer: torch.optim.Optimizer) -> float:
    """The learning rate of the first parameter group."""
    return float(optimizer.param_groups[0]["lr"])

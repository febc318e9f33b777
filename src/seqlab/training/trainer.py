"""One training loop for every neural model of seqlab.

Protocol (small on purpose):

- **data** is ``(x, y)`` or ``(x, y, lengths)`` (tensors or arrays with the same first axis
  N), or an object with attributes ``X``, ``y`` and optionally ``lengths`` (the synthetic
  tasks of :mod:`seqlab.data.synthetic`);
- **forward** ``(model, x, y, lengths) -> pred``; the default calls ``model(x)`` (with
  ``lengths=`` when given) and, for the output-feedback pattern (a model with a
  ``shift_targets`` method), ``model(x, model.shift_targets(y))``: **teacher forcing**;
- **loss** ``(pred, target, mask) -> scalar``: ``"mse"`` and ``"cross_entropy"`` handle the
  three patterns (per-step outputs (B, T, ...) with the (B, T) mask built from ``lengths``;
  one output (B, ...) with ``mask=None``), or pass any callable.

Each step: forward, loss (+ ``regularizer_alpha`` * Omega of Pascanu et al. 2013),
backward, clipping (by value, then by global norm; the pre-clip norm is logged), optimiser
step, then each ``callbacks`` entry as ``callback(step, model)``. A step whose gradient is
not finite is skipped (counted in the log; the epoch's loss is the mean over the steps
taken, and an epoch whose every step is skipped raises :class:`DivergenceError`). Each epoch:
validation loss, early stopping, one :class:`EpochLog`, optional checkpoint. A checkpoint
holds model, optimiser, RNG states and the loop's own state, so a resumed run gives
bit-identical results.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

import numpy as np
import torch
from torch import Tensor, nn

from seqlab.exceptions import DivergenceError, SeqlabTypeError, SeqlabValueError
from seqlab.training.checkpoint import load_checkpoint, save_checkpoint
from seqlab.training.clipping import clip_grad_norm, clip_grad_value, grad_norm
from seqlab.training.config import TrainConfig
from seqlab.training.losses import LOSSES, LossFn, default_forward
from seqlab.training.regularizers import hidden_deltas, pascanu_regularizer

__all__ = [
    "EpochLog",
    "History",
    "TrainConfig",
    "Trainer",
    "train",
]

ForwardFn = Callable[[nn.Module, Tensor, Tensor, Tensor | None], Tensor]
Batch = tuple[Tensor, Tensor, Tensor | None]
Nonlinearity = Literal["tanh", "relu", "identity"]
#: called as ``callback(step, model)`` after every optimiser step (e.g. a
#: :class:`seqlab.diagnostics.GradientMonitor`, which measures every N steps)
StepCallback = Callable[[int, nn.Module], Any]


# ------------------------------------------------------------------ logs
@dataclass
class EpochLog:
    """One line of the per-epoch log."""

    epoch: int
    train_loss: float
    val_loss: float | None
    grad_norm: float  # mean pre-clip global gradient norm over the epoch's steps
    max_grad_norm: float
    regularizer: float  # mean Omega (0 when off)
    skipped_steps: int  # steps skipped for a non-finite gradient
    seconds: float


@dataclass
class History:
    """What :meth:`Trainer.fit` returns: the per-epoch logs and the early-stopping outcome."""

    epochs: list[EpochLog] = field(default_factory=list)
    best_epoch: int | None = None
    best_val_loss: float | None = None
    stopped_early: bool = False

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


# ------------------------------------------------------------------ data
def _as_tensor(a: Any, name: str) -> Tensor:
    t = a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))
    if t.dim() == 0:
        raise SeqlabValueError(f"{name} must have a first (sequence) axis; got a scalar.")
    return t


def as_dataset(data: Any, name: str = "train_data") -> Batch:
    """Normalise ``data`` to ``(x, y, lengths-or-None)`` tensors (see the module docstring)."""
    if hasattr(data, "X") and hasattr(data, "y"):
        parts = (data.X, data.y, getattr(data, "lengths", None))
    elif isinstance(data, tuple | list) and len(data) in (2, 3):
        parts = (data[0], data[1], data[2] if len(data) == 3 else None)
    else:
        raise SeqlabTypeError(
            f"{name} must be (x, y), (x, y, lengths) or an object with X and y "
            f"attributes; got {type(data).__name__}."
        )
    x, y = _as_tensor(parts[0], f"{name} x"), _as_tensor(parts[1], f"{name} y")
    lengths = None if parts[2] is None else _as_tensor(parts[2], f"{name} lengths").long()
    n = x.shape[0]
    for label, t in (("y", y), ("lengths", lengths)):
        if t is not None and t.shape[0] != n:
            raise SeqlabValueError(f"{name}: x has {n} sequences but {label} has {t.shape[0]}.")
    if n == 0:
        raise SeqlabValueError(f"{name} is empty.")
    return x, y, lengths


def _subset(d: Batch, idx: Tensor) -> Batch:
    return d[0][idx], d[1][idx], None if d[2] is None else d[2][idx]


def _find_elman_layer(model: nn.Module) -> tuple[nn.Module, Tensor, Nonlinearity]:
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


# ------------------------------------------------------------------ the loop
class Trainer:
    """Trains ``model`` with ``config``; see the module docstring for the protocol.

    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 1))
    >>> x = torch.randn(64, 3, 1); y = x.sum(dim=(1, 2))
    >>> cfg = TrainConfig(epochs=50, lr=0.1, progress=False)
    >>> hist = Trainer(model, cfg, loss="mse").fit((x, y))
    >>> hist.epochs[-1].train_loss < 1e-3
    True
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig | None = None,
        loss: str | LossFn = "mse",
        forward: ForwardFn | None = None,
        callbacks: Sequence[StepCallback] = (),
    ) -> None:
        if not isinstance(model, nn.Module):
            raise SeqlabTypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
        if config is not None and not isinstance(config, TrainConfig):
            raise SeqlabTypeError(f"config must be a TrainConfig (e.g. TrainConfig(**options)); "
                                  f"got {type(config).__name__}.")
        if forward is not None and not callable(forward):
            raise SeqlabTypeError(
                f"forward must be a callable or None; got {type(forward).__name__}."
            )
        if isinstance(callbacks, str) or not isinstance(callbacks, Iterable):
            raise SeqlabTypeError(f"callbacks must be a sequence of callables; got "
                                  f"{type(callbacks).__name__}.")
        self.config = config if config is not None else TrainConfig()
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not callable(cb):
                raise SeqlabTypeError(f"each callback must be a callable (step, model); got "
                                f"{type(cb).__name__}.")
        if isinstance(loss, str):
            if loss not in LOSSES:
                raise SeqlabValueError(
                    f"unknown loss {loss!r}; valid options are: "
                    f"{', '.join(map(repr, LOSSES))}, or a callable."
                )
            self.loss_fn: LossFn = LOSSES[loss]
        elif callable(loss):
            self.loss_fn = loss
        else:
            raise SeqlabTypeError(f"loss must be a name or a callable; got {type(loss).__name__}.")
        self.forward = forward if forward is not None else default_forward
        self.device = torch.device(self.config.device)
        self.model = model.to(self.device)
        self.params = [p for p in model.parameters() if p.requires_grad]
        if not self.params:
            raise SeqlabValueError("model has no trainable parameters.")
        self.optimizer = self._make_optimizer()
        self.generator = torch.Generator()
        if self.config.seed is not None:
            self.generator.manual_seed(self.config.seed)
            torch.manual_seed(self.config.seed)  # dropout and other global draws
        self.epoch = 0
        self.step = 0  # optimiser steps taken (skipped non-finite steps do not count)
        self.history = History()
        self._bad_epochs = 0
        self._best_state: dict[str, Tensor] | None = None
        self._captured: list[Tensor] = []

    def _make_optimizer(self) -> torch.optim.Optimizer:
        c = self.config
        if c.optimizer == "adam":
            return torch.optim.Adam(self.params, lr=c.lr, weight_decay=c.weight_decay)
        if c.optimizer == "sgd":
            return torch.optim.SGD(
                self.params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay
            )
        return torch.optim.RMSprop(
            self.params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay
        )

    # -------------------------------------------------------------- one step
    def _mask(self, pred: Tensor, lengths: Tensor | None) -> Tensor | None:
        if lengths is None or pred.dim() < 3:
            return None  # one output per sequence (pattern 3), or no padding
        steps = pred.shape[1]
        return torch.arange(steps, device=pred.device)[None, :] < lengths[:, None].to(pred.device)

    def _loss(self, batch: Batch) -> tuple[Tensor, Tensor | None]:
        x, y, lengths = (None if t is None else t.to(self.device) for t in batch)
        assert x is not None and y is not None
        dtype = self.params[0].dtype
        x = x.to(dtype) if x.is_floating_point() else x
        y = y.to(dtype) if y.is_floating_point() else y
        pred = self.forward(self.model, x, y, lengths)
        mask = self._mask(pred, lengths)
        return self.loss_fn(pred, y, mask), mask

    def _omega(self, loss: Tensor, mask: Tensor | None) -> Tensor:
        """Pascanu et al.'s Omega from the Elman layer's captured states (see regularizers)."""
        h_all = self._captured[-1]
        direct = torch.autograd.grad(loss, h_all, retain_graph=True, allow_unused=True)[0]
        if direct is None:
            direct = torch.zeros_like(h_all)
        deltas = hidden_deltas(direct, h_all.detach(), self._w_hh.detach(), self._nonlin, mask)
        return pascanu_regularizer(h_all, self._w_hh, deltas, self._nonlin, mask)

    def _train_epoch(self, data: Batch) -> tuple[float, list[float], float, int]:
        c = self.config
        self.model.train()
        n = data[0].shape[0]
        order = torch.randperm(n, generator=self.generator) if c.shuffle else torch.arange(n)
        total, norms, omega_sum, skipped, taken = 0.0, [], 0.0, 0, 0
        first_bad = math.nan
        for start in range(0, n, c.batch_size):
            batch = _subset(data, order[start : start + c.batch_size])
            self.optimizer.zero_grad(set_to_none=True)
            self._captured.clear()
            loss, mask = self._loss(batch)
            objective, omega_val = loss, 0.0
            if c.regularizer_alpha > 0:
                omega = self._omega(loss, mask)
                omega_val = float(omega.detach())
                objective = loss + c.regularizer_alpha * omega
            objective.backward()
            if c.clip_value is not None:
                norm = clip_grad_value(self.params, c.clip_value)
                if c.clip_norm is not None:
                    clip_grad_norm(self.params, c.clip_norm)
            elif c.clip_norm is not None:
                norm = clip_grad_norm(self.params, c.clip_norm)
            else:
                norm = grad_norm(self.params)
            if not math.isfinite(norm):
                first_bad = float(loss.detach()) if skipped == 0 else first_bad
                skipped += 1
                continue
            self.optimizer.step()
            self.step += 1
            for cb in self.callbacks:
                cb(self.step, self.model)
            norms.append(norm)
            total += float(loss.detach()) * len(batch[0])
            omega_sum += omega_val * len(batch[0])
            taken += len(batch[0])
        if taken == 0:
            raise DivergenceError(
                f"epoch {self.epoch + 1}: all {skipped} steps had a non-finite gradient (first "
                f"loss {first_bad:.6g}), so no step was taken and there is no training loss to "
                "report. Look for NaN/inf in the inputs or targets; if the model diverged, "
                "lower lr or set clip_norm."
            )
        # mean over the sequences of the steps actually taken (skipped steps are only counted)
        return total / taken, norms, omega_sum / taken, skipped

    @torch.no_grad()
    def evaluate(self, data: Any) -> float:
        """Mean loss over ``data`` (same formats as training data), in eval mode."""
        d = as_dataset(data, "data")
        self.model.eval()
        n, total = d[0].shape[0], 0.0
        for start in range(0, n, self.config.batch_size):
            idx = torch.arange(start, min(start + self.config.batch_size, n))
            loss, _ = self._loss(_subset(d, idx))
            total += float(loss) * len(idx)
        return total / n

    # -------------------------------------------------------------- epochs
    def fit(self, train_data: Any, val_data: Any = None) -> History:
        """Train up to ``config.epochs`` epochs in total (a resumed trainer continues)."""
        from tqdm.auto import tqdm

        c = self.config
        data = as_dataset(train_data)
        val = None if val_data is None else as_dataset(val_data, "val_data")
        if val is None and c.val_fraction > 0:
            n = data[0].shape[0]
            n_val = max(1, round(c.val_fraction * n))
            if n_val >= n:
                raise SeqlabValueError(f"val_fraction={c.val_fraction} leaves no training data.")
            perm = torch.randperm(n, generator=torch.Generator().manual_seed(c.seed or 0))
            data, val = _subset(data, perm[n_val:]), _subset(data, perm[:n_val])
        hook = None
        if c.regularizer_alpha > 0:
            layer, self._w_hh, self._nonlin = _find_elman_layer(self.model)
            hook = layer.register_forward_hook(
                lambda _m, _i, out: self._captured.append(out[0] if isinstance(out, tuple) else out)
            )
        bar = tqdm(range(self.epoch, c.epochs), disable=not c.progress, desc="train", unit="epoch")
        try:
            for _ in bar:
                t0 = time.perf_counter()
                train_loss, norms, omega, skipped = self._train_epoch(data)
                val_loss = None if val is None else self.evaluate(val)
                self.epoch += 1
                log = EpochLog(
                    self.epoch,
                    train_loss,
                    val_loss,
                    float(np.mean(norms)) if norms else math.nan,
                    max(norms) if norms else math.nan,
                    omega,
                    skipped,
                    time.perf_counter() - t0,
                )
                self.history.epochs.append(log)
                stop = self._early_stopping(val_loss)
                bar.set_postfix(
                    loss=f"{train_loss:.4g}", val="-" if val_loss is None else f"{val_loss:.4g}"
                )
                if c.verbose:
                    tqdm.write(
                        f"epoch {log.epoch}: loss {train_loss:.6g} val {val_loss} "
                        f"grad_norm {log.grad_norm:.4g}"
                    )
                if c.checkpoint_path and (
                    self.epoch % c.checkpoint_every == 0 or stop or self.epoch == c.epochs
                ):
                    self.save(c.checkpoint_path)
                if stop:
                    self.history.stopped_early = True
                    break
        finally:
            bar.close()
            if hook is not None:
                hook.remove()
        if c.restore_best and self._best_state is not None:
            self.model.load_state_dict(self._best_state)
        return self.history

    def _early_stopping(self, val_loss: float | None) -> bool:
        if val_loss is None:
            return False
        h = self.history
        if h.best_val_loss is None or val_loss < h.best_val_loss - self.config.min_delta:
            h.best_val_loss, h.best_epoch, self._bad_epochs = val_loss, self.epoch, 0
            self._best_state = copy.deepcopy(self.model.state_dict())
            return False
        self._bad_epochs += 1
        patience = self.config.early_stopping_patience
        return patience is not None and self._bad_epochs >= patience

    # -------------------------------------------------------------- checkpoints
    def save(self, path: str) -> None:
        """Checkpoint model, optimiser, RNG states, epoch, history and early-stopping state."""
        extra = {f"best/{k}": v for k, v in (self._best_state or {}).items()}
        info = {
            "history": [asdict(e) for e in self.history.epochs],
            "best_epoch": self.history.best_epoch,
            "best_val_loss": self.history.best_val_loss,
            "bad_epochs": self._bad_epochs,
            "step": self.step,
            "config": asdict(self.config),
        }
        rng = {"torch": torch.get_rng_state(), "shuffle": self.generator.get_state()}
        save_checkpoint(
            path, self.model, self.optimizer, epoch=self.epoch, rng=rng, extra=extra, info=info
        )

    def load(self, path: str) -> None:
        """Restore a :meth:`save` checkpoint so that :meth:`fit` continues where it stopped."""
        ck = load_checkpoint(path, self.model, self.optimizer)
        self.epoch = ck.epoch
        self.history = History(
            [EpochLog(**e) for e in ck.info.get("history", [])],
            ck.info.get("best_epoch"),
            ck.info.get("best_val_loss"),
        )
        self._bad_epochs = int(ck.info.get("bad_epochs", 0))
        self.step = int(ck.info.get("step", 0))
        best = {k[len("best/") :]: v for k, v in ck.extra.items() if k.startswith("best/")}
        self._best_state = best or None
        if "torch" in ck.rng:
            torch.set_rng_state(ck.rng["torch"])
        if "shuffle" in ck.rng:
            self.generator.set_state(ck.rng["shuffle"])


def train(
    model: nn.Module,
    train_data: Any,
    val_data: Any = None,
    *,
    loss: str | LossFn = "mse",
    config: TrainConfig | None = None,
    forward: ForwardFn | None = None,
    resume_from: str | None = None,
    callbacks: Sequence[StepCallback] = (),
) -> History:
    """Train ``model`` in one call: ``Trainer(model, config, loss, forward).fit(...)``.

    ``resume_from`` loads a checkpoint first (training continues up to ``config.epochs``).

    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(2, 1))
    >>> data = (torch.randn(32, 2, 1), torch.randn(32))
    >>> len(train(model, data, config=TrainConfig(epochs=2, progress=False)).epochs)
    2
    """
    trainer = Trainer(model, config, loss, forward, callbacks)
    if resume_from is not None:
        trainer.load(resume_from)
    return trainer.fit(train_data, val_data)

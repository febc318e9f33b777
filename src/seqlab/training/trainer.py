"""One training loop for every neural model of seqlab.

Protocol (small on purpose):

- **data** is ``(x, y)`` or ``(x, y, lengths)`` (tensors or arrays with the same first axis
  N), or an object with attributes ``X``, ``y`` and optionally ``lengths`` (the synthetic
  tasks of :mod:`seqlab.data.synthetic`), or any re-iterable (a list, a
  ``torch.utils.data.DataLoader``) yielding such batches, iterated again each epoch in its
  own order, or a :class:`TokenStream` (stateful truncated BPTT, below);
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
validation loss, schedule step, early stopping, one :class:`EpochLog`, optional checkpoint.
``max_steps`` / ``max_time`` stop the run mid-epoch (that partial epoch is validated, logged,
counted and checkpointed); ``History.stopped_by`` says which limit ended the run.

**Token streams.** With a :class:`TokenStream` as training data each chunk is fed as
``pred, state = model(x, state=state, return_state=True)`` (pred ``(B, l, V)``); the state
is detached between chunks (truncated BPTT), reset to None at each epoch start, and the
data are never shuffled; the default loss is the cross-entropy per token, averaged over
tokens, and the logs also give it in bits per token. :meth:`Trainer.evaluate` carries the
state across a stream's chunks in the same way. A checkpoint
holds model, optimiser, RNG states and the loop's own state, so a resumed run gives
bit-identical results.

**Data-parallel.** In a process started by ``torchrun`` or ``seqlab train --nproc`` (``RANK``
and ``WORLD_SIZE`` set) the model is wrapped in ``DistributedDataParallel`` and each process
trains on its share of every global batch of ``batch_size`` rows, weighted so that the steps
equal one process's on that batch; rank 0 alone writes checkpoints (see
:mod:`seqlab.training._ddp`).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.training import _ddp
from seqlab.training._data import (
    Batch,
    BatchData,
    TensorData,
    as_data,
    as_dataset,
    prepare,
)
from seqlab.training._device import check_device
from seqlab.training._history import EpochLog, History, StopReason, bits
from seqlab.training._loop import (
    Budget,
    EpochStats,
    call_stream,
    find_elman_layer,
    lr_of,
    omega_of,
    padding_mask,
)
from seqlab.training._optim import make_optimizer, make_scheduler, per_step, step_scheduler
from seqlab.training._state import load_trainer, save_trainer
from seqlab.training._stream import TokenStream
from seqlab.training.clipping import clip_grad_norm, clip_grad_value, grad_norm
from seqlab.training.config import TrainConfig
from seqlab.training.losses import LOSSES, LossFn, default_forward

__all__ = [
    "EpochLog",
    "History",
    "TokenStream",
    "TrainConfig",
    "Trainer",
    "train",
]

ForwardFn = Callable[[nn.Module, Tensor, Tensor, Tensor | None], Tensor]
#: called as ``callback(step, model)`` after every optimiser step (e.g. a
#: :class:`seqlab.diagnostics.GradientMonitor`, which measures every N steps)
StepCallback = Callable[[int, nn.Module], Any]
#: one training step's input: a padded batch, or a stream chunk (x, y)
Step = Batch | tuple[Tensor, Tensor]

_ = as_dataset  # re-exported: ``from seqlab.training.trainer import as_dataset``


class Trainer:
    """Trains ``model`` with ``config``; see the module docstring for the protocol.

    ``loss`` defaults to ``"mse"``, or ``"cross_entropy"`` for a :class:`TokenStream`.
    ``optimizer`` (a ``torch.optim.Optimizer`` on the model's parameters, or a
    ``callable(params) -> Optimizer``) replaces ``config.optimizer``; ``scheduler`` (an
    object with ``step()``, or a ``callable(optimizer)``) replaces ``config.scheduler`` and is
    stepped once per epoch (``step(val_loss)`` for ``ReduceLROnPlateau``).

    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 1))
    >>> x = torch.randn(64, 3, 1); y = x.sum(dim=(1, 2))
    >>> cfg = TrainConfig(epochs=50, lr=0.1, progress=False)
    >>> hist = Trainer(model, cfg, loss="mse").fit((x, y))
    >>> hist.epochs[-1].train_loss < 1e-3, hist.stopped_by
    (True, 'epochs')
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig | None = None,
        loss: str | LossFn | None = None,
        forward: ForwardFn | None = None,
        callbacks: Sequence[StepCallback] = (),
        *,
        optimizer: Any = None,
        scheduler: Any = None,
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
        self._loss_given = loss is not None
        if loss is None or isinstance(loss, str):
            name = "mse" if loss is None else loss
            if name not in LOSSES:
                raise SeqlabValueError(
                    f"unknown loss {name!r}; valid options are: "
                    f"{', '.join(map(repr, LOSSES))}, or a callable."
                )
            self.loss_fn: LossFn = LOSSES[name]
        elif callable(loss):
            self.loss_fn = loss
        else:
            raise SeqlabTypeError(f"loss must be a name or a callable; got {type(loss).__name__}.")
        self._forward_given = forward is not None
        self.forward = forward if forward is not None else default_forward
        # data-parallel under torchrun / --nproc (see seqlab.training._ddp), else None
        self.dist = _ddp.detect(self.config.device)
        self.device = check_device(self.config.device) if self.dist is None else self.dist.device
        self.model = model.to(self.device)
        self.params = [p for p in model.parameters() if p.requires_grad]
        if not self.params:
            raise SeqlabValueError("model has no trainable parameters.")
        self.optimizer = make_optimizer(self.params, self.config, optimizer)
        self._base_lrs = [float(g["lr"]) for g in self.optimizer.param_groups]
        self._scheduler_given = scheduler is not None
        self.scheduler = make_scheduler(self.optimizer, self.config, scheduler)
        self._step_sched = per_step(self.scheduler, self.config, self._scheduler_given)
        self.generator = torch.Generator()
        if self.config.seed is not None:
            self.generator.manual_seed(self.config.seed)
            rank = 0 if self.dist is None else self.dist.rank
            torch.manual_seed(_ddp.rank_seed(self.config.seed, rank))  # dropout, other draws
        # what the training steps call: the model, or its DDP wrapper (gradient all-reduce)
        self._net = self.model if self.dist is None else self.dist.wrap(self.model)
        self.epoch = 0
        self.step = 0  # optimiser steps taken (skipped non-finite steps do not count)
        self._resumed = False  # config.resume_from loaded (by the first fit)
        self.history = History()
        self._bad_epochs = 0
        self._best_state: dict[str, Tensor] | None = None
        self._captured: list[Tensor] = []
        self._budget = Budget(None, None)

    # -------------------------------------------------------------- one step
    def _loss_fn(self, stream: bool) -> LossFn:
        return LOSSES["cross_entropy"] if stream and not self._loss_given else self.loss_fn

    def _loss(self, batch: Batch, net: nn.Module | None = None) -> tuple[Tensor, Tensor | None]:
        x, y, lengths = (None if t is None else t.to(self.device) for t in batch)
        assert x is not None and y is not None
        dtype = self.params[0].dtype
        x = x.to(dtype) if x.is_floating_point() else x
        y = y.to(dtype) if y.is_floating_point() else y
        pred = self.forward(net or self.model, x, y, lengths)
        mask = padding_mask(pred, lengths)
        return self.loss_fn(pred, y, mask), mask

    def _stream_loss(self, chunk: tuple[Tensor, Tensor], state: Any,
                     net: nn.Module | None = None) -> tuple[Tensor, Any]:
        x, y = chunk[0].to(self.device), chunk[1].to(self.device)
        pred, state = call_stream(net or self.model, x, state)
        return self._loss_fn(True)(pred, y, None), state

    def _steps(self, data: Any, train: bool) -> Iterator[Step]:
        if isinstance(data, TokenStream):
            return iter(data)
        shuffle = train and self.config.shuffle and isinstance(data, TensorData)
        return data.batches(self.config.batch_size, self.generator if shuffle else None)

    def _train_epoch(self, data: Any) -> tuple[EpochStats, StopReason | None]:
        """One pass (or less, when a budget runs out); returns its statistics and the limit."""
        c = self.config
        self.model.train()
        stream = isinstance(data, TokenStream)
        stats, state = EpochStats(), None
        reason: StopReason | None = None
        dist, rows, fp = self.dist, 0, (0.0, 0.0)
        for batch in self._steps(data, train=True):
            self.optimizer.zero_grad(set_to_none=True)
            self._captured.clear()
            weight = batch[1].numel() if stream else len(batch[0])  # the global batch's
            if dist is not None:  # this process's share of the global batch
                fp = dist.fingerprint(batch) if isinstance(data, BatchData) else fp
                batch, rows = dist.shard(batch, stream)
            if stream:
                loss, state = self._stream_loss((batch[0], batch[1]), state, self._net)
                mask = None
            else:
                loss, mask = self._loss(batch, self._net)  # type: ignore[arg-type]
            objective, omega_val, omega = loss, 0.0, loss.new_zeros(())
            if c.regularizer_alpha > 0:
                omega = omega_of(loss, self._captured[-1], self._w_hh, self._nonlin, mask)
                omega_val = float(omega.detach())
                objective = loss + c.regularizer_alpha * omega
            loss_val = float(loss.detach())
            if dist is not None:  # weight by rows (or steps): DDP's mean is the global mean's
                count = float(rows and (mask.sum() if mask is not None else batch[1].numel()
                                        if stream else rows))
                s_loss, s_rows, loss_val, omega_val = dist.combine(
                    loss, omega_val, count, rows, fp)
                objective = loss * s_loss + c.regularizer_alpha * omega * s_rows
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
                stats.skip(loss_val)
                continue
            self.optimizer.step()
            self.step += 1
            if self._step_sched:
                assert self.scheduler is not None
                self.scheduler.step()
            for cb in self.callbacks:
                cb(self.step, self.model)
            stats.add(loss_val, omega_val, norm, weight)
            reason = self._reached()
            if reason is not None:
                break
        return stats, reason

    @torch.no_grad()
    def evaluate(self, data: Any) -> float:
        """Mean loss over ``data`` (same formats as training data), in eval mode.

        Sequences are weighted equally; for a :class:`TokenStream` the state is carried
        across chunks and the result is the mean cross-entropy per token (nats).
        Data-parallel, every process must call it (each evaluates its share of the rows).
        """
        d = as_data(data, "data")
        self.model.eval()
        if self.dist is not None:  # each process its share; the sums all-reduced
            return _ddp.sharded_mean(self.dist, self, d)
        total, weight, state = 0.0, 0, None
        for batch in self._steps(d, train=False):
            if isinstance(d, TokenStream):
                loss, state = self._stream_loss((batch[0], batch[1]), state)
                n = batch[1].numel()
            else:
                loss, _ = self._loss(batch)  # type: ignore[arg-type]
                n = len(batch[0])
            total += float(loss) * n
            weight += n
        return total / weight

    # -------------------------------------------------------------- epochs
    def _prepare(self, train_data: Any, val_data: Any) -> tuple[Any, Any]:
        plateau = isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
        return prepare(train_data, val_data, self.config, self._forward_given, plateau)

    def fit(self, train_data: Any, val_data: Any = None) -> History:
        """Train up to ``config.epochs`` epochs in total (a resumed trainer continues), or
        until ``max_steps`` / ``max_time`` / early stopping ends the run. With
        ``config.resume_from`` the first call first restores that checkpoint (:meth:`load`).

        With ``restore_best`` and validation data the model ends with its best validation
        weights, and so does the final checkpoint (a run resumed from it continues from
        those weights, with the optimiser state of the last step)."""
        from tqdm.auto import tqdm

        c = self.config
        if c.resume_from is not None and not self._resumed:
            self.load(str(c.resume_from))  # once: a second fit() continues in memory
            self._resumed = True
        data, val = self._prepare(train_data, val_data)
        stream = isinstance(data, TokenStream)
        hook = None
        if c.regularizer_alpha > 0:
            layer, self._w_hh, self._nonlin = find_elman_layer(self.model)
            hook = layer.register_forward_hook(
                lambda _m, _i, out: self._captured.append(out[0] if isinstance(out, tuple) else out)
            )
        self._budget = Budget(c.max_steps, c.max_time)
        if self.dist is not None:
            self.dist.max_time = c.max_time is not None
        h = self.history
        h.stopped_by, h.stopped_early = "epochs", False
        quiet = self.dist is not None and self.dist.rank != 0  # rank 0 alone reports
        bar = tqdm(range(self.epoch, c.epochs), disable=not c.progress or quiet, desc="train",
                   unit="epoch")
        try:
            for k, _ in enumerate(bar):  # every fit takes at least one step
                reason = self._reached(check_time=k > 0)
                if reason is not None:  # e.g. a resumed run that already used its steps
                    h.stopped_by = reason
                    break
                log, reason = self._epoch(data, val, stream)
                h.steps = self.step
                stop = self._early_stopping(log.val_loss)
                if stop:
                    reason, h.stopped_early = "early_stopping", True
                bar.set_postfix(
                    loss=f"{log.train_loss:.4g}",
                    val="-" if log.val_loss is None else f"{log.val_loss:.4g}",
                )
                if c.verbose and not quiet:
                    tqdm.write(f"epoch {log.epoch}: loss {log.train_loss:.6g} val "
                               f"{log.val_loss} grad_norm {log.grad_norm:.4g} lr {log.lr:.4g}")
                last = reason is not None or self.epoch == c.epochs
                if reason is not None:
                    h.stopped_by = reason
                if c.checkpoint_path and (self.epoch % c.checkpoint_every == 0 or last):
                    self.save(c.checkpoint_path)
                if reason is not None:
                    break
        finally:
            bar.close()
            if hook is not None:
                hook.remove()
        h.steps = self.step
        if c.restore_best and self._best_state is not None:
            self.model.load_state_dict(self._best_state)
            if c.checkpoint_path:  # the final checkpoint holds the weights the model ends with
                self.save(c.checkpoint_path)
        return h

    def _epoch(self, data: Any, val: Any, stream: bool) -> tuple[EpochLog, StopReason | None]:
        t0 = time.perf_counter()
        stats, reason = self._train_epoch(data)
        self.epoch += 1
        train_loss, omega, mean_norm, max_norm = stats.result(self.epoch)
        val_loss = None if val is None else self.evaluate(val)
        if self.scheduler is not None and not self._step_sched:
            step_scheduler(self.scheduler, val_loss, f"epoch {self.epoch}")
        log = EpochLog(
            self.epoch, train_loss, val_loss, mean_norm, max_norm, omega, stats.skipped,
            time.perf_counter() - t0, steps=stats.steps, lr=lr_of(self.optimizer),
            train_bits=bits(train_loss) if stream else None,
            val_bits=bits(val_loss) if stream else None,
        )
        self.history.epochs.append(log)
        return log, reason

    def _reached(self, check_time: bool = True) -> StopReason | None:
        reason = self._budget.reached(self.step, check_time)
        return reason if self.dist is None else self.dist.agree(reason)

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
        """Checkpoint model, optimiser (with its class name), schedule, RNG states, epoch,
        step, history and early-stopping state (see :mod:`seqlab.training.checkpoint`).
        Data-parallel: every process calls it, rank 0 writes (with every rank's RNG state)."""
        if self.dist is None:
            save_trainer(self, path)
        else:
            self.dist.save(lambda rng, info: save_trainer(self, path, rng, info))

    def load(self, path: str) -> None:
        """Restore a :meth:`save` checkpoint so that :meth:`fit` continues where it stopped.

        The learning rate stays this trainer's (its config's ``lr``, or its optimizer's):
        when it differs from the checkpoint's, the checkpoint's (possibly scheduled) rate is
        not restored and a restored schedule restarts from the new rate. An optimizer or
        scheduler of another class than the checkpoint's is refused
        (:class:`SeqlabValueError`), leaving this trainer untouched.
        """
        load_trainer(self, path)


def train(
    model: nn.Module,
    train_data: Any,
    val_data: Any = None,
    *,
    loss: str | LossFn | None = None,
    config: TrainConfig | None = None,
    forward: ForwardFn | None = None,
    resume_from: str | None = None,
    callbacks: Sequence[StepCallback] = (),
    optimizer: Any = None,
    scheduler: Any = None,
) -> History:
    """Train ``model`` in one call: ``Trainer(model, config, loss, forward, ...).fit(...)``.

    ``resume_from`` loads a checkpoint first (training continues up to ``config.epochs``).

    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(2, 1))
    >>> data = (torch.randn(32, 2, 1), torch.randn(32))
    >>> len(train(model, data, config=TrainConfig(epochs=2, progress=False)).epochs)
    2
    """
    trainer = Trainer(model, config, loss, forward, callbacks, optimizer=optimizer,
                      scheduler=scheduler)
    if resume_from is not None:
        trainer.load(resume_from)
    return trainer.fit(train_data, val_data)

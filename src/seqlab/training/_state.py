"""A trainer's checkpoint: what :meth:`Trainer.save` writes and :meth:`Trainer.load` restores."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import torch

from seqlab.exceptions import SeqlabValueError
from seqlab.training._history import EpochLog, History
from seqlab.training.checkpoint import load_checkpoint, save_checkpoint

__all__ = ["load_trainer", "save_trainer"]


def save_trainer(trainer: Any, path: str, rng_extra: dict[str, torch.Tensor] | None = None,
                 info_extra: dict[str, Any] | None = None) -> None:
    """Model, optimiser (and its class name), schedule, RNG states, loop state and history
    (``rng_extra`` / ``info_extra``: the other ranks' RNG states and the world size)."""
    t = trainer
    extra = {f"best/{k}": v for k, v in (t._best_state or {}).items()}
    sched = getattr(t.scheduler, "state_dict", None)
    info = {
        "history": [asdict(e) for e in t.history.epochs],
        "best_epoch": t.history.best_epoch,
        "best_val_loss": t.history.best_val_loss,
        "stopped_by": t.history.stopped_by,
        "bad_epochs": t._bad_epochs,
        "step": t.step,
        "config": asdict(t.config),
        "optimizer_class": type(t.optimizer).__name__,
        "base_lrs": t._base_lrs,
        "scheduler_class": None if t.scheduler is None else type(t.scheduler).__name__,
        "scheduler": sched() if callable(sched) else None,
        **(info_extra or {}),
    }
    rng = {"torch": torch.get_rng_state(), "shuffle": t.generator.get_state(), **(rng_extra or {})}
    save_checkpoint(
        path, t.model, t.optimizer, epoch=t.epoch, rng=rng, extra=extra, info=info
    )


def _check_kind(ck_name: str | None, own: Any, what: str, path: str) -> None:
    name = None if own is None else type(own).__name__
    if ck_name is not None and name is not None and ck_name != name:
        raise SeqlabValueError(
            f"checkpoint {path!r} was written with {what} {ck_name}, but this trainer uses "
            f"{name}; its saved state cannot be loaded into another kind. Resume with the "
            f"same {what} (or start a new run without resuming)."
        )


def load_trainer(trainer: Any, path: str) -> None:
    """Restore a :func:`save_trainer` checkpoint into ``trainer`` (see :meth:`Trainer.load`)."""
    from safetensors import safe_open

    t = trainer
    import json

    try:  # the class names first: a mismatch must leave the trainer untouched
        with safe_open(str(path), framework="pt") as f:
            info = json.loads((f.metadata() or {}).get("seqlab", "{}")).get("info", {})
    except Exception:  # unreadable: load_checkpoint below says what is wrong
        info = {}
    _check_kind(info.get("optimizer_class"), t.optimizer, "optimizer", str(path))
    _check_kind(info.get("scheduler_class"), t.scheduler, "scheduler", str(path))
    ck = load_checkpoint(path, t.model, t.optimizer)
    info = ck.info
    saved_base = info.get("base_lrs")
    if saved_base is None or [float(x) for x in saved_base] != t._base_lrs:
        # a new learning rate: the new one wins (never silently the checkpoint's)
        for g, lr in zip(t.optimizer.param_groups, t._base_lrs, strict=True):
            g["lr"] = lr
            if "initial_lr" in g:
                g["initial_lr"] = lr
        rescale = True
    else:
        rescale = False
    state = info.get("scheduler")
    if t.scheduler is not None and state is not None and hasattr(t.scheduler, "load_state_dict"):
        t.scheduler.load_state_dict(state)
        if rescale and hasattr(t.scheduler, "base_lrs"):
            t.scheduler.base_lrs = list(t._base_lrs)
    t.epoch = ck.epoch
    t.history = History(
        [EpochLog(**e) for e in info.get("history", [])],
        info.get("best_epoch"),
        info.get("best_val_loss"),
        stopped_by=info.get("stopped_by", "epochs"),
        steps=int(info.get("step", 0)),
    )
    t._bad_epochs = int(info.get("bad_epochs", 0))
    t.step = int(info.get("step", 0))
    best = {k[len("best/") :]: v for k, v in ck.extra.items() if k.startswith("best/")}
    t._best_state = best or None
    if "torch" in ck.rng:
        torch.set_rng_state(ck.rng["torch"])
    if getattr(t, "dist", None) is not None:  # data-parallel: rank r's own random stream
        t.dist.restore_rng(ck.rng, int(info.get("world_size", 1)), t.config.seed, t.step)
    if "shuffle" in ck.rng:
        t.generator.set_state(ck.rng["shuffle"])

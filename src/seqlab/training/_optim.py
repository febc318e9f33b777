"""Optimisers (any ``torch.optim`` optimizer, by name or object) and learning-rate schedules."""

from __future__ import annotations

import inspect
import math
from typing import Any

import torch

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = [
    "check_optimizer_name",
    "make_optimizer",
    "make_scheduler",
    "optimizer_classes",
    "optimizer_kwargs",
    "step_scheduler",
]

#: optimisers that cannot run in the loop: LBFGS needs a closure, SparseAdam sparse gradients,
#: Muon 2-D parameters only
_UNSUPPORTED = {"lbfgs", "sparseadam", "muon"}


def optimizer_classes() -> dict[str, type[torch.optim.Optimizer]]:
    """Lower-case name -> class, for every usable optimizer in ``torch.optim``."""
    out = {}
    for name in dir(torch.optim):
        cls = getattr(torch.optim, name)
        if (
            isinstance(cls, type)
            and issubclass(cls, torch.optim.Optimizer)
            and cls is not torch.optim.Optimizer
            and name.lower() not in _UNSUPPORTED
        ):
            out[name.lower()] = cls
    return dict(sorted(out.items()))


def check_optimizer_name(name: str) -> str:
    """``name`` in lower case if it names a usable torch.optim optimizer, else a clear error."""
    key = name.lower()
    classes = optimizer_classes()
    if key not in classes:
        valid = ", ".join(map(repr, classes))
        why = ""
        if key in _UNSUPPORTED:
            why = " (it needs a closure, sparse gradients or 2-D parameters only)"
        raise SeqlabValueError(f"unknown optimizer {name!r}{why}; valid options are: {valid}.")
    return key


def make_optimizer(
    params: list[torch.nn.Parameter], config: Any, given: Any = None
) -> torch.optim.Optimizer:
    """The optimizer: ``given`` (an Optimizer over ``params``, or ``callable(params)``), else
    ``config.optimizer`` by name with ``lr``, ``weight_decay`` and ``momentum``."""
    if given is not None:
        opt = given if isinstance(given, torch.optim.Optimizer) else None
        if opt is None:
            if not callable(given):
                raise SeqlabTypeError(
                    f"optimizer must be a torch.optim.Optimizer or a callable(params) -> "
                    f"Optimizer; got {type(given).__name__}."
                )
            opt = given(params)
            if not isinstance(opt, torch.optim.Optimizer):
                raise SeqlabTypeError(
                    f"the optimizer factory returned {type(opt).__name__}, not a "
                    "torch.optim.Optimizer."
                )
        own = {id(p) for g in opt.param_groups for p in g["params"]}
        if not {id(p) for p in params} <= own:
            raise SeqlabValueError(
                "the optimizer does not update every trainable parameter of the model; build "
                "it on model.parameters() (or pass a callable(params) -> Optimizer)."
            )
        return opt
    cls, kwargs = optimizer_kwargs(config)
    return cls(params, **kwargs)


def optimizer_kwargs(config: Any) -> tuple[type[torch.optim.Optimizer], dict[str, Any]]:
    """The class named by ``config.optimizer`` and its ``lr``, ``weight_decay``, ``momentum``
    (a nonzero value the optimiser does not take is refused)."""
    cls = optimizer_classes()[check_optimizer_name(config.optimizer)]
    accepted = inspect.signature(cls).parameters
    kwargs: dict[str, Any] = {"lr": config.lr}
    for name in ("weight_decay", "momentum"):
        value = getattr(config, name)
        if name in accepted:
            kwargs[name] = value
        elif value != 0:
            raise SeqlabValueError(
                f"optimizer {config.optimizer!r} takes no {name}; set {name}=0 or choose an "
                f"optimizer that has one."
            )
    return cls, kwargs


Scheduler = Any  # torch's LRScheduler or ReduceLROnPlateau, or a user object with step()


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: Any, given: Any = None
) -> Scheduler | None:
    """The schedule: ``given`` (an object with ``step()`` or ``callable(optimizer)``), else
    ``config.scheduler``: cosine to ``min_lr`` over ``max_steps`` steps (stepped every
    step) or, without max_steps, over ``epochs`` (stepped every epoch); ``step``:
    StepLR(step_size, gamma) per epoch; ``plateau``: ReduceLROnPlateau(factor=gamma,
    patience=plateau_patience, min_lr) on the validation loss per epoch."""
    sched = torch.optim.lr_scheduler
    if given is not None:
        obj = given
        if not hasattr(obj, "step"):
            if not callable(obj):
                raise SeqlabTypeError(
                    f"scheduler must be an object with step() or a callable(optimizer); got "
                    f"{type(given).__name__}."
                )
            obj = given(optimizer)
        if not callable(getattr(obj, "step", None)):
            raise SeqlabTypeError(f"the scheduler {type(obj).__name__} has no step() method.")
        return obj
    kind = config.scheduler
    if kind == "none":
        return None
    if kind == "cosine":
        span = config.max_steps if config.max_steps is not None else config.epochs
        return sched.CosineAnnealingLR(optimizer, T_max=max(1, span), eta_min=config.min_lr)
    if kind == "step":
        return sched.StepLR(optimizer, step_size=config.step_size, gamma=config.gamma)
    return sched.ReduceLROnPlateau(
        optimizer, factor=config.gamma, patience=config.plateau_patience, min_lr=config.min_lr
    )


def per_step(scheduler: Scheduler | None, config: Any, given: bool) -> bool:
    """Whether the schedule advances every optimiser step (cosine over max_steps)."""
    return (
        scheduler is not None
        and not given
        and config.scheduler == "cosine"
        and config.max_steps is not None
    )


def step_scheduler(scheduler: Scheduler, val_loss: float | None, label: str) -> None:
    """Advance ``scheduler`` once; ReduceLROnPlateau gets the validation loss."""
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        if val_loss is None or not math.isfinite(val_loss):
            raise SeqlabValueError(
                f"{label}: the plateau schedule steps on the validation loss, but there is "
                "none; pass val_data or set val_fraction > 0."
            )
        scheduler.step(val_loss)
    else:
        scheduler.step()


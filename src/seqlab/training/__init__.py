"""One training loop for every neural model, with the remedies for exploding and vanishing
gradients (clipping by norm and by value, the Pascanu et al. 2013 regularizer) and safe
checkpoints.

The names below load their submodule (and with it PyTorch) on first use, so that importing
the torch-free ``seqlab.training.config`` (which the CLI needs to build its parser) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> submodule that defines it (a test checks this against each ``__all__``)
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("Checkpoint", "load_checkpoint", "save_checkpoint"), "checkpoint"),
    **dict.fromkeys(("clip_grad_norm", "clip_grad_value", "grad_norm"), "clipping"),
    **dict.fromkeys(("hidden_deltas", "pascanu_regularizer"), "regularizers"),
    **dict.fromkeys(("LOSSES", "default_forward", "masked_cross_entropy", "masked_mse"),
                    "losses"),
    **dict.fromkeys(("EpochLog", "History", "TokenStream", "TrainConfig", "Trainer", "train"),
                    "trainer"),
}
__all__ = [  # literal, for static checkers; a test checks it lists _EXPORTS
    "LOSSES",
    "Checkpoint",
    "EpochLog",
    "History",
    "TokenStream",
    "TrainConfig",
    "Trainer",
    "clip_grad_norm",
    "clip_grad_value",
    "default_forward",
    "grad_norm",
    "hidden_deltas",
    "load_checkpoint",
    "masked_cross_entropy",
    "masked_mse",
    "pascanu_regularizer",
    "save_checkpoint",
    "train",
]

if TYPE_CHECKING:  # static checkers see the real objects
    from seqlab.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from seqlab.training.clipping import clip_grad_norm, clip_grad_value, grad_norm
    from seqlab.training.losses import (
        LOSSES,
        default_forward,
        masked_cross_entropy,
        masked_mse,
    )
    from seqlab.training.regularizers import hidden_deltas, pascanu_regularizer
    from seqlab.training.trainer import (
        EpochLog,
        History,
        TokenStream,
        TrainConfig,
        Trainer,
        train,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seqlab.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"seqlab.training.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

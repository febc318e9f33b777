"""train a character- or byte-level language model on a text file.

``seqlab train --data corpus.txt --cell lstm --hidden 128 --embedding 32 --bptt 64 --save
lm.seqlab``: a :class:`seqlab.pipelines.TextLanguageModel` trained with stateful truncated
BPTT on the head of the file; the validation bits per character on its tail (the last
``--val-fraction``, 10% when that is 0) are printed, and the model file (vocabulary + network)
is written for ``seqlab generate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Options", "run"]

DEFAULT_VAL_FRACTION = 0.1
# the TrainConfig flags this journey passes on; any other one changed is refused, not ignored
USED = ("lr", "epochs", "batch_size", "max_steps", "max_time", "val_fraction", "clip_norm",
        "seed", "progress", "checkpoint_path", "resume_from")


def _refuse_unused(train: Any) -> None:
    from dataclasses import fields

    from seqlab.exceptions import SeqlabValueError

    default = type(train)()
    unused = [f.name for f in fields(train)
              if f.name not in USED and getattr(train, f.name) != getattr(default, f.name)]
    if unused:
        flags = ", ".join("--" + n.replace("_", "-") for n in unused)
        raise SeqlabValueError(
            f"{flags}: not used by the text journey (it trains with Adam and gradient-norm "
            f"clipping; it takes {', '.join('--' + n.replace('_', '-') for n in USED)}); "
            "drop them.")


@dataclass
class Options:
    """Flags of the text journey."""

    level: Literal["char", "byte"] = field(default="char", metadata={
        "help": "text: model characters (UTF-8 files) or raw bytes (any file)"})
    embedding_dim: int = field(default=32, metadata={
        "help": "text: size of the token embedding", "aliases": ("--embedding",)})
    bptt: int = field(default=64, metadata={
        "help": "text: steps per truncated-BPTT chunk (the state is carried across chunks)"})


def run(path: Path, task: Any, train: Any, options: Options) -> int:
    """Train on ``path``, print validation bits/char, save the model file (``--save``)."""
    from seqlab.cli import _train_data
    from seqlab.pipelines.text import TextLanguageModel, read_text

    _refuse_unused(train)
    val_fraction = train.val_fraction or DEFAULT_VAL_FRACTION
    lm = TextLanguageModel(
        level=options.level, cell=task.cell, hidden_size=task.hidden_size,
        num_layers=task.num_layers, dropout=task.dropout, embedding_dim=options.embedding_dim,
        bptt=options.bptt, batch_size=train.batch_size, lr=train.lr, epochs=train.epochs,
        max_steps=train.max_steps, max_time=train.max_time,
        val_fraction=val_fraction, clip_norm=train.clip_norm, seed=train.seed,
        progress=train.progress, checkpoint_path=train.checkpoint_path,
        resume_from=train.resume_from,
    )
    lm._check_params()
    text = read_text(path, options.level)
    unit = "byte" if options.level == "byte" else "char"
    print(f"text: {path} ({len(text)} {unit}s); validation: the last {val_fraction:.0%}; "
          f"{task.cell} hidden={task.hidden_size} layers={task.num_layers} "
          f"embedding={options.embedding_dim} bptt={options.bptt} batch={train.batch_size}",
          flush=True)
    lm.fit(text)
    print(f"vocabulary: {len(lm.vocab_)} {unit}s; {lm.n_steps_} steps in "
          f"{lm.train_seconds_:.1f} s; train loss {lm.train_loss_ / 0.6931471805599453:.4f} "
          f"bits/{unit}")
    print(f"validation bits/{unit}: {lm.val_bits_per_char_:.4f} "
          f"({lm.n_val_tokens_} held-out {unit}s)")
    if task.save:
        _train_data.save_model(
            lm, task.save, data={"file": str(path), "tokens": len(text), "level": unit},
            training={"steps": lm.n_steps_, "seconds": lm.train_seconds_,
                      "val_bits_per_char": lm.val_bits_per_char_})
        print(f"saved {task.save} (use: seqlab generate {task.save} --prime TEXT)")
    else:
        print("no --save given: the model was not written")
    return 0

"""A character- or byte-level language model trained on your own text.

:class:`TextLanguageModel` owns the vocabulary (:class:`~seqlab.data.text.CharVocab` or
:class:`~seqlab.data.text.ByteVocab`) and the network (token embedding -> recurrent layers ->
linear head over the vocabulary, pattern 1), trains it with stateful truncated BPTT
(Adam, gradient-norm clipping) and reports validation bits per character on a held-out tail
of the text. ``seqlab.save`` / ``seqlab.load`` round-trip it; ``seqlab train --data
corpus.txt`` and ``seqlab generate`` are thin wrappers over it.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from seqlab._validation import check_choice, check_int, check_positive
from seqlab.base import BaseEstimator
from seqlab.data.text import ByteVocab, CharVocab
from seqlab.exceptions import NotFittedError, SeqlabTypeError, SeqlabValueError
from seqlab.pipelines._lm_loop import stream_loss
from seqlab.recurrent.patterns import SequenceTagger

__all__ = ["TextLanguageModel", "read_text"]

LN2 = math.log(2.0)


def read_text(path: str | Path, level: str = "char") -> str | bytes:
    """The contents of ``path``: UTF-8 text for ``level="char"``, raw bytes for ``"byte"``.

    A file that is not UTF-8 is refused for ``"char"`` with a message suggesting
    ``--level byte``; a missing or empty file is refused.
    """
    p = Path(path)
    if not p.is_file():
        raise SeqlabValueError(f"{str(p)!r} is not a file.")
    raw = p.read_bytes()
    if not raw:
        raise SeqlabValueError(f"{str(p)!r} is empty; a language model needs text.")
    if level == "byte":
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SeqlabValueError(
            f"{str(p)!r} is not UTF-8 text (byte {raw[err.start]:#04x} at offset {err.start}); "
            "train a byte-level model instead (level='byte', --level byte), or convert the "
            "file to UTF-8."
        ) from None


class TextLanguageModel(BaseEstimator):
    """Character- (or byte-) level recurrent language model: ``fit(text)``, ``generate``,
    ``bits_per_char``.

    The last ``val_fraction`` of the text is held out; ``val_bits_per_char_`` is the model's
    cross-entropy on it in bits per token (character, or byte for ``level="byte"``), read as
    one stream with the state carried. Training stops after ``epochs`` passes, ``max_steps``
    optimiser steps or ``max_time`` seconds, whichever comes first. ``checkpoint_path`` writes
    resumable checkpoints; ``resume_from`` continues an interrupted fit (same text, same
    parameters) from one, ending as the uninterrupted run would.

    Learned attributes: ``vocab_``, ``model_`` (a torch module: ids (B, T) -> logits
    (B, T, V)), ``val_bits_per_char_``, ``train_loss_`` (nats/token, last epoch),
    ``n_steps_``, ``train_seconds_`` (wall clock) and ``train_cpu_seconds_`` (this process's
    CPU time) of the training loop.

    >>> text = "to be or not to be, that is the question. " * 40
    >>> lm = TextLanguageModel(hidden_size=16, embedding_dim=8, bptt=16, batch_size=4,
    ...                        epochs=2, seed=0).fit(text)
    >>> len(lm.generate("to be", 20, seed=0))
    20
    """

    def __init__(
        self,
        level: Literal["char", "byte"] = "char",
        cell: str = "lstm",
        hidden_size: int = 128,
        num_layers: int = 1,
        dropout: float = 0.0,
        embedding_dim: int = 32,
        bptt: int = 64,
        batch_size: int = 32,
        lr: float = 2e-3,
        epochs: int = 1,
        max_steps: int | None = None,
        max_time: float | None = None,
        val_fraction: float = 0.1,
        clip_norm: float | None = 5.0,
        seed: int | None = 0,
        progress: bool = False,
        checkpoint_path: str | None = None,
        resume_from: str | None = None,
    ) -> None:
        self.level = level
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.embedding_dim = embedding_dim
        self.bptt = bptt
        self.batch_size = batch_size
        self.lr = lr
        self.epochs = epochs
        self.max_steps = max_steps
        self.max_time = max_time
        self.val_fraction = val_fraction
        self.clip_norm = clip_norm
        self.seed = seed
        self.progress = progress
        self.checkpoint_path = checkpoint_path
        self.resume_from = resume_from  # a checkpoint of an interrupted fit on the same text

    # ------------------------------------------------------------------ helpers
    @classmethod
    def from_file(cls, path: str | Path, **params: Any) -> TextLanguageModel:
        """``TextLanguageModel(**params).fit(<contents of path>)`` (see :func:`read_text`)."""
        model = cls(**params)
        return model.fit(read_text(path, model.level))

    def _check_params(self) -> None:
        check_choice(self.level, "level", ("char", "byte"))
        for name in ("hidden_size", "num_layers", "embedding_dim", "bptt", "batch_size"):
            check_int(getattr(self, name), name, minimum=1)
        check_int(self.epochs, "epochs", minimum=1)
        if self.max_steps is not None:
            check_int(self.max_steps, "max_steps", minimum=1)
        if self.max_time is not None:
            check_positive(self.max_time, "max_time")
        check_positive(self.lr, "lr")
        if self.clip_norm is not None:
            check_positive(self.clip_norm, "clip_norm")
        if not 0.0 <= check_positive(self.dropout, "dropout", strict=False) < 1.0:
            raise SeqlabValueError(f"dropout must be in [0, 1); got {self.dropout!r}.")
        if not 0.0 < check_positive(self.val_fraction, "val_fraction") < 1.0:
            raise SeqlabValueError(f"val_fraction must be in (0, 1); got {self.val_fraction!r}.")

    def _build(self, vocab_size: int) -> SequenceTagger:
        """Embedding -> recurrent layers -> linear head over the vocabulary, seeded."""
        return SequenceTagger(self.embedding_dim, self.hidden_size, vocab_size,
                              cell=self.cell, num_layers=self.num_layers,  # type: ignore[arg-type]
                              dropout=self.dropout, seed=self.seed, vocab_size=vocab_size)

    def _encode(self, text: Any, what: str) -> np.ndarray:
        if self.level == "byte":
            if not isinstance(text, str | bytes | bytearray):
                raise SeqlabTypeError(f"{what} must be str or bytes; got {type(text).__name__}.")
            return ByteVocab().encode(bytes(text) if not isinstance(text, str) else text)
        if not isinstance(text, str):
            raise SeqlabTypeError(
                f"{what} must be a str for level='char'; got {type(text).__name__} (use "
                "level='byte' for bytes)."
            )
        return self.vocab_.encode(text)

    # ------------------------------------------------------------------ fit
    def fit(self, text: str | bytes, y: None = None) -> TextLanguageModel:
        """Learn the vocabulary, train on the head of ``text``, score its held-out tail."""
        self._check_params()
        if self.level == "char" and not isinstance(text, str):
            raise SeqlabTypeError(f"text must be a str for level='char'; got "
                                  f"{type(text).__name__} (use level='byte' for bytes).")
        self.vocab_: CharVocab | ByteVocab = (
            ByteVocab() if self.level == "byte" else CharVocab(text))  # type: ignore[arg-type]
        ids = self._encode(text, "text")
        split = len(ids) - max(2, round(self.val_fraction * len(ids)))
        if split < self.batch_size * 2:
            raise SeqlabValueError(
                f"the text is too short: {len(ids)} tokens leave {split} for training, fewer "
                f"than 2 per column of batch_size={self.batch_size}; use a longer text or a "
                "smaller batch_size."
            )
        train_ids, val_ids = ids[:split], ids[split:]
        if self.seed is not None:
            torch.manual_seed(self.seed)  # dropout
        self.model_ = self._build(len(self.vocab_))
        t0, c0 = time.perf_counter(), time.process_time()
        self._train(train_ids)
        self.train_seconds_ = time.perf_counter() - t0
        self.train_cpu_seconds_ = time.process_time() - c0
        self.model_.eval()
        self.val_bits_per_char_ = stream_loss(self.model_, val_ids) / LN2
        self.n_train_tokens_ = len(train_ids)
        self.n_val_tokens_ = len(val_ids)
        return self

    def _train(self, train_ids: np.ndarray) -> None:
        """Stateful TBPTT through :class:`seqlab.training.Trainer` on a ``TokenStream``."""
        from seqlab.training import TokenStream, TrainConfig, Trainer

        config = TrainConfig(
            lr=self.lr, epochs=self.epochs, batch_size=self.batch_size, clip_norm=self.clip_norm,
            seed=self.seed, progress=self.progress, checkpoint_path=self.checkpoint_path,
            resume_from=self.resume_from,
            max_steps=self.max_steps, max_time=self.max_time, restore_best=False)
        trainer = Trainer(self.model_, config, loss="cross_entropy")
        history = trainer.fit(TokenStream(train_ids, self.batch_size, self.bptt))
        self.n_steps_ = int(trainer.step)
        self.train_loss_ = float(history.epochs[-1].train_loss)

    # ------------------------------------------------------------------ use
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this TextLanguageModel is not fitted yet; call fit(text) "
                                 "or seqlab.load a saved one.")

    def _prime_ids(self, prime: Any) -> np.ndarray:
        if isinstance(self.vocab_, CharVocab):
            if not isinstance(prime, str):
                raise SeqlabTypeError(f"prime must be a str; got {type(prime).__name__}.")
            unknown = sorted({c for c in prime if c not in self.vocab_})
            if unknown:
                raise SeqlabValueError(
                    f"the prime has character(s) the model never saw in training: "
                    f"{''.join(unknown)!r} ({', '.join(map(repr, unknown[:10]))}); use "
                    "characters of the training text, or a byte-level model (level='byte')."
                )
        if (isinstance(prime, str | bytes) and len(prime) == 0):
            raise SeqlabValueError("prime must not be empty: give at least one character.")
        return self._encode(prime, "prime")

    def bits_per_char(self, text: str | bytes) -> float:
        """Cross-entropy of ``text`` under the model in bits per token, read as one stream
        from a zero state (``len(text) - 1`` predictions)."""
        self._check_fitted()
        ids = self._prime_ids(text)
        if len(ids) < 2:
            raise SeqlabValueError("text must have at least 2 characters to score.")
        return stream_loss(self.model_, ids) / LN2

    def generate_ids(self, prime: str | bytes, length: int, temperature: float = 1.0,
                     top_k: int | None = None, seed: int | None = None) -> np.ndarray:
        """``(length,)`` ids sampled after reading ``prime``; see :meth:`generate`."""
        self._check_fitted()
        length = check_int(length, "length", minimum=0)
        check_positive(temperature, "temperature", strict=False)
        ids = self._prime_ids(prime)
        if length == 0:
            return np.zeros(0, dtype=np.int64)
        out = self.model_.generate(torch.as_tensor(ids, dtype=torch.long), length,
                                   temperature=temperature, top_k=top_k, seed=seed)
        return out[0].numpy()

    def generate(self, prime: str | bytes, length: int, temperature: float = 1.0,
                 top_k: int | None = None, seed: int | None = None) -> str:
        """``length`` characters sampled after ``prime`` (the prime itself is not repeated).

        ``temperature`` divides the logits (0 = greedy: always the most likely next token,
        deterministic); ``top_k`` keeps only the k most likely tokens at each step; ``seed``
        makes sampling reproducible. A prime with characters the model never saw is refused,
        naming them. Byte-level models return the bytes decoded as UTF-8 (a multi-byte
        character cut by sampling shows as U+FFFD), so the string may be shorter than
        ``length``.
        """
        out = self.generate_ids(prime, length, temperature, top_k, seed)
        if isinstance(self.vocab_, ByteVocab):
            return self.vocab_.decode_text(out)
        return self.vocab_.decode(out)

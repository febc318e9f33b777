"""Integer token ids -> per-step logits: an embedding in front of a :class:`SequenceTagger`.

A stop-gap for :class:`~seqlab.pipelines.TextLanguageModel` until ``SequenceTagger`` takes
token ids itself (``vocab_size=``); the pipeline uses that one when it is available, so new
model files hold a plain ``SequenceTagger`` and files holding this class still load.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from seqlab.recurrent._init_args import RecordsInitArgs
from seqlab.recurrent.patterns import SequenceTagger, _Seeded

__all__ = ["TokenTagger"]


class TokenTagger(RecordsInitArgs, nn.Module):
    """``logits = SequenceTagger(Embedding(ids))``: ids (B, T) int64 -> (B, T, vocab_size).

    ``forward(ids, state=None, return_state=False)`` as :class:`SequenceTagger`.

    >>> import torch
    >>> m = TokenTagger(10, 4, 8, seed=0)
    >>> tuple(m(torch.zeros(2, 5, dtype=torch.long)).shape)
    (2, 5, 10)
    """

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int,
                 cell: Any = "lstm", num_layers: int = 1, dropout: float = 0.0,
                 seed: int | None = None) -> None:
        super().__init__()
        with _Seeded(seed):
            self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.tagger = SequenceTagger(embedding_dim, hidden_size, vocab_size, cell=cell,
                                     num_layers=num_layers, dropout=dropout,
                                     seed=None if seed is None else seed + 1)

    def forward(self, ids: Tensor, state: Any = None, return_state: bool = False) -> Any:
        """Per-step logits (B, T, V); with ``return_state`` also the final state."""
        return self.tagger(self.embedding(ids), state=state, return_state=return_state)

"""Scoring a token language model on one long stream, and the column layout of training.

:func:`stream_loss` reads a text as one stream (every token conditioned on everything before
it), which is what validation bits/char report; :func:`batchify` is the layout of
:class:`seqlab.training.TokenStream` (``batch_size`` contiguous columns, tail dropped), used
by ``benchmarks/charlm.py``'s plain-PyTorch loop.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["batchify", "stream_loss"]


def batchify(ids: np.ndarray, batch_size: int) -> Tensor:
    """(batch_size, L) int64: ``ids`` cut into ``batch_size`` contiguous columns (tail dropped)."""
    cols = len(ids) // batch_size
    return torch.as_tensor(ids[: cols * batch_size], dtype=torch.long).view(batch_size, cols)


@torch.no_grad()
def stream_loss(model: nn.Module, ids: np.ndarray, chunk: int = 512) -> float:
    """Mean cross-entropy (nats) of predicting ``ids[1:]`` from everything before, reading
    ``ids`` as one stream in chunks of ``chunk`` with the state carried; eval mode."""
    was = model.training
    model.eval()
    data = torch.as_tensor(ids, dtype=torch.long)[None, :]
    total, state = 0.0, None
    for i in range(0, data.shape[1] - 1, chunk):
        x = data[:, i : i + chunk]
        y = data[:, i + 1 : i + 1 + chunk]
        x = x[:, : y.shape[1]]
        logits, state = model(x, state=state, return_state=True)
        total += float(nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                   y.reshape(-1), reduction="sum"))
    model.train(was)
    return total / (data.shape[1] - 1)

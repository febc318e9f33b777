"""Token streams for stateful truncated BPTT on language models.

The corpus (one long 1-D sequence of token ids) is cut into ``batch_size`` contiguous streams,
exactly as ``batchify`` in PyTorch's ``word_language_model`` example: the first
``batch_size * (N // batch_size)`` tokens, row ``b`` holding tokens
``[b * L, (b + 1) * L)`` with ``L = N // batch_size``. Chunk ``k`` is
``x = rows[:, k*bptt : k*bptt + l]`` and ``y = rows[:, k*bptt + 1 : k*bptt + 1 + l]`` with
``l = min(bptt, L - 1 - k*bptt)``, so row ``b`` of chunk ``k + 1`` continues row ``b`` of
chunk ``k`` and the hidden state can be carried from one chunk to the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor

from seqlab._validation import check_int
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["TokenStream"]


class TokenStream:
    """``batch_size`` parallel contiguous streams of token ids, read ``bptt`` steps at a time.

    Iterating yields ``(x, y)`` int64 tensors of shape ``(batch_size, l)`` with ``l <= bptt``
    and ``y`` the next tokens of ``x``. Given as training data, it makes
    :class:`seqlab.training.Trainer` carry the model's state across chunks (see there).

    >>> s = TokenStream(list(range(10)), batch_size=2, bptt=3)
    >>> s.rows.tolist()
    [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    >>> [(x.tolist(), y.tolist()) for x, y in s]
    [([[0, 1, 2], [5, 6, 7]], [[1, 2, 3], [6, 7, 8]]), ([[3], [8]], [[4], [9]])]
    """

    def __init__(self, ids: Any, batch_size: int, bptt: int) -> None:
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.bptt = check_int(bptt, "bptt", minimum=1)
        if isinstance(ids, torch.Tensor):
            t = ids.detach().cpu()
        else:
            arr = np.asarray(ids)
            if arr.dtype == object or arr.dtype.kind not in "iub":
                raise SeqlabTypeError(
                    f"ids must be integer token ids; got an array of dtype {arr.dtype}."
                )
            t = torch.as_tensor(arr)
        if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
            raise SeqlabTypeError(f"ids must be integer token ids; got dtype {t.dtype}.")
        if t.dim() != 1:
            raise SeqlabValueError(
                f"ids must be a 1-D sequence of token ids; got shape {tuple(t.shape)}."
            )
        if t.numel() and int(t.min()) < 0:
            raise SeqlabValueError(f"ids must be >= 0; got {int(t.min())}.")
        per_row = t.numel() // self.batch_size
        if per_row < 2:
            raise SeqlabValueError(
                f"too little data: {t.numel()} tokens give {per_row} token(s) per stream for "
                f"batch_size={self.batch_size}, but a stream needs at least 2 (an input and "
                f"its next token); use a smaller batch_size or more text "
                f"(>= {2 * self.batch_size} tokens)."
            )
        self.rows = t[: per_row * self.batch_size].long().reshape(self.batch_size, per_row)

    @property
    def n_tokens(self) -> int:
        """Number of predicted tokens per pass (``batch_size * (L - 1)``)."""
        return self.batch_size * (self.rows.shape[1] - 1)

    def __len__(self) -> int:
        """Number of chunks per pass."""
        return -(-(self.rows.shape[1] - 1) // self.bptt)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        steps = self.rows.shape[1]
        for i in range(0, steps - 1, self.bptt):
            length = min(self.bptt, steps - 1 - i)
            yield self.rows[:, i : i + length], self.rows[:, i + 1 : i + 1 + length]

    def __repr__(self) -> str:
        return (
            f"TokenStream(batch_size={self.batch_size}, bptt={self.bptt}, "
            f"tokens_per_stream={self.rows.shape[1]})"
        )

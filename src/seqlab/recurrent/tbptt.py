"""Truncated backpropagation through time (Williams & Peng 1990).

"An efficient gradient-based algorithm for on-line training of recurrent network
trajectories": :func:`truncated_bptt` runs a long stream in chunks of ``k1`` new steps,
backpropagating through the last ``k2 >= k1`` steps, carrying the detached state across
chunks. Re-exported by :mod:`seqlab.recurrent.bptt`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from seqlab._validation import check_int
from seqlab.exceptions import SeqlabValueError

__all__ = ["TBPTTChunk", "truncated_bptt"]

Tensor = torch.Tensor


@dataclass
class TBPTTChunk:
    """One chunk of :func:`truncated_bptt`.

    ``output`` holds the model outputs for the ``k1`` new steps ``start:stop`` (their graph
    reaches back ``k2`` steps, to ``graph_start``); ``state`` is the detached state after
    ``stop`` that the next chunk continues from.
    """

    start: int
    stop: int
    graph_start: int
    output: Tensor
    state: tuple[Tensor, ...]


StepFn = Callable[[Tensor, tuple[Tensor, ...]], tuple[Tensor, Sequence[Tensor]]]


def truncated_bptt(
    forward: StepFn, x: Tensor, state: tuple[Tensor, ...], k1: int, k2: int
) -> Iterator[TBPTTChunk]:
    """Williams & Peng's TBPTT(k1, k2): every k1 steps, backpropagate through the last k2.

    ``forward(x_chunk (B, t, I), state) -> (output (B, t, ...), states)`` runs the model from
    ``state`` (a tuple of (B, ...) tensors, e.g. ``(h,)`` or ``(h, c)``); ``states`` is a
    sequence of per-step state tensors (B, t, ...), one per entry of ``state`` (e.g.
    ``(h_all,)`` or ``(h_all, c_all)``). The iterator yields one :class:`TBPTTChunk` per
    ``k1`` steps; the caller computes the loss on ``chunk.output`` (targets
    ``y[:, chunk.start:chunk.stop]``), calls ``backward()`` and steps the optimiser before
    asking for the next chunk. The graph of chunk ``[s, e)`` starts at ``max(0, e - k2)``
    from the detached state stored there (for
    the short last chunk, ``max(0, s + k1 - k2)``), so weights updated in between are used from then
    on (the stored states were computed with the old weights, as in Williams & Peng).
    ``k1 = k2 = T`` is full BPTT.

    >>> import torch
    >>> from seqlab.recurrent.bptt import elman_sequence
    >>> w_ih, w_hh = torch.randn(3, 1), 0.5 * torch.randn(3, 3)
    >>> def fwd(xc, state):
    ...     h_all, _ = elman_sequence(xc, state[0], w_ih, w_hh)
    ...     return h_all, (h_all,)
    >>> x = torch.randn(2, 10, 1)
    >>> chunks = truncated_bptt(fwd, x, (torch.zeros(2, 3),), k1=4, k2=6)
    >>> [(c.start, c.stop, c.graph_start) for c in chunks]
    [(0, 4, 0), (4, 8, 2), (8, 10, 6)]
    """
    k1 = check_int(k1, "k1", minimum=1)
    k2 = check_int(k2, "k2", minimum=1)
    if k2 < k1:
        raise SeqlabValueError(
            f"k2 (steps backpropagated, {k2}) must be >= k1 (steps per chunk, {k1}): every "
            "new step's loss needs a gradient path; use k2 = k1 for plain chunked BPTT."
        )
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise SeqlabValueError("x must be a batch-first tensor (B, T, ...).")
    T = x.shape[1]
    # detached state s_t (the state after step t-1; s_0 = the initial state) where the next
    # chunk's graph starts; only that one is kept
    history: dict[int, tuple[Tensor, ...]] = {0: tuple(s.detach() for s in state)}
    start = 0
    while start < T:
        stop = min(start + k1, T)
        g0 = max(0, start + k1 - k2)  # a short last chunk keeps the planned start
        out, states = forward(x[:, g0:stop], history[g0])
        if len(states) != len(state):
            raise SeqlabValueError(
                f"forward returned {len(states)} per-step state tensors but state has "
                f"{len(state)} entries; return one (B, t, ...) tensor per state entry."
            )
        final = tuple(s[:, -1].detach() for s in states)
        nxt = max(0, stop + k1 - k2)  # where the next chunk's graph starts
        if nxt > g0:
            history = {nxt: tuple(s[:, nxt - g0 - 1].detach() for s in states)}
        yield TBPTTChunk(start, stop, g0, out[:, start - g0 :], final)
        start = stop

"""Stateful truncated BPTT for a token language model (a stop-gap for the Trainer's
``TokenStream``; see :class:`seqlab.pipelines.TextLanguageModel`).

The training ids are cut into ``batch_size`` contiguous columns (column ``b`` holds ids
``b*L .. (b+1)*L-1``); chunk ``k`` feeds ids ``[k*bptt, (k+1)*bptt)`` of every column and
predicts the next id, starting from the hidden state the previous chunk ended with (detached,
so gradients flow through ``bptt`` steps). This is the classic setup of Zaremba et al. (2014)
and the PyTorch word-language-model example.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["batchify", "detach_state", "stream_loss", "train_stream"]


def batchify(ids: np.ndarray, batch_size: int) -> Tensor:
    """(batch_size, L) int64: ``ids`` cut into ``batch_size`` contiguous columns (tail dropped)."""
    cols = len(ids) // batch_size
    return torch.as_tensor(ids[: cols * batch_size], dtype=torch.long).view(batch_size, cols)


def detach_state(state: Any) -> Any:
    """``state`` with every tensor detached (tuples/lists kept)."""
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, tuple | list):
        return type(state)(detach_state(s) for s in state)
    return state


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


def train_stream(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Tensor,
    bptt: int,
    *,
    epochs: int,
    max_steps: int | None,
    max_time: float | None,
    clip_norm: float | None,
    on_step: Callable[[int, float], None] | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> tuple[int, float]:
    """Train on ``data`` (B, L) for up to ``epochs`` passes, ``max_steps`` optimiser steps or
    ``max_time`` seconds, whichever ends first; returns (steps taken, mean training loss of
    the last epoch in nats/token)."""
    params = [p for p in model.parameters() if p.requires_grad]
    step, t0, last = 0, time.perf_counter(), math.nan
    for epoch in range(epochs):
        model.train()
        state: Any = None
        total, n = 0.0, 0
        for i in range(0, data.shape[1] - 1, bptt):
            if max_steps is not None and step >= max_steps:
                break
            if max_time is not None and time.perf_counter() - t0 >= max_time:
                break
            y = data[:, i + 1 : i + 1 + bptt]
            x = data[:, i : i + y.shape[1]]
            logits, state = model(x, state=detach_state(state), return_state=True)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                               y.reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(params, clip_norm)
            optimizer.step()
            step += 1
            value = float(loss.detach())
            total, n = total + value, n + 1
            if on_step is not None:
                on_step(step, value)
        last = total / n if n else last
        if on_epoch is not None:
            on_epoch(epoch + 1)
        if (max_steps is not None and step >= max_steps) or (
                max_time is not None and time.perf_counter() - t0 >= max_time):
            break
    return step, last

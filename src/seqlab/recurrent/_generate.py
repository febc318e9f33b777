"""Sampling token ids from a pattern-1 model (:meth:`SequenceTagger.generate`), and the
check of token-id input shared by the patterns.

The model reads a *prime* once, then one step at a time: the logits of the last step give
the distribution of the next id, ``p = softmax(logits / temperature)`` (restricted to the
``top_k`` most probable ids when given), the sampled id is fed back, and the recurrent
state is carried from step to step (``return_state=True``) so each new id costs one step.
``temperature=0`` takes the most probable id (greedy decoding).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_int, check_positive
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["check_token_ids", "generate_ids", "sample_next"]


def check_token_ids(x: Any, name: str, vocab_size: int,
                    ndim: Collection[int] = (2,)) -> Tensor:
    """``x`` as an int64 tensor of token ids in ``[0, vocab_size)``, or a clear error.

    Accepts a tensor, numpy array or nested list of integers with ``x.ndim`` in ``ndim``.

    >>> check_token_ids([[0, 2]], "x", 3).tolist()
    [[0, 2]]
    >>> check_token_ids([[0, 3]], "x", 3)
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: x holds token id 3, outside [0, 3) (vocab_size=3); ...
    """
    if x is None or isinstance(x, str | bytes):
        raise SeqlabTypeError(f"{name} must be integer token ids (a tensor of dtype int64); got "
                              f"{type(x).__name__}. Encode text with a vocabulary first.")
    if not isinstance(x, Tensor):
        try:
            x = torch.as_tensor(np.asarray(x))
        except (TypeError, ValueError, RuntimeError):
            raise SeqlabTypeError(f"{name} must be integer token ids; got "
                                  f"{type(x).__name__} that is not a numeric array.") from None
    if x.numel() == 0:
        raise SeqlabValueError(f"{name} is empty (shape {tuple(x.shape)}); give at least one "
                               "token id per sequence.")
    if x.dtype.is_floating_point or x.is_complex() or x.dtype == torch.bool:
        raise SeqlabTypeError(f"{name} must hold integer token ids (the model was built with "
                              f"vocab_size); got dtype {x.dtype}. Pass {name}.long() if the "
                              "values are ids, or build the model without vocab_size.")
    if x.dim() not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        shape = "(batch, time)" if 2 in ndim else "(time,)"
        raise SeqlabValueError(f"{name} must be {want} token ids {shape}; got shape "
                               f"{tuple(x.shape)}.")
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi >= vocab_size:
        bad = lo if lo < 0 else hi
        raise SeqlabValueError(f"{name} holds token id {bad}, outside [0, {vocab_size}) "
                               f"(vocab_size={vocab_size}); ids must index the vocabulary.")
    return x.to(torch.int64)


def sample_next(logits: Tensor, temperature: float, top_k: int | None,
                generator: torch.Generator | None) -> Tensor:
    """One id per row of ``logits`` (B, V): argmax when ``temperature == 0``, else a draw
    from ``softmax(logits / temperature)`` over the ``top_k`` largest logits (all if None).

    >>> sample_next(torch.tensor([[0.0, 3.0, 1.0]]), 0.0, None, None)
    tensor([1])
    """
    if temperature == 0.0:
        return logits.argmax(-1)
    z = logits.double() / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[:, -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    probs = F.softmax(z, dim=-1)
    return torch.multinomial(probs, 1, generator=generator)[:, 0]


def _check_args(model: Any, length: Any, temperature: Any, top_k: Any,
                seed: Any) -> tuple[int, int, float, int | None]:
    vocab = model.vocab_size
    if vocab is None:
        if model.rnn.input_size != model.head.out_features:
            raise SeqlabValueError(
                "generate needs token ids: build the model with vocab_size=V (an embedding) "
                "and output_size=V, or with input_size == output_size (the sampled id is fed "
                f"back one-hot); got input_size={model.rnn.input_size}, "
                f"output_size={model.head.out_features}.")
        vocab = model.head.out_features
    elif model.head.out_features != vocab:
        raise SeqlabValueError(f"generate feeds each sampled id back, so output_size must equal "
                               f"vocab_size; got output_size={model.head.out_features}, "
                               f"vocab_size={vocab}.")
    if model.rnn.bidirectional:
        raise SeqlabValueError("generate needs a causal model; a bidirectional layer reads the "
                               "future. Build the model with bidirectional=False.")
    length = check_int(length, "length", minimum=1)
    temperature = check_positive(temperature, "temperature", strict=False)
    if top_k is not None:
        top_k = check_int(top_k, "top_k", minimum=1, maximum=vocab)
    if seed is not None:
        check_int(seed, "seed", minimum=0)
    return vocab, length, temperature, top_k


def generate_ids(model: nn.Module, prime: Any, length: Any, temperature: Any = 1.0,
                 top_k: Any = None, seed: Any = None) -> Tensor:
    """Sample ``length`` ids after ``prime`` from a :class:`SequenceTagger` (see its
    :meth:`~seqlab.recurrent.patterns.SequenceTagger.generate`). Returns (B, length) int64."""
    m: Any = model
    vocab, length, temperature, top_k = _check_args(m, length, temperature, top_k, seed)
    ids = check_token_ids(prime, "prime", vocab, ndim=(1, 2))
    if ids.dim() == 1:
        ids = ids[None, :]
    param = next(m.head.parameters())
    ids = ids.to(param.device)
    gen = None
    if seed is not None:
        gen = torch.Generator(device=param.device).manual_seed(int(seed))

    def run(tokens: Tensor, state: Any) -> tuple[Tensor, Any]:
        x: Tensor = tokens if m.vocab_size is not None else F.one_hot(tokens, vocab).to(
            param.dtype)
        y, final = m(x, state=state, return_state=True)
        return y[:, -1], final

    # a skip cell hands back only h_T (not its history h_{t-1..t-k}), so carrying its state
    # would change the result: it re-reads the whole growing sequence at every step instead
    carry = m.rnn.cell_type != "skip"
    was_training = m.training
    m.eval()
    try:
        with torch.no_grad():
            logits, state = run(ids, None)
            seq, out = ids, []
            for i in range(length):
                nxt = sample_next(logits, temperature, top_k, gen)
                out.append(nxt)
                if i == length - 1:
                    break
                if carry:
                    logits, state = run(nxt[:, None], state)
                else:
                    seq = torch.cat([seq, nxt[:, None]], 1)
                    logits, _ = run(seq, None)
    finally:
        m.train(was_training)
    return torch.stack(out, 1)

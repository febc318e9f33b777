"""The lecture's three RNN patterns as ready models (they know nothing of training).

1. :class:`SequenceTagger` -- an output at every step, recurrence hidden-to-hidden
   (sequence tagging, per-step forecasting): ``h_t = cell(x_t, h_{t-1})``,
   ``o_t = W_out h_t + b_out``.
2. :class:`OutputFeedbackRNN` -- recurrence only from the output at one step to the hidden
   units at the next (a Jordan network): ``h_t = f(W_ih x_t + b_ih + W_yh y_{t-1} + b_hh)``,
   ``y_t = g(W_hy h_t + b_hy)``. Trained with teacher forcing (the true ``y_{t-1}`` is fed,
   so all steps run in parallel); run free at inference (its own ``y_{t-1}`` is fed back).
3. :class:`SequenceClassifier` -- reads the whole sequence, then one output from the state
   at the last valid step: ``o = W_out h_T + b_out``.

Source: Goodfellow, Bengio & Courville (2016) *Deep Learning* §10.2 (figures 10.3-10.5).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor, nn

from seqlab._validation import check_choice, check_int
from seqlab.exceptions import SeqlabValueError
from seqlab.recurrent._generate import check_token_ids, generate_ids
from seqlab.recurrent._init_args import RecordsInitArgs
from seqlab.recurrent.cells import JordanCell
from seqlab.recurrent.init import apply_init_options_, check_init_options
from seqlab.recurrent.layers import RNNLayer, check_lengths_tensor, check_sequence_tensor

__all__ = ["OutputFeedbackRNN", "SequenceClassifier", "SequenceTagger"]

HiddenCell = Literal["elman", "leaky", "skip", "lstm", "gru"]
_HIDDEN_CELLS = ("elman", "leaky", "skip", "lstm", "gru")


def _valid_mask(lengths: Tensor | None, batch: int, steps: int, device: torch.device) -> Tensor:
    """(B, T, 1) bool: True at valid steps."""
    if lengths is None:
        return torch.ones(batch, steps, 1, dtype=torch.bool, device=device)
    t = torch.arange(steps, device=device)
    return (t[None, :] < lengths.to(device)[:, None])[:, :, None]


class _Seeded:
    """Context manager: build modules under a fixed torch seed without touching the caller's."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self._fork: Any = None

    def __enter__(self) -> None:
        if self.seed is not None:
            self._fork = torch.random.fork_rng(devices=[])
            self._fork.__enter__()
            torch.manual_seed(int(self.seed))

    def __exit__(self, *exc: object) -> None:
        if self._fork is not None:
            self._fork.__exit__(*exc)


class _RecurrentWithHead(RecordsInitArgs, nn.Module):
    """Patterns 1 and 3: an :class:`~seqlab.recurrent.layers.RNNLayer` ``self.rnn`` and a
    linear ``self.head`` reading its outputs, both built under ``seed``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        cell: HiddenCell = "lstm",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
        alpha: float | Tensor = 0.9,  # leaky cells: leak per unit, in (0, 1)
        learn_alpha: bool = False,  # leaky cells: learn the leak
        skip: int = 2,  # skip cells: also read h_{t-skip}
        impl: Literal["auto", "loop", "torch", "bptt"] = "auto",
        seed: int | None = None,
        vocab_size: int | None = None,  # token-id input: x holds ids, embedded to input_size
        recurrent_init: Literal["uniform", "orthogonal", "identity"] = "uniform",
        forget_bias: float | None = None,  # lstm: total forget-gate bias
        chrono: int | None = None,  # lstm/gru: chrono initialisation for T_max steps
    ) -> None:
        super().__init__()
        check_choice(cell, "cell", _HIDDEN_CELLS)
        check_init_options(recurrent_init, forget_bias, chrono, cell)
        if seed is not None:
            check_int(seed, "seed", minimum=0)
        self.vocab_size = None if vocab_size is None else check_int(vocab_size, "vocab_size",
                                                                    minimum=1)
        with _Seeded(seed):
            self.rnn = RNNLayer(input_size, hidden_size, cell=cell, num_layers=num_layers,
                                bidirectional=bidirectional, dropout=dropout,
                                nonlinearity=nonlinearity, alpha=alpha,
                                learn_alpha=learn_alpha, skip=skip, impl=impl,
                                recurrent_init=recurrent_init, forget_bias=forget_bias,
                                chrono=chrono)
            self.head = nn.Linear(self.rnn.output_size, check_int(output_size, "output_size",
                                                                  minimum=1))
            # built last, so the same seed gives the same recurrent and head weights either way
            self.embedding = (None if self.vocab_size is None
                              else nn.Embedding(self.vocab_size, self.rnn.input_size))

    def inputs(self, x: Any) -> Any:
        """The vectors the recurrent layer reads: ``x`` itself, or with ``vocab_size`` set,
        the embeddings (B, T, input_size) of the token ids ``x`` (B, T)."""
        if self.embedding is None:
            return x
        assert self.vocab_size is not None
        return self.embedding(check_token_ids(x, "x", self.vocab_size, ndim=(2,)))


class SequenceTagger(_RecurrentWithHead):
    """Pattern 1: output at every step, hidden-to-hidden recurrence.

    ``h_t = cell(x_t, h_{t-1})`` (any hidden cell, stacked / bidirectional as
    :class:`~seqlab.recurrent.layers.RNNLayer`), ``o_t = W_out h_t + b_out``.

    ============ ================= ==================================
    tensor       shape             meaning
    ============ ================= ==================================
    x            (B, T, I)         inputs; with ``vocab_size``: (B, T)
                                   int64 token ids in [0, vocab_size)
    lengths      (B,) or None      valid steps per sequence
    returns      (B, T, O)         per-step outputs (logits or values),
                                   0 at padded steps
    ============ ================= ==================================

    ``forward(x, lengths=None, state=None, return_state=False)``; with ``return_state=True``
    it returns ``(outputs, final_state)`` so a long stream can be fed in chunks. With
    ``vocab_size=V`` an ``nn.Embedding(V, input_size)`` (``self.embedding``) turns the ids
    into the vectors the recurrent layer reads; :meth:`generate` samples ids from it.
    Initialisation options (``recurrent_init``, ``forget_bias``, ``chrono``): see
    :class:`~seqlab.recurrent.layers.RNNLayer`.

    >>> model = SequenceTagger(3, 8, 5, cell="gru", seed=0)
    >>> tuple(model(torch.randn(2, 7, 3)).shape)
    (2, 7, 5)
    >>> lm = SequenceTagger(16, 32, 50, vocab_size=50, seed=0)  # a language model
    >>> tuple(lm(torch.randint(50, (2, 7))).shape)
    (2, 7, 50)
    """

    def generate(self, prime: Any, length: int, *, temperature: float = 1.0,
                 top_k: int | None = None, seed: int | None = None) -> Tensor:
        """Sample ``length`` token ids following ``prime``; returns int64 (B, length).

        ``prime`` is (T,) or (B, T) integer ids (a tensor, array or list; at least one id).
        The model reads the prime once, then one step at a time carrying its state: each
        next id is drawn from ``softmax(logits / temperature)`` of the last step, restricted
        to the ``top_k`` most probable ids when given (ties at the k-th logit are kept), and
        fed back. ``temperature=0`` is greedy decoding (argmax). The same ``seed`` gives the
        same ids (a ``torch.Generator``; ``None`` uses torch's global generator).

        Ids enter the model through ``self.embedding`` when the model was built with
        ``vocab_size`` (``output_size`` must equal ``vocab_size``); without it the model must
        have ``input_size == output_size`` and each id is fed back **one-hot** (a model
        trained on one-hot characters). Bidirectional models are refused. The model runs in
        eval mode (no dropout) under ``torch.no_grad`` and its training flag is restored.
        Skip cells hand back no history in their state, so for them every step re-reads the
        whole sequence (exact, but O(length^2)).

        >>> lm = SequenceTagger(8, 16, 10, vocab_size=10, seed=0)
        >>> ids = lm.generate([1, 2, 3], 5, temperature=0.8, top_k=3, seed=0)
        >>> tuple(ids.shape), bool(torch.equal(ids, lm.generate([1, 2, 3], 5, temperature=0.8,
        ...                                                     top_k=3, seed=0)))
        ((1, 5), True)
        """
        return generate_ids(self, prime, length, temperature, top_k, seed)

    def forward(self, x: Tensor, lengths: Any = None, state: Any = None,
                return_state: bool = False):
        """Per-step outputs (B, T, O); see the class docstring."""
        out, final = self.rnn(self.inputs(x), state=state, lengths=lengths)
        y = self.head(out)
        if lengths is not None:
            lens = check_lengths_tensor(lengths, x.shape[0], x.shape[1])
            y = y.masked_fill(~_valid_mask(lens, x.shape[0], x.shape[1], y.device), 0.0)
        return (y, final) if return_state else y


class SequenceClassifier(_RecurrentWithHead):
    """Pattern 3: read the whole sequence, then produce one output.

    ``o = W_out s + b_out`` where the summary ``s`` is, with ``pooling="last"``, the top
    layer's state at each sequence's last valid step (for a bidirectional layer: the
    forward direction at ``lengths-1`` and the backward direction at step 0); with
    ``pooling="mean"`` the mean of the top layer's outputs over the valid steps.

    ============ ================= ==================================
    tensor       shape             meaning
    ============ ================= ==================================
    x            (B, T, I)         inputs; with ``vocab_size``: (B, T)
                                   int64 token ids in [0, vocab_size)
    lengths      (B,) or None      valid steps per sequence
    returns      (B, O)            one output (logits or values)
    ============ ================= ==================================

    >>> model = SequenceClassifier(3, 8, 4, cell="lstm", bidirectional=True, seed=0)
    >>> tuple(model(torch.randn(2, 7, 3), lengths=[7, 2]).shape)
    (2, 4)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        cell: HiddenCell = "lstm",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
        pooling: Literal["last", "mean"] = "last",
        alpha: float | Tensor = 0.9,  # leaky cells: leak per unit, in (0, 1)
        learn_alpha: bool = False,  # leaky cells: learn the leak
        skip: int = 2,  # skip cells: also read h_{t-skip}
        impl: Literal["auto", "loop", "torch", "bptt"] = "auto",
        seed: int | None = None,
        vocab_size: int | None = None,  # token-id input: x holds ids, embedded to input_size
        recurrent_init: Literal["uniform", "orthogonal", "identity"] = "uniform",
        forget_bias: float | None = None,  # lstm: total forget-gate bias
        chrono: int | None = None,  # lstm/gru: chrono initialisation for T_max steps
    ) -> None:
        check_choice(cell, "cell", _HIDDEN_CELLS)  # a bad cell is reported before a bad pooling
        pooling = check_choice(pooling, "pooling", ("last", "mean"))
        super().__init__(input_size, hidden_size, output_size, cell, num_layers, bidirectional,
                         dropout, nonlinearity, alpha, learn_alpha, skip, impl, seed,
                         vocab_size, recurrent_init, forget_bias, chrono)
        self.pooling = pooling

    def summary(self, x: Tensor, lengths: Any = None) -> Tensor:
        """The (B, D*H) summary ``s`` the head reads."""
        out, _ = self.rnn(self.inputs(x), lengths=lengths)  # (B, T, D*H), 0 at padding
        batch, steps = out.shape[:2]
        lens = (torch.full((batch,), steps, dtype=torch.int64) if lengths is None
                else check_lengths_tensor(lengths, batch, steps)).to(out.device)
        if self.pooling == "mean":
            return out.sum(1) / lens[:, None].to(out.dtype)
        rows = torch.arange(batch, device=out.device)
        h = self.rnn.hidden_size
        last = out[rows, lens - 1]  # forward direction: the last valid step
        if not self.rnn.bidirectional:
            return last
        return torch.cat([last[:, :h], out[:, 0, h:]], dim=-1)  # backward: ends at step 0

    def forward(self, x: Tensor, lengths: Any = None) -> Tensor:
        """One output per sequence (B, O)."""
        return self.head(self.summary(x, lengths))


class OutputFeedbackRNN(RecordsInitArgs, nn.Module):
    """Pattern 2: recurrence only from the output at t-1 to the hidden units at t.

    ``h_t = f(W_ih x_t + b_ih + W_yh y_{t-1} + b_hh)``, ``y_t = g(W_hy h_t + b_hy)``
    (a :class:`~seqlab.recurrent.cells.JordanCell`, held as ``self.cell``).

    - ``forward(x, y_prev, lengths=None)`` -- **teacher forcing**: ``y_prev[:, t]`` is the
      true output of step t-1 (``y_prev[:, 0]`` the start value ``y_0``; build it with
      :meth:`shift_targets`). Nothing recurs, so every step is computed at once.
    - ``generate(x=None, steps=None, y0=None)`` -- **free running**: feeds back its own
      ``y_{t-1}``. With ``input_size=0`` pass no ``x`` and give ``steps``. To continue
      after a known prefix, pass the prefix's last output as ``y0``: the output is the
      whole state of this model.

    ============ ================= ==================================
    tensor       shape             meaning
    ============ ================= ==================================
    x            (B, T, I)         inputs (``None`` when I = 0)
    y_prev       (B, T, O)         teacher's previous outputs
    y0           (B, O)            start value (default zeros)
    returns      (B, T, O)         outputs ``y_t`` (0 at padded steps)
    ============ ================= ==================================

    ``recurrent_init`` ("uniform", "orthogonal", "identity") initialises the feedback matrix
    ``W_yh`` (:mod:`seqlab.recurrent.init`); ``forget_bias`` and ``chrono`` need gated cells
    and are refused here (they exist so that every pattern takes the same options).

    >>> model = OutputFeedbackRNN(2, 8, 1, seed=0)
    >>> x = torch.randn(3, 6, 2)
    >>> y_free = model.generate(x)
    >>> y_tf = model(x, OutputFeedbackRNN.shift_targets(y_free))
    >>> torch.allclose(y_free, y_tf, atol=1e-6)
    True
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
        output_activation: Literal["identity", "tanh", "sigmoid"] = "identity",
        seed: int | None = None,
        recurrent_init: Literal["uniform", "orthogonal", "identity"] = "uniform",
        forget_bias: float | None = None,  # refused: a Jordan cell has no gates
        chrono: int | None = None,  # refused: a Jordan cell has no gates
    ) -> None:
        super().__init__()
        check_init_options(recurrent_init, forget_bias, chrono, "jordan")
        if seed is not None:
            check_int(seed, "seed", minimum=0)
        with _Seeded(seed):
            self.cell = JordanCell(input_size, hidden_size, check_int(output_size, "output_size",
                                                                      minimum=1),
                                   nonlinearity, output_activation)
            apply_init_options_(self.cell, recurrent_init, reset=False)

    @property
    def output_size(self) -> int:
        return self.cell.output_size

    @staticmethod
    def shift_targets(y: Tensor, y0: Tensor | None = None) -> Tensor:
        """Teacher inputs from targets: ``y_prev[:, 0] = y0`` (zeros), ``y_prev[:, t] = y[:, t-1]``.

        >>> OutputFeedbackRNN.shift_targets(torch.tensor([[[1.], [2.], [3.]]]))[..., 0]
        tensor([[0., 1., 2.]])
        """
        start = torch.zeros_like(y[:, :1]) if y0 is None else y0[:, None, :]
        return torch.cat([start, y[:, :-1]], dim=1)

    def _input_terms(self, x: Tensor | None, batch: int, steps: int, like: Tensor) -> Tensor:
        """``u = W_ih x + b_ih + b_hh`` for every step (B, T, H)."""
        if x is None:
            if self.cell.input_size:
                raise SeqlabValueError(f"x is required: the model was built with input_size="
                                 f"{self.cell.input_size}.")
            return (self.cell.bias_ih + self.cell.bias_hh).expand(batch, steps, -1)
        return self.cell.input_term(x)

    def forward(self, x: Tensor | None, y_prev: Tensor, lengths: Any = None) -> Tensor:
        """Teacher-forced outputs (B, T, O); see the class docstring."""
        p = self.cell.weight_yh
        y_prev = check_sequence_tensor(y_prev, "y_prev", self.output_size, p.dtype)
        batch, steps = y_prev.shape[:2]
        if x is not None:
            x = check_sequence_tensor(x, "x", self.cell.input_size, p.dtype)
            if x.shape[:2] != y_prev.shape[:2]:
                raise SeqlabValueError(
                    f"x and y_prev must share (batch, time); got {tuple(x.shape[:2])}"
                    f" and {tuple(y_prev.shape[:2])}."
                )
        u = self._input_terms(x, batch, steps, y_prev)
        y = self.cell.readout(self.cell.hidden(u, y_prev))  # all steps at once
        if lengths is not None:
            lens = check_lengths_tensor(lengths, batch, steps)
            y = y.masked_fill(~_valid_mask(lens, batch, steps, y.device), 0.0)
        return y

    def generate(self, x: Tensor | None = None, steps: int | None = None,
                 y0: Tensor | None = None) -> Tensor:
        """Free-running outputs (B, T, O): ``y_t`` is computed from the model's own ``y_{t-1}``."""
        p = self.cell.weight_yh
        if x is not None:
            x = check_sequence_tensor(x, "x", self.cell.input_size, p.dtype)
            batch, n = x.shape[0], x.shape[1]
            if steps is not None and steps != n:
                raise SeqlabValueError(
                    f"steps={steps} disagrees with x's {n} time steps; omit steps."
                )
        else:
            if steps is None:
                raise SeqlabValueError("give x or the number of steps to generate.")
            n = check_int(steps, "steps", minimum=1)
            batch = 1 if y0 is None else y0.shape[0]
        y = p.new_zeros(batch, self.output_size) if y0 is None else y0
        if tuple(y.shape) != (batch, self.output_size):
            raise SeqlabValueError(f"y0 must have shape {(batch, self.output_size)}; got "
                             f"{tuple(y.shape)}.")
        u = self._input_terms(x, batch, n, p)
        outs = []
        for u_t in u.unbind(1):
            y = self.cell.readout(self.cell.hidden(u_t, y))  # feed back its own output
            outs.append(y)
        return torch.stack(outs, 1)

"""The online training loop the reproductions share (a stream of fresh sequences).

Hochreiter & Schmidhuber (1997) train on a stream of freshly generated sequences and report
how many training sequences a network needed before it was correct on a test set; Pascanu
et al. (2013) likewise draw new sequences for every step. :class:`seqlab.training.Trainer`
loops over epochs of a fixed dataset, so the reproductions use this small loop instead; it
calls the same remedies (:func:`seqlab.training.clipping.clip_grad_norm` and the
regularizer of :mod:`seqlab.training.regularizers`).

Each mini-batch holds sequences of **one length** (the tasks draw lengths in [T, 1.1 T]):
that is exact (no padding, so nothing leaks) and lets the recurrent layer take PyTorch's
fused kernels, which are several times slower on padded (packed) batches.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from seqlab.diagnostics import state_gradients
from seqlab.exceptions import SeqlabValueError
from seqlab.training.clipping import clip_grad_norm, grad_norm
from seqlab.training.regularizers import hidden_deltas, pascanu_regularizer

__all__ = ["RunResult", "StreamConfig", "build_model", "chrono_biases", "gradient_reach",
           "length_batches", "progress_printer", "train_stream"]

#: generate(n, seed) -> (X (N, T_max, I) float32, lengths (N,), y (N,))
Generator = Callable[[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass
class StreamConfig:
    """Budget and optimiser of one online run."""

    max_sequences: int = 20_000  # training sequences (the budget)
    batch_size: int = 32
    chunk: int = 1_600  # sequences generated at once (then cut into equal-length batches)
    eval_every: int = 3_200  # sequences between test evaluations
    optimizer: str = "adam"  # "adam" or "sgd" (momentum below)
    lr: float = 1e-2
    momentum: float = 0.9
    clip_norm: float | None = 1.0
    regularizer_alpha: float = 0.0  # Pascanu et al. 2013 Omega (Elman only)
    target_errors: int = 1  # stop when at most this many test sequences are wrong
    seed: int = 0


@dataclass
class RunResult:
    """What one run reports: the learning curve and the sequences it needed."""

    label: str
    solved: bool
    sequences: int  # sequences seen when solved (or the whole budget)
    test_errors: int
    n_test: int
    wall_time_s: float
    curve: list[tuple[int, int, float]] = field(default_factory=list)  # (seen, errors, loss)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label, "solved": self.solved, "sequences": self.sequences,
            "test_errors": self.test_errors, "n_test": self.n_test,
            "wall_time_s": round(self.wall_time_s, 2), "curve": self.curve, **self.extra,
        }


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator
                   ) -> list[np.ndarray]:
    """Indices grouped into batches whose sequences share one length, in random order.

    >>> b = length_batches(np.array([3, 3, 4, 3, 4]), 2, np.random.default_rng(0))
    >>> sorted(len(i) for i in b)
    [1, 2, 2]
    """
    out: list[np.ndarray] = []
    for value in np.unique(lengths):
        idx = rng.permutation(np.flatnonzero(lengths == value))
        out.extend(idx[i:i + batch_size] for i in range(0, idx.size, batch_size))
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def predict(model: nn.Module, X: np.ndarray, lengths: np.ndarray, batch_size: int = 512
            ) -> Tensor:
    """Model outputs for every sequence, evaluated per length (exact, no padding)."""
    model.eval()
    preds: list[Tensor] = []
    idx_all: list[np.ndarray] = []
    with torch.no_grad():
        for value in np.unique(lengths):
            idx = np.flatnonzero(lengths == value)
            for i in range(0, idx.size, batch_size):
                part = idx[i:i + batch_size]
                preds.append(model(torch.from_numpy(X[part, :value])))
                idx_all.append(part)
    out = torch.cat(preds)
    order = torch.from_numpy(np.argsort(np.concatenate(idx_all), kind="stable"))
    model.train()
    return out[order]


def _omega(model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor]
           ) -> tuple[Tensor, Tensor]:
    """Loss and Pascanu's Omega for a pattern-3 model ``head(rnn(x)[:, -1])`` (Elman)."""
    m: Any = model
    rnn, head = m.rnn, m.head
    out, _ = rnn(x)  # (B, T, H): h_1..h_T, with their graph
    loss = loss_fn(head(out[:, -1]), y)
    direct = torch.autograd.grad(loss, out, retain_graph=True)[0]
    w = rnn.cells[0].weight_hh
    deltas = hidden_deltas(direct, out.detach(), w.detach(), rnn.nonlinearity)
    return loss, pascanu_regularizer(out, w, deltas, rnn.nonlinearity)


def progress_printer(label: str, file: Any = None) -> Callable[[int, int, float], None]:
    """An ``on_eval`` for :func:`train_stream` that prints one line per test evaluation
    (sequences seen, wrong test sequences, recent training loss, seconds since created) to
    ``file`` (default: standard error)."""
    t0 = time.perf_counter()

    def on_eval(seen: int, errors: int, loss: float) -> None:
        print(f"[{label}] {seen:>8,} seqs  wrong {errors:>5}  loss {loss:.5f}  "
              f"{time.perf_counter() - t0:7.0f} s", file=file or sys.stderr, flush=True)
    return on_eval


def train_stream(
    model: nn.Module,
    generate: Generator,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    count_errors: Callable[[Tensor, np.ndarray], int],
    test: tuple[np.ndarray, np.ndarray, np.ndarray],
    config: StreamConfig,
    label: str = "",
    callback: Callable[[int, nn.Module], None] | None = None,
    on_eval: Callable[[int, int, float], None] | None = None,
) -> RunResult:
    """Train ``model`` on fresh sequences until the test set is solved or the budget is spent.

    ``count_errors(pred, y_test)`` returns the number of wrong test sequences; the run stops
    as soon as it is ``<= config.target_errors`` (checked every ``eval_every`` sequences).
    ``callback(step, model)`` is called after every optimiser step (e.g. a
    :class:`seqlab.diagnostics.GradientMonitor`); ``on_eval(seen, errors, loss)`` after
    every test evaluation (progress logs).
    """
    c = config
    torch.manual_seed(c.seed)
    rng = np.random.default_rng(c.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt: torch.optim.Optimizer = (
        torch.optim.Adam(params, lr=c.lr) if c.optimizer == "adam"
        else torch.optim.SGD(params, lr=c.lr, momentum=c.momentum))
    X_test, len_test, y_test = test
    t0 = time.perf_counter()
    seen, step, chunk_id = 0, 0, 0
    curve: list[tuple[int, int, float]] = []
    next_eval = c.eval_every
    errors, losses = len(y_test), []
    solved = False
    model.train()
    while seen < c.max_sequences and not solved:
        n = min(c.chunk, c.max_sequences - seen)
        X, lengths, y = generate(n, c.seed * 1_000_003 + chunk_id)
        chunk_id += 1
        for idx in length_batches(lengths, c.batch_size, rng):
            T = int(lengths[idx[0]])
            x = torch.from_numpy(X[idx, :T])
            target = torch.from_numpy(y[idx])
            opt.zero_grad(set_to_none=True)
            if c.regularizer_alpha > 0:
                loss, omega = _omega(model, x, target, loss_fn)
                (loss + c.regularizer_alpha * omega).backward()
            else:
                loss = loss_fn(model(x), target)
                loss.backward()
            norm = clip_grad_norm(params, c.clip_norm) if c.clip_norm else grad_norm(params)
            step += 1
            seen += len(idx)
            if math.isfinite(norm):
                opt.step()
                losses.append(float(loss.detach()))
            if callback is not None:
                callback(step, model)
            if seen >= next_eval or seen >= c.max_sequences:
                next_eval += c.eval_every
                errors = count_errors(predict(model, X_test, len_test), y_test)
                curve.append((seen, errors, float(np.mean(losses[-50:])) if losses else math.nan))
                if on_eval is not None:
                    on_eval(*curve[-1])
                if errors <= c.target_errors:
                    solved = True
                    break
    return RunResult(label, solved, seen, errors, len(y_test), time.perf_counter() - t0, curve)


#: bias added to the state-keeping gate: LSTM forget gate f, GRU update gate z
GATE_BIAS = {"lstm": 3.0, "gru": 1.0}


def chrono_biases(hidden_size: int, t_max: int, *, seed: int) -> Tensor:
    """Chrono initialisation: ``b ~ log(U[1, t_max - 1])``, one bias per unit (H,).

    Tallec & Ollivier (2018), "Can recurrent neural networks warp time?", ICLR, Sect. 4: a
    gate ``sigm(b)`` that keeps the state forgets with time constant ``1 / (1 - sigm(b))
    = 1 + e^b``, so these biases spread the units' memory times uniformly over ``[2, t_max]``
    steps. The same seed gives the same biases.

    >>> b = chrono_biases(1000, 500, seed=0)
    >>> bool(b.min() >= 0.0) and bool(b.max() <= float(np.log(499.0)))
    True
    """
    if t_max < 3:
        raise SeqlabValueError(f"chrono initialisation needs t_max >= 3 (the longest dependency in "
                         f"steps); got {t_max}. Pass the task's maximal sequence length.")
    from seqlab.recurrent.cells import LSTMCell
    from seqlab.recurrent.init import chrono_init_

    cell = chrono_init_(LSTMCell(1, hidden_size), t_max, torch.Generator().manual_seed(seed))
    return cell.bias_ih[hidden_size : 2 * hidden_size].detach().clone()


def build_model(cell: str, input_size: int, hidden_size: int, output_size: int, *, seed: int,
                gate_bias: float | None = None, chrono: int | None = None,
                alpha: float = 0.95, skip: int = 10,
                nonlinearity: str = "tanh") -> nn.Module:
    """A pattern-3 model (read the sequence, one output) for the reproductions.

    ``gate_bias`` (default :data:`GATE_BIAS`: +3 LSTM, +1 GRU) is added to the bias of the
    gate that keeps the state (the LSTM forget gate, Gers et al. 2000; the GRU update gate
    ``z``): the usual start that lets the error flow through time from the first step
    (Jozefowicz et al. 2015). Without it, our LSTM stayed on the adding problem's plateau
    (predicting the mean) for 60,000 sequences at T = 50; with +3 it solved it after
    51,200. Leaky units get a learnable leak starting at ``alpha``; skip cells read ``h_{t-skip}``.

    ``chrono=t_max`` (LSTM, GRU; replaces ``gate_bias``) uses the chrono initialisation of
    Tallec & Ollivier (2018) for dependencies up to ``t_max`` steps: the keeping gate's bias
    (``b_if + b_hf``, or ``b_iz + b_hz``) is ``log(U[1, t_max - 1])`` per unit
    (:func:`chrono_biases`) and, for the LSTM, the input gate's is its negative. A constant
    +3 forgets with time constant ``1 + e^3 ~ 21`` steps (``sigm(3)^500 ~ 4e-11``): too
    short for T = 500, where our LSTM with +3 still had 2172/2560 wrong after 300,000
    sequences.
    """
    from seqlab.recurrent.init import chrono_init_
    from seqlab.recurrent.layers import RNNLayer
    from seqlab.recurrent.patterns import SequenceClassifier

    model = SequenceClassifier(input_size, hidden_size, output_size, cell=cell,  # type: ignore[arg-type]
                               nonlinearity=nonlinearity, seed=seed)  # type: ignore[arg-type]
    if cell in ("leaky", "skip"):
        gen = torch.random.fork_rng(devices=[])
        with gen:
            torch.manual_seed(seed)
            model.rnn = RNNLayer(input_size, hidden_size, cell=cell,  # type: ignore[arg-type]
                                 nonlinearity=nonlinearity,  # type: ignore[arg-type]
                                 alpha=alpha, learn_alpha=True, skip=skip)
    h = hidden_size
    cast_model: Any = model
    if chrono is not None:
        if gate_bias is not None:
            raise SeqlabValueError("give either gate_bias (a constant) or chrono (the chrono "
                             "initialisation), not both.")
        if cell not in ("lstm", "gru"):
            raise SeqlabValueError(
                f"chrono initialisation is for the gated cells 'lstm' and 'gru'; "
                f"got cell={cell!r}. Pass chrono=None for other cells."
            )
        # the public option (seqlab.recurrent.init.chrono_init_, also SequenceClassifier(...,
        # chrono=t_max)), drawn from its own generator so the biases are chrono_biases(seed)
        chrono_init_(cast_model.rnn.cells[0], chrono, torch.Generator().manual_seed(seed))
        return model
    if gate_bias is None:
        gate_bias = GATE_BIAS.get(cell, 0.0)
    if cell in ("lstm", "gru") and gate_bias:
        with torch.no_grad():  # rows [H, 2H): LSTM forget gate f (i,f,g,o); GRU update z (r,z,n)
            cast_model.rnn.cells[0].bias_ih[h:2 * h] += gate_bias
    return model


def gradient_reach(model: nn.Module, test: tuple[np.ndarray, ...],
                   loss_fn: Callable[[Tensor, Tensor], Tensor]) -> float:
    """Mean ``||dL/dh_1|| / ||dL/dh_T||`` on 32 test sequences of the shortest test length.

    How much of the error at the end still reaches the first step (the lecture's argument,
    measured by :func:`seqlab.diagnostics.state_gradients`); ``test`` is ``(X, lengths, y)``
    and ``loss_fn(prediction, target)`` the task's loss. ~1e-10 and below means it has
    vanished; NaN when the gradient at the last step is zero.
    """
    X, lengths, y = test
    idx = np.flatnonzero(lengths == lengths.min())[:32]
    x = torch.from_numpy(X[idx, : int(lengths.min())])
    target = torch.from_numpy(y[idx])
    g = state_gradients(model, x, lambda p: loss_fn(p, target))
    m = g.mean_norms("h")[0]
    return float(m[0] / m[-1]) if m[-1] > 0 else float("nan")

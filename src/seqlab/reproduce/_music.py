"""Pieces of the chung2014 reproduction: the frame NLL, padded batches, models, one run.

The model reads the piano roll shifted by one frame (``x_1 = 0``, ``x_t = R_{t-1}``) and
outputs 88 logits per frame; the probability of the whole roll is the product over frames
and keys of independent Bernoullis, so the **negative log-likelihood per frame** is

``NLL = (1 / sum_i T_i) * sum_i sum_t sum_k BCE(sigmoid(o_itk), R_itk)``

(nats; sum over the 88 keys, mean over all frames of all chorales) -- the measure of
Boulanger-Lewandowski et al. (2012) and Chung et al. (2014, Table 2).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from seqlab.data._types import SequenceSet
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent.patterns import SequenceTagger
from seqlab.reproduce._report import Report
from seqlab.training import TrainConfig, Trainer

__all__ = ["ChoraleBatches", "MusicReport", "MusicRun", "WeightNoise", "build_model",
           "frame_nll", "nll_of", "padded", "train_model"]


def frame_nll(logits: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """BCE-with-logits summed over the last axis (keys), averaged over the valid frames.

    ``logits``, ``target``: (B, T, K); ``mask``: (B, T) True at real frames (None: all).
    Usable as a :class:`~seqlab.training.Trainer` loss ``(pred, target, mask)``.

    >>> z = torch.zeros(1, 2, 88); r = torch.zeros(1, 2, 88)
    >>> round(float(frame_nll(z, r)), 4) == round(88 * float(np.log(2)), 4)
    True
    """
    if not isinstance(logits, Tensor) or not isinstance(target, Tensor):
        raise SeqlabTypeError("frame_nll needs torch tensors (logits, target) of shape (B, T, K).")
    if logits.shape != target.shape or logits.dim() != 3:
        raise SeqlabValueError(
            f"logits and target must both be (B, T, K); got {tuple(logits.shape)} and "
            f"{tuple(target.shape)}.")
    per_frame = F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(-1)
    if mask is None:
        return per_frame.mean()
    m = mask.to(per_frame.dtype)
    return (per_frame * m).sum() / m.sum().clamp_min(1.0)


def padded(data: SequenceSet) -> tuple[Tensor, Tensor, Tensor]:
    """``(x, y, lengths)``: inputs (rolls shifted right by one frame, zeros first), targets
    (the rolls), zero-padded to the longest chorale; float32 (N, T_max, 88), int64 (N,)."""
    lengths = torch.from_numpy(data.lengths)
    T = int(lengths.max())
    y = torch.zeros(len(data), T, data.n_features)
    for i, r in enumerate(data.sequences):
        y[i, : len(r)] = torch.from_numpy(r)
    x = torch.zeros_like(y)
    x[:, 1:] = y[:, :-1]
    return x, y, lengths


class ChoraleBatches:
    """Mini-batches of chorales of similar length, in a new random order every pass.

    Sorting by length and cutting into batches keeps padding small; the batch order (not
    their contents) is reshuffled at each ``iter`` from ``seed`` (the Trainer calls it once
    per epoch). Each batch is trimmed to its longest chorale.
    """

    def __init__(self, data: SequenceSet, batch_size: int, seed: int = 0) -> None:
        self.x, self.y, self.lengths = padded(data)
        order = np.argsort(data.lengths, kind="stable")
        self.groups = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.groups)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
        for g in self.rng.permutation(len(self.groups)):
            idx = torch.from_numpy(self.groups[g])
            T = int(self.lengths[idx].max())
            yield self.x[idx, :T], self.y[idx, :T], self.lengths[idx]


def build_model(cell: str, hidden: int, seed: int = 0) -> SequenceTagger:
    """88 inputs -> one recurrent layer of ``hidden`` units -> 88 logits per frame."""
    return SequenceTagger(88, hidden, 88, cell=cell, seed=seed)  # type: ignore[arg-type]


@torch.no_grad()
def nll_of(model: torch.nn.Module, batch: tuple[Tensor, Tensor, Tensor]) -> float:
    """Frame NLL (nats per frame) of ``model`` on a padded ``(x, y, lengths)`` split."""
    was = model.training
    model.eval()
    x, y, lengths = batch
    out = model(x, lengths=lengths)
    mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]
    model.train(was)
    return float(frame_nll(out, y, mask))


@dataclass
class MusicRun:
    """One model's run: the learning curve and the best-validation figures."""

    cell: str
    hidden: int
    n_params: int
    lr: float = 0.0
    curve: list[tuple[int, float, float, float]] = field(default_factory=list)
    # (updates, training seconds, valid NLL, test NLL); training seconds exclude evaluation
    wall_time_s: float = 0.0

    @property
    def best(self) -> tuple[int, float, float, float]:
        """The curve point with the lowest validation NLL (early stopping's choice)."""
        return min(self.curve, key=lambda c: c[2])

    def as_dict(self) -> dict[str, Any]:
        u, _, v, t = self.best
        return {"cell": self.cell, "hidden": self.hidden, "n_params": self.n_params,
                "lr": self.lr, "updates": self.curve[-1][0],
                "best_update": u, "valid_nll": round(v, 4), "test_nll": round(t, 4),
                "wall_time_s": round(self.wall_time_s, 1),
                "nll_curve": [(a, round(b, 2), round(c, 4), round(d, 4))
                              for a, b, c, d in self.curve]}


class WeightNoise:
    """Weight noise (Graves 2011): each update's gradient is taken at ``w + n``, ``n ~ N(0,
    std^2)`` drawn afresh, and applied to the clean ``w``.

    ``forward`` (a Trainer ``forward``) adds the noise before the model runs; ``remove`` (the
    first Trainer callback, after the optimiser step) subtracts it again. The optimiser's
    step ``d`` does not depend on the weights' values (RMSProp without weight decay), so
    ``(w + n + d) - n = w + d``: the clean weights move by the noisy gradient's step.
    """

    def __init__(self, std: float, seed: int = 0) -> None:
        if not std >= 0:
            raise SeqlabValueError(f"weight_noise must be >= 0; got {std}.")
        self.std = float(std)
        self.gen = torch.Generator().manual_seed(seed + 7919)
        self.added: list[tuple[Tensor, Tensor]] = []

    @torch.no_grad()
    def _add(self, model: torch.nn.Module) -> None:
        for p in model.parameters():
            n = torch.randn(p.shape, generator=self.gen, dtype=p.dtype) * self.std
            p.add_(n)
            self.added.append((p, n))

    def forward(self, model: torch.nn.Module, x: Tensor, y: Tensor,
                lengths: Tensor | None) -> Tensor:
        """Add fresh noise to every weight, then run the model (noise stays for backward)."""
        self.remove(0, model)  # a skipped (non-finite) step never reached the callback
        self._add(model)
        return model(x, lengths=lengths)

    @torch.no_grad()
    def remove(self, step: int, model: torch.nn.Module) -> None:
        """Subtract the noise added for the last update (a Trainer callback)."""
        for p, n in self.added:
            p.sub_(n)
        self.added = []


class _Patience(Exception):  # raised by the evaluation callback, caught by train_model
    """Early stopping: no new lowest validation NLL for ``patience`` evaluations."""


def _warm_up(model: torch.nn.Module, batch: tuple[Tensor, Tensor, Tensor]) -> None:
    """One forward/backward pass without an update, so one-off costs (kernel compilation,
    first allocations) stay out of the per-second learning curve; gradients are cleared."""
    x, y, lengths = batch
    frame_nll(model(x, lengths=lengths), y).backward()
    model.zero_grad(set_to_none=True)


def train_model(cell: str, hidden: int, train: SequenceSet, valid: SequenceSet,
                test: SequenceSet, *, updates: int, batch_size: int, lr: float,
                eval_every: int, seed: int = 0, patience: int | None = None,
                weight_noise: float = 0.0, on_eval: Any = None) -> MusicRun:
    """Train one model with RMSProp (gradient norm clipped at 1) for ``updates`` steps,
    evaluating valid and test NLL every ``eval_every`` updates (and before the first);
    with ``patience``, stop early after that many evaluations without a new lowest
    validation NLL. ``weight_noise`` > 0: the paper's regulariser, Gaussian noise of that
    standard deviation added to every weight for each update's forward and backward pass
    (:class:`WeightNoise`). ``on_eval(cell, point)`` sees each curve point."""
    model = build_model(cell, hidden, seed)
    run = MusicRun(cell, hidden, sum(p.numel() for p in model.parameters()), lr)
    batches = ChoraleBatches(train, batch_size, seed)
    vset, tset = padded(valid), padded(test)
    _warm_up(model, next(iter(batches)))
    t_eval = 0.0
    t0 = time.perf_counter()

    def evaluate(step: int, m: torch.nn.Module) -> None:
        nonlocal t_eval
        if step % eval_every and step != updates:
            return
        e0 = time.perf_counter()
        point = (step, e0 - t0 - t_eval, nll_of(m, vset), nll_of(m, tset))
        run.curve.append(point)
        t_eval += time.perf_counter() - e0
        if on_eval is not None:
            on_eval(cell, point)
        if patience is not None and len(run.curve) - 1 - run.curve.index(run.best) >= patience:
            raise _Patience


    evaluate(0, model)
    epochs = -(-updates // len(batches))
    cfg = TrainConfig(optimizer="rmsprop", lr=lr, clip_norm=1.0, epochs=epochs,
                      max_steps=updates, batch_size=batch_size, seed=seed, progress=False)
    noise = WeightNoise(weight_noise, seed)
    try:
        Trainer(model, cfg, loss=frame_nll, forward=noise.forward if weight_noise else None,
                callbacks=[noise.remove, evaluate] if weight_noise else [evaluate]
                ).fit(batches)
    except _Patience:
        pass
    run.wall_time_s = time.perf_counter() - t0
    return run


class MusicReport(Report):
    """A :class:`Report` whose plot shows NLL learning curves per update and per second."""

    def plot(self, path: str) -> None:
        """Valid (dashed) and test NLL against updates (left) and training seconds (right),
        as Chung et al. (2014), Figs. 2-3."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
        lows: list[float] = []
        for r in self.rows:
            curve = r.result.get("nll_curve")
            if not curve:
                continue
            c = np.asarray(curve, dtype=float)
            lows.append(float(c[:, 2:].min()))
            label = r.setting.split(" (")[0]
            for ax, col in zip(axes, (0, 1)):
                line = ax.plot(c[:, col], c[:, 3], label=f"{label} test")[0]
                ax.plot(c[:, col], c[:, 2], ls="--", color=line.get_color(), lw=1,
                        label=f"{label} valid")
        base = [r.result["test_nll"] for r in self.rows if "nll_curve" not in r.result
                and "test_nll" in r.result]
        for ax, xl in zip(axes, ("updates", "training time (s)")):
            ax.set_xlabel(xl)
            for b in base:  # the memoryless baseline
                ax.axhline(b, color="grey", lw=1, ls=":")
        if lows:  # the first points (~61 nats at initialisation) would flatten the rest
            axes[0].set_ylim(min(lows) - 0.3, max([min(lows) + 3.0, *base]) + 0.5)
        axes[0].set_ylabel("NLL per frame (nats)")
        axes[0].legend(fontsize="small")
        fig.suptitle(self.title, fontsize="medium")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)

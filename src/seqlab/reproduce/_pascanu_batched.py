"""K independent Pascanu runs (one per seed) trained at once: the same updates, batched.

:func:`seqlab.reproduce.pascanu.run_setting` trains one 50-unit tanh network; at that size a
step costs its per-operation overhead, not its arithmetic (~2.6 ms per update at T = 50).
:func:`train_seeds` trains the K networks of K seeds together: every weight has a leading
K axis, every product is a batched one (``bmm``), and forward and backward pass through time
are written out (no autograd), so one time step costs a few operations for all K networks.
Nothing is shared between the networks: network k starts from ``make_model(seed_k)``, reads
``run_setting``'s training stream of seed k (``default_rng(seed_k)``, 20 sequences per
update) and test set (``default_rng(10_000 + seed_k)``), has its own gradient norm, clipping
factor, regularizer Omega (mean over its own terms), skipped steps and stopping rule; the
loss is the sum of the K networks' losses, so each one's gradient is its own.

A network is **frozen** once solved (fewer than 1 % of its test sequences wrong at an
evaluation): it leaves the batch and takes no further updates, as a single run stops there.
The update it solved at is recorded as in ``run_setting`` (the first evaluation under 1 %).
``wall_time_s`` of a network is the time of the whole batch until that network stopped.

In float64 the weights equal ``run_setting``'s to rounding (tests/reproduce/
test_pascanu_batched.py); in float32 a different summation order can move a chaotic run.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from seqlab.exceptions import SeqlabValueError
from seqlab.reproduce import pascanu as _p
from seqlab.reproduce._train import RunResult
from seqlab.training.clipping import _MARGIN

__all__ = ["BatchedNets", "train_seeds"]

_BOUND = 1e-20  # omega_and_grad's: terms whose ||delta_t||^2 is below it are left out


class BatchedNets:
    """The weights of K smart-tanh networks, stacked on a leading axis (``make_model``'s)."""

    NAMES = ("w_ih", "w_hh", "b_ih", "b_hh", "w_out", "b_out")

    def __init__(self, seeds: Sequence[int], dtype: torch.dtype = torch.float32) -> None:
        models: list[Any] = [_p.make_model(int(s)) for s in seeds]
        cells = [m.rnn.cells[0] for m in models]

        def stack(ts: list[Tensor]) -> Tensor:
            return torch.stack([t.detach() for t in ts]).to(dtype).contiguous()

        self.w_ih = stack([c.weight_ih for c in cells])  # (K, H, I)
        self.w_hh = stack([c.weight_hh for c in cells])  # (K, H, H)
        self.b_ih = stack([c.bias_ih for c in cells])  # (K, H)
        self.b_hh = stack([c.bias_hh for c in cells])
        self.w_out = stack([m.head.weight for m in models])  # (K, C, H)
        self.b_out = stack([m.head.bias for m in models])  # (K, C)

    def params(self) -> list[Tensor]:
        return [getattr(self, n) for n in self.NAMES]

    def states(self, codes: Tensor) -> Tensor:
        """Hidden states ``(T, K, N, H)`` for symbol codes ``(T, K, N)``."""
        K, H, I = self.w_ih.shape
        table = self.w_ih.transpose(1, 2) + (self.b_ih + self.b_hh)[:, None, :]  # (K, I, H)
        flat = (codes + I * torch.arange(K)[None, :, None]).reshape(-1)
        hs = table.reshape(K * I, H).index_select(0, flat).view(*codes.shape, H)  # input part
        w_t = self.w_hh.transpose(1, 2)
        # numpy's tanh, in place on the same memory: torch's CPU tanh is ~10x slower here
        arr = hs.numpy()
        np.tanh(arr[0], out=arr[0])
        for t in range(1, hs.shape[0]):
            hs[t].baddbmm_(hs[t - 1], w_t)
            np.tanh(arr[t], out=arr[t])
        return hs

    def logits(self, h_last: Tensor) -> Tensor:
        return torch.baddbmm(self.b_out[:, None, :], h_last, self.w_out.transpose(1, 2))

    def subset(self, index: Tensor) -> BatchedNets:
        """The networks at positions ``index`` (copies)."""
        out = object.__new__(BatchedNets)
        for n in self.NAMES:
            setattr(out, n, getattr(self, n).index_select(0, index).contiguous())
        return out

    def errors(self, codes: Tensor, y: Tensor, chunk: int = 1_000) -> Tensor:
        """Misclassified test sequences per network; ``codes`` (K, N, T), ``y`` (K, N)."""
        wrong = torch.zeros(codes.shape[0], dtype=torch.long)
        for i in range(0, codes.shape[1], chunk):
            c = codes[:, i:i + chunk].long().permute(2, 0, 1)
            h = self.states(c)[-1]
            wrong += (self.logits(h).argmax(-1) != y[:, i:i + chunk]).sum(1)
        return wrong

    def grads(self, codes: Tensor, y: Tensor, alpha: float) -> tuple[list[Tensor], Tensor]:
        """Gradients (in :data:`NAMES` order) of each network's mean cross-entropy plus
        ``alpha`` times Pascanu's Omega (immediate gradient, as ``omega_and_grad``), and the
        K losses; ``codes`` (T, K, B), ``y`` (K, B)."""
        T, K, B = codes.shape
        H, I = self.w_ih.shape[1], self.w_ih.shape[2]
        hs = self.states(codes)
        z = self.logits(hs[-1])  # (K, B, C)
        logp = torch.log_softmax(z, -1)
        loss = -logp.gather(-1, y[..., None])[..., 0].mean(1)
        dz_out = logp.exp()
        dz_out.scatter_add_(-1, y[..., None], -torch.ones_like(dz_out[..., :1]))
        dz_out /= B
        g_wout = torch.bmm(dz_out.transpose(1, 2), hs[-1])
        g_bout = dz_out.sum(1)
        deltas = torch.empty_like(hs)  # dE/dh_t
        torch.bmm(dz_out, self.w_out, out=deltas[-1])
        fp = 1.0 - hs * hs
        dpre = torch.empty_like(hs)  # dE/d(pre-activation at t)
        g_whh = torch.zeros_like(self.w_hh)
        for t in range(T - 1, -1, -1):
            torch.mul(deltas[t], fp[t], out=dpre[t])
            if t > 0:
                torch.bmm(dpre[t], self.w_hh, out=deltas[t - 1])
                g_whh.baddbmm_(dpre[t].transpose(1, 2), hs[t - 1])
        g_b = dpre.sum((0, 2))
        flat = (codes + I * torch.arange(K)[None, :, None]).reshape(-1)
        g_wih = torch.zeros(K * I, H, dtype=hs.dtype).index_add_(0, flat, dpre.reshape(-1, H))
        g_wih = g_wih.view(K, I, H).transpose(1, 2).contiguous()
        if alpha > 0:
            g_whh += alpha * _omega_grad(dpre, deltas, self.w_hh)
        return [g_wih, g_whh, g_b, g_b.clone(), g_wout, g_bout], loss


def _omega_grad(u: Tensor, d: Tensor, w: Tensor) -> Tensor:
    """Per network, d Omega / d W_hh with h and deltas constant; ``u = d * (1 - h^2)``."""
    T, K, B, H = u.shape
    uk = u.permute(1, 0, 2, 3).reshape(K, T * B, H)
    den = (d * d).sum(-1).permute(1, 0, 2).reshape(K, T * B)
    keep = den >= _BOUND
    uw = torch.bmm(uk, w)
    ratio = (uw * uw).sum(-1) / torch.where(keep, den, torch.ones_like(den))
    count = keep.sum(1, keepdim=True).clamp(min=1)
    coef = torch.where(keep, 4.0 * (ratio - 1.0) / (den * count), torch.zeros_like(den))
    return torch.bmm((uk * coef[..., None]).transpose(1, 2), uw)


def _sgd_update(nets: BatchedNets, grads: list[Tensor], clip: float | None, lr: float
                ) -> Tensor:
    """Per-network clipping (norm in float64, as clip_grad_norm) and the SGD step; returns
    the mask of networks whose step was taken (finite gradient norm)."""
    K = grads[0].shape[0]
    norm = torch.zeros(K, dtype=torch.float64)
    for g in grads:
        norm += (g.double() ** 2).reshape(K, -1).sum(1)
    norm = norm.sqrt()
    finite = torch.isfinite(norm)
    if clip is not None:
        big = finite & (norm > clip)
        scale = torch.where(big, clip / norm * (1.0 - _MARGIN), torch.ones_like(norm))
    for p, g in zip(nets.params(), grads):
        shape = (K,) + (1,) * (g.dim() - 1)
        if clip is not None:
            g = g * scale.to(g.dtype).view(shape)
        p -= torch.where(finite.view(shape), lr * g, torch.zeros_like(g))
    return finite


def train_seeds(name: str, seeds: Sequence[int], *, length: int, max_updates: int,
                n_test: int = 10_000, eval_every: int = 1_000, lr: float = _p.LR,
                dtype: torch.dtype = torch.float32,
                on_eval: Callable[[int, int, int, float], None] | None = None,
                stop_after: int | None = None, n_screen: int = 1_000, log: Any = None
                ) -> tuple[list[RunResult], BatchedNets]:
    """``run_setting(name, seed, length=..., max_updates=...)`` for every seed, batched.

    Returns one :class:`RunResult` per seed (in order) and the networks still in the batch
    at the end (for tests; ``stop_after`` ends after that many updates without the final
    evaluation). ``on_eval(seed, seen, wrong, loss)`` is called at every evaluation; ``log``
    (a text stream) gets one progress line per evaluation. An evaluation first counts the
    errors on the first ``n_screen`` test sequences; the networks that could still be under
    1 % are then counted on the whole test set (and all of them at the last update), the
    others' curve points are that count scaled to ``n_test``.
    """
    if name not in _p.SETTINGS:
        raise SeqlabValueError(f"unknown setting {name!r}; choose one of {list(_p.SETTINGS)}.")
    if max_updates < 1 or eval_every < 1 or n_test < 1 or not seeds:
        raise SeqlabValueError("max_updates, eval_every, n_test and the seeds must be positive"
                               " / non-empty.")
    clip, alpha = _p.SETTINGS[name]
    seeds = [int(s) for s in seeds]
    n_screen = min(n_screen, n_test)
    nets = BatchedNets(seeds, dtype)
    tests = [_p._codes(n_test, length, np.random.default_rng(10_000 + s)) for s in seeds]
    test_codes = torch.from_numpy(np.stack([c for c, _ in tests]).astype(np.int8))
    test_y = torch.from_numpy(np.stack([y for _, y in tests]))
    rngs = [np.random.default_rng(s) for s in seeds]
    active = list(range(len(seeds)))  # positions (in seeds) of the networks in the batch
    losses: list[list[float]] = [[] for _ in seeds]
    curves: list[list[tuple[int, int, float]]] = [[] for _ in seeds]
    skipped = [0] * len(seeds)
    # position -> (solved, updates, wrong, seconds, spectral radius) once stopped
    done: dict[int, tuple[bool, int, int, float, float]] = {}
    t0 = time.perf_counter()
    for update in range(1, max_updates + 1):
        batch = [_p._codes(_p.BATCH, length, rngs[i]) for i in active]
        codes = torch.from_numpy(np.stack([c for c, _ in batch])).permute(2, 0, 1)
        y = torch.from_numpy(np.stack([t for _, t in batch]))
        grads, loss = nets.grads(codes, y, alpha)
        finite = _sgd_update(nets, grads, clip, lr)
        for j, i in enumerate(active):
            if finite[j]:
                losses[i].append(float(loss[j]))
            else:
                skipped[i] += 1
        if stop_after is not None and update >= stop_after:
            break
        if update % eval_every and update < max_updates:
            continue
        # screening, exact for the stopping rule: a network with >= 1 % of n_test wrong
        # among the first n_screen test sequences has >= 1 % wrong in all; only the others
        # (and every network at the last update) are evaluated on the whole test set
        idx = torch.tensor(active)
        limit = _p.SUCCESS_ERROR * n_test
        wrong = nets.errors(test_codes[idx, :n_screen], test_y[idx, :n_screen])
        whole = [j for j in range(len(active)) if update == max_updates or wrong[j] < limit]
        if whole and n_screen < n_test:
            sel = torch.tensor(whole)
            rest = nets.subset(sel).errors(test_codes[idx[sel], n_screen:],
                                           test_y[idx[sel], n_screen:])
            for j, r in zip(whole, rest.tolist()):
                wrong[j] += r
        still = []
        for j, i in enumerate(active):
            w = int(wrong[j]) if j in whole else round(int(wrong[j]) * n_test / n_screen)
            curves[i].append((update * _p.BATCH, w, float(np.mean(losses[i][-100:]))
                              if losses[i] else math.nan))
            if on_eval is not None:
                on_eval(seeds[i], *curves[i][-1])
            if j in whole and (w < limit or update == max_updates):
                done[i] = (w < limit, update, w, time.perf_counter() - t0,
                           _radius(nets.w_hh[j]))
                if log is not None:
                    print(f"[{name} T={length}] seed {seeds[i]}: "
                          f"{'solved' if w < limit else 'NOT solved'} at update {update:,}, "
                          f"{w}/{n_test} wrong, radius {done[i][4]}", file=log, flush=True)
            else:
                still.append(j)
        if log is not None:
            print(f"[{name} T={length}] update {update:,}: {len(done)}/{len(seeds)} stopped "
                  f"({sum(d[0] for d in done.values())} solved), test error of the others "
                  + ", ".join(f"{curves[i][-1][1] / n_test:.0%}" for i in active)
                  + f"; {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f}",
                  file=log, flush=True)
        if len(still) < len(active):
            nets = nets.subset(torch.tensor(still, dtype=torch.long))
            active = [active[j] for j in still]
        if not active:
            break
    results = []
    for i, s in enumerate(seeds):
        solved, ups, w, wall, rho = done.get(i, (False, 0, n_test, 0.0, math.nan))
        results.append(RunResult(f"{name} T={length} seed {s}", solved, ups * _p.BATCH, w,
                                 n_test, wall, curves[i],
                                 {"updates": ups, "length": length, "rho_final": rho,
                                  "skipped_steps": skipped[i]}))
    return results, nets


def _radius(w: Tensor) -> float:
    return round(float(np.abs(np.linalg.eigvals(w.detach().double().numpy())).max()), 3)

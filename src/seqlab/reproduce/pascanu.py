"""Pascanu, Mikolov & Bengio (2013): clipping and the regularizer on temporal order.

"On the difficulty of training recurrent neural networks", ICML 2013, Section 4.1.1 and
Fig. 7; code: github.com/pascanur/trainingRNNs (``RNN.py``, ``tempOrder.py``). Their setup,
which this module follows:

- task (``tempOrder.py``): one-hot over 6 symbols; ``A`` or ``B`` at a position in
  [0.1 T, 0.2 T) and again in [0.5 T, 0.6 T), distractors ``c..f`` elsewhere; the class
  (AA, AB, BA, BB) is read from a softmax on the last state; every sequence of a run has
  length T (Fig. 7's x-axis);
- model, "smart tanh": 50 tanh units, ``W_in, W_out ~ N(0, 0.01)``, ``W_rec`` ~ N(0, 0.01)
  with 15 non-zero incoming weights per unit, rescaled to spectral radius 0.95, zero biases;
- training: plain SGD (no momentum), constant learning rate 0.01, mini-batches of 20 fresh
  sequences, at most 5M updates; MSGD-C rescales the gradient to norm 1 when larger;
  MSGD-CR adds ``alpha * dOmega/dW_rec`` before clipping;
- the regularizer as they compute it (``RNN.py``; eq. (10)): the ratio of *squared* norms
  ``||dE/dh_{k+1} dh_{k+1}/dh_k||^2 / ||dE/dh_{k+1}||^2``, so
  ``Omega = mean_{k, batch} (ratio - 1)^2`` (a mean over the terms, not the sum of eq. 9),
  and only its "immediate" derivative with respect to ``W_rec``: the states ``h_k`` and the
  deltas ``dE/dh_{k+1}`` are constants (:func:`omega_and_grad`). The paper's text gives
  ``alpha = 4`` for Fig. 7, the code's default is 2; the issue asks for 2;
- success: fewer than 1 % of 10,000 fresh test sequences misclassified; here 20 seeds per length.

Differences: a step whose gradient norm is not finite is skipped (their code instead moves
``W_rec`` 2 % towards 0); none occurred in the full budget (180 runs). ``pascanu_regularizer`` of
:mod:`seqlab.training.regularizers` implements eq. (9) literally (ratio of norms, summed over
k, gradient also through the states), so it is ~T times stronger than this Omega at the same
alpha; this module uses the code's version.

Fig. 7 (right panel, smart tanh) plots the success rate of MSGD, MSGD-C and MSGD-CR
against T; its values are drawn only, not printed, so the report quotes the text: "as the
length of the sequence increases, using clipping becomes more important to achieve a better
success rate"; MSGD-CR is their proposed remedy for the vanishing gradient. A single 50-unit
tanh network ("basic tanh") trained on random lengths 50-200 solved the task in 5 of 5 runs
(0 of 10,000 wrong) and generalised to T = 5000.

Scale gap: they allowed 5M updates (10^8 sequences) per run; the full budget here allows
25,000 updates at T = 50, 15,000 at T = 100 and 6,000 at T = 200 (200, 333 and 833 times
fewer), so "not solved" means "not solved within that budget", and at T >= 100 the rate of
runs that at least left the chance plateau (fewer than 60 % wrong at the end; chance is 75 %,
one relevant symbol learned 50 %) is the more sensitive measure. The 20 seeds of a setting
are trained together (:mod:`seqlab.reproduce._pascanu_batched`: the same updates as
:func:`run_setting`, equal to 1e-16 in float64, in batched products; 2-3 times the
network-updates per second of single runs at T = 100 on a loaded core,
``benchmarks/pascanu_batched_speed.py``); seed k starts from the same weights and reads the
same training stream in every setting, so the settings are compared on paired runs.

Measured here (full budget: 20 seeds per setting, 10,000 test sequences, one thread on 2
shared cores at load 4-8, 4,567 s in all; clipping by
:func:`seqlab.training.clipping.clip_grad_norm`'s rule; intervals: Wilson 95 %; p: Fisher's
exact test, two-sided, SGD-C against SGD-CR):

===  ================  ======================  =====================  ======================
T    setting           solved [95 % CI]        updates to solve       < 60 % wrong [95 % CI]
===  ================  ======================  =====================  ======================
50   SGD               0/20 = 0% [0%, 16%]     -                      1/20 = 5% [1, 24]
50   SGD-C (clip 1)    10/20 = 50% [30%, 70%]  median 11.5k (6k-20k)  17/20 = 85% [64, 95]
50   SGD-CR (alpha 2)  18/20 = 90% [70%, 97%]  median 13k (5k-25k)    20/20 = 100% [84, 100]
100  SGD               0/20 = 0% [0%, 16%]     - (15k updates)        0/20 = 0% [0, 16]
100  SGD-C (clip 1)    0/20 = 0% [0%, 16%]     - (15k updates)        6/20 = 30% [15, 52]
100  SGD-CR (alpha 2)  0/20 = 0% [0%, 16%]     - (15k updates)        18/20 = 90% [70, 97]
200  SGD               0/20 = 0% [0%, 16%]     - (6k updates)         0/20 = 0% [0, 16]
200  SGD-C (clip 1)    0/20 = 0% [0%, 16%]     - (6k updates)         0/20 = 0% [0, 16]
200  SGD-CR (alpha 2)  0/20 = 0% [0%, 16%]     - (6k updates)         1/20 = 5% [1, 24]
===  ================  ======================  =====================  ======================

The regularizer's advantage, per length:

- T = 50, **shown**: SGD-CR solves 18/20 = 90 % [70 %, 97 %] against SGD-C's
  10/20 = 50 % [30 %, 70 %], Fisher p = 0.014 (plain SGD 0/20 [0 %, 16 %]: clipping's own
  effect, p = 0.0004). Paired by seed, SGD-CR solved 9 runs SGD-C did not and failed one
  SGD-C solved (seed 0); it does not solve faster (median 13k against 11.5k updates) but
  more often, and keeps ``W_hh``'s radius lower (1.09-1.23 against 1.23-1.95).
- T = 100, **shown** with the ``long`` budget (40,000 updates, 3,255 s,
  ``benchmarks/results/pascanu-long.json``): SGD-CR solves 11/20 = 55 % [34 %, 74 %]
  against SGD-C's 3/20 = 15 % [5 %, 36 %], p = 0.019 (SGD 0/20); median updates to solve
  26,000 and 27,000; below 60 % wrong at the end 20/20 against 13/20 (p = 0.0083). Within
  the full budget's 15,000 updates nothing is solved (0/20 everywhere), but 18/20 SGD-CR
  runs end below 60 % wrong against 6/20 for SGD-C (p = 0.0002) and 0/20 for SGD.
- T = 200, **unresolved** (no effect measurable at 6,000 updates): every run of every
  setting stays at chance except one SGD-CR run (54 % wrong); SGD and SGD-C are identical
  there (no gradient reached norm 1, ``W_hh`` stays at radius 0.94-0.95), SGD-CR moved it to
  1.01-1.06. Separating the settings at T = 200 needs budgets closer to the paper's.

The earlier 5-seed run (one network at a time, T = 20 and 50) gave SGD-C 3/5, SGD-CR 4/5 at
T = 50: the same direction, too few runs to call it; 20 seeds separate it.
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_choice
from seqlab.exceptions import SeqlabValueError
from seqlab.reproduce._report import Report, Row
from seqlab.reproduce._stats import fisher_p, format_rate, wilson_interval
from seqlab.reproduce._train import RunResult, build_model
from seqlab.training.clipping import clip_grad_norm, grad_norm
from seqlab.training.regularizers import hidden_deltas

__all__ = ["BUDGETS", "EXTRA_BUDGETS", "SETTINGS", "generate", "make_model", "omega_and_grad",
           "run", "run_setting"]

#: name -> (clip_norm, regularizer_alpha); the paper's MSGD, MSGD-C and MSGD-CR
SETTINGS: dict[str, tuple[float | None, float]] = {
    "SGD": (None, 0.0),
    "SGD-C (clip 1)": (1.0, 0.0),
    "SGD-CR (clip 1, alpha 2)": (1.0, 2.0),
}
#: lengths: one group of runs per sequence length T; max_updates per run (paper: 5M)
BUDGETS: dict[str, dict[str, Any]] = {
    "quick": {"lengths": (20,), "max_updates": 2_000, "n_seeds": 2, "n_test": 1_000,
              "eval_every": 500},
    "full": {"lengths": (50, 100, 200), "max_updates": {50: 25_000, 100: 15_000, 200: 6_000},
             "n_seeds": 20, "n_test": 10_000, "eval_every": 1_000},
}
#: budgets beyond the quick/full pair every reproduction has; ``run("long")`` is T = 100 at
#: 2.7x the full budget (``benchmarks/reproduce.py --pascanu-long``; ~1 h)
EXTRA_BUDGETS: dict[str, dict[str, Any]] = {
    "long": {"lengths": (100,), "max_updates": 40_000, "n_seeds": 20, "n_test": 10_000,
             "eval_every": 1_000},
}
HIDDEN, RHO, N_SYMBOLS, N_CLASSES = 50, 0.95, 6, 4
BATCH, LR = 20, 0.01
SUCCESS_ERROR = 0.01  # a run succeeds when < 1 % of the test sequences are misclassified


def generate(n: int, length: int, rng: np.random.Generator) -> tuple[Tensor, Tensor]:
    """``n`` temporal-order sequences of ``length`` steps, as Pascanu et al.'s ``tempOrder.py``.

    Returns one-hot inputs ``(n, length, 6)`` (symbols A, B, c, d, e, f) and classes
    ``(n,)`` = first + 2 * second relevant symbol (0 = AA, 1 = BA, 2 = AB, 3 = BB).

    >>> x, y = generate(2, 20, np.random.default_rng(0))
    >>> tuple(x.shape), bool((x.sum(-1) == 1).all()), int((x[..., :2].sum((1, 2)) == 2).sum())
    ((2, 20, 6), True, 2)
    """
    if not isinstance(length, int) or length < 10:
        raise SeqlabValueError(
            f"length must be an int >= 10 (the relevant symbols sit at 0.1 T and "
            f"0.5 T); got {length!r}."
        )
    codes, y = _codes(n, length, rng)
    x = np.zeros((n, length, N_SYMBOLS), dtype=np.float32)
    x[np.arange(n)[:, None], np.arange(length)[None, :], codes] = 1.0
    return torch.from_numpy(x), torch.from_numpy(y)


def _codes(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """:func:`generate`'s symbols as codes ``(n, length)`` (0-5) and classes; same draws."""
    tenth = length // 10
    rows = np.arange(n)
    p0 = rng.integers(tenth, size=n) + tenth
    p1 = rng.integers(tenth, size=n) + int(length * 0.5)
    v0, v1 = rng.integers(2, size=n), rng.integers(2, size=n)
    codes = rng.integers(2, N_SYMBOLS, size=(n, length))
    codes[rows, p0], codes[rows, p1] = v0, v1
    return codes, v0 + 2 * v1


def make_model(seed: int) -> nn.Module:
    """Elman, 50 tanh units, "smart tanh" initialisation (see module docstring)."""
    model: Any = build_model("elman", N_SYMBOLS, HIDDEN, N_CLASSES, seed=seed)
    rng = np.random.default_rng(seed)
    cell = model.rnn.cells[0]
    w = rng.normal(0.0, 0.01, (HIDDEN, HIDDEN))
    for i in range(HIDDEN):  # row i: the weights into unit i; keep 15 of them
        w[i, rng.permutation(HIDDEN)[15:]] = 0.0
    w *= RHO / np.abs(np.linalg.eigvals(w)).max()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(rng.normal(0.0, 0.01, (HIDDEN, N_SYMBOLS))))
        cell.weight_hh.copy_(torch.from_numpy(w))
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
        model.head.weight.copy_(torch.from_numpy(rng.normal(0.0, 0.01, (N_CLASSES, HIDDEN))))
        model.head.bias.zero_()
    return model


def omega_and_grad(h: Tensor, deltas: Tensor, weight_hh: Tensor, bound: float = 1e-20
                   ) -> tuple[float, Tensor]:
    """Omega as Pascanu et al.'s code computes it, and its immediate gradient w.r.t. ``W_hh``.

    ``h`` (B, T, H) are the states h_1..h_T and ``deltas`` the total dE/dh_t (both constants);
    each term is ``(||(delta_t * (1 - h_t^2)) W_hh||^2 / ||delta_t||^2 - 1)^2`` (the
    error carried from h_t back to h_{t-1}), averaged over the terms whose
    ``||delta_t||^2 >= bound``.

    >>> h = torch.zeros(1, 3, 2)  # tanh'(0) = 1: the Jacobian is W_hh; orthogonal -> 0
    >>> om, g = omega_and_grad(h, torch.randn(1, 3, 2), torch.tensor([[0., 1.], [-1., 0.]]))
    >>> round(om, 12), float(g.abs().max())
    (0.0, 0.0)
    """
    w = weight_hh.detach().clone().requires_grad_(True)
    d, hc = deltas.detach(), h.detach()
    den = (d * d).sum(-1)
    keep = den >= bound
    num = (((d * (1.0 - hc * hc)) @ w) ** 2).sum(-1)
    ratio = num / torch.where(keep, den, torch.ones_like(den))
    terms = torch.where(keep, (ratio - 1.0) ** 2, torch.zeros_like(ratio))
    omega = terms.sum() / keep.sum().clamp(min=1)
    (grad,) = torch.autograd.grad(omega, w)
    return float(omega.detach()), grad


def _errors(model: Any, x: Tensor, y: Tensor, chunk: int = 2_000) -> int:
    wrong = 0
    with torch.no_grad():
        for i in range(0, len(y), chunk):
            wrong += int((model(x[i:i + chunk]).argmax(1) != y[i:i + chunk]).sum())
    return wrong


def _step(model: Any, x: Tensor, y: Tensor, clip: float | None, alpha: float, lr: float
          ) -> float | None:
    """One SGD update of ``model`` on ``(x, y)``; the loss, or None if the step was skipped
    (a gradient norm that is not finite)."""
    params = list(model.parameters())
    w_hh = model.rnn.cells[0].weight_hh
    out, _ = model.rnn(x)
    loss = F.cross_entropy(model.head(out[:, -1]), y)
    if alpha > 0:
        direct = torch.autograd.grad(loss, out, retain_graph=True)[0]
        deltas = hidden_deltas(direct, out.detach(), w_hh.detach(), "tanh")
    loss.backward()
    if alpha > 0:
        w_hh.grad += alpha * omega_and_grad(out, deltas, w_hh)[1]
    # Algorithm 1 of the paper, as seqlab.training does it (norm in float64)
    norm = grad_norm(params) if clip is None else clip_grad_norm(params, clip)
    finite = math.isfinite(norm)
    if finite:
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
    for p in params:
        p.grad = None
    return float(loss.detach()) if finite else None


def run_setting(name: str, seed: int, *, length: int = 20, max_updates: int | None = None,
                max_sequences: int | None = None, n_test: int = 10_000, lr: float = LR,
                eval_every: int = 1_000, on_eval: Any = None,
                dtype: torch.dtype = torch.float32) -> RunResult:
    """One run of setting ``name`` (a key of :data:`SETTINGS`) at sequence length ``length``.

    Plain SGD on mini-batches of 20 fresh sequences until fewer than 1 % of ``n_test`` test
    sequences are wrong (checked every ``eval_every`` updates) or the budget is spent
    (``max_updates``, or ``max_sequences`` training sequences). ``curve`` holds
    ``(sequences seen, wrong test sequences, mean training loss)``; ``extra`` the updates,
    the final spectral radius and the number of skipped (non-finite) steps.
    """
    if name not in SETTINGS:
        raise SeqlabValueError(f"unknown setting {name!r}; choose one of {list(SETTINGS)}.")
    if (max_updates is None) == (max_sequences is None):
        raise SeqlabValueError("give exactly one of max_updates and max_sequences.")
    budget = max_sequences if max_sequences is not None else BATCH * int(max_updates or 0)
    if budget < 1 or eval_every < 1 or n_test < 1:
        raise SeqlabValueError("the budget, eval_every and n_test must be positive.")
    clip, alpha = SETTINGS[name]
    torch.manual_seed(seed)
    model: Any = make_model(seed).to(dtype)
    w_hh = model.rnn.cells[0].weight_hh
    x_test, y_test = generate(n_test, length, np.random.default_rng(10_000 + seed))
    x_test = x_test.to(dtype)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    seen = updates = skipped = 0
    losses: list[float] = []
    curve: list[tuple[int, int, float]] = []
    wrong, solved = n_test, False
    while seen < budget and not solved:
        x, y = generate(min(BATCH, budget - seen), length, rng)
        loss = _step(model, x.to(dtype), y, clip, alpha, lr)
        if loss is None:
            skipped += 1
        else:
            losses.append(loss)
        updates += 1
        seen += len(y)
        if updates % eval_every == 0 or seen >= budget:
            wrong = _errors(model, x_test, y_test)
            curve.append((seen, wrong, float(np.mean(losses[-100:])) if losses else math.nan))
            if on_eval is not None:
                on_eval(*curve[-1])
            solved = wrong < SUCCESS_ERROR * n_test
    rho = float(np.abs(np.linalg.eigvals(w_hh.detach().double().numpy())).max())
    return RunResult(f"{name} T={length} seed {seed}", solved, seen, wrong, n_test,
                     time.perf_counter() - t0, curve,
                     {"updates": updates, "length": length, "rho_final": round(rho, 3),
                      "skipped_steps": skipped})


#: what Pascanu et al. report for the smart-tanh panel of Fig. 7 (in words: its values
#: are only drawn in the figure)
PAPER = {
    "SGD": "fails more often as T grows (Fig. 7)",
    "SGD-C (clip 1)": "clipping matters more as T grows (Fig. 7)",
    "SGD-CR (clip 1, alpha 2)": "their remedy (Fig. 7); 5/5 runs at mixed T=50-200",
}


def _max_updates(b: dict[str, Any], length: int) -> int:
    m = b["max_updates"]
    return int(m[length] if isinstance(m, dict) else m)


def run(budget: str = "quick", *, seed: int = 0) -> Report:
    """Every setting at every length of ``budget`` over ``n_seeds`` seeds (seeds ``seed`` ..
    ``seed + n_seeds - 1``, trained together by :mod:`seqlab.reproduce._pascanu_batched`);
    success rates with Wilson 95 % intervals, SGD-C against SGD-CR by Fisher's exact test.
    The full and long budgets print their progress to standard error."""
    from seqlab.reproduce._pascanu_batched import train_seeds

    budgets = {**BUDGETS, **EXTRA_BUDGETS}
    b = budgets[check_choice(budget, "budget", tuple(budgets))]
    t0, load0 = time.perf_counter(), _load()
    rows, notes = [], []
    seeds = [seed + k for k in range(b["n_seeds"])]
    log = sys.stderr if budget != "quick" else None
    for length in b["lengths"]:
        counts: dict[str, tuple[int, int]] = {}
        for name in SETTINGS:
            t1 = time.perf_counter()
            runs, _ = train_seeds(name, seeds, length=length, n_test=b["n_test"],
                                  max_updates=_max_updates(b, length),
                                  eval_every=b["eval_every"], log=log)
            rows.append(_row(name, length, runs, counts, time.perf_counter() - t1))
        notes.append(_compare(length, counts, len(seeds)))
    return Report("pascanu", "Elman on temporal order: clipping and regularizer (Pascanu 2013)",
                  "Pascanu, Mikolov & Bengio 2013, Fig. 7 (smart tanh)", budget, rows,
                  "; ".join(notes), time.perf_counter() - t0,
                  settings={**b, "max_updates": {str(t): _max_updates(b, t)
                                                 for t in b["lengths"]},
                            "hidden": HIDDEN, "rho": RHO, "batch": BATCH, "lr": LR,
                            "momentum": 0.0, "success": "< 1% of test wrong",
                            "off_plateau": f"< {PLATEAU:.0%} of test wrong at the end",
                            "intervals": "Wilson score, 95%", "torch_threads":
                            torch.get_num_threads(), "load_avg_at_start": load0})


#: a run "left the chance plateau" (75 % wrong) when it ends below this test error
PLATEAU = 0.6
_CR, _C = "SGD-CR (clip 1, alpha 2)", "SGD-C (clip 1)"


def _load() -> tuple[float, ...]:
    return tuple(round(v, 2) for v in os.getloadavg())


def _row(name: str, length: int, runs: list[RunResult], counts: dict[str, tuple[int, int]],
         wall: float) -> Row:
    n = len(runs)
    ok = sum(r.solved for r in runs)
    off = sum(r.test_errors < PLATEAU * r.n_test for r in runs)
    counts[name] = (ok, off)
    head = f"success {format_rate(ok, n)}"
    if name == _CR and _C in counts:
        head += f", Fisher p = {fisher_p(ok, n, counts[_C][0], n):.2g} vs SGD-C"
    ups = sorted(r.extra["updates"] for r in runs if r.solved)
    err = sorted(r.test_errors / r.n_test for r in runs if not r.solved)
    ours = (f"{head}; updates to solve "
            + (f"median {float(np.median(ups)):,.0f} ({ups[0]:,}-{ups[-1]:,})" if ups else "-")
            + f"; below {PLATEAU:.0%} wrong at the end {format_rate(off, n)}; test error of "
            + "the unsolved " + (", ".join(f"{e:.0%}" for e in err) if err else "-")
            + f" ({wall:.0f} s)")
    lo, hi = wilson_interval(ok, n)
    plo, phi = wilson_interval(off, n)
    return Row(f"{name} T={length}", PAPER[name], ours,
               {"success_rate": ok / n, "success_ci95": [round(lo, 4), round(hi, 4)],
                "solved": ok, "n_runs": n, "length": length, "off_plateau": off,
                "off_plateau_ci95": [round(plo, 4), round(phi, 4)], "wall_time_s": round(wall),
                "load_avg": _load(), "runs": [r.as_dict() for r in runs]})


def _compare(length: int, counts: dict[str, tuple[int, int]], n: int) -> str:
    """SGD-C against SGD-CR at one length: both rates and Fisher's two-sided p."""
    (c, c_off), (r, r_off) = counts[_C], counts[_CR]
    return (f"T={length}: solved SGD-C {format_rate(c, n)} vs SGD-CR {format_rate(r, n)}, "
            f"Fisher p = {fisher_p(c, n, r, n):.2g}; below {PLATEAU:.0%} wrong "
            f"{c_off}/{n} vs {r_off}/{n}, p = {fisher_p(c_off, n, r_off, n):.2g}")

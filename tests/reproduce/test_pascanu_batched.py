"""The batched Pascanu trainer against the single-run one, and the success-rate statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from seqlab.reproduce import _pascanu_batched as bt
from seqlab.reproduce import pascanu
from seqlab.reproduce._stats import fisher_p, format_rate, wilson_interval

SEEDS = [0, 1, 2]


def _single_weights(seed: int, name: str, updates: int, length: int = 20) -> list[torch.Tensor]:
    """run_setting's loop, stopped after ``updates`` steps (float64): its weights."""
    clip, alpha = pascanu.SETTINGS[name]
    model = pascanu.make_model(seed).double()
    rng = np.random.default_rng(seed)
    for _ in range(updates):
        x, y = pascanu.generate(pascanu.BATCH, length, rng)
        assert pascanu._step(model, x.double(), y, clip, alpha, pascanu.LR) is not None
    cell = model.rnn.cells[0]
    return [p.detach() for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh,
                                 model.head.weight, model.head.bias)]


@pytest.mark.parametrize("name", ["SGD", "SGD-C (clip 1)", "SGD-CR (clip 1, alpha 2)",
                                  "clip 0.45, alpha 2"])
def test_batched_weights_equal_single_runs(name: str, monkeypatch) -> None:
    monkeypatch.setitem(pascanu.SETTINGS, "clip 0.45, alpha 2", (0.45, 2.0))
    norms: list[float] = []
    clip_grad_norm = pascanu.clip_grad_norm

    def recording(params, max_norm):
        norms.append(clip_grad_norm(params, max_norm))
        return norms[-1]

    monkeypatch.setattr(pascanu, "clip_grad_norm", recording)
    _, nets = bt.train_seeds(name, SEEDS, length=20, max_updates=20, n_test=10,
                             dtype=torch.float64, stop_after=20)
    for k, seed in enumerate(SEEDS):
        for ours, ref in zip(nets.params(), _single_weights(seed, name, 20)):
            torch.testing.assert_close(ours[k], ref, rtol=1e-12, atol=1e-14)
    if name.startswith("clip 0.45"):  # some steps clipped, some not, in every run
        per_run = np.array(norms).reshape(len(SEEDS), 20)
        assert ((per_run > 0.45).any(1) & (per_run < 0.45).any(1)).all(), per_run
    # the updates moved the weights (the comparison is not trivial)
    start = bt.BatchedNets(SEEDS, torch.float64)
    assert float((nets.w_hh - start.w_hh).abs().max()) > 1e-5


def test_batched_evaluations_and_stopping_equal_single_runs() -> None:
    """Identical test error counts at every evaluation, and the same stopping update, while
    one network is frozen (solved) and the other keeps training."""
    name, kw = "SGD-CR (clip 1, alpha 2)", {"length": 10, "max_updates": 600,
                                            "n_test": 500, "eval_every": 100}
    batched, _ = bt.train_seeds(name, [0, 1], dtype=torch.float64, n_screen=500, **kw)
    single = [pascanu.run_setting(name, s, dtype=torch.float64, **kw) for s in (0, 1)]
    for b, s in zip(batched, single):
        assert [c[:2] for c in b.curve] == [c[:2] for c in s.curve]
        assert (b.solved, b.sequences, b.test_errors) == (s.solved, s.sequences, s.test_errors)
        assert b.extra["updates"] == s.extra["updates"]
        assert b.extra["rho_final"] == s.extra["rho_final"]
        np.testing.assert_allclose([c[2] for c in b.curve], [c[2] for c in s.curve], rtol=1e-9)
    assert any(b.solved for b in batched)
    assert len({b.extra["updates"] for b in batched}) == 2, "one stops before the other"


def test_networks_do_not_interact() -> None:
    """A network's run does not depend on which other networks share its batch."""
    name = "SGD-CR (clip 1, alpha 2)"
    kw = {"length": 30, "max_updates": 15, "n_test": 10, "stop_after": 15}
    _, alone0 = bt.train_seeds(name, [0], **kw)
    _, alone2 = bt.train_seeds(name, [2], **kw)
    for seeds in ([0, 1, 2], [2, 9, 0]):
        _, nets = bt.train_seeds(name, seeds, **kw)
        for alone, seed in ((alone0, 0), (alone2, 2)):
            k = seeds.index(seed)
            for p, q in zip(nets.params(), alone.params()):
                torch.testing.assert_close(p[k], q[0], rtol=1e-6, atol=1e-8)


def test_screening_is_exact_for_the_stopping_rule() -> None:
    name, kw = "SGD", {"length": 10, "max_updates": 600, "n_test": 400, "eval_every": 100}
    full, _ = bt.train_seeds(name, [0, 1], n_screen=400, **kw)
    screened, _ = bt.train_seeds(name, [0, 1], n_screen=100, **kw)
    for a, b in zip(full, screened):
        assert (a.solved, a.sequences, a.test_errors) == (b.solved, b.sequences, b.test_errors)
    assert all(a.solved for a in full)


def test_train_seeds_validates() -> None:
    with pytest.raises(ValueError, match="unknown setting"):
        bt.train_seeds("Adam", [0], length=20, max_updates=1)
    with pytest.raises(ValueError, match="positive"):
        bt.train_seeds("SGD", [], length=20, max_updates=1)


@pytest.mark.parametrize("k,n", [(0, 5), (3, 5), (5, 5), (4, 20), (17, 20), (1, 1)])
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    lo, hi = proportion.proportion_confint(k, n, alpha=0.05, method="wilson")
    assert wilson_interval(k, n) == pytest.approx((lo, hi), abs=1e-12)


def test_fisher_matches_hypergeometric_enumeration() -> None:
    # two-sided: the total probability of the tables no more likely than the observed one
    def brute(a: int, n1: int, b: int, n2: int) -> float:
        s = a + b
        def prob(x: int) -> float:
            return math.comb(n1, x) * math.comb(n2, s - x) / math.comb(n1 + n2, s)
        p0 = prob(a)
        return sum(prob(x) for x in range(max(0, s - n2), min(s, n1) + 1)
                   if prob(x) <= p0 * (1 + 1e-7))
    assert fisher_p(3, 4, 1, 4) == pytest.approx(0.4857142857, abs=1e-9)  # Fisher 1935
    for a, b in ((3, 4), (0, 5), (12, 19), (2, 9), (20, 20)):
        assert fisher_p(a, 20, b, 20) == pytest.approx(brute(a, 20, b, 20), rel=1e-9)


def test_stats_validate_and_format() -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(6, 5)
    with pytest.raises(ValueError, match="successes"):
        fisher_p(1, 0, 0, 3)
    assert format_rate(0, 20).startswith("0/20 = 0% [0%, 16%]")


def test_run_reports_intervals_and_fisher(monkeypatch) -> None:
    monkeypatch.setitem(pascanu.BUDGETS, "quick", {
        "lengths": (20,), "max_updates": {20: 40}, "n_seeds": 2, "n_test": 50,
        "eval_every": 20})
    rep = pascanu.run("quick", seed=3)
    assert [r.setting for r in rep.rows] == [f"{n} T=20" for n in pascanu.SETTINGS]
    cr = rep.rows[-1]
    assert "Fisher p = " in cr.ours.split(";")[0] and "[" in cr.ours.split(";")[0]
    assert len(cr.result["runs"]) == 2 and len(cr.result["success_ci95"]) == 2
    assert "T=20: solved SGD-C" in rep.conclusion


@pytest.mark.slow
def test_batched_clipped_runs_solve_t50() -> None:
    """The full budget's claim at T = 50, short: with clipping, with and without the
    regularizer, seeds 2, 8 and 16 (solved within 5,000-8,000 updates in the full run)
    reach < 1 % test error within 9,000 updates in at least 2 of 3 runs."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name in ("SGD-C (clip 1)", "SGD-CR (clip 1, alpha 2)"):
            runs, _ = bt.train_seeds(name, [2, 8, 16], length=50, max_updates=9_000,
                                     n_test=10_000, eval_every=1_000)
            assert sum(r.solved for r in runs) >= 2, [(r.solved, r.curve) for r in runs]
    finally:
        torch.set_num_threads(n_threads)

"""Tests for seqlab.data.synthetic: HS97 tasks, the copy task and Mackey–Glass.

The adding problem and temporal order tests check every rule of Hochreiter & Schmidhuber
(1997), Sections 5.4 and 5.6, written out again here independently of the generator; the
Mackey–Glass integrator is checked against scipy's DOP853 with the method of steps.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from scipy.stats import chisquare

from seqlab.data import DATASETS
from seqlab.data.synthetic import (
    ADDING_PROBLEM_TOLERANCE,
    TEMPORAL_ORDER_CLASSES,
    TEMPORAL_ORDER_SYMBOLS,
    adding_problem,
    adding_problem_correct,
    copy_task,
    mackey_glass,
    temporal_order,
)


# ----------------------------------------------------------------------------- adding
def _check_adding_sequence(X: np.ndarray, length: int, target: float, T: int) -> None:
    """Every rule of HS97 Experiment 4 for one sequence, checked from the data alone."""
    values, markers = X[:, 0].astype(np.float64), X[:, 1]
    assert T <= length <= T + T // 10
    assert (X[length:] == 0).all(), "padding beyond the length must be zero"
    assert ((values[:length] >= -1) & (values[:length] <= 1)).all()
    marked = np.flatnonzero(markers[:length] == 1.0)
    assert marked.size == 2, "exactly two pairs are marked with 1.0"
    # the set of markers is {-1, 0, 1}; -1 only at the first and final pair
    assert set(np.unique(markers[:length])) <= {-1.0, 0.0, 1.0}
    minus = set(np.flatnonzero(markers[:length] == -1.0).tolist())
    expected_minus = {length - 1} | ({0} if 0 not in marked else set())
    assert minus == expected_minus
    # one of the two marks is among the first ten pairs, and the other is then among the
    # first T/2 - 1 pairs still unmarked
    ok = False
    for first in marked:
        (second,) = [m for m in marked if m != first]
        unmarked = [t for t in range(length) if t != first]
        if first < 10 and second in unmarked[: T // 2 - 1]:
            ok = True
    assert ok, f"marks at {marked.tolist()} break the placement rule for T={T}"
    if 0 in marked:
        assert values[0] == 0.0, "a marked first pair has its value set to zero"
    expected = 0.5 + (values[marked[0]] + values[marked[1]]) / 4.0
    assert target == pytest.approx(expected, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    T=st.integers(12, 400),
    n=st.integers(1, 12),
)
def test_adding_problem_rules_hold_for_any_seed_and_length(seed, T, n):
    data = adding_problem(n, T, seed=seed)
    X, lengths, y = data
    assert X.shape == (n, T + T // 10, 2) and X.dtype == np.float32
    assert lengths.shape == (n,) and lengths.dtype == np.int64
    assert y.shape == (n,)
    for i in range(n):
        _check_adding_sequence(X[i], int(lengths[i]), float(y[i]), T)
        assert sorted(data.positions[i].tolist()) == np.flatnonzero(X[i, :, 1] == 1).tolist()


def test_adding_problem_distributions_match_the_paper():
    T, n = 100, 20_000
    data = adding_problem(n, T, seed=1)
    # length uniform on {T, ..., T + T/10}
    counts = np.bincount(data.lengths - T, minlength=T // 10 + 1)
    assert chisquare(counts).pvalue > 1e-3
    # first mark uniform on the first ten pairs; second uniform on T/2 - 1 candidates
    first, second = data.positions.T
    assert chisquare(np.bincount(first, minlength=10)).pvalue > 1e-3
    assert second.max() <= T // 2 - 1
    # values uniform on [-1, 1]: mean 0, variance 1/3
    vals = data.X[:, :T, 0][:, 10:]  # away from a possibly zeroed first pair
    assert abs(vals.mean()) < 0.01 and abs(vals.var() - 1 / 3) < 0.01
    # the target lies in [0, 1] and is 0.5 on average
    assert data.y.min() >= 0 and data.y.max() <= 1 and abs(data.y.mean() - 0.5) < 0.01


def test_adding_problem_same_seed_same_data_and_generator_seed():
    a = adding_problem(5, 50, seed=7)
    b = adding_problem(5, 50, seed=7)
    c = adding_problem(5, 50, seed=8)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a.X, c.X)
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(adding_problem(3, seed=g1).X, adding_problem(3, seed=g2).X)


def test_adding_problem_correct_uses_the_paper_threshold():
    assert ADDING_PROBLEM_TOLERANCE == 0.04  # HS97 Section 5.4
    y = np.array([0.5, 0.5, 0.5])
    got = adding_problem_correct(np.array([0.539, 0.461, 0.541]), y)
    assert got.tolist() == [True, True, False]
    with pytest.raises(ValueError, match="same shape"):
        adding_problem_correct([0.5, 0.5], [0.5])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_sequences": 0}, ValueError, "n_sequences"),
        ({"n_sequences": 2, "min_length": 11}, ValueError, "min_length"),
        ({"n_sequences": 2.5}, TypeError, "n_sequences"),
        ({"n_sequences": 2, "seed": "x"}, TypeError, "seed"),
    ],
)
def test_adding_problem_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        adding_problem(**kwargs)


# ----------------------------------------------------------------------------- temporal order
# HS97 Section 5.6, written out from the paper: positions counted from 1
PAPER_6A = {"ranges": [(10, 20), (50, 60)], "rules": {"XX": "Q", "XY": "R", "YX": "S", "YY": "U"}}
PAPER_6B = {
    "ranges": [(10, 20), (33, 43), (66, 76)],
    "rules": {
        "XXX": "Q", "XXY": "R", "XYX": "S", "XYY": "U",
        "YXX": "V", "YXY": "A", "YYX": "B", "YYY": "C",
    },
}  # fmt: skip


@pytest.mark.parametrize(("variant", "paper"), [("6a", PAPER_6A), ("6b", PAPER_6B)])
def test_temporal_order_symbols_positions_and_classes(variant, paper):
    data = temporal_order(500, variant=variant, seed=0)
    X, lengths, y = data
    assert X.shape == (500, 110, 8) and X.dtype == np.float32
    assert data.symbols == TEMPORAL_ORDER_SYMBOLS
    for i in range(500):
        L = int(lengths[i])
        assert 100 <= L <= 110
        assert (X[i, L:] == 0).all()
        assert (X[i, :L].sum(axis=1) == 1).all()
        seq = [TEMPORAL_ORDER_SYMBOLS[k] for k in X[i, :L].argmax(axis=1)]
        assert seq[0] == "E" and seq[-1] == "B"
        relevant = [t for t, s in enumerate(seq) if s in "XY"]
        assert relevant == data.positions[i].tolist()
        for t, (lo, hi) in zip(relevant, paper["ranges"]):
            assert lo <= t + 1 <= hi  # 1-based position as in the paper
        others = [s for t, s in enumerate(seq[1:-1], start=1) if t not in relevant]
        assert set(others) <= set("abcd")
        order = "".join(seq[t] for t in relevant)
        assert data.classes[y[i]] == paper["rules"][order]


@pytest.mark.parametrize("variant", ["6a", "6b"])
def test_temporal_order_classes_and_positions_are_balanced(variant):
    data = temporal_order(8000, variant=variant, seed=2)
    k = len(TEMPORAL_ORDER_CLASSES[variant])
    assert chisquare(np.bincount(data.y, minlength=k)).pvalue > 1e-3
    assert chisquare(np.bincount(data.positions[:, 0] - 9, minlength=11)).pvalue > 1e-3
    assert chisquare(np.bincount(data.lengths - 100, minlength=11)).pvalue > 1e-3


def test_temporal_order_seed_and_bad_variant():
    a, b = temporal_order(4, seed=5), temporal_order(4, seed=5)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    with pytest.raises(ValueError, match="'6a', '6b'"):
        temporal_order(4, variant="6c")


# ----------------------------------------------------------------------------- copy task
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    k=st.integers(1, 10),
    S=st.integers(1, 12),
    T=st.integers(1, 30),
)
def test_copy_task_layout(seed, k, S, T):
    X, y = copy_task(3, n_symbols=k, sequence_length=S, delay=T, seed=seed)
    assert X.shape == y.shape == (3, 2 * S + T)
    assert ((X[:, :S] >= 1) & (X[:, :S] <= k)).all()
    assert (X[:, S : S + T - 1] == 0).all()
    assert (X[:, S + T - 1] == k + 1).all()  # the delimiter
    assert (X[:, S + T :] == 0).all()
    assert (y[:, : S + T] == 0).all()
    np.testing.assert_array_equal(y[:, S + T :], X[:, :S])
    onehot = copy_task(3, n_symbols=k, sequence_length=S, delay=T, one_hot=True, seed=seed).X
    assert onehot.shape == (3, 2 * S + T, k + 2)
    np.testing.assert_array_equal(onehot.argmax(-1), X)


def test_copy_task_symbols_uniform_and_errors():
    X, _ = copy_task(2000, seed=0)
    assert chisquare(np.bincount(X[:, :10].ravel(), minlength=9)[1:]).pvalue > 1e-3
    with pytest.raises(ValueError, match="delay"):
        copy_task(2, delay=0)


# ----------------------------------------------------------------------------- Mackey–Glass
def _reference_mg(t_eval, tau, history, beta=0.2, gamma=0.1, n=10):
    """Method of steps: on [k tau, (k+1) tau] the delayed term is the previous piece,
    integrated with DOP853 at rtol 1e-12 and evaluated through its dense output."""
    pieces = []
    prev = history
    y0, t0 = history(0.0), 0.0
    while t0 < t_eval[-1]:

        def rhs(t, y, prev=prev):
            xd = prev(t - tau)
            return [beta * xd / (1.0 + xd**n) - gamma * y[0]]

        sol = solve_ivp(rhs, (t0, t0 + tau), [y0], method="DOP853", rtol=1e-12, atol=1e-13,
                        dense_output=True)  # fmt: skip
        pieces.append((t0, sol.sol))
        prev = lambda t, s=sol.sol: float(s(t)[0])  # noqa: E731
        y0, t0 = sol.y[0, -1], t0 + tau
    out = []
    for t in t_eval:
        t0, s = next((a, s) for a, s in reversed(pieces) if t >= a)
        out.append(float(s(t)[0]))
    return np.array(out)


@pytest.mark.parametrize(
    ("tau", "dt", "sample_step"),
    # 17.05 and 17.03 are not multiples of dt; 0.37 puts samples between grid points
    [(17.0, 0.1, 1.0), (17.05, 0.1, 1.0), (17.03, 0.1, 0.37), (30.0, 0.05, 1.0)],
)
def test_mackey_glass_matches_high_accuracy_reference(tau, dt, sample_step):
    t = np.arange(0.0, 300.0, sample_step)
    ref = _reference_mg(t, tau, lambda s: 1.2)
    x = mackey_glass(t.size, tau=tau, dt=dt, sample_step=sample_step)
    assert np.max(np.abs(x - ref)) < 1e-6


def test_mackey_glass_nonconstant_history_matches_reference():
    hist = lambda s: 1.0 + 0.2 * np.sin(0.3 * s)  # noqa: E731
    t = np.arange(0.0, 200.0, 1.0)
    ref = _reference_mg(t, 17.0, lambda s: float(hist(s)))
    x = mackey_glass(t.size, dt=0.1, history=hist)
    assert np.max(np.abs(x - ref)) < 1e-6


def test_mackey_glass_attractor_and_fixed_point():
    x = mackey_glass(5000, discard=1000.0)
    # tau = 17: chaotic attractor inside roughly [0.4, 1.35] (Mackey & Glass 1977, Fig. 2)
    assert x.min() > 0.2 and x.max() < 1.4 and x.std() > 0.1
    # small delay: the fixed point beta x / (1 + x^n) = gamma x, x* = (beta/gamma - 1)^(1/n)
    for beta, gamma in [(0.2, 0.1), (0.3, 0.1)]:
        x_star = (beta / gamma - 1.0) ** (1 / 10)
        got = mackey_glass(3, tau=1.0, beta=beta, gamma=gamma, discard=800.0)
        np.testing.assert_allclose(got, x_star, atol=1e-8)


def test_mackey_glass_sampling_and_discard_are_consistent():
    full = mackey_glass(300)
    np.testing.assert_array_equal(mackey_glass(100, discard=50.0), full[50:150])
    np.testing.assert_array_equal(mackey_glass(50, sample_step=2.0), full[:100:2])
    # array history equal to the constant gives the constant-history series
    np.testing.assert_allclose(mackey_glass(30, history=np.full(5, 1.2)), full[:30])
    assert mackey_glass(1)[0] == 1.2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sample_step": 0.0}, "sample_step"),
        ({"dt": -0.1}, "dt"),
        ({"discard": -1.0}, "discard"),
        ({"tau": -1.0}, "tau"),
        ({"history": -1.0}, "non-negative"),
        ({"history": np.ones((2, 2))}, "history"),
        ({"history": lambda t: 1.0}, "history"),
    ],
)
def test_mackey_glass_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mackey_glass(10, **kwargs)


# ----------------------------------------------------------------------------- catalogue
def test_synthetic_tasks_are_in_the_catalogue():
    for name in ("adding", "temporal-order", "copy", "mackey-glass"):
        info = DATASETS[name]
        assert info.domain == "synthetic"
        data = info.loader()
        size = int(info.size.split()[0])
        assert len(data.X if hasattr(data, "X") else data) == size

"""Hopfield network tests: energy never increases under asynchronous updates (Hopfield
1982), stored patterns below capacity are fixed points, corrupted patterns are restored,
Storkey (1997) stores more than Hebbian, Hebbian capacity near 0.138 N (Amit, Gutfreund &
Sompolinsky 1985), binary/bipolar equivalence, synchronous 2-cycles, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.exceptions import NotFittedError
from seqlab.reservoir import HopfieldNetwork, flip_units, mask_units, overlaps
from seqlab.reservoir.experiments import hopfield_capacity


def _patterns(P, N, seed):
    return np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), size=(P, N))


def _reference_async(W, s, order):
    """Plain-Python asynchronous sweep: the textbook rule, one unit at a time."""
    s = s.astype(float).copy()
    energies = [-0.5 * s @ W @ s]
    for i in order:
        h = W[i] @ s
        if h != 0:
            s[i] = 1.0 if h > 0 else -1.0
        energies.append(-0.5 * s @ W @ s)
    return s, np.array(energies)


@settings(max_examples=30, deadline=None)
@given(N=st.integers(5, 60), P=st.integers(1, 12), seed=st.integers(0, 2**31),
       rule=st.sampled_from(["hebbian", "storkey"]))
def test_energy_never_increases_async(N, P, seed, rule):
    xi = _patterns(P, N, seed)
    net = HopfieldNetwork(rule=rule, seed=seed).fit(xi)
    start = _patterns(3, N, seed + 1)
    # unit by unit, textbook loop, with the learned weights
    rng = np.random.default_rng(seed)
    for s0 in start:
        _, energies = _reference_async(net.weights_, s0, rng.permutation(N))
        assert np.all(np.diff(energies) <= 1e-9 * max(1.0, np.abs(energies).max()))
    # sweep by sweep, compiled kernel: the same seed replays the same orders
    e_prev = net.energy(start)
    for k in range(1, 6):
        e_k = HopfieldNetwork(rule=rule, seed=seed).fit(xi).recall(start, max_sweeps=k).energy
        assert np.all(e_k <= e_prev + 1e-9 * max(1.0, np.abs(e_prev).max()))
        e_prev = e_k


@settings(max_examples=20, deadline=None)
@given(N=st.integers(100, 300), seed=st.integers(0, 2**31),
       rule=st.sampled_from(["hebbian", "storkey"]), update=st.sampled_from(["async", "sync"]))
def test_stored_patterns_below_capacity_are_fixed_points(N, seed, rule, update):
    # P <= 0.02 N: a Hebbian bit is unstable with probability Phi(-sqrt(N/P)) < 1e-12
    P = max(1, N // 50)
    xi = _patterns(P, N, seed)
    res = HopfieldNetwork(rule=rule, update=update, seed=seed).fit(xi).recall(xi)
    np.testing.assert_array_equal(res.states, xi)
    assert res.converged.all() and (res.n_sweeps == 1).all()
    np.testing.assert_array_equal(res.closest, np.arange(P))


def test_restores_noisy_and_masked_patterns():
    xi = _patterns(10, 400, 0)
    net = HopfieldNetwork(seed=0).fit(xi)
    noisy = flip_units(xi, 0.15, seed=1)
    assert (np.sum(noisy != xi, axis=1) == 60).all()
    res = net.recall(noisy)
    np.testing.assert_array_equal(res.states, xi)
    np.testing.assert_allclose(np.diagonal(res.overlaps), 1.0)
    # overlaps with the other patterns stay small (random patterns: ~ 1/sqrt(N))
    off = res.overlaps[~np.eye(10, dtype=bool)]
    assert np.abs(off).max() < 0.25
    masked = mask_units(xi, 0.5)
    np.testing.assert_array_equal(net.recall(masked).states, xi)


def test_storkey_stores_more_than_hebbian():
    """At load 0.2 (above 0.138) Hebbian patterns are unstable, Storkey's still recall
    (Storkey 1997: capacity ~ N / sqrt(2 ln N), 0.33 N at N = 100)."""
    hits = {}
    for rule in ("hebbian", "storkey"):
        ok = 0
        for seed in range(5):
            xi = _patterns(20, 100, seed)
            m = np.diagonal(HopfieldNetwork(rule=rule, seed=seed).fit(xi).recall(xi).overlaps)
            ok += int((m >= 0.95).sum())
        hits[rule] = ok / 100
    assert hits["storkey"] >= 0.9
    assert hits["hebbian"] <= 0.75
    assert hits["storkey"] > hits["hebbian"]


def test_capacity_small_breakdown():
    """Small version of the capacity curve (the full one is marked slow)."""
    res = hopfield_capacity([200], [0.08, 0.25], min_recalls=100, seed=0)
    success = {r["load"]: r["success"] for r in res.table}
    assert success[0.08] >= 0.95
    assert success[0.25] <= 0.2


@pytest.mark.slow
def test_capacity_curve_near_0138():
    """Amit, Gutfreund & Sompolinsky 1985: Hebbian retrieval breaks down at P = 0.138 N for
    N -> infinity. Finite networks hold a little more, converging like 1/sqrt(N)."""
    res = hopfield_capacity((100, 200, 500, 1000), seed=0)
    crits = [res.critical_load(n) for n in (100, 200, 500, 1000)]
    assert crits[-1] < crits[0]  # the breakdown moves down towards 0.138 as N grows
    assert 0.13 <= crits[-1] <= 0.18
    assert 0.11 <= res.extrapolated_critical_load() <= 0.16
    for n in (100, 200, 500, 1000):
        low = [r["success"] for r in res.table if r["n_units"] == n and r["load"] <= 0.08]
        assert min(low) >= 0.95
    for n in (500, 1000):
        high = [r["success"] for r in res.table if r["n_units"] == n and r["load"] >= 0.22]
        assert max(high) <= 0.1


def test_binary_units_match_bipolar():
    xi = _patterns(6, 120, 3)
    V = (xi + 1) // 2
    start = flip_units(xi, 0.2, seed=4)
    bip = HopfieldNetwork(seed=5).fit(xi).recall(start)
    binet = HopfieldNetwork(units="binary", seed=5).fit(V)
    bin_ = binet.recall((start + 1) // 2)
    np.testing.assert_array_equal(bin_.states, (bip.states + 1) // 2)
    assert set(np.unique(bin_.states)) <= {0, 1}
    # E_binary = E_bipolar / 4 + constant (s = 2V - 1)
    e_bip = HopfieldNetwork(seed=5).fit(xi).energy(start)
    e_bin = binet.energy((start + 1) // 2)
    diff = e_bin - e_bip / 4
    np.testing.assert_allclose(diff, diff[0], atol=1e-9)


def test_sync_two_cycle_detected_async_converges():
    xi = np.array([[1, -1]])
    sync = HopfieldNetwork(update="sync").fit(xi).recall([[1, 1]])
    assert not sync.converged[0] and sync.n_sweeps[0] == 2
    np.testing.assert_array_equal(sync.states, [[1, 1]])
    asy = HopfieldNetwork(update="async", seed=0).fit(xi).recall([[1, 1]])
    assert asy.converged[0]
    assert abs(asy.overlaps[0, 0]) == 1.0


def test_overlaps_and_determinism():
    xi = _patterns(15, 200, 6)
    start = flip_units(xi, 0.3, seed=7)
    a = HopfieldNetwork(seed=8).fit(xi).recall(start)
    b = HopfieldNetwork(seed=8).fit(xi).recall(start)
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_allclose(a.overlaps, overlaps(a.states, xi))
    np.testing.assert_allclose(overlaps(xi, xi).diagonal(), 1.0)


def test_bad_input_errors():
    with pytest.raises(ValueError, match="bipolar"):
        HopfieldNetwork().fit([[0, 1, 1, 0]])
    with pytest.raises(ValueError, match="binary"):
        HopfieldNetwork(units="binary").fit([[-1, 1, 1, -1]])
    with pytest.raises(ValueError, match="NaN"):
        HopfieldNetwork().fit([[1.0, np.nan, 1.0]])
    with pytest.raises(ValueError, match="rule"):
        HopfieldNetwork(rule="oja").fit([[1, -1, 1]])
    net = HopfieldNetwork().fit([[1, -1, 1, -1]])
    with pytest.raises(ValueError, match="4 units"):
        net.recall([[1, -1, 1]])
    with pytest.raises(ValueError, match="update"):
        HopfieldNetwork(update="parallel").fit([[1, -1, 1]]).recall([[1, 1, 1]])
    with pytest.raises(NotFittedError):
        HopfieldNetwork().recall([[1, -1]])
    with pytest.raises(ValueError, match="fraction"):
        flip_units([[1, -1]], 1.5)

"""The two-state Viterbi kernel against the generic one (bit for bit), hmmlearn and brute
force; the one-pass symbol-range check of CategoricalHMM."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest
from hmmlearn import hmm as hl

from seqlab.classical import CategoricalHMM, GaussianHMM
from seqlab.classical import _hmm_viterbi as hv

logging.getLogger("hmmlearn").setLevel(logging.ERROR)


def _generic(log_start, log_trans, table, bounds, rows=None):
    """The generic K-state kernel run directly (``viterbi`` sends K = 2 elsewhere)."""
    n_frames, k = bounds[-1], log_trans.shape[0]
    log_prob, path = np.empty(bounds.size - 1), np.empty(n_frames, dtype=np.int64)
    back = np.empty((n_frames, k), dtype=np.uint8)
    hv._viterbi_serial(log_start, np.ascontiguousarray(log_trans.T), table, rows, bounds,
                       log_prob, path, back)
    return log_prob, path


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("categorical", [False, True])
def test_two_state_kernel_equals_the_generic_one_bit_for_bit(seed, categorical):
    rng = np.random.default_rng(seed)
    # few distinct values, -inf and both zeros: many exact ties between the predecessors
    with np.errstate(divide="ignore"):
        levels = np.append(np.log(np.array([0.0, 0.25, 0.5, 0.5, 1.0])), -0.0)
    log_start = rng.choice(levels[1:], 2)
    log_trans = rng.choice(levels, (2, 2))
    log_trans[:, 0] = np.log(0.5) if seed % 2 else log_trans[:, 0]  # equal columns: ties
    n_frames = 400
    bounds = np.array([0, 1, 2, 150, 151, n_frames])  # length-1 sequences too
    if categorical:
        table = rng.choice(levels, (5, 2))
        rows = rng.integers(0, 5, n_frames)
    else:
        table, rows = rng.choice(levels, (n_frames, 2)), None
    log_prob, path = hv.viterbi(log_start, log_trans, table, bounds, rows)
    ref_prob, ref_path = _generic(log_start, log_trans, table, bounds, rows)
    assert log_prob.tobytes() == ref_prob.tobytes()  # identical, -inf and signs included
    np.testing.assert_array_equal(path, ref_path)


@pytest.mark.parametrize("seed", range(4))
def test_two_state_viterbi_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    start, trans = rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(2), size=2)
    frames = rng.uniform(0.01, 1.0, (9, 2))
    best, best_path = -np.inf, None
    for z in itertools.product(range(2), repeat=len(frames)):
        lp = np.log(start[z[0]] * frames[0, z[0]]) + sum(
            np.log(trans[z[t - 1], z[t]] * frames[t, z[t]]) for t in range(1, len(z)))
        if lp > best:
            best, best_path = lp, z
    log_prob, path = hv.viterbi(np.log(start), np.log(trans), np.log(frames),
                                np.array([0, len(frames)]))
    assert log_prob[0] == pytest.approx(best, rel=1e-12)
    assert tuple(path) == best_path


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("lengths", [None, [1, 300, 199]])
def test_two_state_models_decode_as_hmmlearn(ties, lengths):
    rng = np.random.default_rng(3)
    start = np.array([0.5, 0.5]) if ties else rng.dirichlet(np.ones(2))
    trans = np.full((2, 2), 0.5) if ties else rng.dirichlet(np.ones(2), size=2)
    emis = np.full((2, 4), 0.25) if ties else rng.dirichlet(np.ones(4), size=2)
    x = rng.integers(0, 4, 500)
    ours, ref = CategoricalHMM(2, n_features=4), hl.CategoricalHMM(2, n_features=4)
    g_ours, g_ref = GaussianHMM(2, covariance_type="diag"), hl.GaussianHMM(2, "diag")
    means = np.zeros((2, 2)) if ties else rng.normal(0, 1, (2, 2))
    for m in (ours, ref, g_ours, g_ref):
        m.startprob_, m.transmat_ = start.copy(), trans.copy()
    for m in (ours, ref):
        m.emissionprob_ = emis.copy()
    for m in (g_ours, g_ref):
        m.means_, m.covars_ = means.copy(), np.ones((2, 2))
    X = rng.normal(0, 2, (500, 2))
    for (a, b), data in (((ours, ref), x), ((g_ours, g_ref), X)):
        lp, path = a.decode(data, lengths=lengths)
        lp_ref, path_ref = b.decode(data.reshape(len(data), -1), lengths, algorithm="viterbi")
        assert lp == pytest.approx(lp_ref, rel=1e-10)
        np.testing.assert_array_equal(path, path_ref)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float64])
def test_symbol_range_is_checked_in_one_pass_with_the_same_errors(dtype):
    m = CategoricalHMM(2, n_features=3)
    m.startprob_, m.transmat_ = np.array([0.5, 0.5]), np.full((2, 2), 0.5)
    m.emissionprob_ = np.full((2, 3), 1 / 3)
    assert m.decode(np.array([0, 2, 1, 0], dtype=dtype))[1].shape == (4,)
    with pytest.raises(ValueError, match=r"symbol 3, outside the model's alphabet 0\.\.2"):
        m.decode(np.array([0, 3, 1], dtype=dtype))
    if np.dtype(dtype).kind != "u":
        with pytest.raises(ValueError, match=r"negative symbols \(first at index 2\)"):
            m.decode(np.array([0, 1, -2, 5], dtype=dtype))
        big_negative = np.array([0, np.iinfo(np.int32).min], dtype=dtype)
        with pytest.raises(ValueError, match=r"negative symbols \(first at index 1\)"):
            m.decode(big_negative)
    fitted = CategoricalHMM(2, n_iter=2, seed=0).fit(np.array([0, 4, 1, 2], dtype=dtype))
    assert fitted.n_features_ == 5  # the largest symbol + 1, from the same one pass

"""Property tests for the HMMs: EM monotone, stochastic rows, refit near the truth,
structural zeros, fixed parameters, several sequences, the parallel kernels, long sequences."""

from __future__ import annotations

import itertools
import pickle

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.classical import CategoricalHMM, GaussianHMM, _hmm_viterbi
from seqlab.classical import _hmm_kernels as kernels

SETTINGS = settings(max_examples=15, deadline=None)


def _stochastic(rng, *shape):
    p = rng.uniform(0.05, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def _categorical(rng, k, m):
    h = CategoricalHMM(k)
    h.startprob_, h.transmat_ = _stochastic(rng, k), _stochastic(rng, k, k)
    h.emissionprob_ = _stochastic(rng, k, m)
    return h


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 4), m=st.integers(2, 5),
       n=st.integers(20, 300))
def test_categorical_em_never_decreases_and_rows_sum_to_one(seed, k, m, n):
    rng = np.random.default_rng(seed)
    X = _categorical(rng, k, m).sample(n, seed=rng)[0]
    model = CategoricalHMM(k, n_features=m, n_iter=15, tol=0.0, seed=seed).fit(X)
    hist = np.array(model.monitor_.history)
    assert (np.diff(hist) >= -1e-9 * np.abs(hist[1:]) - 1e-9).all()
    for p in (model.startprob_, model.transmat_, model.emissionprob_):
        np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-12)
        assert (p >= 0).all()
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, atol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), kind=st.sampled_from(["spherical", "diag", "full",
                                                              "tied"]))
def test_gaussian_em_never_decreases(seed, kind):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(-2, 1, (80, 2)), rng.normal(2, 0.5, (80, 2))])
    # covars_prior=0: plain maximum likelihood, for which EM is monotone
    model = GaussianHMM(2, covariance_type=kind, covars_prior=0.0, n_iter=12, tol=0.0,
                        seed=seed).fit(X, [100, 60])
    hist = np.array(model.monitor_.history)
    assert (np.diff(hist) >= -1e-9 * np.abs(hist[1:])).all()
    np.testing.assert_allclose(model.transmat_.sum(axis=1), 1.0, atol=1e-12)


def _best_permutation(est, truth):
    perms = list(itertools.permutations(range(len(truth))))
    return min(perms, key=lambda p: np.abs(est[list(p)] - truth).sum())


def test_sampled_gaussian_data_refits_near_the_truth():
    truth = GaussianHMM(3, covariance_type="full")
    truth.startprob_ = np.array([0.5, 0.3, 0.2])
    truth.transmat_ = np.array([[0.9, 0.05, 0.05], [0.1, 0.85, 0.05], [0.05, 0.1, 0.85]])
    truth.means_ = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    truth.covars_ = np.array([np.eye(2), [[1.0, 0.5], [0.5, 1.0]], 0.5 * np.eye(2)])
    X, _ = truth.sample(6000, seed=1)
    model = GaussianHMM(3, covariance_type="full", n_iter=100, seed=0).fit(X)
    p = list(_best_permutation(model.means_, truth.means_))
    np.testing.assert_allclose(model.means_[p], truth.means_, atol=0.1)
    np.testing.assert_allclose(model.covars_[p], truth.covars_, atol=0.15)
    np.testing.assert_allclose(model.transmat_[np.ix_(p, p)], truth.transmat_, atol=0.03)


def test_sampled_categorical_data_refits_near_the_truth():
    truth = CategoricalHMM(2)
    truth.startprob_ = np.array([0.5, 0.5])
    truth.transmat_ = np.array([[0.95, 0.05], [0.1, 0.9]])
    truth.emissionprob_ = np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]])
    X, states = truth.sample(20_000, seed=2)
    model = CategoricalHMM(2, n_iter=200, tol=1e-6, seed=0).fit(X)
    p = list(_best_permutation(model.emissionprob_, truth.emissionprob_))
    np.testing.assert_allclose(model.emissionprob_[p], truth.emissionprob_, atol=0.03)
    np.testing.assert_allclose(model.transmat_[np.ix_(p, p)], truth.transmat_, atol=0.03)
    # the empirical state frequencies are near the stationary distribution
    np.testing.assert_allclose(truth.get_stationary_distribution(),
                               np.bincount(states) / len(states), atol=0.03)


def test_left_right_structural_zeros_survive_em():
    rng = np.random.default_rng(0)
    k = 4
    trans = np.triu(_stochastic(rng, k, k))  # left-right: no move back
    trans[:, :] = np.where(np.arange(k)[None] - np.arange(k)[:, None] > 1, 0, trans)
    trans /= trans.sum(axis=1, keepdims=True)
    model = GaussianHMM(k, init_params=("means", "covars"), n_iter=20, seed=0)
    model.startprob_ = np.array([1.0, 0.0, 0.0, 0.0])
    model.transmat_ = trans
    X = np.concatenate([rng.normal(i * 3, 1, (50, 1)) for i in range(k)] * 5)
    model.fit(X, [200] * 5)
    assert (model.transmat_[trans == 0] == 0).all()
    assert (model.startprob_[1:] == 0).all()
    np.testing.assert_allclose(model.transmat_.sum(axis=1), 1.0)


def test_fixed_parameters_are_not_updated():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, 200)
    m = CategoricalHMM(2, n_iter=5, seed=0, fixed=("transmat", "startprob"))
    m.fit(X)
    ref = CategoricalHMM(2, n_iter=1, seed=0)
    ref._validate_X(X, fitting=True)
    ref._init_params(ref._validate_X(X, fitting=True), np.random.default_rng(0))
    np.testing.assert_array_equal(m.transmat_, ref.transmat_)
    np.testing.assert_array_equal(m.startprob_, ref.startprob_)
    assert not np.allclose(m.emissionprob_, ref.emissionprob_)


def test_user_given_start_and_same_seed_same_result():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    a = GaussianHMM(3, seed=5, n_iter=5).fit(X)
    b = GaussianHMM(3, seed=5, n_iter=5).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)
    c = GaussianHMM(3, seed=5, init="random", n_iter=5).fit(X)
    assert c.means_.shape == (3, 2)
    given = GaussianHMM(3, init_params=("covars",), n_iter=1)
    given.startprob_, given.transmat_ = a.startprob_, a.transmat_
    given.means_ = a.means_
    given.fit(X)
    assert given.monitor_.iter == 1


def test_several_sequences_equal_the_sum_of_separate_ones():
    rng = np.random.default_rng(5)
    h = _categorical(rng, 3, 4)
    X = rng.integers(0, 4, 500)
    lengths = [100, 1, 150, 249]
    parts = np.split(X, np.cumsum(lengths)[:-1])
    assert h.score(X, lengths) == pytest.approx(sum(h.score(p) for p in parts), rel=1e-12)
    post = np.concatenate([h.predict_proba(p) for p in parts])
    np.testing.assert_allclose(h.predict_proba(X, lengths), post, atol=1e-12)
    path = np.concatenate([h.predict(p) for p in parts])
    np.testing.assert_array_equal(h.predict(X, lengths), path)


@pytest.mark.parametrize("k", [2, 3])  # 2: the two-state Viterbi kernel
def test_parallel_kernels_equal_serial(k):
    rng = np.random.default_rng(6)
    n_seq, t = 120, 2000  # enough work to take the parallel path
    start, trans = _stochastic(rng, k), _stochastic(rng, k, k)
    frameprob = rng.uniform(0.01, 1.0, (n_seq * t, k))
    bounds = np.arange(0, n_seq * t + 1, t)
    assert kernels._parallel(bounds, k * k) == (numba.get_num_threads() > 1)
    llf, post, xi = kernels.forward_backward(start, trans, frameprob, bounds)
    score = kernels.forward_score(start, trans, frameprob, bounds)
    vit, path = _hmm_viterbi.viterbi(np.log(start), np.log(trans), np.log(frameprob), bounds)
    for s in (0, 57, n_seq - 1):
        one = np.array([0, t])
        sl = slice(bounds[s], bounds[s + 1])
        l1, p1, x1 = kernels.forward_backward(start, trans, frameprob[sl], one)
        assert llf[s] == pytest.approx(l1[0], rel=1e-13)
        assert score[s] == pytest.approx(l1[0], rel=1e-13)
        np.testing.assert_allclose(post[sl], p1, atol=1e-13)
        np.testing.assert_allclose(xi[s], x1[0], rtol=1e-12)
        v1, q1 = _hmm_viterbi.viterbi(np.log(start), np.log(trans), np.log(frameprob[sl]), one)
        assert vit[s] == pytest.approx(v1[0], rel=1e-13)
        np.testing.assert_array_equal(path[sl], q1)


def test_far_outlier_frame_does_not_underflow():
    """A frame 1,000 standard deviations away has density exp(-5e5): the per-frame shift
    keeps the forward pass finite and equal to hmmlearn's log-space implementation."""
    from hmmlearn import hmm as hl

    X = np.r_[np.zeros(20), 1000.0, np.ones(20)].reshape(-1, 1)
    params = {"startprob_": np.array([0.5, 0.5]), "transmat_": np.array([[0.9, 0.1],
              [0.1, 0.9]]), "means_": np.array([[0.0], [1.0]]),
              "covars_": np.array([[1.0], [1.0]])}
    ours = GaussianHMM(2)
    ref = hl.GaussianHMM(2, implementation="log")
    for name, v in params.items():
        setattr(ours, name, v)
        setattr(ref, name, v)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-10)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-10)


def test_sample_shapes_continuation_and_pickle():
    h = _categorical(np.random.default_rng(7), 2, 3)
    X, z = h.sample(50, seed=1)
    assert X.shape == (50, 1) and z.shape == (50,)
    X2, _ = h.sample(50, seed=1)
    np.testing.assert_array_equal(X, X2)
    _, z3 = h.sample(5, seed=2, currstate=1)
    assert z3[0] == 1
    clone = pickle.loads(pickle.dumps(h))
    assert clone.score(X) == h.score(X)
    assert h.get_params()["n_components"] == 2
    g = GaussianHMM(2, covariance_type="spherical")
    g.startprob_, g.transmat_ = h.startprob_, h.transmat_
    g.means_, g.covars_ = np.array([[0.0, 0.0], [3.0, 3.0]]), np.array([1.0, 2.0])
    Xg, _ = g.sample(20, seed=0)
    assert Xg.shape == (20, 2) and g.covars_.shape == (2, 2, 2)
    assert g.n_params == 1 + 2 + 4 + 2


@pytest.mark.slow
def test_ten_million_frames_are_stable():
    """T = 10^7: log-likelihood finite and equal to hmmlearn's log-space forward pass."""
    from hmmlearn import _hmmc

    rng = np.random.default_rng(8)
    h = _categorical(rng, 2, 4)
    X = h.sample(10_000_000, seed=rng)[0][:, 0]
    llf, post = h.score_samples(X)
    assert np.isfinite(llf)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-9)
    log_frame = np.log(h.emissionprob_).T[X]
    ref, _ = _hmmc.forward_log(h.startprob_, h.transmat_, log_frame)
    assert llf == pytest.approx(ref, rel=1e-10)
    g = GaussianHMM(2, n_iter=2, seed=0).fit(rng.normal(size=(10_000_000, 1)))
    assert np.isfinite(g.monitor_.history).all()

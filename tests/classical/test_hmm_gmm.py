"""GMMHMM against hmmlearn (test-only reference), brute-force enumeration and its errors.

Ports hmmlearn's tests/test_gmm_hmm_new.py (bad covariance type, sample, score_samples and
decode, fit, zero-variance data, criteria, multi-sequence) to seqlab for the four covariance
types, and adds: hmmlearn's EM steps from the same start (1 and 10 iterations, 1e-8
relative), the likelihood as a sum over all state paths, n_mix=1 equal to GaussianHMM,
save/load.
"""

from __future__ import annotations

import itertools
import logging

import hmmlearn.hmm as hl
import numpy as np
import pytest
from scipy.stats import multivariate_normal

import seqlab
from seqlab.classical import GMMHMM, GaussianHMM
from seqlab.exceptions import SeqlabValueError

logging.getLogger("hmmlearn").setLevel(logging.ERROR)

KINDS = ("spherical", "diag", "full", "tied")
K, M, D = 2, 2, 2
START = np.array([0.6, 0.4])
TRANS = np.array([[0.9, 0.1], [0.2, 0.8]])
WEIGHTS = np.array([[0.3, 0.7], [0.5, 0.5]])
MEANS = np.array([[[0.0, 0.0], [1.0, 1.0]], [[3.0, 2.0], [2.5, 2.5]]])
FULL = np.array([[1.0, 0.3], [0.3, 0.5]])


def _covars(kind):
    return {"spherical": np.array([[1.0, 0.5], [0.8, 1.2]]),
            "diag": np.array([[[1.0, 0.5], [0.7, 1.1]], [[0.4, 0.9], [1.3, 0.6]]]),
            "full": np.stack([np.stack([FULL, FULL * 1.5]), np.stack([FULL * 0.7, np.eye(2)])]),
            "tied": np.stack([FULL, np.eye(2) * 0.8])}[kind]


def _model(kind, cls=GMMHMM, **kw):
    m = cls(K, M, covariance_type=kind, init_params="", **kw)
    m.startprob_, m.transmat_, m.weights_ = START.copy(), TRANS.copy(), WEIGHTS.copy()
    m.means_, m.covars_ = MEANS.copy(), _covars(kind)
    return m


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0, 1, (n // 2, D)),
                           rng.normal(0, 0.5, (n - n // 2, D)) + np.array([3.0, 2.0])])


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


def _full_covs(kind):
    c = _covars(kind)
    if kind == "spherical":
        return c[:, :, None, None] * np.eye(D)
    if kind == "diag":
        return c[..., None] * np.eye(D)
    if kind == "tied":
        return np.repeat(c[:, None], M, axis=1)
    return c


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_iter", [1, 10])
def test_em_steps_equal_hmmlearn(kind, n_iter):
    X, lengths = _data(), [100, 120, 80]
    ours = _model(kind, n_iter=n_iter, tol=0.0).fit(X, lengths)
    ref = _model(kind, hl.GMMHMM, n_iter=n_iter, tol=0.0, implementation="scaling")
    ref.fit(X, lengths)
    for name in ("startprob_", "transmat_", "weights_", "means_", "covars_"):
        assert _rel(getattr(ours, name), getattr(ref, name)) < 1e-8, name
    np.testing.assert_allclose(ours.monitor_.history, ref.monitor_.history, rtol=1e-10)
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-10)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), ref.predict_proba(X, lengths),
                               atol=1e-9)
    np.testing.assert_array_equal(ours.predict(X, lengths), ref.predict(X, lengths))


@pytest.mark.parametrize("kind", KINDS)
def test_likelihood_is_the_sum_over_all_state_paths(kind):
    X = _data(4, seed=1)
    covs = _full_covs(kind)
    b = np.array([[sum(WEIGHTS[k, j] * multivariate_normal(MEANS[k, j], covs[k, j]).pdf(x)
                       for j in range(M)) for k in range(K)] for x in X])
    total = 0.0
    for path in itertools.product(range(K), repeat=len(X)):
        p = START[path[0]] * b[0, path[0]]
        for t in range(1, len(X)):
            p *= TRANS[path[t - 1], path[t]] * b[t, path[t]]
        total += p
    assert _model(kind).score(X) == pytest.approx(np.log(total), rel=1e-12)


@pytest.mark.parametrize("kind", ["diag", "full"])
def test_one_component_mixture_is_a_gaussian_hmm(kind):
    X = _data(100)
    g = GaussianHMM(K, kind, init_params="")
    g.startprob_, g.transmat_ = START.copy(), TRANS.copy()
    g.means_ = MEANS[:, 0]
    g.covars_ = _covars(kind)[:, 0]
    m = GMMHMM(K, 1, covariance_type=kind, init_params="")
    m.startprob_, m.transmat_, m.weights_ = START.copy(), TRANS.copy(), np.ones((K, 1))
    m.means_, m.covars_ = MEANS[:, :1].copy(), _covars(kind)[:, :1].copy()
    assert m.score(X) == pytest.approx(g.score(X), rel=1e-12)


# ---------------------------------------------------------------- hmmlearn's own tests
def test_bad_covariance_type():
    with pytest.raises(SeqlabValueError, match="unknown covariance_type 'badcovariance_type'"):
        GMMHMM(2, 2, covariance_type="badcovariance_type").fit(_data(50))


@pytest.mark.parametrize("kind", KINDS)
def test_sample_score_samples_and_decode(kind):
    m = _model(kind)
    X, states = m.sample(500, random_state=0)
    assert X.shape == (500, D) and states.shape == (500,)
    _, post = m.score_samples(X)
    np.testing.assert_allclose(post.sum(axis=1), 1.0)
    assert (m.predict(X) == states).mean() > 0.8  # well separated states


@pytest.mark.parametrize("kind", KINDS)
def test_fit_from_scratch_loglik_increases(kind):
    X, _ = _model(kind).sample(400, random_state=1)
    m = GMMHMM(K, M, covariance_type=kind, random_state=0, n_iter=15, tol=0.0)
    m.fit(X, [100, 150, 150])
    assert np.all(np.diff(m.monitor_.history) >= -1e-7)
    np.testing.assert_allclose(m.weights_.sum(axis=1), 1.0)


@pytest.mark.parametrize("kind", KINDS)
def test_fit_zero_variance_column(kind):
    # hmmlearn's test_fit_zero_variance (an xfail there): a constant feature must not break EM
    X = _data(120)
    X[:, 1] = 3.0
    m = GMMHMM(K, M, covariance_type=kind, random_state=0, n_iter=5).fit(X)
    assert np.isfinite(m.score(X))


def test_criterion_prefers_the_true_number_of_states():
    X, _ = _model("diag").sample(1500, random_state=412)
    bic = [GMMHMM(k, M, random_state=0, n_iter=40).fit(X).bic(X) for k in (1, 2)]
    assert bic[1] < bic[0]


def test_save_load_roundtrip(tmp_path):
    X = _data(100)
    m = GMMHMM(2, 2, covariance_type="full", random_state=0, n_iter=3).fit(X)
    seqlab.save(m, tmp_path / "g.seqlab")
    back = seqlab.load(tmp_path / "g.seqlab")
    assert isinstance(back, GMMHMM)
    for name in ("weights_", "means_", "covars_"):
        np.testing.assert_array_equal(getattr(back, name), getattr(m, name))
    assert back.score(X) == m.score(X)


def test_bad_parameters_are_seqlab_errors():
    m = _model("diag")
    m.weights_ = np.array([[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(SeqlabValueError, match="weights_"):
        m.score(_data(10))
    m = _model("diag")
    m.means_ = MEANS[:, :1]
    with pytest.raises(SeqlabValueError, match=r"means_ must have shape \(2, 2, 2\)"):
        m.score(_data(10))
    m = _model("full")
    m.covars_ = np.tile(np.array([[1.0, 2.0], [2.0, 1.0]]), (K, M, 1, 1))
    with pytest.raises(SeqlabValueError, match="not positive definite"):
        m.score(_data(10))

"""MultinomialHMM against hmmlearn (test-only reference), scipy's pmf, brute force, errors.

Ports hmmlearn's tests/test_multinomial_hmm.py (score_samples, fit, n_trials checks) and adds
hmmlearn's EM steps from the same start (1 and 10 iterations), the likelihood as a sum over
all state paths with scipy.stats.multinomial, save/load.
"""

from __future__ import annotations

import itertools
import logging

import hmmlearn.hmm as hl
import numpy as np
import pytest
from scipy.stats import multinomial

import seqlab
from seqlab.classical import MultinomialHMM
from seqlab.exceptions import SeqlabValueError

logging.getLogger("hmmlearn").setLevel(logging.ERROR)

START = np.array([0.6, 0.4])
TRANS = np.array([[0.8, 0.2], [0.3, 0.7]])
EMISSION = np.array([[0.5, 0.3, 0.2], [0.1, 0.3, 0.6]])


def _model(cls=MultinomialHMM, n_trials=6, **kw):
    m = cls(2, n_trials=n_trials, init_params="", **kw)
    m.startprob_, m.transmat_, m.emissionprob_ = START.copy(), TRANS.copy(), EMISSION.copy()
    return m


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.multinomial(6, [0.6, 0.3, 0.1], 80),
                      rng.multinomial(6, [0.1, 0.3, 0.6], 80)])


@pytest.mark.parametrize("n_iter", [1, 10])
def test_em_steps_equal_hmmlearn(n_iter):
    X, lengths = _data(), [60, 100]
    ours = _model(n_iter=n_iter, tol=0.0).fit(X, lengths)
    ref = _model(hl.MultinomialHMM, n_iter=n_iter, tol=0.0, implementation="scaling")
    ref.fit(X, lengths)
    for name in ("startprob_", "transmat_", "emissionprob_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=1e-8,
                                   err_msg=name)
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-10)
    np.testing.assert_array_equal(ours.predict(X, lengths), ref.predict(X, lengths))
    assert ours.bic(X, lengths) == pytest.approx(ref.bic(X, lengths), rel=1e-10)


def test_varying_trials_per_frame_equal_hmmlearn():
    rng = np.random.default_rng(4)
    X = np.array([rng.multinomial(n, [0.3, 0.3, 0.4]) for n in rng.integers(1, 9, 50)])
    ours = _model(n_trials=None, n_iter=5, tol=0.0).fit(X)
    ref = _model(hl.MultinomialHMM, n_trials=None, n_iter=5, tol=0.0).fit(X)
    np.testing.assert_allclose(ours.emissionprob_, ref.emissionprob_, rtol=1e-8)


def test_likelihood_is_the_sum_over_all_state_paths():
    X = np.array([[2, 3, 1], [0, 1, 5], [4, 2, 0], [1, 1, 4]])
    b = np.array([[multinomial.pmf(x, 6, p) for p in EMISSION] for x in X])
    total = 0.0
    for path in itertools.product(range(2), repeat=len(X)):
        p = START[path[0]] * b[0, path[0]]
        for t in range(1, len(X)):
            p *= TRANS[path[t - 1], path[t]] * b[t, path[t]]
        total += p
    assert _model().score(X) == pytest.approx(np.log(total), rel=1e-12)


def test_sample_score_samples_and_fit():
    m = _model()
    X, states = m.sample(500, random_state=0)
    assert X.shape == (500, 3) and (X.sum(axis=1) == 6).all() and states.shape == (500,)
    _, post = m.score_samples(X)
    np.testing.assert_allclose(post.sum(axis=1), 1.0)
    fitted = MultinomialHMM(2, n_trials=6, random_state=0, n_iter=20, tol=0.0).fit(X)
    assert np.all(np.diff(fitted.monitor_.history) >= -1e-9)


def test_save_load_roundtrip(tmp_path):
    X = _data()
    m = MultinomialHMM(2, n_trials=6, random_state=0, n_iter=3).fit(X)
    seqlab.save(m, tmp_path / "m.seqlab")
    back = seqlab.load(tmp_path / "m.seqlab")
    assert isinstance(back, MultinomialHMM)
    assert back.score(X) == m.score(X)
    np.testing.assert_array_equal(back.emissionprob_, m.emissionprob_)


def test_bad_input_is_a_seqlab_error():
    with pytest.raises(SeqlabValueError, match="row 0 of X sums to 5 counts but n_trials"):
        _model().score(np.array([[2, 2, 1]]))
    with pytest.raises(SeqlabValueError, match="non-negative integer counts"):
        _model().score(np.array([[7, -1, 0]]))
    with pytest.raises(SeqlabValueError, match="one number of trials"):
        _model(n_trials=None).sample(3)

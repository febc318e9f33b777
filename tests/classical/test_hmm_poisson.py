"""PoissonHMM against hmmlearn (test-only reference), brute-force enumeration and its errors.

Ports hmmlearn's tests/test_poisson_hmm.py (attributes, score_samples, fit with params "stl"
and "l", fit after initialisation, criteria) to seqlab, and adds: the same EM steps as
hmmlearn's from the same start (1 and 10 iterations, 1e-8 relative), the likelihood as the
sum over all state paths, the Gamma-prior update in closed form, save/load.
"""

from __future__ import annotations

import itertools
import logging

import hmmlearn.hmm as hl
import numpy as np
import pytest
from scipy.stats import poisson

import seqlab
from seqlab.classical import PoissonHMM
from seqlab.exceptions import SeqlabValueError

logging.getLogger("hmmlearn").setLevel(logging.ERROR)

START = np.array([0.6, 0.4])
TRANS = np.array([[0.7, 0.3], [0.4, 0.6]])
LAMBDAS = np.array([[3.1, 1.4, 4.5], [1.6, 5.3, 0.1]])  # hmmlearn's test model


def _model(cls=PoissonHMM, **kw):
    m = cls(2, init_params="", **kw)
    m.startprob_, m.transmat_, m.lambdas_ = START.copy(), TRANS.copy(), LAMBDAS.copy()
    return m


def _data(n=200, seed=0):
    return _model(hl.PoissonHMM).sample(n, random_state=seed)[0]  # hmmlearn draws the data


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


@pytest.mark.parametrize("n_iter", [1, 10])
def test_em_steps_equal_hmmlearn(n_iter):
    X, lengths = _data(150), [40, 60, 50]
    ours = _model(n_iter=n_iter, tol=0.0).fit(X, lengths)
    ref = _model(hl.PoissonHMM, n_iter=n_iter, tol=0.0, implementation="scaling")
    ref.fit(X, lengths)
    for name in ("startprob_", "transmat_", "lambdas_"):
        assert _rel(getattr(ours, name), getattr(ref, name)) < 1e-8, name
    np.testing.assert_allclose(ours.monitor_.history, ref.monitor_.history, rtol=1e-10)
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-10)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), ref.predict_proba(X, lengths),
                               atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X, lengths), ref.predict(X, lengths))
    assert ours.aic(X, lengths) == pytest.approx(ref.aic(X, lengths), rel=1e-10)
    assert ours.bic(X, lengths) == pytest.approx(ref.bic(X, lengths), rel=1e-10)


def test_likelihood_is_the_sum_over_all_state_paths():
    X = np.array([[0, 3, 1], [4, 0, 2], [2, 6, 0], [1, 1, 5]], dtype=float)
    m = _model()
    b = np.array([[poisson.pmf(x, lam).prod() for lam in LAMBDAS] for x in X])  # (T, K)
    total = 0.0
    for path in itertools.product(range(2), repeat=len(X)):
        p = START[path[0]] * b[0, path[0]]
        for t in range(1, len(X)):
            p *= TRANS[path[t - 1], path[t]] * b[t, path[t]]
        total += p
    assert m.score(X) == pytest.approx(np.log(total), rel=1e-12)


def test_zero_rate_gives_zero_probability_to_positive_counts():
    m = _model()
    m.lambdas_ = np.array([[0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    logp = m._log_frameprob(np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]]))
    assert logp[1, 0] == -np.inf
    assert logp[0, 0] == pytest.approx(poisson.logpmf([0, 1, 2], [0, 1, 1]).sum())


def test_gamma_prior_update_in_closed_form():
    X = _data(120, seed=3)
    alpha, beta = 2.0, np.array([0.5, 3.0])
    m = _model(n_iter=1, tol=0.0, lambdas_prior=alpha, lambdas_weight=beta, params="l")
    gamma = _model(hl.PoissonHMM).predict_proba(X)  # hmmlearn's posteriors at the start
    expected = (alpha + gamma.T @ X) / (beta[:, None] + gamma.sum(axis=0)[:, None])
    m.fit(X)
    np.testing.assert_allclose(m.lambdas_, expected, rtol=1e-10)
    np.testing.assert_array_equal(m.transmat_, TRANS)  # params="l": the rest is kept


# ---------------------------------------------------------------- hmmlearn's own tests
def test_attributes_are_checked():
    m = _model()
    m.lambdas_ = np.zeros((0, 3))
    with pytest.raises(SeqlabValueError, match="lambdas_"):
        m.score(np.zeros((3, 3)))
    m.lambdas_ = -LAMBDAS
    with pytest.raises(SeqlabValueError, match="lambdas_ must be >= 0"):
        m.score(np.zeros((3, 3)))


def test_score_samples_shapes():
    m = _model()
    X, states = m.sample(1000, random_state=0)
    assert X.shape == (1000, 3) and states.shape == (1000,)
    _, post = m.score_samples(X)
    assert post.shape == (1000, 2)
    np.testing.assert_allclose(post.sum(axis=1), 1.0)


@pytest.mark.parametrize("params", ["stl", "l"])
def test_fit_relearns_and_loglik_increases(params):
    lengths = [10] * 10
    X, _ = _model().sample(100, random_state=1)
    rng = np.random.default_rng(0)
    m = PoissonHMM(2, params=params, init_params="", n_iter=5, tol=0.0)
    m.startprob_ = START.copy()
    m.transmat_ = TRANS.copy()
    m.lambdas_ = rng.gamma(2.0, size=(2, 3))
    m.fit(X, lengths)
    assert np.all(np.diff(m.monitor_.history) >= -1e-9)
    if params == "l":
        np.testing.assert_array_equal(m.transmat_, TRANS)


def test_fit_with_init_and_criteria():
    X, _ = _model().sample(2000, random_state=412)
    aic, bic = [], []
    for k in (1, 2, 3):
        m = PoissonHMM(k, n_iter=100, random_state=0).fit(X)
        assert np.all(np.diff(m.monitor_.history) >= -1e-8)
        aic.append(m.aic(X))
        bic.append(m.bic(X))
    assert np.argmin(bic) == 1  # two well separated states: BIC picks K = 2
    assert aic[1] < aic[0]


def test_fit_recovers_rates():
    X, _ = _model().sample(3000, random_state=5)
    m = PoissonHMM(2, random_state=0, n_iter=100, tol=1e-6).fit(X)
    order = np.argsort(m.lambdas_[:, 0])[::-1]
    np.testing.assert_allclose(m.lambdas_[order], LAMBDAS, atol=0.35)


def test_save_load_roundtrip(tmp_path):
    X = _data(100)
    m = PoissonHMM(2, random_state=0, n_iter=5).fit(X)
    seqlab.save(m, tmp_path / "p.seqlab")
    back = seqlab.load(tmp_path / "p.seqlab")
    assert isinstance(back, PoissonHMM)
    np.testing.assert_array_equal(back.lambdas_, m.lambdas_)
    assert back.score(X) == m.score(X)
    assert back.get_params() == m.get_params()


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array([[1.0, -1.0, 2.0]]), "Negative values in data"),
        (np.array([[1.5, 1.0, 2.0]]), "non-integer count"),
        (np.array([[1.0, np.nan, 2.0]]), "NaN"),
        (np.array([[1.0, 2.0]]), "has 2 feature"),
    ],
)
def test_bad_input_is_a_seqlab_error(X, match):
    with pytest.raises(SeqlabValueError, match=match):
        _model().score(X)


def test_bad_prior_is_a_seqlab_error():
    with pytest.raises(SeqlabValueError, match="lambdas_prior must be >= 0"):
        PoissonHMM(2, lambdas_prior=-1.0).fit(_data(30))

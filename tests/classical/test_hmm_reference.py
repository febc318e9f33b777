"""seqlab HMMs against hmmlearn (test-only reference) and Wikipedia's Viterbi example.

Same parameters -> same log-likelihood (1e-8 relative), posteriors (1e-8 absolute) and
Viterbi paths (equal); same EM iterations from the same start -> same parameters (1e-6).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hmmlearn import hmm as hl

from seqlab.classical import CategoricalHMM, GaussianHMM

logging.getLogger("hmmlearn").setLevel(logging.ERROR)
COV_TYPES = ["spherical", "diag", "full", "tied"]


def _random_stochastic(rng, *shape):
    p = rng.uniform(0.05, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def _gaussian_params(rng, kind, k=3, d=2):
    means = rng.normal(0, 2.0, (k, d))
    if kind == "spherical":
        cov = rng.uniform(0.5, 2.0, k)
    elif kind == "diag":
        cov = rng.uniform(0.5, 2.0, (k, d))
    else:
        a = rng.normal(size=(k, d, d))
        cov = a @ a.transpose(0, 2, 1) + np.eye(d)
        cov = cov[0] if kind == "tied" else cov
    return {
        "startprob_": _random_stochastic(rng, k),
        "transmat_": _random_stochastic(rng, k, k),
        "means_": means,
        "covars_": cov,
    }


def _pair(kind, params, **kw):
    """The same model in seqlab and in hmmlearn (scaling implementation)."""
    k = params["startprob_"].size
    if kind == "categorical":
        ours = CategoricalHMM(k, init_params=(), **kw)
        ref = hl.CategoricalHMM(k, init_params="", implementation="scaling", **kw)
        ref.n_features = params["emissionprob_"].shape[1]
    else:
        ours = GaussianHMM(k, covariance_type=kind, init_params=(), **kw)
        ref = hl.GaussianHMM(k, covariance_type=kind, init_params="", implementation="log",
                             **kw)
    for name, value in params.items():
        setattr(ours, name, np.array(value, copy=True))
        setattr(ref, name, np.array(value, copy=True))
    return ours, ref


def _data(kind, params, rng, n=600):
    if kind == "categorical":
        m = params["emissionprob_"].shape[1]
        return rng.integers(0, m, n)
    d = params["means_"].shape[1]
    return rng.normal(0, 2.0, (n, d))


PARAM_CASES = ["categorical", *COV_TYPES]


def _params(kind, rng):
    if kind == "categorical":
        return {
            "startprob_": _random_stochastic(rng, 3),
            "transmat_": _random_stochastic(rng, 3, 3),
            "emissionprob_": _random_stochastic(rng, 3, 5),
        }
    return _gaussian_params(rng, kind)


@pytest.mark.parametrize("kind", PARAM_CASES)
@pytest.mark.parametrize("lengths", [None, [100, 1, 250, 249]])
def test_score_posteriors_viterbi_equal_hmmlearn(kind, lengths):
    rng = np.random.default_rng(7)
    params = _params(kind, rng)
    ours, ref = _pair(kind, params)
    X = _data(kind, params, rng)
    Xr = X.reshape(len(X), -1)

    llf, post = ours.score_samples(X, lengths)
    llf_ref, post_ref = ref.score_samples(Xr, lengths)
    assert abs(llf - llf_ref) <= 1e-8 * abs(llf_ref)
    assert abs(ours.score(X, lengths) - llf_ref) <= 1e-8 * abs(llf_ref)
    np.testing.assert_allclose(post, post_ref, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), post_ref, rtol=0, atol=1e-8)

    vit, path = ours.decode(X, lengths, algorithm="viterbi")
    vit_ref, path_ref = ref.decode(Xr, lengths, algorithm="viterbi")
    assert abs(vit - vit_ref) <= 1e-8 * abs(vit_ref)
    np.testing.assert_array_equal(path, path_ref)
    _, map_path = ours.decode(X, lengths, algorithm="map")
    np.testing.assert_array_equal(map_path, ref.decode(Xr, lengths, algorithm="map")[1])
    assert ours.aic(X, lengths) == pytest.approx(ref.aic(Xr, lengths), rel=1e-8)
    assert ours.bic(X, lengths) == pytest.approx(ref.bic(Xr, lengths), rel=1e-8)


def _compact_covars(model):
    cov = np.asarray(model._covars_)
    if model.covariance_type == "spherical" and cov.ndim == 2:  # hmmlearn tiles it
        cov = cov[:, 0]
    return cov


@pytest.mark.parametrize("kind", PARAM_CASES)
@pytest.mark.parametrize("lengths", [None, [300, 200, 100]])
def test_em_parameters_equal_hmmlearn(kind, lengths):
    rng = np.random.default_rng(11)
    truth = _params(kind, rng)
    start = _params(kind, rng)
    X = _data(kind, truth, rng)
    if kind != "categorical":  # sample real structure so EM moves somewhere meaningful
        gen, _ = _pair(kind, truth)
        X = gen.sample(600, seed=3)[0]
    ours, ref = _pair(kind, start, n_iter=6)
    ours.tol = 0.0
    ref.tol = -np.inf
    ours.fit(X, lengths)
    ref.fit(X.reshape(len(X), -1), lengths)
    np.testing.assert_allclose(ours.monitor_.history, list(ref.monitor_.history), rtol=1e-10)
    np.testing.assert_allclose(ours.startprob_, ref.startprob_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-6)
    if kind == "categorical":
        np.testing.assert_allclose(ours.emissionprob_, ref.emissionprob_, rtol=0, atol=1e-6)
    else:
        np.testing.assert_allclose(ours.means_, ref.means_, rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours._covars_, _compact_covars(ref), rtol=0, atol=1e-6)


def test_em_with_priors_and_fixed_parameters_equal_hmmlearn():
    rng = np.random.default_rng(5)
    truth, start = _gaussian_params(rng, "full"), _gaussian_params(rng, "full")
    X = _pair("full", truth)[0].sample(500, seed=1)[0]
    kw = {"startprob_prior": 2.0, "transmat_prior": 3.0, "means_prior": 0.5,
          "means_weight": 2.0, "covars_prior": 0.5, "covars_weight": 4.0, "n_iter": 4}
    ours, ref = _pair("full", start, **kw)
    ours.set_params(tol=0.0, fixed=("startprob",))
    ref.tol, ref.params = -np.inf, "tmc"
    ours.fit(X)
    ref.fit(X)
    np.testing.assert_array_equal(ours.startprob_, start["startprob_"])
    for name in ("transmat_", "means_", "covars_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=0, atol=1e-6)


def test_categorical_em_with_dirichlet_prior_equal_hmmlearn():
    rng = np.random.default_rng(2)
    start = _params("categorical", rng)
    X = rng.integers(0, 5, 400)
    ours, ref = _pair("categorical", start, n_iter=5, emissionprob_prior=1.5,
                      transmat_prior=2.0)
    ours.tol, ref.tol = 0.0, -np.inf
    ours.fit(X)
    ref.fit(X[:, None])
    np.testing.assert_allclose(ours.emissionprob_, ref.emissionprob_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-6)


def test_wikipedia_viterbi_example():
    """https://en.wikipedia.org/wiki/Viterbi_algorithm (revision used by hmmlearn's tests):
    walk, shop, clean "were most likely generated by states ['Sunny', 'Rainy', 'Rainy'],
    with probability 0.01344"; states are (Rainy, Sunny), symbols (walk, shop, clean)."""
    m = CategoricalHMM(2)
    m.startprob_ = np.array([0.6, 0.4])
    m.transmat_ = np.array([[0.7, 0.3], [0.4, 0.6]])
    m.emissionprob_ = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]])
    log_prob, states = m.decode(np.array([0, 1, 2]), algorithm="viterbi")
    assert states.tolist() == [1, 0, 0]  # Sunny, Rainy, Rainy
    assert round(float(np.exp(log_prob)), 5) == 0.01344
    # Wikipedia's forward algorithm on the same model: P(walk, shop, clean) = 0.033612
    assert np.exp(m.score(np.array([0, 1, 2]))) == pytest.approx(0.033612, rel=1e-12)


def test_long_sequence_agrees_with_hmmlearn_log():
    """T = 200,000 frames: the lazy scaling keeps the log-likelihood exact (no underflow)."""
    rng = np.random.default_rng(0)
    params = _params("categorical", rng)
    ours, ref = _pair("categorical", params)
    X = rng.integers(0, 5, 200_000)
    ref.implementation = "log"
    llf_ref = ref.score(X[:, None])
    assert abs(ours.score(X) - llf_ref) <= 1e-10 * abs(llf_ref)

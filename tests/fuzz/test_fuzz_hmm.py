"""Fuzz the hidden Markov models: CategoricalHMM and GaussianHMM fit / score / decode /
predict_proba / sample, with and without ``lengths``.

Valid sequences (any partition into ``lengths``) give finite log-likelihoods, posteriors that
sum to 1 and states in range; invalid sequences, lengths and hyperparameters raise a
SeqlabError. Known failures owned by the classical-models fix are pinned as strict xfails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from fuzzkit import (
    BAD_CHOICES,
    BAD_COUNTS,
    BAD_NONNEGATIVE,
    FUZZ,
    UNIVERSAL,
    assert_finite_or_refused,
    assert_finite_result,
    assert_seqlab_error,
    bad_cases,
    corrupted,
    fuzz,
    matrices,
    random_lengths,
    seeds,
)
from hypothesis import given
from hypothesis import strategies as st

from seqlab.classical import CategoricalHMM, GaussianHMM

OWNER = "owner:classical"
COVS = ("spherical", "diag", "full", "tied")
# "ragged" is pinned below as a known failure
# a prior's value may be any real (hmmlearn's formulas clip at 0); these are not reals
BAD_PRIORS = (math.nan, math.inf, "abc", None, 1 + 1j)
CAT_CORRUPTIONS = tuple(c for c in UNIVERSAL if c != "ragged")


def _use(model, X, lengths):
    """Every inference method on a fitted model; checks the invariants they share."""
    logp = model.score(X, lengths=lengths)
    post = model.predict_proba(X, lengths=lengths)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-8)
    vit_logp, states = model.decode(X, lengths=lengths)
    assert states.shape == (len(X),)
    assert states.min() >= 0 and states.max() < model.n_components
    assert vit_logp <= logp + 1e-6 * max(1.0, abs(logp))  # best path <= all paths
    Xs, Zs = model.sample(7, seed=0)
    assert len(Xs) == len(Zs) == 7
    return logp, post, vit_logp, Xs, model.transmat_, model.startprob_


# --------------------------------------------------------------------------- categorical
@st.composite
def symbols(draw, max_len=150):
    rng = np.random.default_rng(draw(seeds))
    m = draw(st.integers(1, 6))
    n = draw(st.integers(2, max_len))
    X = rng.integers(m, size=n)
    shape = draw(st.sampled_from(["1d", "col", "list"]))
    out = X[:, None] if shape == "col" else X.tolist() if shape == "list" else X
    return out, n


@fuzz(0.6)
@given(data=st.data(), k=st.integers(1, 4), seed=seeds, n_iter=st.integers(1, 8))
def test_categorical_valid_sequences(data, k, seed, n_iter):
    X, n = data.draw(symbols())
    lengths = random_lengths(data.draw, n)
    model = assert_finite_or_refused(CategoricalHMM(k, n_iter=n_iter, seed=seed).fit, X,
                                     lengths=lengths)
    if model is None:  # refused: more states than observations
        assert k > n
        return
    out = assert_finite_result(_use, model, X, lengths)
    np.testing.assert_allclose(model.emissionprob_.sum(axis=1), 1.0, atol=1e-8)
    assert out[0] <= 1e-9  # log of a probability of discrete symbols


@FUZZ
@given(data=st.data())
def test_categorical_refuses_invalid_symbols(data):
    base = np.array([0, 1, 2, 1, 0, 2, 2, 1], dtype=float)
    X = data.draw(corrupted(base, CAT_CORRUPTIONS) | st.sampled_from([
        np.array([0.5, 1.0]), np.array([-1, 0, 1]), np.zeros((3, 2), dtype=int),
    ]))
    assert_seqlab_error(CategoricalHMM(2, seed=0).fit, X)


def test_categorical_refuses_ragged_list():
    assert_seqlab_error(CategoricalHMM(2, seed=0).fit, [[1, 2], [3]])


@pytest.mark.parametrize("lengths", [[3, 3], [0, 8], [-1, 9], [8.0], ["8"], [[8]], [], 8.5, "8",
                                     [9], [4, 4, 1]], ids=repr)
def test_hmm_refuses_bad_lengths(lengths):
    X = np.array([0, 1, 2, 1, 0, 2, 2, 1])
    assert_seqlab_error(CategoricalHMM(2, seed=0).fit, X, lengths=lengths)
    model = CategoricalHMM(2, seed=0, n_iter=2).fit(X)
    assert_seqlab_error(model.score, X, lengths=lengths)
    assert_seqlab_error(model.decode, X, lengths=lengths)
    g = GaussianHMM(2, seed=0, n_iter=2).fit(X.astype(float))
    assert_seqlab_error(g.predict_proba, X.astype(float), lengths=lengths)


CAT_BAD = {
    "n_components": (*BAD_COUNTS, 0),
    "n_iter": (*BAD_COUNTS, 0),
    "n_features": (-1, 1.5, math.nan, "3", 0, 2),  # 2: the data hold symbol 2
    "tol": BAD_NONNEGATIVE,
    "init": BAD_CHOICES,
    "algorithm": BAD_CHOICES,
    "init_params": (["x"], "q", 3),
    "fixed": (["x"], 3),
    "seed": (-1, 1.5, "abc", [1]),
    "startprob_prior": BAD_PRIORS,
    "transmat_prior": BAD_PRIORS,
    "emissionprob_prior": BAD_PRIORS,
}

CAT_KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(("name", "value"), bad_cases(CAT_BAD, CAT_KNOWN, OWNER))
def test_categorical_refuses_bad_hyperparameters(name, value):
    X = np.array([0, 1, 2, 1, 0, 2, 2, 1])
    kwargs = {"n_components": 2, name: value}
    assert_seqlab_error(lambda: CategoricalHMM(**kwargs).fit(X).decode(X))


@pytest.mark.parametrize("algorithm", BAD_CHOICES, ids=repr)
def test_decode_refuses_bad_algorithm(algorithm):
    X = np.array([0, 1, 2, 1, 0, 2, 2, 1])
    model = CategoricalHMM(2, n_iter=2, seed=0).fit(X)
    assert_seqlab_error(model.decode, X, algorithm=algorithm)


@pytest.mark.parametrize(("name", "value"), bad_cases({
    "n_samples": (*BAD_COUNTS, 0), "currstate": (-1, 2, 1.5, "0"), "seed": (-1, "abc")}))
def test_sample_refuses_bad_arguments(name, value):
    model = CategoricalHMM(2, n_iter=2, seed=0).fit(np.array([0, 1, 2, 1, 0, 2]))
    kwargs = {"n_samples": 3, name: value}
    assert_seqlab_error(model.sample, **kwargs)


def test_hmm_use_before_fit_is_a_seqlab_error():
    for model in (CategoricalHMM(2), GaussianHMM(2)):
        assert_seqlab_error(model.score, np.array([0, 1]))
        assert_seqlab_error(model.sample, 3)


# --------------------------------------------------------------------------- gaussian
@fuzz(0.5)
@given(data=st.data(), k=st.integers(1, 3), cov=st.sampled_from(COVS), seed=seeds,
       n_iter=st.integers(1, 6))
def test_gaussian_valid_sequences(data, k, cov, seed, n_iter):
    X = data.draw(matrices(min_rows=max(k, 6), max_rows=120, max_cols=3))
    lengths = random_lengths(data.draw, len(X))
    model = assert_finite_or_refused(
        GaussianHMM(k, covariance_type=cov, n_iter=n_iter, seed=seed).fit, X, lengths=lengths)
    if model is None:
        return
    assert_finite_result(_use, model, X, lengths)
    assert_finite_result(lambda: (model.means_, model.covars_))


@FUZZ
@given(data=st.data())
def test_gaussian_refuses_invalid_data(data):
    X = data.draw(corrupted(np.random.default_rng(0).normal(size=(20, 2))))
    assert_seqlab_error(GaussianHMM(2, seed=0).fit, X)


GAUSS_BAD = {
    "n_components": (*BAD_COUNTS, 0),
    "covariance_type": BAD_CHOICES,
    "min_covar": BAD_NONNEGATIVE,
    "tol": BAD_NONNEGATIVE,
    "startprob_prior": BAD_PRIORS,
    "transmat_prior": BAD_PRIORS,
    "means_prior": (*BAD_PRIORS, [1.0, 2.0, 3.0]),
    "means_weight": BAD_PRIORS,
    "covars_prior": BAD_PRIORS,
    "covars_weight": BAD_PRIORS,
}
GAUSS_KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(("name", "value"), bad_cases(GAUSS_BAD, GAUSS_KNOWN, OWNER))
def test_gaussian_refuses_bad_hyperparameters(name, value):
    X = np.random.default_rng(0).normal(size=(30, 2))
    kwargs = {"n_components": 2, name: value}
    assert_seqlab_error(lambda: GaussianHMM(**kwargs).fit(X).score(X))


def test_gaussian_refuses_features_mismatch():
    model = GaussianHMM(2, n_iter=2, seed=0).fit(np.random.default_rng(0).normal(size=(30, 2)))
    assert_seqlab_error(model.score, np.zeros((5, 3)))


def test_gaussian_refuses_zero_columns():
    assert_seqlab_error(GaussianHMM(2, n_iter=2, seed=0).fit, np.zeros((30, 0)))


def test_gaussian_at_huge_scale_is_finite_or_clear():
    X = np.random.default_rng(0).normal(size=(200, 1)) * 1e154
    assert_finite_or_refused(lambda: GaussianHMM(2, n_iter=5, seed=0).fit(X).score(X))


@pytest.mark.parametrize("model", ["categorical", "gaussian"])
def test_complex_data_is_refused(model):
    X = np.array([0, 1, 2, 1, 0, 2, 2, 1]) + 1j
    m = CategoricalHMM(2, seed=0) if model == "categorical" else GaussianHMM(2, seed=0)
    err = assert_seqlab_error(m.fit, X)
    assert isinstance(err, TypeError)

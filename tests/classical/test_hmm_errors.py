"""Bad input to the HMMs raises the documented, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.classical import CategoricalHMM, GaussianHMM
from seqlab.exceptions import NotFittedError


def _cat():
    m = CategoricalHMM(2)
    m.startprob_ = np.array([0.5, 0.5])
    m.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    m.emissionprob_ = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    return m


def test_symbol_outside_the_alphabet():
    with pytest.raises(ValueError, match=r"symbol 3, outside the model's alphabet 0\.\.2"):
        _cat().score(np.array([0, 1, 3]))
    with pytest.raises(ValueError, match="outside the model's alphabet"):
        CategoricalHMM(2, n_features=2).fit(np.array([0, 1, 2, 1]))


def test_negative_nan_fractional_and_text_symbols():
    with pytest.raises(ValueError, match="negative symbols"):
        _cat().score(np.array([0, -1, 2]))
    with pytest.raises(ValueError, match="NaN"):
        _cat().score(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="non-integer"):
        _cat().score(np.array([0.5, 1.0]))
    with pytest.raises(TypeError, match="encode_dna"):
        _cat().score(np.array(list("ACGT")))
    with pytest.raises(ValueError, match="1-D array of symbols"):
        _cat().score(np.zeros((3, 2), dtype=int))


def test_gaussian_nan_and_wrong_dimension():
    with pytest.raises(ValueError, match="NaN or infinite"):
        GaussianHMM(2).fit(np.array([0.0, 1.0, np.nan, 2.0]))
    m = GaussianHMM(2, n_iter=2, seed=0).fit(np.random.default_rng(0).normal(size=(50, 2)))
    with pytest.raises(ValueError, match="X has 3 feature"):
        m.score(np.zeros((5, 3)))


def test_lengths_must_partition_the_data():
    with pytest.raises(ValueError, match="lengths sum to 4 but the data has 5 rows"):
        _cat().score(np.array([0, 1, 2, 1, 0]), lengths=[2, 2])
    with pytest.raises(ValueError, match="positive"):
        _cat().score(np.array([0, 1, 2]), lengths=[3, 0])


def test_given_transmat_rows_must_sum_to_one():
    m = _cat()
    m.transmat_ = np.array([[0.9, 0.2], [0.2, 0.8]])
    with pytest.raises(ValueError, match=r"transmat_ rows must each sum to 1; row\(s\) \[0\]"):
        m.score(np.array([0, 1]))
    m = _cat()
    m.startprob_ = np.array([0.5, 0.6])
    with pytest.raises(ValueError, match="startprob_ must sum to 1"):
        m.predict(np.array([0, 1]))
    m = _cat()
    m.emissionprob_ = np.array([[0.5, 0.5, 0.2], [0.1, 0.1, 0.8]])
    m.set_params(init_params=())  # fit starts from the given parameters
    with pytest.raises(ValueError, match="emissionprob_ rows"):
        m.fit(np.array([0, 1, 2]))
    m = _cat()
    m.transmat_ = np.array([[1.1, -0.1], [0.2, 0.8]])
    with pytest.raises(ValueError, match="probabilities >= 0"):
        m.score(np.array([0, 1]))
    m = _cat()
    m.transmat_ = np.eye(3)
    with pytest.raises(ValueError, match=r"transmat_ must have shape \(2, 2\)"):
        m.score(np.array([0, 1]))


def test_more_states_than_observations():
    with pytest.raises(ValueError, match="n_components=5 is larger than the number of obs"):
        GaussianHMM(5).fit(np.arange(3.0))


def test_unknown_options_name_the_valid_ones():
    X = np.arange(10.0)
    with pytest.raises(ValueError, match="unknown covariance_type 'ful'; valid options"):
        GaussianHMM(2, covariance_type="ful").fit(X)
    with pytest.raises(ValueError, match="unknown init 'kmean'"):
        GaussianHMM(2, init="kmean").fit(X)
    with pytest.raises(ValueError, match="unknown fixed entry 'mean'"):
        GaussianHMM(2, fixed=("mean",)).fit(X)
    with pytest.raises(ValueError, match="unknown algorithm 'vitterbi'"):
        _cat().decode(np.array([0, 1]), algorithm="vitterbi")
    with pytest.raises(ValueError, match="'startprob', 'transmat', 'emissionprob'"):
        CategoricalHMM(2, init_params=("means",)).fit(np.array([0, 1, 1]))


def test_not_fitted_and_missing_user_parameters():
    with pytest.raises(NotFittedError, match="not fitted"):
        GaussianHMM(2).predict(np.zeros(4))
    # as hmmlearn: a parameter neither given nor in init_params is initialised, not refused
    m = GaussianHMM(2, init_params=("startprob", "means", "covars"), n_iter=1).fit(np.arange(6.0))
    np.testing.assert_allclose(m.transmat_.sum(axis=1), 1.0)


def test_bad_covariances():
    m = GaussianHMM(2, covariance_type="full", init_params=("startprob", "transmat", "means"))
    m.covars_ = np.array([[[1.0, 2.0], [2.0, 1.0]], np.eye(2)])  # indefinite
    with pytest.raises(ValueError, match=r"covars_\[0\] \(full\) is not positive definite"):
        m.fit(np.random.default_rng(0).normal(size=(20, 2)))
    m = GaussianHMM(2, covariance_type="diag", init_params=("startprob", "transmat", "means"))
    m.covars_ = np.ones(2)
    with pytest.raises(ValueError, match=r"must be a finite array of shape \(2, 1\)"):
        m.fit(np.arange(6.0))


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="n_iter must be >= 1"):
        GaussianHMM(2, n_iter=0).fit(np.arange(6.0))
    with pytest.raises(TypeError, match="n_components must be an integer"):
        GaussianHMM(2.5).fit(np.arange(6.0))
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        _cat().sample(0)

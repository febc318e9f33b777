"""Fixed-lag smoothing ``p(z_t | x_1..t+L)``: brute-force enumeration of all state paths of
the truncated sequence, the full smoother for long lags, the filter for ``L = 0``, and the
streaming filter's ``smoothed()`` equal to the batch function."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.classical import CategoricalHMM, GaussianHMM
from seqlab.classical.hmm_smoothing import fixed_lag_proba
from seqlab.exceptions import SeqlabValueError

START = np.array([0.5, 0.3, 0.2])
TRANS = np.array([[0.8, 0.15, 0.05], [0.1, 0.7, 0.2], [0.25, 0.25, 0.5]])
B = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]])
X = np.array([0, 1, 1, 2, 0, 2, 1])


def _model():
    m = CategoricalHMM(3, init_params="")
    m.startprob_, m.transmat_, m.emissionprob_ = START.copy(), TRANS.copy(), B.copy()
    return m


def _brute(x, t):
    """p(z_t | x) by summing over all 3^len(x) state paths."""
    post = np.zeros(3)
    for path in itertools.product(range(3), repeat=len(x)):
        p = START[path[0]] * B[path[0], x[0]]
        for s in range(1, len(x)):
            p *= TRANS[path[s - 1], path[s]] * B[path[s], x[s]]
        post[path[t]] += p
    return post / post.sum()


@pytest.mark.parametrize("lag", [0, 1, 2, 4])
def test_fixed_lag_equals_brute_force(lag):
    got = fixed_lag_proba(_model(), X, lag)
    want = np.array([_brute(X[:t + lag + 1], t) for t in range(len(X))])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_long_lag_is_the_smoother_and_zero_lag_the_filter():
    m = _model()
    full = m.predict_proba(X)
    for lag in (len(X) - 1, len(X), 50):
        np.testing.assert_allclose(m.fixed_lag_proba(X, lag), full, rtol=1e-12)
    np.testing.assert_array_equal(m.fixed_lag_proba(X, 0), m.filter_proba(X))
    # frames with t + L >= T - 1 already see the whole sequence
    lag = 3
    tail = np.arange(len(X)) >= len(X) - 1 - lag
    np.testing.assert_allclose(m.fixed_lag_proba(X, lag)[tail], full[tail], rtol=1e-12)


def test_each_sequence_is_smoothed_on_its_own():
    m = _model()
    both = m.fixed_lag_proba(np.r_[X, X[:4]], 2, lengths=[len(X), 4])
    np.testing.assert_allclose(both[:len(X)], m.fixed_lag_proba(X, 2), rtol=1e-12)
    np.testing.assert_allclose(both[len(X):], m.fixed_lag_proba(X[:4], 2), rtol=1e-12)


def test_gaussian_with_missing_values_long_lag_equals_smoother():
    rng = np.random.default_rng(0)
    m = GaussianHMM(2, "diag", init_params="", missing="marginalize")
    m.startprob_, m.transmat_ = np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.8]])
    m.means_, m.covars_ = np.array([[0.0, 0.0], [3.0, 1.0]]), np.ones((2, 2))
    Xg, _ = m.sample(300, random_state=1)
    Xg[rng.random(Xg.shape) < 0.2] = np.nan
    np.testing.assert_allclose(m.fixed_lag_proba(Xg, 299), m.predict_proba(Xg), rtol=1e-9,
                               atol=1e-12)
    # every lag is a probability table between the filter and the smoother
    mid = m.fixed_lag_proba(Xg, 5)
    np.testing.assert_allclose(mid.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("lag", [0, 2, 10])
def test_streaming_smoothed_equals_batch(lag):
    m = _model()
    f = m.streaming_filter(lag=lag)
    for t, x in enumerate(X):
        f.update(x)
        got = f.smoothed()
        n = min(t + 1, lag + 1)
        assert got.shape == (n, 3)
        # rows: p(z_s | x_0..t) for the last n frames s = t-n+1 .. t
        np.testing.assert_allclose(got, m.predict_proba(X[:t + 1])[-n:], rtol=1e-11)
        if t >= lag:
            want = m.fixed_lag_proba(X, lag)[t - lag]
            np.testing.assert_allclose(got[0], want, rtol=1e-11)


def test_refusals():
    m = _model()
    with pytest.raises(SeqlabValueError, match="lag"):
        m.fixed_lag_proba(X, -1)
    with pytest.raises(SeqlabValueError, match="lag"):
        m.streaming_filter(lag=-2)
    with pytest.raises(SeqlabValueError, match=r"call update\(x\) before smoothed"):
        m.streaming_filter(lag=1).smoothed()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), T=st.integers(1, 12), lag=st.integers(0, 6))
def test_fixed_lag_is_the_smoother_of_the_truncated_sequence(seed, T, lag):
    """p(z_t | x_1..t+L) = predict_proba(X[:t+L+1])[t] for random models and sequences."""
    rng = np.random.default_rng(seed)
    m = CategoricalHMM(3, init_params="")
    m.startprob_ = rng.dirichlet(np.ones(3))
    m.transmat_ = rng.dirichlet(np.ones(3), size=3)
    m.emissionprob_ = rng.dirichlet(np.ones(4), size=3)
    x = rng.integers(0, 4, T)
    got = m.fixed_lag_proba(x, lag)
    want = np.array([m.predict_proba(x[:t + lag + 1])[t] for t in range(T)])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)

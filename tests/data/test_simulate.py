"""Tests for seqlab.data.simulate against statsmodels and hmmlearn (test-only references)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.arima_process import arma_acf, arma_generate_sample
from statsmodels.tsa.stattools import acf

from seqlab.data.simulate import simulate_arima, simulate_arma, simulate_hmm


# ----------------------------------------------------------------------------- ARMA
@pytest.mark.parametrize(
    ("ar", "ma", "sigma2"),
    [([0.5], [], 1.0), ([1.3, -0.6], [0.4], 2.5), ([], [0.5, -0.3], 0.7), ([0.9], [-0.5], 1.0)],
)
def test_simulate_arma_equals_statsmodels_with_the_same_innovations(ar, ma, sigma2):
    """statsmodels takes lag polynomials: ar -> np.r_[1, -ar], ma -> np.r_[1, ma]."""
    n, burnin = 300, 50
    ours = simulate_arma(ar, ma, n, sigma2=sigma2, burnin=burnin, seed=42)
    rng = np.random.default_rng(42)
    ref = arma_generate_sample(
        np.r_[1.0, -np.asarray(ar, float)],
        np.r_[1.0, np.asarray(ma, float)],
        n,
        scale=np.sqrt(sigma2),
        distrvs=rng.standard_normal,
        burnin=burnin,
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


def test_simulate_arma_sample_acf_matches_theoretical_acf():
    ar, ma = [1.3, -0.6], [0.4]
    x = simulate_arma(ar, ma, 200_000, seed=0)
    theory = arma_acf(np.r_[1.0, -np.array(ar)], np.r_[1.0, ma], lags=11)
    sample = acf(x, nlags=10, fft=True)
    # sampling sd of an ACF estimate of a strongly correlated series is ~ a few / sqrt(n)
    np.testing.assert_allclose(sample, theory, atol=0.02)


def test_simulate_arma_recovered_by_statsmodels_arima_fit():
    phi, theta, c, sigma2 = np.array([0.6, -0.3]), np.array([0.4]), 2.0, 1.5
    x = simulate_arma(phi, theta, 3000, sigma2=sigma2, const=c, seed=3)
    res = ARIMA(x, order=(2, 0, 1), trend="c").fit()
    # statsmodels' "const" of a stationary ARIMA is the mean, c / (1 - sum(phi))
    truth = np.r_[c / (1 - phi.sum()), phi, theta, sigma2]
    z = (res.params - truth) / res.bse
    assert np.all(np.abs(z) < 4), (res.params, truth, res.bse)


def test_simulate_arma_mean_variance_and_many_series():
    # AR(1): mean c / (1 - phi), variance sigma2 / (1 - phi^2) (Brockwell & Davis 3.1)
    phi, c, s2 = 0.8, 1.0, 2.0
    x = simulate_arma([phi], [], 2000, sigma2=s2, const=c, n_series=100, seed=1)
    assert x.shape == (2000, 100)
    assert abs(x.mean() - c / (1 - phi)) < 0.05
    assert abs(x.var() / (s2 / (1 - phi**2)) - 1) < 0.03
    # the columns are independent
    corr = np.corrcoef(x[:, 0], x[:, 1])[0, 1]
    assert abs(corr) < 0.2


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 200), phi=st.floats(-0.95, 0.95))
def test_simulate_arma_same_seed_same_series(seed, n, phi):
    a = simulate_arma([phi], [0.3], n, seed=seed)
    b = simulate_arma([phi], [0.3], n, seed=seed)
    assert a.shape == (n,)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ar": [1.0]}, ValueError, "not stationary"),
        ({"ar": [0.5, 0.6]}, ValueError, "simulate_arima"),
        ({"ar": [np.nan]}, ValueError, "ar"),
        ({"ma": ["x"]}, TypeError, "ma"),
        ({"n": 0}, ValueError, "n"),
        ({"sigma2": -1.0}, ValueError, "sigma2"),
        ({"burnin": -1}, ValueError, "burnin"),
        ({"const": np.inf}, ValueError, "const"),
    ],
)
def test_simulate_arma_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        simulate_arma(**{"ar": [0.5], "n": 10, **kwargs})


def test_simulate_arima_integrates_d_times():
    for d in (0, 1, 2):
        x = simulate_arima([0.5], [0.2], d, 400, seed=5)
        w = simulate_arma([0.5], [0.2], 400, seed=5)
        assert x.shape == (400,)
        np.testing.assert_allclose(np.diff(x, d), w[d:], atol=1e-9)
    # a drift: ARIMA(0,1,0) with intercept c grows by c per step on average
    x = simulate_arima([], [], 1, 20_000, const=0.5, seed=0)
    assert abs(x[-1] / 20_000 - 0.5) < 0.05
    with pytest.raises(ValueError, match="d"):
        simulate_arima([0.5], [], -1, 10)


# ----------------------------------------------------------------------------- HMM
def _transition_counts(z: np.ndarray, k: int) -> np.ndarray:
    counts = np.zeros((k, k))
    np.add.at(counts, (z[:-1], z[1:]), 1)
    return counts


def test_simulate_hmm_categorical_frequencies_match_parameters():
    pi = np.array([0.6, 0.3, 0.1])
    A = np.array([[0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.25, 0.25, 0.5]])
    B = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1], [0.0, 0.2, 0.8]])
    X, z = simulate_hmm(pi, A, 100_000, emissionprob=B, seed=0)
    assert X.shape == z.shape == (100_000,) and X.dtype == z.dtype == np.int64
    counts = _transition_counts(z, 3)
    rows = counts.sum(1, keepdims=True)
    sd = np.sqrt(A * (1 - A) / rows)
    assert np.all(np.abs(counts / rows - A) < 5 * sd + 1e-12)
    emit = np.zeros((3, 3))
    np.add.at(emit, (z, X), 1)
    freq = emit / emit.sum(1, keepdims=True)
    sd = np.sqrt(B * (1 - B) / emit.sum(1, keepdims=True))
    assert np.all(np.abs(freq - B) < 5 * sd + 1e-12)
    assert emit[2, 0] == 0  # a zero-probability emission never happens


def test_simulate_hmm_start_distribution():
    pi = np.array([0.2, 0.5, 0.3])
    A = np.full((3, 3), 1 / 3)
    rng = np.random.default_rng(1)
    first = [simulate_hmm(pi, A, 1, emissionprob=A, seed=rng)[1][0] for _ in range(6000)]
    freq = np.bincount(first, minlength=3) / 6000
    assert np.all(np.abs(freq - pi) < 5 * np.sqrt(pi * (1 - pi) / 6000))


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_simulate_hmm_gaussian_moments(covariance_type):
    means = np.array([[0.0, 0.0], [5.0, -3.0]])
    covars = {
        "full": np.array([[[1.0, 0.5], [0.5, 2.0]], [[0.5, -0.2], [-0.2, 0.3]]]),
        "diag": np.array([[1.0, 2.0], [0.5, 0.3]]),
        "spherical": np.array([1.0, 0.5]),
        "tied": np.array([[1.0, 0.3], [0.3, 0.8]]),
    }[covariance_type]
    full = {
        "full": lambda c: c,
        "diag": lambda c: np.array([np.diag(v) for v in c]),
        "spherical": lambda c: np.array([v * np.eye(2) for v in c]),
        "tied": lambda c: np.array([c, c]),
    }[covariance_type](covars)
    A = np.array([[0.9, 0.1], [0.2, 0.8]])
    X, z = simulate_hmm([0.5, 0.5], A, 40_000, means=means, covars=covars,
                        covariance_type=covariance_type, seed=2)  # fmt: skip
    assert X.shape == (40_000, 2)
    for k in range(2):
        Xk = X[z == k]
        np.testing.assert_allclose(Xk.mean(0), means[k], atol=0.05)
        np.testing.assert_allclose(np.cov(Xk.T), full[k], atol=0.06)


def test_simulate_hmm_parameters_recovered_by_hmmlearn():
    from hmmlearn.hmm import GaussianHMM

    A = np.array([[0.95, 0.05], [0.1, 0.9]])
    means = np.array([[-2.0], [2.0]])
    X, _ = simulate_hmm([0.5, 0.5], A, 8000, means=means, covars=np.array([[[0.5]], [[1.0]]]),
                        seed=4)  # fmt: skip
    model = GaussianHMM(n_components=2, covariance_type="full", n_iter=30, random_state=0)
    model.fit(X)
    order = np.argsort(model.means_[:, 0])
    np.testing.assert_allclose(model.transmat_[np.ix_(order, order)], A, atol=0.02)
    np.testing.assert_allclose(model.means_[order], means, atol=0.05)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    k=st.integers(1, 5),
    zeros=st.lists(st.booleans(), min_size=25, max_size=25),
)
def test_simulate_hmm_never_takes_zero_probability_transitions(seed, k, zeros):
    rng = np.random.default_rng(seed)
    A = rng.random((k, k)) * ~np.array(zeros[: k * k]).reshape(k, k)
    A[np.arange(k), rng.integers(0, k, k)] += 0.1  # every row keeps some mass
    A /= A.sum(1, keepdims=True)
    pi = np.full(k, 1 / k)
    X, z = simulate_hmm(pi, A, 500, means=np.zeros((k, 1)), seed=seed)
    assert ((z >= 0) & (z < k)).all()
    assert np.all(A[z[:-1], z[1:]] > 0)
    X2, z2 = simulate_hmm(pi, A, 500, means=np.zeros((k, 1)), seed=seed)
    np.testing.assert_array_equal(z, z2)
    np.testing.assert_array_equal(X, X2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"transmat": [[0.5, 0.4], [0.5, 0.5]]}, ValueError, r"transmat must sum to 1.*row 0"),
        ({"startprob": [0.5, 0.6]}, ValueError, "startprob must sum to 1"),
        ({"transmat": [[1.2, -0.2], [0.5, 0.5]]}, ValueError, "non-negative"),
        ({"transmat": [[1.0]]}, ValueError, "shape"),
        ({"emissionprob": None}, ValueError, "exactly one"),
        ({"means": [[0.0], [1.0]]}, ValueError, "exactly one"),
        ({"emissionprob": [[0.5, 0.5]]}, ValueError, "rows"),
        ({"n_samples": 0}, ValueError, "n_samples"),
    ],
)
def test_simulate_hmm_bad_input(kwargs, error, match):
    args = {
        "startprob": [0.5, 0.5],
        "transmat": [[0.9, 0.1], [0.2, 0.8]],
        "n_samples": 10,
        "emissionprob": [[0.5, 0.5], [0.1, 0.9]],
        **kwargs,
    }
    with pytest.raises(error, match=match):
        simulate_hmm(**args)


@pytest.mark.parametrize(
    ("covariance_type", "covars", "match"),
    [
        ("full", [[[1.0, 2.0], [2.0, 1.0]]] * 2, "positive definite"),
        ("full", [[[1.0, 0.5], [0.0, 1.0]]] * 2, "symmetric"),
        ("diag", [[1.0, -1.0], [1.0, 1.0]], "positive"),
        ("diag", [1.0, 1.0], "shape"),
        ("bogus", None, "'full', 'diag', 'spherical', 'tied'"),
    ],
)
def test_simulate_hmm_bad_covariances(covariance_type, covars, match):
    with pytest.raises(ValueError, match=match):
        simulate_hmm([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], 5, means=np.zeros((2, 2)),
                     covars=covars, covariance_type=covariance_type)  # fmt: skip

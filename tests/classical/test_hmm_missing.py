"""Missing observations (NaN, ``missing="marginalize"``) against brute-force enumeration
(GaussianHMM and PoissonHMM).

On tiny models every quantity is recomputed from scratch by summing over all K^T state paths
with scipy's normal density over the observed coordinates only: the likelihood, the
posteriors, the Viterbi path, one EM step (weighted means and variances over the observed
coordinates). Also: the default still refuses NaN, and partly missing rows are refused where
only whole rows are supported.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm, poisson

from seqlab.classical import GaussianHMM, PoissonHMM
from seqlab.exceptions import SeqlabValueError

START = np.array([0.6, 0.4])
TRANS = np.array([[0.75, 0.25], [0.3, 0.7]])
MEANS = np.array([[0.0, 1.0], [2.5, -1.0]])
VAR = np.array([[1.0, 0.5], [0.7, 1.3]])
X = np.array([[0.2, 0.9], [np.nan, -0.8], [2.0, np.nan], [np.nan, np.nan], [2.7, -1.2],
              [0.1, np.nan]])


def _model(kind="diag", **kw):
    m = GaussianHMM(2, kind, init_params="", missing="marginalize", **kw)
    m.startprob_, m.transmat_, m.means_ = START.copy(), TRANS.copy(), MEANS.copy()
    m.covars_ = {"diag": VAR, "spherical": VAR.mean(axis=1),
                 "full": np.array([np.diag(v) + 0.1 for v in VAR])}[kind].copy()
    return m


def _b(x, k, kind="diag"):
    """Density of the observed coordinates of x in state k."""
    obs = ~np.isnan(x)
    if kind == "full":
        cov = np.diag(VAR[k]) + 0.1
        return 1.0 if not obs.any() else multivariate_normal(MEANS[k], cov).pdf(x)
    var = VAR[k] if kind == "diag" else np.full(2, VAR[k].mean())
    return float(np.prod(norm.pdf(x[obs], MEANS[k][obs], np.sqrt(var[obs]))))


def _paths(X, kind="diag"):
    """(path, joint probability) for every state path."""
    b = np.array([[_b(x, k, kind) for k in range(2)] for x in X])
    for path in itertools.product(range(2), repeat=len(X)):
        p = START[path[0]] * b[0, path[0]]
        for t in range(1, len(X)):
            p *= TRANS[path[t - 1], path[t]] * b[t, path[t]]
        yield path, p


def _brute(X, kind="diag"):
    total, gamma, best = 0.0, np.zeros((len(X), 2)), (0.0, None)
    for path, p in _paths(X, kind):
        total += p
        gamma[np.arange(len(X)), path] += p
        best = max(best, (p, path), key=lambda b: b[0])
    return total, gamma / total, best


def test_likelihood_posteriors_and_viterbi_equal_brute_force():
    kind = "diag"
    total, gamma, (p_best, path) = _brute(X, kind)
    m = _model(kind)
    assert m.score(X) == pytest.approx(np.log(total), rel=1e-12)
    np.testing.assert_allclose(m.predict_proba(X), gamma, rtol=1e-10, atol=1e-14)
    log_prob, states = m.decode(X)
    assert log_prob == pytest.approx(np.log(p_best), rel=1e-12)
    np.testing.assert_array_equal(states, path)
    np.testing.assert_allclose(m.filter_proba(X)[-1], gamma[-1], rtol=1e-10)


@pytest.mark.parametrize("kind", ["full", "spherical"])
def test_whole_missing_rows_equal_brute_force(kind):
    Xw = X.copy()
    Xw[np.isnan(Xw).any(axis=1)] = np.nan  # whole rows only
    total, gamma, _ = _brute(Xw, kind)
    m = _model(kind)
    assert m.score(Xw) == pytest.approx(np.log(total), rel=1e-12)
    np.testing.assert_allclose(m.predict_proba(Xw), gamma, rtol=1e-10, atol=1e-14)


def test_one_em_step_uses_the_observed_coordinates():
    _, gamma, _ = _brute(X)
    m = _model(n_iter=1, tol=0.0, covars_prior=0.0, min_covar=0.0).fit(X)
    obs = ~np.isnan(X)
    x0 = np.where(obs, X, 0.0)
    w = gamma.T @ obs  # (K, D) posterior mass where each coordinate is observed
    means = (gamma.T @ x0) / w
    np.testing.assert_allclose(m.means_, means, rtol=1e-10)
    var = np.array([[gamma[obs[:, d], k] @ (X[obs[:, d], d] - means[k, d]) ** 2 / w[k, d]
                     for d in range(2)] for k in range(2)])
    np.testing.assert_allclose(m.covars_[:, [0, 1], [0, 1]], var, rtol=1e-10)


def test_em_with_missing_values_never_decreases_the_likelihood():
    rng = np.random.default_rng(0)
    truth = _model()
    Xs, _ = truth.sample(400, random_state=1)
    Xs[rng.random(Xs.shape) < 0.2] = np.nan
    m = GaussianHMM(2, "diag", missing="marginalize", random_state=0, n_iter=30, tol=0.0)
    m.fit(Xs)
    assert np.all(np.diff(m.monitor_.history) >= -1e-8)
    np.testing.assert_allclose(np.sort(m.means_[:, 0]), np.sort(MEANS[:, 0]), atol=0.35)


def test_refusals():
    with pytest.raises(SeqlabValueError, match="NaN"):
        GaussianHMM(2).fit(X)  # the default refuses missing values
    with pytest.raises(SeqlabValueError, match="partly missing"):
        _model("full").score(X)
    with pytest.raises(SeqlabValueError, match="only NaN marks a missing value"):
        _model().score(np.array([[np.inf, 0.0]]))
    with pytest.raises(SeqlabValueError, match="unknown missing 'drop'"):
        GaussianHMM(2, missing="drop").fit(np.zeros((5, 2)))


# ---------------------------------------------------------------- Poisson counts
LAMBDAS = np.array([[1.0, 4.0], [6.0, 0.5]])
COUNTS = np.array([[0.0, 3.0], [np.nan, 1.0], [7.0, np.nan], [np.nan, np.nan], [5.0, 0.0]])


def _poisson(**kw):
    m = PoissonHMM(2, init_params="", missing="marginalize", **kw)
    m.startprob_, m.transmat_, m.lambdas_ = START.copy(), TRANS.copy(), LAMBDAS.copy()
    return m


def _poisson_brute(X):
    obs = ~np.isnan(X)
    b = np.array([[np.prod(poisson.pmf(x[o], lam[o])) for lam in LAMBDAS]
                  for x, o in zip(X, obs)])
    total, gamma = 0.0, np.zeros((len(X), 2))
    for path in itertools.product(range(2), repeat=len(X)):
        p = START[path[0]] * b[0, path[0]]
        for t in range(1, len(X)):
            p *= TRANS[path[t - 1], path[t]] * b[t, path[t]]
        total += p
        gamma[np.arange(len(X)), path] += p
    return total, gamma / total


def test_poisson_missing_counts_equal_brute_force():
    total, gamma = _poisson_brute(COUNTS)
    m = _poisson(n_iter=1, tol=0.0)
    assert m.score(COUNTS) == pytest.approx(np.log(total), rel=1e-12)
    np.testing.assert_allclose(m.predict_proba(COUNTS), gamma, rtol=1e-10, atol=1e-14)
    m.fit(COUNTS)  # one EM step: rates from the observed counts only
    obs = ~np.isnan(COUNTS)
    want = (gamma.T @ np.where(obs, COUNTS, 0.0)) / (gamma.T @ obs)
    np.testing.assert_allclose(m.lambdas_, want, rtol=1e-10)


def test_poisson_refuses_nan_by_default():
    with pytest.raises(SeqlabValueError, match="NaN"):
        PoissonHMM(2).fit(COUNTS)


def test_spherical_single_missing_coordinates_equal_brute_force():
    total, gamma, (p_best, path) = _brute(X, "spherical")
    m = _model("spherical")
    assert m.score(X) == pytest.approx(np.log(total), rel=1e-12)
    np.testing.assert_allclose(m.predict_proba(X), gamma, rtol=1e-10, atol=1e-14)
    log_prob, states = m.decode(X)
    assert log_prob == pytest.approx(np.log(p_best), rel=1e-12)
    np.testing.assert_array_equal(states, path)
    # one EM step: per-coordinate means, one variance pooled over the observed coordinates
    m = _model("spherical", n_iter=1, tol=0.0, covars_prior=0.0, min_covar=0.0).fit(X)
    obs = ~np.isnan(X)
    w = gamma.T @ obs
    means = (gamma.T @ np.where(obs, X, 0.0)) / w
    np.testing.assert_allclose(m.means_, means, rtol=1e-10)
    sq = np.array([sum(gamma[obs[:, d], k] @ (X[obs[:, d], d] - means[k, d]) ** 2
                       for d in range(2)) for k in range(2)])
    np.testing.assert_allclose(m.covars_[:, 0, 0], sq / w.sum(axis=1), rtol=1e-10)

"""Filtering and prediction: brute force over all state paths, likelihood ratios, streaming.

- ``filter_proba`` equals ``p(z_t | x_1..t)`` summed over every path of x_1..t (tiny models);
- it never looks ahead (prefixes give the same rows) and its last row is the smoothed one;
- the streaming filter equals the batch filter to 1e-12, its log-likelihood ``score``;
- ``predict_next``'s symbol probabilities equal ``p(X, m) / p(X)`` from two ``score`` calls,
  and its state probabilities ``alpha_T A^h``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from seqlab.classical import GMMHMM, CategoricalHMM, GaussianHMM, PoissonHMM
from seqlab.exceptions import NotFittedError, SeqlabValueError

START = np.array([0.5, 0.3, 0.2])
TRANS = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])


def _categorical():
    m = CategoricalHMM(3, init_params="")
    m.startprob_, m.transmat_ = START.copy(), TRANS.copy()
    m.emissionprob_ = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
    return m, np.array([0, 2, 2, 1, 0, 1])


def _gaussian():
    m = GaussianHMM(3, "diag", init_params="")
    m.startprob_, m.transmat_ = START.copy(), TRANS.copy()
    m.means_ = np.array([[0.0, 1.0], [2.0, -1.0], [4.0, 0.0]])
    m.covars_ = np.array([[1.0, 0.5], [0.8, 1.2], [0.6, 0.9]])
    return m, m.sample(6, random_state=0)[0]


def _poisson():
    m = PoissonHMM(3, init_params="")
    m.startprob_, m.transmat_ = START.copy(), TRANS.copy()
    m.lambdas_ = np.array([[1.0], [4.0], [9.0]])
    return m, np.array([[0.0], [3.0], [5.0], [9.0], [2.0], [1.0]])


MODELS = {"categorical": _categorical, "gaussian": _gaussian, "poisson": _poisson}


def _brute_filter(m, X):
    b = np.exp(m._log_frameprob(m._validate_X(X, fitting=False)))  # (T, K)
    out = np.zeros((len(X), 3))
    for t in range(len(X)):
        for path in itertools.product(range(3), repeat=t + 1):
            p = START[path[0]] * b[0, path[0]]
            for s in range(1, t + 1):
                p *= TRANS[path[s - 1], path[s]] * b[s, path[s]]
            out[t, path[-1]] += p
    return out / out.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("name", list(MODELS))
def test_filter_equals_brute_force(name):
    m, X = MODELS[name]()
    np.testing.assert_allclose(m.filter_proba(X), _brute_filter(m, X), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", list(MODELS))
def test_filter_has_no_look_ahead_and_ends_at_the_smoothed_row(name):
    m, X = MODELS[name]()
    full = m.filter_proba(X)
    for t in range(1, len(X)):
        np.testing.assert_allclose(m.filter_proba(X[: t + 1])[-1], full[t], rtol=1e-12)
    np.testing.assert_allclose(full[-1], m.predict_proba(X)[-1], rtol=1e-10)


def test_sequences_restart_from_startprob():
    m, X = _categorical()
    both = m.filter_proba(np.concatenate([X, X]), lengths=[len(X), len(X)])
    np.testing.assert_allclose(both[len(X):], both[: len(X)], rtol=1e-12)


@pytest.mark.parametrize("name", ["gaussian", "gmm", "poisson", "categorical"])
def test_streaming_filter_equals_batch(name):
    if name == "gmm":
        rng = np.random.default_rng(0)
        X = np.concatenate([rng.normal(0, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
        m = GMMHMM(3, 2, random_state=0, n_iter=3).fit(X)
    else:
        m, _ = MODELS[name]()
        X = m.sample(300, random_state=1)[0]
        X = X[:, 0] if name == "categorical" else X
    f = m.streaming_filter()
    online = np.array([f.update(x) for x in X])
    np.testing.assert_allclose(online, m.filter_proba(X), rtol=1e-12, atol=1e-15)
    assert f.log_likelihood == pytest.approx(m.score(X), rel=1e-12)
    f.reset()
    np.testing.assert_allclose(f.update(X[0]), m.filter_proba(X[:1])[0], rtol=1e-12)


def test_symbol_probabilities_are_likelihood_ratios():
    m, X = _categorical()
    pred = m.predict_next(X, horizon=1)
    direct = [np.exp(m.score(np.append(X, s)) - m.score(X)) for s in range(3)]
    np.testing.assert_allclose(pred.mean[0], direct, rtol=1e-10)
    # two steps ahead: marginalise the unseen next symbol
    two = [sum(np.exp(m.score(np.append(X, [a, s])) - m.score(X)) for a in range(3))
           for s in range(3)]
    np.testing.assert_allclose(m.predict_next(X, horizon=2).mean[1], two, rtol=1e-10)


@pytest.mark.parametrize("name", list(MODELS))
def test_state_probabilities_h_steps_ahead(name):
    m, X = MODELS[name]()
    pred = m.predict_next(X, horizon=4)
    alpha = m.filter_proba(X)[-1]
    for h in range(1, 5):
        want = alpha @ np.linalg.matrix_power(TRANS, h)
        np.testing.assert_allclose(pred.state_proba[h - 1], want, rtol=1e-12)
    f = m.streaming_filter()
    for x in X:
        f.update(x)
    np.testing.assert_allclose(f.predict(4).mean, pred.mean, rtol=1e-12)


def test_gaussian_mean_forecast_is_the_state_mixture():
    m, X = _gaussian()
    pred = m.predict_next(X, horizon=3)
    np.testing.assert_allclose(pred.mean, pred.state_proba @ m.means_, rtol=1e-12)


def test_errors():
    m, X = _categorical()
    with pytest.raises(SeqlabValueError, match="horizon must be >= 1"):
        m.predict_next(X, horizon=0)
    with pytest.raises(SeqlabValueError, match="one frame"):
        m.streaming_filter().update(np.array([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(NotFittedError):
        GaussianHMM(2).streaming_filter()
    m.emissionprob_ = np.array([[1.0, 0.0, 0.0]] * 3)
    with pytest.raises(SeqlabValueError, match="probability 0"):
        m.filter_proba(np.array([0, 1]))
    f = m.streaming_filter()
    f.update(0)
    with pytest.raises(SeqlabValueError, match="observation 1 has probability 0"):
        f.update(1)

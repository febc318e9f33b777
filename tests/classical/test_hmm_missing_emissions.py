"""Missing observations (``missing="marginalize"``) of GMMHMM, MultinomialHMM and
CategoricalHMM against brute-force enumeration of all K^T state paths.

Each emission density is written out here with scipy (mixture of normals over the observed
coordinates, multinomial pmf, a table lookup); the likelihood, the posteriors, the Viterbi
path and one EM step are then recomputed from scratch and compared with seqlab's.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import multinomial, multivariate_normal, norm

from seqlab.classical import GMMHMM, CategoricalHMM, MultinomialHMM
from seqlab.exceptions import SeqlabValueError

START = np.array([0.6, 0.4])
TRANS = np.array([[0.75, 0.25], [0.3, 0.7]])


def _brute(b: np.ndarray):
    """(likelihood, posteriors (T, K), (best joint probability, best path)) from the
    emission probabilities b (T, K) of the observed parts."""
    T = len(b)
    total, gamma, best = 0.0, np.zeros((T, 2)), (0.0, None)
    for path in itertools.product(range(2), repeat=T):
        p = START[path[0]] * b[0, path[0]]
        for t in range(1, T):
            p *= TRANS[path[t - 1], path[t]] * b[t, path[t]]
        total += p
        gamma[np.arange(T), path] += p
        if p > best[0]:
            best = (p, path)
    return total, gamma / total, best


def _check_against(m, X, b):
    total, gamma, (p_best, path) = _brute(b)
    assert m.score(X) == pytest.approx(np.log(total), rel=1e-12)
    np.testing.assert_allclose(m.predict_proba(X), gamma, rtol=1e-10, atol=1e-14)
    log_prob, states = m.decode(X)
    assert log_prob == pytest.approx(np.log(p_best), rel=1e-12)
    np.testing.assert_array_equal(states, path)
    np.testing.assert_allclose(m.filter_proba(X)[-1], gamma[-1], rtol=1e-10)
    return gamma


# ---------------------------------------------------------------- Gaussian mixtures
W = np.array([[0.3, 0.7], [0.55, 0.45]])
MU = np.array([[[0.0, 1.0], [1.5, -0.5]], [[3.0, 2.0], [2.0, -2.0]]])  # (K, M, D)
VAR = np.array([[[1.0, 0.5], [0.8, 1.2]], [[0.6, 1.1], [1.4, 0.7]]])
X = np.array([[0.2, 0.9], [np.nan, -0.8], [2.0, np.nan], [np.nan, np.nan], [2.7, -1.2],
              [0.1, np.nan]])


def _cov(kind):
    return {"diag": VAR, "spherical": VAR.mean(axis=2),
            "full": np.array([[np.diag(v) + 0.2 for v in vk] for vk in VAR]),
            "tied": np.array([np.diag(vk[0]) + 0.2 for vk in VAR])}[kind]


def _gmm(kind, **kw):
    m = GMMHMM(2, n_mix=2, covariance_type=kind, init_params="", missing="marginalize", **kw)
    m.startprob_, m.transmat_, m.weights_ = START.copy(), TRANS.copy(), W.copy()
    m.means_, m.covars_ = MU.copy(), _cov(kind).copy()
    return m


def _component_pdf(x, k, j, kind):
    """Density of the observed coordinates of x under component j of state k."""
    obs = ~np.isnan(x)
    if not obs.any():
        return 1.0
    cov = _cov(kind)
    if kind in ("full", "tied"):
        c = cov[k, j] if kind == "full" else cov[k]
        return multivariate_normal(MU[k, j], c).pdf(x)
    var = VAR[k, j] if kind == "diag" else np.full(2, cov[k, j])
    return float(np.prod(norm.pdf(x[obs], MU[k, j][obs], np.sqrt(var[obs]))))


def _gmm_b(X, kind):
    comp = np.array([[[W[k, j] * _component_pdf(x, k, j, kind) for j in range(2)]
                      for k in range(2)] for x in X])  # (T, K, M)
    return comp.sum(axis=2), comp


@pytest.mark.parametrize("kind", ["diag", "spherical"])
def test_gmm_single_missing_coordinates_equal_brute_force(kind):
    _check_against(_gmm(kind), X, _gmm_b(X, kind)[0])


@pytest.mark.parametrize("kind", ["full", "tied"])
def test_gmm_whole_missing_rows_equal_brute_force(kind):
    Xw = X.copy()
    Xw[np.isnan(Xw).any(axis=1)] = np.nan
    _check_against(_gmm(kind), Xw, _gmm_b(Xw, kind)[0])
    with pytest.raises(SeqlabValueError, match="partly missing"):
        _gmm(kind).score(X)


@pytest.mark.parametrize("kind", ["diag", "spherical", "full", "tied"])
def test_gmm_one_em_step_uses_the_observed_coordinates(kind):
    Xk = X.copy()
    if kind in ("full", "tied"):
        Xk[np.isnan(Xk).any(axis=1)] = np.nan
    b, comp = _gmm_b(Xk, kind)
    _, gamma, _ = _brute(b)
    r = gamma[:, :, None] * comp / b[:, :, None]  # (T, K, M) responsibilities
    m = _gmm(kind, n_iter=1, tol=0.0, min_covar=1e-9).fit(Xk)
    obs = ~np.isnan(Xk)
    x0 = np.where(obs, Xk, 0.0)
    np.testing.assert_allclose(m.weights_, r.sum(0) / gamma.sum(0)[:, None], rtol=1e-10)
    n_obs = np.einsum("tkm,td->kmd", r, obs)
    means = np.einsum("tkm,td->kmd", r, x0) / n_obs
    np.testing.assert_allclose(m.means_, means, rtol=1e-10)
    # hmmlearn's covariance update: scatter around the E-step's means, MLE priors
    sq = np.array([[np.einsum("t,td->d", r[:, k, j], np.where(obs, Xk - MU[k, j], 0.0) ** 2)
                    for j in range(2)] for k in range(2)])  # (K, M, D)
    if kind == "diag":
        np.testing.assert_allclose(m.covars_, sq / n_obs, rtol=1e-10)
    elif kind == "spherical":
        np.testing.assert_allclose(m.covars_, sq.sum(2) / n_obs.sum(2), rtol=1e-10)
    else:
        rows = obs.all(axis=1)
        scat = np.array([[np.einsum("t,ti,tj->ij", r[rows, k, j], Xk[rows] - MU[k, j],
                                    Xk[rows] - MU[k, j]) for j in range(2)] for k in range(2)])
        if kind == "full":
            np.testing.assert_allclose(m.covars_, scat / n_obs[:, :, :1, None], rtol=1e-10)
        else:
            want = scat.sum(1) / gamma[rows].sum(0)[:, None, None]
            np.testing.assert_allclose(m.covars_, want, rtol=1e-10)


@pytest.mark.parametrize("kind", ["diag", "spherical", "full", "tied"])
def test_gmm_without_nan_marginalize_equals_the_default(kind):
    rng = np.random.default_rng(3)
    Xs = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(4, 1, (60, 2))])
    a = GMMHMM(2, n_mix=2, covariance_type=kind, random_state=0, n_iter=5).fit(Xs)
    b = GMMHMM(2, n_mix=2, covariance_type=kind, random_state=0, n_iter=5,
               missing="marginalize").fit(Xs)
    np.testing.assert_array_equal(a.covars_, b.covars_)
    np.testing.assert_array_equal(a.means_, b.means_)


def test_gmm_fit_with_missing_values_recovers_the_states():
    rng = np.random.default_rng(0)
    states = np.repeat([0, 1, 0, 1], 100)
    Xs = rng.normal(np.where(states[:, None] == 0, 0.0, 5.0), 1.0, (400, 2))
    Xs[rng.random(Xs.shape) < 0.2] = np.nan
    m = GMMHMM(2, n_mix=2, random_state=0, n_iter=20, missing="marginalize").fit(Xs)
    pred = m.predict(Xs)
    assert max(np.mean(pred == states), np.mean(pred != states)) > 0.97
    with pytest.raises(SeqlabValueError, match="NaN"):
        GMMHMM(2).fit(Xs)


# ---------------------------------------------------------------- multinomial counts
P = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
COUNTS = np.array([[3.0, 1.0, 0.0], [np.nan] * 3, [0.0, 1.0, 3.0], [2.0, 2.0, 0.0],
                   [np.nan] * 3, [1.0, 0.0, 3.0]])


def _multinomial(**kw):
    m = MultinomialHMM(2, n_trials=4, init_params="", missing="marginalize", **kw)
    m.startprob_, m.transmat_, m.emissionprob_ = START.copy(), TRANS.copy(), P.copy()
    return m


def test_multinomial_missing_rows_equal_brute_force():
    b = np.array([[1.0, 1.0] if np.isnan(x).all() else [multinomial(4, p).pmf(x) for p in P]
                  for x in COUNTS])
    gamma = _check_against(_multinomial(), COUNTS, b)
    m = _multinomial(n_iter=1, tol=0.0).fit(COUNTS)
    rows = ~np.isnan(COUNTS).any(axis=1)
    want = gamma[rows].T @ COUNTS[rows]
    np.testing.assert_allclose(m.emissionprob_, want / want.sum(1, keepdims=True), rtol=1e-10)


def test_multinomial_refusals():
    bad = COUNTS.copy()
    bad[0, 1] = np.nan
    with pytest.raises(SeqlabValueError, match="row 0 of X is partly missing"):
        _multinomial().score(bad)
    with pytest.raises(SeqlabValueError, match="NaN"):
        MultinomialHMM(2, n_trials=4).fit(COUNTS)
    with pytest.raises(SeqlabValueError, match="only NaN marks a missing row"):
        _multinomial().score(np.array([[np.inf, 0.0, 0.0]]))


# ---------------------------------------------------------------- categorical symbols
B = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]])
SYMBOLS = np.array([0, -1, 2, 1, -1, -1, 0])


def _categorical(**kw):
    m = CategoricalHMM(2, init_params="", missing="marginalize", **kw)
    m.startprob_, m.transmat_, m.emissionprob_ = START.copy(), TRANS.copy(), B.copy()
    return m


def test_categorical_missing_symbols_equal_brute_force():
    b = np.array([[1.0, 1.0] if x < 0 else B[:, x] for x in SYMBOLS])
    gamma = _check_against(_categorical(), SYMBOLS, b)
    m = _categorical(n_iter=1, tol=0.0).fit(SYMBOLS)
    obs = SYMBOLS >= 0
    counts = np.array([[gamma[obs & (SYMBOLS == s), k].sum() for s in range(3)]
                       for k in range(2)])
    np.testing.assert_allclose(m.emissionprob_, counts / counts.sum(1, keepdims=True),
                               rtol=1e-10)


def test_categorical_missing_spellings_agree():
    m = _categorical()
    want = m.score(SYMBOLS)
    as_float = np.where(SYMBOLS < 0, np.nan, SYMBOLS.astype(float))
    masked = np.ma.masked_less(SYMBOLS, 0)
    column = SYMBOLS.reshape(-1, 1)  # hmmlearn's (T, 1) input
    for spelling in (as_float, masked, column):
        assert m.score(spelling) == want
    f = m.streaming_filter()
    last = [f.update(x) for x in SYMBOLS][-1]
    np.testing.assert_allclose(last, m.filter_proba(SYMBOLS)[-1], rtol=1e-12)


def test_categorical_refusals():
    with pytest.raises(SeqlabValueError, match="negative symbols"):
        CategoricalHMM(2).fit(SYMBOLS)
    with pytest.raises(SeqlabValueError, match="masked"):
        CategoricalHMM(2).fit(np.ma.masked_less(SYMBOLS, 0))
    with pytest.raises(SeqlabValueError, match="NaN"):
        CategoricalHMM(2).fit(np.array([0.0, np.nan, 1.0]))
    with pytest.raises(SeqlabValueError, match=r"\(-1: missing\)"):
        _categorical().score(np.array([0, -2, 1]))


def test_save_load_keeps_missing(tmp_path):
    import seqlab

    for m, data in ((_gmm("diag"), X), (_multinomial(), COUNTS), (_categorical(), SYMBOLS)):
        path = tmp_path / f"{type(m).__name__}.model"
        seqlab.save(m, path)
        back = seqlab.load(path)
        assert back.missing == "marginalize"
        assert back.score(data) == m.score(data)

"""An hmmlearn user's script runs unchanged on seqlab and gives the same numbers.

Each test writes one function that takes a module (``hmmlearn.hmm`` or ``seqlab.classical``)
and runs an hmmlearn-style script (positional ``covariance_type``, ``random_state``,
``params``/``init_params`` letter codes, ``implementation``, ``fit(X, lengths)``, ``score``,
``score_samples``, ``decode``, ``predict``, ``predict_proba``, ``aic``, ``bic``,
``monitor_``), then compares the two results. Also hmmlearn's degenerate full-covariance cases
(a constant column, short sequences) that used to raise a raw ``LinAlgError``.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import hmmlearn.hmm as hl
import numpy as np
import pytest

import seqlab.classical as sc
from seqlab.classical import CategoricalHMM, GaussianHMM, PoissonHMM
from seqlab.exceptions import SeqlabValueError

logging.getLogger("hmmlearn").setLevel(logging.ERROR)

START = np.array([0.5, 0.3, 0.2])
TRANS = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
MEANS = np.array([[0.0, 0.0], [3.0, 1.0], [-2.0, 4.0]])
COVARS = {
    "spherical": np.array([1.0, 0.5, 2.0]),
    "diag": np.array([[1.0, 0.5], [0.7, 1.2], [2.0, 0.3]]),
    "full": np.array([[[1.0, 0.2], [0.2, 0.5]], [[0.7, -0.1], [-0.1, 1.2]], np.eye(2)]),
    "tied": np.array([[1.0, 0.3], [0.3, 0.8]]),
}


def _data(seed=0, n=240):
    m = hl.GaussianHMM(3, "full", init_params="")
    m.startprob_, m.transmat_, m.means_, m.covars_ = START, TRANS, MEANS, COVARS["full"]
    return m.sample(n, random_state=seed)[0]


def _gaussian_script(lib, kind, X, lengths):
    model = lib.GaussianHMM(3, kind, random_state=0, n_iter=10, tol=0.0, params="stmc",
                            init_params="", implementation="log")
    model.startprob_ = START.copy()
    model.transmat_ = TRANS.copy()
    model.means_ = MEANS.copy()
    model.covars_ = COVARS[kind].copy()
    model.fit(X, lengths)
    log_prob, post = model.score_samples(X, lengths)
    vit_logprob, vit_path = model.decode(X, lengths, algorithm="viterbi")
    return SimpleNamespace(
        model=model, score=model.score(X, lengths), log_prob=log_prob, post=post,
        proba=model.predict_proba(X, lengths), predict=model.predict(X, lengths),
        vit=(vit_logprob, vit_path), map_path=model.decode(X, lengths, algorithm="map")[1],
        aic=model.aic(X, lengths), bic=model.bic(X, lengths),
        history=list(model.monitor_.history), converged=model.monitor_.converged,
    )


@pytest.mark.parametrize("kind", ["spherical", "diag", "full", "tied"])
def test_gaussian_script_gives_hmmlearns_numbers(kind):
    X, lengths = _data(), [80, 100, 60]
    ours, ref = _gaussian_script(sc, kind, X, lengths), _gaussian_script(hl, kind, X, lengths)
    for name in ("startprob_", "transmat_", "means_", "_covars_"):
        want = getattr(ref.model, name)
        if name == "_covars_" and kind == "spherical":  # hmmlearn keeps (K, D) equal columns
            want = want.reshape(3, -1)[:, 0]
        np.testing.assert_allclose(getattr(ours.model, name), want, rtol=1e-8, atol=1e-12,
                                   err_msg=name)
    for name in ("score", "log_prob", "aic", "bic"):
        assert getattr(ours, name) == pytest.approx(getattr(ref, name), rel=1e-10), name
    np.testing.assert_allclose(ours.post, ref.post, atol=1e-10)
    np.testing.assert_allclose(ours.proba, ref.proba, atol=1e-10)
    np.testing.assert_array_equal(ours.predict, ref.predict)
    np.testing.assert_array_equal(ours.vit[1], ref.vit[1])
    assert ours.vit[0] == pytest.approx(ref.vit[0], rel=1e-10)
    np.testing.assert_array_equal(ours.map_path, ref.map_path)
    np.testing.assert_allclose(ours.history, ref.history, rtol=1e-10)
    assert ours.converged == ref.converged


def _categorical_script(lib, X, lengths, params):
    model = lib.CategoricalHMM(3, 1.0, 1.0, random_state=1, n_iter=8, tol=0.0,
                               params=params, init_params="", implementation="scaling")
    model.startprob_ = START.copy()
    model.transmat_ = TRANS.copy()
    model.emissionprob_ = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
    model.fit(X, lengths)
    return model


@pytest.mark.parametrize("params", ["ste", "e", "st"])
def test_categorical_script_with_params_letters(params):
    X = np.random.default_rng(3).integers(0, 3, size=(150, 1))
    ours = _categorical_script(sc, X, [50, 100], params)
    ref = _categorical_script(hl, X, [50, 100], params)
    for name in ("startprob_", "transmat_", "emissionprob_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=1e-8,
                                   err_msg=name)
    if "t" not in params:
        np.testing.assert_array_equal(ours.transmat_, TRANS)
    # hmmlearn's AIC counts every parameter; seqlab only those fit estimates (params)
    not_fit = sum(n for code, n in {"s": 2, "t": 6, "e": 6}.items() if code not in params)
    want = ref.aic(X, [50, 100]) - 2 * not_fit
    assert ours.aic(X, [50, 100]) == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("lib", [hl, sc], ids=["hmmlearn", "seqlab"])
def test_unset_parameters_are_initialised(lib):
    # init_params="" with nothing set: both libraries initialise every parameter
    X = _data(1, 120)
    model = lib.GaussianHMM(2, "full", init_params="", random_state=0, n_iter=3).fit(X)
    assert model.means_.shape == (2, 2) and model.covars_.shape == (2, 2, 2)
    np.testing.assert_allclose(model.transmat_.sum(axis=1), 1.0)


def test_random_state_is_seed_and_reproducible():
    X = _data(2, 150)
    a = GaussianHMM(3, "diag", random_state=7, n_iter=5).fit(X)
    b = GaussianHMM(3, "diag", seed=7, n_iter=5).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)
    c = GaussianHMM(3, "diag", random_state=np.random.RandomState(0), n_iter=5).fit(X)
    assert np.isfinite(c.score(X))
    with pytest.raises(SeqlabValueError, match="not both"):
        GaussianHMM(2, seed=1, random_state=2).fit(X)
    x1, z1 = a.sample(50, random_state=3)
    x2, z2 = a.sample(50, 3)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(z1, z2)


def test_hmmlearn_spellings_are_checked():
    X = _data(0, 60)
    with pytest.raises(SeqlabValueError, match="unknown implementation 'fast'"):
        GaussianHMM(2, implementation="fast").fit(X)
    with pytest.raises(SeqlabValueError, match=r"letter codes \(s=startprob, t=transmat, "
                                               r"m=means, c=covars; 'x' is none of them\)"):
        GaussianHMM(2, params="stx").fit(X)
    with pytest.raises(SeqlabValueError, match="'e' is none of them"):
        GaussianHMM(2, init_params="ste").fit(X)
    with pytest.raises(SeqlabValueError, match="l=lambdas"):
        PoissonHMM(2, params="stm").fit(np.ones((10, 1)))
    # the positional order is hmmlearn's
    assert GaussianHMM(3, "full", 1e-4).get_params()["min_covar"] == 1e-4
    assert CategoricalHMM(3, 2.0, 3.0).get_params()["transmat_prior"] == 3.0


def _degenerate_script(lib, X, lengths):
    k, d = 2, X.shape[1]
    model = lib.GaussianHMM(k, "full", init_params="", n_iter=10, tol=0.0)
    model.startprob_ = np.array([0.5, 0.5])
    model.transmat_ = np.array([[0.7, 0.3], [0.4, 0.6]])
    model.means_ = X[[0, -1]].copy()
    model.covars_ = np.tile(np.cov(X.T) + 1e-3 * np.eye(d), (k, 1, 1))
    model.fit(X, lengths)
    return model


@pytest.mark.parametrize("case", ["constant_column", "short_sequences"])
def test_degenerate_full_covariance_fits_as_hmmlearn(case):
    rng = np.random.default_rng(0)
    if case == "constant_column":
        X, lengths = np.concatenate([rng.normal(size=(20, 3)), rng.normal(3, 1, (20, 3))]), None
        X[:, 1] = 2.0
    else:
        X, lengths = rng.normal(size=(12, 3)), [3, 3, 3, 3]
    ours, ref = _degenerate_script(sc, X, lengths), _degenerate_script(hl, X, lengths)
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-8)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.covars_, ref.covars_, rtol=1e-6, atol=1e-10)


def test_degenerate_full_covariance_from_scratch_is_finite():
    X = np.random.default_rng(1).normal(size=(30, 3))
    X[:, 1] = 2.0
    for lengths in (None, [10, 10, 10]):
        m = GaussianHMM(3, "full", random_state=0, n_iter=10).fit(X, lengths)
        assert np.isfinite(m.score(X, lengths))

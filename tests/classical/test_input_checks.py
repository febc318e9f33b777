"""Invalid input to the classical models is refused with a seqlab error that says what is wrong.

Each case used to pass silently (a NaN prior froze a parameter while EM reported convergence;
complex data lost their imaginary part; lengths that overflow int64 wrapped around to the
right total) or to fail deep inside numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

from seqlab._validation import check_lengths
from seqlab.classical import (
    AR,
    ARIMA,
    CategoricalHMM,
    GaussianHMM,
    ar_ols,
    arima_loglike,
    burg,
    select_ar_order,
    select_order,
    yule_walker,
)
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

RNG = np.random.default_rng(0)
Y = RNG.normal(size=60)
SYMBOLS = RNG.integers(0, 3, 60)


# --------------------------------------------------------------------------- HMM priors
@pytest.mark.parametrize("bad", [np.nan, np.inf, -1.0, [1.0, np.nan]])
@pytest.mark.parametrize("name", ["startprob_prior", "transmat_prior", "emissionprob_prior"])
def test_categorical_hmm_refuses_nonfinite_or_negative_priors(name, bad):
    with pytest.raises(SeqlabValueError, match=name):
        CategoricalHMM(2, seed=0, **{name: bad}).fit(SYMBOLS)


@pytest.mark.parametrize(
    ("name", "bad"),
    [("means_prior", np.nan), ("means_prior", np.inf), ("means_weight", -1.0),
     ("means_weight", np.nan), ("covars_prior", -1.0), ("covars_prior", np.nan),
     ("covars_weight", -2.0), ("covars_weight", np.inf), ("startprob_prior", np.nan),
     ("transmat_prior", -0.5), ("min_covar", np.nan), ("min_covar", -1.0)],
)
def test_gaussian_hmm_refuses_nonfinite_or_negative_priors(name, bad):
    with pytest.raises(SeqlabValueError, match=name):
        GaussianHMM(2, seed=0, **{name: bad}).fit(Y)


def test_a_negative_mean_prior_is_allowed():
    model = GaussianHMM(2, seed=0, means_prior=-5.0, means_weight=1.0).fit(Y)
    assert np.all(np.isfinite(model.means_))


def test_a_prior_of_the_wrong_shape_is_refused():
    with pytest.raises(SeqlabValueError, match=r"broadcasts to shape \(2, 3\)"):
        CategoricalHMM(2, seed=0, emissionprob_prior=np.ones((2, 4))).fit(SYMBOLS)


def test_gaussian_hmm_refuses_x_without_columns():
    with pytest.raises(SeqlabValueError, match="0 feature"):
        GaussianHMM(2).fit(np.zeros((10, 0)))


# --------------------------------------------------------------------------- ARIMA options
@pytest.mark.parametrize(
    ("kw", "err", "match"),
    [({"tol": -1.0}, SeqlabValueError, "tol"), ({"tol": np.nan}, SeqlabValueError, "tol"),
     ({"tol": np.inf}, SeqlabValueError, "tol"), ({"tol": 1j}, SeqlabTypeError, "complex"),
     ({"tol": "small"}, SeqlabTypeError, "tol"), ({"maxiter": 0}, SeqlabValueError, "maxiter"),
     ({"maxiter": 10**30}, SeqlabValueError, "maxiter"),
     ({"maxiter": 2.5}, SeqlabTypeError, "maxiter")],
)
def test_arima_refuses_bad_optimiser_options(kw, err, match):
    with pytest.raises(err, match=match):
        ARIMA((1, 0, 0), **kw).fit(Y)


def test_arima_tol_zero_is_allowed():
    # tol = 0 runs to maxiter; not reaching a zero gradient is reported, not an error
    with pytest.warns(RuntimeWarning, match="did not converge"):
        model = ARIMA((1, 0, 0), tol=0.0, maxiter=20).fit(Y)
    assert np.isfinite(model.loglik_)


# --------------------------------------------------------------------------- complex input
YC = Y + 1j


@pytest.mark.parametrize(
    "call",
    [
        lambda: AR(2).fit(YC),
        lambda: AR(2, method="ols").fit(list(YC)),
        lambda: yule_walker(YC, 2),
        lambda: burg(YC, 2),
        lambda: ar_ols(YC, 2),
        lambda: select_ar_order(YC, 3),
        lambda: AR(2).fit(Y).forecast(3, alpha=0.05j),
        lambda: ARIMA((1, 0, 1)).fit(YC),
        lambda: ARIMA((1, 0, 0)).fit_many(np.c_[Y, Y] + 0j),
        lambda: ARIMA((1, 0, 0)).fit(Y, start_params=[0.0, 0.5j]),
        lambda: arima_loglike(YC, (1, 0, 0), [0.0, 0.5, 1.0]),
        lambda: arima_loglike(Y, (1, 0, 0), [0.0, 0.5 + 0j, 1.0]),
        lambda: select_order(YC, max_p=1, max_q=0),
        lambda: GaussianHMM(2, seed=0).fit(YC),
        lambda: GaussianHMM(2, seed=0).fit(Y).score(YC),
        lambda: GaussianHMM(2, seed=0).fit(Y).predict(YC),
        lambda: GaussianHMM(2, seed=0, covars_prior=1e-2 + 1j).fit(Y),
        lambda: GaussianHMM(2, seed=0, means_prior=[[1j], [0.0]]).fit(Y),
        lambda: CategoricalHMM(2, seed=0).fit(SYMBOLS + 0j),
        lambda: CategoricalHMM(2, seed=0, transmat_prior=1 + 1j).fit(SYMBOLS),
        lambda: CategoricalHMM(2, seed=0).fit(SYMBOLS).score(SYMBOLS + 0j),
    ],
)
def test_complex_input_is_refused_everywhere(call):
    with pytest.raises(SeqlabTypeError, match="complex"):
        call()


def test_complex_user_parameters_are_refused():
    model = GaussianHMM(2, init_params=())
    model.startprob_ = np.array([0.5, 0.5]) + 0j
    model.transmat_ = np.full((2, 2), 0.5)
    model.means_ = np.array([[0.0], [1.0]])
    with pytest.raises(SeqlabTypeError, match="complex"):
        model.covars_ = np.array([1.0, 1.0]) + 1j
    model.covars_ = np.array([[1.0], [1.0]])
    with pytest.raises(SeqlabTypeError, match="complex"):
        model.fit(Y)


# --------------------------------------------------------------------------- symbols, lengths
@pytest.mark.parametrize(
    "x",
    [np.array([0, 1, 2**63], dtype=np.uint64), [0, 1, 10**30], np.array([0.0, 1.0, 1e300]),
     np.array([0, 1, 10**12])],
)
def test_categorical_hmm_refuses_symbols_too_large_for_an_alphabet(x):
    with pytest.raises(SeqlabValueError, match=r"too large.*np\.unique"):
        CategoricalHMM(2, seed=0).fit(x)


def test_categorical_hmm_refuses_an_alphabet_too_large_to_allocate():
    with pytest.raises(SeqlabValueError, match=r"n_features=1,000,000,000,000.*np\.unique"):
        CategoricalHMM(2, seed=0, n_features=10**12).fit(SYMBOLS)


def test_lengths_that_wrap_around_int64_are_refused():
    # 3 * 2^62 + (2^62 + 5) = 2^64 + 5, which int64 arithmetic wraps to 5
    wraps = np.array([2**62, 2**62, 2**62, 2**62 + 5], dtype=np.int64)
    assert int(wraps.sum()) == 5  # the trap
    with pytest.raises(SeqlabValueError, match="longer than the data"):
        check_lengths(wraps, 5)
    with pytest.raises(SeqlabValueError, match="longer than the data"):
        GaussianHMM(2, seed=0).fit(np.arange(5.0), lengths=wraps)
    with pytest.raises(SeqlabValueError, match="longer than the data"):
        CategoricalHMM(2, seed=0).fit(SYMBOLS[:5], lengths=[10**30])
    with pytest.raises(SeqlabValueError, match="positive"):
        check_lengths([2**63 + 5, -(2**63)], 5)
    with pytest.raises(SeqlabValueError, match="longer than the data"):
        check_lengths(np.array([2**63, 2**63], dtype=np.uint64), 5)
    np.testing.assert_array_equal(check_lengths([2, 3], 5), [2, 3])

"""Classical models on data of extreme magnitude: results are scale-equivariant.

For data ``c * y`` the fit must be the fit of ``y`` with locations scaled by ``c``, variances
by ``c^2``, coefficients unchanged and the log-likelihood of ``n`` scalars shifted by exactly
``-n log c`` (the density of ``c * Y``). Checked against the same fit on ``(c * y) / c`` and,
where the problem is within their range, against statsmodels and hmmlearn on the scaled-down
data. At 1e200 a variance (1e400) is beyond float64: it is reported as inf with a warning that
says so, and everything else stays exact.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.regression.linear_model import burg as sm_burg
from statsmodels.regression.linear_model import yule_walker as sm_yule_walker
from statsmodels.tsa.ar_model import AutoReg
from statsmodels.tsa.arima.model import ARIMA as SMARIMA

from seqlab.classical import AR, ARIMA, GaussianHMM, ar_ols, arima_loglike, burg, yule_walker

SCALES = [1e200, 1e-200, 1e-300, 1e8]
RTOL = 1e-9


def _arma11(n: int = 300, seed: int = 0, level: float = 2.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + 50)
    w = np.zeros(n + 50)
    for t in range(1, n + 50):
        w[t] = 0.5 * w[t - 1] + e[t] + 0.3 * e[t - 1]
    return w[50:] + level


def _scaled(c: float, pow2: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(c * y, (c * y) / c)``: the extreme data and the ordinary-size data it stands for.

    ``pow2``: divide by the power of two nearest ``c`` instead, so the reference data are an
    exact copy of the extreme data and an iterative fit (ARIMA's BFGS, which stops at a
    gradient tolerance) can be compared at 1e-9 rather than at its convergence tolerance.
    """
    big = _arma11() * c
    return big, big / (2.0 ** round(math.log2(c)) if pow2 else c)


def _fit_quietly(model, y):
    """Fit; a variance outside float64's range must warn (and only then)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(y)
    msgs = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    return model, msgs


def _variance_ok(got, ref, c: float, msgs: list[str]) -> None:
    """``got == ref c^2`` where representable; else inf/0 and a warning that says why."""
    with np.errstate(over="ignore", under="ignore"):
        want = (np.asarray(ref) * c) * c
    if np.all(np.isfinite(want)) and np.all(want > 1e-300):
        np.testing.assert_allclose(np.asarray(got) / c / c, ref, rtol=RTOL)
        assert not msgs
    else:
        np.testing.assert_array_equal(got, want)  # inf above the range, 0 below it
        assert any("float64's range" in m for m in msgs)


# --------------------------------------------------------------------------- AR
@pytest.mark.parametrize("c", SCALES)
@pytest.mark.parametrize("method", ["yule_walker", "burg", "ols"])
def test_ar_is_scale_equivariant(method, c):
    big, ref_y = _scaled(c)
    n = big.shape[0]
    model, msgs = _fit_quietly(AR(2, method=method), big)
    ref = AR(2, method=method).fit(ref_y)
    np.testing.assert_allclose(model.params_, ref.params_, rtol=RTOL)
    np.testing.assert_allclose(model.pacf_, ref.pacf_, rtol=RTOL)
    np.testing.assert_allclose(model.bse_, ref.bse_, rtol=1e-7)
    np.testing.assert_allclose(model.mean_ / c, ref.mean_, rtol=RTOL)
    np.testing.assert_allclose(model.intercept_ / c, ref.intercept_, rtol=RTOL)
    np.testing.assert_allclose(model.resid_ / c, ref.resid_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(model.loglik_ + n * math.log(c), ref.loglik_, rtol=RTOL)
    _variance_ok(model.sigma2_, ref.sigma2_, c, msgs)
    fc, fc_ref = model.forecast(4), ref.forecast(4)
    np.testing.assert_allclose(fc.mean / c, fc_ref.mean, rtol=RTOL)
    np.testing.assert_allclose(fc.se / c, fc_ref.se, rtol=RTOL)
    assert np.all(np.isfinite(model.simulate(5, 3, seed=0)))


@pytest.mark.parametrize("c", SCALES)
def test_ar_estimators_match_statsmodels_on_the_scaled_data(c):
    big, ref_y = _scaled(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sigma2 out of range at 1e+-200
        yw, bg, ols = yule_walker(big, 3), burg(big, 3), ar_ols(big, 3)
    rho, sigma = sm_yule_walker(ref_y, 3, method="mle", result_object=False)
    np.testing.assert_allclose(yw.ar, rho, rtol=1e-8)
    np.testing.assert_allclose(yw.mean / c, ref_y.mean(), rtol=1e-12)
    ar_b, sigma2_b = sm_burg(ref_y, 3)
    np.testing.assert_allclose(bg.ar, ar_b, rtol=1e-8)
    res = AutoReg(ref_y, lags=3, trend="c").fit()
    np.testing.assert_allclose(ols.ar, res.params[1:], rtol=1e-8)
    np.testing.assert_allclose(ols.intercept / c, res.params[0], rtol=1e-8)
    if 1e-150 < c < 1e150:
        np.testing.assert_allclose(yw.sigma2 / c**2, sigma**2, rtol=1e-8)
        np.testing.assert_allclose(bg.sigma2 / c**2, sigma2_b, rtol=1e-8)
        np.testing.assert_allclose(ols.sigma2 / c**2, res.sigma2, rtol=1e-8)


def test_ar_ols_on_a_large_level_is_not_called_constant():
    # 1e8 + N(0, 1): the uncentred design (1, x_{t-1}, x_{t-2}) is near-singular; the fit
    # must equal the fit of x - 1e8 with the intercept shifted by 1e8 (1 - sum(phi))
    x = 1e8 + _arma11(level=0.0)
    est = ar_ols(x, 2)
    res = AutoReg(x - 1e8, lags=2, trend="c").fit()
    np.testing.assert_allclose(est.ar, res.params[1:], rtol=1e-6)
    shift = 1e8 * (1.0 - est.ar.sum())
    np.testing.assert_allclose(est.intercept - shift, res.params[0], atol=1e-5)
    np.testing.assert_allclose(est.sigma2, res.sigma2, rtol=1e-6)
    model = AR(2, method="ols").fit(x)
    np.testing.assert_allclose(model.bse_, res.bse[1:], rtol=1e-5)


@pytest.mark.parametrize("fit", [yule_walker, burg, ar_ols])
@pytest.mark.parametrize("value", [1e200, 1e-300, 3.0])
def test_only_a_truly_constant_series_is_called_constant(fit, value):
    with pytest.raises(ValueError, match="constant"):
        fit(np.full(40, value), 2)
    with pytest.raises(ValueError, match="constant"):
        ARIMA((1, 0, 0)).fit(np.full(40, value))


# --------------------------------------------------------------------------- ARIMA
ARIMA_CASES = [((1, 0, 1), None), ((1, 1, 1), None), ((0, 1, 1), "t")]


@pytest.mark.parametrize("c", SCALES)
@pytest.mark.parametrize(("order", "trend"), ARIMA_CASES)
def test_arima_is_scale_equivariant(order, trend, c):
    big, ref_y = _scaled(c, pow2=True)
    c = 2.0 ** round(math.log2(c))
    n_eff = big.shape[0] - order[1]
    model, msgs = _fit_quietly(ARIMA(order, trend=trend), big)
    ref = ARIMA(order, trend=trend).fit(ref_y)
    kt = int(ref.param_names_[0] in ("const", "x1"))
    assert np.all(np.isfinite(model.params_[:-1]))
    np.testing.assert_allclose(model.params_[kt:-1], ref.params_[kt:-1], rtol=RTOL)
    if kt:
        np.testing.assert_allclose(model.params_[0] / c, ref.params_[0], rtol=RTOL)
    _variance_ok(model.sigma2_, ref.sigma2_, c, msgs)
    np.testing.assert_allclose(model.loglik_ + n_eff * math.log(c), ref.loglik_, rtol=RTOL)
    np.testing.assert_allclose(model.aic_ - ref.aic_, 2 * n_eff * math.log(c), rtol=RTOL)
    np.testing.assert_allclose(model.resid_ / c, ref.resid_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(model.bse_[:-1] / np.r_[[c] * kt, np.ones(len(ref.bse_) - 1 - kt)],
                               ref.bse_[:-1], rtol=1e-6)
    fc, fc_ref = model.get_forecast(5), ref.get_forecast(5)
    np.testing.assert_allclose(fc.predicted_mean / c, fc_ref.predicted_mean, rtol=RTOL)
    np.testing.assert_allclose(fc.se_mean / c, fc_ref.se_mean, rtol=RTOL)
    np.testing.assert_allclose(fc.conf_int() / c, fc_ref.conf_int(), rtol=RTOL)
    assert np.all(np.isfinite(model.simulate(6, 2, seed=1)))


@pytest.mark.parametrize("c", [1e200, 1e-300])
def test_arima_fit_matches_statsmodels_on_the_scaled_data(c):
    big, ref_y = _scaled(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = SMARIMA(ref_y, order=(1, 0, 1)).fit()
        model = ARIMA((1, 0, 1)).fit(big)
    np.testing.assert_allclose(model.params_[1:3], sm.params[1:3], atol=1e-3)
    np.testing.assert_allclose(model.params_[0] / c, sm.params[0], rtol=1e-3)
    np.testing.assert_allclose(model.loglik_ + big.shape[0] * math.log(c), sm.llf, rtol=1e-6)


@pytest.mark.parametrize("c", [2.0**400, 2.0**-400])
def test_arima_loglike_shifts_by_n_log_c(c):
    # the loglike at given params (sigma2 representable: c^2 = 2^+-800)
    y = _arma11()
    params = np.array([2.0, 0.5, 0.3, 1.1])
    ref = SMARIMA(y, order=(1, 0, 1), trend="c").loglike(params)
    scaled = np.array([2.0 * c, 0.5, 0.3, 1.1 * c * c])
    got = arima_loglike(y * c, (1, 0, 1), scaled, trend="c")
    np.testing.assert_allclose(got + y.shape[0] * math.log(c), ref, rtol=1e-9)


# --------------------------------------------------------------------------- GaussianHMM
def _two_regimes(d: int = 1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-3, 1, (100, d)), rng.normal(3, 1, (100, d))])
    return x + rng.normal(0, 0.5, (200, d)) * (np.arange(d) > 0)


SCALE_FREE = {"covars_prior": 0.0, "min_covar": 0.0}  # priors in X's units would break scaling


@pytest.mark.parametrize("c", [1e153, 1e-150, 1e8, 1e-120])
@pytest.mark.parametrize("kind", ["diag", "full"])
def test_gaussian_hmm_is_scale_equivariant(kind, c):
    x = _two_regimes(d=2)
    c = 2.0 ** round(math.log2(c))  # exact copies of the data at each scale
    t, d = x.shape
    big = GaussianHMM(2, covariance_type=kind, seed=0, **SCALE_FREE).fit(x * c)
    ref = GaussianHMM(2, covariance_type=kind, seed=0, **SCALE_FREE).fit(x)
    np.testing.assert_allclose(big.means_ / c, ref.means_, rtol=RTOL)
    np.testing.assert_allclose(big.covars_ / c / c, ref.covars_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(big.transmat_, ref.transmat_, rtol=RTOL)
    shift = t * d * math.log(c)  # log p(c X) = log p(X) - T D log c
    np.testing.assert_allclose(big.score(x * c) + shift, ref.score(x), rtol=RTOL)
    np.testing.assert_allclose(np.array(big.monitor_.history) + shift, ref.monitor_.history,
                               rtol=RTOL)
    np.testing.assert_array_equal(big.predict(x * c), ref.predict(x))
    np.testing.assert_allclose(big.predict_proba(x * c), ref.predict_proba(x), atol=1e-9)
    assert np.all(np.isfinite(big.sample(20, seed=0)[0]))


@pytest.mark.parametrize("c", [1e153, 1e-150])
@pytest.mark.parametrize("kind", ["spherical", "diag", "full", "tied"])
def test_gaussian_hmm_em_matches_hmmlearn_on_the_scaled_data(kind, c):
    from hmmlearn import hmm as hl

    rng = np.random.default_rng(3)
    x = _two_regimes(d=2, seed=3)
    start = {
        "startprob_": np.array([0.6, 0.4]),
        "transmat_": np.array([[0.9, 0.1], [0.2, 0.8]]),
        "means_": np.array([[-1.0, 0.0], [1.0, 0.5]]),
    }
    cov = {"spherical": np.array([2.0, 3.0]), "diag": rng.uniform(1, 3, (2, 2)),
           "full": np.array([np.eye(2) * 2, [[3.0, 0.5], [0.5, 1.0]]]),
           "tied": np.array([[3.0, 0.5], [0.5, 1.0]])}[kind]
    ref = hl.GaussianHMM(2, covariance_type=kind, init_params="", n_iter=5, tol=0.0,
                         covars_prior=0.0, min_covar=0.0, implementation="log")
    ours = GaussianHMM(2, covariance_type=kind, init_params=(), n_iter=5, tol=0.0,
                       **SCALE_FREE)
    for name, value in start.items():
        setattr(ref, name, value.copy())
        setattr(ours, name, value * c if name == "means_" else value.copy())
    ref.covars_ = cov.copy()
    ours.covars_ = (cov * c) * c
    ref.fit(x)
    ours.fit(x * c)
    np.testing.assert_allclose(ours.means_ / c, ref.means_, rtol=1e-6)
    # compact forms ((K,) spherical, (K, D) diag, ...); hmmlearn keeps spherical as (K, D)
    ref_cov = ref._covars_[:, 0] if kind == "spherical" else ref._covars_
    np.testing.assert_allclose(ours._covars_ / c / c, ref_cov, rtol=1e-6)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=1e-6)
    shift = x.size * math.log(c)
    np.testing.assert_allclose(ours.score(x * c) + shift, ref.score(x), rtol=1e-8)


def test_gaussian_hmm_near_1e154_fits_instead_of_probabilities_contain_nan():
    # the audit's case: numpy's "Probabilities contain NaN" from the k-means++ seeding
    x = _two_regimes()
    model = GaussianHMM(2, seed=0).fit(x * 1e154)
    ref = GaussianHMM(2, seed=0).fit(x)  # the priors (1e-2, 1e-3) vanish at this scale
    order = np.argsort(model.means_[:, 0])
    np.testing.assert_allclose(model.means_[order, 0] / 1e154,
                               np.sort(ref.means_[:, 0]), rtol=1e-3)


@pytest.mark.parametrize("c", [1e200, 1e-200])
def test_gaussian_hmm_refuses_variances_float64_cannot_hold(c):
    # variances of ~1e400 / 1e-400 in X's units are not representable: a clear refusal
    with pytest.raises(ValueError, match=r"outside float64's range.*divide X by a power of ten"):
        GaussianHMM(2, seed=0, **SCALE_FREE).fit(_two_regimes() * c)


def test_gaussian_hmm_tiny_data_with_default_priors_is_prior_dominated_not_nan():
    # covars_prior = 1e-2 dwarfs a spread of 1e-300: the fit is finite (variances ~ prior)
    x = _two_regimes() * 1e-300
    model = GaussianHMM(2, seed=0).fit(x)
    assert np.all(np.isfinite(model.means_)) and np.all(model.covars_.diagonal(0, 1, 2) > 0)
    assert np.isfinite(model.score(x))


def test_arima_many_series_of_different_scales_each_get_their_own_unit():
    y = _arma11()
    scales = np.array([2.0**700, 2.0**-990, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sigma2 beyond float64 for two
        many = ARIMA((1, 0, 1)).fit_many(y[:, None] * scales)
    one = ARIMA((1, 0, 1)).fit(y)
    np.testing.assert_allclose(many.loglik_ + y.shape[0] * np.log(scales), one.loglik_,
                               rtol=RTOL)
    np.testing.assert_allclose(many.arparams_[:, 0], one.arparams_[0], rtol=RTOL)
    fc = many.get_forecast(3)
    np.testing.assert_allclose(fc.se_mean / scales,
                               np.tile(one.get_forecast(3).se_mean[:, None], 3), rtol=RTOL)


def test_arima_css_loglik_shifts_by_the_conditioned_count():
    y = _arma11()
    c = 2.0**600
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        big = ARIMA((1, 0, 1), method="css").fit(y * c)
    ref = ARIMA((1, 0, 1), method="css").fit(y)
    n_cond = y.shape[0] - 1  # CSS conditions on the first p = 1 values
    np.testing.assert_allclose(big.loglik_ + n_cond * math.log(c), ref.loglik_, rtol=RTOL)
    np.testing.assert_allclose(big.params_[:3] / [c, 1, 1], ref.params_[:3], rtol=RTOL)


_Y = _arma11()
_REF = {
    "arima": ARIMA((1, 0, 1)).fit(_Y).loglik_,
    "ar": AR(2).fit(_Y).loglik_,
}


@settings(max_examples=30, deadline=None)
@given(exponent=st.integers(-300, 300), mantissa=st.floats(1.0, 9.99))
def test_any_scale_float64_holds_gives_finite_shifted_logliks(exponent, mantissa):
    # the audit's hypothesis search found NaN params/loglik in 34 of 300 ARIMA examples
    c = mantissa * 10.0**exponent
    y = _Y * c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sigma2 beyond float64 at |e| > 154
        arima = ARIMA((1, 0, 1)).fit(y)
        ar = AR(2).fit(y)
    assert np.all(np.isfinite(arima.params_[:-1])) and np.all(np.isfinite(ar.params_))
    shift = _Y.shape[0] * math.log(c)
    np.testing.assert_allclose(arima.loglik_ + shift, _REF["arima"], rtol=1e-8)
    np.testing.assert_allclose(ar.loglik_ + shift, _REF["ar"], rtol=1e-8)
    assert np.all(np.isfinite(arima.get_forecast(3).se_mean))
    assert np.all(np.isfinite(ar.forecast(3).se))


def test_models_fitted_at_extreme_scales_survive_save_and_load(tmp_path):
    import seqlab

    big, _ = _scaled(1e200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        models = [ARIMA((1, 1, 1)).fit(big), AR(2).fit(big)]
    models.append(GaussianHMM(2, seed=0).fit(_two_regimes() * 1e150))
    for i, model in enumerate(models):
        path = tmp_path / f"m{i}.seqlab"
        seqlab.save(model, path)
        back = seqlab.load(path)
        if isinstance(model, GaussianHMM):
            x = _two_regimes() * 1e150
            assert back.score(x) == model.score(x)
            continue
        if isinstance(model, ARIMA):
            a, b = model.get_forecast(4), back.get_forecast(4)
            np.testing.assert_array_equal(a.predicted_mean, b.predicted_mean)
            np.testing.assert_array_equal(a.se_mean, b.se_mean)  # finite, sigma2_ is inf
            assert np.all(np.isfinite(b.se_mean))
            continue
        a, b = model.forecast(4), back.forecast(4)
        np.testing.assert_array_equal(a.mean, b.mean)
        np.testing.assert_array_equal(a.se, b.se)  # finite though sigma2_ is inf
        assert np.all(np.isfinite(b.se))

"""The Kalman filter against brute force (the joint Gaussian) and statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from seqlab.classical._sarimax_system import make_spec
from seqlab.classical.statespace import StateSpace, stationary_cov
from seqlab.exceptions import SeqlabValueError


def _model(rng: np.random.Generator) -> tuple[StateSpace, np.ndarray, np.ndarray]:
    """A 2-state model with measurement noise, a non-zero a0 and time-varying intercepts."""
    T = np.array([[0.6, 0.3], [-0.2, 0.5]])
    R = np.array([[1.0], [0.4]])
    ss = StateSpace(Z=[1.0, -0.5], T=T, R=R, Q=[[0.7]], H=0.3, a0=[0.2, -0.1])
    ss.P0 = stationary_cov(T, ss.RQR) + 0.1 * np.eye(2)
    n = 7
    return ss, rng.normal(size=n), rng.normal(size=(n, 2))


def _joint(ss: StateSpace, d: np.ndarray, c: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Mean (n,) and covariance (n, n) of y_0..y_{n-1} by brute force over the states."""
    m = ss.m
    means, covs = [ss.a0.copy()], [ss.P0.copy()]
    for t in range(1, n):
        means.append(ss.T @ means[-1] + c[t - 1])
        covs.append(ss.T @ covs[-1] @ ss.T.T + ss.RQR)
    S = np.zeros((n * m, n * m))  # joint state covariance
    for t in range(n):
        for s in range(t + 1):
            block = np.linalg.matrix_power(ss.T, t - s) @ covs[s]
            S[t * m:(t + 1) * m, s * m:(s + 1) * m] = block
            S[s * m:(s + 1) * m, t * m:(t + 1) * m] = block.T
    Zb = np.kron(np.eye(n), ss.Z[None, :])
    mu = Zb @ np.concatenate(means) + d
    return mu, Zb @ S @ Zb.T + ss.H * np.eye(n)


@pytest.mark.parametrize("missing", [[], [2], [0, 4, 5]])
def test_loglik_equals_multivariate_normal_density(missing: list[int]) -> None:
    rng = np.random.default_rng(1)
    ss, d, c = _model(rng)
    n = d.shape[0]
    y = rng.normal(size=n)
    y[missing] = np.nan
    res = ss.filter(y, d, c)
    mu, cov = _joint(ss, d, c, n)
    ok = ~np.isnan(y)
    ref = scipy.stats.multivariate_normal(mu[ok], cov[np.ix_(ok, ok)]).logpdf(y[ok])
    assert res.llf == pytest.approx(ref, rel=1e-12, abs=1e-12)
    assert np.array_equal(np.isnan(res.v), ~ok)


def test_forecast_equals_conditional_gaussian() -> None:
    rng = np.random.default_rng(2)
    ss, d, c = _model(rng)
    n, h = 5, 2
    y = rng.normal(size=n)
    y[1] = np.nan
    res = ss.filter(y, d[:n], c[:n])
    mean, var = ss.forecast(res, h, d[n:n + h], c[n:n + h])
    mu, cov = _joint(ss, d[:n + h], c[:n + h], n + h)
    ok = np.r_[~np.isnan(y), np.zeros(h, bool)]
    fut = np.r_[np.zeros(n, bool), np.ones(h, bool)]
    K = cov[np.ix_(fut, ok)] @ np.linalg.inv(cov[np.ix_(ok, ok)])
    cond_mean = mu[fut] + K @ (y[~np.isnan(y)] - mu[ok])
    cond_cov = cov[np.ix_(fut, fut)] - K @ cov[np.ix_(ok, fut)]
    np.testing.assert_allclose(mean, cond_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, np.diag(cond_cov), rtol=1e-12)


def test_stationary_cov_matches_scipy_and_refuses_unstable() -> None:
    T = np.array([[0.9, 1.0, 0.0], [-0.3, 0.0, 1.0], [0.05, 0.0, 0.0]])
    RQR = np.outer([1.0, 0.4, -0.2], [1.0, 0.4, -0.2])
    ref = scipy.linalg.solve_discrete_lyapunov(T, RQR)
    np.testing.assert_allclose(stationary_cov(T, RQR), ref, rtol=1e-11, atol=1e-13)
    with pytest.raises(SeqlabValueError, match="unit circle"):
        stationary_cov(np.array([[1.0]]), np.array([[1.0]]))


def test_shape_errors() -> None:
    with pytest.raises(SeqlabValueError, match="inconsistent shapes"):
        StateSpace(Z=[1.0, 0.0], T=[[0.5]], R=[[1.0]], Q=[[1.0]])


CASES = [
    ((2, 1, 1), (1, 1, 1, 4), "c", 0),
    ((1, 2, 2), (0, 0, 0, 0), "ct", 2),
    ((0, 1, 1), (0, 1, 1, 12), "n", 0),
    ((1, 0, 0), (2, 0, 1, 3), "t", 1),
    ((0, 0, 0), (0, 0, 0, 0), "c", 0),
    ((1, 1, 0), (1, 2, 0, 2), "c", 2),
]


@pytest.mark.parametrize(("order", "seasonal", "trend", "k_exog"), CASES)
@pytest.mark.parametrize("gaps", [False, True])
def test_sarimax_system_and_loglik_equal_statsmodels(order, seasonal, trend, k_exog, gaps):
    import statsmodels.api as sm
    rng = np.random.default_rng(3)
    n = 80
    y = np.cumsum(rng.normal(size=n))
    if gaps:
        y[rng.choice(n, 8, replace=False)] = np.nan
    X = rng.normal(size=(n, k_exog))
    mod = sm.tsa.SARIMAX(y, exog=X if k_exog else None, order=order, seasonal_order=seasonal,
                         trend=trend)
    spec = make_spec(order, seasonal, trend, k_exog)
    assert spec.names([f"x{i + 1}" for i in range(k_exog)]) == list(mod.param_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = np.asarray(mod.start_params, dtype=float)
    params[-1] = 1.3
    u = rng.normal(size=params.shape[0])  # statsmodels' constraint maps
    np.testing.assert_allclose(spec.constrain(u), mod.transform_params(u), rtol=1e-13)
    np.testing.assert_allclose(spec.constrain(spec.unconstrain(spec.constrain(u))),
                               spec.constrain(u), rtol=1e-9, atol=1e-12)
    mod.update(params)
    ss = spec.system(params)
    np.testing.assert_array_equal(ss.T, mod.ssm["transition"][:, :, 0]
                                  if mod.ssm["transition"].ndim == 3 else mod.ssm["transition"])
    np.testing.assert_array_equal(ss.Z, mod.ssm["design"][0].ravel()[: ss.m])
    assert ss.burn == mod.loglikelihood_burn
    d, c = spec.intercepts(params, X, 0)
    # up to ~1e-8 relative apart where several approximate-diffuse states (variance 1e6)
    # cancel in the first updates; 1e-12 otherwise
    assert ss.filter(y, d, c).llf == pytest.approx(mod.loglike(params), rel=1e-7)

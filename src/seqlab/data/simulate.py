"""Simulators for the traditional models: ARMA, ARIMA and hidden Markov models.

Sources: Brockwell & Davis, "Introduction to Time Series and Forecasting" (3rd ed., 2016),
Sections 3.1 (ARMA(p, q) processes) and 6.1 (ARIMA); Rabiner (1989), "A tutorial on hidden
Markov models", Proc. IEEE 77(2), Section II (generating an observation sequence).

Sign convention: the AR and MA coefficients are the ones written in the model,

    X_t = c + phi_1 X_{t-1} + ... + phi_p X_{t-p} + e_t + theta_1 e_{t-1} + ... + theta_q e_{t-q},

the convention of statsmodels' ``ARIMA`` *parameters* (``ar.L1`` = phi_1, ``ma.L1`` =
theta_1). statsmodels' ``arma_generate_sample`` instead takes the lag *polynomials*
``[1, -phi_1, ..., -phi_p]`` and ``[1, theta_1, ..., theta_q]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from seqlab._jit import njit
from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_choice,
    check_int,
    check_positive,
    check_random_state,
    check_real,
)
from seqlab.exceptions import SeqlabValueError

__all__ = ["simulate_arima", "simulate_arma", "simulate_hmm"]


def _coefficients(values: Any, name: str) -> np.ndarray:
    arr = as_float_array(values if np.ndim(values) else [values], name, ndim=1, min_length=0)
    return arr


def _ar_spectral_radius(ar: np.ndarray) -> float:
    """Largest modulus of the roots of z^p - phi_1 z^(p-1) - ... - phi_p (1/|AR root|)."""
    if ar.size == 0:
        return 0.0
    return float(np.max(np.abs(np.roots(np.r_[1.0, -ar]))))


def simulate_arma(
    ar: Any = (),
    ma: Any = (),
    n: int = 500,
    *,
    sigma2: float = 1.0,
    const: float = 0.0,
    burnin: int | None = None,
    n_series: int | None = None,
    seed: SeedLike = None,
) -> np.ndarray:
    """Simulate a stationary Gaussian ARMA(p, q) process.

    .. math:: X_t = c + \\sum_{i=1}^p \\phi_i X_{t-i} + e_t + \\sum_{j=1}^q \\theta_j e_{t-j},
              \\qquad e_t \\sim N(0, \\sigma^2)

    ``ar = (phi_1, ..., phi_p)`` and ``ma = (theta_1, ..., theta_q)`` are the coefficients as
    written in the model (statsmodels' ``ARIMA`` parameter signs; its
    ``arma_generate_sample`` wants ``np.r_[1, -ar]`` and ``np.r_[1, ma]``). ``const`` is
    the intercept c, so the mean is ``c / (1 - sum(ar))``. The recursion is run by
    ``scipy.signal.lfilter`` starting at the mean, over ``burnin + n`` steps of which the
    first ``burnin`` are dropped; the default burn-in lasts until the AR transient has
    decayed below 1e-10 (at least 100 steps).

    ============ ===========================
    ``n_series`` returned shape
    ============ ===========================
    None         (n,)
    m            (n, m), independent columns
    ============ ===========================

    Raises ``ValueError`` when the AR part is not stationary (a root on or inside the
    unit circle); use :func:`simulate_arima` for integrated processes.

    >>> x = simulate_arma([0.5], [0.3], 5, seed=0)
    >>> x.shape
    (5,)
    >>> simulate_arma([0.5], n=100_000, const=1.0, seed=0).mean().round(1)  # c / (1 - phi)
    np.float64(2.0)
    """
    from scipy.signal import lfilter  # scipy.signal takes ~1 s to import: only when used

    phi = _coefficients(ar, "ar")
    theta = _coefficients(ma, "ma")
    n = check_int(n, "n", minimum=1)
    sigma2 = check_positive(sigma2, "sigma2", strict=False)
    const = check_real(const, "const")
    rho = _ar_spectral_radius(phi)
    if rho >= 1.0:
        raise SeqlabValueError(
            f"the AR coefficients ar={phi.tolist()} are not stationary (a root of the AR "
            f"polynomial lies on or inside the unit circle; largest inverse root modulus "
            f"{rho:.4g} >= 1). Use stationary coefficients, or simulate_arima for a unit root."
        )
    if burnin is None:
        decay = math.ceil(math.log(1e-10) / math.log(rho)) if rho > 0 else 0
        burnin = max(100, min(decay, 1_000_000)) + phi.size + theta.size
    burnin = check_int(burnin, "burnin", minimum=0)
    shape: tuple[int, ...] = (burnin + n,)
    if n_series is not None:
        shape += (check_int(n_series, "n_series", minimum=1),)
    rng = check_random_state(seed)
    e = math.sqrt(sigma2) * rng.standard_normal(shape)
    mean = const / (1.0 - phi.sum())
    x = mean + lfilter(np.r_[1.0, theta], np.r_[1.0, -phi], e, axis=0)
    return np.ascontiguousarray(x[burnin:])


def simulate_arima(
    ar: Any,
    ma: Any,
    d: int,
    n: int,
    *,
    sigma2: float = 1.0,
    const: float = 0.0,
    burnin: int | None = None,
    n_series: int | None = None,
    seed: SeedLike = None,
) -> np.ndarray:
    """Simulate an ARIMA(p, d, q) process: an ARMA(p, q) series integrated ``d`` times.

    ``W = simulate_arma(ar, ma, n, ...)`` is summed ``d`` times with zero starting values,
    ``X = S^d W`` (``S`` the cumulative sum), so ``np.diff(X, d)`` equals ``W[d:]``. With
    ``d = 0`` this is :func:`simulate_arma`. ``const`` is the intercept of the differenced
    (ARMA) model: for ``d = 1`` it adds a drift of ``const / (1 - sum(ar))`` per step.

    >>> x = simulate_arima([0.5], [], 1, 200, seed=0)
    >>> w = simulate_arma([0.5], [], 200, seed=0)
    >>> bool(np.allclose(np.diff(x), w[1:]))
    True
    """
    d = check_int(d, "d", minimum=0)
    x = simulate_arma(
        ar, ma, n, sigma2=sigma2, const=const, burnin=burnin, n_series=n_series, seed=seed
    )
    for _ in range(d):
        x = np.cumsum(x, axis=0)
    return x


def _probabilities(p: Any, name: str, ndim: int) -> np.ndarray:
    """A probability vector (ndim 1) or row-stochastic matrix (ndim 2), or a clear error."""
    arr = as_float_array(p, name, ndim=ndim)
    if (arr < 0).any():
        raise SeqlabValueError(f"{name} must be non-negative; got a minimum of {arr.min():.4g}.")
    sums = arr.sum(axis=-1)
    bad = np.flatnonzero(np.abs(np.atleast_1d(sums) - 1.0) > 1e-8)
    if bad.size:
        where = "" if ndim == 1 else f" (row {int(bad[0])})"
        raise SeqlabValueError(
            f"{name} must sum to 1 along its last axis{where}; got sum "
            f"{float(np.atleast_1d(sums)[bad[0]]):.6g}. Normalise it first, e.g. "
            "p / p.sum(-1, keepdims=True)."
        )
    return arr


def _cumulative(p: np.ndarray) -> np.ndarray:
    c = np.cumsum(p, axis=-1)
    c[..., -1] = 1.0  # no index can fall past the last category through rounding
    return c


@njit(cache=True)
def _sample_chain(cum_start: np.ndarray, cum_trans: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Markov chain by inverse CDF: state_t = #{k : cum[state_{t-1}, k] <= u_t}."""
    n = u.shape[0]
    k = cum_start.shape[0]
    states = np.empty(n, dtype=np.int64)
    row = cum_start
    for t in range(n):
        s = 0
        while s < k - 1 and row[s] <= u[t]:
            s += 1
        states[t] = s
        row = cum_trans[s]
    return states


def simulate_hmm(
    startprob: Any,
    transmat: Any,
    n_samples: int,
    *,
    emissionprob: Any = None,
    means: Any = None,
    covars: Any = None,
    covariance_type: str = "full",
    seed: SeedLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample one sequence from a hidden Markov model (Rabiner 1989, Section II).

    .. math:: z_1 \\sim \\pi, \\quad z_t \\mid z_{t-1} \\sim A_{z_{t-1}, \\cdot}, \\quad
              x_t \\mid z_t \\sim B_{z_t, \\cdot} \\text{ (categorical) or }
              N(\\mu_{z_t}, \\Sigma_{z_t}) \\text{ (Gaussian)}

    Give ``emissionprob`` for a categorical HMM, or ``means`` (and ``covars``) for a
    Gaussian HMM. Names and covariance layouts follow hmmlearn.

    ================= ============================== ===================================
    argument          shape                          meaning
    ================= ============================== ===================================
    startprob         (K,)                           initial state distribution pi
    transmat          (K, K)                         A[i, j] = P(z_t = j | z_{t-1} = i)
    emissionprob      (K, M)                         B[k, m] = P(x_t = m | z_t = k)
    means             (K, D)                         Gaussian means
    covars "full"     (K, D, D)                      one covariance matrix per state
    covars "diag"     (K, D)                         variances per state
    covars "spherical" (K,)                          one variance per state
    covars "tied"     (D, D)                         one matrix shared by all states
    ================= ============================== ===================================

    Returns ``(observations, states)``: observations (n_samples,) int64 for a categorical
    HMM (pass ``X[:, None]`` to hmmlearn's ``CategoricalHMM``) or (n_samples, D) float64
    for a Gaussian HMM; states (n_samples,) int64. ``covars=None`` means identity.

    >>> X, z = simulate_hmm([0.6, 0.4], [[0.7, 0.3], [0.4, 0.6]], 5,
    ...                     emissionprob=[[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]], seed=0)
    >>> X.shape, z.shape, X.dtype
    ((5,), (5,), dtype('int64'))
    >>> X, z = simulate_hmm([1.0, 0.0], [[0.9, 0.1], [0.1, 0.9]], 4,
    ...                     means=[[0.0], [5.0]], covariance_type="spherical",
    ...                     covars=[1.0, 1.0], seed=0)
    >>> X.shape
    (4, 1)
    """
    pi = _probabilities(startprob, "startprob", 1)
    A = _probabilities(transmat, "transmat", 2)
    k = pi.size
    if A.shape != (k, k):
        raise SeqlabValueError(
            f"transmat must have shape (n_states, n_states) = ({k}, {k}) to match "
            f"startprob; got {A.shape}."
        )
    n = check_int(n_samples, "n_samples", minimum=1)
    if (emissionprob is None) == (means is None):
        raise SeqlabValueError(
            "give exactly one emission model: emissionprob (categorical HMM) or means "
            "(and covars, Gaussian HMM)."
        )
    rng = check_random_state(seed)
    states = _sample_chain(_cumulative(pi), _cumulative(A), rng.random(n))

    if emissionprob is not None:
        B = _probabilities(emissionprob, "emissionprob", 2)
        if B.shape[0] != k:
            raise SeqlabValueError(
                f"emissionprob must have {k} rows (one per state); got {B.shape}."
            )
        cum = _cumulative(B)[states]  # (n, M)
        obs = (cum <= rng.random(n)[:, None]).sum(axis=1).astype(np.int64)
        return np.minimum(obs, B.shape[1] - 1), states

    mu = as_float_array(means, "means", ndim=2)
    if mu.shape[0] != k:
        raise SeqlabValueError(f"means must have {k} rows (one per state); got {mu.shape}.")
    dim = mu.shape[1]
    check_choice(covariance_type, "covariance_type", ("full", "diag", "spherical", "tied"))
    chol = _cholesky_factors(covars, covariance_type, k, dim)  # (K, D, D)
    z = rng.standard_normal((n, dim))
    obs_g = mu[states] + np.einsum("nij,nj->ni", chol[states], z)
    return obs_g, states


def _cholesky_factors(covars: Any, covariance_type: str, k: int, dim: int) -> np.ndarray:
    """Lower Cholesky factors (K, D, D) of the per-state covariances, or a clear error."""
    if covars is None:
        return np.broadcast_to(np.eye(dim), (k, dim, dim))
    want = {"full": (k, dim, dim), "diag": (k, dim), "spherical": (k,), "tied": (dim, dim)}
    c = as_float_array(covars, "covars", ndim=len(want[covariance_type]))
    if c.shape != want[covariance_type]:
        raise SeqlabValueError(
            f"covars for covariance_type={covariance_type!r} must have shape "
            f"{want[covariance_type]}; got {c.shape}."
        )
    if covariance_type in ("diag", "spherical"):
        if (c <= 0).any():
            raise SeqlabValueError(f"covars must be positive for {covariance_type!r} covariances.")
        var = c if covariance_type == "diag" else np.repeat(c[:, None], dim, axis=1)
        return np.sqrt(var)[:, :, None] * np.eye(dim)
    full = c if covariance_type == "full" else np.broadcast_to(c, (k, dim, dim))
    if not np.allclose(full, np.swapaxes(full, -1, -2)):
        raise SeqlabValueError("covars must be symmetric matrices; one is not.")
    try:
        return np.linalg.cholesky(full)
    except np.linalg.LinAlgError:
        raise SeqlabValueError(
            "covars must be symmetric positive definite matrices; one is not."
        ) from None

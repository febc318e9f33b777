"""Gaussian-mixture emissions: ``x_t | z_t = k ~ sum_m w_km N(mu_km, Sigma_km)``.

hmmlearn's ``GMMHMM`` (names ``n_mix``, ``weights_``, ``means_`` (K, M, D), ``covars_``,
letter code ``"w"`` for the weights) with its M-step reproduced formula for formula, so the
parameters agree with hmmlearn's after the same EM iterations: the mixture responsibilities
``r_tkm = gamma_tk w_km N(x_t; mu_km, Sigma_km) / sum_m' (...)`` give

    w_km  = (sum_t r_tkm + a_km - 1) / (sum_t gamma_tk + sum_m (a_km - 1))
    mu_km = (lambda_km m_km + sum_t r_tkm x_t) / (lambda_km + sum_t r_tkm)

and the covariances the MAP updates of hmmlearn (normal-inverse-Wishart / inverse-gamma
priors, their defaults making them the maximum-likelihood ones) with the scatter taken around
the means of the E-step, as hmmlearn does. Covariance shapes: ``"spherical"`` (K, M),
``"diag"`` (K, M, D), ``"full"`` (K, M, D, D), ``"tied"`` (K, D, D) (one matrix per state,
shared by its M components).

Differences from hmmlearn: a diagonal or spherical variance is floored at ``min_covar`` after
each M-step (hmmlearn lets one reach 0 on a constant column and then returns NaN; full and
tied matrices get hmmlearn's own ``1e-7`` on the diagonal when singular); initialisation
uses seqlab's k-means (so a seed gives other starting means than hmmlearn's); ``n_params``
counts ``K (M - 1)`` free weights (hmmlearn counts ``M - 1``), so AIC/BIC differ by that.

``missing="marginalize"`` (hmmlearn has no missing values) takes NaN for a missing value and
integrates it out exactly: single coordinates with ``"diag"`` and ``"spherical"``, whole rows
with every covariance type (``_hmm_missing_gmm``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from seqlab._validation import SeedLike, as_float_array, check_choice, check_int
from seqlab.classical import _hmm_missing_gmm
from seqlab.classical._hmm_checks import check_prior, check_stochastic
from seqlab.classical._hmm_gaussian_math import (
    _kmeans,
    gaussian_logpdf_full,
    robust_cholesky,
)
from seqlab.classical._hmm_missing import MISSING, check_missing
from seqlab.classical.hmm_base import BaseHMM
from seqlab.classical.hmm_gaussian import COVARIANCE_TYPES
from seqlab.exceptions import SeqlabValueError

__all__ = ["GMMHMM"]

_LOG_2PI = np.log(2.0 * np.pi)


def _mixture_logsumexp(comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log sum_m exp comp (T, K), responsibilities p(m | t, k) (T, K, M))`` in one pass
    (scipy's logsumexp costs twice as much here); a state with every component at -inf
    gets -inf and zero responsibilities."""
    top = comp.max(axis=2, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
        e = np.exp(comp - top)
        total = e.sum(axis=2, keepdims=True)
        resp = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
        return (np.log(total) + top)[:, :, 0], resp


class GMMHMM(BaseHMM):
    """Hidden Markov model whose states emit from Gaussian mixtures of ``n_mix`` components.

    ==================  =========================  =====================================
    attribute           shape                      meaning
    ==================  =========================  =====================================
    ``weights_``        (K, M)                     w_km, rows sum to 1
    ``means_``          (K, M, D)                  mu_km
    ``covars_``         see module docstring       Sigma_km
    ``X`` (input)       (T, D) or (T,)             observations, sequences concatenated
    ==================  =========================  =====================================

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, 100), rng.normal(8, 1, 100)])
    >>> m = GMMHMM(2, n_mix=2, random_state=0, n_iter=5).fit(x)
    >>> m.weights_.shape, m.means_.shape, m.covars_.shape
    ((2, 2), (2, 2, 1), (2, 2, 1))
    """

    _emission_names = ("weights", "means", "covars")
    _init_methods = ("kmeans",)

    def __init__(
        self,
        n_components: int = 1,
        n_mix: int = 1,
        min_covar: float = 1e-3,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        weights_prior: Any = 1.0,
        means_prior: Any = 0.0,
        means_weight: Any = 0.0,
        covars_prior: Any = None,
        covars_weight: Any = None,
        algorithm: str = "viterbi",
        covariance_type: str = "diag",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: Sequence[str] | str | None = None,
        init_params: Sequence[str] | str | None = None,
        implementation: str = "log",
        *,
        seed: SeedLike = None,
        init: str = "kmeans",
        fixed: Sequence[str] = (),
        n_init: int = 1,
        missing: str = "raise",
    ) -> None:
        self.n_components = n_components
        self.n_mix = n_mix
        self.min_covar = min_covar
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.weights_prior = weights_prior
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
        self.algorithm = algorithm
        self.covariance_type = covariance_type
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.seed = seed
        self.init = init
        self.fixed = fixed
        self.n_init = n_init
        self.missing = missing

    # ------------------------------------------------------------------ shapes and priors
    def _shapes(self) -> dict[str, tuple[int, ...]]:
        k, m, d = self.n_components, check_int(self.n_mix, "n_mix", minimum=1), self.n_features_
        kind = check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        cov = {"spherical": (k, m), "diag": (k, m, d), "full": (k, m, d, d), "tied": (k, d, d)}
        return {"weights": (k, m), "means": (k, m, d), "covars": cov[kind]}

    def _priors(self) -> dict[str, np.ndarray]:
        """hmmlearn's priors, defaults filled in and broadcast (without changing the
        constructor's values, as scikit-learn requires)."""
        cov_shape = self._shapes()["covars"]  # checks n_mix and covariance_type first
        k, m, d = self.n_components, self.n_mix, self.n_features_
        kind = self.covariance_type
        default_prior, default_weight = {
            "full": (0.0, -(1.0 + d + 1.0)),
            "tied": (0.0, -(m + d + 1.0)),
            "diag": (-1.5, 0.0),
            "spherical": (-(m + 2.0) / 2.0, 0.0),
        }[kind]
        cp = default_prior if self.covars_prior is None else self.covars_prior
        cw = default_weight if self.covars_weight is None else self.covars_weight
        weight_shape = {"full": (k, m), "tied": (k,), "diag": (k, m, d), "spherical": (k, m)}
        return {
            "weights": check_prior(self.weights_prior, "weights_prior", (k, m), nonnegative=False,
                                   what="Dirichlet pseudo-counts"),
            "means": check_prior(self.means_prior, "means_prior", (k, m, d), nonnegative=False),
            "means_weight": check_prior(self.means_weight, "means_weight", (k, m)),
            "covars": check_prior(cp, "covars_prior", cov_shape, nonnegative=False),
            "covars_weight": check_prior(cw, "covars_weight", weight_shape[kind],
                                         nonnegative=False),
        }

    def _check_emission_priors(self) -> None:
        self._priors()

    def _validate_X(self, X: Any, *, fitting: bool) -> np.ndarray:
        marginalize = check_choice(self.missing, "missing", MISSING) == "marginalize"
        arr = as_float_array(X, "X", ndim=(1, 2), allow_nonfinite=marginalize)
        arr = arr.reshape(len(arr), -1)
        if marginalize:
            check_missing(arr, self.covariance_type, partial_ok=("diag", "spherical"))
        if not fitting and arr.shape[1] != self.n_features_:
            raise SeqlabValueError(
                f"X has {arr.shape[1]} feature(s) but the model was built for "
                f"{self.n_features_}."
            )
        if fitting:
            self.n_features_ = arr.shape[1]
        return arr

    # ------------------------------------------------------------------ parameters
    def _init_emissions(self, X: np.ndarray, rng: np.random.Generator, names: set[str]) -> None:
        k, m, d = self.n_components, check_int(self.n_mix, "n_mix", minimum=1), X.shape[1]
        n_rows, X = len(X), X[~np.isnan(X).any(axis=1)]  # missing: use the complete rows
        if len(X) < n_rows and len(X) < max(k, 2) and names & {"means", "covars"}:
            raise SeqlabValueError(
                f"only {len(X)} row(s) of X have no missing value, too few to initialise "
                f"{k} states; give means_ and covars_ (init_params without 'm' and 'c')."
            )
        cv = np.atleast_2d(np.cov(X.T)) if len(X) > 1 else np.zeros((d, d))
        cv = cv + self.min_covar * np.eye(d)
        if "means" in names:
            centers = _kmeans(X, k, rng)
            label = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
            means = []
            for j in range(k):
                rows = X[label == j]
                if len(rows) >= m:
                    means.append(_kmeans(rows, m, rng))
                else:  # too few frames for this state: spread its components around
                    means.append(rng.multivariate_normal(centers.mean(axis=0), cv, size=m))
            self.means_ = np.stack(means)
        if "weights" in names:
            self.weights_ = np.full((k, m), 1.0 / m)
        if "covars" in names:
            self.covars_ = {
                "spherical": np.full((k, m), np.diag(cv).mean()),
                "diag": np.tile(np.diag(cv), (k, m, 1)),
                "full": np.tile(cv, (k, m, 1, 1)),
                "tied": np.tile(cv, (k, 1, 1)),
            }[self.covariance_type]

    def _check_emissions(self) -> None:
        means = as_float_array(self.means_, "means_", ndim=3)
        self.n_features_ = means.shape[2]
        shapes = self._shapes()
        self.weights_ = check_stochastic(self.weights_, "weights_", shapes["weights"])
        for name in ("means", "covars"):
            value = as_float_array(getattr(self, name + "_"), name + "_", ndim=range(1, 5))
            if value.shape != shapes[name]:
                raise SeqlabValueError(
                    f"{name}_ must have shape {shapes[name]} (covariance_type="
                    f"{self.covariance_type!r}, n_mix={self.n_mix}); got {value.shape}."
                )
            setattr(self, name + "_", value)
        if self.covariance_type in ("spherical", "diag"):
            if (self.covars_ <= 0).any():
                raise SeqlabValueError(f"{self.covariance_type} covars_ must be positive.")
            return
        d = self.n_features_
        for i, c in enumerate(self.covars_.reshape(-1, d, d)):
            if not np.allclose(c, c.T):
                raise SeqlabValueError(f"covars_ matrix {i} must be symmetric.")
            robust_cholesky(c, f"covars_ matrix {i}")

    # ------------------------------------------------------------------ densities
    def _component_logpdf(self, X: np.ndarray) -> np.ndarray:
        """``log w_km + log N(x_t; mu_km, Sigma_km)``, shape (T, K, M)."""
        if self.missing == "marginalize" and np.isnan(X).any():
            return _hmm_missing_gmm.component_logpdf(self, X)
        k, m, d = self.means_.shape
        kind = self.covariance_type
        with np.errstate(divide="ignore"):
            out = np.repeat(np.log(self.weights_)[None], len(X), axis=0)  # (T, K, M)
        if kind in ("spherical", "diag"):
            var = np.broadcast_to(self.covars_.reshape(k, m, -1), (k, m, d))
            log_norm = -0.5 * (d * _LOG_2PI + np.log(var).sum(axis=2))  # (K, M)
            for i in range(k):
                for j in range(m):
                    diff = X - self.means_[i, j]
                    out[:, i, j] += log_norm[i, j] - 0.5 * ((diff * diff) @ (1.0 / var[i, j]))
            return out
        chols = np.array([robust_cholesky(self.covars_[i] if kind == "tied" else
                                          self.covars_[i, j],
                                          f"covars_ of state {i}, component {j}")
                          for i in range(k) for j in range(m)])  # (K M, D, D)
        log_det = 2.0 * np.log(np.diagonal(chols, axis1=1, axis2=2)).sum(axis=1)
        dens = gaussian_logpdf_full(np.ascontiguousarray(X),
                                    np.ascontiguousarray(self.means_.reshape(k * m, d)),
                                    chols, -0.5 * (d * _LOG_2PI + log_det))
        return out + dens.reshape(len(X), k, m)

    def _log_frameprob(self, X: np.ndarray) -> np.ndarray:
        lse, resp = _mixture_logsumexp(self._component_logpdf(X))
        if self.__dict__.get("_in_fit"):  # the E-step's, reused by _emission_stats
            self.__dict__["_resp_cache"] = (X, resp)
        return lse

    # ------------------------------------------------------------------ EM
    def fit(self, X: Any, y: Any = None, lengths: Any = None) -> GMMHMM:
        """Baum–Welch EM (see :meth:`BaseHMM.fit`); the E-step's component densities are
        computed once per iteration and reused for the mixture statistics."""
        self.__dict__["_in_fit"] = True
        try:
            return super().fit(X, y, lengths)
        finally:
            self.__dict__.pop("_in_fit", None)
            self.__dict__.pop("_resp_cache", None)

    def _emission_stats(self, X: np.ndarray, posteriors: np.ndarray, learn: set[str]) -> dict:
        if not learn & {"weights", "means", "covars"}:
            return {}
        cached = self.__dict__.pop("_resp_cache", None)  # same X, same parameters (fit)
        if cached is not None and cached[0] is X:
            resp = cached[1]
        else:
            resp = _mixture_logsumexp(self._component_logpdf(X))[1]
        with np.errstate(under="ignore"):
            post_mix = posteriors[:, :, None] * resp  # (T, K, M)
        if self.missing == "marginalize" and np.isnan(X).any():
            return _hmm_missing_gmm.mixture_stats(self, X, posteriors, post_mix, learn)
        stats = {"post_mix_sum": post_mix.sum(axis=0), "post_sum": posteriors.sum(axis=0),
                 "m_n": np.einsum("tkm,td->kmd", post_mix, X)}
        if "covars" in learn:  # scatter around the E-step's means (as hmmlearn)
            k, m, d = self.means_.shape
            kind = self.covariance_type
            if kind in ("diag", "spherical"):
                c_n = np.zeros((k, m, d))
                for i in range(k):
                    for j in range(m):
                        diff = X - self.means_[i, j]
                        c_n[i, j] = post_mix[:, i, j] @ (diff * diff)
                stats["c_n"] = c_n.sum(axis=2) if kind == "spherical" else c_n
            else:
                c_n = np.zeros((k, m, d, d))
                for i in range(k):
                    for j in range(m):
                        diff = X - self.means_[i, j]
                        c_n[i, j] = (diff * post_mix[:, i, j, None]).T @ diff
                stats["c_n"] = c_n.sum(axis=1) if kind == "tied" else c_n
        return stats

    def _emission_mstep(self, stats: dict, learn: set[str]) -> None:
        if not stats:
            return
        pri = self._priors()
        d = self.n_features_
        pms = stats["post_mix_sum"]
        pmo = stats.get("post_mix_obs")  # (K, M, D) with missing values, else None
        if "weights" in learn:
            a1 = pri["weights"] - 1.0
            self.weights_ = (pms + a1) / (stats["post_sum"] + a1.sum(axis=1))[:, None]
        if "means" in learn:
            m_n = pri["means_weight"][:, :, None] * pri["means"] + stats["m_n"]
            lam = pri["means_weight"]
            unused = (self.weights_ == 0) & (m_n == 0).all(axis=-1)
            if pmo is None:
                self.means_ = m_n / np.where(unused, 1.0, pms + lam)[:, :, None]
            else:
                self.means_ = m_n / np.where(unused[:, :, None], 1.0, pmo + lam[:, :, None])
        if "covars" not in learn:
            return
        lam, diff = pri["means_weight"], self.means_ - pri["means"]
        kind, cp, cw = self.covariance_type, pri["covars"], pri["covars_weight"]
        if kind == "full":
            c_n = (np.swapaxes(cp, -1, -2) + lam[:, :, None, None]
                   * np.einsum("kmi,kmj->kmij", diff, diff) + stats["c_n"])
            n_kd = pms if pmo is None else pmo[:, :, 0]  # complete rows (whole-row NaN)
            c_d = (n_kd + 1.0 + cw + d + 1.0)[:, :, None, None]
        elif kind == "diag":
            c_n = lam[:, :, None] * diff**2 + 2.0 * cw + stats["c_n"]
            c_d = (pms[:, :, None] if pmo is None else pmo) + 1.0 + 2.0 * (cp + 1.0)
        elif kind == "spherical":
            c_n = lam * np.einsum("kmd,kmd->km", diff, diff) + 2.0 * cw + stats["c_n"]
            c_d = (d * (pms + 1.0) if pmo is None else pmo.sum(axis=2) + d) + 2.0 * (cp + 1.0)
        else:  # tied
            c_n = (np.einsum("km,kmi,kmj->kij", lam, diff, diff) + np.swapaxes(cp, -1, -2)
                   + stats["c_n"])
            n_k = stats.get("post_sum_obs", stats["post_sum"])
            c_d = (n_k + self.n_mix + cw + d + 1.0)[:, None, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            new = c_n / c_d
        new = np.where(np.isfinite(new), new, self.covars_)  # a component with no weight
        if kind in ("spherical", "diag"):  # a state on a constant column: variance -> 0
            new = np.maximum(new, self.min_covar)
        self.covars_ = new

    def _emission_n_params(self) -> dict[str, int]:
        k, m, d = self.n_components, self.n_mix, self.n_features_
        cov = {"spherical": k * m, "diag": k * m * d, "full": k * m * d * (d + 1) // 2,
               "tied": k * d * (d + 1) // 2}[self.covariance_type]
        return {"weights": k * (m - 1), "means": k * m * d, "covars": cov}

    def _state_means(self) -> np.ndarray:
        return np.einsum("km,kmd->kd", self.weights_, self.means_)

    def _sample_emissions(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        k, m, d = self.means_.shape
        cdf = np.cumsum(self.weights_, axis=1)[states]
        comp = np.minimum((cdf <= rng.random(len(states))[:, None]).sum(axis=1), m - 1)
        kind = self.covariance_type
        if kind in ("spherical", "diag"):
            sd = np.sqrt(np.broadcast_to(self.covars_.reshape(k, m, -1), (k, m, d)))
            scale = sd[states, comp]
            return self.means_[states, comp] + scale * rng.standard_normal((len(states), d))
        covs = self.covars_[states] if kind == "tied" else self.covars_[states, comp]
        chols = np.array([robust_cholesky(c, "covars_") for c in covs])
        z = rng.standard_normal((len(states), d))
        return self.means_[states, comp] + np.einsum("tij,tj->ti", chols, z)

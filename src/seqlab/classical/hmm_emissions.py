"""Emission families of the hidden Markov model: categorical symbols and Gaussian vectors.

Each family is a :class:`~seqlab.classical.hmm_base.BaseHMM` plus a handful of hooks (the
log-probability of each frame, the sufficient statistics, the M-step, sampling); adding a new
family means writing those hooks only. The M-steps are the maximum a-posteriori updates
hmmlearn uses (Dirichlet prior on the categorical rows; normal prior on the means and
inverse-gamma / inverse-Wishart prior on the covariances, after Huang, Acero & Hon,
"Spoken Language Processing", 2001, pp. 443–445), so parameters agree with hmmlearn's after the
same EM iterations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import linalg

from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_choice,
    check_int,
    check_min_features,
    refuse_sparse,
)
from seqlab.classical import _hmm_kernels as kernels
from seqlab.classical.hmm_base import BaseHMM, _normalize_rows, check_stochastic
from seqlab.exceptions import ComplexDataError, SeqlabTypeError, SeqlabValueError

__all__ = ["COVARIANCE_TYPES", "CategoricalHMM", "GaussianHMM"]

COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")
_LOG_2PI = np.log(2.0 * np.pi)


class CategoricalHMM(BaseHMM):
    """Hidden Markov model with categorical emissions (symbols ``0 .. n_features - 1``).

    ``p(x_t = m | z_t = k) = B[k, m]`` with ``B = emissionprob_``; the M-step is
    ``B[k, m] ∝ max(emissionprob_prior - 1 + sum_t gamma_t(k) [x_t = m], 0)``.

    ====================  ======================  ==========================================
    attribute             shape                   meaning
    ====================  ======================  ==========================================
    ``startprob_``        (K,)                    p(z_0 = k)
    ``transmat_``         (K, K)                  p(z_t = j | z_{t-1} = i)
    ``emissionprob_``     (K, M)                  p(x_t = m | z_t = k)
    ``monitor_``          —                       EM history (:class:`ConvergenceMonitor`)
    ``X`` (input)         (T,) or (T, 1)          integer symbols, sequences concatenated
    ``lengths``           (S,)                    frames per sequence, summing to T
    ====================  ======================  ==========================================

    ``init="random"`` draws ``emissionprob_`` uniformly and normalises it; parameters left out
    of ``init_params`` must be set as attributes before ``fit``; ``fixed`` names parameters EM
    keeps unchanged.

    >>> import numpy as np
    >>> x = np.array([0, 0, 1, 1, 1, 0, 2, 2, 2, 2])
    >>> m = CategoricalHMM(2, seed=0, n_iter=20).fit(x)
    >>> m.emissionprob_.shape, bool(np.allclose(m.transmat_.sum(axis=1), 1))
    ((2, 3), True)
    >>> m.predict(x).shape
    (10,)
    """

    _emission_names = ("emissionprob",)
    _init_methods = ("random",)

    def __init__(
        self,
        n_components: int = 1,
        *,
        n_features: int | None = None,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        emissionprob_prior: Any = 1.0,
        algorithm: str = "viterbi",
        seed: SeedLike = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        init: str = "random",
        init_params: Sequence[str] | None = None,
        fixed: Sequence[str] = (),
    ) -> None:
        self.n_components = n_components
        self.n_features = n_features
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.algorithm = algorithm
        self.seed = seed
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.init = init
        self.init_params = init_params
        self.fixed = fixed

    def _alphabet_size(self, symbols: np.ndarray, fitting: bool) -> int:
        if self.n_features is not None:
            return check_int(self.n_features, "n_features", minimum=1)
        given = getattr(self, "emissionprob_", None)
        keep = "emissionprob" not in self._names(self.init_params, "init_params", ("emissionprob",))
        if given is not None and (keep or not fitting):
            return int(np.shape(given)[-1])
        return int(symbols.max()) + 1

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True  # symbols (T,); (T, 1) is accepted too
        tags.input_tags.categorical = True
        tags.input_tags.positive_only = True  # symbols 0..n_features-1
        return tags

    def _validate_X(self, X: Any, *, fitting: bool) -> np.ndarray:
        refuse_sparse(X)
        arr = np.asarray(X)
        if arr.dtype.kind == "c":
            raise ComplexDataError("Complex data not supported: X must hold integer symbols.")
        if arr.dtype.kind == "O":  # numbers stored as objects (e.g. from pandas)
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError) as err:
                raise SeqlabTypeError(f"X must hold integer symbols; {err}") from None
        if arr.dtype.kind not in "biuf":
            raise SeqlabTypeError(
                f"X must hold integer symbols 0..n_features-1; got dtype {arr.dtype}. Encode "
                "text first (e.g. seqlab.data.encode_dna for DNA)."
            )
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise SeqlabValueError("X contains NaN or infinite values; symbols must be integers.")
        if arr.ndim == 2:
            check_min_features(arr)
            if arr.shape[1] == 1:
                arr = arr[:, 0]
        if arr.ndim != 1 or arr.size == 0:
            raise SeqlabValueError(f"X must be a non-empty 1-D array of symbols (or (T, 1)); got "
                             f"shape {arr.shape}.")
        if arr.dtype.kind == "f" and (arr != np.round(arr)).any():
            raise SeqlabValueError("X contains non-integer values; symbols must be integers.")
        symbols = arr.astype(np.int64, copy=False)
        if symbols.min() < 0:
            raise SeqlabValueError(
                "Negative values in data: X contains negative symbols (first at index "
                f"{int(np.argmax(symbols < 0))}); symbols must be 0..n_features-1."
            )
        n_symbols = self._alphabet_size(symbols, fitting)
        if symbols.max() >= n_symbols:
            raise SeqlabValueError(
                f"X contains symbol {int(symbols.max())}, outside the model's alphabet "
                f"0..{n_symbols - 1} (n_features={n_symbols}); re-encode X or raise n_features."
            )
        if fitting:
            self.n_features_ = n_symbols
        return np.ascontiguousarray(symbols)

    def _init_emissions(self, X: np.ndarray, rng: np.random.Generator, names: set[str]) -> None:
        if "emissionprob" in names:
            e = rng.random((self.n_components, self.n_features_))
            self.emissionprob_ = e / e.sum(axis=1, keepdims=True)

    def _check_emissions(self) -> None:
        shape = np.shape(self.emissionprob_)
        n_symbols = shape[-1] if len(shape) == 2 else 0
        if self.n_features is not None and n_symbols != self.n_features:
            raise SeqlabValueError(f"emissionprob_ has {n_symbols} columns but n_features="
                             f"{self.n_features}.")
        self.emissionprob_ = check_stochastic(
            self.emissionprob_, "emissionprob_", (self.n_components, max(n_symbols, 1))
        )
        self.n_features_ = n_symbols

    def _frameprob(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        table = np.ascontiguousarray(self.emissionprob_.T)
        return kernels.gather_rows(table, X), 0.0  # exact probabilities: no shift needed

    def _log_frameprob(self, X: np.ndarray) -> np.ndarray:
        return kernels.gather_rows(*self._log_frame_table(X))

    def _log_frame_table(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(divide="ignore"):
            return np.ascontiguousarray(np.log(self.emissionprob_).T), X

    def _emission_stats(self, X: np.ndarray, posteriors: np.ndarray, learn: set[str]) -> dict:
        if "emissionprob" not in learn:
            return {}
        return {"obs": kernels.categorical_counts(X, posteriors, self.n_features_)}

    def _emission_mstep(self, stats: dict, learn: set[str]) -> None:
        if "emissionprob" in learn:
            new = np.maximum(np.asarray(self.emissionprob_prior) - 1.0 + stats["obs"], 0.0)
            self.emissionprob_ = _normalize_rows(new, self.emissionprob_)

    def _emission_n_params(self) -> dict[str, int]:
        return {"emissionprob": self.n_components * (self.n_features_ - 1)}

    def _sample_emissions(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cdf = np.cumsum(self.emissionprob_, axis=1)[states]  # (n, M)
        x = (cdf <= rng.random(len(states))[:, None]).sum(axis=1)
        return np.minimum(x, self.n_features_ - 1).reshape(-1, 1)


def _kmeans(X: np.ndarray, k: int, rng: np.random.Generator, n_iter: int = 25) -> np.ndarray:
    """k-means++ seeding then Lloyd iterations (on at most 20,000 sampled rows)."""
    if len(X) > 20_000:
        X = X[rng.choice(len(X), 20_000, replace=False)]
    centers = [X[rng.integers(len(X))]]
    d2 = ((X - centers[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(len(X), 1.0 / len(X))
        centers.append(X[rng.choice(len(X), p=p)])
        d2 = np.minimum(d2, ((X - centers[-1]) ** 2).sum(axis=1))
    c = np.array(centers)
    for _ in range(n_iter):
        label = ((X[:, None, :] - c[None]) ** 2).sum(axis=2).argmin(axis=1)
        new = np.array([X[label == j].mean(axis=0) if (label == j).any() else c[j]
                        for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return c


class GaussianHMM(BaseHMM):
    """Hidden Markov model with Gaussian emissions ``x_t | z_t = k ~ N(mu_k, Sigma_k)``.

    ``covariance_type``: ``"full"`` (one matrix per state), ``"diag"``, ``"spherical"``
    (``sigma_k^2 I``) or ``"tied"`` (one matrix shared by all states). M-step (hmmlearn's):
    ``mu_k = (w m_0 + sum_t gamma_tk x_t) / (w + sum_t gamma_tk)`` and
    ``Sigma_k = (covars_prior + w (mu_k-m_0)(mu_k-m_0)' + sum_t gamma_tk (x_t-mu_k)(x_t-mu_k)')
    / (max(covars_weight - c, 0) + sum_t gamma_tk)`` with ``w = means_weight``,
    ``m_0 = means_prior``, ``c = 1`` (diag, spherical) or ``D`` (full, tied); a scalar
    ``covars_prior`` is added to every entry, as hmmlearn does. ``min_covar`` is added to the
    diagonal of the initial covariance only (also as in hmmlearn).

    ==================  =============================  ======================================
    attribute           shape                          meaning
    ==================  =============================  ======================================
    ``means_``          (K, D)                         mu_k
    ``covars_``         (K, D, D) (always full)        Sigma_k; assign the compact form:
                                                       (K,) spherical, (K, D) diag,
                                                       (K, D, D) full, (D, D) tied
    ``X`` (input)       (T, D) or (T,)                 observations, sequences concatenated
    ==================  =============================  ======================================

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(-3, 1, 50), rng.normal(3, 1, 50)])
    >>> m = GaussianHMM(2, seed=0).fit(x)
    >>> np.sort(m.means_.ravel()).round(0)
    array([-3.,  3.])
    """

    _emission_names = ("means", "covars")
    _init_methods = ("kmeans", "random")

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "diag",
        min_covar: float = 1e-3,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        means_prior: Any = 0.0,
        means_weight: Any = 0.0,
        covars_prior: Any = 1e-2,
        covars_weight: Any = 1.0,
        algorithm: str = "viterbi",
        seed: SeedLike = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        init: str = "kmeans",
        init_params: Sequence[str] | None = None,
        fixed: Sequence[str] = (),
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
        self.algorithm = algorithm
        self.seed = seed
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.init = init
        self.init_params = init_params
        self.fixed = fixed

    @property
    def covars_(self) -> np.ndarray | None:
        """Covariance matrices, always as (K, D, D) (as hmmlearn's ``covars_``)."""
        cov = self.__dict__.get("_covars_")
        if cov is None:
            return None
        k, kind = self.n_components, self.covariance_type
        if kind == "full":
            return cov
        if kind == "tied":
            return np.broadcast_to(cov, (k, *cov.shape)).copy()
        d = self.means_.shape[1]
        var = np.broadcast_to(cov.reshape(k, -1), (k, d))
        return var[:, :, None] * np.eye(d)[None]

    @covars_.setter
    def covars_(self, value: Any) -> None:
        self._covars_ = np.array(value, dtype=np.float64)

    def _validate_X(self, X: Any, *, fitting: bool) -> np.ndarray:
        arr = as_float_array(X, "X", ndim=(1, 2))
        arr = check_min_features(arr.reshape(len(arr), -1))
        if not fitting and arr.shape[1] != self.n_features_:
            raise SeqlabValueError(f"X has {arr.shape[1]} feature(s) but the model was built for "
                             f"{self.n_features_}.")
        if fitting:
            self.n_features_ = arr.shape[1]
        return arr

    def _init_emissions(self, X: np.ndarray, rng: np.random.Generator, names: set[str]) -> None:
        k, d = self.n_components, X.shape[1]
        kind = check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        if "means" in names:
            if self.init == "kmeans":
                self.means_ = _kmeans(X, k, rng)
            else:
                self.means_ = X[rng.choice(len(X), k, replace=False)].copy()
        if "covars" in names:
            cv = np.atleast_2d(np.cov(X.T)) if len(X) > 1 else np.zeros((d, d))
            cv = cv + self.min_covar * np.eye(d)
            self._covars_ = {
                "spherical": np.full(k, np.diag(cv).mean()),
                "diag": np.tile(np.diag(cv), (k, 1)),
                "full": np.tile(cv, (k, 1, 1)),
                "tied": cv,
            }[kind]

    def _check_emissions(self) -> None:
        k = self.n_components
        kind = check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        self.means_ = as_float_array(self.means_, "means_", ndim=2)
        if self.means_.shape[0] != k:
            raise SeqlabValueError(f"means_ must have shape (n_components={k}, n_features); got "
                             f"{self.means_.shape}.")
        d = self.n_features_ = self.means_.shape[1]
        cov = self.__dict__.get("_covars_")
        want = {"spherical": (k,), "diag": (k, d), "full": (k, d, d), "tied": (d, d)}[kind]
        if cov is None or cov.shape != want or not np.isfinite(cov).all():
            got = None if cov is None else cov.shape
            raise SeqlabValueError(
                f"covars_ for covariance_type={kind!r} must be a finite array of "
                f"shape {want}; got {got}."
            )
        if kind in ("spherical", "diag"):
            if (cov <= 0).any():
                raise SeqlabValueError(f"{kind} covars_ must be positive; got {cov}.")
            return
        for i, c in enumerate(cov.reshape(-1, d, d)):
            if not np.allclose(c, c.T):
                raise SeqlabValueError(f"covars_[{i}] ({kind}) must be symmetric.")
            try:
                np.linalg.cholesky(c)
            except np.linalg.LinAlgError:
                raise SeqlabValueError(f"covars_[{i}] ({kind}) is not positive definite.") from None

    def _log_frameprob(self, X: np.ndarray) -> np.ndarray:
        k, d = self.means_.shape
        cov = self._covars_
        if self.covariance_type in ("diag", "spherical"):
            var = np.ascontiguousarray(np.broadcast_to(cov.reshape(k, -1), (k, d)))
            log_norm = -0.5 * (d * _LOG_2PI + np.log(var).sum(axis=1))
            return kernels.gaussian_logpdf_diag(X, self.means_, 1.0 / var, log_norm)
        out = np.empty((len(X), k))
        chols = cov.reshape(-1, d, d)
        for i in range(k):
            chol = np.linalg.cholesky(chols[i % len(chols)])
            sol = linalg.solve_triangular(chol, (X - self.means_[i]).T, lower=True)
            log_det = 2.0 * np.log(np.diag(chol)).sum()
            out[:, i] = -0.5 * (d * _LOG_2PI + log_det + np.einsum("ij,ij->j", sol, sol))
        return out

    def _new_means(self, post: np.ndarray, obs: np.ndarray) -> np.ndarray:
        w, m0 = self.means_weight, self.means_prior
        denom = w + post[:, None]
        new = np.divide(w * m0 + obs, denom, out=np.zeros_like(obs), where=denom > 0)
        return np.where(denom > 0, new, self.means_)

    def _emission_stats(self, X: np.ndarray, posteriors: np.ndarray, learn: set[str]) -> dict:
        if not learn & {"means", "covars"}:
            return {}
        post = posteriors.sum(axis=0)
        obs = posteriors.T @ X
        stats = {"post": post, "obs": obs}
        if "covars" in learn:
            # scatter around the means the M-step will use (centred: no cancellation)
            means = self._new_means(post, obs) if "means" in learn else self.means_
            full = self.covariance_type in ("full", "tied")
            scatter = kernels.weighted_scatter(X, posteriors, means, full)
            stats["scatter"] = scatter if full else scatter[:, :, 0]
        return stats

    def _emission_mstep(self, stats: dict, learn: set[str]) -> None:
        if "means" in learn:
            self.means_ = self._new_means(stats["post"], stats["obs"])
        if "covars" not in learn:
            return
        post, d = stats["post"], self.means_.shape[1]
        diff = self.means_ - self.means_prior
        kind = self.covariance_type
        if kind in ("spherical", "diag"):
            c_n = self.means_weight * diff**2 + stats["scatter"]
            c_d = max(float(np.max(self.covars_weight)) - 1.0, 0.0) + post[:, None]
            new = (self.covars_prior + c_n) / np.maximum(c_d, 1e-5)
            new = new.mean(axis=1) if kind == "spherical" else new
            keep = post > 0 if kind == "spherical" else (post > 0)[:, None]
            self._covars_ = np.where(keep, new, self._covars_)
            return
        c_n = self.means_weight * np.einsum("ki,kj->kij", diff, diff) + stats["scatter"]
        c_w = max(float(np.max(self.covars_weight)) - d, 0.0)
        if kind == "tied":
            self._covars_ = (self.covars_prior + c_n.sum(axis=0)) / (c_w + post.sum())
        else:
            new = (self.covars_prior + c_n) / (c_w + post[:, None, None])
            self._covars_ = np.where((post > 0)[:, None, None], new, self._covars_)

    def _emission_n_params(self) -> dict[str, int]:
        k, d = self.n_components, self.n_features_
        cov = {"spherical": k, "diag": k * d, "full": k * d * (d + 1) // 2,
               "tied": d * (d + 1) // 2}[self.covariance_type]
        return {"means": k * d, "covars": cov}

    def _sample_emissions(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        z = rng.standard_normal((len(states), self.n_features_))
        cov = self.covars_
        assert cov is not None  # _check_params ran in sample()
        chols = np.linalg.cholesky(cov)  # (K, D, D)
        return self.means_[states] + np.einsum("tij,tj->ti", chols[states], z)

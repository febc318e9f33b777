"""Gaussian emissions: ``x_t | z_t = k ~ N(mu_k, Sigma_k)`` with four covariance structures.

The M-steps are hmmlearn's maximum a-posteriori updates (normal prior on the means,
inverse-gamma / inverse-Wishart prior on the covariances, after Huang, Acero & Hon, "Spoken
Language Processing", 2001, pp. 443–445), so parameters agree with hmmlearn's after the same
EM iterations.

Units: squares of values beyond ~1e154 overflow (and below ~1e-154 underflow), so ``fit``
works on ``X / c`` with a power-of-two ``c`` (exact; ``_units``) when ``X`` is beyond 1e+-100,
with the priors converted to the same units, and converts the estimates back (means by ``c``,
covariances by ``c^2``; the log-likelihood of ``T`` frames of ``D`` values shifts by
``-T D log c``). Covariances that float64 cannot hold in ``X``'s units (beyond ~1e+-308) are
refused with a message saying to rescale ``X``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_choice,
    check_min_features,
    check_positive,
)
from seqlab.classical import _hmm_kernels as kernels
from seqlab.classical._hmm_checks import _target_or_lengths, check_prior
from seqlab.classical._hmm_gaussian_math import (
    _kmeans,
    _representable,
    _variances,
    gaussian_logpdf_full,
    robust_cholesky,
)
from seqlab.classical._hmm_missing import MISSING, check_missing, diag_logpdf, diag_stats
from seqlab.classical._units import magnitude, unit_for
from seqlab.classical.hmm_base import BaseHMM
from seqlab.exceptions import SeqlabValueError

__all__ = ["COVARIANCE_TYPES", "GaussianHMM"]

COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")
_LOG_2PI = np.log(2.0 * np.pi)


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

    ``missing="marginalize"`` accepts NaN for a missing value and integrates it out exactly
    (single coordinates with ``"diag"``/``"spherical"``, whole rows with every type); the
    default ``"raise"`` refuses NaN. ``n_init`` restarts EM and keeps the best run.

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
        covariance_type: str = "diag",
        min_covar: float = 1e-3,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        means_prior: Any = 0.0,
        means_weight: Any = 0.0,
        covars_prior: Any = 1e-2,
        covars_weight: Any = 1.0,
        algorithm: str = "viterbi",
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
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
        self.algorithm = algorithm
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
        self._covars_ = as_float_array(value, "covars_", ndim=(1, 2, 3), allow_nonfinite=True)

    def _validate_X(self, X: Any, *, fitting: bool) -> np.ndarray:
        marginalize = check_choice(self.missing, "missing", MISSING) == "marginalize"
        arr = as_float_array(X, "X", ndim=(1, 2), allow_nonfinite=marginalize)
        arr = check_min_features(arr.reshape(len(arr), -1))
        if marginalize:
            check_missing(arr, self.covariance_type, partial_ok=("diag", "spherical"))
        if not fitting and arr.shape[1] != self.n_features_:
            raise SeqlabValueError(f"X has {arr.shape[1]} feature(s) but the model was built for "
                             f"{self.n_features_}.")
        if fitting:
            self.n_features_ = arr.shape[1]
        return arr

    # ------------------------------------------------------------------ priors and units
    def _check_emission_priors(self) -> None:
        k, d = self.n_components, self.n_features_
        kind = check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        check_positive(self.min_covar, "min_covar", strict=False)
        check_prior(self.means_prior, "means_prior", (k, d), nonnegative=False,
                    what="the prior mean of each state")
        check_prior(self.means_weight, "means_weight", (k, d),
                    what="pseudo-observations of the prior mean")
        check_prior(self.covars_weight, "covars_weight", None,
                    what="pseudo-observations of the prior covariance")
        want = {"spherical": (k,), "diag": (k, d), "full": (k, d, d), "tied": (d, d)}[kind]
        cp = check_prior(self.covars_prior, "covars_prior", want, nonnegative=False,
                         what="a prior variance")
        diag = cp if kind in ("spherical", "diag") else np.diagonal(cp, axis1=-2, axis2=-1)
        if (diag < 0).any():
            raise SeqlabValueError(
                f"covars_prior must be >= 0 (on the diagonal for {kind!r}; a prior "
                f"variance); got {float(diag.min())!r}."
            )

    def _hyper(self, name: str) -> Any:
        """A prior in the units ``fit`` works in (``X / c``: locations / c, variances / c^2)."""
        value = getattr(self, name)
        c = self.__dict__.get("_fit_unit", 1.0)
        power = {"means_prior": 1, "covars_prior": 2, "min_covar": 2}.get(name, 0)
        if c == 1.0 or power == 0:
            return value
        value = np.asarray(value, dtype=np.float64) / c
        return value / c if power == 2 else value

    def fit(self, X: Any, y: Any = None, lengths: Any = None) -> GaussianHMM:
        """Estimate the parameters with Baum–Welch EM (see :meth:`BaseHMM.fit`; ``y`` is
        ignored, hmmlearn's positional ``fit(X, lengths)`` works).

        For ``X`` beyond 1e+-100 the EM runs on ``X / c`` (``c`` a power of two, priors in the
        same units) and the estimates are converted back exactly (module docstring).
        """
        lengths = _target_or_lengths(X, y, lengths)
        arr = self._validate_X(X, fitting=True)
        self._check_priors()
        priors = [np.abs(np.asarray(self.means_prior, dtype=np.float64)).max()]
        priors += [np.sqrt(np.abs(np.asarray(v, dtype=np.float64)).max())
                   for v in (self.covars_prior, self.min_covar)]
        c = unit_for(max(magnitude(arr[~np.isnan(arr)]), *priors))
        if c == 1.0:
            return super().fit(X, lengths=lengths)
        saved = {name: self.__dict__.get(name) for name in ("means_", "_covars_")}
        try:
            if saved["means_"] is not None:
                self.means_ = np.asarray(saved["means_"], dtype=np.float64) / c
            if saved["_covars_"] is not None:
                self._covars_ = (saved["_covars_"] / c) / c
            self._fit_unit = c
            super().fit(arr / c, lengths=lengths)
        except BaseException:
            self.__dict__.update(saved)
            raise
        finally:
            self.__dict__.pop("_fit_unit", None)
        with np.errstate(over="ignore", under="ignore"):
            means, covars = self.means_ * c, (self._covars_ * c) * c
        if not _representable(covars, self.covariance_type):
            var = _variances(self._covars_, self.covariance_type)
            self.__dict__.update(saved)
            raise SeqlabValueError(
                f"X's values are of magnitude ~{magnitude(arr):.1e}, so the fitted state "
                f"variances (~{float(np.median(var)):.2g} x {c:.2g}^2) are outside float64's "
                f"range (1e-308 to 1e308); divide X by a power of ten (e.g. X / {c:.0e}), fit, "
                "and read means_ and covars_ in those units."
            )
        self.means_, self._covars_ = means, covars
        self._reset_features(X, arr.shape[1])  # names of a DataFrame X, not of arr / c
        shift = arr.size * np.log(c)  # log p(X) = log p(X / c) - T D log c
        self.monitor_.history = [h - shift for h in self.monitor_.history]
        return self

    def _init_emissions(self, X: np.ndarray, rng: np.random.Generator, names: set[str]) -> None:
        k, d = self.n_components, X.shape[1]
        n_rows = len(X)
        X = X[~np.isnan(X).any(axis=1)]  # missing values: initialise from the complete rows
        if len(X) < n_rows and len(X) < max(k, 2) and names & {"means", "covars"}:
            raise SeqlabValueError(
                f"only {len(X)} row(s) of X have no missing value, too few to initialise "
                f"{k} states; give means_ and covars_ (init_params without 'm' and 'c')."
            )
        kind = check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        if "means" in names:
            if self.init == "kmeans":
                self.means_ = _kmeans(X, k, rng)
            else:
                self.means_ = X[rng.choice(len(X), k, replace=False)].copy()
        if "covars" in names:
            cv = np.atleast_2d(np.cov(X.T)) if len(X) > 1 else np.zeros((d, d))
            cv = cv + self._hyper("min_covar") * np.eye(d)
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
            robust_cholesky(c, f"covars_[{i}] ({kind})")

    def _log_frameprob(self, X: np.ndarray) -> np.ndarray:
        if self.missing == "marginalize" and np.isnan(X).any():
            miss = np.isnan(X).any(axis=1)
            if self.covariance_type in ("diag", "spherical"):
                k, d = self.means_.shape
                var = np.broadcast_to(self._covars_.reshape(k, -1), (k, d))
                return diag_logpdf(X, self.means_, var)
            out = np.zeros((len(X), self.n_components))  # a missing row: density 1
            out[~miss] = self._log_frameprob(X[~miss])
            return out
        k, d = self.means_.shape
        means, cov = self.means_, self._covars_
        # squares of extreme values overflow: evaluate the density of X / c (c a power of two)
        c = unit_for(max(magnitude(X), magnitude(means), np.sqrt(magnitude(cov))))
        if c != 1.0:
            X, means, cov = X / c, means / c, (cov / c) / c
        if self.covariance_type in ("diag", "spherical"):
            var = np.ascontiguousarray(np.broadcast_to(cov.reshape(k, -1), (k, d)))
            log_norm = -0.5 * (d * _LOG_2PI + np.log(var).sum(axis=1))
            out = kernels.gaussian_logpdf_diag(X, means, 1.0 / var, log_norm)
        else:
            covs = cov.reshape(-1, d, d)
            chols = np.array([robust_cholesky(covs[i % len(covs)], f"covars_[{i}]")
                              for i in range(k)])
            log_det = 2.0 * np.log(np.diagonal(chols, axis1=1, axis2=2)).sum(axis=1)
            out = gaussian_logpdf_full(np.ascontiguousarray(X), np.ascontiguousarray(means),
                                       chols, -0.5 * (d * _LOG_2PI + log_det))
        return out if c == 1.0 else out - d * np.log(c)

    def _new_means(self, post: np.ndarray, obs: np.ndarray) -> np.ndarray:
        w, m0 = self.means_weight, self._hyper("means_prior")
        denom = w + (post if post.ndim == 2 else post[:, None])  # (K, D) with missing values
        new = np.divide(w * m0 + obs, denom, out=np.zeros_like(obs), where=denom > 0)
        return np.where(denom > 0, new, self.means_)

    def _emission_stats(self, X: np.ndarray, posteriors: np.ndarray, learn: set[str]) -> dict:
        if not learn & {"means", "covars"}:
            return {}
        if self.missing == "marginalize" and np.isnan(X).any():
            if self.covariance_type in ("full", "tied"):  # whole rows: statistics without
                rows = ~np.isnan(X).any(axis=1)
                return self._emission_stats(X[rows], posteriors[rows], learn)
            post_kd, obs_kd, _ = diag_stats(X, posteriors)
            stats: dict[str, Any] = {"post": post_kd, "obs": obs_kd}
            if "covars" in learn:
                centre = self._new_means(post_kd, obs_kd) if "means" in learn else self.means_
                stats["scatter"] = diag_stats(X, posteriors, centre)[2]
            return stats
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
        diff = self.means_ - self._hyper("means_prior")
        covars_prior = self._hyper("covars_prior")
        kind = self.covariance_type
        if kind in ("spherical", "diag"):
            c_n = self.means_weight * diff**2 + stats["scatter"]
            post_kd = post if post.ndim == 2 else post[:, None]  # (K, D) with missing values
            c_d = max(float(np.max(self.covars_weight)) - 1.0, 0.0) + post_kd
            new = (covars_prior + c_n) / np.maximum(c_d, 1e-5)
            if kind == "spherical" and post.ndim == 2:  # missing: pool observed coordinates
                new = (d * covars_prior + c_n.sum(1)) / np.maximum(c_d.sum(1), 1e-5)
            new = new.mean(axis=1) if new.ndim == 2 and kind == "spherical" else new
            keep = post_kd.sum(axis=1) > 0 if kind == "spherical" else post_kd > 0
            self._covars_ = np.where(keep, new, self._covars_)
            self._check_variances()
            return
        c_n = self.means_weight * np.einsum("ki,kj->kij", diff, diff) + stats["scatter"]
        c_w = max(float(np.max(self.covars_weight)) - d, 0.0)
        if kind == "tied":
            self._covars_ = (covars_prior + c_n.sum(axis=0)) / (c_w + post.sum())
        else:
            new = (covars_prior + c_n) / (c_w + post[:, None, None])
            self._covars_ = np.where((post > 0)[:, None, None], new, self._covars_)
        self._check_variances()

    def _check_variances(self) -> None:
        """After an M-step: every variance a positive normal float (else a clear error)."""
        cov = self._covars_
        if _representable(cov, self.covariance_type):
            return
        diag = _variances(cov, self.covariance_type)
        worst = float(np.min(diag)) if np.isfinite(diag).all() else float("inf")
        raise SeqlabValueError(
            f"a state's variance became {worst:.3g}, outside float64's range: either X's "
            "values are too extreme to square (divide X by a power of ten) or a state "
            "collapsed onto identical frames (set covars_prior > 0, e.g. the default 1e-2)."
        )

    def _emission_n_params(self) -> dict[str, int]:
        k, d = self.n_components, self.n_features_
        cov = {"spherical": k, "diag": k * d, "full": k * d * (d + 1) // 2,
               "tied": d * (d + 1) // 2}[self.covariance_type]
        return {"means": k * d, "covars": cov}

    def _state_means(self) -> np.ndarray:
        return np.asarray(self.means_)

    def _sample_emissions(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        z = rng.standard_normal((len(states), self.n_features_))
        cov = self.covars_
        assert cov is not None  # _check_params ran in sample()
        chols = np.array([robust_cholesky(c, f"covars_[{i}]") for i, c in enumerate(cov)])
        return self.means_[states] + np.einsum("tij,tj->ti", chols[states], z)

"""Poisson emissions: ``x_td | z_t = k ~ Poisson(lambda_kd)``, the D counts independent.

The hidden Markov model of count data (events per day, reads per window) with hmmlearn's
``PoissonHMM`` names (``lambdas_``, ``lambdas_prior``, ``lambdas_weight``, letter code
``"l"``). The M-step is the posterior mean under a Gamma(alpha, beta) prior on each rate
(Hyvönen & Tolonen, "Bayesian inference", 2019, sec. 3.2):

    lambda_kd = (alpha_kd + sum_t gamma_tk x_td) / (beta_kd + sum_t gamma_tk),

which with the default ``alpha = beta = 0`` is the maximum-likelihood weighted mean, equal
to hmmlearn's. (hmmlearn's own update with a non-zero prior uses the total frame count
``sum_tk gamma_tk`` in place of each state's ``sum_t gamma_tk``; seqlab uses the state's, as
the cited formula does.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import gammaln, xlogy

from seqlab._validation import SeedLike, as_float_array, check_choice, check_min_features
from seqlab.classical._hmm_checks import check_prior
from seqlab.classical._hmm_missing import MISSING
from seqlab.classical.hmm_base import BaseHMM
from seqlab.exceptions import SeqlabValueError

__all__ = ["PoissonHMM"]


class PoissonHMM(BaseHMM):
    """Hidden Markov model with Poisson emissions ``x_td | z_t = k ~ Poisson(lambda_kd)``.

    ==================  ===========  ===============================================
    attribute           shape        meaning
    ==================  ===========  ===============================================
    ``lambdas_``        (K, D)       rate of count d in state k
    ``X`` (input)       (T, D)/(T,)  non-negative integer counts (as floats or ints)
    ==================  ===========  ===============================================

    ``missing="marginalize"`` takes NaN for a missing count and integrates it out (the
    counts are independent given the state, so any coordinate may be missing).

    Initialisation (as hmmlearn): every rate drawn from a Gamma distribution with the mean
    and variance of all of ``X`` (method of moments).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.poisson(2.0, 200), rng.poisson(20.0, 200)])
    >>> m = PoissonHMM(2, random_state=0, n_iter=50).fit(x)
    >>> np.sort(m.lambdas_.ravel()).round(0)
    array([ 2., 20.])
    """

    _emission_names = ("lambdas",)
    _init_methods = ("random",)

    def __init__(
        self,
        n_components: int = 1,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        lambdas_prior: Any = 0.0,
        lambdas_weight: Any = 0.0,
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
        init: str = "random",
        fixed: Sequence[str] = (),
        n_init: int = 1,
        missing: str = "raise",
    ) -> None:
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.lambdas_prior = lambdas_prior
        self.lambdas_weight = lambdas_weight
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

    def _validate_X(self, X: Any, *, fitting: bool) -> np.ndarray:
        marginalize = check_choice(self.missing, "missing", MISSING) == "marginalize"
        arr = as_float_array(X, "X", ndim=(1, 2), allow_nonfinite=marginalize)
        arr = check_min_features(arr.reshape(len(arr), -1))
        if marginalize and np.isinf(arr).any():
            raise SeqlabValueError("X contains infinite values; only NaN marks a missing count.")
        if (arr < 0).any():
            row = int(np.argwhere(arr < 0)[0, 0])
            raise SeqlabValueError(
                f"Negative values in data: X holds a negative count ({float(arr.min())!r}, "
                f"first in row {row}); PoissonHMM models counts 0, 1, 2, ..."
            )
        fractional = (arr != np.round(arr)) & ~np.isnan(arr)
        if fractional.any():
            row = int(np.argwhere(fractional)[0, 0])
            raise SeqlabValueError(
                f"X holds a non-integer count (first in row {row}); PoissonHMM models counts "
                "0, 1, 2, ...; round the data or use GaussianHMM for continuous values."
            )
        if not fitting and arr.shape[1] != self.n_features_:
            raise SeqlabValueError(
                f"X has {arr.shape[1]} feature(s) but the model was built for "
                f"{self.n_features_}."
            )
        if fitting:
            self.n_features_ = arr.shape[1]
        return arr

    def _gamma_prior(self) -> tuple[np.ndarray, np.ndarray]:
        """``(alpha, beta)`` broadcast to (K, D); a (K,) prior is one value per state."""
        k, d = self.n_components, self.n_features_
        out = []
        for name in ("lambdas_prior", "lambdas_weight"):
            value = np.asarray(getattr(self, name), dtype=np.float64)
            if value.shape == (k,) and d != k:
                value = value[:, None]
            out.append(check_prior(value, name, (k, d), what="a Gamma prior on the rates"))
        return out[0], out[1]

    def _check_emission_priors(self) -> None:
        self._gamma_prior()

    def _init_emissions(self, X: np.ndarray, rng: np.random.Generator, names: set[str]) -> None:
        if "lambdas" not in names:
            return
        mean, var = float(np.nanmean(X)), float(np.nanvar(X))  # NaN: missing (if allowed)
        shape = (self.n_components, X.shape[1])
        if mean > 0 and var > 0:
            self.lambdas_ = rng.gamma(shape=mean**2 / var, scale=var / mean, size=shape)
        else:  # constant data: every state at the data's rate, slightly apart
            self.lambdas_ = max(mean, 1e-3) * (1.0 + 0.1 * rng.random(shape))

    def _check_emissions(self) -> None:
        lam = as_float_array(self.lambdas_, "lambdas_", ndim=(1, 2))
        lam = lam.reshape(len(lam), -1) if lam.ndim == 2 else lam[:, None]
        if lam.shape[0] != self.n_components:
            raise SeqlabValueError(
                f"lambdas_ must have shape (n_components={self.n_components}, n_features); "
                f"got {np.shape(self.lambdas_)}."
            )
        if (lam < 0).any():
            raise SeqlabValueError(f"lambdas_ must be >= 0 (Poisson rates); got {lam.min()!r}.")
        self.lambdas_ = lam
        self.n_features_ = lam.shape[1]

    def _log_frameprob(self, X: np.ndarray) -> np.ndarray:
        lam = self.lambdas_
        observed = ~np.isnan(X)  # a missing count (missing="marginalize") contributes 0
        X = np.where(observed, X, 0.0)
        rate = observed @ lam.T  # (T, K): sum of the observed coordinates' rates
        const = gammaln(X + 1.0).sum(axis=1)[:, None]  # log x! per frame
        if (lam > 0).all():
            return X @ np.log(lam).T - rate - const
        # a zero rate: log p(0) = 0, log p(x > 0) = -inf (xlogy keeps 0 log 0 = 0)
        return xlogy(X[:, None, :], lam[None]).sum(axis=2) - rate - const

    def _emission_stats(self, X: np.ndarray, posteriors: np.ndarray, learn: set[str]) -> dict:
        if "lambdas" not in learn:
            return {}
        observed = ~np.isnan(X)
        return {"post": posteriors.T @ observed.astype(np.float64),  # (K, D)
                "obs": posteriors.T @ np.where(observed, X, 0.0)}

    def _emission_mstep(self, stats: dict, learn: set[str]) -> None:
        if "lambdas" not in learn:
            return
        alpha, beta = self._gamma_prior()
        denom = beta + stats["post"]
        new = np.divide(alpha + stats["obs"], denom, out=np.zeros_like(denom), where=denom > 0)
        self.lambdas_ = np.where(denom > 0, new, self.lambdas_)  # unvisited state: unchanged

    def _emission_n_params(self) -> dict[str, int]:
        return {"lambdas": self.n_components * self.n_features_}

    def _state_means(self) -> np.ndarray:
        return np.asarray(self.lambdas_)

    def _sample_emissions(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.poisson(self.lambdas_[states]).astype(np.float64)

"""Multinomial emissions: ``x_t | z_t = k ~ Multinomial(n_t, p_k)`` (hmmlearn's semantics).

Each frame is a vector of ``D`` non-negative integer counts summing to its number of trials
``n_t = sum_d x_td`` (hmmlearn's ``n_trials``: one value for every frame, one per frame, or
``None`` to take each frame's own total); a bag-of-words per time step, say. With one trial
per frame it is the categorical HMM in one-hot form. The M-step (hmmlearn's) is

    p_kd = sum_t gamma_tk x_td / sum_t gamma_tk n_t,

and ``log p(x_t | k) = log n_t! - sum_d log x_td! + sum_d x_td log p_kd``.

``missing="marginalize"`` takes a row of NaN for a missing frame (density 1 in every state:
only the transitions carry information there; the M-step sums the observed rows). A row
with only some counts missing is refused: the counts are tied by their total, so a single
missing count is not a marginal of the multinomial one can integrate out independently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import gammaln, xlogy

from seqlab._validation import SeedLike, as_float_array, check_choice
from seqlab.classical._hmm_missing import MISSING
from seqlab.classical.hmm_base import BaseHMM, _normalize_rows, check_stochastic
from seqlab.exceptions import SeqlabValueError

__all__ = ["MultinomialHMM"]


class MultinomialHMM(BaseHMM):
    """Hidden Markov model with multinomial emissions (counts of ``D`` outcomes per frame).

    ====================  ===========  =============================================
    attribute             shape        meaning
    ====================  ===========  =============================================
    ``emissionprob_``     (K, D)       p_kd, outcome probabilities of state k
    ``n_trials``          int/(T,)     trials per frame (None: each frame's total)
    ``X`` (input)         (T, D)       non-negative integer counts
    ====================  ===========  =============================================

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.multinomial(5, [0.7, 0.2, 0.1], 100),
    ...                rng.multinomial(5, [0.1, 0.2, 0.7], 100)])
    >>> m = MultinomialHMM(2, n_trials=5, random_state=0, n_iter=30).fit(X)
    >>> np.sort(m.emissionprob_[:, 0]).round(1)
    array([0.1, 0.7])
    """

    _emission_names = ("emissionprob",)
    _init_methods = ("random",)

    def __init__(
        self,
        n_components: int = 1,
        n_trials: Any = None,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
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
        self.n_trials = n_trials
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
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
        arr = as_float_array(X, "X", ndim=2, allow_nonfinite=marginalize)
        rows = self._observed_rows(arr) if marginalize else slice(None)
        if (arr[rows] < 0).any() or (arr[rows] != np.round(arr[rows])).any():
            raise SeqlabValueError(
                "X must hold non-negative integer counts (one column per outcome); got "
                f"{'a negative' if (arr[rows] < 0).any() else 'a non-integer'} value."
            )
        if self.n_trials is not None:
            want = np.broadcast_to(np.asarray(self.n_trials, dtype=np.float64), (len(arr),))
            bad = np.flatnonzero((arr.sum(axis=1) != want)[rows])
            bad = np.arange(len(arr))[rows][bad]
            if bad.size:
                raise SeqlabValueError(
                    f"row {int(bad[0])} of X sums to {arr[bad[0]].sum():g} counts but n_trials "
                    f"says {want[bad[0]]:g}; every row must add up to its number of trials "
                    "(or set n_trials=None)."
                )
        if not fitting and arr.shape[1] != self.n_features_:
            raise SeqlabValueError(
                f"X has {arr.shape[1]} outcome column(s) but the model was built for "
                f"{self.n_features_}."
            )
        if fitting:
            self.n_features_ = arr.shape[1]
        return arr

    @staticmethod
    def _observed_rows(arr: np.ndarray) -> np.ndarray:
        """Rows without NaN; refuses infinities and partly missing rows."""
        if np.isinf(arr).any():
            raise SeqlabValueError(
                "X contains infinite values; only NaN marks a missing row. Remove them."
            )
        miss = np.isnan(arr)
        partial = miss.any(axis=1) & ~miss.all(axis=1)
        if partial.any():
            raise SeqlabValueError(
                f"row {int(np.argmax(partial))} of X is partly missing (NaN); MultinomialHMM "
                "marginalises whole missing rows only (the counts are tied by their total). "
                "Mark the whole row NaN."
            )
        return ~miss.any(axis=1)

    def _init_emissions(self, X: np.ndarray, rng: np.random.Generator, names: set[str]) -> None:
        if "emissionprob" in names:
            e = rng.random((self.n_components, X.shape[1]))
            self.emissionprob_ = e / e.sum(axis=1, keepdims=True)

    def _check_emissions(self) -> None:
        shape = np.shape(self.emissionprob_)
        d = shape[-1] if len(shape) == 2 else 1
        self.emissionprob_ = check_stochastic(
            self.emissionprob_, "emissionprob_", (self.n_components, d)
        )
        self.n_features_ = d

    def _log_frameprob(self, X: np.ndarray) -> np.ndarray:
        if self.missing == "marginalize" and np.isnan(X).any():
            rows = ~np.isnan(X).any(axis=1)
            out = np.zeros((len(X), self.n_components))  # a missing row: density 1
            out[rows] = self._log_frameprob(X[rows])
            return out
        n = X.sum(axis=1)
        const = gammaln(n + 1.0) - gammaln(X + 1.0).sum(axis=1)  # log multinomial coefficient
        p = self.emissionprob_
        if (p > 0).all():
            return X @ np.log(p).T + const[:, None]
        return xlogy(X[:, None, :], p[None]).sum(axis=2) + const[:, None]

    def _emission_stats(self, X: np.ndarray, posteriors: np.ndarray, learn: set[str]) -> dict:
        if "emissionprob" not in learn:
            return {}
        if self.missing == "marginalize" and np.isnan(X).any():
            rows = ~np.isnan(X).any(axis=1)
            return {"obs": posteriors[rows].T @ X[rows]}
        return {"obs": posteriors.T @ X}

    def _emission_mstep(self, stats: dict, learn: set[str]) -> None:
        if "emissionprob" in learn:
            self.emissionprob_ = _normalize_rows(stats["obs"], self.emissionprob_)

    def _emission_n_params(self) -> dict[str, int]:
        return {"emissionprob": self.n_components * (self.n_features_ - 1)}

    def _state_means(self) -> np.ndarray:
        if self.n_trials is None or np.ndim(self.n_trials) != 0:
            raise SeqlabValueError(
                "the expected counts need one number of trials per frame: set n_trials to "
                f"an integer (got {self.n_trials!r})."
            )
        return float(self.n_trials) * np.asarray(self.emissionprob_)

    def _sample_emissions(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        trials = np.unique(np.asarray(self.n_trials if self.n_trials is not None else -1))
        if trials.size != 1 or trials[0] < 0 or trials[0] != int(trials[0]):
            raise SeqlabValueError(
                f"sampling needs one number of trials per frame: set n_trials to an integer "
                f"(got {self.n_trials!r})."
            )
        p = self.emissionprob_[states]
        return rng.multinomial(int(trials[0]), p).astype(np.float64)

"""The hidden Markov model shell: one EM loop, decoding, sampling; emissions are hooks.

A hidden Markov model has a discrete one-of-K hidden state ``z_t`` whose transitions are
stochastic and governed by a transition matrix, and a stochastic output ``x_t`` drawn from the
current state's emission distribution (the lecture's "Approach 2"):

    p(z_0 = i) = pi_i,    p(z_t = j | z_{t-1} = i) = A_ij,    x_t | z_t = j ~ b_j(.).

To predict the next output one needs the distribution over hidden states,
``p(z_t | x_{0:t})`` (forward pass) or ``p(z_t | x_{0:T})`` (forward–backward).

:class:`BaseHMM` implements, once for every emission family: the scaled forward–backward E-step
(numba kernels in ``_hmm_kernels``; Viterbi's in ``_hmm_viterbi``), Baum–Welch M-steps for
``startprob_`` and ``transmat_`` with Dirichlet priors and structural zeros kept at zero, the
EM loop with a :class:`ConvergenceMonitor`, Viterbi and posterior (MAP) decoding, sampling and
AIC/BIC; filtering, fixed-lag smoothing and prediction come from ``_hmm_online.OnlineMixin``.
An emission family (``hmm_emissions``) supplies a few hooks:

==========================  ============================================================
hook                        what it does
==========================  ============================================================
``_validate_X``             check/convert the observations, shape (T, ...)
``_init_emissions``         initialise the emission parameters named in ``init_params``
``_check_emissions``        validate user-given emission parameters
``_log_frameprob``          log b_j(x_t), shape (T, K)
``_emission_stats``         sufficient statistics from the posteriors gamma (T, K)
``_emission_mstep``         new emission parameters from the statistics
``_emission_n_params``      free scalars per emission parameter (for AIC/BIC)
``_sample_emissions``       draw x_t given a state path
==========================  ============================================================

Names follow hmmlearn (``startprob_``, ``transmat_``, ``monitor_``, ``score``, ``decode``) so
code moves between the two, and hmmlearn's constructor spellings are accepted as they are
(``random_state``, ``params="stmc"``, ``init_params=""``, ``implementation``; see
``_hmm_options``) next to seqlab's own (``seed``, ``fixed=("transmat",)``,
``init_params=("means",)``). Parameters neither given nor in ``init_params`` are
initialised, as hmmlearn does.
``fit`` and ``score`` take scikit-learn's ``(X, y)`` (the target is ignored) and still
hmmlearn's positional ``(X, lengths)``: see :func:`_target_or_lengths` for the rule.
Source: L. R. Rabiner (1989), "A tutorial on hidden Markov models", Proc. IEEE 77(2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from seqlab._validation import (
    check_choice,
    check_int,
    check_is_fitted,
    check_lengths,
    check_positive,
)
from seqlab.base import BaseEstimator
from seqlab.classical import _hmm_kernels as kernels
from seqlab.classical._hmm_checks import _target_or_lengths, check_prior, check_stochastic
from seqlab.classical._hmm_monitor import ConvergenceMonitor
from seqlab.classical._hmm_online import OnlineMixin
from seqlab.classical._hmm_options import check_implementation, parameter_names, resolve_rng
from seqlab.classical._hmm_restarts import fit_restarts
from seqlab.classical._hmm_viterbi import viterbi
from seqlab.exceptions import SeqlabValueError

__all__ = ["BaseHMM", "ConvergenceMonitor", "check_stochastic"]


def _normalize_rows(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Divide each row by its sum; a row with zero mass (never visited) keeps ``old``."""
    sums = new.sum(axis=-1, keepdims=True)
    out = np.divide(new, sums, out=np.zeros_like(new), where=sums > 0)
    return np.where(sums > 0, out, old)


class BaseHMM(OnlineMixin, BaseEstimator):
    """Hidden Markov model with the emission left to subclasses (see the module docstring).

    Subclasses define ``_emission_names`` (parameter names, e.g. ``("means", "covars")``),
    ``_init_methods`` (valid ``init`` strings) and the hooks in the module docstring.

    ==================  ===========  ==============================================
    name                shape        meaning
    ==================  ===========  ==============================================
    ``X``               (T, ...)     frames of all sequences, concatenated
    ``lengths``         (S,)         frames per sequence (None: one sequence)
    ``startprob_``      (K,)         pi_i = p(z_0 = i)
    ``transmat_``       (K, K)       A_ij = p(z_t = j | z_{t-1} = i), rows sum to 1
    ``predict_proba``   (T, K)       p(z_t = i | X)
    ==================  ===========  ==============================================

    >>> from seqlab.classical import CategoricalHMM
    >>> issubclass(CategoricalHMM, BaseHMM), CategoricalHMM(3).fixed
    (True, ())
    """

    _emission_names: tuple[str, ...] = ()
    _init_methods: tuple[str, ...] = ("random",)
    _ALGORITHMS = ("viterbi", "map")
    # like scikit-learn's GaussianMixture: score() is a log-likelihood, predict() a labelling
    _estimator_type = "density_estimator"

    # hyperparameters common to every family (subclass __init__ lists them explicitly)
    n_components: int
    startprob_prior: Any
    transmat_prior: Any
    algorithm: str
    seed: Any
    n_iter: int
    tol: float
    verbose: bool
    init: str
    init_params: Sequence[str] | str | None
    fixed: Sequence[str]
    random_state: Any
    n_init: int
    params: Sequence[str] | str | None
    implementation: str
    # learned (or user-given) state; declared for type checkers, set by fit
    startprob_: np.ndarray
    transmat_: np.ndarray
    n_features_: int
    monitor_: ConvergenceMonitor

    # ------------------------------------------------------------------ hooks
    def _validate_X(self, X: Any, *, fitting: bool) -> np.ndarray:
        raise NotImplementedError

    def _init_emissions(self, X: np.ndarray, rng: np.random.Generator, names: set[str]) -> None:
        raise NotImplementedError

    def _check_emissions(self) -> None:
        raise NotImplementedError

    def _log_frameprob(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _log_frame_table(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``(table, rows)`` with frame t's log emissions in ``table[rows[t]]`` (``rows``
        None: ``table[t]``). A family with few distinct frames (categorical) returns its
        small table so that Viterbi never builds the (T, K) array."""
        return self._log_frameprob(X), None

    def _emission_stats(self, X: np.ndarray, posteriors: np.ndarray, learn: set[str]) -> dict:
        raise NotImplementedError

    def _emission_mstep(self, stats: dict, learn: set[str]) -> None:
        raise NotImplementedError

    def _emission_n_params(self) -> dict[str, int]:
        raise NotImplementedError

    def _sample_emissions(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _state_means(self) -> np.ndarray:
        """``E[x | z = k]`` per state, shape (K, D) (categorical: symbol probabilities)."""
        raise NotImplementedError

    def _check_emission_priors(self) -> None:
        """Validate the emission family's priors (after ``_validate_X`` set ``n_features_``)."""

    def _check_priors(self) -> None:
        """Refuse NaN, infinite, negative or complex priors (they would freeze a parameter)."""
        k = check_int(self.n_components, "n_components", minimum=1)
        counts = "Dirichlet pseudo-counts"
        check_prior(self.startprob_prior, "startprob_prior", (k,), what=counts)
        check_prior(self.transmat_prior, "transmat_prior", (k, k), what=counts)
        self._check_emission_priors()

    def _frameprob(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        """Emission probabilities up to one factor per frame: ``(b (T, K), sum log factor)``.

        The default shifts each frame's log-probabilities by their maximum before ``exp`` so
        no frame underflows; families with exact probabilities (categorical) override it.
        """
        logp = self._log_frameprob(X)
        offset = kernels.shift_rows(logp)  # in place
        return np.exp(logp, out=logp), float(offset)

    # ------------------------------------------------------------------ parameters
    @property
    def _param_set(self) -> tuple[str, ...]:
        return ("startprob", "transmat", *self._emission_names)

    def _names(self, value: Any, arg: str, default: tuple[str, ...]) -> set[str]:
        return parameter_names(value, arg, self._param_set, default)

    def _learned(self) -> set[str]:
        """Parameters EM updates: ``params`` (hmmlearn's letters; None: all) less ``fixed``."""
        params = self._names(getattr(self, "params", None), "params", self._param_set)
        return params - self._names(self.fixed, "fixed", ())

    def _rng(self) -> np.random.Generator:
        restart = self.__dict__.get("_restart_rng")  # set by fit for each of n_init restarts
        if restart is not None:
            return restart
        return resolve_rng(self.seed, getattr(self, "random_state", None))

    def _check_params(self) -> None:
        """Validate the current parameters (user-given or learned)."""
        k = check_int(self.n_components, "n_components", minimum=1)
        self.startprob_ = check_stochastic(self.startprob_, "startprob_", (k,))
        self.transmat_ = check_stochastic(self.transmat_, "transmat_", (k, k))
        self._check_emissions()

    def _init_params(self, X: np.ndarray, rng: np.random.Generator) -> None:
        k = self.n_components
        names = self._names(self.init_params, "init_params", self._param_set)
        check_choice(self.init, "init", self._init_methods)
        for name in set(self._param_set) - names:
            stored = self.__dict__  # a property (covars_) keeps its value under "_name_"
            if stored.get(name + "_") is None and stored.get(f"_{name}_") is None:
                names.add(name)  # as hmmlearn: a parameter not given is initialised
        if "startprob" in names:
            self.startprob_ = np.full(k, 1.0 / k)
        if "transmat" in names:
            # persistent states (self-transition >= 1/2) break less often into a model that
            # alternates states every frame; random rows break the symmetry between states
            self.transmat_ = 0.5 * np.eye(k) + 0.5 * rng.dirichlet(np.ones(k), size=k)
        self._init_emissions(X, rng, names)

    @property
    def n_params(self) -> int:
        """Number of free scalar parameters estimated by ``fit`` (used by AIC/BIC)."""
        k = self.n_components
        counts = {"startprob": k - 1, "transmat": k * (k - 1), **self._emission_n_params()}
        learned = self._learned()
        return int(sum(v for name, v in counts.items() if name in learned))

    # ------------------------------------------------------------------ E-step
    def _prepare(self, X: Any, lengths: Any) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self, ["startprob_", "transmat_"])
        self._check_params()
        shape = np.asarray(X).shape  # (not np.shape: it dispatches on array-likes)
        self._check_features(X, shape[1] if len(shape) == 2 else 1)
        X = self._validate_X(X, fitting=False)
        bounds = np.concatenate([[0], np.cumsum(check_lengths(lengths, len(X)))])
        return X, bounds

    def _estep(self, X: np.ndarray, bounds: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        frameprob, offset = self._frameprob(X)
        log_prob, posteriors, xi = kernels.forward_backward(
            self.startprob_, self.transmat_, frameprob, bounds
        )
        return float(log_prob.sum()) + offset, posteriors, xi.sum(axis=0)

    def score(self, X: Any, y: Any = None, lengths: Any = None) -> float:
        """Log-likelihood ``log p(X)`` of the data, summed over the sequences.

        ``y`` is ignored (scikit-learn passes a target); hmmlearn's positional
        ``score(X, lengths)`` still works (see :func:`_target_or_lengths`).
        """
        lengths = _target_or_lengths(X, y, lengths)
        X, bounds = self._prepare(X, lengths)
        frameprob, offset = self._frameprob(X)
        log_prob = kernels.forward_score(self.startprob_, self.transmat_, frameprob, bounds)
        return float(log_prob.sum()) + offset

    def score_samples(self, X: Any, lengths: Any = None) -> tuple[float, np.ndarray]:
        """``(log p(X), posteriors)``; posteriors[t, i] = p(z_t = i | X), shape (T, K)."""
        X, bounds = self._prepare(X, lengths)
        log_prob, posteriors, _ = self._estep(X, bounds)
        return log_prob, posteriors

    def predict_proba(self, X: Any, lengths: Any = None) -> np.ndarray:
        """Posterior state probabilities ``p(z_t = i | X)``, shape (T, K); rows sum to 1."""
        return self.score_samples(X, lengths)[1]

    def decode(
        self, X: Any, lengths: Any = None, algorithm: str | None = None
    ) -> tuple[float, np.ndarray]:
        """Most likely states: ``(log_prob, states (T,))``.

        ``algorithm="viterbi"``: the single most probable path, ``log_prob = log p(X, z*)``.
        ``algorithm="map"``: each frame's most probable state (posterior decoding),
        ``log_prob = sum_t log max_i p(z_t = i | X)`` (hmmlearn reports the sum of the
        probabilities here instead).
        """
        chosen = self.algorithm if algorithm is None else algorithm
        algorithm = check_choice(chosen, "algorithm", self._ALGORITHMS)
        if algorithm == "map":
            _, post = self.score_samples(X, lengths)
            with np.errstate(divide="ignore"):
                return float(np.log(post.max(axis=1)).sum()), post.argmax(axis=1)
        X, bounds = self._prepare(X, lengths)
        with np.errstate(divide="ignore"):
            log_start, log_trans = np.log(self.startprob_), np.log(self.transmat_)
        table, rows = self._log_frame_table(X)
        log_prob, path = viterbi(log_start, log_trans, table, bounds, rows)
        return float(log_prob.sum()), path

    def predict(self, X: Any, lengths: Any = None) -> np.ndarray:
        """The decoded state sequence (``decode(X, lengths)[1]``)."""
        return self.decode(X, lengths)[1]

    # ------------------------------------------------------------------ fit (Baum–Welch)
    def fit(self, X: Any, y: Any = None, lengths: Any = None) -> Self:
        """Estimate the parameters with Baum–Welch EM; returns ``self``.

        With ``n_init > 1`` EM runs from ``n_init`` initialisations (each from the given
        parameters, the others drawn afresh from the seed's stream) and the run with the
        highest final log-likelihood is kept (``monitor_`` is that run's).

        Each iteration: E-step (gamma, xi by forward–backward), then the M-step of every
        parameter not in ``fixed``. Stops after ``n_iter`` iterations or when the
        log-likelihood gains less than ``tol`` (see ``monitor_``).

        ``y`` is ignored (scikit-learn passes a target); hmmlearn's positional
        ``fit(X, lengths)`` still works: a second argument with one entry per row of ``X``
        is a target, anything else there is ``lengths`` (see :func:`_target_or_lengths`).
        """
        lengths = _target_or_lengths(X, y, lengths)
        n_init = check_int(getattr(self, "n_init", 1), "n_init", minimum=1)
        if n_init == 1 or "_restart_rng" in self.__dict__:
            return self._fit_em(X, lengths)
        return fit_restarts(self, X, lengths, n_init)

    def _fit_em(self, X: Any, lengths: Any) -> Self:
        """One EM run from one initialisation (``fit`` without restarts)."""
        k = check_int(self.n_components, "n_components", minimum=1)
        check_int(self.n_iter, "n_iter", minimum=1)
        check_positive(self.tol, "tol", strict=False)
        X_given, X = X, self._validate_X(X, fitting=True)
        self._reset_features(X_given, X.shape[1] if X.ndim == 2 else 1)
        self._check_priors()
        lens = check_lengths(lengths, len(X))
        if k > len(X):
            raise SeqlabValueError(
                f"n_components={k} is larger than the number of observations ({len(X)}); "
                "use fewer states or more data."
            )
        bounds = np.concatenate([[0], np.cumsum(lens)])
        check_implementation(getattr(self, "implementation", "log"))
        learn = self._learned()
        self._init_params(X, self._rng())
        self._check_params()
        self.monitor_ = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
        for _ in range(self.n_iter):
            log_prob, posteriors, xi = self._estep(X, bounds)
            if not np.isfinite(log_prob):
                raise SeqlabValueError(
                    "the data have probability 0 under the current parameters (a frame is "
                    "impossible in every reachable state); check structural zeros in "
                    "startprob_/transmat_/emission parameters."
                )
            self._transition_mstep(posteriors[bounds[:-1]].sum(axis=0), xi, learn)
            self._emission_mstep(self._emission_stats(X, posteriors, learn), learn)
            self.monitor_.report(log_prob)
            if self.monitor_.converged:
                break
        return self

    def _transition_mstep(self, start: np.ndarray, trans: np.ndarray, learn: set[str]) -> None:
        # MAP under Dirichlet priors: max(prior - 1 + counts, 0), normalised; entries that are
        # zero stay zero (structural zeros of left-right models), as in hmmlearn.
        if "startprob" in learn:
            new = np.maximum(np.asarray(self.startprob_prior) - 1.0 + start, 0.0)
            new = np.where(self.startprob_ == 0, 0.0, new)
            self.startprob_ = _normalize_rows(new, self.startprob_)
        if "transmat" in learn:
            new = np.maximum(np.asarray(self.transmat_prior) - 1.0 + trans, 0.0)
            new = np.where(self.transmat_ == 0, 0.0, new)
            self.transmat_ = _normalize_rows(new, self.transmat_)

    # ------------------------------------------------------------------ sampling and criteria
    def sample(
        self,
        n_samples: int = 1,
        seed: Any = None,
        currstate: int | None = None,
        *,
        random_state: Any = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``(X, states)`` of ``n_samples`` frames; ``seed=None`` uses ``self.seed``.

        ``currstate`` fixes the first state (to continue a sampled sequence);
        ``random_state`` is hmmlearn's name for ``seed``.
        """
        check_is_fitted(self, ["startprob_", "transmat_"])
        self._check_params()
        n = check_int(n_samples, "n_samples", minimum=1)
        if seed is None and random_state is None:
            rng = self._rng()
        else:
            rng = resolve_rng(seed, random_state)
        first = -1
        if currstate is not None:
            first = check_int(currstate, "currstate", minimum=0, maximum=self.n_components - 1)
        states = kernels.sample_states(
            np.cumsum(self.startprob_), np.cumsum(self.transmat_, axis=1), rng.random(n), first
        )
        return self._sample_emissions(states, rng), states

    def aic(self, X: Any, lengths: Any = None) -> float:
        """Akaike information criterion ``-2 log p(X) + 2 n_params`` (lower is better)."""
        return -2.0 * self.score(X, lengths=lengths) + 2.0 * self.n_params

    def bic(self, X: Any, lengths: Any = None) -> float:
        """Bayesian information criterion ``-2 log p(X) + n_params log T`` (lower is better)."""
        n = len(self._validate_X(X, fitting=False))
        return -2.0 * self.score(X, lengths=lengths) + self.n_params * np.log(n)

    def get_stationary_distribution(self) -> np.ndarray:
        """The stationary distribution ``p`` with ``p A = p`` (left eigenvector for 1)."""
        check_is_fitted(self, "transmat_")
        vals, vecs = np.linalg.eig(self.transmat_.T)
        vec = np.real_if_close(vecs[:, np.argmax(vals.real)])
        return np.asarray(vec / vec.sum(), dtype=np.float64)

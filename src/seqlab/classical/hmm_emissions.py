"""Emission families of the hidden Markov model: categorical symbols here, Gaussian vectors in
``hmm_gaussian`` (re-exported).

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

from seqlab._validation import (
    SeedLike,
    check_choice,
    check_int,
    check_min_features,
    refuse_sparse,
)
from seqlab.classical import _hmm_kernels as kernels
from seqlab.classical._hmm_checks import check_prior
from seqlab.classical._hmm_missing import MISSING
from seqlab.classical.hmm_base import BaseHMM, _normalize_rows, check_stochastic
from seqlab.classical.hmm_gaussian import COVARIANCE_TYPES, GaussianHMM
from seqlab.exceptions import ComplexDataError, SeqlabTypeError, SeqlabValueError

__all__ = ["COVARIANCE_TYPES", "CategoricalHMM", "GaussianHMM"]


_MAX_SYMBOL = 2**62  # beyond this a float or unsigned symbol does not fit int64 safely
_MAX_TABLE = 2**28  # emission table entries (2 GiB of float64)


def _object_ints(arr: np.ndarray) -> np.ndarray:
    """Python ints (numpy keeps ones beyond int64 as objects) as int64, or a clear error."""
    if max(int(v) for v in arr.flat) > _MAX_SYMBOL:
        raise _too_large(float(max(int(v) for v in arr.flat)))
    return arr.astype(np.int64)


def _too_large(symbol: float, n_components: int | None = None) -> SeqlabValueError:
    table = (
        f" (an emission table of {n_components} x {int(symbol) + 1:,} probabilities)"
        if n_components
        else ""
    )
    return SeqlabValueError(
        f"X contains the symbol {symbol:.6g}, too large for an alphabet 0..n_features-1"
        f"{table}; re-encode the symbols as 0..M-1 first, e.g. "
        "codes = np.unique(X, return_inverse=True)[1]."
    )


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
    of ``init_params`` and not set are initialised too (as hmmlearn); ``fixed`` names
    parameters EM keeps unchanged (or hmmlearn's ``params="st"``: the ones it updates).

    ``missing="marginalize"`` (hmmlearn has no missing values) accepts a missing symbol,
    written ``-1`` in an integer ``X`` (hmmlearn's usual int input), ``NaN`` in a float ``X``
    or a masked entry of a ``numpy.ma`` array: its emission probability is 1 in every state
    (summed over the symbols), so forward-backward, Viterbi and EM use the transitions only
    there and the counts of the M-step come from the observed symbols.

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
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        *,
        emissionprob_prior: Any = 1.0,
        n_features: int | None = None,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: Sequence[str] | str | None = None,
        init_params: Sequence[str] | str | None = None,
        implementation: str = "log",
        seed: SeedLike = None,
        init: str = "random",
        fixed: Sequence[str] = (),
        n_init: int = 1,
        missing: str = "raise",
    ) -> None:
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.missing = missing
        self.n_features = n_features
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

    def _alphabet_size(self, highest: int, fitting: bool) -> int:
        """``n_features`` if given, else the fitted/given table's width, else the largest
        symbol (``highest``) + 1."""
        if self.n_features is not None:
            return check_int(self.n_features, "n_features", minimum=1)
        given = getattr(self, "emissionprob_", None)
        keep = "emissionprob" not in self._names(self.init_params, "init_params", ("emissionprob",))
        if given is not None and (keep or not fitting):
            return int(np.shape(given)[-1])
        return highest + 1 if highest >= 0 else 1

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True  # symbols (T,); (T, 1) is accepted too
        tags.input_tags.categorical = True
        tags.input_tags.positive_only = True  # symbols 0..n_features-1
        return tags

    def _validate_X(self, X: Any, *, fitting: bool) -> np.ndarray:
        """Symbols as int64 (T,); with ``missing="marginalize"`` a missing symbol is
        stored as ``n_features_`` (one past the alphabet: the tables get a row of ones)."""
        marginalize = check_choice(self.missing, "missing", MISSING) == "marginalize"
        refuse_sparse(X)
        masked = np.ma.getmaskarray(X) if np.ma.isMaskedArray(X) else None
        if masked is not None:
            if masked.any() and not marginalize:
                raise SeqlabValueError(
                    "X has masked (missing) entries; set missing='marginalize' to integrate "
                    "them out, or fill them."
                )
            X = np.ma.getdata(X)
        try:
            arr = np.asarray(X)
        except ValueError as err:  # ragged nested lists
            raise SeqlabValueError(
                f"X is not a rectangular array of symbols ({str(err).split('.')[0]}); give a "
                "1-D sequence, and several sequences concatenated with lengths=[...]."
            ) from None
        if arr.dtype.kind == "c":
            raise ComplexDataError(
                "Complex data not supported: X is complex; CategoricalHMM takes integer "
                "symbols 0..n_features-1."
            )
        if arr.dtype.kind == "O":  # numbers stored as objects (pandas; ints beyond int64)
            if arr.size and all(isinstance(v, int) for v in arr.flat):
                arr = _object_ints(arr)
            else:
                try:
                    arr = arr.astype(np.float64)
                except (TypeError, ValueError) as err:
                    raise SeqlabTypeError(f"X must hold integer symbols; {err}") from None
        if arr.dtype.kind not in "biuf":
            raise SeqlabTypeError(
                f"X must hold integer symbols 0..n_features-1; got dtype {arr.dtype}. Encode "
                "text first (e.g. seqlab.data.encode_dna for DNA)."
            )
        nan = np.isnan(arr) if arr.dtype.kind == "f" else None
        if nan is not None and (np.isinf(arr).any() or (nan.any() and not marginalize)):
            raise SeqlabValueError(
                "X contains NaN or infinite values; symbols must be integers (NaN marks a "
                "missing symbol only with missing='marginalize')."
            )
        if nan is not None and nan.any():
            arr = np.where(nan, -1.0, arr)
        if masked is not None and masked.any():
            arr = np.where(masked, -1, arr)
        if arr.ndim == 2:
            check_min_features(arr)
            if arr.shape[1] == 1:
                arr = arr[:, 0]
        if arr.ndim != 1 or arr.size == 0:
            raise SeqlabValueError(f"X must be a non-empty 1-D array of symbols (or (T, 1)); got "
                             f"shape {arr.shape}.")
        if arr.dtype.kind == "f" and (arr != np.round(arr)).any():
            raise SeqlabValueError("X contains non-integer values; symbols must be integers.")
        if arr.dtype.kind in "uf" and arr.max() > _MAX_SYMBOL:
            raise _too_large(float(arr.max()))
        symbols = arr.astype(np.int64, copy=False)
        lowest = -1 if marginalize else 0  # -1: a missing symbol
        if marginalize:
            low, highest = int(symbols.min()), int(symbols.max())
        else:  # both bounds in one pass: read as uint64, a negative symbol is >= 2**63
            highest = int(symbols.view(np.uint64).max())
            low = -1 if highest >= 2**63 else 0  # -1: some symbol is negative (refused below)
        if low < lowest:
            raise SeqlabValueError(
                "Negative values in data: X contains negative symbols (first at index "
                f"{int(np.argmax(symbols < lowest))}); symbols must be 0..n_features-1"
                + (" (-1: missing)." if marginalize else ".")
            )
        n_symbols = self._alphabet_size(highest, fitting)
        if self.n_components * n_symbols > _MAX_TABLE:
            if self.n_features is not None:
                raise SeqlabValueError(
                    f"n_features={n_symbols:,} with n_components={self.n_components} needs an "
                    f"emission table of {self.n_components * n_symbols:,} probabilities (more "
                    f"than {_MAX_TABLE:,}); use the alphabet actually present, e.g. "
                    "codes = np.unique(X, return_inverse=True)[1]."
                )
            raise _too_large(n_symbols - 1, self.n_components)
        if highest >= n_symbols:
            raise SeqlabValueError(
                f"X contains symbol {highest}, outside the model's alphabet "
                f"0..{n_symbols - 1} (n_features={n_symbols}); re-encode X or raise n_features."
            )
        if fitting:
            self.n_features_ = n_symbols
        if marginalize:
            symbols = np.where(symbols < 0, n_symbols, symbols)
        return np.ascontiguousarray(symbols)

    def _check_emission_priors(self) -> None:
        check_prior(
            self.emissionprob_prior,
            "emissionprob_prior",
            (self.n_components, self.n_features_),
            what="Dirichlet pseudo-counts",
        )

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

    def _table(self) -> np.ndarray:
        """``emissionprob_.T`` (M, K); with missing values a last row of ones (symbol M)."""
        table = self.emissionprob_.T
        if self.missing == "marginalize":
            table = np.vstack([table, np.ones(self.n_components)])
        return np.ascontiguousarray(table)

    def _frameprob(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        return kernels.gather_rows(self._table(), X), 0.0  # exact: no shift needed

    def _log_frameprob(self, X: np.ndarray) -> np.ndarray:
        return kernels.gather_rows(*self._log_frame_table(X))

    def _log_frame_table(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(divide="ignore"):
            return np.log(self._table()), X

    def _emission_stats(self, X: np.ndarray, posteriors: np.ndarray, learn: set[str]) -> dict:
        if "emissionprob" not in learn:
            return {}
        m = self.n_features_
        if self.missing == "marginalize":  # column m counts the missing symbols: dropped
            return {"obs": kernels.categorical_counts(X, posteriors, m + 1)[:, :m]}
        return {"obs": kernels.categorical_counts(X, posteriors, m)}

    def _emission_mstep(self, stats: dict, learn: set[str]) -> None:
        if "emissionprob" in learn:
            new = np.maximum(np.asarray(self.emissionprob_prior) - 1.0 + stats["obs"], 0.0)
            self.emissionprob_ = _normalize_rows(new, self.emissionprob_)

    def _emission_n_params(self) -> dict[str, int]:
        return {"emissionprob": self.n_components * (self.n_features_ - 1)}

    def _state_means(self) -> np.ndarray:
        return np.asarray(self.emissionprob_)  # the symbol probabilities

    def _sample_emissions(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cdf = np.cumsum(self.emissionprob_, axis=1)[states]  # (n, M)
        x = (cdf <= rng.random(len(states))[:, None]).sum(axis=1)
        return np.minimum(x, self.n_features_ - 1).reshape(-1, 1)

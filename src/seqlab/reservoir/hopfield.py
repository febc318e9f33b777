"""Hopfield networks: associative memories that restore corrupted patterns.

Units take two values, bipolar ``s_i in {-1, +1}`` or binary ``V_i in {0, 1}`` (the
lecture's two conventions); the weights are set by a one-shot learning rule and recall runs
the threshold dynamics until nothing changes::

    Hebbian (Hopfield 1982):  w_ij = (1/N) sum_mu xi_i^mu xi_j^mu,   w_ii = 0
    Storkey (1997):           w_ij += (1/N) (xi_i xi_j - xi_i h_ji - h_ij xi_j),
                              h_ij = sum_{k != i, j} w_ik xi_k        (one pattern at a time)
    update:                   s_i <- sign(sum_j w_ij s_j - theta_i)   (tie: s_i unchanged)
    energy:                   E(s) = -1/2 sum_ij w_ij s_i s_j + sum_i theta_i s_i

Asynchronous updates (one unit at a time, random order per sweep, seeded) never increase
``E`` because ``W`` is symmetric with a zero diagonal (Hopfield 1982), so recall ends in a
fixed point; synchronous updates (all units at once) may end in a 2-cycle, which is
detected and reported. Binary units are the bipolar network under ``s = 2V - 1``:
``V_i <- [sum_j w_ij V_j > U_i]`` with thresholds ``U_i = 1/2 sum_j w_ij``, and energy
``E(V) = -1/2 V^T W V + U^T V``. Hebbian storage of random patterns breaks down near
``P = 0.138 N`` (Amit, Gutfreund & Sompolinsky 1985); Storkey's rule stores more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np

from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_choice,
    check_int,
    check_is_fitted,
    check_min_features,
    check_positive,
    check_random_state,
)
from seqlab.base import BaseEstimator
from seqlab.exceptions import SeqlabValueError
from seqlab.reservoir import _kernels

__all__ = ["HopfieldNetwork", "RecallResult", "flip_units", "mask_units", "overlaps"]

Units = Literal["bipolar", "binary"]


def _to_bipolar(X: Any, name: str, units: Units, n_units: int | None = None) -> np.ndarray:
    """Validate patterns/states and return them as a 2-D bipolar int8 array."""
    arr = as_float_array(X, name, ndim=(1, 2))
    arr = arr[None, :] if arr.ndim == 1 else arr
    if n_units is not None and arr.shape[1] != n_units:
        raise SeqlabValueError(
            f"{name} must have {n_units} units per row (as stored); got {arr.shape[1]}."
        )
    allowed = (-1.0, 1.0) if units == "bipolar" else (0.0, 1.0)
    bad = ~np.isin(arr, allowed)
    if bad.any():
        found = np.unique(arr[bad])[:5].tolist()
        raise SeqlabValueError(
            f"{name} must contain only {allowed[0]:g} and {allowed[1]:g} for {units} units; "
            f"found {found}. Use units='{'binary' if units == 'bipolar' else 'bipolar'}' or "
            "binarise the data first."
        )
    s = arr if units == "bipolar" else 2.0 * arr - 1.0
    return s.astype(np.int8)


def _from_bipolar(s: np.ndarray, units: Units) -> np.ndarray:
    return s if units == "bipolar" else ((s + 1) // 2).astype(np.int8)


def overlaps(states: Any, patterns: Any) -> np.ndarray:
    """Overlaps ``m^mu = (1/N) sum_i xi_i^mu s_i`` of bipolar states with bipolar patterns.

    ``(n, N)`` and ``(P, N)`` in, ``(n, P)`` out; 1 means identical, -1 the mirror image.

    >>> overlaps([[1, 1, -1, -1]], [[1, 1, -1, -1], [1, -1, 1, -1]]).tolist()
    [[1.0, 0.0]]
    """
    s = np.atleast_2d(np.asarray(states, dtype=np.float64))
    xi = np.atleast_2d(np.asarray(patterns, dtype=np.float64))
    if s.shape[1] != xi.shape[1]:
        raise SeqlabValueError(f"states have {s.shape[1]} units but patterns {xi.shape[1]}.")
    return s @ xi.T / s.shape[1]


def flip_units(
    patterns: Any, fraction: float, *, units: Units = "bipolar", seed: SeedLike = None
) -> np.ndarray:
    """Copy of ``patterns`` with ``round(fraction * N)`` randomly chosen units flipped per row.

    >>> flip_units([[1, 1, 1, 1]], 0.5, seed=0).sum()
    np.int64(0)
    """
    check_choice(units, "units", ("bipolar", "binary"))
    frac = check_positive(fraction, "fraction", strict=False)
    if frac > 1:
        raise SeqlabValueError(f"fraction must be in [0, 1]; got {fraction!r}.")
    s = _to_bipolar(patterns, "patterns", units)
    rng = check_random_state(seed)
    k = round(frac * s.shape[1])
    for row in s:
        row[rng.choice(s.shape[1], size=k, replace=False)] *= -1
    return _from_bipolar(s, units)


def mask_units(patterns: Any, fraction: float = 0.5, *, units: Units = "bipolar") -> np.ndarray:
    """Copy of ``patterns`` whose last ``round(fraction * N)`` units (the bottom part of a
    row-major image) are set to the "off" value (-1 bipolar, 0 binary).

    >>> mask_units([[1, 1, 1, 1]], 0.5).tolist()
    [[1, 1, -1, -1]]
    """
    check_choice(units, "units", ("bipolar", "binary"))
    frac = check_positive(fraction, "fraction", strict=False)
    if frac > 1:
        raise SeqlabValueError(f"fraction must be in [0, 1]; got {fraction!r}.")
    s = _to_bipolar(patterns, "patterns", units)
    k = round(frac * s.shape[1])
    if k:
        s[:, s.shape[1] - k :] = -1
    return _from_bipolar(s, units)


@dataclass
class RecallResult:
    """Outcome of :meth:`HopfieldNetwork.recall` for ``n`` initial states.

    ==========  ========  ====================================================
    field       shape     meaning
    ==========  ========  ====================================================
    states      (n, N)    final states, in the model's units
    n_sweeps    (n,)      sweeps (async) or synchronous steps taken
    converged   (n,)      True when a fixed point was reached
    energy      (n,)      energy of the final states
    overlaps    (n, P)    overlap of each final state with each stored pattern
    closest     (n,)      index of the stored pattern with the largest overlap
    ==========  ========  ====================================================
    """

    states: np.ndarray
    n_sweeps: np.ndarray
    converged: np.ndarray
    energy: np.ndarray
    overlaps: np.ndarray

    @property
    def closest(self) -> np.ndarray:
        return np.argmax(self.overlaps, axis=1)


class HopfieldNetwork(BaseEstimator):
    """Hopfield associative memory with Hebbian or Storkey learning.

    ==============  ==========  =============================================
    attribute       shape       meaning
    ==============  ==========  =============================================
    patterns (fit)  (P, N)      values in {-1, 1} (bipolar) or {0, 1} (binary)
    weights_        (N, N)      symmetric, zero diagonal
    threshold_      (N,)        theta (bipolar form; zeros)
    patterns_       (P, N)      stored patterns, bipolar int8
    ==============  ==========  =============================================

    >>> xi = np.array([[1, -1, 1, -1, 1, -1, 1, -1], [1, 1, 1, 1, -1, -1, -1, -1]])
    >>> net = HopfieldNetwork(seed=0).fit(xi)
    >>> noisy = xi[0].copy(); noisy[0] = -1                 # one unit flipped
    >>> out = net.recall(noisy)
    >>> out.states[0].tolist() == xi[0].tolist(), out.closest.tolist(), bool(out.converged[0])
    (True, [0], True)
    """

    def __init__(
        self,
        *,
        units: Units = "bipolar",
        rule: Literal["hebbian", "storkey"] = "hebbian",
        update: Literal["async", "sync"] = "async",
        max_sweeps: int = 100,
        seed: SeedLike = None,
    ) -> None:
        self.units = units
        self.rule = rule
        self.update = update
        self.max_sweeps = max_sweeps
        self.seed = seed

    def fit(self, patterns: Any, y: Any = None) -> Self:
        """Store ``patterns`` ``(P, N)`` with the chosen learning rule.

        ``y`` is ignored: it is there because scikit-learn passes ``fit(X, y)``.
        """
        check_choice(self.units, "units", ("bipolar", "binary"))
        check_choice(self.rule, "rule", ("hebbian", "storkey"))
        xi = _to_bipolar(patterns, "patterns", self.units)
        self._reset_features(patterns, xi.shape[1])
        _P, N = check_min_features(xi, "patterns", minimum=2).shape
        x = xi.astype(np.float64)
        if self.rule == "hebbian":
            W = x.T @ x / N
            np.fill_diagonal(W, 0.0)
        else:
            W = np.zeros((N, N))
            for p in x:
                h = W @ p  # h_i = sum_k w_ik p_k   (w_ii = 0, so k = i is excluded)
                H = h[:, None] - W * p[None, :]  # H_ij = h_i - w_ij p_j = h_ij
                W += (np.outer(p, p) - p[:, None] * H.T - H * p[None, :]) / N
                np.fill_diagonal(W, 0.0)
        self.weights_ = W
        self.threshold_ = np.zeros(N)
        self.patterns_ = xi
        return self

    def energy(self, states: Any) -> np.ndarray:
        """Energy of each state ``(n,)``: bipolar ``-1/2 s^T W s + theta^T s``; binary
        ``-1/2 V^T W V + U^T V`` with ``U = theta/2 + 1/2 W 1``."""
        check_is_fitted(self, "weights_")
        s = _to_bipolar(states, "states", self.units, self.weights_.shape[0]).astype(np.float64)
        self._check_features(states, s.shape[1])  # (the count matches: checks the names)
        if self.units == "bipolar":
            return -0.5 * ((s @ self.weights_) * s).sum(axis=1) + s @ self.threshold_
        V = (s + 1) / 2
        U = self.threshold_ / 2 + self.weights_.sum(axis=1) / 2
        return -0.5 * ((V @ self.weights_) * V).sum(axis=1) + V @ U

    def recall(self, states: Any, *, max_sweeps: int | None = None) -> RecallResult:
        """Run the dynamics from each initial state until a fixed point (or ``max_sweeps``;
        for synchronous updates also a 2-cycle) and report overlaps with stored patterns."""
        check_is_fitted(self, "weights_")
        check_choice(self.update, "update", ("async", "sync"))
        sweeps = check_int(
            self.max_sweeps if max_sweeps is None else max_sweeps, "max_sweeps", minimum=1
        )
        N = self.weights_.shape[0]
        s = _to_bipolar(states, "states", self.units, N).copy()
        self._check_features(states, N)  # (the count matches: checks the names)
        # Hebbian weights are multiples of 1/N: scaling by N makes the fields exact integers,
        # so ties (h_i == theta_i) are detected exactly.
        scale = float(N) if self.rule == "hebbian" else 1.0
        W = np.round(self.weights_ * scale) if scale != 1.0 else self.weights_
        theta = self.threshold_ * scale
        if self.update == "async":
            n_sweeps, converged = self._run_async(W, theta, s, sweeps)
        else:
            n_sweeps, converged = self._run_sync(W, theta, s, sweeps)
        out = _from_bipolar(s, self.units)
        return RecallResult(out, n_sweeps, converged, self.energy(out), overlaps(s, self.patterns_))

    def _run_async(
        self, W: np.ndarray, theta: np.ndarray, s: np.ndarray, sweeps: int
    ) -> tuple[np.ndarray, np.ndarray]:
        rng = check_random_state(self.seed)
        n = s.shape[0]
        h = s.astype(np.float64) @ W  # W symmetric: h = W s for every row
        active = np.ones(n, dtype=np.bool_)
        n_sweeps = np.zeros(n, dtype=np.int64)
        big = n * W.shape[0] ** 2 >= 20_000_000  # enough work per sweep for two threads
        sweep = _kernels.hopfield_async_sweep_parallel if big else _kernels.hopfield_async_sweep
        for _ in range(sweeps):
            seeds = rng.integers(1, 2**63 - 1, size=n, dtype=np.int64)
            flips = sweep(W, theta, s, h, seeds, active)
            n_sweeps[active] += 1
            active &= flips > 0
            if not active.any():
                break
        return n_sweeps, ~active

    @staticmethod
    def _run_sync(
        W: np.ndarray, theta: np.ndarray, s: np.ndarray, sweeps: int
    ) -> tuple[np.ndarray, np.ndarray]:
        n = s.shape[0]
        prev = s.copy()
        n_sweeps = np.zeros(n, dtype=np.int64)
        converged = np.zeros(n, dtype=np.bool_)
        active = np.ones(n, dtype=np.bool_)
        for _ in range(sweeps):
            idx = np.flatnonzero(active)
            d = s[idx].astype(np.float64) @ W - theta
            new = np.where(d > 0, 1, np.where(d < 0, -1, s[idx])).astype(np.int8)
            n_sweeps[idx] += 1
            fixed = (new == s[idx]).all(axis=1)
            cycle = (new == prev[idx]).all(axis=1) & ~fixed
            prev[idx] = s[idx]
            s[idx] = new
            converged[idx[fixed]] = True
            active[idx[fixed | cycle]] = False
            if not active.any():
                break
        return n_sweeps, converged

    def predict(self, states: Any) -> np.ndarray:
        """Final states of :meth:`recall` ``(n, N)``."""
        return self.recall(states).states

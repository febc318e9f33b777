"""SARIMAX maximum likelihood: the compiled kernels' inputs and the one-call optimiser.

:func:`kernel_data` lays a :class:`~seqlab.classical._sarimax_system.Spec` and the data out
as the arrays :func:`seqlab.classical._sarimax_kernels.sarimax_nll` reads (the transition
as sparse triplets whose AR column is filled per evaluation); :func:`fit_mle` runs the
compiled BFGS (:mod:`seqlab.classical._sarimax_opt`) from a start and returns the
parameters in statsmodels' order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.classical._sarimax_system import Spec

__all__ = ["fit_mle", "kernel_data", "optimiser_data", "transition_structure"]


def transition_structure(spec: Spec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SARIMAX's transition as triplets ``(rows, cols, values)`` and ``phi_slot`` (k,).

    The same matrix as :meth:`Spec.system` with the AR column ``T[kd + i, kd]`` left at 0:
    ``phi_slot[i]`` is the triplet that holds ``phi*_{i+1}``.
    """
    kd, k, m, s, d, D = spec.k_diff_states, spec.k_order, spec.k_states, spec.s, spec.d, spec.D
    T = np.zeros((m, m))
    T[kd:, kd:][np.arange(k - 1), np.arange(1, k)] = 1.0
    if D:
        block = np.zeros((s, s))
        block[1:, :-1] = np.eye(s - 1)
        block[0, -1] = 1.0
        for j in range(D):
            a, b = d + j * s, d + (j + 1) * s
            T[a:b, a:b] = block
            if j < D - 1:
                T[a, b + s - 1] = 1.0
            T[a, kd] = 1.0
    if d:
        T[:d, :d] = np.triu(np.ones((d, d)))
        if s > 0 and D:
            T[:d, d:kd] = np.tile(np.r_[np.zeros(s - 1), 1.0], D)
        T[:d, kd] = 1.0
    T[kd:, kd] = np.nan  # the AR column: a marker, replaced per evaluation
    rows, cols = np.nonzero(T)
    vals = T[rows, cols]
    slot = np.full(k, -1, dtype=np.int64)
    for e in np.flatnonzero(np.isnan(vals)):
        slot[rows[e] - kd] = e
    vals = np.where(np.isnan(vals), 0.0, vals)
    return rows.astype(np.int64), cols.astype(np.int64), vals, slot


def kernel_data(
    spec: Spec, y: np.ndarray, X: np.ndarray, concentrated: bool = False
) -> tuple[Any, ...]:
    """The ``data`` tuple of :func:`~seqlab.classical._sarimax_kernels.sarimax_nll`
    (``concentrated``: sigma2 profiled out, for a model without differencing states or
    missing values and with a constant or no trend)."""
    Tr, Tc, Tv, slot = transition_structure(spec)
    kd = spec.k_diff_states
    z = [*range(spec.d), *(spec.d + (j + 1) * spec.s - 1 for j in range(spec.D)), kd]
    nan = np.flatnonzero(np.isnan(y))
    last_nan = int(nan[-1]) if nan.size else -1
    dims = np.array([spec.k_trend, spec.k_exog, spec.p, spec.q, spec.P, spec.Q, spec.s,
                     spec.d, spec.D, last_nan, int(concentrated), nan.size], dtype=np.int64)
    n = y.shape[0]
    return (np.ascontiguousarray(y, dtype=np.float64),
            np.ascontiguousarray(X, dtype=np.float64).reshape(n, spec.k_exog),
            np.ascontiguousarray(spec.trend_data(0, n)).reshape(n, spec.k_trend),
            Tr, Tc, Tv, slot, np.array(z, dtype=np.int64), dims)


def _difference(x: np.ndarray, d: int, D: int, s: int) -> np.ndarray:
    for _ in range(d):
        x = x[1:] - x[:-1]
    for _ in range(D):
        x = x[s:] - x[:-s]
    return x


def optimiser_data(spec: Spec, y: np.ndarray, X: np.ndarray) -> tuple[Any, ...]:
    """The data the optimiser's likelihood runs on.

    With differencing, no missing value and a constant (or no) trend, the differencing
    states' approximate diffuse prior (variance 1e6) only perturbs the likelihood by
    O(1e-6) of the first ``d + sD`` updates: the ARMA likelihood of the differenced series
    (and differenced regressors) is the same function up to that, without the diffuse
    states (m = k instead of d + sD + k) and without the cancellation of 1e6 variances that
    puts ~1e-9 noise on the finite-difference gradient. The optimum found there is then
    re-evaluated by the full filter (statsmodels' likelihood exactly).
    """
    if spec.trend_powers not in ((), (0,)):
        return kernel_data(spec, y, X)
    if spec.k_diff_states == 0:
        return kernel_data(spec, y, X, concentrated=True)
    if np.isnan(y).any():
        return kernel_data(spec, y, X)
    flat = Spec(spec.p, 0, spec.q, spec.P, 0, spec.Q, spec.s, spec.trend_powers, spec.k_exog)
    return kernel_data(flat, _difference(y, spec.d, spec.D, spec.s),
                       _difference(X, spec.d, spec.D, spec.s), concentrated=True)


def fit_mle(
    spec: Spec, data: tuple[Any, ...], x0: np.ndarray, scale: np.ndarray, maxiter: int
) -> tuple[np.ndarray, float, int, bool]:
    """Minimise the per-observation negative log-likelihood from ``x0`` (unconstrained,
    divided by ``scale``); returns ``(params, nll, n_iter, converged)``."""
    from seqlab.classical._sarimax_kernels import arma_terms, constrain_params
    from seqlab.classical._sarimax_opt import bfgs

    x0 = np.ascontiguousarray(x0, dtype=np.float64)
    if not data[-1][10]:
        x, f, it, conv = bfgs(x0, scale, data, maxiter, 1e-7)
        return constrain_params(x, scale, data[-1]), float(f), int(it), bool(conv)
    x, f, it, conv = bfgs(x0[:-1].copy(), scale[:-1].copy(), data, maxiter, 1e-7)
    _, ssq, _ = arma_terms(x, scale[:-1].copy(), data)
    params = constrain_params(np.r_[x, 1.0], np.r_[scale[:-1], 1.0], data[-1])
    params[-1] = ssq / (data[0].shape[0] - data[-1][11])  # the profiled sigma2: its exact MLE given the rest
    return params, float(f), int(it), bool(conv)

"""A univariate linear Gaussian state-space model and its Kalman filter.

The core that SARIMAX (and later its missing-value, interval and order-selection features)
share. The model, in statsmodels' notation::

    y_t     = Z a_t + d_t + e_t,          e_t ~ N(0, H)
    a_{t+1} = T a_t + c_t + R eta_t,      eta_t ~ N(0, Q)
    a_0     ~ N(a0, P0)

:class:`StateSpace` holds the system matrices; :meth:`StateSpace.filter` runs the compiled
filter (NaN observations are skipped: prediction without update; a process's first calls
run its numpy twin instead, the same numbers: see ``TWIN_BUDGET_S``) and
:meth:`StateSpace.forecast` continues it ``h`` steps ahead. :func:`stationary_cov` gives
the unconditional state covariance ``P = T P T' + R Q R'`` of a stationary block.

>>> import numpy as np
>>> ss = StateSpace(Z=[1.0], T=[[0.5]], R=[[1.0]], Q=[[1.0]], H=0.0)
>>> ss.P0 = stationary_cov(ss.T, ss.RQR)            # AR(1) with phi = 0.5: 1 / (1 - 0.25)
>>> round(float(ss.P0[0, 0]), 6)
1.333333
>>> res = ss.filter(np.array([0.3, np.nan, -0.2]))
>>> bool(np.isnan(res.v[1])), round(float(res.F[2]), 6)  # two-step-ahead variance 1 + 0.25
(True, 1.25)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seqlab.exceptions import SeqlabValueError

__all__ = ["FilterResult", "StateSpace", "stationary_cov"]

# Compiling the filter kernel costs ~0.8 s CPU (issue 17: a first call). Until it is
# compiled or in numba's cache, ``filter`` runs :mod:`._statespace_numpy` (the same IEEE
# operations in the same order, so the same bits; ~12 + 0.02 m^2 us per observation, 4 ms for
# the airline model) for up to TWIN_BUDGET_S estimated CPU seconds, counted over this process
# and the earlier ones that shared numba's cache folder (``seqlab._jit.FirstCalls``), then
# compiles, and numba caches it for every later process: AutoARIMA's search on the airline
# series spends 0.06 s, so the third such process compiles. A caller that runs the filter in
# a loop (an optimiser) passes ``loop=True`` and gets the kernel at once.
TWIN_BUDGET_S = 0.15


def _filter_kernels() -> tuple[Any, ...]:
    from seqlab.classical._statespace_kernels import kalman_filter

    return (kalman_filter,)


def _gate() -> Any:
    from seqlab._jit import GATES, FirstCalls

    return GATES.get("kalman_filter") or FirstCalls("kalman_filter", _filter_kernels,
                                                    TWIN_BUDGET_S)


def _use_twin(n: int, m: int, loop: bool) -> bool:
    """Whether this filter call runs the numpy twin (comment above ``TWIN_BUDGET_S``)."""
    return not loop and _gate().interpret(n * (12.0 + 0.02 * m * m) * 1e-6)


def stationary_cov(T: np.ndarray, RQR: np.ndarray) -> np.ndarray:
    """Solve ``P = T P T' + RQR`` (the stationary covariance; ``T`` must be stable).

    Shapes: ``T`` and ``RQR`` (m, m) -> (m, m). Raises SeqlabValueError if ``T`` has an
    eigenvalue on or outside the unit circle (no stationary distribution).
    """
    from seqlab.classical._statespace_kernels import lyapunov_doubling

    T = np.ascontiguousarray(T, dtype=np.float64)
    out = np.empty_like(T)
    if not lyapunov_doubling(T, np.ascontiguousarray(RQR, dtype=np.float64), out):
        raise SeqlabValueError(
            "the transition matrix has an eigenvalue on or outside the unit circle, so the "
            "state has no stationary distribution; give P0 explicitly or make T stable"
        )
    return out


@dataclass
class FilterResult:
    """Output of :meth:`StateSpace.filter` for ``n`` observations and ``m`` states.

    ``llf`` log-likelihood; ``v``/``F`` (n,) one-step prediction errors (NaN where ``y`` is
    NaN) and their variances; ``a_pred`` (n + 1, m) predicted states; ``a_filt`` (n, m)
    filtered states; ``P_last`` (m, m) the covariance of ``a_pred[n]``.
    """

    llf: float
    v: np.ndarray
    F: np.ndarray
    a_pred: np.ndarray
    a_filt: np.ndarray
    P_last: np.ndarray

    def predictions(self, Z: np.ndarray, d: np.ndarray) -> np.ndarray:
        """One-step-ahead predictions ``Z a_{t|t-1} + d_t`` (n,)."""
        return np.asarray(self.a_pred[:-1] @ Z + d)


def _f64(x: Any, ndim: int, name: str) -> np.ndarray:
    arr = np.array(x, dtype=np.float64, ndmin=ndim)
    if arr.ndim != ndim:
        raise SeqlabValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    return arr


class StateSpace:
    """System matrices of a univariate state-space model (see the module docstring).

    ``Z`` (m,), ``T`` (m, m), ``R`` (m, r), ``Q`` (r, r), ``H`` scalar; ``a0`` (m,) and ``P0``
    (m, m) default to zeros; ``burn`` observations at the start are left out of the
    log-likelihood (statsmodels' ``loglikelihood_burn``, used with approximate diffuse
    initialisation). Intercepts ``d`` (n,) and ``c`` (n, m) are given to :meth:`filter`.
    """

    def __init__(
        self,
        Z: Any,
        T: Any,
        R: Any,
        Q: Any,
        H: float = 0.0,
        a0: Any = None,
        P0: Any = None,
        burn: int = 0,
    ) -> None:
        self.Z = _f64(Z, 1, "Z")
        m = self.Z.shape[0]
        self.T = _f64(T, 2, "T")
        self.R = _f64(R, 2, "R")
        self.Q = _f64(Q, 2, "Q")
        if self.T.shape != (m, m) or self.R.shape[0] != m or self.Q.shape != (
            self.R.shape[1], self.R.shape[1]
        ):
            raise SeqlabValueError(
                f"inconsistent shapes: Z {self.Z.shape}, T {self.T.shape}, R {self.R.shape}, "
                f"Q {self.Q.shape}; need Z (m,), T (m, m), R (m, r), Q (r, r)"
            )
        self.H = float(H)
        self.a0 = np.zeros(m) if a0 is None else _f64(a0, 1, "a0")
        self.P0 = np.zeros((m, m)) if P0 is None else _f64(P0, 2, "P0")
        self.burn = int(burn)

    @property
    def m(self) -> int:
        """Number of states."""
        return int(self.Z.shape[0])

    @property
    def RQR(self) -> np.ndarray:
        """``R Q R'`` (m, m)."""
        return np.asarray(self.R @ self.Q @ self.R.T)

    def _triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, cols = np.nonzero(self.T)
        return rows.astype(np.int64), cols.astype(np.int64), self.T[rows, cols].copy()

    def _intercepts(self, n: int, d: Any, c: Any) -> tuple[np.ndarray, np.ndarray]:
        dd = np.zeros(n) if d is None else np.broadcast_to(_f64(d, 1, "d"), (n,))
        cc = np.zeros((n, self.m)) if c is None else np.broadcast_to(
            np.asarray(c, dtype=np.float64), (n, self.m))
        return np.ascontiguousarray(dd), np.ascontiguousarray(cc)

    def filter(self, y: Any, d: Any = None, c: Any = None, *, loop: bool = False
               ) -> FilterResult:
        """Kalman-filter the series ``y`` (n,) (NaN = missing); return a FilterResult.

        ``d`` (n,) observation and ``c`` (n, m) state intercepts (zeros by default);
        ``c[t]`` enters the transition from ``t`` to ``t + 1``. ``loop=True``: the caller
        runs many filters (an optimiser): compile the kernel now (``TWIN_BUDGET_S``).
        """
        from seqlab._aot import kernels

        yy = np.ascontiguousarray(_f64(y, 1, "y"))
        n, m = yy.shape[0], self.m
        dd, cc = self._intercepts(n, d, c)
        v, F = np.empty(n), np.empty(n)
        a_pred, a_filt, P_last = np.empty((n + 1, m)), np.empty((n, m)), np.empty((m, m))
        Tr, Tc, Tv = self._triplets()
        kernel: Any = kernels()  # compiled at install: no compilation, no numba (seqlab._aot)
        if kernel is None:
            from seqlab.classical import _statespace_kernels, _statespace_numpy

            kernel = _statespace_numpy if _use_twin(n, m, loop) else _statespace_kernels
        llf = kernel.kalman_filter(yy, dd, self.Z, self.H, Tr, Tc, Tv, cc, self.RQR, self.a0,
                                   np.ascontiguousarray(self.P0), self.burn, v, F, a_pred,
                                   a_filt, P_last)
        return FilterResult(float(llf), v, F, a_pred, a_filt, P_last)

    def forecast(
        self, res: FilterResult, steps: int, d: Any = None, c: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Means and variances (steps,) of ``y_{n+1..n+steps}`` given the filtered ``res``.

        ``d`` (steps,) are the forecast periods' observation intercepts; ``c`` (steps, m) the
        state intercepts of periods ``n .. n + steps - 1`` (``c[k]`` moves the state from
        period ``n + k`` to ``n + k + 1``; the last row is unused).
        """
        from seqlab.classical._statespace_kernels import predict_ahead

        dd, cc = self._intercepts(steps, d, c)
        mean, var = np.empty(steps), np.empty(steps)
        Tr, Tc, Tv = self._triplets()
        predict_ahead(np.ascontiguousarray(res.a_pred[-1]), res.P_last, self.Z, self.H,
                      Tr, Tc, Tv, cc, self.RQR, dd, mean, var)
        return mean, var

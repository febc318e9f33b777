"""Which ARIMA optimiser runs, compiled or interpreted, and the loop over series.

The BFGS of :mod:`seqlab.classical._arima_kernels` is written once. Compiled, it fits a
series in about a millisecond but costs ~7 s of CPU to compile on a machine's first use;
run by the interpreter around the compiled Kalman/CSS recursions (~1 s to compile) it takes
tens of milliseconds a series. Both run the same code objects, hence the same IEEE
operations in the same order (no fastmath there): the same numbers (tested). So the choice
is only speed (:func:`use_compiled`): compiled once it is in numba's cache or compiled in
this process, for ``COMPILED_MIN_SERIES`` series or more, for ``COMPILED_MIN_PARAMS``
parameters or more, and after that many series were fitted interpreted in this process (so
sustained use compiles it once, for every later process).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import numba
import numpy as np

from seqlab._jit import compiled_or_cached, interpreted
from seqlab.classical import _arima_kernels as _K
from seqlab.classical import _arma_cov as _C
from seqlab.classical import _arma_numpy as _N
from seqlab.classical._bfgs import bind

__all__: list[str] = []

COMPILED_MIN_SERIES = 16
# from this many parameters the interpreted BFGS (O(k) evaluations per gradient, each an
# interpreted O(p^2) transform) costs more than compiling once: AR(60) ~70 s interpreted
COMPILED_MIN_PARAMS = 12
_interpreted_series = 0  # series fitted by the interpreted optimiser in this process


def _interpreted(names: tuple[str, ...]) -> SimpleNamespace:
    """The functions ``names`` of ``_arima_kernels`` as plain Python functions (the same code
    objects, run by the interpreter) that call each other and the interpreted BFGS of
    :mod:`._bfgs`, while the O(n) recursions ``kalman_arma`` and ``css_arma`` stay compiled
    (module docstring). The O(p^3 + m^2) stationary covariance runs interpreted too (tiny
    for the small orders that run interpreted); the exact AR likelihood, O(n p), compiled.
    """
    ns = interpreted(_K, names, {
        "pacf_to_ar": _K.pacf_to_ar.py_func,
        "harvey_stationary_cov": _C.interpreted_cov().harvey_stationary_cov,
    })
    ns.bfgs = bind(ns.arima_objective, "arima", compiled=False)
    ns.fit_rows.__globals__["bfgs"] = ns.bfgs
    return ns


INTERPRETED = _interpreted(
    ("constrain", "unpack", "_system", "stationary_cov", "kalman_loglik",
     "concentrated_nll", "arima_objective", "fit_rows")
)


def use_compiled(S: int) -> bool:
    """Compiled or interpreted optimiser for ``S`` more series (module docstring)."""
    return (
        S + _interpreted_series >= COMPILED_MIN_SERIES
        or compiled_or_cached(_K.fit_rows)
    )


def start_values(w: np.ndarray, p: int, q: int, kt: int, css: bool, K: Any) -> np.ndarray:
    """Hannan–Rissanen starts, unless white noise (0, ..., 0) has the better likelihood."""
    x0 = _N.hannan_rissanen(w, p, q, kt)
    x_wn = x0.copy()
    x_wn[: p + q] = 0.0
    if K.concentrated_nll(x_wn, w, p, q, kt, css) < K.concentrated_nll(x0, w, p, q, kt, css):
        return x_wn
    return x0


def fit_many(Ws, X0, p, q, kt, css, maxiter, tol, compiled):
    """Run BFGS over the rows of ``Ws``: interpreted, or ``compiled`` on
    ``numba.get_num_threads()`` threads (at most the number of cores; the kernel releases
    the GIL)."""
    S = Ws.shape[0]
    k = p + q + kt
    compiled = compiled or k >= COMPILED_MIN_PARAMS
    X = np.empty((S, k))
    fval = np.empty(S)
    n_iter = np.zeros(S, dtype=np.int64)
    conv = np.zeros(S, dtype=np.bool_)
    args = (Ws, X0, p, q, kt, css, maxiter, tol)
    n_threads = max(1, min(numba.get_num_threads(), os.cpu_count() or 1, S))
    if not compiled:
        global _interpreted_series
        _interpreted_series += S
        INTERPRETED.fit_rows(*args, 0, S, X, fval, n_iter, conv)
    elif n_threads == 1:
        _K.fit_rows(*args, 0, S, X, fval, n_iter, conv)
    else:
        bounds = np.linspace(0, S, 4 * n_threads + 1).astype(int)  # small chunks balance load
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            futures = [
                pool.submit(_K.fit_rows, *args, int(a), int(b), X, fval, n_iter, conv)
                for a, b in pairwise(bounds.tolist())
                if b > a
            ]
            for fut in futures:
                fut.result()
    return X, n_iter, conv

"""SARIMAX maximum likelihood: the compiled kernels' inputs and the optimiser.

:func:`optimiser_data` lays the data out as :func:`._sarimax_kernels.sarimax_nll` reads it
(differenced where that is exact up to the approximate diffuse prior, module docstring
there); :func:`fit_mle` runs the shared BFGS (:mod:`._bfgs`) on it from a start. Models
the profile kernel does not cover (differencing together with missing values, or a time
trend with differencing) run the same BFGS on the full state-space likelihood of
:meth:`Spec.system` (statsmodels' approximate diffuse initialisation).

The BFGS runs interpreted around the compiled likelihood for a process's first profile fits
(nothing to compile: a first call stays cheap) until they have taken an estimated
``INTERPRETED_BUDGET_S`` seconds, counted over the processes that share numba's cache folder
(``seqlab._jit.FirstCalls``), and compiled, with the likelihood inlined, from then on or
whenever numba's cache already holds it (the interpreted loop costs 4-7x a short series'
warm fit: airline 0.0034 -> 0.013 of statsmodels' time, macrodata 0.006 -> 0.041). Both run
the same code objects (:mod:`._bfgs`): the same numbers either way
(tests/classical/test_sarimax_bfgs_paths.py), so what ran before decides only the speed.

>>> import numpy as np
>>> from seqlab.classical._sarimax_system import make_spec
>>> y = np.cumsum(np.random.default_rng(0).normal(size=50))
>>> w, X, dims = optimiser_data(make_spec((1, 1, 0), (0, 0, 0, 0), "n", 0), y, np.zeros((50, 0)))
>>> w.shape, X.shape                                        # the differenced series
((49,), (49, 0))
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from seqlab.classical._bfgs import bind
from seqlab.classical._sarimax_system import Spec
from seqlab.exceptions import SeqlabValueError

__all__ = ["estimate", "fit_mle", "optimiser_data"]

#: seconds of profile fits run by the interpreted BFGS (this process and earlier ones that
#: shared numba's cache folder) before the compiled one is built (~3 s CPU); an airline fit
#: counts ~1 ms
INTERPRETED_BUDGET_S = 1.0
#: estimated interpreted overhead of one likelihood evaluation of the BFGS (what the gate
#: counts, ~(k + 2) per iteration: an estimate, so that compiling the likelihood inside the
#: first fit does not count)
_EVAL_COST_S = 30e-6


def optimiser_data(spec: Spec, y: np.ndarray, X: np.ndarray) -> tuple[Any, ...] | None:
    """``(w, X, dims)`` for the profile kernel, or None for the full state-space path.

    With differencing and no missing value, the differencing states' approximate diffuse
    prior (variance 1e6) perturbs the likelihood only by O(1e-6) of the first ``d + sD``
    updates: the ARMA likelihood of the differenced series (and differenced regressors) is
    the same function up to that, without the diffuse states (m = k instead of d + sD + k),
    without the cancellation of 1e6 variances that puts ~1e-9 noise on finite-difference
    gradients, and with sigma2 profiled out exactly. Its optimum is then re-evaluated by the
    full filter (statsmodels' likelihood exactly).
    """
    if spec.trend_powers not in ((), (0,)):
        return None
    if spec.k_diff_states:
        if np.isnan(y).any():
            return None
        y = spec.difference(y)
        X = spec.difference(X)
    nan = np.flatnonzero(np.isnan(y))
    dims = np.array([spec.k_trend, spec.k_exog, spec.p, spec.q, spec.P, spec.Q, spec.s,
                     spec.k_order, int(nan[-1]) if nan.size else -1, nan.size, 0],
                    dtype=np.int64)
    n = y.shape[0]
    return (np.ascontiguousarray(y, dtype=np.float64),
            np.ascontiguousarray(X, dtype=np.float64).reshape(n, spec.k_exog), dims)


def _profile(x: np.ndarray, args: tuple[Any, np.ndarray, Any]) -> float:
    """The BFGS objective: ``args = (kernel, scale, data)`` (:func:`nll_kernel`)."""
    kernel, scale, data = args
    return float(kernel(x, scale, data))


@functools.cache
def _compiled_bfgs(kind: str) -> Any:
    """The compiled BFGS around the likelihood ``kind`` (:func:`nll_kernel`: "arma", "ar" or
    "ma"); ``bfgs(x0, (scale, w, X, dims), maxiter, gtol)``."""
    from seqlab._jit import njit
    from seqlab.classical import _sarimax_kernels as K

    kernel = K.KERNELS[kind]

    def objective(x, args):  # pragma: no cover - compiled
        scale, w, X, dims = args
        return kernel(x, scale, (w, X, dims))

    tag = "sarimax" if kind == "arma" else f"sarimax_{kind}"
    objective.__qualname__ = f"objective_{tag}"  # its own numba cache file
    return bind(njit(cache=True)(objective), tag, compiled=True)


_AOT_NAMES = {"arma": "sarimax_nll", "ar": "sarimax_nll_ar", "ma": "sarimax_nll_ma"}


def _gate(kind: str) -> Any:
    from seqlab._jit import GATES, FirstCalls

    name = f"sarimax_bfgs_{kind}"
    return GATES.get(name) or FirstCalls(
        name, lambda: (_compiled_bfgs(kind),), INTERPRETED_BUDGET_S)


@functools.cache
def _constrain() -> Any:
    """The kernels' ``constrain_params`` run by the interpreter, for the one call after the
    optimiser (the same numbers; a warm process need not load its compiled code)."""
    from seqlab._jit import interpreted
    from seqlab.classical import _sarimax_kernels as K

    return interpreted(K, ("_monahan", "constrain_params"))


def use_compiled(kind: str) -> bool:
    """Whether the next profile fit runs the compiled BFGS (module docstring); a False
    answer is a promise to report the fit's seconds to ``_gate(kind).spend``."""
    return not _gate(kind).interpret()


def _full_nll(spec: Spec, y: np.ndarray, X: np.ndarray, n_eff: int) -> Any:
    """The state-space negative log-likelihood per observation (Python + compiled filter)."""

    def nll(x: np.ndarray, scale: np.ndarray) -> float:
        params = spec.constrain(x * scale)
        try:
            ss = spec.system(params)
        except SeqlabValueError:
            return math.inf
        d, c = spec.intercepts(params, X, 0)
        val = -ss.filter(y, d, c, loop=True).llf / n_eff
        return float(val) if math.isfinite(val) else math.inf

    return nll


def fit_mle(
    spec: Spec, y: np.ndarray, X: np.ndarray, x0: np.ndarray, scale: np.ndarray, maxiter: int
) -> tuple[np.ndarray, int, bool]:
    """Minimise the negative log-likelihood from ``x0`` (unconstrained, divided by
    ``scale``); returns ``(params, n_iter, converged)`` (params in statsmodels' order)."""
    from seqlab._aot import kernel as aot_kernel
    from seqlab.classical._sarimax_kernels import KERNELS, nll_kernel

    x0 = np.ascontiguousarray(x0, dtype=np.float64)
    data = optimiser_data(spec, y, X)
    if data is None:
        n_eff = int(np.sum(~np.isnan(y[spec.k_diff_states:])))
        full_nll = _full_nll(spec, y, X, n_eff)
        bfgs = bind(lambda x, _: full_nll(x, scale), "sarimax_full", compiled=False)
        # the 1e6 diffuse variances leave ~1e-4 noise on finite-difference gradients: a stall
        # with max |gradient| < 1e-3 is convergence (the gtol of the profile path is 1e-7)
        x, _, it, conv = bfgs(x0, None, maxiter, 1e-5)
        return spec.constrain(x * scale), int(it), bool(conv)
    xs, ss = x0[:-1].copy(), scale[:-1].copy()
    kind = nll_kernel(data[2])
    # compiled at install where possible (seqlab._aot): the interpreted BFGS's objective
    nll = aot_kernel(_AOT_NAMES[kind], KERNELS[kind])
    if use_compiled(kind):
        x, _, it, conv = _compiled_bfgs(kind)(xs, (ss, *data), maxiter, 1e-7)
    else:
        x, _, it, conv = bind(_profile, "sarimax", compiled=False)(xs, (nll, ss, data),
                                                                    maxiter, 1e-7)
        _gate(kind).spend(it * (xs.shape[0] + 2) * _EVAL_COST_S)
    params = _constrain().constrain_params(np.r_[x, 1.0], np.r_[ss, 1.0], data[2])
    dims = data[2].copy()
    dims[10] = 1
    params[-1] = nll(x, ss, (data[0], data[1], dims))  # profiled sigma2: exact MLE
    return params, int(it), bool(conv)


def _admissible(spec: Spec, params: np.ndarray) -> bool:
    """Whether the AR parts are stationary and the MA parts invertible (roots outside the
    unit circle), so that the transform of :meth:`Spec.unconstrain` can start from them."""
    _, _, ar, ma, sar, sma, _ = spec.split(params)
    for coef, sign in ((ar, -1.0), (sar, -1.0), (ma, 1.0), (sma, 1.0)):
        if coef.size and np.min(np.abs(np.roots(np.r_[sign * coef[::-1], 1.0]))) <= 1.0:
            return False
    return True


def estimate(
    spec: Spec, y: np.ndarray, X: np.ndarray, params0: np.ndarray, x0: np.ndarray,
    scale: np.ndarray, maxiter: int, method: str,
) -> tuple[np.ndarray, int, bool, float | None]:
    """``method`` "mle", "css" or "css-mle" (see :meth:`SARIMAX.fit`); returns ``(params,
    n_iter, converged, css_llf)`` with ``css_llf`` the conditional log-likelihood for
    "css" and None otherwise."""
    from seqlab._validation import check_choice
    from seqlab.classical._sarimax_css import css_fit

    method = check_choice(method, "method", ["mle", "css", "css-mle"])
    if method == "mle":
        return (*fit_mle(spec, y, X, x0, scale, maxiter), None)
    params, llf, n_iter, conv = css_fit(spec, y, X, params0, maxiter)
    if method == "css":
        if not _admissible(spec, params):
            raise SeqlabValueError(
                "the CSS estimates have a non-stationary AR or non-invertible MA part, so "
                "the model has no stationary state for forecasting; use method='mle' or "
                "'css-mle' (whose transform keeps the estimates admissible)")
        return params, n_iter, conv, llf
    # CSS-ML: start the exact MLE at the CSS estimates when they are admissible (R and
    # statsforecast raise an error otherwise; here the default start is kept)
    if _admissible(spec, params):
        x0 = spec.unconstrain(params) / scale
    return (*fit_mle(spec, y, X, x0, scale, maxiter), None)

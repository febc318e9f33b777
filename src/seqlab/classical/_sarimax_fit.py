"""SARIMAX maximum likelihood: the compiled kernels' inputs and the optimiser.

:func:`optimiser_data` lays the data out as :func:`._sarimax_kernels.sarimax_nll` reads it
(differenced where that is exact up to the approximate diffuse prior, module docstring
there); :func:`fit_mle` runs BFGS (:mod:`._sarimax_opt`) on it from a start. Models the
profile kernel does not cover (differencing together with missing values, or a time trend
with differencing) run the same BFGS, interpreted, on the full state-space likelihood of
:meth:`Spec.system` (statsmodels' approximate diffuse initialisation).

The BFGS is compiled once it is in numba's cache or compiled in this process, or after
``COMPILED_MIN_FITS`` fits in this process; before that it runs interpreted around the
compiled likelihood (same code, same numbers): compiling it costs seconds once, which a
single fit does not repay (as for ARIMA, :mod:`._arima_fit`).

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
import types
from types import SimpleNamespace
from typing import Any

import numpy as np

from seqlab.classical._sarimax_system import Spec
from seqlab.exceptions import SeqlabValueError

__all__ = ["estimate", "fit_mle", "optimiser_data"]

COMPILED_MIN_FITS = 16
_interpreted_fits = 0


def _difference(x: np.ndarray, d: int, D: int, s: int) -> np.ndarray:
    for _ in range(d):
        x = x[1:] - x[:-1]
    for _ in range(D):
        x = x[s:] - x[:-s]
    return x


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
        y = _difference(y, spec.d, spec.D, spec.s)
        X = _difference(X, spec.d, spec.D, spec.s)
    nan = np.flatnonzero(np.isnan(y))
    dims = np.array([spec.k_trend, spec.k_exog, spec.p, spec.q, spec.P, spec.Q, spec.s,
                     spec.k_order, int(nan[-1]) if nan.size else -1, nan.size, 0],
                    dtype=np.int64)
    n = y.shape[0]
    return (np.ascontiguousarray(y, dtype=np.float64),
            np.ascontiguousarray(X, dtype=np.float64).reshape(n, spec.k_exog), dims)


def _interpreted(module: Any, names: tuple[str, ...], extra: dict[str, Any]) -> SimpleNamespace:
    """``names`` of ``module`` as plain Python functions calling each other (and ``extra``
    in place of the module's globals of those names); everything else stays compiled."""
    env = dict(vars(module)) | extra
    for name in names:
        fn = getattr(module, name).py_func
        env[name] = types.FunctionType(fn.__code__, env, name, fn.__defaults__)
    return SimpleNamespace(**{name: env[name] for name in names})


_OPT_NAMES = ("_grad", "_set_identity", "_max_abs", "bfgs")


@functools.cache
def _interpreted_bfgs() -> Any:
    from seqlab.classical import _sarimax_opt

    return _interpreted(_sarimax_opt, _OPT_NAMES, {}).bfgs


@functools.cache
def _in_cache() -> bool:
    """Whether numba's on-disk cache holds a compiled ``bfgs`` for this source."""
    from seqlab.classical import _sarimax_opt

    dispatcher: Any = _sarimax_opt.bfgs
    try:
        return bool(dispatcher._cache._cache_file._load_index())
    except Exception:  # a private numba API: if it changes (or fails), "not known"
        return False


def _bfgs() -> Any:
    global _interpreted_fits
    from seqlab.classical import _sarimax_opt

    if (_sarimax_opt.bfgs.signatures or _interpreted_fits >= COMPILED_MIN_FITS
            or _in_cache()):
        return _sarimax_opt.bfgs
    _interpreted_fits += 1
    return _interpreted_bfgs()


def _full_nll(spec: Spec, y: np.ndarray, X: np.ndarray, n_eff: int) -> Any:
    """The state-space negative log-likelihood per observation (Python + compiled filter)."""

    def nll(x: np.ndarray, scale: np.ndarray, data: Any) -> float:
        params = spec.constrain(x * scale)
        try:
            ss = spec.system(params)
        except SeqlabValueError:
            return math.inf
        d, c = spec.intercepts(params, X, 0)
        val = -ss.filter(y, d, c).llf / n_eff
        return float(val) if math.isfinite(val) else math.inf

    return nll


def fit_mle(
    spec: Spec, y: np.ndarray, X: np.ndarray, x0: np.ndarray, scale: np.ndarray, maxiter: int
) -> tuple[np.ndarray, int, bool]:
    """Minimise the negative log-likelihood from ``x0`` (unconstrained, divided by
    ``scale``); returns ``(params, n_iter, converged)`` (params in statsmodels' order)."""
    from seqlab.classical._sarimax_kernels import constrain_params, sarimax_nll

    x0 = np.ascontiguousarray(x0, dtype=np.float64)
    data = optimiser_data(spec, y, X)
    if data is None:
        n_eff = int(np.sum(~np.isnan(y[spec.k_diff_states:])))
        from seqlab.classical import _sarimax_opt

        bfgs = _interpreted(_sarimax_opt, _OPT_NAMES,
                            {"sarimax_nll": _full_nll(spec, y, X, n_eff)}).bfgs
        # the 1e6 diffuse variances leave ~1e-4 noise on finite-difference gradients: a stall
        # with max |gradient| < 1e-3 is convergence (the gtol of the compiled path is 1e-7)
        x, _, it, conv = bfgs(x0, scale, None, maxiter, 1e-5)
        return spec.constrain(x * scale), int(it), bool(conv)
    xs, ss = x0[:-1].copy(), scale[:-1].copy()
    x, _, it, conv = _bfgs()(xs, ss, data, maxiter, 1e-7)
    params = constrain_params(np.r_[x, 1.0], np.r_[ss, 1.0], data[2])
    dims = data[2].copy()
    dims[10] = 1
    params[-1] = sarimax_nll(x, ss, (data[0], data[1], dims))  # profiled sigma2: exact MLE
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

"""Conditional-sum-of-squares (CSS) starting values for AutoARIMA's candidates, as R's CSS-ML.

R's ``arima(method="CSS-ML")`` (statsforecast's default inside AutoARIMA) first minimises
``0.5 log(S / nu)`` with ``S = sum_{t >= ncond} e_t^2`` the sum of squared residuals of the
multiplicative ARMA recursion on the differenced series (regression terms removed), then
starts the exact-likelihood optimiser there. The start matters: seasonal models often have
a second, higher likelihood optimum on the MA unit circle, which the root check rejects; R
(and statsforecast) end at the interior optimum nearest the CSS estimate, and so do we.

A candidate whose CSS AR estimate (non-seasonal or seasonal polynomial) is non-stationary is
rejected, as in R. statsforecast 2.1.1's explicit check (``arCheck``) never fires (its
``np.argmax`` finds the leading 1 where R takes the last non-zero coefficient), but the same
candidates fail there one step later: the partial-autocorrelation transform of a
non-stationary AR is NaN, and so is the score.

The minimiser is scipy's BFGS, as statsforecast's, with scipy's default gradient (forward
differences, absolute step sqrt(eps)): :class:`_Differenced` computes it in Python without
scipy's per-evaluation machinery, the same numbers bit for bit. That still calls the
objective once per parameter through Python; where the
compiled objective :func:`_css_objective` gives the interpreted one's numbers bit for bit
(at most one regression column, and each lag polynomial product a sum of single terms:
``p < s`` or no seasonal AR, ``q < s`` or no seasonal MA), :func:`_css_grad` computes that
same forward-difference gradient in one compiled call and is passed as ``jac``: the same
iterates, 3-4x less time per candidate. Until those kernels are compiled or in numba's
cache, starts use scipy's own differences for up to ``INTERPRETED_BUDGET_S`` seconds,
counted over the processes that share the cache folder (``seqlab._jit.FirstCalls``: a
first fit stays cheap, and sustained use compiles once, for every later process).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> e = rng.normal(size=301)
>>> y = e[1:] + 0.5 * e[:-1]
>>> start, ok = css_start(y, (0, 0, 1), (0, 0, 0, 0), "n", np.zeros((300, 0)))
>>> ok, round(float(start[0]), 1)
(True, 0.5)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.optimize

from seqlab._aot import kernel as aot_kernel
from seqlab._jit import njit
from seqlab.classical._auto_arima_kernels import _css

__all__ = ["css_start", "invertible", "profile_llf"]


#: scipy's BFGS default absolute finite-difference step (``scipy.optimize._optimize._epsilon``)
_FD_STEP = math.sqrt(np.finfo(float).eps)
#: seconds of CSS starts run with scipy's own finite differences (this process and earlier
#: ones sharing numba's cache folder) before the compiled gradient is built (~2 s CPU);
#: AutoARIMA's airline search spends ~0.045 s of it
INTERPRETED_BUDGET_S = 1.0
#: estimated seconds of one interpreted objective evaluation (what the gate counts: an
#: estimate, not a clock, so that compiling or loading the inner kernel does not count)
_EVAL_COST_S = 25e-6


@njit(cache=True)
def _expand_nb(a: np.ndarray, sa: np.ndarray, s: int, sign: float) -> np.ndarray:
    """:func:`_expand` compiled: the same products, summed in index order."""
    nl, nr = a.shape[0] + 1, sa.shape[0] * s + 1
    left = np.empty(nl)
    left[0] = 1.0
    for i in range(nl - 1):
        left[i + 1] = sign * a[i]
    right = np.zeros(nr)
    right[0] = 1.0
    for j in range(sa.shape[0]):
        right[(j + 1) * s] = sign * sa[j]
    out = np.empty(nl + nr - 2)
    for k in range(1, nl + nr - 1):
        acc = 0.0
        for i in range(max(0, k - nr + 1), min(k, nl - 1) + 1):
            acc += left[i] * right[k - i]
        out[k - 1] = acc * sign
    return out


@njit(cache=True)
def _css_objective(x: np.ndarray, y: np.ndarray, R: np.ndarray, yd: np.ndarray,
                   dims: np.ndarray) -> float:
    """``css_start``'s objective compiled (``dims = p, q, P, Q, s, d, D, ncond``; ``R`` has
    at most one column)."""
    p, q, P, Q, s, d, D, ncond = dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], \
        dims[6], dims[7]
    k_ar = p + q + P + Q
    phi = _expand_nb(x[:p], x[p + q:p + q + P], s, -1.0)
    theta = _expand_nb(x[p:p + q], x[p + q + P:k_ar], s, 1.0)
    if R.shape[1] == 0:
        return _css(yd, phi, theta, ncond)
    w = np.empty(y.shape[0])
    for t in range(y.shape[0]):
        w[t] = y[t] - R[t, 0] * x[k_ar]
    for _ in range(d):
        w = w[1:] - w[:-1]
    for _ in range(D):
        w = w[s:] - w[:-s]
    return _css(np.ascontiguousarray(w), phi, theta, ncond)


@njit(cache=True)
def _css_grad(x: np.ndarray, y: np.ndarray, R: np.ndarray, yd: np.ndarray,
              dims: np.ndarray, step: float) -> np.ndarray:
    """scipy's default BFGS gradient of :func:`_css_objective` (``approx_derivative``,
    2-point, absolute step ``step``): ``(f(x + h e_i) - f(x)) / ((x_i + h) - x_i)``."""
    f0 = _css_objective(x, y, R, yd, dims)
    n = x.shape[0]
    g = np.empty(n)
    x1 = x.copy()
    for i in range(n):
        h = step
        if (x[i] + h) - x[i] == 0.0:  # scipy's fallback: a relative step
            h = step * (1.0 if x[i] >= 0 else -1.0) * max(1.0, abs(x[i]))
        x1[i] = x[i] + h
        dx = (x[i] + h) - x[i]
        g[i] = (_css_objective(x1, y, R, yd, dims) - f0) / dx
        x1[i] = x[i]
    return g


class _Differenced:
    """An objective with scipy's BFGS default gradient computed in Python: the same numbers
    as scipy's own forward differences (``approx_derivative``, 2-point, absolute step
    ``step`` with its relative fallback), and as :func:`_css_grad`, without scipy's
    per-evaluation machinery (~25 us an evaluation against the objective's ~6: a CSS start
    of the airline model 1.49 -> 0.88 ms, the same iterates bit for bit; issue 17).

    ``fun`` remembers its last point, so the gradient's f(x) is the value the optimiser
    just asked for, as scipy passes it (``f0``); ``calls`` counts the objective's
    evaluations, what scipy's ``nfev`` counted with its own differences.
    """

    def __init__(self, objective: Any, step: float = _FD_STEP) -> None:
        self.objective, self.step, self.calls = objective, step, 0
        self._key: bytes | None = None
        self._value = 0.0

    def fun(self, x: np.ndarray) -> float:
        key = x.tobytes()  # bits, not values: -0.0 and 0.0 are evaluated apart
        if key != self._key:
            self._value = float(self.objective(x))
            self._key = key
            self.calls += 1
        return self._value

    def jac(self, x: np.ndarray) -> np.ndarray:
        f0 = self.fun(x)
        g = np.empty(x.shape[0])
        x1 = x.copy()  # scipy (1.17): a copy of x with x_i + h in place of x_i
        for i in range(x.shape[0]):
            h = self.step
            if (x[i] + h) - x[i] == 0.0:  # scipy's fallback: a relative step
                h = self.step * (1.0 if x[i] >= 0 else -1.0) * max(1.0, abs(x[i]))
            x1[i] = x[i] + h
            dx = x1[i] - x[i]
            g[i] = (float(self.objective(x1)) - f0) / dx
            self.calls += 1
            x1[i] = x[i]
        return g


def _gate() -> Any:
    from seqlab._jit import GATES, FirstCalls

    return GATES.get("css_grad") or FirstCalls(
        "css_grad", lambda: (_css_grad, _css_objective), INTERPRETED_BUDGET_S)


def _expand(a: np.ndarray, sa: np.ndarray, s: int, sign: float) -> np.ndarray:
    """Lag coefficients c of (1 + sign a(L))(1 + sign sa(L^s)) = 1 + sign sum c_i L^i."""
    if sa.shape[0] == 0:  # (sign a_i) 1.0 sign == a_i exactly: no convolution to run
        return np.array(a, dtype=np.float64)
    left = np.empty(a.shape[0] + 1)  # not np.r_ (~6 us a call, ~3,600 calls a search)
    left[0] = 1.0
    left[1:] = sign * a
    right = np.zeros(sa.shape[0] * s + 1)
    right[0] = 1.0
    if sa.shape[0]:
        right[s::s] = sign * sa
    return np.convolve(left, right)[1:] * sign


def _stationary(ar: np.ndarray) -> bool:
    """All roots of ``1 - ar_1 z - ... - ar_p z^p`` outside the unit circle."""
    nz = np.nonzero(ar != 0)[0]
    if nz.size == 0:
        return True
    roots = np.polynomial.polynomial.polyroots(np.r_[1.0, -ar[: nz[-1] + 1]])
    return bool(np.all(np.abs(roots) > 1))


def _ma_invert(ma: np.ndarray) -> np.ndarray:
    """Reflect MA roots inside the unit circle to their inverses (R's maInvert)."""
    nz = np.nonzero(np.abs(ma) > 0)[0]
    if nz.size == 0:
        return ma
    q0 = int(nz[-1]) + 1
    roots = np.polynomial.polynomial.polyroots(np.r_[1.0, ma[:q0]])
    inside = np.abs(roots) < 1
    if not inside.any():
        return ma
    roots[inside] = 1.0 / roots[inside]
    poly = np.polynomial.polynomial.polyfromroots(roots).real
    poly = poly / poly[0]
    out = np.zeros_like(ma)
    out[:q0] = poly[1:q0 + 1]
    return out


def invertible(params: np.ndarray, order: tuple[int, int, int],
               seasonal_order: tuple[int, int, int, int]) -> np.ndarray:
    """``params`` (SARIMAX's order) with both MA polynomials made invertible (an ML start).

    statsforecast scores the raw CSS estimate (its ``maInvert`` is a no-op: the same
    ``argmax`` slip), so a non-invertible one scores ``inf``; only the ML start is flipped.
    """
    p, q = order[0], order[2]
    P, Q = seasonal_order[0], seasonal_order[2]
    out = params.copy()
    i = out.shape[0] - 1 - (p + q + P + Q)  # trend and exog come first
    out[i + p:i + p + q] = _ma_invert(out[i + p:i + p + q])
    j = i + p + q + P
    out[j:j + Q] = _ma_invert(out[j:j + Q])
    return out


def _diff(x: np.ndarray, d: int, D: int, s: int) -> np.ndarray:
    for _ in range(d):
        x = x[1:] - x[:-1]
    for _ in range(D):
        x = x[s:] - x[:-s]
    return x


def css_start(
    y: np.ndarray,
    order: tuple[int, int, int],
    seasonal_order: tuple[int, int, int, int],
    trend: str,
    X: np.ndarray,
    compiled: bool | None = None,
) -> tuple[np.ndarray, bool]:
    """SARIMAX start parameters from a CSS fit; ``(params, ok)``.

    ``params`` in SARIMAX's order (trend "c" intercept, exog, ar, ma, sar, sma, sigma2);
    ``ok`` False when the CSS AR estimate is non-stationary (or not finite).
    ``y`` (n,) without NaN; ``X`` (n, k) regressors. ``compiled``: the compiled gradient
    where it is exact (None: as the first-call gate says, module docstring), or never
    (False): the same numbers either way.
    """
    p, d, q = order
    P, D, Q, s = seasonal_order
    s = max(s, 1)
    n = y.shape[0]
    k_ar = p + P + q + Q
    regs = [X]
    mult = 1.0
    if trend == "c":  # mean (d + D = 0) or drift t (d + D = 1), as R's regression terms
        regs.insert(0, (np.arange(1, n + 1.0) if d + D == 1 else np.ones(n))[:, None])
        mult = 1.0 if d == 1 else float(s) if D == 1 else 1.0
    R = np.column_stack(regs) if sum(r.shape[1] for r in regs) else np.zeros((n, 0))
    nreg = R.shape[1]
    Rd = _diff(R, d, D, s)
    yd = _diff(y, d, D, s)
    beta0 = np.linalg.lstsq(Rd, yd, rcond=None)[0] if nreg else np.zeros(0)
    ncond = p + P * s

    css = aot_kernel("css", _css)  # compiled at install where possible (seqlab._aot)

    def unpack(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ar, ma = x[:p], x[p:p + q]
        sar, sma = x[p + q:p + q + P], x[p + q + P:k_ar]
        return _expand(ar, sar, s, -1.0), _expand(ma, sma, s, 1.0), x[k_ar:]

    def objective(x: np.ndarray) -> float:
        phi, theta, beta = unpack(x)
        w = _diff(y - R @ beta, d, D, s) if nreg else yd
        return float(css(np.ascontiguousarray(w), phi, theta, ncond))

    diffs = _Differenced(objective)  # scipy's forward differences, in Python
    fun: Any = diffs.fun
    jac: Any = diffs.jac
    exact = nreg <= 1 and (P == 0 or p < s) and (Q == 0 or q < s)
    gate = _gate() if exact and compiled is None else None
    timed = gate is not None and gate.interpret()
    if exact and compiled is not False and (compiled or not timed):
        dims = np.array([p, q, P, Q, s, d, D, ncond], dtype=np.int64)
        args = (np.ascontiguousarray(y, dtype=np.float64),
                np.ascontiguousarray(R, dtype=np.float64),
                np.ascontiguousarray(yd, dtype=np.float64), dims)

        def fun(x: np.ndarray) -> float:  # the same objective, compiled
            return float(_css_objective(x, *args))

        def jac(x: np.ndarray) -> np.ndarray:
            return _css_grad(x, *args, _FD_STEP)

    x0 = np.r_[np.zeros(k_ar), beta0]
    if x0.size:
        with np.errstate(all="ignore"):
            res = scipy.optimize.minimize(fun, x0, method="BFGS", jac=jac,
                                          options={"gtol": 1e-8, "maxiter": 100})
        if timed and gate is not None:
            gate.spend(diffs.calls * _EVAL_COST_S)
        x = res.x if res.status != 1 and np.all(np.isfinite(res.x)) else x0
    else:
        x = x0
    ar, ma = x[:p], x[p:p + q]
    sar, sma = x[p + q:p + q + P], x[p + q + P:k_ar]
    ok = bool(np.all(np.isfinite(x))) and _stationary(ar) and _stationary(sar)
    phi, theta, beta = unpack(x)
    w = _diff(y - R @ beta, d, D, s) if nreg else yd
    sigma2 = math.exp(2.0 * css(np.ascontiguousarray(w), phi, theta, ncond))
    if not math.isfinite(sigma2) or sigma2 <= 0:
        sigma2 = float(np.var(yd)) if yd.size > 1 else 1.0
    trend_part = np.zeros(0)
    if trend == "c":
        ar_poly1 = (1.0 - ar.sum()) * (1.0 - sar.sum())
        trend_part = np.array([beta[0] * mult * ar_poly1])
        beta = beta[1:]
    return np.r_[trend_part, beta, ar, ma, sar, sma, sigma2], ok


def profile_llf(
    y: np.ndarray,
    order: tuple[int, int, int],
    seasonal_order: tuple[int, int, int, int],
    trend: str,
    X: np.ndarray,
    params: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Exact log-likelihood at ``params`` with sigma2 profiled out (R's concentrated one).

    One Kalman pass at unit innovation variance (the diffuse states keep variance 1e6 in
    those units, as R's kappa); ``sigma2 = sum v^2 / F / n_used`` and
    ``llf = -n_used/2 (log 2 pi + log sigma2 + 1) - 1/2 sum log F`` over the observations
    after the diffuse burn-in. Returns ``(llf, params with that sigma2)``.
    """
    from seqlab.classical._sarimax_system import make_spec

    spec = make_spec(order, seasonal_order, trend, X.shape[1])
    unit = params.copy()
    unit[-1] = 1.0
    ss = spec.system(unit)
    d, c = spec.intercepts(unit, X, 0)
    res = ss.filter(y, d, c)
    v, F = res.v[ss.burn:], res.F[ss.burn:]
    ok = ~np.isnan(v)
    n_used = int(ok.sum())
    if n_used == 0 or not np.all(F[ok] > 0):
        return -math.inf, params
    s2 = float(np.sum(v[ok] ** 2 / F[ok]) / n_used)
    if not s2 > 0:
        return -math.inf, params
    llf = -0.5 * n_used * (math.log(2 * math.pi) + math.log(s2) + 1.0) - 0.5 * float(
        np.sum(np.log(F[ok])))
    out = params.copy()
    out[-1] = s2
    return llf, out

"""ARIMA estimation pieces: argument checks, the exact and CSS likelihoods, the compiled
BFGS over many series, units, and the numerical Hessian behind the standard errors.

:func:`arima_loglike` is the exact likelihood by the Kalman filter with the stationary
initialisation (Hamilton 1994 §13.2–13.4; Durbin & Koopman 2012 §4.3, §5.6), on the
differenced series ``w = diff(y, d)``.

Units: the likelihood of ``w`` equals ``loglik(w / c) - n log c`` with ``mu`` in units of
``c`` and ``sigma2`` in units of ``c^2``. Every computation here runs on ``w / c`` with ``c``
the power of two just above ``max |w|`` (exact in floating point; ``_units``), so squares and
sums of squares never overflow or underflow (data of 1e200 or 1e-300), and ``y`` and
``2^k y`` give bit-identical fits.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any, Literal

import numba
import numpy as np

from seqlab._validation import as_float_array, check_choice, check_int
from seqlab.classical import _ar_kernels as _ARK
from seqlab.classical import _arima_kernels as _K
from seqlab.classical._units import in_units, magnitude, unit_for
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["arima_loglike"]

Trend = Literal["n", "c", "t"]
_MAX_D = 2


def _check_order(order: Any) -> tuple[int, int, int]:
    if not isinstance(order, Sequence) or isinstance(order, str) or len(order) != 3:
        raise SeqlabTypeError(f"order must be a tuple (p, d, q) of three integers; got {order!r}.")
    p = check_int(order[0], "order p", minimum=0)
    d = check_int(order[1], "order d", minimum=0)
    q = check_int(order[2], "order q", minimum=0)
    if d > _MAX_D:
        raise SeqlabValueError(
            f"order d = {d} is too large: seqlab supports d <= {_MAX_D} (more differencing is "
            "almost never appropriate and is numerically ill-conditioned); difference the "
            "series yourself if you really need it."
        )
    return p, d, q


def _resolve_trend(trend: Any, d: int) -> str:
    if trend is None:
        return "c" if d == 0 else "n"
    check_choice(trend, "trend", ("n", "c", "t"))
    if trend == "c" and d != 0:
        raise SeqlabValueError(
            f"trend='c' is not identified when d = {d} (differencing removes a constant); "
            "use trend='t' for a drift with d = 1, or trend='n'."
        )
    if trend == "t" and d != 1:
        raise SeqlabValueError(
            f"trend='t' (drift) needs d = 1; got d = {d}. Use trend='c' with d = 0 "
            "(a mean) or trend='n'."
        )
    return str(trend)


def _check_length(n: int, p: int, d: int, q: int, k_trend: int, name: str = "y") -> None:
    need = d + p + q + k_trend + 3
    if n < need:
        raise SeqlabValueError(
            f"{name} is too short for an ARIMA({p},{d},{q}) fit: it has {n} observation(s) but "
            f"at least d + p + q + k_trend + 3 = {need} are needed; pass a longer series or "
            "lower the order."
        )


def _full_loglik(w: np.ndarray, phi, theta, mu: float, sigma2: float) -> float:
    e = np.empty(0)
    sumlog, ssq, ok = _K.kalman_arma(w, phi, theta, mu, False, e, e, e, np.empty((0, 0)))
    if not ok:
        return float("nan")
    n = w.shape[0]
    return float(-0.5 * (n * math.log(2 * math.pi) + sumlog + n * math.log(sigma2) + ssq / sigma2))


def _css_loglik(w: np.ndarray, phi, theta, mu: float, sigma2: float) -> float:
    ssq = _K.css_arma(w, phi, theta, mu, False, np.empty(0))
    ne = w.shape[0] - phi.shape[0]
    return float(-0.5 * (ne * math.log(2 * math.pi * sigma2) + ssq / sigma2))


def _split(params: np.ndarray, p: int, q: int, k_trend: int):
    mu = float(params[0]) if k_trend else 0.0
    phi = np.ascontiguousarray(params[k_trend : k_trend + p], dtype=np.float64)
    theta = np.ascontiguousarray(params[k_trend + p : k_trend + p + q], dtype=np.float64)
    return mu, phi, theta


def arima_loglike(
    y: Any, order: tuple[int, int, int], params: Any, trend: Trend | None = None
) -> float:
    """Exact Gaussian log-likelihood of ARIMA(p, d, q) at ``params``.

    ``params`` = ``[const|drift (if trend), ar (p), ma (q), sigma2]`` as statsmodels orders
    them; equals ``statsmodels.tsa.arima.model.ARIMA(y, order=order, trend=trend)
    .loglike(params)``. The Kalman filter on ``w = diff(y, d)`` gives
    ``loglik = -1/2 sum_t (log 2 pi + log F_t + v_t^2 / F_t)`` (Hamilton §13.4).

    >>> import numpy as np
    >>> y = np.array([0.3, -0.1, 0.4, 0.9, 0.2, -0.5, 0.1, 0.6])
    >>> round(arima_loglike(y, (1, 0, 0), [0.0, 0.5, 1.0], trend="c"), 6)
    -8.330349
    """
    p, d, q = _check_order(order)
    tr = _resolve_trend(trend, d)
    kt = int(tr != "n")
    arr = as_float_array(y, "y", ndim=1)
    _check_length(arr.shape[0], p, d, q, kt)
    par = as_float_array(params, "params", ndim=1)
    if par.shape[0] != kt + p + q + 1:
        raise SeqlabValueError(
            f"params must have {kt + p + q + 1} entries ([trend] + ar + ma + sigma2) for "
            f"ARIMA{(p, d, q)} with trend={tr!r}; got {par.shape[0]}."
        )
    mu, phi, theta = _split(par, p, q, kt)
    if not _ARK.ar_to_pacf(phi)[1]:
        raise SeqlabValueError(
            "params: the AR part is not stationary; the exact likelihood needs it."
        )
    sigma2 = float(par[-1])
    if not sigma2 > 0:
        raise SeqlabValueError(f"params: sigma2 must be > 0; got {sigma2}.")
    ws, c = in_units(np.ascontiguousarray(np.diff(arr, n=d)), always=True)
    loglik = _full_loglik(ws, phi, theta, mu / c, (sigma2 / c) / c)
    return loglik - ws.shape[0] * math.log(c)


def _standardise(W: np.ndarray, kt: int, d: int, single: bool):
    """``(Wc, unit, loc, scale)`` for the rows of ``W`` (S, n - d): ``Wc = W / unit`` with a
    power-of-two ``unit`` per series, and the location/scale the optimiser centres ``Wc`` by.

    Refuses a series with nothing to fit: constant (with a mean or drift) or all zeros.
    """
    unit = np.array([unit_for(magnitude(row), always=True) for row in W])
    Wc = np.ascontiguousarray(W / unit[:, None])
    flat = np.ptp(Wc, axis=1) == 0 if kt else ~np.any(Wc, axis=1)
    if flat.any():
        bad = int(np.argmax(flat))
        name = "y" if single else f"y[:, {bad}]"
        if kt:
            what = f"constant after differencing d={d} time(s)" if d else "constant"
        else:
            what = ("all zeros", "constant", "a straight line")[d] + (
                f" (zero after differencing d={d} time(s))" if d else ""
            )
        raise SeqlabValueError(
            f"{name} is {what}: it has no variation for an ARIMA to describe; check the data."
        )
    loc = Wc.mean(axis=1) if kt else np.zeros(W.shape[0])
    scale = np.sqrt(((Wc - loc[:, None]) ** 2).mean(axis=1))
    return Wc, unit, loc, scale


def _fit_many(Ws, X0, use_x0, p, q, kt, css, maxiter, tol):
    """Run the compiled BFGS over the rows of ``Ws`` on ``numba.get_num_threads()`` threads
    (at most the number of cores; the kernel releases the GIL)."""
    S = Ws.shape[0]
    k = p + q + kt
    X = np.empty((S, k))
    fval = np.empty(S)
    n_iter = np.zeros(S, dtype=np.int64)
    conv = np.zeros(S, dtype=np.bool_)
    args = (Ws, X0, use_x0, p, q, kt, css, maxiter, tol)
    n_threads = max(1, min(numba.get_num_threads(), os.cpu_count() or 1, S))
    if n_threads == 1:
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


def _numeric_hessian(f, x: np.ndarray, k_trend: int = 0) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x = [trend, ar, ma, sigma2]``.

    Steps are relative to each parameter's own scale: ``1e-4 max(|x_i|, 1e-2)`` for the
    coefficients, ``1e-4 max(|mu|, sigma)`` for the mean/drift and ``1e-4 sigma2``, so the
    standard errors of ``c * y`` are exactly those of ``y`` scaled (for a power of two c).
    """
    k = x.shape[0]
    floor = np.full(k, 1e-2)
    floor[-1] = 0.0
    if k_trend:
        floor[0] = math.sqrt(x[-1])
    h = 1e-4 * np.maximum(np.abs(x), floor)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            vals = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                xx = x.copy()
                xx[i] += si * h[i]
                xx[j] += sj * h[j]
                vals.append(f(xx))
            H[i, j] = H[j, i] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h[i] * h[j])
    return H


def _start_to_x(start, S, p, q, kt, loc, scale, unit) -> np.ndarray:
    """``start_params`` (user units) as the optimiser's unconstrained vectors (S, k)."""
    k = p + q + kt
    st = as_float_array(start, "start_params", ndim=(1, 2))
    st2 = np.broadcast_to(st, (S, st.shape[-1])) if st.ndim == 1 else st
    if st2.shape[0] != S or st2.shape[1] not in (k, k + 1):
        raise SeqlabValueError(
            f"start_params must have {k} (or {k + 1} with sigma2) entries per series "
            f"([trend] + ar + ma); got shape {st.shape}."
        )
    X0 = np.empty((S, k))
    for s in range(S):
        mu, phi, theta = _split(st2[s], p, q, kt)
        xa, ok_ar = _K.unconstrain(phi)
        xm, ok_ma = _K.unconstrain(-theta)
        if not ok_ar:
            raise SeqlabValueError(
                f"start_params: the AR part {phi.tolist()} is not stationary (a root of "
                "1 - phi_1 z - ... lies on or inside the unit circle); pass stationary "
                "starting values or none."
            )
        if not ok_ma:
            raise SeqlabValueError(
                f"start_params: the MA part {theta.tolist()} is not invertible; pass "
                "invertible starting values or none."
            )
        X0[s, :p] = xa
        X0[s, p : p + q] = xm
        if kt:
            X0[s, p + q] = (mu / unit[s] - loc[s]) / scale[s]
    return X0

"""Covariance of the state-space ARIMA/SARIMAX estimates: statsmodels' ``cov_type`` choices.

With ``l_t(theta) = -0.5 (log 2 pi + log F_t + v_t^2 / F_t)`` the log-likelihood of
observation ``t`` (``v_t``, ``F_t`` the Kalman filter's one-step error and variance; the
burnt diffuse periods and missing values contribute 0), in the model's own (constrained)
parameters, as statsmodels ``MLEResults`` does:

============ ===============================================================================
``"opg"``    outer product of gradients, ``cov = (sum_t g_t g_t')^-1``, ``g_t = dl_t/dtheta``
             (statsmodels' default; Berndt, Hall, Hall & Hausman 1974)
``"oim"``    Harvey's (1989, §3.4) information matrix, ``I_ij = sum_t 0.5 F_t^-2 dF_t/dtheta_i
             dF_t/dtheta_j + F_t^-1 dv_t/dtheta_i dv_t/dtheta_j``, ``cov = I^-1``
``"approx"`` the observed information: ``cov = (-d^2 sum_t l_t / dtheta dtheta')^-1``
``"none"``   no covariance (NaN)
============ ===============================================================================

Derivatives are central finite differences (statsmodels uses the complex step) with steps
of 1e-4 (first derivatives) and 3e-3 (the Hessian) relative to each parameter: the
approximate diffuse prior (variance 1e6) leaves ~1e-9 of rounding noise in the
log-likelihood, which smaller steps amplify; on the airline model these standard errors
equal statsmodels' to ~1e-4 (opg, oim) and ~5e-4 (approx) relative at the same parameters.
A step leaving the stationary/invertible region, or a singular information matrix, gives NaN
standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from seqlab.classical.statespace import FilterResult
from seqlab.exceptions import SeqlabValueError

__all__ = ["COV_TYPES", "cov_params"]

COV_TYPES = ("opg", "oim", "approx", "none")
_LOG_2PI = math.log(2.0 * math.pi)


def _obs_terms(res: FilterResult, burn: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask of counted periods, v, F) of a filter run."""
    mask = ~np.isnan(res.v)
    mask[:burn] = False
    return mask, np.where(mask, res.v, 0.0), np.where(mask, res.F, 1.0)


def _llobs(res: FilterResult, burn: int) -> np.ndarray:
    mask, v, F = _obs_terms(res, burn)
    return np.where(mask, -0.5 * (_LOG_2PI + np.log(F) + v * v / F), 0.0)


def _inv(info: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(info)):
        return np.full_like(info, np.nan)
    try:
        return np.asarray(np.linalg.inv(info))
    except np.linalg.LinAlgError:
        return np.full_like(info, np.nan)


def cov_params(
    filt: Callable[[np.ndarray], FilterResult], params: np.ndarray, burn: int, cov_type: str
) -> np.ndarray:
    """(k, k) covariance of ``params`` by ``cov_type`` (module docstring).

    ``filt(params)`` runs the Kalman filter of the fitted data at ``params`` (raising
    SeqlabValueError / LinAlgError outside the admissible region); ``burn`` periods at the
    start are left out, as in the log-likelihood.
    """
    if cov_type not in COV_TYPES:
        raise SeqlabValueError(f"cov_type must be one of {', '.join(map(repr, COV_TYPES))}; "
                               f"got {cov_type!r}")
    k = params.shape[0]
    nan = np.full((k, k), np.nan)
    if cov_type == "none":
        return nan

    def run(x: np.ndarray) -> FilterResult | None:
        try:
            return filt(x)
        except (SeqlabValueError, np.linalg.LinAlgError):
            return None

    if cov_type == "approx":
        h = 3e-3 * np.maximum(np.abs(params), 1e-2)

        def total(x: np.ndarray) -> float:
            res = run(x)
            return float(np.sum(_llobs(res, burn))) if res is not None else math.nan

        f0 = total(params)
        H = np.empty((k, k))
        for i in range(k):
            ei = np.zeros(k)
            ei[i] = h[i]
            H[i, i] = (total(params + ei) - 2 * f0 + total(params - ei)) / h[i] ** 2
            for j in range(i):
                ej = np.zeros(k)
                ej[j] = h[j]
                H[i, j] = H[j, i] = (total(params + ei + ej) - total(params + ei - ej)
                                     - total(params - ei + ej) + total(params - ei - ej)) / (
                    4 * h[i] * h[j])
        return _inv(-H)
    h = 1e-4 * np.maximum(np.abs(params), 1e-2)
    grads = []  # per parameter: d llobs (opg) or (dv, dF) (oim), each (n,)
    res0 = run(params)
    if res0 is None:
        return nan
    mask, _, F0 = _obs_terms(res0, burn)
    for i in range(k):
        e = np.zeros(k)
        e[i] = h[i]
        up, dn = run(params + e), run(params - e)
        if up is None or dn is None:
            return nan
        if cov_type == "opg":
            grads.append((_llobs(up, burn) - _llobs(dn, burn)) / (2 * h[i]))
        else:
            _, vu, Fu = _obs_terms(up, burn)
            _, vd, Fd = _obs_terms(dn, burn)
            grads.append(np.stack([(vu - vd) / (2 * h[i]), (Fu - Fd) / (2 * h[i])]))
    if cov_type == "opg":
        G = np.stack(grads, axis=1)[mask]  # (n_obs, k)
        return _inv(G.T @ G)
    D = np.stack(grads)  # (k, 2, n)
    dv, dF = D[:, 0, mask], D[:, 1, mask]
    F = F0[mask]
    info = (dv / F) @ dv.T + 0.5 * (dF / F**2) @ dF.T
    return _inv(info)

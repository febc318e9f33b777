"""Fitting and scoring one AutoARIMA candidate (R's criteria, statsforecast's estimates).

Two ways to estimate a candidate's parameters before scoring it:

* ``full_ml=True``: exact maximum likelihood (seqlab :class:`SARIMAX`) started at the CSS
  estimates -- R's ``arima(method="CSS-ML")`` when its optimiser converges.
* ``full_ml=False`` (AutoARIMA's default, ``method=None``): what statsforecast 2.1.1's
  AutoARIMA actually computes. When the model differences (d + D > 0) its ML optimiser stops
  at its start (scipy BFGS "precision loss" on the first step: the 1e6 diffuse prior makes
  the finite-difference gradient noise), so its candidates are scored by the exact
  likelihood at the CSS estimates, sigma2 profiled out; without differencing its ML step
  works and we run ours. With gaps (NaN) both use ML.

The score (R's, statsforecast's): ``k`` = number of coefficients + 1 (sigma2),
``n* = observed - d - D s``, ``aic = -2 llf + 2k``, ``aicc = aic + 2k(k+1)/(n*-k-1)``,
``bic = aic + k(log n* - 2)``; ``inf`` when an AR or MA root has modulus < 1.01 or the CSS
AR estimate is non-stationary.

>>> import numpy as np
>>> y = np.cumsum(np.random.default_rng(0).normal(size=100))
>>> value, params, model = score_candidate(y, None, (0, 1, 1), (0, 0, 0, 0), "n", "aicc",
...                                        99, full_ml=False)
>>> bool(np.isfinite(value)), params.shape, model is None
(True, (2,), True)
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from seqlab.classical._auto_arima_css import css_start, invertible, profile_llf
from seqlab.classical._sarimax_data import check_endog, check_exog
from seqlab.classical._sarimax_system import make_spec
from seqlab.classical.sarimax import SARIMAX
from seqlab.exceptions import SeqlabError

__all__ = ["criterion", "fit_from", "score_candidate"]


def _min_root(poly: np.ndarray) -> float:
    """Smallest root modulus of ``1 + poly[0] z + ...`` after dropping trailing zeros.

    2.0 when at most the first coefficient is non-zero (statsforecast skips those)."""
    nz = np.nonzero(np.abs(poly) > 1e-8)[0]
    if nz.size == 0 or nz[-1] == 0:
        return 2.0
    roots = np.polynomial.polynomial.polyroots(np.r_[1.0, poly[: nz[-1] + 1]])
    return float(np.min(np.abs(roots)))


def criterion(llf: float, params: np.ndarray, order: tuple[int, int, int],
              seasonal_order: tuple[int, int, int, int], trend: str, k_exog: int, ic: str,
              nstar: int) -> float:
    """R's aic/aicc/bic of a candidate (``inf`` for a root near the unit circle)."""
    if not math.isfinite(llf):
        return math.inf
    k = params.shape[0]  # coefficients + sigma2, as R's npar
    aic = -2.0 * llf + 2.0 * k
    if ic == "aic":
        value = aic
    elif ic == "bic":
        value = aic + k * (math.log(nstar) - 2.0) if nstar > 0 else math.inf
    else:
        value = aic + 2.0 * k * (k + 1) / (nstar - k - 1) if nstar - k - 1 != 0 else math.inf
    phi, theta = make_spec(order, seasonal_order, trend, k_exog).lag_polynomials(params)
    if min(_min_root(-phi), _min_root(theta)) < 1.01:
        return math.inf
    return float(value)


def fit_from(model: SARIMAX, y: Any, exog: Any, start: np.ndarray | None) -> SARIMAX:
    """``model.fit(y, exog)`` with the optimiser started at ``start`` (SARIMAX's order)."""
    if start is None:
        return model.fit(y, exog)
    start = invertible(start, model.order, model.seasonal_order)
    # SARIMAX's start hook (``_start(spec, y, X)``), set on this instance for this fit only
    model._start = lambda spec, yy, XX: start  # type: ignore[method-assign, assignment]
    try:
        return model.fit(y, exog)
    finally:
        del model._start


def score_candidate(
    y: Any, exog: Any, order: tuple[int, int, int], seasonal_order: tuple[int, int, int, int],
    trend: str, ic: str, nstar: int, full_ml: bool,
) -> tuple[float, np.ndarray | None, SARIMAX | None]:
    """``(ic, params, fitted model or None)``; ``ic = inf`` when the candidate is rejected."""
    yv = check_endog(y)
    X = check_exog(exog, yv.shape[0], None)
    gaps = bool(np.isnan(yv).any() or np.isnan(X).any())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            start = None
            if not gaps:
                start, ok = css_start(yv, order, seasonal_order, trend, X)
                if not ok:
                    return math.inf, None, None
            if not full_ml and not gaps and order[1] + seasonal_order[1] > 0:
                assert start is not None
                llf, params = profile_llf(yv, order, seasonal_order, trend, X, start)
                model = None
            else:
                model = fit_from(SARIMAX(order=order, seasonal_order=seasonal_order,
                                         trend=trend), y, exog, start)
                llf, params = float(model.llf_), model.params_
    except (SeqlabError, np.linalg.LinAlgError, FloatingPointError):
        return math.inf, None, None
    return criterion(llf, params, order, seasonal_order, trend, X.shape[1], ic, nstar), \
        params, model

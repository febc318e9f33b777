"""Simulation from a fitted state-space ARIMA/SARIMAX (statsmodels' ``res.simulate``).

Each path runs the model's state equation forward from a drawn initial state::

    y_t = Z alpha_t + d_t,     alpha_{t+1} = T alpha_t + c_t + R eps_t,   eps_t ~ N(0, sigma2)

``anchor="end"`` (statsmodels' ``anchor="end"``): ``alpha_{n+1}`` is drawn from its filtered
distribution ``N(a_{n+1|n}, P_{n+1|n})`` given all the data, so the paths continue the series
and their mean and variance at each step are :meth:`get_forecast`'s. ``anchor="start"``: a
fresh series from the model's own start, the ARMA block from its stationary distribution and
the differencing states (statsmodels' diffuse 1e6 prior) at 0, i.e. the levels integrated
from 0 as the fast kernel's ``simulate`` does. ``d_t`` and ``c_t`` are the regressors' and
the trend's intercepts of the simulated periods (``exog``: their regressors). The draws run
in the units of the results (``_scaled``), so extreme scales stay finite.

>>> import numpy as np
>>> from seqlab.classical import SARIMAX
>>> y = np.cumsum(np.random.default_rng(0).normal(size=120))
>>> m = SARIMAX(order=(1, 1, 0), seasonal_order=(0, 0, 1, 4)).fit(y)
>>> m.simulate(5, n_paths=3, seed=0).shape
(5, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab._validation import check_choice, check_int, check_random_state

__all__ = ["simulate_paths"]


def simulate_paths(host: Any, steps: Any, n_paths: Any, seed: Any, anchor: str,
                   exog: Any) -> np.ndarray:
    """Paths (steps, n_paths) of the fitted ``host`` (module docstring)."""
    steps = check_int(steps, "steps", minimum=1)
    n_paths = check_int(n_paths, "n_paths", minimum=1)
    check_choice(anchor, "anchor", ("end", "start"))
    rng = check_random_state(seed)
    spec = host._ss_spec()
    p, unit = host._scaled()
    ss = spec.system(p)
    if anchor == "end":
        start = host.nobs_
        res = host._filter_at(p, host._endog / unit, host._exog)
        a, P = np.asarray(res.a_pred[-1]), np.asarray(res.P_last)
    else:
        start = 0
        a, P = np.array(ss.a0, dtype=np.float64), np.array(ss.P0, dtype=np.float64)
        kd = spec.k_diff_states
        P[:kd, :] = 0.0
        P[:, :kd] = 0.0
    X = host._design(exog, start, steps, "exog")
    d, c = spec.intercepts(p, X, start)
    vals, vecs = np.linalg.eigh(0.5 * (P + P.T))
    root = vecs * np.sqrt(np.maximum(vals, 0.0))
    m = a.shape[0]
    alpha = a[:, None] + root @ rng.standard_normal((m, n_paths))  # (m, n_paths)
    sigma = float(np.sqrt(max(float(p[-1]), 0.0)))
    eps = rng.normal(0.0, 1.0, size=(steps, n_paths)) * sigma
    Z, T, R = np.asarray(ss.Z), np.asarray(ss.T), np.asarray(ss.R)[:, 0]
    out = np.empty((steps, n_paths))
    for h in range(steps):
        out[h] = Z @ alpha + d[h]
        alpha = T @ alpha + c[h][:, None] + R[:, None] * eps[h]
    return out * unit

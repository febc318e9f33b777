"""Order selection for ARIMA: fit every (p, q) on a grid and keep the best AIC/BIC."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np

from seqlab._validation import as_float_array, check_choice, check_int
from seqlab.classical.arima import ARIMA
from seqlab.classical.arima_estimation import Trend
from seqlab.exceptions import SeqlabValueError

__all__ = ["select_order"]


def select_order(
    y: Any,
    *,
    d: int = 0,
    max_p: int = 3,
    max_q: int = 3,
    criterion: Literal["aic", "bic"] = "aic",
    trend: Trend | None = None,
    method: Literal["mle", "css"] = "mle",
) -> tuple[ARIMA, dict[tuple[int, int], float]]:
    """Fit ARIMA(p, d, q) for every ``p <= max_p``, ``q <= max_q``; return the fit with the
    smallest AIC/BIC and the table ``{(p, q): criterion}``.

    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> e = rng.normal(size=400)
    >>> y = e[1:] + 0.7 * e[:-1]
    >>> best, table = select_order(y, max_p=1, max_q=1, criterion="bic")
    >>> best.order
    (0, 0, 1)
    """
    d = check_int(d, "d", minimum=0)
    max_p = check_int(max_p, "max_p", minimum=0)
    max_q = check_int(max_q, "max_q", minimum=0)
    check_choice(criterion, "criterion", ("aic", "bic"))
    arr = as_float_array(y, "y", ndim=1)
    table: dict[tuple[int, int], float] = {}
    best: ARIMA | None = None
    best_value = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for p in range(max_p + 1):
            for q in range(max_q + 1):
                model = ARIMA((p, d, q), trend=trend, method=method).fit(arr)
                value = float(model.aic_ if criterion == "aic" else model.bic_)
                table[(p, q)] = value
                if np.isfinite(value) and value < best_value:
                    best, best_value = model, value
    if best is None:
        raise SeqlabValueError("no (p, q) in the grid gave a finite criterion.")
    return best, table

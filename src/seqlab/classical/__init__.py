"""Traditional sequence models: AR(p), MA(q), ARMA, ARIMA(p, d, q) and hidden Markov models.

Scikit-learn style estimators whose names follow statsmodels (``params``, ``sigma2``,
``aic``) and hmmlearn (``startprob_``, ``transmat_``, ``means_``); the hot loops are numba
kernels in the ``_*_kernels`` modules.

The names below load their submodule on first use, so ``from seqlab.classical import AR``
does not import numba and scipy.linalg, which only ARIMA and the HMMs need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> submodule that defines it (a test checks this against each ``__all__``)
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        ("AR", "ARParams", "Forecast", "ar_ols", "burg", "select_ar_order", "yule_walker"),
        "ar",
    ),
    **dict.fromkeys(("ARIMA", "arima_loglike"), "arima"),
    "AutoARIMA": "auto_arima",
    **dict.fromkeys(("kpss", "ndiffs", "nsdiffs", "seasonal_strength"), "unitroot"),
    "select_order": "arima_selection",
    **dict.fromkeys(("SARIMAX", "SARIMAXForecast"), "sarimax"),
    **dict.fromkeys(("FilterResult", "StateSpace", "stationary_cov"), "statespace"),
    **dict.fromkeys(
        ("COVARIANCE_TYPES", "GMMHMM", "BaseHMM", "CategoricalHMM", "ConvergenceMonitor",
         "GaussianHMM", "MultinomialHMM", "PoissonHMM", "check_stochastic"),
        "hmm",
    ),
}
__all__ = [  # literal, for static checkers; a test checks it lists _EXPORTS
    "AR",
    "ARIMA",
    "COVARIANCE_TYPES",
    "GMMHMM",
    "SARIMAX",
    "ARParams",
    "AutoARIMA",
    "BaseHMM",
    "CategoricalHMM",
    "ConvergenceMonitor",
    "FilterResult",
    "Forecast",
    "GaussianHMM",
    "MultinomialHMM",
    "PoissonHMM",
    "SARIMAXForecast",
    "StateSpace",
    "ar_ols",
    "arima_loglike",
    "burg",
    "check_stochastic",
    "kpss",
    "ndiffs",
    "nsdiffs",
    "seasonal_strength",
    "select_ar_order",
    "select_order",
    "stationary_cov",
    "yule_walker",
]

if TYPE_CHECKING:  # static checkers see the real objects
    from seqlab.classical.ar import (
        AR,
        ARParams,
        Forecast,
        ar_ols,
        burg,
        select_ar_order,
        yule_walker,
    )
    from seqlab.classical.arima import ARIMA, arima_loglike
    from seqlab.classical.arima_selection import select_order
    from seqlab.classical.auto_arima import AutoARIMA
    from seqlab.classical.hmm import (
        COVARIANCE_TYPES,
        GMMHMM,
        BaseHMM,
        CategoricalHMM,
        ConvergenceMonitor,
        GaussianHMM,
        MultinomialHMM,
        PoissonHMM,
        check_stochastic,
    )
    from seqlab.classical.sarimax import SARIMAX, SARIMAXForecast
    from seqlab.classical.statespace import FilterResult, StateSpace, stationary_cov
    from seqlab.classical.unitroot import kpss, ndiffs, nsdiffs, seasonal_strength


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seqlab.classical' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"seqlab.classical.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""ARIMA's statsmodels-style results extras: pandas ``resid_``/``fittedvalues_``, ``params``,
roots and the text summary (a mixin of :class:`seqlab.classical.ARIMA`, kept apart so that
module stays small).

statsmodels' results give ``resid`` and ``fittedvalues`` as Series on y's index and
``params`` as a Series named by the parameter names; so does ARIMA for pandas input. The
values are stored as arrays (``_resid``, ``_fitted``) so that ``seqlab.save`` keeps them.

>>> import numpy as np, pandas as pd
>>> from seqlab.classical import ARIMA
>>> y = pd.Series(np.random.default_rng(0).normal(size=48),
...               index=pd.date_range("2000-01", periods=48, freq="MS"))
>>> m = ARIMA((1, 0, 0)).fit(y)
>>> str(m.resid_.index[0].date()), list(m.params.index)
('2000-01-01', ['const', 'ar.L1', 'sigma2'])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from seqlab._validation import check_is_fitted
from seqlab.classical._sarimax_data import past_index
from seqlab.classical.arima_estimation import _check_order

__all__ = ["ARIMAExtras"]


class ARIMAExtras:
    """Results extras of ARIMA (module docstring)."""

    _pandas: bool
    _index: tuple[str, str, str]
    _resid: np.ndarray
    _fitted: np.ndarray
    _many: bool
    _path: str
    params_: Any
    param_names_: list[str]
    arparams_: Any
    maparams_: Any
    order: Any
    seasonal_order: Any
    method: str
    cov_type: str
    nobs_: int
    llf_: Any
    aic_: Any
    bic_: Any
    bse_: Any

    def _on_index(self, values: np.ndarray) -> Any:
        if values.ndim != 1 or not self._pandas:
            return values
        import pandas as pd

        return pd.Series(values, index=past_index(self._index, values.shape[0]))

    @property
    def resid_(self) -> Any:
        """One-step prediction errors (n,) ((n, S) after ``fit_many``), NaN for the first
        ``d + sD``; a Series on y's index (dates/periods with a frequency, a RangeIndex,
        else positions) when y was pandas."""
        return self._on_index(self._resid)

    @resid_.setter
    def resid_(self, values: np.ndarray) -> None:
        self._resid = np.asarray(values)

    @property
    def fittedvalues_(self) -> Any:
        """``y - resid_``, the one-step predictions (a Series for pandas input)."""
        return self._on_index(self._fitted)

    @fittedvalues_.setter
    def fittedvalues_(self, values: np.ndarray) -> None:
        self._fitted = np.asarray(values)

    @property
    def params(self) -> Any:
        """``params_`` as a pandas Series named by ``param_names_`` (statsmodels'
        ``res.params``); a DataFrame (one row per series) after ``fit_many``."""
        import pandas as pd

        check_is_fitted(self, "params_")
        if np.ndim(self.params_) == 2:
            return pd.DataFrame(self.params_, columns=self.param_names_)
        return pd.Series(self.params_, index=self.param_names_)

    @property
    def arroots_(self) -> Any:
        """Roots of ``1 - phi_1 z - ... - phi_p z^p`` (a list of arrays after fit_many)."""
        check_is_fitted(self, "params_")
        roots = [np.roots(np.r_[-row[::-1], 1.0]) for row in np.atleast_2d(self.arparams_)]
        return roots if self._many else roots[0]

    @property
    def maroots_(self) -> Any:
        """Roots of ``1 + theta_1 z + ... + theta_q z^q`` (a list of arrays after fit_many)."""
        check_is_fitted(self, "params_")
        roots = [np.roots(np.r_[row[::-1], 1.0]) for row in np.atleast_2d(self.maparams_)]
        return roots if self._many else roots[0]

    def summary(self) -> str:
        """A plain-text table: coefficients, standard errors, loglik, AIC, BIC (the first
        series after ``fit_many``)."""
        check_is_fitted(self, "params_")
        params = np.atleast_2d(self.params_)[0]
        bse = np.atleast_2d(self.bse_)[0]
        p, d, q = _check_order(self.order)
        P, D, Q, s = self.seasonal_order
        seas = f"x({P},{D},{Q},{s})" if (P or D or Q) else ""
        lines = [f"ARIMA({p},{d},{q}){seas} by {self.method} ({self._path}), "
                 f"n = {self.nobs_}, cov_type {self.cov_type}"]
        lines.append(f"{'':>10} {'coef':>12} {'std err':>12} {'z':>8}")
        for name, c, se in zip(self.param_names_, params, bse, strict=True):
            z = c / se if se > 0 else math.nan
            lines.append(f"{name:>10} {c:>12.6g} {se:>12.4g} {z:>8.2f}")
        llf, aic, bic = (float(np.atleast_1d(v)[0]) for v in (self.llf_, self.aic_, self.bic_))
        lines.append(f"loglik {llf:.4f}  aic {aic:.4f}  bic {bic:.4f}")
        return "\n".join(lines)

"""Prediction results of the ARIMA family: means, standard errors, intervals at any levels.

:class:`PredictionResults` is what ``get_forecast`` and ``get_prediction`` of
:class:`~seqlab.classical.ARIMA` and :class:`~seqlab.classical.SARIMAX` return (statsmodels'
``PredictionResults`` subset): ``predicted_mean``, ``se_mean``, ``var_pred_mean``,
``conf_int(alpha)`` and ``summary_frame(alpha)`` with statsmodels' columns ``mean, mean_se,
mean_ci_lower, mean_ci_upper``; ``summary_frame(levels=(80, 95))`` gives seqlab's form, one
``lower_L``/``upper_L`` pair per level ``L`` (percent), e.g. for a fan chart. The interval
at level ``L`` is ``mean -/+ z_{(1 + L/100) / 2} se``.

>>> import numpy as np
>>> pr = PredictionResults(np.array([1.0, 2.0]), np.array([1.0, 2.0]), None, False)
>>> list(pr.summary_frame(levels=(80, 95)).columns)
['mean', 'mean_se', 'lower_80', 'upper_80', 'lower_95', 'upper_95']
>>> np.round(pr.conf_int(0.05), 3).tolist()
[[-0.96, 2.96], [-1.92, 5.92]]
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["PredictionResults", "check_alpha", "check_levels"]


def check_alpha(alpha: Any) -> float:
    """``alpha`` as a float in (0, 1) (the interval has coverage ``1 - alpha``)."""
    if isinstance(alpha, bool | complex | str) or not isinstance(alpha, int | float | np.number):
        raise SeqlabTypeError(f"alpha must be a real number in (0, 1), e.g. 0.05; got "
                              f"{alpha!r}")
    if not 0.0 < float(alpha) < 1.0:
        raise SeqlabValueError(f"alpha must lie in (0, 1), e.g. 0.05; got {alpha!r}")
    return float(alpha)


def check_levels(levels: Any) -> list[float]:
    """Interval levels in percent, each in (0, 100), e.g. ``(80, 95)``."""
    if isinstance(levels, int | float | np.number) and not isinstance(levels, bool):
        levels = [levels]
    if not isinstance(levels, Sequence | np.ndarray) or isinstance(levels, str) or not len(
            levels):
        raise SeqlabTypeError(f"levels must be a sequence of percentages in (0, 100), e.g. "
                              f"(80, 95); got {levels!r}")
    out = []
    for lev in levels:
        if isinstance(lev, bool | complex | str) or not isinstance(lev, int | float | np.number):
            raise SeqlabTypeError(f"each level must be a number in (0, 100), e.g. 95; got "
                                  f"{lev!r}")
        if not 0.0 < float(lev) < 100.0:
            raise SeqlabValueError(f"each level must lie in (0, 100) (percent, e.g. 80 or 95); "
                                   f"got {lev!r}")
        out.append(float(lev))
    return out


def _label(level: float) -> str:
    return f"{level:g}"


class PredictionResults:
    """Predicted means and standard errors of a fitted ARIMA/SARIMAX (statsmodels' subset).

    ``mean`` and ``se`` have shape (h,) for one series, (h, S) for a batch fitted by
    ``ARIMA.fit_many``; ``index`` is the pandas index of the ``h`` periods (used when the
    model was fitted on a pandas series, ``pandas=True``).
    """

    def __init__(self, mean: np.ndarray, se: np.ndarray, index: Any, pandas: bool) -> None:
        self._mean = np.asarray(mean, dtype=np.float64)
        self._se = np.asarray(se, dtype=np.float64)
        # ``index`` may be a function that makes it: a pandas index costs importing pandas
        # (~0.3 s on a first call), which numpy results never need
        self._make_index = index if callable(index) else None
        self._index_value = None if callable(index) else index
        self._pandas = bool(pandas) and self._mean.ndim == 1

    @property
    def _index(self) -> Any:
        if self._make_index is not None:
            self._index_value = self._make_index()
            self._make_index = None
        return self._index_value

    @property
    def row_labels(self) -> Any:
        """The pandas index of the predicted periods (None where there is none)."""
        return self._index

    def _wrap(self, x: np.ndarray, name: str) -> Any:
        if not self._pandas:
            return x
        import pandas as pd

        return pd.Series(x, index=self._index, name=name)

    @property
    def predicted_mean(self) -> Any:
        """Predicted means (h,) (a pandas Series for pandas input) or (h, S)."""
        return self._wrap(self._mean.copy(), "predicted_mean")

    @property
    def var_pred_mean(self) -> Any:
        """Variances of the predictions (h,) or (h, S)."""
        with np.errstate(over="ignore"):
            return self._wrap(self._se**2, "var_pred_mean")

    @property
    def se_mean(self) -> Any:
        """Standard errors of the predictions (h,) or (h, S)."""
        return self._wrap(self._se.copy(), "se_mean")

    def _bounds(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        # the standard library's quantile (as AR's): importing scipy.stats for it costs
        # ~0.4 s on a first call; it differs from scipy's ndtri by at most an ulp
        z = NormalDist().inv_cdf(0.5 + level / 200.0)
        return self._mean - z * self._se, self._mean + z * self._se

    def conf_int(self, alpha: float = 0.05) -> Any:
        """Bounds of the ``1 - alpha`` Gaussian interval: (h, 2) [lower, upper] (a DataFrame
        with statsmodels' columns ``lower y``/``upper y`` for pandas input), (h, S, 2) for a
        batch."""
        a = check_alpha(alpha)
        lo, hi = self._bounds(100.0 * (1.0 - a))
        out = np.stack([lo, hi], axis=-1)
        if not self._pandas:
            return out
        import pandas as pd

        return pd.DataFrame(out, index=self._index, columns=["lower y", "upper y"])

    def summary_frame(self, alpha: float = 0.05, levels: Any = None) -> Any:
        """DataFrame indexed by the predicted periods.

        ``levels=None``: statsmodels' columns ``mean, mean_se, mean_ci_lower,
        mean_ci_upper`` at coverage ``1 - alpha``. ``levels=(80, 95)``: ``mean, mean_se``
        and a ``lower_L, upper_L`` pair per level ``L`` (percent); ``alpha`` is then unused
        and must be left at its default.
        """
        import pandas as pd

        if self._mean.ndim != 1:
            raise SeqlabValueError(
                "summary_frame describes one series; this model was fitted by fit_many to a "
                "batch: use predicted_mean, se_mean and conf_int(alpha), whose columns are the "
                "series")
        cols: dict[str, np.ndarray] = {"mean": self._mean,
                                       "mean_se": self._se}
        index = self._index if self._index is not None else pd.RangeIndex(len(self._mean))
        if levels is None:
            lo, hi = self._bounds(100.0 * (1.0 - check_alpha(alpha)))
            cols["mean_ci_lower"], cols["mean_ci_upper"] = lo, hi
        else:
            if alpha != 0.05:
                raise SeqlabValueError(
                    "give either alpha (one interval, statsmodels' columns) or levels (one "
                    "lower/upper pair per level), not both")
            for lev in check_levels(levels):
                lo, hi = self._bounds(lev)
                cols[f"lower_{_label(lev)}"], cols[f"upper_{_label(lev)}"] = lo, hi
        frame = pd.DataFrame(cols, index=index)
        frame.columns.name = "y"
        return frame

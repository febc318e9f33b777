"""The shared shell of seqlab's sktime forecasters: the sktime import, data and horizon.

sktime is imported here, once, when an adapter is first used (``import seqlab.interop``
alone does not import it); without it a :class:`~seqlab.exceptions.MissingDependencyError`
names the extra that installs it. :class:`SeqlabForecaster` keeps the series (and
regressors) it was given in ``fit`` and ``update`` itself (sktime's ``remember_data`` is
off), so ``update(..., update_params=False)`` moves the forecast origin without refitting,
and turns sktime's forecasting horizon into the steps seqlab's models speak:
``fh.to_relative(cutoff)`` gives ``k`` (``k >= 1``: ``k`` steps after the last
observation; ``k <= 0``: an in-sample period), and every output is indexed by
``fh.to_absolute_index(cutoff)``, sktime's convention for any index type (RangeIndex,
integer, PeriodIndex, DatetimeIndex with a frequency).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from seqlab.exceptions import MissingDependencyError, SeqlabValueError

try:
    from sktime.datatypes import update_data
    from sktime.forecasting.base import BaseForecaster
except ImportError as err:  # pragma: no cover - exercised by a subprocess test
    raise MissingDependencyError(
        "sktime", "pip install 'seqlab[interop]'", "seqlab's sktime forecasters (seqlab.interop)"
    ) from err

__all__ = ["SeqlabForecaster"]


class SeqlabForecaster(BaseForecaster):
    """Base of the adapters: subclasses write ``_fit_model`` and the predict methods.

    State (besides sktime's own): ``_y_all`` the pd.Series seen so far, ``_X_all`` the
    regressors (DataFrame) or None.
    """

    _tags: ClassVar[dict[str, Any]] = {
        "authors": ["seqlab developers"],
        "maintainers": ["seqlab developers"],
        "python_dependencies": None,
        "y_inner_mtype": "pd.Series",
        "X_inner_mtype": "pd.DataFrame",
        "capability:multivariate": False,
        "capability:update": True,
        "property:randomness": "deterministic",
    }
    # the adapters keep their own history: sktime's pool of past data stays off (its
    # default, True, warns that it will change in sktime 1.3)
    _config: ClassVar[dict[str, Any]] = {"remember_data": False}

    def __post_init__(self) -> None:
        # sktime sets its data pool only when remember_data is on at construction; a user
        # may switch it on later with set_config, so it starts empty either way
        self._y = None
        self._X = None

    # ------------------------------------------------------------------ data
    def _fit(self, y: pd.Series, X: pd.DataFrame | None, fh: Any) -> SeqlabForecaster:
        self._y_all = y.copy()
        self._X_all = None if X is None else X.copy()
        self._fit_model(self._y_all, self._X_all, fh)
        return self

    def _fit_model(self, y: pd.Series, X: pd.DataFrame | None, fh: Any) -> None:
        raise NotImplementedError  # pragma: no cover

    def _extend(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        """Take in new observations at fixed parameters (default: nothing to do)."""

    def _update(self, y: pd.Series, X: pd.DataFrame | None = None,
                update_params: bool = True) -> SeqlabForecaster:
        """Append ``y`` (and ``X``); refit on everything seen when ``update_params``."""
        if (X is None) != (self._X_all is None):
            raise SeqlabValueError(
                "update: X must be given exactly when it was given to fit (the model "
                f"was fitted {'with' if self._X_all is not None else 'without'} regressors)")
        self._y_all = update_data(self._y_all, y)
        if X is not None:
            self._X_all = update_data(self._X_all, X)
        if update_params:
            self._fit_model(self._y_all, self._X_all, self._fh)
        else:
            self._extend(self._y_all, self._X_all)
        return self

    # ------------------------------------------------------------------ horizon
    def _steps(self, fh: Any) -> np.ndarray:
        """The horizon as integer steps after the last observation (k <= 0: in-sample)."""
        return np.asarray(fh.to_relative(self.cutoff).to_numpy(), dtype=np.int64)

    def _index(self, fh: Any) -> pd.Index:
        return fh.to_absolute_index(self.cutoff)

    def _future_X(self, X: pd.DataFrame | None, steps: int) -> np.ndarray | None:
        """The regressors of the ``steps`` periods after the cutoff, (steps, k) or None."""
        if self._X_all is None:
            if X is not None:
                raise SeqlabValueError(
                    "X was given to predict but the forecaster was fitted without regressors; "
                    "fit with X (the same columns) or leave X out of predict")
            return None
        if steps <= 0:
            return np.zeros((0, self._X_all.shape[1]))
        if X is None:
            raise SeqlabValueError(
                f"the forecaster was fitted with {self._X_all.shape[1]} regressor(s); pass X "
                f"with their values for the {steps} period(s) after the cutoff")
        future = X.loc[X.index > self.cutoff[0]]
        if future.shape[0] < steps:
            raise SeqlabValueError(
                f"X holds {future.shape[0]} period(s) after the cutoff {self.cutoff[0]}; "
                f"the horizon needs {steps} (every period up to the last one asked for)")
        return np.asarray(future.iloc[:steps].to_numpy(), dtype=np.float64)

    def _series(self, values: np.ndarray, fh: Any) -> pd.Series:
        return pd.Series(values, index=self._index(fh), name=self._y_all.name)

    def _interval_frame(self, mean: np.ndarray, se: np.ndarray, fh: Any,
                        coverage: list[float]) -> pd.DataFrame:
        """sktime's interval table: columns (variable, coverage, lower/upper)."""
        import scipy.stats

        cols = pd.MultiIndex.from_product([self._get_varnames(), coverage, ["lower", "upper"]])
        out = pd.DataFrame(index=self._index(fh), columns=cols, dtype=np.float64)
        var = self._get_varnames()[0]
        for c in coverage:
            z = scipy.stats.norm.ppf(0.5 + float(c) / 2.0)
            out[(var, c, "lower")] = mean - z * se
            out[(var, c, "upper")] = mean + z * se
        return out

    def _quantile_frame(self, mean: np.ndarray, se: np.ndarray, fh: Any,
                        alpha: list[float]) -> pd.DataFrame:
        """sktime's quantile table: columns (variable, alpha)."""
        import scipy.stats

        cols = pd.MultiIndex.from_product([self._get_varnames(), alpha])
        out = pd.DataFrame(index=self._index(fh), columns=cols, dtype=np.float64)
        var = self._get_varnames()[0]
        for a in alpha:
            out[(var, a)] = mean + scipy.stats.norm.ppf(float(a)) * se
        return out

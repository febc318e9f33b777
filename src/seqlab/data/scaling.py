"""Per-column standard scaling, fitted once and stored in a model file with the network.

``z = (y - mean_) / scale_`` column by column; ``scale_`` is the population standard
deviation (``ddof=0``, as scikit-learn's ``StandardScaler``), and a constant column gets
``scale_ = 1`` so it maps to 0 instead of dividing by zero.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from seqlab._validation import as_float_array, check_is_fitted
from seqlab.base import BaseEstimator
from seqlab.exceptions import SeqlabValueError

__all__ = ["StandardScaler"]


class StandardScaler(BaseEstimator):
    """Standardise each column with the mean and standard deviation of the fitting data.

    ========== ========== =====================================
    ``y``      (T,) (T,k) data (a 1-D series is one column)
    ``mean_``  (k,)       column means
    ``scale_`` (k,)       column standard deviations (1 if 0)
    ========== ========== =====================================

    >>> s = StandardScaler().fit([[1.0, 10.0], [3.0, 10.0]])
    >>> s.transform([[2.0, 10.0]]).tolist(), s.scale_.tolist()
    ([[0.0, 0.0]], [1.0, 1.0])
    >>> s.inverse_transform(s.transform([[5.0, 7.0]])).tolist()
    [[5.0, 7.0]]
    """

    def __init__(self) -> None:
        pass

    def fit(self, y: Any) -> Self:
        """Learn ``mean_`` and ``scale_`` from ``y`` (T, k) or (T,)."""
        arr = as_float_array(y, "y", ndim=(1, 2))
        arr = arr[:, None] if arr.ndim == 1 else arr
        self.mean_ = arr.mean(axis=0)
        std = arr.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        self.n_features_in_ = arr.shape[1]
        return self

    def _check(self, y: Any, name: str) -> tuple[np.ndarray, bool]:
        check_is_fitted(self, "mean_")
        arr = as_float_array(y, name, ndim=(1, 2))
        flat = arr.ndim == 1
        arr = arr[:, None] if flat else arr
        if arr.shape[1] != self.n_features_in_:
            raise SeqlabValueError(f"{name} has {arr.shape[1]} columns but the scaler was "
                                   f"fitted on {self.n_features_in_}.")
        return arr, flat

    def transform(self, y: Any) -> np.ndarray:
        """``(y - mean_) / scale_``, the same shape as ``y``."""
        arr, flat = self._check(y, "y")
        z = (arr - self.mean_) / self.scale_
        return z[:, 0] if flat else z

    def inverse_transform(self, z: Any) -> np.ndarray:
        """``z * scale_ + mean_``: back to the original units."""
        arr, flat = self._check(z, "z")
        y = arr * self.scale_ + self.mean_
        return y[:, 0] if flat else y

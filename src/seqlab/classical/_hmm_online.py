"""Filtering, fixed-lag smoothing and prediction as methods of every hidden Markov model.

:class:`OnlineMixin` gives :class:`~seqlab.classical.hmm_base.BaseHMM` the methods that use
no (or a bounded) look-ahead; the algorithms live in ``hmm_filter`` (filter, streaming
filter, prediction) and ``hmm_smoothing`` (fixed-lag smoother), imported when first used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["OnlineMixin"]


class OnlineMixin:
    """``filter_proba``, ``fixed_lag_proba``, ``predict_next`` and ``streaming_filter``.

    >>> from seqlab.classical import CategoricalHMM
    >>> issubclass(CategoricalHMM, OnlineMixin)
    True
    """

    def filter_proba(self, X: Any, lengths: Any = None) -> np.ndarray:
        """Filtered ``p(z_t = k | x_1..t)`` (no look-ahead), shape (T, K); see ``hmm_filter``."""
        from seqlab.classical.hmm_filter import filter_proba

        return filter_proba(self, X, lengths)

    def predict_next(self, X: Any, horizon: int = 1, lengths: Any = None) -> Any:
        """Predictive distribution of the next ``horizon`` frames after ``X``:
        ``Prediction(state_proba (h, K), mean (h, D))``; see ``hmm_filter.predict_next``."""
        from seqlab.classical.hmm_filter import predict_next

        return predict_next(self, X, horizon, lengths)

    def fixed_lag_proba(self, X: Any, lag: int, lengths: Any = None) -> np.ndarray:
        """Fixed-lag smoothed ``p(z_t = k | x_1..t+lag)``, (T, K); see ``hmm_smoothing``."""
        from seqlab.classical.hmm_smoothing import fixed_lag_proba

        return fixed_lag_proba(self, X, lag, lengths)

    def streaming_filter(self, lag: int = 0) -> Any:
        """A ``hmm_filter.StreamingFilter`` (one frame per update; ``lag``: ``smoothed()``)."""
        from seqlab.classical.hmm_filter import StreamingFilter

        return StreamingFilter(self, lag)

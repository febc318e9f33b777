"""Reservoir hyperparameters shared by :class:`~seqlab.reservoir.esn.EchoStateNetwork` and
:class:`~seqlab.reservoir.esn_classifier.ESNClassifier`."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from seqlab._validation import SeedLike, check_positive
from seqlab.base import BaseEstimator
from seqlab.reservoir._reservoir import Activation, Reservoir


def _is_multi(X: Any) -> bool:
    """Whether ``X`` holds several sequences (a list of arrays or a 3-D array)."""
    if isinstance(X, list | tuple):
        return len(X) > 0 and all(isinstance(s, np.ndarray) for s in X)
    return np.asarray(X).ndim == 3  # (np.ndim dispatches on array-likes)


class _ReservoirParams(BaseEstimator):
    """Reservoir hyperparameters shared by the regressor and the classifier."""

    n_units: int
    spectral_radius: float
    connectivity: float
    input_scaling: Any
    bias_scaling: float
    leak_rate: Any
    activation: Activation
    distribution: Literal["uniform", "normal"]
    ridge: float
    seed: SeedLike

    def _make_reservoir(
        self, n_inputs: int, n_feedback: int, rng: np.random.Generator, fb_scale: float = 1.0
    ) -> Reservoir:
        check_positive(self.ridge, "ridge", strict=False)
        return Reservoir.initialize(
            self.n_units, n_inputs, n_feedback, spectral_radius=self.spectral_radius,
            connectivity=self.connectivity, input_scaling=self.input_scaling,
            bias_scaling=self.bias_scaling, feedback_scaling=fb_scale,
            leak_rate=self.leak_rate, activation=self.activation,
            distribution=self.distribution, seed=rng,
        )  # fmt: skip

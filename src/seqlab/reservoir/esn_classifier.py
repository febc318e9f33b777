"""Echo state network classifier: a fixed random reservoir read out by ridge regression on a
summary of each sequence's states (Jaeger, Lukoševičius, Popovici & Siewert 2007, the
Japanese Vowels experiment)."""

from __future__ import annotations

from typing import Any, Literal, Self

import numpy as np

from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_choice,
    check_int,
    check_is_fitted,
    check_random_state,
)
from seqlab.exceptions import ComplexDataError, SeqlabValueError
from seqlab.reservoir._esn_params import _ReservoirParams
from seqlab.reservoir._linalg import ridge_regression
from seqlab.reservoir._reservoir import Activation, _as_sequences

__all__ = ["ESNClassifier"]


def _check_labels(y: Any) -> np.ndarray:
    """Class labels as an array; NaN/inf and continuous (non-integer float) targets refused."""
    labels = np.asarray(y)
    if labels.dtype.kind == "c":
        raise ComplexDataError("Complex data not supported: y holds complex class labels.")
    if labels.dtype.kind == "f":
        if not np.isfinite(labels).all():
            raise SeqlabValueError("Input y contains NaN or infinity; every label must be set.")
        if (labels != np.round(labels)).any():
            raise SeqlabValueError(
                "Unknown label type: y holds continuous values; a classifier needs class "
                "labels (use EchoStateNetwork to regress a continuous target)."
            )
    return labels


class ESNClassifier(_ReservoirParams):
    """Sequence classifier: a ridge readout on per-sequence reservoir features.

    Each sequence ``u_1..u_T`` drives the reservoir from ``x_0 = 0``; its feature vector is
    the final state ``x_T`` (``"last"``), the time-mean state (``"mean"``), both
    (``"mean_last"``), or the means over ``n_segments`` equal time slices (``"segments"``).
    A ridge regression onto one-hot class codes gives ``decision_function``; ``predict`` is
    its arg-max (as in Jaeger et al. 2007 for Japanese Vowels, with a simpler readout).

    ===================  ====================  =====================================
    argument             shape
    ===================  ====================  =====================================
    X                    list of (T_i, d)      sequences (lengths may differ; a 1-D
                                               entry (T_i,) is univariate)
    X (array)            (n, T, d) or (n, T)   ``n`` sequences; 2-D: univariate (as in
                                               sktime and tslearn), n_features_in_ = 1
    y                    (n,)                  class labels (``classes_``)
    W_out_               (F, n_classes)        F = N, 2N or N*n_segments
    decision_function    (n, n_classes)        (n,) for two classes, as in scikit-learn
    predict_proba        (n, n_classes)        softmax of the scores (not calibrated)
    ===================  ====================  =====================================

    >>> rng = np.random.default_rng(0)
    >>> X = [np.cumsum(rng.normal(c, 1, (20, 1)), 0) / 10 for c in (0, 0, 0, 1, 1, 1) * 5]
    >>> y = [0, 0, 0, 1, 1, 1] * 5
    >>> clf = ESNClassifier(50, leak_rate=0.5, seed=0).fit(X, y)
    >>> clf.score(X, y)
    1.0
    """

    _estimator_type = "classifier"

    def __init__(
        self,
        n_units: int = 500,
        *,
        spectral_radius: float = 0.9,
        connectivity: float = 0.1,
        input_scaling: Any = 1.0,
        bias_scaling: float = 0.0,
        leak_rate: Any = 1.0,
        activation: Activation = "tanh",
        distribution: Literal["uniform", "normal"] = "uniform",
        features: Literal["last", "mean", "mean_last", "segments"] = "mean_last",
        n_segments: int = 3,
        ridge: float = 1e-6,
        seed: SeedLike = None,
    ) -> None:
        self.n_units = n_units
        self.spectral_radius = spectral_radius
        self.connectivity = connectivity
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.leak_rate = leak_rate
        self.activation = activation
        self.distribution = distribution
        self.features = features
        self.n_segments = n_segments
        self.ridge = ridge
        self.seed = seed

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags()  # transform(X): per-sequence features
        return tags

    def transform(self, X: Any) -> np.ndarray:
        """Per-sequence feature vectors ``(n, F)`` (after ``fit``)."""
        check_is_fitted(self, "reservoir_")
        Xs = self._sequences(X)
        widths = [s.shape[1] for s in Xs if s.shape[1] != self.n_features_in_]
        self._check_features(X, widths[0] if widths else self.n_features_in_)
        return np.vstack([self._summary(self.reservoir_.run(U)) for U in Xs])

    def fit_transform(self, X: Any, y: Any) -> np.ndarray:
        """``fit(X, y)``, then the features of ``X``."""
        return self.fit(X, y).transform(X)

    def _sequences(self, X: Any) -> list[np.ndarray]:
        """The sequences in ``X``: a list of (T_i, d) or (T_i,) arrays, a 3-D array
        (n, T, d), or a 2-D array (n, T) of ``n`` univariate series (sktime's layout)."""
        if isinstance(X, list | tuple):
            Xs, _ = _as_sequences(
                [as_float_array(s, f"X[{i}]", min_length=0, allow_nonfinite=True)
                 for i, s in enumerate(X)], "X")  # fmt: skip
            return Xs
        arr = as_float_array(X, "X", ndim=(1, 2, 3))
        if arr.ndim == 1:
            raise SeqlabValueError(
                f"X must be 2-D (n, T) or 3-D (n, T, d); got shape {arr.shape}. Reshape your "
                "data: X.reshape(1, -1) for one univariate sequence, or pass a list of them."
            )
        if arr.shape[1] == 0:
            raise SeqlabValueError(
                f"X holds sequences of 0 time steps (shape={arr.shape}); each sequence needs "
                "at least one step."
            )
        return list(arr[:, :, None] if arr.ndim == 2 else arr)

    def _summary(self, S: np.ndarray) -> np.ndarray:
        kind = self.features
        if kind == "last":
            return S[-1]
        if kind == "mean":
            return S.mean(axis=0)
        if kind == "mean_last":
            return np.concatenate([S.mean(axis=0), S[-1]])
        k = self.n_segments
        if len(S) < k:
            raise SeqlabValueError(f"a sequence has {len(S)} steps, fewer than n_segments={k}.")
        return np.concatenate([part.mean(axis=0) for part in np.array_split(S, k)])

    def fit(self, X: Any, y: Any) -> Self:
        """Run every sequence, summarise it, and fit the ridge readout to one-hot labels."""
        check_choice(self.features, "features", ("last", "mean", "mean_last", "segments"))
        check_int(self.n_segments, "n_segments", minimum=1)
        if y is None:
            raise SeqlabValueError(
                "ESNClassifier requires y to be passed, but the target y is None; pass one "
                "class label per sequence."
            )
        Xs = self._sequences(X)
        labels = _check_labels(y)
        if labels.ndim != 1 or len(labels) != len(Xs):
            raise SeqlabValueError(
                f"y must be 1-D with one label per sequence ({len(Xs)}); got shape {labels.shape}."
            )
        if len({s.shape[1] for s in Xs}) > 1:
            raise SeqlabValueError("all sequences of X must have the same number of features.")
        self.classes_, codes = np.unique(labels, return_inverse=True)
        if len(self.classes_) < 2:
            raise SeqlabValueError("y has only one class; a classifier needs at least two.")
        self._reset_features(X, Xs[0].shape[1])
        self.reservoir_ = self._make_reservoir(
            self.n_features_in_, 0, check_random_state(self.seed)
        )
        F = np.vstack([self._summary(self.reservoir_.run(U)) for U in Xs])
        T = np.eye(len(self.classes_))[codes]
        self.W_out_, self.intercept_ = ridge_regression(F, T, self.ridge)
        return self

    def _scores(self, X: Any) -> np.ndarray:
        """Readout scores, one column per class ``(n, n_classes)``."""
        check_is_fitted(self, "W_out_")
        return self.transform(X) @ self.W_out_ + self.intercept_

    def decision_function(self, X: Any) -> np.ndarray:
        """Readout scores ``(n, n_classes)``; for two classes, as in scikit-learn, one score
        per sequence ``(n,)``, positive for ``classes_[1]``: ``score_1 - score_0``."""
        scores = self._scores(X)
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict(self, X: Any) -> np.ndarray:
        """Class with the highest readout score, per sequence."""
        scores = self._scores(X)  # checks that the model is fitted
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the readout scores ``(n, n_classes)``, columns in ``classes_`` order.

        The ridge readout is not trained for probabilities: these rank classes as
        ``decision_function`` does but are not calibrated (wrap the model in
        ``sklearn.calibration.CalibratedClassifierCV`` for calibrated ones).
        """
        scores = self._scores(X)
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def score(self, X: Any, y: Any) -> float:
        """Accuracy of ``predict(X)`` against ``y``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

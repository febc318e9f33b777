"""Classify whole sequences: features + standardisation + an RNN (pattern 3) or an ESN.

:class:`SequenceClassifierPipeline` is one estimator holding everything needed to classify
new data with no user code: the feature settings (MFCC for recordings, none for numeric
sequences), the per-feature standardisation learned on the training frames, the class
labels and the trained model, either

- ``model="rnn"``: :class:`seqlab.recurrent.SequenceClassifier` (pattern 3: read the
  sequence, one output; padded batches with ``lengths``) trained by
  :class:`seqlab.training.Trainer` with cross-entropy, or
- ``model="esn"``: :class:`seqlab.reservoir.ESNClassifier` (a fixed random reservoir and a
  ridge readout on per-sequence state summaries; trained in one pass).

``seqlab.save`` / ``seqlab.load`` round-trip it (an ``estimator`` entry of the registry; the
network is a registered module inside it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

import numpy as np

from seqlab._validation import check_choice, check_int
from seqlab.base import BaseEstimator
from seqlab.exceptions import NotFittedError, SeqlabTypeError, SeqlabValueError

__all__ = ["SequenceClassifierPipeline"]


class SequenceClassifierPipeline(BaseEstimator):
    """Sequence classifier with its preprocessing, for recordings or numeric sequences.

    ``X`` (for ``fit``, ``predict``, ...) is a list with one entry per example:

    ==================== =========================================================
    ``features``         an entry of X
    ==================== =========================================================
    ``"mfcc"``           a WAV path, or a ``(signal, sample_rate)`` pair; turned
                         into ``(T_i, 3 n_mfcc)`` features by
                         :func:`seqlab.data.audio.mfcc` (deltas, trimming, and
                         CMVN when ``cmvn``: it removes a fixed channel, and
                         with it the spectrum of a steady sound such as a pure
                         tone; speech keeps its information in the changes)
    ``"none"``           a ``(T_i, F)`` (or ``(T_i,)``) numeric array
    ==================== =========================================================

    ``y`` is one label per example (strings or integers; ``classes_`` holds them sorted).
    The frames are standardised with the mean and standard deviation of all training frames
    (``mean_``, ``scale_``, shape ``(F,)``) when ``standardize``.

    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(c, 1.0, (15, 2)) for c in (0, 2) * 10]
    >>> y = ["a", "b"] * 10
    >>> clf = SequenceClassifierPipeline(model="esn", n_units=50, seed=0).fit(X, y)
    >>> clf.predict(X[:4]).tolist(), clf.score(X, y)
    (['a', 'b', 'a', 'b'], 1.0)
    """

    _estimator_type = "classifier"

    def __init__(
        self,
        model: Literal["rnn", "esn"] = "rnn",
        *,
        features: Literal["none", "mfcc"] = "none",
        n_mfcc: int = 13,
        cmvn: bool = True,
        standardize: bool = True,
        cell: Literal["elman", "leaky", "skip", "lstm", "gru"] = "lstm",
        hidden_size: int = 64,
        num_layers: int = 1,
        dropout: float = 0.0,
        bidirectional: bool = False,
        pooling: Literal["last", "mean"] = "mean",
        n_units: int = 300,
        spectral_radius: float = 0.9,
        leak_rate: float = 0.3,
        ridge: float = 1e-2,
        seed: int | None = 0,
    ) -> None:
        self.model = model
        self.features = features
        self.n_mfcc = n_mfcc
        self.cmvn = cmvn
        self.standardize = standardize
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.n_units = n_units
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.ridge = ridge
        self.seed = seed

    # ---------------------------------------------------------------- features
    def _raw_features(self, X: Any) -> list[np.ndarray]:
        """Unstandardised ``(T_i, F)`` float32 features of every entry of ``X``."""
        if isinstance(X, str | Path | np.ndarray) or not hasattr(X, "__len__"):
            raise SeqlabTypeError(
                f"X must be a list with one entry per example; got {type(X).__name__}."
            )
        if len(X) == 0:
            raise SeqlabValueError("X is empty; pass at least one example.")
        out: list[np.ndarray] = []
        if self.features == "mfcc":
            from seqlab.data.audio import mfcc, read_wav

            for i, item in enumerate(X):
                if isinstance(item, str | Path):
                    signal, rate = read_wav(item)
                elif isinstance(item, tuple) and len(item) == 2:
                    signal, rate = item
                else:
                    raise SeqlabTypeError(
                        f"X[{i}] must be a WAV path or a (signal, sample_rate) pair when "
                        f"features='mfcc'; got {type(item).__name__}."
                    )
                out.append(mfcc(signal, rate, self.n_mfcc, cmvn=self.cmvn))
            return out
        for i, item in enumerate(X):
            arr = np.asarray(item)
            if arr.dtype.kind == "c":
                raise SeqlabTypeError(f"X[{i}] is complex; sequences must be real numbers.")
            if arr.dtype.kind not in "biuf":
                raise SeqlabTypeError(
                    f"X[{i}] is not numeric (dtype {arr.dtype}); with features='none' every "
                    "example is a (T, F) array of numbers (use features='mfcc' for audio)."
                )
            arr = arr[:, None] if arr.ndim == 1 else arr
            if arr.ndim != 2 or arr.shape[0] == 0:
                raise SeqlabValueError(
                    f"X[{i}] must be a (T, F) array with T >= 1; got shape {arr.shape}."
                )
            if not np.isfinite(arr).all():
                raise SeqlabValueError(f"X[{i}] holds NaN or infinite values.")
            out.append(arr.astype(np.float32))
        return out

    def transform(self, X: Any) -> list[np.ndarray]:
        """The ``(T_i, F)`` float32 sequences the model reads (features, standardised)."""
        self._check_fitted()
        seqs = self._raw_features(X)
        for i, s in enumerate(seqs):
            if s.shape[1] != self.n_features_in_:
                raise SeqlabValueError(
                    f"X[{i}] has {s.shape[1]} features, but the model was trained on "
                    f"{self.n_features_in_}."
                )
        return [((s - self.mean_) / self.scale_).astype(np.float32) for s in seqs]

    @staticmethod
    def _padded(seqs: list[np.ndarray]) -> tuple[Any, Any]:
        import torch

        lengths = np.array([len(s) for s in seqs])
        x = np.zeros((len(seqs), int(lengths.max()), seqs[0].shape[1]), dtype=np.float32)
        for i, s in enumerate(seqs):
            x[i, : len(s)] = s
        return torch.from_numpy(x), torch.from_numpy(lengths)

    # ---------------------------------------------------------------- fit
    def _check_params(self) -> None:
        check_choice(self.model, "model", ("rnn", "esn"))
        check_choice(self.features, "features", ("none", "mfcc"))
        check_int(self.n_mfcc, "n_mfcc", minimum=1, maximum=40)
        check_int(self.hidden_size, "hidden_size", minimum=1)
        check_int(self.num_layers, "num_layers", minimum=1)
        check_int(self.n_units, "n_units", minimum=1)
        if not 0.0 <= float(self.dropout) < 1.0:
            raise SeqlabValueError(f"dropout must be in [0, 1); got {self.dropout}.")

    def fit(self, X: Any, y: Any, *, config: Any = None,
            validation: tuple[Any, Any] | None = None) -> Self:
        """Learn the standardisation, the classes and the model from ``X`` and ``y``.

        ``config`` is the :class:`seqlab.training.TrainConfig` of the RNN (default:
        ``TrainConfig(epochs=30, progress=False)``; ignored by the ESN); ``validation`` an
        optional ``(X_val, y_val)`` the trainer reports its loss on.
        """
        self._check_params()
        seqs = self._raw_features(X)
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != len(seqs):
            raise SeqlabValueError(
                f"y must hold one label per example ({len(seqs)}); got shape {labels.shape}."
            )
        widths = {s.shape[1] for s in seqs}
        if len(widths) > 1:
            raise SeqlabValueError(f"examples have different numbers of features: {widths}.")
        classes, codes = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise SeqlabValueError(
                f"y has a single class ({classes[0]!r}); a classifier needs two or more."
            )
        self.classes_ = classes
        self.n_features_in_ = int(seqs[0].shape[1])
        frames = np.concatenate(seqs).astype(np.float64)
        if self.standardize:
            std = frames.std(axis=0)
            self.mean_ = frames.mean(axis=0).astype(np.float32)
            self.scale_ = np.where(std > 1e-8, std, 1.0).astype(np.float32)
        else:
            self.mean_ = np.zeros(self.n_features_in_, np.float32)
            self.scale_ = np.ones(self.n_features_in_, np.float32)
        seqs = [((s - self.mean_) / self.scale_).astype(np.float32) for s in seqs]
        self.network_: Any = None
        self.esn_: Any = None
        self.train_losses_: list[float] = []
        if self.model == "esn":
            from seqlab.reservoir import ESNClassifier

            self.esn_ = ESNClassifier(
                self.n_units, spectral_radius=self.spectral_radius, leak_rate=self.leak_rate,
                input_scaling=1.0 / np.sqrt(self.n_features_in_), ridge=self.ridge,
                features="mean_last", seed=self.seed,
            ).fit([s.astype(np.float64) for s in seqs], codes)
            return self
        self._fit_rnn(seqs, codes, config, validation)
        return self

    def _fit_rnn(self, seqs: list[np.ndarray], codes: np.ndarray, config: Any,
                 validation: tuple[Any, Any] | None) -> None:
        import torch

        from seqlab.recurrent import SequenceClassifier
        from seqlab.training import TrainConfig, Trainer

        if config is None:
            config = TrainConfig(epochs=30, progress=False, seed=self.seed)
        self.network_ = SequenceClassifier(
            self.n_features_in_, self.hidden_size, len(self.classes_), cell=self.cell,
            num_layers=self.num_layers, dropout=float(self.dropout),
            bidirectional=self.bidirectional, pooling=self.pooling, seed=self.seed,
        )
        x, lengths = self._padded(seqs)
        train = (x, torch.from_numpy(codes.astype(np.int64)), lengths)
        val = None
        if validation is not None:
            vx, vy = validation
            known = {c: i for i, c in enumerate(self.classes_.tolist())}
            vcodes = np.array([known.get(v, -1) for v in np.asarray(vy).tolist()])
            if (vcodes < 0).any():
                raise SeqlabValueError("validation labels include a class not in y.")
            xv, lv = self._padded(self.transform(vx))
            val = (xv, torch.from_numpy(vcodes.astype(np.int64)), lv)
        trainer = Trainer(self.network_, config, loss="cross_entropy")
        history = trainer.fit(train, val)
        self.train_losses_ = [float(e.train_loss) for e in history.epochs]
        self.network_.eval()

    # ---------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise NotFittedError(
                "This SequenceClassifierPipeline instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def predict_proba(self, X: Any) -> np.ndarray:
        """``(n, n_classes)`` class probabilities, columns in ``classes_`` order (softmax of
        the RNN's logits, or of the ESN's readout scores, which are not calibrated)."""
        seqs = self.transform(X)
        if self.esn_ is not None:
            return np.asarray(self.esn_.predict_proba([s.astype(np.float64) for s in seqs]))
        import torch

        out = []
        self.network_.eval()
        with torch.no_grad():
            for start in range(0, len(seqs), 256):
                x, lengths = self._padded(seqs[start : start + 256])
                out.append(torch.softmax(self.network_(x, lengths=lengths), dim=-1).numpy())
        return np.concatenate(out).astype(np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of every example ``(n,)``, from ``classes_``."""
        proba = self.predict_proba(X)  # checks that the model is fitted
        return np.asarray(self.classes_[proba.argmax(axis=1)])

    def score(self, X: Any, y: Any) -> float:
        """Accuracy of :meth:`predict` against ``y``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

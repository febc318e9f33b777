"""Small containers shared by the data loaders.

:class:`SequenceSet` holds a labelled set of variable-length multivariate sequences (the
Japanese Vowels utterances, synthesised spoken digits): one ``(T_i, F)`` array per sequence
and one integer label per sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np

from seqlab.exceptions import SeqlabValueError

__all__ = ["SequenceSet"]


@dataclass
class SequenceSet:
    """A labelled set of variable-length sequences with the same number of features.

    ============== ======================= ===========================================
    field          shape / type            meaning
    ============== ======================= ===========================================
    sequences      list of (T_i, F) arrays one float64 array per sequence
    labels         (N,) int64              class of each sequence, in 0..n_classes-1
    label_names    tuple of str            name of each class (may be empty)
    feature_names  tuple of str            name of each of the F features (may be empty)
    name           str                     what the set is (for printing)
    ============== ======================= ===========================================

    >>> s = SequenceSet([np.zeros((3, 2)), np.ones((5, 2))], np.array([0, 1]))
    >>> len(s), s.n_features, s.n_classes, s.lengths.tolist()
    (2, 2, 2, [3, 5])
    >>> X, lengths = s.concatenated()   # hmmlearn-style (sum T_i, F) plus lengths
    >>> X.shape, lengths.tolist()
    ((8, 2), [3, 5])
    """

    sequences: list[np.ndarray]
    labels: np.ndarray
    label_names: tuple[str, ...] = ()
    feature_names: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        self.sequences = [np.asarray(s, dtype=np.float64) for s in self.sequences]
        self.labels = np.asarray(self.labels)
        if self.labels.ndim != 1 or not np.issubdtype(self.labels.dtype, np.integer):
            raise SeqlabValueError(
                f"labels must be a 1-D array of integers; got dtype {self.labels.dtype} and "
                f"shape {self.labels.shape}."
            )
        self.labels = self.labels.astype(np.int64)
        if len(self.sequences) != len(self.labels):
            raise SeqlabValueError(
                f"sequences and labels must have the same length; got {len(self.sequences)} "
                f"sequences and {len(self.labels)} labels."
            )
        widths = {s.shape[1] if s.ndim == 2 else -1 for s in self.sequences}
        if -1 in widths or len(widths) > 1:
            raise SeqlabValueError(
                "every sequence must be a 2-D (T_i, F) array with the same F; got shapes "
                f"{sorted({s.shape for s in self.sequences})[:5]}."
            )
        if len(self.labels) and self.labels.min() < 0:
            raise SeqlabValueError(f"labels must be >= 0; got {int(self.labels.min())}.")

    def __len__(self) -> int:
        return len(self.sequences)

    @overload
    def __getitem__(self, i: int) -> tuple[np.ndarray, int]: ...

    @overload
    def __getitem__(self, i: slice | np.ndarray | list[int]) -> SequenceSet: ...

    def __getitem__(
        self, i: int | slice | np.ndarray | list[int]
    ) -> tuple[np.ndarray, int] | SequenceSet:
        """``(sequence, label)`` of item ``i``; a slice, index array or boolean mask gives a
        new :class:`SequenceSet` of those items (same names).

        >>> s = SequenceSet([np.zeros((2, 1)), np.ones((3, 1)), np.ones((4, 1))], [0, 1, 1])
        >>> len(s[1:]), s[np.array([True, False, True])].lengths.tolist()
        (2, [2, 4])
        """
        if isinstance(i, int | np.integer):
            return self.sequences[int(i)], int(self.labels[int(i)])
        idx = np.arange(len(self))[i]
        return SequenceSet([self.sequences[k] for k in idx], self.labels[idx],
                           self.label_names, self.feature_names, self.name)

    @property
    def n_features(self) -> int:
        """Number of features F per time step."""
        return int(self.sequences[0].shape[1]) if self.sequences else 0

    @property
    def n_classes(self) -> int:
        """Number of classes: ``len(label_names)`` if given, else ``max(label) + 1``."""
        if self.label_names:
            return len(self.label_names)
        return int(self.labels.max()) + 1 if len(self.labels) else 0

    @property
    def lengths(self) -> np.ndarray:
        """``(N,)`` int64 array of the sequence lengths T_i."""
        return np.array([len(s) for s in self.sequences], dtype=np.int64)

    def concatenated(self) -> tuple[np.ndarray, np.ndarray]:
        """All sequences stacked row-wise, ``(sum T_i, F)``, and their ``lengths``."""
        if not self.sequences:
            return np.zeros((0, 0)), np.zeros(0, dtype=np.int64)
        return np.concatenate(self.sequences, axis=0), self.lengths

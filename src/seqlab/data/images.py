"""Binary digit images for Hopfield-network memories, from scikit-learn's bundled digits.

``sklearn.datasets.load_digits`` ships 1,797 handwritten digits as 8x8 images with grey
levels 0..16 (the UCI "Optical Recognition of Handwritten Digits" test set). Binarised,
each image is a 64-unit pattern in {-1, +1} (bipolar, as Hopfield's energy
E = -1/2 s^T W s uses) or {0, 1}.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache

import numpy as np

from seqlab._validation import check_int
from seqlab.data._registry import DatasetInfo, register
from seqlab.exceptions import MissingDependencyError, SeqlabTypeError

__all__ = ["load_digit_patterns"]


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return np.asarray(bunch.data, dtype=np.int64), np.asarray(bunch.target, dtype=np.int64)


def load_digit_patterns(bipolar: bool = True, threshold: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Binarised 8x8 digit images and their labels.

    ========= =============== =========================================================
    returns   shape / dtype   meaning
    ========= =============== =========================================================
    patterns  (1797, 64) int8 pixel >= ``threshold`` -> +1, else -1 (or 0 if not
                              ``bipolar``); row-major 8x8, reshape with (-1, 8, 8)
    labels    (1797,) int64   the digit 0..9
    ========= =============== =========================================================

    ``threshold`` is on scikit-learn's grey scale 0..16.

    >>> X, y = load_digit_patterns()
    >>> X.shape, X.dtype, sorted(np.unique(X).tolist()), y[:5].tolist()
    ((1797, 64), dtype('int8'), [-1, 1], [0, 1, 2, 3, 4])
    >>> rows = X[0].reshape(8, 8)             # the first image, a zero
    >>> print("\\n".join("".join("#" if v > 0 else "-" for v in row) for row in rows))
    ---##---
    --####--
    --#--##-
    --#--##-
    --#--##-
    --#--#--
    --#-##--
    ---##---
    """
    threshold = check_int(threshold, "threshold", minimum=0, maximum=17)
    if not isinstance(bipolar, bool | np.bool_):
        raise SeqlabTypeError(f"bipolar must be True or False; got {bipolar!r}.")
    if importlib.util.find_spec("sklearn") is None:
        raise MissingDependencyError("scikit-learn", "pip install scikit-learn",
                                     "load_digit_patterns()")
    data, target = _digits()
    on = data >= threshold
    low = -1 if bipolar else 0
    patterns = np.where(on, 1, low).astype(np.int8)
    return patterns, target.copy()


register(DatasetInfo("digit-patterns", "images", load_digit_patterns,
                      "8x8 handwritten digits binarised to {-1,+1} patterns, with labels",
                      "1797 images x 64 pixels",
                      "scikit-learn: sklearn/datasets/data/digits.csv.gz"))

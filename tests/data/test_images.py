"""Binary digit patterns for Hopfield networks, against scikit-learn's load_digits."""

import importlib.util

import numpy as np
import pytest
from sklearn.datasets import load_digits

from seqlab import MissingDependencyError
from seqlab.data import images


def test_bipolar_patterns_match_thresholded_sklearn_digits():
    X, y = images.load_digit_patterns()
    ref = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.int8  # 1797 images in the UCI test set
    assert set(np.unique(X)) == {-1, 1}
    np.testing.assert_array_equal(X, np.where(ref.data >= 8, 1, -1))
    np.testing.assert_array_equal(y, ref.target)
    assert y.dtype == np.int64 and set(y) == set(range(10))


@pytest.mark.parametrize("threshold", [1, 8, 16])
def test_binary_patterns_and_threshold(threshold):
    X, _ = images.load_digit_patterns(bipolar=False, threshold=threshold)
    assert set(np.unique(X)) <= {0, 1}
    np.testing.assert_array_equal(X, (load_digits().data >= threshold).astype(np.int8))


def test_patterns_are_copies_and_arguments_checked():
    X, y = images.load_digit_patterns()
    X[0, 0] = 7
    y[0] = 9
    X2, y2 = images.load_digit_patterns()
    assert X2[0, 0] == -1 and y2[0] == 0
    with pytest.raises(ValueError, match="threshold"):
        images.load_digit_patterns(threshold=40)
    with pytest.raises(TypeError, match="bipolar"):
        images.load_digit_patterns(bipolar="yes")


def test_missing_sklearn_names_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))
    with pytest.raises(MissingDependencyError, match="pip install scikit-learn"):
        images.load_digit_patterns()

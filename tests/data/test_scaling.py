"""StandardScaler against scikit-learn's; the inverse undoes the transform."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.preprocessing import StandardScaler as SkScaler

from seqlab.data.scaling import StandardScaler
from seqlab.exceptions import NotFittedError, SeqlabValueError


def test_matches_sklearn():
    rng = np.random.default_rng(0)
    y = rng.normal(5.0, 3.0, size=(50, 3))
    y[:, 2] = 7.0  # a constant column: scale 1, as scikit-learn
    ours, ref = StandardScaler().fit(y), SkScaler().fit(y)
    np.testing.assert_allclose(ours.mean_, ref.mean_)
    np.testing.assert_allclose(ours.scale_, ref.scale_)
    np.testing.assert_allclose(ours.transform(y), ref.transform(y), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 3)),
              elements=st.floats(-1e6, 1e6)))
def test_round_trip(y):
    s = StandardScaler().fit(y)
    np.testing.assert_allclose(s.inverse_transform(s.transform(y)), y, rtol=1e-9, atol=1e-6)


def test_errors():
    with pytest.raises(NotFittedError):
        StandardScaler().transform([1.0])
    s = StandardScaler().fit(np.ones((3, 2)))
    with pytest.raises(SeqlabValueError, match="3 columns but the scaler was fitted on 2"):
        s.transform(np.ones((2, 3)))
    one = StandardScaler().fit([1.0, 2.0, 3.0])  # a 1-D series is one column
    assert one.transform([2.0]).shape == (1,)


def test_model_file_round_trip(tmp_path):
    import seqlab

    s = StandardScaler().fit(np.random.default_rng(1).normal(size=(30, 2)))
    seqlab.save(s, tmp_path / "s.seqlab")
    back = seqlab.load(tmp_path / "s.seqlab")
    assert type(back) is StandardScaler
    np.testing.assert_array_equal(back.mean_, s.mean_)
    np.testing.assert_array_equal(back.scale_, s.scale_)

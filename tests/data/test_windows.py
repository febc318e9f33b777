"""Tests for seqlab.data.windows: windows against a naive loop, splits, padding, masks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.data.windows import (
    chronological_split,
    lengths_to_mask,
    pad_sequences,
    sliding_windows,
)


# ----------------------------------------------------------------------------- windows
@settings(max_examples=60, deadline=None)
@given(
    T=st.integers(1, 60),
    L=st.integers(1, 20),
    h=st.integers(1, 5),
    stride=st.integers(1, 7),
    features=st.sampled_from([(), (3,), (2, 2)]),
)
def test_sliding_windows_match_a_naive_loop(T, L, h, stride, features):
    x = np.arange(T * int(np.prod(features, dtype=int)), dtype=np.float64).reshape(T, *features)
    if T < L + h:
        with pytest.raises(ValueError, match="too short"):
            sliding_windows(x, L, h, stride=stride)
        return
    inputs, targets = sliding_windows(x, L, h, stride=stride)
    starts = range(0, T - L - h + 1, stride)
    expected_in = np.array([x[s : s + L] for s in starts])
    expected_out = np.array([x[s + L : s + L + h] for s in starts])
    assert inputs.shape == (len(starts), L, *features)
    assert targets.shape == (len(starts), h, *features)
    np.testing.assert_array_equal(inputs, expected_in)
    np.testing.assert_array_equal(targets, expected_out)
    # views into x, no copies, and read-only so nobody corrupts the series through them
    assert np.shares_memory(inputs, x) and np.shares_memory(targets, x)
    assert not inputs.flags.writeable


def test_sliding_windows_keep_dtype_and_accept_pandas():
    x = np.arange(10, dtype=np.float32)
    inputs, _ = sliding_windows(x, 3)
    assert inputs.dtype == np.float32 and np.shares_memory(inputs, x)
    s = pd.Series(np.arange(8.0))
    inputs, targets = sliding_windows(s, 5, 2)
    assert inputs.shape == (2, 5) and targets[1].tolist() == [6.0, 7.0]


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((np.arange(5), 0), {}, ValueError, "input_length"),
        ((np.arange(5), 2, 0), {}, ValueError, "horizon"),
        ((np.arange(5), 2), {"stride": 0}, ValueError, "stride"),
        ((np.arange(5), 2.5), {}, TypeError, "input_length"),
        ((np.array(3.0), 1), {}, ValueError, "time axis"),
        ((np.array(["a", "b", "c"]), 1), {}, TypeError, "numeric"),
        ((np.arange(5), 5), {}, ValueError, r"5 \+ 1 = 6"),
    ],
)
def test_sliding_windows_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        sliding_windows(*args, **kwargs)


# ----------------------------------------------------------------------------- splits
@settings(max_examples=60, deadline=None)
@given(
    T=st.integers(1, 300),
    train=st.floats(0.05, 1.0),
    validation=st.floats(0.0, 0.95),
)
def test_chronological_split_keeps_order_and_sizes(T, train, validation):
    x = np.arange(T)
    if train + validation > 1:
        with pytest.raises(ValueError, match="train \\+ validation"):
            chronological_split(x, train=train, validation=validation)
        return
    if int(np.floor(train * T + 1e-9)) < 1:
        with pytest.raises(ValueError, match="too few"):
            chronological_split(x, train=train, validation=validation)
        return
    tr, va, te = chronological_split(x, train=train, validation=validation)
    np.testing.assert_array_equal(np.concatenate([tr, va, te]), x)  # in order, nothing lost
    assert len(tr) == int(np.floor(train * T + 1e-9))
    assert len(va) == int(np.floor(validation * T + 1e-9))
    assert np.shares_memory(tr, x)


def test_chronological_split_defaults_and_pandas():
    tr, va, te = chronological_split(np.arange(100).reshape(50, 2))
    assert (len(tr), len(va), len(te)) == (35, 7, 8)
    df = pd.DataFrame({"a": range(20)}, index=pd.date_range("2000-01-01", periods=20))
    tr, va, te = chronological_split(df, train=0.5, validation=0.25)
    assert isinstance(tr, pd.DataFrame) and isinstance(te, pd.DataFrame)
    assert tr.index[-1] < va.index[0] and va.index[-1] < te.index[0]
    s = pd.Series(range(10), index=list("abcdefghij"))
    tr, va, te = chronological_split(s, train=0.6, validation=0.2)
    assert isinstance(va, pd.Series) and list(va.index) == ["g", "h"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"train": 0.0}, ValueError, "train must be > 0"),
        ({"train": 1.2}, ValueError, "train must be a fraction"),
        ({"validation": -0.1}, ValueError, "validation must be a fraction"),
        ({"train": 0.8, "validation": 0.3}, ValueError, "train \\+ validation"),
        ({"train": "0.7"}, TypeError, "train"),
        ({"train": True}, TypeError, "train"),
    ],
)
def test_chronological_split_bad_fractions(kwargs, error, match):
    with pytest.raises(error, match=match):
        chronological_split(np.arange(10), **kwargs)


# ----------------------------------------------------------------------------- padding
@settings(max_examples=50, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=8),
    features=st.sampled_from([(), (1,), (3,), (2, 2)]),
    padding_value=st.sampled_from([0.0, -1.0, 7.5]),
)
def test_pad_sequences_roundtrip(lengths, features, padding_value):
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, *features)) for n in lengths]
    padded, got_lengths = pad_sequences(seqs, padding_value=padding_value)
    assert padded.shape == (len(seqs), max(lengths), *features)
    assert padded.dtype == np.float32 and got_lengths.dtype == np.int64
    assert got_lengths.tolist() == lengths
    mask = lengths_to_mask(got_lengths, padded.shape[1])
    for i, s in enumerate(seqs):
        np.testing.assert_allclose(padded[i, : len(s)], s.astype(np.float32))
        assert (padded[i, len(s) :] == np.float32(padding_value)).all()
        assert mask[i].sum() == len(s) and mask[i, : len(s)].all()


def test_pad_sequences_options():
    padded, lengths = pad_sequences([[1, 2], [3]], dtype=np.int64, max_length=4)
    assert padded.dtype == np.int64 and padded.tolist() == [[1, 2, 0, 0], [3, 0, 0, 0]]
    assert lengths.tolist() == [2, 1]
    padded, _ = pad_sequences(iter([np.ones((2, 3))]))  # any iterable works
    assert padded.shape == (1, 2, 3)


@pytest.mark.parametrize(
    ("seqs", "kwargs", "error", "match"),
    [
        ([np.ones((2, 3)), np.ones((2, 3)), np.ones((4, 2))], {}, ValueError,
         r"sequences\[2\] has feature shape \(2,\) but sequences\[0\] has \(3,\)"),
        ([], {}, ValueError, "empty"),
        ([np.ones(2), np.ones(0)], {}, ValueError, r"sequences\[1\] is empty"),
        ([np.ones(2), 3.0], {}, ValueError, r"sequences\[1\] is a scalar"),
        ([[1, 2], ["a", "b"]], {}, TypeError, r"sequences\[1\]"),
        ([[1, 2, 3]], {"max_length": 2}, ValueError, "max_length"),
    ],
)  # fmt: skip
def test_pad_sequences_bad_input(seqs, kwargs, error, match):
    with pytest.raises(error, match=match):
        pad_sequences(seqs, **kwargs)


def test_lengths_to_mask_values_and_errors():
    np.testing.assert_array_equal(
        lengths_to_mask(np.array([2, 0, 3])),
        [[True, True, False], [False, False, False], [True, True, True]],
    )
    with pytest.raises(ValueError, match="shorter"):
        lengths_to_mask([3, 5], 4)
    with pytest.raises(ValueError, match=">= 0"):
        lengths_to_mask([-1, 2])
    with pytest.raises(ValueError, match="integers"):
        lengths_to_mask([1.5, 2.0])

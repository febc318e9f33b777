"""The numba kernels' float32 math (:mod:`seqlab.recurrent._bptt_kernels`), against the
correctly rounded values:

- ``_tanh``: float32 within 1 ulp, every special value right; float64 is ``math.tanh``;
- ``_sigmoid32`` (the fused GRU step's, vectorisable): within 2 ulp for v >= -88 (torch's
  float32 sigmoid is within 2 as well), ``sigmoid(-88)`` below, every special value right.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import njit

from seqlab.recurrent import _bptt_kernels as K


def _elementwise(fn):  # type: ignore[no-untyped-def]
    """``fn`` applied to every value of an array in a compiled loop (numpy's error model, as
    the kernels that vectorise use)."""

    @njit(error_model="numpy")
    def apply(x, out):  # type: ignore[no-untyped-def]
        for i in range(x.size):
            out[i] = fn(x[i])

    def call(x: np.ndarray) -> np.ndarray:
        out = np.empty_like(x)
        apply(x, out)
        return out

    return call


_tanh, _sigmoid32 = _elementwise(K._tanh), _elementwise(K._sigmoid32)


def _ulps(got: np.ndarray, ref64: np.ndarray) -> np.ndarray:
    """Distance of float32 ``got`` from ``ref64`` rounded to float32, in its ulps."""
    assert got.dtype == np.float32
    ref = ref64.astype(np.float32)
    return np.abs(got.astype(np.float64) - ref) / np.spacing(np.abs(ref))


def _tanh_ulps(got: np.ndarray, x: np.ndarray) -> np.ndarray:
    return _ulps(got, np.tanh(x.astype(np.float64)))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float32, st.integers(1, 64), elements=st.floats(
    width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)))
def test_float32_within_one_ulp(x: np.ndarray) -> None:
    assert _tanh_ulps(_tanh(x), x).max() <= 1.0


def test_float32_dense_sweep_and_special_values() -> None:
    # every magnitude from 1e-38 to 20, both signs, and the switch point of the linear branch
    mag = np.logspace(-38, np.log10(20.0), 200_001).astype(np.float32)
    edge = np.nextafter(K._TANH32_LINEAR, np.float32([0, 1]), dtype=np.float32)
    x = np.concatenate([mag, -mag, edge, [K._TANH32_LINEAR]]).astype(np.float32)
    assert _tanh_ulps(_tanh(x), x).max() <= 1.0
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 100.0, -100.0,
                        3.4e38, -3.4e38], np.float32)
    got = _tanh(special)
    np.testing.assert_array_equal(got[:4], [0.0, -0.0, 1.0, -1.0])
    assert np.signbit(got[1]) and not np.signbit(got[0])  # tanh(-0) = -0
    assert np.isnan(got[4])
    np.testing.assert_array_equal(got[5:7], special[5:7])  # the smallest subnormals: tanh x = x
    np.testing.assert_array_equal(got[7:], [1.0, -1.0, 1.0, -1.0])


def test_float64_is_math_tanh_bit_for_bit() -> None:
    x = np.random.default_rng(0).standard_normal(10_000) * 3
    out = _tanh(x)
    assert out.dtype == np.float64
    assert out.tobytes() == np.array([math.tanh(v) for v in x]).tobytes()


def _sigmoid_ulps(got: np.ndarray, x: np.ndarray) -> np.ndarray:
    return _ulps(got, 1.0 / (1.0 + np.exp(-x.astype(np.float64))))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float32, st.integers(1, 64), elements=st.floats(
    min_value=-88.0, width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)))
def test_sigmoid32_within_two_ulp(x: np.ndarray) -> None:
    assert _sigmoid_ulps(_sigmoid32(x), x).max() <= 2.0


def test_sigmoid32_dense_sweep_tail_and_special_values() -> None:
    # every magnitude from 1e-45 to 88, both signs (results from 6e-39 to 1)
    mag = np.logspace(-45, np.log10(88.0), 400_001).astype(np.float32)
    x = np.concatenate([mag, -mag])
    assert _sigmoid_ulps(_sigmoid32(x), x).max() <= 2.0
    # below -88 the true value is a subnormal under sigmoid(-88) = 6.05e-39: returned as that
    tail = -np.linspace(88.0, 1e4, 1000, dtype=np.float32)
    floor = _sigmoid32(np.array([-88.0], np.float32))[0]
    assert 6.0e-39 < floor < 6.1e-39
    np.testing.assert_array_equal(_sigmoid32(tail), floor)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3.4e38, -3.4e38, 20.0], np.float32)
    got = _sigmoid32(special)
    np.testing.assert_array_equal(got[[0, 1, 2, 5, 7]], [0.5, 0.5, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(got[[3, 6]], floor)
    assert np.isnan(got[4])

"""The numba kernels' tanh (:func:`seqlab.recurrent._bptt_kernels._tanh`): float32 within
1 ulp of the correctly rounded value, every special value right; float64 is ``math.tanh``."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import njit

from seqlab.recurrent import _bptt_kernels as K


@njit
def _apply(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = K._tanh(x[i])


def _tanh32(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    _apply(x, out)
    assert out.dtype == np.float32
    return out


def _ulps(got: np.ndarray, x: np.ndarray) -> np.ndarray:
    ref = np.tanh(x.astype(np.float64)).astype(np.float32)  # correctly rounded (to ~1e-16)
    return np.abs(got.astype(np.float64) - ref) / np.spacing(np.abs(ref))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float32, st.integers(1, 64), elements=st.floats(
    width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)))
def test_float32_within_one_ulp(x: np.ndarray) -> None:
    assert _ulps(_tanh32(x), x).max() <= 1.0


def test_float32_dense_sweep_and_special_values() -> None:
    # every magnitude from 1e-38 to 20, both signs, and the switch point of the linear branch
    mag = np.logspace(-38, np.log10(20.0), 200_001).astype(np.float32)
    edge = np.nextafter(K._TANH32_LINEAR, np.float32([0, 1]), dtype=np.float32)
    x = np.concatenate([mag, -mag, edge, [K._TANH32_LINEAR]]).astype(np.float32)
    assert _ulps(_tanh32(x), x).max() <= 1.0
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 100.0, -100.0,
                        3.4e38, -3.4e38], np.float32)
    got = _tanh32(special)
    np.testing.assert_array_equal(got[:4], [0.0, -0.0, 1.0, -1.0])
    assert np.signbit(got[1]) and not np.signbit(got[0])  # tanh(-0) = -0
    assert np.isnan(got[4])
    np.testing.assert_array_equal(got[5:7], special[5:7])  # the smallest subnormals: tanh x = x
    np.testing.assert_array_equal(got[7:], [1.0, -1.0, 1.0, -1.0])


def test_float64_is_math_tanh_bit_for_bit() -> None:
    x = np.random.default_rng(0).standard_normal(10_000) * 3
    out = np.empty_like(x)
    _apply(x, out)
    assert out.tobytes() == np.array([math.tanh(v) for v in x]).tobytes()

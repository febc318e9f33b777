"""KPSS, ndiffs, nsdiffs and STL against statsmodels and statsforecast (the decisions AutoARIMA
takes for d and D must be statsforecast's)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from statsforecast.arima import ndiffs as sf_ndiffs
from statsforecast.arima import nsdiffs as sf_nsdiffs
from statsforecast.arima import seas_heuristic

from seqlab.classical import kpss, ndiffs, nsdiffs, seasonal_strength
from seqlab.classical._stl import stl
from seqlab.exceptions import SeqlabValueError


def _series(i: int) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(100 + i)
    n = int(rng.integers(24, 200))
    p = int(rng.choice([4, 7, 12]))
    e = rng.normal(size=n)
    kind = i % 4
    if kind == 0:
        y = e
    elif kind == 1:
        y = np.cumsum(e)
    elif kind == 2:
        y = np.cumsum(np.cumsum(e))
    else:
        y = (np.convolve(e, [1.0, 0.8], "same") + 0.05 * rng.uniform(0, 3) * np.arange(n)
             + rng.uniform(0, 5) * np.sin(np.arange(n) * 2 * np.pi / p))
    return y, p


def _real() -> list[tuple[np.ndarray, int]]:
    nile = sm.datasets.nile.load_pandas().data["volume"].to_numpy(float)
    sun = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(float)
    co2 = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean().ffill()
    return [(nile, 4), (sun, 11), (co2.to_numpy(float)[-240:], 12)]


CASES = [_series(i) for i in range(40)] + _real()


@pytest.mark.parametrize("i", range(len(CASES)))
def test_decisions_equal_statsforecast(i: int) -> None:
    y, p = CASES[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ndiffs(y) == sf_ndiffs(y)
        assert ndiffs(y, alpha=0.01, max_d=1) == sf_ndiffs(y, alpha=0.01, max_d=1)
        assert nsdiffs(y, period=p) == sf_nsdiffs(y, period=p)
        assert seasonal_strength(y, p) == pytest.approx(seas_heuristic(y, p), abs=1e-10)


@pytest.mark.parametrize("i", range(0, len(CASES), 3))
def test_kpss_equals_statsmodels(i: int) -> None:
    y, _ = CASES[i]
    lags = int(np.floor(3 * np.sqrt(len(y)) / 13))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.tsa.kpss(y, "c", nlags=lags)
    stat, pval, got_lags = kpss(y)
    assert got_lags == lags
    assert stat == pytest.approx(ref[0], rel=1e-10)
    assert pval == pytest.approx(ref[1], abs=1e-12)


@pytest.mark.parametrize(("n", "period"), [(144, 12), (50, 4), (25, 12), (100, 7), (60, 2)])
def test_stl_equals_statsmodels(n: int, period: int) -> None:
    rng = np.random.default_rng(n + period)
    y = np.cumsum(rng.normal(size=n)) + np.sin(np.arange(n) * 2 * np.pi / period)
    ref = sm.tsa.STL(y, period=period, seasonal=11, seasonal_deg=0).fit()
    seas, trend = stl(y, period, seasonal=11, seasonal_deg=0)
    np.testing.assert_allclose(seas, ref.seasonal, atol=1e-10)
    np.testing.assert_allclose(trend, ref.trend, atol=1e-10)


@pytest.mark.parametrize(("n", "period", "seasonal_deg"), [(144, 12, 1), (60, 4, 0), (37, 12, 1)])
def test_stl_interpreted_equals_compiled(n: int, period: int, seasonal_deg: int) -> None:
    """Short series run the kernels' code interpreted: the compiled kernels' numbers."""
    from seqlab.classical import _stl

    rng = np.random.default_rng(n)
    t = np.arange(n)
    y = np.sin(2 * np.pi * t / period) + 0.02 * t + rng.normal(0, 0.3, n)
    trend_len = int(np.ceil(1.5 * period / (1 - 1.5 / 7)))
    trend_len += trend_len % 2 == 0
    low_pass = period + 1 + (period % 2 == 0)
    args = (y, period, 7, trend_len, low_pass, seasonal_deg, 1, 1, 5)
    slow = _stl._interpreted()(*args)
    fast = _stl._stl(*args)
    np.testing.assert_array_equal(slow[0], fast[0])
    np.testing.assert_array_equal(slow[1], fast[1])


def test_bad_input() -> None:
    y = np.random.default_rng(0).normal(size=50)
    with pytest.raises(SeqlabValueError, match=r"alpha must lie in \[0.01, 0.1\]"):
        ndiffs(y, alpha=0.5)
    with pytest.raises(SeqlabValueError, match="test"):
        ndiffs(y, test="adf")
    with pytest.raises(SeqlabValueError, match="seasonal_test"):
        nsdiffs(y, period=12, test="ocsb")
    with pytest.raises(SeqlabValueError, match="nlags"):
        kpss(y, nlags=50)
    with pytest.raises(SeqlabValueError, match="constant"):
        kpss(np.ones(20))
    assert ndiffs(np.ones(20)) == 0
    assert nsdiffs(np.ones(20), period=4) == 0
    with pytest.warns(RuntimeWarning, match="missing values"):
        assert nsdiffs(np.r_[y[:10], np.nan, y[11:]], period=4) == 0

"""engine="processes" keeps its spawned pool between calls: the same worker processes run
the next call with the same n_jobs (their numbers still those of the in-process fit), a
different n_jobs or a broken pool replaces it, and close_pool leaves no process behind."""

from __future__ import annotations

import functools
import os
import signal
import time

import pandas as pd
import pytest

from seqlab.classical import ARIMA, GaussianHMM
from seqlab.scale import ManySeries, _engines, close_pool

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::DeprecationWarning")
same = functools.partial(pd.testing.assert_frame_equal, check_exact=True)
MODELS = {"ARIMA": ARIMA(order=(1, 1, 1)), "HMM": GaussianHMM(2, seed=0, n_iter=5)}


def _gone(pid: int, wait: float = 10.0) -> bool:
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _pids() -> set[int]:
    held = _engines._POOL
    return set() if held is None else set(held[1]._processes)


@pytest.fixture
def df(make_panel):
    return make_panel(n_series=8, seed=3)


@pytest.fixture(autouse=True)
def _no_pool_left():
    close_pool()
    yield
    close_pool()


def test_pool_reused_across_calls_then_closed(df):
    expected = ManySeries(MODELS, freq="MS").forecast(df, h=3, level=[80])
    ms = ManySeries(MODELS, freq="MS", engine="processes", n_jobs=2, chunk_size=2)
    same(ms.forecast(df, h=3, level=[80]), expected)
    first = _pids()
    assert len(first) == 2
    same(ms.forecast(df, h=3, level=[80]), expected)
    assert _pids() == first  # the same workers ran the second call
    cv = ManySeries(MODELS, freq="MS").cross_validation(df, h=2, n_windows=2)
    same(ms.cross_validation(df, h=2, n_windows=2), cv)
    assert _pids() == first
    close_pool()
    assert _engines._POOL is None
    assert all(_gone(pid) for pid in first)
    same(ms.forecast(df, h=3, level=[80]), expected)  # a fresh pool after close
    assert _pids() and not (_pids() & first)


def test_other_worker_count_replaces_the_pool(df):
    ms2 = ManySeries(MODELS, freq="MS", engine="processes", n_jobs=2, chunk_size=2)
    expected = ms2.forecast(df, h=3, level=[80])
    two = _pids()
    ms1 = ManySeries(MODELS, freq="MS", engine="processes", n_jobs=1, chunk_size=2)
    same(ms1.forecast(df, h=3, level=[80]), expected)
    one = _pids()
    assert len(one) == 1 and not (one & two)
    assert all(_gone(pid) for pid in two)  # the old pool's workers exited


def test_broken_pool_is_replaced(df):
    from concurrent.futures.process import BrokenProcessPool

    ms = ManySeries(MODELS, freq="MS", engine="processes", n_jobs=2, chunk_size=2)
    expected = ms.forecast(df, h=3, level=[80])
    victims = _pids()
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    assert all(_gone(pid) for pid in victims)
    # the dead workers fail this call (or were already noticed, and a fresh pool ran it)
    try:
        got = ms.forecast(df, h=3, level=[80])
    except BrokenProcessPool:
        got = ms.forecast(df, h=3, level=[80])
    same(got, expected)
    assert _pids() and not (_pids() & victims)

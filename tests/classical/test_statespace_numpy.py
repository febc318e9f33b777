"""The numpy twin of the compiled Kalman filter and the filter compiled ahead of time (first
calls, issue 17): the same bits as the jitted kernel.

``seqlab.classical._statespace_numpy.kalman_filter`` vectorises the kernel's loops while
keeping every sum in the kernel's order, and ``seqlab._aot``'s module is the kernel's own
code compiled at install, so every output of both must equal the jitted kernel's to the
last bit (``assert_array_equal``, not a tolerance), on SARIMAX systems (sparse
companion/differencing transitions with repeated rows), dense random systems, gaps,
intercepts, a burn-in and a singular prediction variance.
"""

from __future__ import annotations

import numpy as np
import pytest

from seqlab import _aot
from seqlab.classical import SARIMAX, _statespace_kernels, _statespace_numpy, statespace
from seqlab.classical._sarimax_system import make_spec
from seqlab.classical.statespace import StateSpace


def _run(kernel, ss: StateSpace, y, d, c):
    n, m = y.shape[0], ss.m
    v, F = np.empty(n), np.empty(n)
    a_pred, a_filt, P_last = np.empty((n + 1, m)), np.empty((n, m)), np.empty((m, m))
    Tr, Tc, Tv = ss._triplets()
    llf = kernel.kalman_filter(y, d, ss.Z, ss.H, Tr, Tc, Tv, c, ss.RQR, ss.a0,
                               np.ascontiguousarray(ss.P0), ss.burn, v, F, a_pred, a_filt,
                               P_last)
    return llf, v, F, a_pred, a_filt, P_last


def _alternatives() -> list:
    """The numpy twin, and the ahead-of-time module where this install built it."""
    aot = _aot.kernels()
    return [_statespace_numpy] + ([] if aot is None else [aot])


def _assert_same(ss, y, d, c):
    kernel = _run(_statespace_kernels, ss, y, d, c)
    for other in _alternatives():
        got = _run(other, ss, y, d, c)
        assert (got[0] == kernel[0]) or (np.isnan(got[0]) and np.isnan(kernel[0])), other
        for a, b in zip(got[1:], kernel[1:], strict=True):
            np.testing.assert_array_equal(a, b)  # NaN where NaN, every other bit equal


def _airline() -> np.ndarray:
    t = np.arange(144)
    rng = np.random.default_rng(7)
    return 5.0 + 0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12) + np.cumsum(
        rng.normal(0, 0.05, 144))


@pytest.mark.parametrize(("order", "seasonal", "trend", "k_exog"), [
    ((0, 1, 1), (0, 1, 1, 12), "n", 0),   # the airline model: m = 27
    ((2, 1, 1), (1, 0, 1, 12), "c", 1),
    ((1, 0, 0), (0, 0, 0, 0), "ct", 2),
    ((3, 2, 2), (1, 1, 1, 4), "n", 0),    # two differencing blocks: repeated rows in T
])
@pytest.mark.parametrize("gaps", [False, True])
def test_twin_equals_kernel_on_sarimax_systems(order, seasonal, trend, k_exog, gaps):
    spec = make_spec(order, seasonal, trend, k_exog)
    rng = np.random.default_rng(sum(order) * 7 + seasonal[3] + k_exog + gaps)
    for _ in range(3):
        params = spec.constrain(rng.normal(size=spec.k_params))  # stationary, invertible
        y = _airline() + rng.normal(size=144)
        if gaps:
            y[rng.choice(144, 12, replace=False)] = np.nan
        X = rng.normal(size=(144, k_exog))
        ss = spec.system(params)
        d, c = spec.intercepts(params, X, 0)
        d = np.ascontiguousarray(np.broadcast_to(d, (144,)), dtype=np.float64)
        c = np.ascontiguousarray(np.broadcast_to(c, (144, ss.m)), dtype=np.float64)
        _assert_same(ss, y, d, c)


@pytest.mark.parametrize("seed", range(4))
def test_twin_equals_kernel_on_dense_random_systems(seed):
    rng = np.random.default_rng(seed)
    m, n = 6, 40
    T = rng.normal(size=(m, m)) * 0.3
    T[rng.random((m, m)) < 0.3] = 0.0
    R = rng.normal(size=(m, 2))
    P0 = rng.normal(size=(m, m))
    ss = StateSpace(Z=rng.normal(size=m), T=T, R=R, Q=np.eye(2), H=0.5,
                    a0=rng.normal(size=m), P0=P0 @ P0.T, burn=3)
    y = rng.normal(size=n)
    y[[0, 5, 6, 39]] = np.nan
    _assert_same(ss, y, rng.normal(size=n), rng.normal(size=(n, m)))


def test_twin_equals_kernel_when_the_prediction_variance_is_singular():
    """F = 0 at an observed value: no density (llf NaN), prediction without update."""
    ss = StateSpace(Z=[1.0, 0.0], T=[[0.0, 1.0], [0.0, 0.0]], R=[[0.0], [1.0]], Q=[[1.0]])
    y = np.array([0.3, -0.2, np.nan, 0.5])
    _assert_same(ss, y, np.zeros(4), np.zeros((4, 2)))
    assert np.isnan(_run(_statespace_numpy, ss, y, np.zeros(4), np.zeros((4, 2)))[0])


def test_first_calls_use_the_twin_within_the_budget(monkeypatch):
    """Twin only while the kernel is neither compiled nor cached, within TWIN_BUDGET_S (this
    process's and earlier processes' estimated seconds), and never for a caller's loop."""
    gate = statespace._gate()
    monkeypatch.setattr(gate, "spent_s", 0.0)
    monkeypatch.setattr(gate, "_earlier", 0.0)
    monkeypatch.setattr(gate, "compiled_or_cached", lambda: False)
    assert statespace._use_twin(144, 27, loop=False)
    assert not statespace._use_twin(144, 27, loop=True)
    assert not statespace._use_twin(10**7, 27, loop=False)  # one call above the budget
    monkeypatch.setattr(gate, "spent_s", statespace.TWIN_BUDGET_S)
    assert not statespace._use_twin(144, 27, loop=False)  # budget spent in this process
    monkeypatch.setattr(gate, "spent_s", 0.0)
    monkeypatch.setattr(gate, "_earlier", statespace.TWIN_BUDGET_S)
    assert not statespace._use_twin(144, 27, loop=False)  # spent by earlier processes
    monkeypatch.setattr(gate, "_earlier", 0.0)
    monkeypatch.setattr(gate, "compiled_or_cached", lambda: True)
    assert not statespace._use_twin(144, 27, loop=False)  # compiled or cached: the kernel


@pytest.mark.parametrize("gaps", [False, True])
def test_sarimax_results_do_not_depend_on_which_filter_ran(monkeypatch, gaps):
    """A fit, its forecasts and standard errors: the same bits through the twin and the
    compiled filter (which one runs depends only on what ran before in the process)."""
    y = _airline()
    if gaps:
        y[[20, 77]] = np.nan
    out = []
    for twin in (True, False):
        monkeypatch.setattr(statespace, "_use_twin", lambda n, m, loop, t=twin: t and not loop)
        res = SARIMAX((1, 1, 1), (0, 1, 1, 12)).fit(y)
        fc = res.get_forecast(12)
        out.append((res.params_, res.llf_, fc.predicted_mean, fc.conf_int(), res.bse_,
                    res.predict()))
    for a, b in zip(*out, strict=True):
        np.testing.assert_array_equal(a, b)

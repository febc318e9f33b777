"""The unified ESN forecaster against the three recipes it replaces (written out here with
:class:`seqlab.reservoir.EchoStateNetwork`, as they stood before the merge), its held-out
intervals, origin updates, save/load (also of a file written by the old
``seqlab.scale.ESNForecaster``) and bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import seqlab
from seqlab.exceptions import NotFittedError, SeqlabTypeError, SeqlabValueError
from seqlab.pipelines import ESNForecaster
from seqlab.reservoir import EchoStateNetwork

DATA = Path(__file__).parent / "data"
ESN_KW = {"spectral_radius": 0.9, "leak_rate": 0.5, "input_scaling": 0.5, "bias_scaling": 0.2,
          "ridge": 1e-2, "input_to_readout": True}


def _series(n: int = 150, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.sin(t * 0.3) + 0.01 * t + 0.05 * rng.standard_normal(n)


def _old_scale(y, h, n_units, seed):
    """The old seqlab.scale.ESNForecaster (capped n_units, in-sample RMSE)."""
    n = y.size
    washout = min(50, n // 4)
    mu, sd = y.mean(), y.std()
    z = (y - mu) / sd
    targets = z[np.arange(n - h)[:, None] + np.arange(1, h + 1)]
    esn = EchoStateNetwork(min(n_units, max(20, (n - h) // 2)), washout=washout, seed=seed,
                           **ESN_KW).fit(z[: n - h, None], targets)
    P = np.asarray(esn.predict(z[:, None])).reshape(n, h)
    return P[-1] * sd + mu


def _old_compare(y, X, horizon, n_units, seed, s_lag, train=0.7, validation=0.15):
    """The ESN rows of the old seqlab.applications._forecast.run_forecast: (origins, pred)."""
    T = y.size
    z = np.r_[np.zeros(s_lag), y[s_lag:] - y[:-s_lag]] if s_lag else y
    X = z[:, None] if X is None else X
    n_train, n_fit = int(train * T), int(train * T) + int(validation * T)
    origins = np.arange(n_fit - 1, T - horizon)
    mu, sd = z[s_lag:n_train].mean(), z[s_lag:n_train].std() or 1.0
    xm, xs = X[s_lag:n_train].mean(0), X[s_lag:n_train].std(0)
    xs[xs == 0] = 1.0
    Xn, yn = (X - xm) / xs, (z - mu) / sd
    back = y[origins[:, None] + np.arange(1, horizon + 1) - s_lag] if s_lag else 0.0
    idx = np.arange(T - horizon)
    Y = yn[idx[:, None] + np.arange(1, horizon + 1)]
    esn = EchoStateNetwork(min(n_units, max(20, n_fit // 2)), washout=max(min(50, n_fit // 4),
                           s_lag), seed=seed, **ESN_KW)
    esn.fit(Xn[: n_fit - horizon], Y[: n_fit - horizon])
    P = np.asarray(esn.predict(Xn[: T - horizon])).reshape(T - horizon, horizon)
    return origins, n_train, n_fit, P[origins] * sd + mu + back


def _new_compare(y, X, horizon, n_units, seed, s_lag, n_train, n_fit):
    T = y.size
    f = ESNForecaster(min(n_units, max(20, n_fit // 2)), horizon=horizon,
                      learn_differences=s_lag, scale_window=n_train, holdout=0.0, seed=seed)
    f.fit(y[:n_fit], None if X is None else X[:n_fit])
    return f.predict_path(y[: T - horizon], None if X is None else X[: T - horizon])


def test_equals_old_scale_recipe():
    y = _series()
    f = ESNForecaster(n_units=30, seed=1).fit(y, horizon=4)
    np.testing.assert_array_equal(f.mean_, _old_scale(y, 4, 30, 1))
    np.testing.assert_array_equal(f.predict(), f.mean_)
    np.testing.assert_array_equal(f.forecast(2), f.mean_[:2])


@pytest.mark.parametrize("s_lag", [0, 12])
def test_equals_old_compare_recipe(s_lag):
    y = _series(180, seed=2) + 0.02 * np.arange(180)
    origins, n_train, n_fit, want = _old_compare(y, None, 6, 40, 3, s_lag)
    got = _new_compare(y, None, 6, 40, 3, s_lag, n_train, n_fit)[origins]
    np.testing.assert_array_equal(got, want)


def test_equals_old_compare_recipe_with_features():
    rng = np.random.default_rng(5)
    y = _series(160, seed=4)
    X = np.c_[y, rng.standard_normal(160), np.ones(160)]  # a constant column: scale 1
    origins, n_train, n_fit, want = _old_compare(y, X, 3, 30, 0, 0)
    got = _new_compare(y, X, 3, 30, 0, 0, n_train, n_fit)[origins]
    np.testing.assert_array_equal(got, want)


def test_update_moves_origin_without_refit():
    y = _series(200)
    f = ESNForecaster(n_units=40, horizon=3, seed=2).fit(y[:150])
    w = f.esn_.W_out_.copy()
    f.update(y[150:170]).update(y[170:])
    np.testing.assert_array_equal(f.esn_.W_out_, w)
    g = ESNForecaster(n_units=40, horizon=3, seed=2).fit(y[:150])
    np.testing.assert_array_equal(f.predict(), g.predict_path(y)[-1])


def test_learn_differences_forecasts_a_trending_season():
    t = np.arange(240)
    y = 0.05 * t + np.sin(2 * np.pi * t / 12)  # leaves the training range; its differences do not
    f = ESNForecaster(n_units=50, horizon=6, learn_differences=12, seed=0).fit(y)
    truth = 0.05 * np.arange(240, 246) + np.sin(2 * np.pi * np.arange(240, 246) / 12)
    np.testing.assert_allclose(f.predict(), truth, atol=1e-2)
    assert np.isnan(f.predict_path()[:11, 0]).all() and not np.isnan(f.predict_path()[11:]).any()


def test_holdout_intervals_are_out_of_sample():
    y = _series(300, seed=7)
    f = ESNForecaster(n_units=60, horizon=4, seed=0).fit(y)
    # the held-out RMSE is the error of a readout that never saw the held-out targets
    h, n, washout = 4, 300, 50
    n_hold = round(0.2 * (n - h - washout))
    train = n - h - n_hold - (h - 1)
    z = (y - y.mean()) / y.std()
    T = z[np.arange(n - h)[:, None] + np.arange(1, h + 1)]
    esn = EchoStateNetwork(60, washout=washout, seed=0, **ESN_KW).fit(z[:train, None], T[:train])
    P = np.asarray(esn.predict(z[: n - h, None])).reshape(-1, h)
    want = np.sqrt(np.mean((P[-n_hold:] - T[-n_hold:]) ** 2, axis=0)) * y.std()
    np.testing.assert_allclose(f.rmse_, want, rtol=1e-12)
    lo, hi = f.interval(0.2)
    np.testing.assert_allclose(hi - f.mean_, 1.2815515655446004 * f.rmse_, rtol=1e-12)
    np.testing.assert_allclose(f.mean_ - lo, hi - f.mean_, rtol=1e-12)
    # the in-sample error of the full readout is smaller: the reason it is not used
    full = np.asarray(f.esn_.predict(z[: n - h, None])).reshape(-1, h)[washout:]
    assert (np.sqrt(np.mean((full - T[washout:]) ** 2, axis=0)) * y.std() < f.rmse_).all()


def test_no_interval_without_enough_holdout():
    f = ESNForecaster(n_units=20, horizon=2, seed=0).fit(_series(40))
    assert np.isnan(f.rmse_).all() and np.isnan(f.interval(0.1)[0]).all()
    g = ESNForecaster(n_units=20, horizon=2, holdout=0.0).fit(_series(150))
    assert np.isnan(g.rmse_).all() and not np.isnan(g.mean_).any()


def test_save_load_round_trip(tmp_path):
    y = _series()
    f = ESNForecaster(n_units=30, horizon=4, learn_differences=5, seed=1).fit(y)
    seqlab.save(f, tmp_path / "esn")
    g = seqlab.load(tmp_path / "esn")
    assert isinstance(g, ESNForecaster) and g.get_params() == f.get_params()
    np.testing.assert_array_equal(g.predict(), f.predict())
    np.testing.assert_array_equal(g.interval(0.2)[1], f.interval(0.2)[1])
    np.testing.assert_array_equal(g.update(y[:10]).predict(), f.update(y[:10]).predict())


def test_loads_a_file_of_the_old_scale_class():
    """``esn_scale_old`` was written by the old ``seqlab.scale.ESNForecaster`` (n_units=30,
    seed=1, horizon 4, on ``sin(0.3 t) + 0.01 t``, t < 150)."""
    g = seqlab.load(DATA / "esn_scale_old")
    assert isinstance(g, ESNForecaster)
    y = np.sin(np.arange(150) * 0.3) + 0.01 * np.arange(150)
    # the file's forecast was computed on another machine: equal to its floating-point
    # rounding, not to the bit (on a Zen 4 EPYC it differed by 1.5e-14 relative)
    np.testing.assert_allclose(g.mean_, ESNForecaster(n_units=30, seed=1).fit(
        y, horizon=4).mean_, rtol=1e-12, atol=0)
    lo, hi = g.interval(0.2)  # its stored (in-sample) rmse_
    assert (hi > lo).all()


def test_n_units_is_not_capped_but_warned():
    y = _series(60)
    with pytest.warns(UserWarning, match=r"n_units=100 exceeds the 43 training windows"):
        f = ESNForecaster(n_units=100, horizon=2).fit(y)
    assert f.esn_.W_out_.shape[0] == 100 + 1  # units and input: not capped
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ESNForecaster(n_units=20, horizon=2).fit(y)


def test_bad_input():
    y = _series(100)
    with pytest.raises(SeqlabValueError, match="y contains 1 NaN or infinite value"):
        ESNForecaster().fit(np.r_[y, np.nan])
    with pytest.raises(SeqlabTypeError, match="complex"):
        ESNForecaster().fit(y + 1j)
    with pytest.raises(SeqlabValueError, match=r"give at least 6 values or lower washout"):
        ESNForecaster(n_units=5, horizon=3, washout=2).fit(y[:5])
    with pytest.raises(SeqlabValueError, match=r"learn_differences=2 needs X=None and a lag of "
                                                r"at least the horizon \(3\)"):
        ESNForecaster(horizon=3, learn_differences=2).fit(y)
    with pytest.raises(SeqlabValueError, match=r"holdout must be in \[0, 1\); got 1.0"):
        ESNForecaster(holdout=1.0).fit(y)
    with pytest.raises(SeqlabValueError, match="X has 99 rows but y has 100 values"):
        ESNForecaster().fit(y, np.ones((99, 2)))
    with pytest.raises(NotFittedError):
        ESNForecaster().predict()
    f = ESNForecaster(n_units=20, horizon=2).fit(y)
    with pytest.raises(SeqlabValueError, match=r"h=3 is beyond the horizon the readout was "
                                                r"trained for \(2\); fit again with horizon=3"):
        f.predict(3)
    with pytest.raises(SeqlabValueError, match="give X_new exactly when"):
        f.update(y[:3], np.ones((3, 1)))

"""RNNForecaster and backtest: windows and baselines against brute force, learning beats the
naive forecast, the model file rebuilds identical forecasts in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import seqlab
from seqlab.classical.arima import ARIMA
from seqlab.exceptions import NotFittedError, SeqlabValueError
from seqlab.pipelines import RNNForecaster, backtest
from seqlab.pipelines.backtest import naive_forecast, season_of, seasonal_naive_forecast

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


SRC = str(Path(seqlab.__file__).resolve().parents[1])


def _sine_trend(n=160, k=1):
    t = np.arange(n, dtype=float)
    cols = [0.02 * t + np.sin(2 * np.pi * t / 12 + j) for j in range(k)]
    idx = pd.date_range("2000-01-01", periods=n, freq="MS")
    return pd.DataFrame(np.stack(cols, 1), index=idx, columns=[f"c{j}" for j in range(k)])


def _small(**kw):
    args = {"horizon": 4, "window": 12, "hidden_size": 12, "epochs": 3, "batch_size": 16}
    return RNNForecaster(**{**args, **kw})


def test_windows_match_a_loop():
    f = _small(horizon=2, window=3)
    z = np.arange(20.0).reshape(10, 2)
    x, y = f._windows(z)
    assert x.shape == (6, 3, 2) and y.shape == (6, 4)
    for i in range(6):
        last = z[i + 2]
        np.testing.assert_array_equal(x[i], z[i:i + 3] - last)
        np.testing.assert_array_equal(y[i], (z[i + 3:i + 5] - last).ravel())


def test_baselines_by_hand():
    h = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    np.testing.assert_array_equal(naive_forecast(h, 3)[:, 0], [5, 5, 5])
    np.testing.assert_array_equal(seasonal_naive_forecast(h, 5, 2)[:, 0], [4, 5, 4, 5, 4])
    assert season_of("MS") == 12 and season_of("QS-OCT") == 4 and season_of(None) == 1
    assert season_of("D") == 7 and season_of("YS-JAN") == 1


def test_backtest_errors_by_hand():
    # y = squares: the naive and seasonal-naive errors are computed here from scratch
    y = np.arange(20.0) ** 2
    bt = backtest(y, _small(horizon=2, window=3, epochs=1), test_size=5, season=2, arima=False)
    train = y[:15]
    origins = [15, 17]  # every horizon-long block that fits in the 5-row tail
    naive_err, snaive_err = [], []
    for t in origins:
        for j in range(2):
            naive_err.append(y[t + j] - y[t - 1])
            snaive_err.append(y[t + j] - y[t - 2 + j])
    scale = np.mean([abs(train[i] - train[i - 2]) for i in range(2, 15)])
    naive_err, snaive_err = np.array(naive_err), np.array(snaive_err)
    assert bt.origins == 2 and bt.season == 2
    assert bt.scores["naive"]["MAE"] == pytest.approx(np.abs(naive_err).mean())
    assert bt.scores["naive"]["RMSE"] == pytest.approx(np.sqrt((naive_err**2).mean()))
    assert bt.scores["naive"]["MASE"] == pytest.approx(np.abs(naive_err).mean() / scale)
    assert bt.scores["seasonal naive (m=2)"]["MAE"] == pytest.approx(np.abs(snaive_err).mean())
    assert "naive" in bt.table() and "MASE" in bt.table()


def test_backtest_per_column_scores_by_hand():
    y = np.stack([np.arange(30.0), 100.0 * np.cos(np.arange(30.0))], axis=1)
    bt = backtest(y, _small(horizon=3, window=4, epochs=1), test_size=6, arima=False)
    true = np.stack([y[24:27], y[27:30]])
    naive = np.stack([np.repeat(y[23:24], 3, 0), np.repeat(y[26:27], 3, 0)])
    mae = np.abs(true - naive).mean(axis=(0, 1))
    scale = np.abs(np.diff(y[:24], axis=0)).mean(axis=0)  # no dates: season 1
    for j, col in enumerate(["y0", "y1"]):
        assert bt.per_column[col]["naive"]["MAE"] == pytest.approx(mae[j])
    assert bt.scores["naive"]["MASE"] == pytest.approx(np.mean(mae / scale))
    assert "[y1]" in bt.table() and "mean over columns" in bt.table()


@pytest.mark.filterwarnings("ignore:the optimiser did not converge")  # the reference refits
def test_backtest_arima_is_refitted_at_each_origin():
    y = _sine_trend(n=80)["c0"].to_numpy()
    bt = backtest(y, _small(epochs=1), test_size=8)
    (order,) = bt.arima_orders
    assert order[1] == 1
    expected = []
    for t in (72, 76):
        fc = ARIMA(order, trend="t").fit(y[:t]).forecast(4)
        expected.append(np.abs(fc - y[t:t + 4]))
    label = f"ARIMA{order} drift"
    assert bt.scores[label]["MAE"] == pytest.approx(np.mean(expected), rel=1e-6)


def test_learns_better_than_naive_on_a_sine():
    bt = backtest(_sine_trend(), _small(epochs=12), test_size=8, arima=False)
    rnn = bt.scores["RNN (lstm)"]["MAE"]
    assert rnn < 0.5 * bt.scores["naive"]["MAE"], bt.table()
    assert rnn < bt.scores["seasonal naive (m=12)"]["MAE"], bt.table()


def test_dataframe_names_and_dates_carry_into_the_forecast():
    frame = _sine_trend(n=60, k=2)
    f = _small(epochs=1).fit(frame)
    fc = f.forecast()
    assert list(fc.columns) == ["c0", "c1"]
    assert list(fc.index) == list(pd.date_range("2005-01-01", periods=4, freq="MS"))
    assert f.predict().shape == (4, 2)
    np.testing.assert_array_equal(f.predict(frame), f.predict())  # the same last window
    assert list(f.forecast(frame.iloc[:30], horizon=2).index) == list(
        pd.date_range("2002-07-01", periods=2, freq="MS"))
    plain = _small(epochs=1).fit(frame.to_numpy())
    assert list(plain.forecast().index) == [1, 2, 3, 4]


def test_max_steps_bounds_training():
    f = _small(epochs=1, max_steps=7).fit(_sine_trend(n=100))
    assert f.n_steps_ == 7


def test_validation_windows_are_the_last_ones_and_do_not_overlap():
    y = np.arange(60.0)
    f = _small(epochs=2, batch_size=1, val_fraction=0.25).fit(y)
    # 60 - 12 - 4 + 1 = 45 windows; the last 11 validate; the horizon - 1 = 3 before them are
    # dropped (their targets would overlap the first validation target): 31 train windows,
    # one optimiser step each per epoch
    assert f.n_steps_ == 2 * 31
    assert len(f.val_loss_curve_) == 2 and len(f.loss_curve_) == 2
    with pytest.raises(SeqlabValueError, match="leaves no training window"):
        _small(val_fraction=0.99).fit(np.arange(20.0))


def test_train_options_reach_the_trainer():
    from seqlab.recurrent.patterns import SequenceClassifier

    y = _sine_trend(n=60)
    init = SequenceClassifier(1, 12, 4, cell="lstm", seed=0).state_dict()
    # plain SGD with every gradient component clamped to 1e-30: the weights cannot move
    frozen = _small(epochs=1, train_options={"clip_value": 1e-30, "optimizer": "sgd"}).fit(y)
    moved = _small(epochs=1).fit(y)
    assert frozen.n_steps_ == moved.n_steps_ > 0
    assert all(torch.equal(v, init[k]) for k, v in frozen.model_.state_dict().items())
    assert not all(torch.equal(v, init[k]) for k, v in moved.model_.state_dict().items())
    with pytest.raises(SeqlabValueError, match="are RNNForecaster's own parameters"):
        _small(train_options={"lr": 0.1}).fit(y)
    with pytest.raises(SeqlabValueError, match="not TrainConfig fields"):
        _small(train_options={"bogus": 1}).fit(y)


def test_misuse_is_refused():
    with pytest.raises(NotFittedError):
        _small().predict()
    f = _small(epochs=1).fit(_sine_trend(n=40))
    with pytest.raises(SeqlabValueError, match="longer than the 4 steps"):
        f.predict(horizon=5)
    with pytest.raises(SeqlabValueError, match="at least that many"):
        f.predict(np.zeros((5, 1)))
    with pytest.raises(SeqlabValueError, match="2 column"):
        f.predict(np.zeros((20, 2)))
    with pytest.raises(SeqlabValueError, match="needs at least 16"):
        _small().fit(np.zeros(10))
    with pytest.raises(SeqlabValueError, match="cell"):
        _small(cell="transformer").fit(np.zeros(40))
    with pytest.raises(SeqlabValueError, match="shorter than the horizon"):
        backtest(np.arange(50.0), _small(), test_size=2)
    with pytest.raises(SeqlabValueError, match="season=60 is not shorter"):
        backtest(np.arange(50.0), _small(), season=60)
    with pytest.raises(SeqlabValueError, match="would be ignored"):
        _small(dropout=0.2).fit(np.zeros(40))


def test_save_load_in_a_fresh_process_gives_identical_forecasts(tmp_path):
    frame = _sine_trend(n=60, k=2)
    f = _small(epochs=2).fit(frame)
    path = tmp_path / "f.seqlab"
    seqlab.save(f, path)
    hist = tmp_path / "hist.npy"
    np.save(hist, frame.to_numpy()[:40])
    code = (
        "import json, sys, numpy as np, seqlab\n"
        f"f = seqlab.load({str(path)!r})\n"
        f"h = np.load({str(hist)!r})\n"
        "fc = f.forecast()\n"
        "print(json.dumps({'a': f.predict().tolist(), 'b': f.predict(h, 3).tolist(),\n"
        "  'dates': [str(d) for d in fc.index], 'cols': list(fc.columns),\n"
        "  'mean': f.scaler_.mean_.tolist()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}, check=True, timeout=120)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert np.array_equal(np.array(got["a"]), f.predict())  # bit for bit
    assert np.array_equal(np.array(got["b"]), f.predict(frame.to_numpy()[:40], 3))
    assert got["dates"] == [str(d) for d in f.forecast().index]
    assert got["cols"] == ["c0", "c1"]
    assert got["mean"] == f.scaler_.mean_.tolist()

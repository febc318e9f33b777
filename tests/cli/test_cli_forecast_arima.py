"""`seqlab forecast MODEL` for a model saved by `seqlab arima --save`: after its own data, or
with the same parameters on another series (checked against statsmodels' filter)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqlab.cli import main
from seqlab.data import load_airline


def _table(out: str) -> pd.DataFrame:
    """The printed forecast table (header line starting with 'mean') as numbers."""
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.split()[:1] == ["mean"])
    rows = [ln.split() for ln in lines[start + 2:] if ln and ln[0].isdigit()]
    return pd.DataFrame([[float(v) for v in r[1:]] for r in rows], index=[r[0] for r in rows],
                        columns=lines[start].split())


@pytest.fixture()
def saved(tmp_path, capsys):
    y = np.log(load_airline())
    frame = pd.DataFrame({"month": y.index.strftime("%Y-%m-01"), "passengers": y.to_numpy()})
    data = tmp_path / "airline.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "airline.seqlab"
    assert main(["arima", "--file", str(data), "--order", "0", "1", "1", "--seasonal", "0", "1",
                 "1", "12", "--steps", "5", "--save", str(model)]) == 0
    return y, model, capsys.readouterr().out


def test_forecast_after_the_fitted_data_equals_the_arima_commands(saved, capsys):
    _, model, printed = saved
    fitted = _table(printed)
    assert main(["forecast", str(model), "--horizon", "5"]) == 0
    again = _table(capsys.readouterr().out)
    assert list(again.index) == ["1961-01", "1961-02", "1961-03", "1961-04", "1961-05"]
    pd.testing.assert_frame_equal(again, fitted)


def test_forecast_on_other_data_keeps_the_parameters(saved, tmp_path, capsys):
    """--data: the saved parameters run on a shorter series (statsmodels' res.apply)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX as SmSARIMAX

    import seqlab

    y, model, _ = saved
    short = y.iloc[:100]
    path = tmp_path / "short.csv"
    pd.DataFrame({"month": short.index.strftime("%Y-%m-01"),
                  "passengers": short.to_numpy()}).to_csv(path, index=False)
    out_csv = tmp_path / "fc.csv"
    assert main(["forecast", "--model", str(model), "--data", str(path), "--horizon", "4",
                 "--output", str(out_csv)]) == 0
    got = pd.read_csv(out_csv, index_col=0)
    assert list(got.index) == ["1957-05", "1957-06", "1957-07", "1957-08"]
    params = seqlab.load(str(model)).params_
    sm = SmSARIMAX(short.to_numpy(), order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
    frame = sm.filter(params).get_forecast(4).summary_frame(alpha=0.05)
    np.testing.assert_allclose(got["mean"], frame["mean"], rtol=1e-7)
    np.testing.assert_allclose(got["mean_se"], frame["mean_se"], rtol=1e-6)
    np.testing.assert_allclose(got["upper_95"], frame["mean_ci_upper"], rtol=1e-7)


def test_model_with_regressors_says_what_it_needs(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    frame = pd.DataFrame({"date": pd.date_range("2001-01-01", periods=60, freq="MS"),
                          "y": 2.0 * x + rng.normal(size=60), "x": x})
    frame.loc[57:, "y"] = np.nan  # the last three rows: future regressors
    path = tmp_path / "reg.csv"
    frame.to_csv(path, index=False)
    model = tmp_path / "reg.seqlab"
    assert main(["arima", "--file", str(path), "--value-col", "y", "--exog", "x", "--order",
                 "1", "0", "0", "--save", str(model)]) == 0
    capsys.readouterr()
    assert main(["forecast", str(model)]) == 2
    err = capsys.readouterr().err
    assert "1 regressor(s)" in err and "--future-exog" in err and "Traceback" not in err


@pytest.mark.parametrize(("argv", "message"), [
    ([], "give the model file"),
    (["a.seqlab", "--model", "b.seqlab"], "two model files given"),
    (["missing.seqlab"], "does not exist"),
])
def test_model_argument_errors(argv, message, capsys):
    assert main(["forecast", *argv]) == 2
    assert message in capsys.readouterr().err

"""`seqlab arima --file`: dated CSVs, regressors and their future values, gaps, levels, output
files; the printed/written numbers equal the library's and statsmodels' on the same file."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import seqlab
from seqlab.classical import SARIMAX
from seqlab.cli import main
from seqlab.data import load_airline


def _airline_csv(tmp_path: Path, gaps: tuple[int, ...] = ()) -> tuple[Path, pd.Series]:
    y = np.log(load_airline())
    y.iloc[list(gaps)] = np.nan
    path = tmp_path / "airline.csv"
    pd.DataFrame({"month": y.index.strftime("%Y-%m"), "log_pass": y.to_numpy()}).to_csv(
        path, index=False)
    # the values as pandas' CSV parser reads them back (it may differ from repr in the last bit)
    y = pd.Series(pd.read_csv(path)["log_pass"].to_numpy(), index=y.index, name="log_pass")
    return path, y


def _sm_frame(y, order, seasonal, trend, h, alpha, exog=None, future=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.tsa.SARIMAX(y, exog=exog, order=order, seasonal_order=seasonal,
                             trend=trend).fit(disp=False)
        return res.get_forecast(h, exog=future).summary_frame(alpha=alpha)


def test_airline_model_with_gaps_equals_library_and_statsmodels(tmp_path, capsys):
    path, y = _airline_csv(tmp_path, gaps=(20, 21, 77))
    out = tmp_path / "fc.csv"
    code = main(["arima", "--file", str(path), "--order", "0", "1", "1", "--seasonal", "0",
                 "1", "1", "12", "--horizon", "6", "--level", "80", "95", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "3 missing value(s)" in printed and "1961-06" in printed
    got = pd.read_csv(out, index_col=0)
    assert list(got.columns) == ["mean", "mean_se", "lower_80", "upper_80", "lower_95",
                                 "upper_95"]
    assert list(got.index) == [f"1961-{m:02d}" for m in range(1, 7)]
    lib = SARIMAX((0, 1, 1), (0, 1, 1, 12)).fit(y).get_forecast(6)
    np.testing.assert_allclose(got["mean"], lib.predicted_mean, rtol=1e-9)
    np.testing.assert_allclose(got["upper_80"], np.asarray(lib.conf_int(0.2))[:, 1], rtol=1e-9)
    for lev in (80, 95):
        ref = _sm_frame(y, (0, 1, 1), (0, 1, 1, 12), "n", 6, 1 - lev / 100)
        np.testing.assert_allclose(got[f"lower_{lev}"], ref["mean_ci_lower"], rtol=1e-4)
        np.testing.assert_allclose(got[f"upper_{lev}"], ref["mean_ci_upper"], rtol=1e-4)
    np.testing.assert_allclose(got["mean_se"], ref["mean_se"], rtol=1e-3)


def _exog_frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-01", periods=n, freq="MS")
    price = rng.normal(size=n)
    promo = (rng.random(n) < 0.3).astype(float)
    e = rng.normal(size=n)
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.6 * noise[t - 1] + e[t]
    sales = 10.0 - 2.0 * price + 3.0 * promo + noise
    return pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "sales": sales, "price": price,
                         "promo": promo})


def test_parameter_table_is_the_models(tmp_path, capsys):
    path, y = _airline_csv(tmp_path)
    assert main(["arima", "--file", str(path), "--order", "0", "1", "1", "--seasonal", "0",
                 "1", "1", "12", "--horizon", "1"]) == 0
    out = capsys.readouterr().out
    model = SARIMAX((0, 1, 1), (0, 1, 1, 12)).fit(y)
    bse = getattr(model, "bse_", None)  # the std err column shows what the model computes
    assert ("std err" in out) == (bse is not None)
    for i, name in enumerate(model.param_names_):
        row = f"{name:>16} {model.params_[i]:14.6g}"
        assert (row + (f" {bse[i]:12.4g}" if bse is not None else "")) in out
    assert f"{model.llf:14.6f}" in out


def test_exog_future_rows_and_future_file_equal_statsmodels(tmp_path, capsys):
    frame = _exog_frame()
    hist, fut = frame.iloc[:114], frame.iloc[114:]
    with_rows = frame.copy()
    with_rows.loc[114:, "sales"] = np.nan
    path = tmp_path / "sales.csv"
    with_rows.to_csv(path, index=False)
    out1 = tmp_path / "a.csv"
    assert main(["arima", "--file", str(path), "--value-col", "sales", "--exog", "price",
                 "promo", "--order", "1", "0", "0", "--trend", "c", "--out", str(out1)]) == 0
    # the same forecast from a history file and --future-exog
    hpath, fpath = tmp_path / "hist.csv", tmp_path / "future.csv"
    hist.to_csv(hpath, index=False)
    fut.drop(columns="sales").to_csv(fpath, index=False)
    out2 = tmp_path / "b.csv"
    assert main(["arima", "--file", str(hpath), "--exog", "price", "promo", "--future-exog",
                 str(fpath), "--order", "1", "0", "0", "--trend", "c", "--out", str(out2)]) == 0
    capsys.readouterr()
    a, b = pd.read_csv(out1, index_col=0), pd.read_csv(out2, index_col=0)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 6 and a.index[0] == "2024-07"
    X = hist[["price", "promo"]].to_numpy()
    ref = _sm_frame(hist["sales"].to_numpy(), (1, 0, 0), (0, 0, 0, 0), "c", 6, 0.05, X,
                    fut[["price", "promo"]].to_numpy())
    np.testing.assert_allclose(a["mean"], ref["mean"], rtol=1e-4)
    np.testing.assert_allclose(a["upper_95"], ref["mean_ci_upper"], rtol=1e-4)


def test_freq_inserts_absent_dates_as_missing_values(tmp_path, capsys):
    path, y = _airline_csv(tmp_path)
    df = pd.read_csv(path).drop(index=[30, 31])  # two months absent: irregular dates
    df.to_csv(path, index=False)
    args = ["arima", "--file", str(path), "--order", "0", "1", "1", "--seasonal", "0", "1",
            "1", "12", "--horizon", "3"]
    assert main(args) == 2
    assert "irregular" in capsys.readouterr().err
    out = tmp_path / "fc.csv"
    assert main([*args, "--freq", "MS", "--out", str(out)]) == 0
    assert "2 date(s) absent" in capsys.readouterr().out
    gappy = y.copy()
    gappy.iloc[[30, 31]] = np.nan
    ref = SARIMAX((0, 1, 1), (0, 1, 1, 12)).fit(gappy).forecast(3)
    np.testing.assert_allclose(pd.read_csv(out, index_col=0)["mean"], ref, rtol=1e-9)


def test_save_plot_and_reload(tmp_path, capsys):
    path, y = _airline_csv(tmp_path)
    model_path, plot = tmp_path / "air.seqlab", tmp_path / "air.png"
    assert main(["arima", "--file", str(path), "--order", "0", "1", "1", "--seasonal", "0",
                 "1", "1", "12", "--save", str(model_path), "--plot", str(plot)]) == 0
    capsys.readouterr()
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = seqlab.load(model_path)
    ref = SARIMAX((0, 1, 1), (0, 1, 1, 12)).fit(y)
    np.testing.assert_allclose(model.params_, ref.params_, rtol=1e-10)
    assert str(model.forecast(1).index[0].date()) == "1961-01-01"


def test_auto_prints_autoarimas_choice_and_forecast(tmp_path, capsys):
    from seqlab.classical import AutoARIMA

    path, y = _airline_csv(tmp_path)
    # the season length comes from the monthly dates (12) unless --season says otherwise
    code = main(["arima", "--file", str(path), "--auto", "--horizon", "3", "--criterion",
                 "aicc"])
    assert code == 0
    out = capsys.readouterr().out
    auto = AutoARIMA(season_length=12, ic="aicc").fit(y)
    assert auto.order_ == (0, 1, 1) and auto.seasonal_order_ == (0, 1, 1, 12)  # R's choice
    assert "AutoARIMA (season 12) chose SARIMA(0,1,1)(0,1,1)12" in out
    assert f"{float(auto.forecast(1).iloc[0]):.6g}" in out
    for extra in (["--order", "2", "0", "0"], ["--seasonal", "0", "1", "1", "12"]):
        assert main(["arima", "--file", str(path), "--auto", *extra]) == 2
        assert "--auto chooses the model itself" in capsys.readouterr().err
    assert main(["arima", "--file", str(path), "--auto", "--season", "0"]) == 2
    assert "--season must be at least 1" in capsys.readouterr().err


def _write(tmp_path: Path, text: str, name: str = "s.csv") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--exog", "price"], "needs the regressors' future values"),
        (["--exog", "nope"], "no numeric column 'nope'"),
        (["--exog", "price", "price"], "more than once"),
        (["--value-col", "nope"], "--value-col 'nope'"),
        (["--exog", "price", "--future-exog", "FUT3", "--horizon", "5"], "has 3 row(s) but"),
        (["--level", "95", "120"], "strictly between 0 and 100"),
        (["--level", "90", "--alpha", "0.1"], "not both"),
        (["--seasonal", "0", "1", "1"], "four integers"),
        (["--seasonal", "0", "1", "1", "1"], "at least 2"),
        (["--order", "1", "1"], "three integers"),
        (["--horizon", "0"], "at least 1"),
        (["--max-p", "2"], "option of --auto"),
        (["--freq", "XYZ"], "not a pandas frequency"),
        (["--data", "nile"], "not both"),
        (["--future-exog", "FUT3"], "name the regressors with --exog"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, extra, message):
    frame = _exog_frame(40)
    path = tmp_path / "s.csv"
    frame.drop(columns="promo").to_csv(path, index=False)
    fut = tmp_path / "f.csv"
    frame[["price"]].iloc[:3].to_csv(fut, index=False)
    extra = [str(fut) if a == "FUT3" else a for a in extra]
    base = ["arima", "--file", str(path)]
    if "--exog" not in extra and "--value-col" not in extra:
        base += ["--value-col", "sales"]
    assert main([*base, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_files_are_one_line_errors(tmp_path, capsys):
    cases = {
        "gap.csv": ("date,y,x\n" + "".join(f"2020-{m:02d}-01,{m},{'' if m == 4 else m}\n"
                                           for m in range(1, 9)), ["--exog", "x"],
                    "empty cells"),
        "nodate.csv": ("a,b\n1,2\n3,4\n5,6\n", [], "found no date column"),
        "two.csv": ("date,y,z\n2020-01-01,1,1\n2020-02-01,2,2\n2020-03-01,3,3\n", [],
                    "name the series with --value-col"),
        "back.csv": ("date,y\n2020-03-01,1\n2020-02-01,2\n2020-01-01,3\n", [],
                     "not in increasing order"),
    }
    for name, (text, extra, message) in cases.items():
        path = _write(tmp_path, text, name)
        assert main(["arima", "--file", path, *extra]) == 2, name
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (name, err)
    assert main(["arima", "--file", str(tmp_path / "none.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_future_rows_and_future_file_together_or_misdated(tmp_path, capsys):
    frame = _exog_frame(40)
    frame.loc[37:, "sales"] = np.nan
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    fut = tmp_path / "f.csv"
    frame[["price", "promo"]].iloc[:3].to_csv(fut, index=False)
    base = ["arima", "--file", str(path), "--value-col", "sales", "--exog", "price", "promo"]
    assert main([*base, "--future-exog", str(fut)]) == 2
    assert "given twice" in capsys.readouterr().err
    assert main([*base, "--horizon", "5"]) == 2
    assert "3 future row(s)" in capsys.readouterr().err
    # a future file whose dates are not the forecast dates
    hist = frame.iloc[:37]
    hist.to_csv(path, index=False)
    wrong = frame.iloc[10:13][["date", "price", "promo"]]
    wrong.to_csv(fut, index=False)
    assert main([*base, "--future-exog", str(fut)]) == 2
    assert "not the forecast dates" in capsys.readouterr().err


def test_trend_is_statsmodels_arimas_and_the_libraries(tmp_path, capsys):
    """--trend follows statsmodels' tsa.arima ARIMA (a term of the mean), as ARIMA does: with
    d = 1, 't' is the drift (SARIMAX's 't' would be a quadratic) and 'c' is refused."""
    from seqlab.classical import ARIMA

    path, y = _airline_csv(tmp_path)
    out = tmp_path / "fc.csv"
    assert main(["arima", "--file", str(path), "--order", "1", "1", "0", "--trend", "t",
                 "--horizon", "4", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lib = ARIMA((1, 1, 0), trend="t").fit(y)
    assert "x1" in printed and "intercept" not in printed
    got = pd.read_csv(out, index_col=0)
    np.testing.assert_allclose(got["mean"], lib.forecast(4), rtol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.tsa.arima.ARIMA(y, order=(1, 1, 0), trend="t").fit()
    ref = res.get_forecast(4).summary_frame(alpha=0.05)
    np.testing.assert_allclose(got["mean"], ref["mean"], rtol=1e-5)
    np.testing.assert_allclose(got["upper_95"], ref["mean_ci_upper"], rtol=1e-5)
    assert main(["arima", "--file", str(path), "--order", "1", "1", "0", "--trend", "c"]) == 2
    err = capsys.readouterr().err
    assert "trend terms of lower order than `d + D`" in err and len(err.splitlines()) == 1

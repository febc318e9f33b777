"""`seqlab esn`: runs end to end on bundled series, saves its plot, reports bad input."""

from __future__ import annotations

import pytest

from seqlab.cli import main


def test_esn_generate_mackey_glass_with_plot(tmp_path, capsys):
    out = tmp_path / "esn.png"
    code = main(["esn", "--train", "800", "--steps", "50", "--n-units", "150", "--washout",
                 "100", "--plot", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "generate 50 steps" in text and "NRMSE" in text
    assert out.exists() and out.stat().st_size > 1000
    nrmse = float(text.split("NRMSE = ")[1].split()[0])
    assert nrmse < 0.1  # 50 free-running steps of Mackey-Glass stay on track


def test_esn_forecast_sunspots(capsys):
    code = main(["esn", "--series", "sunspots", "--mode", "forecast", "--train", "250",
                 "--steps", "40", "--n-units", "80", "--washout", "20", "--ridge", "1e-2"])
    assert code == 0
    assert "forecast 40 steps" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--spectral-radius", "0"], "spectral_radius"),
        (["--spectral-radius", "-0.5"], "spectral_radius"),
        (["--series", "sunspots", "--train", "300", "--steps", "50"], "at most"),
        (["--plot", "/nonexistent-dir/x.png"], "does not exist"),
        (["--leak-rate", "2"], "leak_rate"),
    ],
)
def test_esn_bad_input(argv, message, capsys):
    code = main(["esn", "--train", "300", "--steps", "10", "--n-units", "30",
                 "--connectivity", "0.2", *argv])
    assert code == 2
    assert message in capsys.readouterr().err


def test_esn_unknown_series_is_rejected_by_argparse(capsys):
    with pytest.raises(SystemExit):
        main(["esn", "--series", "nope"])
    assert "invalid choice" in capsys.readouterr().err

"""`seqlab hopfield restore|capacity`: output, plots, and errors."""

from __future__ import annotations

from seqlab.cli import main


def test_restore_digits_with_plot(tmp_path, capsys):
    out = tmp_path / "digits.png"
    assert main(["hopfield", "restore", "--plot", str(out)]) == 0
    text = capsys.readouterr().out
    assert "stored digits [0, 1, 3, 6]" in text
    # every digit is restored from 10% flips and from a masked bottom half (Storkey rule)
    rows = [line for line in text.splitlines() if line[:1].isdigit() and "  " in line]
    assert len(rows) == 8 and all(r.split()[1] == "True" for r in rows)
    assert out.exists() and out.stat().st_size > 1000


def test_capacity_table_and_plot(tmp_path, capsys):
    out = tmp_path / "cap.png"
    code = main(["hopfield", "capacity", "--n-units", "100", "--loads", "0.05", "0.3",
                 "--min-recalls", "30", "--plot", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "N=100" in text and "0.138" in text
    assert out.exists()


def test_hopfield_bad_input(capsys):
    assert main(["hopfield", "restore", "--digits", "3", "11"]) == 2
    assert "not in the data" in capsys.readouterr().err
    assert main(["hopfield", "restore", "--noise", "1.5"]) == 2
    assert "fraction" in capsys.readouterr().err
    assert main(["hopfield", "capacity", "--loads", "-0.1", "--n-units", "50"]) == 2
    assert "load" in capsys.readouterr().err

"""`seqlab data list` and `seqlab data show`, called in-process."""

import dataclasses

import numpy as np
import pytest

from seqlab.cli import main
from seqlab.cli.data import data_shape, summarize
from seqlab.data import DATASETS, SequenceSet


def test_list_prints_every_data_set_without_loading(monkeypatch, capsys):
    def boom():
        raise AssertionError("`data list` must not load data")

    for name, info in list(DATASETS.items()):
        monkeypatch.setitem(DATASETS, name, dataclasses.replace(info, loader=boom))
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["NAME", "DOMAIN", "SIZE", "SOURCE"]
    for name, info in DATASETS.items():
        row = next(line for line in lines if line.startswith(name + " "))
        assert info.size in row and info.domain in row and info.source in row
    # aligned: the SIZE column starts at the same offset on every row
    col = lines[0].index("SIZE")
    for name, info in DATASETS.items():
        row = next(line for line in lines if line.startswith(name + " "))
        assert row[col:].startswith(info.size)


@pytest.mark.parametrize(("name", "expect"), [
    ("sunspots", ["309 values", "1700 .. 2008", "float64"]),
    ("seattle-weather", ["1461 rows x 5 columns", "sun: 714", "drizzle: 54"]),
    ("shakespeare", ["38 records", "vocabulary:"]),
    ("chloroplast", ["sequence of 154478 letters", "GC content 0.36", "CDS: 85"]),
    ("japanese-vowels", ["270 sequences of 12 features", "9 classes", "min 7"]),
    ("digit-patterns", ["(1797, 64)", "int8"]),
    ("adding", ["(1000, 110, 2)"]),
    ("mackey-glass", ["(10000,)"]),
])
def test_show_prints_summary_and_saves_plot(tmp_path, capsys, name, expect):
    out_file = tmp_path / f"{name}.png"
    assert main(["data", "show", name, "--plot", str(out_file)]) == 0
    out = capsys.readouterr().out
    for text in expect:
        assert text in out, (text, out)
    assert out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out_file.stat().st_size > 5000


def test_show_unknown_name_is_a_clean_error(capsys):
    assert main(["data", "show", "sunspot"]) == 2
    err = capsys.readouterr().err
    assert "unknown data set 'sunspot'" in err and "sunspots" in err


def test_show_plot_into_missing_folder(tmp_path, capsys):
    assert main(["data", "show", "nile", "--plot", str(tmp_path / "no" / "x.png")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_data_without_action_prints_help(capsys):
    assert main(["data"]) == 0
    assert "list" in capsys.readouterr().out


def test_generic_summary_and_shape_of_return_types():
    ss = SequenceSet([np.zeros((3, 2)), np.ones((4, 2))], np.array([0, 1]), ("a", "b"))
    assert data_shape(ss) == (2, 2)
    assert any("label counts: a: 1, b: 1" in line for line in summarize(ss))
    assert data_shape({"x": "ACGT", "y": "AC"}) == (2,)
    assert any("GC content 0.5000" in line for line in summarize({"x": "ACGT", "y": "GCAT"}))
    assert data_shape((np.zeros((5, 64)), np.arange(5))) == (5, 64)
    assert any("value counts" in line for line in summarize(np.array([0, 1, 1])))
    assert summarize("to be or not")[0].startswith("12 characters")

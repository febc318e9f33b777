"""read_series_csv: dates, value columns and frequency as pandas reads them; every way a
series file can be wrong is a clear error that names the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqlab.data.tables import read_series_csv
from seqlab.exceptions import SeqlabValueError


def _write(path, text):
    path.write_text(text)
    return path


def _monthly(tmp_path, n=30, sep=",", name="s.csv"):
    dates = pd.date_range("2001-01-01", periods=n, freq="MS")
    frame = pd.DataFrame({"month": dates.strftime("%Y-%m-%d"), "a": np.arange(n) * 1.5,
                          "b": np.sin(np.arange(n)), "note": ["x"] * n})
    path = tmp_path / name
    frame.to_csv(path, index=False, sep=sep)
    return path, frame, dates


def test_matches_pandas_and_infers_frequency(tmp_path):
    path, _frame, dates = _monthly(tmp_path)
    t = read_series_csv(path)
    assert t.date_column == "month"
    assert t.columns == ["a", "b"]  # the text column is not a value column
    ref = pd.read_csv(path)  # what pandas reads from the same file
    np.testing.assert_array_equal(t.values, ref[["a", "b"]].to_numpy())
    np.testing.assert_array_equal(t.dates, dates.to_numpy())
    assert t.freq == "MS"
    assert list(t.to_frame().columns) == ["a", "b"]


def test_tsv_and_selected_columns(tmp_path):
    path, _frame, _ = _monthly(tmp_path, sep="\t", name="s.tsv")
    t = read_series_csv(path, value_columns=["b"])
    assert t.columns == ["b"]
    np.testing.assert_array_equal(t.values[:, 0], pd.read_csv(path, sep="\t")["b"].to_numpy())


def test_date_column_found_by_parsing_and_integer_years(tmp_path):
    p = _write(tmp_path / "a.csv", "when,v\n2020-01-01 00:00,1\n2020-01-01 01:00,2\n"
                                   "2020-01-01 02:00,3\n")
    t = read_series_csv(p)
    assert t.date_column == "when" and t.freq == "h"
    for years in ("1959,1960,1961", "1959.0,1960.0,1961.0"):  # not ns since 1970
        rows = "".join(f"{y},{i}\n" for i, y in enumerate(years.split(",")))
        t = read_series_csv(_write(tmp_path / "y.csv", "year,v\n" + rows))
        assert [str(d)[:4] for d in t.dates] == ["1959", "1960", "1961"]
        assert t.freq is not None and t.freq.startswith("Y")


def test_irregular_dates_have_no_frequency(tmp_path):
    p = _write(tmp_path / "a.csv", "date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-05,3\n")
    assert read_series_csv(p).freq is None


@pytest.mark.parametrize(("text", "kwargs", "pattern"), [
    ("date,name\n2020-01-01,a\n2020-01-02,b\n", {}, "no numeric value column"),
    ("date,v\n2020-01-01,1\nnot a date,2\n2020-01-03,3\n", {},
     r"1 date\(s\).*do not parse.*line 3.*'not a date'"),
    ("date,v\n2020-01-01,1\n2020-01-03,2\n2020-01-02,3\n", {}, r"not in increasing.*line 4"),
    ("date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n", {}, r"repeated dates.*line 4"),
    ("date,v,w\n2020-01-01,1,1\n2020-01-02,,2\n2020-01-03,3,\n", {},
     r"2 missing.*'v': 1, 'w': 1.*lines 3, 4.*does not fill"),
    ("date,v\n2020-01-01,1\n2020-01-02,2\n", {"min_rows": 5}, r"2 rows, too few.*at least 5"),
    ("date,v\n2020-01-01,1\n2020-01-02,2\n", {"value_columns": ["x"]}, r"no column 'x'"),
    ("date,v\n2020-01-01,1\n2020-01-02,2\n", {"value_columns": ["v", "v"]}, r"more than once"),
    ("date,v\n2020-01-01,1\n2020-01-02,2\n", {"date_column": "day"}, r"no column named 'day'"),
    ("date,v\n2020-01-01,1 kg\n2020-01-02,2\n", {"value_columns": ["v"]}, r"not numeric"),
    ("a,b\n1,2\n3,4\n", {}, r"found no date column"),
    ("YEAR,JAN,FEB,MAR,APR,MAY,JUN\n1950,1,2,3,4,5,6\n1951,1,2,3,4,5,6\n", {},
     r"wide table.*'YEAR'.*melt"),
    ("year,quarter,v\n1959.0,1.0,1\n1959.0,2.0,2\n", {}, r"line 3.*has 'quarter': combine"),
])
def test_bad_files_are_refused_with_the_rows(tmp_path, text, kwargs, pattern):
    p = _write(tmp_path / "bad.csv", text)
    with pytest.raises(SeqlabValueError, match=pattern):
        read_series_csv(p, **kwargs)


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(SeqlabValueError, match="no such file"):
        read_series_csv(tmp_path / "nope.csv")
    p = tmp_path / "latin.csv"
    p.write_bytes(b"date,v\n2020-01-01,\xe9\xff\n")
    with pytest.raises(SeqlabValueError, match="not UTF-8"):
        read_series_csv(p)


def test_month_columns_named_explicitly_are_separate_series(tmp_path):
    p = _write(tmp_path / "w.csv", "YEAR,JAN,FEB,MAR,APR,MAY,JUN\n1950,1,2,3,4,5,6\n"
                                   "1951,1,2,3,4,5,6\n")
    cols = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN"]
    assert read_series_csv(p, value_columns=cols).columns == cols


def test_missing_keep_keeps_empty_cells_as_nan(tmp_path):
    p = tmp_path / "gaps.csv"
    p.write_text("date,y\n2020-01-01,1\n2020-02-01,\n2020-03-01,3\n2020-04-01,inf\n")
    with pytest.raises(SeqlabValueError, match="infinite value"):
        read_series_csv(p, missing="keep")
    p.write_text("date,y\n2020-01-01,1\n2020-02-01,\n2020-03-01,3\n")
    with pytest.raises(SeqlabValueError, match="missing or non-finite"):
        read_series_csv(p)
    t = read_series_csv(p, missing="keep")
    assert np.isnan(t.values[1, 0]) and t.values[2, 0] == 3.0 and t.freq == "MS"
    with pytest.raises(SeqlabValueError, match="'refuse' or 'keep'"):
        read_series_csv(p, missing="fill")

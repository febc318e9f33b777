"""seqlab.data.labelled: class folders of WAV files and long CSV tables of sequences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import wavfile

from seqlab.data.labelled import read_labelled_csv, read_labelled_folder, read_sequences_csv
from seqlab.exceptions import SeqlabValueError


def _wav(path, freq=440.0, rate=8000, n=800):
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(n) / rate
    wavfile.write(path, rate, (0.5 * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16))


def test_folder_reads_every_class_and_file(tmp_path):
    for c, k in (("no", 2), ("yes", 3)):
        for i in range(k):
            _wav(tmp_path / c / f"{i}.wav", rate=8000 if i else 16000)
    (tmp_path / "yes" / "notes.txt").write_text("ignored: not audio")
    data = read_labelled_folder(tmp_path)
    assert data.labels.tolist() == ["no", "no", "yes", "yes", "yes"]
    assert [p.name for p in data.paths] == ["0.wav", "1.wav", "0.wav", "1.wav", "2.wav"]
    assert [rate for _, rate in data.audio] == [16000, 8000, 16000, 8000, 8000]
    np.testing.assert_allclose(np.abs(data.audio[1][0]).max(), 0.5, atol=1e-3)


def test_folder_errors(tmp_path):
    with pytest.raises(SeqlabValueError, match="no sub-folders"):
        read_labelled_folder(tmp_path)
    _wav(tmp_path / "a" / "x.wav")
    with pytest.raises(SeqlabValueError, match="single class"):
        read_labelled_folder(tmp_path)
    (tmp_path / "b").mkdir()
    with pytest.raises(SeqlabValueError, match=r"holds no \.wav files"):
        read_labelled_folder(tmp_path)
    (tmp_path / "b" / "broken.wav").write_bytes(b"RIFF....garbage")
    with pytest.raises(SeqlabValueError, match=r"broken\.wav"):
        read_labelled_folder(tmp_path)
    _wav(tmp_path / "loose.wav")
    with pytest.raises(SeqlabValueError, match="directly"):
        read_labelled_folder(tmp_path)


def _csv(tmp_path, text, name="s.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_groups_rows_by_id_in_order_column_order(tmp_path):
    p = _csv(tmp_path, "seq,t,a,b,Class\n"
                       "s1,1,2.0,20,up\n"
                       "s2,0,5.0,50,down\n"
                       "s1,0,1.0,10,up\n"
                       "s2,1,6.0,60,down\n"
                       "s2,2,7.0,70,down\n")
    d = read_labelled_csv(p, id_column="seq", order_column="t")
    assert d.ids == ["s1", "s2"]
    assert d.labels.tolist() == ["up", "down"]
    assert d.feature_names == ("a", "b")
    np.testing.assert_array_equal(d.sequences[0], [[1, 10], [2, 20]])
    np.testing.assert_array_equal(d.sequences[1], [[5, 50], [6, 60], [7, 70]])
    # file order without an order column; value columns chosen by name
    d = read_labelled_csv(p, id_column="seq", value_columns=["b"])
    np.testing.assert_array_equal(d.sequences[0], [[20], [10]])


def test_csv_errors(tmp_path):
    two = _csv(tmp_path, "id,x,label\na,1,p\na,2,q\nb,3,p\n", "f0.csv")
    with pytest.raises(SeqlabValueError, match="two labels"):
        read_labelled_csv(two)
    missing = _csv(tmp_path, "id,x,label\na,1,p\na,,p\nb,3,q\n", "f1.csv")
    with pytest.raises(SeqlabValueError, match=r"line 3.*missing"):
        read_labelled_csv(missing)
    nonnum = _csv(tmp_path, "id,x,label\na,1,p\na,abc,p\nb,3,q\n", "f2.csv")
    with pytest.raises(SeqlabValueError, match="'abc' is not a number"):
        read_labelled_csv(nonnum)
    single = _csv(tmp_path, "id,x,label\na,1,p\nb,2,p\n", "f3.csv")
    with pytest.raises(SeqlabValueError, match="two classes"):
        read_labelled_csv(single)
    with pytest.raises(SeqlabValueError, match="no id column"):
        read_labelled_csv(_csv(tmp_path, "key,x,label\na,1,p\n", "f4.csv"))
    with pytest.raises(SeqlabValueError, match="no label column 'kind'"):
        read_labelled_csv(two, label_column="kind")
    with pytest.raises(SeqlabValueError, match="no rows"):
        read_labelled_csv(_csv(tmp_path, "id,x,label\n", "f5.csv"))


def test_sequences_csv_without_labels(tmp_path):
    p = _csv(tmp_path, "id,x\na,1\nb,2\nb,3\n")
    d = read_sequences_csv(p)
    assert d.labels is None and d.ids == ["a", "b"]
    assert [s.shape for s in d.sequences] == [(1, 1), (2, 1)]

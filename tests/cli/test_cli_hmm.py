"""`seqlab hmm fit|decode|sample|islands|weather` end to end (small data, files in tmp_path)."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.cli import main
from seqlab.cli.hmm import load_model


@pytest.fixture
def dna_file(tmp_path):
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("AT"), 300)) + "".join(rng.choice(list("GC"), 200))
    path = tmp_path / "x.fa"
    path.write_text(">toy\n" + seq[:250] + "\n" + seq[250:] + "\n")
    return path


def test_fit_save_decode_sample_roundtrip(dna_file, tmp_path, capsys):
    model_path = tmp_path / "m.npz"
    plot = tmp_path / "h.png"
    assert main(["hmm", "fit", "--file", str(dna_file), "--n-iter", "20", "--save",
                 str(model_path), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "emissionprob_" in out and "AIC" in out and plot.stat().st_size > 0
    model = load_model(model_path)
    np.testing.assert_allclose(model.transmat_.sum(axis=1), 1.0)
    states = tmp_path / "states.txt"
    assert main(["hmm", "decode", "--file", str(dna_file), "--model", str(model_path),
                 "--output", str(states)]) == 0
    decoded = np.loadtxt(states, dtype=int)
    assert decoded.shape == (500,)
    # the two halves (AT-only, GC-only) are decoded as two different states
    assert np.bincount(decoded[:300]).argmax() != np.bincount(decoded[300:]).argmax()
    assert main(["hmm", "sample", "--model", str(model_path), "--n-samples", "7"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines[-7:]) == 7 and all("," in ln for ln in lines[-7:])


def test_gaussian_file_and_lengths(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(-3, 1, (60, 2)), rng.normal(3, 1, (60, 2))]
    path = tmp_path / "x.csv"
    np.savetxt(path, X, delimiter=",")
    out_csv = tmp_path / "s.csv"
    assert main(["hmm", "decode", "--file", str(path), "--lengths", "50", "70",
                 "--covariance-type", "full", "--algorithm", "map", "--plot",
                 str(tmp_path / "d.png")]) == 0
    assert "map decoding" in capsys.readouterr().out
    assert main(["hmm", "sample", "--file", str(path), "--n-samples", "5", "--output",
                 str(out_csv)]) == 0
    assert np.loadtxt(out_csv, delimiter=",").shape == (5, 3)


def test_bundled_weather_and_tasks(capsys):
    assert main(["hmm", "fit", "--data", "seattle-weather", "--n-iter", "5"]) == 0
    assert "means_" in capsys.readouterr().out
    assert main(["hmm", "weather", "--n-states", "2", "--covariance-type", "diag"]) == 0
    assert "adjusted Rand index" in capsys.readouterr().out


def test_user_errors_exit_2(tmp_path, capsys):
    assert main(["hmm", "fit"]) == 2
    assert "exactly one of --data" in capsys.readouterr().err
    assert main(["hmm", "fit", "--file", str(tmp_path / "none.txt")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    bad.write_text("1,2\n3,x\n")
    assert main(["hmm", "fit", "--file", str(bad)]) == 2
    assert "neither DNA nor a table" in capsys.readouterr().err
    assert main(["hmm", "fit", "--data", "seattle-weather", "--kind", "categorical"]) == 2
    assert main(["hmm", "decode", "--data", "seattle-weather", "--lengths", "5"]) == 2
    assert "lengths sum to 5" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["hmm", "fit", "--data", "genome"])


def test_decode_reads_each_record_of_fasta_genbank_embl_apart(dna_file, tmp_path, capsys):
    """One reader (seqlab.data.seqfiles.read_sequence_records) for every format; a
    multi-record file is several sequences, never one concatenated sequence."""
    from seqlab.data import encode_dna

    model_path = tmp_path / "m.npz"
    assert main(["hmm", "fit", "--file", str(dna_file), "--n-iter", "10", "--save",
                 str(model_path)]) == 0
    model = load_model(model_path)
    rng = np.random.default_rng(5)
    recs = {"r1": "".join(rng.choice(list("ACGT"), 40)) + "GC" * 30,
            "r2": "CGCG" * 10 + "".join(rng.choice(list("AT"), 50))}
    want = np.concatenate([model.predict(encode_dna(s).astype(np.int64))
                           for s in recs.values()])

    def body(s: str) -> str:
        return "\n".join(f"{i + 1:>9} {s[i:i + 60].lower()}" for i in range(0, len(s), 60))

    files = {
        "x.fa": "".join(f">{n} demo\n{s}\n" for n, s in recs.items()),
        "x.gb": "".join(f"LOCUS       {n} {len(s)} bp DNA\nORIGIN\n{body(s)}\n//\n"
                        for n, s in recs.items()),
        "x.embl": "".join(f"ID   {n}; SV 1; linear\nSQ   Sequence\n{body(s)}\n//\n"
                          for n, s in recs.items()),
    }
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text)
        states = tmp_path / f"{name}.states"
        assert main(["hmm", "decode", "--file", str(path), "--model", str(model_path),
                     "--output", str(states)]) == 0, name
        np.testing.assert_array_equal(np.loadtxt(states, dtype=int), want, err_msg=name)
    capsys.readouterr()
    assert main(["hmm", "decode", "--file", str(tmp_path / "x.fa"), "--model",
                 str(model_path), "--lengths", "50", "80"]) == 2
    assert "has 2 records, each its own sequence; drop --lengths" in capsys.readouterr().err

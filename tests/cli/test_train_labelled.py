"""The labelled-sequences journey: ``seqlab train --data DIR|CSV`` then ``seqlab predict``."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

import seqlab
from seqlab.cli import main
from seqlab.cli.train_labelled import stratified_split

SRC = str(Path(seqlab.__file__).resolve().parents[1])
FAST = ["--epochs", "20", "--lr", "0.05", "--hidden", "8", "--batch-size", "8", "--no-progress"]


def _recordings(root: Path, n: int = 6) -> Path:
    rng = np.random.default_rng(0)
    for label, f0 in (("fall", 400.0), ("rise", 400.0)):
        (root / label).mkdir(parents=True)
        for i in range(n):
            rate = (8000, 16000)[i % 2]
            t = np.arange(int(rate * rng.uniform(0.15, 0.3))) / rate
            sweep = 1.0 + 2.0 * t if label == "rise" else 3.0 - 2.0 * t  # pitch glides up / down
            x = 0.4 * np.sin(2 * np.pi * f0 * rng.uniform(0.9, 1.1) * t * sweep)
            wavfile.write(root / label / f"{i}.wav", rate, (x * 32767).astype(np.int16))
    return root


def _sequences_csv(path: Path, n: int = 24, labels: bool = True) -> Path:
    rng = np.random.default_rng(1)
    with path.open("w") as fh:
        fh.write("id,step,x,label\n" if labels else "id,step,x\n")
        for i in range(n):
            c = i % 2
            x = np.cumsum(rng.normal(0.8 * (2 * c - 1), 1.0, int(rng.integers(6, 15))))
            for t, v in enumerate(x):
                tail = f",{'up' if c else 'down'}" if labels else ""
                fh.write(f"s{i},{t},{v:.4f}{tail}\n")
    return path


def test_stratified_split_holds_out_a_share_of_every_class():
    y = np.array(["a"] * 10 + ["b"] * 5)
    tr, te = stratified_split(y, 0.2, seed=0)
    assert sorted(y[te].tolist()) == ["a", "a", "b"]
    assert sorted(np.concatenate([tr, te]).tolist()) == list(range(15))


def test_wav_folder_journey_end_to_end(tmp_path, capsys):
    rec = _recordings(tmp_path / "recordings")
    model = tmp_path / "clf.seqlab"
    assert main(["train", "--data", str(rec), *FAST, "--save", str(model)]) == 0
    out = capsys.readouterr().out
    assert "12 recordings, 2 classes" in out and "held-out accuracy" in out
    assert "chance 0.500" in out
    # predict in a fresh process: one line per file, the class folders scored
    preds = tmp_path / "preds.csv"
    env = {**os.environ, "PYTHONPATH": SRC}
    res = subprocess.run([sys.executable, "-m", "seqlab", "predict", str(model), "--data",
                          str(rec), "--output", str(preds)],
                         capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stdout.splitlines() if ln.endswith(".wav") or "\t" in ln]
    assert len(lines) == 12
    rows = list(csv.DictReader(preds.open()))
    assert [Path(r["name"]).parent.name for r in rows] == [r["label"] for r in rows]
    # the same probabilities as the model loaded here
    clf = seqlab.load(model)
    files = [Path(r["name"]) for r in rows]
    P = clf.predict_proba(files).max(axis=1)
    np.testing.assert_allclose([float(r["probability"]) for r in rows], P, atol=1e-6)
    # one file
    assert main(["predict", str(model), "--data", str(files[0])]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(str(files[0])) and "\tfall\t" in line


def test_csv_journey_with_the_esn(tmp_path, capsys):
    data = _sequences_csv(tmp_path / "seqs.csv")
    model = tmp_path / "esn.seqlab"
    code = main(["train", "--data", str(data), "--kind", "labelled", "--model", "esn",
                 "--n-units", "50", "--order-column", "step", "--save", str(model)])
    assert code == 0
    assert "24 sequences x 1 columns" in capsys.readouterr().out
    new = _sequences_csv(tmp_path / "new.csv", n=6, labels=False)
    assert main(["predict", str(model), "--data", str(new)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [ln.split("\t")[:2] for ln in out] == [[f"s{i}", ("up", "down")[i % 2 == 0]]
                                                  for i in range(6)]


@pytest.mark.parametrize(
    ("setup", "argv", "message"),
    [
        ("single", ["train", "--data", "{d}/one"], "single class"),
        ("twolabels", ["train", "--data", "{d}/two.csv"], "two labels"),
        ("csv", ["train", "--data", "{d}/s.csv", "--label-column", "kind"], "no label column"),
        ("csv", ["train", "--data", "{d}/s.csv", "--held-out", "1.5"], "--held-out"),
        ("badwav", ["train", "--data", "{d}/bad"], "broken.wav"),
        ("csv", ["train", "--data", "{d}/s.csv", "--model", "esn", "--epochs", "5"],
         "--epochs: not used with --model esn"),
        ("csv", ["train", "--data", "{d}/s.csv", "--model", "esn", "--hidden", "8"],
         "--hidden-size: not used"),
        ("csv", ["train", "--data", "{d}/s.csv", "--n-units", "20"], "--n-units: not used"),
        ("ar", ["predict", "{d}/ar.seqlab", "--data", "{d}/s.csv"], "sequence classifier"),
        ("csv", ["predict", "{d}/none.seqlab", "--data", "{d}/s.csv"], "does not exist"),
    ],
)
def test_failures_are_one_line(tmp_path, capsys, setup, argv, message):
    d = tmp_path
    if setup == "single":
        _recordings(d / "one")
        for p in (d / "one" / "rise").iterdir():
            p.unlink()
        (d / "one" / "rise").rmdir()
    elif setup == "twolabels":
        (d / "two.csv").write_text("id,x,label\na,1,p\na,2,q\nb,3,p\n")
    elif setup == "badwav":
        _recordings(d / "bad", n=2)
        (d / "bad" / "fall" / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    elif setup == "ar":
        from seqlab.classical import AR

        seqlab.save(AR(1).fit(np.random.default_rng(0).normal(size=50)), d / "ar.seqlab")
    _sequences_csv(d / "s.csv")
    assert main([a.format(d=d) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seqlab: error:") and message in err and err.count("\n") == 1

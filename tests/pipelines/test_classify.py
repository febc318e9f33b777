"""SequenceClassifierPipeline: features, standardisation, RNN / ESN, save -> fresh load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.io import wavfile

import seqlab
from seqlab.exceptions import NotFittedError, SeqlabTypeError, SeqlabValueError
from seqlab.pipelines import SequenceClassifierPipeline
from seqlab.reservoir import ESNClassifier
from seqlab.training import TrainConfig

SRC = str(Path(seqlab.__file__).resolve().parents[1])


def _walks(n: int, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Two classes of 2-D random walks drifting up or down, lengths 8..24, raw scale ~10."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for i in range(n):
        c = i % 2
        T = int(rng.integers(8, 25))
        X.append(10.0 + 5.0 * np.cumsum(rng.normal(0.6 * (2 * c - 1), 1.0, (T, 2)), axis=0))
        y.append("up" if c else "down")
    return X, np.array(y)


def _fast() -> TrainConfig:
    return TrainConfig(epochs=10, lr=0.02, batch_size=16, progress=False, seed=0)


def test_esn_pipeline_equals_esn_classifier_on_standardised_frames():
    X, y = _walks(40)
    clf = SequenceClassifierPipeline("esn", n_units=60, seed=3).fit(X, y)
    frames = np.concatenate(X)
    mean, std = frames.mean(0), frames.std(0)
    np.testing.assert_allclose(clf.mean_, mean, rtol=1e-5)
    Z = [((s - mean) / std).astype(np.float32).astype(np.float64) for s in X]
    ref = ESNClassifier(60, spectral_radius=0.9, leak_rate=0.3, input_scaling=1 / np.sqrt(2),
                        ridge=1e-2, features="mean_last", seed=3).fit(Z, (y == "up").astype(int))
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(Z), rtol=1e-4, atol=1e-6)
    assert clf.score(X, y) >= 0.9
    np.testing.assert_allclose(clf.predict_proba(X).sum(1), 1.0)


def test_rnn_pipeline_learns_and_handles_padding_like_single_sequences():
    X, y = _walks(50)
    clf = SequenceClassifierPipeline("rnn", hidden_size=12, cell="gru", seed=0)
    clf.fit(X[:30], y[:30], config=_fast(), validation=(X[30:], y[30:]))
    assert clf.score(X[30:], y[30:]) >= 0.8  # chance is 0.5
    assert len(clf.train_losses_) == 10 and clf.train_losses_[-1] < clf.train_losses_[0]
    # batched (padded, with lengths) probabilities = each sequence run alone, unpadded
    P = clf.predict_proba(X[30:36])
    with torch.no_grad():
        for s, row in zip(clf.transform(X[30:36]), P, strict=True):
            logits = clf.network_(torch.from_numpy(s)[None])
            np.testing.assert_allclose(torch.softmax(logits, -1)[0].numpy(), row, atol=1e-5)


def _tones(root: Path) -> tuple[list[Path], list[str]]:
    rng = np.random.default_rng(0)
    paths, labels = [], []
    for label, f0 in (("fall", 400.0), ("rise", 400.0)):
        for i in range(6):
            rate = (8000, 16000, 22050)[i % 3]
            t = np.arange(int(rate * rng.uniform(0.15, 0.3))) / rate
            sweep = 1.0 + 2.0 * t if label == "rise" else 3.0 - 2.0 * t  # pitch glides up / down
            x = 0.4 * np.sin(2 * np.pi * f0 * rng.uniform(0.9, 1.1) * t * sweep)
            x = np.concatenate([np.zeros(rate // 20), x, np.zeros(rate // 20)])
            p = root / f"{label}{i}.wav"
            wavfile.write(p, rate, (x * 32767).astype(np.int16))
            paths.append(p)
            labels.append(label)
    return paths, labels


def _fresh_predictions(jobs: list[tuple[Path, object]]) -> list[list[list[float]]]:
    """predict_proba of each (model file, inputs) in ONE new Python process."""
    code = (
        "import json, sys, numpy as np, seqlab\n"
        "out = []\n"
        "for f, X in json.loads(sys.argv[1]):\n"
        "    clf = seqlab.load(f)\n"
        "    X = X if clf.features == 'mfcc' else [np.array(s) for s in X]\n"
        "    out.append(clf.predict_proba(X).tolist())\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    arg = json.dumps([[str(f), X] for f, X in jobs])
    out = subprocess.run([sys.executable, "-c", code, arg],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def test_save_load_in_a_fresh_process_gives_identical_predictions(tmp_path):
    paths, labels = _tones(tmp_path)
    X, y = _walks(30)
    jobs, expected = [], []
    for name, data, target, features in (("rnn", paths, labels, "mfcc"),
                                         ("esn", paths, labels, "mfcc"),
                                         ("rnn", X, y, "none")):
        clf = SequenceClassifierPipeline(name, features=features, hidden_size=8, n_units=40)
        clf.fit(data, target, config=_fast())
        if features == "mfcc":
            assert clf.n_features_in_ == 39
            assert clf.score(data, target) == 1.0
        f = tmp_path / f"{name}-{features}.seqlab"
        seqlab.save(clf, f)
        inputs = [str(p) for p in data] if features == "mfcc" else [s.tolist() for s in data]
        jobs.append((f, inputs))
        expected.append(clf.predict_proba(data))
    for fresh, want in zip(_fresh_predictions(jobs), expected, strict=True):
        np.testing.assert_array_equal(np.array(fresh), want)
    # (signal, rate) pairs give the same as the paths
    from seqlab.data.audio import read_wav

    clf = seqlab.load(jobs[1][0])
    np.testing.assert_array_equal(clf.predict_proba([read_wav(p) for p in paths[:3]]),
                                  clf.predict_proba(paths[:3]))


def test_errors():
    X, y = _walks(10)
    clf = SequenceClassifierPipeline("esn", n_units=20)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    with pytest.raises(SeqlabValueError, match="single class"):
        clf.fit(X, ["a"] * 10)
    with pytest.raises(SeqlabValueError, match="one label per example"):
        clf.fit(X, y[:5])
    with pytest.raises(SeqlabValueError, match="model"):
        SequenceClassifierPipeline("lstm").fit(X, y)  # type: ignore[arg-type]
    clf.fit(X, y)
    with pytest.raises(SeqlabValueError, match="trained on 2"):
        clf.predict([np.zeros((5, 3))])
    with pytest.raises(SeqlabTypeError, match="one entry per example"):
        clf.predict(np.zeros((3, 5, 2)))
    with pytest.raises(SeqlabTypeError, match="not numeric"):
        clf.predict([np.array(["a", "b"])])
    with pytest.raises(SeqlabValueError, match="NaN"):
        clf.predict([np.array([[np.nan, 1.0]])])
    with pytest.raises(SeqlabTypeError, match="WAV path"):
        SequenceClassifierPipeline(features="mfcc").fit([np.zeros(100)] * 2, ["a", "b"])

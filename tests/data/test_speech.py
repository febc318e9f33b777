"""Japanese Vowels (.ts parser), mel/MFCC features and synthesised spoken digits."""

import importlib.util
import re
import shutil

import numpy as np
import pytest

from seqlab import MissingDependencyError
from seqlab.data import SequenceSet, speech

_HAVE_TOOLS = shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def test_japanese_vowels_published_split():
    """UCI Japanese Vowels (Kudo et al. 1999): 270 training utterances, 30 per speaker;
    370 test utterances, 31 35 88 44 29 24 40 50 29 for speakers 1..9; 12 LPC cepstrum
    coefficients; 7 to 29 frames."""
    train, test = speech.load_japanese_vowels("train"), speech.load_japanese_vowels("test")
    assert isinstance(train, SequenceSet)
    assert (len(train), len(test)) == (270, 370)
    assert train.n_classes == test.n_classes == 9
    assert train.labels.dtype == np.int64
    assert np.bincount(train.labels).tolist() == [30] * 9
    assert np.bincount(test.labels).tolist() == [31, 35, 88, 44, 29, 24, 40, 50, 29]
    for s in train.sequences + test.sequences:
        assert s.dtype == np.float64 and s.ndim == 2 and s.shape[1] == 12
    lengths = np.concatenate([train.lengths, test.lengths])
    assert (lengths.min(), lengths.max()) == (7, 29)
    # first frame of UCI's ae.train
    np.testing.assert_array_equal(train.sequences[0][0, :4],
                                  [1.860936, -0.207383, 0.261557, -0.214562])
    X, lens = train.concatenated()
    assert X.shape == (lens.sum(), 12)


def test_japanese_vowels_returns_copies_and_checks_split():
    a = speech.load_japanese_vowels()
    a.sequences[0][0, 0] = 99.0
    assert speech.load_japanese_vowels().sequences[0][0, 0] == 1.860936
    with pytest.raises(ValueError, match="'train', 'test'"):
        speech.load_japanese_vowels("validation")


def test_read_ts_rejects_bad_files(tmp_path):
    p = tmp_path / "x.ts"
    p.write_text("@classLabel true a b\n@data\n1,2:3,4:a\n1,2:3:b\n")
    with pytest.raises(ValueError, match="unequal length"):
        speech.read_ts(p)
    p.write_text("@classLabel true a b\n@data\n1,2:3,4:c\n")
    with pytest.raises(ValueError, match="label 'c'"):
        speech.read_ts(p)
    p.write_text("@classLabel true a b\n@data\n1,2:3,4:b\n0,1,2:5,6,7:a\n")
    ds = speech.read_ts(p)
    assert ds.labels.tolist() == [1, 0] and ds.sequences[1].shape == (3, 2)


def test_missing_sktime_names_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sktime" else real(name, *a))
    with pytest.raises(MissingDependencyError,
                       match=re.escape("pip install --no-deps sktime==1.2.0")):
        speech.load_japanese_vowels()


# ----------------------------------------------------------------------------- features
def test_mel_filterbank_peaks_on_htk_mel_grid():
    sr, n_fft, n_mels = 16000, 512, 40
    fb = speech.mel_filterbank(n_mels, n_fft, sr)
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    # HTK: mel = 2595 log10(1 + f/700); centres equally spaced in mel from 0 to mel(8000)
    top = 2595 * np.log10(1 + 8000 / 700)
    centres = 700 * (10 ** (np.linspace(0, top, n_mels + 2)[1:-1] / 2595) - 1)
    peak_bins = fb.argmax(axis=1)
    # the peak is one of the two FFT bins around the centre frequency
    assert np.all(np.abs(freqs[peak_bins] - centres) < freqs[1] - freqs[0])
    # each filter is 0 at and beyond the neighbouring centres
    edges = np.concatenate([[0.0], centres, [8000.0]])
    for m in range(n_mels):
        outside = (freqs <= edges[m]) | (freqs >= edges[m + 2])
        assert np.all(fb[m, outside] < 1e-12)
    assert fb.min() >= 0 and fb.max() <= 1
    assert np.all(np.diff(peak_bins) >= 0)
    with pytest.raises(ValueError, match="fmax"):
        speech.mel_filterbank(fmax=9000.0)


@pytest.mark.parametrize("f0", [300.0, 1000.0, 3000.0])
def test_log_mel_of_a_tone_peaks_in_its_band(f0):
    sr = 16000
    t = np.arange(sr // 2) / sr
    S = speech.log_mel_spectrogram(np.sin(2 * np.pi * f0 * t), sr)
    # documented framing: 25 ms frames every 10 ms, T = 1 + ceil((N - 400) / 160)
    assert S.shape == (1 + int(np.ceil((len(t) - 400) / 160)), 40)
    top = 2595 * np.log10(1 + 8000 / 700)
    centres = 700 * (10 ** (np.linspace(0, top, 42)[1:-1] / 2595) - 1)
    assert int(np.median(S.argmax(axis=1))) == int(np.argmin(np.abs(centres - f0)))


def test_mfcc_is_dct_of_log_mel():
    from scipy.fft import dct

    x = np.random.default_rng(0).standard_normal(4000)
    M = speech.mfcc(x, n_mfcc=13)
    L = speech.log_mel_spectrogram(x)
    np.testing.assert_allclose(M, dct(L, type=2, norm="ortho", axis=1)[:, :13])
    # c0 of the orthonormal DCT-II is sum(log-mel) / sqrt(n_mels)
    np.testing.assert_allclose(M[:, 0], L.sum(axis=1) / np.sqrt(40))
    with pytest.raises(ValueError, match="NaN"):
        speech.mfcc(np.array([0.0, np.nan] * 300))


# ----------------------------------------------------------------------------- synthesis
@pytest.mark.skipif(not _HAVE_TOOLS, reason="espeak-ng and sox are not installed "
                    "(apt-get install espeak-ng sox)")
def test_spoken_digits_are_seeded_and_separable():
    ds = speech.spoken_digits(5, seed=1)
    assert len(ds) == 50 and ds.n_features == 13 and ds.n_classes == 10
    assert np.bincount(ds.labels).tolist() == [5] * 10
    assert ds.label_names[7] == "seven"
    assert all(np.isfinite(s).all() and s.shape[0] >= 5 for s in ds.sequences)
    again = speech.spoken_digits(5, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(ds.sequences, again.sequences))
    other = speech.spoken_digits(1, seed=2, features="logmel")
    assert other.n_features == 40
    # the features carry the digit: leave-one-out 1-NN on per-clip mean/std of the MFCCs
    F = np.array([np.concatenate([s.mean(0), s.std(0)]) for s in ds.sequences])
    F = (F - F.mean(0)) / F.std(0)
    D = ((F[:, None] - F[None]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    accuracy = (ds.labels[D.argmin(1)] == ds.labels).mean()
    assert accuracy >= 0.6  # chance is 0.1


def test_spoken_digits_without_tools_names_apt_command(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="apt-get install espeak-ng sox"):
        speech.spoken_digits(1)


def test_spoken_digits_bad_arguments():
    with pytest.raises(ValueError, match="'mfcc', 'logmel'"):
        speech.spoken_digits(1, features="spectrogram")
    with pytest.raises(ValueError, match="n_per_digit"):
        speech.spoken_digits(0)
    with pytest.raises(ValueError, match="pitch_range"):
        speech.spoken_digits(1, pitch_range=(50, 120))


# ----------------------------------------------------------------------------- SequenceSet
def test_sequence_set_validation_and_indexing():
    with pytest.raises(ValueError, match="same length"):
        SequenceSet([np.zeros((2, 3))], np.array([0, 1]))
    with pytest.raises(ValueError, match="same F"):
        SequenceSet([np.zeros((2, 3)), np.zeros((2, 4))], np.array([0, 1]))
    with pytest.raises(ValueError, match="integers"):
        SequenceSet([np.zeros((2, 3))], np.array([0.5]))
    ds = speech.load_japanese_vowels("test")
    seq, label = ds[5]
    assert seq.shape[1] == 12 and label == ds.labels[5]
    sub = ds[ds.labels == 2]
    assert len(sub) == 88 and set(sub.labels) == {2} and sub.label_names == ds.label_names
    X, lengths = sub.concatenated()
    np.testing.assert_array_equal(X[: lengths[0]], sub.sequences[0])

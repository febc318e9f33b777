"""Speech: Japanese Vowels (real recordings) and spoken digits synthesised offline.

- **Japanese Vowels** (Kudo, Toyama & Shimbo 1999, UCI): 9 male speakers saying the vowel
  pair /ae/; each utterance is 7–29 frames of 12 LPC cepstrum coefficients. The published
  split has 270 training utterances (30 per speaker) and 370 test utterances. Read from the
  ``.ts`` files that ``sktime`` 1.2 ships (``sktime`` is installed ``--no-deps`` and never
  imported here). Jaeger et al. (2007) classify it with leaky echo state networks.
- **Spoken digits**: "zero".."nine" spoken by the ``espeak-ng`` synthesiser with several
  voices, speeds and pitches (drawn from a seed), resampled by ``sox`` to 16 kHz 16-bit
  mono WAV, and turned into MFCC or log-mel frames by :func:`mfcc` /
  :func:`log_mel_spectrogram` (numpy/scipy, from :mod:`seqlab.data.audio`, which also
  gives the full pipeline for your own WAV files).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np

from seqlab._validation import (
    SeedLike,
    check_choice,
    check_int,
    check_random_state,
)
from seqlab.data._files import package_file
from seqlab.data._registry import DatasetInfo, register
from seqlab.data._types import SequenceSet
from seqlab.data.audio import cepstra, log_mel_spectrogram, mel_filterbank, read_wav
from seqlab.data.seqfiles import _open_text
from seqlab.exceptions import MissingDependencyError, SeqlabValueError

__all__ = [
    "DIGIT_NAMES",
    "SPOKEN_DIGIT_VOICES",
    "load_japanese_vowels",
    "log_mel_spectrogram",
    "mel_filterbank",
    "mfcc",
    "read_ts",
    "spoken_digits",
]

_SKTIME = "pip install --no-deps sktime==1.2.0"
_APT = "apt-get install espeak-ng sox"

DIGIT_NAMES: tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
)
#: espeak-ng voices (language + variant) used by :func:`spoken_digits` by default
SPOKEN_DIGIT_VOICES: tuple[str, ...] = (
    "en-us", "en-us+f3", "en-gb", "en-gb+m3", "en-gb-scotland", "en-gb-scotland+f2",
    "en-029", "en-gb-x-rp+f4", "en-us-nyc", "en-us-nyc+m5",
)


# --------------------------------------------------------------------------- .ts files
def read_ts(path: str | Path) -> SequenceSet:
    """Read a multivariate, unequal-length time-series file in sktime's ``.ts`` format.

    Header lines start with ``#`` (comments) or ``@`` (``@classLabel true 1 2 ...`` gives
    the class names); after ``@data`` each line holds one case: the dimensions separated
    by ``:``, values within a dimension by ``,``, the class label last. Labels are mapped
    to ``0..n_classes-1`` in the order of ``@classLabel``.
    """
    text = _open_text(path)
    path = Path(path)
    class_names: list[str] = []
    sequences: list[np.ndarray] = []
    labels: list[int] = []
    in_data = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            lower = line.lower()
            if lower.startswith("@classlabel"):
                parts = line.split()
                if len(parts) > 2 and parts[1].lower() == "true":
                    class_names = parts[2:]
            elif lower.startswith("@data"):
                in_data = True
            continue
        *dims, label = line.split(":")
        try:
            columns = [np.array(d.split(","), dtype=np.float64) for d in dims]
        except ValueError as err:
            raise SeqlabValueError(f"{path}, line {lineno}: bad number ({err}).") from None
        if len({len(c) for c in columns}) != 1:
            raise SeqlabValueError(f"{path}, line {lineno}: dimensions of unequal length.")
        if label not in class_names:
            raise SeqlabValueError(
                f"{path}, line {lineno}: label {label!r} not among @classLabel {class_names}."
            )
        sequences.append(np.stack(columns, axis=1))  # (T, F)
        labels.append(class_names.index(label))
    if not in_data:
        raise SeqlabValueError(f"{path} has no @data line; is it a .ts file?")
    return SequenceSet(sequences, np.array(labels, dtype=np.int64),
                       label_names=tuple(class_names), name=path.stem)


@cache
def _read_ts_cached(path: Path) -> SequenceSet:
    return read_ts(path)


def load_japanese_vowels(split: Literal["train", "test"] = "train") -> SequenceSet:
    """Japanese Vowels utterances of the published ``split`` (270 train, 370 test).

    Each sequence is a ``(T_i, 12)`` float64 array of LPC cepstrum coefficients with
    ``7 <= T_i <= 29``; ``labels`` are the speakers 0..8 (the file's 1..9 minus one).

    >>> train = load_japanese_vowels("train")
    >>> len(train), train.n_classes, train.n_features, train.sequences[0].shape
    (270, 9, 12, (20, 12))
    """
    check_choice(split, "split", ("train", "test"))
    name = f"datasets/data/JapaneseVowels/JapaneseVowels_{split.upper()}.ts"
    path = package_file("sktime", name, _SKTIME, "load_japanese_vowels()")
    cached = _read_ts_cached(path)
    return SequenceSet(
        [s.copy() for s in cached.sequences],
        cached.labels.copy(),
        label_names=tuple(f"speaker {c}" for c in cached.label_names),
        feature_names=tuple(f"lpc_cepstrum_{i + 1}" for i in range(cached.n_features)),
        name=f"japanese-vowels-{split}",
    )


def _load_japanese_vowels_test() -> SequenceSet:
    return load_japanese_vowels("test")


# --------------------------------------------------------------------------- features
def mfcc(signal: np.ndarray, sample_rate: int = 16000, *, n_mfcc: int = 13,
         n_mels: int = 40) -> np.ndarray:
    """``(T, n_mfcc)`` plain MFCCs (:func:`seqlab.data.audio.cepstra`): no resampling,
    trimming, deltas or normalisation. For your own recordings use
    :func:`seqlab.data.audio.mfcc`, which adds those.

    >>> t = np.arange(8000) / 16000
    >>> mfcc(np.sin(2 * np.pi * 440 * t)).shape
    (49, 13)
    """
    return cepstra(signal, sample_rate, n_mfcc=n_mfcc, n_mels=n_mels)


# --------------------------------------------------------------------------- synthesis
def _require_tools() -> tuple[str, str]:
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if espeak is None or sox is None:
        missing = " and ".join(n for n, p in (("espeak-ng", espeak), ("sox", sox)) if p is None)
        raise MissingDependencyError(missing, _APT, "spoken_digits()")
    return espeak, sox


def spoken_digits(
    n_per_digit: int = 10,
    *,
    features: Literal["mfcc", "logmel"] = "mfcc",
    voices: tuple[str, ...] = SPOKEN_DIGIT_VOICES,
    speed_range: tuple[int, int] = (130, 220),
    pitch_range: tuple[int, int] = (25, 75),
    n_mfcc: int = 13,
    n_mels: int = 40,
    trim_silence: bool = True,
    seed: SeedLike = 0,
) -> SequenceSet:
    """Synthesised spoken digits 0..9 as MFCC (or log-mel) frame sequences.

    For each of ``n_per_digit * 10`` clips (digits in order 0..9, repeated) a voice is
    drawn from ``voices``, a speed (words per minute) from ``speed_range`` and a pitch
    (0..99) from ``pitch_range`` with ``seed``; ``espeak-ng`` speaks the digit's name and
    ``sox`` converts it to 16 kHz 16-bit mono WAV (trimming leading and trailing silence
    below 0.5 % of full scale when ``trim_silence``) in a temporary folder. Frames: 25 ms
    windows every 10 ms (see :func:`log_mel_spectrogram`); ``features="mfcc"`` gives
    ``(T_i, n_mfcc)`` arrays, ``"logmel"`` ``(T_i, n_mels)``. ``labels`` are the digits.

    Needs the Debian packages ``espeak-ng`` and ``sox`` (``apt-get install espeak-ng
    sox``); about 100 clips per second.

    >>> ds = spoken_digits(1, seed=0)
    >>> len(ds), ds.labels.tolist()[:4], ds.n_features
    (10, [0, 1, 2, 3], 13)
    """
    n_per_digit = check_int(n_per_digit, "n_per_digit", minimum=1)
    check_choice(features, "features", ("mfcc", "logmel"))
    if not voices:
        raise SeqlabValueError("voices must name at least one espeak-ng voice, e.g. ('en-us',).")
    ranges = (("speed_range", speed_range, 500), ("pitch_range", pitch_range, 99))
    for name, (lo, hi), top in ranges:
        if not (0 <= lo <= hi <= top):
            raise SeqlabValueError(f"{name} must be (low, high) with 0 <= low <= high <= {top}; "
                             f"got {(lo, hi)}.")
    espeak, sox = _require_tools()
    rng = check_random_state(seed)
    n = 10 * n_per_digit
    labels = np.tile(np.arange(10, dtype=np.int64), n_per_digit)
    voice_idx = rng.integers(len(voices), size=n)
    speeds = rng.integers(speed_range[0], speed_range[1] + 1, size=n)
    pitches = rng.integers(pitch_range[0], pitch_range[1] + 1, size=n)
    trim = ["silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%",
            "reverse"] if trim_silence else []

    def synthesise(i: int, tmp: str) -> np.ndarray:
        raw, wav = str(Path(tmp) / f"raw{i}.wav"), str(Path(tmp) / f"clip{i}.wav")
        for cmd in (
            [espeak, "-v", voices[voice_idx[i]], "-s", str(speeds[i]), "-p", str(pitches[i]),
             "-w", raw, DIGIT_NAMES[labels[i]]],
            [sox, "-D", raw, "-r", "16000", "-b", "16", "-c", "1", wav, *trim],
        ):
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if res.returncode != 0:
                raise RuntimeError(
                    f"{Path(cmd[0]).name} failed on clip {i} ({' '.join(cmd[1:])}): "
                    f"{res.stderr.strip()}"
                )
        signal, rate = read_wav(wav)
        if signal.size < 400:  # trimmed to almost nothing: keep one frame
            signal = np.pad(signal, (0, 400 - signal.size))
        if features == "mfcc":
            return mfcc(signal, rate, n_mfcc=n_mfcc, n_mels=n_mels)
        return log_mel_spectrogram(signal, rate, n_mels=n_mels)

    # the work is in the two child processes per clip: run at most one clip per core
    workers = max(1, min(2, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="seqlab-digits-") as tmp, ThreadPoolExecutor(
        workers
    ) as pool:
        sequences = list(pool.map(lambda i: synthesise(i, tmp), range(n)))
    width = n_mfcc if features == "mfcc" else n_mels
    return SequenceSet(
        sequences, labels, label_names=DIGIT_NAMES,
        feature_names=tuple(f"{features}_{k}" for k in range(width)),
        name="spoken-digits",
    )


register(
    DatasetInfo("japanese-vowels", "speech", load_japanese_vowels,
                "9 speakers' /ae/ utterances, 12 LPC cepstra per frame (train split)",
                "270 sequences x 12 features",
                "sktime: sktime/datasets/data/JapaneseVowels/JapaneseVowels_TRAIN.ts"),
    DatasetInfo("japanese-vowels-test", "speech",
                _load_japanese_vowels_test,
                "9 speakers' /ae/ utterances, 12 LPC cepstra per frame (test split)",
                "370 sequences x 12 features",
                "sktime: sktime/datasets/data/JapaneseVowels/JapaneseVowels_TEST.ts"),
    DatasetInfo("spoken-digits", "speech", spoken_digits,
                "digits 0-9 spoken by espeak-ng, 13 MFCC per 10 ms frame",
                "100 sequences x 13 features", "Debian espeak-ng + sox (synthesised)"),
)

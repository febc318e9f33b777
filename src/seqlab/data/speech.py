"""Speech: Japanese Vowels (real recordings) and spoken digits synthesised offline.

- **Japanese Vowels** (Kudo, Toyama & Shimbo 1999, UCI): 9 male speakers saying the vowel
  pair /ae/; each utterance is 7–29 frames of 12 LPC cepstrum coefficients. The published
  split has 270 training utterances (30 per speaker) and 370 test utterances. Read from the
  ``.ts`` files that ``sktime`` 1.2 ships (``sktime`` is installed ``--no-deps`` and never
  imported here). Jaeger et al. (2007) classify it with leaky echo state networks.
- **Spoken digits**: "zero".."nine" spoken by the ``espeak-ng`` synthesiser with several
  voices, speeds and pitches (drawn from a seed), resampled by ``sox`` to 16 kHz 16-bit
  mono WAV, and turned into MFCC or log-mel frames by :func:`mfcc` /
  :func:`log_mel_spectrogram` (numpy/scipy, defined here).
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
    as_float_array,
    check_choice,
    check_int,
    check_positive,
    check_random_state,
    check_real,
)
from seqlab.data._files import package_file
from seqlab.data._registry import DatasetInfo, register
from seqlab.data._types import SequenceSet
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
def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)  # HTK


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)


def mel_filterbank(
    n_mels: int = 40,
    n_fft: int = 512,
    sample_rate: int = 16000,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> np.ndarray:
    """``(n_mels, n_fft // 2 + 1)`` triangular filters, equally spaced on the HTK mel scale.

    mel(f) = 2595 log10(1 + f / 700). Filter m rises linearly from edge m to its peak 1 at
    edge m+1 and falls to 0 at edge m+2, where the ``n_mels + 2`` edges are equally spaced
    in mel between ``fmin`` and ``fmax`` (default ``sample_rate / 2``).

    >>> fb = mel_filterbank(40, n_fft=512, sample_rate=16000)
    >>> fb.shape, bool((fb.sum(axis=1) > 0).all())
    ((40, 257), True)
    """
    n_mels = check_int(n_mels, "n_mels", minimum=1)
    n_fft = check_int(n_fft, "n_fft", minimum=2)
    check_positive(sample_rate, "sample_rate")
    fmin = check_real(fmin, "fmin")
    fmax = sample_rate / 2.0 if fmax is None else check_real(fmax, "fmax")
    if not 0.0 <= fmin < fmax <= sample_rate / 2.0:
        raise SeqlabValueError(
            f"need 0 <= fmin < fmax <= sample_rate/2 = {sample_rate / 2}; got fmin={fmin}, "
            f"fmax={fmax}."
        )
    edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lo) / (mid - lo)
    falling = (hi - freqs) / (hi - mid)
    return np.maximum(0.0, np.minimum(rising, falling))


def log_mel_spectrogram(
    signal: np.ndarray,
    sample_rate: int = 16000,
    *,
    frame_ms: float = 25.0,
    hop_ms: float = 10.0,
    n_fft: int = 512,
    n_mels: int = 40,
    preemphasis: float = 0.97,
) -> np.ndarray:
    """``(T, n_mels)`` log mel energies of a mono ``signal``.

    Steps: pre-emphasis y_t = x_t - a x_{t-1} (a = ``preemphasis``); frames of
    ``frame_ms`` (25 ms = 400 samples at 16 kHz) every ``hop_ms`` (10 ms = 160 samples),
    the last partial frame zero-padded; Hamming window; power spectrum
    ``|rfft(frame, n_fft)|^2 / n_fft``; :func:`mel_filterbank` energies; natural log of
    ``energy + 1e-10``. T = 1 + ceil((len - frame) / hop) (at least 1).

    >>> t = np.arange(16000) / 16000
    >>> S = log_mel_spectrogram(np.sin(2 * np.pi * 1000 * t))
    >>> S.shape, int(S[10].argmax())   # mel(1 kHz) = 1000 is nearest the centre of band 13
    ((99, 40), 13)
    """
    x = as_float_array(signal, "signal", ndim=1)
    check_positive(sample_rate, "sample_rate")
    frame_ms = check_positive(frame_ms, "frame_ms")
    hop_ms = check_positive(hop_ms, "hop_ms")
    preemphasis = check_real(preemphasis, "preemphasis")
    n_fft = check_int(n_fft, "n_fft", minimum=2)
    frame = round(sample_rate * frame_ms / 1000.0)
    hop = round(sample_rate * hop_ms / 1000.0)
    if frame < 1 or hop < 1 or frame > n_fft:
        raise SeqlabValueError(
            f"frame_ms/hop_ms give frame={frame} and hop={hop} samples; both must be >= 1 "
            f"and frame <= n_fft={n_fft}."
        )
    from scipy.fft import rfft

    x = np.append(x[:1], x[1:] - preemphasis * x[:-1])
    n_frames = 1 + max(0, -(-(len(x) - frame) // hop))
    padded = np.zeros((n_frames - 1) * hop + frame)
    padded[: len(x)] = x
    idx = np.arange(frame)[None, :] + hop * np.arange(n_frames)[:, None]
    frames = padded[idx] * np.hamming(frame)  # (T, frame)
    power = np.abs(rfft(frames, n=n_fft, axis=1)) ** 2 / n_fft  # (T, n_fft//2+1)
    energies = power @ mel_filterbank(n_mels, n_fft, sample_rate).T  # (T, n_mels)
    return np.log(energies + 1e-10)


def mfcc(signal: np.ndarray, sample_rate: int = 16000, *, n_mfcc: int = 13,
         n_mels: int = 40, **kwargs: float) -> np.ndarray:
    """``(T, n_mfcc)`` mel-frequency cepstral coefficients: the orthonormal DCT-II of
    :func:`log_mel_spectrogram` along the mel axis, first ``n_mfcc`` coefficients.

    >>> t = np.arange(8000) / 16000
    >>> mfcc(np.sin(2 * np.pi * 440 * t)).shape
    (49, 13)
    """
    from scipy.fft import dct

    n_mfcc = check_int(n_mfcc, "n_mfcc", minimum=1, maximum=n_mels)
    logmel = log_mel_spectrogram(signal, sample_rate, n_mels=n_mels, **kwargs)  # type: ignore[arg-type]
    return dct(logmel, type=2, norm="ortho", axis=1)[:, :n_mfcc]


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
        from scipy.io import wavfile

        rate, audio = wavfile.read(wav)
        signal = audio.astype(np.float64) / 32768.0
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

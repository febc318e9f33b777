"""Audio features for any WAV file: reading, silence trimming, MFCCs with deltas and CMVN.

The pipeline of the built-in spoken digits (:func:`seqlab.data.speech.spoken_digits`), made
public for your own recordings:

1. :func:`read_wav`: PCM 8/16/24/32-bit or float WAV -> mono float64 in [-1, 1] and its
   sample rate (stereo is averaged to mono);
2. resampling to one rate (``scipy.signal.resample_poly``) so that features of recordings
   made at different rates are comparable;
3. :func:`trim_silence`: leading and trailing frames far below the loudest one dropped;
4. :func:`log_mel_spectrogram` (25 ms Hamming frames every 10 ms, 40 HTK mel bands) and its
   DCT-II, the mel-frequency cepstral coefficients (Davis & Mermelstein 1980);
5. :func:`deltas`: first and second time derivatives by the regression formula of HTK
   (Young et al., *The HTK Book*, sec. 5.6);
6. :func:`cmvn`: cepstral mean and variance normalisation per utterance.

:func:`mfcc` runs steps 2-6; :func:`wav_features` runs 1-6 on a file.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from seqlab._validation import as_float_array, check_int, check_positive, check_real
from seqlab.exceptions import SeqlabValueError

__all__ = [
    "cepstra",
    "cmvn",
    "deltas",
    "log_mel_spectrogram",
    "mel_filterbank",
    "mfcc",
    "read_wav",
    "resample",
    "trim_silence",
    "wav_features",
]


# --------------------------------------------------------------------------- reading
def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """``(signal, sample_rate)``: a WAV file as mono float64 samples in [-1, 1].

    Integer PCM is scaled by its full scale (8-bit unsigned: ``(x - 128) / 128``; 16/24/32-bit
    signed: ``x / 2**(bits-1)``); float WAVs are taken as they are. A file with several
    channels is averaged to mono (the mean of the channels, sample by sample). A missing,
    empty, non-WAV or unreadable file, or one with no samples, is a
    :class:`~seqlab.exceptions.SeqlabValueError` naming the file.

    >>> import tempfile, os
    >>> from scipy.io import wavfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.wav")
    >>> wavfile.write(p, 8000, np.array([[0, 16384], [-32768, 0]], dtype=np.int16))
    >>> x, rate = read_wav(p)
    >>> rate, x.tolist()
    (8000, [0.25, -0.5])
    """
    import warnings

    from scipy.io import wavfile

    p = Path(path)
    if not p.is_file():
        raise SeqlabValueError(f"{str(p)!r} is not a file; expected a WAV file.")
    if p.stat().st_size == 0:
        raise SeqlabValueError(f"{str(p)!r} is an empty file, not a WAV recording.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)  # e.g. extra LIST chunks
            rate, data = wavfile.read(p)
    except (ValueError, OSError, EOFError, IndexError) as err:
        raise SeqlabValueError(
            f"cannot read {str(p)!r} as a WAV file ({err}); convert it to PCM or float WAV, "
            "e.g. `sox in.mp3 -b 16 out.wav`."
        ) from None
    data = np.asarray(data)
    kind = data.dtype.kind
    if kind == "u" and data.dtype.itemsize == 1:
        x = (data.astype(np.float64) - 128.0) / 128.0
    elif kind == "i":
        x = data.astype(np.float64) / float(2 ** (8 * data.dtype.itemsize - 1))
    elif kind == "f":
        x = data.astype(np.float64)
    else:
        raise SeqlabValueError(f"{str(p)!r}: unsupported WAV sample type {data.dtype}.")
    if x.ndim == 2:
        x = x.mean(axis=1)  # stereo (or more channels) -> mono
    if x.size == 0:
        raise SeqlabValueError(f"{str(p)!r} holds no audio samples.")
    if not np.isfinite(x).all():
        raise SeqlabValueError(f"{str(p)!r} holds NaN or infinite samples.")
    return x, int(rate)


def resample(signal: np.ndarray, sample_rate: int, target_rate: int) -> np.ndarray:
    """``signal`` at ``target_rate`` by polyphase filtering (``scipy.signal.resample_poly``).

    >>> resample(np.ones(800), 8000, 16000).shape
    (1600,)
    """
    x = as_float_array(signal, "signal", ndim=1)
    sample_rate = check_int(sample_rate, "sample_rate", minimum=1)
    target_rate = check_int(target_rate, "target_rate", minimum=1)
    if sample_rate == target_rate:
        return x
    from scipy.signal import resample_poly

    g = math.gcd(sample_rate, target_rate)
    return np.asarray(resample_poly(x, target_rate // g, sample_rate // g), dtype=np.float64)


def trim_silence(
    signal: np.ndarray, sample_rate: int = 16000, *, threshold: float = 0.05,
    frame_ms: float = 10.0,
) -> np.ndarray:
    """``signal`` without its leading and trailing silence.

    The signal is cut into frames of ``frame_ms``; the kept part runs from the first to the
    last frame whose RMS is at least ``threshold`` times the loudest frame's RMS (0.05 is
    26 dB below the peak frame). Silence inside the recording is kept. An all-zero signal is
    returned unchanged.

    >>> x = np.concatenate([np.zeros(1600), np.ones(800), np.zeros(1600)])
    >>> trim_silence(x, 16000).shape
    (800,)
    """
    x = as_float_array(signal, "signal", ndim=1)
    check_positive(sample_rate, "sample_rate")
    threshold = check_real(threshold, "threshold")
    if not 0.0 <= threshold < 1.0:
        raise SeqlabValueError(f"threshold must be in [0, 1); got {threshold}.")
    frame = max(1, round(sample_rate * check_positive(frame_ms, "frame_ms") / 1000.0))
    n = -(-len(x) // frame)
    padded = np.zeros(n * frame)
    padded[: len(x)] = x
    rms = np.sqrt((padded.reshape(n, frame) ** 2).mean(axis=1))
    if rms.max() == 0.0:
        return x
    loud = np.flatnonzero(rms >= threshold * rms.max())
    return x[loud[0] * frame : min(len(x), (loud[-1] + 1) * frame)]


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


def cepstra(signal: np.ndarray, sample_rate: int = 16000, *, n_mfcc: int = 13,
            n_mels: int = 40) -> np.ndarray:
    """``(T, n_mfcc)`` plain mel-frequency cepstral coefficients: the orthonormal DCT-II of
    :func:`log_mel_spectrogram` along the mel axis, first ``n_mfcc`` coefficients.

    >>> t = np.arange(8000) / 16000
    >>> cepstra(np.sin(2 * np.pi * 440 * t)).shape
    (49, 13)
    """
    from scipy.fft import dct

    n_mels = check_int(n_mels, "n_mels", minimum=1)
    n_mfcc = check_int(n_mfcc, "n_mfcc", minimum=1, maximum=n_mels)
    logmel = log_mel_spectrogram(signal, sample_rate, n_mels=n_mels)
    return np.asarray(dct(logmel, type=2, norm="ortho", axis=1)[:, :n_mfcc])


def deltas(features: np.ndarray, width: int = 2) -> np.ndarray:
    """``(T, F)`` time derivatives by HTK's regression formula.

    d_t = sum_{n=1..N} n (c_{t+n} - c_{t-n}) / (2 sum_{n=1..N} n^2), N = ``width``, with the
    first and last frames repeated beyond the ends. Of a linear ramp c_t = a t + b it is
    ``a`` at every frame at least N from either end.

    >>> deltas(np.arange(6.0)[:, None])[2:4, 0].tolist()
    [1.0, 1.0]
    """
    c = as_float_array(features, "features", ndim=2, min_length=1)
    width = check_int(width, "width", minimum=1)
    padded = np.pad(c, ((width, width), (0, 0)), mode="edge")
    T = len(c)
    num = sum(n * (padded[width + n : width + n + T] - padded[width - n : width - n + T])
              for n in range(1, width + 1))
    return np.asarray(num / (2.0 * sum(n * n for n in range(1, width + 1))))


def cmvn(features: np.ndarray, *, variance: bool = True) -> np.ndarray:
    """Cepstral mean (and variance) normalisation of one utterance ``(T, F)``.

    Every column minus its mean over the T frames, divided by its standard deviation when
    ``variance`` (a constant column is only centred). Removes a fixed channel (microphone,
    room) that adds a constant to the cepstra.

    >>> y = cmvn(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> y.tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """
    c = as_float_array(features, "features", ndim=2, min_length=1)
    out = c - c.mean(axis=0)
    if variance:
        std = out.std(axis=0)
        out = out / np.where(std > 1e-10, std, 1.0)
    return out


def mfcc(
    signal: np.ndarray,
    sample_rate: int = 16000,
    n_mfcc: int = 13,
    *,
    deltas: bool = True,
    cmvn: bool = True,
    trim: bool = True,
    target_rate: int | None = 16000,
    n_mels: int = 40,
) -> np.ndarray:
    """``(T, F)`` float32 MFCC features of a mono ``signal`` (steps 2-6 of the module).

    The signal is resampled to ``target_rate`` (None: kept at ``sample_rate``), its leading
    and trailing silence trimmed (:func:`trim_silence`, when ``trim``), and turned into
    ``n_mfcc`` cepstra per 10 ms frame (:func:`cepstra`); with ``deltas`` their first and
    second derivatives are appended (F = 3 ``n_mfcc``, else F = ``n_mfcc``); with ``cmvn``
    every column is normalised to zero mean and unit variance over the utterance. A signal
    shorter than one 25 ms frame is zero-padded to one frame.

    >>> t = np.arange(8000) / 16000
    >>> F = mfcc(np.sin(2 * np.pi * 440 * t) * np.hanning(8000), 16000)
    >>> F.shape[1], F.dtype.name, abs(float(F.mean(0).max())) < 1e-5
    (39, 'float32', True)
    """
    do_deltas, do_cmvn = deltas, cmvn
    x = as_float_array(signal, "signal", ndim=1, min_length=1)
    sample_rate = check_int(sample_rate, "sample_rate", minimum=1)
    rate = sample_rate
    if target_rate is not None:
        x, rate = resample(x, sample_rate, target_rate), int(target_rate)
    if trim:
        x = trim_silence(x, rate)
    frame = round(rate * 0.025)
    if x.size < frame:
        x = np.pad(x, (0, frame - x.size))
    c = cepstra(x, rate, n_mfcc=n_mfcc, n_mels=n_mels)
    if do_deltas:
        d1 = _deltas(c)
        c = np.hstack([c, d1, _deltas(d1)])
    if do_cmvn:
        c = _cmvn(c)
    return c.astype(np.float32)


_deltas, _cmvn = deltas, cmvn


def wav_features(path: str | Path, n_mfcc: int = 13, *, deltas: bool = True,
                 cmvn: bool = True, trim: bool = True,
                 target_rate: int | None = 16000) -> np.ndarray:
    """:func:`mfcc` features of the WAV file at ``path`` (read by :func:`read_wav`)."""
    x, rate = read_wav(path)
    return mfcc(x, rate, n_mfcc, deltas=deltas, cmvn=cmvn, trim=trim, target_rate=target_rate)


"""seqlab.data.audio: WAV reading, trimming, deltas, CMVN and the MFCC pipeline.

No audio feature library is installed here (librosa, python_speech_features), so the checks
are textbook properties, brute force and the built-in digits pipeline's own cepstra.
"""

from __future__ import annotations

import wave

import numpy as np
import pytest
from scipy.io import wavfile

from seqlab.data import audio, speech
from seqlab.exceptions import SeqlabValueError


def _tone(freq: float, rate: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return 0.5 * np.sin(2 * np.pi * freq * t)


@pytest.mark.parametrize(
    ("dtype", "full_scale"),
    [(np.int16, 2**15), (np.int32, 2**31), (np.float32, 1.0), (np.float64, 1.0)],
)
def test_read_wav_scales_pcm_and_float_to_unit_range(tmp_path, dtype, full_scale):
    values = np.array([0.0, 0.5, -0.25, -1.0])
    data = (values * full_scale).astype(dtype)
    wavfile.write(tmp_path / "a.wav", 11025, data)
    x, rate = audio.read_wav(tmp_path / "a.wav")
    assert rate == 11025
    np.testing.assert_allclose(x, values, atol=1e-7)


def test_read_wav_8bit_unsigned_and_24bit_via_wave_module(tmp_path):
    # 8-bit WAV is unsigned with 128 as zero (RIFF spec)
    wavfile.write(tmp_path / "u8.wav", 8000, np.array([128, 192, 0], dtype=np.uint8))
    x, _ = audio.read_wav(tmp_path / "u8.wav")
    np.testing.assert_allclose(x, [0.0, 0.5, -1.0])
    # 24-bit little-endian signed samples written by hand with the stdlib wave module
    samples = [0, 2**22, -(2**23)]
    raw = b"".join(s.to_bytes(3, "little", signed=True) for s in samples)
    with wave.open(str(tmp_path / "s24.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(3)
        w.setframerate(22050)
        w.writeframes(raw)
    x, rate = audio.read_wav(tmp_path / "s24.wav")
    assert rate == 22050
    np.testing.assert_allclose(x, [0.0, 0.5, -1.0])


def test_read_wav_averages_stereo_to_mono(tmp_path):
    stereo = np.array([[1000, 3000], [-2000, 0]], dtype=np.int16)
    wavfile.write(tmp_path / "st.wav", 8000, stereo)
    x, _ = audio.read_wav(tmp_path / "st.wav")
    np.testing.assert_allclose(x, stereo.mean(axis=1) / 2**15)


def test_read_wav_errors_name_the_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.wav").write_text("not audio at all, just text")
    wavfile.write(tmp_path / "nosamples.wav", 8000, np.zeros(0, np.int16))
    for name in ("empty.wav", "text.wav", "nosamples.wav", "missing.wav"):
        with pytest.raises(SeqlabValueError, match=name):
            audio.read_wav(tmp_path / name)


def test_trim_silence_keeps_only_the_loud_part():
    rate = 16000
    x = np.concatenate([np.zeros(3200), _tone(500, rate, 0.3), 1e-4 * np.ones(1600)])
    y = audio.trim_silence(x, rate)
    assert len(y) == 4800  # 0.3 s at 16 kHz, frames of 160 samples align with it
    np.testing.assert_array_equal(y, x[3200:8000])
    np.testing.assert_array_equal(audio.trim_silence(np.zeros(100)), np.zeros(100))


def test_deltas_match_the_htk_regression_formula_by_brute_force():
    rng = np.random.default_rng(0)
    c = rng.normal(size=(12, 3))
    N = 2
    d = audio.deltas(c, N)
    T = len(c)
    for t in range(T):
        num = sum(n * (c[min(t + n, T - 1)] - c[max(t - n, 0)]) for n in range(1, N + 1))
        np.testing.assert_allclose(d[t], num / (2 * sum(n * n for n in range(1, N + 1))))


def test_deltas_of_a_linear_ramp_are_its_slope():
    ramp = 0.7 * np.arange(20.0)[:, None] + np.array([[1.0, -3.0]])
    d = audio.deltas(ramp)
    np.testing.assert_allclose(d[2:-2], 0.7)
    np.testing.assert_allclose(audio.deltas(d)[4:-4], 0.0, atol=1e-12)


def test_cmvn_gives_zero_mean_unit_variance_and_mfcc_applies_it():
    rng = np.random.default_rng(1)
    y = audio.cmvn(rng.normal(5.0, 3.0, size=(50, 4)))
    np.testing.assert_allclose(y.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.std(0), 1.0)
    F = audio.mfcc(_tone(300, 16000) + 0.01 * rng.normal(size=8000), 16000)
    assert F.dtype == np.float32 and F.shape[1] == 39
    np.testing.assert_allclose(F.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(F.std(0), 1.0, atol=1e-4)


def test_plain_mfcc_equals_the_builtin_digits_cepstra_and_deltas_are_appended():
    x = _tone(440, 16000) + 0.1 * _tone(1500, 16000)
    plain = audio.mfcc(x, 16000, 13, deltas=False, cmvn=False, trim=False)
    np.testing.assert_allclose(plain, speech.mfcc(x, 16000, n_mfcc=13), rtol=1e-5, atol=1e-4)
    full = audio.mfcc(x, 16000, 13, deltas=True, cmvn=False, trim=False)
    np.testing.assert_allclose(full[:, :13], plain, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(full[:, 13:26], audio.deltas(plain.astype(np.float64)),
                               rtol=1e-5, atol=1e-4)


def test_different_sample_rates_give_comparable_features():
    # the same band-limited sound recorded at 8 kHz and at 16 kHz
    rng = np.random.default_rng(2)
    freqs = rng.uniform(200, 1500, size=4)  # chirps stay below 2.4 kHz: no aliasing at 8 kHz

    def sound(rate: int) -> np.ndarray:
        t = np.arange(int(0.6 * rate)) / rate
        env = np.sin(np.pi * t / 0.6)
        return env * sum(np.sin(2 * np.pi * f * t * (1 + t)) for f in freqs) / 4

    a = audio.mfcc(sound(8000), 8000, 13, trim=False)
    b = audio.mfcc(sound(16000), 16000, 13, trim=False)
    assert a.shape == b.shape
    corr = np.corrcoef(a[:, :13].ravel(), b[:, :13].ravel())[0, 1]
    assert corr > 0.98
    # without resampling the mel bands of the 8 kHz file span 0-4 kHz: other features
    c = audio.mfcc(sound(8000), 8000, 13, trim=False, target_rate=None)
    assert c.shape[0] == a.shape[0] and not np.allclose(c, a, atol=0.1)


def test_mfcc_refuses_bad_input():
    with pytest.raises(SeqlabValueError):
        audio.mfcc(np.array([0.0, np.nan, 1.0]), 16000)
    with pytest.raises(SeqlabValueError):
        audio.mfcc(_tone(440, 16000), 16000, n_mfcc=0)
    with pytest.raises(SeqlabValueError):
        audio.mfcc(_tone(440, 16000), 0)


def test_wav_features_reads_and_featurises(tmp_path):
    wavfile.write(tmp_path / "t.wav", 16000, (_tone(440, 16000) * 32767).astype(np.int16))
    F = audio.wav_features(tmp_path / "t.wav", n_mfcc=10)
    assert F.shape == (49, 30)

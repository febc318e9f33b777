"""Fuzz the data utilities: sliding windows, chronological splits, padding and masks, the
character vocabulary, DNA encoding, FASTA/GenBank readers and locations, the data-set
registry, and the synthetic generators and simulators.

Valid input gives results checked against direct slicing / the definition; any other input
(random text, random bytes in a file, bad arguments) gives a result or a SeqlabError, never a
raw Python/numpy error.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from fuzzkit import (
    BAD_COUNTS,
    FUZZ,
    assert_finite_result,
    assert_seqlab_error,
    bad_cases,
    result_or_seqlab_error,
    seeds,
)
from hypothesis import given
from hypothesis import strategies as st

from seqlab.data import (
    DATASETS,
    CharVocab,
    adding_problem,
    chronological_split,
    copy_task,
    encode_dna,
    get_dataset,
    lengths_to_mask,
    mackey_glass,
    pad_sequences,
    parse_location,
    read_fasta,
    read_genbank,
    simulate_arma,
    simulate_hmm,
    sliding_windows,
    temporal_order,
)
from seqlab.data.speech import log_mel_spectrogram, mel_filterbank, mfcc, read_ts


# --------------------------------------------------------------------------- windows
@FUZZ
@given(seed=seeds, T=st.integers(1, 60), k=st.integers(0, 2), L=st.integers(1, 12),
       h=st.integers(1, 5), stride=st.integers(1, 4))
def test_sliding_windows_match_direct_slicing(seed, T, k, L, h, stride):
    shape = (T,) if k == 0 else (T, k + 1)
    x = np.random.default_rng(seed).standard_normal(shape)
    out = result_or_seqlab_error(sliding_windows, x, L, h, stride=stride)
    if T < L + h:
        assert out is None
        return
    inputs, targets = out
    starts = range(0, T - L - h + 1, stride)
    assert len(inputs) == len(targets) == len(starts)
    for i, s in enumerate(starts):
        np.testing.assert_array_equal(inputs[i], x[s:s + L])
        np.testing.assert_array_equal(targets[i], x[s + L:s + L + h])


BAD_SERIES = {"none": None, "text": "abc", "ragged": [[1.0, 2.0], [3.0]], "strings": ["a", "b"],
              "dict": {"a": 1}, "complex": np.arange(10) + 1j, "scalar": 3.0}


@pytest.mark.parametrize("x", BAD_SERIES.values(), ids=BAD_SERIES)
def test_windows_and_split_refuse_bad_series(x):
    assert_seqlab_error(sliding_windows, x, 2)
    if not isinstance(x, list) or (x and not isinstance(x[0], str)):
        assert_seqlab_error(chronological_split, x)


@pytest.mark.parametrize(("name", "value"), bad_cases({
    "input_length": (*BAD_COUNTS, 0), "horizon": (*BAD_COUNTS, 0), "stride": (*BAD_COUNTS, 0)}))
def test_sliding_windows_refuse_bad_arguments(name, value):
    kwargs = {"input_length": 3, "horizon": 1, "stride": 1, name: value}
    assert_seqlab_error(sliding_windows, np.arange(20.0), **kwargs)


@FUZZ
@given(T=st.integers(1, 200), train=st.floats(0.0, 1.0), validation=st.floats(0.0, 1.0))
def test_chronological_split_partitions_in_order(T, train, validation):
    x = np.arange(T)
    out = result_or_seqlab_error(chronological_split, x, train=train, validation=validation)
    if out is None:
        assert train + validation > 1.0 or math.floor(train * T + 1e-9) < 1
        return
    tr, va, te = out
    np.testing.assert_array_equal(np.concatenate([tr, va, te]), x)
    assert len(tr) == math.floor(train * T + 1e-9)


@pytest.mark.parametrize(("name", "value"), bad_cases({
    "train": (-0.1, 1.1, math.nan, "a", None, True, 1j, 0.0),
    "validation": (-0.1, 1.1, math.nan, "a", None, 1j, 0.9)}))
def test_chronological_split_refuses_bad_fractions(name, value):
    assert_seqlab_error(chronological_split, np.arange(20.0), **{name: value})


@FUZZ
@given(seed=seeds, lengths=st.lists(st.integers(1, 12), min_size=1, max_size=6),
       k=st.integers(0, 2), pad=st.floats(-5, 5), extra=st.integers(0, 3))
def test_pad_sequences_and_mask_round_trip(seed, lengths, k, pad, extra):
    rng = np.random.default_rng(seed)
    seqs = [rng.standard_normal((n,) if k == 0 else (n, k)) for n in lengths]
    padded, lens = pad_sequences(seqs, padding_value=pad, dtype=np.float64,
                                 max_length=max(lengths) + extra)
    assert lens.tolist() == lengths
    mask = lengths_to_mask(lens, padded.shape[1])
    for i, s in enumerate(seqs):
        np.testing.assert_array_equal(padded[i, : len(s)], s)
        assert (padded[i, len(s):] == pad).all()
        assert mask[i].sum() == len(s) and mask[i, : len(s)].all()


BAD_PAD = {
    "empty": ([], {}), "none": (None, {}), "int": (3, {}), "text": ("abc", {}),
    "ragged_item": ([[[1.0], [2.0, 3.0]]], {}), "scalar_item": ([3.0], {}),
    "empty_item": ([[]], {}), "mixed_features": ([np.ones((2, 3)), np.ones((2, 4))], {}),
    "complex": ([np.arange(3) + 1j], {}), "strings": ([["a", "b"]], {}),
    "padding_text": ([[1.0]], {"padding_value": "a"}),
    "dtype_bogus": ([[1.0]], {"dtype": "bogus"}), "dtype_str": ([[1.0]], {"dtype": str}),
    "max_length_short": ([[1.0, 2.0]], {"max_length": 1}),
    "max_length_zero": ([[1.0]], {"max_length": 0}),
    "max_length_float": ([[1.0]], {"max_length": 1.5}),
}


@pytest.mark.parametrize("case", BAD_PAD)
def test_pad_sequences_refuses_bad_input(case):
    seqs, kwargs = BAD_PAD[case]
    assert_seqlab_error(pad_sequences, seqs, **kwargs)


@pytest.mark.parametrize(("lengths", "T"), [
    ([], None), ([1.5], None), (["a"], None), (None, None), ([[1]], None), ([-1], None),
    (3, None), ("ab", None), ([2, 3], -1), ([2, 3], 1.5), ([2, 3], "a"), ([2, 3], 2)])
def test_lengths_to_mask_refuses_bad_input(lengths, T):
    assert_seqlab_error(lengths_to_mask, lengths, T)


# --------------------------------------------------------------------------- text
@FUZZ
@given(corpus=st.text(min_size=1, max_size=200), probe=st.text(max_size=50),
       unknown=st.one_of(st.none(), st.characters()))
def test_char_vocab_round_trip_or_clear_error(corpus, probe, unknown):
    vocab = CharVocab(corpus, unknown=unknown)
    ids = vocab.encode(corpus)
    assert vocab.decode(ids) == corpus
    assert ids.min() >= 0 and ids.max() < len(vocab)
    out = result_or_seqlab_error(vocab.encode, probe)
    known = set(corpus) | ({unknown} if unknown else set())
    if out is None:
        assert unknown is None and not set(probe) <= known
    else:
        expect = "".join(c if c in known else unknown for c in probe)
        assert vocab.decode(out) == expect
    assert CharVocab.from_dict(vocab.to_dict()) == vocab


@pytest.mark.parametrize("text", [None, 3, b"abc", ["a", 1], "", [""], ["ab", None]], ids=repr)
def test_char_vocab_refuses_bad_text(text):
    assert_seqlab_error(CharVocab, text)


@pytest.mark.parametrize("unknown", ["ab", 3, ""], ids=repr)
def test_char_vocab_refuses_bad_unknown(unknown):
    assert_seqlab_error(CharVocab, "abc", unknown=unknown)


@pytest.mark.parametrize(("method", "arg"), [
    ("encode", None), ("encode", 3), ("encode", b"ab"), ("encode", ["a"]), ("encode", "abz"),
    ("encode", "a\ud800"), ("decode", [3]), ("decode", [-1]), ("decode", [0.5]),
    ("decode", "ab"), ("decode", [[0]]), ("decode", None), ("decode", np.array([1.0])),
    ("decode", [2**70]), ("decode", {"a": 1}),
], ids=repr)
def test_char_vocab_encode_decode_refuse_bad_input(method, arg):
    assert_seqlab_error(getattr(CharVocab("abc"), method), arg)


@pytest.mark.parametrize("state", [None, 3, {"x": 1}, {"chars": ["ab"]}, {"chars": [1]},
                                   {"chars": []}, {"chars": ["a"], "unknown": "xy"}], ids=repr)
def test_char_vocab_from_dict_refuses_bad_state(state):
    assert_seqlab_error(CharVocab.from_dict, state)


# --------------------------------------------------------------------------- DNA
@FUZZ
@given(seq=st.text(alphabet="ACGTacgtNRYKMSWBDHVnx-*é ", max_size=80),
       ambiguous=st.sampled_from(["error", "skip", "random"]), seed=seeds)
def test_encode_dna_codes_or_clear_error(seq, ambiguous, seed):
    out = result_or_seqlab_error(encode_dna, seq, ambiguous=ambiguous, seed=seed)
    plain = set(seq.upper()) <= set("ACGT")
    if out is None:
        assert not plain
        return
    assert out.dtype == np.uint8 and (out < 4).all()
    if plain or ambiguous != "skip":
        assert len(out) == len(seq) or ambiguous == "skip"
    if plain:
        assert "".join("ACGT"[c] for c in out) == seq.upper()


@pytest.mark.parametrize(("seq", "alphabet", "ambiguous", "seed"), [
    ("ACGT", "", "error", None), ("ACGT", "AAC", "error", None), ("ACGT", 3, "error", None),
    (3, "ACGT", "error", None), (None, "ACGT", "error", None), ("ACGT", "ACé", "error", None),
    ("ACGT", "ACGT", "bogus", None), ("ACNT", "ACGT", "random", "x"),
    ("ACNT", "ACGT", "random", -1),
], ids=repr)
def test_encode_dna_refuses_bad_arguments(seq, alphabet, ambiguous, seed):
    assert_seqlab_error(encode_dna, seq, alphabet, ambiguous=ambiguous, seed=seed)


# --------------------------------------------------------------------------- files
_LOC_ALPHABET = st.sampled_from(["complement(", "join(", "order(", ")", ",", "..", "<", ">",
                                 "^", "1", "5", "12", "0", "x", ":", " ", "J00194.1"])


@FUZZ
@given(parts=st.lists(_LOC_ALPHABET, max_size=12))
def test_parse_location_never_leaks_a_raw_error(parts):
    out = result_or_seqlab_error(parse_location, "".join(parts))
    if out is not None:
        assert all(0 <= s <= e and strand in (1, -1) for s, e, strand in out)


@FUZZ
@given(segs=st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 500)), min_size=1,
                     max_size=4), complement=st.booleans())
def test_parse_location_of_valid_ranges(segs, complement):
    text = ",".join(f"{a}..{a + n}" for a, n in segs)
    text = f"join({text})" if len(segs) > 1 else text
    text = f"complement({text})" if complement else text
    want = [(a - 1, a + n, -1 if complement else 1) for a, n in segs]
    assert parse_location(text) == (want[::-1] if complement else want)


@pytest.mark.parametrize("location", [None, 3, b"1..2"], ids=repr)
def test_parse_location_refuses_non_text(location):
    assert_seqlab_error(parse_location, location)


@FUZZ
@given(content=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                         st.lists(st.sampled_from([">a", ">b x", "ACGT", "", " ", ">", "LOCUS",
                                                   "ORIGIN", "//", "1 acgt", "FEATURES"]),
                                  max_size=10).map(lambda ls: "\n".join(ls).encode())),
       suffix=st.sampled_from([".fa", ".gb", ".gz"]))
def test_sequence_readers_never_leak_a_raw_error(tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("seq") / f"f{suffix}"
    path.write_bytes(content)
    fasta = result_or_seqlab_error(read_fasta, path)
    if fasta is not None:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fasta.items())
    result_or_seqlab_error(read_genbank, path)


@pytest.mark.parametrize("reader", [read_fasta, read_genbank])
def test_sequence_readers_refuse_bad_paths(reader, tmp_path: Path):
    assert_seqlab_error(reader, tmp_path / "missing.fa")
    assert_seqlab_error(reader, tmp_path)  # a folder
    assert_seqlab_error(reader, None)
    assert_seqlab_error(reader, "")


# --------------------------------------------------------------------------- registry
@FUZZ
@given(name=st.one_of(st.text(max_size=20), st.sampled_from(sorted(DATASETS)),
                      st.sampled_from([None, 3, ["sunspots"], b"nile"])))
def test_get_dataset_returns_an_entry_or_lists_the_names(name):
    info = result_or_seqlab_error(get_dataset, name)
    if info is None:
        assert not isinstance(name, str) or name not in DATASETS
    else:
        assert info.name == name


# --------------------------------------------------------------------------- generators
GEN_BAD = {
    "adding_problem": (lambda v: adding_problem(v, seed=0), (*BAD_COUNTS, 0)),
    "adding_min_length": (lambda v: adding_problem(3, v, seed=0), (*BAD_COUNTS, 0)),
    "copy_task": (lambda v: copy_task(v, seed=0), (*BAD_COUNTS, 0)),
    "copy_delay": (lambda v: copy_task(2, delay=v, seed=0), (-1, 1.5, "3", None)),
    "temporal_order": (lambda v: temporal_order(v, seed=0), (*BAD_COUNTS, 0)),
    "temporal_variant": (lambda v: temporal_order(3, variant=v, seed=0), ("bogus", "", 3)),
    "mackey_glass_n": (lambda v: mackey_glass(v), (*BAD_COUNTS, 0)),
    "mackey_glass_tau": (lambda v: mackey_glass(50, tau=v), (math.nan, -1.0, "a", None, 0.0)),
    "mackey_glass_dt": (lambda v: mackey_glass(50, dt=v), (math.nan, -1.0, "a", None, 0.0)),
    "mackey_glass_x0": (lambda v: mackey_glass(50, x0=v), (math.nan, math.inf, "a", None)),
    "mackey_glass_history": (lambda v: mackey_glass(50, history=v), ("a", [1.0], math.nan)),
    "arma_n": (lambda v: simulate_arma([0.5], n=v, seed=0), (*BAD_COUNTS, 0)),
    "arma_sigma2": (lambda v: simulate_arma([0.5], n=10, sigma2=v), (math.nan, -1.0, "a")),
    "arma_const": (lambda v: simulate_arma([0.5], n=10, const=v), (math.nan, "a", None)),
    "arma_ar": (lambda v: simulate_arma(v, n=10), ([math.nan], ["a"], [[0.5]], [1.5], [1j])),
    "hmm_n": (lambda v: simulate_hmm([1.0], [[1.0]], v, emissionprob=[[1.0]]), (-1, 0, 1.5)),
    "hmm_startprob": (lambda v: simulate_hmm(v, [[1.0]], 5, emissionprob=[[1.0]]),
                      ([0.5], [math.nan], ["a"], [[1.0]])),
}


@pytest.mark.parametrize(("name", "value"), bad_cases({k: v[1] for k, v in GEN_BAD.items()}))
def test_generators_refuse_bad_arguments(name, value):
    assert_seqlab_error(GEN_BAD[name][0], value)


@FUZZ
@given(seed=seeds, phi=st.floats(-0.95, 0.95), n=st.integers(1, 300),
       sigma2=st.floats(1e-6, 1e6), const=st.floats(-1e3, 1e3))
def test_simulate_arma_valid_is_finite(seed, phi, n, sigma2, const):
    x = assert_finite_result(simulate_arma, [phi], n=n, sigma2=sigma2, const=const, seed=seed)
    assert x.shape == (n,)


@FUZZ
@given(n=st.integers(1, 200), tau=st.floats(0.5, 30.0), x0=st.floats(0.0, 2.0))
def test_mackey_glass_valid_is_finite(n, tau, x0):
    x = assert_finite_result(mackey_glass, n, tau=tau, x0=x0)
    assert x.shape == (n,)


# --------------------------------------------------------------------------- speech features
@FUZZ
@given(seed=seeds, n=st.integers(1, 4000), scale=st.floats(-6, 3),
       sample_rate=st.sampled_from([8000, 16000]), n_mels=st.integers(1, 40))
def test_log_mel_and_mfcc_are_finite(seed, n, scale, sample_rate, n_mels):
    x = np.random.default_rng(seed).standard_normal(n) * 10.0**scale
    S = assert_finite_result(log_mel_spectrogram, x, sample_rate, n_mels=n_mels)
    assert S.shape[1] == n_mels
    C = assert_finite_result(mfcc, x, sample_rate, n_mfcc=min(13, n_mels), n_mels=n_mels)
    assert C.shape == (S.shape[0], min(13, n_mels))


SPEECH_BAD = {
    "sample_rate": (0, -1, math.nan, "16000", None),
    "frame_ms": (0.0, -1.0, math.nan, "a", None),
    "hop_ms": (0.0, math.nan, "a"),
    "n_fft": (0, 1, 1.5, "a"),
    "n_mels": (0, -1, "a"),
    "preemphasis": (math.nan, "a", None),
    "signal": (None, "abc", [math.nan], [], [[1.0, 2.0]], [1j, 2j]),
}


@pytest.mark.parametrize(("name", "value"), bad_cases(SPEECH_BAD))
def test_log_mel_spectrogram_refuses_bad_arguments(name, value):
    kwargs = {"signal": np.sin(np.arange(2000) / 10.0), name: value}
    assert_seqlab_error(log_mel_spectrogram, **kwargs)


@pytest.mark.parametrize(("name", "value"), bad_cases({
    "fmin": (-1.0, math.nan, "a", 1e9), "fmax": (0.0, math.nan, "a", 1e9),
    "sample_rate": (0, "a", None), "n_mels": (0, "a"), "n_fft": (1, None)}))
def test_mel_filterbank_refuses_bad_arguments(name, value):
    assert_seqlab_error(mel_filterbank, **{name: value})


@FUZZ
@given(lines=st.lists(st.sampled_from(["@classLabel true a b", "@data", "1,2:3,4:a", "1,2:3:b",
                                       "x:a", ":a", "a", "# c", "", "1:2:c", "1,nan:2,3:a"]),
                      max_size=8))
def test_read_ts_never_leaks_a_raw_error(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("ts") / "f.ts"
    path.write_text("\n".join(lines))
    result_or_seqlab_error(read_ts, path)

"""Bach chorales as piano rolls (seqlab.data.music), checked against music21's own view."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from seqlab.data import music
from seqlab.exceptions import MissingDependencyError, SeqlabTypeError, SeqlabValueError

music21 = pytest.importorskip("music21", reason="pip install 'seqlab[music]'")


def _sounding_midi_by_chordify(chords, k: float) -> set[int]:
    """MIDI pitches sounding at offset k, from music21's chordify (all parts in one chord
    stream) -- independent of piano_roll's walk over the flattened notes."""
    out: set[int] = set()
    for el in chords:
        if el.offset <= k < el.offset + el.quarterLength:
            out |= {int(p.midi) for p in el.pitches}
    return out


@pytest.mark.parametrize("name", ["bach/bwv269", "bach/bwv347"])
def test_roll_matches_music21_chordify(name):
    score = music21.corpus.parse(name)
    roll = music.piano_roll(score)
    assert roll.shape == (int(np.ceil(float(score.highestTime))), 88)
    assert set(np.unique(roll)) <= {0.0, 1.0}
    chords = list(score.chordify().flatten().notes)
    for k in range(roll.shape[0]):
        expected = _sounding_midi_by_chordify(chords, float(k))
        got = {int(i) + 21 for i in np.flatnonzero(roll[k])}
        assert got == expected, (name, k)
    # four voices: at most 4 keys per beat, and most beats hold a full chord
    counts = roll.sum(axis=1)
    assert counts.max() <= 4 and np.mean(counts >= 3) > 0.8


def test_roll_of_a_handmade_stream():
    s = music21.stream.Stream()
    s.insert(0, music21.note.Note("C4", quarterLength=1.5))  # beats 0 and 1
    s.insert(1.5, music21.note.Note("E4", quarterLength=0.5))  # between beats: not seen
    s.insert(2, music21.chord.Chord(["A0", "C8"], quarterLength=1))
    roll = music.piano_roll(s)
    assert roll.shape == (3, 88)
    assert [list(np.flatnonzero(r) + 21) for r in roll] == [[60], [60], [21, 108]]


def test_bad_inputs():
    with pytest.raises(SeqlabTypeError, match="needs a music21 Stream"):
        music.piano_roll(np.zeros((3, 88)))
    s = music21.stream.Stream([music21.note.Note("C9")])
    with pytest.raises(SeqlabValueError, match=r"C9 \(MIDI 120\) is outside the 88 piano keys"):
        music.piano_roll(s)
    with pytest.raises(SeqlabValueError, match="split"):
        music.chorale_split("dev")  # type: ignore[arg-type]


def test_missing_music21_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "music21", None)  # import music21 -> ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'seqlab\[music\]'"):
        music.piano_roll(None)

    def not_installed(name):
        raise music.importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(music.importlib.metadata, "version", not_installed)
    with pytest.raises(MissingDependencyError, match=r"pip install 'seqlab\[music\]'"):
        music.load_jsb_chorales()


def test_split_rule_is_deterministic_disjoint_and_near_60_20_20():
    listed = [str(n) for n in music21.corpus.chorales.Iterator(returnType="filename")]
    names = music._unique(listed)
    # Riemenschneider's list names some files twice (371 entries, 350 files in music21 10.5)
    assert len(names) == len(set(names)) == len(set(listed))
    splits = [music._split_of(n) for n in names]
    assert splits == [music._split_of(n) for n in names]
    parts = [{n for n, s in zip(names, splits) if s == k} for k in range(3)]
    assert sum(map(len, parts)) == len(names)
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    frac = np.array([len(p) for p in parts]) / len(names)
    assert np.all(np.abs(frac - [0.6, 0.2, 0.2]) < 0.05), frac
    # the rule itself: first byte of sha1(name) mod 5 -> 3 valid, 4 test
    import hashlib
    r = hashlib.sha1(b"bach/bwv269").digest()[0] % 5
    assert music._split_of("bach/bwv269") == {3: 1, 4: 2}.get(r, 0)


def test_cache_is_written_atomically_and_rebuilt_for_a_new_music21(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQLAB_CACHE", str(tmp_path))
    calls = []
    rolls = [np.eye(88)[:3], np.eye(88)[5:7]]

    def fake_build():
        calls.append(1)
        return ["bach/a", "bach/b"], rolls

    monkeypatch.setattr(music, "_build", fake_build)
    data = music.load_jsb_chorales()
    assert len(calls) == 1 and data.lengths.tolist() == [3, 2]
    again = music.load_jsb_chorales()  # from the cache
    assert len(calls) == 1
    assert all(np.array_equal(a, b) for a, b in zip(again.sequences, rolls))
    assert music.chorale_names() == ["bach/a", "bach/b"]
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 1 and files[0].endswith(".npz")  # no temporary file left behind
    monkeypatch.setattr(music.importlib.metadata, "version", lambda _pkg: "0.0-new")
    music.load_jsb_chorales()
    assert len(calls) == 2 and len(list(tmp_path.iterdir())) == 2

"""Music: Bach's four-part chorales as piano rolls over the 88 piano keys (JSB Chorales).

Read offline from the chorales that ``music21`` ships in its corpus (``pip install
'seqlab[music]'``): ``music21.corpus.chorales.Iterator()`` lists Riemenschneider's 371
chorales, which are 350 distinct MusicXML files (21 are listed twice; kept once). Each
chorale becomes a binary **piano roll** ``R`` of shape ``(T, 88)``:

``R[k, p - 21] = 1``  iff a note of MIDI pitch ``p`` (21 = A0 ... 108 = C8) sounds at
quarter-note beat ``k``, i.e. ``offset <= k < offset + quarterLength`` for one of the notes
of the flattened score (every part, chords included, grace notes excluded); ``k = 0, 1, ...,
ceil(duration) - 1`` counts quarter notes from the score's first offset. Notes that sound
only between two beats (passing eighths) are not seen -- the quarter-note resolution of
Boulanger-Lewandowski et al. (2012).

**Split** (deterministic, stable when the corpus grows): a chorale goes to ``test`` when the
first byte of ``sha1(its corpus name, e.g. "bach/bwv269")`` modulo 5 is 4, to ``valid``
when it is 3, else to ``train`` -- 60/20/20 in expectation, as BL-2012's 229/76/77 of 382.
music21 10.5.1 gives 350 chorales (19,028 frames, 24-193 per chorale): 209 train (11,440
frames), 64 valid (3,515), 77 test (4,073).

**Relation to the benchmark JSB Chorales** (Boulanger-Lewandowski, Bengio & Vincent 2012,
used by Chung et al. 2014): theirs are 382 chorales (229/76/77) from Allan & Williams
(2005), piano rolls at quarter-note resolution too. Both are editions of Riemenschneider's
371 chorales, so the pieces overlap largely, but the counts differ (382 vs 350: the
editions treat duplicates and variants differently), the split is not theirs (their file
names no pieces, so it cannot be rebuilt), keys are as written (no transposition), and
the editions differ in details (instrumental parts, repeats). Figures on this split are therefore
comparable in kind, not to the second decimal.

Parsing the 350 MusicXML files took 100 s on the shared 2-core machine (26 s of CPU; 19 s
when music21's own parse cache is warm); the rolls are cached as one ``.npz`` in
``$SEQLAB_CACHE`` (default ``~/.cache/seqlab``; written atomically, its name holds the
music21 version, so a new music21 rebuilds it). Nothing is written inside the package.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from seqlab._cache import cache_dir
from seqlab._validation import check_choice
from seqlab.data._registry import DatasetInfo, register
from seqlab.data._types import SequenceSet
from seqlab.exceptions import MissingDependencyError, SeqlabTypeError, SeqlabValueError

__all__ = [
    "LOWEST_KEY",
    "N_KEYS",
    "SPLITS",
    "chorale_names",
    "chorale_split",
    "load_jsb_chorales",
    "piano_roll",
    "seqlab_cache_dir",
]

LOWEST_KEY = 21  # MIDI pitch of A0, the lowest piano key
N_KEYS = 88  # A0 (21) .. C8 (108)
SPLITS = ("train", "valid", "test")
_INSTALL = "pip install 'seqlab[music]'"
_CACHE_FORMAT = 2  # bump when the roll's definition changes
_NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _music21() -> Any:
    try:
        import music21
    except ImportError as exc:
        raise MissingDependencyError("music21", _INSTALL, "The JSB Chorales data set") from exc
    return music21


def seqlab_cache_dir() -> Path:
    """Folder for seqlab's derived data: ``$SEQLAB_CACHE`` or ``~/.cache/seqlab``."""
    return cache_dir()


def piano_roll(score: Any) -> np.ndarray:
    """The ``(T, 88)`` float64 0/1 piano roll of a music21 score at quarter-note beats.

    ``T = ceil(duration in quarter notes)``; row ``k`` marks the keys sounding at beat ``k``
    (see the module docstring). Pitches outside the piano raise SeqlabValueError.

    >>> from music21 import stream, note
    >>> s = stream.Stream([note.Note("C4", quarterLength=2), note.Note("A0")])
    >>> R = piano_roll(s)
    >>> R.shape, [(np.flatnonzero(r) + LOWEST_KEY).tolist() for r in R]
    ((3, 88), [[60], [60], [21]])
    """
    m21 = _music21()
    if not isinstance(score, m21.stream.Stream):
        raise SeqlabTypeError(
            f"piano_roll needs a music21 Stream (e.g. music21.corpus.parse('bach/bwv269')); "
            f"got {type(score).__name__}.")
    flat = score.flatten()
    T = math.ceil(float(flat.highestTime) - 1e-9)
    roll = np.zeros((max(T, 0), N_KEYS))
    for n in flat.notes:
        start, length = float(n.offset), float(n.quarterLength)
        if length <= 0:  # grace notes take no time
            continue
        beats = np.arange(math.ceil(start - 1e-9), math.ceil(start + length - 1e-9))
        for p in n.pitches:
            key = int(p.midi) - LOWEST_KEY
            if not 0 <= key < N_KEYS:
                raise SeqlabValueError(
                    f"pitch {p.nameWithOctave} (MIDI {p.midi}) is outside the 88 piano keys "
                    f"(MIDI 21-108); transpose the score before making a piano roll.")
            roll[beats, key] = 1.0
    return roll


def _split_of(name: str) -> int:
    """0 train, 1 valid, 2 test: the first byte of sha1(name) modulo 5 (3 valid, 4 test)."""
    r = hashlib.sha1(name.encode("utf-8")).digest()[0] % 5
    return 2 if r == 4 else 1 if r == 3 else 0


def _unique(names: Iterable[str]) -> list[str]:
    """``names`` without repeats, first occurrence kept (the iterator lists 21 files twice)."""
    return list(dict.fromkeys(names))


def _cache_path() -> Path:
    try:
        version = importlib.metadata.version("music21")
    except importlib.metadata.PackageNotFoundError as exc:
        raise MissingDependencyError("music21", _INSTALL, "The JSB Chorales data set") from exc
    return seqlab_cache_dir() / f"jsb-chorales-music21-{version}-v{_CACHE_FORMAT}.npz"


def _build() -> tuple[list[str], list[np.ndarray]]:
    m21 = _music21()
    names = _unique(str(n) for n in m21.corpus.chorales.Iterator(returnType="filename"))
    if not names:
        raise SeqlabValueError("music21's corpus holds no Bach chorales; reinstall it with "
                               f"{_INSTALL}.")
    rolls = [piano_roll(m21.corpus.parse(n)) for n in names]
    return names, rolls


def _write_atomic(path: Path, names: list[str], rolls: list[np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, names=np.array(names),
                                lengths=np.array([len(r) for r in rolls], dtype=np.int64),
                                keys=np.concatenate(rolls).astype(np.uint8))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _load_rolls() -> tuple[list[str], list[np.ndarray]]:
    path = _cache_path()
    if path.exists():
        with np.load(path) as z:
            names = [str(n) for n in z["names"]]
            bounds = np.cumsum(z["lengths"])[:-1]
            rolls = np.split(z["keys"].astype(np.float64), bounds)
        return names, rolls
    names, rolls = _build()
    _write_atomic(path, names, rolls)
    return names, rolls


def _key_names() -> tuple[str, ...]:
    return tuple(f"{_NOTE_NAMES[p % 12]}{p // 12 - 1}"
                 for p in range(LOWEST_KEY, LOWEST_KEY + N_KEYS))


def load_jsb_chorales() -> SequenceSet:
    """All Bach chorales of music21's corpus as piano rolls; ``labels`` give the split.

    One ``(T_i, 88)`` 0/1 array per chorale (keys A0..C8 as ``feature_names``), label
    0/1/2 = train/valid/test (``label_names``; rule in the module docstring), in the order
    of ``music21.corpus.chorales.Iterator()``; ``name`` lists nothing per piece, see
    :func:`chorale_names`. The first call parses the MusicXML files (~1-2 min) and caches
    the rolls (module docstring).
    """
    names, rolls = _load_rolls()
    labels = np.array([_split_of(n) for n in names], dtype=np.int64)
    return SequenceSet(rolls, labels, SPLITS, _key_names(),
                       name="JSB Chorales (music21 corpus), piano rolls at quarter notes")


def chorale_names() -> list[str]:
    """Corpus names (``"bach/bwv269"``...) of :func:`load_jsb_chorales`'s pieces, same order."""
    return _load_rolls()[0]


def chorale_split(split: Literal["train", "valid", "test"]) -> SequenceSet:
    """The chorales of one split (``"train"``, ``"valid"`` or ``"test"``)."""
    check_choice(split, "split", SPLITS)
    data = load_jsb_chorales()
    return data[data.labels == SPLITS.index(split)]


register(
    DatasetInfo("jsb-chorales", "music", load_jsb_chorales,
                "Bach chorales, piano roll over the 88 keys at quarter-note beats "
                "(label: train/valid/test)",
                "350 chorales x 88 keys",
                "music21: corpus.chorales.Iterator() (MusicXML), cached in ~/.cache/seqlab"),
)

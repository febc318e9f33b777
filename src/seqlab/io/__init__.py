"""One model file format for every family: ``seqlab.save(model, path)`` / ``seqlab.load(path)``.

- ``model_file``: :func:`save`, :func:`load`, :func:`read_header` (safetensors arrays + a
  JSON header with class, constructor arguments, versions, data/training/user metadata and
  a checksum; never pickle);
- ``registry``: the classes a file may hold; :func:`register` adds yours;
- ``atomic``: :func:`atomic_write` (temporary file in the same folder, fsync, rename), used
  for every file seqlab writes in place of a previous one (model files, checkpoints).

Names load their submodule on first use, so ``import seqlab.io`` imports neither torch nor
the model families.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("FORMAT", "FORMAT_VERSION", "ModelHeader", "load", "read_header", "save"),
                    "model_file"),
    **dict.fromkeys(("REGISTRY", "Entry", "register"), "registry"),
    **dict.fromkeys(("atomic_write", "atomic_write_text", "stale_temp_files"), "atomic"),
}
__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "REGISTRY",
    "Entry",
    "ModelHeader",
    "atomic_write",
    "atomic_write_text",
    "load",
    "read_header",
    "register",
    "save",
    "stale_temp_files",
]

if TYPE_CHECKING:
    from seqlab.io.atomic import atomic_write, atomic_write_text, stale_temp_files
    from seqlab.io.model_file import (
        FORMAT,
        FORMAT_VERSION,
        ModelHeader,
        load,
        read_header,
        save,
    )
    from seqlab.io.registry import REGISTRY, Entry, register


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seqlab.io' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"seqlab.io.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

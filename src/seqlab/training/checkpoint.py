"""Safe checkpoints: model + optimizer + RNG states + epoch in one safetensors file.

safetensors stores named tensors and a string-to-string metadata header; loading it cannot
run code (unlike pickle, which ``torch.load`` without ``weights_only`` would unpickle). The
layout of a seqlab checkpoint:

==================  ===================================================================
tensor name         content
==================  ===================================================================
``model/<key>``     ``model.state_dict()``
``optim/<i>/<k>``   tensor entries of ``optimizer.state_dict()["state"][i][k]``
``rng/<name>``      RNG states (uint8 tensors: ``torch.get_rng_state()``, generators)
``extra/<name>``    anything else the caller keeps (e.g. the best weights so far)
==================  ===================================================================

and the metadata key ``seqlab`` holds a JSON document: format version, epoch, the optimizer's
``param_groups`` and non-tensor state entries, and the caller's JSON-able ``info``. Files are
written with :func:`seqlab.io.atomic.atomic_write` (a temporary file in the same folder,
fsynced, then renamed), so a crash never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save

from seqlab.exceptions import (
    ModelFileError,
    SeqlabFileNotFoundError,
    SeqlabTypeError,
    SeqlabValueError,
)
from seqlab.io.atomic import atomic_write

__all__ = ["Checkpoint", "load_checkpoint", "save_checkpoint"]

FORMAT = "seqlab-checkpoint-1"


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` returns besides restoring the model and optimizer."""

    epoch: int
    info: dict[str, Any] = field(default_factory=dict)
    rng: dict[str, torch.Tensor] = field(default_factory=dict)
    extra: dict[str, torch.Tensor] = field(default_factory=dict)


def _tensor(t: torch.Tensor) -> torch.Tensor:
    # safetensors refuses shared or non-contiguous storage: store an independent CPU copy
    return t.detach().to("cpu").contiguous().clone()


def save_checkpoint(
    path: str | os.PathLike[str],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    epoch: int = 0,
    rng: dict[str, torch.Tensor] | None = None,
    extra: dict[str, torch.Tensor] | None = None,
    info: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically; returns its path. See the module docstring for the layout.

    >>> import torch, tempfile, os
    >>> m = torch.nn.Linear(2, 1); opt = torch.optim.SGD(m.parameters(), lr=0.1)
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
    >>> _ = save_checkpoint(path, m, opt, epoch=3, info={"note": "demo"})
    >>> m2 = torch.nn.Linear(2, 1); opt2 = torch.optim.SGD(m2.parameters(), lr=0.5)
    >>> ck = load_checkpoint(path, m2, opt2)
    >>> ck.epoch, ck.info, torch.equal(m.weight, m2.weight), opt2.param_groups[0]["lr"]
    (3, {'note': 'demo'}, True, 0.1)
    """
    tensors: dict[str, torch.Tensor] = {}
    for k, v in model.state_dict().items():
        tensors[f"model/{k}"] = _tensor(v)
    meta: dict[str, Any] = {"format": FORMAT, "epoch": int(epoch), "info": info or {}}
    if optimizer is not None:
        sd = optimizer.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for idx, state in sd["state"].items():
            for k, v in state.items():
                if isinstance(v, torch.Tensor):
                    tensors[f"optim/{idx}/{k}"] = _tensor(v)
                else:
                    scalars.setdefault(str(idx), {})[k] = v
        meta["optim"] = {"param_groups": sd["param_groups"], "scalars": scalars}
    for prefix, group in (("rng", rng), ("extra", extra)):
        for k, v in (group or {}).items():
            tensors[f"{prefix}/{k}"] = _tensor(v)
    try:
        header = json.dumps(meta)
    except TypeError as err:
        raise SeqlabTypeError(f"checkpoint info must be JSON-serialisable: {err}") from None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # temporary file in the same folder, fsync, rename; removed on failure (the bytes are
    # written by us: safetensors' save_file makes a temporary file of its own that a killed
    # process leaves behind)
    data = save(tensors, metadata={"seqlab": header})

    def write(tmp: str) -> None:
        Path(tmp).write_bytes(data)

    return atomic_write(path, write)


def _unreadable(path: Path, err: Exception) -> ModelFileError:
    """What a file safetensors cannot open actually is (its own message says "header too
    large" for a pickle)."""
    with path.open("rb") as fh:
        head = fh.read(9)
    if not head:
        what = "the file is empty"
    elif head[:1] == b"\x80" or head[:4] == b"PK\x03\x04":
        what = ("it is a pickle or torch.save file, not a safetensors checkpoint (seqlab "
                "never unpickles: that could run code)")
    elif head[8:9] == b"{":
        what = f"the file is truncated or corrupted ({str(err).splitlines()[0]})"
    else:
        what = "it is not a safetensors file"
    return ModelFileError(f"cannot read checkpoint {str(path)!r}: {what}.")


def load_checkpoint(
    path: str | os.PathLike[str],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
) -> Checkpoint:
    """Restore ``model`` (strictly) and ``optimizer`` from a checkpoint; return the rest.

    A file that is not a readable seqlab checkpoint raises :class:`ModelFileError`.
    """
    if not isinstance(path, str | os.PathLike):
        raise SeqlabTypeError(
            f"path must be a file path (str or os.PathLike); got {type(path).__name__}."
        )
    path = Path(path)
    if path.is_dir():
        raise SeqlabFileNotFoundError(f"checkpoint {str(path)!r} is a folder, not a file.")
    if not path.is_file():
        raise SeqlabFileNotFoundError(f"checkpoint {str(path)!r} does not exist.")
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            header = (f.metadata() or {}).get("seqlab")
    except Exception as err:  # safetensors' own SafetensorError and I/O errors
        raise _unreadable(path, err) from None
    if header is None:
        raise ModelFileError(f"{str(path)!r} is not a seqlab checkpoint (no 'seqlab' metadata).")
    try:
        meta = json.loads(header)
        fmt = meta.get("format")
    except (ValueError, AttributeError):
        raise ModelFileError(f"{str(path)!r}: the checkpoint's header is corrupted.") from None
    if fmt != FORMAT:
        raise ModelFileError(f"unsupported checkpoint format {fmt!r}; expected {FORMAT!r}.")
    try:
        tensors = load_file(str(path))
    except Exception as err:
        raise _unreadable(path, err) from None
    groups: dict[str, dict[str, torch.Tensor]] = {"model": {}, "rng": {}, "extra": {}}
    optim_state: dict[int, dict[str, Any]] = {}
    for name, t in tensors.items():
        prefix, rest = name.split("/", 1)
        if prefix == "optim":
            idx, key = rest.split("/", 1)
            optim_state.setdefault(int(idx), {})[key] = t
        else:
            groups[prefix][rest] = t
    try:
        model.load_state_dict(groups["model"])
    except RuntimeError as err:  # missing/unexpected keys, shape mismatches
        detail = " ".join(str(err).split())
        raise ModelFileError(
            f"checkpoint {str(path)!r} does not fit this model; build the model with the "
            f"settings it was saved with ({detail[:300]})"
        ) from None
    if optimizer is not None:
        if "optim" not in meta:
            raise SeqlabValueError(f"{str(path)!r} holds no optimizer state.")
        for idx, entries in meta["optim"]["scalars"].items():
            optim_state.setdefault(int(idx), {}).update(entries)
        param_groups = meta["optim"]["param_groups"]
        for g in param_groups:  # JSON turned tuples into lists
            if isinstance(g.get("betas"), list):
                g["betas"] = tuple(g["betas"])
        optimizer.load_state_dict({"state": optim_state, "param_groups": param_groups})
    return Checkpoint(int(meta["epoch"]), meta.get("info", {}), groups["rng"], groups["extra"])

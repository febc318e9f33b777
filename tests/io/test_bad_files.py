"""Every way a model file can be bad raises ModelFileError saying what is wrong, and a failed
load changes nothing: not the file, not the folder, not numpy's or torch's random state."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.numpy import save_file

import seqlab
from seqlab.classical import AR, ARIMA
from seqlab.exceptions import ModelFileError, SeqlabFileNotFoundError
from seqlab.io._codec import DTYPE_CODES
from seqlab.io._format import checksum
from seqlab.recurrent import RNNLayer


def _ar():
    x = np.sin(np.arange(120) / 4.0) + np.random.default_rng(0).normal(0, 0.1, 120)
    return AR(2).fit(x)


def _parts(path):
    with safe_open(str(path), framework="numpy") as f:
        meta = dict(f.metadata())
        arrays = {k: f.get_tensor(k) for k in f.keys()}
    return json.loads(meta["seqlab_model"]), arrays, meta


def _write(path, doc, arrays, *, header=None, digest="fix", extra_meta=None):
    """A file as seqlab.save would write it, after an edit (checksum recomputed: only the
    edit is wrong) -- or with ``digest`` given / None."""
    text = header if header is not None else json.dumps(doc)
    meta = {"seqlab_model": text, **(extra_meta or {})}
    if digest == "fix":
        digest = checksum(text, [(k, DTYPE_CODES[a.dtype.name], a.shape,
                                  a.reshape(-1).view("u1")) for k, a in arrays.items()])
    if digest is not None:
        meta["seqlab_sha256"] = digest
    save_file(arrays, str(path), metadata=meta)


def case_empty(tmp, good):
    (tmp / "f").write_bytes(b"")


def case_truncated_length(tmp, good):
    (tmp / "f").write_bytes(good.read_bytes()[:5])


def case_truncated_header(tmp, good):
    (tmp / "f").write_bytes(good.read_bytes()[:60])


def case_truncated_data(tmp, good):
    (tmp / "f").write_bytes(good.read_bytes()[:-9])


def case_text(tmp, good):
    (tmp / "f").write_text("startprob_ = [0.5 0.5]\ntransmat_ = ...\n")


def case_npz(tmp, good):
    with open(tmp / "f", "wb") as fh:
        np.savez(fh, startprob_=np.ones(2) / 2)


def case_npy(tmp, good):
    with open(tmp / "f", "wb") as fh:
        np.save(fh, np.ones(3))


def case_pickle(tmp, good):
    (tmp / "f").write_bytes(pickle.dumps({"model": [1, 2, 3]}))


def case_bad_safetensors_json(tmp, good):
    body = b'{"__metadata__": {"seqlab_model": oops}}'
    (tmp / "f").write_bytes(len(body).to_bytes(8, "little") + body)


def case_bad_model_json(tmp, good):
    doc, arrays, _ = _parts(good)
    _write(tmp / "f", doc, arrays, header=json.dumps(doc)[:-7])


def case_flipped_data_byte(tmp, good):
    raw = bytearray(good.read_bytes())
    raw[-20] ^= 0x01
    (tmp / "f").write_bytes(bytes(raw))


def case_edited_header(tmp, good):
    doc, arrays, meta = _parts(good)
    doc["model"]["params"]["order"] = 3
    _write(tmp / "f", doc, arrays, digest=meta["seqlab_sha256"])


def case_no_checksum(tmp, good):
    doc, arrays, _ = _parts(good)
    _write(tmp / "f", doc, arrays, digest=None)


def case_unknown_class(tmp, good):
    doc, arrays, _ = _parts(good)
    doc["class"] = doc["model"]["__object__"] = "os.system"
    _write(tmp / "f", doc, arrays)


def case_newer_format(tmp, good):
    doc, arrays, _ = _parts(good)
    doc["format_version"] = 2
    _write(tmp / "f", doc, arrays)


def case_missing_tensor(tmp, good):
    doc, arrays, _ = _parts(good)
    del arrays["model/params_"]
    _write(tmp / "f", doc, arrays)


def case_extra_tensor(tmp, good):
    doc, arrays, _ = _parts(good)
    arrays["payload"] = np.zeros(3)
    _write(tmp / "f", doc, arrays)


def case_not_seqlab(tmp, good):
    save_file({"weight": np.ones((2, 2))}, str(tmp / "f"))


def case_appended(tmp, good):
    (tmp / "f").write_bytes(good.read_bytes() + b"\0" * 16)


def case_unknown_dtype(tmp, good):
    from safetensors.torch import save_file as save_torch

    save_torch({"w": torch.zeros(2, dtype=torch.bfloat16)}, str(tmp / "f"),
               metadata={"seqlab_model": "{}"})


def case_malformed_value(tmp, good):
    doc, arrays, _ = _parts(good)
    doc["model"]["state"]["sigma2_"] = {"__lambda__": "import os"}
    _write(tmp / "f", doc, arrays)


def case_wrong_args(tmp, good):
    seqlab.save(RNNLayer(3, 4, cell="gru"), tmp / "layer")
    doc, arrays, _ = _parts(tmp / "layer")
    (tmp / "layer").unlink()
    doc["model"]["args"]["hidden_size"] = 5
    _write(tmp / "f", doc, arrays)


def case_refused_args(tmp, good):
    seqlab.save(RNNLayer(3, 4, cell="gru"), tmp / "layer")
    doc, arrays, _ = _parts(tmp / "layer")
    (tmp / "layer").unlink()
    doc["model"]["args"]["cell"] = "transformer"
    _write(tmp / "f", doc, arrays)


def case_other_model(tmp, good):
    (tmp / "f").write_bytes(good.read_bytes())


CASES = {
    case_empty: "empty",
    case_truncated_length: "truncated",
    case_truncated_header: "truncated",
    case_truncated_data: "truncated",
    case_text: "not a safetensors file",
    case_npz: "zip archive",
    case_npy: r"\.npy",
    case_pickle: "pickle",
    case_bad_safetensors_json: "not valid JSON",
    case_bad_model_json: "'seqlab_model' header is not valid JSON",
    case_flipped_data_byte: "corrupted: its checksum",
    case_edited_header: "corrupted: its checksum",
    case_no_checksum: "no 'seqlab_sha256' checksum",
    case_unknown_class: "'os.system', which is not a class seqlab can load",
    case_newer_format: "format 2; this seqlab .* reads format 1 .*Upgrade",
    case_missing_tensor: "refers to tensor 'model/params_', which the file does not hold",
    case_extra_tensor: r"holds tensors its header does not use \(\['payload'\]\)",
    case_not_seqlab: "not a seqlab model file",
    case_appended: "16 bytes after its last tensor",
    case_unknown_dtype: "dtype 'BF16'",
    case_malformed_value: "malformed.*unknown tag '__lambda__'",
    case_wrong_args: "shapes do not fit RNNLayer",
    case_refused_args: "RNNLayer refused the stored arguments: unknown cell 'transformer'",
    case_other_model: "holds a model of class AR, not ARIMA",
}


@pytest.mark.parametrize("make", list(CASES), ids=lambda f: f.__name__[5:])
def test_bad_file_raises_model_file_error_and_changes_nothing(tmp_path, make):
    good = tmp_path / "good"
    seqlab.save(_ar(), good)
    make(tmp_path, good)
    target = tmp_path / "f"
    content = target.read_bytes()
    listing = sorted(p.name for p in tmp_path.iterdir())
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    torch_state = torch.get_rng_state()
    with pytest.raises(ModelFileError, match=CASES[make]) as info:
        seqlab.load(target, expect=ARIMA if make is case_other_model else None)
    assert str(target) in str(info.value)  # the message names the file
    assert target.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == listing
    assert np.array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_bad_header_is_reported_by_read_header_too(tmp_path):
    case_newer_format(tmp_path, seqlab.save(_ar(), tmp_path / "good"))
    with pytest.raises(ModelFileError, match="format 2"):
        seqlab.read_header(tmp_path / "f")


def test_missing_file_and_folder_are_not_found_errors(tmp_path):
    with pytest.raises(SeqlabFileNotFoundError, match="does not exist"):
        seqlab.load(tmp_path / "nope")
    with pytest.raises(SeqlabFileNotFoundError, match="not a file"):
        seqlab.load(tmp_path)

"""The values a model file stores come back exactly (type, dtype, bits, memory order); values
it cannot store are refused when saving, naming the attribute; the safetensors package reads
seqlab's files; read_header; importing seqlab / seqlab.io stays cheap."""

from __future__ import annotations

import math
import subprocess
import sys
import types

import numpy as np
import pytest
import scipy.sparse
import torch
from safetensors.numpy import load_file

import seqlab
from seqlab.classical import AR
from seqlab.data import CharVocab
from seqlab.exceptions import SeqlabTypeError
from seqlab.io import registry


@pytest.fixture
def namespace_registered():
    """``types.SimpleNamespace`` as a registered plain-object class (importable by name)."""
    registry.register(types.SimpleNamespace, "test.Namespace", "object")
    yield
    registry.REGISTRY.pop("test.Namespace")
    registry._BY_DEFINITION.pop(("types", "SimpleNamespace"))


def _values():
    rng = np.random.default_rng(0)
    gen = torch.Generator().manual_seed(0)
    return {
        "nan": float("nan"), "inf": float("inf"), "ninf": -math.inf, "negzero": -0.0,
        "tenth": 0.1 + 0.2, "big": 2**80, "neg": -7, "none": None, "flag": False, "text": "ü✓",
        "f32": np.float32(1 / 3), "f16": np.float16(0.1), "i8": np.int8(-5),
        "u64": np.uint64(2**63 + 1), "npbool": np.bool_(True), "npstr": np.str_("x"),
        "npnan": np.float64("nan"),
        "tup": (1, (2.5, "a"), None), "lst": [[], {}, ()], "int_keys": {1: "a", (2, 3): "b"},
        "nested": {"a": {"b": [1, np.int64(2)]}},
        "forder": np.asfortranarray(rng.normal(size=(3, 4))), "zero_d": np.array(2.5),
        "empty": np.zeros((0, 3), dtype=np.int32), "bools": np.array([True, False]),
        "u16": np.arange(5, dtype=np.uint16), "labels": np.array(["ab", "c"]),
        "big_endian": np.arange(3, dtype=">f8"), "strided": np.arange(12.0)[::2],
        "t64": torch.randn(3, dtype=torch.float64, generator=gen),
        "bf16": torch.randn(4, generator=gen).to(torch.bfloat16),
        "param": torch.nn.Parameter(torch.ones(2), requires_grad=False),
        "mt": np.random.Generator(np.random.MT19937(5)), "pcg": np.random.default_rng(3),
        "csc": scipy.sparse.csc_matrix(rng.normal(size=(4, 3)) * (rng.random((4, 3)) < 0.5)),
        "csr": scipy.sparse.random_array((5, 5), density=0.3, format="csr", rng=1),
        "vocab": CharVocab("ab", unknown="?"),
    }


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) ==
                                                      math.copysign(1, b))
    if isinstance(a, np.ndarray):
        fortran = a.flags.f_contiguous and not a.flags.c_contiguous
        return (a.dtype.newbyteorder("<") == b.dtype.newbyteorder("<") and a.shape == b.shape
                and b.flags.f_contiguous >= fortran
                and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and (a == b or (np.isnan(a) and np.isnan(b)))
    if isinstance(a, torch.Tensor):
        return (a.dtype == b.dtype and torch.equal(a, b) and type(a) is type(b)
                and a.requires_grad == b.requires_grad)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.random.Generator):
        return np.array_equal(a.random(5), b.random(5))
    if scipy.sparse.issparse(a):
        return all(np.array_equal(getattr(a, p), getattr(b, p)) and
                   getattr(a, p).dtype == getattr(b, p).dtype
                   for p in ("data", "indices", "indptr")) and a.shape == b.shape
    return a == b


def test_every_value_comes_back_exactly(tmp_path, namespace_registered):
    values = _values()
    seqlab.save(types.SimpleNamespace(**values), tmp_path / "ns")
    again = seqlab.load(tmp_path / "ns")
    bad = [k for k, v in _values().items() if not _same(v, getattr(again, k))]
    assert bad == []
    assert again.forder.flags.f_contiguous and again.big_endian.dtype == np.float64


@pytest.mark.parametrize("value, words", [
    (np.ones(2, dtype=complex), "complex"), (1 + 2j, "complex"), (np.complex128(1j), "complex"),
    (np.array([object()]), "object"), (lambda x: x, "function"), ({1, 2}, "set"),
    (np.longdouble(1) / 3, "extended-precision"), (scipy.sparse.coo_array(np.eye(2)), "CSR"),
])
def test_values_without_an_exact_file_form_are_refused(tmp_path, namespace_registered, value,
                                                       words):
    with pytest.raises(SeqlabTypeError, match=rf"cannot save model/inner/bad: .*{words}"):
        seqlab.save(types.SimpleNamespace(inner={"bad": value}), tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_safetensors_package_reads_seqlab_files_and_read_header(tmp_path):
    x = np.sin(np.arange(100) / 3.0)
    model = AR(2, method="burg").fit(x)
    path = seqlab.save(model, tmp_path / "ar.model", metadata={"author": "me", "score": 0.5},
                       data={"series": "sin(t/3)", "n": 100}, training={"method": "burg"})
    arrays = load_file(str(path))  # the reference reader
    assert np.array_equal(arrays["model/params_"], model.params_)
    assert np.array_equal(arrays["model/resid_"], model.resid_)
    header = seqlab.read_header(path)
    assert header.class_name == "seqlab.classical.AR" and header.format_version == 1
    assert header.seqlab_version == seqlab.__version__
    assert header.arguments["method"] == "burg" and header.arguments["order"] == 2
    assert header.metadata == {"author": "me", "score": 0.5}
    assert header.data == {"series": "sin(t/3)", "n": 100}
    assert header.training == {"method": "burg"}
    assert header.tensors["model/params_"] == ("F64", (2,))
    assert header.size_bytes == path.stat().st_size


def test_import_seqlab_and_seqlab_io_stay_cheap():
    code = ("import sys, seqlab, seqlab.io; "
            "print(sorted(m for m in ('torch', 'seqlab.classical', 'seqlab.io.model_file', "
            "'safetensors') if m in sys.modules)); seqlab.save; "
            "print('seqlab.io.model_file' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[:2] == ["[]", "True False"]

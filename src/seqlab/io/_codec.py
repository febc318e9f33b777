"""Python values <-> a JSON document plus named arrays (the two halves of a model file).

JSON carries everything small and exactly: ``None``, ``bool``, ``int``, ``str``, lists and
``float`` (Python writes the shortest repr that reads back to the same bits). Everything else
is a one-key tagged object:

=================================  ==========================================================
tag                                value
=================================  ==========================================================
``{"__float__": "nan"}``           NaN and +-inf (kept out of JSON numbers)
``{"__scalar__": dtype, ...}``     a numpy scalar (``np.float64(0.5)`` stays ``np.float64``)
``{"__tuple__": [...]}``           a tuple
``{"__dict__": {...}}``            a dict with str keys; ``__items__``: any other keys
``{"__array__": name}``            a numpy array stored as tensor ``name`` (``"order": "F"``
                                   when it was Fortran-ordered)
``{"__strarray__": dtype, ...}``   a numpy array of strings (class labels)
``{"__tensor__": name}``           a torch tensor / parameter
``{"__sparse__": format, ...}``    a scipy CSR/CSC matrix or array (data, indices, indptr)
``{"__generator__": name, ...}``   a ``numpy.random.Generator`` and its bit generator's state
``{"__object__": name, ...}``      an instance of a registered class (:mod:`.registry`)
=================================  ==========================================================

Nothing else is accepted: a value of another type is refused when saving, with its attribute
path in the message. Nothing here can run code named by a file (no pickle, no imports other
than registered classes).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from seqlab.exceptions import ModelFileError, SeqlabTypeError
from seqlab.io.registry import Entry, entry_for, lookup

__all__ = ["DTYPE_CODES", "Decoder", "Encoder"]

#: numpy dtype name -> safetensors dtype code (the dtypes a file may hold)
DTYPE_CODES = {
    "float64": "F64", "float32": "F32", "float16": "F16",
    "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8",
    "uint64": "U64", "uint32": "U32", "uint16": "U16", "uint8": "U8", "bool": "BOOL",
}  # fmt: skip
_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
_SPARSE = ("csr_array", "csr_matrix", "csc_array", "csc_matrix")


def _float(x: float) -> Any:
    if math.isfinite(x):
        return x
    return {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


class Encoder:
    """Encode values into JSON-able form, collecting arrays in :attr:`arrays`."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _add(self, path: str, arr: np.ndarray) -> str:
        name, i = path, 1
        while name in self.arrays:
            name, i = f"{path}#{i}", i + 1
        self.arrays[name] = arr
        return name

    def _refuse(self, value: Any, path: str, why: str = "") -> SeqlabTypeError:
        return SeqlabTypeError(
            f"cannot save {path}: a {type(value).__module__}.{type(value).__qualname__} "
            f"{why or 'is not a type a model file stores'}. Model files hold numbers, strings, "
            "numpy arrays, torch tensors, lists/tuples/dicts of them and registered seqlab "
            "classes (see seqlab.io.register); never pickle."
        )

    def encode(self, value: Any, path: str) -> Any:
        """The JSON-able form of ``value`` (``path`` names it in errors and tensor names)."""
        if isinstance(value, np.ndarray):
            return self._array(value, path)
        if isinstance(value, np.generic):
            return self._scalar(value, path)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return str(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return _float(float(value))
        if isinstance(value, tuple | list):
            items = [self.encode(v, f"{path}/{i}") for i, v in enumerate(value)]
            return {"__tuple__": items} if isinstance(value, tuple) else items
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value):
                return {"__dict__": {k: self.encode(v, f"{path}/{k}") for k, v in value.items()}}
            return {"__items__": [[self.encode(k, f"{path}/key{i}"),
                                   self.encode(v, f"{path}/{i}")]
                                  for i, (k, v) in enumerate(value.items())]}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            return self._tensor(value, path)
        if isinstance(value, np.random.Generator):
            bitgen = type(value.bit_generator).__name__
            if bitgen not in _GENERATORS:
                raise self._refuse(value, path, f"uses the bit generator {bitgen}")
            return {"__generator__": bitgen,
                    "state": self.encode(value.bit_generator.state, f"{path}/state")}
        scipy_sparse = sys.modules.get("scipy.sparse")
        if scipy_sparse is not None and scipy_sparse.issparse(value):
            fmt = type(value).__name__
            if fmt not in _SPARSE:
                raise self._refuse(value, path, "is a sparse format other than CSR/CSC")
            return {"__sparse__": fmt, "shape": list(value.shape),
                    **{part: self._array(getattr(value, part), f"{path}/{part}")
                       for part in ("data", "indices", "indptr")}}
        entry = entry_for(value)
        if entry is not None:
            return self.encode_object(value, entry, path)
        raise self._refuse(value, path)

    def _scalar(self, value: np.generic, path: str) -> Any:
        dtype = value.dtype
        if dtype.kind in "iub":
            return {"__scalar__": dtype.name, "value": value.item()}
        if dtype.kind == "f" and dtype.name in DTYPE_CODES:
            return {"__scalar__": dtype.name, "value": _float(float(value))}
        if dtype.kind == "U":
            return {"__scalar__": "str_", "value": str(value)}
        raise self._refuse(value, path, f"(dtype {dtype}) has no exact file form (complex "
                                        "and extended-precision numbers are not stored)")

    def _array(self, value: np.ndarray, path: str) -> Any:
        dtype = value.dtype
        if dtype.kind == "U":
            return {"__strarray__": dtype.str, "shape": list(value.shape),
                    "values": value.ravel().tolist()}
        if dtype.name not in DTYPE_CODES:
            raise self._refuse(value, path, f"has dtype {dtype}, which a model file cannot hold "
                                            "(complex, object and string arrays are refused)")
        ref: dict[str, Any] = {}
        arr = value
        if arr.ndim > 1 and arr.flags.f_contiguous and not arr.flags.c_contiguous:
            arr, ref["order"] = arr.T, "F"  # keep the memory layout (BLAS results depend on it)
        arr = np.asarray(arr, dtype=dtype.newbyteorder("<"), order="C")  # (0-d stays 0-d)
        return {"__array__": self._add(path, arr), **ref}

    def _tensor(self, value: Any, path: str) -> Any:
        import torch

        t = value.detach().to("cpu").contiguous()
        ref: dict[str, Any] = {}
        if t.dtype == torch.bfloat16:  # numpy has no bfloat16: stored as its 16 bits
            t, ref["dtype"] = t.view(torch.int16), "bfloat16"
        if isinstance(value, torch.nn.Parameter):
            ref["parameter"] = True
            ref["requires_grad"] = bool(value.requires_grad)
        arr = t.numpy()
        if arr.dtype.name not in DTYPE_CODES:
            raise self._refuse(value, path, f"has dtype {value.dtype}, which a model file "
                                            "cannot hold")
        return {"__tensor__": self._add(path, arr), **ref}

    def encode_object(self, value: Any, entry: Entry, path: str) -> dict[str, Any]:
        """``{"__object__": name, ...}`` for an instance of a registered class."""
        out: dict[str, Any] = {"__object__": entry.name}
        if entry.kind == "estimator":
            params = value.get_params(deep=False)
            out["params"] = {k: self.encode(v, f"{path}/params/{k}") for k, v in params.items()}
            out["state"] = {k: self.encode(v, f"{path}/{k}") for k, v in vars(value).items()
                            if k not in params}
        elif entry.kind == "object":
            out["state"] = {k: self.encode(v, f"{path}/{k}") for k, v in vars(value).items()}
        elif entry.kind == "custom":
            out["state"] = self.encode(getattr(value, str(entry.to_state))(), f"{path}/state")
        else:
            args = getattr(value, "_seqlab_init_args", None)
            if args is None:
                raise self._refuse(value, path, "did not record its constructor arguments "
                                                "(derive it from RecordsInitArgs)")
            out["args"] = {k: self.encode(v, f"{path}/args/{k}") for k, v in args.items()}
            out["training"] = bool(value.training)
            out["state_dict"] = {k: self._tensor(v, f"{path}/state_dict/{k}")
                                 for k, v in value.state_dict().items()}
        return out


class Decoder:
    """Rebuild values from their JSON form; ``array(name)`` returns a stored array (a copy)."""

    def __init__(self, array: Callable[[str], np.ndarray]) -> None:
        self.array = array

    def _bad(self, path: str, why: str) -> ModelFileError:
        return ModelFileError(f"the header's value at {path} is malformed: {why}.")

    def decode(self, doc: Any, path: str) -> Any:
        """The value ``doc`` encodes."""
        if doc is None or isinstance(doc, bool | int | float | str):
            return doc
        if isinstance(doc, list):
            return [self.decode(v, f"{path}/{i}") for i, v in enumerate(doc)]
        if not isinstance(doc, dict) or not doc:
            raise self._bad(path, f"unexpected {type(doc).__name__}")
        tag = next(iter(doc))
        try:
            return self._tagged(tag, doc, path)
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            raise self._bad(path, f"{tag}: {type(err).__name__}: {err}") from None

    def _tagged(self, tag: str, doc: dict[str, Any], path: str) -> Any:
        if tag == "__float__":
            return float(doc[tag])
        if tag == "__scalar__":
            value = self.decode(doc["value"], path)
            return np.str_(value) if doc[tag] == "str_" else np.dtype(doc[tag]).type(value)
        if tag == "__tuple__":
            return tuple(self.decode(v, f"{path}/{i}") for i, v in enumerate(doc[tag]))
        if tag == "__dict__":
            return {k: self.decode(v, f"{path}/{k}") for k, v in doc[tag].items()}
        if tag == "__items__":
            return {self.decode(k, f"{path}/key{i}"): self.decode(v, f"{path}/{i}")
                    for i, (k, v) in enumerate(doc[tag])}
        if tag == "__array__":
            arr = self.array(doc[tag])
            return arr.T if doc.get("order") == "F" else arr
        if tag == "__strarray__":
            return np.array(doc["values"], dtype=np.dtype(doc[tag])).reshape(doc["shape"])
        if tag == "__tensor__":
            return self._tensor(doc)
        if tag == "__sparse__":
            return self._sparse(doc, path)
        if tag == "__generator__":
            if doc[tag] not in _GENERATORS:
                raise self._bad(path, f"unknown bit generator {doc[tag]!r}")
            bitgen = getattr(np.random, doc[tag])()
            bitgen.state = self.decode(doc["state"], f"{path}/state")
            return np.random.Generator(bitgen)
        if tag == "__object__":
            return self.decode_object(doc, path)
        raise self._bad(path, f"unknown tag {tag!r}")

    def _tensor(self, doc: dict[str, Any]) -> Any:
        import torch

        t = torch.from_numpy(self.array(doc["__tensor__"]))
        if doc.get("dtype") == "bfloat16":
            t = t.view(torch.bfloat16)
        if doc.get("parameter"):
            return torch.nn.Parameter(t, requires_grad=bool(doc.get("requires_grad", True)))
        return t

    def _sparse(self, doc: dict[str, Any], path: str) -> Any:
        import scipy.sparse

        fmt = doc["__sparse__"]
        if fmt not in _SPARSE:
            raise self._bad(path, f"unknown sparse format {fmt!r}")
        parts = [self.decode(doc[p], f"{path}/{p}") for p in ("data", "indices", "indptr")]
        m = getattr(scipy.sparse, fmt)(tuple(parts), shape=tuple(doc["shape"]))
        m.indices, m.indptr = parts[1], parts[2]  # scipy may narrow the index dtype: keep it
        return m

    def decode_object(self, doc: dict[str, Any], path: str) -> Any:
        """Rebuild an instance of a registered class from ``{"__object__": name, ...}``."""
        entry, cls = lookup(doc["__object__"])
        if entry.kind == "estimator":
            params = {k: self.decode(v, f"{path}/params/{k}") for k, v in doc["params"].items()}
            obj = _construct(cls, params, path)
            obj.__dict__.update(self._state(doc, path))
            return obj
        if entry.kind == "object":
            obj = cls.__new__(cls)
            obj.__dict__.update(self._state(doc, path))
            return obj
        if entry.kind == "custom":
            state = self.decode(doc["state"], f"{path}/state")
            try:
                return getattr(cls, str(entry.from_state))(state)
            except (ValueError, TypeError) as err:
                raise self._bad(path, f"{entry.name}.{entry.from_state} refused the state: "
                                      f"{err}") from None
        if entry.kind == "module":
            from seqlab.io._modules import build_module

            args = {k: self.decode(v, f"{path}/args/{k}") for k, v in doc["args"].items()}
            state = {k: self._tensor(v) for k, v in doc["state_dict"].items()}
            return build_module(cls, args, state, bool(doc.get("training", False)), path)
        raise self._bad(path, f"unknown kind {entry.kind!r}")

    def _state(self, doc: dict[str, Any], path: str) -> dict[str, Any]:
        return {k: self.decode(v, f"{path}/{k}") for k, v in doc["state"].items()}


def _construct(cls: type, kwargs: dict[str, Any], path: str) -> Any:
    import inspect

    args: list[Any] = []
    kw: dict[str, Any] = {}
    sig = inspect.signature(cls.__init__)  # type: ignore[misc]
    known = {p.name: p for p in list(sig.parameters.values())[1:]}
    for name, value in kwargs.items():
        p = known.get(name)
        if p is None:
            raise ModelFileError(
                f"{path}: {cls.__qualname__} takes no argument {name!r} any more (the file was "
                "written by another seqlab version); use that version to load it."
            )
        if p.kind == p.POSITIONAL_ONLY:
            args.append(value)
        elif p.kind == p.VAR_POSITIONAL:
            args.extend(value)
        elif p.kind == p.VAR_KEYWORD:
            kw.update(value)
        else:
            kw[name] = value
    try:
        return cls(*args, **kw)
    except (ValueError, TypeError) as err:
        raise ModelFileError(f"{path}: {cls.__qualname__} refused the stored arguments: "
                             f"{err}") from None

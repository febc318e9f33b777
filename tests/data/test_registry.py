"""The catalogue: every registered data set loads and has the size it declares."""

import dataclasses
import importlib
import re
import shutil
import typing

import numpy as np
import pandas as pd
import pytest

import seqlab.data
from seqlab.cli.data import data_shape
from seqlab.data import DATASETS, SequenceSet, get_dataset
from seqlab.data._registry import Domain

_HAVE_TOOLS = shutil.which("espeak-ng") is not None and shutil.which("sox") is not None
_MODULES = ["classic", "weather", "stocks", "text", "dna", "speech", "images", "music", "synthetic"]


def _declared(size: str) -> list[int]:
    """'1461 days x 5 columns' -> [1461, 5]; '391,023 bp' -> [391023]; '1000 x 100-110
    steps' -> [1000, 100, 110]."""
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", size)]


def _facts(obj) -> set[int]:
    """Every size a declared number may refer to: array dimensions, the number of features
    or columns, and the shortest and longest sequence."""
    facts = set(data_shape(obj))
    if isinstance(obj, SequenceSet):
        facts |= {obj.n_features, int(obj.lengths.min()), int(obj.lengths.max())}
    elif isinstance(obj, pd.DataFrame | np.ndarray):
        facts |= set(obj.shape)
    parts = list(obj) if isinstance(obj, tuple) else []
    if dataclasses.is_dataclass(obj):
        parts = [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    for part in parts:
        name, value = part if isinstance(part, tuple) else ("", part)
        if isinstance(value, np.ndarray):
            facts |= set(value.shape)
            if name == "lengths":
                facts |= {int(value.min()), int(value.max())}
        elif isinstance(value, str):
            facts.add(len(value))
    return facts


def test_catalogue_has_every_domain_of_the_lecture():
    domains = {info.domain for info in DATASETS.values()}
    assert {"classic", "weather", "stocks", "text", "dna", "speech", "images"} <= domains
    for info in DATASETS.values():
        assert info.domain in typing.get_args(Domain)
        assert info.description and info.source and info.size
        assert _declared(info.size), f"{info.name}: size {info.size!r} has no number"


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_declared_size_matches_the_loader(name):
    if name == "spoken-digits" and not _HAVE_TOOLS:
        pytest.skip("espeak-ng and sox are not installed (apt-get install espeak-ng sox)")
    info = get_dataset(name)
    obj = info.loader()
    declared = _declared(info.size)
    # the first number is the number of items (rows, sequences, letters, records)
    assert data_shape(obj)[0] == declared[0], (
        f"{name}: declared {info.size!r} but the loader returns {data_shape(obj)[0]} items")
    facts = _facts(obj)
    for n in declared[1:]:
        assert n in facts, f"{name}: declared {info.size!r}, but {n} is none of {sorted(facts)}"


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="sunspots"):
        get_dataset("sunspot")


@pytest.mark.parametrize("module", _MODULES)
def test_public_names_are_exported(module):
    mod = importlib.import_module(f"seqlab.data.{module}")
    for name in mod.__all__:
        assert getattr(seqlab.data, name) is getattr(mod, name)


def test_register_same_entry_twice_is_a_no_op_but_a_clash_raises() -> None:
    # doctest collection executes module bodies twice; that must not break the catalogue,
    # while two different data sets under one name must still be refused.
    import dataclasses

    from seqlab.data._registry import DATASETS, register

    info = DATASETS["sunspots"]
    register(dataclasses.replace(info, loader=lambda: None))
    assert DATASETS["sunspots"] is info
    with pytest.raises(ValueError, match="registered twice"):
        register(dataclasses.replace(info, size="1 year"))

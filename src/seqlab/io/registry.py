"""The classes a seqlab model file may hold, and how each is taken apart and rebuilt.

A file names its class (``"seqlab.classical.ARIMA"``); loading imports only classes listed
here, so a file can never make seqlab run code of its choosing. Four kinds of entry:

==============  ===========================================================================
kind            stored, and rebuilt as
==============  ===========================================================================
``estimator``   ``get_params()`` and every other instance attribute (learned ``*_`` and the
                private state ``forecast``/``predict`` read); ``cls(**params)``, then the
                attributes are set back
``module``      a torch module's recorded constructor arguments (see
                :mod:`seqlab.recurrent._init_args`), ``state_dict`` and train/eval mode;
                ``cls(**args)`` then ``load_state_dict(strict=True)``
``object``      a plain object's attributes (e.g. an HMM's convergence monitor, a reservoir)
``custom``      ``obj.<to_state>()`` and ``cls.<from_state>(state)`` (e.g. ``CharVocab``'s
                ``to_dict`` / ``from_dict``)
==============  ===========================================================================

:func:`register` adds a class (your own estimator or module) to the table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal

from seqlab.exceptions import ModelFileError, SeqlabTypeError

__all__ = ["REGISTRY", "Entry", "entry_for", "lookup", "register"]

Kind = Literal["estimator", "module", "object", "custom"]


@dataclass(frozen=True)
class Entry:
    """One registered class: its public ``name`` in files and where it is defined."""

    name: str
    module: str
    qualname: str
    kind: Kind
    to_state: str | None = None  # custom: method returning a JSON-able state
    from_state: str | None = None  # custom: classmethod rebuilding from that state

    def resolve(self) -> Any:
        """Import and return the class."""
        obj: Any = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            obj = getattr(obj, part)
        return obj


def _entries() -> list[Entry]:
    est: Kind = "estimator"
    mod: Kind = "module"
    obj: Kind = "object"
    table: list[tuple[str, str, str, Kind]] = [
        ("seqlab.classical.AR", "seqlab.classical.ar", "AR", est),
        ("seqlab.classical.ARIMA", "seqlab.classical.arima", "ARIMA", est),
        ("seqlab.classical.SARIMAX", "seqlab.classical.sarimax", "SARIMAX", est),
        ("seqlab.classical.AutoARIMA", "seqlab.classical.auto_arima", "AutoARIMA", est),
        ("seqlab.classical.CategoricalHMM", "seqlab.classical.hmm_emissions", "CategoricalHMM",
         est),
        ("seqlab.classical.GaussianHMM", "seqlab.classical.hmm_gaussian", "GaussianHMM", est),
        ("seqlab.classical.GMMHMM", "seqlab.classical.hmm_gmm", "GMMHMM", est),
        ("seqlab.classical.MultinomialHMM", "seqlab.classical.hmm_multinomial",
         "MultinomialHMM", est),
        ("seqlab.classical.PoissonHMM", "seqlab.classical.hmm_poisson", "PoissonHMM", est),
        ("seqlab.classical.ConvergenceMonitor", "seqlab.classical._hmm_monitor",
         "ConvergenceMonitor", obj),
        ("seqlab.reservoir.EchoStateNetwork", "seqlab.reservoir.esn", "EchoStateNetwork", est),
        ("seqlab.reservoir.ESNClassifier", "seqlab.reservoir.esn_classifier", "ESNClassifier", est),
        ("seqlab.reservoir.Reservoir", "seqlab.reservoir._reservoir", "Reservoir", obj),
        ("seqlab.reservoir.HopfieldNetwork", "seqlab.reservoir.hopfield", "HopfieldNetwork",
         est),
        ("seqlab.data.StandardScaler", "seqlab.data.scaling", "StandardScaler", est),
        ("seqlab.pipelines.RNNForecaster", "seqlab.pipelines.forecast", "RNNForecaster", est),
        # files of the old seqlab.scale.ESNForecaster (params and mean_/rmse_/horizon_)
        # load into the unified class; listed first so new files are saved under the new name
        ("seqlab.scale.ESNForecaster", "seqlab.pipelines.esn_forecast", "ESNForecaster", est),
        ("seqlab.pipelines.ESNForecaster", "seqlab.pipelines.esn_forecast", "ESNForecaster",
         est),
        ("seqlab.applications.text.MarkovChain", "seqlab.applications.text", "MarkovChain",
         obj),
        ("seqlab.pipelines.SequenceClassifierPipeline", "seqlab.pipelines.classify",
         "SequenceClassifierPipeline", est),
    ]
    for name in ("SequenceTagger", "SequenceClassifier", "OutputFeedbackRNN"):
        table.append((f"seqlab.recurrent.{name}", "seqlab.recurrent.patterns", name, mod))
    table.append(("seqlab.recurrent.RNNLayer", "seqlab.recurrent.layers", "RNNLayer", mod))
    # the cells are defined in private modules (re-exported by seqlab.recurrent.cells); files
    # hold only the public name, so moving a class changes the module column, never the name
    for name in ("ElmanCell", "LeakyCell", "SkipCell", "JordanCell"):
        table.append((f"seqlab.recurrent.{name}", "seqlab.recurrent._cells_elman", name, mod))
    for name in ("LSTMCell", "GRUCell"):
        table.append((f"seqlab.recurrent.{name}", "seqlab.recurrent._cells_gated", name, mod))
    entries = [Entry(*row) for row in table]
    entries.append(Entry("seqlab.data.CharVocab", "seqlab.data.text", "CharVocab", "custom",
                         "to_dict", "from_dict"))
    entries.append(Entry("seqlab.data.ByteVocab", "seqlab.data.text", "ByteVocab", "custom",
                         "to_dict", "from_dict"))
    entries.append(Entry("seqlab.pipelines.TextLanguageModel", "seqlab.pipelines.text",
                         "TextLanguageModel", "estimator"))
    return entries


#: public name -> entry; :func:`register` adds to it
REGISTRY: dict[str, Entry] = {e.name: e for e in _entries()}
_BY_DEFINITION: dict[tuple[str, str], Entry] = {
    (e.module, e.qualname): e for e in REGISTRY.values()
}


def register(
    cls: type,
    name: str | None = None,
    kind: Kind | None = None,
    *,
    to_state: str | None = None,
    from_state: str | None = None,
) -> Entry:
    """Let :func:`seqlab.save` / :func:`seqlab.load` handle ``cls``; returns its entry.

    ``kind`` defaults to ``"module"`` for torch modules, ``"estimator"`` for classes with
    ``get_params`` and ``"object"`` otherwise; ``"custom"`` needs ``to_state`` and
    ``from_state`` (method names). The class must be importable by its module and name.

    >>> class Scaler:
    ...     def __init__(self):
    ...         self.mean_ = 0.0
    >>> register(Scaler, "mylib.Scaler").kind
    'object'
    >>> _ = REGISTRY.pop("mylib.Scaler")  # (the example cleans up after itself)
    """
    if kind is None:
        if any(c.__module__.startswith("torch.nn") for c in cls.__mro__[1:]):
            kind = "module"
        elif hasattr(cls, "get_params"):
            kind = "estimator"
        else:
            kind = "custom" if to_state else "object"
    if kind == "custom" and not (to_state and from_state):
        raise SeqlabTypeError("kind='custom' needs to_state and from_state method names.")
    entry = Entry(name or f"{cls.__module__}.{cls.__qualname__}", cls.__module__,
                  cls.__qualname__, kind, to_state, from_state)
    REGISTRY[entry.name] = entry
    _BY_DEFINITION[(entry.module, entry.qualname)] = entry
    return entry


def entry_for(obj: Any) -> Entry | None:
    """The entry of ``type(obj)`` (exact type, subclasses are not assumed compatible)."""
    cls = type(obj)
    return _BY_DEFINITION.get((cls.__module__, cls.__qualname__))


def lookup(name: Any) -> tuple[Entry, Any]:
    """The entry and class registered as ``name``; an unknown name is a :class:`ModelFileError`."""
    entry = REGISTRY.get(name) if isinstance(name, str) else None
    if entry is None:
        raise ModelFileError(
            f"the file holds a {name!r}, which is not a class seqlab can load (known: "
            f"{', '.join(sorted(REGISTRY))}); register it with seqlab.io.register(cls, name) "
            "before loading, or use the seqlab version that wrote the file."
        )
    try:
        return entry, entry.resolve()
    except (ImportError, AttributeError) as err:
        raise ModelFileError(f"cannot import {entry.module}.{entry.qualname} for {name!r}: "
                             f"{err}") from None

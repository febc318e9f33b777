"""Adapters to other ecosystems: seqlab's models as sktime forecasters.

``from seqlab.interop import ARIMA`` (or ``from seqlab.interop.sktime import ARIMA``)
gives an sktime ``BaseForecaster``; see :mod:`seqlab.interop.sktime`. sktime is an optional
dependency (``pip install 'seqlab[interop]'``): it is imported when an adapter is first
used, not by ``import seqlab.interop``, and a missing sktime is a
:class:`~seqlab.exceptions.MissingDependencyError` naming that command.

>>> import sys, seqlab.interop
>>> sorted(seqlab.interop.__all__)
['ARIMA', 'AutoARIMA', 'ESNForecaster', 'RNNForecaster']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> submodule that defines it (loaded on first use: it imports sktime)
_EXPORTS: dict[str, str] = dict.fromkeys(
    ("ARIMA", "AutoARIMA", "ESNForecaster", "RNNForecaster"), "sktime")
__all__ = ["ARIMA", "AutoARIMA", "ESNForecaster", "RNNForecaster"]

if TYPE_CHECKING:  # static checkers see the real objects
    from seqlab.interop.sktime import ARIMA, AutoARIMA, ESNForecaster, RNNForecaster


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seqlab.interop' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"seqlab.interop.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

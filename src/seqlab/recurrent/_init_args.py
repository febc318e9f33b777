"""Keep the arguments a module was built with, so that a model file can rebuild it.

A torch module's ``state_dict`` holds its weights but not the arguments that decide its
shape and behaviour (cell type, sizes, pooling, ...). Classes that derive from
:class:`RecordsInitArgs` keep the arguments of their outermost ``__init__`` call (defaults
filled in) in ``_seqlab_init_args``; :func:`seqlab.save` stores them and :func:`seqlab.load`
calls the constructor with them again before loading the weights.

>>> from torch import nn
>>> class Net(RecordsInitArgs, nn.Module):
...     def __init__(self, width, depth=2):
...         super().__init__()
...         self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
>>> Net(3)._seqlab_init_args
{'width': 3, 'depth': 2}
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

__all__ = ["RecordsInitArgs", "init_args"]

_FLAG = "_seqlab_recording_init"


class RecordsInitArgs:
    """Mixin: every subclass's ``__init__`` records its (outermost) call's arguments."""

    _seqlab_init_args: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_seqlab_records", False):
            return
        sig = inspect.signature(init)

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kw: Any) -> None:
            outer = not self.__dict__.get(_FLAG, False)
            if outer:
                object.__setattr__(self, _FLAG, True)
            try:
                init(self, *args, **kw)
            finally:
                if outer:
                    self.__dict__.pop(_FLAG, None)
            if outer:  # a subclass calling super().__init__ is not the call to record
                bound = sig.bind(self, *args, **kw)
                bound.apply_defaults()
                recorded = dict(bound.arguments)
                recorded.pop(next(iter(sig.parameters)))  # self
                object.__setattr__(self, "_seqlab_init_args", recorded)

        __init__._seqlab_records = True  # type: ignore[attr-defined]
        setattr(cls, "__init__", __init__)  # noqa: B010


def init_args(module: Any) -> dict[str, Any] | None:
    """The recorded constructor arguments of ``module`` (``None`` when it records none)."""
    return getattr(module, "_seqlab_init_args", None)

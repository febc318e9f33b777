"""Derive command-line flags from a typed ``@dataclass`` config (GUIDE.md §4).

A config dataclass is the single source of truth for options: each field becomes a
``--field-name`` flag with the field's type, default and ``Literal`` choices; the help text is
the field's ``metadata["help"]`` if given (``metadata["aliases"]`` adds other spellings, such
as ``--hidden`` for ``--hidden-size``). No flag is written by hand twice.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add one flag per field of dataclass ``cls`` to ``parser``.

    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Cfg:
    ...     hidden_size: int = 64  # units per layer
    ...     cell: Literal["lstm", "gru"] = "lstm"
    ...     clip: float | None = None
    ...     bidirectional: bool = False
    >>> p = argparse.ArgumentParser()
    >>> add_dataclass_arguments(p, Cfg)
    >>> dataclass_from_args(Cfg, p.parse_args(["--cell", "gru", "--clip", "1.5"]))
    Cfg(hidden_size=64, cell='gru', clip=1.5, bidirectional=False)
    """
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        default = (
            f.default
            if f.default is not dataclasses.MISSING
            else (f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        )
        help_text = f.metadata.get("help", "")
        if "default" not in help_text.lower():  # a help that explains its default keeps it
            help_text += f" (default: {default!r})"
        kwargs: dict[str, Any] = {"dest": f.name, "default": default, "help": help_text}
        origin = get_origin(tp)
        if origin in (typing.Union, types.UnionType):  # Optional[X]: take X
            inner = [a for a in get_args(tp) if a is not type(None)]
            tp = inner[0] if len(inner) == 1 else str
            origin = get_origin(tp)
        if tp is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif origin is Literal:
            choices = get_args(tp)
            kwargs["choices"] = choices
            kwargs["type"] = type(choices[0])
        elif origin in (tuple, list):
            args = [a for a in get_args(tp) if a is not Ellipsis]
            kwargs["type"] = args[0] if args else str
            kwargs["nargs"] = "+"
        else:
            kwargs["type"] = tp
        # metadata["aliases"]: extra spellings, e.g. ("--hidden",) for hidden_size
        parser.add_argument(_flag(f.name), *f.metadata.get("aliases", ()), **kwargs)


def dataclass_from_args(cls: type[T], args: argparse.Namespace) -> T:
    """Build ``cls`` from the flags :func:`add_dataclass_arguments` added."""
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = getattr(args, f.name)
        if isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)

"""The ``seqlab`` command line: argument parsing only; the work is done by the library.

Each sub-command lives in its own module of this package, exposing
``add_parser(subparsers) -> None`` that registers its parser and sets ``func`` (called with
the parsed namespace, returning an exit code). Modules are listed in ``_COMMANDS``. They
import heavy libraries (torch, numba kernels) inside ``func``, so ``seqlab --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from seqlab import __version__

# one module per sub-command group, in the order `seqlab --help` shows them
_COMMANDS: tuple[str, ...] = (
    "seqlab.cli.data",
    "seqlab.cli.arima",
    "seqlab.cli.hmm",
    "seqlab.cli.rnn",
    "seqlab.cli.train",
    "seqlab.cli.esn",
    "seqlab.cli.hopfield",
    "seqlab.cli.reproduce",
    "seqlab.cli.compare",
)


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="seqlab",
        description="Sequence modeling from AR(p) to LSTM, on real data.",
    )
    parser.add_argument("--version", action="version", version=f"seqlab {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``seqlab`` script; returns the process exit code.

    Errors the user can fix (bad input, unknown option, missing optional package) are
    printed as one message without a traceback, with exit code 2.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, ImportError, FileNotFoundError) as err:
        print(f"seqlab {args.command}: error: {err}", file=sys.stderr)
        return 2

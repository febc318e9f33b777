"""The ``seqlab`` command line: argument parsing only; the work is done by the library.

Each sub-command lives in its own module of this package, exposing
``add_parser(subparsers) -> None`` that registers its parser and sets ``func`` (called with
the parsed namespace, returning an exit code). Modules are listed in ``_COMMANDS``. They
import heavy libraries (torch, numba kernels) inside ``func``, so ``seqlab --help`` is fast.
Commands check the paths they will read and write first (:mod:`seqlab.cli._paths`), and
:func:`main` turns every failure into one line on stderr and an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from seqlab import __version__

# one module per sub-command group, in the order `seqlab --help` shows them
_COMMANDS: tuple[str, ...] = (
    "seqlab.cli.data",
    "seqlab.cli.arima",
    "seqlab.cli.hmm",
    "seqlab.cli.rnn",
    "seqlab.cli.train",
    "seqlab.cli.generate",
    "seqlab.cli.forecast",
    "seqlab.cli.forecast_many",
    "seqlab.cli.predict",
    "seqlab.cli.esn",
    "seqlab.cli.hopfield",
    "seqlab.cli.diagnose",
    "seqlab.cli.reproduce",
    "seqlab.cli.compare",
)


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (sub-parsers inherit it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"seqlab: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every sub-command registered."""
    parser = _Parser(
        prog="seqlab",
        description="Sequence modeling from AR(p) to LSTM, on real data.",
        epilog="Errors are printed as one line; --debug (anywhere on the line) shows the "
        "traceback instead.",
    )
    parser.add_argument("--version", action="version", version=f"seqlab {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an error, show the Python traceback")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def _one_line(err: BaseException) -> str:
    """The exception's message on one line (multi-line messages are joined with spaces)."""
    text = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
    return text or type(err).__name__


def _exit_code(err: BaseException) -> int:
    """2 for errors the user's input caused, 1 for failures while running."""
    from seqlab.exceptions import DivergenceError, SeqlabError

    if isinstance(err, DivergenceError):
        return 1
    return 2 if isinstance(err, SeqlabError) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``seqlab`` script; returns the process exit code.

    Every failure is one line on stderr, ``seqlab: error: <what is wrong and what to do>``:

    - exit 2: bad input or usage (a seqlab error: unknown option, bad value, missing or
      wrong-kind file, unreadable model file, missing optional package);
    - exit 1: a failure while running (a diverging model, an operating-system error such as
      a full disk, or an unexpected error, which says so and asks for ``--debug``);
    - exit 130: interrupted with Ctrl-C.

    ``--debug`` anywhere on the command line re-raises instead, with the traceback.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    cut = args_list.index("--") if "--" in args_list else len(args_list)
    debug = "--debug" in args_list[:cut]
    if debug:  # accepted after the sub-command too, where argparse would not know it
        args_list = [a for a in args_list[:cut] if a != "--debug"] + args_list[cut:]
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        args.argv = (["--debug"] if debug else []) + args_list  # for relaunching (--nproc)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 0 if args.command is None else 2
        return int(args.func(args) or 0)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        if debug:
            raise
        print("seqlab: interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `seqlab data list | head`: the reader left; say nothing
        if debug:
            raise
        sys.stdout = open(os.devnull, "w")  # Python flushes stdout at exit
        return 1
    except Exception as err:
        if debug:
            raise
        from seqlab.exceptions import SeqlabError

        if isinstance(err, SeqlabError):
            message = _one_line(err)
        elif isinstance(err, OSError):
            where = f" ({err.filename})" if err.filename else ""
            message = f"{err.strerror or _one_line(err)}{where}; check the path, its " \
                "permissions and the free space."
        else:
            message = (f"unexpected error {type(err).__name__}: {_one_line(err)} -- this is a "
                       "bug in seqlab; rerun with --debug for the traceback and report it.")
        print(f"seqlab: error: {message}", file=sys.stderr)
        return _exit_code(err)

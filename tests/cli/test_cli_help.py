"""Every subcommand's --help states each default at most once."""

from __future__ import annotations

import argparse
import re

import pytest

from seqlab.cli import build_parser


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("seqlab has no subcommands")


@pytest.mark.parametrize("name", sorted(_subparsers()))
def test_each_option_names_its_default_at_most_once(name: str) -> None:
    sub = _subparsers()[name]
    for action in sub._actions:
        text = action.help or ""
        assert len(re.findall(r"\(default", text)) <= 1, (name, action.option_strings, text)

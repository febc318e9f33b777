"""Placeholder for the `seqlab train` command: being written."""

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Not registered yet."""

"""Placeholder for the `seqlab data` command: being written."""

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Not registered yet."""

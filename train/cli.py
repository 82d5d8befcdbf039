"""The ``qawl`` command line.

Each subcommand lives in its own module under ``train/commands/`` exposing
``add_parser(subparsers)``, which registers the subcommand and sets
``func=run`` where ``run(args) -> int`` is the exit status. Command modules
import heavy libraries (torch, transformers) inside ``run`` so that
``qawl validate`` starts fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand modules, in the order ``qawl --help`` lists them
COMMANDS = (
    "validate",
    "convert",
    "build",
    "base_model",
    "trim_vocab",
    "export",
    "evaluate",
    "predict",
    "show",
    "silver",
    "corpus",
)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qawl",
        description="Named entities and attributed quotes in Arabic news.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"train.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

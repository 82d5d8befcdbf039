"""The ``qawl`` command line.

Each subcommand lives in its own module under ``train/commands/`` (``qawl.train.commands``) exposing
``add_parser(subparsers)``, which registers the subcommand and sets
``func=run`` where ``run(args) -> int`` is the exit status. Command modules
import heavy libraries (torch, transformers) inside ``run`` so that
``qawl validate`` starts fast.
"""
from __future__ import annotations

import argparse
import importlib
import os
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
    "linker",
    "show",
    "report",
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
        importlib.import_module(f"qawl.train.commands.{name}").add_parser(sub)
    return parser


def whole_number(minimum: int):
    """An argparse ``type``: a whole number of at least ``minimum`` (a batch size, a count)."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {raw!r}")
        return value

    return parse


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors that come from what the user gave (a file, a config, a checkpoint, an output path):
    reported in one line each, never as a traceback (``--debug`` shows it)."""
    from qawl.data.article import ArticleError
    from qawl.data.textio import OutputError, TextError

    from ..config import ConfigError
    from ..prediction.predict import CheckpointError

    return ArticleError, ConfigError, CheckpointError, OutputError, TextError, OSError, UnicodeError


def report(err: BaseException) -> None:
    """Print a user error: every problem of an ArticleError, else its message, one line each."""
    from qawl.data.article import ArticleError

    if isinstance(err, ArticleError):
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"qawl: {len(err.problems)} problem(s); nothing written", file=sys.stderr)
    elif isinstance(err, OSError) and err.filename:
        print(f"qawl: {err.filename}: {err.strerror or err}", file=sys.stderr)
    else:
        print(f"qawl: {err}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit status: 0 done, 1 a user error (reported in one line), 2 a usage error."""
    parser = make_parser()
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # standard output closed early by a pager or `head`
        sys.stdout = open(os.devnull, "w")  # keeps the interpreter's final flush quiet
        return 1
    except user_errors() as err:
        if args.debug:
            raise
        report(err)
        return 1
    except KeyboardInterrupt:
        print("qawl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The articles ``qawl predict`` reads: ``.txt`` files, JSONL files, standard input.

Text is read exactly as it is in the file (no newline translation: a CRLF
stays two characters), so predicted offsets point into the input file. A
JSONL input goes through the same reader as ``qawl validate``
(:func:`data.article.iter_checked`): what validates is predicted, and gold
annotations in it are ignored (they are replaced by the prediction).
"""
from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from qawl.data.article import ArticleError, Problem, check_article, iter_checked
from qawl.data.textio import TextError, decode_text, read_text

#: the name standard input goes by in problems
STDIN = "<stdin>"


def check_input(value: Any, file: str | None = None, line: int | None = None) -> list[Problem]:
    """Problems of one JSONL input to predict: the scheme's checks on all but
    ``entities`` and ``quotes`` (which the prediction replaces), so ``id``,
    ``text`` and the extra keys written back out must be sound."""
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k not in ("entities", "quotes")}
    return check_article(value, file, line)


@dataclass(frozen=True)
class InputItem:
    """One article of the inputs as read: where it is (``file``, ``line``:
    None for a ``.txt`` file or text on standard input), the article when it
    is sound, else None and its ``problems``."""

    file: str
    line: int | None
    article: dict | None
    problems: tuple[Problem, ...] = ()

    @property
    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


def iter_inputs(paths: list[str], stdin: IO[bytes] | None = None) -> Iterator[InputItem]:
    """The articles to predict, one at a time, in input order: ``.txt`` files
    (one article each, id = file name stem), JSONL files (``.gz`` too) with
    ``id`` and ``text``, or ``stdin`` (``-`` or no path: JSONL if it starts
    with ``{``, else one article with id ``stdin``).

    Memory: one line and the ids seen (an id met twice among the inputs is a
    problem of its second article). A file that cannot be read at all is one
    item with its problem.
    """
    seen: set[str] = set()
    for p in paths or ["-"]:
        for item in _iter_one(p, stdin):
            art = item.article
            if art is not None:
                if art["id"] in seen:
                    item = InputItem(item.file, item.line, None,
                                     (Problem("duplicate article id among the inputs", item.file, item.line, art["id"]),))
                seen.add(art["id"])
            yield item


def _iter_one(p: str, stdin: IO[bytes] | None) -> Iterator[InputItem]:
    try:
        if p == "-":
            yield from _iter_stdin(stdin if stdin is not None else sys.stdin.buffer)
            return
        path = Path(p)
        if path.suffix == ".txt":
            yield InputItem(str(path), None, {"id": path.stem, "text": read_text(path)})
            return
        for n, art, probs in iter_checked(path, str(path), check_input):
            yield InputItem(str(path), n or None, art, tuple(probs))
    except TextError as err:
        yield InputItem(err.file, err.line, None, (Problem(err.reason, err.file, err.line),))


def _iter_stdin(stream: IO[bytes]) -> Iterator[InputItem]:
    head = b""  # what was read to see the first character, given back below
    first = stream.read(1)
    while first and first.isspace():
        head += first
        first = stream.read(1)
    if not first:
        yield InputItem(STDIN, None, None, (Problem("standard input is empty: pipe in text or JSONL, or name input files", STDIN),))
        return
    rest = io.BufferedReader(_Prefixed(head + first, stream))
    if first == b"{":
        for n, art, probs in iter_checked(rest, STDIN, check_input):
            yield InputItem(STDIN, n or None, art, tuple(probs))
        return
    yield InputItem(STDIN, None, {"id": "stdin", "text": decode_text(rest.read(), STDIN)})


class _Prefixed(io.RawIOBase):
    """A binary stream: ``head`` then the rest of ``stream`` (what was read
    to look at the first character, given back so that offsets and line
    numbers are those of the input)."""

    def __init__(self, head: bytes, stream: IO[bytes]):
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._stream.read(len(buf))
        buf[:len(data)] = data
        return len(data)


def count_inputs(items: Iterable[InputItem], refuse: bool) -> int:
    """How many items the inputs hold (one pass, one item in memory). With
    ``refuse``, any problem among them raises :class:`ArticleError` listing
    every one (file, line, article): unreadable text, JSONL the validator
    refuses, empty standard input, an id met twice among the inputs."""
    n, problems = 0, []
    for item in items:
        n += 1
        problems += item.problems
    if problems and refuse:
        raise ArticleError(problems)
    return n

"""The articles ``qawl predict`` reads: ``.txt`` files, JSONL files, standard input.

Text is read exactly as it is in the file (no newline translation: a CRLF
stays two characters), so predicted offsets point into the input file. A
JSONL input goes through the same reader as ``qawl validate``
(:func:`data.article.checked_jsonl`): what validates is predicted, and gold
annotations in it are ignored (they are replaced by the prediction).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from qawl.data.article import ArticleError, Problem, check_article, checked_jsonl
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


def read_inputs(paths: list[str]) -> list[dict]:
    """Articles to predict from ``.txt`` files (one article each, id = file name
    stem), JSONL files with ``id`` and ``text``, or standard input (``-`` or no
    path: JSONL if it starts with ``{``, else one article with id ``stdin``).

    Raises :class:`ArticleError` listing every problem (file, line, article):
    unreadable text, JSONL the validator refuses, empty standard input, an id
    met twice among the inputs.
    """
    arts: list[dict] = []
    problems: list[Problem] = []
    for p in paths or ["-"]:
        try:
            got, probs = _read_one(p)
        except TextError as err:
            got, probs = [], [Problem(err.reason, err.file, err.line)]
        arts += got
        problems += probs
    seen: set[str] = set()
    for a in arts:
        if a["id"] in seen:
            problems.append(Problem("duplicate article id among the inputs", article=a["id"]))
        seen.add(a["id"])
    if problems:
        raise ArticleError(problems)
    return arts


def _read_one(p: str) -> tuple[list[dict], list[Problem]]:
    """The articles of one input and its problems; :class:`TextError` when it is not UTF-8 text."""
    if p == "-":
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            return [], [Problem("standard input is empty: pipe in text or JSONL, or name input files", STDIN)]
        if raw.lstrip().startswith(b"{"):
            return _valid(checked_jsonl(io.BytesIO(raw), STDIN, check_input))
        return [{"id": "stdin", "text": decode_text(raw, STDIN)}], []
    path = Path(p)
    if path.suffix == ".txt":
        return [{"id": path.stem, "text": read_text(path)}], []
    return _valid(checked_jsonl(path, str(path), check_input))


def _valid(checked: tuple[list[tuple[int, dict]], list[Problem]]) -> tuple[list[dict], list[Problem]]:
    lines, problems = checked
    return [a for _, a in lines], problems

"""The scheme's own JSON Lines, both ways; extra keys are kept as they are."""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from ..article import ArticleError, Problem, checked_jsonl
from ..textio import output_stream
from . import ConvertOptions, Note, conclude


def input_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``.jsonl``/``.jsonl.gz`` under a folder, sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz")))
    return [path]


def read(path: str | Path, options: ConvertOptions | None = None) -> tuple[list[dict], list[Note]]:
    """Read and validate articles; ids must be unique across all files.

    Returns ``(articles, [])``; raises :class:`ArticleError` listing every problem.
    """
    problems: list[Problem] = []
    located = []
    files = input_files(Path(path))
    if not files:
        problems.append(Problem("the folder holds no .jsonl or .jsonl.gz file", str(path)))
    for file in files:
        arts, probs = checked_jsonl(file)  # what `qawl validate` says of the file
        problems += probs
        located += [(art, str(file), n) for n, art in arts]
    try:
        arts = conclude(located)
    except ArticleError as err:
        problems += err.problems
    if problems:
        raise ArticleError(problems)
    return arts, []


def write(arts: Iterable[dict], out: str | Path | TextIO, options: ConvertOptions | None = None) -> list[Note]:
    """Write articles as JSONL to a path (``.gz`` compresses; written whole or not at all) or an open text stream."""
    with output_stream(out) as fh:
        for art in arts:
            fh.write(json.dumps(art, ensure_ascii=False) + "\n")
    return []

"""The articles ``qawl predict`` reads: ``.txt`` files, JSONL files, standard input."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from qawl.data.article import ArticleError, Problem, check_article
from qawl.data.textio import open_text


def read_inputs(paths: list[str]) -> list[dict]:
    """Articles to predict from ``.txt`` files (one article each, id = file name
    stem), JSONL files with ``id`` and ``text``, or standard input (``-`` or no
    path: JSONL if it starts with ``{``, else one article with id ``stdin``)."""
    arts: list[dict] = []
    problems: list[Problem] = []
    for p in paths or ["-"]:
        if p == "-":
            raw = sys.stdin.read()
            if raw.lstrip().startswith("{"):
                arts += _jsonl_articles(raw.splitlines(), "<stdin>", problems)
            else:
                arts.append({"id": "stdin", "text": raw})
            continue
        path = Path(p)
        if path.suffix == ".txt":
            arts.append({"id": path.stem, "text": path.read_text(encoding="utf-8")})
        else:
            with open_text(path) as fh:
                arts += _jsonl_articles(fh, str(path), problems)
    seen: set[str] = set()
    for a in arts:
        if a["id"] in seen:
            problems.append(Problem("duplicate article id among the inputs", article=a["id"]))
        seen.add(a["id"])
    if problems:
        raise ArticleError(problems)
    return arts


def _jsonl_articles(lines, name: str, problems: list[Problem]) -> list[dict]:
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(Problem(f"malformed JSON: {err.msg}", name, n))
            continue
        bad = [p for p in check_article(obj, name, n) if p.what is None]  # id/text problems only
        if bad:
            problems += bad
            continue
        out.append(obj)
    return out

"""Silver articles: the quote rules run over the ANT corpus or over native JSONL.

A silver article from the ANT corpus keeps the corpus keys ``id, text,
source, category, title, url, time``, has ``entities: null`` (the entity layer is
not annotated by the rules) and the rules' ``quotes``. Articles given in the
scheme's own form keep everything but their quotes, which the rules replace
(using the article's entities for SOURCE when it has them).

Evaluation articles must never reach silver data: :func:`read_ids` collects
the ids to leave out from stand-off records, splits files, JSONL, JSON or
plain id lists, and :func:`default_exclusions` names the project's own gold
corpus and its splits.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..textio import open_text
from ..article import ArticleError, Problem, check_article
from ..quote_rules import annotate_quotes

#: keys of an ANT line kept in a silver article (``text`` among them; ``time`` dates it in ``qawl report``)
ANT_KEYS: tuple[str, ...] = ("id", "text", "source", "category", "title", "url", "time")
#: the project's gold corpus and splits, relative to the ``data`` package
_GOLD = ("ant_quotes/gold", "ant_quotes/splits.json")

Annotator = Callable[..., list[dict]]


def default_exclusions() -> list[Path]:
    """The gold stand-off folder and the splits file of this project (those that exist)."""
    root = Path(__file__).resolve().parents[1]
    return [root / p for p in _GOLD if (root / p).exists()]


def _ids_of_json(value: Any) -> set[str]:
    """Ids in a parsed JSON file: a list of ids or of objects with ``id``, or an
    object of such lists (a splits file: ``{"train": [...], "dev": [...]}``)."""
    out: set[str] = set()
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return {value["id"]}
    items = value.values() if isinstance(value, dict) else [value]
    for item in items:
        if not isinstance(item, list):
            continue
        for x in item:
            if isinstance(x, str):
                out.add(x)
            elif isinstance(x, dict) and isinstance(x.get("id"), str):
                out.add(x["id"])
    return out


def read_ids(path: str | Path) -> set[str]:
    """Every article id named by ``path``.

    A folder: every ``.jsonl``, ``.jsonl.gz`` and ``.json`` file in it. A
    ``.jsonl`` file: the ``id`` of each line. A ``.json`` file: see
    :func:`_ids_of_json`. Any other file: one id per non-blank line. Raises
    :class:`ArticleError` naming the file and line of anything unreadable.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz", ".json")))
        return set().union(*(read_ids(p) for p in files)) if files else set()
    if not path.exists():
        raise ArticleError([Problem("no such file or folder", str(path))])
    if path.name.endswith(".json"):
        try:
            return _ids_of_json(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as err:
            raise ArticleError([Problem(f"malformed JSON: {err.msg}", str(path), err.lineno)]) from None
    ids: set[str] = set()
    problems: list[Problem] = []
    jsonl = path.name.endswith((".jsonl", ".jsonl.gz"))
    with open_text(path) as fh:
        for n, raw in enumerate(fh, 1):
            raw = raw.strip()
            if not raw:
                continue
            if not jsonl:
                ids.add(raw)
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as err:
                problems.append(Problem(f"malformed JSON: {err.msg} at column {err.colno}", str(path), n))
                continue
            if not isinstance(value, dict) or not isinstance(value.get("id"), str):
                problems.append(Problem("line has no string 'id'", str(path), n))
                continue
            ids.add(value["id"])
    if problems:
        raise ArticleError(problems)
    return ids


def iter_corpus(corpus: str | Path) -> Iterator[tuple[int, dict]]:
    """``(line number, ANT record)`` for each line of the corpus, streaming.

    Raises :class:`ArticleError` at the first line that is not a JSON object
    with a string ``id`` and ``text`` (naming the file and line).
    """
    corpus = Path(corpus)
    with open_text(corpus) as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except json.JSONDecodeError as err:
                message = f"malformed JSON: {err.msg} at column {err.colno}"
                raise ArticleError([Problem(message, str(corpus), n)]) from None
            aid = rec.get("id") if isinstance(rec, dict) else None
            if not isinstance(aid, str) or not isinstance(rec.get("text"), str):
                raise ArticleError([Problem("an ANT line needs a string 'id' and 'text'", str(corpus), n,
                                            aid if isinstance(aid, str) else None)])
            yield n, rec


def silver_from_record(rec: dict, annotate: Annotator = annotate_quotes) -> dict:
    """A silver article from one ANT record: its corpus keys, ``entities: null``, the rules' quotes."""
    art = {k: rec.get(k) for k in ANT_KEYS}
    art["entities"] = None
    art["quotes"] = annotate(rec["text"])
    return art


def silver_from_article(art: dict, annotate: Annotator = annotate_quotes) -> dict:
    """An article in the scheme's form with its quotes replaced by the rules'."""
    out = dict(art)
    out["quotes"] = annotate(art["text"], art.get("entities"))
    return out


def checked(art: dict, file: str | None = None, line: int | None = None) -> dict:
    """``art`` itself; raises :class:`ArticleError` if it breaks the scheme."""
    problems = check_article(art, file, line)
    if problems:
        raise ArticleError(problems)
    return art


def silver_corpus(corpus: str | Path, exclude: set[str], limit: int | None = None,
                  annotate: Annotator = annotate_quotes, counts: dict | None = None) -> Iterator[dict]:
    """Silver articles of every ANT line whose id is not in ``exclude``, in corpus order.

    Stops after ``limit`` articles when given. ``counts`` (when given) is
    updated with ``read``, ``excluded`` and ``written``.
    """
    counts = counts if counts is not None else {}
    for key in ("read", "excluded", "written"):
        counts.setdefault(key, 0)
    for n, rec in iter_corpus(corpus):
        if limit is not None and counts["written"] >= limit:
            return
        counts["read"] += 1
        if rec["id"] in exclude:
            counts["excluded"] += 1
            continue
        counts["written"] += 1
        yield checked(silver_from_record(rec, annotate), str(corpus), n)


def silver_articles(arts: Iterable[dict], annotate: Annotator = annotate_quotes,
                    source: str | None = None) -> Iterator[dict]:
    """Native articles with their quotes replaced, each checked against the scheme."""
    for art in arts:
        yield checked(silver_from_article(art, annotate), source)

"""Stand-off annotations of ANT articles: reading, joining with the corpus, fixed splits.

A stand-off record is one JSON line holding an article's annotations without
its text::

    {"id": "AL-economy-825-20180613", "sha256": "<hex digest of the UTF-8 text>",
     "source": "alarabia", "category": "economy", "entities": [...], "quotes": [...]}

Offsets point into the ``text`` field of the same id in the ANT corpus
(gzip JSON Lines, ``id, source, category, title, url, time, abstract, text``).
Joining checks that the corpus text is the one annotated (same SHA-256) and
validates the result against the scheme; every problem is reported with the
record's file, line and article id.

A *records path* is a JSONL file or a folder of them (``data/ant_quotes/gold``:
every ``*.jsonl`` in it, in natural name order, which is annotation order).
Appending ``#train``, ``#dev`` or ``#test`` to it keeps the articles of that
split only (``data/ant_quotes/gold#dev``), so a training config can name each
split as one path.

Splits are fixed by article: ``splits.json`` lists the ids of each split and an
id once listed never moves. Ids not listed yet are placed by
:func:`assign_splits`: per source, the articles in annotation order are cut in
blocks of five, one of each block going to dev, one to test and three to
train; which position gets which is drawn from the SHA-256 of the block's
first id. An article's split therefore depends only on the records annotated
before it, so articles appended later (a growing batch) never change where
earlier ones fall, whether or not ``splits.json`` has been rewritten since.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from .textio import numbered_lines, read_text, write_text
from .article import ArticleError, Problem, check_article, iter_jsonl, json_type, parse_json, write_articles

ANT_QUOTES = Path(__file__).resolve().parent / "ant_quotes"
GOLD_DIR = ANT_QUOTES / "gold"
SPLITS_FILE = ANT_QUOTES / "splits.json"

SPLIT_NAMES: tuple[str, ...] = ("train", "dev", "test")
#: splits of one block, before its positions are shuffled: 20% dev, 20% test, 60% train
BLOCK: tuple[str, ...] = ("dev", "test", "train", "train", "train")
#: keys of a joined article taken from the ANT line (besides ``text``)
CORPUS_EXTRAS: tuple[str, ...] = ("title", "url")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_LINE_ID = re.compile(r'\{\s*"id"\s*:\s*"((?:[^"\\]|\\.)*)"')
_SPLIT_SUFFIX = re.compile(r"^(.*)#(\w+)$")


@dataclasses.dataclass(frozen=True)
class Record:
    """One stand-off line and where it was read."""

    value: dict
    file: str
    line: int

    @property
    def id(self) -> str:
        return self.value["id"]


# --- records -------------------------------------------------------------------

def _natural_key(path: Path) -> list:
    return [int(bit) if bit.isdigit() else bit for bit in re.split(r"(\d+)", path.name)]


def record_files(path: str | Path) -> list[Path]:
    """The JSONL files of a records path: the file itself, or a folder's ``*.jsonl`` in natural order."""
    path = Path(path).expanduser()
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz"))), key=_natural_key)
        if not files:
            raise FileNotFoundError(f"{path}: folder holds no .jsonl files")
        return files
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    return [path]


def check_record(value: object, file: str, line: int) -> list[Problem]:
    """Every problem of one stand-off line's form (spans are checked after joining)."""
    if not isinstance(value, dict):
        return [Problem(f"a record must be a JSON object, got {json_type(value)}", file, line)]
    aid = value.get("id")
    if not isinstance(aid, str) or not aid:
        return [Problem(f"'id' must be a non-empty string, got {aid!r}", file, line)]
    out = []
    if "text" in value:
        out.append(Problem("a stand-off record must not carry 'text' (it comes from the corpus)", file, line, aid))
    digest = value.get("sha256")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        out.append(Problem(f"'sha256' must be 64 lowercase hex digits, got {digest!r}", file, line, aid))
    for key in ("source", "category"):
        if not isinstance(value.get(key), str) or not value[key]:
            out.append(Problem(f"{key!r} must be a non-empty string, got {value.get(key)!r}", file, line, aid))
    for key in ("entities", "quotes"):
        if value.get(key) is not None and not isinstance(value[key], list):
            out.append(Problem(f"{key!r} must be a list or null, got {type(value[key]).__name__}", file, line, aid))
    return out


def read_records(path: str | Path) -> tuple[list[Record], list[Problem]]:
    """All well-formed records of a records path (annotation order) and every problem.

    An id met twice (in one file or across files) is a problem naming both places.
    """
    records: list[Record] = []
    problems: list[Problem] = []
    first: dict[str, Record] = {}
    for file in record_files(path):
        lines = 0
        for n, value, probs in iter_jsonl(file):
            lines += 1
            if probs:
                problems += probs
                continue
            probs = check_record(value, str(file), n)
            if probs:
                problems += probs
                continue
            rec = Record(value, str(file), n)
            seen = first.setdefault(rec.id, rec)
            if seen is not rec:
                problems.append(Problem(f"duplicate id (first at {seen.file}:{seen.line})", rec.file, n, rec.id))
                continue
            records.append(rec)
        if not lines:
            problems.append(Problem("the file holds no record (it is empty or blank)", str(file)))
    return records, problems


# --- the corpus ----------------------------------------------------------------

def _json_string(body: str) -> str | None:
    """The value of a JSON string literal's body; None when it does not decode."""
    try:
        return json.loads(f'"{body}"')
    except json.JSONDecodeError:
        return None


def read_corpus(corpus: str | Path, ids: Iterable[str]) -> tuple[dict[str, tuple[int, dict]], list[int]]:
    """Stream the ANT corpus once, keeping the lines of ``ids`` only.

    Returns ``({id: (line number, parsed line)}, line numbers that are not valid JSON)``.
    Only needed lines are parsed: the id is read from the start of each line.
    """
    path = Path(corpus).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"ANT corpus not found at {path} (give the path of ant-multisource-v2.1.jsonl.gz)")
    wanted = set(ids)
    found: dict[str, tuple[int, dict]] = {}
    malformed: list[int] = []
    for n, raw, _ in numbered_lines(path):
        if not wanted:
            break
        if raw is None:  # not UTF-8
            malformed.append(n)
            continue
        match = _LINE_ID.match(raw)
        key = _json_string(match.group(1)) if match else None
        if key is not None and key not in wanted:
            continue  # not needed: skip parsing the whole line
        value, why = parse_json(raw)
        if why is not None:
            if raw.strip():
                malformed.append(n)
            continue
        aid = value.get("id") if isinstance(value, dict) else None
        if aid in wanted:
            found[aid] = (n, value)
            wanted.discard(aid)
    return found, malformed


def text_digest(text: str) -> str:
    """SHA-256 hex digest of the text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def join_record(rec: Record, ant: dict, corpus_line: int) -> tuple[dict | None, list[Problem]]:
    """One record with its ANT line -> (joined article, problems); the article is None on any problem."""
    where = (rec.file, rec.line, rec.id)
    text = ant.get("text")
    if not isinstance(text, str):
        return None, [Problem(f"corpus line {corpus_line} has no text", *where)]
    got, want = text_digest(text), rec.value["sha256"]
    if got != want:
        return None, [Problem(
            f"text changed since annotation: the corpus text (line {corpus_line}) has sha256 {got}, "
            f"the annotations were made on text with sha256 {want}", *where)]
    problems = [
        Problem(f"{key} is {rec.value[key]!r} here but {ant.get(key)!r} in the corpus (line {corpus_line})", *where)
        for key in ("source", "category") if ant.get(key) != rec.value[key]
    ]
    art = {
        "id": rec.id,
        "text": text,
        "entities": rec.value.get("entities"),
        "quotes": rec.value.get("quotes"),
        "source": rec.value["source"],
        "category": rec.value["category"],
        **{key: ant.get(key) for key in CORPUS_EXTRAS},
    }
    problems += check_article(art, rec.file, rec.line)
    return (None if problems else art), problems


def join_all(records: list[Record], corpus: str | Path) -> tuple[list[dict], list[Problem]]:
    """(joined, valid articles in record order, every problem); one pass over the corpus."""
    found, malformed = read_corpus(corpus, (r.id for r in records))
    arts: list[dict] = []
    problems: list[Problem] = []
    for rec in records:
        if rec.id not in found:
            problems.append(Problem(f"article not found in the corpus {corpus}", rec.file, rec.line, rec.id))
            continue
        line, ant = found[rec.id]
        art, probs = join_record(rec, ant, line)
        problems += probs
        if art is not None:
            arts.append(art)
    if malformed and len(found) < len({r.id for r in records}):
        shown = ", ".join(str(n) for n in malformed[:10]) + (" ..." if len(malformed) > 10 else "")
        problems.append(Problem(f"{len(malformed)} corpus line(s) are not valid JSON (lines {shown})", str(corpus)))
    return arts, problems


def join_records(records: list[Record], corpus: str | Path) -> list[dict]:
    """Joined, validated articles in record order; raises :class:`ArticleError` listing every problem."""
    arts, problems = join_all(records, corpus)
    if problems:
        raise ArticleError(problems)
    return arts


# --- splits --------------------------------------------------------------------

def block_layout(first_id: str) -> tuple[str, ...]:
    """The splits of the five positions of a block, drawn from the SHA-256 of its first id."""
    draw = int.from_bytes(hashlib.sha256(first_id.encode("utf-8")).digest()[:8], "big")
    layout = list(BLOCK)
    for i in range(len(layout) - 1, 0, -1):  # Fisher-Yates, digits of the draw as the dice
        draw, j = divmod(draw, i + 1)
        layout[i], layout[j] = layout[j], layout[i]
    return tuple(layout)


def assign_splits(stream: Iterable[tuple[str, str]], pinned: dict[str, str]) -> dict[str, str]:
    """id -> split for every id of ``pinned`` and of ``stream``.

    ``stream``: ``(id, source)`` in annotation order. Pinned ids keep their
    split; every other id gets the split of its position in the blocks of five
    of its source (see the module docstring).
    """
    out = dict(pinned)
    seen: dict[str, int] = {}
    layouts: dict[str, tuple[str, ...]] = {}
    for aid, source in stream:
        pos = seen.get(source, 0)
        seen[source] = pos + 1
        if pos % len(BLOCK) == 0:
            layouts[source] = block_layout(aid)
        out.setdefault(aid, layouts[source][pos % len(BLOCK)])
    return out


def read_splits(path: str | Path) -> dict[str, str]:
    """id -> split from a splits file; ``{}`` when the file does not exist yet."""
    path = Path(path).expanduser()
    if not path.exists():
        return {}
    obj, why = parse_json(read_text(path))
    if why is not None or not isinstance(obj, dict):
        raise ValueError(f"{path}: {why or 'expected a JSON object of split name -> ids'}")
    out: dict[str, str] = {}
    for split in SPLIT_NAMES:
        for aid in obj.get(split, []):
            if aid in out:
                raise ValueError(f"{path}: article {aid!r} is listed in both {out[aid]!r} and {split!r}")
            out[aid] = split
    return out


def write_splits(path: str | Path, assignment: dict[str, str]) -> dict[str, int]:
    """Write the id lists (sorted) of each split; returns the count per split."""
    lists = {s: sorted(a for a, sp in assignment.items() if sp == s) for s in SPLIT_NAMES}
    counts = {s: len(ids) for s, ids in lists.items()}
    obj = {
        "rule": "fixed by article; an id once listed never moves. New ids: per source, in annotation "
                "order, blocks of five (1 dev, 1 test, 3 train) laid out by the SHA-256 of the block's "
                "first id (data/standoff.py, assign_splits). Regenerate with `qawl corpus split`.",
        "counts": counts,
        **lists,
    }
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=1) + "\n")
    return counts


def gold_stream(gold: str | Path) -> list[tuple[str, str]]:
    """``(id, source)`` of every record of a records folder, in annotation order; raises on bad records."""
    records, problems = read_records(gold)
    if problems:
        raise ArticleError(problems)
    return [(r.id, r.value["source"]) for r in records]


def current_splits(splits: str | Path = SPLITS_FILE, gold: str | Path | None = None) -> tuple[dict[str, str], set[str]]:
    """(id -> split, ids not yet in the splits file): the file's ids plus the rule over the gold records.

    ``gold`` defaults to the ``gold`` folder beside the splits file.
    """
    splits = Path(splits).expanduser()
    pinned = read_splits(splits)
    out = assign_splits(gold_stream(gold if gold is not None else splits.parent / "gold"), pinned)
    return out, set(out) - set(pinned)


# --- loading -------------------------------------------------------------------

def parse_target(path: str | Path, split: str | None = None) -> tuple[Path, str | None]:
    """``"folder#dev"`` -> ``(Path("folder"), "dev")``; a ``split`` argument must agree with the suffix."""
    match = _SPLIT_SUFFIX.match(str(path))
    base, suffix = (match.group(1), match.group(2)) if match else (str(path), None)
    if suffix is not None and split is not None and suffix != split:
        raise ValueError(f"{path}: the path asks for split {suffix!r} but split={split!r} was given")
    chosen = suffix if suffix is not None else split
    if chosen is not None and chosen not in SPLIT_NAMES:
        raise ValueError(f"{path}: unknown split {chosen!r} (known: {', '.join(SPLIT_NAMES)})")
    return Path(base).expanduser(), chosen


def select_split(records: list[Record], split: str, splits: str | Path = SPLITS_FILE) -> list[Record]:
    """The records of one split; an id the splits cannot place is an :class:`ArticleError`."""
    assignment, _ = current_splits(splits)
    unplaced = [r for r in records if r.id not in assignment]
    if unplaced:
        raise ArticleError([
            Problem(f"article is in no split: not listed in {splits} nor in the gold folder beside it", r.file, r.line, r.id)
            for r in unplaced
        ])
    return [r for r in records if assignment[r.id] == split]


def load_standoff(path: str | Path, corpus: str | Path, split: str | None = None,
                  splits: str | Path = SPLITS_FILE) -> list[dict]:
    """Joined, validated articles of a records path, optionally of one split only.

    ``path``: a JSONL file or folder of stand-off records, optionally suffixed
    ``#train``/``#dev``/``#test``; ``corpus``: the ANT ``.jsonl.gz``; ``split``:
    the same choice as the suffix, as an argument; ``splits``: the splits file.
    Each article: ``{"id", "text", "entities", "quotes", "source", "category",
    "title", "url"}``. Raises :class:`ArticleError` listing every problem (file,
    line, article id): malformed records, an article missing from the corpus,
    a changed text (both SHA-256 digests), spans that break the scheme.
    """
    base, split = parse_target(path, split)
    records, problems = read_records(base)
    if split is not None:
        if problems:  # placing articles in splits needs every record readable
            raise ArticleError(problems)
        records = select_split(records, split, splits)
    arts, join_problems = join_all(records, corpus)
    problems += join_problems
    if problems:
        raise ArticleError(problems)
    return arts


def export_joined(records_path: str | Path, corpus: str | Path, out: str | Path,
                  splits: str | Path = SPLITS_FILE) -> int:
    """Write the joined articles of a records path (``#split`` allowed) as JSONL; returns how many."""
    return write_articles(out, load_standoff(records_path, corpus, splits=splits))

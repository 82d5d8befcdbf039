"""Annotated articles: parsing, validation and JSONL I/O.

An article is a plain ``dict`` in the scheme's JSON form (``id``, ``text``,
``entities``, ``quotes`` and any extra keys, which are kept as they are).
A layer whose key is missing or null is *not annotated* (ANERcorp has no
quotes); an empty list means annotated, with nothing in it.

Validation never stops at the first problem: every check returns a list of
:class:`Problem`, each naming the file, line, article, span and the text under it.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .schema import ENTITY_LABELS, QUOTE_KINDS, QUOTE_PARTS
from .textio import TextError, atomic_output, numbered_lines
from .words import split_words

#: a UTF-16 surrogate code point: in a parsed str, always a lone one (JSON's escapes pair up)
_SURROGATE = re.compile("[\ud800-\udfff]")

PART_KEYS = {"CONTENT": "content", "SOURCE": "source", "CUE": "cue"}


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as possible."""

    message: str
    file: str | None = None
    line: int | None = None
    article: str | None = None
    what: str | None = None  # e.g. "entity 3" or "quote 2 source"
    span: tuple[int, int] | None = None
    text: str | None = None  # the text under the span (clipped to the article)

    def __str__(self) -> str:
        return ": ".join(locate(self.file, self.line, self.article, self.what, self.span, self.text) + [self.message])


def locate(file=None, line=None, article=None, what=None, span=None, text=None) -> list[str]:
    """The parts of a location line: ``file:line``, article, item, span and text."""
    bits = []
    where = ":".join(str(x) for x in (file, line) if x is not None)
    if where:
        bits.append(where)
    if article is not None:
        bits.append(f"article {article!r}")
    if what:
        bits.append(what)
    if span is not None:
        bits.append(f"[{span[0]}, {span[1]})" + ("" if text is None else f" {text!r}"))
    return bits


class ArticleError(ValueError):
    """Raised when input has problems; ``problems`` lists all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        head = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s):\n{head}{more}")


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type (``null``, ``an array``, ``a string``...), for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    names = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _span_pair(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and len(x) == 2 and all(_is_int(v) for v in x)


class _Checker:
    """Collects problems for one article."""

    def __init__(self, art: dict, file: str | None, line: int | None):
        self.art, self.file, self.line = art, file, line
        self.problems: list[Problem] = []
        aid = art.get("id") if isinstance(art, dict) else None
        self.aid = aid if isinstance(aid, str) else (None if aid is None else str(aid))
        text = art.get("text") if isinstance(art, dict) else None
        self.text = text if isinstance(text, str) else None
        self._starts: set[int] | None = None
        self._ends: set[int] | None = None

    def add(self, message: str, what: str | None = None, span: tuple[int, int] | None = None) -> None:
        under = None
        if span is not None and self.text is not None:
            s, e = max(0, span[0]), min(len(self.text), span[1])
            under = self.text[s:e] if s < e else ""
        self.problems.append(Problem(message, self.file, self.line, self.aid, what, span, under))

    def boundaries(self) -> tuple[set[int], set[int]]:
        if self._starts is None:
            offs = split_words(self.text or "")
            self._starts = {s for s, _ in offs}
            self._ends = {e for _, e in offs}
        return self._starts, self._ends  # type: ignore[return-value]

    def span(self, what: str, sp: Any) -> tuple[int, int] | None:
        """Check one span; returns it when usable for overlap checks."""
        if not _span_pair(sp):
            self.add(f"span must be two integers [start, end], got {sp!r}", what)
            return None
        s, e = int(sp[0]), int(sp[1])
        n = len(self.text or "")
        ok = True
        if e <= s:
            self.add("end must be greater than start", what, (s, e))
            ok = False
        if s < 0 or e > n:
            self.add(f"offsets outside the text (length {n})", what, (s, e))
            return None
        if ok:
            starts, ends = self.boundaries()
            if s not in starts:
                self.add("span does not start at the start of a word", what, (s, e))
                ok = False
            if e not in ends:
                self.add("span does not end at the end of a word", what, (s, e))
                ok = False
        return (s, e) if ok else None


def lone_surrogates(value: Any) -> list[tuple[str, int]]:
    """``(where, character index)`` of the first lone surrogate in each string of a JSON value, keys included.

    ``where`` is the key path (``text``, ``quotes.0.speaker``). JSON's
    ``\\ud800`` escapes are the only way one gets into a parsed article; no
    UTF-8 file or tokenizer can hold it. Walked without recursion, so any
    depth the JSON parser read is fine.
    """
    out: list[tuple[str, int]] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found:
                out.append((where or "value", found.start()))
        elif isinstance(item, dict):
            for k, v in item.items():
                key = f"{where}.{k}" if where else str(k)
                stack += [(f"the key {key!r}", k), (key, v)]
        elif isinstance(item, list):
            stack += [(f"{where}.{i}", v) for i, v in enumerate(item)]
    return sorted(out)


def check_article(art: Any, file: str | None = None, line: int | None = None) -> list[Problem]:
    """Every problem of one parsed JSON value against the scheme (empty if valid)."""
    if not isinstance(art, dict):
        return [Problem(f"an article must be a JSON object, got {json_type(art)}", file, line)]
    c = _Checker(art, file, line)
    if "id" not in art:
        c.add("missing key 'id'")
    elif not isinstance(art["id"], str) or not art["id"]:
        c.add(f"'id' must be a non-empty string, got {art['id']!r}")
    if "text" not in art:
        c.add("missing key 'text'")
        return c.problems
    if not isinstance(art["text"], str):
        c.add(f"'text' must be a string, got {type(art['text']).__name__}")
        return c.problems
    for where, at in lone_surrogates(art):
        span = (at, at + 1) if where == "text" else None
        c.add(f"{where} holds a lone surrogate at character {at}: not Unicode text that can be written or "
              "tokenized (a broken emoji or a cut UTF-16 pair); fix or remove it at the source", where, span)

    ents = art.get("entities")
    if ents is not None:
        if not isinstance(ents, list):
            c.add(f"'entities' must be a list or null, got {type(ents).__name__}")
        else:
            placed: list[tuple[int, int, str]] = []
            for i, ent in enumerate(ents):
                what = f"entity {i}"
                if not isinstance(ent, dict):
                    c.add(f"must be an object, got {ent!r}", what)
                    continue
                for k in ("start", "end", "label"):
                    if k not in ent:
                        c.add(f"missing key {k!r}", what)
                if "start" not in ent or "end" not in ent:
                    continue
                sp = c.span(what, [ent["start"], ent["end"]])
                lab = ent.get("label")
                if "label" in ent and lab not in ENTITY_LABELS:
                    c.add(f"unknown label {lab!r} (known: {', '.join(ENTITY_LABELS)})", what, sp)
                if sp is not None:
                    placed.append((sp[0], sp[1], what))
            _overlaps(c, placed, "entities overlap")

    quotes = art.get("quotes")
    if quotes is not None:
        if not isinstance(quotes, list):
            c.add(f"'quotes' must be a list or null, got {type(quotes).__name__}")
        else:
            parts: list[tuple[int, int, str]] = []
            for i, q in enumerate(quotes):
                what = f"quote {i}"
                if not isinstance(q, dict):
                    c.add(f"must be an object, got {q!r}", what)
                    continue
                if q.get("content") is None:
                    c.add("CONTENT is required", what)
                for part in QUOTE_PARTS:
                    key = PART_KEYS[part]
                    if q.get(key) is None:
                        continue
                    sp = c.span(f"{what} {key}", q[key])
                    if sp is not None:
                        parts.append((sp[0], sp[1], f"{what} {key}"))
                kind = q.get("kind")
                if kind not in QUOTE_KINDS:
                    c.add(f"'kind' must be one of {', '.join(QUOTE_KINDS)}, got {kind!r}", what)
                spk = q.get("speaker")
                if spk is not None and not isinstance(spk, str):
                    c.add(f"'speaker' must be a string or null, got {spk!r}", what)
                if q.get("speaker_span") is not None:  # the mention the speaker was resolved from
                    c.span(f"{what} speaker_span", q["speaker_span"])
            _overlaps(c, parts, "quote parts overlap")
    return c.problems


def _overlaps(c: _Checker, spans: list[tuple[int, int, str]], message: str) -> None:
    spans = sorted(spans)
    for (s1, e1, w1), (s2, e2, w2) in zip(spans, spans[1:]):
        if s2 < e1:
            c.add(f"{message}: {w1} [{s1}, {e1}) and {w2}", w2, (s2, e2))


# --- JSONL ---------------------------------------------------------------------

class _Refused(ValueError):
    """A JSON value the scheme refuses although Python's parser reads it."""


def _finite(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise _Refused(f"the number {raw[:20]}{'...' if len(raw) > 20 else ''} is out of range")
    return value


#: the most digits an integer may have: Python's own limit for reading one (sys.get_int_max_str_digits)
MAX_DIGITS = 4300


def _whole(raw: str) -> int:
    digits = len(raw.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Refused(f"a number has {digits} digits, more than can be read ({MAX_DIGITS})")
    return int(raw)


def _constant(name: str):
    raise _Refused(f"{name} is not JSON")


def parse_json(line: str) -> tuple[Any, str | None]:
    """``(value, None)`` for one JSON text, ``(None, why not)`` when it is not JSON the scheme takes.

    Refused besides malformed JSON: nesting too deep to read, an integer
    of more than :data:`MAX_DIGITS` digits, ``NaN``,
    ``Infinity`` and numbers that overflow to them.
    """
    try:
        return json.loads(line, parse_constant=_constant, parse_float=_finite, parse_int=_whole), None
    except json.JSONDecodeError as err:
        return None, f"malformed JSON: {err.msg} at column {err.colno}"
    except RecursionError:
        return None, "JSON nested too deeply to read"
    except _Refused as err:
        return None, str(err)


def iter_jsonl(source: str | Path | IO[bytes], name: str | None = None) -> Iterator[tuple[int, Any, list[Problem]]]:
    """Yield ``(line_number, value, problems)`` for each non-blank line.

    ``source``: a path (``.gz`` gunzipped) or an open binary stream, called
    ``name`` in problems (default: the path). ``problems`` names the line
    when it is not UTF-8 or not JSON (``value`` is then None); a broken gzip
    stream is one last problem. A line that parses to ``null`` comes as
    ``(n, None, [])``: the scheme's checks refuse it.
    """
    name = name or str(source)
    try:
        for n, line, why in numbered_lines(source):
            if line is None:
                yield n, None, [Problem(why or "unreadable", name, n)]
                continue
            if not line.strip():
                continue
            value, why = parse_json(line)
            yield n, value, ([] if why is None else [Problem(why, name, n)])
    except TextError as err:
        yield err.line or 0, None, [Problem(err.reason, name, err.line)]


def iter_checked(source: str | Path | IO[bytes], name: str | None = None,
                 check: Callable[[Any, str | None, int | None], list[Problem]] | None = None,
                 ) -> Iterator[tuple[int, dict | None, list[Problem]]]:
    """Read and validate a JSONL file lazily: ``(line number, article or None, problems)`` per non-blank line.

    The one function that decides what a JSONL file of articles holds:
    ``qawl validate`` and every reader of articles call it (through
    :func:`checked_jsonl` or directly, when streaming). The article is None
    exactly when there are problems: lines that are not UTF-8 or not JSON,
    values that ``check`` refuses (default :func:`check_article`, the
    scheme), ids met twice. A file with no article at all yields one last
    ``(0, None, [problem])``. ``source`` and ``name`` are as
    :func:`iter_jsonl` takes them. Memory: the ids seen so far.
    """
    name = name or str(source)
    check = check or check_article
    seen: dict[str, int] = {}
    lines = 0
    for n, value, probs in iter_jsonl(source, name):
        lines += 1
        if probs:
            yield n, None, probs
            continue
        probs = check(value, name, n)
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            first = seen.setdefault(value["id"], n)
            if first != n:
                probs.append(Problem(f"duplicate id (first on line {first})", name, n, value["id"]))
        yield n, (None if probs else value), probs
    if not lines:
        yield 0, None, [Problem("holds no article (it is empty or blank)", name)]


def checked_jsonl(source: str | Path | IO[bytes], name: str | None = None,
                  check: Callable[[Any, str | None, int | None], list[Problem]] | None = None,
                  ) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """Read and validate a JSONL file whole: ``(line number, article)`` of every valid article,
    and every problem (:func:`iter_checked`)."""
    arts: list[tuple[int, dict]] = []
    problems: list[Problem] = []
    for n, art, probs in iter_checked(source, name, check):
        problems += probs
        if art is not None:
            arts.append((n, art))
    return arts, problems


def check_jsonl(path: str | Path) -> tuple[list[dict], list[Problem]]:
    """Read and validate a JSONL file: all valid articles and all problems (see :func:`checked_jsonl`)."""
    arts, problems = checked_jsonl(path)
    return [a for _, a in arts], problems


def read_articles(paths: str | Path | Iterable[str | Path]) -> list[dict]:
    """Read and validate articles from one or more JSONL files.

    Raises :class:`ArticleError` listing every problem if any file has one;
    nothing is dropped silently.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    arts: list[dict] = []
    problems: list[Problem] = []
    for p in paths:
        a, pr = check_jsonl(p)
        arts += a
        problems += pr
    if problems:
        raise ArticleError(problems)
    return arts


def read_numbered(path: str | Path) -> tuple[list[dict], list[int]]:
    """The articles of one JSONL file and the line each is on; raises
    :class:`ArticleError` listing every problem (as :func:`read_articles`)."""
    located, problems = checked_jsonl(path)
    if problems:
        raise ArticleError(problems)
    return [a for _, a in located], [n for n, _ in located]


def validate_articles(arts: Iterable[dict], source: str | None = None) -> list[dict]:
    """Validate in-memory articles; raise :class:`ArticleError` on any problem."""
    arts = list(arts)
    problems = [p for i, a in enumerate(arts) for p in check_article(a, source, None if source is None else i + 1)]
    if problems:
        raise ArticleError(problems)
    return arts


def write_articles(path: str | Path, arts: Iterable[dict]) -> int:
    """Write articles as JSONL (UTF-8, one per line; ``.gz`` compresses); returns how many.

    Written under a temporary name and renamed when complete, so a failure
    leaves no half file (see :func:`data.textio.atomic_output`).
    """
    n = 0
    with atomic_output(path) as fh:
        for a in arts:
            fh.write(json.dumps(a, ensure_ascii=False) + "\n")
            n += 1
    return n


def layer_spans(art: dict, layer: str) -> list[tuple[int, int, str]] | None:
    """Labelled spans of one layer, sorted; None when the layer is not annotated."""
    if layer == "ner":
        ents = art.get("entities")
        if ents is None:
            return None
        return sorted((e["start"], e["end"], e["label"]) for e in ents)
    if layer == "quote":
        quotes = art.get("quotes")
        if quotes is None:
            return None
        out = []
        for q in quotes:
            for part, key in PART_KEYS.items():
                if q.get(key) is not None:
                    out.append((q[key][0], q[key][1], part))
        return sorted(out)
    raise KeyError(f"unknown layer {layer!r}")

"""CoNLL-style token files (ANERcorp, AQMAR) <-> articles with entities.

Input: one token per line, ``WORD TAG`` or tab-separated columns (the word is
the first column, the tag the last), a blank line between sentences, and
``-DOCSTART-`` lines starting a new article. Tags are BIO or IO over entity
types. Each article's ``text`` is its words joined by single spaces and its
sentences by ``"\\n"``, so every entity covers whole words by construction.
Articles are named ``<file stem>-<n>`` (n from 1 in each file) and have no
``quotes`` key: CoNLL data does not annotate quotes.

Tags are read in this order: a user map entry for the whole tag (``IO=O``),
then the ``B-``/``I-`` prefix is split off and the type goes through the user
map, then the built-in map (``PERS`` -> ``PER``, ``MIS``/``MIS0``..``MIS3`` ->
``MISC``). A type mapped to ``O`` is outside any entity. A bare type with no
prefix is read as ``I-``. Anything else is an error naming its line.

As conlleval counts, an ``I-X`` after ``O`` or after another type starts an
entity; in BIO input each such repair is noted with its line.
"""
from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from ..article import ArticleError, Problem
from ..schema import ENTITY_LABELS
from ..textio import TextError, output_stream, read_text
from ..words import split_words
from . import ConvertOptions, Note, conclude

#: built-in type map: ANERcorp's PERS, AQMAR's MIS0..MIS3
BUILTIN_TYPES: Mapping[str, str] = {"PERS": "PER", "MIS": "MISC", "MIS0": "MISC", "MIS1": "MISC",
                                    "MIS2": "MISC", "MIS3": "MISC"}
SUFFIXES = (".txt", ".conll", ".iob", ".bio", ".tsv")
DOCSTART = "-DOCSTART-"


@dataclasses.dataclass
class _Token:
    word: str
    prefix: str | None  # "B", "I", or None for O
    label: str | None
    line: int


@dataclasses.dataclass
class _Block:
    """Sentences that become one article."""

    sentences: list[list[_Token]]
    line: int  # first token's line


def input_files(path: Path) -> list[Path]:
    """``path`` itself, or the CoNLL files under a folder, sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    return [path]


class _TagReader:
    """Turns raw tags into (prefix, label), counting the map entries used."""

    def __init__(self, tag_map: Mapping[str, str]):
        self.tag_map = dict(tag_map)
        self.used: dict[tuple[str, str], list[int]] = {}  # (old, new) -> [count, first line]

    def _count(self, old: str, new: str, line: int) -> None:
        rec = self.used.setdefault((old, new), [0, line])
        rec[0] += 1

    def read(self, tag: str, line: int) -> tuple[str | None, str | None] | str:
        """``(prefix, label)``, ``(None, None)`` for O, or an error message."""
        if tag in self.tag_map:
            self._count(tag, self.tag_map[tag], line)
            tag = self.tag_map[tag]
        if tag == "O":
            return None, None
        if tag[:2] in ("B-", "I-"):
            prefix, typ = tag[0], tag[2:]
        else:
            prefix, typ = "I", tag
        if typ in self.tag_map:
            self._count(typ, self.tag_map[typ], line)
            typ = self.tag_map[typ]
        elif typ in BUILTIN_TYPES:
            self._count(typ, BUILTIN_TYPES[typ], line)
            typ = BUILTIN_TYPES[typ]
        if typ == "O":
            return None, None
        if typ in ENTITY_LABELS:
            return prefix, typ
        fixes = f"'{typ}=TYPE' or '{typ}=O'" if typ == tag else f"'{typ}=TYPE', '{typ}=O' or '{tag}=TAG'"
        return (f"unknown tag {tag!r}: entity types are {', '.join(ENTITY_LABELS)} after the tag map "
                f"(fix it with --tag-map {fixes})")


def _parse_file(path: Path, tags: _TagReader, problems: list[Problem]) -> list[list[_Token] | str]:
    """Sentences of one file, with the string DOCSTART between documents."""
    out: list[list[_Token] | str] = []
    sent: list[_Token] = []
    try:
        raw_lines = read_text(path, bom=True).split("\n")  # not splitlines: U+2028 etc. stay in words
    except TextError as err:
        problems.append(Problem(err.reason, err.file, err.line))
        return out
    for n, line in enumerate(raw_lines, 1):
        line = line.rstrip("\r")
        if not line.strip():
            if sent:
                out.append(sent)
                sent = []
            continue
        # ASCII spaces only: a word may hold other whitespace (U+00A0) that must not split it
        cols = line.split("\t") if "\t" in line else [c for c in line.split(" ") if c]
        if cols[0].strip() == DOCSTART:
            if sent:
                out.append(sent)
                sent = []
            out.append(DOCSTART)
            continue
        word, tag = cols[0].strip(), cols[-1].strip()
        if len(cols) < 2 or not word or not tag:
            problems.append(Problem(f"expected 'WORD TAG' or tab-separated columns, got {line!r}",
                                    str(path), n))
            continue
        got = tags.read(tag, n)
        if isinstance(got, str):
            problems.append(Problem(got, str(path), n, text=word))
            continue
        sent.append(_Token(word, got[0], got[1], n))
    if sent:
        out.append(sent)
    return out


def _blocks(items: list[list[_Token] | str], group: int) -> list[_Block]:
    blocks: list[_Block] = []
    cur: list[list[_Token]] = []
    for item in items:
        if isinstance(item, str):  # DOCSTART
            if cur:
                blocks.append(_Block(cur, cur[0][0].line))
            cur = []
            continue
        cur.append(item)
        if group and len(cur) == group:
            blocks.append(_Block(cur, cur[0][0].line))
            cur = []
    if cur:
        blocks.append(_Block(cur, cur[0][0].line))
    return blocks


def _article(block: _Block, aid: str, file: str, io: bool, notes: list[Note]) -> dict:
    """Text and entities of one block (conlleval chunking)."""
    pieces: list[str] = []
    ents: list[dict] = []
    pos = 0
    for k, sent in enumerate(block.sentences):
        if k:
            pieces.append("\n")
            pos += 1
        open_ent: dict | None = None
        prev_label: str | None = None
        for i, tok in enumerate(sent):
            if i:
                pieces.append(" ")
                pos += 1
            start, end = pos, pos + len(tok.word)
            pieces.append(tok.word)
            pos = end
            if tok.label is None:
                open_ent = None
            elif tok.prefix == "I" and open_ent is not None and prev_label == tok.label:
                open_ent["end"] = end
            else:
                if tok.prefix == "I" and not io:
                    after = "O" if prev_label is None else f"{prev_label}"
                    notes.append(Note("repair", f"I-{tok.label} after {after} starts a new {tok.label} entity",
                                      file, tok.line, aid, (start, end), tok.word))
                open_ent = {"start": start, "end": end, "label": tok.label}
                ents.append(open_ent)
            prev_label = tok.label
    return {"id": aid, "text": "".join(pieces), "entities": ents}


def read(path: str | Path, options: ConvertOptions | None = None) -> tuple[list[dict], list[Note]]:
    """Read a CoNLL file, or every CoNLL file under a folder.

    Returns ``(articles, notes)``; raises :class:`ArticleError` listing every
    bad line (unknown tags included) with its file, line and article.
    """
    options = options or ConvertOptions()
    if options.group < 0:
        raise ValueError(f"group must be 0 or more, got {options.group}")
    if options.scheme not in ("auto", "bio", "io"):
        raise ValueError(f"scheme must be auto, bio or io, got {options.scheme!r}")
    problems: list[Problem] = []
    notes: list[Note] = []
    located: list[tuple[dict, str | None, int | None]] = []
    for file in input_files(Path(path)):
        tags = _TagReader(options.tag_map)
        items = _parse_file(file, tags, problems)
        sents = [s for s in items if not isinstance(s, str)]
        io = options.scheme == "io" or (
            options.scheme == "auto" and not any(t.prefix == "B" for s in sents for t in s)
            and any(t.prefix for s in sents for t in s))
        if io and options.scheme == "auto":
            notes.append(Note("scheme", "no B- tag in the file: read as IO (an I- tag after O starts an entity)",
                              str(file)))
        for (old, new), (count, first) in tags.used.items():
            notes.append(Note("tag-map", f"{old} -> {new} on {count} tag(s), first on this line",
                              str(file), first))
        for n, block in enumerate(_blocks(items, options.group), 1):
            aid = f"{file.stem}-{n}"
            located.append((_article(block, aid, str(file), io, notes), str(file), block.line))
    if problems:
        raise ArticleError(_name_articles(problems, located))
    return conclude(located), notes


def _name_articles(problems: list[Problem], located: list[tuple[dict, str | None, int | None]]) -> list[Problem]:
    """Fill in the article each problem line belongs to (the last one starting at or before it)."""
    starts: dict[str, list[tuple[int, str]]] = collections.defaultdict(list)
    for art, file, line in located:
        starts[file or ""].append((line or 0, art["id"]))
    out = []
    for p in problems:
        blocks = starts.get(p.file or "", [])
        aid = blocks[0][1] if blocks else None  # a bad line before the first token goes with the first article
        for line, a in blocks:
            if line <= (p.line or 0):
                aid = a
        out.append(dataclasses.replace(p, article=aid))
    return out


def _sentence_breaks(text: str, words: list[tuple[int, int]], inside: set[int]) -> set[int]:
    """Indices of words that start a new sentence: a newline before them, outside any entity."""
    return {i for i in range(1, len(words))
            if "\n" in text[words[i - 1][1]:words[i][0]] and i not in inside}


def write(arts: Iterable[dict], out: str | Path | TextIO, options: ConvertOptions | None = None) -> list[Note]:
    """Write BIO CoNLL: ``-DOCSTART- O`` before each article, one word per line
    (the scheme's words), a blank line where the text has a line break. Read it
    back with ``group=0`` to get one article per ``-DOCSTART-`` block.

    Returns notes for what CoNLL cannot hold (quotes; an article whose
    entities are not annotated, written as all ``O``).
    """
    options = options or ConvertOptions()
    notes: list[Note] = []
    spell = {"PER": "PERS"} if options.anercorp_tags else {}
    target = str(out) if isinstance(out, (str, Path)) else None
    quotes = 0
    with output_stream(out) as fh:
        for art in arts:
            text = art["text"]
            words = split_words(text)
            if not words:
                notes.append(Note("dropped", "no words in the text: CoNLL cannot hold this article", target,
                                  None, art["id"]))
                continue
            ents = art.get("entities")
            if ents is None:
                notes.append(Note("unannotated", "entities not annotated: written as all O", target, article=art["id"]))
                ents = []
            quotes += len(art.get("quotes") or [])
            index = {s: i for i, (s, _) in enumerate(words)}
            tags = ["O"] * len(words)
            inside: set[int] = set()
            for ent in ents:
                i = index[ent["start"]]
                lab = spell.get(ent["label"], ent["label"])
                tags[i] = f"B-{lab}"
                i += 1
                while i < len(words) and words[i][1] <= ent["end"]:
                    tags[i] = f"I-{lab}"
                    inside.add(i)
                    i += 1
            breaks = _sentence_breaks(text, words, inside)
            for i in sorted(inside):
                if "\n" in text[words[i - 1][1]:words[i][0]]:
                    notes.append(Note("joined", "line break inside an entity: no sentence break written there",
                                      target, None, art["id"], (words[i - 1][0], words[i][1]),
                                      text[words[i - 1][0]:words[i][1]]))
            fh.write(f"{DOCSTART} O\n\n")
            for i, (s, e) in enumerate(words):
                if i in breaks:
                    fh.write("\n")
                fh.write(f"{text[s:e]} {tags[i]}\n")
            fh.write("\n")
    if quotes:
        notes.append(Note("dropped", f"CoNLL holds entities only: {quotes} quote(s) not written", target))
    return notes

"""Importers and exporters: other annotation formats <-> the scheme's articles.

Every format module exposes, where it can, ``read(path, options)`` returning
``(articles, notes)`` and ``write(articles, out, options)`` returning notes.
A :class:`Note` records one conversion or repair (where, what, why); anything
that cannot be converted raises :class:`data.article.ArticleError` listing every
problem with its file, line and article. Format modules are imported on first
use, so ``import data.formats`` stays cheap.
"""
from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from types import ModuleType

from ..article import ArticleError, Problem, check_article, locate


@dataclasses.dataclass(frozen=True)
class Note:
    """One conversion or repair made while reading or writing a format."""

    kind: str  # short category, counted in summaries: "repair", "snap", "tag-map", ...
    message: str
    file: str | None = None
    line: int | None = None
    article: str | None = None
    span: tuple[int, int] | None = None
    text: str | None = None  # the text under the span

    def __str__(self) -> str:
        return ": ".join(locate(self.file, self.line, self.article, None, self.span, self.text) + [f"{self.kind}: {self.message}"])


@dataclasses.dataclass(frozen=True)
class ConvertOptions:
    """Options of the readers and writers; each format uses the fields it names
    in :data:`FORMATS`."""

    #: conll read: whole tag or type -> type, tag or "O"
    tag_map: Mapping[str, str] = dataclasses.field(default_factory=dict)
    group: int = 1  # conll read: sentences per article; 0 = one article per -DOCSTART- block
    scheme: str = "auto"  # conll read: "bio", "io" or "auto" (io when a file has no B- tag)
    #: brat/labelstudio/doccano read: label -> entity label or "O"
    label_map: Mapping[str, str] = dataclasses.field(default_factory=dict)
    drop_incomplete: bool = False  # brat read: leave out (and note) attributions with no Content
    anercorp_tags: bool = False  # conll write: spell PER as PERS
    pick: str = "only"  # labelstudio read: "only" (one annotation per task) or "last"
    target: str = "predictions"  # labelstudio write: "predictions" or "annotations"
    model_version: str = "qawl"  # labelstudio write: the predictions' model_version


@dataclasses.dataclass(frozen=True)
class Format:
    """One registered format: its module and what it supports."""

    name: str
    module: str  # the module beside this file that reads and writes it
    read_options: frozenset[str]
    write_options: frozenset[str]
    out_folder: bool = False  # the writer fills a folder (else one file, or stdout)

    def load(self) -> ModuleType:
        return importlib.import_module(f".{self.module}", __package__)

    @property
    def can_read(self) -> bool:
        return hasattr(self.load(), "read")

    @property
    def can_write(self) -> bool:
        return hasattr(self.load(), "write")

    def reader(self) -> Callable:
        return self.load().read

    def writer(self) -> Callable:
        return self.load().write


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("jsonl", "jsonl", frozenset(), frozenset()),
        Format("conll", "conll", frozenset({"tag_map", "group", "scheme"}), frozenset({"anercorp_tags"})),
        Format("brat", "brat", frozenset({"label_map", "drop_incomplete"}), frozenset(), out_folder=True),
        Format("labelstudio", "labelstudio", frozenset({"label_map", "pick"}),
               frozenset({"target", "model_version"})),
        Format("doccano", "doccano", frozenset({"label_map"}), frozenset()),
    )
}


def get_format(name: str) -> Format:
    """The registered format called ``name``; KeyError names the known ones."""
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r} (known: {', '.join(FORMATS)})") from None


def parse_map(spec: str | None) -> dict[str, str]:
    """``"OLD=NEW,OLD2=NEW2"`` -> ``{"OLD": "NEW", ...}``; ValueError on a bad item."""
    out: dict[str, str] = {}
    for item in (spec or "").split(","):
        if not item.strip():
            continue
        old, sep, new = item.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise ValueError(f"bad map item {item!r}: expected OLD=NEW")
        if old in out and out[old] != new:
            raise ValueError(f"{old!r} is mapped twice ({out[old]!r} and {new!r})")
        out[old] = new
    return out


def conclude(located: list[tuple[dict, str | None, int | None]]) -> list[dict]:
    """Check converted articles against the scheme and for duplicate ids.

    ``located`` holds ``(article, file, line)`` for each article, where the
    file and line say where it came from. Returns the articles; raises
    :class:`ArticleError` listing every problem.
    """
    problems: list[Problem] = []
    seen: dict[str, tuple[str | None, int | None]] = {}
    for art, file, line in located:
        problems += check_article(art, file, line)
        aid = art.get("id") if isinstance(art, dict) else None
        if isinstance(aid, str):
            if aid in seen:
                f0, l0 = seen[aid]
                first = ":".join(str(x) for x in (f0, l0) if x is not None)
                problems.append(Problem(f"duplicate article id (first at {first})", file, line, aid))
            else:
                seen[aid] = (file, line)
    if problems:
        raise ArticleError(problems)
    return [art for art, _, _ in located]  # all are dicts once every check passed


def read_format(name: str, path, **options) -> tuple[list[dict], list[Note]]:
    """Read ``path`` in format ``name`` with reader options given by keyword
    (``tag_map``, ``group``, ``label_map``, ...): ``(articles, notes)``.

    An option the format's reader does not take is a ``ValueError`` naming it.
    """
    fmt = get_format(name)
    unknown = sorted(set(options) - fmt.read_options)
    if unknown:
        raise ValueError(f"format {name!r} takes no option {unknown[0]!r} (it takes: {', '.join(sorted(fmt.read_options)) or 'none'})")
    return fmt.reader()(path, ConvertOptions(**options))

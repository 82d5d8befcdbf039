"""doccano sequence-labelling JSONL <-> articles with entities.

One JSON object a line: ``text`` and ``label`` as ``[[start, end, tag], ...]``
(doccano's span export), or ``entities`` as ``[{"start_offset", "end_offset",
"label"}, ...]`` (its export with relations). The id is ``id`` when present,
else ``<file stem>-<line>``; other keys are kept. Tags are PER/ORG/LOC/MISC or
mapped by ``label_map`` (to ``O`` to leave them out); unmapped tags are noted
and left out. Spans off the word boundaries are snapped, and noted. doccano
holds no quotes: articles read from it have no ``quotes`` key.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from ..article import ArticleError, Problem, iter_jsonl
from ..schema import ENTITY_LABELS
from ..textio import output_stream
from . import ConvertOptions, Note, conclude
from .spans import WordIndex

_OWN_KEYS = ("id", "text", "label", "entities", "relations")


def input_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``.jsonl`` under a folder, sorted."""
    return sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]


def _spans(obj: dict) -> list[Any] | str:
    """``[(start, end, tag), ...]`` of one line, or an error message."""
    if "label" in obj and "entities" in obj:
        return "has both 'label' and 'entities'; expected one"
    if "entities" in obj:
        out = []
        for e in obj["entities"] or []:
            if not isinstance(e, dict):
                return f"'entities' items must be objects, got {e!r}"
            out.append((e.get("start_offset"), e.get("end_offset"), e.get("label")))
        return out
    raw = obj.get("label") or []
    if not isinstance(raw, list) or not all(isinstance(x, (list, tuple)) and len(x) == 3 for x in raw):
        return f"'label' must be a list of [start, end, tag], got {json.dumps(raw, ensure_ascii=False)[:120]}"
    return [tuple(x) for x in raw]


def read(path: str | Path, options: ConvertOptions | None = None) -> tuple[list[dict], list[Note]]:
    """Read one doccano JSONL file or every ``.jsonl`` under a folder.

    Returns ``(articles, notes)``; raises :class:`ArticleError` listing every
    problem with its file, line and article.
    """
    options = options or ConvertOptions()
    label_map = dict(options.label_map)
    bad = {k: v for k, v in label_map.items() if v != "O" and v not in ENTITY_LABELS}
    if bad:
        raise ValueError(f"label map targets must be {', '.join(ENTITY_LABELS)} or O, got {bad}")
    problems: list[Problem] = []
    notes: list[Note] = []
    located = []
    for file in input_files(Path(path)):
        f = str(file)
        for n, obj, probs in iter_jsonl(file):
            if probs:
                problems += probs
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                problems.append(Problem("expected an object with a string 'text'", f, n))
                continue
            aid = str(obj["id"]) if obj.get("id") is not None else f"{file.stem}-{n}"
            text = obj["text"]
            spans = _spans(obj)
            if isinstance(spans, str):
                problems.append(Problem(spans, f, n, aid))
                continue
            words = WordIndex(text)

            def note(kind: str, message: str, span=None, n=n, aid=aid, text=text) -> None:
                notes.append(Note(kind, message, f, n, aid, span, None if span is None else text[span[0]:span[1]]))

            ents = []
            for k, (s, e, tag) in enumerate(spans):
                if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)):
                    problems.append(Problem(f"span {k}: offsets [{s}, {e}) are not inside the text "
                                            f"(length {len(text)})", f, n, aid))
                    continue
                target = label_map.get(tag, tag)
                if target == "O":
                    continue
                if target not in ENTITY_LABELS:
                    note("unmapped", f"span {k}: tag {tag!r} has no entity label: not converted "
                                     f"(map it with --label-map '{tag}=LABEL' or '{tag}=O')", (s, e))
                    continue
                snapped = words.snap_noted((s, e), f"span {k} {target}", note)
                if snapped is None:
                    problems.append(Problem(f"span {k} holds only whitespace", f, n, aid, span=(s, e)))
                    continue
                ents.append({"start": snapped[0], "end": snapped[1], "label": target})
            ents.sort(key=lambda x: (x["start"], x["end"]))
            art = {"id": aid, "text": text, "entities": ents,
                   **{k: v for k, v in obj.items() if k not in _OWN_KEYS and k != "quotes"}}
            located.append((art, f, n))
    if problems:
        raise ArticleError(problems)
    return conclude(located), notes


def write(arts: Iterable[dict], out: str | Path | TextIO, options: ConvertOptions | None = None) -> list[Note]:
    """Write doccano JSONL (``id``, ``text``, ``label`` and the extra keys).

    Returns notes for what doccano cannot hold (quotes; an article whose
    entities are not annotated, written with none).
    """
    target = str(out) if isinstance(out, (str, Path)) else None
    notes: list[Note] = []
    with output_stream(out) as fh:
        for art in arts:
            if art.get("entities") is None:
                notes.append(Note("unannotated", "entities not annotated: written with none", target, None, art["id"]))
            if art.get("quotes"):
                notes.append(Note("dropped", f"doccano holds entities only: {len(art['quotes'])} quote(s) not "
                                             "written", target, None, art["id"]))
            if "label" in art:
                notes.append(Note("dropped", "extra key 'label' clashes with doccano's own: not written",
                                  target, None, art["id"]))
            row = {"id": art["id"], "text": art["text"],
                   "label": [[e["start"], e["end"], e["label"]] for e in art.get("entities") or []]}
            row.update({k: v for k, v in art.items() if k not in ("id", "text", "entities", "quotes", "label")})
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return notes

"""Label Studio JSON (a list of tasks) <-> articles.

Reading an export: each task's ``data.text`` is the article text; the id is
``data.id``, else the task ``id``, else ``<file stem>-<n>``; other ``data`` keys
are kept. The task's one annotation (cancelled ones aside; ``pick="last"``
takes the last of several) gives:

* ``labels`` regions: PER/ORG/LOC/MISC (or labels mapped by ``label_map``)
  become entities; CONTENT/SOURCE/CUE (any letter case) become quote parts;
  other labels are noted and left out;
* ``relation`` items tie a CONTENT region to its SOURCE and CUE regions (either
  direction);
* per-region ``textarea`` results on a CONTENT region give the speaker (null
  without one); per-region ``choices`` results (``direct``/``indirect``) give
  the kind, else it follows the quotation marks
  (:func:`data.formats.spans.settle_content`).

Regions off the word boundaries are snapped and overlapping quote parts are
resolved (:mod:`data.formats.spans`), each change noted. Offsets are read as
Python string indices; when they only match the region's ``text`` as UTF-16
code units (the browser's string indices) they are converted, and noted. A
layer is annotated when some region of the input has it.

Writing makes tasks with ``predictions`` (pre-annotation for review) or
``annotations``, in the same form; :func:`labeling_config` gives the matching
labeling configuration.
"""
from __future__ import annotations

import bisect
import collections
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from ..article import ArticleError, Problem, parse_json
from ..schema import ENTITY_LABELS, QUOTE_KINDS, QUOTE_PARTS
from ..textio import TextError, output_stream, read_text
from . import ConvertOptions, Note, conclude
from .spans import QuoteDraft, WordIndex, resolve_quotes, settle_content

LABELS_NAME, TEXT_NAME, SPEAKER_NAME, KIND_NAME = "label", "text", "speaker", "kind"


class _Utf16:
    """Python index <-> UTF-16 code unit index for one text."""

    def __init__(self, text: str):
        self.astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]

    def to_utf16(self, i: int) -> int:
        return i + bisect.bisect_left(self.astral, i)

    def from_utf16(self, u: int) -> int | None:
        lo, hi = 0, u  # the Python index is at most u
        while lo < hi:
            mid = (lo + hi) // 2
            if self.to_utf16(mid) < u:
                lo = mid + 1
            else:
                hi = mid
        return lo if self.to_utf16(lo) == u else None


def input_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``.json`` under a folder, sorted."""
    return sorted(path.rglob("*.json")) if path.is_dir() else [path]


def _regions(items: list[Any], text: str, where: tuple[str, str], problems: list[Problem],
             notes: list[Note]) -> dict[str, dict]:
    """``id -> {"span", "labels", "speaker", "kind"}`` from one annotation's result."""
    file, aid = where
    utf16 = _Utf16(text)
    regions: dict[str, dict] = {}
    extras: list[dict] = []
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(Problem(f"result item {k} is not an object", file, None, aid))
            continue
        typ = item.get("type")
        if typ == "relation":
            continue
        if typ in ("textarea", "choices"):
            extras.append(item)
            continue
        if typ != "labels":
            notes.append(Note("ignored", f"result item {k} of type {typ!r} not converted", file, None, aid))
            continue
        value, rid = item.get("value") or {}, item.get("id")
        labs = value.get("labels") or []
        start, end = value.get("start"), value.get("end")
        if not isinstance(rid, str) or not labs or not all(isinstance(x, int) for x in (start, end)):
            problems.append(Problem(f"labels item {k} needs an id, integer start/end and a label, "
                                    f"got {json.dumps(item, ensure_ascii=False)[:200]}", file, None, aid))
            continue
        span = (start, end)
        said = value.get("text")
        if isinstance(said, str) and text[start:end] != said:
            alt = (utf16.from_utf16(start), utf16.from_utf16(end))
            if None not in alt and text[alt[0]:alt[1]] == said:
                notes.append(Note("utf16", f"region {rid}: offsets read as UTF-16 code units", file, None, aid,
                                  alt, said))
                span = alt  # type: ignore[assignment]
            else:
                problems.append(Problem(f"region {rid}: its text {said!r} is not the text at its offsets",
                                        file, None, aid, span=span, text=text[start:end]))
                continue
        elif said is None and utf16.astral:
            alt = (utf16.from_utf16(start), utf16.from_utf16(end))
            if None in alt:
                problems.append(Problem(f"region {rid}: offsets fall inside a character", file, None, aid, span=span))
                continue
            notes.append(Note("utf16", f"region {rid}: no text to check; offsets read as UTF-16 code units",
                              file, None, aid, alt))
            span = alt  # type: ignore[assignment]
        if not 0 <= span[0] < span[1] <= len(text):
            problems.append(Problem(f"region {rid}: offsets outside the text (length {len(text)})",
                                    file, None, aid, span=span))
            continue
        if rid in regions:
            problems.append(Problem(f"region id {rid!r} used twice", file, None, aid, span=span))
            continue
        regions[rid] = {"span": span, "labels": list(labs), "speaker": None, "kind": None}
    for item in extras:
        reg = regions.get(item.get("id"))
        value = item.get("value") or {}
        if reg is None:
            notes.append(Note("ignored", f"{item['type']} result {item.get('id')!r} is not on a labelled region: "
                                         "not converted", file, None, aid))
        elif item["type"] == "textarea":
            words = [t.strip() for t in value.get("text") or [] if isinstance(t, str) and t.strip()]
            reg["speaker"] = " ".join(words) or None
        else:
            picked = [c for c in value.get("choices") or [] if c in QUOTE_KINDS]
            if len(picked) != 1:
                problems.append(Problem(f"region {item.get('id')}: choices {value.get('choices')!r} must hold "
                                        f"one of {', '.join(QUOTE_KINDS)}", file, None, aid))
            else:
                reg["kind"] = picked[0]
    return regions


def _annotation(task: dict, options: ConvertOptions, where: tuple[str, str], problems: list[Problem],
                notes: list[Note]) -> dict | None:
    anns = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    file, aid = where
    if not anns:
        return None
    if len(anns) > 1:
        if options.pick != "last":
            problems.append(Problem(f"task has {len(anns)} annotations; choose one with --pick last",
                                    file, None, aid))
            return None
        notes.append(Note("pick", f"{len(anns)} annotations: the last is used", file, None, aid))
    return anns[-1]


def read(path: str | Path, options: ConvertOptions | None = None) -> tuple[list[dict], list[Note]]:
    """Read one Label Studio JSON export or every ``.json`` under a folder.

    Returns ``(articles, notes)``; raises :class:`ArticleError` listing every
    problem that stops a conversion.
    """
    options = options or ConvertOptions()
    if options.pick not in ("only", "last"):
        raise ValueError(f"pick must be only or last, got {options.pick!r}")
    label_map = dict(options.label_map)
    bad = {k: v for k, v in label_map.items() if v != "O" and v not in ENTITY_LABELS}
    if bad:
        raise ValueError(f"label map targets must be {', '.join(ENTITY_LABELS)} or O, got {bad}")
    parts = {p.lower(): p for p in QUOTE_PARTS}
    problems: list[Problem] = []
    notes: list[Note] = []
    staged: list[tuple[dict, str, str, dict[str, dict] | None, list[Any]]] = []
    for file in input_files(Path(path)):
        try:
            tasks, why = parse_json(read_text(file, bom=True))
        except TextError as err:
            problems.append(Problem(err.reason, err.file, err.line))
            continue
        if why is not None:
            problems.append(Problem(why, str(file)))
            continue
        tasks = [tasks] if isinstance(tasks, dict) else tasks
        if not isinstance(tasks, list):
            problems.append(Problem("expected a list of tasks", str(file)))
            continue
        for n, task in enumerate(tasks, 1):
            data = task.get("data") if isinstance(task, dict) else None
            text = data.get("text") if isinstance(data, dict) else None
            raw_id = data.get("id") if isinstance(data, dict) and data.get("id") is not None else (
                task.get("id") if isinstance(task, dict) else None)
            aid = str(raw_id) if raw_id is not None else f"{file.stem}-{n}"
            if not isinstance(text, str):
                problems.append(Problem(f"task {n}: data.text must be a string", str(file), None, aid))
                continue
            art = {k: v for k, v in data.items() if k not in ("text", "id", "entities", "quotes")}
            art = {"id": aid, "text": text, **art}
            ann = _annotation(task, options, (str(file), aid), problems, notes)
            if ann is None:
                staged.append((art, str(file), aid, None, []))
                continue
            items = ann.get("result") or []
            staged.append((art, str(file), aid, _regions(items, text, (str(file), aid), problems, notes), items))
    all_labels = {lab for *_, regs, _ in staged if regs for r in regs.values() for lab in r["labels"]}
    with_entities = any(label_map.get(lab, lab) in ENTITY_LABELS for lab in all_labels)
    with_quotes = any(lab.lower() in parts for lab in all_labels)
    located = []
    for art, file, aid, regs, items in staged:
        if regs is None:
            notes.append(Note("unannotated", "task has no annotation: layers left unannotated", file, None, aid))
            located.append((art, file, None))
            continue
        words = WordIndex(art["text"])
        ents, quotes = _layers(art["text"], words, regs, items, label_map, parts, (file, aid), problems, notes)
        if with_entities:
            art["entities"] = ents
        if with_quotes:
            art["quotes"] = quotes
        located.append((art, file, None))
    if problems:
        raise ArticleError(problems)
    return conclude(located), notes


def _layers(text: str, words: WordIndex, regs: dict[str, dict], items: list[Any], label_map: dict[str, str],
            parts: dict[str, str], where: tuple[str, str], problems: list[Problem],
            notes: list[Note]) -> tuple[list[dict], list[dict]]:
    file, aid = where

    def note(kind: str, message: str, span=None, *_: Any) -> None:
        notes.append(Note(kind, message, file, None, aid, span, None if span is None else text[span[0]:span[1]]))

    ents: list[dict] = []
    role: dict[str, str] = {}
    for rid, reg in regs.items():  # a region may carry an entity label and a quote part at once
        quote_parts = [parts[lab.lower()] for lab in reg["labels"] if lab.lower() in parts]
        if len(quote_parts) > 1:
            problems.append(Problem(f"region {rid} is labelled {' and '.join(quote_parts)}; one quote part "
                                    "per region", file, None, aid, span=reg["span"]))
        elif quote_parts:
            role[rid] = quote_parts[0]
        for lab in reg["labels"]:
            target = label_map.get(lab, lab)
            if lab.lower() in parts or target == "O":
                continue
            if target not in ENTITY_LABELS:
                note("unmapped", f"region {rid}: label {lab!r} has no entity label: not converted "
                                 f"(map it with --label-map '{lab}=LABEL' or '{lab}=O')", reg["span"])
                continue
            snapped = words.snap_noted(reg["span"], f"region {rid} {target}", note)
            if snapped is None:
                problems.append(Problem(f"region {rid}: holds only whitespace", file, None, aid, span=reg["span"]))
                continue
            ents.append({"start": snapped[0], "end": snapped[1], "label": target})
    links: dict[str, dict[str, str]] = collections.defaultdict(dict)  # content id -> {"SOURCE": id, ...}
    tied: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or item.get("type") != "relation":
            continue
        a, b = item.get("from_id"), item.get("to_id")
        if a not in regs or b not in regs:
            problems.append(Problem(f"relation {a!r} -> {b!r} names a region that is not there", file, None, aid))
            continue
        pair = {role.get(a): a, role.get(b): b}
        other = [p for p in pair if p in ("SOURCE", "CUE")]
        if "CONTENT" not in pair or len(other) != 1:
            problems.append(Problem(f"relation {a!r} -> {b!r} must tie a CONTENT to a SOURCE or CUE, got "
                                    f"{role.get(a)} and {role.get(b)}", file, None, aid))
            continue
        cid, part = pair["CONTENT"], other[0]
        if part in links[cid] and links[cid][part] != pair[part]:
            problems.append(Problem(f"CONTENT region {cid} is tied to two {part} regions "
                                    f"({links[cid][part]} and {pair[part]})", file, None, aid))
            continue
        links[cid][part] = pair[part]
        tied.add(pair[part])
    for rid, part in role.items():
        if part != "CONTENT" and rid not in tied:
            note("ignored", f"{part} region {rid} is tied to no CONTENT: not converted", regs[rid]["span"])
    drafts: list[QuoteDraft] = []
    for rid, part in role.items():
        if part != "CONTENT":
            continue
        reg = regs[rid]
        span = words.snap_noted(reg["span"], f"region {rid} CONTENT", note)
        if span is None:
            problems.append(Problem(f"region {rid}: CONTENT holds only whitespace", file, None, aid, span=reg["span"]))
            continue
        got: dict[str, tuple[int, int] | None] = {}
        for p in ("SOURCE", "CUE"):
            other = links[rid].get(p)
            got[p] = None if other is None else words.snap_noted(regs[other]["span"], f"region {other} {p}", note)
        kind = reg["kind"]
        if kind is None:
            span, kind = settle_content(text, span, lambda kd, msg, sp: note(kd, f"region {rid}: {msg}", sp))
        drafts.append(QuoteDraft(span, got["SOURCE"], got["CUE"], reg["speaker"], kind, f"region {rid}",
                                 len(drafts)))
    quotes = resolve_quotes(text, drafts, note)
    ents.sort(key=lambda e: (e["start"], e["end"]))
    return ents, quotes


def _region(rid: str, text: str, utf16: _Utf16, span: list[int], typ: str, name: str, value: dict) -> dict:
    s, e = span
    return {"id": rid, "from_name": name, "to_name": TEXT_NAME, "type": typ,
            "value": {"start": utf16.to_utf16(s), "end": utf16.to_utf16(e), "text": text[s:e], **value}}


def task_of(art: dict, target: str = "predictions", model_version: str = "qawl") -> dict:
    """One article as a Label Studio task (offsets in UTF-16 code units)."""
    text = art["text"]
    utf16 = _Utf16(text)
    result: list[dict] = []
    for i, ent in enumerate(art.get("entities") or []):
        result.append(_region(f"e{i}", text, utf16, [ent["start"], ent["end"]], "labels", LABELS_NAME,
                              {"labels": [ent["label"]]}))
    for k, q in enumerate(art.get("quotes") or []):
        cid = f"q{k}c"
        result.append(_region(cid, text, utf16, q["content"], "labels", LABELS_NAME, {"labels": ["CONTENT"]}))
        result.append(_region(cid, text, utf16, q["content"], "choices", KIND_NAME, {"choices": [q["kind"]]}))
        if q.get("speaker") is not None:
            result.append(_region(cid, text, utf16, q["content"], "textarea", SPEAKER_NAME, {"text": [q["speaker"]]}))
        for part, key, tag in (("SOURCE", "source", "s"), ("CUE", "cue", "u")):
            if q.get(key) is not None:
                rid = f"q{k}{tag}"
                result.append(_region(rid, text, utf16, q[key], "labels", LABELS_NAME, {"labels": [part]}))
                result.append({"from_id": cid, "to_id": rid, "type": "relation", "direction": "right",
                               "labels": []})
    extra = {k: v for k, v in art.items() if k not in ("id", "text", "entities", "quotes")}
    data = {"text": text, "id": art["id"], **extra}
    if target == "predictions":
        return {"data": data, "predictions": [{"model_version": model_version, "result": result}]}
    return {"data": data, "annotations": [{"result": result}]}


def labeling_config() -> str:
    """A Label Studio labeling configuration whose names match :func:`task_of`."""
    labels = "\n".join(f'    <Label value="{lab}"/>' for lab in (*ENTITY_LABELS, *QUOTE_PARTS))
    kinds = "\n".join(f'    <Choice value="{k}"/>' for k in QUOTE_KINDS)
    return (
        "<View>\n"
        f'  <Labels name="{LABELS_NAME}" toName="{TEXT_NAME}">\n{labels}\n  </Labels>\n'
        f'  <Text name="{TEXT_NAME}" value="$text"/>\n'
        "  <Relations>\n    <Relation value=\"source\"/>\n    <Relation value=\"cue\"/>\n  </Relations>\n"
        f'  <Choices name="{KIND_NAME}" toName="{TEXT_NAME}" perRegion="true">\n{kinds}\n  </Choices>\n'
        f'  <TextArea name="{SPEAKER_NAME}" toName="{TEXT_NAME}" perRegion="true" maxSubmissions="1"/>\n'
        "</View>\n"
    )


def write(arts: Iterable[dict], out: str | Path | TextIO, options: ConvertOptions | None = None) -> list[Note]:
    """Write a JSON list of tasks (see :func:`task_of`); returns notes for
    articles with a layer that is not annotated (written with no regions)."""
    options = options or ConvertOptions()
    if options.target not in ("predictions", "annotations"):
        raise ValueError(f"target must be predictions or annotations, got {options.target!r}")
    notes: list[Note] = []
    target = str(out) if isinstance(out, (str, Path)) else None
    tasks = []
    for art in arts:
        for layer in ("entities", "quotes"):
            if art.get(layer) is None:
                notes.append(Note("unannotated", f"{layer} not annotated: written with no regions", target,
                                  None, art["id"]))
        tasks.append(task_of(art, options.target, options.model_version))
    with output_stream(out) as fh:
        fh.write(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    return notes

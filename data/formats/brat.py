"""brat standoff (``.txt`` + ``.ann``) <-> articles; PolNeAR's attributions -> quotes.

Layout: ``X.ann`` next to ``X.txt``, or PolNeAR's ``<split>/attributions/X_<annotator>.ann``
with ``<split>/text/X.txt`` (the annotator suffix is dropped to find the text;
each ``.ann`` becomes one article named after it).

Quotes: an ``E`` line whose roles are ``Source``, ``Cue`` and ``Content``
(numbered repeats such as ``Content2`` allowed) becomes a quote; its first
argument is the trigger and is otherwise ignored, unless it names one of those
roles (``E1 Cue:T3 Source:T1 Content:T2``): then it is read as that part, with
a note. The speaker is the SOURCE's
text (null without one); the kind follows the quotation marks
(:func:`data.formats.spans.settle_content`). A CONTENT in several fragments
(discontinuous ``T``, or repeated roles) becomes one quote per fragment with the
same speaker, the first fragment carrying SOURCE and CUE; a SOURCE or CUE in
several fragments keeps its first one. Spans off the scheme's word boundaries
are snapped, and overlapping quote parts are resolved by
:func:`data.formats.spans.resolve_quotes`. ``A<n> Kind E<n> direct|indirect``
and ``#<n> AnnotatorNotes E<n> speaker=<JSON string or null>`` lines, as the
writer produces, override the kind and speaker.

A ``.txt`` under the input folder that no ``.ann`` names is left out with a
note. Writing refuses a folder that holds files already and fills the folder
whole or not at all.

Entities: other ``T`` labels that are scheme labels (PER, ORG, LOC, MISC) or are
mapped by ``label_map`` (to a label, or to ``O`` to leave them out). Unmapped
labels are noted, never guessed. An attribution with no Content is an error,
or with ``drop_incomplete`` is left out and noted. A layer is annotated when the input as a
whole has it: entities when some label is an entity label after the map,
quotes when some ``.ann`` has an ``E`` line.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import re
from collections.abc import Iterable
from pathlib import Path

from ..article import ArticleError, Problem
from ..schema import ENTITY_LABELS
from ..textio import TextError, atomic_folder, check_output, read_text
from . import ConvertOptions, Note, conclude
from .spans import QuoteDraft, WordIndex, resolve_quotes, settle_content

ROLE = re.compile(r"^(Source|Cue|Content)(\d*)$")
QUOTE_LABELS = ("Source", "Cue", "Content")
_T_LINE = re.compile(r"^(T\d+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t?(.*)$")
_SPEAKER = "speaker="


@dataclasses.dataclass
class _TextBound:
    tid: str
    label: str
    frags: list[tuple[int, int]]
    line: int


@dataclasses.dataclass
class _Event:
    eid: str
    args: list[tuple[str, str]]  # (role, T id); the first is the trigger
    line: int


@dataclasses.dataclass
class _Doc:
    aid: str
    ann: Path
    text: str
    spans: dict[str, _TextBound]
    events: list[_Event]
    kinds: dict[str, str]  # E id -> kind, from attributes
    speakers: dict[str, str | None]  # E id -> speaker, from notes


def _text_for(ann: Path) -> tuple[Path | None, bool]:
    """The ``.txt`` of one ``.ann`` and whether the annotator suffix was dropped."""
    folders = [ann.parent, ann.parent.parent / "text"]
    stems = [ann.stem] + ([ann.stem.rsplit("_", 1)[0]] if "_" in ann.stem else [])
    for k, stem in enumerate(stems):
        for folder in folders:
            cand = folder / f"{stem}.txt"
            if cand.is_file():
                return cand, k > 0
    return None, False


def _speaker(raw: str) -> tuple[bool, str | None]:
    """``(ok, speaker)`` from the JSON after ``speaker=``."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return False, None
    return (value is None or isinstance(value, str)), value


def _parse(ann: Path, text: str, problems: list[Problem], notes: list[Note]) -> _Doc:
    aid = ann.stem
    doc = _Doc(aid, ann, text, {}, [], {}, {})
    lines = [ln.rstrip("\r") for ln in read_text(ann, bom=True).split("\n")]
    f = str(ann)
    i = 0
    while i < len(lines):
        n, line = i + 1, lines[i]
        i += 1
        if not line.strip():
            continue
        head = line[:1]
        if head == "T":
            m = _T_LINE.match(line)
            if not m:
                problems.append(Problem(f"malformed text-bound line {line!r}", f, n, aid))
                continue
            tid, label, offs, field = m.groups()
            frags = [tuple(int(x) for x in fr.split()) for fr in offs.split(";")]
            bad = [fr for fr in frags if not 0 <= fr[0] < fr[1] <= len(text)]
            if bad:
                problems.append(Problem(f"{tid}: offsets {bad[0]} outside the text (length {len(text)}) "
                                        "or empty", f, n, aid))
                continue
            expected = " ".join(text[a:b] for a, b in frags)
            extra = expected.count("\n")  # a span across line breaks continues on the next lines
            field = "\n".join([field] + lines[i:i + extra])
            i += extra
            if field.replace("\r", "") != expected.replace("\r", ""):
                problems.append(Problem(f"{tid}: the text field {field!r} does not match the text at the "
                                        f"offsets {expected!r}", f, n, aid))
                continue
            if tid in doc.spans:
                problems.append(Problem(f"{tid} defined twice", f, n, aid))
                continue
            doc.spans[tid] = _TextBound(tid, label, frags, n)
        elif head == "E":
            eid, _, rest = line.partition("\t")
            args = [tuple(a.split(":", 1)) for a in rest.split()]
            if not args or any(len(a) != 2 for a in args):
                problems.append(Problem(f"malformed event line {line!r}", f, n, aid))
                continue
            doc.events.append(_Event(eid, args, n))
        elif head in ("A", "M"):
            parts = line.split("\t", 1)[-1].split()
            if len(parts) == 3 and parts[0] == "Kind" and parts[2] in ("direct", "indirect"):
                doc.kinds[parts[1]] = parts[2]
            else:
                notes.append(Note("ignored", f"attribute line not converted: {line!r}", f, n, aid))
        elif head == "#":
            bits = line.split("\t")
            target = bits[1].split()[-1] if len(bits) > 1 and bits[1].split() else ""
            body = bits[2] if len(bits) > 2 else ""
            if body.startswith(_SPEAKER):
                ok, spk = _speaker(body[len(_SPEAKER):])
                if ok:
                    doc.speakers[target] = spk
                else:
                    problems.append(Problem(f"bad speaker note {body!r}: expected speaker=<JSON string or null>",
                                            f, n, aid))
            else:
                notes.append(Note("ignored", f"annotator note not converted: {line!r}", f, n, aid))
        elif head in ("R", "N", "*"):
            notes.append(Note("ignored", f"{line.split(chr(9), 1)[0]} line not converted (relations, "
                                         "normalisations and equivalences have no place in the scheme)", f, n, aid))
        else:
            problems.append(Problem(f"unrecognised line {line!r}", f, n, aid))
    return doc


def _check_map(label_map: dict[str, str]) -> None:
    bad = {k: v for k, v in label_map.items() if v != "O" and v not in ENTITY_LABELS}
    if bad:
        raise ValueError(f"label map targets must be {', '.join(ENTITY_LABELS)} or O, got {bad}")


def _quotes(doc: _Doc, words: WordIndex, drop_incomplete: bool, problems: list[Problem],
            notes: list[Note]) -> tuple[list[dict], set[str]]:
    """Quotes of one document and the T ids the events use."""
    f, aid, text = str(doc.ann), doc.aid, doc.text
    used: set[str] = set()
    drafts: list[QuoteDraft] = []
    for ev in doc.events:
        line = ev.line

        def note(kind: str, message: str, span=None, line=line) -> None:
            notes.append(Note(kind, message, f, line, aid, span, None if span is None else text[span[0]:span[1]]))

        roles: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
        ok = True
        for k, (role, tid) in enumerate(ev.args):
            if tid not in doc.spans:
                problems.append(Problem(f"{ev.eid}: {role} refers to {tid}, which is not defined", f, line, aid))
                ok = False
                continue
            used.add(tid)
            m = ROLE.match(role)
            if k == 0 and not m:
                continue  # the trigger
            if k == 0:
                note("trigger", f"{ev.eid}: the first argument {role}:{tid} names a part, not a trigger: "
                                f"read as the {m.group(1).upper()}", doc.spans[tid].frags[0])
            if not m:
                problems.append(Problem(f"{ev.eid}: role {role!r} is not Source, Cue or Content", f, line, aid))
                ok = False
                continue
            roles[m.group(1)] += doc.spans[tid].frags
        if not ok:
            continue
        if not roles["Content"]:
            if drop_incomplete:
                note("dropped", f"{ev.eid}: attribution has no Content: left out")
            else:
                problems.append(Problem(f"{ev.eid}: attribution has no Content (leave such attributions out "
                                        "with --drop-incomplete)", f, line, aid))
            continue
        parts: dict[str, tuple[int, int] | None] = {}
        for role in ("Source", "Cue"):
            frags = sorted(roles[role])
            if len(frags) > 1:
                note("first-fragment", f"{ev.eid}: {role.upper()} in {len(frags)} fragments; the first is kept",
                     frags[0])
            parts[role] = words.snap_noted(frags[0], f"{ev.eid} {role.upper()}", note) if frags else None
            if frags and parts[role] is None:
                note("dropped", f"{ev.eid}: {role.upper()} holds only whitespace: left out", frags[0])
        speaker = None if parts["Source"] is None else text[parts["Source"][0]:parts["Source"][1]]
        if ev.eid in doc.speakers:
            speaker = doc.speakers[ev.eid]
        contents = []
        for fr in sorted(roles["Content"]):
            snapped = words.snap_noted(fr, f"{ev.eid} CONTENT", note)
            if snapped is None:
                note("dropped", f"{ev.eid}: CONTENT fragment holds only whitespace", fr)
                continue
            contents.append(snapped)
        if not contents:
            problems.append(Problem(f"{ev.eid}: every CONTENT fragment is empty", f, line, aid))
            continue
        if len(contents) > 1:
            note("fragment", f"{ev.eid}: CONTENT in {len(contents)} fragments -> {len(contents)} quotes with "
                             "the same speaker, the first with SOURCE and CUE")
        for k, span in enumerate(contents):
            if ev.eid in doc.kinds:
                kind = doc.kinds[ev.eid]
            else:
                span, kind = settle_content(text, span, lambda kd, msg, sp: note(kd, f"{ev.eid}: {msg}", sp))
            drafts.append(QuoteDraft(span, parts["Source"] if k == 0 else None, parts["Cue"] if k == 0 else None,
                                     speaker, kind, ev.eid if len(contents) == 1 else f"{ev.eid} fragment {k + 1}",
                                     len(drafts), line))

    def note_overlap(kind: str, message: str, span, draft: QuoteDraft) -> None:
        notes.append(Note(kind, message, f, draft.line, aid, span, text[span[0]:span[1]]))

    return resolve_quotes(text, drafts, note_overlap), used


def input_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``.ann`` under a folder, sorted."""
    return sorted(path.rglob("*.ann")) if path.is_dir() else [path]


def unannotated_texts(path: Path, used: set[Path]) -> list[Path]:
    """The ``.txt`` files under a folder that no ``.ann`` read (``used``: resolved paths), sorted."""
    if not path.is_dir():
        return []
    return sorted(t for t in path.rglob("*.txt") if t.resolve() not in used)


def read(path: str | Path, options: ConvertOptions | None = None) -> tuple[list[dict], list[Note]]:
    """Read one ``.ann`` file or every ``.ann`` under a folder.

    Returns ``(articles, notes)``; raises :class:`ArticleError` listing every
    problem that stops a conversion.
    """
    options = options or ConvertOptions()
    label_map = dict(options.label_map)
    _check_map(label_map)
    problems: list[Problem] = []
    notes: list[Note] = []
    docs: list[_Doc] = []
    anns = input_files(Path(path))
    if not anns:
        problems.append(Problem("the folder holds no .ann file", str(path)))
    texts_used: set[Path] = set()
    for ann in anns:
        txt, stripped = _text_for(ann)
        if txt is None:
            problems.append(Problem("no text file found for it (looked for X.txt beside it and in ../text/, "
                                    "with and without the _annotator suffix)", str(ann), None, ann.stem))
            continue
        if stripped:
            notes.append(Note("text-file", f"text read from {txt}", str(ann), None, ann.stem))
        texts_used.add(txt.resolve())
        try:
            docs.append(_parse(ann, read_text(txt, bom=True), problems, notes))
        except TextError as err:
            problems.append(Problem(err.reason, err.file, err.line, ann.stem))
    for txt in unannotated_texts(Path(path), texts_used):
        notes.append(Note("no-annotation", "no .ann file names this text: left out (annotate it, or add an "
                                           "empty .ann to convert it with no spans)", str(txt), None, txt.stem))
    labels = {sp.label for d in docs for sp in d.spans.values()}
    with_entities = any(label_map.get(lab, lab) in ENTITY_LABELS for lab in labels)
    with_quotes = any(d.events for d in docs)
    located = []
    for d in docs:
        words = WordIndex(d.text)
        quotes, used = _quotes(d, words, options.drop_incomplete, problems, notes) if with_quotes else ([], set())
        ents = _entities(d, words, used, label_map, problems, notes)
        art = {"id": d.aid, "text": d.text}
        art["entities"] = ents if with_entities else None
        art["quotes"] = quotes if with_quotes else None
        located.append((art, str(d.ann), None))
    if problems:
        raise ArticleError(problems)
    return conclude(located), notes


def _entities(doc: _Doc, words: WordIndex, used: set[str], label_map: dict[str, str],
              problems: list[Problem], notes: list[Note]) -> list[dict]:
    f, aid, text = str(doc.ann), doc.aid, doc.text
    ents: list[dict] = []
    left_out: collections.Counter[str] = collections.Counter()
    for sp in doc.spans.values():
        if sp.tid in used:
            continue
        span0 = sp.frags[0]
        under = text[span0[0]:span0[1]]
        if sp.label in QUOTE_LABELS:
            notes.append(Note("ignored", f"{sp.tid} {sp.label} is in no attribution: not converted",
                              f, sp.line, aid, span0, under))
            continue
        target = label_map.get(sp.label, sp.label)
        if target == "O":
            left_out[sp.label] += 1
            continue
        if target not in ENTITY_LABELS:
            notes.append(Note("unmapped", f"{sp.tid} label {sp.label!r} has no entity label: not converted "
                                          f"(map it with --label-map '{sp.label}=LABEL' or '{sp.label}=O')",
                              f, sp.line, aid, span0, under))
            continue
        if len(sp.frags) > 1:
            problems.append(Problem(f"{sp.tid}: a {sp.label} entity in {len(sp.frags)} fragments has no "
                                    "place in the scheme", f, sp.line, aid, span=span0, text=under))
            continue

        def note(kind: str, message: str, span=None, line=sp.line) -> None:
            notes.append(Note(kind, message, f, line, aid, span, None if span is None else text[span[0]:span[1]]))

        snapped = words.snap_noted(span0, f"{sp.tid} {target}", note)
        if snapped is None:
            problems.append(Problem(f"{sp.tid}: entity holds only whitespace", f, sp.line, aid, span=span0))
            continue
        if target != sp.label:
            note("label-map", f"{sp.tid}: {sp.label} -> {target}")
        ents.append({"start": snapped[0], "end": snapped[1], "label": target})
    for lab, count in sorted(left_out.items()):
        notes.append(Note("label-map", f"{count} {lab} span(s) left out ({lab}=O)", f, None, aid))
    ents.sort(key=lambda e: (e["start"], e["end"]))
    return ents


def _safe_name(aid: str) -> bool:
    return bool(aid) and not aid.startswith(".") and not any(c in aid for c in "/\\\0\n\t")


def write(arts: Iterable[dict], out: str | Path, options: ConvertOptions | None = None) -> list[Note]:
    """Write ``<id>.txt`` and ``<id>.ann`` per article into the folder ``out``.

    Entities become ``T`` lines with their label; each quote becomes ``T``
    lines for its parts, an ``Attribution`` trigger (on the CUE, else the
    CONTENT), an ``E`` line, a ``Kind`` attribute and a ``speaker=`` note.
    Returns notes for what brat cannot hold (extra keys; unannotated layers).
    """
    out = Path(out)
    arts = list(arts)
    bad = [a["id"] for a in arts if not _safe_name(a["id"])]
    if bad:
        raise ValueError(f"article ids must be usable as file names, got {bad[:5]}")
    check_output(out, folder=True)
    notes: list[Note] = []
    with atomic_folder(out) as folder:
        for art in arts:
            notes += _write_article(art, folder, out)
    return notes


def _write_article(art: dict, folder: Path, out: Path) -> list[Note]:
    """Write one article's ``.txt`` and ``.ann`` into ``folder``; notes name ``out``, the folder it ends up in."""
    notes: list[Note] = []
    aid, text = art["id"], art["text"]
    lines: list[str] = []
    t = 0

    def tline(label: str, span: list[int]) -> str:
        nonlocal t
        t += 1
        lines.append(f"T{t}\t{label} {span[0]} {span[1]}\t{text[span[0]:span[1]]}")
        return f"T{t}"

    extra = sorted(set(art) - {"id", "text", "entities", "quotes"})
    if extra:
        notes.append(Note("dropped", f"keys not written to brat: {', '.join(extra)}", str(out), None, aid))
    for layer in ("entities", "quotes"):
        if art.get(layer) is None:
            notes.append(Note("unannotated", f"{layer} not annotated: written with none", str(out), None, aid))
    for ent in art.get("entities") or []:
        tline(ent["label"], [ent["start"], ent["end"]])
    for k, q in enumerate(art.get("quotes") or [], 1):
        roles = [("Content", tline("Content", q["content"]))]
        for role, key in (("Source", "source"), ("Cue", "cue")):
            if q.get(key) is not None:
                roles.append((role, tline(role, q[key])))
        trigger = tline("Attribution", q["cue"] if q.get("cue") is not None else q["content"])
        lines.append(f"E{k}\tAttribution:{trigger} " + " ".join(f"{r}:{tid}" for r, tid in roles))
        lines.append(f"A{k}\tKind E{k} {q['kind']}")
        lines.append(f"#{k}\tAnnotatorNotes E{k}\t{_SPEAKER}{json.dumps(q.get('speaker'), ensure_ascii=False)}")
    with open(folder / f"{aid}.txt", "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    with open(folder / f"{aid}.ann", "w", encoding="utf-8", newline="") as fh:
        fh.write("".join(ln + "\n" for ln in lines))
    return notes

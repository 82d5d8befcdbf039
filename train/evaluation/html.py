"""A self-contained right-to-left HTML page of predicted (and gold) articles.

Pure string building with :func:`html.escape`; no template engine, no external
resources. Every annotated span becomes one mark element carrying
``data-layer`` (``ner`` | ``quote``), ``data-label``, ``data-start``,
``data-end`` (character offsets, end exclusive) and ``data-side``
(``pred`` | ``gold``). Where a span must be cut to keep the elements properly
nested (it crosses a span of the other layer, or a paragraph break), the
pieces after the first are continuation fragments: same classes plus
``cont``, no ``data-side``, so each span is counted once.

With gold articles, a span of a layer the gold annotates is a ``hit`` (the
other side has the same layer, label, start and end), a ``miss`` (gold only)
or a ``false-alarm`` (prediction only); the status is both a class and
``data-status``. Scores come from the project's metrics, passed in.
"""
from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable, Sequence
from typing import Any

from qawl.data.article import PART_KEYS, ArticleError, Problem
from qawl.data.schema import ENTITY_LABELS, QUOTE_PARTS

from .scoring import text_differences

SIDES = ("pred", "gold")
EXCERPT_WORDS = 12  # words of a CONTENT shown in the quote table (the full span is marked in the text)

#: background colour per entity label
ENTITY_COLOURS = {"PER": "#ffcdd2", "ORG": "#bbdefb", "LOC": "#c8e6c9", "MISC": "#e1bee7"}

_STATUS_WORDS = {"hit": "found", "miss": "missed (gold only)", "false-alarm": "false alarm (prediction only)"}
_SIDE_WORDS = {"gold": "Gold", "pred": "Prediction"}

_CSS = """
body{margin:0;padding:1rem 1.5rem;font-family:"Noto Naskh Arabic","Noto Sans Arabic","Amiri","DejaVu Sans",sans-serif;
 background:#fafafa;color:#212121}
h1{font-size:1.4rem;margin:.2rem 0}
.meta,.scores,.legend{font-family:"DejaVu Sans",sans-serif;font-size:.85rem}
.meta{color:#555}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;margin:.6rem 0 1rem;padding:.5rem .8rem;
 background:#fff;border:1px solid #ddd;border-radius:6px}
.doc{background:#fff;border:1px solid #ddd;border-radius:6px;margin:0 0 1.2rem;padding:.6rem 1rem}
.doc h2{font-size:1.05rem;margin:.2rem 0 .4rem}
.doc h2 .id{font-family:"DejaVu Sans Mono",monospace;font-size:.8rem;color:#666;margin-inline-start:.6rem}
.scores{color:#333;background:#f1f3f4;border-radius:4px;padding:.25rem .6rem;margin:.3rem 0 .6rem}
.scores b{font-weight:600}
.scores .sep{color:#aaa;margin:0 .5rem}
.cols{display:grid;grid-template-columns:repeat(var(--n),minmax(0,1fr));gap:1.2rem}
.side h3{font-family:"DejaVu Sans",sans-serif;font-size:.9rem;margin:.2rem 0;color:#444;border-bottom:1px solid #eee}
.text{line-height:2.3;font-size:1.05rem}
.text p{margin:0 0 .7rem}
.note{font-family:"DejaVu Sans",sans-serif;font-size:.8rem;color:#777;font-style:italic}
.mk{border-radius:3px;padding:0 1px}
.mk.ner{background-color:#eeeeee}
.mk.quote.CONTENT{background-color:#fff8e1;border-bottom:2px solid #f9a825;border-radius:0}
.mk.quote.SOURCE{border:2px solid #1565c0;padding:0 2px}
.mk.quote.CUE{font-weight:bold;border-bottom:3px double #6a1b9a;border-radius:0}
.mk.miss{outline:2px dashed #d50000;outline-offset:1px}
.mk.false-alarm{outline:2px dotted #e65100;outline-offset:1px;
 background-image:repeating-linear-gradient(45deg,transparent 0 5px,rgba(230,81,0,.28) 5px 7px)}
.mk.miss:not(.cont)::after{content:"\\2717";color:#d50000;font-size:.7em;vertical-align:super;font-weight:bold}
.mk.false-alarm:not(.cont)::after{content:"+";color:#e65100;font-size:.8em;vertical-align:super;font-weight:bold}
.mk[data-tag]::before{content:attr(data-tag);font-family:"DejaVu Sans",sans-serif;font-size:.62em;font-weight:normal;
 color:#37474f;background:#eceff1;border-radius:3px;padding:0 3px;margin-inline-end:2px;vertical-align:super;display:inline-block;white-space:nowrap;line-height:1.3;
 direction:ltr;unicode-bidi:isolate}
table.quotes{border-collapse:collapse;font-size:.85rem;margin:.4rem 0;width:100%}
table.quotes th,table.quotes td{border:1px solid #e0e0e0;padding:.15rem .4rem;text-align:start;vertical-align:top}
table.quotes th{background:#f5f5f5;font-family:"DejaVu Sans",sans-serif;font-weight:600}
.legend .mk{padding:0 4px}
"""


def _entity_css() -> str:
    return "".join(f".mk.ner.{lab}{{background-color:{colour}}}" for lab, colour in ENTITY_COLOURS.items())


@dataclasses.dataclass(frozen=True)
class Mark:
    """One annotated span of one side of an article.

    ``status`` is None when the layer is not scored (no gold, or the gold
    does not annotate it); ``quote`` is the index of the quote a quote part
    belongs to, with its ``speaker`` and ``kind``.
    """

    layer: str
    label: str
    start: int
    end: int
    side: str
    status: str | None = None
    quote: int | None = None
    speaker: str | None = None
    kind: str | None = None

    @property
    def key(self) -> tuple[str, str, int, int]:
        """What must agree for a prediction to match a gold span exactly."""
        return self.layer, self.label, self.start, self.end


@dataclasses.dataclass(frozen=True)
class ShownArticle:
    """One article of the page: its prediction, its gold (or None) and their scores (or None)."""

    pred: dict
    gold: dict | None = None
    scores: dict | None = None


# --- marks ---------------------------------------------------------------------

def article_marks(art: dict, side: str) -> list[Mark]:
    """Every entity and quote part of an article as marks of ``side`` (no status)."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)}, got {side!r}")
    marks = [Mark("ner", e["label"], e["start"], e["end"], side) for e in art.get("entities") or []]
    for i, q in enumerate(art.get("quotes") or []):
        for part, key in PART_KEYS.items():
            if q.get(key) is not None:
                s, e = q[key]
                marks.append(Mark("quote", part, s, e, side, None, i, q.get("speaker"), q.get("kind")))
    return marks


def judge_marks(gold: dict, pred_marks: list[Mark], gold_marks: list[Mark]) -> tuple[list[Mark], list[Mark]]:
    """Marks with their status, for the layers the gold article annotates.

    Returns ``(pred_marks, gold_marks)``; marks of a layer the gold leaves
    unannotated (key missing or null) keep status None.
    """
    scored = {layer for layer, key in (("ner", "entities"), ("quote", "quotes")) if gold.get(key) is not None}
    gold_keys = {m.key for m in gold_marks}
    pred_keys = {m.key for m in pred_marks}

    def judged(marks: list[Mark], other: set, absent: str) -> list[Mark]:
        return [
            dataclasses.replace(m, status="hit" if m.key in other else absent) if m.layer in scored else m
            for m in marks
        ]

    return judged(pred_marks, gold_keys, "false-alarm"), judged(gold_marks, pred_keys, "miss")


# --- text with nested marks -------------------------------------------------------

def _nesting(m: Mark) -> tuple:
    # quote parts outside entities (entities lie inside quote parts), then longer spans outside
    return (0 if m.layer == "quote" else 1, m.start, -m.end, m.label)


def _attrs(pairs: Iterable[tuple[str, Any]]) -> str:
    return "".join(f' {k}="{html.escape(str(v), quote=True)}"' for k, v in pairs if v is not None)


def _classes(m: Mark, cont: bool) -> str:
    return " ".join(x for x in ("mk", m.layer, m.label, m.status, "cont" if cont else None) if x)


def _tag(m: Mark) -> str | None:
    """The badge text shown before a quote part (None for entities)."""
    if m.layer != "quote":
        return None
    if m.label != "CONTENT":
        return f"q{m.quote + 1} {m.label}"
    return f"q{m.quote + 1} · {m.speaker or 'speaker unknown'} · {m.kind or '?'}"


def _title(m: Mark) -> str:
    bits = [m.label]
    if m.layer == "quote":
        bits.append(f"quote {m.quote + 1}")
        bits.append(f"speaker: {m.speaker or 'unknown'}")
    if m.status:
        bits.append(_STATUS_WORDS[m.status])
    return " · ".join(bits) + f" [{m.start}, {m.end})"


def _open(m: Mark, first: bool) -> str:
    if not first:
        return f'<span{_attrs([("class", _classes(m, True)), ("data-of", f"{m.start}-{m.end}")])}>'
    pairs = [
        ("class", _classes(m, False)),
        ("data-layer", m.layer),
        ("data-label", m.label),
        ("data-start", m.start),
        ("data-end", m.end),
        ("data-side", m.side),
        ("data-status", m.status),
        ("data-quote", m.quote),
        ("data-speaker", m.speaker),
        ("data-kind", m.kind),
        ("data-tag", _tag(m)),
        ("title", _title(m)),
    ]
    return f"<span{_attrs(pairs)}>"


def paragraph_ranges(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line of ``text`` (split at ``"\\n"``, which is left out)."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append((start, i))
            start = i + 1
    out.append((start, len(text)))
    return out


def render_text(text: str, marks: Sequence[Mark]) -> str:
    """``text`` as ``<p>`` elements (one per ``"\\n"``-separated line) with nested mark elements.

    The text is cut at every span boundary and paragraph break; at each cut
    the open elements that end are closed and those that start are opened, so
    each piece of text sits inside exactly the marks covering it.
    """
    for m in marks:
        if not 0 <= m.start < m.end <= len(text):
            raise ValueError(f"mark {m.label} [{m.start}, {m.end}) lies outside the text (length {len(text)})")
    order = sorted(range(len(marks)), key=lambda i: _nesting(marks[i]))
    started: set[int] = set()
    paragraphs = []
    for ps, pe in paragraph_ranges(text):
        inside = [i for i in order if marks[i].start < pe and ps < marks[i].end]
        cuts = sorted({ps, pe} | {x for i in inside for x in (marks[i].start, marks[i].end) if ps < x < pe})
        out: list[str] = []
        stack: list[int] = []
        for a, b in zip(cuts, cuts[1:]):
            active = [i for i in inside if marks[i].start <= a and b <= marks[i].end]
            keep = 0
            while keep < min(len(stack), len(active)) and stack[keep] == active[keep]:
                keep += 1
            out.append("</span>" * (len(stack) - keep))
            for i in active[keep:]:
                out.append(_open(marks[i], i not in started))
                started.add(i)
            stack = active
            out.append(html.escape(text[a:b], quote=False))
        out.append("</span>" * len(stack))
        paragraphs.append(f"<p>{''.join(out)}</p>")
    return "".join(paragraphs)


# --- pairing and scores ----------------------------------------------------------

def pair_articles(
    preds: list[dict], golds: list[dict], pred_file: str, gold_file: str, pred_lines: Sequence[int] | None = None
) -> tuple[list[tuple[dict, dict]], list[str]]:
    """Match each predicted article to the gold article with its id.

    Returns ``(pairs, unshown)``: ``(pred, gold)`` in prediction order and the
    ids of gold articles that have no prediction. Raises
    :class:`ArticleError` naming file, line and article for every prediction
    with no gold article or with a text that differs from the gold text.
    ``pred_lines`` gives each prediction's line number in ``pred_file``.
    """
    by_id = {g["id"]: g for g in golds}
    problems = text_differences(preds, golds, pred_file, gold_file, pred_lines)
    for k, p in enumerate(preds):
        if p["id"] not in by_id:
            line = None if pred_lines is None else pred_lines[k]
            problems.append(Problem(f"no gold article with this id in {gold_file}", pred_file, line, p["id"]))
    if problems:
        order = {p["id"]: k for k, p in enumerate(preds)}
        raise ArticleError(sorted(problems, key=lambda pr: order[pr.article]))
    pairs = [(p, by_id[p["id"]]) for p in preds]
    shown = {p["id"] for p in preds}
    return pairs, [g["id"] for g in golds if g["id"] not in shown]


def _value(name: str, v: float) -> str:
    return f'<span class="score"{_attrs([("data-score", name), ("data-value", repr(v))])}>{v:.3f}</span>'


def render_scores(scores: dict, where: str = "article") -> str:
    """One score line: entity P/R/F1 and quote CONTENT exact/overlap F1 (and speakers found right)."""
    bits = []
    ner = scores.get("ner")
    if ner is None:
        bits.append("<b>Entities</b> not annotated in gold")
    else:
        bits.append(
            f"<b>Entities</b> P {_value('ner_precision', ner['precision'])} R {_value('ner_recall', ner['recall'])}"
            f" F1 {_value('ner_f1', ner['f1'])} (tp {ner['tp']}, fp {ner['fp']}, fn {ner['fn']})"
        )
    quo = scores.get("quote")
    if quo is None:
        bits.append("<b>Quotes</b> not annotated in gold")
    else:
        bits.append(
            f"<b>Quote CONTENT</b> exact F1 {_value('content_exact_f1', quo['content_exact_f1'])}"
            f" (tp {quo['content_exact_tp']}, fp {quo['content_exact_fp']}, fn {quo['content_exact_fn']})"
            f" overlap F1 {_value('content_overlap_f1', quo['content_overlap_f1'])}"
            f" (words: {quo['content_overlap_matched']} shared, {quo['content_overlap_predicted']} predicted,"
            f" {quo['content_overlap_gold']} gold)"
        )
        bits.append(
            f"<b>Speakers</b> {quo['attribution_correct']} right of {quo['attribution_found']} found"
            f" ({quo['attribution_gold']} gold quotes)"
        )
    sep = '<span class="sep">|</span>'
    return f'<p class="scores {where}" dir="ltr">{sep.join(bits)}</p>'


# --- page --------------------------------------------------------------------------

def _excerpt(text: str) -> str:
    words = text.split()
    return " ".join(words[:EXCERPT_WORDS]) + (f" … (+{len(words) - EXCERPT_WORDS} words)" if len(words) > EXCERPT_WORDS else "")


def render_quote_table(art: dict) -> str:
    """The article's quotes as a table: number, kind, speaker, CUE, SOURCE and the start of the CONTENT."""
    quotes = art.get("quotes")
    if quotes is None:
        return '<p class="note">Quotes: not annotated.</p>'
    if not quotes:
        return '<p class="note">Quotes: none.</p>'
    text = art["text"]

    def part(q: dict, key: str) -> str:
        sp = q.get(key)
        return "—" if sp is None else html.escape(text[sp[0]:sp[1]])

    rows = [
        "<tr><th>#</th><th>kind</th><th>speaker</th><th>CUE</th><th>SOURCE</th><th>CONTENT</th></tr>"
    ]
    for i, q in enumerate(quotes):
        s, e = q["content"]
        rows.append(
            f"<tr><td>q{i + 1}</td><td>{html.escape(str(q.get('kind')))}</td>"
            f"<td>{html.escape(q.get('speaker') or '—')}</td><td>{part(q, 'cue')}</td><td>{part(q, 'source')}</td>"
            f"<td>{html.escape(_excerpt(text[s:e]))}</td></tr>"
        )
    return f'<table class="quotes">{"".join(rows)}</table>'


def _side(art: dict, marks: list[Mark], side: str) -> str:
    notes = []
    if art.get("entities") is None:
        notes.append('<p class="note">Entities: not annotated.</p>')
    return (
        f'<section class="side {side}"><h3>{_SIDE_WORDS[side]}</h3>'
        f'<div class="text">{render_text(art["text"], marks)}</div>{"".join(notes)}{render_quote_table(art)}</section>'
    )


def render_article(shown: ShownArticle, number: int) -> str:
    """One article: its header, its score line (with gold) and one column per side (gold first)."""
    pred, gold = shown.pred, shown.gold
    pred_marks = article_marks(pred, "pred")
    columns = []
    if gold is not None:
        pred_marks, gold_marks = judge_marks(gold, pred_marks, article_marks(gold, "gold"))
        columns.append(_side(gold, gold_marks, "gold"))
    columns.append(_side(pred, pred_marks, "pred"))
    title = pred.get("title") or (gold or {}).get("title")
    head = html.escape(title) if isinstance(title, str) and title else f"Article {number}"
    scores = "" if shown.scores is None else render_scores(shown.scores)
    return (
        f'<article class="doc"{_attrs([("id", f"doc-{number}"), ("data-id", pred["id"])])}>'
        f'<h2>{head}<bdi class="id">{html.escape(pred["id"])}</bdi></h2>{scores}'
        f'<div class="cols" style="--n:{len(columns)}">{"".join(columns)}</div></article>'
    )


def render_legend(with_gold: bool) -> str:
    """Colour and style keys: entity labels, quote parts and, with gold, the error marks."""
    chips = [f'<span class="mk ner {lab}">{lab}</span>' for lab in ENTITY_LABELS]
    chips += [f'<span class="mk quote {part}">{part}</span>' for part in QUOTE_PARTS]
    if with_gold:
        chips += [
            f'<span class="mk miss">{_STATUS_WORDS["miss"]}</span>',
            f'<span class="mk false-alarm">{_STATUS_WORDS["false-alarm"]}</span>',
        ]
    return f'<div class="legend" dir="ltr">{"".join(chips)}</div>'


def render_page(
    articles: Sequence[ShownArticle],
    title: str,
    sources: Sequence[str] = (),
    total: dict | None = None,
    unshown: Sequence[str] = (),
) -> str:
    """The whole HTML document (UTF-8 text, ``dir="rtl"``, ``lang="ar"``, inline CSS).

    ``sources``: lines naming the input files; ``total``: scores over all
    articles (as from :func:`score_pairs`), shown under the title;
    ``unshown``: ids of gold articles with no prediction, listed so that
    nothing is left out unsaid.
    """
    with_gold = any(a.gold is not None for a in articles)
    meta = [f'<p class="meta" dir="ltr">{html.escape(s)}</p>' for s in sources]
    meta.append(f'<p class="meta" dir="ltr">{len(articles)} article(s)</p>')
    if unshown:
        ids = ", ".join(unshown)
        meta.append(f'<p class="meta" dir="ltr">{len(unshown)} gold article(s) with no prediction, not shown: {html.escape(ids)}</p>')
    summary = "" if total is None else render_scores(total, "total")
    body = "".join(render_article(a, n) for n, a in enumerate(articles, 1)) or '<p class="note">No articles.</p>'
    return (
        '<!DOCTYPE html>\n<html dir="rtl" lang="ar"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}{_entity_css()}</style></head>"
        f'<body><header><h1 dir="ltr">{html.escape(title)}</h1>{"".join(meta)}{summary}{render_legend(with_gold)}</header>'
        f"<main>{body}</main></body></html>\n"
    )

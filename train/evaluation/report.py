"""Markdown evaluation report: score tables per split and the worst errors in context.

Article ids and text are data, not markup: every cell that holds them is
escaped (:func:`cell`), so a ``<script>`` or ``<img onerror=...>`` in an
article shows as text wherever the report is rendered.
"""
from __future__ import annotations

import html
from pathlib import Path

from qawl.data.textio import write_text

CONTEXT = 40  # characters of text shown on each side of an error


def _f(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def span_errors(gold: dict, pred: dict) -> list[tuple[str, str, int, int]]:
    """(kind, label, start, end) for every entity and quote-part error of one article.

    kind is ``missed`` (gold span with no exact prediction), ``false alarm``
    (prediction with no exact gold span) or ``wrong type`` (same span, other label).
    """
    out = []
    layers = []
    if gold.get("entities") is not None:
        layers.append(({(e["start"], e["end"]): e["label"] for e in gold["entities"]},
                       {(e["start"], e["end"]): e["label"] for e in pred.get("entities") or []}))
    if gold.get("quotes") is not None:
        def parts(arts):
            return {tuple(q[k]): k.upper() for q in arts for k in ("content", "source", "cue") if q.get(k)}
        layers.append((parts(gold["quotes"]), parts(pred.get("quotes") or [])))
    for g, p in layers:
        for sp, lab in g.items():
            if sp not in p:
                out.append(("missed", lab, *sp))
            elif p[sp] != lab:
                out.append(("wrong type", f"{lab} -> {p[sp]}", *sp))
        for sp, lab in p.items():
            if sp not in g:
                out.append(("false alarm", lab, *sp))
    return out


def cell(value: object) -> str:
    """``value`` as the text of one Markdown table cell: HTML escaped, one line, pipes escaped."""
    text = html.escape(str(value), quote=False)
    return " ".join(text.split("\n")).replace("\r", " ").replace("|", "\\|")


def _context(text: str, s: int, e: int) -> str:
    left, mid, right = text[max(0, s - CONTEXT):s], text[s:e], text[e:e + CONTEXT]
    return f"{cell(left)} **[{cell(mid)}]** {cell(right)}"


def render_report(scores: dict[str, dict], gold: dict[str, list[dict]], pred: dict[str, list[dict]], worst: int = 20) -> str:
    lines = ["# Evaluation report", ""]
    for split, sc in scores.items():
        lines += [f"## {split}", "", "| score | value |", "|---|---|"]
        for k, v in sc.items():
            if isinstance(v, (int, float)):
                lines.append(f"| {k} | {_f(v)} |")
        per = sc.get("ner_per_type")
        if per:
            lines += ["", "| entity type | precision | recall | F1 | support |", "|---|---|---|---|---|"]
            for t, v in sorted(per.items()):
                lines.append(f"| {t} | {_f(v.get('precision'))} | {_f(v.get('recall'))} | {_f(v.get('f1'))} | {v.get('support', '-')} |")
        by_id = {p["id"]: p for p in pred.get(split, [])}
        rows = []
        for g in gold.get(split, []):
            errs = span_errors(g, by_id.get(g["id"], {}))
            rows += [(len(errs), g["id"], kind, lab, _context(g["text"], s, e)) for kind, lab, s, e in errs]
        rows.sort(key=lambda r: (-r[0], r[1]))
        lines += ["", f"### Worst errors ({min(worst, len(rows))} of {len(rows)}, articles with most errors first)", ""]
        if rows:
            lines += ["| article | error | label | context |", "|---|---|---|---|"]
            lines += [f"| {cell(aid)} | {kind} | {cell(lab)} | {ctx} |" for _, aid, kind, lab, ctx in rows[:worst]]
        else:
            lines.append("None.")
        lines.append("")
    return "\n".join(lines)


def write_report(path: str | Path, scores, gold, pred, worst: int = 20) -> Path:
    """Render the report and write it whole (temporary file, then rename); returns the path."""
    path = Path(path)
    write_text(path, render_report(scores, gold, pred, worst))
    return path

"""Horizontal bar charts as inline SVG: no script, no external resource.

A chart is a ``<figure class="chart" data-chart="NAME" data-bars="N">`` holding
one ``<svg>`` with a ``<g class="bar">`` per row (``data-label``, ``data-value``:
the row's total) and, per row, one ``<rect>`` per non-empty segment
(``class="seg seg-K"``, ``data-value``). Labels sit on the right (the page
reads right to left), bars grow leftwards from beside them, and the figure
after each bar is its note (a count, a share). Every text is escaped.
"""
from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence

#: drawing units (the SVG scales to the page's width)
WIDTH = 760
LABEL_WIDTH = 230  # right-hand column of row labels
NOTE_WIDTH = 120  # left-hand column of notes
ROW_HEIGHT = 24
BAR_HEIGHT = 16
#: characters of a label drawn in full; a longer one is cut (its full text is the bar's tooltip)
LABEL_CHARS = 34
#: fill colours of segments 0, 1, ... (direct, indirect; or a single value)
SEGMENT_COLOURS = ("#1565c0", "#90caf9", "#ef6c00")


@dataclasses.dataclass(frozen=True)
class Bar:
    """One row of a chart: its ``label``, the sizes of its ``segments`` (drawn
    end to end, same unit for every row) and the ``note`` written after it."""

    label: str
    segments: tuple[float, ...]
    note: str = ""

    @property
    def total(self) -> float:
        return sum(self.segments)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _bar(bar: Bar, row: int, scale: float) -> str:
    """One row: tooltip, label on the right, segments leftwards from the label column, note on the left."""
    y = row * ROW_HEIGHT
    right = WIDTH - LABEL_WIDTH - 8  # where bars start, in drawing units
    parts = [f"<title>{_esc(bar.label)}: {_esc(bar.note)}</title>",
             f'<text class="label" x="{WIDTH - 4}" y="{y + BAR_HEIGHT - 3}" text-anchor="end">'
             f"{_esc(_short(bar.label))}</text>"]
    x = right
    for k, size in enumerate(bar.segments):
        if size <= 0:
            continue
        w = size * scale
        x -= w
        parts.append(f'<rect class="seg seg-{k}" data-value="{_esc(size)}" x="{x:.2f}" y="{y + 2}" width="{w:.2f}"'
                     f' height="{BAR_HEIGHT}" fill="{SEGMENT_COLOURS[k % len(SEGMENT_COLOURS)]}"/>')
    parts.append(f'<text class="note" x="{x - 6:.2f}" y="{y + BAR_HEIGHT - 3}" text-anchor="end">'
                 f"{_esc(bar.note)}</text>")
    return f'<g class="bar" data-label="{_esc(bar.label)}" data-value="{_esc(bar.total)}">{"".join(parts)}</g>'


def render_chart(name: str, caption: str, bars: Sequence[Bar], legend: Sequence[str] = (), alt: str = "",
                 empty: str = "") -> str:
    """A figure: its ``caption`` (HTML), the bars (``alt``: their plain-text
    title for screen readers) and, when ``legend`` (HTML) names the segments,
    a key of their colours; ``empty`` (HTML) is said when there are no bars."""
    longest = max((b.total for b in bars), default=0)
    scale = (WIDTH - LABEL_WIDTH - NOTE_WIDTH - 16) / longest if longest > 0 else 0.0
    height = max(len(bars), 1) * ROW_HEIGHT + 4
    rows = "".join(_bar(b, k, scale) for k, b in enumerate(bars))
    if not bars:
        rows = f'<text class="empty" x="{WIDTH - 4}" y="{ROW_HEIGHT - 8}" text-anchor="end">—</text>'
    key = "".join(f'<span class="key"><i style="background:{SEGMENT_COLOURS[k % len(SEGMENT_COLOURS)]}"></i>'
                  f"{label}</span>" for k, label in enumerate(legend))
    return (
        f'<figure class="chart" id="chart-{_esc(name)}" data-chart="{_esc(name)}" data-bars="{len(bars)}">'
        f"<figcaption>{caption}</figcaption>"
        f'<svg viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="{_esc(alt)}"'
        f' style="direction:ltr">{rows}</svg>'
        + (f'<div class="keys">{key}</div>' if key else "")
        + (f'<p class="note">{empty}</p>' if not bars and empty else "")
        + "</figure>"
    )

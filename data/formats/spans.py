"""Span repairs shared by the span-based importers (brat, Label Studio, doccano).

* :class:`WordIndex` moves a span onto the scheme's word boundaries.
* :func:`settle_content` decides a CONTENT's kind from its quotation marks and
  trims it the way the scheme wants.
* :func:`resolve_quotes` removes overlaps between quote parts with one fixed,
  documented rule.

Every change is handed to a ``note(kind, message, span)`` callback, so the
caller can report it with its own file, line and article.
"""
from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable

from ..words import split_words

Span = tuple[int, int]
NoteFn = Callable[[str, str, "Span | None"], None]

#: (opening, closing) quotation marks the scheme recognises, with their mirrored
#: forms; two-character ASCII pairs as in Penn Treebank text (``...'' and ''...'').
QUOTE_PAIRS: tuple[tuple[str, str], ...] = (
    ("\u201c", "\u201d"),  # “ ”
    ("\u201d", "\u201c"),  # ” “
    ("\u00ab", "\u00bb"),  # « »
    ("\u00bb", "\u00ab"),  # » «
    ('"', '"'),
    ("\u201e", "\u201c"),  # „ “
    ("\u201c", "\u201e"),  # “ „
    ("``", "''"),
    ("''", "''"),
)


class WordIndex:
    """The words of one text, for snapping spans onto word boundaries."""

    def __init__(self, text: str):
        self.text = text
        offs = split_words(text)
        self.starts = [s for s, _ in offs]
        self.ends = [e for _, e in offs]
        self._start_set = set(self.starts)
        self._end_set = set(self.ends)

    def on_boundaries(self, span: Span) -> bool:
        return span[0] in self._start_set and span[1] in self._end_set

    def snap(self, span: Span) -> Span | None:
        """Trim whitespace, then widen to the edges of the words cut.

        ``span`` must lie inside the text. Returns None when only whitespace
        is left.
        """
        s, e = span
        text = self.text
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s >= e:
            return None
        i = bisect.bisect_right(self.starts, s) - 1
        if i >= 0 and s < self.ends[i]:
            s = self.starts[i]
        j = bisect.bisect_right(self.starts, e - 1) - 1
        if j >= 0 and e - 1 < self.ends[j]:
            e = self.ends[j]
        return s, e

    def snap_noted(self, span: Span, what: str, note: NoteFn) -> Span | None:
        """:meth:`snap`, calling ``note("snap", ...)`` when the span moves."""
        new = self.snap(span)
        if new is not None and new != tuple(span):
            note("snap", f"{what} moved to word boundaries: {self.text[span[0]:span[1]]!r} -> "
                         f"{self.text[new[0]:new[1]]!r} [{new[0]}, {new[1]})", tuple(span))
        return new


def _trim(text: str, s: int, e: int) -> Span:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def settle_content(text: str, span: Span, note: NoteFn) -> tuple[Span, str]:
    """Kind and final span of one CONTENT already on word boundaries.

    Rule, in order:
    1. the span starts with an opening mark and ends with its closing mark, and
       no closing mark of that pair is in between: direct, marks removed;
    2. it starts with an opening mark and holds none of its closing marks (an
       unclosed quote): direct, opening mark removed;
    3. the nearest non-space characters either side are an opening mark and
       its closing mark: direct, unchanged;
    4. otherwise indirect, any marks inside kept; a final full stop is removed.
    Returns ``((start, end), kind)``; every change is noted.
    """
    s, e = span
    t = text[s:e]
    for opening in dict.fromkeys(o for o, _ in QUOTE_PAIRS):
        if not t.startswith(opening):
            continue
        closers = [c for o, c in QUOTE_PAIRS if o == opening]
        inner = t[len(opening):]
        for closing in closers:
            body = inner[: -len(closing)] if inner.endswith(closing) else None
            if body and body.strip() and not any(c in body for c in closers):
                new = _trim(text, s + len(opening), e - len(closing))
                note("marks", f"direct quote: marks {opening}...{closing} left out of CONTENT", span)
                return new, "direct"
        if inner.strip() and not any(c in inner for c in closers):
            new = _trim(text, s + len(opening), e)
            note("marks", f"direct quote with no closing mark: {opening} left out of CONTENT", span)
            return new, "direct"
    before = text[:s].rstrip()
    after = text[e:].lstrip()
    for opening, closing in QUOTE_PAIRS:
        if before.endswith(opening) and after.startswith(closing):
            return (s, e), "direct"
    if e - s > 1 and t.endswith(".") and t[-2] != "." and not t[:-1].isspace():
        new = _trim(text, s, e - 1)
        if new[1] > new[0]:
            note("full-stop", "indirect quote: final full stop left out of CONTENT", span)
            return new, "indirect"
    return (s, e), "indirect"


@dataclasses.dataclass
class QuoteDraft:
    """One quote before overlaps are resolved; ``origin`` names it in notes."""

    content: Span
    source: Span | None
    cue: Span | None
    speaker: str | None
    kind: str
    origin: str
    rank: int  # input order, the last tie-break
    line: int | None = None  # where the quote was read, for notes


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _outside(span: Span, taken: list[Span]) -> list[Span]:
    """Pieces of ``span`` not covered by any of ``taken``."""
    pieces = [span]
    for t in taken:
        nxt = []
        for p in pieces:
            if not _overlaps(p, t):
                nxt.append(p)
                continue
            if p[0] < t[0]:
                nxt.append((p[0], t[0]))
            if t[1] < p[1]:
                nxt.append((t[1], p[1]))
        pieces = nxt
    return pieces


def resolve_quotes(text: str, drafts: list[QuoteDraft],
                   note: Callable[[str, str, Span, QuoteDraft], None]) -> list[dict]:
    """Quotes with no overlapping parts, sorted by CONTENT start.

    Rule: CONTENTs are placed first, shortest first (ties: by start, then input
    order), so a quote nested inside another's CONTENT survives; a CONTENT that
    overlaps CONTENTs already placed keeps its longest piece outside them (with
    none left, i.e. the same span as another CONTENT, the quote is dropped).
    Then, quote by quote in order of CONTENT start, SOURCE and CUE are placed;
    one that overlaps any part already placed (e.g. a SOURCE shared by two
    quotes) is set to null in the later quote, whose speaker stays. Every
    change is noted through ``note(kind, message, span, draft)``.
    """
    by_size = sorted(drafts, key=lambda d: (d.content[1] - d.content[0], d.content[0], d.rank))
    placed: list[tuple[Span, str]] = []  # (span, "CONTENT of E3")
    alive: list[QuoteDraft] = []
    for d in by_size:
        hits = [(sp, who) for sp, who in placed if _overlaps(sp, d.content)]
        if hits:
            pieces = [_trim(text, a, b) for a, b in _outside(d.content, [sp for sp, _ in hits])]
            pieces = [p for p in pieces if p[1] > p[0]]
            others = ", ".join(who for _, who in hits)
            if not pieces:
                note("overlap", f"{d.origin}: CONTENT is the same as {others}; quote dropped", d.content, d)
                continue
            best = max(pieces, key=lambda p: (p[1] - p[0], -p[0]))
            note("overlap", f"{d.origin}: CONTENT overlaps {others}; trimmed to "
                            f"{text[best[0]:best[1]]!r} [{best[0]}, {best[1]})", d.content, d)
            d.content = best
        placed.append((d.content, f"CONTENT of {d.origin}"))
        alive.append(d)
    alive.sort(key=lambda d: (d.content[0], d.content[1], d.rank))
    for d in alive:
        for part in ("source", "cue"):
            sp = getattr(d, part)
            if sp is None:
                continue
            hits = [who for other, who in placed if _overlaps(other, sp)]
            if hits:
                same = [who for other, who in placed if tuple(other) == tuple(sp)]
                why = f"is shared with {same[0]}, which keeps it" if same else f"overlaps {', '.join(hits)}"
                note("overlap", f"{d.origin}: {part.upper()} {why}; set to null here", sp, d)
                setattr(d, part, None)
            else:
                placed.append((sp, f"{part.upper()} of {d.origin}"))
    return [
        {
            "content": list(d.content),
            "source": None if d.source is None else list(d.source),
            "cue": None if d.cue is None else list(d.cue),
            "speaker": d.speaker,
            "kind": d.kind,
        }
        for d in alive
    ]

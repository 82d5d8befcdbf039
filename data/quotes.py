"""From labelled quote-part spans to attributed quotes.

A tagger predicts CONTENT, SOURCE and CUE spans independently; this module
groups them into the scheme's quotes and fills in each quote's speaker and
kind. Pure functions over character offsets (no torch).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .words import normalise_for_match

Span = tuple[int, int, str]

OPEN_MARKS = "“«„\"‘‹”»"  # marks that can open a quote (mirrored forms included)
CLOSE_MARKS = "”»“\"’›«″"
_PARA = re.compile(r"\n+")


def paragraph_of(text: str, pos: int) -> int:
    """Index of the paragraph (newline-separated block) holding ``pos``."""
    return text.count("\n", 0, pos)


def quote_kind(text: str, start: int, end: int) -> str:
    """``direct`` when the content sits in quotation marks or follows a colon."""
    i = start - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    j = end
    while j < len(text) and text[j].isspace():
        j += 1
    before = text[i] if i >= 0 else ""
    after = text[j] if j < len(text) else ""
    if before and before in OPEN_MARKS:
        return "direct"
    if before == ":" or (after and after in CLOSE_MARKS and before in OPEN_MARKS + ":"):
        return "direct"
    return "indirect"


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, b[0] - a[1], a[0] - b[1])


def fullest_mention(text: str, name: str, entities: Sequence[Span]) -> str:
    """The longest PER/ORG entity in the article that contains ``name``.

    ``name`` itself when no entity contains it (after Arabic normalisation).
    """
    key = normalise_for_match(name)
    if not key:
        return name
    best = name
    best_len = len(key)
    for s, e, label in entities:
        if label not in ("PER", "ORG"):
            continue
        cand = text[s:e]
        ck = normalise_for_match(cand)
        if key in ck and len(ck) > best_len:
            best, best_len = cand, len(ck)
    return best


def group_quotes(text: str, quote_spans: Sequence[Span], entities: Sequence[Span] = ()) -> list[dict]:
    """Quotes in the scheme's format from CONTENT/SOURCE/CUE spans.

    Each CONTENT starts a quote. A SOURCE or CUE joins the nearest CONTENT of
    its paragraph (the earlier one on a tie: the attribution of an interrupted
    quote belongs to the first part); each quote keeps at most one of each.
    The speaker is the source's fullest mention among the entities; a quote
    with no source takes the speaker of the nearest preceding quote of its
    paragraph, then of the article.
    """
    contents = sorted((s, e) for s, e, lab in quote_spans if lab == "CONTENT")
    quotes = [{"content": [s, e], "source": None, "cue": None, "speaker": None, "kind": quote_kind(text, s, e)} for s, e in contents]
    for part in ("SOURCE", "CUE"):
        key = part.lower()
        claims: dict[int, tuple[int, tuple[int, int]]] = {}
        for s, e, lab in quote_spans:
            if lab != part:
                continue
            para = paragraph_of(text, s)
            best = None
            for qi, (cs, ce) in enumerate(contents):
                if paragraph_of(text, cs) != para and paragraph_of(text, ce) != para:
                    continue
                d = _distance((s, e), (cs, ce))
                if best is None or d < best[0]:
                    best = (d, qi)
            if best is None:
                continue
            d, qi = best
            if qi not in claims or d < claims[qi][0]:
                claims[qi] = (d, (s, e))
        for qi, (_, sp) in claims.items():
            quotes[qi][key] = [sp[0], sp[1]]
    last_speaker: dict[int, str | None] = {}
    article_last: str | None = None
    for q in quotes:
        para = paragraph_of(text, q["content"][0])
        if q["source"] is not None:
            s, e = q["source"]
            q["speaker"] = fullest_mention(text, text[s:e], entities)
        elif para in last_speaker:
            q["speaker"] = last_speaker[para]
        else:
            q["speaker"] = article_last
        last_speaker[para] = q["speaker"]
        if q["speaker"] is not None:
            article_last = q["speaker"]
    return quotes

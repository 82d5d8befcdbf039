"""Pairing quotation marks in news text.

Arabic news text mixes every family of marks (ASCII ``"``, curly ``“ ”``,
guillemets ``« »``, low ``„``, the double prime ``″``) and writes them in
either direction: ``” ... “`` and ``» ... «`` are as common as the forms a
style guide would pick, and families are mixed (``« ... ”``). So a mark's
glyph does not say whether it opens or closes; its neighbours do. A mark with
a space (or the start of a paragraph, or an opening bracket or colon) before
it and a word after it opens; a mark glued to the end of a word and followed
by a space or punctuation closes. Marks that the neighbours leave open
(spaces both sides, or glued both sides) close a pending quote when there is
one and open a new one otherwise, except that a mark glued to a tatweel or a
one-letter proclitic (``لـ”آشكاين”``, ``ب"ذا فويس"``) always opens.

Quotes never cross a paragraph (a newline); a mark still open at the end of
its paragraph is *unclosed*. Two opening marks with only space between them
(``: " "سوف``) open one quote, at the inner mark.
"""
from __future__ import annotations

import dataclasses
import re

from .words import TATWEEL, is_word_char

#: every character that can open or close a quote, either way round
MARKS = frozenset("\"“”«»„‟″‹›")
_MARK_RE = re.compile("[" + re.escape("".join(sorted(MARKS))) + "]")

#: characters after which a mark opens (besides whitespace and the paragraph start)
_OPEN_AFTER = frozenset("([{:؛;،,-–—/")
#: characters before which a mark closes (besides whitespace and the paragraph end)
_CLOSE_BEFORE = frozenset(".,،؛;:!?؟)]}…-–—/")
#: one-letter proclitics that glue to a following quoted name
_PROCLITICS = frozenset("بلكوف")


@dataclasses.dataclass(frozen=True)
class MarkPair:
    """One quotation: offsets of its opening mark and closing mark.

    ``close`` is None for an unclosed quote (no closing mark before the end
    of its paragraph); ``depth`` is 0 for an outermost pair, 1 inside one
    other pair, and so on.
    """

    open: int
    close: int | None
    depth: int = 0

    def inner(self, text: str, para_end: int | None = None) -> tuple[int, int]:
        """Character span between the marks, whitespace trimmed: ``(start, end)``.

        An unclosed pair runs to ``para_end`` (default: the end of the
        paragraph holding the opening mark). ``start == end`` when empty.
        """
        s = self.open + 1
        if self.close is not None:
            e = self.close
        elif para_end is not None:
            e = para_end
        else:
            nl = text.find("\n", s)
            e = len(text) if nl < 0 else nl
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        return s, e


def _side(text: str, i: int, lo: int, hi: int) -> str:
    """``open``, ``close`` or ``either`` for the mark at ``i`` in paragraph ``[lo, hi)``."""
    before = text[i - 1] if i > lo else None
    after = text[i + 1] if i + 1 < hi else None
    space_before = before is None or before.isspace() or before in _OPEN_AFTER
    space_after = after is None or after.isspace() or after in _CLOSE_BEFORE
    if before is not None and (before == TATWEEL or _glued_proclitic(text, i, lo)):
        if after is not None and not after.isspace() and after not in MARKS:
            return "open"
    if space_before and not space_after:
        return "open"
    if space_after and not space_before:
        return "close"
    return "either"


def _glued_proclitic(text: str, i: int, lo: int) -> bool:
    """True when the mark at ``i`` follows a lone one-letter word (``ب"...``)."""
    if i - 1 < lo or text[i - 1] not in _PROCLITICS:
        return False
    return i - 2 < lo or not is_word_char(text[i - 2])


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    while True:
        nl = text.find("\n", start)
        if nl < 0:
            out.append((start, len(text)))
            return out
        out.append((start, nl))
        start = nl + 1


def pair_marks(text: str) -> list[MarkPair]:
    """Every quotation of ``text``, sorted by opening offset.

    Returns ``MarkPair`` objects; nested pairs are listed too (with their
    depth). A closing mark with nothing open is a stray and is left out.
    """
    pairs: list[MarkPair] = []
    for lo, hi in _paragraphs(text):
        stack: list[int] = []
        for m in _MARK_RE.finditer(text, lo, hi):
            i = m.start()
            side = _side(text, i, lo, hi)
            if side == "either":
                side = "close" if stack else "open"
            if side == "open":
                if stack and not text[stack[-1] + 1:i].strip():
                    stack[-1] = i  # doubled opening marks: the inner one opens
                else:
                    stack.append(i)
            elif stack:
                opened = stack.pop()
                if text[opened + 1:i].strip():
                    pairs.append(MarkPair(opened, i, len(stack)))
        pairs += [MarkPair(o, None, d) for d, o in enumerate(stack)]
    pairs.sort(key=lambda p: p.open)
    return pairs


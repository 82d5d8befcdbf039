"""One article seen as words, sentences and quotation marks.

Everything the quote rules look at is indexed by *word* (the scheme's words,
:func:`data.words.split_words`): the normalised form of each word, the
paragraph and sentence it belongs to, and the word indices of each pair of
quotation marks. A sentence ends at a full stop, question or exclamation mark
or a paragraph break, except for a full stop inside closed quotation marks
(it stays in the quote) and a decimal point (``3.5``).
"""
from __future__ import annotations

import bisect
import dataclasses

from .quote_cues import light, norm
from .quote_marks import pair_marks
from .words import split_words

#: words that end a sentence
STOPS = frozenset(".!?؟…")


@dataclasses.dataclass(frozen=True)
class Quoted:
    """A pair of quotation marks by word index: ``open`` and ``close`` are the
    marks' own words (``close`` None when unclosed); ``depth`` 0 is outermost."""

    open: int
    close: int | None
    depth: int


class Doc:
    """Words, sentences and quotation marks of one text.

    Attributes: ``text``; ``spans`` (``(start, end)`` per word); ``norm``
    (normalised word strings, :func:`~data.silver.cues.norm`); ``light`` (lightly
    normalised, :func:`~data.silver.cues.light`); ``para`` and ``sent`` (paragraph and sentence
    index per word); ``sentences`` (``(first, end)`` word ranges, end exclusive,
    the closing full stop included); ``quoted`` (outermost and nested mark
    pairs); ``quoted_at`` (opening-mark word -> its pair).
    """

    def __init__(self, text: str):
        self.text = text
        self.spans = split_words(text)
        self.starts = [s for s, _ in self.spans]
        self.words = [text[s:e] for s, e in self.spans]
        self.norm = [norm(w) for w in self.words]
        self.light = [light(w) for w in self.words]
        n = len(self.spans)
        self.para = [0] * n
        p = 0
        for i in range(1, n):
            if "\n" in text[self.spans[i - 1][1]:self.spans[i][0]]:
                p += 1
            self.para[i] = p
        self.quoted = [self._by_word(m) for m in pair_marks(text)]
        self.quoted_at = {q.open: q for q in self.quoted}
        self.close_at = {q.close: q for q in self.quoted if q.close is not None}
        inside = [0] * (n + 1)
        for q in self.quoted:
            if q.close is not None and q.depth == 0:
                inside[q.open + 1] += 1
                inside[q.close] -= 1
        self.sentences: list[tuple[int, int]] = []
        self.sent = [0] * n
        depth, first = 0, 0
        for i in range(n):
            depth += inside[i]
            if i > first and self.para[i] != self.para[i - 1]:
                self.sentences.append((first, i))
                first = i
            if depth == 0 and self.words[i] in STOPS and not self._decimal(i):
                self.sentences.append((first, i + 1))
                first = i + 1
        if first < n:
            self.sentences.append((first, n))
        for k, (a, b) in enumerate(self.sentences):
            for i in range(a, b):
                self.sent[i] = k

    def _by_word(self, m) -> Quoted:
        o = bisect.bisect_left(self.starts, m.open)
        c = None if m.close is None else bisect.bisect_left(self.starts, m.close)
        return Quoted(o, c, m.depth)

    def _decimal(self, i: int) -> bool:
        """True for a full stop between two digits with no space (``3.5``)."""
        if self.words[i] != "." or i == 0 or i + 1 >= len(self.words):
            return False
        (_, pe), (s, e), (ns, _) = self.spans[i - 1], self.spans[i], self.spans[i + 1]
        return pe == s and e == ns and self.words[i - 1][-1].isdigit() and self.words[i + 1][0].isdigit()

    def __len__(self) -> int:
        return len(self.spans)

    def sentence_of(self, i: int) -> tuple[int, int]:
        """``(first, end)`` word range of the sentence holding word ``i``."""
        return self.sentences[self.sent[i]]

    def body_end(self, first: int, end: int) -> int:
        """``end`` moved back over closing punctuation (full stop, comma, colon)."""
        while end > first and self.words[end - 1] in STOPS | {"،", ",", ":", "؛", ";", "-", "–", "—"}:
            end -= 1
        return end

    def char_span(self, first: int, end: int) -> list[int]:
        """Character offsets ``[start, end]`` of words ``first .. end - 1``."""
        return [self.spans[first][0], self.spans[end - 1][1]]

    def word_at(self, offset: int) -> int:
        """Index of the word starting at character ``offset`` (or the next one)."""
        return bisect.bisect_left(self.starts, offset)

"""A rule-based quote annotator for Arabic news in the scheme's format.

:func:`annotate_quotes` finds reporting cues (:mod:`data.quote_cues`) and
builds a quote around each one that governs reported speech:

* **clause**: a cue, its subject, then ``أن``/``إن``/``بأن`` (``أكد الوزير أن
  ...``): CONTENT is the clause to the end of the sentence, final full stop left
  out (indirect). When the whole clause is in marks (``أكد أن "..."``) the
  quote is direct, CONTENT inside the marks; when only part is, it stays
  indirect with the marks inside.
* **colon**: ``وقال: ...`` is direct; unmarked, its CONTENT runs to the end of
  the paragraph (the gold data's reading when the speech goes on) unless a new
  cue cuts it; inside marks when the colon is followed by marks.
* **marks**: a cue followed by its subject and a quotation (``وأكد الوزير
  "..."``) is direct. Marks around one word, marks glued to a proclitic
  (``لـ"آشكاين"``) and a few marked words that the sentence goes on after
  (``قالت "سي بي أس" إن``) are a name or term, not a quote; marks right after
  a preposition (``أشار إلى "انخفاض ..."``) close a noun phrase the writer
  built, not a quote.
* **clause end**: an indirect CONTENT stops at the sentence end, or earlier at
  a comma that opens the writer's gloss (``، وذلك``, an adverbial participle
  such as ``، مبررا``) or where a new cue starts a clause.
* **attribution after the quote** (``"..."، قال فلان``): direct; when another
  quotation follows the attribution (``"..."، قال فلان، "..."``) it is a second
  quote with the same speaker and no CUE or SOURCE.
* **``حسب``/``وفقا لـ``/``نقلا عن`` phrases**: after a clause (``<clause>، حسب
  الوكالة``) or before it (``وبحسب البيان، فإن <clause>``), CONTENT is that
  clause and CUE the phrase (with ``ما ذكرت`` or a document noun after it).
* A cue inside the CONTENT of an earlier quote opens a new quote only when it
  starts a new clause (after a comma, with a glued ``و``/``ف``, or as a
  participle such as ``مشيرا``); the earlier CONTENT then stops before it.
  Otherwise it is a report nested in the earlier one and is left out, since
  quote parts never overlap.

SOURCE and speaker come from :mod:`data.quote_sources`; a quote with no
SOURCE takes the speaker of the quote before it in its paragraph, else in the
article. The output always passes :func:`data.article.check_article`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .quote_cues import Cue, find_cues, is_complementiser, light, norm, trim_cue
from .quote_doc import STOPS, Doc, Quoted
from .quote_marks import MARKS
from .quote_sources import (
    GENERIC_SET,
    EntityIndex,
    source_after,
    source_before,
    speaker_of,
)

Range = tuple[int, int]  # word indices [first, end)

_PREPOSITIONS = frozenset(light(w) for w in ("إلى", "الى", "على", "من", "عن", "في", "ب", "بـ"))
_COMMAS = frozenset("،,")
#: nouns a ``حسب``/``وفقا لـ`` CUE runs over (``بحسب بيان``, ``وفقا لتقرير``)
_DOCUMENT_NOUNS = frozenset(norm(w) for w in (
    "بيان", "بيانات", "تقرير", "تقارير", "تصريحات", "تصريح", "تقديرات", "معطيات", "أرقام", "إحصاءات",
    "إحصائيات", "دراسة", "مسح", "استطلاع", "نتائج", "رواية", "وثيقة", "وثائق",
))
#: ``صادر عن``: ties a document noun to who issued it
_ISSUED = frozenset(norm(w) for w in ("صادر", "الصادر", "صادرة", "الصادرة"))
#: cues that with a clause right after them are the writer's own voice (``يذكر أن``)
_IMPERSONAL = frozenset(norm(w) for w in (
    "يذكر", "ويذكر", "تذكر", "يعتقد", "ويعتقد", "يتوقع", "ويتوقع", "يعتبر", "ويعتبر", "تعتبر", "وتعتبر",
    "يرى", "ويرى", "وجد", "ووجد", "يقدر", "يشار", "ويشار",
))


def writers_voice(text: str, cue: Sequence[int]) -> bool:
    """A CUE that is one impersonal word (``يذكر``, ``ويشار``, ``يعتقد``): with no
    SOURCE, the writer's own voice (docs/annotation-guide.md), not a quote."""
    words = text[cue[0]:cue[1]].split()
    return len(words) == 1 and norm(words[0]) in _IMPERSONAL
#: words before a cue that negate it (``لم يذكر``)
_NEGATIONS = frozenset(light(w) for w in ("لم", "ولم", "لن", "ولن", "فلم"))
#: words before ``أن`` that make it something other than a reported clause (``بعد أن``, ``يجب أن``)
_NOT_REPORTED = frozenset(light(w) for w in (
    "بعد", "قبل", "سبق", "وسبق", "يجب", "ويجب", "يمكن", "ويمكن", "ينبغي", "لابد", "دون", "منذ", "رغم", "برغم",
    "حتى", "يبدو", "ويبدو", "بمجرد", "لمجرد", "بدل", "بدلا", "عليه", "عليها", "عليهم", "المقرر", "المتوقع",
    "المنتظر", "المفترض", "الممكن", "أجل", "شأن", "بد",
))
#: ``فإن`` (with its suffixes) after a fronted ``حسب`` phrase
_THEN_THAT = frozenset(norm(w) for w in ("فإن", "فإنه", "فإنها", "فإنهم"))
#: connectives after which a cue starts a new clause of its own
_CONNECTIVES = frozenset(light(w) for w in (
    "بينما", "فيما", "لكن", "لكنه", "لكنها", "ولكن", "ولكنه", "ولكنها", "كما", "ثم", "بل", "وبينما",
))
#: words that end the stretch between a cue and what it governs: a new clause
#: starts there (``تعتبر من بين الأفضل، إلا أن ...``)
_SCAN_STOPS = frozenset(light(w) for w in (
    "إلا", "لكن", "لكنه", "لكنها", "ولكن", "ولكنه", "ولكنها", "بينما", "حيث", "إذ", "لأن", "لأنه", "لأنها",
    "عندما", "حين", "فيما", "ثم", "مما", "رغم", "بالرغم",
))
#: words that, right after a comma, start the writer's own gloss on a reported
#: clause rather than more of it (``، وذلك في إطار``); most connectives
#: (``بينما``, ``كما``, ``لكن``) go either way in the gold data and are not here
_GLOSS = frozenset(light(w) for w in ("وذلك",))
#: ``على حد`` (``على حد قوله``: "as he put it") ends a reported clause
_ALA, _HADD = frozenset(light(w) for w in ("على", "علي")), light("حد")
#: a reporting participle of the cue lexicon (``موضحا أن``, ``واصفا هذا بأنه``) opens a
#: reported clause of its own when one starts within this many words after it
#: (``واصفا هذا الحفل بأنه``): a clause running into it ends before it, comma or not
_NEXT_REPORT_REACH = 5
#: speech words that carry a quote for the verb before them (``وأضاف قائلا``, ``وتابع بالقول``)
_CARRIERS = frozenset((("قال", "participle"), ("أضاف", "participle"), ("بالقول", "noun")))
#: verbs whose clause follows ``إلى`` (``مشيرا إلى أن``); the ``إلى`` joins the cue of
#: their participle while its clause is found, and leaves the CUE written out (``trim_cue``:
#: a preposition is in neither part, docs/annotation-guide.md 4.3)
_TO_VERBS = frozenset(("أشار", "لفت", "نوه", "خلص"))
_TO = frozenset(light(w) for w in ("إلى", "الى"))
#: most words of a quotation that can still be a name or title inside a subject (``قالت "سي بي أس" إن``)
_NAME_WORDS = 4
_CLOSING = STOPS | _COMMAS | {":", "؛", ";", "-", "–", "—"}


@dataclasses.dataclass(frozen=True)
class RuleConfig:
    """Knobs of the rules, all in words."""

    lookahead: int = 30  # most words between a cue and its clause opener, colon or quotation
    scare_words: int = 1  # a closed quotation of at most this many words is a name or term
    after_source_words: int = 10  # most words after a حسب phrase that closes its sentence
    colon_to_paragraph: bool = True  # unmarked speech after a colon runs to the paragraph end
    before_source_words: int = 10  # most words between a sentence-initial حسب phrase and its comma


@dataclasses.dataclass(frozen=True)
class Trigger:
    """What a cue governs: ``how`` (``clause``, ``colon`` or ``marks``) at word
    ``at``; ``carrier`` is a second speech word crossed on the way (``قائلا``)."""

    how: str
    at: int
    cue: Cue
    carrier: Cue | None = None


@dataclasses.dataclass
class Draft:
    """A quote under construction, by word ranges."""

    content: Range
    kind: str
    cue: Range | None = None
    source: Range | None = None
    speaker: str | None = None
    carried: bool = True  # the speaker comes from the quote before
    marked: bool = False  # CONTENT lies between quotation marks

    def parts(self) -> list[Range]:
        return [r for r in (self.content, self.cue, self.source) if r is not None]


class _Rules:
    """Applies the rules to one document, left to right, never overlapping parts."""

    def __init__(self, doc: Doc, ents: EntityIndex, config: RuleConfig):
        self.doc, self.ents, self.cfg = doc, ents, config
        self.taken = bytearray(len(doc) + 1)
        self.drafts: list[Draft] = []
        self.cues = find_cues(doc.norm)
        self.verb_at = {c.start: c for c in self.cues if c.entry.kind in ("perfect", "imperfect", "participle")}
        self.cue_at = {c.start: c for c in self.cues}

    # --- bookkeeping -------------------------------------------------------------

    def free(self, r: Range | None) -> bool:
        return r is None or not any(self.taken[r[0]:r[1]])

    def accept(self, draft: Draft) -> bool:
        parts = draft.parts()
        c0, c1 = draft.content
        if c0 >= c1 or any(not self.free(p) for p in parts):
            return False
        ranges = sorted(parts)
        if any(b[0] < a[1] for a, b in zip(ranges, ranges[1:])):
            return False
        for a, b in parts:
            self.taken[a:b] = b"\x01" * (b - a)
        self.drafts.append(draft)
        return True

    def owner(self, i: int) -> Draft | None:
        for d in reversed(self.drafts):
            if any(a <= i < b for a, b in d.parts()):
                return d
        return None

    def split_before(self, cue: Cue) -> bool:
        """Let ``cue`` open a new quote inside an earlier unmarked CONTENT by
        cutting that CONTENT before it; False when the cue is a nested report.

        A new clause starts after a comma or a connective (``بينما ذكرت``,
        ``لكنها أصرت``) or with a conjunction glued to a finite verb
        (``وأضاف``); a participle inside a clause (``طائرة مؤكدة``) is an
        adjective unless a comma sets it off."""
        d = self.owner(cue.start)
        if d is None or d.marked or not (d.content[0] <= cue.start < d.content[1]):
            return False
        doc = self.doc
        prev = doc.words[cue.start - 1] if cue.start > 0 else ""
        new_clause = (prev in _COMMAS or prev in STOPS or (cue.start > 0 and doc.light[cue.start - 1] in _CONNECTIVES)
                      or (cue.entry.proclitic in ("و", "ف") and cue.entry.kind in ("perfect", "after")))
        if not new_clause:
            return False
        start = d.content[0]
        end = doc.body_end(start, cue.start)
        # the connective that opens the new clause (``، لكنه أوضح``) goes with it, not with this one
        while end > start and (doc.norm[end - 1] in ("و", "ف") or doc.light[end - 1] in _CONNECTIVES):
            end = doc.body_end(start, end - 1)
        for i in range(end, d.content[1]):
            self.taken[i] = 0
        if end <= start:
            for a, b in d.parts():
                self.taken[a:b] = bytes(b - a)
            self.drafts.remove(d)
        else:
            d.content = (start, end)
        return True

    # --- shapes of quotation -----------------------------------------------------

    def named(self, q: Quoted) -> bool:
        """A closed quotation of a name or term (not a quote): one word; glued to
        a proclitic (``لـ"..."``); or a few words that the sentence goes on after."""
        if q.close is None:
            return False
        doc = self.doc
        size = q.close - q.open - 1
        if size <= self.cfg.scare_words:
            return True
        at = doc.spans[q.open][0]
        if at > 0 and not doc.text[at - 1].isspace() and doc.text[at - 1] not in ":(":
            return True
        after = q.close + 1
        goes_on = after < len(doc) and doc.words[after] not in _CLOSING and doc.para[after] == doc.para[q.close]
        if after < len(doc) and doc.words[after] in _COMMAS:  # ``قالت فلانة، صاحبة "..."، إن``
            after += 1
        opens_clause = after < len(doc) and is_complementiser(doc.norm[after])
        return size <= _NAME_WORDS and (goes_on or opens_clause)

    def quoted_content(self, q: Quoted, sent_end: int) -> Range:
        """Words between the marks; an unclosed quotation runs to the sentence end."""
        if q.close is not None:
            return q.open + 1, q.close
        return q.open + 1, self.trim(q.open + 1, sent_end)

    def trigger(self, cue: Cue, sent_end: int) -> Trigger | None:
        """What governs the speech after ``cue``: a clause opener, a colon or a quotation.

        The scan crosses the subject and a second speech word after it
        (``وأضاف الوزير قائلا:``, ``ليتابع الوزير بالقول:``); it stops at another
        reporting verb, at a word already annotated and at the end of the sentence.
        """
        doc = self.doc
        if cue.start > 0 and doc.light[cue.start - 1] in _NEGATIONS:
            return None
        j = cue.end
        carrier: Cue | None = None
        limit = min(sent_end, cue.end + self.cfg.lookahead)
        while j < limit:
            if self.taken[j]:
                return None
            nw = doc.norm[j]
            if is_complementiser(nw):
                if j > cue.end and doc.light[j - 1] in _NOT_REPORTED:
                    return None
                return Trigger("clause", j, cue, carrier)
            if doc.words[j] == ":":
                return Trigger("colon", j, cue, carrier)
            q = doc.quoted_at.get(j)
            if q is not None and q.depth == 0:
                if self.named(q):
                    j = q.close + 1  # type: ignore[operator]
                    continue
                if j > cue.end and doc.light[j - 1] in _PREPOSITIONS:
                    return None
                return Trigger("marks", j, cue, carrier)
            other = self.cue_at.get(j) if j > cue.end else None
            if other is not None and carrier is None and (other.entry.lemma, other.entry.kind) in _CARRIERS:
                carrier = other
                j = other.end
                continue
            if j > cue.end and (j in self.verb_at or doc.light[j] in _SCAN_STOPS):
                return None
            j += 1
        return None

    def extend(self, cue: Cue) -> Cue:
        """A cue with the speech word glued after it (``وتابع قائلا``, ``ليستطرد
        مضيفا``) or the ``إلى`` of ``مشيرا إلى أن``."""
        doc = self.doc
        nxt = self.cue_at.get(cue.end)
        if nxt is not None and (nxt.entry.lemma, nxt.entry.kind) in _CARRIERS:
            return Cue(cue.start, nxt.end, cue.entry)
        if (cue.entry.lemma in _TO_VERBS and cue.entry.kind == "participle" and cue.end + 1 < len(doc)
                and doc.light[cue.end] in _TO and is_complementiser(doc.norm[cue.end + 1])):
            return Cue(cue.start, cue.end + 1, cue.entry)
        return cue

    def clause_content(self, k: int, sent_end: int) -> tuple[Range, str, bool]:
        """CONTENT after a clause opener at ``k - 1``: ``(range, kind, marked)``."""
        doc = self.doc
        if k < sent_end and doc.words[k] == ":":
            k += 1
        q = doc.quoted_at.get(k)
        if q is not None and q.depth == 0:
            if q.close is None:
                return (q.open + 1, self.trim(q.open + 1, sent_end)), "direct", True
            last = q
            nxt = self.chained(last, sent_end)
            while nxt is not None:
                last, nxt = nxt, self.chained(nxt, sent_end)
            after = last.close + 1  # type: ignore[operator]
            if doc.body_end(after, sent_end) == after or (after < sent_end and doc.words[after] in _COMMAS
                                                          and self.new_attribution(after + 1, sent_end)):
                return (q.open + 1, last.close), "direct", True  # type: ignore[return-value]
        return (k, self.clause_end(k, sent_end)), "indirect", False

    def gloss_at(self, i: int) -> bool:
        """True when word ``i`` (after a comma) starts the writer's gloss: a gloss
        word or an adverbial participle (``مبرراً``, ``مطالبين``)."""
        w = self.doc.light[i]
        if w in _GLOSS:
            return True
        return len(w) >= 5 and w.startswith("م") and w.endswith(("ا", "ين", "ات")) and not w.endswith("يا")

    def clause_end(self, k: int, end: int) -> int:
        """End of a reported clause starting at ``k``: before a comma that opens a
        gloss, else ``end``; closing punctuation and stray marks left out."""
        doc = self.doc
        for i in range(k + 1, end - 1):
            if doc.words[i] in _COMMAS and self.gloss_at(i + 1):
                end = i
                break
            if self.next_report_at(i, end) or self.as_put_at(i, end):
                end = i
                break
        return self.trim(k, end)

    def as_put_at(self, i: int, end: int) -> bool:
        """Words ``i``-``i + 2`` are ``على حد قوله`` (``على حد تعبيره``), last in the
        clause: the writer's "as he put it" closing it, not part of it (in the
        middle of a clause it is a parenthesis and stays)."""
        doc = self.doc
        return (i + 2 < end and doc.light[i] in _ALA and doc.light[i + 1] == _HADD
                and (i + 3 >= end or doc.words[i + 3] in _CLOSING))

    def next_report_at(self, i: int, end: int) -> bool:
        """Word ``i`` is a reporting participle (``وموضحا``) whose own clause opens
        within a few words (``أن``, ``إن``, a colon or a quotation mark)."""
        doc = self.doc
        cue = self.verb_at.get(i)
        if cue is None or cue.entry.kind != "participle":
            return False
        reach = range(i + 1, min(end, i + 1 + _NEXT_REPORT_REACH))
        return any(is_complementiser(doc.light[j]) or doc.words[j] == ":" or j in doc.quoted_at for j in reach)

    def trim(self, first: int, end: int) -> int:
        """``end`` moved back over closing punctuation and over quotation marks
        whose opening mark is not in ``[first, end)``."""
        doc = self.doc
        while True:
            end = doc.body_end(first, end)
            if end <= first or doc.words[end - 1] not in MARKS:
                return end
            q = doc.close_at.get(end - 1)
            if q is not None and q.open >= first:
                return end
            end -= 1

    def paragraph_end(self, i: int) -> int:
        """End (exclusive) of the paragraph holding word ``i``."""
        doc = self.doc
        j = i
        while j < len(doc) and doc.para[j] == doc.para[i]:
            j += 1
        return j

    def chained(self, q: Quoted, sent_end: int) -> Quoted | None:
        """The next quotation joined to ``q`` by ``وأن``/``وإن``/``كما أن`` (one quote)."""
        doc = self.doc
        j = q.close + 1  # type: ignore[operator]
        if j < sent_end and doc.words[j] in _COMMAS:
            j += 1
        if j < sent_end and doc.norm[j] == "كما":
            j += 1
        if not (j < sent_end and is_complementiser(doc.norm[j])):
            return None
        nxt = doc.quoted_at.get(j + 1)
        if nxt is None or nxt.close is None or nxt.depth != 0:
            return None
        return nxt

    def new_attribution(self, j: int, sent_end: int) -> bool:
        """True when words from ``j`` start with a cue (``"..."، قال ...``)."""
        return j < sent_end and (j in self.verb_at or any(c.start == j for c in self.cues))

    # --- rules -------------------------------------------------------------------

    def run(self) -> list[Draft]:
        for cue in self.cues:
            if not self.free((cue.start, cue.end)) and not self.split_before(cue):
                continue
            if cue.entry.kind == "after":
                draft = self.after_phrase(cue)
                if draft is not None:
                    self.accept(draft)
            else:
                for draft in self.speech(cue):
                    if not self.accept(draft):
                        break
        return sorted(self.drafts, key=lambda d: d.content)

    def speech(self, cue: Cue) -> list[Draft]:
        """Quotes governed by a verb, participle or speech noun."""
        doc = self.doc
        cue = self.extend(cue)
        first, sent_end = doc.sentence_of(cue.start)
        before = self.quote_before(cue, first)
        trig = self.trigger(cue, sent_end)
        if before is not None and (trig is None or trig.how == "marks"):
            return self.interrupted(cue, before, sent_end)
        if trig is None:
            return []
        j = trig.at
        if trig.how == "clause" and j == cue.end and doc.norm[cue.start] in _IMPERSONAL:
            return []
        if trig.how == "clause":
            content, kind, marked = self.clause_content(j + 1, sent_end)
        elif trig.how == "colon":
            q = doc.quoted_at.get(j + 1)
            if q is not None and q.depth == 0:
                content, kind, marked = self.quoted_content(q, sent_end), "direct", True
            else:
                end = self.paragraph_end(j) if self.cfg.colon_to_paragraph else sent_end
                content, kind, marked = (j + 1, self.trim(j + 1, end)), "direct", False
        else:
            content, kind, marked = self.quoted_content(doc.quoted_at[j], sent_end), "direct", True
        subject_end = j
        if trig.carrier is not None:  # ``وأضاف الوزير قائلا``: the word next to the quote is the CUE
            subject_end = trig.carrier.start
            draft = Draft(content, kind, cue=(trig.carrier.start, trig.carrier.end), marked=marked)
            self.attribute(draft, cue, subject_end, first)
            return [draft]
        draft = Draft(content, kind, cue=(cue.start, cue.end), marked=marked)
        self.attribute(draft, cue, subject_end, first)
        return [draft]

    def attribute(self, draft: Draft, cue: Cue, limit: int, sent_first: int) -> None:
        """Fill SOURCE and speaker of a quote whose cue is ``cue``; the subject lies before ``limit``."""
        doc = self.doc
        end = limit
        while end > cue.end and (doc.light[end - 1] in _PREPOSITIONS or doc.words[end - 1] in _CLOSING):
            end -= 1
        src = None
        if cue.entry.lemma in ("قوله", "قولها"):
            src = self.relayed(cue, sent_first)
        elif cue.entry.kind != "participle":
            src = source_after(doc, self.ents, cue.end, end)
            if src is None and cue.entry.kind in ("perfect", "imperfect"):
                src = source_before(doc, self.ents, cue.start, sent_first)
        if src is not None and not self.free(src):
            src = None
        draft.source = src
        if src is not None:
            draft.speaker, draft.carried = speaker_of(doc, self.ents, src)

    def relayed(self, cue: Cue, sent_first: int) -> Range | None:
        """``نقلت ... عن فلان قوله``: the words after ``عن``/``لسان`` up to the cue."""
        doc = self.doc
        for i in range(cue.start - 1, max(sent_first, cue.start - 8) - 1, -1):
            if doc.norm[i] in ("عن", "لسان"):
                return (i + 1, cue.start) if i + 1 < cue.start else None
        return None

    def quote_before(self, cue: Cue, sent_first: int) -> Quoted | None:
        """A free quotation that ends right before ``cue`` (``"..."، قال``)."""
        doc = self.doc
        j = cue.start - 1
        if j >= 0 and doc.words[j] in _COMMAS:
            j -= 1
        q = doc.close_at.get(j)
        if q is None or q.depth != 0 or cue.entry.kind == "participle":
            return None
        if not self.free((q.open, q.close + 1)):  # type: ignore[operator]
            return None
        return q

    def interrupted(self, cue: Cue, q: Quoted, sent_end: int) -> list[Draft]:
        """``"..."، قال فلان`` and, when a quotation follows, ``، "..."``: one or two quotes."""
        doc = self.doc
        limit = cue.end
        para = doc.para[cue.start]
        while (limit < len(doc) and limit < cue.end + self.cfg.lookahead and doc.words[limit] not in _COMMAS
               and doc.words[limit] not in STOPS and limit not in doc.quoted_at and doc.para[limit] == para):
            limit += 1
        first = doc.sentence_of(q.open)[0]
        draft = Draft(self.quoted_content(q, sent_end), "direct", cue=(cue.start, cue.end), marked=True)
        self.attribute(draft, cue, limit, first)
        out = [draft]
        j = limit + 1 if limit < len(doc) and doc.words[limit] in _COMMAS else limit
        nxt = doc.quoted_at.get(j)
        if nxt is not None and nxt.depth == 0 and not self.named(nxt) and doc.para[j] == doc.para[cue.start]:
            out.append(Draft(self.quoted_content(nxt, doc.sentence_of(j)[1]), "direct", marked=True))
        return out

    def after_phrase(self, cue: Cue) -> Draft | None:
        """``حسب``/``وفقا لـ``/``نقلا عن`` before or after the clause it attributes."""
        doc = self.doc
        first, sent_end = doc.sentence_of(cue.start)
        cue_end = self.phrase_cue_end(cue, sent_end)
        if cue.start == first:
            return self.fronted(cue, cue_end, sent_end)
        tail = doc.body_end(cue_end, sent_end)
        if tail - cue_end > self.cfg.after_source_words:
            return None
        prev = cue.start - 1
        clause_end = prev if doc.words[prev] in _COMMAS else cue.start
        if clause_end <= first or not self.free((first, clause_end)):
            return None
        start = self.after_dateline(first, clause_end)
        content, kind, marked = (start, self.trim(start, clause_end)), "indirect", False
        q = doc.close_at.get(content[1] - 1)
        if q is not None and q.depth == 0 and all(doc.words[i] in MARKS for i in range(start, q.open)):
            content, kind, marked = (q.open + 1, q.close), "direct", True  # type: ignore[assignment]
        if content[1] - content[0] < 2:
            return None
        draft = Draft(content, kind, cue=(cue.start, cue_end), marked=marked)
        self.phrase_source(draft, cue_end, tail)
        return draft

    def fronted(self, cue: Cue, cue_end: int, sent_end: int) -> Draft | None:
        """``وبحسب البيان، فإن <clause>`` (the comma or the ``فإن`` ends the source)."""
        doc = self.doc
        comma = None
        for i in range(cue_end, min(sent_end, cue_end + self.cfg.before_source_words)):
            if doc.words[i] in _COMMAS or (i > cue_end and doc.norm[i] in _THEN_THAT):
                comma = i if doc.words[i] in _COMMAS else i - 1
                break
        if comma is None:
            return None
        k = comma + 1
        if k < sent_end and is_complementiser(doc.norm[k]):
            k += 1
        content = (k, self.clause_end(k, sent_end))
        if content[1] - content[0] < 2:
            return None
        draft = Draft(content, "indirect", cue=(cue.start, cue_end))
        self.phrase_source(draft, cue_end, comma if doc.words[comma] in _COMMAS else comma + 1)
        return draft

    def phrase_cue_end(self, cue: Cue, sent_end: int) -> int:
        """A ``حسب`` CUE runs over the verb after ``ما`` (``حسب ما ذكرت``), over
        document nouns (``بحسب بيان``, ``وفقا لنتائج مسح``) and what ties them
        to their source (``صادر عن``, ``نشرته``)."""
        doc = self.doc
        end = cue.end
        if cue.entry.lemma.endswith("ما"):
            return end + 1 if end < sent_end and doc.words[end] not in _CLOSING else end
        nouns = 0
        while end < sent_end and nouns < 3:
            w = doc.norm[end]
            bare = w[1:] if w.startswith("ل") and not w.startswith("ال") else w
            if bare in _DOCUMENT_NOUNS:
                end += 1
                nouns += 1
                continue
            if nouns and w in _ISSUED and end + 1 < sent_end and doc.norm[end + 1] == norm("عن"):
                return end + 2
            if nouns and len(w) >= 4 and w.endswith(("ته", "تها")) and not w.startswith("ال"):
                return end + 1  # ``وفقا لتقرير نشرته``
            break
        return end

    def phrase_source(self, draft: Draft, first: int, end: int) -> None:
        doc = self.doc
        while first < end and doc.norm[first] in GENERIC_SET:
            first += 1
        if first >= end:
            return
        src = source_after(doc, self.ents, first, end)
        if src is not None and self.free(src):
            draft.source = src
            draft.speaker, draft.carried = speaker_of(doc, self.ents, src)

    def after_dateline(self, first: int, end: int) -> int:
        """Skip a dateline (``دبي، الإمارات (CNN) --``) at the start of a sentence."""
        doc = self.doc
        for i in range(first, min(end, first + 12)):
            if doc.words[i] == ")" and i + 1 < end and doc.words[i + 1] in ("-", "–", "—"):
                j = i + 1
                while j < end and doc.words[j] in ("-", "–", "—"):
                    j += 1
                return j
        return first


def _speakers(doc: Doc, drafts: list[Draft]) -> None:
    """Carried speakers: from the quote before in the paragraph, else in the article."""
    by_para: dict[int, str | None] = {}
    last: str | None = None
    for d in drafts:
        para = doc.para[d.content[0]]
        if d.carried:
            d.speaker = by_para.get(para, last)
        by_para[para] = d.speaker
        if d.speaker is not None:
            last = d.speaker


def annotate_quotes(text: str, entities: Sequence[dict] | None = None,
                    config: RuleConfig | None = None) -> list[dict]:
    """Quotes of ``text`` in the scheme's format, sorted by CONTENT.

    ``entities``: the article's entity layer (``[{"start", "end", "label"}]``)
    when one is known (gold or tagged); None falls back to noun-phrase
    heuristics for SOURCE. Returns ``[{"content": [s, e], "source": [s, e] |
    None, "cue": [s, e] | None, "speaker": str | None, "kind": "direct" |
    "indirect"}]`` with character offsets.
    """
    doc = Doc(text)
    rules = _Rules(doc, EntityIndex(doc, entities), config or RuleConfig())
    drafts = rules.run()
    _speakers(doc, drafts)

    def chars(r: Range | None) -> list[int] | None:
        return None if r is None else doc.char_span(*r)

    return [{"content": chars(d.content), "source": chars(d.source),
             "cue": None if d.cue is None else trim_cue(text, chars(d.cue)),
             "speaker": d.speaker, "kind": d.kind} for d in drafts]

"""From labelled quote-part spans to attributed quotes.

A tagger predicts CONTENT, SOURCE and CUE spans independently; this module
groups them into the scheme's quotes and fills in each quote's speaker and
kind. Pure functions over character offsets (no torch).
"""
from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .boundaries import cut_quotes
from .linker import link_speakers, linker_weights
from .speakers import fullest_mention
from .words import normalise_for_match

Span = tuple[int, int, str]

OPEN_MARKS = "“«„\"‘‹”»"  # marks that can open a quote (mirrored forms included)
CLOSE_MARKS = "”»“\"’›«″"
_PARA = re.compile(r"\n+")


def paragraph_index(text: str):
    """A function position -> paragraph number (newline-separated blocks),
    answered by bisection over the newline positions found once."""
    breaks = [i for i, c in enumerate(text) if c == "\n"]

    def paragraph_of(pos: int) -> int:
        return bisect.bisect_left(breaks, pos)

    return paragraph_of


_SENTENCE_END = re.compile(r"[.!?؟…\n]")


def sentence_index(text: str, contents: Sequence[tuple[int, int]]):
    """A function position -> sentence number. Sentences end at ``. ! ? ؟ …``
    or a newline, except inside a quote's CONTENT (a full stop inside the
    marks does not end the sentence that reports it)."""
    inside = sorted(contents)
    ends = []
    for m in _SENTENCE_END.finditer(text):
        p = m.start()
        k = bisect.bisect_right(inside, (p, len(text) + 1)) - 1
        if k >= 0 and inside[k][0] <= p < inside[k][1] and m.group() != "\n":
            continue
        ends.append(p)

    def sentence_of(pos: int) -> int:
        return bisect.bisect_left(ends, pos)

    return sentence_of


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


#: an أن/إن clause or a colon (attached to the word before it: ``مساء الأربعاء:``) opens a content
_INTRODUCES = re.compile(r"(?:(?:^|\s)[وف]?(?:أن|إن|بأن|ان|بان)|:)(?:\s|$|[“«„\"])")


def _order(text: str, part: tuple[int, int], content: tuple[int, int]) -> int:
    """0 for a content the part introduces, 1 for one it follows, 2 otherwise."""
    if content[0] >= part[1]:
        return 0 if _INTRODUCES.search(text[part[1]:content[0]]) else 2
    return 1


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, b[0] - a[1], a[0] - b[1])


PRONOUNS = frozenset(normalise_for_match(w) for w in "هو هي هم هما هن".split())
#: heads of descriptions that stand for an organisation (else a person)
ORG_HEADS = frozenset(
    normalise_for_match(w)
    for w in (
        "الوزارة الحكومة الشركة الجمعية اللجنة الهيئة المنظمة الاتحاد النادي الحزب الجيش "
        "الشرطة الوكالة المؤسسة البنك الصندوق المجلس البرلمان الإدارة المديرية السلطات الرئاسة "
        "الجامعة المحكمة النيابة البلدية الجماعة الحركة النقابة المجموعة الفريق المنتخب الصحيفة القناة"
    ).split()
)
_PROCLITICS = ("وب", "ول", "فل", "فب", "و", "ف", "ب", "ل")


def _strip_proclitic(word: str) -> str:
    """``والوزارة`` -> ``الوزارة``, ``للجنة`` -> ``اللجنة``: only before the article
    ``ال``, where the clitic is certain (``وزارة`` keeps its و)."""
    if word.startswith("لل") and len(word) > 3:
        return "ا" + word[1:]
    for c in _PROCLITICS:
        if word.startswith(c + "ال"):
            return word[len(c):]
    return word


def _definite(word: str) -> bool:
    return _strip_proclitic(word).startswith("ال")


def is_anonymous(source: str) -> bool:
    """An indefinite description (``مصادر مطلعة``, ``مصدر في الشركة``,
    ``نقاد حضروا``): no ``ال`` on its head nor on the noun it is joined to,
    and not a pronoun. Its speaker cannot be known from the article.
    (Checked after the SOURCE was found to name no entity.)"""
    words = [w for w in normalise_for_match(source).split() if w]
    if not words or words[0] in PRONOUNS or words[0][1:] in PRONOUNS:
        return False
    if _definite(words[0]):
        return False
    return not (len(words) > 1 and _definite(words[1]))


@dataclass(frozen=True)
class AttributionRules:
    """Which attribution rules :func:`group_quotes` applies (each measured in
    ``benchmarks/attribution_rules.py``)."""

    carry: bool = True  # a quote with no SOURCE takes the previous quote's speaker
    fullest: bool = True  # a SOURCE name resolves to its fullest mention among entities
    anonymous: bool = True  # indefinite descriptions (مصادر مطلعة) get a null speaker
    descriptions: bool = True  # a definite description or pronoun (الوزير، هو) takes the nearest entity before it


def resolve_description(text: str, span: tuple[int, int], entities: Sequence[Span]) -> str | None:
    """The fullest mention of the nearest entity before a description or
    pronoun: an ORG for organisation heads (``الوزارة``), else a PER."""
    words = [w for w in normalise_for_match(text[span[0]:span[1]]).split() if w]
    want = "ORG" if words and _strip_proclitic(words[0]) in ORG_HEADS else "PER"
    before = [(s, e) for s, e, lab in entities if lab == want and e <= span[0]]
    if not before:
        return None
    s, e = max(before)
    return fullest_mention(text, text[s:e], entities)


def _entity_under(text: str, span: tuple[int, int], entities: Sequence[Span]) -> tuple[str, str] | None:
    """(text, label) of the entity a SOURCE names: a PER inside it, or an
    ORG/LOC at its head (``وزارة الخارجية``). An ORG/LOC later in a
    description (``رئيس وزراء سنغافورة``) names where the speaker is from,
    not the speaker."""
    s, e = span
    inside = [(es, ee, lab) for es, ee, lab in entities if s <= es and ee <= e]
    pers = [x for x in inside if x[2] == "PER"]
    if pers:
        es, ee, lab = max(pers, key=lambda x: x[1] - x[0])
        return text[es:ee], lab
    head = [x for x in inside if x[2] in ("ORG", "LOC") and not text[s:x[0]].strip()]
    if head:
        es, ee, lab = head[0]
        return text[es:ee], lab
    return None


def group_quotes(
    text: str,
    quote_spans: Sequence[Span],
    entities: Sequence[Span] = (),
    rules: AttributionRules = AttributionRules(),
    linker: dict | None = None,
    rule_boundaries: bool = False,
) -> list[dict]:
    """Quotes in the scheme's format from CONTENT/SOURCE/CUE spans.

    Each CONTENT starts a quote. A SOURCE or CUE joins the nearest CONTENT of
    its paragraph (the earlier one on a tie: the attribution of an interrupted
    quote belongs to the first part); each quote keeps at most one of each.
    With ``rule_boundaries``, the quotes are then cut by the rules
    (:func:`.boundaries.cut_quotes`).

    With ``linker`` (learned weights, :mod:`.linker`), each quote's speaker is
    the article's speaker the linker scores best, or null, and ``speaker_span``
    the mention it was resolved from. Without it, speakers follow ``rules``
    (the baseline): a named source resolves to its fullest mention among the
    entities; an anonymous one is null; a description or pronoun takes the
    last named speaker; a quote with no source takes the speaker of the
    nearest preceding quote of its paragraph, then of the article; no
    ``speaker_span``.
    """
    contents = sorted((s, e) for s, e, lab in quote_spans if lab == "CONTENT")
    quotes = [{"content": [s, e], "source": None, "cue": None, "speaker": None, "kind": quote_kind(text, s, e)} for s, e in contents]
    sentence = sentence_index(text, contents)
    paragraph_of = paragraph_index(text)
    # SOURCE spans with a person in them: the scheme's SOURCE is the name where the sentence gives one
    persons = sorted((es, ee) for es, ee, el in entities if el == "PER")
    naming = {(s, e) for s, e, lab in quote_spans if lab == "SOURCE"
              and any(ee <= e for _, ee in persons[bisect.bisect_left(persons, (s, s)):
                                                   bisect.bisect_left(persons, (e, e))])}
    # (first sentence, last sentence, first paragraph, last paragraph) of each content, found once
    reach = [(sentence(cs), sentence(ce - 1), paragraph_of(cs), paragraph_of(ce)) for cs, ce in contents]
    # a part can only join a content whose paragraphs reach its own: contents are sorted, so
    # the first paragraphs rise and the running maximum of the last ones too; bisect both
    firsts = [r[2] for r in reach]
    reached = list(itertools.accumulate((r[3] for r in reach), max))
    for part in ("SOURCE", "CUE"):
        key = part.lower()
        claims: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
        for s, e, lab in quote_spans:
            if lab != part:
                continue
            sid, para = sentence(s), paragraph_of(s)
            best = None
            for qi in range(bisect.bisect_left(reached, para), bisect.bisect_right(firsts, para)):
                cs, ce = contents[qi]
                first, last, para_first, para_last = reach[qi]
                same_sentence = first <= sid <= last
                if not same_sentence and para != para_first and para != para_last:
                    continue
                # own sentence first; there, a content the part introduces
                # (an أن/إن clause or a colon follows it) before the content it
                # follows (an interrupted quote's attribution belongs to its
                # first part); then, among SOURCEs, one naming a person; then
                # distance, ties to the earlier content
                rank = (0 if same_sentence else 1, _order(text, (s, e), (cs, ce)),
                        0 if part == "CUE" or (s, e) in naming else 1, _distance((s, e), (cs, ce)))
                if best is None or rank < best[0]:
                    best = (rank, qi)
            if best is None:
                continue
            rank, qi = best
            if qi not in claims or rank < claims[qi][0]:
                claims[qi] = (rank, (s, e))
        for qi, (_, sp) in claims.items():
            quotes[qi][key] = [sp[0], sp[1]]
    if rule_boundaries:
        quotes = cut_quotes(text, quotes, entities)
        for q in quotes:
            q["speaker"] = None
    if linker is not None:
        link_speakers(text, quotes, entities, linker_weights(linker))
        return quotes
    last_speaker: dict[int, str | None] = {}
    article_last: str | None = None  # last speaker with a name
    for q in quotes:
        para = paragraph_of(q["content"][0])
        if q["source"] is not None:
            s, e = q["source"]
            name = text[s:e]
            named = _entity_under(text, (s, e), entities)
            if named is not None:
                q["speaker"] = fullest_mention(text, named[0], entities, named[1]) if rules.fullest else name
            elif rules.anonymous and is_anonymous(name):
                q["speaker"] = None
            elif rules.descriptions:
                q["speaker"] = resolve_description(text, (s, e), entities) or article_last or name
            else:
                q["speaker"] = fullest_mention(text, name, entities) if rules.fullest else name
        elif rules.carry:
            q["speaker"] = last_speaker.get(para, article_last)
        last_speaker[para] = q["speaker"]
        if q["speaker"] is not None:
            article_last = q["speaker"]
    return quotes

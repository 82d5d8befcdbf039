"""Who said each quote: a learned choice among the article's speakers.

For every quote, in text order, each speaker of the article
(:func:`speakers.find_speakers`) and "nobody" (a null speaker) is described
by a few features (does the quote's SOURCE name it, does a description in the
SOURCE match the words it was introduced with, was it the previous quote's
speaker, how recently and where was it mentioned, its type) and scored by a
linear model; the best wins. The weights are learned from gold quotes
(:func:`linker_examples` gives the training examples; ``qawl.train`` fits
them) and travel in a checkpoint's ``config.json`` (``qawl_linker``).

Pure functions, standard library only: a checkpoint carries this file.
"""
from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from .speakers import (
    ORG_HEADS,
    Speaker,
    describe_source,
    description_words,
    document_nouns,
    find_speakers,
    head_in,
    key_within,
    name_key,
    source_document,
)

#: features of a (quote, speaker) pair; the null candidate has its own
SPEAKER_FEATURES = (
    "source_names",  # the quote's SOURCE names the speaker (a person in it, or a name at its head)
    "source_modifier",  # an organisation or place later in the SOURCE (رئيس وزراء سنغافورة)
    "source_spokesperson",  # ... after a spokesperson (متحدث باسم الحكومة): the organisation speaks
    "source_same_name",  # the SOURCE text is a form of the speaker's name
    "description_head",  # a description's head word was said of the speaker (الوزير ~ وزير ...)
    "description_overlap",  # share of the description's words said of the speaker or in its name
    "description_modifiers",  # share of the words after its head (الألماني in الوزير الألماني) said of it
    "description_best",  # the description fits it better than any other speaker
    "description_full",  # ... and every word of it (several) was said of it (الوزير الفرنسي)
    "description_org",  # an organisation description (الوزارة) and an ORG speaker whose name starts with it
    "description_person",  # a person description and a PER speaker
    "document_said",  # a document SOURCE (البيان): it spoke the last quote said to be in such a document (في بيان)
    "document_sentence",  # ... mentioned in the last sentence before that names such a document
    "document_modifier",  # ... named after the document in its SOURCE (تقرير للأمم المتحدة)
    "previous_speaker_no_source",  # speaker of the previous quote, for a quote with no SOURCE (or a pronoun)
    "previous_speaker_description",  # ... for a quote whose SOURCE is a description
    "previous_speaker_named",  # ... for a quote whose SOURCE names someone
    "previous_speaker_same_paragraph",
    "recent_1_no_source",  # the most recently mentioned speaker, for a quote with no SOURCE
    "recent_2_no_source",
    "recent_1",
    "recent_2",
    "recent_3",
    "same_sentence",  # mentioned in the quote's sentence, outside any quote
    "attribution_slot",  # mentioned between the quote's CUE and its CONTENT (قال موقع يوتيوب إن ...)
    "next_to_source",  # mentioned right next to its SOURCE (المسؤول الإعلامي ... فلان: a SOURCE cut short)
    "previous_sentence",
    "same_paragraph",
    "distance",  # log(1 + characters from its last mention to the quote) / 8
    "only_after",  # first mentioned after the quote
    "only_in_quotes",  # every mention so far is inside a quote's CONTENT
    "mentions",  # log(1 + mentions so far) / 3
    "was_named_source",  # an earlier quote named it in its SOURCE
    "first_speaker",  # the first speaker the article mentions
    "label_per",
    "label_org",
    "label_loc",
    "label_source",  # a name found only as a SOURCE
    "label_desc",  # an organisation known only by a description in a SOURCE (مكتب المحافظ)
    "one_word_desc",  # ... of one word (الشرطة)
)
NULL_FEATURES = (
    "null_bias",
    "null_anonymous",  # the SOURCE is an anonymous source (مصادر مطلعة)
    "null_description_unmatched",  # a description that matches no speaker
    "null_document",  # the SOURCE is a document (تقرير، الدراسة)
    "null_name_unmatched",  # a SOURCE that is a bare name of no speaker
    "null_previous_null",  # no SOURCE and the previous quote's speaker was null
    "null_group",  # the SOURCE names several (فرنسا وبريطانيا وألمانيا): nobody alone
    "null_plural",  # an unnamed plural or counted SOURCE (محللون، 18 امرأة، ربع المشاركين)
    "null_no_candidate",  # no speaker mentioned before the quote
)
FEATURES = SPEAKER_FEATURES + NULL_FEATURES

#: speakers the entity layer found (a SOURCE naming one of them names the speaker)
ENTITY_SPEAKERS = ("PER", "ORG", "LOC")
#: heads of a SOURCE that speaks for the organisation named after them
SPOKESPERSON = frozenset({"متحدث", "متحدثه", "ناطق", "ناطقه", "متحدثون", "ممثل", "بيان"})
#: words too common in descriptions to tie one to a speaker
_STOP = frozenset({"باسم", "في", "من", "على", "الى", "عن", "مع", "له", "لها", "ذلك", "هذا", "هذه", "عام", "سابق",
                   "قال", "وقال", "اكد", "اضاف"})


def _boundaries(text: str, contents: Sequence[tuple[int, int]]):
    """(sentence_of, paragraph_of): position -> index. A sentence ends at
    ``. ! ? ؟`` or a newline outside every CONTENT; a paragraph at a newline."""
    inside = sorted(contents)
    ends, breaks = [], []
    for i, c in enumerate(text):
        if c == "\n":
            breaks.append(i)
            ends.append(i)
        elif c in ".!?؟":
            k = bisect.bisect_right(inside, (i, len(text) + 1)) - 1
            if not (k >= 0 and inside[k][0] <= i < inside[k][1]):
                ends.append(i)
    return (lambda p: bisect.bisect_left(ends, p)), (lambda p: bisect.bisect_left(breaks, p))


class Article:
    """What the features read of one article: text, speakers, quotes, boundaries."""

    def __init__(self, text: str, quotes: list[dict], speakers: list[Speaker]):
        self.text = text
        self.quotes = quotes
        self.speakers = speakers
        self.contents = sorted(tuple(q["content"]) for q in quotes)
        self.sentence_of, self.paragraph_of = _boundaries(text, self.contents)
        #: (offset, document) of each word naming a document, outside every CONTENT
        self.documents = [(p, n) for p, n in document_nouns(text) if not self.in_content(p, p + 1)]

    def in_content(self, s: int, e: int) -> bool:
        k = bisect.bisect_right(self.contents, (s, len(self.text) + 1)) - 1
        return k >= 0 and self.contents[k][0] <= s and e <= self.contents[k][1]


def _anchor(q: dict) -> int:
    """Where a quote starts being reported: its first part."""
    return min(p[0] for p in (q["content"], q.get("source"), q.get("cue")) if p is not None)


def report_documents(art: Article, q: dict) -> dict[str, int]:
    """Document -> offset of each document named where a quote is reported:
    between its first part and its CONTENT (``وأكد الجيش في بيان أن ...``), or
    after the CONTENT up to the sentence end when the attribution follows it."""
    cs, ce = q["content"]
    anchor = _anchor(q)
    if anchor < cs:
        return {n: p for p, n in art.documents if anchor <= p < cs}
    end = art.sentence_of(ce)
    return {n: p for p, n in art.documents if ce <= p < ce + 200 and art.sentence_of(p) == end}


def quote_features(art: Article, q: dict, previous: Speaker | None, previous_null: bool, previous_para: int | None,
                   named_before: set[int], said_in: dict[str, tuple[int, Speaker | None]] | None = None,
                   ) -> list[tuple[Speaker | None, dict[str, float]]]:
    """``(candidate, features)`` for the quote's candidates: every speaker of the
    article and null (``None``), or only those the scheme allows when the
    SOURCE decides (an anonymous source: null; a SOURCE naming someone: the
    speakers it names). ``said_in``: document -> (offset of the document's
    name, speaker) of the last quote reported as said in such a document."""
    text = art.text
    anchor = _anchor(q)
    cs, ce = q["content"]
    sentence, para = art.sentence_of(cs), art.paragraph_of(cs)
    source = q.get("source")
    src_text = text[source[0]:source[1]] if source else ""
    naming: set[int] = set()  # speakers the SOURCE names
    modifying: set[int] = set()  # speakers mentioned later in a SOURCE that describes someone else
    if source is not None:
        for i, sp in enumerate(art.speakers):
            for m in sp.mentions:
                if m.start < source[1] and source[0] < m.end and m.label != "DESC":
                    head = m.start <= source[0] or not text[source[0]:m.start].strip()
                    (naming if m.label in ("PER", "SOURCE") or head else modifying).add(i)
    kind = None
    if source is not None:
        kind = "named" if naming else describe_source(src_text)
        if kind == "name" and modifying:
            kind = "description"  # مسؤول في الوزارة is anonymous; متحدث باسم الوزارة describes
    # an indefinite spokesman (متحدث باسم الفيفا) speaks for the body; the definite one
    # (المتحدث باسم الكرملين) is a person the article names elsewhere
    spokesperson = (bool(modifying) and bool(set(description_words(src_text)[:1]) & SPOKESPERSON)
                    and not src_text.lstrip("وف").startswith("ال"))
    has_source = source is not None and kind not in ("pronoun", "cue")
    desc = [w for w in description_words(src_text) if w not in _STOP] if kind in ("description", "document") else []
    document = source_document(src_text) if kind == "document" else None
    document_speaker = None  # who spoke in the last such document, unless another was named since
    document_sentence = None  # the sentence of the last earlier mention of the document
    if document:
        earlier = [p for p, n in art.documents if n == document and p < anchor and not source[0] <= p < source[1]]
        if earlier:
            document_sentence = art.sentence_of(earlier[-1])
        said = (said_in or {}).get(document)
        if said is not None and (not earlier or earlier[-1] <= said[0]):
            document_speaker = said[1]

    # recency: speakers by their last mention before the anchor
    last: dict[int, int] = {}
    for i, sp in enumerate(art.speakers):
        before = [m.end for m in sp.mentions if m.end <= anchor and not art.in_content(m.start, m.end)]
        if before:
            last[i] = max(before)
    order = sorted(last, key=lambda i: -last[i])
    rank = {i: r for r, i in enumerate(order)}

    out: list[tuple[Speaker | None, dict[str, float]]] = []
    any_description_match = any_name_match = False
    for i, sp in enumerate(art.speakers):
        f: dict[str, float] = {}
        if sp.label == "DESC":
            if source is not None and any(m.start == source[0] and m.end == source[1] for m in sp.mentions):
                f["source_names"] = 1.0  # the description is all the article says of this speaker
        elif i in naming:
            f["source_names"] = 1.0
        elif i in modifying:
            f["source_modifier"] = 1.0
            if spokesperson:
                f["source_spokesperson"] = 1.0
            if document:
                f["document_modifier"] = 1.0
        elif source is not None:
            if kind in ("name", "description") and name_key(src_text) and (
                    key_within(name_key(src_text), sp.key) or key_within(sp.key, name_key(src_text))):
                f["source_same_name"] = 1.0
        if desc and (i not in modifying or spokesperson):  # رئيس برشلونة describes the president, not the club
            # what was said of it, but not by this quote (وأفاد البيان بأن "غوغل" تجمع: غوغل is no statement)
            intro = set().union(*(m.intro for m in sp.mentions if not cs <= m.start < ce))
            said = intro | set(sp.key)
            if desc[0] in intro:
                f["description_head"] = 1.0
            f["description_overlap"] = sum(w in said for w in desc) / len(desc)
            if len(desc) > 1:
                f["description_modifiers"] = sum(w in said for w in desc[1:]) / (len(desc) - 1)
            if desc[0] in ORG_HEADS and sp.label == "ORG" and (sp.key[:1] == (desc[0],) or desc[0] in intro):
                f["description_org"] = 1.0
            if desc[0] not in ORG_HEADS and sp.label == "PER":
                f["description_person"] = 1.0
            any_description_match |= bool(f.get("description_head") or f.get("description_org"))
        any_name_match |= bool(f.get("source_names") or f.get("source_same_name"))
        if previous is sp:
            if not has_source:
                f["previous_speaker_no_source"] = 1.0
            elif kind in ("description", "document"):
                f["previous_speaker_description"] = 1.0
            else:
                f["previous_speaker_named"] = 1.0
            if previous_para == para:
                f["previous_speaker_same_paragraph"] = 1.0
        r = rank.get(i)
        if r is not None:
            if r < 3:
                f[f"recent_{r + 1}"] = 1.0
            if r < 2 and not has_source:
                f[f"recent_{r + 1}_no_source"] = 1.0
            f["distance"] = math.log1p(anchor - last[i]) / 8
        outside = [m for m in sp.mentions if not art.in_content(m.start, m.end)]
        cue = q.get("cue")
        if cue is not None:
            lo, hi = (cue[1], cs) if cue[1] <= cs else (ce, cue[0])
            if any(lo <= m.start and m.end <= hi for m in outside) and art.sentence_of(lo) == art.sentence_of(hi):
                f["attribution_slot"] = 1.0
        if source is not None and any(0 <= m.start - source[1] <= 3 or 0 <= source[0] - m.end <= 3 for m in outside):
            f["next_to_source"] = 1.0
        if any(art.sentence_of(m.start) == sentence for m in outside):
            f["same_sentence"] = 1.0
        if any(art.sentence_of(m.start) == sentence - 1 for m in outside):
            f["previous_sentence"] = 1.0
        if any(art.paragraph_of(m.start) == para and m.start < ce for m in outside):
            f["same_paragraph"] = 1.0
        if sp.mentions[0].start >= ce:
            f["only_after"] = 1.0
        so_far = [m for m in sp.mentions if m.start < anchor]
        if so_far and all(art.in_content(m.start, m.end) for m in so_far):
            f["only_in_quotes"] = 1.0
        f["mentions"] = math.log1p(len(so_far)) / 3
        if i in named_before:
            f["was_named_source"] = 1.0
        if document_speaker is sp:
            f["document_said"] = 1.0
        if document_sentence is not None and any(art.sentence_of(m.start) == document_sentence
                                                 for m in outside if m.start < anchor):
            f["document_sentence"] = 1.0
        if i == 0:
            f["first_speaker"] = 1.0
        f[f"label_{sp.label.lower()}"] = 1.0
        if sp.label == "DESC" and len(sp.key) == 1:
            f["one_word_desc"] = 1.0
        out.append((sp, f))
    if desc and out:  # out is empty when the article names nobody (nor does the SOURCE)
        fits = [f.get("description_overlap", 0.0) for _, f in out]
        top = max(fits)
        if top > 0 and fits.count(top) == 1:
            out[fits.index(top)][1]["description_best"] = 1.0
            if top == 1.0 and len(desc) > 1:
                out[fits.index(top)][1]["description_full"] = 1.0
    null = {"null_bias": 1.0}
    if kind == "anonymous":
        null["null_anonymous"] = 1.0
    if kind == "description" and not any_description_match and not any_name_match:
        null["null_description_unmatched"] = 1.0
    if document and not any(f.get("document_said") or f.get("document_sentence") or f.get("document_modifier")
                            or f.get("description_head") or f.get("description_org") for _, f in out):
        null["null_description_unmatched"] = 1.0  # a statement by nobody the article names
    if kind == "name" and not any_name_match:
        null["null_name_unmatched"] = 1.0
    if document:
        null["null_document"] = 1.0
    if not has_source and previous_null:
        null["null_previous_null"] = 1.0
    if not order:
        null["null_no_candidate"] = 1.0
    if source is not None and names_several(text, source, art.speakers):
        null["null_group"] = 1.0
    if source is not None and not naming and is_plural(src_text):
        null["null_plural"] = 1.0
    out.append((None, null))
    # what the scheme decides, the linker does not: an anonymous source or a group has
    # no speaker; a SOURCE that names someone names the speaker
    if kind == "anonymous" or "null_group" in null:
        return [(None, null)]
    if any(art.speakers[i].label in ENTITY_SPEAKERS for i in naming):
        return [(sp, f) for sp, f in out if f.get("source_names") and sp.label in ENTITY_SPEAKERS]
    if len(src_text.split()) == 1 and not is_plural(src_text) and any(
            art.speakers[i].label == "SOURCE" for i in naming):
        # a one-word name the entity layer missed (دفتردار): it names the speaker
        return [(sp, f) for sp, f in out if f.get("source_names")]
    if desc:
        heads = [(sp, f) for sp, f in out if f.get("description_head")]
        full = [(sp, f) for sp, f in heads if f.get("description_full")]
        if len(heads) > 1 and len(full) == 1:
            return full  # two ministers, and the description says which (الوزير الفرنسي)
        own = [(sp, f) for sp, f in out if sp is not None and sp.label == "DESC" and f.get("source_names")]
        if own and not any(f.get("description_head") or f.get("description_org") for _, f in out):
            return own  # an organisation the article knows only by this description (مكتب المحافظ)
    return out


_PLURAL_END = ("ون", "ين", "ات", "و")
_COUNT_WORDS = frozenset({"حوالي", "نحو", "نسبه", "ربع", "نصف", "ثلث", "اغلب", "معظم", "اكثر", "عدد", "كل", "جميع",
                          "ست", "سبع", "ثلاث", "اربع", "خمس", "عشر", "عشرات", "مئات", "الاف"})


def is_plural(source: str) -> bool:
    """A SOURCE that stands for several unnamed people: a count or share
    (``18 امرأة``, ``ربع المشاركين``) or a plural head (``محللون``, ``مسؤولو
    الشركة``)."""
    words = description_words(source)
    if not words:
        return False
    head = words[0]
    return (any(c.isdigit() for c in source.split()[0]) or head in _COUNT_WORDS
            or (len(head) >= 5 and head.endswith(_PLURAL_END)))


#: the form of the weights in a checkpoint's config (``qawl_linker``)
LINKER_FORMAT = 1


def linker_weights(saved) -> dict[str, float]:
    """The weights of a saved linker (``{"format": 1, "weights": {feature: w}}``);
    ``ValueError`` naming what is wrong (an unknown feature: a linker from a
    newer qawl)."""
    if not isinstance(saved, dict) or saved.get("format") != LINKER_FORMAT or not isinstance(saved.get("weights"), dict):
        raise ValueError(f"`qawl_linker` must be {{'format': {LINKER_FORMAT}, 'weights': {{feature: weight}}}}")
    unknown = sorted(set(saved["weights"]) - set(FEATURES))
    if unknown:
        raise ValueError(f"`qawl_linker` has unknown features {unknown[:5]}: saved by another version of qawl")
    return {k: float(v) for k, v in saved["weights"].items()}


def names_several(text: str, source: Sequence[int], speakers: list[Speaker]) -> bool:
    """The SOURCE joins several speakers with و (``فرنسا وبريطانيا``, ``السلطات
    السعودية ومؤسسة عربسات``): a later mention in it, or a later organisation
    head, starts with the conjunction."""
    s, e = source
    starts = sorted({m.start for sp in speakers for m in sp.mentions if s <= m.start < e})
    # a second name joined to a first (not وليد alone), the first at the SOURCE's head: after
    # a head word the names only say whose (مدرب تشيلسي وريال مدريد السابق is one person)
    if starts and len(text[s:starts[0]].split()) == 0 and any(
            text[a] == "و" or text[a - 2:a].endswith((" و", "\nو")) for a in starts[1:]):
        return True
    return any(w.startswith("و") and head_in(w[1:], ORG_HEADS) for w in description_words(text[s:e])[1:])


def score(features: dict[str, float], weights: dict[str, float]) -> float:
    return sum(v * weights.get(k, 0.0) for k, v in features.items())


def speaker_mention(art: Article, q: dict, sp: Speaker) -> list[int]:
    """The mention a quote's speaker is resolved from: the one its SOURCE
    overlaps, else the last one before the quote, else the first."""
    source = q.get("source")
    if source is not None:
        for m in sp.mentions:
            if m.start < source[1] and source[0] < m.end:
                return [m.start, m.end]
    anchor = _anchor(q)
    before = [m for m in sp.mentions if m.end <= anchor]
    m = before[-1] if before else sp.mentions[0]
    return [m.start, m.end]


def walk_quotes(text: str, quotes: list[dict], entities: Sequence[tuple[int, int, str]], choose):
    """Visit the quotes in text order with their candidates.

    ``choose(q, candidates)`` returns the chosen candidate (a
    :class:`Speaker` or None); it is remembered as the previous speaker.
    """
    order = sorted(range(len(quotes)), key=lambda k: quotes[k]["content"][0])
    sources = [tuple(q["source"]) for q in quotes if q.get("source") is not None]
    art = Article(text, quotes, find_speakers(text, entities, sources))
    previous, previous_null, previous_para = None, False, None
    named_before: set[int] = set()
    said_in: dict[str, tuple[int, Speaker | None]] = {}
    for k in order:
        q = quotes[k]
        candidates = quote_features(art, q, previous, previous_null, previous_para, named_before, said_in)
        chosen = choose(q, candidates)
        if chosen is not None:
            feats = next(f for c, f in candidates if c is chosen)
            if feats.get("source_names") or feats.get("source_same_name"):
                named_before.add(art.speakers.index(chosen))
        previous, previous_null = chosen, chosen is None
        for document, at in report_documents(art, q).items():
            said_in[document] = (at, chosen)
        previous_para = art.paragraph_of(q["content"][0])
        yield art, q, chosen


def link_speakers(text: str, quotes: list[dict], entities: Sequence[tuple[int, int, str]],
                  weights: dict[str, float]) -> None:
    """Fill each quote's ``speaker`` and ``speaker_span`` in place: the best-scoring candidate."""
    def best(q, candidates):
        return max(candidates, key=lambda cf: score(cf[1], weights))[0]

    for art, q, chosen in walk_quotes(text, quotes, entities, best):
        q["speaker"] = None if chosen is None else chosen.name
        q["speaker_span"] = None if chosen is None else speaker_mention(art, q, chosen)


def linker_examples(text: str, quotes: list[dict], entities: Sequence[tuple[int, int, str]], same_speaker):
    """Training examples of one gold article: ``(candidate features, gold index)`` per quote.

    The gold candidate is the speaker ``same_speaker(gold, name)`` accepts
    (the one the SOURCE names first, else the most recently mentioned), or
    null for a null gold speaker; quotes whose gold speaker is among no
    candidate are left out (they teach nothing here). The previous speaker
    fed forward is the gold one.
    """
    examples = []

    def gold(q, candidates):
        if q.get("speaker") is None:
            target = len(candidates) - 1
        else:
            hits = [k for k, (c, _) in enumerate(candidates) if c is not None and same_speaker(q["speaker"], c.name)]
            if not hits:
                return None
            hits.sort(key=lambda k: (-candidates[k][1].get("source_names", 0), -candidates[k][1].get("recent_1", 0),
                                     -candidates[k][1].get("recent_2", 0)))
            target = hits[0]
        examples.append(([f for _, f in candidates], target))
        return candidates[target][0]

    for _ in walk_quotes(text, quotes, entities, gold):
        pass
    return examples

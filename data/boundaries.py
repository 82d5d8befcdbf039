"""Quote boundaries: the tagger finds the quotes, the rules cut them.

The tagger is the better judge of *whether* a sentence reports speech, the
rules (:mod:`.quote_rules`) of *where* a quotation starts and stops: matching
marks, the end of an ``أن`` clause, the writer's gloss after a comma. On the
ANT gold test the tagger alone cut CONTENT exactly for 0.63 (F1), the rules
for 0.85; the tagger's quotes with the rules' boundaries for 0.86
(``benchmarks/results/boundaries.md``).

:func:`cut_quotes` takes the tagger's grouped quotes and, for each one whose
CONTENT overlaps a rule quote's, takes that rule quote's CONTENT (and kind,
its CUE where it has one, its SOURCE where the tagger's quote has none;
a SOURCE that is the outlet the speaker spoke to (``وأضاف لرويترز``,
:func:`is_addressee`) dropped, every SOURCE the tagger ended on a preposition
taken on to the name after it, :func:`complete_source`, or through the quotation mark it
stopped before, :func:`close_marks`, then cut to the name alone where the entities
show it, :func:`trim_source`, and every CUE left without a trailing preposition,
:func:`.quote_cues.trim_cue`). A
quote only the tagger sees keeps its own boundaries, unless it has no CUE and
is indirect (a clause with no speech act), has no SOURCE either (words in
marks that nothing in the sentence reports: ``رحبت اللجنة بقرار "يدعم ..."``)
or is a word or two in marks (a name or term in scare quotes), or its CUE is the writer's own voice (``يذكر أن``,
:func:`.quote_rules.writers_voice`) with no SOURCE: those are dropped. Pure functions,
standard library only: a checkpoint carries this file.
"""
from __future__ import annotations

from collections.abc import Sequence

from .quote_cues import trim_cue
from .quote_marks import MARKS, pair_marks
from .quote_rules import annotate_quotes, writers_voice

Span = tuple[int, int, str]


def _overlap(a: Sequence[int], b: Sequence[int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def best_rule_quote(quote: dict, rule_quotes: list[dict]) -> dict | None:
    """The rule quote whose CONTENT covers at least half of the shorter of
    the two CONTENTs, the largest such overlap first; None when none does."""
    best, best_overlap = None, 0
    for rq in rule_quotes:
        shared = _overlap(quote["content"], rq["content"])
        shorter = min(quote["content"][1] - quote["content"][0], rq["content"][1] - rq["content"][0])
        if shared > best_overlap and 2 * shared >= shorter:
            best, best_overlap = rq, shared
    return best


#: a marked CONTENT of at most this many words, with no CUE, is a name or term in scare quotes
TERM_WORDS = 2


def is_term(text: str, content: Sequence[int]) -> bool:
    """A CONTENT of :data:`TERM_WORDS` words or fewer (``شركة "آشكاين"``)."""
    return len(text[content[0]:content[1]].split()) <= TERM_WORDS


#: generic heads the scheme leaves outside a name (``صحيفة ذا ستار`` -> ``ذا ستار``)
GENERIC_HEADS = frozenset({"صحيفة", "صحيفه", "جريدة", "جريده", "وكالة", "وكاله", "بنك", "شركة", "شركه", "موقع", "قناة",
                           "قناه", "مجلة", "مجله", "نادي", "مؤسسة", "مؤسسه", "منصة", "منصه", "شبكة", "شبكه"})


#: words after which a name is the object, not the speaker (المحللون في ليبروم كابيتال)
PREPOSITIONS = frozenset({"في", "من", "عن", "على", "إلى", "الى", "مع", "لدى", "باسم"})


def _is_preposition(word: str) -> bool:
    """``في``, ``وفي``, ``باسم``: a preposition, with or without a conjunction."""
    return word in PREPOSITIONS or (word[:1] in "وف" and word[1:] in PREPOSITIONS)


def _generic_head(word: str) -> bool:
    """``صحيفة``, ``وصحيفة``, ``لصحيفة``, ``ولصحيفة``, ``بنك``: a generic head with at
    most a conjunction (و/ف) and a preposition (ب/ل) glued before it."""
    forms = {word}
    if word[:1] in "وف":
        forms.add(word[1:])
    forms |= {f[1:] for f in forms if f[:1] in "بل"}
    return bool(forms & GENERIC_HEADS)


def _coordinated(text: str, inside: Sequence[Span]) -> bool:
    """Several names joined by و (``فرنسا وبريطانيا``, the و outside the
    second name or inside it): the SOURCE is the group."""
    ordered = sorted(inside)
    for (_, b, lab), (a2, _, lab2) in zip(ordered, ordered[1:]):
        gap = text[b:a2].strip(" ،,")
        if gap == "و" or (gap == "" and text[a2] == "و" and lab == lab2):
            return True
    return False


def trim_source(text: str, source: Sequence[int], entities: Sequence[Span]) -> list[int]:
    """A SOURCE cut to the name alone, as the scheme has it, where the
    entities say where the name is: a person's name inside titles (``وزير
    الإعلام عواد العواد``); a name followed by an apposition or a
    prepositional phrase (``سياتل تايمز المحلية``, ``بلومبيرغ نقلا عن ...``);
    a generic head before a name that ends the SOURCE (``صحيفة ذا ستار``;
    not ``موقع فيفا الرسمي``, the site); a description followed by the
    outlet it spoke to (``الوزير لفرانس برس`` -> ``الوزير``). Kept whole:
    names joined by و (a group speaks), a person after a preposition
    (``المتحدث باسم عائلة جمال خاشقجي``: the spokesman speaks)."""
    s, e = source
    inside = [(a, b, lab) for a, b, lab in entities if s <= a and b <= e]
    if not inside or _coordinated(text, inside):
        return [s, e]
    people = [(a, b) for a, b, lab in inside if lab == "PER"]
    if len(people) == 1:
        if not any(_is_preposition(w) for w in text[s:people[0][0]].split()):
            return list(people[0])
    a, b, _ = min(inside)
    before = text[s:a].split()
    if a == s or (len(before) == 1 and _generic_head(before[0]) and b == e):
        return [a, b]
    if (len(inside) == 1 and b == e and text[a] == "ل" and before
            and not _is_preposition(before[-1])):
        return [s, s + len(text[s:a].rstrip())]  # الوزير لفرانس برس: the outlet it spoke to (ل kept in the entity)
    return [s, e]


#: what a reporter speaks *to* after ل (``وأضاف لرويترز``, ``وقال لإحدى محطات التلفزيون``): an
#: outlet's generic head, a known outlet, or "one of"
ADDRESSEES = GENERIC_HEADS | frozenset({
    "إذاعة", "اذاعة", "إذاعه", "تلفزيون", "التلفزيون", "محطة", "محطه", "إحدى", "احدى", "أحد", "احد", "الصحفيين",
    "الصحافيين", "الصحافة", "الصحافه", "الصحف", "رويترز", "فرانس", "أسوشيتد", "اسوشيتد", "الأناضول", "الاناضول",
    "سبوتنيك", "الجزيرة", "العربية", "سي", "بي", "CNN", "BBC"})
#: words before ل that make it "according to" (``وفقا لرويترز``): the SOURCE is then the outlet
_ACCORDING = frozenset({"وفقا", "ووفقا", "وفقاً", "ووفقاً", "وفقًا", "ووفقًا", "طبقا", "وطبقا", "طبقاً", "استنادا",
                        "واستنادا", "استناداً", "نسبة", "ونسبة"})


def is_addressee(text: str, source: Sequence[int]) -> bool:
    """A SOURCE that is the outlet a speaker spoke to (``وأضاف لرويترز``, ``صرح
    لصحيفة الغد``), not one that speaks: ل on a generic outlet head, a known
    outlet or "one of", not after "according to" (``وفقا لرويترز`` credits the
    agency)."""
    s, e = source
    words = text[s:e].split()
    if not words or not words[0].startswith("ل") or len(words[0]) < 2:
        return False
    first = words[0][1:].lstrip("ـ ") or (words[1] if len(words) > 1 else "")
    before = text[max(0, s - 30):s].split()
    if before and before[-1] in _ACCORDING:
        return False
    return first in ADDRESSEES


#: characters a quoted name a SOURCE ends in may run to (``متحدث باسم "فيسبوك"``)
_NAME_REACH = 40


def close_marks(text: str, source: Sequence[int]) -> list[int]:
    """A SOURCE that opens a quotation mark and stops right before its closing
    one (``متحدث باسم "فيسبوك``) taken on through that mark."""
    s, e = source
    if not any(c in MARKS for c in text[s:e]):
        return [s, e]  # nothing opened in it: no need to pair the article's marks
    for pair in pair_marks(text):
        if s <= pair.open < e and pair.close is not None and e <= pair.close and not text[e:pair.close].strip():
            return [s, pair.close + 1]
    return [s, e]


def complete_source(text: str, source: Sequence[int], parts: Sequence[Sequence[int]]) -> list[int]:
    """A SOURCE the tagger ended on a preposition (``متحدث باسم``, ``مستخدم على``)
    taken on to the word after it, and through a name in quotation marks
    (``متحدث باسم "فيسبوك"``): no SOURCE of the gold corpus ends on one. Left
    as it is where that word runs into ``parts`` (the quote's CONTENT or CUE)
    or past the sentence."""
    s, e = source
    words = text[s:e].split()
    if not words or not _is_preposition(words[-1]):
        return [s, e]
    rest = text[e:]
    stripped = rest.lstrip(" ")
    if not stripped or stripped[0] in ".،,:؛!?؟\n":
        return [s, e]
    start = e + len(rest) - len(stripped)
    if stripped[0] in MARKS:  # paired as everywhere else: either way round, never across a paragraph
        pair = next((p for p in pair_marks(text) if p.open == start), None)
        if pair is None or pair.close is None or pair.close - start > _NAME_REACH:
            return [s, e]
        end = pair.close + 1
    else:
        word = stripped.split(maxsplit=1)[0]
        end = start + len(word.rstrip(".،,:؛!?؟\"“”«»"))
    if any(a < end and start < b for a, b in parts):
        return [s, e]
    return [s, end]


def without_overlaps(quotes: list[dict]) -> list[dict]:
    """Quotes in text order, the scheme's rule kept: parts never overlap. A
    quote whose CONTENT overlaps an earlier part is left out; a CUE that
    overlaps an earlier part or its own CONTENT becomes null, and so does a
    SOURCE that overlaps any of those or its own CUE (the rules' CUE is the
    surer of the two: a tagger's SOURCE on the reporting verb is a mistake)."""
    taken: list[Sequence[int]] = []
    out = []
    for q in sorted(quotes, key=lambda q: q["content"][0]):
        if any(_overlap(q["content"], t) for t in taken):
            continue
        q = dict(q)
        taken.append(q["content"])
        for key in ("cue", "source"):
            if q.get(key) is None:
                continue
            if any(_overlap(q[key], t) for t in taken):
                q[key] = None
            else:
                taken.append(q[key])
        out.append(q)
    return out


def cut_quotes(text: str, quotes: list[dict], entities: Sequence[Span] = ()) -> list[dict]:
    """The tagger's quotes (``content``, ``source``, ``cue``, ``kind``) with the
    rules' boundaries, as the module docstring says; in text order, no part
    overlapping another."""
    rule_quotes = annotate_quotes(text, [{"start": s, "end": e, "label": lab} for s, e, lab in entities])
    out = []
    for q in quotes:
        rq = best_rule_quote(q, rule_quotes)
        if rq is None:
            if q.get("cue") is None and (q["kind"] == "indirect" or q.get("source") is None or is_term(text, q["content"])):
                continue  # no speech act the rules or the tagger can point at, nor a speaker; or a term in marks
            if q.get("source") is None and q.get("cue") is not None and writers_voice(text, q["cue"]):
                continue  # يذكر أن, ويشار إلى أن: the writer's own voice
            out.append(q)
            continue
        q = {**q, "content": list(rq["content"]), "kind": rq["kind"]}
        if rq.get("cue") is not None:
            q["cue"] = list(rq["cue"])
        if q.get("source") is None and rq.get("source") is not None:
            q["source"] = list(rq["source"])
        out.append(q)
    for q in out:
        if q.get("source") is not None and is_addressee(text, q["source"]):
            q["source"] = None  # the outlet it was said to: the quote goes on as a continuation
        if q.get("source") is not None:
            parts = [p for p in (q["content"], q.get("cue")) if p is not None]
            q["source"] = trim_source(text, close_marks(text, complete_source(text, q["source"], parts)), entities)
        if q.get("cue") is not None:
            q["cue"] = trim_cue(text, q["cue"])
    return without_overlaps(out)

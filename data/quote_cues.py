"""The Arabic reporting-cue lexicon and a matcher over the scheme's words.

The lexicon is data: reporting verbs (each given as its perfect, imperfect
and accusative active participle, third person masculine singular), attribution
phrases (``حسب``, ``وفقا لـ``, ``نقلا عن``, ``في تصريح`` ...) and the words
that open a reported clause (``أن``/``إن``/``بأن`` with their pronoun
suffixes). :func:`verb_forms` inflects a verb for gender and number;
:func:`with_proclitics` adds the conjunctions ``و``/``ف`` (and ``ل`` before an
imperfect: ``ليؤكد``). Everything is compared after :func:`norm`, which strips
diacritics and tatweel and folds alef, ya and ta marbuta variants, so ``أكّد``,
``اكد`` and ``أكـد`` are one word.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

from .words import normalise_words

#: reporting verbs: (perfect, imperfect, accusative participle); None where a
#: form is not used as a cue. Perfect and imperfect are third person masculine
#: singular; the participle is the masculine singular accusative (``مشيرا``).
VERBS: tuple[tuple[str, str | None, str | None], ...] = (
    ("قال", "يقول", "قائلا"),
    ("أكد", "يؤكد", "مؤكدا"),
    ("أوضح", "يوضح", "موضحا"),
    ("أضاف", "يضيف", "مضيفا"),
    ("أشار", "يشير", "مشيرا"),
    ("شدد", "يشدد", "مشددا"),
    ("تابع", "يتابع", "متابعا"),
    ("اعتبر", "يعتبر", "معتبرا"),
    ("رأى", "يرى", None),
    ("ذكر", "يذكر", "ذاكرا"),
    ("أعلن", "يعلن", "معلنا"),
    ("أفاد", "يفيد", None),
    ("صرح", "يصرح", "مصرحا"),
    ("كشف", "يكشف", "كاشفا"),
    ("لفت", "يلفت", "لافتا"),
    ("نوه", "ينوه", "منوها"),
    ("أردف", "يردف", "مردفا"),
    ("استطرد", "يستطرد", "مستطردا"),
    ("خلص", "يخلص", None),
    ("زعم", "يزعم", "زاعما"),
    ("ادعى", "يدعي", "مدعيا"),
    ("نفى", "ينفي", "نافيا"),
    ("حذر", "يحذر", "محذرا"),
    ("توقع", "يتوقع", "متوقعا"),
    ("أقر", "يقر", "مقرا"),
    ("اعترف", "يعترف", "معترفا"),
    ("أبلغ", None, None),
    ("أخبر", "يخبر", "مخبرا"),
    ("روى", "يروي", "راويا"),
    ("بين", "يبين", "مبينا"),
    ("وجد", None, None),
    ("نص", "ينص", None),
    ("جزم", "يجزم", "جازما"),
    ("أجاب", "يجيب", "مجيبا"),
    ("رد", "يرد", "رادا"),
    ("علق", "يعلق", "معلقا"),
    ("ختم", "يختم", "خاتما"),
    ("اختتم", "يختتم", "مختتما"),
    ("كتب", "يكتب", "كاتبا"),
    ("غرد", "يغرد", "مغردا"),
    ("أورد", "يورد", "موردا"),
    ("اقترح", "يقترح", "مقترحا"),
    ("توعد", "يتوعد", "متوعدا"),
    ("هدد", "يهدد", "مهددا"),
    ("اشتكى", "يشتكي", "مشتكيا"),
    ("شكا", "يشكو", "شاكيا"),
    ("تعهد", "يتعهد", "متعهدا"),
    ("أصر", "يصر", "مصرا"),
    ("ألمح", "يلمح", "ملمحا"),
    ("لمح", None, None),
    ("نبه", "ينبه", "منبها"),
    ("أعرب", "يعرب", "معربا"),
    ("اتهم", "يتهم", "متهما"),
    ("وصف", "يصف", "واصفا"),
    ("اعتقد", "يعتقد", "معتقدا"),
    ("تساءل", "يتساءل", "متسائلا"),
    ("شرح", "يشرح", "شارحا"),
    ("رجح", "يرجح", "مرجحا"),
    ("استبعد", "يستبعد", "مستبعدا"),
    ("أبرز", "يبرز", "مبرزا"),
    ("زاد", None, None),
    ("أكمل", "يكمل", "مكملا"),
    ("أعاد", None, None),
    ("دعا", "يدعو", "داعيا"),
    ("وعد", None, "واعدا"),
    ("أفصح", "يفصح", "مفصحا"),
    ("أقسم", "يقسم", "مقسما"),
    ("جادل", "يجادل", "مجادلا"),
    ("لاحظ", "يلاحظ", "ملاحظا"),
    ("أعلم", None, None),
)

#: inflected forms that are also common words of another meaning, never cues
#: (``بين`` "between", ``أعاد`` "returned")
NOT_CUES: tuple[str, ...] = (
    "بين", "أعاد", "وأعاد", "زاد", "وزاد", "ختم", "نص", "ونص", "ردا", "رادا", "ورد", "وردت",
)
#: verbs whose object, glued as a pronoun, names the addressee or the one described (``وصفها بأنها``)
OBJECT_VERBS: tuple[str, ...] = ("وصف", "اتهم", "أبلغ", "أخبر", "حذر", "طمأن", "سأل")
#: object pronoun suffixes of :data:`OBJECT_VERBS`
OBJECT_SUFFIXES: tuple[str, ...] = ("ه", "ها", "هم", "هما", "ني", "نا")

#: attribution phrases that are not verbs: (words, kind). ``after`` phrases
#: (``حسب``) attach to the clause next to them; ``noun`` phrases
#: (``في تصريح``) name a speech act and stand in for a verb.
PHRASES: tuple[tuple[str, str], ...] = (
    ("حسب", "after"),
    ("بحسب", "after"),
    ("حسبما", "after"),
    ("بحسبما", "after"),
    ("حسب ما", "after"),
    ("بحسب ما", "after"),
    ("وفق", "after"),
    ("وفقا", "after"),
    ("وفق ما", "after"),
    ("وفقا لما", "after"),
    ("طبقا", "after"),
    ("طبقا لما", "after"),
    ("نقلا عن", "after"),
    ("كما قال", "after"),
    ("كما أعلن", "after"),
    ("كما أعلنت", "after"),
    ("كما ذكر", "after"),
    ("كما ذكرت", "after"),
    ("على حد قوله", "after"),
    ("على حد تعبيره", "after"),
    ("في تصريح", "noun"),
    ("في تصريحه", "noun"),
    ("في تصريحها", "noun"),
    ("في تصريحات", "noun"),
    ("في تصريحاته", "noun"),
    ("في تصريحاتها", "noun"),
    ("في حديث", "noun"),
    ("في حديثه", "noun"),
    ("في حديثها", "noun"),
    ("يقال", "noun"),
    ("قوله", "noun"),
    ("قولها", "noun"),
    ("بالقول", "noun"),
    ("جاء في", "noun"),
    ("جاء فيه", "noun"),
    ("جاء فيها", "noun"),
    ("مضى قائلا", "noun"),
    ("مضت قائلة", "noun"),
)

#: words that open a reported clause, before pronoun suffixes and proclitics
COMPLEMENTISERS: tuple[str, ...] = ("أن", "إن", "بأن")
#: pronoun suffixes a complementiser can carry (``أنه``, ``إنها``, ``بأنهم``)
PRONOUN_SUFFIXES: tuple[str, ...] = ("", "ه", "ها", "هم", "هما", "هن", "ني", "نا", "ك", "كم")
#: conjunctions glued to a cue word
CONJUNCTIONS: tuple[str, ...] = ("و", "ف")


@functools.lru_cache(maxsize=1 << 18)
def norm(word: str) -> str:
    """A word compared loosely: no diacritics or tatweel; alef, ya and ta marbuta folded."""
    return normalise_words([word], diacritics=True, tatweel=True, alef=True, ya=True, ta_marbuta=True)[0]


@functools.lru_cache(maxsize=1 << 18)
def light(word: str) -> str:
    """A word with diacritics and tatweel stripped and alef folded, ya and ta
    marbuta kept (so the preposition ``على`` stays apart from the name ``علي``)."""
    return normalise_words([word], diacritics=True, tatweel=True, alef=True)[0]


#: prepositions a reporting verb takes before what is said (``أشار إلى أن``, ``شدد على أن``,
#: ``أعلن عن``): in neither part, as docs/annotation-guide.md (4.3) has it
CUE_PREPOSITIONS = frozenset(light(w) for w in ("إلى", "الى", "على", "عن"))
#: heads of the attribution phrases that run "up to the source noun" (``وفقا لبيان صادر عن``): kept whole
_PHRASE_HEADS = tuple(light(w) for w in ("حسب", "بحسب", "حسبما", "بحسبما", "وفق", "وفقا", "وفقاً", "نقلا", "نقلاً"))


def trim_cue(text: str, cue: Sequence[int]) -> list[int]:
    """A CUE ``[start, end)`` without a preposition as its last word (``مشيرا إلى`` ->
    ``مشيرا``), unless it is an attribution phrase (``حسب``, ``وفقا لـ``, ``نقلا عن``),
    which keeps everything up to its source."""
    start, end = cue
    words = text[start:end].split()
    if len(words) < 2 or light(words[-1]) not in CUE_PREPOSITIONS:
        return [start, end]
    first = light(words[0])
    if first.startswith(_PHRASE_HEADS) or (first[:1] in CONJUNCTIONS and first[1:].startswith(_PHRASE_HEADS)):
        return [start, end]  # وفقا, ووفقا, فبحسب
    cut = text.rindex(words[-1], start, end)
    return [start, len(text[:cut].rstrip())]


def _perfect_forms(p: str) -> list[str]:
    if p.endswith(("ى", "ا")):  # weak final radical: رأى رأت رأوا رأيا
        stem = p[:-1]
        return [p, stem + "ت", stem + "تا", stem + "وا", stem + "يا", stem + "ين"]
    return [p, p + "ت", p + "تا", p + "وا", p + "ا", p + "ن"]


def _imperfect_forms(i: str) -> list[str]:
    fem = "ت" + i[1:]
    if i.endswith(("ى", "ي", "و")):  # weak final radical: يرى ترى يرون؛ ينفي ينفون
        stem = i[:-1]
        return [i, fem, stem + "ون", stem + "يان", "ت" + stem[1:] + "يان", stem + "ين"]
    return [i, fem, i + "ون", i + "ان", fem + "ان", i + "ن"]


def _participle_forms(a: str) -> list[str]:
    stem = a[:-1] if a.endswith("ا") else a
    return [a, a + "ً", stem + "ة", stem + "ين", stem + "ات", stem + "تين"]


def verb_forms(perfect: str, imperfect: str | None, participle: str | None) -> dict[str, str]:
    """Every inflected form of one verb, ``{form: "perfect" | "imperfect" | "participle"}``."""
    out: dict[str, str] = {}
    for f in _perfect_forms(perfect):
        out.setdefault(f, "perfect")
    if imperfect:
        for f in _imperfect_forms(imperfect):
            out.setdefault(f, "imperfect")
    if participle:
        for f in _participle_forms(participle):
            out.setdefault(f, "participle")
    return out


def with_proclitics(form: str, kind: str) -> list[tuple[str, str]]:
    """``(proclitic, surface)`` for ``form`` alone and with its conjunctions
    (and ``ل`` before an imperfect)."""
    out = [("", form)] + [(c, c + form) for c in CONJUNCTIONS]
    if kind == "imperfect":
        out += [("ل", "ل" + form), ("ول", "ول" + form)]
    return out


@dataclasses.dataclass(frozen=True)
class CueEntry:
    """What a matched cue is: ``lemma`` (the verb's perfect or the phrase),
    ``kind`` (``perfect``, ``imperfect``, ``participle``, ``after`` or ``noun``)
    and the ``proclitic`` glued to it (``""``, ``و``, ``ف``, ``ل``, ``ول``)."""

    lemma: str
    kind: str
    proclitic: str = ""


@dataclasses.dataclass(frozen=True)
class Cue:
    """One cue found in a text: words ``[start, end)`` (word indices) and its entry."""

    start: int
    end: int
    entry: CueEntry


@functools.lru_cache(maxsize=1)
def lexicon() -> dict[tuple[str, ...], CueEntry]:
    """Normalised word tuple -> entry, for every cue form with its proclitics."""
    table: dict[tuple[str, ...], CueEntry] = {}
    excluded = {norm(w) for w in NOT_CUES}
    for perfect, imperfect, participle in VERBS:
        for form, kind in verb_forms(perfect, imperfect, participle).items():
            forms = [form]
            if perfect in OBJECT_VERBS and kind != "participle":
                forms += [form + suffix for suffix in OBJECT_SUFFIXES]
                if kind == "perfect" and form.endswith("وا"):  # وصفوه
                    forms += [form[:-1] + suffix for suffix in OBJECT_SUFFIXES]
            for f in forms:
                for clitic, surface in with_proclitics(f, kind):
                    key = norm(surface)
                    if key not in excluded:
                        table.setdefault((key,), CueEntry(perfect, kind, clitic))
    for phrase, kind in PHRASES:
        words = phrase.split()
        for clitic, first in with_proclitics(words[0], kind):
            table.setdefault(tuple(norm(w) for w in [first, *words[1:]]), CueEntry(phrase, kind, clitic))
    return table


@functools.lru_cache(maxsize=1)
def _by_first() -> dict[str, list[tuple[tuple[str, ...], CueEntry]]]:
    index: dict[str, list[tuple[tuple[str, ...], CueEntry]]] = {}
    for key, entry in lexicon().items():
        index.setdefault(key[0], []).append((key, entry))
    for entries in index.values():
        entries.sort(key=lambda kv: -len(kv[0]))  # longest phrase first
    return index


def find_cues(normed: Sequence[str]) -> list[Cue]:
    """Cues in a list of normalised words (see :func:`norm`), longest match
    first, not overlapping, in order."""
    index = _by_first()
    out: list[Cue] = []
    i, n = 0, len(normed)
    while i < n:
        cands = index.get(normed[i])
        hit = None
        if cands:
            for key, entry in cands:
                k = len(key)
                if tuple(normed[i:i + k]) == key:
                    hit = Cue(i, i + k, entry)
                    break
        if hit is None:
            i += 1
        else:
            out.append(hit)
            i = hit.end
    return out


@functools.lru_cache(maxsize=1)
def complementisers() -> frozenset[str]:
    """Normalised forms of every clause opener with its suffixes and conjunctions."""
    out = set()
    for base in COMPLEMENTISERS:
        for suffix in PRONOUN_SUFFIXES:
            form = base + suffix
            for surface in (form, "و" + form, "ف" + form):
                out.add(norm(surface))
    return frozenset(out)


def is_complementiser(word: str) -> bool:
    """True for a normalised word that opens a reported clause (``أن``, ``إنه``, ``بأنها``...)."""
    return word in complementisers()


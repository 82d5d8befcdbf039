"""Who said it: the SOURCE span next to a cue and the quote's speaker.

With an entity layer, a SOURCE is the PER/ORG entity that is the cue's subject
(the name alone, as the scheme wants) and the speaker is that name's fullest
mention in the article (:func:`data.quotes.fullest_mention`). Without one,
the SOURCE is the subject noun phrase after the verb (``المتحدث باسم
الوزارة``, ``وزير الخارجية فلان``), cut at the first word that cannot be part
of it (a preposition, a time word, a comma, a relative pronoun), and the
speaker is that phrase as written. An indefinite description of an unnamed
speaker (``مصدر أمني``, ``مسؤولون``) has speaker null.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence

from .quote_cues import light, norm
from .quote_doc import STOPS, Doc
from .quote_marks import MARKS
from .speakers import fullest_mention

#: words that end a subject noun phrase (normalised on use)
_PHRASE_STOPS = (
    "في", "خلال", "عبر", "امام", "على", "الى", "إلى", "من", "عن", "مع", "لدى", "بعد", "قبل", "منذ",
    "حيث", "حين", "عندما", "بينما", "الذي", "التي", "الذين", "اللذين", "اللتين", "اللواتي", "ان", "إن", "أن",
    "امس", "أمس", "اليوم", "غدا", "الليلة", "صباح", "مساء", "يوم", "الاحد", "الاثنين", "الثلاثاء", "الاربعاء",
    "الخميس", "الجمعة", "السبت", "أيضا", "ايضا", "كذلك", "بدوره", "بدورها", "بدورهم", "قد", "لقد", "وقد",
    "ثم", "لكن", "لكنه", "لكنها", "ولكن", "وهو", "وهي", "إنه", "انه", "فيه", "فيها", "له", "لها", "لهم", "لنا",
    "ل", "لـ", "ب", "بـ", "كما", "مضيفا", "مشيرا", "قائلا", "مؤكدا", "موضحا", "اليوم", "الأسبوع", "الاسبوع",
    "الماضي", "الحالي", "الجاري", "المقبل", "حول", "بشأن", "بخصوص", "وسط", "ضمن", "تعليقا", "ردا", "عقب",
    "اثر", "إثر", "لوكالة", "لصحيفة", "لقناة", "لموقع", "لشبكة", "للصحفيين", "للصحافيين", "لرويترز",
    "لصحف", "لمجلة", "لإذاعة", "لتلفزيون", "لبي", "أواخر", "أوائل", "منتصف", "مطلع", "سابقا", "مؤخرا", "لاحقا",
    "مجددا", "أخيرا", "بحزم", "بوضوح", "صراحة", "مخاطبا", "مخاطبة", "ردا", "تعقيبا",
)
#: title and role nouns that stand before a name (``وزير``, ``الشيخ``) or after it
TITLES = (
    "وزير", "وزيرة", "رئيس", "رئيسة", "نائب", "عضو", "مستشار", "سفير", "قائد", "أمين", "زعيم", "مدير", "مديرة",
    "مدرب", "لاعب", "حارس", "محافظ", "عمدة", "ملك", "أمير", "ولي", "شيخ", "الشيخ", "الدكتور", "الدكتورة", "د",
    "البروفسور", "البروفيسور", "اللواء", "العميد", "العقيد", "الجنرال", "المهندس", "الأستاذ", "السيد", "السيدة",
    "الفنان", "الفنانة", "الممثل", "الممثلة", "المخرج", "المطرب", "المطربة", "النجم", "النجمة", "الكاتب",
    "الكاتبة", "المحلل", "الخبير", "القمص", "الأب", "البابا", "الرئيس", "الوزير", "الوزيرة", "المتحدث", "الناطق",
    "المدير", "المدرب", "اللاعب", "الحارس", "الأمين", "الملك", "الأمير", "النائب", "السفير", "المستشار",
    "متحدث", "ناطق", "مسؤول", "المسؤول", "مؤسس", "المؤسس", "رئيسة", "الرئيسة", "المرشد", "المبعوث", "مبعوث",
)
#: words after which an article-bearing word is still part of a name (``عبد الرحمن``, ``آل مكتوم``)
NAME_LINKS = ("عبد", "أبو", "أبي", "ابو", "بن", "ابن", "بنت", "آل", "ال", "عبدال", "ذو", "ذي")
#: first words of a description that names no one (speaker null)
_ANONYMOUS = (
    "مصدر", "مصادر", "مصدرا", "مسؤول", "مسؤولون", "مسؤولين", "مسؤولا", "شهود", "شاهد", "متحدث", "ناطق",
    "خبراء", "خبير", "محللون", "محلل", "مراقبون", "مراقبين", "تقارير", "تقرير", "بعض", "مصدران", "نشطاء",
    "ناشطون", "سكان", "مواطنون", "عدد", "دراسة", "مسؤولة", "مصادر", "مسؤولو", "خبيرة", "آخرون", "اخرون",
    "المسؤولان", "المصادر", "المصدر", "الشهود", "الخبراء", "المسؤول", "المسؤولون", "ممثلو", "محامو", "محامي",
    "أحد", "إحدى", "كثيرون", "الكثيرون", "الكثير", "العديد", "قوات", "وسائل", "صحف", "وكالات", "أوساط",
)
#: definite nouns that, standing alone, name no one (``الشرطة``, ``الدراسة``); with
#: a qualifier (``السلطات القبرصية``) they are the institution credited with the words
_BARE_ANONYMOUS = (
    "الدراسة", "الدراسات", "القانون", "التقرير", "التقارير", "السلطات", "الشرطة", "الإحصاءات", "الإحصائيات",
    "المعلومات", "الاستطلاع", "المسح", "البيانات", "الأرقام", "المعطيات", "الجيش", "القوات", "الصحف", "الأوساط",
)
#: words that open a counted or sampled group of people (speaker null)
QUANTITIES = (
    "حوالي", "نحو", "قرابة", "ربع", "ثلث", "نصف", "النصف", "ثلثي", "جزء", "معظم", "أغلب", "غالبية", "بعض", "البعض",
    "كثير", "أكثر", "أقل", "هذه", "هؤلاء", "المتظاهرون", "المحتجون", "الناشطون", "كل", "جميع", "عشرات", "مئات",
)
#: pronouns that stand for a speaker named before
PRONOUNS = ("هو", "هي", "هم", "هما", "وهو", "وهي")
#: generic heads left out before a source name after ``حسب``/``وفقا لـ``
GENERIC_HEADS = ("وكالة", "وكاله", "صحيفة", "موقع", "قناة", "شبكة", "مجلة", "إذاعة", "تلفزيون", "شركة", "منظمة")

PHRASE_STOPS = frozenset(light(w) for w in _PHRASE_STOPS)
_ON_BEHALF = light("باسم")
_NOT_NAMES = frozenset(light(w) for w in ("باسم", "ذاته", "نفسه", "نفسها", "ذاتها", "السابق", "الأسبق", "الحالي"))
TITLE_SET = frozenset(light(w) for w in TITLES)
NAME_LINK_SET = frozenset(light(w) for w in NAME_LINKS)
ANONYMOUS = frozenset(norm(w) for w in _ANONYMOUS)
BARE_ANONYMOUS = frozenset(norm(w) for w in _BARE_ANONYMOUS)
QUANTITY_SET = frozenset(light(w) for w in QUANTITIES)
PRONOUN_SET = frozenset(norm(w) for w in PRONOUNS)
GENERIC_SET = frozenset(norm(w) for w in GENERIC_HEADS)
_CHANNEL_BEFORE = frozenset(light(w) for w in ("ل", "لـ", "ب", "في", "عن", "مع", "إلى", "على", "من", "باسم"))
_BEFORE_VERB = frozenset(light(w) for w in ("قد", "وقد", "لقد", "الذي", "التي", "الذين", "،", ","))
_PUNCT_STOPS = STOPS | {"،", ",", "(", ")", ":", "؛", ";", "-", "–", "—", "/", "[", "]"}
#: most words a subject noun phrase may have
MAX_PHRASE = 8


class EntityIndex:
    """PER/ORG entities of one article by word range: ``(first, end, label)`` sorted."""

    def __init__(self, doc: Doc, entities: Sequence[dict] | None):
        self.given = entities is not None
        self.tuples = [(e["start"], e["end"], e["label"]) for e in entities or ()]
        self.ranges: list[tuple[int, int, str]] = []
        for s, e, label in sorted(self.tuples):
            if label not in ("PER", "ORG"):
                continue
            first = doc.word_at(s)
            end = bisect.bisect_left(doc.starts, e)
            if first < end:
                self.ranges.append((first, end, label))
        self.firsts = [r[0] for r in self.ranges]

    def within(self, first: int, end: int) -> list[tuple[int, int, str]]:
        """Entities lying wholly in words ``[first, end)``, in order."""
        i = bisect.bisect_left(self.firsts, first)
        out = []
        while i < len(self.ranges) and self.ranges[i][0] < end:
            if self.ranges[i][1] <= end:
                out.append(self.ranges[i])
            i += 1
        return out

    def ending_at(self, end: int) -> tuple[int, int, str] | None:
        """The entity whose last word is ``end - 1``, if any."""
        i = bisect.bisect_right(self.firsts, end - 1) - 1
        if i >= 0 and self.ranges[i][1] == end:
            return self.ranges[i]
        return None


def _channel(doc: Doc, first: int, label: str) -> bool:
    """True when the entity at word ``first`` is a recipient, channel or
    genitive rather than the subject (``لـCNN``, ``لـ"العربية.نت"``, ``لوكالة
    الأنباء``, ``المدير التنفيذي لـ"آبل"``, ``متحدث باسم الشركة``)."""
    w = doc.light[first]
    i = first - 1
    while i >= 0 and doc.words[i] in MARKS:
        i -= 1
    if i >= 0 and doc.light[i] in _CHANNEL_BEFORE:
        return True
    if w.startswith(("لـ", "لل")) or (w.startswith("ل") and w[1:2].isascii()):
        return True
    return label == "ORG" and w.startswith("ل") and not w.startswith("ال")


def phrase_end(doc: Doc, first: int, limit: int) -> int:
    """End (exclusive) of the subject noun phrase starting at word ``first``, before ``limit``."""
    end = first
    while end < limit and end - first < MAX_PHRASE:
        w = doc.words[end]
        nw = doc.light[end]
        if w in _PUNCT_STOPS or nw in PHRASE_STOPS or doc.para[end] != doc.para[first]:
            break
        if end in doc.quoted_at:  # a quoted name: keep it when it closes before the limit
            q = doc.quoted_at[end]
            if q.close is None or q.close >= limit or q.close - q.open > 4:
                break
            end = q.close + 1
            continue
        if nw.startswith("لل") or w.startswith("لـ"):
            break
        end += 1
    return end


def source_after(doc: Doc, ents: EntityIndex, first: int, limit: int) -> tuple[int, int] | None:
    """The subject right after a cue: words ``(first, end)`` or None."""
    if first >= limit:
        return None
    if ents.given:
        for s, e, label in ents.within(first, min(limit, first + MAX_PHRASE + 2)):
            if not _channel(doc, s, label):
                return s, e
    end = phrase_end(doc, first, limit)
    if end == first:
        return None
    return name_in(doc, first, end)


def name_in(doc: Doc, first: int, end: int) -> tuple[int, int]:
    """The name inside a subject noun phrase, titles and descriptions left out.

    A name in quotation marks at the end of the phrase (``شركة "أبل"``) is
    taken without its marks. Otherwise the name is the first run of words with
    no article (``ال``) that follows a title or a definite word (``وزير
    الخارجية الأمريكي مايك بومبيو``) or opens the phrase (``رود روزنستاين نائب
    وزير العدل``); it stops at a title noun and runs over ``عبد``/``بن``/``آل``
    compounds (``رامي عبد الرحمن``) and over definite words that end the
    phrase (``هيثم الحريري``). A phrase with no such run is kept whole (a
    description such as ``المتحدث باسم الوزارة``).
    """
    q = doc.close_at.get(end - 1)
    if q is not None and q.open >= first and q.close - q.open > 1:  # type: ignore[operator]
        return q.open + 1, q.close  # type: ignore[return-value]
    light = doc.light
    if doc.norm[first] in ANONYMOUS or not any(_definite(light[i]) or light[i] in TITLE_SET for i in range(first, end)):
        return first, end
    for i in range(first, end):
        if not _name_like(doc, i):
            continue
        if i > first and not (_definite(light[i - 1]) or light[i - 1] in TITLE_SET or doc.words[i - 1] in MARKS):
            continue
        j = i + 1
        while j < end:
            w = light[j]
            if _name_like(doc, j) or light[j - 1] in NAME_LINK_SET:
                j += 1
            elif _definite(w) and w not in TITLE_SET and all(_definite(light[k]) for k in range(j, end)):
                j = end
            else:
                break
        return i, j
    return first, end


def _definite(w: str) -> bool:
    """An article-bearing word, with or without a proclitic (``الوزير``, ``بالمؤتمر``, ``للنظام``)."""
    return w.startswith(("ال", "لل", "بال", "وال", "فال", "كال")) and len(w) > 3


def _name_like(doc: Doc, i: int) -> bool:
    """A word that can be part of a proper name: no article, not a title, a
    function word, punctuation or a genitive glued to ``و``/``ب``/``ل`` after
    a definite word (``والدي``, ``باسم``, ``لنادي``)."""
    w = doc.light[i]
    if _definite(w) or w in TITLE_SET or w in PHRASE_STOPS or w in _NOT_NAMES:
        return False
    if doc.words[i] in MARKS or doc.words[i] in _PUNCT_STOPS or w[:1].isdigit():
        return False
    return not (i > 0 and w[:1] in "ولب" and _definite(doc.light[i - 1]))


def source_before(doc: Doc, ents: EntityIndex, cue_first: int, sent_first: int) -> tuple[int, int] | None:
    """A subject before its verb (``الوزارة أكدت``, ``وكان فلان قد قال``, ``فلان، الذي قال``)."""
    i = cue_first
    while i > sent_first and doc.light[i - 1] in _BEFORE_VERB:
        i -= 1
    if i == sent_first:
        return None
    if ents.given:
        hit = ents.ending_at(i)
        if hit is not None and hit[0] >= sent_first:
            return hit[0], hit[1]
        return None
    first = i
    while first > sent_first and i - first < 3 and doc.words[first - 1] not in _PUNCT_STOPS:
        first -= 1
    if first != sent_first:
        return None
    if doc.norm[first] in _WAS:
        first += 1
    if first >= i or not all(_definite(doc.light[k]) or _name_like(doc, k) for k in range(first, i)):
        return None
    if doc.light[first][:1] in "وف" and not _definite(doc.light[first]):
        return None  # a conjunction glued to a verb or adverb, not a subject
    return name_in(doc, first, i)


_WAS = frozenset(norm(w) for w in ("كان", "وكان", "كانت", "وكانت"))


def speaker_of(doc: Doc, ents: EntityIndex, source: tuple[int, int]) -> tuple[str | None, bool]:
    """``(speaker, carried)`` for a SOURCE; ``carried`` when it must come from
    the quote before (a pronoun)."""
    first, end = source
    if doc.norm[first] in PRONOUN_SET and end - first == 1:
        return None, True
    names = ents.within(first, end)
    if names:
        s, e, _ = names[0]
        return fullest_mention(doc.text, _text(doc, s, e), ents.tuples), False
    for i in range(first, end - 1):
        if doc.light[i] == _ON_BEHALF:  # ``متحدث باسم أمازون``: the body spoken for
            k = i + 1
            while k < end - 1 and doc.norm[k] in GENERIC_SET:
                k += 1
            inner = ents.within(k, end)
            if inner:
                return fullest_mention(doc.text, _text(doc, inner[0][0], inner[0][1]), ents.tuples), False
            return _text(doc, *name_in(doc, k, end)), False
    lead = doc.norm[first]
    bare = lead[1:] if lead[:1] in ("و", "ل") and lead[1:] in ANONYMOUS else lead
    if bare in ANONYMOUS or (end - first == 1 and bare in BARE_ANONYMOUS) or _quantity(doc, first):
        return None, False
    if _definite(doc.light[first]) or doc.light[first] in TITLE_SET:
        named = earlier_name(doc, first, end)
        if named is not None:
            return (fullest_mention(doc.text, named, ents.tuples) if ents.given else named), False
    if ents.given:
        return None, True
    return _text(doc, first, end), False


def _quantity(doc: Doc, first: int) -> bool:
    """True for a source that counts or samples people (``25% منهن``, ``حوالي ربع
    المشاركين``, ``البعض``): a crowd, not a speaker."""
    return doc.words[first][:1].isdigit() or doc.light[first] in QUANTITY_SET


def _text(doc: Doc, first: int, end: int) -> str:
    return doc.text[doc.spans[first][0]:doc.spans[end - 1][1]]


def earlier_name(doc: Doc, first: int, end: int) -> str | None:
    """Who a definite description stands for, from an earlier mention in the article.

    ``الرئيس الأمريكي`` -> the name after an earlier ``الرئيس الأمريكي``
    (``دونالد ترامب``); ``الوزارة`` -> an earlier ``وزارة`` with its name
    (``وزارة الخارجية الفنلندية``, or the quoted name in ``شركة "أبل"``).
    None when the article has no such mention before.
    """
    light = doc.light
    phrase = light[first:end]
    size = len(phrase)
    for p in range(first - size, -1, -1):
        if light[p:p + size] == phrase:
            i = p + size
            j = i
            while j < min(len(doc), i + 4) and _name_like(doc, j) and doc.para[j] == doc.para[i]:
                j += 1
            if j > i:
                return _text(doc, i, j)
    head = light[first]
    noun = head[2:] if head.startswith("ال") else None
    if not noun or len(noun) < 3:
        return None
    for p in range(first - 1, -1, -1):
        w = light[p]
        if w != noun and not (w[:1] in "ولب" and w[1:] == noun):
            continue
        q = doc.quoted_at.get(p + 1)
        if q is not None and q.close is not None and 1 < q.close - q.open <= 5:
            return _text(doc, q.open + 1, q.close)
        j = p + 1
        while j < min(len(doc), p + 4) and _definite(light[j]) and doc.para[j] == doc.para[p]:
            j += 1
        if j > p + 1:
            word = doc.words[p]
            word = word[1:] if word[:1] in "ولب" and light[p] != noun else word
            return word + " " + _text(doc, p + 1, j)
    return None

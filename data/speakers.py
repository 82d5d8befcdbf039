"""Who can be a speaker in an article, and which mentions are the same speaker.

Pure functions over an article's text and its entity and SOURCE spans (no
torch, standard library only: a checkpoint carries this file).

* :func:`name_key` turns a name into comparable words: Arabic normalisation,
  ``عبدالجواد`` split as ``عبد الجواد``,
  attached proclitics off (``لألكسندر`` -> ``الكسندر``), the article ``ال``
  off each word (``المطيري`` ~ ``مطيري``), and the joining words of Arabic
  names (``بن``, ``ابن``, ``بنت``) left out.
* :func:`same_name` says whether one name is a shorter form of the other:
  its words appear in the other's, in order (``المطيري``, ``عبد الكريم
  المطيري`` and ``عبد الكريم بن سالم المطيري`` are one person), a family name
  spelt two ways (``بيترسن`` / ``بيترسون``) matching by its consonants.
* :func:`find_speakers` clusters an article's PER and ORG (and LOC) mentions,
  plus SOURCE spans that name someone the entity layer missed, into
  :class:`Speaker` s: each with its fullest name (the scheme's speaker
  string), its mentions and the words it was introduced with (``وزير
  الثروة السمكية`` in ``وزير الثروة السمكية فهد كفاين``), which later let a
  description (``الوزير``) stand for it.
* :func:`describe_source` sorts a SOURCE with no name in it into a pronoun, an
  anonymous source (``مصادر مطلعة``: nobody the article names) or a
  definite description (``الوزير``, ``المتحدث باسم الوزارة``).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .words import normalise_for_match

Span = tuple[int, int, str]

#: joining words of Arabic names, not part of what identifies a person
NAME_JOINERS = frozenset({"بن", "ابن", "بنت", "ابنه", "بنه"})
#: attached one- and two-letter proclitics (conjunction, preposition, both)
PROCLITICS = ("وب", "ول", "فب", "فل", "وك", "و", "ف", "ب", "ل", "ك")
PRONOUNS = frozenset(normalise_for_match(w) for w in (
    "هو هي هم هما هن إنه إنها إنهم لكنه لكنها لكنهم ولكنه ولكنها ولكنهم الأخير الأخيرة "
    # honorifics with a pronoun: they stand for someone named before, as هو does
    "فضيلته معاليه سموه سعادته دولته جلالته فخامته سماحته نيافته غبطته").split())
#: reporting words (participles, verbs) a tagger may take for a SOURCE: never a speaker
CUE_WORDS = frozenset(normalise_for_match(w) for w in (
    "موردا مضيفا مضيفة مشيرا مشيرة مؤكدا مؤكدة موضحا موضحة قائلا قائلة لافتا لافتة معتبرا معتبرة منوها "
    "مشددا مشددة متابعا متابعة مبينا مبينة مستدركا مختتما معربا معربة داعيا داعية محذرا محذرة "
    "قال قالت أضاف أضافت أكد أكدت أوضح أوضحت تابع تابعت أشار أشارت").split())
#: given names so common that two of them never match by their consonants alone
COMMON_GIVEN = frozenset(normalise_for_match(w) for w in (
    "محمد محمود أحمد حامد حمد حميد حمدي علي عليان عمر عمار عامر سعد سعيد سعود خالد خليل حسن حسين حسني "
    "صالح صلاح مصطفى منصور ناصر نصر يوسف إبراهيم عبد عبدالله").split())
#: first words of an indefinite source that stands for nobody the article names
ANONYMOUS_HEADS = frozenset(normalise_for_match(w) for w in (
    "مصدر مصادر مصدران مسؤول مسؤولون مسؤولين مسؤولان بعض البعض العديد كثير كثيرون آخرون اخرون "
    "شهود شاهد خبراء خبير محللون محلل مراقبون مراقب ناشطون ناشط سكان مواطنون مواطن "
    "تقارير تقرير وسائل مصادرنا أوساط اوساط جهات دبلوماسي سياسي شخص أشخاص احد أحد معلومات دراسة "
    # counts and shares of people: nobody in particular
    "جزء معظم عدة جميع كل حوالي نحو ربع نصف ثلث اغلب أغلبية غالبية عدد").split())
#: documents a SOURCE may be (``وأضاف البيان``, ``جاء في التقرير``): the words are their issuer's
DOCUMENT_HEADS = frozenset(normalise_for_match(w) for w in (
    "تقرير بيان رسالة قرار دراسة حصيلة وثيقة مذكرة تغريدة خطاب نشرة تعميم").split())
#: demonstratives before a head (هذه الحصيلة)
_DEMONSTRATIVES = frozenset(normalise_for_match(w) for w in "هذا هذه ذلك تلك".split())
#: words that head a description of an organisation (else a person)
ORG_HEADS = frozenset(normalise_for_match(w) for w in (
    "وزارة حكومة شركة جمعية لجنة هيئة منظمة اتحاد نادي حزب جيش شرطة وكالة مؤسسة بنك صندوق مجلس "
    "برلمان إدارة ادارة مديرية رئاسة سلطات قوات دفاعات أجهزة اجهزة مصلحة جامعة محكمة نيابة بلدية جماعة حركة نقابة مجموعة فريق منتخب "
    "صحيفة جريدة قناة شبكة موقع مجلة مكتب سفارة قيادة مركز معهد أمانة امانة إمارة امارة").split())

_KEY_CACHE: dict[str, tuple[str, ...]] = {}
_HAMZA_ALEF = "أإآ"


def strip_proclitic(word: str) -> str:
    """A word (as written) without an attached proclitic, where one is
    certain: before the article (``والوزارة`` -> ``الوزارة``, ``للجنة`` ->
    ``اللجنة``) or a hamza-initial name (``لألكسندر`` -> ``ألكسندر``);
    ``وليد``, ``وكالة`` and ``فلاديمير`` stay as they are."""
    if word.startswith("لل") and len(word) > 3:
        return "ا" + word[1:]
    for clitic in PROCLITICS:
        rest = word[len(clitic):]
        if not word.startswith(clitic):
            continue
        # the article plus at least three letters: والده (his father) and بالفي (a name) stay whole
        if (rest.startswith("ال") and len(rest) >= 5) or (rest[:1] in _HAMZA_ALEF and len(rest) >= 3):
            return rest
    return word


def _core(word: str) -> str:
    """A normalised name word without the article: ``المطيري`` -> ``مطيري``."""
    return word[2:] if word.startswith("ال") and len(word) > 3 else word


def _words(text: str) -> list[str]:
    """Normalised words of ``text``, each without a certain proclitic (and
    without the first of a doubled و: ``ووزير`` -> ``وزير``)."""
    words = normalise_for_match(" ".join(strip_proclitic(w) for w in text.split())).split()
    return [w[1:] if w.startswith("وو") and len(w) > 3 else w for w in words]


def _split_compounds(words: list[str]) -> list[str]:
    """``عبدالجواد`` written as one word is ``عبد الجواد``, ``أبوزيد`` is ``أبو زيد``: two words, as spaced."""
    out = []
    for w in words:
        if w.startswith("عبدال") and len(w) > 6:
            out += ["عبد", w[3:]]
        elif w.startswith("ابو") and len(w) > 5:  # أبوزيد is أبو زيد (a kunya written as one word)
            out += ["ابو", w[3:]]
        else:
            out.append(w)
    return out


def name_key(name: str) -> tuple[str, ...]:
    """Comparable words of a name (see the module docstring); ``()`` for none."""
    cached = _KEY_CACHE.get(name)
    if cached is None:
        cached = tuple(w for w in (_core(w) for w in _split_compounds(_words(name))) if w and w not in NAME_JOINERS)
        if len(_KEY_CACHE) < 100_000:
            _KEY_CACHE[name] = cached
    return cached


def _skeleton(word: str) -> str:
    """The consonants of a normalised word: long vowels and hamza seats out."""
    return re.sub("[اويىءئؤ]", "", word)


def _word_match(a: str, b: str, last: bool) -> bool:
    if a == b:
        return True
    # a one-letter proclitic the entity span kept (لمونفس ~ مونفس)
    for x, y in ((a, b), (b, a)):
        if len(x) > 3 and x[0] in "وفبلك" and x[1:] == y:
            return True
    # a transliterated family name spelt two ways: same consonants (بيترسن / بيترسون),
    # or one more at the end (هازار / هازارد), same first letter
    if not last or a in COMMON_GIVEN or b in COMMON_GIVEN or a[:1] != b[:1]:
        return False
    sa, sb = sorted((_skeleton(a), _skeleton(b)), key=len)
    return len(sa) >= 3 and (sa == sb or (len(sb) == len(sa) + 1 and sb.startswith(sa)))


def key_within(short: Sequence[str], full: Sequence[str]) -> bool:
    """``short``'s words appear in ``full`` in order (gaps allowed), the last
    word of each compared by consonants too; an empty key is within nothing."""
    if not short or len(short) > len(full):
        return False
    i = 0
    for k, word in enumerate(full):
        if i < len(short) and _word_match(short[i], word, last=(i == len(short) - 1 and k == len(full) - 1)
                                          or (len(short) == 1)):
            i += 1
    return i == len(short)


def same_name(a: str, b: str) -> bool:
    """One name is a shorter (or the same) form of the other."""
    ka, kb = name_key(a), name_key(b)
    return key_within(ka, kb) or key_within(kb, ka)


def display_name(text: str) -> str:
    """A mention as a speaker string: the surface text without a certain
    proclitic on its first word (:func:`strip_proclitic`: ``لألكسندر كوغان``
    -> ``ألكسندر كوغان``; ``لهيئة الصحة`` -> ``هيئة الصحة``), written plainly
    (a hashtag ``#سامي_حداد`` -> ``سامي حداد``)."""
    if "#" in text or "_" in text:
        text = " ".join(text.replace("#", " ").replace("_", " ").split())
    first, sep, rest = text.partition(" ")
    bare = strip_proclitic(first)
    if bare == first and len(first) > 3 and first[0] in "لب" and head_in(normalise_for_match(first[1:]), ORG_HEADS):
        bare = first[1:]  # لهيئة الصحة -> هيئة الصحة
    return bare + sep + rest


def fullest_mention(text: str, name: str, entities: Sequence[Span], label: str | None = None) -> str:
    """The longest entity in the article (of ``label``, else PER or ORG) that
    contains ``name`` as whole words, after Arabic normalisation; ``name``
    itself when none does."""
    key = normalise_for_match(name).split()
    if not key:
        return name
    labels = (label,) if label else ("PER", "ORG")
    best, best_len = name, len(key)
    for s, e, lab in entities:
        if lab not in labels:
            continue
        cand = text[s:e]
        words = normalise_for_match(cand).split()
        n = len(key)
        if len(words) > best_len and any(words[i:i + n] == key for i in range(len(words) - n + 1)):
            best, best_len = cand, len(words)
    return best


@dataclass
class Mention:
    """One mention of a speaker: ``[start, end)`` in the text, its label
    (PER/ORG/LOC/MISC for an entity, SOURCE for a SOURCE span naming someone
    the entity layer missed) and its surface text."""

    start: int
    end: int
    label: str
    text: str
    intro: frozenset[str] = frozenset()  # the words describing it next to this mention (:func:`intro_words`)


@dataclass
class Speaker:
    """A cluster of mentions of one person or organisation.

    ``name``: the fullest mention's text (the scheme's speaker string, proclitic
    off); ``label``: PER, ORG, LOC or SOURCE (a name of unknown type);
    ``mentions`` in text order; ``intro``: normalised words (article off)
    next to its mentions that describe it (titles, roles, ``صحيفة`` before a
    paper's name).
    """

    name: str
    label: str
    mentions: list[Mention] = field(default_factory=list)
    aliases: set[tuple[str, ...]] = field(default_factory=set)  # keys of acronyms given with its name (فيفا)

    @property
    def key(self) -> tuple[str, ...]:
        return name_key(self.name)

    @property
    def intro(self) -> set[str]:
        """What its mentions were introduced with, all together."""
        return set().union(*(m.intro for m in self.mentions))


#: at most this many words before or after a mention are read as its description
INTRO_WORDS = 6
_INTRO_STOP = re.compile(r"[.!?؟:؛\n]")


def intro_words(text: str, start: int, end: int, others: Sequence[tuple[int, int]]) -> set[str]:
    """Normalised words (article off) of the phrase right before a mention and
    of an apposition right after it (``فلان، رئيس وزراء سنغافورة``), stopping at
    sentence punctuation and other mentions (quotation marks do not stop it:
    ``صحيفة "نيويورك تايمز"``)."""
    left_limit = max([e for s, e in others if e <= start] + [0])
    left = text[max(left_limit, start - 120):start]
    cut = [m.end() for m in _INTRO_STOP.finditer(left)]
    left = left[cut[-1]:] if cut else left
    words = _words(left)[-INTRO_WORDS:]
    right_limit = min([s for s, e in others if s >= end] + [len(text)])
    right = text[end:min(right_limit, end + 120)]
    if right.lstrip().startswith(("،", ",")):
        right = right.lstrip()[1:]
        stop = re.search(r"[،,.!?؟:؛\n]", right)
        words += _words(right[:stop.start() if stop else len(right)])[:INTRO_WORDS]
    return {_core(w) for w in words if len(w) > 1}


def head_in(word: str, heads: frozenset[str]) -> bool:
    """A normalised word is one of ``heads``, give or take the article, one
    attached preposition or conjunction (``لمصادر``), the accusative ending
    (``مسؤولا``), an attached pronoun and a plural, dual or construct ending."""
    forms = {word, _core(word)}
    if len(word) > 3 and word[0] in "لبوفك":
        forms |= {word[1:], _core(word[1:])}
    forms |= {f[:-1] for f in forms if f.endswith("ا") and len(f) > 3}
    # an attached pronoun (بعضهن) or a plural, dual or construct ending (مراقبين، خبيران، مسؤولو)
    for suffix in ("هم", "هن", "ها", "ون", "ين", "ات", "ان", "و"):
        forms |= {f[: -len(suffix)] for f in list(forms) if f.endswith(suffix) and len(f) - len(suffix) >= 3}
    return bool(forms & heads)


def document_noun(word: str) -> str | None:
    """The document a normalised word names (``البيان``, ``ببيان``, ``تقريرا``
    -> ``بيان``, ``تقرير``), singular only (``بيانات`` is data); else None."""
    forms = {word, word[:-1] if word.endswith("ا") and len(word) > 4 else word}
    forms |= {f[1:] for f in forms if len(f) > 4 and f[0] in "لبوفك"}
    forms |= {_core(f) for f in forms}
    hits = forms & DOCUMENT_HEADS
    return min(hits) if hits else None


def source_document(source: str) -> str | None:
    """The document a SOURCE's head names (``هذه الحصيلة الرسمية`` -> ``حصيله``), else None."""
    words = _words(source)
    if words and words[0] in _DEMONSTRATIVES:
        words = words[1:]
    return document_noun(words[0]) if words else None


def document_nouns(text: str) -> list[tuple[int, str]]:
    """``(offset, document)`` for each word of ``text`` that names a document."""
    out = []
    for m in re.finditer(r"\S+", text):
        words = _words(m.group())
        noun = document_noun(words[0]) if len(words) == 1 else None
        if noun:
            out.append((m.start(), noun))
    return out


def describe_source(source: str) -> str:
    """What a SOURCE with no entity in it is: ``cue`` (a reporting word such as
    ``موردا`` taken for a SOURCE: no speaker), ``pronoun`` (``هو``, ``معاليه``),
    ``document`` (``البيان``, ``هذه الحصيلة``, ``تقرير``: its issuer speaks),
    ``anonymous`` (headed by ``مصدر``, ``مسؤول``, ``بعض``...: nobody the
    article names), ``description`` (definite: ``الوزير``, ``رئيس الوزراء``;
    or a noun with its adjective: ``فتاة تونسية``) or ``name`` (anything else:
    a bare name the entity layer missed)."""
    words = _words(source)
    if not words:
        return "anonymous"
    if words[0] in CUE_WORDS or (words[0][:1] in ("و", "ف") and words[0][1:] in CUE_WORDS):
        return "cue"
    if words[0] in PRONOUNS:
        return "pronoun"
    if source_document(source):
        return "document"
    if any(c.isdigit() or c == "%" for c in source.split()[0]):
        return "anonymous"  # 25% منهن، 18 امرأة
    if head_in(words[0], ANONYMOUS_HEADS) and (not words[0].startswith("ال") or _core(words[0]) == "بعض"):
        return "anonymous"  # مسؤول، مصادر مطلعة، البعض; but المسؤول الإعلامي describes someone
    if words[0].startswith("ال") or (len(words) > 1 and words[1].startswith("ال")):
        return "description"
    if len(words) > 1 and words[0].endswith(("ه", "ات")) and words[1].endswith(("يه", "يات")):
        return "description"  # a feminine noun and its adjective (ممثلة إباحية، منظمات دولية): not a name
    return "name"


def description_words(source: str) -> list[str]:
    """The words of a description, article and proclitics off (head first)."""
    return [_core(w) for w in _words(source)]


#: what stands between a name and its alias: ``الاتحاد الدولي لكرة القدم (فيفا)``, ``... "فيفا"``, ``... - فيفا``;
#: a bracket, quotation mark or dash is required (``إسبانيا والبرازيل`` are two)
_ALIAS_GAP = re.compile(r"""\s*[("“«'-]\s*""")


def alias_of(text: str, m: "Mention", speakers: list[Speaker]) -> Speaker | None:
    """The speaker whose last mention ``m`` directly follows as an alias or
    acronym (same label, nothing but a bracket or quotation mark between)."""
    for sp in speakers:
        last = sp.mentions[-1]
        if last.label == m.label and last.end <= m.start and _ALIAS_GAP.fullmatch(text[last.end:m.start]):
            return sp
    return None


def find_speakers(text: str, entities: Sequence[Span], sources: Sequence[tuple[int, int]] = (),
                  labels: Sequence[str] = ("PER", "ORG", "LOC")) -> list[Speaker]:
    """The speakers an article mentions, in order of first mention.

    ``entities``: ``(start, end, label)`` entity spans; ``sources``: SOURCE
    spans. A mention joins the most recently mentioned speaker of its label
    whose name it shortens or extends (:func:`same_name`), else starts a new
    one; a longer form becomes the speaker's name. A SOURCE that holds no
    entity but is a name (:func:`describe_source`) joins a speaker it names, or starts one of label SOURCE;
    one that describes an organisation in more than a word (``مكتب المحافظ``,
    ``إدارة النادي``; ``الوزارة`` alone stands for one named elsewhere)
    starts one of label DESC (the description may be all the article says of
    that speaker).
    """
    # a MISC name a SOURCE is exactly (a league, a show: the entity layer's MISC for a body) speaks
    # as an organisation, at that SOURCE and wherever else the article names it
    source_spans = {tuple(x) for x in sources}
    spoken = {name_key(text[s:e]) for s, e, lab in entities if lab == "MISC" and (s, e) in source_spans}
    mentions = [Mention(s, e, lab if lab in labels else "ORG", text[s:e]) for s, e, lab in sorted(entities)
                if lab in labels or (lab == "MISC" and "ORG" in labels and name_key(text[s:e]) in spoken)]
    covered = [(m.start, m.end) for m in mentions]
    for s, e in sorted(sources):
        inside = [(ms, me) for ms, me in covered if s <= ms and me <= e or ms <= s < me]
        if inside:
            words = description_words(text[s:e])
            if (len(words) > 1 and head_in(words[0], ORG_HEADS) and all(text[s:ms].strip() for ms, _ in inside)
                    and describe_source(text[s:e]) == "description"):
                mentions.append(Mention(s, e, "DESC", text[s:e]))  # مكتب قائد الشرطة في بيرس كاونتي: a body of the place
            continue
        kind = describe_source(text[s:e])
        if kind == "name" and name_key(text[s:e]):
            mentions.append(Mention(s, e, "SOURCE", text[s:e]))
        elif kind == "description" and len(description_words(text[s:e])) > 1 and head_in(
                description_words(text[s:e])[0], ORG_HEADS):
            mentions.append(Mention(s, e, "DESC", text[s:e]))
    mentions.sort(key=lambda m: m.start)
    spans = [(m.start, m.end) for m in mentions]
    speakers: list[Speaker] = []
    for m in mentions:
        key = name_key(m.text)
        if not key:
            continue
        best = alias_of(text, m, speakers)
        if best is not None and not (key_within(key, best.key) or key_within(best.key, key)):
            best.aliases.add(key)  # الفيفا later is this speaker too
        for sp in ([] if best is not None else speakers):
            if m.label == "DESC" or sp.label == "DESC":
                if m.label == sp.label == "DESC" and key == sp.key:
                    best = sp  # the same description again
                continue
            if m.label != "SOURCE" and sp.label not in (m.label, "SOURCE"):
                continue
            if any(key_within(key, k) or key_within(k, key) for k in (sp.key, *sp.aliases)):
                if best is None or sp.mentions[-1].start > best.mentions[-1].start:
                    best = sp
        if best is None:
            best = Speaker(name=display_name(m.text), label=m.label)
            speakers.append(best)
        elif len(key) > len(best.key) or (len(key) == len(best.key) and best.label == m.label
                                          and len(display_name(m.text)) < len(best.name)):
            best.name = display_name(m.text)  # the fuller form; at equal length the one without a clitic
        if best.label == "SOURCE" and m.label != "SOURCE":
            best.label = m.label
        m.intro = frozenset(intro_words(text, m.start, m.end, spans))
        best.mentions.append(m)
    return speakers

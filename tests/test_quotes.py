"""Grouping predicted quote parts into attributed quotes."""
from __future__ import annotations

from qawl.data.quotes import AttributionRules, group_quotes, is_anonymous, quote_kind


def span(text: str, sub: str, label: str, nth: int = 0) -> tuple[int, int, str]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    return (start, start + len(sub), label)


TEXT = (
    "قال وزير الخارجية عصام لعروسي إن “المحادثات كانت مثمرة”. وتابع أن الوفد سيعود الأسبوع المقبل.\n"
    "وأكدت مصادر مطلعة أن الاتفاق قريب. «لن نتراجع»، قالت سلمى العبيدي، «ولن نتوقف».\n"
    "وأوضح لعروسي أن الحكومة مستعدة. وأضافت الوزارة أن الموعد لم يحدد."
)
ENTITIES = [span(TEXT, "عصام لعروسي", "PER"), span(TEXT, "سلمى العبيدي", "PER"), span(TEXT, "لعروسي", "PER", 1),
            span(TEXT, "وزارة الخارجية"[1:], "ORG") if False else span(TEXT, "الخارجية", "ORG")]
PARTS = [
    span(TEXT, "قال", "CUE"), span(TEXT, "عصام لعروسي", "SOURCE"), span(TEXT, "المحادثات كانت مثمرة", "CONTENT"),
    span(TEXT, "وتابع", "CUE"), span(TEXT, "الوفد سيعود الأسبوع المقبل", "CONTENT"),
    span(TEXT, "وأكدت", "CUE"), span(TEXT, "مصادر مطلعة", "SOURCE"), span(TEXT, "الاتفاق قريب", "CONTENT"),
    span(TEXT, "لن نتراجع", "CONTENT"), span(TEXT, "قالت", "CUE"), span(TEXT, "سلمى العبيدي", "SOURCE"), span(TEXT, "ولن نتوقف", "CONTENT"),
    span(TEXT, "وأوضح", "CUE"), span(TEXT, "لعروسي", "SOURCE", 1), span(TEXT, "الحكومة مستعدة", "CONTENT"),
    span(TEXT, "وأضافت", "CUE"), span(TEXT, "الوزارة", "SOURCE"), span(TEXT, "الموعد لم يحدد", "CONTENT"),
]


def by_content(quotes):
    return {TEXT[q["content"][0]:q["content"][1]]: q for q in quotes}


def test_parts_group_and_speakers_resolve():
    q = by_content(group_quotes(TEXT, PARTS, ENTITIES))
    assert len(q) == 7
    first = q["المحادثات كانت مثمرة"]
    assert TEXT[slice(*first["source"])] == "عصام لعروسي" and TEXT[slice(*first["cue"])] == "قال"
    assert first["kind"] == "direct" and first["speaker"] == "عصام لعروسي"
    # continuation: no SOURCE in its sentence, speaker carried from the previous quote
    cont = q["الوفد سيعود الأسبوع المقبل"]
    assert cont["source"] is None and cont["speaker"] == "عصام لعروسي" and cont["kind"] == "indirect"
    # anonymous source: speaker unknown
    assert q["الاتفاق قريب"]["speaker"] is None
    # interrupted quote: the attribution belongs to the first part; both share the speaker
    a, b = q["لن نتراجع"], q["ولن نتوقف"]
    assert a["source"] is not None and b["source"] is None
    assert a["speaker"] == b["speaker"] == "سلمى العبيدي"
    # a partial name resolves to the fullest mention in the article
    assert q["الحكومة مستعدة"]["speaker"] == "عصام لعروسي"
    # an organisation description resolves to the nearest organisation before it
    assert q["الموعد لم يحدد"]["speaker"] == "الخارجية"


def test_rules_can_be_switched_off():
    q = by_content(group_quotes(TEXT, PARTS, ENTITIES, AttributionRules(carry=False, fullest=False, anonymous=False, descriptions=False)))
    assert q["الوفد سيعود الأسبوع المقبل"]["speaker"] is None
    assert q["الحكومة مستعدة"]["speaker"] == "لعروسي"
    assert q["الاتفاق قريب"]["speaker"] == "مصادر مطلعة"


def test_anonymous_sources():
    assert is_anonymous("مصادر مطلعة") and is_anonymous("لمصادر في الاتحاد") and is_anonymous("نقاد حضروا الافتتاح")
    assert not is_anonymous("الوزير") and not is_anonymous("هو") and not is_anonymous("رئيسة الجهة")


def test_quote_kind():
    t = "قال إن “الوضع مستقر” وأضاف أن الوضع مستقر وقال: الوضع مستقر"
    s = t.index("الوضع")
    assert quote_kind(t, s, s + len("الوضع مستقر")) == "direct"
    s2 = t.index("الوضع", s + 1)
    assert quote_kind(t, s2, s2 + len("الوضع مستقر")) == "indirect"
    s3 = t.rindex("الوضع")
    assert quote_kind(t, s3, len(t)) == "direct"


def test_a_source_before_a_colon_introduces_the_quote_not_a_source_after_it():
    """``وقال كوبر خلال المؤتمر، مساء الأربعاء: "..." لصحيفة ...``: the colon (attached to the
    word before it) opens the quote, so the SOURCE before it wins over the outlet after it."""
    text = 'وقال كوبر خلال المؤتمر الصحفي، مساء الأربعاء: "أنا لست طبيبا" بحسب ديلي إكسبريس.'
    def at(part):
        s = text.index(part)
        return s, s + len(part)
    parts = [(*at("وقال"), "CUE"), (*at("كوبر"), "SOURCE"), (*at("أنا لست طبيبا"), "CONTENT"),
             (*at("ديلي إكسبريس"), "SOURCE")]
    (q,) = group_quotes(text, parts, [])
    assert text[slice(*q["source"])] == "كوبر"

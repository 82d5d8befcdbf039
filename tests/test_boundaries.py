"""The rules cut the tagger's quotes: one invented Arabic example per class of boundary error."""
from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qawl.data.article import check_article
from qawl.data.boundaries import cut_quotes
from qawl.data.quote_cues import trim_cue
from qawl.data.quote_rules import annotate_quotes, writers_voice
from qawl.data.quotes import group_quotes


def span(text: str, part: str, nth: int = 0) -> list[int]:
    at = -1
    for _ in range(nth + 1):
        at = text.index(part, at + 1)
    return [at, at + len(part)]


def quote(text: str, content: str, cue: str | None = None, source: str | None = None, kind: str = "indirect") -> dict:
    """A tagger's quote: parts as surface strings (first occurrence)."""
    return {"content": span(text, content), "cue": cue and span(text, cue), "source": source and span(text, source),
            "kind": kind, "speaker": None}


def contents(text: str, quotes: list[dict]) -> list[str]:
    return [text[q["content"][0]:q["content"][1]] for q in quotes]


def test_a_direct_quote_off_by_a_mark_or_a_word_is_cut_at_its_marks():
    text = 'وقال الوزير سمير العلي: "الوضع مستقر تماما". وأضاف أن الحكومة ستدعم المزارعين.'
    for wrong in ('"الوضع مستقر تماما"', "الوضع مستقر", 'الوضع مستقر تماما".'):
        (q,) = cut_quotes(text, [quote(text, wrong, cue="وقال", source="سمير العلي", kind="direct")])
        assert contents(text, [q]) == ["الوضع مستقر تماما"] and q["kind"] == "direct"


def test_an_indirect_clause_ends_at_its_sentence_end_without_the_full_stop():
    text = "وأكد الوزير أن الاجتماع سيعقد غدا في الرباط. وفي سياق آخر، ارتفعت أسعار النفط."
    too_long = "الاجتماع سيعقد غدا في الرباط. وفي سياق آخر، ارتفعت أسعار النفط"
    for wrong in (too_long, "الاجتماع سيعقد غدا", "الاجتماع سيعقد غدا في الرباط."):
        (q,) = cut_quotes(text, [quote(text, wrong, cue="وأكد")])
        assert contents(text, [q]) == ["الاجتماع سيعقد غدا في الرباط"]


def test_a_clause_stops_before_a_reporting_participle_that_opens_its_own():
    text = "وقال المتحدث إن الحادث ليس عملا إرهابيا موضحا أن قائد الطائرة من سكان المقاطعة."
    quotes = annotate_quotes(text)
    assert [text[q["content"][0]:q["content"][1]] for q in quotes] == [
        "الحادث ليس عملا إرهابيا", "قائد الطائرة من سكان المقاطعة"]
    # a participle with no clause of its own is part of the reported clause
    text = "وقال المتحدث إن الفريق لعب مؤكدا تفوقه على منافسه."
    (q,) = annotate_quotes(text)
    assert text[q["content"][0]:q["content"][1]] == "الفريق لعب مؤكدا تفوقه على منافسه"


def test_the_clause_stops_before_the_writers_gloss():
    text = "وقال المدير إن الشركة ستفتتح فرعا جديدا، وذلك بعد نجاح الفرع الأول."
    (q,) = cut_quotes(text, [quote(text, "الشركة ستفتتح فرعا جديدا، وذلك بعد نجاح الفرع الأول", cue="وقال")])
    assert contents(text, [q]) == ["الشركة ستفتتح فرعا جديدا"]


def test_one_quote_split_in_two_becomes_one():
    text = 'وقال الوزير: "الوضع مستقر تماما والحكومة تتابع كل شيء". ثم غادر القاعة.'
    halves = [quote(text, "الوضع مستقر", cue="وقال", kind="direct"), quote(text, "والحكومة تتابع كل شيء", kind="direct")]
    assert contents(text, cut_quotes(text, halves)) == ["الوضع مستقر تماما والحكومة تتابع كل شيء"]


def test_a_quote_interrupted_by_its_attribution_is_two_quotes_the_first_with_the_attribution():
    text = '"الوضع صعب"، قال الوزير سمير العلي، "لكننا سنتجاوزه قريبا".'
    parts = [(*span(text, "الوضع صعب"), "CONTENT"), (*span(text, "قال"), "CUE"), (*span(text, "سمير العلي"), "SOURCE"),
             (*span(text, "لكننا سنتجاوزه"), "CONTENT")]  # the tagger stopped one word short
    first, second = group_quotes(text, parts, [(*span(text, "سمير العلي"), "PER")], rule_boundaries=True)
    assert contents(text, [first, second]) == ["الوضع صعب", "لكننا سنتجاوزه قريبا"]
    assert first["source"] == span(text, "سمير العلي") and first["cue"] == span(text, "قال")
    assert second["source"] is None and second["cue"] is None
    assert first["speaker"] == second["speaker"] == "سمير العلي"  # the rules carry the speaker


def test_scare_quotes_and_clauses_with_no_speech_act_are_not_quotes():
    text = 'ووقعت شركة "آشكاين" عقدا جديدا مع الحكومة. ويتوقع أن ترتفع الأرباح.'
    taken = [quote(text, "آشكاين", kind="direct"), quote(text, "ترتفع الأرباح")]
    assert cut_quotes(text, taken) == []
    # words in marks that nothing reports (no CUE, no SOURCE) are no quote; with a SOURCE they are
    text = 'ورحبت اللجنة بقرار "يدعم مكافحة المنشطات ويوضح الأمور". وقالت الوزيرة "سنواصل العمل".'
    assert cut_quotes(text, [quote(text, "يدعم مكافحة المنشطات ويوضح الأمور", kind="direct")]) == []
    kept = cut_quotes(text, [quote(text, "سنواصل العمل", source="الوزيرة", kind="direct")])
    assert contents(text, kept) == ["سنواصل العمل"]


def test_a_quote_only_the_tagger_sees_keeps_its_boundaries():
    text = "وأشار رئيس الجمعية في تغريدة له الى استمرار العمل في المشروع، لافتا الى ان الدعم متوفر."
    (q,) = cut_quotes(text, [quote(text, "الدعم متوفر", cue="لافتا")])
    assert contents(text, [q]) == ["الدعم متوفر"]


def test_a_cue_leaves_the_preposition_after_it_to_neither_part():
    """docs/annotation-guide.md 4.3: ``مشيرا إلى أن`` -> CUE ``مشيرا``; an attribution
    phrase keeps everything up to its source (``وفقا لبيان صادر عن``)."""
    text = ("وأكد الوزير أن الخطة جاهزة، مشيرا إلى أن التنفيذ يبدأ غدا. وشدد على أن الفريق مستعد. "
            "وأعلن عن \"مرحلة جديدة\". ووفقا لبيان صادر عن الوزارة، فإن العمل مستمر.")
    for cue, kept in (("مشيرا إلى", "مشيرا"), ("وشدد على", "وشدد"), ("وأعلن عن", "وأعلن"),
                      ("ووفقا لبيان صادر عن", "ووفقا لبيان صادر عن"), ("مشيرا", "مشيرا")):
        assert trim_cue(text, span(text, cue)) == span(text, kept), cue
    nbsp = "وقال إنه سيعود، مشيرا\u00a0إلى أن الموعد لم يحدد."
    assert trim_cue(nbsp, span(nbsp, "مشيرا\u00a0إلى")) == span(nbsp, "مشيرا")
    (q,) = cut_quotes(text, [quote(text, "التنفيذ يبدأ غدا", cue="مشيرا إلى")])
    assert q["cue"] == span(text, "مشيرا")
    rules = annotate_quotes(text)  # the rules write their CUEs the same way
    assert all(not text[q["cue"][0]:q["cue"][1]].endswith(("إلى", "على")) for q in rules if q["cue"])
    assert span(text, "مشيرا") in [q["cue"] for q in rules]


def test_the_writers_voice_is_not_a_quote():
    """يذكر أن / ويشار إلى أن with no SOURCE: the writer speaking (docs/annotation-guide.md);
    a real report inside it is still a quote."""
    text = "ويشار إلى أن المصنع افتتح عام 1990. يذكر أن الوزير سمير العلي قال إن الدعم مستمر."
    taken = [quote(text, "المصنع افتتح عام 1990", cue="ويشار"), quote(text, "الوزير سمير العلي قال إن الدعم مستمر", cue="يذكر")]
    assert writers_voice(text, span(text, "ويشار")) and writers_voice(text, span(text, "يذكر"))
    assert not writers_voice(text, span(text, "قال"))
    assert cut_quotes(text, taken[:1]) == []
    (q,) = cut_quotes(text, taken[1:], [(*span(text, "سمير العلي"), "PER")])
    assert contents(text, [q]) == ["الدعم مستمر"] and q["cue"] == span(text, "قال")
    named = quote(text, "المصنع افتتح عام 1990", cue="ويشار", source="سمير العلي")
    assert len(cut_quotes(text, [named])) == 1  # a named speaker keeps it a quote


def test_parts_never_overlap_after_cutting():
    text = 'وقال الوزير سمير العلي: "الوضع مستقر تماما". وأضاف أن الحكومة ستدعم المزارعين.'
    # the tagger took the second CUE into the first CONTENT and gave a CUE inside it
    taken = [quote(text, "الوضع مستقر تماما\". وأضاف", cue="وقال", kind="direct"),
             quote(text, "الحكومة ستدعم المزارعين", cue="وأضاف")]
    out = cut_quotes(text, taken)
    parts = sorted(tuple(q[k]) for q in out for k in ("content", "source", "cue") if q.get(k))
    assert all(a[1] <= b[0] for a, b in zip(parts, parts[1:]))
    assert contents(text, out) == ["الوضع مستقر تماما", "الحكومة ستدعم المزارعين"]


def test_a_source_is_cut_to_the_name_alone():
    from qawl.data.boundaries import trim_source

    def trimmed(text: str, source: str, entities: list[tuple[str, str]]) -> str:
        ents = [(*span(text, e), lab) for e, lab in entities]
        s, e = trim_source(text, span(text, source), ents)
        return text[s:e]

    text = "وقال وزير الإعلام عواد العواد إن الخطة جاهزة."
    assert trimmed(text, "وزير الإعلام عواد العواد", [("عواد العواد", "PER")]) == "عواد العواد"
    text = "ووفقا لصحيفة سياتل تايمز المحلية، حاول الموظف الهبوط."
    assert trimmed(text, "سياتل تايمز المحلية", [("سياتل تايمز", "ORG")]) == "سياتل تايمز"
    text = "وقالت صحيفة ذا ستار إن الضرب علني."
    assert trimmed(text, "صحيفة ذا ستار", [("ذا ستار", "ORG")]) == "ذا ستار"
    # a generic head with its proclitics, and one that starts with a letter a proclitic could be (بنك)
    text = "وقال بنك باركليز إن الأرباح ارتفعت."
    assert trimmed(text, "بنك باركليز", [("باركليز", "ORG")]) == "باركليز"
    text = "وقال مصدر ولصحيفة الغد رأي آخر."
    assert trimmed(text, "ولصحيفة الغد", [("الغد", "ORG")]) == "الغد"
    text = "وقال الوزير لفرانس برس إن السلطات عثرت على الجثث."
    assert trimmed(text, "الوزير لفرانس برس", [("لفرانس برس", "ORG")]) == "الوزير"
    # a spokesman of a named body is the SOURCE as a whole; so is a description with no name in it
    text = "وقال متحدث باسم أمازون إن العملاء راضون."
    assert trimmed(text, "متحدث باسم أمازون", [("أمازون", "ORG")]) == "متحدث باسم أمازون"
    assert trimmed(text, "متحدث باسم أمازون", []) == "متحدث باسم أمازون"
    # kept whole: names joined by و (a group speaks), with the و outside or inside the second name
    text = "وقالت فرنسا وبريطانيا في بيان إن الاتفاق قائم."
    assert trimmed(text, "فرنسا وبريطانيا", [("فرنسا", "LOC"), ("بريطانيا", "LOC")]) == "فرنسا وبريطانيا"
    assert trimmed(text, "فرنسا وبريطانيا", [("فرنسا", "LOC"), ("وبريطانيا", "LOC")]) == "فرنسا وبريطانيا"
    # ... a person or body after a preposition: the one who speaks of or for them is the SOURCE
    text = "وقال المتحدث باسم عائلة الصحفي سامي العلي إن العائلة تنتظر."
    assert trimmed(text, "المتحدث باسم عائلة الصحفي سامي العلي", [("سامي العلي", "PER")]) == \
        "المتحدث باسم عائلة الصحفي سامي العلي"
    text = "ويرى المحللون في لندن كابيتال أن الأسعار سترتفع."
    assert trimmed(text, "المحللون في لندن كابيتال", [("لندن كابيتال", "ORG")]) == "المحللون في لندن كابيتال"
    # ... a generic head whose name does not end the SOURCE: the site itself speaks
    text = "وذكر موقع فيفا الرسمي أن المباراة أقيمت."
    assert trimmed(text, "موقع فيفا الرسمي", [("فيفا", "ORG")]) == "موقع فيفا الرسمي"


def test_a_source_cut_short_on_a_preposition_takes_the_name_after_it():
    from qawl.data.boundaries import complete_source

    def completed(text: str, source: str, parts: tuple[str, ...] = ()) -> str:
        s, e = complete_source(text, span(text, source), [span(text, p) for p in parts])
        return text[s:e]

    text = 'وقال متحدث باسم "فيسبوك" لـ CNN: "نحن نراجع الأمر".'
    assert completed(text, "متحدث باسم") == 'متحدث باسم "فيسبوك"'
    text = "وقال متحدث باسم »فيسبوك« لـ CNN: ”نحن نراجع الأمر“."  # marks either way round, paired as elsewhere
    assert completed(text, "متحدث باسم") == "متحدث باسم »فيسبوك«"
    text = "وقال مستخدم على تويتر إن الفيلم ممل."
    assert completed(text, "مستخدم على") == "مستخدم على تويتر"
    # not into the quote's own parts, not past the sentence, not through a mark that never closes
    assert completed(text, "مستخدم على", ("تويتر إن الفيلم ممل",)) == "مستخدم على"
    text = "وقال مصدر مطلع في. الخطة جاهزة"
    assert completed(text, "مصدر مطلع في") == "مصدر مطلع في"
    text = 'وقال متحدث باسم "الشركة إن الخطة جاهزة وإن العمل يبدأ غدا في كل الفروع والمدن'
    assert completed(text, "متحدث باسم") == "متحدث باسم"
    # a SOURCE that ends on a name is left alone
    assert completed("وقال الوزير سامي العلي إن الخطة جاهزة.", "الوزير سامي العلي") == "الوزير سامي العلي"
    # and cut_quotes applies it
    text = "وقال مستخدم على تويتر إن الفيلم ممل."
    (q,) = cut_quotes(text, [quote(text, "الفيلم ممل", cue="وقال", source="مستخدم على")])
    assert text[q["source"][0]:q["source"][1]] == "مستخدم على تويتر"


def test_the_outlet_a_speaker_spoke_to_is_not_the_source():
    from qawl.data.boundaries import is_addressee

    def addressee(text: str, source: str) -> bool:
        return is_addressee(text, span(text, source))

    assert addressee("وأضاف لرويترز أن الخطة جاهزة.", "لرويترز")
    assert addressee("وقال لإحدى محطات التلفزيون إن الخطة جاهزة.", "لإحدى محطات التلفزيون")
    assert addressee("وصرح لصحيفة الغد بأن الخطة جاهزة.", "لصحيفة الغد")
    # "according to" credits the outlet; a name that starts with ل is a name
    assert not addressee("ووفقا لرويترز فإن الخطة جاهزة.", "لرويترز")
    assert not addressee("وقال لافروف إن الخطة جاهزة.", "لافروف")
    assert not addressee("وأكدت لجنة الإغاثة أن الخطة جاهزة.", "لجنة الإغاثة")
    # decoded: the quote keeps no SOURCE and is attributed as a continuation
    text = "وأضاف لرويترز أن الخطة جاهزة."
    (q,) = cut_quotes(text, [quote(text, "الخطة جاهزة", cue="وأضاف", source="لرويترز")])
    assert q["source"] is None


def test_a_tagger_source_on_the_rules_cue_word_gives_way_to_the_cue():
    text = "وأفادت الوزارة أن المستشفيات تعمل بكامل طاقتها."
    (q,) = cut_quotes(text, [quote(text, "المستشفيات تعمل بكامل طاقتها", source="وأفادت")])
    assert q["cue"] == span(text, "وأفادت") and q["source"] is None


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "test.jsonl"
SAMPLE_TEXTS = [json.loads(line)["text"] for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:6]]


@st.composite
def tagged_article(draw):
    """A sample article's text with arbitrary word-aligned CONTENT/SOURCE/CUE
    runs and entities, as an untrained tagger might give them."""
    text = draw(st.sampled_from(SAMPLE_TEXTS))
    words = [m.span() for m in re.finditer(r"\S+", text)]
    n = min(len(words), 120)
    quote_tags = draw(st.lists(st.sampled_from(["O", "O", "CONTENT", "SOURCE", "CUE"]), min_size=n, max_size=n))
    ner_tags = draw(st.lists(st.sampled_from(["O", "O", "PER", "ORG"]), min_size=n, max_size=n))

    def runs(tags):
        out, i = [], 0
        while i < n:
            j = i
            while j + 1 < n and tags[j + 1] == tags[i]:
                j += 1
            if tags[i] != "O":
                out.append((words[i][0], words[j][1], tags[i]))
            i = j + 1
        return out
    return text, runs(quote_tags), runs(ner_tags)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tagged_article())
def test_decoded_quotes_always_pass_the_validator(article):
    text, quote_spans, entities = article
    quotes = group_quotes(text, quote_spans, entities, rule_boundaries=True)
    art = {"id": "x", "text": text, "entities": [{"start": s, "end": e, "label": lab} for s, e, lab in entities],
           "quotes": quotes}
    assert check_article(art) == []


def test_names_never_start_or_end_on_a_hashtag_sign():
    """``أكدت #الصين أن`` names الصين (the gold never puts ``#`` in a name or SOURCE);
    a CONTENT that quotes a hashtag keeps it."""
    from qawl.data.decode import trim_name_edges

    text = 'أكدت #الصين أن "#اقتصاد_البحرين ينمو" وقال دونالد #ترمب ذلك، وقال مسؤول رفض كشف هويته، إن ذلك صحيح #'
    spans = [(*span(text, "#الصين"), "SOURCE"), (*span(text, "#الصين"), "LOC"),
             (*span(text, "دونالد #"), "PER"), (*span(text, "#اقتصاد_البحرين ينمو"), "CONTENT"),
             (*span(text, "هويته،"), "SOURCE"), (len(text) - 1, len(text), "ORG")]
    got = [(text[s:e], lab) for s, e, lab in trim_name_edges(text, spans)]
    assert got == [("الصين", "SOURCE"), ("الصين", "LOC"), ("دونالد", "PER"), ("#اقتصاد_البحرين ينمو", "CONTENT"),
                   ("هويته", "SOURCE")]


def test_a_source_that_stops_before_the_mark_closing_its_name_takes_the_mark():
    from qawl.data.boundaries import close_marks

    text = 'وقال متحدث باسم "فيسبوك" لـ CNN: "نحن نراجع الأمر".'
    s, e = close_marks(text, span(text, 'متحدث باسم "فيسبوك'))
    assert text[s:e] == 'متحدث باسم "فيسبوك"'
    assert close_marks(text, span(text, 'متحدث باسم')) == list(span(text, 'متحدث باسم'))  # no mark opened in it
    assert close_marks(text, span(text, 'متحدث باسم "فيسبوك"')) == list(span(text, 'متحدث باسم "فيسبوك"'))

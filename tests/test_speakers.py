"""Who said it: name clustering and the learned linker, on invented Arabic articles.

One small article per failure class of speaker attribution (a speaker
written short, continuations after a second person, organisations,
a SOURCE the entity layer missed, descriptions and honorifics, a cue word
taken for a SOURCE). Spans are given, so these test attribution alone; the
linker is fitted on the bundled sample corpus, as the default run fits it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from qawl.data.article import read_articles
from qawl.data.linker import link_speakers, linker_weights, names_several, walk_quotes
from qawl.data.quotes import group_quotes
from qawl.data.speakers import describe_source, display_name, find_speakers, name_key, same_name
from qawl.train.recipe.linker import fit_linker

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def weights() -> dict[str, float]:
    return linker_weights(fit_linker(read_articles([SAMPLE / "train.jsonl"])))


def span(text: str, part: str, nth: int = 0) -> tuple[int, int]:
    """Offsets of the ``nth`` occurrence of ``part`` in ``text``."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(part, at + 1)
    return at, at + len(part)


def located(text: str, entities: list[tuple[str, str, int]], quotes: list[dict]) -> tuple[list, list[dict]]:
    """Offsets of ``entities`` ((surface, label, nth)) and of ``quotes`` (content /
    source / cue as (surface, nth) or None)."""
    ents = [(*span(text, s, n), lab) for s, lab, n in entities]
    qs = [{k: None if q.get(k) is None else list(span(text, *q[k])) for k in ("content", "source", "cue")}
          for q in quotes]
    return ents, qs


def attribute(text: str, entities: list[tuple[str, str, int]], quotes: list[dict], weights) -> list[dict]:
    """Quotes attributed by the linker (arguments as :func:`located` reads them)."""
    ents, out = located(text, entities, quotes)
    link_speakers(text, out, ents, weights)
    return out


# --- names ----------------------------------------------------------------------------

def test_name_keys_drop_clitics_articles_and_joiners():
    assert name_key("والمطيري") == name_key("المطيري") == name_key("مطيري")
    assert name_key("لألكسندر كوغان") == name_key("ألكسندر كوغان")
    assert name_key("عبد الكريم بن سالم المطيري") == ("عبد", "كريم", "سالم", "مطيري")
    assert display_name("لألكسندر كوغان") == "ألكسندر كوغان"
    assert display_name("وليد جنبلاط") == "وليد جنبلاط" and display_name("وكالة الأنباء") == "وكالة الأنباء"
    assert display_name("فلاديمير بوتين") == "فلاديمير بوتين"
    assert display_name("#سامي_حداد") == "سامي حداد" and display_name("دونالد #ترمب") == "دونالد ترمب"


@pytest.mark.parametrize("short, full", [
    ("المطيري", "عبد الكريم بن سالم المطيري"),
    ("عبد الكريم المطيري", "عبد الكريم بن سالم المطيري"),
    ("مطيري", "عبد الكريم المطيري"),
    ("آل ثاني", "سعود آل ثاني"),
    ("الجولاني", "أبو محمد الجولاني"),
    ("بيترسون", "هانز بيترسن"),  # one foreign name spelt two ways
    ("هازار", "إدين هازارد"),
    ("لمونفس", "ليسلي مونفس"),  # a proclitic the entity span kept
    ("عبدالجواد", "أحمد عبد الجواد"),  # عبد joined to the name it heads
    ("عبد الله", "خالد عبدالله"),
    ("أبو زيد", "أحمد أبوزيد"),  # a kunya written as one word
    ("بالفي", "مارسيلو بالفي"),  # بال... is part of the name, not ب + the article
    ("لبالفي", "مارسيلو بالفي"),
])
def test_shorter_forms_are_the_same_name(short, full):
    assert same_name(short, full) and same_name(full, short)


@pytest.mark.parametrize("a, b", [("محمد", "محمود"), ("علي", "عليان"), ("محمد صلاح", "محمد بن سلمان"),
                                  ("سعيد", "سعد"), ("أحمد الكبير", "سامي العبدالله"),
                                  ("عبدالجواد", "عبد الكريم")])
def test_different_names_stay_apart(a, b):
    assert not same_name(a, b)


def test_sources_are_sorted_into_pronouns_cues_anonymous_descriptions_and_names():
    assert describe_source("هو") == describe_source("معاليه") == describe_source("فضيلته") == "pronoun"
    assert describe_source("موردا") == describe_source("مضيفا") == "cue"
    assert describe_source("مصادر مطلعة") == describe_source("مسؤول في الوزارة") == "anonymous"
    assert describe_source("الوزير") == describe_source("رئيس اللجنة") == "description"
    assert describe_source("دفتردار") == "name"
    assert describe_source("فتاة تونسية") == describe_source("منظمات دولية") == "description"  # noun + adjective
    assert describe_source("البيان") == describe_source("هذه الحصيلة الرسمية") == describe_source("تغريدة") == "document"
    assert describe_source("تقرير لمنظمة الأمم المتحدة") == "document"
    assert describe_source("البيانات") == "description"  # data, not a statement


def test_a_word_is_stripped_of_a_proclitic_only_before_the_article_and_a_real_word():
    assert name_key("والوزير") == name_key("الوزير") == ("وزير",)
    assert name_key("مارسيلو بالفي") == ("مارسيلو", "بالفي")
    assert name_key("والده") == ("والده",)  # his father, not و + الده


def test_an_acronym_given_with_a_name_is_that_speaker_and_neighbours_stay_apart():
    text = ("وقال الاتحاد الدولي لكرة القدم (فيفا) إن البطولة في موعدها. وزار الوفد إسبانيا والبرازيل. "
            "وقال متحدث باسم الفيفا إن القرار نهائي.")
    ents = [(*span(text, w), lab) for w, lab in (("الاتحاد الدولي لكرة القدم", "ORG"), ("فيفا", "ORG"),
                                                 ("إسبانيا", "LOC"), ("والبرازيل", "LOC"), ("الفيفا", "ORG"))]
    speakers = find_speakers(text, ents)
    assert [sp.name for sp in speakers] == ["الاتحاد الدولي لكرة القدم", "إسبانيا", "البرازيل"]
    assert [m.text for m in speakers[0].mentions] == ["الاتحاد الدولي لكرة القدم", "فيفا", "الفيفا"]


def test_clusters_keep_the_fullest_name_and_what_introduced_it():
    text = "وقال وزير الثروة السمكية فهد كفاين إن البحث مستمر. وقال كفاين إن الوضع صعب."
    (speaker,) = find_speakers(text, [(*span(text, "فهد كفاين"), "PER"), (*span(text, "كفاين", 1), "PER")])
    assert speaker.name == "فهد كفاين" and len(speaker.mentions) == 2
    assert {"وزير", "ثروه", "سمكيه"} <= speaker.intro


# --- the six failure classes --------------------------------------------------------------

def test_a_speaker_written_short_gets_the_fullest_name(weights):
    text = ("وقال عبد الكريم بن سالم المطيري، رئيس الجمعية، إن العمل مستمر. "
            "وأضاف المطيري أن الخطة جاهزة. وقال عبد الكريم المطيري إن الدعم كبير. "
            "وقال المدرب هانز بيترسن إن الفريق جاهز. وأكد بيترسون أن اللاعبين بخير.")
    quotes = attribute(text, [("عبد الكريم بن سالم المطيري", "PER", 0), ("المطيري", "PER", 1),
                              ("عبد الكريم المطيري", "PER", 0), ("هانز بيترسن", "PER", 0), ("بيترسون", "PER", 0)], [
        {"content": ("العمل مستمر", 0), "source": ("عبد الكريم بن سالم المطيري", 0), "cue": ("وقال", 0)},
        {"content": ("الخطة جاهزة", 0), "source": ("المطيري", 1), "cue": ("وأضاف", 0)},
        {"content": ("الدعم كبير", 0), "source": ("عبد الكريم المطيري", 0), "cue": ("وقال", 1)},
        {"content": ("الفريق جاهز", 0), "source": ("هانز بيترسن", 0), "cue": ("وقال", 2)},
        {"content": ("اللاعبين بخير", 0), "source": ("بيترسون", 0), "cue": ("وأكد", 0)},
    ], weights)
    assert [q["speaker"] for q in quotes] == ["عبد الكريم بن سالم المطيري"] * 3 + ["هانز بيترسن"] * 2
    assert quotes[1]["speaker_span"] == list(span(text, "المطيري", 1))  # the mention it was resolved from


def test_continuations_stay_with_the_speaker_after_a_second_person_is_mentioned(weights):
    text = ("قال وزير الخارجية أحمد الكبير إن المحادثات كانت مثمرة. "
            "جاء ذلك خلال لقائه وزير المالية سامي العبدالله في الرباط. "
            "وأضاف أن الجولة المقبلة ستعقد في مايو. وتابع أن الاتفاق قريب. وأشار إلى أن الوفد سيعود غدا.")
    quotes = attribute(text, [("أحمد الكبير", "PER", 0), ("سامي العبدالله", "PER", 0), ("الرباط", "LOC", 0)], [
        {"content": ("المحادثات كانت مثمرة", 0), "source": ("أحمد الكبير", 0), "cue": ("قال", 0)},
        {"content": ("الجولة المقبلة ستعقد في مايو", 0), "cue": ("وأضاف", 0)},
        {"content": ("الاتفاق قريب", 0), "cue": ("وتابع", 0)},
        {"content": ("الوفد سيعود غدا", 0), "cue": ("وأشار", 0)},
    ], weights)
    assert [q["speaker"] for q in quotes] == ["أحمد الكبير"] * 4


def test_organisations_speak(weights):
    text = ("وقالت وزارة الصحة في بيان إن عدد الإصابات تراجع. وأضافت الوزارة أن اللقاحات متوفرة. "
            "وقالت إدارة النادي إن المدرب باق في منصبه. وأكدت حركة النهضة أنها ستشارك في الانتخابات.")
    quotes = attribute(text, [("وزارة الصحة", "ORG", 0), ("حركة النهضة", "ORG", 0)], [
        {"content": ("عدد الإصابات تراجع", 0), "source": ("وزارة الصحة", 0), "cue": ("وقالت", 0)},
        {"content": ("اللقاحات متوفرة", 0), "source": ("الوزارة", 0), "cue": ("وأضافت", 0)},
        {"content": ("المدرب باق في منصبه", 0), "source": ("إدارة النادي", 0), "cue": ("وقالت", 1)},
        {"content": ("ستشارك في الانتخابات", 0), "source": ("حركة النهضة", 0), "cue": ("وأكدت", 0)},
    ], weights)
    assert [q["speaker"] for q in quotes] == ["وزارة الصحة", "وزارة الصحة", "إدارة النادي", "حركة النهضة"]


def test_a_source_the_entity_layer_missed_still_names_the_speaker(weights):
    text = ("افتتح المهندس وليد دفتردار المشروع أمس. وقال دفتردار إن المشروع سيكتمل قريبا. "
            "وقال رياشي إن التمويل متوفر. وأعلن مكتب المحافظ أن الطريق سيفتح الأحد.")
    quotes = attribute(text, [("وليد دفتردار", "PER", 0)], [
        {"content": ("المشروع سيكتمل قريبا", 0), "source": ("دفتردار", 1), "cue": ("وقال", 0)},
        {"content": ("التمويل متوفر", 0), "source": ("رياشي", 0), "cue": ("وقال", 1)},
        {"content": ("الطريق سيفتح الأحد", 0), "source": ("مكتب المحافظ", 0), "cue": ("وأعلن", 0)},
    ], weights)
    assert [q["speaker"] for q in quotes] == ["وليد دفتردار", "رياشي", "مكتب المحافظ"]


def test_descriptions_and_honorifics_resolve_to_the_name_they_stand_for(weights):
    text = ("استقبل رئيس اللجنة الأولمبية خالد الحربي الوفد في الرياض. "
            "وقال رئيس اللجنة إن الاستعدادات اكتملت. وأكد معاليه أن الدعم مستمر. "
            "وعقد وزير الخارجية الفرنسي جان لوران ووزير الخارجية الألماني هانز مولر مؤتمرا صحفيا. "
            "وقال الوزير الألماني إن الحوار مفيد. وقال الوزير الفرنسي إن الخلاف انتهى.")
    quotes = attribute(text, [("خالد الحربي", "PER", 0), ("الرياض", "LOC", 0), ("جان لوران", "PER", 0),
                              ("هانز مولر", "PER", 0)], [
        {"content": ("الاستعدادات اكتملت", 0), "source": ("رئيس اللجنة", 1), "cue": ("وقال", 0)},
        {"content": ("الدعم مستمر", 0), "source": ("معاليه", 0), "cue": ("وأكد", 0)},
        {"content": ("الحوار مفيد", 0), "source": ("الوزير الألماني", 0), "cue": ("وقال", 1)},
        {"content": ("الخلاف انتهى", 0), "source": ("الوزير الفرنسي", 0), "cue": ("وقال", 2)},
    ], weights)
    assert [q["speaker"] for q in quotes] == ["خالد الحربي", "خالد الحربي", "هانز مولر", "جان لوران"]


def test_a_cue_word_taken_for_a_source_is_never_the_speaker(weights):
    text = "وقال رئيس البلدية سمير العلي إن الطرق ستصلح. وأضاف موردا أن العمل يبدأ غدا."
    quotes = attribute(text, [("سمير العلي", "PER", 0)], [
        {"content": ("الطرق ستصلح", 0), "source": ("سمير العلي", 0), "cue": ("وقال", 0)},
        {"content": ("العمل يبدأ غدا", 0), "source": ("موردا", 0), "cue": ("وأضاف", 0)},
    ], weights)
    assert [q["speaker"] for q in quotes] == ["سمير العلي", "سمير العلي"]


def test_anonymous_and_plural_sources_have_no_speaker(weights):
    text = ("وقال الوزير سمير العلي إن الطرق ستصلح. وقالت مصادر مطلعة إن الميزانية تأخرت. "
            "وقال محللون إن الأسعار سترتفع.")
    quotes = attribute(text, [("سمير العلي", "PER", 0)], [
        {"content": ("الطرق ستصلح", 0), "source": ("سمير العلي", 0), "cue": ("وقال", 0)},
        {"content": ("الميزانية تأخرت", 0), "source": ("مصادر مطلعة", 0), "cue": ("وقالت", 0)},
        {"content": ("الأسعار سترتفع", 0), "source": ("محللون", 0), "cue": ("وقال", 1)},
    ], weights)
    assert [q["speaker"] for q in quotes] == ["سمير العلي", None, None]
    assert quotes[1]["speaker_span"] is None


def test_group_quotes_with_a_linker_fills_speaker_spans(weights):
    text = "قال الوزير سمير العلي إن الطرق ستصلح."
    parts = [(*span(text, "سمير العلي"), "SOURCE"), (*span(text, "قال"), "CUE"), (*span(text, "الطرق ستصلح"), "CONTENT")]
    (q,) = group_quotes(text, parts, [(*span(text, "سمير العلي"), "PER")], linker={"format": 1, "weights": weights})
    assert q["speaker"] == "سمير العلي" and q["speaker_span"] == list(span(text, "سمير العلي"))


def test_a_description_source_in_an_article_that_names_nobody_has_no_speaker(weights):
    """Found by `qawl predict` over ANT (an article with no entity, whose SOURCE is a
    description that names no speaker): no candidate at all, so no speaker, and no crash."""
    text = "تتفاوت أمزجة الناس ما بين محبة هذا النوع أو ذاك بحسب ذائقة الأكل."
    parts = [(*span(text, "أمزجة الناس ما بين محبة هذا النوع أو ذاك"), "CONTENT"), (*span(text, "بحسب"), "CUE"),
             (*span(text, "ذائقة الأكل"), "SOURCE")]
    (q,) = group_quotes(text, parts, [], linker={"format": 1, "weights": weights})
    assert q["speaker"] is None and q["speaker_span"] is None


def test_names_joined_after_a_head_word_describe_one_speaker_not_a_group():
    """``مدرب تشيلسي وريال مدريد السابق`` is one coach (the names only say whose);
    ``فرنسا وبريطانيا`` at the SOURCE's head are two speakers."""
    text = "وقال مدرب تشيلسي وريال مدريد السابق إن الفريق تحسن. وقالت فرنسا وبريطانيا إن الاتفاق قائم."
    ents = [(*span(text, w), lab) for w, lab in (("تشيلسي", "ORG"), ("ريال مدريد", "ORG"),
                                                 ("فرنسا", "LOC"), ("بريطانيا", "LOC"))]
    speakers = find_speakers(text, ents)
    assert not names_several(text, span(text, "مدرب تشيلسي وريال مدريد السابق"), speakers)
    assert names_several(text, span(text, "فرنسا وبريطانيا"), speakers)


def document_features(text: str, entities: list[tuple[str, str, int]], quotes: list[dict]) -> list[dict]:
    """Per quote: candidate name (None for null) -> its features."""
    ents, qs = located(text, entities, quotes)
    seen = []

    def choose(q, candidates):
        seen.append({None if c is None else c.name: f for c, f in candidates})
        return max(candidates, key=lambda cf: cf[1].get("source_names", 0))[0]

    for _ in walk_quotes(text, qs, ents, choose):
        pass
    return seen


def test_a_document_source_points_to_whoever_issued_it():
    """``وأضاف البيان`` after ``وأكد الجيش في بيان``: the army speaks, though a
    minister was named in between; a statement by nobody named points nowhere."""
    text = ('وأكد الجيش الأفغاني في بيان أن "الوحدات أوقفت ثلاثة مشتبه بهم". '
            'وقال وزير الدفاع عبد الله خان إن العملية مستمرة. '
            'وأضاف البيان "نقل المشتبه بهم إلى قندهار". '
            'وكانت مجموعة من الحقوقيين أصدرت بيانا دعت فيه إلى الإفراج عنهم. وقال البيان إن "الاعتقال تعسفي".')
    feats = document_features(text, [("الجيش الأفغاني", "ORG", 0), ("عبد الله خان", "PER", 0)], [
        {"content": ('"الوحدات أوقفت ثلاثة مشتبه بهم"', 0), "source": ("الجيش الأفغاني", 0), "cue": ("أكد", 0)},
        {"content": ("العملية مستمرة", 0), "source": ("وزير الدفاع عبد الله خان", 0), "cue": ("قال", 1)},
        {"content": ('"نقل المشتبه بهم إلى قندهار"', 0), "source": ("البيان", 0), "cue": ("أضاف", 0)},
        {"content": ('"الاعتقال تعسفي"', 0), "source": ("البيان", 1), "cue": ("قال", 2)},
    ])
    third = feats[2]
    assert third["الجيش الأفغاني"].get("document_said") and third["الجيش الأفغاني"].get("document_sentence")
    assert not third["عبد الله خان"].get("document_said") and third[None].get("null_document")
    assert "null_description_unmatched" not in third[None]
    fourth = feats[3]  # the group's statement was said by nobody the article names
    assert not any(f.get("document_said") or f.get("document_sentence") for f in fourth.values())
    assert fourth[None].get("null_description_unmatched")


def test_a_description_with_a_place_or_body_after_its_head_describes_the_head():
    """``رئيس برشلونة`` is the president the article named, not the club (the club
    only says whose); ``وزارة الخارجية بكوريا الجنوبية`` is a ministry, a speaker
    of its own, not the country."""
    text = ("وقال جوسيب بارتوميو، رئيس نادي برشلونة، إن الموسم كان جيدا. "
            "وأكد رئيس برشلونة أن المدرب باق.")
    feats = document_features(text, [("جوسيب بارتوميو", "PER", 0), ("برشلونة", "ORG", 0), ("برشلونة", "ORG", 1)], [
        {"content": ("الموسم كان جيدا", 0), "source": ("جوسيب بارتوميو", 0), "cue": ("قال", 0)},
        {"content": ("المدرب باق", 0), "source": ("رئيس برشلونة", 0), "cue": ("أكد", 0)},
    ])
    assert feats[1]["جوسيب بارتوميو"].get("description_head") and feats[1]["جوسيب بارتوميو"].get("description_best")
    assert feats[1]["برشلونة"].get("source_modifier") and not feats[1]["برشلونة"].get("description_head")
    text = "وقالت وزارة الخارجية بكوريا الجنوبية إن المحادثات مستمرة."
    speakers = find_speakers(text, [(*span(text, "كوريا الجنوبية"), "LOC")], [span(text, "وزارة الخارجية بكوريا الجنوبية")])
    assert [(sp.name, sp.label) for sp in speakers] == [("وزارة الخارجية بكوريا الجنوبية", "DESC"), ("كوريا الجنوبية", "LOC")]


def test_a_misc_name_that_is_a_source_speaks_as_an_organisation():
    """The entity layer may call a league MISC; when a SOURCE is exactly that
    name, it speaks, there and in its other mentions (a continuation after it)."""
    text = ("وقال الدوري الإنجليزي الممتاز إن القرصنة تضر باللعبة. ويبدأ الدوري الإنجليزي الممتاز في أغسطس. "
            "وحضر المباراة كأس العالم.")
    ents = [(*span(text, "الدوري الإنجليزي الممتاز"), "MISC"), (*span(text, "الدوري الإنجليزي الممتاز", 1), "MISC"),
            (*span(text, "كأس العالم"), "MISC")]
    (speaker,) = find_speakers(text, ents, [span(text, "الدوري الإنجليزي الممتاز")])
    assert speaker.name == "الدوري الإنجليزي الممتاز" and speaker.label == "ORG" and len(speaker.mentions) == 2
    assert find_speakers(text, ents) == []  # a MISC name no SOURCE credits is no speaker

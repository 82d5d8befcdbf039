"""The rule-based quote annotator: mark pairing, the cue lexicon, the rules on
sentences written for these tests, real ANT articles, and ``qawl silver``."""
from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest

from qawl.data.article import check_article, read_articles
from qawl.data.quote_rules import annotate_quotes
from qawl.data.silver.corpus import default_exclusions, iter_corpus, read_ids, silver_corpus, silver_from_record
from qawl.data.quote_cues import find_cues, is_complementiser, norm, verb_forms
from qawl.data.quote_marks import pair_marks
from qawl.data.words import split_words

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ANT = SHARED / "ant" / "ant-multisource-v2.1.jsonl.gz"
GOLD = Path(__file__).resolve().parents[1] / "data" / "ant_quotes" / "gold"


def inner(text: str, pair) -> str:
    s, e = pair.inner(text)
    return text[s:e]


def part(text: str, span) -> str | None:
    return None if span is None else text[span[0]:span[1]]


def quotes_of(text: str, entities=None) -> list[dict]:
    """The rules' quotes, checked against the scheme."""
    quotes = annotate_quotes(text, entities)
    assert check_article({"id": "t", "text": text, "quotes": quotes}) == []
    return quotes


def only(text: str, entities=None) -> dict:
    quotes = quotes_of(text, entities)
    assert len(quotes) == 1, [part(text, q["content"]) for q in quotes]
    return quotes[0]


# --- quotation marks ---------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("قال إن “الوضع مستقر” أمس.", ["الوضع مستقر"]),  # English-style pair
    ("قال إن ”الوضع مستقر“ أمس.", ["الوضع مستقر"]),  # mirrored
    ("قال إن »الوضع مستقر« أمس.", ["الوضع مستقر"]),  # mirrored guillemets
    ("قال إن «الوضع مستقر” أمس.", ["الوضع مستقر"]),  # mismatched families
    ('قال "الوضع مستقر" ثم قال "لن نتراجع".', ["الوضع مستقر", "لن نتراجع"]),  # ASCII pairs
    ("برنامج „العربي“ مساء", ["العربي"]),  # low opening mark
])
def test_pairs_by_neighbours_not_glyphs(text, expected):
    pairs = pair_marks(text)
    assert [inner(text, p) for p in pairs] == expected
    assert all(p.close is not None and p.depth == 0 for p in pairs)


def test_unclosed_mark_runs_to_the_paragraph_end():
    text = 'وقال: "سنعود قريبا. لن نترك أرضنا\nفقرة ثانية.'
    (pair,) = pair_marks(text)
    assert pair.close is None
    assert inner(text, pair) == "سنعود قريبا. لن نترك أرضنا"


def test_nested_and_doubled_marks():
    text = 'قال «هذا "اسم" داخل النص» وانتهى'
    outer, nested = pair_marks(text)
    assert (inner(text, outer), outer.depth) == ('هذا "اسم" داخل النص', 0)
    assert (inner(text, nested), nested.depth) == ("اسم", 1)
    doubled = 'وقال: " "سوف نعمل معا" وانتهى'
    (pair,) = pair_marks(doubled)
    assert inner(doubled, pair) == "سوف نعمل معا"
    assert doubled[pair.open - 2] == '"'  # the outer of the two opening marks is left out


def test_marks_glued_to_a_proclitic_open():
    text = "في تصريح لـ”آشكاين” إن “باراك8″ صاروخ"
    assert [inner(text, p) for p in pair_marks(text)] == ["آشكاين", "باراك8"]


def test_stray_closing_mark_is_left_alone():
    text = 'انتهى الكلام" ثم بدأ "كلام آخر" هنا'
    assert [inner(text, p) for p in pair_marks(text)] == ["كلام آخر"]


# --- the cue lexicon -------------------------------------------------------------------

def cue_strings(text: str) -> list[str]:
    words = [text[s:e] for s, e in split_words(text)]
    return [" ".join(words[c.start:c.end]) for c in find_cues([norm(w) for w in words])]


def test_verbs_inflect_for_gender_number_and_aspect():
    forms = verb_forms("أكد", "يؤكد", "مؤكدا")
    for form, kind in [("أكد", "perfect"), ("أكدت", "perfect"), ("أكدوا", "perfect"), ("أكدا", "perfect"),
                       ("يؤكد", "imperfect"), ("تؤكد", "imperfect"), ("يؤكدون", "imperfect"),
                       ("مؤكدا", "participle"), ("مؤكدة", "participle"), ("مؤكدين", "participle")]:
        assert forms[form] == kind
    weak = verb_forms("رأى", "يرى", None)
    assert {"رأت", "رأوا", "ترى", "يرون"} <= set(weak)


def test_cues_match_with_clitics_and_spelling_variants():
    text = "وقالت فأضاف ليؤكد مشيرةً وأكّد واكد وبحسب ووفقاً نقلا عن في تصريحه بين الناس"
    assert cue_strings(text) == ["وقالت", "فأضاف", "ليؤكد", "مشيرةً", "وأكّد", "واكد", "وبحسب", "ووفقاً",
                                 "نقلا عن", "في تصريحه"]


def test_longest_phrase_wins_and_object_suffixes():
    assert cue_strings("حسب ما ذكرت الوكالة") == ["حسب ما", "ذكرت"]
    assert cue_strings("ووصفها بأنها ناجحة واتهمته بأنه كاذب") == ["ووصفها", "واتهمته"]


def test_complementisers_with_suffixes():
    for word in ("أن", "إن", "بأن", "إنه", "أنها", "بأنهم", "وأن", "فإن"):
        assert is_complementiser(norm(word)), word
    for word in ("أنا", "الآن", "لأن"):
        assert not is_complementiser(norm(word)), word


# --- the rules -----------------------------------------------------------------------

def test_indirect_clause_to_the_sentence_end_without_its_full_stop():
    text = "وقال وزير المالية سامي حداد إن الحكومة ستعلن خطتها غدا. وانتهى الاجتماع."
    q = only(text)
    assert q["content"] == [text.index("الحكومة"), text.index("غدا") + len("غدا")]
    assert part(text, q["cue"]) == "وقال"
    assert part(text, q["source"]) == "سامي حداد"  # the title is left out
    assert q["kind"] == "indirect" and q["speaker"] == "سامي حداد"


def test_direct_quote_after_cue_and_subject():
    text = 'وأكد المتحدث "لن نقبل بأي تسوية على حساب الشعب".'
    q = only(text)
    assert part(text, q["content"]) == "لن نقبل بأي تسوية على حساب الشعب"
    assert (part(text, q["cue"]), part(text, q["source"]), q["kind"]) == ("وأكد", "المتحدث", "direct")


def test_mixed_quote_is_direct_inside_the_marks():
    text = 'وأكدت الوزارة أن "الإجراءات ستطبق على الجميع دون استثناء".'
    q = only(text)
    assert part(text, q["content"]) == "الإجراءات ستطبق على الجميع دون استثناء"
    assert q["kind"] == "direct"


def test_partly_marked_clause_stays_indirect_with_its_marks():
    text = 'وأكد المدير أن الشركة "لن تتراجع" عن قرارها.'
    q = only(text)
    assert part(text, q["content"]) == 'الشركة "لن تتراجع" عن قرارها'
    assert q["kind"] == "indirect"


def test_full_stop_inside_the_marks_stays():
    text = 'وقال اللاعب: "كانت مباراة صعبة. سنعود أقوى." ثم غادر.'
    q = only(text)
    assert part(text, q["content"]) == "كانت مباراة صعبة. سنعود أقوى."
    assert q["kind"] == "direct"


def test_unmarked_speech_after_a_colon_runs_to_the_paragraph_end():
    text = "وقال المدرب: لعبنا جيدا. الفوز مستحق.\nفقرة أخرى هنا."
    q = only(text)
    assert part(text, q["content"]) == "لعبنا جيدا. الفوز مستحق"
    assert q["kind"] == "direct"


def test_continuation_takes_the_speaker_from_the_quote_before():
    text = "وقال الرئيس سمير نادر إن الاقتصاد ينمو. وتابع أن البطالة تراجعت."
    first, second = quotes_of(text)
    assert part(text, second["content"]) == "البطالة تراجعت"
    assert second["source"] is None and part(text, second["cue"]) == "وتابع"
    assert second["speaker"] == first["speaker"] == "سمير نادر"


def test_new_clause_cue_splits_the_quote_before():
    text = "وقال الرئيس إن البلاد بخير، وأضاف أن الاقتصاد ينمو، مشيرا إلى أن البطالة تراجعت."
    contents = [part(text, q["content"]) for q in quotes_of(text)]
    assert contents == ["البلاد بخير", "الاقتصاد ينمو", "البطالة تراجعت"]


def test_the_connective_that_opens_the_next_clause_is_not_in_the_quote_before():
    """``إن X، لكنه أوضح أن Y``: X ends before the comma; ``لكنه`` opens the next report."""
    for connective in ("لكنه", "ولكنها", "بينما"):
        text = f"وقال الوزير إن الخطة جاهزة، {connective} أوضح أن التنفيذ سيتأخر."
        contents = [part(text, q["content"]) for q in quotes_of(text)]
        assert contents == ["الخطة جاهزة", "التنفيذ سيتأخر"], connective


def test_as_he_put_it_closes_a_clause_but_not_in_its_middle():
    """``على حد قوله`` last in a clause is the writer's, not the speaker's; in the middle it stays."""
    text = "وقال المدرب إن الفريق كان في قمة مستواه على حد قوله. ثم غادر."
    assert [part(text, q["content"]) for q in quotes_of(text)] == ["الفريق كان في قمة مستواه"]
    text = "وأكد المدرب أن الفارق على حد قوله هو الخبرة."
    assert [part(text, q["content"]) for q in quotes_of(text)] == ["الفارق على حد قوله هو الخبرة"]


def test_nested_report_is_left_inside_the_outer_quote():
    text = "وأعلنت الشرطة أن أحد المعتقلين اعترف بأنه نفذ الهجوم."
    q = only(text)
    assert part(text, q["content"]) == "أحد المعتقلين اعترف بأنه نفذ الهجوم"


def test_interrupted_quote_is_two_quotes_with_one_speaker():
    text = '"نحن هنا"، قال المتحدث باسم الحركة، "ولن نغادر أبدا".'
    first, second = quotes_of(text)
    assert part(text, first["content"]) == "نحن هنا"
    assert part(text, first["cue"]) == "قال"
    assert part(text, second["content"]) == "ولن نغادر أبدا"
    assert second["cue"] is None and second["source"] is None
    assert second["speaker"] == first["speaker"]


def test_hasab_after_a_clause():
    text = "ارتفعت أسعار النفط بنسبة كبيرة، حسب ما ذكرت وكالة رويترز."
    q = only(text)
    assert part(text, q["content"]) == "ارتفعت أسعار النفط بنسبة كبيرة"
    assert part(text, q["cue"]) == "حسب ما ذكرت"
    assert part(text, q["source"]) == "رويترز"  # the generic head is in neither part


def test_hasab_before_a_clause():
    text = "وبحسب بيان الشركة، فإن الأرباح ارتفعت بشكل كبير."
    q = only(text)
    assert part(text, q["content"]) == "الأرباح ارتفعت بشكل كبير"
    assert (part(text, q["cue"]), part(text, q["source"])) == ("وبحسب بيان", "الشركة")


def test_hasab_before_a_clause_with_fa_inna_and_no_comma():
    text = "وبحسب الدراسة فإن الشباب يعتمدون على الإنترنت."
    q = only(text)
    assert part(text, q["content"]) == "الشباب يعتمدون على الإنترنت"
    assert (part(text, q["cue"]), part(text, q["source"])) == ("وبحسب", "الدراسة")


def test_scare_quotes_are_not_quotes():
    text = "في تصريح لـ”آشكاين” إن “باراك8″ صاروخ متطور."
    q = only(text)
    assert part(text, q["content"]) == "“باراك8″ صاروخ متطور"
    assert q["kind"] == "indirect"
    assert quotes_of("وشهدت حلقة السبت من برنامج \"ذا فويس\" منافسة قوية.") == []


def test_headline_and_writer_voice_are_not_quotes():
    assert quotes_of('الصليب الأحمر: الوضع في المدينة "كارثي"') == []
    assert quotes_of("يذكر أن المدينة شهدت احتجاجات واسعة.") == []
    assert quotes_of("ولم يذكر المسؤول أن الاجتماع سيعقد قريبا.") == []
    assert quotes_of('وأشار التقرير إلى "انخفاض كبير في الأسعار".') == []


def test_second_speech_word_next_to_the_quote_is_the_cue():
    text = 'وأضاف الوزير سامي حداد قائلا: "سنواصل العمل حتى النهاية".'
    q = only(text)
    assert (part(text, q["cue"]), part(text, q["source"])) == ("قائلا", "سامي حداد")
    assert part(text, q["content"]) == "سنواصل العمل حتى النهاية"


def test_quoted_name_inside_the_subject_is_not_the_quote():
    text = 'وقالت شبكة "سي بي أس" إن رئيسها سيتنحى عن منصبه.'
    q = only(text)
    assert part(text, q["content"]) == "رئيسها سيتنحى عن منصبه"
    assert part(text, q["source"]) == "سي بي أس"


def test_description_takes_the_name_of_an_earlier_mention():
    text = ("وصل الرئيس الأمريكي دونالد ترامب إلى باريس.\n"
            "وقال الرئيس الأمريكي إن الزيارة ناجحة.")
    q = only(text)
    assert part(text, q["source"]) == "الرئيس الأمريكي"
    assert q["speaker"] == "دونالد ترامب"


def test_entities_give_the_name_alone_and_its_fullest_mention():
    text = "التقى عصام لعروسي بالصحفيين. وقال الباحث لعروسي إن الوضع معقد."
    ents = [{"start": text.index("عصام"), "end": text.index("عصام") + len("عصام لعروسي"), "label": "PER"},
            {"start": text.rindex("لعروسي"), "end": text.rindex("لعروسي") + len("لعروسي"), "label": "PER"}]
    q = only(text, ents)
    assert part(text, q["source"]) == "لعروسي"
    assert q["speaker"] == "عصام لعروسي"


def test_anonymous_source_has_no_speaker():
    text = "وقالت مصادر أمنية إن الهجوم أسفر عن قتلى."
    q = only(text)
    assert part(text, q["source"]) == "مصادر أمنية"
    assert q["speaker"] is None


# --- real articles and the command ---------------------------------------------------------

@pytest.fixture(scope="module")
def ant_head():
    if not ANT.is_file():
        pytest.skip(f"ANT corpus not found at {ANT} (see shared/data/README.md)")
    return [rec for _, rec in itertools.islice(iter_corpus(ANT), 400)]


def test_output_validates_on_real_articles(ant_head):
    quotes = 0
    for rec in ant_head:
        art = silver_from_record(rec)
        assert check_article(art) == [], rec["id"]
        assert art["entities"] is None and set(art) >= {"id", "text", "source", "category", "title", "url"}
        quotes += len(art["quotes"])
    assert quotes > len(ant_head)  # news articles hold several quotes each


def write_corpus(path: Path, ids: list[str]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in ids:
            rec = {"id": i, "source": "test", "category": "x", "title": "t", "url": "u", "time": "", "abstract": "",
                   "text": f"وقال المتحدث إن الخبر {i} صحيح."}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def gold_ids() -> list[str]:
    ids = sorted(read_ids(GOLD)) if GOLD.is_dir() else []
    if not ids:
        pytest.skip(f"no gold records in {GOLD}")
    return ids


def test_gold_ids_never_reach_silver(tmp_path):
    gold = gold_ids()[:3]
    corpus = write_corpus(tmp_path / "ant.jsonl.gz", [gold[0], "new-1", gold[1], "new-2", gold[2]])
    exclude = set().union(*(read_ids(p) for p in default_exclusions()))
    counts: dict = {}
    arts = list(silver_corpus(corpus, exclude, counts=counts))
    assert [a["id"] for a in arts] == ["new-1", "new-2"]
    assert counts == {"read": 5, "excluded": 3, "written": 2}


def test_command_excludes_gold_and_given_ids(tmp_path):
    from qawl.train.commands.cli import main

    gold = gold_ids()[0]
    corpus = write_corpus(tmp_path / "ant.jsonl.gz", [gold, "new-1", "new-2", "new-3"])
    (tmp_path / "more.txt").write_text("new-2\n", encoding="utf-8")
    out = tmp_path / "silver.jsonl"
    tasks = tmp_path / "tasks.json"
    assert main(["silver", "--corpus", str(corpus), "--out", str(out), "--labelstudio", str(tasks),
                 "--exclude-ids", str(tmp_path / "more.txt"), "--limit", "1"]) == 0
    (art,) = read_articles(out)
    assert art["id"] == "new-1" and art["entities"] is None and len(art["quotes"]) == 1
    (task,) = json.loads(tasks.read_text(encoding="utf-8"))
    labels = [r["value"]["labels"][0] for r in task["predictions"][0]["result"] if r["type"] == "labels"]
    assert sorted(labels) == ["CONTENT", "CUE", "SOURCE"]


def test_command_on_native_articles_keeps_entities(tmp_path):
    from qawl.train.commands.cli import main

    text = "وقال الوزير سامي حداد إن الحكومة ستعلن خطتها."
    ent = {"start": text.index("سامي"), "end": text.index("سامي") + len("سامي حداد"), "label": "PER"}
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a1", "text": text, "entities": [ent], "quotes": []}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["silver", "--in", str(src), "--out", str(out)]) == 0
    (art,) = read_articles(out)
    assert art["entities"] == [ent]
    (q,) = art["quotes"]
    assert part(text, q["source"]) == "سامي حداد" and q["speaker"] == "سامي حداد"


def test_bad_corpus_line_is_reported_and_nothing_written(tmp_path, capsys):
    from qawl.train.commands.cli import main

    corpus = tmp_path / "ant.jsonl"
    corpus.write_text('{"id": "a", "text": "نص"}\n{"id": "b"}\n', encoding="utf-8")
    out = tmp_path / "silver.jsonl"
    assert main(["silver", "--corpus", str(corpus), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{corpus}:2" in err and "'b'" in err
    assert not out.exists() and not list(tmp_path.glob("*partial*"))


def test_read_ids_forms(tmp_path):
    (tmp_path / "splits.json").write_text(json.dumps({"rule": "x", "train": ["a"], "dev": ["b"], "test": ["c"]}))
    (tmp_path / "records.jsonl").write_text('{"id": "d", "quotes": []}\n\n{"id": "e"}\n')
    (tmp_path / "list.txt").write_text("f\n\ng\n")
    assert read_ids(tmp_path / "splits.json") == {"a", "b", "c"}
    assert read_ids(tmp_path / "records.jsonl") == {"d", "e"}
    assert read_ids(tmp_path / "list.txt") == {"f", "g"}
    assert read_ids(tmp_path) == {"a", "b", "c", "d", "e"}  # a folder: its JSON and JSONL files

"""The local ``evaluate`` metrics: entity spans (against seqeval) and quotes."""
from __future__ import annotations

import gzip
import importlib.util
import json
import os
import random
import subprocess
import sys
import threading
from itertools import islice
from pathlib import Path

import pytest

from qawl.data.words import split_words
from qawl.train.evaluation.metrics import load_metric, metric_path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ANERCORP_TEST = DATA / "anercorp" / "test.txt"
ANT_DIR = DATA / "ant"
REPO = Path(__file__).resolve().parents[1]
LABELS = ("PER", "ORG", "LOC", "MISC")


@pytest.fixture(scope="module")
def entities():
    return load_metric("qawl_entities", keep_in_memory=True)


@pytest.fixture(scope="module")
def entity_spans():
    return load_metric("qawl_entities", config_name="spans", keep_in_memory=True)


@pytest.fixture(scope="module")
def quotes():
    return load_metric("qawl_quotes", keep_in_memory=True)


# --- entities: agreement with seqeval -------------------------------------------


def read_anercorp_tags(path: Path) -> list[list[str]]:
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        tag = line.split()[-1]
        current.append(tag.replace("PERS", "PER"))
    if current:
        sentences.append(current)
    return sentences


def perturb(sentences: list[list[str]], seed: int) -> list[list[str]]:
    """Model-like errors, several of which leave invalid IOB2 (I-X after O or after another type)."""
    rng = random.Random(seed)
    out = []
    for gold in sentences:
        tags = list(gold)
        for i, tag in enumerate(tags):
            r = rng.random()
            if tag.startswith("B-"):
                label = tag[2:]
                if r < 0.08:  # swap the type of the whole entity
                    new = rng.choice([lab for lab in LABELS if lab != label])
                    tags[i] = f"B-{new}"
                    j = i + 1
                    while j < len(tags) and tags[j] == f"I-{label}":
                        tags[j] = f"I-{new}"
                        j += 1
                elif r < 0.14:  # drop the B: its I- tags now follow O
                    tags[i] = "O"
                elif r < 0.18:  # B written as I
                    tags[i] = f"I-{label}"
                elif r < 0.24 and i + 1 < len(tags) and tags[i + 1] == "O":  # end shifted right
                    tags[i + 1] = f"I-{label}"
                elif r < 0.28 and i > 0 and tags[i - 1] == "O":  # start shifted left
                    tags[i - 1], tags[i] = tag, f"I-{label}"
            elif tag == "O" and r < 0.02:  # stray I- after O
                tags[i] = f"I-{rng.choice(LABELS)}"
            elif tag.startswith("I-") and r < 0.05:  # entity cut short
                tags[i] = "O"
        out.append(tags)
    return out


def assert_same_as_seqeval(result: dict, report: dict, f1: float, n_predicted: int) -> None:
    micro = report["micro avg"]
    assert result["tp"] + result["fp"] == n_predicted
    assert result["precision"] == pytest.approx(micro["precision"], abs=1e-12)
    assert result["recall"] == pytest.approx(micro["recall"], abs=1e-12)
    assert result["f1"] == pytest.approx(micro["f1-score"], abs=1e-12)
    assert result["f1"] == pytest.approx(f1, abs=1e-12)
    assert result["tp"] + result["fn"] == micro["support"]
    types = set(report) - {"micro avg", "macro avg", "weighted avg"}
    assert set(result["per_type"]) == types
    for label in types:
        ours, theirs = result["per_type"][label], report[label]
        assert ours["support"] == theirs["support"], label
        for key, their_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert ours[key] == pytest.approx(theirs[their_key], abs=1e-12), (label, key)


def seqeval_strict(gold, pred):
    from seqeval.metrics import classification_report, f1_score
    from seqeval.scheme import IOB2, Entities

    kw = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
    n_predicted = sum(len(sent) for sent in Entities(pred, IOB2).entities)
    return classification_report(gold, pred, output_dict=True, **kw), f1_score(gold, pred, **kw), n_predicted


def seqeval_default(gold, pred):
    from seqeval.metrics import classification_report, f1_score
    from seqeval.metrics.sequence_labeling import get_entities

    return (
        classification_report(gold, pred, output_dict=True, zero_division=0),
        f1_score(gold, pred, zero_division=0),
        len(get_entities(pred)),
    )


@pytest.fixture(scope="module")
def anercorp():
    if not ANERCORP_TEST.is_file():
        pytest.skip(f"ANERcorp test split not found at {ANERCORP_TEST}")
    gold = read_anercorp_tags(ANERCORP_TEST)
    return gold, perturb(gold, seed=20240607)


def test_strict_matches_seqeval_on_anercorp(entities, anercorp):
    gold, pred = anercorp
    result = entities.compute(predictions=pred, references=gold)
    assert_same_as_seqeval(result, *seqeval_strict(gold, pred))
    assert 0.5 < result["f1"] < 0.95  # the perturbation changed a real share of entities, not all


def test_conlleval_matches_seqeval_default_on_anercorp(entities, anercorp):
    gold, pred = anercorp
    strict = entities.compute(predictions=pred, references=gold)
    loose = entities.compute(predictions=pred, references=gold, mode="conlleval")
    assert_same_as_seqeval(loose, *seqeval_default(gold, pred))
    # The predictions hold invalid IOB2, which the two modes read differently.
    assert loose["tp"] + loose["fp"] > strict["tp"] + strict["fp"]


def test_counts_add_up_across_shards(entities, anercorp):
    gold, pred = anercorp
    half = len(gold) // 2
    whole = entities.compute(predictions=pred, references=gold)
    parts = [
        entities.compute(predictions=pred[:half], references=gold[:half]),
        entities.compute(predictions=pred[half:], references=gold[half:]),
    ]
    for key in ("tp", "fp", "fn"):
        assert parts[0][key] + parts[1][key] == whole[key]
    for step in range(0, len(gold), 100):
        entities.add_batch(predictions=pred[step:step + 100], references=gold[step:step + 100])
    assert entities.compute() == whole


HAND_MADE = [
    # (references, predictions)
    ([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-LOC"]]),
    ([["B-PER", "I-PER", "O"]], [["O", "I-PER", "I-PER"]]),  # I- after O
    ([["B-PER", "I-PER", "O"]], [["B-PER", "I-LOC", "O"]]),  # type change inside
    ([["B-ORG", "I-ORG", "I-ORG"]], [["B-ORG", "B-ORG", "I-ORG"]]),
    ([["B-MISC", "O", "B-LOC", "I-LOC"], ["O", "O"]], [["I-MISC", "O", "B-LOC", "I-ORG"], ["B-PER", "I-PER"]]),
    ([["O", "O", "O"]], [["I-LOC", "I-LOC", "B-LOC"]]),
]


@pytest.mark.parametrize("gold, pred", HAND_MADE)
def test_hand_made_sequences_match_seqeval(entities, gold, pred):
    assert_same_as_seqeval(entities.compute(predictions=pred, references=gold), *seqeval_strict(gold, pred))
    loose = entities.compute(predictions=pred, references=gold, mode="conlleval")
    assert_same_as_seqeval(loose, *seqeval_default(gold, pred))


def test_strict_ignores_i_after_o_but_conlleval_starts_an_entity(entities):
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["O", "I-PER", "O", "I-LOC"]]
    strict = entities.compute(predictions=pred, references=gold)
    # Strict IOB2: neither I- run has a B-, so nothing is predicted; both gold entities are missed.
    assert (strict["tp"], strict["fp"], strict["fn"]) == (0, 0, 2)
    assert strict["precision"] == 0.0 and strict["f1"] == 0.0
    loose = entities.compute(predictions=pred, references=gold, mode="conlleval")
    # conlleval: I-PER at 1 starts PER [1, 2) (gold PER is [0, 2): wrong); I-LOC at 3 starts LOC [3, 4): right.
    assert (loose["tp"], loose["fp"], loose["fn"]) == (1, 1, 1)
    assert loose["per_type"]["LOC"]["f1"] == 1.0
    assert loose["per_type"]["PER"] == {
        "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "tp": 0, "fp": 1, "fn": 1,
    }


def test_conlleval_type_change_splits_the_entity(entities):
    # B-PER I-LOC: conlleval reads PER [0, 1) and LOC [1, 2); strict reads PER [0, 1) only.
    gold = [["B-PER", "B-LOC"]]
    pred = [["B-PER", "I-LOC"]]
    assert entities.compute(predictions=pred, references=gold, mode="conlleval")["tp"] == 2
    strict = entities.compute(predictions=pred, references=gold)
    assert (strict["tp"], strict["fn"]) == (1, 1)


def test_no_entities_gives_zeros_not_nan(entities):
    result = entities.compute(predictions=[["O", "O"]], references=[["O", "O"]])
    assert result == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 0, "per_type": {}}


@pytest.mark.parametrize("bad", ["PER", "B-", "E-PER", "b-PER", "I--PER"])
def test_malformed_tag_is_named(entities, bad):
    with pytest.raises(ValueError, match=r"predictions\[1\]\[2\]") as err:
        entities.compute(predictions=[["O"], ["O", "O", bad]], references=[["O"], ["O", "O", "O"]])
    assert repr(bad) in str(err.value)


def test_length_mismatch_and_bad_mode(entities):
    with pytest.raises(ValueError, match="example 0: 2 predicted tags but 3"):
        entities.compute(predictions=[["O", "O"]], references=[["O", "O", "O"]])
    with pytest.raises(ValueError, match="mode"):
        entities.compute(predictions=[["O"]], references=[["O"]], mode="lenient")


def test_labelled_spans(entity_spans):
    gold = [[[0, 5, "PER"], [10, 17, "LOC"]], [[3, 8, "ORG"]]]
    pred = [[[0, 5, "PER"], [10, 16, "LOC"]], [[3, 8, "ORG"], [20, 25, "MISC"]]]
    result = entity_spans.compute(predictions=pred, references=gold)
    # PER and ORG exact (tp 2); LOC ends one early (fp 1 and fn 1); MISC predicted only (fp 1).
    assert (result["tp"], result["fp"], result["fn"]) == (2, 2, 1)
    assert result["precision"] == pytest.approx(2 / 4)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(2 * (1 / 2) * (2 / 3) / (1 / 2 + 2 / 3))
    assert result["per_type"]["MISC"]["support"] == 0
    assert result["per_type"]["LOC"]["tp"] == 0


def test_labelled_spans_agree_with_tags(entities, entity_spans):
    gold_tags = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred_tags = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "B-MISC"]]

    def to_spans(tags):  # strict IOB2 spans, written out by hand for valid sequences
        out = []
        for i, t in enumerate(tags):
            if t.startswith("B-"):
                j = i + 1
                while j < len(tags) and tags[j] == "I-" + t[2:]:
                    j += 1
                out.append([i, j, t[2:]])
        return out

    by_tags = entities.compute(predictions=pred_tags, references=gold_tags)
    by_spans = entity_spans.compute(
        predictions=[to_spans(t) for t in pred_tags], references=[to_spans(t) for t in gold_tags]
    )
    assert by_tags == by_spans


def test_labelled_span_errors(entity_spans):
    with pytest.raises(ValueError, match=r"references\[0\].*more than once"):
        entity_spans.compute(predictions=[[]], references=[[[0, 2, "PER"], [0, 2, "PER"]]])
    with pytest.raises(ValueError, match=r"predictions\[0\]\[0\].*start < end"):
        entity_spans.compute(predictions=[[[4, 2, "PER"]]], references=[[]])
    with pytest.raises(ValueError, match="mode applies to BIO tag input only"):
        entity_spans.compute(predictions=[[]], references=[[]], mode="conlleval")


def test_tag_input_to_span_configuration_is_refused(entity_spans):
    with pytest.raises(ValueError):
        entity_spans.compute(predictions=[["B-PER"]], references=[["B-PER"]])


def test_distributed_processes_share_one_result(tmp_path):
    shards = {
        0: ([["B-PER", "O"]], [["B-PER", "O"]]),
        1: ([["B-LOC", "O"]], [["O", "B-LOC"]]),
    }
    results = {}

    def work(pid):
        metric = load_metric(
            "qawl_entities", num_process=2, process_id=pid, experiment_id="shards", cache_dir=str(tmp_path), timeout=30
        )
        metric.add_batch(predictions=shards[pid][0], references=shards[pid][1])
        results[pid] = metric.compute()

    threads = [threading.Thread(target=work, args=(pid,)) for pid in shards]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[1] is None
    # PER right in shard 0; shard 1 predicts LOC at 0 where gold has it at 1.
    assert (results[0]["tp"], results[0]["fp"], results[0]["fn"]) == (1, 1, 1)


# --- quotes --------------------------------------------------------------------


def span(text: str, sub: str, nth: int = 0) -> list[int]:
    """[start, end] of the nth occurrence of sub in text."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    return [start, start + len(sub)]


def quote(text, content, source=None, cue=None, speaker=None):
    return {
        "content": span(text, content),
        "source": None if source is None else span(text, source),
        "cue": None if cue is None else span(text, cue),
        "speaker": speaker,
        "kind": "direct",
    }


def dumps(article: dict) -> str:
    return json.dumps(article, ensure_ascii=False)


# Words: وأكد | الخبير | عصام | لعروسي | أن | “ | الأمن | مستقر | في | البلاد | ” | وفق | تصريح | له | .
TEXT_A = "وأكد الخبير عصام لعروسي أن “الأمن مستقر في البلاد” وفق تصريح له."
# Words: وقال | المتحدث | باسم | الوزارة | : | “ | لن | نتراجع | ” | . | وأضاف | أحمد | علي | أن | الحكومة |
#        ستدعم | القطاع | .
TEXT_B = "وقال المتحدث باسم الوزارة: “لن نتراجع”. وأضاف أحمد علي أن الحكومة ستدعم القطاع."
# Words: يذكر | أن | الطقس | حار | اليوم | .
TEXT_C = "يذكر أن الطقس حار اليوم."

GOLD = [
    {"id": "a", "text": TEXT_A, "quotes": [
        quote(TEXT_A, "الأمن مستقر في البلاد", "عصام لعروسي", "وأكد", "عصام لعروسي"),
    ]},
    {"id": "b", "text": TEXT_B, "quotes": [
        quote(TEXT_B, "لن نتراجع", "المتحدث", "وقال", None),
        quote(TEXT_B, "الحكومة ستدعم القطاع", "أحمد علي", "وأضاف", "أحمد علي"),
    ]},
    {"id": "c", "text": TEXT_C, "quotes": []},
]
PRED = [
    {"id": "a", "quotes": [
        quote(TEXT_A, "الأمن مستقر", "لعروسي", "وأكد", "لعروسي"),
    ]},
    {"id": "b", "text": TEXT_B, "quotes": [
        quote(TEXT_B, "لن نتراجع", "المتحدث باسم الوزارة", None, "الوزارة"),
        quote(TEXT_B, "أن الحكومة ستدعم القطاع", "أحمد علي", "وأضاف", "احمد علي"),
    ]},
    {"id": "c", "quotes": [quote(TEXT_C, "الطقس حار اليوم", None, "يذكر", None)]},
]


def test_quote_scores_on_hand_made_articles(quotes):
    r = quotes.compute(predictions=[dumps(p) for p in PRED], references=[dumps(g) for g in GOLD])
    assert (r["predicted_quotes"], r["gold_quotes"]) == (4, 3)

    # CONTENT exact: only b's "لن نتراجع" is equal; 4 predicted, 3 gold -> tp 1, fp 3, fn 2.
    assert (r["content_exact_tp"], r["content_exact_fp"], r["content_exact_fn"]) == (1, 3, 2)
    assert r["content_exact_precision"] == pytest.approx(1 / 4)
    assert r["content_exact_recall"] == pytest.approx(1 / 3)
    assert r["content_exact_f1"] == pytest.approx(2 / 7)  # 2 * (1/4) * (1/3) / (1/4 + 1/3)
    # CONTENT overlap, in words. Predicted: a 2, b 2 + 4 (with أن), c 3 = 11.
    # Gold: a 4, b 2 + 3 = 9. Shared: a 2 (الأمن مستقر), b 2 + 3 = 7.
    assert (r["content_overlap_matched"], r["content_overlap_predicted"], r["content_overlap_gold"]) == (7, 11, 9)
    assert r["content_overlap_precision"] == pytest.approx(7 / 11)
    assert r["content_overlap_recall"] == pytest.approx(7 / 9)
    assert r["content_overlap_f1"] == pytest.approx(0.7)  # 2 * 49/99 / (140/99)

    # SOURCE exact: only b's "أحمد علي" is equal; 3 predicted, 3 gold.
    assert (r["source_exact_tp"], r["source_exact_fp"], r["source_exact_fn"]) == (1, 2, 2)
    assert r["source_exact_f1"] == pytest.approx(1 / 3)
    # SOURCE overlap. Predicted: a 1, b 3 + 2 = 6. Gold: a 2, b 1 + 2 = 5. Shared: a 1, b 1 + 2 = 4.
    assert (r["source_overlap_matched"], r["source_overlap_predicted"], r["source_overlap_gold"]) == (4, 6, 5)
    assert r["source_overlap_f1"] == pytest.approx(8 / 11)  # P 2/3, R 4/5

    # CUE: وأكد and وأضاف equal; يذكر predicted only; وقال missed. One word each, so overlap = exact.
    assert (r["cue_exact_tp"], r["cue_exact_fp"], r["cue_exact_fn"]) == (2, 1, 1)
    assert (r["cue_overlap_matched"], r["cue_overlap_predicted"], r["cue_overlap_gold"]) == (2, 3, 3)
    assert r["cue_exact_f1"] == pytest.approx(2 / 3)
    assert r["cue_overlap_f1"] == pytest.approx(2 / 3)

    # Attribution: all 3 gold contents are found. a: لعروسي in عصام لعروسي (right); b1: gold null,
    # predicted الوزارة (wrong); b2: احمد علي = أحمد علي after alef normalisation (right).
    assert (r["attribution_correct"], r["attribution_found"], r["attribution_gold"]) == (2, 3, 3)
    assert r["attribution_accuracy"] == pytest.approx(2 / 3)

    assert r["detail"]["content"]["overlap"]["matched"] == 7
    assert r["detail"]["attribution"]["accuracy"] == r["attribution_accuracy"]
    assert r["detail"]["cue"]["exact"]["f1"] == r["cue_exact_f1"]


def test_perfect_prediction_scores_one(quotes):
    r = quotes.compute(predictions=[dumps(g) for g in GOLD], references=[dumps(g) for g in GOLD])
    for part in ("content", "source", "cue"):
        for kind in ("exact", "overlap"):
            assert r[f"{part}_{kind}_f1"] == 1.0
    assert r["attribution_accuracy"] == 1.0


# Words: قال | الوزير | خالد | سعيد | إن | “ | المشروع | سيكتمل | قريبا | جدا | ” | .
TEXT_D = "قال الوزير خالد سعيد إن “المشروع سيكتمل قريبا جدا”."


@pytest.mark.parametrize("wide_speaker, narrow_speaker, correct", [
    ("خالد سعيد", "شخص آخر", 1),
    ("شخص آخر", "خالد سعيد", 0),
])
def test_attribution_uses_best_overlapping_prediction(quotes, wide_speaker, narrow_speaker, correct):
    gold = {"id": "d", "text": TEXT_D, "quotes": [quote(TEXT_D, "المشروع سيكتمل قريبا جدا", "خالد سعيد", "قال", "خالد سعيد")]}
    # Two predictions cut the gold CONTENT: "المشروع" shares 1 word, "سيكتمل قريبا جدا" shares 3,
    # so the speaker of the second one is the one compared.
    pred = {"id": "d", "quotes": [
        quote(TEXT_D, "المشروع", speaker=narrow_speaker),
        quote(TEXT_D, "سيكتمل قريبا جدا", speaker=wide_speaker),
    ]}
    r = quotes.compute(predictions=[dumps(pred)], references=[dumps(gold)])
    assert (r["attribution_correct"], r["attribution_found"]) == (correct, 1)


def test_unfound_gold_quote_is_outside_attribution(quotes):
    gold = {"id": "b", "text": TEXT_B, "quotes": GOLD[1]["quotes"]}
    # Only the second gold CONTENT is touched (by "القطاع"); the first is not found.
    pred = {"id": "b", "quotes": [quote(TEXT_B, "القطاع", speaker="أحمد")]}
    r = quotes.compute(predictions=[dumps(pred)], references=[dumps(gold)])
    assert (r["attribution_correct"], r["attribution_found"], r["attribution_gold"]) == (1, 1, 2)
    assert r["attribution_accuracy"] == 1.0


@pytest.mark.parametrize("gold_speaker, predicted_speaker, correct", [
    (None, None, 1),
    (None, "المتحدث", 0),
    ("عصام لعروسي", None, 0),
    ("عصام لعروسي", "لعروسي", 1),
    ("لعروسي", "عصام لعروسي", 1),
    ("أحمد", "احمد", 1),
    ("إبراهيم", "ابراهيم", 1),
    ("مُحَمَّد", "محمد", 1),
    ("فاطمة", "فاطمه", 1),
    ("مصطفى", "مصطفي", 1),
    ("عبـد الله", "عبد الله", 1),
    ("الأمم المتحدة.", "(الامم المتحده)", 1),
    ("علي", "عليان", 0),
    ("عصام لعروسي", "عصام العلمي", 0),
])
def test_speaker_matching(quotes, gold_speaker, predicted_speaker, correct):
    gold = {"id": "d", "text": TEXT_D, "quotes": [quote(TEXT_D, "المشروع سيكتمل قريبا جدا", speaker=gold_speaker)]}
    pred = {"id": "d", "quotes": [quote(TEXT_D, "المشروع سيكتمل قريبا جدا", speaker=predicted_speaker)]}
    r = quotes.compute(predictions=[dumps(pred)], references=[dumps(gold)])
    assert (r["attribution_correct"], r["attribution_found"]) == (correct, 1)


def test_empty_predictions_give_zeros(quotes):
    pred = {"id": "a", "quotes": []}
    r = quotes.compute(predictions=[dumps(pred)], references=[dumps(GOLD[0])])
    assert r["content_exact_fn"] == 1 and r["content_overlap_gold"] == 4
    assert r["content_exact_precision"] == 0.0 and r["content_overlap_f1"] == 0.0
    assert r["attribution_accuracy"] == 0.0 and r["attribution_found"] == 0


def test_quote_input_errors_name_the_place(quotes):
    good = dumps(GOLD[0])
    unannotated = dumps({"id": "a", "text": TEXT_A})
    with pytest.raises(ValueError, match=r"references\[0\] \(article 'a'\).*not annotated"):
        quotes.compute(predictions=[good], references=[unannotated])
    start = TEXT_A.index("الأمن") + 1
    misaligned = dumps({"id": "a", "quotes": [{"content": [start, start + 4], "speaker": None}]})
    with pytest.raises(ValueError, match=rf"predictions\[0\] \(article 'a'\): quote 0 content: \[{start}, {start + 4}\)"):
        quotes.compute(predictions=[misaligned], references=[good])
    other_text = dumps({"id": "a", "text": TEXT_B, "quotes": []})
    with pytest.raises(ValueError, match="differs from the reference"):
        quotes.compute(predictions=[other_text], references=[good])
    other_id = dumps({"id": "b", "quotes": []})
    with pytest.raises(ValueError, match="article 'b'.*'a'"):
        quotes.compute(predictions=[other_id], references=[good])
    no_content = dumps({"id": "a", "quotes": [{"content": None, "cue": span(TEXT_A, "وأكد")}]})
    with pytest.raises(ValueError, match="quote 0: 'content' is required"):
        quotes.compute(predictions=[no_content], references=[good])
    with pytest.raises(ValueError, match=r"predictions\[0\]: not valid JSON"):
        quotes.compute(predictions=["{"], references=[good])


def _quotes_script():
    path = metric_path("qawl_quotes") / "qawl_quotes.py"
    spec = importlib.util.spec_from_file_location("qawl_quotes_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quote_metric_splits_words_like_the_data_layer():
    script = _quotes_script()
    texts = [
        "قال\u200cهو: «نعم»، ثم ذهب... 12٫5% (تقريبًا) — أليس كذلك؟",
        "كـــبير و\u200dشيء؛ A.B. co-op email@x.org 😀 ١٢٣ ٱلله",
        " \t\n ",
        "",
    ]
    if ANT_DIR.is_dir():
        for path in sorted(ANT_DIR.glob("*.gz"))[:1]:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                texts += [json.loads(line)["text"] for line in islice(fh, 30)]
    for text in texts:
        assert script.split_words(text) == split_words(text)


# --- loading -------------------------------------------------------------------

_OFFLINE_SCRIPT = r"""
import json, socket

def refuse(*args, **kwargs):
    raise OSError("network access attempted")

socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from qawl.train.evaluation.metrics import load_metric

ents = load_metric("qawl_entities")
quotes = load_metric("qawl_quotes")
text = "قال زيد إن الجو حار."
article = {"text": text, "quotes": [{"content": [11, 19], "source": [4, 7], "cue": [0, 3], "speaker": "زيد"}]}
print(json.dumps({
    "entities": ents.compute(predictions=[["B-PER", "O"]], references=[["B-PER", "B-LOC"]])["recall"],
    "quotes": quotes.compute(predictions=[json.dumps(article)], references=[json.dumps(article)])["content_exact_f1"],
}))
"""


def test_loads_offline_from_local_folders(tmp_path):
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_EVALUATE_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),  # empty caches: nothing can come from an earlier download
        "HF_MODULES_CACHE": str(tmp_path / "modules"),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"entities": 0.5, "quotes": 1.0}
    assert any((tmp_path / "modules").rglob("qawl_quotes.py"))


def test_unknown_metric_name():
    with pytest.raises(ValueError, match="unknown metric 'seqeval'"):
        load_metric("seqeval")

"""Round trip spans -> word tags -> sub-word labels -> spans on Arabic text."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from qawl.data.align import IGNORE, is_valid_bio, plan_windows, repair_bio, spans_to_tags, tags_to_spans
from qawl.data.build import Normalisation, WindowSpec, article_to_row, special_token_frame, window_rows
from qawl.data.decode import scatter_window_tags
from qawl.data.schema import layer_tags
from qawl.data.words import split_words

# Pieces that exercise the scheme's word rules: clitics, diacritics, tatweel,
# ZWNJ, Arabic-Indic and Latin digits, punctuation and nested quotation marks.
WORDS = [
    "قال", "وأوضح", "بالرباط", "للمغرب", "والمخابرات", "عَبْدُ", "اللّٰه", "قــال", "الـــوزير",
    "مي\u200cخواهم", "٢٠١٨", "2018", "باراك8", "ونايفة", "لـ", "آشكاين", "إسرائيل", "هو",
]
MARKS = ["“", "”", "«", "»", "„", '"', "،", ".", ":", "؟", "(", ")", "-", "″"]
GAPS = [" ", " ", " ", "\n", "  ", "\u00a0", ""]


@st.composite
def arabic_text(draw):
    n = draw(st.integers(1, 40))
    out = []
    for _ in range(n):
        tok = draw(st.sampled_from(WORDS + MARKS))
        out.append(tok)
        out.append(draw(st.sampled_from(GAPS)))
    return "".join(out).strip() or "قال"


@st.composite
def text_and_spans(draw, labels=("PER", "ORG", "LOC", "MISC")):
    text = draw(arabic_text())
    offs = split_words(text)
    spans, i = [], 0
    while i < len(offs):
        if draw(st.booleans()):
            j = min(len(offs), i + draw(st.integers(1, 4)))
            spans.append((offs[i][0], offs[j - 1][1], draw(st.sampled_from(labels))))
            i = j + draw(st.integers(0, 2))
        else:
            i += 1
    return text, offs, spans


def char_tokenizer() -> PreTrainedTokenizerFast:
    """A real fast tokenizer that cuts words into many pieces (one per character,
    a few two-character pieces), so windows hold few words."""
    chars = sorted({c for w in WORDS + MARKS for c in w})
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}
    for c in chars:
        vocab.setdefault(c, len(vocab))
        vocab.setdefault("##" + c, len(vocab))
    for piece in ("قا", "##ال", "ال", "##لم"):
        vocab.setdefault(piece, len(vocab))
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    from tokenizers.processors import TemplateProcessing

    tok.post_processor = TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]")


TOKENIZER = char_tokenizer()
FRAME = special_token_frame(TOKENIZER)


def test_split_words_rules():
    text = "قال “مرحبًا” لـ«آشكاين»، ٢٠١٨ وزيرـــا\u200cب."
    words = [text[s:e] for s, e in split_words(text)]
    assert words == ["قال", "“", "مرحبًا", "”", "لـ", "«", "آشكاين", "»", "،", "٢٠١٨", "وزيرـــا\u200cب", "."]


def test_code_points_glue_into_words_exactly_as_is_word_char_says():
    import sys

    from qawl.data.words import is_word_char

    glues = [is_word_char(chr(cp)) for cp in range(sys.maxunicode + 1)]
    # the whole Basic Multilingual Plane, and beyond it both sides of every
    # edge between gluing and not (each non-word character costs the regex a
    # scan of the astral ranges, so all 1.1 M code points would take 10 s)
    points = set(range(0x10000)) | {p for cp in range(0x10000, len(glues)) if glues[cp] != glues[cp - 1] for p in (cp - 1, cp)}
    chars = [chr(cp) for cp in sorted(points) if not 0xD800 <= cp <= 0xDFFF and not chr(cp).isspace()]
    assert sum(ord(c) > 0xFFFF for c in chars) > 500  # the astral edges are there
    # each between two word characters: one word if it glues, three if not
    text = " ".join(f"ب{c}ب" for c in chars)
    want, at = [], 0
    for c in chars:
        want += [(at, at + 3)] if glues[ord(c)] else [(at, at + 1), (at + 1, at + 2), (at + 2, at + 3)]
        at += 4
    got = split_words(text)
    assert len(got) == len(want)
    assert got == want


@given(arabic_text())
@settings(max_examples=200, deadline=None)
def test_words_cover_all_non_space(text):
    offs = split_words(text)
    covered = "".join(text[s:e] for s, e in offs)
    assert covered == "".join(c for c in text if not c.isspace())
    assert all(not text[s:e][0].isspace() and not text[s:e][-1].isspace() for s, e in offs)
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(offs, offs[1:]))


@given(text_and_spans())
@settings(max_examples=200, deadline=None)
def test_spans_tags_spans_identity(sample):
    text, offs, spans = sample
    tags = spans_to_tags(offs, spans)
    assert is_valid_bio(tags)
    assert tags_to_spans(offs, tags) == sorted(spans)


@given(
    text_and_spans(),
    st.integers(min_value=6, max_value=40),
    st.integers(min_value=0, max_value=40),
    st.booleans(),
    st.sampled_from(["words", "text"]),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip_through_windows(sample, max_length, stride, all_subwords, tokenize):
    """spans -> word tags -> windowed sub-word labels -> word tags -> spans is the identity."""
    text, offs, spans = sample
    art = {"id": "a", "text": text, "entities": [{"start": s, "end": e, "label": l} for s, e, l in spans], "quotes": None}
    row = article_to_row(art)
    spec = WindowSpec(max_length=max_length, stride=stride, all_subwords=all_subwords, tokenize=tokenize)
    windows = window_rows(row, TOKENIZER, spec, FRAME)  # never refused: a word longer than a window keeps its first pieces
    names = layer_tags("ner")
    got: list[int | None] = [None] * len(offs)
    for w in windows:
        assert len(w["input_ids"]) <= max_length
        assert w["input_ids"][0] == FRAME[0][0] and w["input_ids"][-1] == FRAME[1][-1]
        # the unannotated quote layer is never scored, never O
        assert set(w["labels_quote"]) == {IGNORE}
        labels = [l for l, s in zip(w["labels_ner"], w["scored"]) if s]
        assert IGNORE not in labels
        if not all_subwords:
            assert sum(l != IGNORE for l in w["labels_ner"]) == sum(w["scored"])
        scatter_window_tags(w["word_ids"], w["scored"], labels, got)
    # every word decided exactly once: the scored counts add up to the word count
    assert sum(sum(w["scored"]) for w in windows) == len(offs)
    assert None not in got
    assert tags_to_spans(offs, [names[i] for i in got]) == sorted(spans)


@given(st.lists(st.integers(1, 6), max_size=60), st.integers(1, 30), st.integers(0, 40))
@settings(max_examples=300, deadline=None)
def test_windows_partition_words(counts, budget, stride):
    if any(c > budget for c in counts):
        with pytest.raises(ValueError):
            plan_windows(counts, budget, stride)
        return
    plan = plan_windows(counts, budget, stride)
    scored = [0] * len(counts)
    for a, b, s, e in plan:
        assert a <= s < e <= b and sum(counts[a:b]) <= budget
        for k in range(s, e):
            scored[k] += 1
    assert scored == [1] * len(counts)
    # windows cover the article in order
    if plan:
        assert plan[0][0] == 0 and plan[-1][1] == len(counts)


def test_repair_bio_matches_conlleval_reading():
    tags = ["I-PER", "I-PER", "O", "B-LOC", "I-ORG", "I-ORG", "B-MISC"]
    fixed = repair_bio(tags)
    assert is_valid_bio(fixed)
    assert fixed == ["B-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG", "B-MISC"]


def test_off_boundary_span_is_refused():
    text = "قال الوزير"
    with pytest.raises(ValueError, match="word boundaries"):
        spans_to_tags(split_words(text), [(1, 3, "PER")])


def test_a_word_the_tokenizer_drops_gets_the_unknown_token():
    from qawl.data.build import WindowSpec, tokenize_words
    from tiny import make_tokenizer

    tokenizer = make_tokenizer("bert")  # its normaliser deletes control characters such as ESC
    words = ["قال", "\x1b", "إن"]
    assert tokenizer(words, is_split_into_words=True, add_special_tokens=False).word_ids() == [0, 2]
    ids, wids = tokenize_words(tokenizer, words, WindowSpec(max_length=32, stride=8))
    assert wids == [0, 1, 2] and ids[1] == tokenizer.unk_token_id
    ids_plain, wids_plain = tokenize_words(tokenizer, ["قال", "إن"], WindowSpec(max_length=32, stride=8))
    assert [i for i, w in zip(ids, wids) if w != 1] == ids_plain


@pytest.mark.parametrize("kind", ["xlmr", "bert"])
def test_text_tokenization_gives_the_pieces_of_the_raw_text(kind):
    from qawl.data.build import normalised_text, tokenize_text, tokenize_words
    from tiny import make_tokenizer

    tokenizer = make_tokenizer(kind)
    text = "وقال الوزير: «الوضع مستقر»، ثم غادر (الرباط)."
    row = article_to_row({"id": "a", "text": text})
    spec = WindowSpec(tokenize="text")
    ids, wids = tokenize_text(tokenizer, row, spec)
    assert ids == tokenizer(text, add_special_tokens=False)["input_ids"]  # what a pipeline on the text sees
    assert sorted(set(wids)) == list(range(len(row["words"]))) and wids == sorted(wids)
    if kind == "xlmr":  # word by word, the punctuation glued to a word becomes a piece of its own ("▁:")
        assert ids != tokenize_words(tokenizer, row["words"], spec)[0]
    # normalisation folds inside words and keeps every word's place
    folded, offsets = normalised_text(article_to_row({"id": "b", "text": "قــال الوزير"}),
                                      WindowSpec(normalisation=Normalisation(tatweel=True)))
    assert folded == "قال الوزير" and [folded[s:e] for s, e in offsets] == ["قال", "الوزير"]


def test_text_tokenization_falls_back_where_a_piece_straddles_two_words():
    from qawl.data.build import tokenize_text

    vocab = {"[UNK]": 0, "ab": 1, "c": 2, "a": 3, "b": 4}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")
    row = article_to_row({"id": "a", "text": "a-b c"})  # words a, -, b, c; no piece for "-"
    assert tokenize_text(tokenizer, row, WindowSpec(tokenize="text")) is None

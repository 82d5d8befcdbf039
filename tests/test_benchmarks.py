"""The ANERcorp benchmark pieces: baseline examples and decoding, the dev carve,
measured subprocesses, the AQMAR tag map and the comparison's targets."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks.common import AQMAR_TAG_MAP, read_conll, run_measured, score_word_tags, word_rows
from qawl.data.schema import layer_tags

LABELS = layer_tags("ner")


@pytest.fixture(scope="module")
def xlmr_tokenizer(tmp_path_factory):
    from tiny import make_tiny_base
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(make_tiny_base(tmp_path_factory.mktemp("tiny-xlmr"), "xlmr", layers=1))


def conll_text(sentences: list[list[tuple[str, str]]]) -> str:
    return "".join("".join(f"{w} {t}\n" for w, t in s) + "\n" for s in sentences)


SENTENCES = [
    [("قال", "O"), ("أحمد", "B-PERS"), ("الكبير", "I-PERS"), ("في", "O"), ("بيروت", "B-LOC"), (".", "O")],
    [("وأكدت", "O"), ("وزارة", "B-ORG"), ("الصحة", "I-ORG"), ("أن", "O"), ("الرباط", "B-LOC"), ("مثمرة", "O")],
    [("فاز", "O"), ("نادي", "O"), ("الوداد", "B-ORG"), ("بكأس", "B-MISC"), ("البطولة", "I-MISC"), ("،", "O")],
]


@pytest.fixture
def rows(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text(conll_text(SENTENCES), encoding="utf-8")
    return word_rows(read_conll(path))


def test_word_rows_carry_the_gold_tags(rows):
    assert [w for w, _ in rows] == [[w for w, _ in s] for s in SENTENCES]
    assert [t for _, t in rows] == [[t.replace("PERS", "PER") for _, t in s] for s in SENTENCES]


def longest_word(rows, tokenizer) -> int:
    return max(len(tokenizer(w, add_special_tokens=False)["input_ids"]) for words, _ in rows for w in words)


@pytest.mark.parametrize("slack", [250, 3, 0])
def test_sentence_examples_label_each_word_once_and_respect_max_length(rows, xlmr_tokenizer, slack):
    from benchmarks.standard_recipe import sentence_examples

    max_length = longest_word(rows, xlmr_tokenizer) + 2 + slack
    examples, origin, untokenised = sentence_examples(rows, xlmr_tokenizer, LABELS, max_length)
    assert untokenised == 0
    seen = {}
    for ex, (row, first_word) in zip(examples, origin):
        assert len(ex["input_ids"]) <= max_length
        assert ex["input_ids"][0] == xlmr_tokenizer.cls_token_id and ex["input_ids"][-1] == xlmr_tokenizer.sep_token_id
        words = [w for w in ex["words"] if w >= 0]
        assert words[0] == first_word and words == sorted(words)
        for k, (w, lab) in enumerate(zip(ex["words"], ex["labels"])):
            if lab != -100:
                assert ex["words"][k - 1] != w  # only a word's first sub-word is labelled
                assert (row, w) not in seen
                seen[(row, w)] = LABELS[lab]
    # every word is labelled exactly once, with its gold tag: no truncation
    assert seen == {(r, w): tag for r, (_, tags) in enumerate(rows) for w, tag in enumerate(tags)}
    if slack < 250:
        assert len(examples) > len(rows)  # long sentences were cut into several examples
    with pytest.raises(ValueError, match="alone exceeds max_length"):
        sentence_examples(rows, xlmr_tokenizer, LABELS, longest_word(rows, xlmr_tokenizer) + 1)


class IdModel:
    """Stands in for a token classifier: class of a position = its token id modulo the classes."""

    def eval(self):
        return self

    def __call__(self, input_ids, attention_mask):
        import torch
        from types import SimpleNamespace

        return SimpleNamespace(logits=torch.nn.functional.one_hot(input_ids % len(LABELS), len(LABELS)).float())


@pytest.mark.parametrize("slack", [250, 1])
def test_predict_tags_puts_each_first_subword_decision_on_its_word(rows, xlmr_tokenizer, slack):
    from benchmarks.standard_recipe import predict_tags, sentence_examples

    max_length = longest_word(rows, xlmr_tokenizer) + 2 + slack
    examples, origin, _ = sentence_examples(rows, xlmr_tokenizer, LABELS, max_length)
    got = predict_tags(IdModel(), examples, origin, rows, LABELS, batch_size=2, pad_id=xlmr_tokenizer.pad_token_id)
    expected = []
    for words, _ in rows:
        firsts = [xlmr_tokenizer(w, add_special_tokens=False)["input_ids"][0] for w in words]
        expected.append([LABELS[i % len(LABELS)] for i in firsts])
    assert got == expected


def test_score_word_tags_reads_stray_inside_tags_two_ways():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["B-PER", "I-PER", "O", "I-LOC"]]  # I-LOC after O: no entity (strict), an entity (conlleval)
    scores = score_word_tags(pred, gold)
    assert scores["strict"]["tp"] == 1 and scores["strict"]["fn"] == 1
    assert scores["conlleval"]["tp"] == 2 and scores["conlleval"]["f1"] == 1.0


def test_carve_split_matches_dev_fraction(tmp_path):
    from benchmarks.recipe_search import SPLIT_GROUP, carve_split
    from qawl.train.corpora import carve_dev

    sentences = [[(f"w{i}x{k}", "B-LOC" if k == 0 else "O") for k in range(1 + i % 3)] for i in range(47)]
    src = tmp_path / "train.txt"
    src.write_text(conll_text(sentences), encoding="utf-8")
    train_file, dev_file = carve_split(src, tmp_path / "split", 0.2, seed=5)
    _, want_dev = carve_dev(read_conll(src, SPLIT_GROUP), 0.2, 5)
    got_dev, got_train = read_conll(dev_file, 1), read_conll(train_file, 1)
    assert [a["text"] for a in got_dev] == [s for a in want_dev for s in a["text"].split("\n")]
    assert len(got_dev) + len(got_train) == len(sentences)
    assert sorted(a["text"] for a in got_dev + got_train) == sorted(a["text"] for a in read_conll(src, 1))


def test_run_measured_measures_each_child_apart(tmp_path):
    big = run_measured([sys.executable, "-c", "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096])"],
                       tmp_path / "big.log")
    small = run_measured([sys.executable, "-c", "import sys; print('hi'); sys.exit(3)"], tmp_path / "small.log")
    assert big.returncode == 0 and small.returncode == 3
    assert big.peak_rss_mb > 200 > small.peak_rss_mb
    assert (tmp_path / "small.log").read_text() == "hi\n"
    assert big.wall_s >= 0 and big.cpu_s >= 0


def test_comparison_targets_follow_the_numbers():
    from benchmarks.anercorp import compare

    def system(f1, wall):
        return {"f1": f1, "wall_s": wall, "cpu_s": wall * 1.5}

    met = compare({"qawl": system(0.81, 100.0), "standard_recipe": system(0.5, 300.0)})
    assert met["targets"] == {"qawl_f1_at_least_0.80": True, "qawl_f1_at_least_standard": True,
                              "wall_at_least_3x_less": True}
    missed = compare({"qawl": system(0.79, 101.0), "standard_recipe": system(0.8, 300.0)})
    assert not any(missed["targets"].values())
    assert compare({"qawl": system(0.8, 1.0)}) == {}


def test_aqmar_reads_with_the_tag_map(shared_data):
    folder = shared_data / "aqmar"
    if not folder.is_dir():
        pytest.skip(f"AQMAR not found at {folder}")
    from qawl.data.formats import read_format

    arts, notes = read_format("conll", folder, group=1, tag_map=AQMAR_TAG_MAP)
    begins = 0
    for f in sorted(folder.glob("*.txt")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip() and line.split()[-1].startswith("B-"):
                begins += 1
    entities = sum(len(a["entities"]) for a in arts)
    # every B- tag starts an entity, and so does each stray I- tag the reader repairs
    assert entities == begins + sum(n.kind == "repair" for n in notes)
    assert read_conll(folder, 1, AQMAR_TAG_MAP) == arts
    assert {e["label"] for a in arts for e in a["entities"]} == {"PER", "LOC", "ORG", "MISC"}


def test_readme_headline_table_matches_the_result_files():
    from benchmarks.headline import README, readme_block, render

    assert readme_block(README.read_text(encoding="utf-8")) == render(), (
        "README.md's headline table is stale: run `python -m benchmarks.headline --write`")


def test_headline_table_has_a_row_per_system_of_each_result(tmp_path):
    from benchmarks.headline import render

    system = {"system": "x", "f1": 0.5, "wall_s": 10.0, "tokens_per_s": 100.0, "peak_rss_mb": 300.0}
    (tmp_path / "anercorp.json").write_text(json.dumps({"systems": {"a": system, "b": {**system, "system": "y"}}}))
    table = render(tmp_path)
    assert table.count("\n") == 4 and "| ANERcorp test, entity micro F1 | y | 0.500 |" in table


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[1] / "benchmarks" / "results").glob("*.json")),
                         ids=lambda p: p.stem)
def test_every_result_file_holds_the_figures_of_each_system(path):
    result = json.loads(path.read_text(encoding="utf-8"))
    assert result.get("command") and result.get("commit"), f"{path.name}: no command or commit"
    systems = result.get("systems")
    assert isinstance(systems, dict) and systems, f"{path.name}: no systems"
    for name, figures in systems.items():
        missing = {"f1", "wall_s", "tokens_per_s", "peak_rss_mb"} - set(figures)
        assert not missing, f"{path.name}: system {name} lacks {sorted(missing)}"
        assert isinstance(figures["f1"], (int, float)), f"{path.name}: system {name} has no main score"


def test_median_throughput_reads_the_last_run_of_an_appended_log(tmp_path):
    from benchmarks.common import median_throughput

    log = tmp_path / "metrics.jsonl"
    old = [{"step": s, "tokens_per_s": 100.0} for s in (5, 10, 15)]
    new = [{"step": 5, "tokens_per_s": 200.0}, {"step": 10, "dev_ner_f1": 0.5}, {"step": 10, "tokens_per_s": 300.0},
           {"step": 15, "tokens_per_s": 400.0}]
    log.write_text("".join(json.dumps(r) + "\n" for r in old + new))
    assert median_throughput(log) == 300.0
    log.write_text("".join(json.dumps(r) + "\n" for r in old + [{"step": 20, "tokens_per_s": 400.0}]))
    assert median_throughput(log) == 100.0  # a resumed run continues its steps: one run
    assert median_throughput(tmp_path / "missing.jsonl") is None


def test_export_agreement_trims_span_edges_and_counts_exact_matches():
    from benchmarks.export_agreement import agreement, trimmed

    text = "قال «محمد»، في تونس."
    assert trimmed(text, 3, 11) == (5, 9)  # " «محمد»" -> "محمد"
    assert text[slice(*trimmed(text, 14, 20))] == "تونس"
    assert trimmed(text, 10, 12) == (12, 12)  # punctuation only: empty
    ours = [{(5, 9, "PER"), (14, 18, "LOC")}, set()]
    theirs = [{(5, 9, "PER"), (14, 18, "ORG")}, {(0, 3, "MISC")}]
    assert agreement(ours, theirs) == {"qawl_spans": 2, "pipeline_spans": 3, "matched": 1, "agreement": 0.4}
    assert agreement([set()], [set()])["agreement"] == 1.0


def test_per_channel_int8_linear_tracks_the_float_layer_and_keeps_outlier_rows():
    import torch

    from benchmarks.encoder_speedups import PerChannelInt8Linear, quantize_per_channel

    torch.manual_seed(0)
    linear = torch.nn.Linear(384, 32)
    with torch.no_grad():
        torch.nn.init.normal_(linear.weight, std=0.02)  # BERT's initialisation
        linear.weight[3] *= 200  # one row far larger: one scale per matrix would flatten the others to 0
    x = torch.randn(10, 7, 384)
    want = linear(x)
    got = PerChannelInt8Linear(linear)(x)
    assert got.shape == want.shape == (10, 7, 32)
    rows = [r for r in range(32) if r != 3]
    # 127 levels per row and per call: about 1.5 % of a typical output; the
    # 16-bit pair sums of AVX2 make a few outputs far worse, so the mean is tested
    rel = (got - want)[..., rows].abs().mean() / want[..., rows].abs().mean()
    assert rel < 0.03, rel
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.GELU(), torch.nn.Linear(64, 8))
    kept = model[2]
    out = quantize_per_channel(model, ["0"])
    assert isinstance(out[0], PerChannelInt8Linear) and out[2] is kept


def test_boundary_errors_fall_into_their_classes():
    from benchmarks.boundaries import classify_article

    text = ('عنوان "الاقتصاد بخير"\nوقال الوزير: "الوضع مستقر تماما". وأكد أن الاجتماع سيعقد غدا، وذلك بعد تأجيله. '
            'وأضاف أن الدعم مستمر. وكشف أن الأسعار سترتفع. ووقعت شركة "آشكاين" عقدا. وأوضح أن الخطة جاهزة.')

    def sp(part: str) -> list[int]:
        at = text.index(part)
        return [at, at + len(part)]

    def q(content: str, kind: str = "indirect") -> dict:
        return {"content": sp(content), "source": None, "cue": None, "speaker": None, "kind": kind}

    gold = [q("الوضع مستقر تماما", "direct"), q("الاجتماع سيعقد غدا"), q("الدعم مستمر"), q("الأسعار سترتفع"),
            q("الخطة جاهزة")]
    pred = [q('"الوضع مستقر تماما"', "direct"), q("الاجتماع سيعقد غدا، وذلك بعد تأجيله"), q("الدعم"),
            q("الأسعار سترتفع"), q("آشكاين", "direct"), q("الاقتصاد بخير", "direct")]
    counts = classify_article(text, gold, pred)
    assert counts["direct off by a mark or a word"] == 1
    assert counts["indirect runs into the next clause"] == 1
    assert counts["indirect ends too early"] == 1
    assert counts["exact"] == 1 and counts["missed"] == 1
    assert counts["scare quotes or a title in marks"] == 2  # a term in marks; a two-word headline


def test_the_rerun_command_names_a_checkpoint_given_relative_or_absolute(tmp_path, monkeypatch):
    from benchmarks.common import REPO, checkpoint_command

    monkeypatch.chdir(REPO)
    rel = Path("runs") / "x" / "model"
    assert checkpoint_command("attribution", rel) == f"python -m benchmarks.attribution --checkpoint {rel}"
    assert checkpoint_command("attribution", REPO / rel) == f"python -m benchmarks.attribution --checkpoint {rel}"
    assert checkpoint_command("boundaries", tmp_path) == f"python -m benchmarks.boundaries --checkpoint {tmp_path.resolve()}"


def test_news_reads_wall_cpu_and_memory_from_a_time_log(tmp_path):
    from benchmarks.news import read_time_log

    log = tmp_path / "run.time"
    log.write_text('\tCommand being timed: "accelerate launch train.py"\n\tUser time (seconds): 100.50\n'
                   "\tSystem time (seconds): 3.25\n\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03\n"
                   "\tMaximum resident set size (kbytes): 2048000\n")
    assert read_time_log(log) == {"wall_s": 3723.0, "cpu_s": 103.8, "peak_rss_mb": 2000.0}
    log.write_text("\tElapsed (wall clock) time (h:mm:ss or m:ss): 4:05.5\n\tUser time (seconds): 1\n"
                   "\tSystem time (seconds): 0\n\tMaximum resident set size (kbytes): 1024\n")
    assert read_time_log(log)["wall_s"] == 245.5
    log.write_text("not a time log\n")
    with pytest.raises(ValueError, match="not a `time -v` log"):
        read_time_log(log)

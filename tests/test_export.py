"""Single-layer export: plain transformers folders that run in a pipeline."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from qawl.data.schema import layer_tags
from qawl.models.export import ExportError, export_layer
from qawl.models.tagger import build_tagger
from tiny import make_tiny_base
from qawl.train.commands.cli import main

LAYERS = {"ner": layer_tags("ner"), "quote": layer_tags("quote")}
EXPECTED_CLASS = {
    "bert": "BertForTokenClassification",
    "xlmr": "XLMRobertaForTokenClassification",
    "electra": "ElectraForTokenClassification",
}
ROOT = Path(__file__).resolve().parents[1]
SAMPLE_TEST = ROOT / "data" / "sample" / "test.jsonl"
SENTENCES = ["وقال المتحدث باسم الوزارة إن «المفاوضات مستمرة».", "فاز نادي الوداد بكأس البطولة في الدار البيضاء."]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict:
    """kind -> (checkpoint folder, tagger in eval mode), quote layer with a CRF."""
    from transformers import AutoTokenizer

    root = tmp_path_factory.mktemp("export")
    result = {}
    for kind in EXPECTED_CLASS:
        base = make_tiny_base(root / f"base_{kind}", kind, layers=2)
        torch.manual_seed(3)
        tagger = build_tagger(base, LAYERS, crf=["quote"]).eval()
        ckpt = root / f"ckpt_{kind}"
        tagger.save_pretrained(ckpt)
        AutoTokenizer.from_pretrained(base).save_pretrained(ckpt)
        result[kind] = (ckpt, tagger)
    return result


@pytest.mark.parametrize("kind", list(EXPECTED_CLASS))
@pytest.mark.parametrize("layer", ["ner", "quote"])
def test_exported_layer_matches_the_checkpoint_without_remote_code(checkpoints, tmp_path, kind, layer):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    ckpt, tagger = checkpoints[kind]
    out = export_layer(ckpt, layer, tmp_path / "out")
    assert not list(out.glob("*.py"))
    config = json.loads((out / "config.json").read_text())
    assert "auto_map" not in config and config["architectures"] == [EXPECTED_CLASS[kind]]

    plain = AutoModelForTokenClassification.from_pretrained(out).eval()
    assert type(plain).__name__ == EXPECTED_CLASS[kind]
    assert type(plain).__module__.startswith("transformers.models.")
    assert [plain.config.id2label[i] for i in range(len(LAYERS[layer]))] == LAYERS[layer]
    assert plain.config.label2id == {tag: i for i, tag in enumerate(LAYERS[layer])}

    batch = AutoTokenizer.from_pretrained(out)(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = tagger(**batch).logits[layer]
        got = plain(**batch).logits
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, atol=1e-5)

    readme = (out / "README.md").read_text()
    assert ("CRF dropped" in readme) == (layer == "quote")


@pytest.mark.parametrize("kind", list(EXPECTED_CLASS))
def test_exported_folder_runs_in_a_token_classification_pipeline(checkpoints, tmp_path, kind):
    from transformers import pipeline

    ckpt, _ = checkpoints[kind]
    out = export_layer(ckpt, "ner", tmp_path / "out")
    tagger = pipeline("token-classification", model=str(out), aggregation_strategy="simple")
    for text in SENTENCES:
        groups = tagger(text)
        assert isinstance(groups, list)
        for group in groups:
            assert group["entity_group"] in {"PER", "ORG", "LOC", "MISC"}
            assert 0 <= group["start"] < group["end"] <= len(text)


def test_export_cuts_pipeline_chunks_at_the_training_window(checkpoints, tmp_path):
    from transformers import AutoTokenizer, pipeline

    ckpt, tagger = checkpoints["bert"]
    base_limit = AutoTokenizer.from_pretrained(ckpt).model_max_length
    assert export_layer(ckpt, "ner", tmp_path / "plain") and (
        AutoTokenizer.from_pretrained(tmp_path / "plain").model_max_length == base_limit)  # no window known: kept

    windowed = tmp_path / "windowed"
    tagger.config.qawl_windows = {"max_length": 24, "stride": 8, "all_subwords": True, "tokenize": "text"}
    try:
        tagger.save_pretrained(windowed)
    finally:
        del tagger.config.qawl_windows
    AutoTokenizer.from_pretrained(ckpt).save_pretrained(windowed)
    out = export_layer(windowed, "ner", tmp_path / "out")
    assert base_limit > 24 and AutoTokenizer.from_pretrained(out).model_max_length == 24
    assert "model_max_length" in (out / "README.md").read_text()

    text = " ".join(SENTENCES * 4)
    runner = pipeline("token-classification", model=str(out), aggregation_strategy="none")
    # with stride the whole text is tagged in 24-token chunks; without, only the first chunk
    assert max(t["end"] for t in runner(text, stride=8, ignore_labels=[])) > len(text) - 10
    assert max(t["end"] for t in runner(text, ignore_labels=[])) < len(text) // 2


def test_cli_exports_and_reports_problems(checkpoints, tmp_path, capsys):
    ckpt, _ = checkpoints["bert"]
    out = tmp_path / "out"
    assert main(["export", "--layer", "quote", str(ckpt), str(out)]) == 0
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()

    assert main(["export", "--layer", "quote", str(ckpt), str(out)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert main(["export", "--layer", "quote", "--overwrite", str(ckpt), str(out)]) == 0

    assert main(["export", "--layer", "pos", str(ckpt), str(tmp_path / "other")]) == 1
    err = capsys.readouterr().err
    assert "no layer 'pos'" in err and "['ner', 'quote']" in err
    assert not (tmp_path / "other").exists()


def test_export_refuses_what_is_not_a_tagger_checkpoint(checkpoints, tmp_path):
    ckpt, _ = checkpoints["bert"]
    with pytest.raises(ExportError, match="no layer 'pos'.*'ner', 'quote'"):
        export_layer(ckpt, "pos", tmp_path / "a")
    base = ckpt.parent / "base_bert"
    with pytest.raises(ExportError, match="not a qawl tagger checkpoint"):
        export_layer(base, "ner", tmp_path / "b")
    with pytest.raises(ExportError, match="no config.json"):
        export_layer(tmp_path, "ner", tmp_path / "c")


@pytest.fixture(scope="module")
def fitted_checkpoint(tmp_path_factory) -> Path:
    """A tiny BERT trained by ``train.py`` with every sub-word labelled and the
    text tokenized whole (as the pipeline does) until it
    fits the sample test articles' entities (this test compares two ways of
    decoding one model, not accuracy, so it fits the articles it decodes).

    The tokenizer is built from the sample corpus (about 1.4 pieces per word)
    and the encoder takes 2,048 positions, so that every article (the longest
    is about 1,080 tokens) is one window for qawl and one chunk for the
    pipeline. Texts longer than the window go through the pipeline's own
    merging of overlapping chunks, which the export README describes.
    """
    root = tmp_path_factory.mktemp("fitted")
    texts = [json.loads(line)["text"] for name in ("train", "dev", "test")
             for line in (ROOT / "data" / "sample" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    base = make_tiny_base(root / "base", "bert", layers=2, texts=texts, vocab_size=3000, positions=2048)
    out = root / "run"
    overrides = [
        f"model.base={base}", "model.keep_pieces=null", "model.keep_layers=null",
        f"data.corpora.0.train=[{SAMPLE_TEST}]", "data.corpora.0.dev=[]", f"data.corpora.0.test=[{SAMPLE_TEST}]",
        "data.max_length=2048", "data.stride=64", "data.all_subwords=true", "data.tokenize=text",
        "train.batch_size=4", "train.max_steps=300", "train.lr=3e-3", "train.head_lr=3e-3", "train.embedding_lr=3e-3",
        "train.warmup_ratio=0.05", "train.log_every=50", "train.trackers=[]", "eval.splits=[test]",
        f"train.output_dir={out}",
    ]
    res = subprocess.run([sys.executable, "train.py", *overrides], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return out / "model"


def test_simple_pipeline_on_the_export_gives_the_checkpoints_entity_spans(fitted_checkpoint, tmp_path):
    from transformers import AutoTokenizer, pipeline

    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    articles = [json.loads(line) for line in SAMPLE_TEST.read_text(encoding="utf-8").splitlines()]
    model, tokenizer, spec, labels = load_checkpoint(fitted_checkpoint)
    predicted = predict_articles(model, tokenizer, spec, labels, articles)

    assert main(["export", "--layer", "ner", str(fitted_checkpoint), str(tmp_path / "out")]) == 0
    readme = (tmp_path / "out" / "README.md").read_text()
    assert 'aggregation_strategy="simple"' in readme and "Long texts" in readme and "data.tokenize=words" not in readme
    tagger = pipeline("token-classification", model=str(tmp_path / "out"), aggregation_strategy="simple")
    limit = AutoTokenizer.from_pretrained(tmp_path / "out").model_max_length
    lengths = [len(tokenizer(a["text"], verbose=False)["input_ids"]) for a in articles]
    assert limit == 2048 and 1000 < max(lengths) <= limit  # past 512 tokens, still one chunk

    for article, ours in zip(articles, predicted):
        ours = sorted((e["start"], e["end"], e["label"]) for e in ours["entities"])
        theirs = sorted((g["start"], g["end"], g["entity_group"]) for g in tagger(article["text"]))
        assert theirs == ours, article["id"]
        # the fitted model finds the entities: the comparison is not vacuous
        assert len(ours) >= 0.9 * len(article["entities"]), article["id"]


def test_export_readme_names_first_piece_aggregation_for_first_subword_training():
    from qawl.models.export import aggregation_for, describe_export

    assert aggregation_for({"max_length": 256, "stride": 64, "all_subwords": False}) == "first"
    assert aggregation_for(None) == "first"
    assert aggregation_for({"max_length": 256, "stride": 64, "all_subwords": True}) == "simple"
    text = describe_export(Path("ckpt"), "ner", LAYERS["ner"], "BertForTokenClassification", had_crf=False,
                           windows={"max_length": 256, "stride": 64, "all_subwords": False})
    assert 'aggregation_strategy="first"' in text and "data.all_subwords=true" in text and "stride=64" in text
    assert "data.tokenize=text" in text

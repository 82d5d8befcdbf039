"""Single-layer export: plain transformers folders that run in a pipeline."""
from __future__ import annotations

import json

import pytest
import torch

from data.schema import layer_tags
from models.export import ExportError, export_layer
from models.tagger import build_tagger
from tiny import make_tiny_base
from train.cli import main

LAYERS = {"ner": layer_tags("ner"), "quote": layer_tags("quote")}
EXPECTED_CLASS = {
    "bert": "BertForTokenClassification",
    "xlmr": "XLMRobertaForTokenClassification",
    "electra": "ElectraForTokenClassification",
}
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

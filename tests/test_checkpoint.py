"""Saved taggers travel: they reload, with their own code, where qawl is not importable."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from qawl.data.schema import layer_tags
from qawl.models.modeling_qawl import QawlForTokenClassification
from qawl.models.tagger import build_tagger
from isolated import REFUSE_PROJECT
from tiny import make_tiny_base

LAYERS = {"ner": layer_tags("ner"), "quote": layer_tags("quote")}
MODELING_FILE = Path(__file__).resolve().parents[1] / "models" / "modeling_qawl.py"


#: checkpoint name -> (tiny base kind, build_tagger options)
CHECKPOINTS = {
    "bert": ("bert", {"crf": ["quote"]}),
    "xlmr": ("xlmr", {"crf": ["quote", "ner"]}),
    "electra": ("electra", {"crf": ["quote"]}),
    "bert_cut": ("bert", {"crf": ["quote"], "keep_layers": 2, "reinit_top": 1}),
}

#: run with ``python -I`` from a scratch folder: argv[1] is a JSON job file
RELOAD_SCRIPT = REFUSE_PROJECT + r'''
import json
import torch
from transformers import AutoModelForTokenClassification

job = json.load(open(sys.argv[1]))
report = {"blocked": blocked, "checkpoints": {}}
for name, ckpt in job["checkpoints"].items():
    model, info = AutoModelForTokenClassification.from_pretrained(ckpt, trust_remote_code=True, output_loading_info=True)
    model.eval()
    batch = torch.load(ckpt + "/batch.pt")
    with torch.no_grad():
        out = model(**batch["inputs"])
    diffs = {k: float((v - batch["logits"][k]).abs().max()) for k, v in out.logits.items()}
    report["checkpoints"][name] = {
        "module": type(model).__module__,
        "class": type(model).__name__,
        "missing": sorted(info["missing_keys"]),
        "unexpected": sorted(info["unexpected_keys"]),
        "max_diff": diffs,
        "decoded": model.decode(out.logits, batch["scored"]),
        "blocks": model.encoder.config.num_hidden_layers,
    }
json.dump(report, open(job["report"], "w"))
'''


def train_briefly(model: QawlForTokenClassification, batch: dict, steps: int, seed: int) -> list[float]:
    """A few AdamW steps on random labels; returns the loss before each step."""
    gen = torch.Generator().manual_seed(seed)
    scored = batch["attention_mask"].bool().clone()
    scored[:, 0] = False
    labels = {}
    for name, tags in LAYERS.items():
        gold = torch.randint(0, len(tags), scored.shape, generator=gen)
        labels[name] = gold.masked_fill(~scored, -100)
    labels["quote"][0] = -100  # an example annotated for entities only
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    losses = []
    for _ in range(steps):
        loss = model(**batch, labels=labels).loss
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict:
    """Train, save and record reference outputs for every checkpoint in CHECKPOINTS."""
    from transformers import AutoTokenizer

    root = tmp_path_factory.mktemp("ckpt")
    bases = {kind: make_tiny_base(root / f"base_{kind}", kind) for kind in {k for k, _ in CHECKPOINTS.values()}}
    sentences = ["وقال المتحدث باسم الوزارة إن «المفاوضات مستمرة».", "أعلنت شركة الطيران الوطنية عن رحلات جديدة."]
    result = {}
    for name, (kind, options) in CHECKPOINTS.items():
        torch.manual_seed(0)
        model = build_tagger(bases[kind], LAYERS, **options)
        tokenizer = AutoTokenizer.from_pretrained(bases[kind])
        batch = dict(tokenizer(sentences, padding=True, return_tensors="pt"))
        losses = train_briefly(model, batch, steps=8, seed=1)
        model.eval()
        with torch.no_grad():
            logits = model(**batch).logits
        scored = batch["attention_mask"].bool()
        ckpt = root / name
        model.save_pretrained(ckpt)
        tokenizer.save_pretrained(ckpt)
        torch.save({"inputs": batch, "logits": logits, "scored": scored}, ckpt / "batch.pt")
        result[name] = {
            "dir": ckpt,
            "losses": losses,
            "logits": logits,
            "decoded": model.decode(logits, scored),
            "inputs": batch,
        }
    return result


@pytest.fixture(scope="module")
def reloaded(saved, tmp_path_factory) -> dict:
    """Reload every checkpoint in a fresh interpreter that cannot import the project."""
    scratch = tmp_path_factory.mktemp("isolated")
    job = {"checkpoints": {name: str(info["dir"]) for name, info in saved.items()}, "report": str(scratch / "report.json")}
    (scratch / "job.json").write_text(json.dumps(job))
    (scratch / "reload.py").write_text(RELOAD_SCRIPT)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", HF_MODULES_CACHE=str(scratch / "modules"), HF_HOME=str(scratch / "hf"))
    done = subprocess.run(
        [sys.executable, "-I", "reload.py", "job.json"], cwd=scratch, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((scratch / "report.json").read_text())


def test_training_steps_lower_the_loss(saved):
    for name, info in saved.items():
        losses = info["losses"]
        assert all(map(torch.isfinite, map(torch.tensor, losses))), name
        assert losses[-1] < losses[0], (name, losses)


def test_checkpoint_folder_holds_safetensors_and_its_code(saved):
    for info in saved.values():
        files = {p.name for p in info["dir"].iterdir()}
        assert {"model.safetensors", "modeling_qawl.py", "config.json"} <= files
        assert not any(f.endswith(".bin") for f in files)
        config = json.loads((info["dir"] / "config.json").read_text())
        assert config["auto_map"] == {
            "AutoConfig": "modeling_qawl.QawlTaggerConfig",
            "AutoModelForTokenClassification": "modeling_qawl.QawlForTokenClassification",
        }
        assert config["layers"] == LAYERS
        assert (info["dir"] / "modeling_qawl.py").read_text() == MODELING_FILE.read_text()


def test_reload_happens_without_the_project_importable(reloaded):
    assert reloaded["blocked"] == ["qawl", "data", "models", "train"]
    for name, info in reloaded["checkpoints"].items():
        assert info["module"].startswith("transformers_modules."), name
        assert info["class"] == "QawlForTokenClassification"
        assert info["missing"] == [] and info["unexpected"] == [], name


@pytest.mark.parametrize("name", list(CHECKPOINTS))
def test_reloaded_logits_and_decoding_match(saved, reloaded, name):
    info = reloaded["checkpoints"][name]
    assert set(info["max_diff"]) == set(LAYERS)
    assert max(info["max_diff"].values()) <= 1e-5, info["max_diff"]
    assert info["decoded"] == saved[name]["decoded"]


def test_cut_encoder_reloads_with_its_kept_depth(saved, reloaded):
    assert reloaded["checkpoints"]["bert_cut"]["blocks"] == 2
    assert reloaded["checkpoints"]["bert"]["blocks"] == 4
    again = QawlForTokenClassification.from_pretrained(saved["bert_cut"]["dir"]).eval()
    with torch.no_grad():
        logits = again(**saved["bert_cut"]["inputs"]).logits
    for layer, expected in saved["bert_cut"]["logits"].items():
        assert torch.allclose(logits[layer], expected, atol=1e-5)


def test_shipped_model_code_imports_only_torch_transformers_and_stdlib():
    tree = ast.parse(MODELING_FILE.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative imports would need more files in the checkpoint"
            roots.add(node.module.split(".")[0])
    outside = roots - {"torch", "transformers", "__future__"} - set(sys.stdlib_module_names)
    assert not outside, outside


# --- how a checkpoint reads text: config.json alone -----------------------------------

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def predict_sample(checkpoint: Path) -> list[dict]:
    from qawl.data.article import read_articles
    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    model, tokenizer, spec, labels = load_checkpoint(checkpoint)
    return predict_articles(model, tokenizer, spec, labels, read_articles([SAMPLE / "test.jsonl"]))


def test_deleting_the_run_config_changes_nothing(tiny_checkpoint, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_checkpoint, copy)
    (copy / "qawl.yaml").unlink()
    assert predict_sample(copy) == predict_sample(tiny_checkpoint)


def test_a_checkpoint_without_its_window_settings_is_refused(tiny_checkpoint, tmp_path):
    import shutil

    from qawl.train.prediction.predict import CheckpointError, load_checkpoint

    copy = tmp_path / "copy"
    shutil.copytree(tiny_checkpoint, copy)
    config = json.loads((copy / "config.json").read_text())
    del config["qawl_windows"]
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="qawl_windows"):
        load_checkpoint(copy)
    res = subprocess.run([sys.executable, "-m", "qawl", "predict", "--checkpoint", str(copy), str(SAMPLE / "test.jsonl")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 1 and "qawl_windows" in res.stderr and "Traceback" not in res.stderr
    assert res.stdout == ""


def test_the_card_states_the_saved_reading_and_use_without_qawl(tiny_checkpoint):
    windows = json.loads((tiny_checkpoint / "config.json").read_text())["qawl_windows"]
    card = (tiny_checkpoint / "README.md").read_text(encoding="utf-8")
    assert windows["tokenize"] == "text" and windows["all_subwords"] is True  # the default run's settings
    assert f"`data.tokenize={windows['tokenize']}`" in card
    assert f"`data.all_subwords={str(windows['all_subwords']).lower()}`" in card
    assert "tokenized whole" in card and "every sub-word carries" in card and "one by one" not in card
    assert f"windows of {windows['max_length']} tokens sharing {windows['stride']}" in card
    assert 'pipeline(model=PATH, trust_remote_code=True)' in card


def test_qawl_linker_refits_a_checkpoints_linker_from_its_own_predictions(tiny_checkpoint, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_checkpoint, copy)
    assert json.loads((copy / "config.json").read_text()).get("qawl_linker") is None
    (copy / "linker.py").write_text("# carried by an older qawl\n", encoding="utf-8")  # code drift
    res = subprocess.run([sys.executable, "-m", "qawl", "linker", "--checkpoint", str(copy), "--config", "default",
                          "data.max_length=64", "data.stride=16"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    linker = json.loads((copy / "config.json").read_text())["qawl_linker"]
    assert linker["fitted_on"] == "predicted spans" and linker["quotes"] >= 20
    assert predict_sample(copy)[0]["quotes"] is not None  # the checkpoint still loads and predicts with it
    # the carried code is this qawl's again: the pipeline reads the weights with their own features
    assert (copy / "linker.py").read_text(encoding="utf-8") == (MODELING_FILE.parents[1] / "data" / "linker.py").read_text(encoding="utf-8")

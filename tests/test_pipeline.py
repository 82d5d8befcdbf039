"""A saved checkpoint carries its own pipeline: ``transformers.pipeline(model=DIR,
trust_remote_code=True)`` gives what ``qawl predict`` gives, in an interpreter
that cannot import the project."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch

from qawl.data.build import WindowSpec, article_to_row, special_token_frame, window_rows
from qawl.data.schema import layer_tags
from qawl.data.words import split_words
from qawl.models.carry import TASK, WINDOWS_KEY, CarryError, attach_pipeline, carried_files
from qawl.models.tagger import build_tagger

from isolated import REFUSE_PROJECT

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
LAYERS = {"ner": layer_tags("ner"), "quote": layer_tags("quote")}
LONG_WORDS = 3000
MAX_LENGTH, STRIDE = 64, 16  # sub-word tokens per window, shared context

#: run with ``python -I`` from a scratch folder: argv[1] is a JSON job file
PIPELINE_SCRIPT = REFUSE_PROJECT + r'''
import json
import transformers

job = json.load(open(sys.argv[1], encoding="utf-8"))
texts = job["texts"]
pipe = transformers.pipeline(model=job["checkpoint"], trust_remote_code=True)
try:
    pipe([7])
    refused = None
except TypeError as err:
    refused = str(err)
report = {
    "blocked": blocked,
    "module": type(pipe).__module__,
    "class": type(pipe).__name__,
    "task": pipe.task,
    "batched": pipe(texts, batch_size=4),
    "one_by_one": pipe(texts, batch_size=1),
    "single": pipe(texts[0]),
    "empty": pipe(""),
    "refused": refused,
    "loaded": sorted({m.split(".")[0] for m in sys.modules}),
}
json.dump(report, open(job["report"], "w", encoding="utf-8"), ensure_ascii=False)
'''


#: head bias of "O" per layer, in logits: random heads then predict a few spans
#: per sentence rather than one per word (quote grouping grows with the spans)
O_BIAS = {"ner": 8.0, "quote": 7.0}


def spread_heads(model, seed: int) -> None:
    """Random heads and CRF transitions wide enough that decisions vary from word to word."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, head in model.heads.items():
            head.weight.copy_(torch.randn(head.weight.shape, generator=gen) * 0.5)
            head.bias.zero_()
            head.bias[0] = O_BIAS[name]
        for crf in model.crfs.values():
            crf.transitions.copy_(torch.randn(crf.transitions.shape, generator=gen) * 0.5)


@pytest.fixture(scope="module", params=["words", "text"])
def checkpoint(tiny_bert, tmp_path_factory, request) -> dict:
    """A tagger (CRF on quotes) saved the way training saves it, with short windows;
    trained (by its config) on words tokenized one by one with first sub-words
    labelled, or on the text tokenized whole with every sub-word labelled (the
    default run's settings)."""
    from transformers import AutoTokenizer

    from qawl.data.article import read_articles
    from qawl.train.config import Config
    from qawl.train.recipe.checkpoint import save_checkpoint
    from qawl.train.recipe.linker import fit_linker
    from qawl.train.prediction.predict import default_accelerator

    torch.manual_seed(0)
    model = build_tagger(tiny_bert, LAYERS, crf=["quote"]).eval()
    spread_heads(model, seed=14)
    # quotes decoded as a training run sets them up: the rules' boundaries and a speaker
    # linker fitted on the sample corpus's gold speakers
    model.config.qawl_rule_boundaries = True
    model.config.qawl_linker = fit_linker(read_articles([SAMPLE / "train.jsonl"]))
    cfg = Config()
    cfg.data.max_length, cfg.data.stride = MAX_LENGTH, STRIDE
    cfg.data.normalise.diacritics = True
    cfg.data.tokenize, cfg.data.all_subwords = request.param, request.param == "text"
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    out = save_checkpoint(default_accelerator(), model, tokenizer, cfg, tmp_path_factory.mktemp("ckpt") / "model")
    return {"dir": out, "cfg": cfg, "tokenizer": tokenizer}


#: varies every third paragraph with characters the checkpoint's normalisation folds
VOWELLED = "وَقَالَ الشَّيْخُ إنَّ الاجتمـــاع سيعقد غدا."


def long_article(n_words: int) -> str:
    """An article of exactly ``n_words`` words: the sample training articles, repeated with numbered paragraphs."""
    texts = [json.loads(line)["text"] for line in (SAMPLE / "train.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    paragraphs: list[str] = []
    count, k = 0, 0
    while count < n_words:
        para = f"{k + 1}. {texts[k % len(texts)]}" + (f" {VOWELLED}" if k % 3 == 2 else "")
        paragraphs.append(para)
        count += len(split_words(para))
        k += 1
    text = "\n\n".join(paragraphs)
    return text[: split_words(text)[n_words - 1][1]]


@pytest.fixture(scope="module")
def articles() -> list[dict]:
    """The 8 sample test articles (id and text) and one long article (id ``long``)."""
    sample = [json.loads(line) for line in (SAMPLE / "test.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(sample) == 8
    return [{"id": a["id"], "text": a["text"]} for a in sample] + [{"id": "long", "text": long_article(LONG_WORDS)}]


@pytest.fixture(scope="module")
def predicted(checkpoint, articles, tmp_path_factory) -> dict[str, dict]:
    """``qawl predict --checkpoint DIR`` on the articles: id -> predicted article."""
    from qawl.train.commands.cli import main

    scratch = tmp_path_factory.mktemp("predict")
    inputs, out = scratch / "in.jsonl", scratch / "out.jsonl"
    inputs.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    assert main(["predict", "--checkpoint", str(checkpoint["dir"]), str(inputs), "-o", str(out)]) == 0
    preds = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return {p["id"]: p for p in preds}


@pytest.fixture(scope="module")
def piped(checkpoint, articles, tmp_path_factory) -> dict:
    """The checkpoint's pipeline over the articles' texts, in an interpreter that cannot import the project."""
    scratch = tmp_path_factory.mktemp("isolated")
    job = {"checkpoint": str(checkpoint["dir"]), "texts": [a["text"] for a in articles], "report": str(scratch / "report.json")}
    (scratch / "job.json").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    (scratch / "run.py").write_text(PIPELINE_SCRIPT, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", HF_MODULES_CACHE=str(scratch / "modules"), HF_HOME=str(scratch / "hf"))
    done = subprocess.run(
        [sys.executable, "-I", "run.py", "job.json"], cwd=scratch, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((scratch / "report.json").read_text(encoding="utf-8"))
    report["by_id"] = {a["id"]: out for a, out in zip(articles, report["batched"])}
    return report


def as_predicted(out: dict) -> dict:
    """A pipeline output without its surface strings, in ``qawl predict``'s form."""
    return {
        "entities": [{k: v for k, v in e.items() if k != "text"} for e in out["entities"]],
        "quotes": [{k: v for k, v in q.items() if k != "text"} for q in out["quotes"]],
    }


def imported_roots(path: Path) -> set[str]:
    """Top-level packages a file imports anywhere in it (relative imports left out)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


# --------------------------------------------------------------- the folder


def test_checkpoint_names_its_pipeline_and_window_settings(checkpoint):
    config = json.loads((checkpoint["dir"] / "config.json").read_text(encoding="utf-8"))
    assert config["custom_pipelines"] == {
        TASK: {"impl": "pipeline_qawl.QawlPipeline", "pt": ["AutoModelForTokenClassification"], "type": "text"}
    }
    windows = config[WINDOWS_KEY]
    data = checkpoint["cfg"].data
    assert (windows["max_length"], windows["stride"]) == (data.max_length, data.stride)
    assert (windows["tokenize"], windows["all_subwords"]) == (data.tokenize, data.all_subwords)
    assert windows["normalisation"] == {k: getattr(data.normalise, k) for k in ("diacritics", "tatweel", "alef", "ya", "ta_marbuta")}
    assert config["auto_map"]["AutoModelForTokenClassification"] == "modeling_qawl.QawlForTokenClassification"


def test_carried_code_is_verbatim_and_needs_only_torch_and_transformers(checkpoint):
    carried = {p.name: p for p in checkpoint["dir"].glob("*.py")}
    assert {"pipeline_qawl.py", "modeling_qawl.py", "build.py", "decode.py", "words.py", "align.py", "quotes.py"} <= set(carried)
    assert carried.pop("pipeline_qawl.py").read_bytes() == (ROOT / "models" / "pipeline_qawl.py").read_bytes()
    assert carried.pop("modeling_qawl.py").read_bytes() == (ROOT / "models" / "modeling_qawl.py").read_bytes()
    for name, path in carried.items():
        assert path.read_bytes() == (ROOT / "data" / name).read_bytes(), name
    for path in checkpoint["dir"].glob("*.py"):
        outside = imported_roots(path) - {"torch", "transformers"} - set(sys.stdlib_module_names)
        assert not outside, (path.name, outside)


def test_carry_refuses_code_that_would_not_run_from_the_folder(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    entry = tmp_path / "entry.py"
    entry.write_text("from .helper import run\n")
    (data_dir / "helper.py").write_text("from .leaf import x\n\ndef run():\n    import math\n    return math.pi\n")
    (data_dir / "leaf.py").write_text("x = 1\n")
    assert [p.name for p in carried_files(entry, data_dir)] == ["entry.py", "helper.py", "leaf.py"]
    # an import hidden in a function still counts: transformers' import check reads whole files
    (data_dir / "leaf.py").write_text("def load():\n    from datasets import Dataset\n    return Dataset\n")
    with pytest.raises(CarryError, match=r"leaf\.py:2: imports 'datasets'"):
        carried_files(entry, data_dir)
    entry.write_text("from .missing import run\n")
    with pytest.raises(CarryError, match="missing"):
        carried_files(entry, data_dir)
    with pytest.raises(FileNotFoundError, match="no config.json"):
        attach_pipeline(tmp_path, WindowSpec(max_length=MAX_LENGTH, stride=STRIDE))


# --------------------------------------------------------------- the pipeline


def test_pipeline_runs_where_the_project_cannot_be_imported(piped):
    assert piped["blocked"] == ["qawl", "data", "models", "train"]
    assert piped["module"].startswith("transformers_modules.") and piped["class"] == "QawlPipeline"
    assert piped["task"] == TASK
    assert not {"qawl", "data", "models", "train", "datasets"} & set(piped["loaded"])


def test_pipeline_gives_what_qawl_predict_gives(piped, predicted, articles):
    n_entities = n_quotes = 0
    for art in articles[:8]:
        out, pred = piped["by_id"][art["id"]], predicted[art["id"]]
        assert as_predicted(out) == {"entities": pred["entities"], "quotes": pred["quotes"]}, art["id"]
        text = art["text"]
        for e in out["entities"]:
            assert e["text"] == text[e["start"] : e["end"]]
        for q in out["quotes"]:
            for part, span in ((p, q[p]) for p in ("content", "source", "cue")):
                assert q["text"][part] == (None if span is None else text[span[0] : span[1]])
        n_entities += len(out["entities"])
        n_quotes += len(out["quotes"])
    # the comparison means something only if the model predicts spans of every kind
    assert n_entities > 0 and n_quotes > 0
    quotes = [q for out in piped["batched"][:8] for q in out["quotes"]]
    assert any(q["source"] for q in quotes) and any(q["cue"] for q in quotes)
    # the checkpoint's linker named speakers, from mentions, in both
    assert any(q["speaker"] and q["speaker_span"] for q in quotes)


def test_batches_single_texts_and_empty_text(piped):
    assert piped["one_by_one"] == piped["batched"]
    assert piped["single"] == piped["batched"][0]
    assert piped["empty"] == {"entities": [], "quotes": []}
    assert piped["refused"] and "string" in piped["refused"]


def test_long_article_is_decided_word_by_word(checkpoint, articles, predicted, piped):
    from qawl.train.corpora import window_spec

    text = articles[-1]["text"]
    offsets = split_words(text)
    assert len(offsets) == LONG_WORDS
    tokenizer = checkpoint["tokenizer"]
    windows = window_rows(article_to_row({"id": "long", "text": text}), tokenizer, window_spec(checkpoint["cfg"].data),
                          special_token_frame(tokenizer))
    assert len(windows) > 1 and all(len(w["input_ids"]) <= MAX_LENGTH for w in windows)
    scored = Counter(w["word_ids"][t] for w in windows for t, s in enumerate(w["scored"]) if s)
    assert sum(scored.values()) == LONG_WORDS and set(scored) == set(range(LONG_WORDS))

    pred = predicted["long"]
    starts, ends = {s for s, _ in offsets}, {e for _, e in offsets}
    spans = [(e["start"], e["end"]) for e in pred["entities"]]
    spans += [tuple(q[p]) for q in pred["quotes"] for p in ("content", "source", "cue") if q[p] is not None]
    assert spans and all(s in starts and e in ends for s, e in spans)
    # nothing cut off: the article's last tenth has predictions too
    assert max(e for _, e in spans) > 0.9 * len(text)
    assert as_predicted(piped["by_id"]["long"]) == {"entities": pred["entities"], "quotes": pred["quotes"]}

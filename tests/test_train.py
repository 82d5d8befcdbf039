"""The training recipe end to end on a tiny model: resume, multi-process
evaluation, outputs of a run."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def tiny_overrides(base: str, out: Path, *extra: str) -> list[str]:
    return [
        f"model.base={base}",
        "model.keep_pieces=null",
        "model.keep_layers=null",
        f"data.corpora.0.train=[{SAMPLE / 'dev.jsonl'}]",
        "data.corpora.0.dev=[]",
        f"data.corpora.0.test=[{SAMPLE / 'test.jsonl'}]",
        "data.max_length=64",
        "data.stride=16",
        f"train.output_dir={out}",
        "train.batch_size=4",
        "train.log_every=1",
        "train.trackers=[]",
        "eval.batch_size=3",
        *extra,
    ]


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return res


def losses(run_dir: Path) -> dict[int, float]:
    rows = [json.loads(l) for l in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in rows if "loss" in r}


def test_resume_continues_the_same_run(tiny_bert, tmp_path):
    full = tmp_path / "full"
    run([sys.executable, "train.py", *tiny_overrides(tiny_bert, full, "train.max_steps=6", "train.save_every=3", "eval.splits=[]")])
    assert (full / "state" / "step-3" / "trainer_state.json").exists()
    # a run interrupted after step 3: same folder without what came later
    cut = tmp_path / "cut"
    shutil.copytree(full, cut)
    shutil.rmtree(cut / "state" / "step-6")
    (cut / "metrics.jsonl").unlink()
    run([sys.executable, "train.py", *tiny_overrides(tiny_bert, cut, "train.max_steps=6", "train.save_every=3",
                                                   "eval.splits=[]", "train.resume_from=latest")])
    a, b = losses(full), losses(cut)
    assert sorted(b) == [4, 5, 6]
    for step in (4, 5, 6):
        assert b[step] == pytest.approx(a[step], abs=1e-6), (step, a, b)


def test_two_runs_with_one_seed_give_identical_weights(tiny_bert, tmp_path):
    from safetensors.torch import load_file

    weights = []
    for name in ("a", "b"):
        out = tmp_path / name
        run([sys.executable, "train.py", *tiny_overrides(tiny_bert, out, "train.max_steps=8", "eval.splits=[]",
                                                        "model.crf=[quote]", "train.embedding_lr=1e-3")])
        weights.append(load_file(out / "model" / "model.safetensors"))
    a, b = weights
    assert a.keys() == b.keys()
    changed = [k for k in a if not a[k].equal(b[k])]
    assert not changed, changed[:5]


def test_tiny_bases_are_the_same_in_every_process(tmp_path):
    """The tiny tokenizers are built, not trained by `tokenizers` (whose trainers
    differ from process to process): every fixture model is the same each run."""
    script = ("import hashlib, sys\nsys.path.insert(0, 'tests')\nfrom tiny import make_tiny_base\n"
              "for kind in ('bert', 'xlmr', 'electra'):\n"
              "    p = make_tiny_base(sys.argv[1] + '/' + kind, kind, layers=1)\n"
              "    print(hashlib.sha256(open(p + '/tokenizer.json', 'rb').read()).hexdigest())\n")
    first = run([sys.executable, "-c", script, str(tmp_path / "1")]).stdout
    second = run([sys.executable, "-c", script, str(tmp_path / "2")]).stdout
    assert len(first.split()) == 3 and first == second


def scores_of(out: Path) -> dict:
    return json.loads((out / "model" / "scores.json").read_text())


def test_two_processes_evaluate_like_one(tiny_bert, tmp_path):
    # lr 0 everywhere: both runs evaluate the same (seeded) model, so any
    # difference would come from examples seen twice or missed
    frozen = ["train.max_steps=1", "train.lr=0", "train.head_lr=0", "eval.splits=[test]"]
    one, two = tmp_path / "one", tmp_path / "two"
    run([sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "1", "--cpu", "train.py", *tiny_overrides(tiny_bert, one, *frozen)])
    run([sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "2", "--cpu", "train.py", *tiny_overrides(tiny_bert, two, *frozen)])
    s1, s2 = scores_of(one)["test"], scores_of(two)["test"]
    for key in ("ner_tp", "ner_fp", "ner_fn", "articles_ner", "articles_quote"):
        assert s1[key] == s2[key], key
    counted = [k for k in s1 if k.startswith("quote_") and isinstance(s1[k], (int, float))]
    assert counted
    for key in counted + ["ner_f1", "attribution_accuracy"]:
        assert s1[key] == pytest.approx(s2[key], abs=1e-9), key
    gold = sum(len(json.loads(l)["entities"]) for l in (SAMPLE / "test.jsonl").read_text().splitlines() if l.strip())
    assert s1["ner_tp"] + s1["ner_fn"] == gold


def test_run_folder_describes_itself(tiny_bert, tmp_path):
    out = tmp_path / "run"
    run([sys.executable, "train.py", *tiny_overrides(tiny_bert, out, "train.max_steps=4",
                                                   f"data.corpora.0.dev=[{SAMPLE / 'dev.jsonl'}]", "train.eval_every=2")])
    model = out / "model"
    for name in ("model.safetensors", "config.json", "tokenizer.json", "labels.json", "qawl.yaml", "README.md", "scores.json", "modeling_qawl.py"):
        assert (model / name).exists(), name
    assert set(json.loads((model / "labels.json").read_text())) == {"ner", "quote"}
    card = (model / "README.md").read_text()
    assert "## Scores" in card and "entity F1" in card and "test" in card
    scores = scores_of(out)
    assert set(scores) == {"dev", "test"}
    assert (out / "report.md").read_text().startswith("# Evaluation report")
    # qawl evaluate on the checkpoint reproduces the run's test scores
    res = run([sys.executable, "-m", "qawl", "evaluate", "--checkpoint", str(model), "--data", str(SAMPLE / "test.jsonl"),
               "--report", str(tmp_path / "eval.md")])
    ev = json.loads(res.stdout)
    for key in ("ner_tp", "ner_fp", "ner_fn", "quote_content_exact_f1", "attribution_accuracy"):
        assert ev[key] == scores["test"][key], key
    assert (tmp_path / "eval.md").exists()
    # qawl predict, then scoring the predictions file, reproduces them too
    pred = tmp_path / "pred.jsonl"
    run([sys.executable, "-m", "qawl", "predict", "--checkpoint", str(model), str(SAMPLE / "test.jsonl"), "-o", str(pred)])
    res = run([sys.executable, "-m", "qawl", "evaluate", "--predictions", str(pred), "--data", str(SAMPLE / "test.jsonl"),
               "--report", str(tmp_path / "eval2.md")])
    ev2 = json.loads(res.stdout)
    for key in ("ner_tp", "ner_fp", "ner_fn", "quote_content_exact_f1", "quote_cue_overlap_f1", "attribution_accuracy"):
        assert ev2[key] == scores["test"][key], key


"""Distillation: a one-layer student learns the tiny checkpoint's tags through train.py."""
from __future__ import annotations

import sys
import pytest
import torch

from qawl.train.config import ConfigError
from qawl.train.recipe.distill import init_from_checkpoint, soft_tag_loss
from test_train import ROOT, SAMPLE, run, tiny_overrides


def test_soft_tag_loss_is_zero_only_for_the_teachers_own_tags_and_reads_only_scored_positions():
    torch.manual_seed(0)
    teacher = torch.randn(2, 5, 7)
    mask = torch.tensor([[1, 1, 0, 1, 0], [1, 0, 0, 0, 0]], dtype=torch.bool)
    assert soft_tag_loss(teacher.clone(), teacher, mask, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    student = teacher.clone()
    student[~mask] = torch.randn_like(student[~mask])  # unscored positions say anything
    assert soft_tag_loss(student, teacher, mask, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    student = torch.randn(2, 5, 7, requires_grad=True)
    loss = soft_tag_loss(student, teacher, mask, 2.0)
    loss.backward()
    assert loss.item() > 0 and student.grad[~mask].abs().sum() == 0 and student.grad[mask].abs().sum() > 0
    # T^2 * KL: at T = 1 the plain KL divergence of the tag distributions
    p, q = teacher[mask].softmax(-1), student.detach()[mask].softmax(-1)
    assert soft_tag_loss(student.detach(), teacher, mask, 1.0).item() == pytest.approx(
        (p * (p.log() - q.log())).sum(-1).mean().item(), rel=1e-5)
    none = torch.zeros(2, 5, dtype=torch.bool)
    assert soft_tag_loss(student, teacher, none, 2.0).item() == 0.0


def test_a_student_starts_from_its_teachers_first_layers(tiny_bert, tiny_checkpoint):
    from safetensors.torch import load_file

    from qawl.data.schema import layer_tags
    from qawl.models.tagger import build_tagger

    labels = {"ner": layer_tags("ner"), "quote": layer_tags("quote")}
    student = build_tagger(tiny_bert, labels, keep_layers=1)
    copied = init_from_checkpoint(student, tiny_checkpoint)
    teacher = load_file(tiny_checkpoint / "model.safetensors")
    own = student.state_dict()
    assert copied == sum(1 for k in own if k in teacher)  # every shared tensor: embeddings, layer 0, heads
    assert all(own[k].equal(teacher[k]) for k in own if k in teacher)
    assert not any(".layer.1." in k for k in own) and any(".layer.1." in k for k in teacher)


def test_a_student_of_another_vocabulary_is_refused(tiny_checkpoint, tmp_path):
    from qawl.data.schema import layer_tags
    from qawl.models.tagger import build_tagger
    from tiny import make_tiny_base

    other = make_tiny_base(tmp_path / "xlmr", "xlmr")
    student = build_tagger(other, {"ner": layer_tags("ner")})
    with pytest.raises(ConfigError, match="model.init_from: .* word pieces"):
        init_from_checkpoint(student, tiny_checkpoint)


def divergence(teacher_dir, student_dir) -> float:
    """Mean KL(teacher || student) of the tag distributions (T = 1, both layers) over the
    sample test articles' first 64 tokens: what distillation makes small."""
    from qawl.data.article import read_articles
    from qawl.train.prediction.predict import load_checkpoint

    teacher, tokenizer, _, _ = load_checkpoint(teacher_dir)
    student = load_checkpoint(student_dir)[0]
    texts = [a["text"] for a in read_articles(SAMPLE / "test.jsonl")]
    batch = tokenizer(texts, truncation=True, max_length=64, padding=True, return_tensors="pt")
    with torch.no_grad():
        t = teacher(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        s = student(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    mask = batch["attention_mask"].bool()
    return sum(soft_tag_loss(s[k], t[k], mask, 1.0).item() for k in t)


def test_train_py_distils_the_teacher_into_a_smaller_student(tiny_bert, tiny_checkpoint, tmp_path):
    # the student starts from the base, not the teacher (which the tiny teacher's first layer and heads
    # would already match): distillation alone must bring it close
    common = ["model.keep_layers=1", f"train.teacher={tiny_checkpoint}",
              "train.distill_weight=1.0", "train.lr=5e-3", "train.head_lr=5e-3", "eval.splits=[]",
              f"data.corpora.0.train=[{SAMPLE / 'train.jsonl'}]"]
    start = tmp_path / "start"  # the student as initialised: no step taken
    run([sys.executable, "train.py", *tiny_overrides(tiny_bert, start, *common, "train.lr=0", "train.head_lr=0",
                                                     "train.max_steps=1")])
    taught = tmp_path / "taught"
    run([sys.executable, "train.py", *tiny_overrides(tiny_bert, taught, *common, "train.max_steps=40")])
    import json

    assert json.loads((taught / "model" / "config.json").read_text())["encoder"]["num_hidden_layers"] == 1
    before, after = divergence(tiny_checkpoint, start / "model"), divergence(tiny_checkpoint, taught / "model")
    assert after < 0.5 * before, (before, after)


def test_a_teacher_with_other_layers_is_refused(tiny_bert, tiny_checkpoint, tmp_path):
    res = __import__("subprocess").run(
        [sys.executable, "train.py", *tiny_overrides(tiny_bert, tmp_path / "x", "model.layers=[ner]",
                                                     f"train.teacher={tiny_checkpoint}", "train.metric=ner_f1",
                                                     "train.max_steps=1", "eval.splits=[]")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 1 and "train.teacher:" in res.stderr and "Traceback" not in res.stderr

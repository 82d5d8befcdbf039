"""The optimizer's per-layer groups and the schedule, on a tiny tagger."""
from __future__ import annotations

import pytest
import torch

from qawl.data.schema import layer_tags
from qawl.models.tagger import build_tagger
from qawl.train.config import TrainConfig
from qawl.train.recipe.optim import layer_of, make_optimizer, make_schedule, parameter_groups
from tiny import make_tiny_base

LAYERS = {"ner": layer_tags("ner"), "quote": layer_tags("quote")}


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    torch.manual_seed(1)
    base = make_tiny_base(tmp_path_factory.mktemp("bert"), "bert", layers=4)
    return build_tagger(base, LAYERS, crf=["quote"])


def test_layer_of_orders_parameters_by_depth(tagger):
    depths = {name: layer_of(name) for name, _ in tagger.named_parameters()}
    assert {n for n, d in depths.items() if d is None} == {
        n for n, _ in tagger.named_parameters() if n.startswith(("heads.", "crfs."))
    }
    assert all(d == 0 for n, d in depths.items() if ".embeddings." in n)
    for i in range(4):
        assert {d for n, d in depths.items() if f".layer.{i}." in n} == {i + 1}
    assert max(d for d in depths.values() if d is not None) == 4


def test_groups_decay_the_learning_rate_down_the_layers_and_freeze_word_embeddings(tagger):
    cfg = TrainConfig(lr=1e-4, head_lr=1e-3, layer_decay=0.5, embedding_lr=0.0, weight_decay=0.01)
    groups = parameter_groups(tagger, cfg)
    lr_of = {id(p): g["lr"] for g in groups for p in g["params"]}
    wd_of = {id(p): g["weight_decay"] for g in groups for p in g["params"]}
    for name, p in tagger.named_parameters():
        if "word_embeddings" in name:
            assert id(p) not in lr_of and not p.requires_grad  # frozen: no optimizer state
            continue
        depth = layer_of(name)
        expected = cfg.head_lr if depth is None else cfg.lr * cfg.layer_decay ** (4 - depth)
        assert lr_of[id(p)] == pytest.approx(expected), name
        assert wd_of[id(p)] == (0.0 if p.ndim < 2 else cfg.weight_decay), name
    for p in tagger.parameters():
        p.requires_grad_(True)


def test_schedule_warms_up_then_decays_linearly_to_zero(tagger):
    cfg = TrainConfig(lr=1e-4, head_lr=1e-3, layer_decay=1.0, embedding_lr=None)
    optimizer = make_optimizer(tagger, cfg)
    peak = [g["lr"] for g in optimizer.param_groups]
    schedule = make_schedule(optimizer, total_steps=10, warmup_ratio=0.2)
    seen = []
    for _ in range(10):
        seen.append([g["lr"] / p for g, p in zip(optimizer.param_groups, peak)])
        optimizer.step()
        schedule.step()
    factors = [f[0] for f in seen]
    assert all(f == pytest.approx(factors[i]) for i, row in enumerate(seen) for f in row)  # every group alike
    assert factors[:3] == pytest.approx([1 / 3, 2 / 3, 1.0])  # 2 warmup steps
    assert factors[2:] == pytest.approx([(10 - s) / 8 for s in range(2, 10)])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0)

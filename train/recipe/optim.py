"""Optimizer and schedule: AdamW over per-layer learning-rate groups, warmup + linear decay."""
from __future__ import annotations

import torch

from qawl.models.tagger import LAYER_NUMBER

from ..config import TrainConfig


def layer_of(name: str) -> int | None:
    """Depth of a tagger parameter, for per-layer learning rates.

    Names as in ``QawlForTokenClassification.named_parameters()``: block ``i``
    of the encoder -> ``i + 1``; the encoder's embeddings (and their
    projection) -> 0; heads, CRFs and any other encoder part -> ``None``
    (trained at ``head_lr``).
    """
    if not name.startswith("encoder."):
        return None
    m = LAYER_NUMBER.search(name)
    if m:
        return int(m.group(1)) + 1
    if "embeddings" in name:
        return 0
    return None  # pooler and other top-level encoder parts train like heads


def parameter_groups(model: torch.nn.Module, cfg: TrainConfig) -> list[dict]:
    """AdamW parameter groups.

    Encoder layer ``i`` (of ``L``) gets ``lr * layer_decay ** (L - i)``; the
    word-embedding table gets ``embedding_lr`` (0 freezes it: with a 250k-row
    table its gradient and optimizer update are most of a step's cost); heads and CRFs ``head_lr``.
    Biases and LayerNorm weights have no weight decay.
    """
    named = list(model.named_parameters())
    depth = max((layer_of(n) or 0) for n, _ in named)
    groups: dict[tuple[float, float], list] = {}
    for name, p in named:
        if "word_embeddings" in name and cfg.embedding_lr is not None:
            lr = cfg.embedding_lr
        else:
            d = layer_of(name)
            lr = cfg.head_lr if d is None else cfg.lr * cfg.layer_decay ** (depth - d)
        if lr == 0 and "word_embeddings" in name:
            p.requires_grad_(False)  # frozen: no gradient, no optimizer state
            continue
        if not p.requires_grad:
            continue
        wd = 0.0 if p.ndim < 2 else cfg.weight_decay
        groups.setdefault((lr, wd), []).append(p)
    return [{"params": ps, "lr": lr, "weight_decay": wd} for (lr, wd), ps in groups.items()]


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    return torch.optim.AdamW(parameter_groups(model, cfg), lr=cfg.lr)


def make_schedule(optimizer: torch.optim.Optimizer, total_steps: int, warmup_ratio: float):
    """Linear warmup to each group's lr over ``warmup_ratio`` of the steps, then linear decay to 0."""
    warmup = max(0, round(total_steps * warmup_ratio))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)

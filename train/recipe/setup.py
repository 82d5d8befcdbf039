"""Small pieces the recipe in ``train.py`` is made of."""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch

from qawl.data.schema import layer_tags

from ..config import DEFAULT_CONFIG, Config, ConfigError, ModelConfig, load_config, locate

def parse_cli(argv: list[str] | None = None) -> Config:
    """``[--config FILE] [key.path=value ...]`` -> merged :class:`Config`."""
    p = argparse.ArgumentParser(prog="train.py", description="Fine-tune a qawl tagger.")
    p.add_argument("--config", default=str(DEFAULT_CONFIG),
                   help="YAML config, or the name of a shipped one (default: configs/default.yaml)")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. train.lr=3e-5")
    args = p.parse_args(argv)
    return load_config(args.config, args.overrides)


def make_accelerator(cfg: Config):
    """An Accelerator with accumulation, mixed precision and trackers from the config."""
    from accelerate import Accelerator
    from accelerate.utils import ProjectConfiguration

    t = cfg.train
    threads = choose_threads(t.threads, os.environ)
    torch.set_num_threads(threads)
    precision = t.mixed_precision
    if precision == "auto":
        precision = "no"
        if torch.cuda.is_available():
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    trackers = t.trackers if t.trackers != ["all"] else "all"
    acc = Accelerator(
        gradient_accumulation_steps=t.grad_accum,
        mixed_precision=precision,
        log_with=trackers or None,
        project_config=ProjectConfiguration(project_dir=t.output_dir, logging_dir=str(Path(t.output_dir) / "logs")),
    )
    return acc


def choose_threads(configured: int, env) -> int:
    """Torch threads per process: ``train.threads`` when set; else an explicit
    ``OMP_NUM_THREADS``; else the cores this process may use, shared among
    the processes on this machine. ``accelerate launch`` sets
    ``OMP_NUM_THREADS=1`` by itself on CPU, which would leave all cores but one
    idle: under its launcher a 1 counts as not set (``train.threads=1`` asks
    for one thread)."""
    if configured > 0:
        return configured
    omp = env.get("OMP_NUM_THREADS", "")
    launched = any(key.startswith("ACCELERATE_") for key in env)
    if omp.isdigit() and int(omp) > 0 and not (launched and omp == "1"):
        return int(omp)
    local = int(env.get("LOCAL_WORLD_SIZE", "1") or 1)  # processes on this machine
    return max(1, len(os.sched_getaffinity(0)) // max(local, 1))


def label_lists(model_cfg: ModelConfig) -> dict[str, list[str]]:
    """Layer -> BIO labels, from the data layer's schema."""
    return {layer: layer_tags(layer) for layer in model_cfg.layers}


def load_base(cfg: Config):
    """(local base folder or hub id, tokenizer); refuses windows longer than the
    encoder takes before any corpus is read."""
    from transformers import AutoConfig, AutoTokenizer

    from qawl.models.base import resolve_base

    model_cfg = cfg.model
    keep = None if model_cfg.keep_pieces is None else locate(model_cfg.keep_pieces)
    base = resolve_base(locate(model_cfg.base), keep_pieces=keep)
    limit = usable_positions(AutoConfig.from_pretrained(base))
    if cfg.data.max_length > limit:
        raise ConfigError(f"data.max_length={cfg.data.max_length}: the encoder of {model_cfg.base} takes at most {limit} tokens")
    return base, AutoTokenizer.from_pretrained(base)


def usable_positions(encoder_config) -> int:
    """Longest input the encoder's position table takes (RoBERTa-style models
    start positions after the padding index)."""
    n = getattr(encoder_config, "max_position_embeddings", 512)
    if getattr(encoder_config, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
        n -= getattr(encoder_config, "pad_token_id", 1) + 1
    return n


def make_model(cfg: Config, base: str):
    """The tagger on ``base``."""
    from qawl.models.tagger import build_tagger

    model_cfg = cfg.model
    model = build_tagger(
        base,
        label_lists(model_cfg),
        crf=list(model_cfg.crf),
        keep_layers=model_cfg.keep_layers,
        reinit_top=model_cfg.reinit_top,
        dropout=model_cfg.dropout,
        loss_weights=dict(model_cfg.loss_weights) or None,
    )
    return model


class MetricsLog:
    """Appends metrics to ``metrics.jsonl`` and to accelerate's trackers."""

    def __init__(self, accelerator, output_dir: str | Path):
        self.acc = accelerator
        self.path = Path(output_dir) / "metrics.jsonl"

    def __call__(self, metrics: dict, step: int) -> None:
        if not self.acc.is_main_process:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"step": step, **metrics}, ensure_ascii=False) + "\n")
        self.acc.log(metrics, step=step)


def load_weights(accelerator, model, ckpt_dir: str | Path) -> None:
    """Load a saved checkpoint's weights into the (prepared) model in place."""
    from safetensors.torch import load_file

    accelerator.wait_for_everyone()
    state = {}
    for f in sorted(Path(ckpt_dir).glob("*.safetensors")):
        state.update(load_file(str(f)))
    missing, unexpected = accelerator.unwrap_model(model).load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise RuntimeError(f"{ckpt_dir}: checkpoint does not match the model (missing {missing[:5]}, unexpected {unexpected[:5]})")

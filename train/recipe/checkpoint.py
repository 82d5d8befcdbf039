"""Self-describing checkpoint folders.

A checkpoint holds: safetensors weights and the model code (``config.json``
with each layer's labels and ``auto_map``), the tokenizer, ``labels.json``,
``scores.json``, a model card (``README.md``), its own pipeline
(``pipeline_qawl.py`` and the data modules it needs) and, in
``config.json``, how it reads text (``qawl_windows``): the one place
``qawl predict``, ``qawl evaluate`` and the carried pipeline take those
settings from. ``qawl.yaml`` is the merged run config, kept as the record
of how the model was trained; nothing reads it back to predict.
"""
from __future__ import annotations

import json
from pathlib import Path

from qawl.models.carry import attach_pipeline

from ..config import Config, save_config
from ..corpora import window_spec
from .card import write_card

RUN_CONFIG = "qawl.yaml"


def save_checkpoint(accelerator, model, tokenizer, cfg: Config, out_dir: str | Path, scores: dict | None = None) -> Path:
    """Write a checkpoint (main process only; every process must call it)."""
    out = Path(out_dir)
    accelerator.wait_for_everyone()
    state_dict = accelerator.get_state_dict(model)
    if accelerator.is_main_process:
        core = accelerator.unwrap_model(model)
        core.save_pretrained(out, state_dict=state_dict, safe_serialization=True)
        tokenizer.save_pretrained(out)
        attach_pipeline(out, window_spec(cfg.data))
        (out / "labels.json").write_text(json.dumps(core.config.layers, ensure_ascii=False, indent=2))
        save_config(cfg, out / RUN_CONFIG)
        write_scores(out, cfg, scores or {})
    accelerator.wait_for_everyone()
    return out


def write_scores(out: Path, cfg: Config, scores: dict) -> None:
    """``scores.json`` and the model card, from split -> scores."""
    (out / "scores.json").write_text(json.dumps(scores, ensure_ascii=False, indent=2))
    labels = json.loads((out / "labels.json").read_text())
    write_card(out, cfg, labels, scores)

"""Self-describing checkpoint folders.

A checkpoint holds: safetensors weights and the model code (``config.json``
with each layer's labels and ``auto_map``), the tokenizer, ``labels.json``,
the merged run config (``qawl.yaml``), ``scores.json``, a model card
(``README.md``) and its own pipeline (``pipeline_qawl.py`` and the data
modules it needs, registered in ``config.json`` with the window settings):
``transformers.pipeline(model=FOLDER, trust_remote_code=True)`` runs it.
"""
from __future__ import annotations

import json
from pathlib import Path

from models.carry import attach_pipeline

from .card import write_card
from .config import Config, save_config
from .corpora import window_spec

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
        write_scores(out, scores or {})
    accelerator.wait_for_everyone()
    return out


def write_scores(out: Path, scores: dict) -> None:
    """``scores.json`` and the model card, from split -> scores."""
    (out / "scores.json").write_text(json.dumps(scores, ensure_ascii=False, indent=2))
    from .config import load_config

    cfg = load_config(out / RUN_CONFIG) if (out / RUN_CONFIG).exists() else Config()
    labels = json.loads((out / "labels.json").read_text()) if (out / "labels.json").exists() else {}
    write_card(out, cfg, labels, scores)

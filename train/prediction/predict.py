"""Run a saved checkpoint over articles: the path ``qawl predict`` and
``qawl evaluate`` share with training's evaluation.

How a checkpoint reads text (window length, stride, tokenization, which
sub-words carry tags, normalisation) has one source: ``qawl_windows`` in its
``config.json``, the settings the carried pipeline reads too. A checkpoint
without them is refused, never read with defaults.
"""
from __future__ import annotations

from pathlib import Path

from qawl.data.build import WindowSpec, window_spec_from_config
from qawl.data.decode import quote_decoding

from ..batching import window_loader
from ..corpora import make_split
from .windows import assemble_articles, predict_windows


class CheckpointError(ValueError):
    """A folder that is not a usable qawl checkpoint."""


def load_checkpoint(ckpt: str | Path):
    """(model in eval mode, tokenizer, window settings, label lists) of a checkpoint folder."""
    from qawl.models.modeling_qawl import QawlForTokenClassification
    from transformers import AutoTokenizer

    ckpt = Path(ckpt)
    if not (ckpt / "config.json").is_file():
        raise CheckpointError(f"{ckpt}: not a checkpoint folder (no config.json)")
    model = QawlForTokenClassification.from_pretrained(str(ckpt)).eval()
    try:
        spec = window_spec_from_config(getattr(model.config, "qawl_windows", None))
    except ValueError as err:
        raise CheckpointError(f"{ckpt / 'config.json'}: {err}") from None
    tokenizer = AutoTokenizer.from_pretrained(str(ckpt))
    labels = {k: list(v) for k, v in model.config.layers.items()}
    return model, tokenizer, spec, labels


def default_accelerator():
    """An Accelerator on the GPU where there is one, else the CPU."""
    import torch
    from accelerate import Accelerator

    return Accelerator(cpu=not torch.cuda.is_available())


def predict_articles(model, tokenizer, spec: WindowSpec, labels: dict, articles: list[dict], *, batch_size: int = 16,
                     accelerator=None) -> list[dict]:
    """Predicted articles (entities and attributed quotes) for ``id``/``text`` articles.

    Extra keys of the inputs are kept; gold annotations in them are replaced.
    """
    accelerator = accelerator or default_accelerator()
    plain = [{"id": a["id"], "text": a["text"]} for a in articles]
    split = make_split(plain, tokenizer, spec)
    layers = list(labels)
    decoding = quote_decoding(model.config)
    model = accelerator.prepare_model(model, evaluation_mode=True)
    loader = accelerator.prepare_data_loader(window_loader(split.windows, batch_size, tokenizer.pad_token_id, layers))
    preds, _ = predict_windows(model, loader, accelerator, layers)
    out = []
    for src, pred in zip(articles, assemble_articles(split, preds, labels, decoding)):
        extra = {k: v for k, v in src.items() if k not in ("entities", "quotes")}
        out.append({**extra, **pred})
    return out

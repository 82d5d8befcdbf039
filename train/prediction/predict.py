"""Run a saved checkpoint over articles: the path ``qawl predict`` and
``qawl evaluate`` share with training's evaluation.

How a checkpoint reads text (window length, stride, tokenization, which
sub-words carry tags, normalisation) has one source: ``qawl_windows`` in its
``config.json``, the settings the carried pipeline reads too. A checkpoint
without them is refused, never read with defaults; so is one with pickled
weights (safetensors only). Importing this module is cheap (no torch), so
the command line checks a checkpoint folder before loading anything heavy.
"""
from __future__ import annotations

from pathlib import Path

from qawl.data.article import parse_json
from qawl.data.build import WindowSpec, window_spec_from_config
from qawl.data.decode import quote_decoding
from qawl.data.textio import TextError, read_text

#: file endings of pickled weights: loading one can run code, so a checkpoint holding one is refused
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


class CheckpointError(ValueError):
    """A folder that is not a usable qawl checkpoint."""


def check_checkpoint(ckpt: str | Path) -> dict:
    """The ``config.json`` of a checkpoint folder, after the refusals that need no model loaded.

    Refused, each with the folder named: not a folder; no ``config.json`` or
    one that is not a JSON object; no window settings (``qawl_windows``);
    pickled weights (:data:`PICKLE_SUFFIXES`) beside or instead of
    safetensors; no ``.safetensors`` weights.
    """
    ckpt = Path(ckpt)
    if not ckpt.is_dir():
        raise CheckpointError(f"{ckpt}: no such checkpoint folder")
    config_file = ckpt / "config.json"
    if not config_file.is_file():
        raise CheckpointError(f"{ckpt}: not a checkpoint folder (no config.json)")
    try:
        config, why = parse_json(read_text(config_file))
    except TextError as err:
        raise CheckpointError(str(err)) from None
    if why is not None or not isinstance(config, dict):
        raise CheckpointError(f"{config_file}: {why or 'not a JSON object'}")
    try:
        window_spec_from_config(config.get("qawl_windows"))
    except ValueError as err:
        raise CheckpointError(f"{config_file}: {err}") from None
    pickled = sorted(p.name for p in ckpt.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickled:
        raise CheckpointError(f"{ckpt}: holds pickled weights ({', '.join(pickled)}), which can run code when "
                              "loaded; qawl reads safetensors only: remove them")
    if not any(ckpt.glob("*.safetensors")):
        raise CheckpointError(f"{ckpt}: no .safetensors weights")
    return config


def load_checkpoint(ckpt: str | Path):
    """(model in eval mode, tokenizer, window settings, label lists) of a checkpoint folder.

    :func:`check_checkpoint` first; then a folder whose weights or tokenizer
    do not load is a :class:`CheckpointError` naming it.
    """
    from qawl.models.modeling_qawl import QawlForTokenClassification
    from transformers import AutoTokenizer

    ckpt = Path(ckpt)
    config = check_checkpoint(ckpt)
    spec = window_spec_from_config(config["qawl_windows"])
    try:
        model = QawlForTokenClassification.from_pretrained(str(ckpt), use_safetensors=True).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(ckpt))
    except (OSError, ValueError, KeyError) as err:
        raise CheckpointError(f"{ckpt}: cannot be loaded as a qawl checkpoint ({err})") from None
    labels = {k: list(v) for k, v in model.config.layers.items()}
    return model, tokenizer, spec, labels


def default_accelerator():
    """An Accelerator on the GPU where there is one, else the CPU."""
    import torch
    from accelerate import Accelerator

    return Accelerator(cpu=not torch.cuda.is_available())


def predict_articles(model, tokenizer, spec: WindowSpec, labels: dict, articles: list[dict], *, batch_size: int = 16,
                     accelerator=None) -> list[dict]:
    """Predicted articles (entities and attributed quotes) for ``id``/``text`` articles,
    the windows spread across ``accelerator``'s processes (evaluation).

    Extra keys of the inputs are kept; gold annotations in them are replaced.
    """
    from ..batching import window_loader
    from .windows import predict_windows

    accelerator = accelerator or default_accelerator()
    split = _split(tokenizer, spec, articles)
    layers = list(labels)
    decoding = quote_decoding(model.config)
    model = accelerator.prepare_model(model, evaluation_mode=True)
    loader = accelerator.prepare_data_loader(window_loader(split.windows, batch_size, tokenizer.pad_token_id, layers))
    preds, _ = predict_windows(model, loader, accelerator, layers)
    return _with_inputs(articles, split, preds, labels, decoding)


def predict_here(model, tokenizer, spec: WindowSpec, labels: dict, articles: list[dict], *, batch_size: int = 16,
                 device=None) -> list[dict]:
    """:func:`predict_articles` in this process alone, the model on ``device``
    (default: where it is): one block of a streamed, perhaps sharded, run."""
    from ..batching import window_loader
    from .windows import predict_windows_here

    device = device or next(model.parameters()).device
    split = _split(tokenizer, spec, articles)
    layers = list(labels)
    loader = window_loader(split.windows, batch_size, tokenizer.pad_token_id, layers)
    preds = predict_windows_here(model, loader, device, layers)
    return _with_inputs(articles, split, preds, labels, quote_decoding(model.config))


def _split(tokenizer, spec: WindowSpec, articles: list[dict]):
    from ..corpora import make_split

    return make_split([{"id": a["id"], "text": a["text"]} for a in articles], tokenizer, spec)


def _with_inputs(articles: list[dict], split, preds, labels: dict, decoding) -> list[dict]:
    """Each input's extra keys with its prediction (entities, quotes) in place of any gold."""
    from .windows import assemble_articles

    out = []
    for src, pred in zip(articles, assemble_articles(split, preds, labels, decoding)):
        extra = {k: v for k, v in src.items() if k not in ("entities", "quotes")}
        out.append({**extra, **pred})
    return out

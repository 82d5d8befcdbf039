"""Build a :class:`QawlForTokenClassification` on a pretrained encoder.

The encoder can be cut to its first ``keep_layers`` blocks and its top
``reinit_top`` kept blocks re-initialised. Both matter for the offline base
(multilingual-e5-small): its top layers were shaped by retrieval training,
and a tagger on the first 8 of its 12 layers trains better and faster.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import torch
from torch import nn

from .modeling_qawl import QawlForTokenClassification, QawlTaggerConfig, choose_encoder_options

#: ``.layer.3.`` / ``.layers.3.``: the block index inside an encoder parameter name
LAYER_NUMBER = re.compile(r"\.layers?\.(\d+)\.")
#: encoder config keys that describe where it came from, not what it is
PROVENANCE_KEYS = ("_name_or_path", "architectures", "transformers_version")


def build_tagger(
    base: str,
    layers: dict[str, list[str]],
    *,
    crf: Iterable[str] = (),
    keep_layers: int | None = None,
    reinit_top: int = 0,
    dropout: float = 0.1,
    loss_weights: dict[str, float] | None = None,
) -> QawlForTokenClassification:
    """A tagger whose encoder carries the pretrained weights of ``base``.

    ``base``: local folder or hub id of an encoder checkpoint (any head is
    ignored); ``layers``: layer name -> BIO tag list (index = class id), taken
    from the data; ``crf``: layers to decode with a CRF; ``keep_layers``: keep
    only the first that many transformer blocks (the saved config says so);
    ``reinit_top``: re-initialise that many of the top kept blocks;
    ``dropout``: before the heads; ``loss_weights``: layer -> weight
    (default 1). Heads and CRFs start from their own initialisation.
    """
    from transformers import AutoConfig

    encoder_config = AutoConfig.from_pretrained(base)
    total = encoder_config.num_hidden_layers
    kept = total if keep_layers is None else keep_layers
    if not 1 <= kept <= total:
        raise ValueError(f"keep_layers={keep_layers}: {base} has {total} layers; keep between 1 and {total}")
    if not 0 <= reinit_top <= kept:
        raise ValueError(f"reinit_top={reinit_top}: must be between 0 and the {kept} kept layers")
    encoder_config.num_hidden_layers = kept

    config = QawlTaggerConfig(
        encoder=dump_encoder_config(encoder_config),
        layers={name: list(tags) for name, tags in layers.items()},
        crf=list(crf),
        loss_weights=loss_weights,
        classifier_dropout=dropout,
    )
    model = QawlForTokenClassification(config)
    pretrained = load_pretrained_encoder(base, choose_encoder_options(encoder_config))
    load_encoder_weights(model.encoder, pretrained.state_dict(), kept, source=base)
    del pretrained
    blocks = find_encoder_blocks(model.encoder)
    reinit_blocks(blocks[kept - reinit_top :], std=getattr(model.encoder.config, "initializer_range", 0.02))
    return model


def dump_encoder_config(config) -> dict:
    """An encoder ``PretrainedConfig`` as the plain dict a tagger config stores."""
    fields = config.to_dict()
    for key in PROVENANCE_KEYS:
        fields.pop(key, None)
    return fields


def load_pretrained_encoder(base: str, options: dict) -> nn.Module:
    """The full-depth pretrained encoder of ``base``; ``ValueError`` if the checkpoint lacks any of its weights.

    The checkpoint's other weights (pretraining heads, a pooler) are expected
    and ignored, so transformers' load report is kept quiet here.
    """
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        encoder, info = AutoModel.from_pretrained(base, output_loading_info=True, **options)
    finally:
        hf_logging.set_verbosity(verbosity)
    missing = sorted(info["missing_keys"])
    if missing:
        raise ValueError(f"{base}: checkpoint lacks encoder weights {missing[:10]} ({len(missing)} in all)")
    return encoder


def load_encoder_weights(encoder: nn.Module, weights: dict[str, torch.Tensor], kept: int, *, source: str) -> None:
    """Copy ``weights`` (a full pretrained encoder's state dict) into ``encoder``.

    Weights of blocks at index >= ``kept`` and of the pooler are expected to
    be left over and are skipped; any other mismatch raises ``ValueError``.
    """
    wanted = encoder.state_dict()
    chosen, unexpected = {}, []
    for name, tensor in weights.items():
        if name in wanted:
            chosen[name] = tensor
            continue
        match = LAYER_NUMBER.search("." + name)
        dropped_block = match is not None and int(match.group(1)) >= kept
        if not (dropped_block or name.startswith("pooler.")):
            unexpected.append(name)
    missing = sorted(set(wanted) - set(chosen))
    if missing or unexpected:
        raise ValueError(f"{source}: encoder weights do not fit; missing {missing[:10]}, unexpected {unexpected[:10]}")
    for name, tensor in chosen.items():
        if tensor.shape != wanted[name].shape:
            expected = tuple(wanted[name].shape)
            raise ValueError(f"{source}: weight {name} has shape {tuple(tensor.shape)}, expected {expected}")
    encoder.load_state_dict(chosen, strict=True)


def find_encoder_blocks(encoder: nn.Module) -> nn.ModuleList:
    """The encoder's list of transformer blocks (``encoder.layer`` in BERT-like models)."""
    count = encoder.config.num_hidden_layers
    for name, module in encoder.named_modules():
        is_block_list = isinstance(module, nn.ModuleList) and name.rsplit(".", 1)[-1] in ("layer", "layers")
        if is_block_list and len(module) == count:
            return module
    raise ValueError(f"{type(encoder).__name__}: no list of {count} transformer blocks named `layer` or `layers`")


@torch.no_grad()
def reinit_blocks(blocks: Iterable[nn.Module], *, std: float) -> None:
    """Fresh BERT-style initialisation of ``blocks``: normal(0, std) matrices, zero biases, unit norms."""
    for block in blocks:
        for module in block.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=std)
            elif "Norm" in type(module).__name__ and getattr(module, "weight", None) is not None:
                nn.init.ones_(module.weight)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)

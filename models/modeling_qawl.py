"""One encoder, one token-classification head per label layer, optional CRF.

This file travels inside every saved checkpoint and is what
``AutoModelForTokenClassification.from_pretrained(DIR, trust_remote_code=True)``
runs, so it imports only torch, transformers and the standard library.

Shapes: ``B`` batch, ``T`` sequence length, ``L`` scored positions of the
longest sequence, ``N`` tags of one layer. Label tensors use ``-100`` for
positions that are not scored (special tokens, non-first subwords, padding,
or a layer the example is not annotated for).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from transformers import (
    MODEL_MAPPING,
    AutoConfig,
    AutoModel,
    AutoModelForTokenClassification,
    PretrainedConfig,
    PreTrainedModel,
)
from transformers.utils import ModelOutput

IGNORE_INDEX = -100


class QawlTaggerConfig(PretrainedConfig):
    """Config of :class:`QawlForTokenClassification`.

    ``encoder``: the encoder's config as a plain dict (``to_dict()`` form, with
    ``model_type``); ``layers``: layer name -> BIO tag list (index = class id);
    ``crf``: names of the layers decoded with a CRF; ``loss_weights``: layer
    name -> weight of that layer's loss; ``classifier_dropout``: dropout before
    the heads.
    """

    model_type = "qawl_tagger"

    def __init__(
        self,
        encoder: dict | None = None,
        layers: dict[str, list[str]] | None = None,
        crf: list[str] | None = None,
        loss_weights: dict[str, float] | None = None,
        classifier_dropout: float = 0.1,
        **kwargs,
    ):
        self.encoder = dict(encoder or {})
        self.layers = {str(name): [str(tag) for tag in tags] for name, tags in (layers or {}).items()}
        self.crf = [str(name) for name in (crf or [])]
        weights = {str(name): float(w) for name, w in (loss_weights or {}).items()}
        self.loss_weights = {name: weights.get(name, 1.0) for name in self.layers} | weights
        self.classifier_dropout = float(classifier_dropout)
        super().__init__(**kwargs)


def check_tagger_config(config: QawlTaggerConfig) -> None:
    """Raise ``ValueError`` naming what is inconsistent in ``config``."""
    if not config.encoder.get("model_type"):
        raise ValueError("tagger config: `encoder` must be an encoder config dict with a `model_type`")
    if not config.layers:
        raise ValueError("tagger config: `layers` is empty; give at least one layer and its tags")
    for name, tags in config.layers.items():
        if not name or "." in name:
            raise ValueError(f"tagger config: layer name {name!r} must be non-empty and contain no '.'")
        if not tags or len(set(tags)) != len(tags):
            raise ValueError(f"tagger config: layer {name!r} needs a non-empty list of distinct tags, got {tags}")
    for key, names in (("crf", config.crf), ("loss_weights", list(config.loss_weights))):
        unknown = sorted(set(names) - set(config.layers))
        if unknown:
            raise ValueError(
                f"tagger config: `{key}` names unknown layer(s) {unknown}; layers are {sorted(config.layers)}"
            )


def make_encoder_config(encoder: dict) -> PretrainedConfig:
    """The encoder's ``PretrainedConfig`` from its dict form (``to_dict()`` output)."""
    fields = dict(encoder)
    model_type = fields.pop("model_type", None)
    if not model_type:
        raise ValueError("encoder config dict has no `model_type`")
    return AutoConfig.for_model(model_type, **fields)


def choose_encoder_options(config: PretrainedConfig) -> dict:
    """Keyword arguments that build the encoder for ``config`` without a pooler.

    Token tagging never reads the pooled output; leaving the pooler out keeps
    every parameter trained and matches the encoder inside transformers'
    ``<Encoder>ForTokenClassification`` classes (which is what export writes).
    """
    try:
        encoder_class = MODEL_MAPPING[type(config)]
    except KeyError:
        return {}
    takes_flag = "add_pooling_layer" in inspect.signature(encoder_class.__init__).parameters
    return {"add_pooling_layer": False} if takes_flag else {}


def make_encoder(config: PretrainedConfig) -> PreTrainedModel:
    """A randomly initialised base encoder for ``config``, without a pooler."""
    return AutoModel.from_config(config, **choose_encoder_options(config))


# ---------------------------------------------------------------- BIO rules


def _split_tag(tag: str) -> tuple[str, str | None]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` and unknown forms -> ``("O", None)``."""
    if tag[:2] in ("B-", "I-") and len(tag) > 2:
        return tag[0], tag[2:]
    return "O", None


def build_bio_masks(tags: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Which tags may start a sequence and follow one another in valid BIO.

    Returns ``start_ok`` BoolTensor(N) and ``step_ok`` BoolTensor(N, N) indexed
    ``[previous, next]``: ``I-X`` may not start a sequence and may only follow
    ``B-X`` or ``I-X``; everything else is free.
    """
    parts = [_split_tag(t) for t in tags]
    n = len(tags)
    start_ok = torch.tensor([p[0] != "I" for p in parts], dtype=torch.bool)
    step_ok = torch.ones(n, n, dtype=torch.bool)
    for j, (kind, label) in enumerate(parts):
        if kind == "I":
            for i, (prev_kind, prev_label) in enumerate(parts):
                step_ok[i, j] = prev_kind in ("B", "I") and prev_label == label
    return start_ok, step_ok


# ---------------------------------------------------------------- CRF


def compact(values: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move the kept positions of each row to its front, in order.

    ``values`` (B, T, ...) and ``keep`` BoolTensor(B, T) -> ``(packed, packed_mask)``
    with ``packed`` (B, L, ...) and ``packed_mask`` BoolTensor(B, L), ``L`` =
    max(1, most kept positions in a row); positions past a row's count are
    filler and ``False`` in the mask.
    """
    counts = keep.sum(dim=1)
    width = max(int(counts.max()) if counts.numel() else 0, 1)
    order = torch.sort((~keep).to(torch.uint8), dim=1, stable=True).indices[:, :width]
    index = order.reshape(order.shape + (1,) * (values.dim() - 2)).expand(order.shape + values.shape[2:])
    packed = values.gather(1, index)
    packed_mask = torch.arange(width, device=keep.device).unsqueeze(0) < counts.unsqueeze(1)
    return packed, packed_mask


class LinearChainCRF(nn.Module):
    """Transition, start and end scores over one layer's tags.

    Training uses the unconstrained chain (a window cut inside a span can
    start with ``I-X``); decoding forbids invalid BIO.
    """

    def __init__(self, tags: list[str]):
        super().__init__()
        self.tags = list(tags)
        n = len(self.tags)
        self.transitions = nn.Parameter(torch.zeros(n, n))  # [previous, next]
        self.start = nn.Parameter(torch.zeros(n))
        self.end = nn.Parameter(torch.zeros(n))

    def compute_nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Sum over rows of ``-log p(tags | emissions)``; rows with no position give 0.

        ``emissions`` (B, L, N) float, ``tags`` LongTensor(B, L), ``mask``
        BoolTensor(B, L) true on a prefix of each row (see :func:`compact`).
        """
        tags = tags.clamp(min=0)
        lengths = mask.sum(dim=1)
        on = mask.to(emissions.dtype)
        gold = (emissions.gather(2, tags.unsqueeze(2)).squeeze(2) * on).sum(dim=1)
        gold = gold + (self.transitions[tags[:, :-1], tags[:, 1:]] * on[:, 1:]).sum(dim=1)
        last = tags.gather(1, (lengths - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
        gold = gold + self.start[tags[:, 0]] + self.end[last]

        alpha = self.start + emissions[:, 0]  # (B, N)
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(mask[:, t : t + 1], step, alpha)
        log_partition = torch.logsumexp(alpha + self.end, dim=1)
        nll = torch.where(lengths > 0, log_partition - gold, torch.zeros_like(gold))
        return nll.sum()

    @torch.no_grad()
    def decode_best(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """Best valid-BIO tag ids per row over its masked prefix (mask as above)."""
        start_ok, step_ok = (m.to(emissions.device) for m in build_bio_masks(self.tags))
        forbidden = torch.tensor(float("-inf"), device=emissions.device, dtype=emissions.dtype)
        start = torch.where(start_ok, self.start.to(emissions.dtype), forbidden)
        transitions = torch.where(step_ok, self.transitions.to(emissions.dtype), forbidden)

        score = start + emissions[:, 0]  # (B, N)
        backpointers = []
        for t in range(1, emissions.shape[1]):
            best, previous = (score.unsqueeze(2) + transitions).max(dim=1)
            score = torch.where(mask[:, t : t + 1], best + emissions[:, t], score)
            backpointers.append(previous)
        last = (score + self.end.to(emissions.dtype)).argmax(dim=1).tolist()
        history = torch.stack(backpointers, dim=1).tolist() if backpointers else []
        paths = []
        for row, length in enumerate(mask.sum(dim=1).tolist()):
            if length == 0:
                paths.append([])
                continue
            path = [last[row]]
            for t in range(length - 1, 0, -1):
                path.append(history[row][t - 1][path[-1]])
            paths.append(path[::-1])
        return paths


# ---------------------------------------------------------------- model


@dataclass
class QawlTaggerOutput(ModelOutput):
    """``loss``: scalar or None; ``logits``: layer name -> FloatTensor(B, T, N)."""

    loss: torch.FloatTensor | None = None
    logits: dict[str, torch.FloatTensor] | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


def average_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over scored positions; exactly 0 when none is scored.

    ``logits`` (B, T, N), ``labels`` LongTensor(B, T) with -100 for unscored.
    """
    total = F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX, reduction="sum"
    )
    return total / (labels != IGNORE_INDEX).sum().clamp(min=1)


class QawlForTokenClassification(PreTrainedModel):
    """Encoder + per-layer linear heads (+ optional per-layer CRF).

    ``.encoder`` is any base model ``AutoModel`` builds from ``config.encoder``;
    ``.heads[name]`` is ``Linear(hidden, len(config.layers[name]))`` applied
    after ``.dropout``; ``.crfs[name]`` exists for the layers in ``config.crf``.
    """

    config_class = QawlTaggerConfig
    base_model_prefix = "encoder"
    supports_gradient_checkpointing = True

    def __init__(self, config: QawlTaggerConfig):
        super().__init__(config)
        check_tagger_config(config)
        self.encoder = make_encoder(make_encoder_config(config.encoder))
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.heads = nn.ModuleDict({name: nn.Linear(hidden, len(tags)) for name, tags in config.layers.items()})
        self.crfs = nn.ModuleDict({name: LinearChainCRF(config.layers[name]) for name in config.crf})
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, LinearChainCRF):
            for param in (module.transitions, module.start, module.end):
                nn.init.zeros_(param)
        elif isinstance(module, nn.Linear):
            std = getattr(self.encoder.config, "initializer_range", 0.02)
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def get_input_embeddings(self) -> nn.Module:
        return self.encoder.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.encoder.set_input_embeddings(value)

    def resize_token_embeddings(self, *args, **kwargs) -> nn.Embedding:
        """Resize the encoder's word embeddings and record the new size in ``config.encoder``."""
        embeddings = self.encoder.resize_token_embeddings(*args, **kwargs)
        self.config.encoder = self.encoder.config.to_dict()
        return embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: dict[str, torch.Tensor] | None = None,
        **kwargs,
    ) -> QawlTaggerOutput:
        """``input_ids`` (B, T); ``labels``: layer name -> LongTensor(B, T), a subset of the layers.

        The loss is ``sum(weight[layer] * loss[layer])`` over the layers in
        ``labels``: mean token cross-entropy, or for CRF layers the chain's
        negative log-likelihood over each row's scored positions (compacted,
        in order) divided by the number of scored positions. A layer with no
        scored position contributes exactly 0.
        """
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        encoded = self.encoder(**inputs, **kwargs)
        hidden = self.dropout(encoded[0])
        logits = {name: head(hidden) for name, head in self.heads.items()}

        loss = None
        if labels is not None:
            terms = [
                self.config.loss_weights.get(name, 1.0) * self.compute_layer_loss(name, logits[name], gold)
                for name, gold in self.check_labels(labels, logits).items()
            ]
            # an empty labels dict still yields a differentiable zero
            loss = torch.stack(terms).sum() if terms else hidden.sum() * 0.0
        return QawlTaggerOutput(
            loss=loss,
            logits=logits,
            hidden_states=getattr(encoded, "hidden_states", None),
            attentions=getattr(encoded, "attentions", None),
        )

    def check_labels(
        self, labels: dict[str, torch.Tensor], logits: dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """``labels`` with every layer name, shape and class id checked; raises ``ValueError``."""
        unknown = sorted(set(labels) - set(logits))
        if unknown:
            raise ValueError(f"labels for unknown layer(s) {unknown}; the model has {sorted(logits)}")
        for name, gold in labels.items():
            n_tags, expected = logits[name].shape[-1], tuple(logits[name].shape[:-1])
            if tuple(gold.shape) != expected:
                raise ValueError(f"labels[{name!r}] has shape {tuple(gold.shape)}, expected {expected}")
            bad = (gold != IGNORE_INDEX) & ((gold < 0) | (gold >= n_tags))
            if bool(bad.any()):
                value = int(gold[bad][0])
                raise ValueError(
                    f"labels[{name!r}] holds class id {value}; the layer has {n_tags} tags (or -100 for unscored)"
                )
        return labels

    def compute_layer_loss(self, name: str, logits: torch.Tensor, gold: torch.Tensor) -> torch.Tensor:
        """Loss of one layer: logits (B, T, N), gold LongTensor(B, T) -> scalar."""
        if name not in self.crfs:
            return average_cross_entropy(logits, gold)
        scored = gold != IGNORE_INDEX
        emissions, mask = compact(logits.float(), scored)
        tags, _ = compact(gold, scored)
        return self.crfs[name].compute_nll(emissions, tags, mask) / scored.sum().clamp(min=1)

    @torch.no_grad()
    def decode(self, logits: dict[str, torch.Tensor], mask: torch.Tensor) -> dict[str, list[list[int]]]:
        """Tag ids per layer and row at the ``mask`` positions, in order.

        ``logits``: layer name -> (B, T, N); ``mask`` BoolTensor(B, T). CRF
        layers are Viterbi-decoded under BIO constraints (never ``O -> I-X``,
        ``B-X/I-X -> I-Y`` or a leading ``I-X``); other layers take the argmax.
        """
        mask = mask.to(torch.bool)
        decoded = {}
        for name, scores in logits.items():
            if scores.shape[:-1] != mask.shape:
                raise ValueError(f"mask has shape {tuple(mask.shape)}, logits[{name!r}] {tuple(scores.shape)}")
            if name in self.crfs:
                emissions, packed_mask = compact(scores.float(), mask)
                decoded[name] = self.crfs[name].decode_best(emissions, packed_mask)
            else:
                best = scores.argmax(dim=-1)
                decoded[name] = [row[keep].tolist() for row, keep in zip(best, mask)]
        return decoded


# save_pretrained copies this file next to the weights and records it in auto_map
QawlTaggerConfig.register_for_auto_class()
QawlForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")
# where this file is imported, Auto classes (AutoTokenizer reads the model config
# first) resolve "qawl_tagger" to it without asking to trust the checkpoint's copy
AutoConfig.register(QawlTaggerConfig.model_type, QawlTaggerConfig, exist_ok=True)
AutoModelForTokenClassification.register(QawlTaggerConfig, QawlForTokenClassification, exist_ok=True)

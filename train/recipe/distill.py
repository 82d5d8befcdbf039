"""Knowledge distillation: a small student learns a trained checkpoint's soft tags.

``train.teacher`` names the teacher checkpoint; the loss of every batch is then

    (1 - w) * student's own loss on the gold labels
    + w * T^2 * mean over scored positions of KL(teacher_T || student_T), summed over layers

with ``w = train.distill_weight`` and ``T = train.distill_temperature`` (both
tag distributions softened by ``T``; the ``T^2`` keeps the gradient scale,
Hinton, Vinyals and Dean 2015, "Distilling the knowledge in a neural
network"). The teacher's term needs no label, so unlabelled articles (a
silver file's quote-only articles, raw ANT text) teach both layers. For a
CRF layer the soft tags are its emissions' softmax; the student keeps its own
transitions, started from the teacher's by ``model.init_from``.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from ..config import ConfigError, TrainConfig


def load_teacher(folder: str | Path, labels: dict[str, list[str]]):
    """The teacher checkpoint in eval mode, frozen; refused (naming ``train.teacher``)
    when its layers or tag lists differ from the student's."""
    from qawl.models.modeling_qawl import QawlForTokenClassification

    teacher = QawlForTokenClassification.from_pretrained(str(folder), use_safetensors=True).eval()
    theirs = {k: list(v) for k, v in teacher.config.layers.items()}
    if theirs != labels:
        raise ConfigError(f"train.teacher: {folder} tags {sorted(theirs)} with other labels than the model "
                          f"({sorted(labels)}): a teacher must have the student's layers and tags")
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


def init_from_checkpoint(model, folder: str | Path) -> int:
    """Copy a checkpoint's weights into ``model`` where names and shapes match
    (a student from its teacher: embeddings, the first encoder layers, heads,
    CRFs); returns how many tensors were copied. Refused (naming
    ``model.init_from``) when the word embeddings differ: another vocabulary."""
    from safetensors.torch import load_file

    state = {}
    for f in sorted(Path(folder).glob("*.safetensors")):
        state.update(load_file(str(f)))
    own = model.state_dict()
    embeddings = [k for k in own if k.endswith("word_embeddings.weight")]
    for k in embeddings:
        if k in state and state[k].shape != own[k].shape:
            raise ConfigError(f"model.init_from: {folder} has {state[k].shape[0]} word pieces, the model "
                              f"{own[k].shape[0]}: give the model its model.base and model.keep_pieces")
    shared = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    if not shared:
        raise ConfigError(f"model.init_from: {folder}: no weight of it fits the model")
    model.load_state_dict(shared, strict=False)
    return len(shared)


def distillation_loss(teacher, cfg: TrainConfig) -> Callable[[dict, object], torch.Tensor]:
    """``loss_of(batch, student_output)`` for :func:`.loop.fit` (see the module's doc)."""
    weight, temperature = cfg.distill_weight, cfg.distill_temperature

    def loss_of(batch: dict, out) -> torch.Tensor:
        with torch.no_grad():
            taught = teacher(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        scored = batch["scored"].bool() & batch["attention_mask"].bool()
        soft = sum(soft_tag_loss(out.logits[name], taught[name], scored, temperature) for name in out.logits)
        return (1 - weight) * out.loss + weight * soft

    return loss_of


def soft_tag_loss(student: torch.Tensor, teacher: torch.Tensor, mask: torch.Tensor, temperature: float) -> torch.Tensor:
    """``T^2 * KL(teacher_T || student_T)`` averaged over the ``mask`` positions.

    ``student``, ``teacher``: logits (B, L, N); ``mask``: BoolTensor(B, L).
    Zero (with a gradient) when no position is scored.
    """
    s = F.log_softmax(student.float()[mask] / temperature, dim=-1)  # (P, N)
    t = F.log_softmax(teacher.float()[mask] / temperature, dim=-1)
    if s.shape[0] == 0:
        return student.sum() * 0.0
    kl = (t.exp() * (t - s)).sum(dim=-1)  # (P,)
    return kl.mean() * temperature ** 2

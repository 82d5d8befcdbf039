"""The model over windows, and windows back to articles: the one path that
training's evaluation, ``qawl predict`` and ``qawl evaluate`` share."""
from __future__ import annotations

import torch
from qawl.data.decode import QuoteDecoding, article_prediction, scatter_window_tags


def batch_tags(model, core, batch: dict, layers) -> tuple[torch.Tensor, object]:
    """The model's tags for one batch of windows: ``(tags, output)``.

    ``tags``: (batch, n_layers, seq) tag ids, -1 where a position is not
    scored; ``output``: the model's output (loss, logits). ``model`` runs the
    forward pass (prepared, perhaps wrapped); ``core`` is the same model
    unwrapped, which decodes.
    """
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch.get("labels"))
    mask = batch["scored"].bool()
    decoded = core.decode({k: v.float() for k, v in out.logits.items()}, mask)  # float32 Viterbi under autocast too
    stacked = []
    for layer in layers:
        full = torch.full_like(batch["input_ids"], -1)
        for b, seq in enumerate(decoded[layer]):
            full[b, mask[b]] = torch.as_tensor(seq, dtype=full.dtype, device=full.device)
        stacked.append(full)
    return torch.stack(stacked, dim=1), out


def keep_tags(preds: dict[str, dict[int, list[int]]], rows: list[int], tags: torch.Tensor, layers) -> None:
    """Store each row's tags (batch, n_layers, seq) in ``preds[layer][row]``, scored positions only."""
    for r, t in zip(rows, tags.cpu()):
        for k, layer in enumerate(layers):
            preds[layer][r] = t[k][t[k] >= 0].tolist()


@torch.no_grad()
def predict_windows(model, loader, accelerator, layers) -> tuple[dict[str, dict[int, list[int]]], float]:
    """Run the model over every window once (across processes).

    Returns ``layer -> {row: tag ids at the row's scored positions}`` and the
    mean loss over batches (NaN when no batch had labels).
    """
    core = accelerator.unwrap_model(model)
    model.eval()
    preds: dict[str, dict[int, list[int]]] = {layer: {} for layer in layers}
    loss_sum, loss_n = torch.zeros((), device=accelerator.device), torch.zeros((), device=accelerator.device)
    for batch in loader:
        tags, out = batch_tags(model, core, batch, layers)
        if out.loss is not None:
            loss_sum += out.loss.detach().float()
            loss_n += 1
        tags = accelerator.pad_across_processes(tags, dim=2, pad_index=-1)
        rows, tags = accelerator.gather_for_metrics((batch["row"], tags))
        keep_tags(preds, rows.tolist(), tags, layers)
    loss_sum = accelerator.reduce(loss_sum, "sum")
    loss_n = accelerator.reduce(loss_n, "sum")
    loss = (loss_sum / loss_n).item() if loss_n.item() > 0 else float("nan")
    return preds, loss


@torch.no_grad()
def predict_windows_here(model, loader, device, layers) -> dict[str, dict[int, list[int]]]:
    """:func:`predict_windows` in this process alone (no gathering): each
    process of a sharded ``qawl predict`` runs its own articles. Half
    precision (float16 autocast) on a CUDA device."""
    model.eval()
    preds: dict[str, dict[int, list[int]]] = {layer: {} for layer in layers}
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items() if k != "labels" and not k.startswith("labels_")}
        with torch.autocast(device.type, dtype=torch.float16, enabled=device.type == "cuda"):
            tags, _ = batch_tags(model, model, batch, layers)
        keep_tags(preds, batch["row"].tolist(), tags, layers)
    return preds


def assemble_articles(split, preds: dict[str, dict[int, list[int]]], label_lists: dict[str, list[str]],
                      decoding: QuoteDecoding = QuoteDecoding()) -> list[dict]:
    """Predicted articles, in the order of ``split.articles``; quotes cut and attributed as ``decoding`` says."""
    words = split.words
    index = {aid: i for i, aid in enumerate(words["id"])}
    n_words = [len(w) for w in words["words"]]
    tags: dict[str, list[list]] = {layer: [[None] * n for n in n_words] for layer in preds}
    windows = split.windows
    for r, (aid, wids, scored) in enumerate(zip(windows["id"], windows["word_ids"], windows["scored"])):
        for layer in preds:
            scatter_window_tags(wids, scored, preds[layer][r], tags[layer][index[aid]])
    out = []
    texts, offsets = words["text"], words["word_offsets"]
    for art in split.articles:
        i = index[art["id"]]
        word_tags = {layer: tags[layer][i] for layer in preds}
        out.append(article_prediction(art["id"], texts[i], offsets[i], word_tags, label_lists, decoding=decoding))
    return out

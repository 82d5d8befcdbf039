"""The model over windows, and windows back to articles: the one path that
training's evaluation, ``qawl predict`` and ``qawl evaluate`` share."""
from __future__ import annotations

import torch
from qawl.data.decode import QuoteDecoding, article_prediction, scatter_window_tags


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
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
        if out.loss is not None:
            loss_sum += out.loss.detach().float()
            loss_n += 1
        mask = batch["scored"].bool()
        decoded = core.decode(out.logits, mask)
        stacked = []
        for layer in layers:
            full = torch.full_like(batch["input_ids"], -1)
            for b, seq in enumerate(decoded[layer]):
                full[b, mask[b]] = torch.as_tensor(seq, dtype=full.dtype, device=full.device)
            stacked.append(full)
        tags = torch.stack(stacked, dim=1)  # (batch, n_layers, seq)
        tags = accelerator.pad_across_processes(tags, dim=2, pad_index=-1)
        rows, tags = accelerator.gather_for_metrics((batch["row"], tags))
        for r, t in zip(rows.tolist(), tags.cpu()):
            for k, layer in enumerate(layers):
                preds[layer][r] = t[k][t[k] >= 0].tolist()
    loss_sum = accelerator.reduce(loss_sum, "sum")
    loss_n = accelerator.reduce(loss_n, "sum")
    loss = (loss_sum / loss_n).item() if loss_n.item() > 0 else float("nan")
    return preds, loss


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

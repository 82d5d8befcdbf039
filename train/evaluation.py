"""The one evaluation function: model + windows -> predicted articles -> span scores.

Training (dev evaluation), the final test scores and ``qawl evaluate`` all
call :func:`evaluate_split`; it scores spans against the gold articles, never
tokens.
"""
from __future__ import annotations

import json

import torch
from torch.utils.data import DataLoader

from data.decode import article_prediction, scatter_window_tags

from .batching import LengthGroupedBatches, WindowCollator
from .metrics import load_metric


def window_loader(windows, batch_size: int, pad_id: int, layers, shuffle: bool = False, seed: int = 0, group: bool = True):
    """A DataLoader over window rows, with a ``row`` index for gathering."""
    ds = windows.add_column("row", list(range(len(windows))))
    keep = ["input_ids", "attention_mask", "word_ids", "scored", "row"] + [f"labels_{l}" for l in layers]
    ds = ds.select_columns(keep)
    sampler = LengthGroupedBatches(
        ds["num_tokens"] if "num_tokens" in ds.column_names else [len(x) for x in ds["input_ids"]],
        batch_size,
        weights=windows["weight"] if shuffle else None,
        seed=seed,
        shuffle=shuffle,
        group_by_length=group,
    )
    # Its own generator: creating an iterator then draws from it, not from the
    # global RNG, so a resumed run keeps the same dropout masks.
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(ds, batch_sampler=sampler, collate_fn=WindowCollator(pad_id, layers), generator=generator)


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


def assemble_articles(split, preds: dict[str, dict[int, list[int]]], label_lists: dict[str, list[str]]) -> list[dict]:
    """Predicted articles, in the order of ``split.articles``."""
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
        out.append(article_prediction(art["id"], texts[i], offsets[i], word_tags, label_lists))
    return out


def score_articles(gold: list[dict], pred: list[dict], layers) -> dict:
    """Span scores of predicted against gold articles, each layer only where annotated.

    Flat keys: ``ner_precision``, ``ner_recall``, ``ner_f1``, ``ner_per_type``,
    ``ner_tp/fp/fn``; ``quote_<part>_<exact|overlap>_<p|r|f1>`` etc. and
    ``attribution_accuracy`` from the quote metric; ``articles_ner`` and
    ``articles_quote`` count the articles scored per layer.
    """
    by_id = {p["id"]: p for p in pred}
    scores: dict = {}
    if "ner" in layers:
        g_n = [g for g in gold if g.get("entities") is not None]
        if g_n:
            metric = load_metric("qawl_entities", config_name="spans", keep_in_memory=True)
            res = metric.compute(
                predictions=[_entity_spans(by_id[g["id"]]) for g in g_n],
                references=[_entity_spans(g) for g in g_n],
            )
            scores.update({f"ner_{k}": v for k, v in res.items()})
        scores["articles_ner"] = len(g_n)
    if "quote" in layers:
        g_q = [g for g in gold if g.get("quotes") is not None]
        if g_q:
            metric = load_metric("qawl_quotes", keep_in_memory=True)
            res = metric.compute(
                predictions=[json.dumps({"text": g["text"], "quotes": by_id[g["id"]].get("quotes") or []}, ensure_ascii=False) for g in g_q],
                references=[json.dumps({"text": g["text"], "quotes": g["quotes"]}, ensure_ascii=False) for g in g_q],
            )
            scores.update({f"quote_{k}" if not k.startswith("attribution") else k: v for k, v in res.items()})
        scores["articles_quote"] = len(g_q)
    return scores


def _entity_spans(art: dict) -> list:
    return [[e["start"], e["end"], e["label"]] for e in art.get("entities") or []]


def evaluate_split(model, split, accelerator, *, batch_size: int, pad_id: int, layers, label_lists) -> tuple[dict, list[dict]]:
    """Scores and predicted articles of one split.

    Every window is seen exactly once across processes; the returned scores
    (identical on every process) include ``loss``.
    """
    loader = accelerator.prepare_data_loader(window_loader(split.windows, batch_size, pad_id, layers))
    preds, loss = predict_windows(model, loader, accelerator, layers)
    pred_articles = assemble_articles(split, preds, label_lists)
    scores = score_articles(split.articles, pred_articles, layers)
    scores["loss"] = loss
    return scores, pred_articles

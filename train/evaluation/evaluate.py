"""The one evaluation function: model + windows -> predicted articles -> span scores.

Training (dev evaluation), the final test scores and ``qawl evaluate`` all
call :func:`evaluate_split`; it scores spans against the gold articles, never
tokens.
"""
from __future__ import annotations

from qawl.data.build import WindowSpec
from qawl.data.decode import quote_decoding

from ..batching import window_loader
from ..corpora import SplitData, make_split
from ..prediction.windows import assemble_articles, predict_windows
from .scoring import score_articles


def evaluate_split(model, split: SplitData, accelerator, *, batch_size: int, pad_id: int, layers,
                   label_lists) -> tuple[dict, list[dict]]:
    """Scores and predicted articles of one split.

    Every window is seen exactly once across processes; the returned scores
    (identical on every process) include ``loss``.
    """
    loader = accelerator.prepare_data_loader(window_loader(split.windows, batch_size, pad_id, layers))
    preds, loss = predict_windows(model, loader, accelerator, layers)
    decoding = quote_decoding(accelerator.unwrap_model(model).config)
    pred_articles = assemble_articles(split, preds, label_lists, decoding)
    scores = score_articles(split.articles, pred_articles, layers)
    scores["loss"] = loss
    return scores, pred_articles


def evaluate_checkpoint(model, tokenizer, spec: WindowSpec, labels: dict, articles: list[dict], *,
                        batch_size: int = 16, accelerator=None) -> tuple[dict, list[dict]]:
    """(scores, predicted articles) of a loaded checkpoint on gold articles."""
    from ..prediction.predict import default_accelerator

    accelerator = accelerator or default_accelerator()
    split = make_split(articles, tokenizer, spec)
    model = accelerator.prepare_model(model, evaluation_mode=True)
    return evaluate_split(model, split, accelerator, batch_size=batch_size, pad_id=tokenizer.pad_token_id,
                          layers=list(labels), label_lists=labels)

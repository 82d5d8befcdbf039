"""The one scorer: span scores of (prediction, gold) article pairs.

Training's dev and test scores, ``qawl evaluate``, ``qawl show`` and corpus
agreement all score through :func:`score_pairs`; it wraps the two local
``evaluate`` metrics (``qawl_entities`` on exact spans, ``qawl_quotes``) and
scores each layer only on the articles whose gold annotates it.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from qawl.data.article import Problem

from .metrics import load_metric


@lru_cache(maxsize=None)
def _metric(name: str):
    """A loaded metric, kept for the process (loading one takes seconds)."""
    if name == "qawl_entities":
        return load_metric(name, config_name="spans", keep_in_memory=True)
    return load_metric(name, keep_in_memory=True)


def entity_spans(art: dict) -> list[list]:
    """An article's entities as ``[start, end, label]`` (a missing layer: none)."""
    return [[e["start"], e["end"], e["label"]] for e in art.get("entities") or []]


def quotes_json(text: str, quotes: list | None) -> str:
    """One article's quotes in the quote metric's input form."""
    return json.dumps({"text": text, "quotes": quotes or []}, ensure_ascii=False)


def score_pairs(pairs: Sequence[tuple[dict, dict]], layers: Sequence[str] = ("ner", "quote")) -> dict:
    """Scores of ``(pred, gold)`` pairs, summed over the pairs.

    Returns ``{"ner": ..., "quote": ...}`` (the layers asked for), each the
    metric's result over the pairs whose gold annotates that layer, or None
    when none does. A prediction missing a layer counts as predicting nothing
    there. Scores are those of the gold's text: pairs must share it.
    """
    out: dict = {}
    if "ner" in layers:
        ner = [(p, g) for p, g in pairs if g.get("entities") is not None]
        out["ner"] = _metric("qawl_entities").compute(
            predictions=[entity_spans(p) for p, _ in ner], references=[entity_spans(g) for _, g in ner]
        ) if ner else None
    if "quote" in layers:
        quo = [(p, g) for p, g in pairs if g.get("quotes") is not None]
        out["quote"] = _metric("qawl_quotes").compute(
            predictions=[quotes_json(g["text"], p.get("quotes")) for p, g in quo],
            references=[quotes_json(g["text"], g["quotes"]) for _, g in quo],
        ) if quo else None
    return out


def text_differences(preds: Sequence[dict], golds: Sequence[dict], pred_file: str, gold_file: str,
                     pred_lines: Sequence[int] | None = None) -> list[Problem]:
    """One problem per predicted article whose text is not its gold article's (same id).

    Spans are offsets into a text: scored against another text they mean
    nothing, so such pairs are refused, never scored. Each problem names the
    predictions file, line (``pred_lines[k]`` for ``preds[k]``, when given),
    article and the first character that differs. Predictions without a
    gold article are not this function's concern.
    """
    by_id = {g["id"]: g for g in golds}
    problems = []
    for k, p in enumerate(preds):
        g = by_id.get(p["id"])
        if g is None or g["text"] == p["text"]:
            continue
        at = next((i for i, (x, y) in enumerate(zip(p["text"], g["text"])) if x != y),
                  min(len(p["text"]), len(g["text"])))
        span = (at, min(at + 1, len(p["text"]))) if at < len(p["text"]) else None
        problems.append(Problem(
            f"text differs from the gold text in {gold_file} from character {at}"
            f" (lengths {len(p['text'])} and {len(g['text'])})",
            pred_file, None if pred_lines is None else pred_lines[k], p["id"], "text", span,
            None if span is None else p["text"][span[0]:span[1]],
        ))
    return problems


#: per-part quote score keys, by kind of match
_QUOTE_KEYS = {"exact": ("precision", "recall", "f1", "tp", "fp", "fn"),
               "overlap": ("precision", "recall", "f1", "matched", "predicted", "gold")}


def score_names(layers: Sequence[str]) -> set[str]:
    """The numeric keys :func:`score_articles` gives for ``layers`` (and the
    evaluation loss): what ``train.metric`` may name. A test holds it to the
    keys a real scoring returns."""
    names = {"loss"}
    if "ner" in layers:
        names |= {f"ner_{k}" for k in ("precision", "recall", "f1", "tp", "fp", "fn")} | {"articles_ner"}
    if "quote" in layers:
        names |= {f"quote_{part}_{kind}_{k}" for part in ("content", "source", "cue")
                  for kind, keys in _QUOTE_KEYS.items() for k in keys}
        names |= {f"attribution_{k}" for k in ("accuracy", "correct", "found", "gold")}
        names |= {"quote_predicted_quotes", "quote_gold_quotes", "articles_quote"}
    return names


def score_articles(gold: list[dict], pred: list[dict], layers: Sequence[str]) -> dict:
    """:func:`score_pairs` of predicted against gold articles (matched by id), as flat keys.

    ``ner_precision``, ``ner_recall``, ``ner_f1``, ``ner_per_type``,
    ``ner_tp/fp/fn``; ``quote_<part>_<exact|overlap>_<p|r|f1>`` etc. and
    ``attribution_accuracy`` from the quote metric; ``articles_ner`` and
    ``articles_quote`` count the articles scored per layer.
    """
    by_id = {p["id"]: p for p in pred}
    pairs = [(by_id[g["id"]], g) for g in gold]
    result = score_pairs(pairs, layers)
    scores: dict = {}
    if "ner" in layers:
        scores.update({f"ner_{k}": v for k, v in (result["ner"] or {}).items()})
        scores["articles_ner"] = sum(g.get("entities") is not None for g in gold)
    if "quote" in layers:
        scores.update({k if k.startswith("attribution") else f"quote_{k}": v for k, v in (result["quote"] or {}).items()})
        scores["articles_quote"] = sum(g.get("quotes") is not None for g in gold)
    return scores

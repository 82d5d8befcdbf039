"""Fit the speaker linker (``qawl.data.linker``) on gold speakers.

The linker is a linear model over a handful of features of each (quote,
candidate speaker) pair; fitting it is a conditional logit (softmax over the
candidates of a quote, null included) with an L2 penalty, solved with L-BFGS.
It takes seconds and is deterministic.

It is fitted twice in a run. Before training, on the training split's gold
spans (entities, SOURCE, CUE, CONTENT), so that dev evaluations attribute
quotes. After training, on the tagger's own predicted spans of the same
articles with their gold speakers: at prediction time the linker reads the
tagger's spans, missed SOURCEs and names included, and learning from them
raised end-to-end attribution on the ANT gold dev split from 0.77 to 0.81
(``benchmarks/results/attribution.md``).
"""
from __future__ import annotations

import hashlib

import torch

from qawl.data.article import layer_spans
from qawl.data.linker import FEATURES, LINKER_FORMAT, linker_examples
from qawl.data.speakers import same_name

#: fewer gold quotes with a candidate than this and no linker is fitted (the rules attribute)
MIN_QUOTES = 20


#: share of entity mentions left out of each article's second, noisier copy
DROP_ENTITIES = 0.2


def kept_entities(art: dict, rate: float) -> list[tuple[int, int, str]]:
    """The article's entities less about ``rate`` of them, the same ones in every run
    (drawn from a hash of the article id and offsets, not Python's seeded ``hash``)."""
    kept = []
    for s, e, lab in layer_spans(art, "ner"):
        digest = hashlib.sha256(f"{art['id']}:{s}:{e}".encode()).digest()
        if digest[0] / 256 >= rate:
            kept.append((s, e, lab))
    return kept


def gold_examples(articles: list[dict]) -> list[tuple[list[dict[str, float]], int]]:
    """Every linker example (candidate features, gold index) of the articles that annotate
    both layers: each article once with its gold entities and once with
    :data:`DROP_ENTITIES` of them left out, as a tagger misses names (a
    SOURCE then is the only mention of its speaker)."""
    out = []
    for art in articles:
        if not art.get("quotes") or art.get("entities") is None:
            continue
        for rate in (0.0, DROP_ENTITIES):
            quotes = [dict(q) for q in art["quotes"]]
            out += linker_examples(art["text"], quotes, kept_entities(art, rate), same_name)
    return out


def fit_weights(examples: list[tuple[list[dict[str, float]], int]], l2: float = 1e-3, steps: int = 200) -> dict[str, float]:
    """Weights maximising the gold candidates' mean log-probability minus ``l2 * |w|^2``."""
    index = {name: k for k, name in enumerate(FEATURES)}
    matrices, targets = [], []
    for candidates, target in examples:
        m = torch.zeros(len(candidates), len(FEATURES), dtype=torch.float64)
        for row, feats in enumerate(candidates):
            for name, value in feats.items():
                m[row, index[name]] = value
        matrices.append(m)
        targets.append(target)
    # one padded tensor: quotes x most candidates x features, -inf scores on padding
    width = max(m.shape[0] for m in matrices)
    x = torch.zeros(len(matrices), width, len(FEATURES), dtype=torch.float64)
    pad = torch.ones(len(matrices), width, dtype=torch.bool)
    for k, m in enumerate(matrices):
        x[k, : m.shape[0]] = m
        pad[k, : m.shape[0]] = False
    y = torch.tensor(targets)
    w = torch.zeros(len(FEATURES), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=steps, line_search_fn="strong_wolfe", tolerance_grad=1e-9)

    def closure():
        opt.zero_grad()
        scores = (x @ w).masked_fill(pad, float("-inf"))
        loss = torch.nn.functional.cross_entropy(scores, y) + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return {name: round(float(w[k].detach()), 6) for name, k in index.items()}


def speaker_articles(articles: list[dict]) -> list[dict]:
    """The articles a linker learns from: both layers annotated, some quotes."""
    return [a for a in articles if a.get("quotes") and a.get("entities") is not None]


def predicted_examples(gold: list[dict], predicted: list[dict]) -> list[tuple[list[dict[str, float]], int]]:
    """Linker examples from predicted articles (the tagger's entities and
    quotes), each predicted quote taking the gold speaker of the gold quote its
    CONTENT overlaps most; predicted quotes over no gold quote, and
    predictions of articles not in ``gold`` (one with no gold quote teaches
    the linker nothing), are left out."""
    by_id = {g["id"]: g for g in gold}
    out = []
    for pred in predicted:
        g = by_id.get(pred["id"])
        if g is None:
            continue
        kept = []
        for q in pred.get("quotes") or []:
            words = set(range(*q["content"]))
            overlaps = [(len(words & set(range(*gq["content"]))), k) for k, gq in enumerate(g["quotes"])]
            best, k = max(overlaps, default=(0, -1))
            if best:
                kept.append({"content": q["content"], "source": q.get("source"), "cue": q.get("cue"),
                             "speaker": g["quotes"][k]["speaker"]})
        out += linker_examples(g["text"], kept, layer_spans(pred, "ner") or [], same_name)
    return out


def fit_linker(articles: list[dict], predicted: list[dict] | None = None, l2: float = 1e-3) -> dict | None:
    """The linker for a checkpoint's config (``qawl_linker``): from the
    articles' gold spans, or with ``predicted`` (the tagger's predictions for
    the same articles) from those; None when fewer than :data:`MIN_QUOTES`
    examples."""
    articles = speaker_articles(articles)
    examples = gold_examples(articles) if predicted is None else predicted_examples(articles, predicted)
    if len(examples) < MIN_QUOTES:
        return None
    source = "gold spans" if predicted is None else "predicted spans"
    return {"format": LINKER_FORMAT, "weights": fit_weights(examples, l2), "quotes": len(examples), "fitted_on": source}

"""Corpora named in the config -> validated articles and model-ready datasets."""
from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qawl.data.article import read_articles
from qawl.data.build import WindowSpec
from qawl.data.datasets_build import articles_to_dataset, mix, tokenize_windows

from .config import CorpusConfig, DataConfig, locate

SPLITS = ("train", "dev", "test")
logger = logging.getLogger(__name__)


def window_spec(cfg: DataConfig) -> WindowSpec:
    """The data layer's window settings from the data config."""
    return WindowSpec(
        max_length=cfg.max_length, stride=cfg.stride, all_subwords=cfg.all_subwords, normalisation=cfg.normalise,
        tokenize=cfg.tokenize,
    )


def read_corpus_files(corpus: CorpusConfig, paths: list[str]) -> list[dict]:
    """Validated articles of one corpus split; raises on any problem.

    Relative paths are found as :func:`locate` says (working directory first).
    """
    if not paths:
        return []
    paths = [locate(p) for p in paths]
    if corpus.format == "jsonl":
        return read_articles([Path(p).expanduser() for p in paths])
    if corpus.format == "standoff":
        from qawl.data.standoff import load_standoff

        options = dict(corpus.options)
        if isinstance(options.get("corpus"), str):
            options["corpus"] = locate(options["corpus"])
        return [a for p in paths for a in load_standoff(p, **options)]
    from qawl.data.formats import read_format

    arts: list[dict] = []
    for p in paths:
        got, notes = read_format(corpus.format, Path(p).expanduser(), **corpus.options)
        if notes:
            kinds = Counter(n.kind for n in notes)
            summary = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items()))
            logger.warning("%s: %d conversion note(s) while reading (%s); run `qawl convert` to see each", p, len(notes), summary)
        arts += got
    return arts


def carve_dev(arts: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Split articles into (train, dev) by article, deterministically."""
    order = sorted(range(len(arts)), key=lambda i: arts[i]["id"])
    random.Random(seed).shuffle(order)
    n_dev = max(1, round(len(arts) * fraction)) if arts and fraction > 0 else 0
    dev_idx = set(order[:n_dev])
    return [a for i, a in enumerate(arts) if i not in dev_idx], [a for i, a in enumerate(arts) if i in dev_idx]


def sample_articles(arts: list[dict], n: int, seed: int) -> list[dict]:
    """``n`` of ``arts`` drawn without replacement, the same for a given seed; all of them when fewer."""
    if n < 0:
        raise ValueError(f"corpus sample must be >= 0, got {n}")
    if n >= len(arts):
        return arts
    order = sorted(range(len(arts)), key=lambda i: arts[i]["id"])
    keep = set(random.Random(seed).sample(order, n))
    return [a for i, a in enumerate(arts) if i in keep]


@dataclass
class SplitData:
    """One split: gold articles, word-level and window-level datasets."""

    articles: list[dict]
    words: object  # datasets.Dataset, word level
    windows: object  # datasets.Dataset, window level


def load_articles(cfg: DataConfig, seed: int) -> dict[str, list[tuple[CorpusConfig, list[dict]]]]:
    """split -> [(corpus, articles)] for every corpus in the config."""
    out: dict[str, list] = {s: [] for s in SPLITS}
    for corpus in cfg.corpora:
        parts = {s: read_corpus_files(corpus, getattr(corpus, s)) for s in SPLITS}
        if corpus.sample is not None:
            parts["train"] = sample_articles(parts["train"], corpus.sample, seed)
        fraction = cfg.dev_fraction if corpus.dev_fraction is None else corpus.dev_fraction
        if not parts["dev"] and fraction > 0 and parts["train"]:
            parts["train"], parts["dev"] = carve_dev(parts["train"], fraction, seed)
        for s in SPLITS:
            if parts[s]:
                out[s].append((corpus, parts[s]))
    return out


def make_split(articles: list[dict], tokenizer, spec: WindowSpec) -> SplitData:
    """Word and window datasets for articles (annotated or not), read with ``spec``."""
    words = articles_to_dataset(articles)
    return SplitData(articles=articles, words=words, windows=tokenize_windows(words, tokenizer, spec))


def build_splits(cfg: DataConfig, tokenizer, seed: int) -> dict[str, SplitData]:
    """Every split with data, built and tokenised; empty splits are left out."""
    spec = window_spec(cfg)
    out = {}
    for split, parts in load_articles(cfg, seed).items():
        if not parts:
            continue
        words = [articles_to_dataset(arts, corpus.name) for corpus, arts in parts]
        windows = [tokenize_windows(w, tokenizer, spec, corpus.weight) for w, (corpus, _) in zip(words, parts)]
        out[split] = SplitData(
            articles=[a for _, arts in parts for a in arts],
            words=mix(words),
            windows=mix(windows),
        )
    return out

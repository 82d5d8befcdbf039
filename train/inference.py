"""Run a saved checkpoint over articles: the path ``qawl predict`` and
``qawl evaluate`` share with training's evaluation."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from data.article import Problem, ArticleError, check_article

from .checkpoint import RUN_CONFIG
from .config import Config, load_config
from .corpora import SplitData, window_spec
from .evaluation import assemble_articles, evaluate_split, predict_windows, window_loader


def load_checkpoint(ckpt: str | Path):
    """(model in eval mode, tokenizer, run config, label lists) of a checkpoint folder."""
    from transformers import AutoTokenizer

    from models.modeling_qawl import QawlForTokenClassification

    ckpt = Path(ckpt)
    if not (ckpt / "config.json").exists():
        raise FileNotFoundError(f"{ckpt}: not a checkpoint folder (no config.json)")
    model = QawlForTokenClassification.from_pretrained(str(ckpt)).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(ckpt))
    cfg = load_config(ckpt / RUN_CONFIG) if (ckpt / RUN_CONFIG).exists() else Config()
    labels = {k: list(v) for k, v in model.config.layers.items()}
    return model, tokenizer, cfg, labels


def make_split(articles: list[dict], tokenizer, cfg: Config) -> SplitData:
    """Word and window datasets for articles (annotated or not)."""
    from data.datasets_build import articles_to_dataset, tokenize_windows

    words = articles_to_dataset(articles)
    return SplitData(articles=articles, words=words, windows=tokenize_windows(words, tokenizer, window_spec(cfg.data)))


def cpu_accelerator():
    from accelerate import Accelerator

    return Accelerator(cpu=not _has_cuda())


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def predict_articles(model, tokenizer, cfg: Config, labels: dict, articles: list[dict], *, batch_size: int = 16, accelerator=None) -> list[dict]:
    """Predicted articles (entities and attributed quotes) for ``id``/``text`` articles.

    Extra keys of the inputs are kept; gold annotations in them are replaced.
    """
    accelerator = accelerator or cpu_accelerator()
    plain = [{"id": a["id"], "text": a["text"]} for a in articles]
    split = make_split(plain, tokenizer, cfg)
    layers = list(labels)
    model = accelerator.prepare_model(model, evaluation_mode=True)
    loader = accelerator.prepare_data_loader(window_loader(split.windows, batch_size, tokenizer.pad_token_id, layers))
    preds, _ = predict_windows(model, loader, accelerator, layers)
    out = []
    for src, pred in zip(articles, assemble_articles(split, preds, labels)):
        extra = {k: v for k, v in src.items() if k not in ("entities", "quotes")}
        out.append({**extra, **pred})
    return out


def evaluate_checkpoint(model, tokenizer, cfg: Config, labels: dict, articles: list[dict], *, batch_size: int = 16, accelerator=None):
    """(scores, predicted articles) of a checkpoint on gold articles."""
    accelerator = accelerator or cpu_accelerator()
    split = make_split(articles, tokenizer, cfg)
    model = accelerator.prepare_model(model, evaluation_mode=True)
    return evaluate_split(model, split, accelerator, batch_size=batch_size, pad_id=tokenizer.pad_token_id,
                          layers=list(labels), label_lists=labels)


def read_inputs(paths: list[str]) -> list[dict]:
    """Articles to predict from ``.txt`` files (one article each, id = file name
    stem), JSONL files with ``id`` and ``text``, or standard input (``-`` or no
    path: JSONL if it starts with ``{``, else one article with id ``stdin``)."""
    arts: list[dict] = []
    problems: list[Problem] = []
    for p in paths or ["-"]:
        if p == "-":
            raw = sys.stdin.read()
            if raw.lstrip().startswith("{"):
                arts += _jsonl_articles(raw.splitlines(), "<stdin>", problems)
            else:
                arts.append({"id": "stdin", "text": raw})
            continue
        path = Path(p)
        if path.suffix == ".txt":
            arts.append({"id": path.stem, "text": path.read_text(encoding="utf-8")})
        else:
            from data.article import _open_text

            with _open_text(path) as fh:
                arts += _jsonl_articles(fh, str(path), problems)
    seen: set[str] = set()
    for a in arts:
        if a["id"] in seen:
            problems.append(Problem("duplicate article id among the inputs", article=a["id"]))
        seen.add(a["id"])
    if problems:
        raise ArticleError(problems)
    return arts


def _jsonl_articles(lines, name: str, problems: list[Problem]) -> list[dict]:
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(Problem(f"malformed JSON: {err.msg}", name, n))
            continue
        bad = [p for p in check_article(obj, name, n) if p.what is None]  # id/text problems only
        if bad:
            problems += bad
            continue
        out.append(obj)
    return out

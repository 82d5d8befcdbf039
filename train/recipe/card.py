"""The model card (``README.md``) every checkpoint carries."""
from __future__ import annotations

from pathlib import Path

from ..config import Config, DataConfig

_SCORE_KEYS = (
    ("ner_precision", "entity precision"),
    ("ner_recall", "entity recall"),
    ("ner_f1", "entity F1 (exact span, micro)"),
    ("quote_content_exact_f1", "CONTENT exact F1"),
    ("quote_content_overlap_f1", "CONTENT overlap F1"),
    ("quote_source_exact_f1", "SOURCE exact F1"),
    ("quote_source_overlap_f1", "SOURCE overlap F1"),
    ("quote_cue_exact_f1", "CUE exact F1"),
    ("quote_cue_overlap_f1", "CUE overlap F1"),
    ("attribution_accuracy", "attribution accuracy"),
)


def reading_of(data: DataConfig) -> str:
    """One sentence on how the model reads text, from the run's data settings."""
    if data.tokenize == "text":
        how = ("the article text is tokenized whole, as a token-classification pipeline does, and pieces are "
               "mapped to the scheme's words by their offsets")
    else:
        how = "each of the scheme's words is tokenized on its own (`is_split_into_words=True`)"
    tagged = ("every sub-word carries its word's tag (B-X on the first piece, I-X on the others)" if data.all_subwords
              else "the first sub-word of each word carries its tag")
    return (f"words are the annotation scheme's words (letters, digits, diacritics, tatweel and ZWNJ/ZWJ glue; "
            f"every other character is a word); {how}, in windows of {data.max_length} tokens sharing "
            f"{data.stride} tokens of context; {tagged}; each word is decided by its first piece "
            f"(`data.tokenize={data.tokenize}`, `data.all_subwords={str(data.all_subwords).lower()}`).")


def _fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def render_card(cfg: Config, labels: dict[str, list[str]], scores: dict[str, dict]) -> str:
    """Markdown card: front matter, data, config, scores per split, labels, use, limits."""
    corpora = ", ".join(c.name for c in cfg.data.corpora) or "(none)"
    lines = [
        "---",
        "language: [ar]",
        "library_name: transformers",
        "pipeline_tag: token-classification",
        "tags: [ner, quotation-attribution, arabic, qawl]",
        f"base_model: {cfg.model.base}",
        "---",
        "",
        "# qawl tagger: entities and quotes in Arabic news",
        "",
        f"Token-classification model with one head per label layer ({', '.join(labels) or '-'}) on top of "
        f"`{cfg.model.base}`"
        + (f" (vocabulary trimmed to `{cfg.model.keep_pieces}`)" if cfg.model.keep_pieces else "")
        + (f", first {cfg.model.keep_layers} encoder layers kept" if cfg.model.keep_layers else "")
        + (f", CRF on {', '.join(cfg.model.crf)}" if cfg.model.crf else "")
        + ".",
        "",
        "## Use",
        "",
        "Without qawl (only torch and transformers): the checkpoint carries its own pipeline, which cuts a text of "
        "any length into windows as in training and returns entities and attributed quotes with character offsets.",
        "",
        "```python",
        "from transformers import pipeline",
        "extract = pipeline(model=PATH, trust_remote_code=True)",
        'extract("وقال الوزير عصام لعروسي إن “الوضع مستقر”.")',
        '# {"entities": [{"start", "end", "label", "text"}, ...], "quotes": [{"content", "source", "cue", "speaker", "kind", ...}]}',
        "```",
        "",
        "With qawl: `qawl predict --checkpoint PATH articles.jsonl -o predictions.jsonl`.",
        "",
        "The bare model: `AutoModelForTokenClassification.from_pretrained(PATH, trust_remote_code=True)`; "
        "`model(**inputs).logits` is a dict: layer name -> `(batch, seq, labels)`; labels per layer are in "
        "`config.layers` and `labels.json`.",
        "",
        "How it reads text (`qawl_windows` in `config.json`, the settings the pipeline and `qawl predict` use): "
        + reading_of(cfg.data),
        "",
        "## Data",
        "",
        f"Corpora: {corpora}.",
        "",
    ]
    for c in cfg.data.corpora:
        lines.append(f"- `{c.name}` ({c.format}): train {c.train or '-'}, dev {c.dev or '-'}, test {c.test or '-'}")
    lines += ["", "## Scores", ""]
    if scores:
        splits = [s for s in scores if isinstance(scores[s], dict)]
        lines.append("| score | " + " | ".join(splits) + " |")
        lines.append("|---|" + "---|" * len(splits))
        for key, name in _SCORE_KEYS:
            if any(key in scores[s] for s in splits):
                lines.append(f"| {name} | " + " | ".join(_fmt(scores[s].get(key, "-")) for s in splits) + " |")
        for s in splits:
            per = scores[s].get("ner_per_type")
            if per:
                lines += ["", f"Entities per type ({s}):", "", "| type | precision | recall | F1 | support |", "|---|---|---|---|---|"]
                for t, v in sorted(per.items()):
                    lines.append(f"| {t} | {_fmt(v.get('precision'))} | {_fmt(v.get('recall'))} | {_fmt(v.get('f1'))} | {v.get('support', '-')} |")
    else:
        lines.append("Not evaluated yet.")
    lines += ["", "## Labels", ""]
    for layer, labs in labels.items():
        lines.append(f"- `{layer}`: {', '.join(labs)}")
    t = cfg.train
    lines += [
        "",
        "## Training",
        "",
        f"AdamW, encoder lr {t.lr} (layer decay {t.layer_decay}), head lr {t.head_lr}, word-embedding lr {t.embedding_lr}, "
        f"warmup {t.warmup_ratio}, batch {t.batch_size} x {t.grad_accum} windows, {t.epochs} epochs"
        + (f" (max {t.max_steps} steps)" if t.max_steps else "")
        + f", seed {t.seed}. The full merged config is `qawl.yaml`.",
        "",
        "## Intended use",
        "",
        "Finding people, organisations, places and other names, and quotes with their speakers, "
        "in Modern Standard Arabic news, for media monitoring and studies of who gets quoted. "
        "Outputs are predictions: check them before publishing anything that relies on them.",
        "",
        "## Known limits",
        "",
        "- Trained on news; other genres (social media, dialects, classical text) will score lower.",
        "- A speaker is resolved within one article only; speakers never named in the article are null.",
        "- Nested entities are not represented (the scheme has none).",
        "- Scores above come from the splits named here; small test splits give wide error margins.",
        "",
    ]
    return "\n".join(lines)


def write_card(out: Path, cfg: Config, labels: dict, scores: dict) -> Path:
    path = Path(out) / "README.md"
    path.write_text(render_card(cfg, labels, scores), encoding="utf-8")
    return path

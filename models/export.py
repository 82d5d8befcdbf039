"""Write one label layer of a tagger checkpoint as a plain transformers model.

The result is the encoder's own ``<Encoder>ForTokenClassification`` folder
(``BertForTokenClassification``, ``XLMRobertaForTokenClassification``,
``ElectraForTokenClassification``, ...) with that layer's labels and head,
plus the tokenizer: it loads without remote code and runs in
``transformers.pipeline("token-classification", ...)``.
"""
from __future__ import annotations

from pathlib import Path

from torch import nn

from .modeling_qawl import QawlForTokenClassification, make_encoder_config


class ExportError(ValueError):
    """A checkpoint or output folder that cannot be exported as asked."""


def export_layer(
    ckpt_dir: str | Path,
    layer: str,
    out_dir: str | Path,
    *,
    tokenizer_dir: str | Path | None = None,
    overwrite: bool = False,
) -> Path:
    """Export layer ``layer`` of the tagger in ``ckpt_dir`` to ``out_dir``; returns ``out_dir``.

    The tokenizer is read from ``tokenizer_dir`` (default: ``ckpt_dir``).
    A non-empty ``out_dir`` is refused unless ``overwrite``. A CRF layer keeps
    only its emission scores (the head); the README written next to the
    weights says so.
    """
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    ckpt_dir, out_dir = Path(ckpt_dir), Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise ExportError(f"{out_dir}: folder exists and is not empty (pass overwrite to replace its files)")
    tagger = load_tagger(ckpt_dir)
    if layer not in tagger.config.layers:
        raise ExportError(f"{ckpt_dir}: no layer {layer!r}; the checkpoint has {sorted(tagger.config.layers)}")
    tokenizer_source = Path(tokenizer_dir) if tokenizer_dir is not None else ckpt_dir
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
    except (OSError, ValueError) as err:
        raise ExportError(f"{tokenizer_source}: no loadable tokenizer ({err}); pass the tokenizer folder") from err

    tags = tagger.config.layers[layer]
    config = make_encoder_config(tagger.config.encoder)
    config.id2label = dict(enumerate(tags))
    config.label2id = {tag: i for i, tag in enumerate(tags)}
    config.classifier_dropout = tagger.config.classifier_dropout
    plain = AutoModelForTokenClassification.from_config(config)
    copy_weights(tagger, layer, plain, ckpt_dir)

    windows = getattr(tagger.config, "qawl_windows", None)
    windows = windows if isinstance(windows, dict) else None
    if windows:
        # a pipeline cuts texts at the tokenizer's limit: make its chunks the
        # training window (tokens), not the base's longer limit, so the model sees
        # contexts as long as it was trained on (on the default checkpoint, span
        # agreement with qawl predict 0.61 -> 0.82 under "simple")
        tokenizer.model_max_length = int(windows["max_length"])
    out_dir.mkdir(parents=True, exist_ok=True)
    plain.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    readme = describe_export(ckpt_dir, layer, tags, type(plain).__name__, had_crf=layer in tagger.crfs, windows=windows)
    (out_dir / "README.md").write_text(readme, encoding="utf-8")
    return out_dir


def load_tagger(ckpt_dir: Path) -> QawlForTokenClassification:
    """The tagger saved in ``ckpt_dir``, or ``ExportError`` saying why not."""
    import json

    config_file = ckpt_dir / "config.json"
    if not config_file.is_file():
        raise ExportError(f"{ckpt_dir}: no config.json; not a saved checkpoint folder")
    model_type = json.loads(config_file.read_text(encoding="utf-8")).get("model_type")
    if model_type != QawlForTokenClassification.config_class.model_type:
        raise ExportError(f"{config_file}: model_type is {model_type!r}, not a qawl tagger checkpoint")
    return QawlForTokenClassification.from_pretrained(ckpt_dir)


def copy_weights(tagger: QawlForTokenClassification, layer: str, plain: nn.Module, ckpt_dir: Path) -> None:
    """Load the tagger's encoder and ``layer`` head into a ``<Encoder>ForTokenClassification``."""
    classifier = getattr(plain, "classifier", None)
    head = tagger.heads[layer]
    if not isinstance(classifier, nn.Linear) or classifier.weight.shape != head.weight.shape:
        raise ExportError(
            f"{ckpt_dir}: {type(plain).__name__} has no linear `classifier` shaped like the {layer!r} head"
        )
    result = plain.base_model.load_state_dict(tagger.encoder.state_dict(), strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ExportError(
            f"{ckpt_dir}: encoder weights do not fit {type(plain).__name__}: "
            f"missing {result.missing_keys[:10]}, unexpected {result.unexpected_keys[:10]}"
        )
    classifier.load_state_dict(head.state_dict())


def aggregation_for(windows: dict | None) -> str:
    """The pipeline ``aggregation_strategy`` that reads a layer as it was trained.

    Trained with every sub-word labelled (``data.all_subwords``), each piece
    carries its word's tag (``B-X`` then ``I-X``), so "simple" grouping of
    pieces gives whole words. Trained on first sub-words only, later pieces'
    scores were never trained: "first" lets each word's first piece decide.
    """
    return "simple" if windows and windows.get("all_subwords") else "first"


def describe_export(
    ckpt_dir: Path, layer: str, tags: list[str], architecture: str, *, had_crf: bool, windows: dict | None = None
) -> str:
    """README text for an exported folder; ``windows`` is the checkpoint's ``qawl_windows`` config."""
    strategy = aggregation_for(windows)
    lines = [
        f"# `{layer}` tagger exported from a qawl checkpoint",
        "",
        f"- Source checkpoint: `{ckpt_dir}`",
        f"- Architecture: `{architecture}` (plain transformers, no remote code)",
        f"- Labels (class id order): {', '.join(f'`{t}`' for t in tags)}",
        "",
        f"Use it with `transformers.pipeline(\"token-classification\", model=THIS_FOLDER,"
        f" aggregation_strategy=\"{strategy}\")`.",
    ]
    if strategy == "first":
        lines += [
            "",
            "This layer was trained on the first sub-word of each word only (`data.all_subwords=false`), so the",
            "scores of later sub-words are untrained: with `aggregation_strategy=\"simple\"` words would break",
            "apart. Retrain with `data.all_subwords=true` to use \"simple\". \"first\" reads words as the",
            "tokenizer's whitespace-delimited words, so a span can end with attached punctuation (`بتونس،`)",
            "where qawl's words split it off: trim punctuation at span edges.",
        ]
    else:
        lines += [
            "",
            "\"simple\" groups pieces by their own tags, so a word can split where its later pieces disagree",
            "with its first. `qawl predict` decides each word by its first piece, as \"first\" does: on the",
            "default checkpoint \"first\" agreed with it more (span agreement 0.90 against 0.82), but with a",
            "sentencepiece tokenizer it reads whitespace-delimited words: trim punctuation at span edges.",
        ]
    if windows and windows.get("tokenize", "words") != "text":
        lines += [
            "",
            "The checkpoint was trained on words tokenized one by one (`data.tokenize=words`); the pipeline",
            "tokenizes the whole text, so with a sentencepiece tokenizer punctuation glued to a word (`بتونس،`)",
            "becomes other pieces than in training. Train with `data.tokenize=text` for identical inputs.",
        ]
    if windows:
        lines += [
            "",
            "## Long texts",
            "",
            f"The model was trained on windows of {windows['max_length']} tokens, and the tokenizer's",
            "`model_max_length` is set to that, so the pipeline cuts texts into chunks of the trained length.",
            "Without `stride` it keeps only the first chunk of a longer text. For longer texts pass",
            f"`stride={windows['stride']}` to the pipeline; it then merges overlapping chunks by its own rule, so words",
            "near chunk edges may be decided on other context than `qawl predict` uses. The qawl checkpoint's own",
            "pipeline (`trust_remote_code=True`) reproduces `qawl predict` exactly.",
        ]
    lines += [
        "",
        "With sentencepiece tokenizers (XLM-R style) an entity's `start` may point at the space before its",
        "first word; strip leading whitespace to get the word's offset.",
    ]
    if had_crf:
        lines += [
            "",
            "## CRF dropped",
            "",
            "This layer was trained with a CRF. Only its emission scores (the linear head) are exported:",
            "the learned transition, start and end scores and the BIO constraints of Viterbi decoding",
            "are not part of this model, so its per-token argmax can differ from the checkpoint's",
            "decoding and may produce `I-X` without a preceding `B-X`.",
        ]
    return "\n".join(lines) + "\n"

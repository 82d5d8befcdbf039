"""How closely ``pipeline("token-classification")`` on an exported entity layer
reproduces the checkpoint's own entities.

Exports the checkpoint's ``ner`` layer with ``qawl export``, runs the plain
pipeline over the sample corpus's dev and test articles (``stride`` = the
checkpoint's window overlap, so no text is cut) with each aggregation
strategy, once with the exported tokenizer as written and once with the
base's longer ``model_max_length`` (what exports did before they were cut at
the training window), and compares its entity spans with ``qawl predict``'s
(``load_checkpoint`` + ``predict_articles``). Pipeline spans are trimmed of
whitespace and punctuation at their edges (sentencepiece offsets include the
space before a word; "first" reads whitespace-delimited words).

Agreement is 2 x matched / (qawl spans + pipeline spans), a span matching
when start, end and type are equal.

    python -m benchmarks.export_agreement --checkpoint runs/default/model
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, RESULTS, git_commit, machine, span_agreement, system_figures, write_results

SAMPLE = [REPO / "data" / "sample" / f"{split}.jsonl" for split in ("dev", "test")]
EDGE = set(".,،؛:!?«»\"'()[]{}-–—…")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--strategies", nargs="+", default=["simple", "first", "average", "max"])
    p.add_argument("--out", type=Path, default=RESULTS / "export_agreement.json")
    return p.parse_args(argv)


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without whitespace or punctuation at either edge."""
    while start < end and (text[start].isspace() or text[start] in EDGE):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in EDGE):
        end -= 1
    return start, end


def agreement(ours: list[set], theirs: list[set]) -> dict:
    matched = sum(len(a & b) for a, b in zip(ours, theirs))
    n_ours, n_theirs = sum(map(len, ours)), sum(map(len, theirs))
    return {"qawl_spans": n_ours, "pipeline_spans": n_theirs, "matched": matched,
            "agreement": round(span_agreement(matched, n_ours, n_theirs), 4)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from transformers import AutoTokenizer, pipeline

    from qawl.models.export import export_layer
    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    articles = [json.loads(line) for path in SAMPLE for line in path.read_text(encoding="utf-8").splitlines()]
    model, tokenizer, spec, labels = load_checkpoint(args.checkpoint)
    predicted = predict_articles(model, tokenizer, spec, labels, articles)
    ours = [{(e["start"], e["end"], e["label"]) for e in p["entities"]} for p in predicted]
    base_limit = tokenizer.model_max_length

    systems = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = export_layer(args.checkpoint, "ner", Path(tmp) / "ner")
        limits = {"window": None, "base_limit": base_limit}
        for limit_name, limit in limits.items():
            tok = AutoTokenizer.from_pretrained(out, **({"model_max_length": limit} if limit else {}))
            for strategy in args.strategies:
                runner = pipeline("token-classification", model=str(out), tokenizer=tok, aggregation_strategy=strategy)
                start = time.perf_counter()
                theirs = [{(*trimmed(a["text"], g["start"], g["end"]), g["entity_group"])
                           for g in runner(a["text"], stride=spec.stride)} for a in articles]
                wall = time.perf_counter() - start
                scores = agreement(ours, theirs)
                systems[f"{strategy}_{limit_name}"] = system_figures(
                    "span_agreement_with_qawl_predict", scores["agreement"], round(wall, 1), None, None,
                    strategy=strategy, model_max_length=tok.model_max_length, **scores)

    result = {
        "command": "python -m benchmarks.export_agreement " + " ".join(sys.argv[1:] if argv is None else argv),
        "commit": git_commit(), "machine": machine(), "checkpoint": str(args.checkpoint),
        "windows": {"max_length": spec.max_length, "stride": spec.stride, "tokenize": spec.tokenize,
                    "all_subwords": spec.all_subwords},
        "articles": len(articles), "systems": systems,
    }
    print(write_results(args.out, result, render))
    return 0


def render(result: dict) -> str:
    rows = [f"| {f['strategy']} | {f['model_max_length']} | {f['qawl_spans']} | {f['pipeline_spans']} | "
            f"{f['matched']} | {f['f1']} |" for f in result["systems"].values()]
    w = result["windows"]
    return "\n".join([
        "# Exported entity layer in `pipeline(\"token-classification\")` against `qawl predict`",
        "",
        f"Produced by `{result['command']}` at commit `{result['commit']}`.",
        f"Checkpoint windows: {w['max_length']} tokens, overlap {w['stride']}, `tokenize={w['tokenize']}`,",
        f"`all_subwords={w['all_subwords']}`. {result['articles']} sample dev and test articles; the pipeline is",
        f"called with `stride={w['stride']}`. Agreement: 2 x matched / (qawl spans + pipeline spans), exact",
        "start, end and type after trimming whitespace and punctuation off pipeline span edges.",
        "",
        "| aggregation | tokenizer model_max_length | qawl spans | pipeline spans | matched | agreement |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"`model_max_length` {w['max_length']} is what `qawl export` now writes (the training window); the",
        "larger value is the base tokenizer's, which exports kept before.",
        "",
    ])


if __name__ == "__main__":
    sys.exit(main())

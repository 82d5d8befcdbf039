"""The news model, scored: a checkpoint of ``configs/news.yaml`` on every test set qawl has.

``configs/news.yaml`` trains one model on ANERcorp (entities), the ANT gold
quote corpus (entities and quotes) and rule-made ANT silver quotes. This
script scores such a checkpoint on

* the ANERcorp test split (entity micro F1 on word tags, strict IOB2, per type);
* AQMAR (Arabic Wikipedia, out of domain; same scoring);
* the ANT gold test and dev splits: entities (exact spans, per type) and
  quotes (CONTENT / SOURCE / CUE, attribution) from ``qawl predict``.

Training cost comes from the run: ``--time`` reads the GNU ``time -v`` log the
run was launched under (wall, CPU, peak RSS) and ``--run`` its ``metrics.jsonl``
(median training tokens/s). Writes ``benchmarks/results/news.json`` and ``.md``.

    /usr/bin/time -v -o runs/news.time accelerate launch train.py --config configs/news.yaml
    python -m benchmarks.news --checkpoint runs/news/model --run runs/news --time runs/news.time
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from benchmarks.common import (AQMAR_TAG_MAP, DATA, REPO, RESULTS, git_commit, machine, median_throughput, read_conll,
                               system_figures, write_results)

SPLITS = ("dev", "test")
TYPES = ("PER", "LOC", "ORG", "MISC")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", type=Path, required=True, help="a checkpoint trained by configs/news.yaml")
    p.add_argument("--run", type=Path, help="its run folder (metrics.jsonl: training tokens/s)")
    p.add_argument("--time", type=Path, help="the GNU `time -v` log of the training command")
    p.add_argument("--anercorp", type=Path, default=DATA / "anercorp" / "test.txt")
    p.add_argument("--aqmar", type=Path, default=DATA / "aqmar")
    p.add_argument("--corpus", type=Path, default=DATA / "ant" / "ant-multisource-v2.1.jsonl.gz")
    p.add_argument("--gold", type=Path, default=REPO / "data" / "ant_quotes" / "gold")
    p.add_argument("--out", type=Path, default=RESULTS / "news.json")
    args = p.parse_args(argv)
    for path, what in ((args.checkpoint, "checkpoint folder"), (args.anercorp, "ANERcorp test file"),
                       (args.corpus, "ANT corpus")):
        if not path.exists():
            p.error(f"{path}: no such {what}")
    for path, what in ((args.time, "`time -v` log"), (args.run and args.run / "metrics.jsonl", "run metrics file")):
        if path is not None and not path.is_file():
            p.error(f"{path}: no such {what}")
    return args


def read_time_log(path: Path) -> dict:
    """Wall seconds, CPU seconds and peak RSS (MB) from a GNU ``time -v`` log."""
    text = path.read_text(encoding="utf-8")

    def field(name: str) -> str:
        m = re.search(rf"^\s*{re.escape(name)}: (.+)$", text, re.M)
        if m is None:
            raise ValueError(f"{path}: no '{name}' line (not a `time -v` log?)")
        return m.group(1).strip()

    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "peak_rss_mb": round(int(field("Maximum resident set size (kbytes)")) / 1024, 1)}


def per_type(scores: dict) -> dict:
    """``{type: f1}`` of an entity score's per-type part, rounded."""
    types = scores.get("per_type") or {}
    return {t: round(types[t]["f1"], 4) for t in TYPES if t in types}


def score_ant(checkpoint: Path, gold: dict[str, list[dict]]) -> dict:
    """split -> entity and quote scores of the checkpoint's predictions (``qawl predict``)."""
    from qawl.train.evaluation.scoring import score_pairs
    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    model, tokenizer, spec, labels = load_checkpoint(checkpoint)
    out = {}
    for split, arts in gold.items():
        preds = predict_articles(model, tokenizer, spec, labels, [{"id": a["id"], "text": a["text"]} for a in arts])
        by_id = {p["id"]: p for p in preds}
        scores = score_pairs([(by_id[g["id"]], g) for g in arts], ("ner", "quote"))
        ner, quote = scores["ner"], scores["quote"]
        out[split] = {
            "entity_f1": round(ner["f1"], 4), "entity_per_type": per_type(ner),
            **{k: round(quote[k], 4) for k in ("content_exact_f1", "content_overlap_f1", "source_exact_f1",
                                               "cue_exact_f1", "attribution_accuracy")},
            "predicted_quotes": quote["predicted_quotes"], "gold_quotes": quote["gold_quotes"],
        }
    return out


def score_conll(checkpoint: Path, articles: list[dict]) -> dict:
    """Entity scores (strict IOB2 on word tags) and per-type F1 of the checkpoint on CoNLL articles."""
    from benchmarks.anercorp import qawl_word_tags
    from benchmarks.common import score_word_tags, word_rows

    rows = word_rows(articles)
    strict = score_word_tags(qawl_word_tags(checkpoint, articles), [tags for _, tags in rows])["strict"]
    return {"f1": round(strict["f1"], 4), "precision": round(strict["precision"], 4),
            "recall": round(strict["recall"], 4), "per_type": per_type(strict)}


def render_markdown(result: dict) -> str:
    s = result["systems"]["news"]
    ant = result["ant"]
    lines = [
        "# The news model (`configs/news.yaml`)",
        "",
        f"Measured {result['finished']} at commit `{result['commit']}` on {result['machine'].get('cpu_count', '?')} CPU cores (load average {result['machine'].get('load_average_1m_at_start', '?')} at the start). "
        f"Checkpoint `{result['checkpoint']}`; rerun with `{result['command']}`.",
        "",
        "| test set | entity F1 | PER | LOC | ORG | MISC |",
        "|---|---|---|---|---|---|",
    ]
    for name, key in (("ANERcorp test", "anercorp"), ("AQMAR (out of domain)", "aqmar")):
        r = result.get(key)
        if r:
            lines.append(f"| {name} | {r['f1']:.3f} | " + " | ".join(f"{r['per_type'].get(t, 0):.3f}" for t in TYPES) + " |")
    for split in SPLITS:
        r = ant[split]
        lines.append(f"| ANT gold {split} | {r['entity_f1']:.3f} | "
                     + " | ".join(f"{r['entity_per_type'].get(t, 0):.3f}" for t in TYPES) + " |")
    lines += [
        "",
        "| ANT gold | CONTENT exact / overlap F1 | SOURCE exact F1 | CUE exact F1 | attribution | quotes predicted / gold |",
        "|---|---|---|---|---|---|",
    ]
    for split in SPLITS:
        r = ant[split]
        lines.append(f"| {split} | {r['content_exact_f1']:.3f} / {r['content_overlap_f1']:.3f} | {r['source_exact_f1']:.3f} | "
                     f"{r['cue_exact_f1']:.3f} | {r['attribution_accuracy']:.3f} | {r['predicted_quotes']} / {r['gold_quotes']} |")
    train = result.get("training") or {}
    lines += ["", "Training: " + (", ".join(f"{k} {v}" for k, v in train.items()) if train else "not measured here") + "."]
    if result.get("note"):
        lines += ["", result["note"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from qawl.data.standoff import load_standoff

    gold = {s: load_standoff(f"{args.gold}#{s}", args.corpus) for s in SPLITS}
    result = {
        "benchmark": "the news model on ANERcorp test, AQMAR and the ANT gold dev/test",
        "command": " ".join(["python -m benchmarks.news", *(sys.argv[1:] if argv is None else argv)]),
        "commit": git_commit(),
        "machine": machine(),
        "checkpoint": str(args.checkpoint),
        "anercorp": score_conll(args.checkpoint, read_conll(args.anercorp, 10)),
        "aqmar": score_conll(args.checkpoint, read_conll(args.aqmar, 10, AQMAR_TAG_MAP)) if args.aqmar.is_dir() else None,
        "ant": score_ant(args.checkpoint, gold),
    }
    training = read_time_log(args.time) if args.time else {}
    if args.run is not None:
        training["tokens_per_s"] = median_throughput(args.run / "metrics.jsonl")
    result["training"] = training
    result["systems"] = {"news": system_figures(
        "ANERcorp test entity F1", result["anercorp"]["f1"], training.get("wall_s"), training.get("tokens_per_s"),
        training.get("peak_rss_mb"), system="qawl news model", ant_test_entity_f1=result["ant"]["test"]["entity_f1"],
        ant_test_attribution=result["ant"]["test"]["attribution_accuracy"])}
    print(write_results(args.out, result, render_markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Arabic quotes on the gold ANT test split: a model trained on gold + silver against the rules alone.

One invocation:

1. trains ``python train.py --config configs/ant-quotes-silver.yaml`` (gold
   train articles plus a sample of the rule-made silver file), measured: wall
   and CPU seconds, peak RSS, median training tokens/s;
2. predicts the gold dev and test articles with the trained checkpoint (the
   code behind ``qawl predict``: quotes grouped and attributed from the
   model's CONTENT / SOURCE / CUE and entity spans);
3. annotates the same articles with the rules (``qawl silver``'s annotator,
   text only, as in ``benchmarks/silver_rules.py``);
4. scores both with the same scorer (``qawl_quotes``): exact and word-overlap
   F1 per part and attribution accuracy.

The silver file must exist first (it holds ANT text, so it is not in git)::

    qawl silver --corpus ../shared/data/ant/ant-multisource-v2.1.jsonl.gz --out runs/silver/ant-silver.jsonl.gz
    python -m benchmarks.ant_quotes
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from benchmarks.common import (DATA, REPO, RESULTS, git_commit, machine, median_throughput, python, run_measured,
                               thread_env, write_json, write_results)

SPLITS = ("dev", "test")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default="configs/ant-quotes-silver.yaml")
    p.add_argument("--threads", type=int, default=2, help="torch threads of the training run")
    p.add_argument("--corpus", type=Path, default=DATA / "ant" / "ant-multisource-v2.1.jsonl.gz")
    p.add_argument("--gold", type=Path, default=REPO / "data" / "ant_quotes" / "gold")
    p.add_argument("--work", type=Path, default=REPO / "runs" / "ant-quotes-bench")
    p.add_argument("--reuse", action="store_true", help="score the checkpoint already in --work instead of training")
    p.add_argument("--out", type=Path, default=RESULTS / "ant_quotes.json")
    p.add_argument("overrides", nargs="*", help="dotted config overrides for the training run")
    args = p.parse_args(argv)
    args.work = args.work.resolve()  # a relative --work is read from the current folder, as usual
    return args


def flat(scores: dict) -> dict:
    """The headline figures of one ``benchmarks.silver_rules.score`` result."""
    out = {f"{part}_{kind}_f1": scores[part][kind]["f1"] for part in ("content", "source", "cue")
           for kind in ("overlap", "exact")}
    return {**out, "attribution_accuracy": scores["attribution_accuracy"], "gold_quotes": scores["gold_quotes"],
            "predicted_quotes": scores["predicted_quotes"]}


def train_model(args, cfg) -> tuple[Path, dict]:
    """Train (or reuse) the gold+silver model; returns its checkpoint and the run's measures."""
    out = args.work / "model-run"
    overrides = [f"train.output_dir={out}", f"train.threads={args.threads}", *args.overrides]
    cmd = [python(), "train.py", "--config", args.config, *overrides]
    command = "python " + " ".join(cmd[1:]).replace(str(REPO) + "/", "")
    usage_file = args.work / "train.log.usage.json"
    if args.reuse and (out / "model").is_dir() and (args.work / "measured.json").is_file():
        return out / "model", json.loads((args.work / "measured.json").read_text())
    measured = run_measured(cmd, args.work / "train.log", env=thread_env(args.threads))
    if measured.returncode:
        raise RuntimeError(f"training failed ({measured.returncode}); see {args.work / 'train.log'}")
    steps = [json.loads(l)["step"] for l in (out / "metrics.jsonl").read_text().splitlines()]
    info = {"command": command, "wall_s": measured.wall_s, "cpu_s": measured.cpu_s,
            "peak_rss_mb": measured.peak_rss_mb, "tokens_per_s": median_throughput(out / "metrics.jsonl"),
            "train_steps": max(steps), "usage_file": str(usage_file.relative_to(REPO))}
    write_json(args.work / "measured.json", info)
    return out / "model", info


def predict_gold(checkpoint: Path, gold: dict[str, list[dict]]) -> tuple[dict[str, list[dict]], float]:
    """The checkpoint's predicted articles per split, and the seconds they took."""
    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    model, tokenizer, spec, labels = load_checkpoint(checkpoint)
    start = time.perf_counter()
    preds = {s: predict_articles(model, tokenizer, spec, labels, [{"id": a["id"], "text": a["text"]} for a in arts])
             for s, arts in gold.items()}
    return preds, time.perf_counter() - start


def render_markdown(result: dict) -> str:
    lines = [
        "# Arabic quotes (gold ANT splits): model trained on gold + silver against the rules alone",
        "",
        f"Measured {result['finished']} at commit `{result['commit']}` on {result['machine']['cpu_count']} CPU cores. "
        f"Rerun with `{result['command']}`.",
        "",
        "Both systems are scored by the same scorer (`qawl_quotes`) on the same gold articles: word-overlap (ov) "
        "and exact (ex) F1 per part; attribution accuracy over gold quotes whose CONTENT was found. The rules "
        "are `qawl silver`'s annotator on text alone; the model's quotes are grouped and attributed from its "
        "own CONTENT/SOURCE/CUE and entity spans (`qawl predict`).",
        "",
        "| system | split | gold / predicted quotes | CONTENT ov F1 | CONTENT ex F1 | SOURCE ov F1 | SOURCE ex F1 "
        "| CUE ov F1 | CUE ex F1 | attribution |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in result["systems"].values():
        for split, r in s["splits"].items():
            lines.append(
                f"| {s['system']} | {split} | {r['gold_quotes']} / {r['predicted_quotes']} | {r['content_overlap_f1']:.3f} "
                f"| {r['content_exact_f1']:.3f} | {r['source_overlap_f1']:.3f} | {r['source_exact_f1']:.3f} "
                f"| {r['cue_overlap_f1']:.3f} | {r['cue_exact_f1']:.3f} | {r['attribution_accuracy']:.3f} |")
    cmp_ = result["comparison"]
    lines += ["", "| target (test split) | model | rules | met |", "|---|---|---|---|"]
    for key, (m, r) in cmp_.items():
        lines.append(f"| {key} higher than the rules | {m:.3f} | {r:.3f} | {'yes' if m > r else 'no'} |")
    dev_m, dev_r = result["systems"]["model"]["splits"]["dev"], result["systems"]["rules"]["splits"]["dev"]
    lines += ["", "The same two figures on dev (model - rules): "
              + ", ".join(f"{key} {dev_m[key] - dev_r[key]:+.3f}" for key in cmp_) + "."]
    model = result["systems"]["model"]
    lines += ["", f"Training: `{model['command']}`: {model['wall_s']} s wall, {model['cpu_s']} CPU s, "
              f"{model['train_steps']} steps, median {model['tokens_per_s']} tokens/s, peak RSS {model['peak_rss_mb']} MB. "
              f"Prediction of the dev and test articles: {model['predict_s']} s.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from benchmarks.silver_rules import annotate, score
    from qawl.data.standoff import load_standoff
    from qawl.train.config import load_config
    from qawl.train.evaluation.metrics import load_metric

    cfg = load_config(REPO / args.config)
    for corpus in cfg.data.corpora:
        for path in corpus.train:
            if corpus.format == "jsonl" and not (REPO / path).exists():
                print(f"{path}: not found; make it with `qawl silver --corpus {args.corpus} --out {path}`",
                      file=sys.stderr)
                return 2
    result = {"benchmark": "ANT gold quotes, gold+silver model vs rules", "commit": git_commit(), "machine": machine(),
              "command": "python -m benchmarks.ant_quotes " + " ".join(sys.argv[1:] if argv is None else argv)}
    gold = {s: load_standoff(f"{args.gold}#{s}", args.corpus) for s in SPLITS}
    rules = {s: annotate(arts, "rules") for s, arts in gold.items()}
    rules_rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # before torch is imported
    checkpoint, info = train_model(args, cfg)
    preds, predict_s = predict_gold(checkpoint, gold)
    metric = load_metric("qawl_quotes")
    model_scores = {s: flat(score(metric, preds[s], gold[s])) for s in SPLITS}
    rule_scores = {s: flat(score(metric, rules[s][0], gold[s])) for s in SPLITS}
    words = sum(w for _, _, w in rules.values())
    rule_s = sum(t for _, t, _ in rules.values())
    result["systems"] = {
        "model": {"system": "qawl gold+silver model", **info, "f1": model_scores["test"]["content_overlap_f1"],
                  "predict_s": round(predict_s, 1), "splits": model_scores},
        "rules": {"system": "rules (qawl silver)", "command": "python -m benchmarks.silver_rules",
                  "f1": rule_scores["test"]["content_overlap_f1"], "wall_s": round(rule_s, 3),
                  "tokens_per_s": round(words / rule_s) if rule_s else None, "peak_rss_mb": rules_rss,
                  "splits": rule_scores},
    }
    result["comparison"] = {k: (model_scores["test"][k], rule_scores["test"][k])
                            for k in ("content_overlap_f1", "attribution_accuracy")}
    print(write_results(args.out, result, render_markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure each attribution rule of ``data.quotes.group_quotes`` on gold spans.

The gold CONTENT / SOURCE / CUE spans of each article are flattened, grouped
back into quotes by the rules, and the predicted quotes scored against the
gold ones with the project's quote metric (attribution accuracy, plus SOURCE
and CUE exact F1, which measure the grouping). Rules are switched on one at a
time, so each line shows what one rule adds.

    python -m benchmarks.attribution_rules [--corpus ../shared/data/ant/ant-multisource-v2.1.jsonl.gz]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

from qawl.data.article import layer_spans, read_articles
from qawl.data.quotes import AttributionRules, group_quotes
from qawl.data.standoff import load_standoff
from qawl.train.evaluation.metrics import load_metric

ROOT = Path(__file__).resolve().parents[1]

STEPS = [
    ("no rules (speaker = SOURCE text)", AttributionRules(carry=False, fullest=False, anonymous=False, descriptions=False)),
    ("+ carry speaker to quotes without SOURCE", AttributionRules(carry=True, fullest=False, anonymous=False, descriptions=False)),
    ("+ fullest mention of a named SOURCE", AttributionRules(carry=True, fullest=True, anonymous=False, descriptions=False)),
    ("+ anonymous sources -> null", AttributionRules(carry=True, fullest=True, anonymous=True, descriptions=False)),
    ("+ descriptions/pronouns -> nearest entity (all rules)", AttributionRules()),
]


def regroup(arts: list[dict], rules: AttributionRules) -> list[dict]:
    out = []
    for a in arts:
        ents = [(e["start"], e["end"], e["label"]) for e in a.get("entities") or []]
        out.append({"id": a["id"], "text": a["text"], "quotes": group_quotes(a["text"], layer_spans(a, "quote"), ents, rules)})
    return out


def score(metric, gold: list[dict], pred: list[dict]) -> dict:
    res = metric.compute(
        predictions=[json.dumps({"text": p["text"], "quotes": p["quotes"]}, ensure_ascii=False) for p in pred],
        references=[json.dumps({"text": g["text"], "quotes": g["quotes"]}, ensure_ascii=False) for g in gold],
    )
    return {k: res[k] for k in ("attribution_accuracy", "source_exact_f1", "cue_exact_f1", "content_exact_f1")}


def systems_of(rows: list[dict]) -> dict:
    """Per rule set: main score = attribution accuracy on the ANT test split; wall time of scoring every set."""
    from benchmarks.common import system_figures

    return {r["rules"]: system_figures("ANT test attribution accuracy (gold spans)", r["ant-test"]["attribution_accuracy"],
                                       round(sum(v["wall_s"] for v in r.values() if isinstance(v, dict) and "wall_s" in v), 3),
                                       None, None)
            for r in rows}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", default=str(ROOT.parent / "shared/data/ant/ant-multisource-v2.1.jsonl.gz"))
    p.add_argument("--out", default=str(ROOT / "benchmarks/results/attribution_rules.json"))
    args = p.parse_args()
    sets = {f"ant-{s}": load_standoff(ROOT / f"data/ant_quotes/gold#{s}", corpus=args.corpus) for s in ("train", "dev", "test")}
    sets["sample-test"] = read_articles(ROOT / "data/sample/test.jsonl")
    metric = load_metric("qawl_quotes", keep_in_memory=True)
    rows = []
    for name, rules in STEPS:
        row = {"rules": name, "settings": asdict(rules)}
        for set_name, gold in sets.items():
            t0 = time.perf_counter()
            row[set_name] = score(metric, gold, regroup(gold, rules))
            row[set_name]["wall_s"] = round(time.perf_counter() - t0, 3)
        rows.append(row)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    command = "python -m benchmarks.attribution_rules"
    Path(args.out).write_text(json.dumps({"command": command, "commit": commit, "rows": rows,
                                          "systems": systems_of(rows)}, ensure_ascii=False, indent=2))
    lines = [f"# Attribution rules on gold spans\n\n`{command}` at `{commit[:10]}`. Attribution accuracy "
             "(SOURCE exact F1 / CUE exact F1 in brackets: how well parts are grouped).\n",
             "| rules | " + " | ".join(sets) + " |", "|---|" + "---|" * len(sets)]
    for r in rows:
        cells = [f"{r[s]['attribution_accuracy']:.3f} ({r[s]['source_exact_f1']:.3f} / {r[s]['cue_exact_f1']:.3f})" for s in sets]
        lines.append(f"| {r['rules']} | " + " | ".join(cells) + " |")
    Path(args.out).with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""English quotes on PolNeAR test: CONTENT / SOURCE / CUE exact and overlap F1.

Trains ``python train.py --config configs/polnear.yaml`` (measured: wall and
CPU seconds, peak RSS, median training tokens/s) and reports the test split's
quote scores from the run's own evaluation (``model/scores.json``: the
project's ``qawl_quotes`` scorer). ``--max-steps`` caps training for a CPU
budget; the result says how many steps were run.

Context, not the same data: BBC Citron on PARC 3.0, end to end, reports
CONTENT exact 59.3 / overlap 83.3 F1 and SOURCE exact 82.0 (Newell, Margolin
and Ruths 2018 describe PolNeAR; Citron's figures are from its documentation).

    python -m benchmarks.polnear --max-steps 800
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.common import DATA, REPO, RESULTS, git_commit, machine, median_throughput, python, run_measured, thread_env, write_results

#: BBC Citron on PARC 3.0, end to end (F1, percent)
CITRON = {"content_exact_f1": 59.3, "content_overlap_f1": 83.3, "source_exact_f1": 82.0}
PARTS = ("content", "source", "cue")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default="configs/polnear.yaml")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=0, help="cap optimizer steps (0: the config's epochs)")
    p.add_argument("--work", type=Path, default=REPO / "runs" / "polnear-bench")
    p.add_argument("--out", type=Path, default=RESULTS / "polnear.json")
    return p.parse_args(argv)


def quote_scores(scores: dict) -> dict:
    """Per-part exact/overlap P/R/F1 and attribution accuracy of one split in ``scores.json``."""
    out = {}
    for part in PARTS:
        for kind in ("exact", "overlap"):
            for m in ("precision", "recall", "f1"):
                out[f"{part}_{kind}_{m}"] = round(scores[f"quote_{part}_{kind}_{m}"], 4)
    out["attribution_accuracy"] = round(scores["attribution_accuracy"], 4)
    return out


def render_markdown(result: dict) -> str:
    s = result["systems"]["qawl"]
    lines = [
        "# PolNeAR test (English quotes)",
        "",
        f"Measured {result['finished']} at commit `{result['commit']}` on {result['machine']['cpu_count']} CPU cores. "
        f"Rerun with `{result['command']}`.",
        "",
        f"Training: `{s['command']}`, {s['train_steps']} optimizer steps of {s['batch_size']} windows, {s['wall_s']} s wall, {s['cpu_s']} CPU s, median {s['tokens_per_s']} tokens/s, "
        f"peak RSS {s['peak_rss_mb']} MB.",
        "",
        "| part | exact P | exact R | exact F1 | overlap P | overlap R | overlap F1 | Citron (PARC 3.0) exact / overlap F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    t = s["test"]
    for part in PARTS:
        ctx = " / ".join(str(CITRON.get(f"{part}_{k}_f1", "-")) for k in ("exact", "overlap"))
        lines.append(f"| {part.upper()} | " + " | ".join(f"{t[f'{part}_{k}_{m}']:.3f}" for k in ("exact", "overlap")
                                                          for m in ("precision", "recall", "f1")) + f" | {ctx} |")
    lines += ["", f"Attribution accuracy (speaker of found quotes): {t['attribution_accuracy']:.3f}. "
              f"Dev CONTENT overlap F1: {s['dev']['content_overlap_f1']:.3f}.",
              "", "Citron's figures are on another corpus (PARC 3.0) and are context, not a same-data comparison.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from qawl.train.config import load_config

    if not (DATA / "polnear" / "data" / "train").is_dir():
        print(f"{DATA / 'polnear'}: not found (PolNeAR lives in the shared data folder)", file=sys.stderr)
        return 2
    out = args.work / "run"
    overrides = [f"train.output_dir={out}", f"train.threads={args.threads}", "train.trackers=[]"]
    if args.max_steps:
        overrides.append(f"train.max_steps={args.max_steps}")
    cmd = [python(), "train.py", "--config", args.config, *overrides]
    result = {"benchmark": "PolNeAR test quotes", "commit": git_commit(), "machine": machine(),
              "command": "python -m benchmarks.polnear " + " ".join(sys.argv[1:] if argv is None else argv)}
    measured = run_measured(cmd, args.work / "train.log", env=thread_env(args.threads))
    if measured.returncode:
        raise RuntimeError(f"training failed ({measured.returncode}); see {args.work / 'train.log'}")
    scores = json.loads((out / "model" / "scores.json").read_text())
    rows = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
    steps = max(r["step"] for r in rows)
    test = quote_scores(scores["test"])
    result["systems"] = {"qawl": {
        "system": "qawl", "command": "python " + " ".join(cmd[1:]).replace(str(REPO) + "/", ""),
        "f1": test["content_overlap_f1"], "wall_s": measured.wall_s, "cpu_s": measured.cpu_s,
        "tokens_per_s": median_throughput(out / "metrics.jsonl"), "peak_rss_mb": measured.peak_rss_mb,
        "train_steps": steps, "batch_size": load_config(REPO / args.config).train.batch_size,
        "test": test, "dev": quote_scores(scores["dev"]) if "dev" in scores else {},
    }}
    result["context_citron_parc3"] = CITRON
    print(write_results(args.out, result, render_markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())

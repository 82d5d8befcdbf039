"""Scores of the rule-based quote annotator on the gold ANT stand-off corpus.

The rules (:func:`qawl.data.quote_rules.annotate_quotes`) annotate the gold
articles' text and are scored with the project's quote scorer
(``train.metrics.load_metric("qawl_quotes")``): exact and word-overlap
P/R/F1 for CONTENT, SOURCE and CUE, and attribution accuracy. Two systems:

* ``rules``: text only, SOURCE from the noun-phrase heuristics (what
  ``qawl silver --corpus`` does);
* ``rules+gold-entities``: the gold entity layer given as input, an upper
  bound on what entities from a tagger would add.

Splits come from ``data/ant_quotes/splits.json`` (via
:func:`data.standoff.load_standoff`); the rules were tuned on train only, so
dev and test are the honest figures. Speed: wall seconds and words per second
of annotation on the scored articles and on the first ``--throughput``
articles of the ANT corpus; peak resident memory of the process while
annotating (before the scorer, which imports torch, is loaded) and after.

    python -m benchmarks.silver_rules --out benchmarks/results/silver_rules.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SYSTEMS = ("rules", "rules+gold-entities")
PARTS = ("content", "source", "cue")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=DATA / "ant" / "ant-multisource-v2.1.jsonl.gz")
    p.add_argument("--gold", type=Path, default=REPO / "data" / "ant_quotes" / "gold")
    p.add_argument("--splits", nargs="+", default=["train", "dev", "test"],
                   help="splits to score (train is where the rules were tuned)")
    p.add_argument("--throughput", type=int, default=3000, help="ANT articles for the speed measure (0: skip)")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "silver_rules.json")
    return p.parse_args(argv)


def git_commit() -> str | None:
    """``git rev-parse HEAD``, with ``+dirty`` when tracked files differ from it; None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=REPO).returncode != 0
    return head + ("+dirty" if dirty else "")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_gold(args: argparse.Namespace) -> tuple[dict[str, list[dict]], str]:
    """Gold articles per split, and where the splits came from."""
    from qawl.data.standoff import SPLITS_FILE, load_standoff

    if SPLITS_FILE.is_file():
        arts = {s: load_standoff(f"{args.gold}#{s}", args.corpus) for s in args.splits}
        return arts, str(SPLITS_FILE.relative_to(REPO))
    return {"all": load_standoff(args.gold, args.corpus)}, "none (no splits file): all gold articles"


def annotate(arts: list[dict], system: str) -> tuple[list[dict], float, int]:
    """Predicted articles, wall seconds and words annotated."""
    from qawl.data.quote_rules import annotate_quotes
    from qawl.data.words import split_words

    words = sum(len(split_words(a["text"])) for a in arts)
    start = time.perf_counter()
    preds = [{"id": a["id"], "text": a["text"],
              "quotes": annotate_quotes(a["text"], a["entities"] if system == "rules+gold-entities" else None)}
             for a in arts]
    return preds, time.perf_counter() - start, words


def score(metric, preds: list[dict], gold: list[dict]) -> dict:
    refs = [json.dumps({"id": a["id"], "text": a["text"], "quotes": a["quotes"]}, ensure_ascii=False) for a in gold]
    out = metric.compute(predictions=[json.dumps(p, ensure_ascii=False) for p in preds], references=refs)
    d = out["detail"]
    parts = {p: {kind: {k: round(v, 4) for k, v in d[p][kind].items() if k in ("precision", "recall", "f1")}
                 for kind in ("exact", "overlap")} for p in PARTS}
    return {"articles": len(gold), "gold_quotes": out["gold_quotes"], "predicted_quotes": out["predicted_quotes"],
            **parts, "attribution_accuracy": round(d["attribution"]["accuracy"], 4),
            "attribution_found": d["attribution"]["found"], "attribution_gold": d["attribution"]["gold"]}


def throughput(corpus: Path, n: int) -> dict:
    """Annotation speed of the text-only rules on the first ``n`` ANT articles."""
    import itertools

    from qawl.data.silver.corpus import iter_corpus

    texts = [rec["text"] for _, rec in itertools.islice(iter_corpus(corpus), n)]
    arts = [{"id": str(i), "text": t, "entities": None} for i, t in enumerate(texts)]
    preds, seconds, words = annotate(arts, "rules")
    return {"articles": len(texts), "characters": sum(map(len, texts)), "words": words,
            "quotes": sum(len(p["quotes"]) for p in preds), "wall_s": round(seconds, 2),
            "tokens_per_s": round(words / seconds), "articles_per_s": round(len(texts) / seconds, 1)}


def markdown(result: dict) -> str:
    lines = [
        "# Rule-based quote annotator on the gold ANT corpus",
        "",
        f"Produced by `{result['command']}` at commit `{result['commit']}` ({result['date']}).",
        f"Splits: {result['splits_from']}. The rules were tuned on the train articles; the dev split guided",
        "the boundary changes made for the quote model (each kept only where train agreed); the test split",
        "was never used to choose or change a rule.",
        "Scores from `train.metrics.load_metric(\"qawl_quotes\")`: word-overlap (ov) and exact-match (ex) F1 per",
        "part, attribution accuracy over gold quotes whose CONTENT was found.",
        "",
        "| system | split | articles | gold / predicted quotes | CONTENT ov F1 | CONTENT ex F1 | SOURCE ov F1 | "
        "SOURCE ex F1 | CUE ov F1 | CUE ex F1 | attribution |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for sys_obj in result["systems"].values():
        for split, r in sys_obj["splits"].items():
            lines.append(
                f"| {sys_obj['name']} | {split} | {r['articles']} | {r['gold_quotes']} / {r['predicted_quotes']} | "
                f"{r['content']['overlap']['f1']:.3f} | {r['content']['exact']['f1']:.3f} | "
                f"{r['source']['overlap']['f1']:.3f} | {r['source']['exact']['f1']:.3f} | "
                f"{r['cue']['overlap']['f1']:.3f} | {r['cue']['exact']['f1']:.3f} | {r['attribution_accuracy']:.3f} |")
    lines += ["", "Speed (one core, pure Python):", ""]
    for sys_obj in result["systems"].values():
        lines.append(f"- {sys_obj['name']}: {sys_obj['tokens_per_s']:,} words/s on the scored articles "
                     f"({sys_obj['wall_s']} s).")
    t = result.get("throughput")
    if t:
        lines.append(f"- first {t['articles']:,} ANT articles ({t['words']:,} words): {t['wall_s']} s, "
                     f"{t['tokens_per_s']:,} words/s, {t['articles_per_s']} articles/s, {t['quotes']:,} quotes.")
    lines.append(f"- peak resident memory: {result['peak_rss_mb']} MB while annotating (gold corpus and "
                 f"throughput texts loaded), {result['peak_rss_mb_with_scorer']} MB once the scorer (torch) is loaded.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from qawl.data.quote_rules import annotate_quotes

    gold, splits_from = load_gold(args)
    annotate_quotes("وقال إن")  # warm-up: builds the word pattern and the cue lexicon outside the timings
    runs = {name: {split: annotate(arts, name) for split, arts in gold.items()} for name in SYSTEMS}
    speed = throughput(args.corpus, args.throughput) if args.throughput else None
    rss = round(peak_rss_mb(), 1)  # annotation only: the scorer below pulls in torch

    from qawl.train.evaluation.metrics import load_metric

    metric = load_metric("qawl_quotes")
    systems = {}
    for name in SYSTEMS:
        per_split = {split: score(metric, preds, gold[split]) for split, (preds, _, _) in runs[name].items()}
        seconds = sum(s for _, s, _ in runs[name].values())
        words = sum(w for _, _, w in runs[name].values())
        headline = "test" if "test" in per_split else next(iter(per_split))
        systems[name] = {"name": name, "score": f"{headline} CONTENT overlap F1",
                         "f1": per_split[headline]["content"]["overlap"]["f1"], "f1_split": headline,
                         "wall_s": round(seconds, 3), "tokens_per_s": round(words / seconds) if seconds else None,
                         "peak_rss_mb": rss, "splits": per_split}
    result = {
        "benchmark": "silver_rules",
        "command": "python -m benchmarks.silver_rules " + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": git_commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "splits_from": splits_from,
        "systems": systems,
        "throughput": speed,
        "peak_rss_mb": rss,
        "peak_rss_mb_with_scorer": round(peak_rss_mb(), 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

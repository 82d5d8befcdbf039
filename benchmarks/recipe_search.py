"""Recipe search for ANERcorp: short qawl runs scored on a dev split carved from train.

Every trial is ``train.py --config configs/anercorp.yaml`` with the starting
recipe pinned by overrides (:data:`START`) plus the trial's own overrides,
trained on the same 90% of ANERcorp train and scored on the same held-out
10% (never on test). The dev sentences are the blocks that
``data.dev_fraction`` carves with the config's seed and a 10-sentence
grouping, written once as two CoNLL files under ``--work`` so that runs with
other groupings (``options: {group: N}``) are scored on the very same
sentences. Each trial appends to ``benchmarks/results/recipe_search.json``
(a rerun replaces its entry) and the Markdown table is rewritten.

    python -m benchmarks.recipe_search --trials base sentences
    python -m benchmarks.recipe_search --list
"""
from __future__ import annotations

import argparse
import fcntl
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import DATA, REPO, RESULTS, git_commit, median_throughput, python, run_measured, thread_env, write_json

CONFIG = "configs/anercorp.yaml"
SPLIT_GROUP = 10  # sentences per block when carving dev (the grouping dev_fraction would see)


@dataclass(frozen=True)
class Trial:
    """One search run: what it asks and the overrides that ask it."""

    question: str
    overrides: tuple[str, ...] = ()


#: the starting recipe, pinned so that later edits of the config file do not change what a trial ran
START = (
    "data.corpora.0.options.group=10", "data.max_length=256", "data.stride=64", "model.keep_layers=8",
    "model.reinit_top=0", "model.crf=[]", "train.batch_size=16", "train.lr=1e-4", "train.layer_decay=0.9",
    "train.head_lr=2e-3", "train.embedding_lr=0", "train.warmup_ratio=0.1",
)
B4 = ("train.batch_size=4",)
B2H = ("train.batch_size=2", "train.head_lr=5e-3")
B1C = ("train.batch_size=1", "train.head_lr=5e-3", "model.crf=[ner]")

#: trials, in the order they were run; each is START plus its overrides
TRIALS: dict[str, Trial] = {
    "base": Trial("the starting recipe: 10-sentence windows, 16 per batch, 8 layers, lr 1e-4, decay 0.9, head 2e-3"),
    "sentences": Trial("sentence examples instead of 10-sentence windows", ("data.corpora.0.options.group=1",)),
    "windows-b4": Trial("10-sentence windows, 4 per batch (about the tokens of 16 sentences per step)", B4),
    "windows-b2": Trial("10-sentence windows, 2 per batch", ("train.batch_size=2",)),
    "b2h": Trial("batch 2 + head lr 5e-3 (the two best changes so far together)", B2H),
    "b2h-crf": Trial("b2h + BIO-constrained CRF on the entity layer", (*B2H, "model.crf=[ner]")),
    "b2h-keep6": Trial("b2h + keep 6 encoder layers instead of 8", (*B2H, "model.keep_layers=6")),
    "b2h-lr2e-4": Trial("b2h + encoder lr 2e-4 at the top", (*B2H, "train.lr=2e-4")),
    "b2h-b1": Trial("b2h with 1 window per batch", (*B2H, "train.batch_size=1")),
    "b2h-reinit1": Trial("b2h + re-initialise the top kept layer", (*B2H, "model.reinit_top=1")),
    "b2h-head1e-2": Trial("b2h with head lr 1e-2", (*B2H, "train.head_lr=1e-2")),
    "b1c": Trial("1 window per batch, head lr 5e-3, CRF (the best changes so far together)", B1C),
    "b1c-lr2e-4": Trial("b1c + encoder lr 2e-4 at the top", (*B1C, "train.lr=2e-4")),
    "b1c-lr2e-4-keep6": Trial("b1c + encoder lr 2e-4 + keep 6 layers", (*B1C, "train.lr=2e-4", "model.keep_layers=6")),
    "b1c-lr4e-4": Trial("b1c + encoder lr 4e-4 at the top", (*B1C, "train.lr=4e-4")),
    "b1c-lr2e-4-head1e-2": Trial("b1c + encoder lr 2e-4 + head lr 1e-2", (*B1C, "train.lr=2e-4", "train.head_lr=1e-2")),
    "b1c-lr2e-4-text": Trial("b1c + encoder lr 2e-4 + the text tokenized whole", (*B1C, "train.lr=2e-4", "data.tokenize=text")),
    "b1c-lr2e-4-text-all": Trial("b1c-lr2e-4-text + every sub-word labelled",
                                 (*B1C, "train.lr=2e-4", "data.tokenize=text", "data.all_subwords=true")),
}

DEFAULT_WORK = REPO / "runs" / "recipe-search"


def carve_split(train_file: Path, out: Path, fraction: float, seed: int) -> tuple[Path, Path]:
    """Write ``out/train.txt`` and ``out/dev.txt``: the sentences of ``train_file``
    split by 10-sentence block exactly as ``data.dev_fraction`` splits them.

    Lines are copied unchanged; blocks are named ``<stem>-<n>`` like the CoNLL
    reader names them, so ``train.corpora.carve_dev`` picks the same blocks.
    """
    from qawl.train.corpora import carve_dev

    sentences: list[list[str]] = []
    current: list[str] = []
    for line in train_file.read_text(encoding="utf-8-sig").split("\n"):
        if line.strip():
            current.append(line.rstrip("\r"))
        elif current:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    blocks = [sentences[i : i + SPLIT_GROUP] for i in range(0, len(sentences), SPLIT_GROUP)]
    stubs = [{"id": f"{train_file.stem}-{n}", "block": b} for n, b in enumerate(blocks, 1)]
    keep, dev = carve_dev(stubs, fraction, seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / "train.txt", out / "dev.txt")
    for path, part in zip(paths, (keep, dev)):
        path.write_text("".join("\n".join(s) + "\n\n" for stub in part for s in stub["block"]), encoding="utf-8")
    return paths


def run_trial(name: str, trial: Trial, split: tuple[Path, Path], work: Path, threads: int, epochs: float) -> dict:
    """Train one trial and return its log entry."""
    out = work / name
    shutil.rmtree(out, ignore_errors=True)  # metrics.jsonl appends: start each trial clean
    common = [
        f"data.corpora.0.train=[{split[0]}]",
        f"data.corpora.0.dev=[{split[1]}]",
        "data.corpora.0.test=[]",
        "data.dev_fraction=0",
        f"train.epochs={epochs}",
        "train.eval_every=0",
        "train.patience=0",
        "train.log_every=5",
        f"train.threads={threads}",
        f"train.output_dir={out}",
        "eval.splits=[dev]",
    ]
    cmd = [python(), "train.py", "--config", CONFIG, *common, *START, *trial.overrides]
    measured = run_measured(cmd, work / f"{name}.log", env=thread_env(threads))
    entry = {
        "name": name,
        "question": trial.question,
        "overrides": list(trial.overrides),
        "start": list(START),
        "epochs": epochs,
        "threads": threads,
        "returncode": measured.returncode,
        "wall_s": measured.wall_s,
        "cpu_s": measured.cpu_s,
        "peak_rss_mb": measured.peak_rss_mb,
        "tokens_per_s": median_throughput(out / "metrics.jsonl"),
        "finished": time.strftime("%Y-%m-%d %H:%M"),
        "commit": git_commit(),
    }
    scores_file = out / "model" / "scores.json"
    if measured.returncode == 0 and scores_file.exists():
        dev = json.loads(scores_file.read_text())["dev"]
        steps = [json.loads(l)["step"] for l in (out / "metrics.jsonl").read_text().splitlines()]
        entry |= {
            "dev_f1": round(dev["ner_f1"], 4),
            "dev_precision": round(dev["ner_precision"], 4),
            "dev_recall": round(dev["ner_recall"], 4),
            "dev_per_type_f1": {t: round(v["f1"], 4) for t, v in sorted(dev["ner_per_type"].items())},
            "steps": max(steps),
        }
    return entry


def render_markdown(entries: list[dict], split_note: str) -> str:
    lines = [
        "# Recipe search on ANERcorp (dev split carved from train)",
        "",
        split_note,
        "",
        "| trial | question | overrides | epochs | steps | dev F1 | P | R | PER | LOC | ORG | MISC | threads | wall s | CPU s | tokens/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        per = e.get("dev_per_type_f1", {})
        cells = [
            e["name"], e["question"], " ".join(f"`{o}`" for o in e["overrides"]) or "-", e["epochs"], e.get("steps", "-"),
            e.get("dev_f1", f"failed ({e['returncode']})"), e.get("dev_precision", "-"), e.get("dev_recall", "-"),
            *(per.get(t, "-") for t in ("PER", "LOC", "ORG", "MISC")), e.get("threads", "-"), e["wall_s"], e.get("cpu_s", "-"), e["tokens_per_s"] or "-",
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", nargs="+", default=[], help=f"trial names (known: {', '.join(TRIALS)})")
    p.add_argument("--list", action="store_true", help="list the trials and exit")
    p.add_argument("--epochs", type=float, default=0.5, help="training epochs of each trial (default 0.5)")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--train", type=Path, default=DATA / "anercorp" / "train.txt")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK, help="run folders and the carved split")
    p.add_argument("--out", type=Path, default=RESULTS / "recipe_search.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, t in TRIALS.items():
            print(f"{name}: {t.question} {' '.join(t.overrides)}")
        return 0
    unknown = [t for t in args.trials if t not in TRIALS]
    if unknown or not args.trials:
        print(f"unknown or no trials {unknown}; known: {', '.join(TRIALS)}", file=sys.stderr)
        return 2
    if not args.train.is_file():
        print(f"{args.train}: not found (ANERcorp lives in the shared data folder)", file=sys.stderr)
        return 2
    from qawl.train.config import load_config

    cfg = load_config(REPO / CONFIG)
    split = carve_split(args.train, args.work / "split", cfg.data.dev_fraction, cfg.train.seed)
    note = (f"Dev: the {cfg.data.dev_fraction:.0%} of ANERcorp train's {SPLIT_GROUP}-sentence blocks that "
            f"`data.dev_fraction` carves with seed {cfg.train.seed}; the rest is trained on. Each trial is "
            f"`{CONFIG}` with the starting recipe pinned (`{' '.join(START)}`) plus its overrides, for the epochs shown, on a shared "
            "2-core machine (wall times are indicative; the speed comparison is in anercorp.md).")
    for name in args.trials:
        entry = run_trial(name, TRIALS[name], split, args.work, args.threads, args.epochs)
        record(entry, args.out, note, args.work / "log.lock")
        print(json.dumps({k: entry.get(k) for k in ("name", "dev_f1", "wall_s", "cpu_s")}))
    return 0


def add_systems(log: dict) -> None:
    """Per trial figures (main score = dev F1), the command that reruns them and the newest commit."""
    from benchmarks.common import system_figures

    log["command"] = "python -m benchmarks.recipe_search --trials NAME ... (each trial's overrides: entries)"
    log["commit"] = log["entries"][-1]["commit"]
    log["systems"] = {e["name"]: system_figures("dev F1", e.get("dev_f1"), e.get("wall_s"), e.get("tokens_per_s"),
                                                e.get("peak_rss_mb"), command=f"python -m benchmarks.recipe_search --trials {e['name']}",
                                                commit=e.get("commit"))
                      for e in log["entries"]}


def record(entry: dict, out: Path, note: str, lock_file: Path) -> None:
    """Put ``entry`` into the search log (replacing a trial of the same name) and
    rewrite the Markdown; ``lock_file`` lets several searches share the log."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        log = json.loads(out.read_text()) if out.exists() else {"entries": []}
        log["split"] = note
        log["entries"] = [e for e in log["entries"] if e["name"] != entry["name"]] + [entry]
        add_systems(log)
        write_json(out, log)
        out.with_suffix(".md").write_text(render_markdown(log["entries"], note), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

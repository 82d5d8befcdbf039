"""Inference throughput: ``qawl predict`` against transformers' token-classification pipeline.

On N ANT articles (whole texts, drawn deterministically across the length
distribution), with 2 torch threads, measures articles/s, words/s and peak
RSS of

- ``qawl``: ``train.inference.load_checkpoint`` + ``predict_articles`` (the
  code behind ``qawl predict``): entities and attributed quotes;
- ``pipeline``: ``transformers.pipeline("token-classification",
  aggregation_strategy="simple")`` on the checkpoint's entity layer exported
  with ``models.export.export_layer``; whole articles, cut into overlapping
  chunks as long as qawl's windows (``stride``): entities only.

Each run is its own subprocess (so peak RSS is per system); the systems take
turns (qawl, pipeline, qawl, pipeline, ...), a warm-up pass on a few articles
is not timed, and medians over the repeats are reported beside every repeat
and the qawl/pipeline ratio of each repeat (the machine may be shared: runs
minutes apart see similar load). ``--reuse`` takes runs already finished in
``--work-dir`` (an interrupted invocation) instead of repeating them. Entity spans of the
two systems are compared (same weights; differences come from word- vs
token-level decisions and from the windows). ``--qawl-variants`` adds qawl
runs with a candidate speed-up (``int8``: the encoder's linear layers in
dynamic int8, per-channel weights;
``stride=N``: less window overlap), compared with plain qawl.

    python -m benchmarks.predict_throughput --checkpoint runs/default/model   # from the repository root
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from benchmarks.common import span_agreement

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
ANT = DATA / "ant" / "ant-multisource-v2.1.jsonl.gz"
RESULTS = REPO / "benchmarks" / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", type=Path, required=True, help="qawl checkpoint folder (train.py output)")
    p.add_argument("--ant", type=Path, default=ANT, help="ANT JSON Lines (gzip), `id` and `text` per line")
    p.add_argument("--articles", type=int, default=200)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=2, help="torch threads (and OMP_NUM_THREADS) per run")
    p.add_argument("--qawl-batch-sizes", default="16,32", help="windows per forward pass; the first is `qawl predict`'s default")
    p.add_argument("--pipeline-batch-sizes", default="1,16", help="chunks per forward pass; 1 is the pipeline's default")
    p.add_argument("--qawl-variants", default="", help="comma-separated extra qawl runs at the first batch size: int8, stride=N")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per system, systems taking turns")
    p.add_argument("--warmup", type=int, default=4, help="articles of the untimed warm-up pass")
    p.add_argument("--work-dir", type=Path, help="where the sample, exported model and run logs go (default: a new temporary folder)")
    p.add_argument("--reuse", action="store_true", help="take runs already finished in --work-dir (same name) instead of repeating them")
    p.add_argument("--out", type=Path, default=RESULTS / "predict_throughput.json")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # internal: a JSON job file for one subprocess
    return p.parse_args(argv)


@dataclass(frozen=True)
class Run:
    """One measured configuration."""

    system: str  # "qawl" or "pipeline"
    batch_size: int
    variant: str = ""  # qawl only: "", "int8" or "stride=N"

    @property
    def name(self) -> str:
        tail = f"_{self.variant.replace('=', '')}" if self.variant else ""
        return f"{self.system}_bs{self.batch_size}{tail}"


def plan_runs(qawl_sizes: list[int], pipeline_sizes: list[int], variants: list[str]) -> list[Run]:
    """The runs of one repeat, qawl and pipeline alternating while both have runs left."""
    qawl = [Run("qawl", b) for b in qawl_sizes] + [Run("qawl", qawl_sizes[0], v) for v in variants]
    pipe = [Run("pipeline", b) for b in pipeline_sizes]
    order = []
    for k in range(max(len(qawl), len(pipe))):
        order += qawl[k : k + 1] + pipe[k : k + 1]
    return order


# ---------------------------------------------------------------- sample


def draw_articles(path: Path, n: int, seed: int) -> list[dict]:
    """``n`` articles (``id``, ``text``) drawn across the length distribution.

    Articles with text are ordered by whitespace word count (ties by id) and
    cut into ``n`` equal strata; one article is drawn from each with
    ``random.Random(seed)``, so the sample follows the corpus's lengths and
    always holds one of its longest articles.
    """
    pool = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            try:
                obj = json.loads(line)
                aid, text = obj["id"], obj.get("text") or ""
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
                raise ValueError(f"{path}:{line_no}: not an article with `id` and `text` ({err})") from None
            if text.strip():
                pool.append((len(text.split()), aid, text))
    if n > len(pool):
        raise ValueError(f"{path}: {n} articles asked, only {len(pool)} have text")
    pool.sort()
    rng = random.Random(seed)
    bounds = [round(k * len(pool) / n) for k in range(n + 1)]
    picked = [pool[rng.randrange(bounds[k], bounds[k + 1])] for k in range(n)]
    return [{"id": aid, "text": text} for _, aid, text in picked]


def quantiles(xs: list[int]) -> dict:
    """min, quartiles, p90 and max of a non-empty list."""
    xs = sorted(xs)
    at = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
    return {"min": xs[0], "p25": at(0.25), "median": at(0.5), "p75": at(0.75), "p90": at(0.9), "max": xs[-1]}


def count_encoder_tokens(articles: list[dict], tokenizer, spec, qawl_sizes: list[int], pipeline_sizes: list[int]) -> dict:
    """Tokens each system feeds the encoder for the sample, padding included.

    qawl: its windows (``train.inference.make_split``), batched as
    ``predict_articles`` batches them. Pipeline: what its preprocessing makes
    with ``stride`` (each text's chunks padded to that text's longest chunk),
    batched in input order and padded to the longest chunk of the batch.
    """
    from qawl.train.batching import LengthGroupedBatches
    from qawl.train.corpora import make_split

    split = make_split(articles, tokenizer, spec)
    lengths = split.windows["num_tokens"]
    out = {"qawl_windows": len(lengths), "qawl_window_tokens": sum(lengths)}
    for bs in qawl_sizes:
        batches = LengthGroupedBatches(lengths, bs, shuffle=False, group_by_length=True).batches()
        out[f"qawl_bs{bs}_padded_tokens"] = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    chunks: list[tuple[int, int]] = []  # (padded width, real tokens) per chunk
    for a in articles:
        enc = tokenizer(
            a["text"], truncation=True, max_length=spec.max_length, stride=spec.stride,
            return_overflowing_tokens=True, padding=True,
        )
        chunks += [(len(ids), sum(mask)) for ids, mask in zip(enc["input_ids"], enc["attention_mask"])]
    out["pipeline_chunks"] = len(chunks)
    out["pipeline_chunk_tokens"] = sum(real for _, real in chunks)
    for bs in pipeline_sizes:
        out[f"pipeline_bs{bs}_padded_tokens"] = sum(
            len(chunks[k : k + bs]) * max(w for w, _ in chunks[k : k + bs]) for k in range(0, len(chunks), bs)
        )
    return out


# ---------------------------------------------------------------- subprocess jobs


def set_threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)


def peak_rss_mb() -> float:
    """This process's peak resident set size, MB (``ru_maxrss``, which Linux reports in KiB).

    Linux carries ``ru_maxrss`` over ``execve`` from the process that
    launched it, so the driver that launches the runs stays small (it imports
    no torch and loads no corpus).
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_mm_mb() -> float | None:
    """Peak RSS of this process's own address space (``VmHWM``), MB: a cross-check of :func:`peak_rss_mb`."""
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return None


def apply_variant(model, spec, variant: str):
    """(model, window settings) with a candidate speed-up applied; ``""`` leaves both as they are."""
    if not variant:
        return model, spec
    if variant == "int8":
        from benchmarks.encoder_speedups import encoder_linear_names, quantize_per_channel

        # The encoder's linear layers in int8 (per-channel weights, 8-bit
        # activations per call): the most accurate int8 of encoder_speedups.
        return quantize_per_channel(model, encoder_linear_names(model)), spec
    if variant.startswith("stride="):
        spec = dataclasses.replace(spec, stride=int(variant.split("=", 1)[1]))
        return model, spec
    raise ValueError(f"unknown qawl variant {variant!r} (int8 or stride=N)")


def timed(job: dict, run, items: list):
    """Load time since the job started, an untimed warm-up on the first
    ``job["warmup"]`` items, then ``run(items)`` timed: ``(figures, its output)``."""
    load_s = time.perf_counter() - job["started"]
    rss_loaded = peak_rss_mb()
    run(items[: job["warmup"]])
    load_avg = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    out = run(items)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures = {
        "load_s": load_s,
        "wall_s": wall,
        "cpu_s": cpu,
        "load_average_1min": load_avg,
        "rss_after_load_mb": rss_loaded,
        "peak_rss_mb": peak_rss_mb(),
        "vmhwm_mb": peak_mm_mb(),
    }
    return figures, out


def measure_qawl(job: dict) -> dict:
    """Timed ``predict_articles`` over the sample; entity spans and quotes per article."""
    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    articles = read_jsonl(Path(job["sample"]))
    model, tokenizer, spec, labels = load_checkpoint(job["checkpoint"])
    model, spec = apply_variant(model, spec, job["variant"])
    figures, preds = timed(
        job, lambda part: predict_articles(model, tokenizer, spec, labels, part, batch_size=job["batch_size"]), articles)
    return {
        **figures,
        "entities": {p["id"]: [[e["start"], e["end"], e["label"]] for e in p["entities"]] for p in preds},
        "quotes": {p["id"]: [[*q["content"], q.get("speaker")] for q in p.get("quotes") or []] for p in preds},
    }


def measure_pipeline(job: dict) -> dict:
    """Timed token-classification pipeline over the sample; entity spans per article."""
    from transformers import AutoTokenizer, pipeline

    articles = read_jsonl(Path(job["sample"]))
    texts = [a["text"] for a in articles]
    # Chunks as long as qawl's windows; ``stride`` (tokens shared by
    # consecutive chunks) makes the pipeline cover the whole text instead of
    # truncating it at model_max_length.
    tokenizer = AutoTokenizer.from_pretrained(job["model"], model_max_length=job["max_length"])
    pipe = pipeline("token-classification", model=job["model"], tokenizer=tokenizer, aggregation_strategy="simple", device=-1)
    figures, out = timed(job, lambda part: pipe(part, stride=job["stride"], batch_size=job["batch_size"]), texts)
    return {
        **figures,
        "entities": {
            a["id"]: [[int(e["start"]), int(e["end"]), e["entity_group"]] for e in ents] for a, ents in zip(articles, out)
        },
    }


def prepare(job: dict) -> dict:
    """Draw the sample, describe it and export the entity layer (into ``job["work"]``)."""
    from transformers import AutoTokenizer

    from qawl.data.words import split_words
    from qawl.models.export import export_layer
    from qawl.train.prediction.predict import load_checkpoint

    work = Path(job["work"])
    articles = draw_articles(Path(job["ant"]), job["articles"], job["seed"])
    sample = work / "sample.jsonl"
    sample.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    _, _, spec, _ = load_checkpoint(job["checkpoint"])
    exported = export_layer(job["checkpoint"], "ner", work / "ner-export", overwrite=True)
    tokenizer = AutoTokenizer.from_pretrained(exported, model_max_length=spec.max_length)
    words = [len(split_words(a["text"])) for a in articles]
    return {
        "sample": str(sample),
        "model": str(exported),
        "max_length": spec.max_length,
        "stride": spec.stride,
        "lengths": {"words_total": sum(words), "words": quantiles(words)},
        "encoder_tokens": count_encoder_tokens(articles, tokenizer, spec, job["qawl_sizes"], job["pipeline_sizes"]),
    }


def run_worker(job_file: Path) -> int:
    """Do the job described in ``job_file``; write its result where the job says."""
    started = time.perf_counter()  # before torch is imported: load_s is startup to ready
    job = {**json.loads(job_file.read_text(encoding="utf-8")), "started": started}
    set_threads(job["threads"])
    import datasets

    datasets.disable_progress_bars()
    do = {"prepare": prepare, "qawl": measure_qawl, "pipeline": measure_pipeline}[job["system"]]
    Path(job["result"]).write_text(json.dumps(do(job), ensure_ascii=False), encoding="utf-8")
    return 0


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def launch(job: dict, work: Path, threads: int, name: str, reuse: bool = False) -> dict:
    """Run one job in a fresh interpreter (torch and OpenMP at ``threads``) and return its result.

    With ``reuse``, a result already in ``work`` for the same job is returned instead.
    """
    job = {**job, "result": str(work / f"{name}.result.json"), "threads": threads}
    job_file = work / f"{name}.job.json"
    if reuse and Path(job["result"]).exists() and job_file.exists():
        if json.loads(job_file.read_text(encoding="utf-8")) != job:
            raise RuntimeError(f"{job_file}: a different job ran under this name; not reusing {job['result']}")
        return json.loads(Path(job["result"]).read_text(encoding="utf-8"))
    job_file.write_text(json.dumps(job), encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    log = work / f"{name}.log"
    with log.open("w", encoding="utf-8") as fh:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.predict_throughput", "--checkpoint", job["checkpoint"], "--worker", str(job_file)],
            cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{name}: exit status {done.returncode}; see {log}:\n{log.read_text(encoding='utf-8')[-3000:]}")
    return json.loads(Path(job["result"]).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- comparison


def snap_to_words(spans: list[list], text: str) -> set[tuple]:
    """Spans widened to whole words of the scheme's splitter: from the first
    word ending after ``start`` to the last word starting before ``end``
    (a leading space or a piece of a word then snaps to that word)."""
    from qawl.data.words import split_words

    words = split_words(text)
    starts = [s for s, _ in words]
    ends = [e for _, e in words]
    out = set()
    for s, e, label in spans:
        i = bisect_right(ends, s)
        j = bisect_left(starts, e) - 1
        if i <= j:
            out.add((words[i][0], words[j][1], label))
    return out


def word_labels(spans: list[list], words: list[tuple[int, int]]) -> dict[int, str]:
    """Word index -> entity type for every word a span overlaps."""
    starts = [s for s, _ in words]
    ends = [e for _, e in words]
    out = {}
    for s, e, label in spans:
        for w in range(bisect_right(ends, s), bisect_left(starts, e)):
            out[w] = label
    return out


def compare_entities(base: dict, other: dict, texts: dict[str, str], snap: bool) -> dict:
    """Agreement of two systems' entity spans over the sample.

    ``agreement_exact``: same (start, end, type). With ``snap`` (``other``
    decides per token): ``agreement_word_snapped`` after widening ``other``'s
    spans to whole words, and ``agreement_word_labels``, per word, over the
    words either system puts in an entity (same type = agree), which also
    forgives ``other`` cutting one name into several pieces.
    """
    from qawl.data.words import split_words

    exact = snapped = n_a = n_b = n_snapped = identical = 0
    words_same = words_a = words_b = 0
    for aid, text in texts.items():
        a = {tuple(s) for s in base[aid]}
        b = {tuple(s) for s in other[aid]}
        exact += len(a & b)
        n_a, n_b = n_a + len(a), n_b + len(b)
        identical += a == b
        if snap:
            b_words = snap_to_words(other[aid], text)
            snapped, n_snapped = snapped + len(a & b_words), n_snapped + len(b_words)
            words = split_words(text)
            la, lb = word_labels(base[aid], words), word_labels(other[aid], words)
            words_a, words_b = words_a + len(la), words_b + len(lb)
            words_same += sum(1 for w, label in la.items() if lb.get(w) == label)
    out = {"base_spans": n_a, "other_spans": n_b, "matched_exact": exact, "agreement_exact": round(span_agreement(exact, n_a, n_b), 4)}
    if snap:
        out |= {
            "other_spans_word_snapped": n_snapped,
            "matched_word_snapped": snapped,
            "agreement_word_snapped": round(span_agreement(snapped, n_a, n_snapped), 4),
            "base_entity_words": words_a,
            "other_entity_words": words_b,
            "agreement_word_labels": round(span_agreement(words_same, words_a, words_b), 4),
        }
    return out | {"articles_identical": identical, "articles": len(texts)}


def compare_quotes(base: dict, other: dict) -> dict:
    """Agreement of two qawl runs' quotes: CONTENT spans, and CONTENT span with its speaker."""
    content = with_speaker = n_a = n_b = 0
    for aid, quotes in base.items():
        a, b = {tuple(q) for q in quotes}, {tuple(q) for q in other[aid]}
        with_speaker += len(a & b)
        content += len({q[:2] for q in a} & {q[:2] for q in b})
        n_a, n_b = n_a + len(a), n_b + len(b)
    return {
        "base_quotes": n_a,
        "other_quotes": n_b,
        "agreement_content": round(span_agreement(content, n_a, n_b), 4),
        "agreement_content_and_speaker": round(span_agreement(with_speaker, n_a, n_b), 4),
    }


# ---------------------------------------------------------------- driver


def contract_figures(articles_per_s: float, wall_s: float, words_per_s: float, peak_rss_mb: float) -> dict:
    """The per-system figures every result file holds; the main score is articles/s, tokens are words."""
    from benchmarks.common import system_figures

    return system_figures("articles/s (median repeat)", round(articles_per_s, 3), round(wall_s, 2),
                          round(words_per_s, 1), round(peak_rss_mb, 1), tokens_are="words")


def summarise(runs: list[dict], n_articles: int, n_words: int) -> dict:
    """Medians (and every value) of one configuration's repeats."""
    wall = [r["wall_s"] for r in runs]
    cpu = [r["cpu_s"] for r in runs]
    med = statistics.median(wall)
    return {
        **contract_figures(n_articles / med, med, n_words / med, max(r["peak_rss_mb"] for r in runs)),
        "wall_s_repeats": [round(x, 2) for x in wall],
        "cpu_s_repeats": [round(x, 2) for x in cpu],
        "load_average_1min": [round(r["load_average_1min"], 2) for r in runs],
        "wall_s_median": round(med, 2),
        "wall_s_min": round(min(wall), 2),
        "cpu_s_median": round(statistics.median(cpu), 2),
        "articles_per_s": round(n_articles / med, 3),
        "words_per_s": round(n_words / med, 1),
        "articles_per_s_best": round(n_articles / min(wall), 3),
        "articles_per_cpu_s": round(n_articles / statistics.median(cpu), 3),
        "load_s_median": round(statistics.median(r["load_s"] for r in runs), 2),
        "rss_after_load_mb": round(max(r["rss_after_load_mb"] for r in runs), 1),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
        "vmhwm_mb": round(max(r["vmhwm_mb"] or 0 for r in runs), 1),
    }


def git_commit() -> str:
    """HEAD, with ``+uncommitted`` when tracked files differ from it."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True, text=True)
    return head + ("+uncommitted" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return run_worker(Path(args.worker))
    if not args.ant.exists():
        print(f"{args.ant}: ANT corpus not found (pass --ant)", file=sys.stderr)
        return 2
    qawl_sizes = [int(b) for b in args.qawl_batch_sizes.split(",")]
    pipeline_sizes = [int(b) for b in args.pipeline_batch_sizes.split(",")]
    variants = [v for v in args.qawl_variants.split(",") if v]
    order = plan_runs(qawl_sizes, pipeline_sizes, variants)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="predict-throughput-"))
    work.mkdir(parents=True, exist_ok=True)
    checkpoint = str(args.checkpoint.resolve())

    prep = {
        "system": "prepare", "work": str(work), "ant": str(args.ant), "articles": args.articles, "seed": args.seed,
        "checkpoint": checkpoint, "qawl_sizes": qawl_sizes, "pipeline_sizes": pipeline_sizes,
    }
    prepared = launch(prep, work, args.threads, "prepare", args.reuse)
    articles = read_jsonl(Path(prepared["sample"]))
    runs: dict[Run, list[dict]] = {run: [] for run in order}
    for r in range(args.repeats):
        for run in order:
            job = {
                "system": run.system, "batch_size": run.batch_size, "variant": run.variant, "warmup": args.warmup,
                "sample": prepared["sample"], "checkpoint": checkpoint, "model": prepared["model"],
                "max_length": prepared["max_length"], "stride": prepared["stride"],
            }
            res = launch(job, work, args.threads, f"{run.name}-r{r}", args.reuse)
            runs[run].append(res)
            print(f"repeat {r} {run.name}: {res['wall_s']:.1f} s wall, {res['cpu_s']:.1f} s CPU, "
                  f"peak RSS {res['peak_rss_mb']:.0f} MB", file=sys.stderr)

    n_words = prepared["lengths"]["words_total"]
    table = {run.name: summarise(runs[run], len(articles), n_words) for run in order}
    texts = {a["id"]: a["text"] for a in articles}
    base = order[0]
    base_out = runs[base][0]
    others = [run for run in order if run != base]
    entity_agreement = {
        f"{base.name}_vs_{run.name}": compare_entities(base_out["entities"], runs[run][0]["entities"], texts, snap=run.system == "pipeline")
        for run in others
    }
    quote_agreement = {
        f"{base.name}_vs_{run.name}": compare_quotes(base_out["quotes"], runs[run][0]["quotes"])
        for run in others if run.system == "qawl"
    }
    pairs = [(q, p) for q in order if q.system == "qawl" for p in order if p.system == "pipeline"]
    # Each repeat's ratio compares runs made minutes apart, under similar load.
    per_repeat = {
        f"{q.name}/{p.name}": [round(b["wall_s"] / a["wall_s"], 2) for a, b in zip(runs[q], runs[p])] for q, p in pairs
    }
    ratios = {
        "of_median_rates": {
            f"{q.name}/{p.name}": round(table[q.name]["articles_per_s"] / table[p.name]["articles_per_s"], 2) for q, p in pairs
        },
        "of_best_rates": {
            f"{q.name}/{p.name}": round(table[q.name]["articles_per_s_best"] / table[p.name]["articles_per_s_best"], 2)
            for q, p in pairs
        },
        "per_repeat": per_repeat,
        "median_of_per_repeat": {k: round(statistics.median(v), 2) for k, v in per_repeat.items()},
    }
    report = {
        "command": "python -m benchmarks.predict_throughput " + " ".join(argv if argv is not None else sys.argv[1:]),
        "git_commit": git_commit(),
        "commit": git_commit(),
        "checkpoint": str(args.checkpoint),
        "setup": {
            "articles": len(articles),
            "seed": args.seed,
            "ant": str(args.ant),
            "torch_threads": args.threads,
            "repeats": args.repeats,
            "warmup_articles": args.warmup,
            "window_max_length": prepared["max_length"],
            "window_stride": prepared["stride"],
            "pipeline": {"aggregation_strategy": "simple", "model_max_length": prepared["max_length"], "stride": prepared["stride"]},
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "torch": version("torch"),
            "transformers": version("transformers"),
        },
        "sample": {**prepared["lengths"], "ids": [a["id"] for a in articles]},
        "encoder_tokens": prepared["encoder_tokens"],
        "systems": table,
        "ratios_articles_per_s": ratios,
        "quotes_predicted": sum(len(q) for q in base_out["quotes"].values()),
        "entity_agreement": entity_agreement,
        "quote_agreement": quote_agreement,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    shown = ("encoder_tokens", "systems", "ratios_articles_per_s", "entity_agreement", "quote_agreement")
    print(json.dumps({k: report[k] for k in shown}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

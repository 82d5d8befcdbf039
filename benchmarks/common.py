"""Helpers the benchmark scripts share: paths, provenance, measured subprocesses,
result files, and scoring word tags with the project's entity metric."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"


def git_commit(repo: Path = REPO) -> str:
    """``git rev-parse HEAD``, with ``+dirty`` when tracked files differ from it."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    diff = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=repo).returncode
    return head + ("+dirty" if diff else "")


def machine() -> dict:
    """What the numbers were measured on."""
    import torch

    return {
        "cpu_count": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }


@dataclass
class Measured:
    """One finished subprocess: exit status, wall seconds, CPU seconds (user +
    system, all threads), peak resident memory (MB)."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float


#: a stdlib-only launcher: runs argv[2:] and writes [exit code, CPU s, max RSS KiB] of that child to argv[1]
LAUNCHER = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as fh:
    json.dump([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss], fh)
"""


def run_measured(cmd: Sequence[str], log: Path, cwd: Path = REPO, env: dict | None = None) -> Measured:
    """Run ``cmd`` to the end with stdout and stderr in ``log``.

    CPU time and peak RSS come from ``wait4`` on that child alone (Linux
    reports ``ru_maxrss`` in KiB). The child is started by a small launcher
    process because Linux counts the memory a process had when it was forked
    into the child's peak: started straight from a benchmark that has loaded
    torch, every child would report at least the benchmark's own size. CPU
    seconds are the figure other load on a shared machine disturbs least:
    wall time grows with contention, CPU time much less.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    usage_file = log.with_name(log.name + ".usage.json")
    usage_file.unlink(missing_ok=True)
    with open(log, "w", encoding="utf-8") as out:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", LAUNCHER, str(usage_file), *cmd], cwd=cwd, env=env,
                              stdout=out, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - start
    if proc.returncode or not usage_file.exists():
        raise RuntimeError(f"launcher failed ({proc.returncode}) for {list(cmd)}; see {log}")
    code, cpu, maxrss_kib = json.loads(usage_file.read_text())
    return Measured(code, round(wall, 1), round(cpu, 1), round(maxrss_kib / 1024, 1))


def thread_env(threads: int) -> dict:
    """The current environment with OpenMP/MKL pinned to ``threads`` threads."""
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "false"})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def span_agreement(matched: int, n_a: int, n_b: int) -> float:
    """2 x matched / (a + b): the F1 of one span set against the other; 1.0 when both are empty."""
    return 2 * matched / (n_a + n_b) if n_a + n_b else 1.0


def median_throughput(metrics_jsonl: Path) -> float | None:
    """Median ``tokens_per_s`` over the training log lines of the last run in a ``metrics.jsonl``.

    Training appends to the file (a resumed run continues its log), so a fresh
    run in a used folder follows the old run's lines; its own start where the
    logged step stops rising.
    """
    if not metrics_jsonl.exists():
        return None
    lines = [r for r in map(json.loads, metrics_jsonl.read_text().splitlines()) if "tokens_per_s" in r]
    starts = [i for i in range(1, len(lines)) if lines[i]["step"] <= lines[i - 1]["step"]]
    rates = [r["tokens_per_s"] for r in lines[(starts[-1] if starts else 0):]]
    return round(statistics.median(rates), 1) if rates else None


def score_word_tags(predicted: list[list[str]], gold: list[list[str]]) -> dict:
    """Entity scores of word BIO tag sequences, by the project's ``qawl_entities`` metric.

    Returns ``{"strict": {...}, "conlleval": {...}}``: strict IOB2 reading of
    the predictions (seqeval strict mode) and the conlleval reading (an
    ``I-X`` that continues nothing starts an entity). Each holds micro
    ``precision``/``recall``/``f1``, counts and ``per_type``.
    """
    from qawl.train.evaluation.metrics import load_metric

    metric = load_metric("qawl_entities")
    return {mode: metric.compute(predictions=predicted, references=gold, mode=mode) for mode in ("strict", "conlleval")}


def compact_scores(scores: dict) -> dict:
    """Rounded micro P/R/F1 and per-type F1 of one metric result."""
    return {
        "precision": round(scores["precision"], 4),
        "recall": round(scores["recall"], 4),
        "f1": round(scores["f1"], 4),
        "per_type": {t: {"f1": round(v["f1"], 4), "support": v["support"]} for t, v in sorted(scores["per_type"].items())},
    }


#: AQMAR's stray tags, for the CoNLL reader's ``tag_map``: whole tags (``OO``,
#: ``IO``) and types after the B-/I- prefix. ``ENGLISH`` and ``SPANISH`` mark
#: one foreign name each (the symbol O beside tagged element names, a stadium),
#: read as MISC like the MIS0-MIS3 tags around them.
AQMAR_TAG_MAP = {"OO": "O", "IO": "O", "MIS-1": "MISC", "MIS-2": "MISC", "MISS1": "MISC", "MIS1`": "MISC",
                 "-ORG": "ORG", "ENGLISH": "MISC", "SPANISH": "MISC"}


def read_conll(path: Path, group: int = 1, tag_map: dict | None = None) -> list[dict]:
    """Articles of a CoNLL file or folder (``group`` sentences each), read by the project's reader."""
    from qawl.data.formats import read_format

    arts, _ = read_format("conll", path, group=group, tag_map=tag_map or {})
    return arts


def word_rows(articles: list[dict]) -> list[tuple[list[str], list[str]]]:
    """``(words, gold BIO tags)`` per article, over the scheme's words."""
    from qawl.data.align import spans_to_tags
    from qawl.data.article import layer_spans
    from qawl.data.words import split_words

    rows = []
    for art in articles:
        offsets = split_words(art["text"])
        rows.append(([art["text"][s:e] for s, e in offsets], spans_to_tags(offsets, layer_spans(art, "ner") or [])))
    return rows


def system_figures(score: str, f1, wall_s, tokens_per_s, peak_rss_mb, **extra) -> dict:
    """The figures every result file holds per system: ``f1`` is the benchmark's
    main score (named by ``score``); a figure the benchmark does not measure is None."""
    return {"score": score, "f1": f1, "wall_s": wall_s, "tokens_per_s": tokens_per_s, "peak_rss_mb": peak_rss_mb, **extra}


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_results(path: Path, result: dict, render) -> str:
    """Stamp ``result["finished"]`` (local time, to the minute), write it as
    JSON at ``path`` and ``render(result)`` beside it (same stem, ``.md``);
    returns that Markdown."""
    result["finished"] = time.strftime("%Y-%m-%d %H:%M")
    markdown = render(result)
    write_json(path, result)
    path.with_suffix(".md").write_text(markdown, encoding="utf-8")
    return markdown


def checkpoint_args(doc: str, result: str, argv: list[str] | None):
    """The arguments of a benchmark that scores a checkpoint on the ANT gold splits:
    ``--checkpoint``, ``--corpus``, ``--gold``, ``--out`` (``results/<result>.json``)."""
    import argparse

    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--checkpoint", type=Path, required=True, help="a checkpoint trained on the ANT quote corpus")
    p.add_argument("--corpus", type=Path, default=DATA / "ant" / "ant-multisource-v2.1.jsonl.gz")
    p.add_argument("--gold", type=Path, default=REPO / "data" / "ant_quotes" / "gold")
    p.add_argument("--out", type=Path, default=RESULTS / f"{result}.json")
    return p.parse_args(argv)


def _shown(path: Path) -> Path:
    full = path.resolve()
    return full.relative_to(REPO) if full.is_relative_to(REPO) else full


def checkpoint_command(module: str, checkpoint: Path, out: Path | None = None) -> str:
    """The command line that reruns ``benchmarks.<module>`` on ``checkpoint`` (paths
    relative to the repo where they are inside), with ``--out`` where it is not the default."""
    command = f"python -m benchmarks.{module} --checkpoint {_shown(checkpoint)}"
    if out is not None and out.resolve() != (RESULTS / f"{module}.json").resolve():
        command += f" --out {_shown(out)}"
    return command


def python() -> str:
    """The interpreter running the benchmark (the project's venv)."""
    return sys.executable

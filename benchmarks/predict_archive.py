"""`qawl predict` over a whole archive: wall and CPU time, articles/s, peak memory, resumed runs.

The archive is the ANT corpus (31,523 articles, whole `text`), predicted by a
trained checkpoint with the command's defaults. On 2 CPU cores this takes
hours, so a run may be interrupted and resumed (`qawl predict --resume`):
each invocation of this script is one *segment*, measured on its own by
:func:`benchmarks.common.run_measured` (wall, CPU, the process's own peak
RSS, the launcher's children included) and appended to the results file;
the figures are the segments' sums (time) and maximum (memory). The target
is a peak RSS under 1.5 GB.

    python -m benchmarks.predict_archive --checkpoint runs/ant-quotes-silver/model
    python -m benchmarks.predict_archive --checkpoint runs/ant-quotes-silver/model   # again, after an interruption
    python -m benchmarks.predict_archive --checkpoint ... --processes 2 --work-dir runs/predict-archive-2p

``--processes 2`` runs it under `accelerate launch --cpu --num_processes 2`.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from benchmarks.common import (DATA, REPO, RESULTS, checkpoint_command, git_commit, machine, python, run_measured,
                               system_figures, thread_env, write_results)
from benchmarks.report_archive import archive_size

#: the target: the whole corpus in under 1.5 GB
MAX_RSS_MB = 1536.0
#: articles per block: `qawl predict`'s default --chunk-size
CHUNK = 256


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", type=Path, required=True, help="a trained checkpoint folder")
    p.add_argument("--corpus", type=Path, default=DATA / "ant" / "ant-multisource-v2.1.jsonl.gz")
    p.add_argument("--processes", type=int, default=1, help="processes (more than 1: accelerate launch --cpu)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads per process (OMP_NUM_THREADS; default: torch's own choice)")
    p.add_argument("--work-dir", type=Path, default=REPO / "runs" / "predict-archive",
                   help="where the predictions, the errors file and the run logs go")
    p.add_argument("--stop-after", type=int, default=None,
                   help="end this segment after so many seconds (SIGTERM; a later segment resumes)")
    p.add_argument("--out", type=Path, default=RESULTS / "predict_archive.json")
    return p.parse_args(argv)


def command(args: argparse.Namespace) -> list[str]:
    predict = ["-m", "qawl", "predict", "--checkpoint", str(args.checkpoint.resolve()), str(args.corpus.resolve()),
               "-o", str(args.work_dir.resolve() / "pred.jsonl"), "--errors", str(args.work_dir.resolve() / "errors.jsonl"),
               "--resume", "-q"]
    stop = [] if args.stop_after is None else ["timeout", "--signal=TERM", str(args.stop_after)]
    if args.processes == 1:
        return [*stop, python(), *predict]
    return [*stop, python(), "-m", "accelerate.commands.launch", "--cpu", "--num_processes", str(args.processes),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", *predict]


def done_items(work_dir: Path, processes: int) -> int:
    """Input items an unfinished run has done, from its progress files (block ``k`` of ``items`` read
    so far holds ``items - k * chunk``; every block but the last is a whole chunk)."""
    done = 0
    for i in range(processes):
        progress = work_dir / f"pred.jsonl.{i}-of-{processes}.progress"
        if progress.is_file():
            for line in progress.read_text(encoding="utf-8").splitlines():
                block, items = (int(x) for x in line.split(" ", 2)[:2])
                done += items - block * CHUNK
    return done


def summarise(result: dict) -> dict:
    """The result's top-level figures from its segments: the commit of the last, and one system
    (``qawl predict``): articles/s over the segments measured here (their main score), wall
    seconds summed, words/s once the run is done, peak RSS the largest."""
    segs = result["segments"]
    wall = round(sum(s["wall_s"] for s in segs), 1)
    done = sum(s["done"] for s in segs)
    total = result.get("total")
    result.update(benchmark="predict_archive", commit=segs[-1]["commit"], systems={"qawl predict": system_figures(
        "articles/s (segments measured here)", round(done / wall, 3) if wall else 0.0, wall,
        None if total is None else total["words_per_s"], max(s["peak_rss_mb"] for s in segs),
        articles_done=done, finished=total is not None, under_1_5_gb=max(s["peak_rss_mb"] for s in segs) < MAX_RSS_MB)})
    return result


def markdown(result: dict) -> str:
    segs = result["segments"]
    lines = [
        "# `qawl predict` over the whole ANT corpus",
        "",
        f"Checkpoint `{result['checkpoint']}`; corpus `{result['corpus']}`; {result['processes']} process(es) on "
        f"{segs[0]['machine']['cpu_count']} CPU cores. Each segment is one invocation of",
        "",
        "```",
        result["command"],
        "```",
        "",
        "which runs `qawl predict ... --resume` and stops when the corpus is done or the run is interrupted; "
        "a later segment continues it. Wall time grows with other load on the machine (the load average "
        "at each segment's start is given); CPU seconds much less.",
        "",
        "| segment | commit | started | threads | load avg | wall s | CPU s | peak RSS MB | articles done before | done in it | exit |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, s in enumerate(segs, 1):
        lines.append(f"| {i} | `{s['commit'][:7]}` | {s['started']} | {s.get('threads') or 'default'} | "
                     f"{s['machine']['load_average_1m_at_start']} | "
                     f"{s['wall_s']:,} | {s['cpu_s']:,} | {s['peak_rss_mb']:,} | {s['done_before']:,} | "
                     f"{s['done']:,} | {s['returncode']} |")
    total = result.get("total")
    lines.append("")
    if total is None:
        lines.append("The run is not finished yet: no totals.")
    else:
        lines += [
            f"**Done**: {total['articles']:,} articles ({total['words']:,} words), {total['quotes']:,} quotes and "
            f"{total['entities']:,} entities predicted, {total['failed']:,} failed; "
            f"{total['wall_s']:,} s wall and {total['cpu_s']:,} CPU s over {len(segs)} segment(s) that predicted "
            f"{total['measured_articles']:,} of them: "
            f"**{total['articles_per_s']} articles/s** ({total['words_per_s']:,} words/s). "
            f"Peak RSS **{total['peak_rss_mb']:,} MB** (target under {MAX_RSS_MB:,.0f} MB: "
            f"{'met' if total['peak_rss_mb'] < MAX_RSS_MB else 'NOT met'}).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    result = json.loads(args.out.read_text()) if args.out.is_file() else {}
    if result.get("total") is not None or result.get("work_dir") not in (None, str(args.work_dir)):
        result = {}  # a finished or another run's results: start a new record
    cmd = command(args)
    shown = checkpoint_command("predict_archive", args.checkpoint) + (
        f" --processes {args.processes}" if args.processes != 1 else "") + (
        f" --threads {args.threads}" if args.threads else "")
    result.update(checkpoint=str(args.checkpoint), corpus=str(args.corpus), processes=args.processes,
                  work_dir=str(args.work_dir), command=shown)
    segs = result.setdefault("segments", [])
    log = args.work_dir / f"segment-{len(segs) + 1}.log"
    started, info = time.strftime("%Y-%m-%d %H:%M"), machine()
    env = thread_env(args.threads) if args.threads else dict(os.environ, TOKENIZERS_PARALLELISM="false")
    pred = args.work_dir / "pred.jsonl"
    before = 0 if pred.is_file() else done_items(args.work_dir, args.processes)
    m = run_measured(cmd, log, env=env)
    finished = m.returncode in (0, 1) and pred.is_file()  # 1: finished, some articles failed (listed)
    size = archive_size(pred) if finished else None
    errors = args.work_dir / "errors.jsonl"
    failed = sum(1 for _ in open(errors, encoding="utf-8")) if finished and errors.is_file() else 0
    after = size["articles"] + failed if finished else done_items(args.work_dir, args.processes)
    segs.append({"commit": git_commit(), "started": started, "machine": info, "threads": args.threads,
                 "wall_s": m.wall_s, "cpu_s": m.cpu_s,
                 "peak_rss_mb": m.peak_rss_mb, "returncode": m.returncode, "done_before": before,
                 "done": after - before})
    if finished:
        wall = round(sum(s["wall_s"] for s in segs), 1)
        done = sum(s["done"] for s in segs)  # by the segments measured here
        result["total"] = {**size, "failed": failed, "wall_s": wall,
                           "cpu_s": round(sum(s["cpu_s"] for s in segs), 1),
                           "peak_rss_mb": max(s["peak_rss_mb"] for s in segs), "measured_articles": done,
                           "articles_per_s": round(done / wall, 3),
                           "words_per_s": round(size["words"] * done / size["articles"] / wall)}
    print(write_results(args.out, summarise(result), markdown))
    return 0 if m.returncode in (0, 1) else m.returncode


if __name__ == "__main__":
    raise SystemExit(main())

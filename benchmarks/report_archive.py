"""`qawl report` over a whole archive: wall and CPU time, peak memory, sizes.

The archive is the whole ANT corpus (31,523 articles) as the rules annotate
it (`qawl silver`'s annotator: quotes and speakers in the annotation format,
with each article's outlet, date, category, title and URL). The benchmark
makes it once, outside the timings, in its work folder (about 3 minutes;
unlike `qawl silver`, which leaves out the project's gold articles so that
silver data never trains on test text, a report keeps every article). A
model's predictions read the same way (`--predictions`, e.g. the output of
`benchmarks/predict_archive.py`, hours on 2 CPU cores):

    python -m benchmarks.report_archive
    python -m benchmarks.report_archive --predictions runs/predict-archive/pred.jsonl --model "CKPT"

Two systems, each run as its own process (`python -m qawl report`, measured
by :func:`benchmarks.common.run_measured`: wall, CPU and the child's own peak
RSS), taking turns over ``--repeats`` rounds: the page alone, and the page
with the CSV tables (``--csv``). The targets are the worst round's: under
60 s and under 1 GB. Words (whitespace-separated, counted outside the runs)
over median wall seconds are the tokens/s figure; articles/s is the main score.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from benchmarks.common import DATA, REPO, RESULTS, git_commit, machine, run_measured, system_figures, write_results
from qawl.data.textio import open_text

#: name -> extra arguments of `qawl report`
SYSTEMS = {"page": [], "page+csv": ["--csv", "{work}/csv"]}
#: how the default archive is made
MADE_BY = "the rules over every article of the corpus (benchmarks.report_archive.rule_archive)"
#: the targets: the whole ANT corpus in under a minute and a gigabyte, on 2 cores
MAX_WALL_S, MAX_RSS_MB = 60.0, 1024.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--predictions", type=Path, default=None,
                   help="the archive's predicted articles (JSONL, .gz); default: the rules over the whole corpus, "
                        "made in the work folder")
    p.add_argument("--model", default="rules (qawl silver)", help="what made the predictions (the page's methods box)")
    p.add_argument("--corpus", type=Path, default=DATA / "ant" / "ant-multisource-v2.1.jsonl.gz",
                   help="the corpus the archive was made from (its articles are counted: how many the archive lacks)")
    p.add_argument("--repeats", type=int, default=3, help="rounds, the systems taking turns in each")
    p.add_argument("--work-dir", type=Path, default=REPO / "runs" / "report-bench",
                   help="where the pages, tables and run logs go")
    p.add_argument("--out", type=Path, default=RESULTS / "report_archive.json")
    return p.parse_args(argv)


def archive_size(path: Path) -> dict:
    """Articles, quotes, entities and whitespace-separated words of a JSONL file (read once, outside the timings)."""
    articles = quotes = entities = words = 0
    with open_text(path) as fh:
        for line in fh:
            if line.strip():
                art = json.loads(line)
                articles += 1
                quotes += len(art.get("quotes") or [])
                entities += len(art.get("entities") or [])
                words += len(art["text"].split())
    return {"articles": articles, "quotes": quotes, "entities": entities, "words": words}


def rule_archive(corpus: Path, out: Path) -> Path:
    """The rules' predictions for every article of ``corpus`` (gold ones too), written once to ``out``."""
    from qawl.data.article import write_articles
    from qawl.data.silver.corpus import silver_corpus

    if not out.is_file():
        write_articles(out, silver_corpus(corpus, set()))
    return out


def command(system: str, predictions: Path, work: Path, model: str) -> list[str]:
    extra = [a.format(work=work) for a in SYSTEMS[system]]
    return [sys.executable, "-m", "qawl", "report", str(predictions), "-o", str(work / f"{system}.html"),
            "--model", model, *extra]


def summarise(runs: list, size: dict, work: Path, system: str) -> dict:
    """The figures of one system over its rounds."""
    walls = [r.wall_s for r in runs]
    wall = statistics.median(walls)
    csv_mb = sum(p.stat().st_size for p in (work / "csv").glob("*.csv")) / 2**20 if "--csv" in SYSTEMS[system] else None
    return system_figures(
        "articles/s (median round)", round(size["articles"] / wall, 1), wall,
        round(size["words"] / wall), max(r.peak_rss_mb for r in runs),
        wall_s_rounds=walls, cpu_s_rounds=[r.cpu_s for r in runs], wall_s_max=max(walls),
        page_mb=round((work / f"{system}.html").stat().st_size / 2**20, 2),
        csv_mb=None if csv_mb is None else round(csv_mb, 1),
        under_60_s=max(walls) < MAX_WALL_S, under_1_gb=max(r.peak_rss_mb for r in runs) < MAX_RSS_MB,
    )


def markdown(result: dict) -> str:
    size = result["archive"]
    lines = [
        "# `qawl report` over the whole ANT corpus",
        "",
        f"Produced by `{result['command']}` at commit `{result['commit']}` ({result['finished']}), on "
        f"{result['machine']['cpu_count']} CPU cores (load average {result['machine']['load_average_1m_at_start']} "
        "at the start: the machine is shared).",
        "",
        f"The archive: `{result['predictions']}`, made by {result['made_by']}: "
        f"{size['articles']:,} ANT articles (of the corpus's {result['corpus_articles']:,}), {size['quotes']:,} "
        f"quotes, {size['words']:,} words."
        + (" These are the rules' predictions, not a model's (`benchmarks/predict_archive.py` makes a model's: "
           "hours here); `qawl report` reads both the same way. The rules write no entity layer, so most speaker "
           "types are unknown (organisations are told by their first word)." if result["made_by"] == MADE_BY else ""),
        "",
        "Each system is its own `python -m qawl report` process (reading, clustering speakers, writing the page "
        "and, with `--csv`, the 8 tables), the two taking turns over the rounds. Peak RSS is the process's own.",
        "",
        "| system | wall s (median; rounds) | CPU s (rounds) | peak RSS MB | articles/s | words/s | page MB | CSV MB |"
        " under 60 s and 1 GB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in result["systems"].items():
        lines.append(
            f"| {name} | {s['wall_s']} ({', '.join(map(str, s['wall_s_rounds']))}) | "
            f"{', '.join(map(str, s['cpu_s_rounds']))} | {s['peak_rss_mb']} | {s['f1']:,} | {s['tokens_per_s']:,} | "
            f"{s['page_mb']} | {s['csv_mb'] if s['csv_mb'] is not None else '-'} | "
            f"{'yes' if s['under_60_s'] and s['under_1_gb'] else 'no'} |")
    lines += ["", f"Speakers across the archive: {result['speakers']:,} rows."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    made_by = MADE_BY if args.predictions is None else args.model
    args.predictions = args.predictions or rule_archive(args.corpus, work / "ant-rules-all.jsonl.gz")
    if not args.predictions.is_file():
        print(f"{args.predictions} not found", file=sys.stderr)
        return 2
    measured_on = machine()  # the load average before the runs
    runs: dict[str, list] = {name: [] for name in SYSTEMS}
    for round_ in range(args.repeats):
        for name in SYSTEMS:
            measured = run_measured(command(name, args.predictions, work, args.model), work / f"{name}-{round_}.log",
                                    env=dict(os.environ))
            if measured.returncode:
                raise RuntimeError(f"{name} failed: see {work / f'{name}-{round_}.log'}")
            runs[name].append(measured)
    size = archive_size(args.predictions)
    log = (work / "page-0.log").read_text(encoding="utf-8")
    result = {
        "benchmark": "report_archive",
        "command": " ".join(["python -m benchmarks.report_archive", *(argv if argv is not None else sys.argv[1:])]),
        "commit": git_commit(),
        "machine": measured_on,
        "predictions": os.path.relpath(args.predictions, REPO),
        "made_by": made_by,
        "archive": size,
        "corpus_articles": archive_size(args.corpus)["articles"] if args.corpus.is_file() else None,
        "speakers": int(log.split(" speaker(s)")[0].rsplit(" ", 1)[-1]),
        "systems": {name: summarise(r, size, work, name) for name, r in runs.items()},
    }
    print(write_results(args.out, result, markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())

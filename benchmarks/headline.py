"""The README's headline table, rendered from the committed result files.

    python -m benchmarks.headline           # print the table
    python -m benchmarks.headline --write   # put it into README.md between the markers

The table sits in README.md between ``<!-- headline:start -->`` and
``<!-- headline:end -->``; the test suite checks that it matches the files in
``benchmarks/results/``, so a rerun benchmark cannot leave the README behind.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
README = REPO / "README.md"
START, END = "<!-- headline:start -->", "<!-- headline:end -->"


def _num(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.{max(digits, 1)}f}" if abs(value) < 10 else f"{value:.{digits}f}"
    return f"{value:,}"


def _load(name: str, results: Path) -> dict | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def anercorp_rows(r: dict) -> list[list[str]]:
    rows = []
    for s in r["systems"].values():
        rows.append(["ANERcorp test, entity micro F1", s["system"], _num(s["f1"]),
                     _num(s.get("aqmar", {}).get("f1")), _num(s["wall_s"], 0), _num(s["tokens_per_s"], 0),
                     _num(s["peak_rss_mb"], 0)])
    return rows


def ant_quotes_rows(r: dict) -> list[list[str]]:
    rows = []
    for key, s in r["systems"].items():
        test = s["splits"]["test"]
        # the model's time is training; the rules' is annotating the dev and test articles
        speed = _num(s["tokens_per_s"], 0) + (" words/s" if key == "rules" else "")
        rows.append(["ANT gold test, quote CONTENT overlap F1 / attribution", s["system"],
                     f"{test['content_overlap_f1']:.3f} / {test['attribution_accuracy']:.3f}", "-",
                     _num(s["wall_s"], 0), speed, _num(s["peak_rss_mb"], 0)])
    return rows


def polnear_rows(r: dict) -> list[list[str]]:
    s = r["systems"]["qawl"]
    t = s["test"]
    return [["PolNeAR test (English), quote CONTENT overlap / exact F1", f"qawl ({s['train_steps']} steps)",
             f"{t['content_overlap_f1']:.3f} / {t['content_exact_f1']:.3f}", "-", _num(s["wall_s"], 0),
             _num(s["tokens_per_s"], 0), _num(s["peak_rss_mb"], 0)]]


def throughput_rows(r: dict) -> list[list[str]]:
    names = {"qawl_bs16": "qawl predict (batch 16)", "pipeline_bs16": "token-classification pipeline (batch 16)",
             "pipeline_bs1": "token-classification pipeline (batch 1, its default)"}
    return [["prediction, 200 ANT articles, articles/s", label, _num(r["systems"][key]["articles_per_s"]), "-",
             _num(r["systems"][key]["wall_s_median"], 0), _num(r["systems"][key]["words_per_s"], 0) + " words/s",
             _num(r["systems"][key]["peak_rss_mb"], 0)]
            for key, label in names.items() if key in r["systems"]]


def render(results: Path = RESULTS) -> str:
    """The Markdown table, from whichever result files exist."""
    lines = ["| benchmark | system | score | AQMAR F1 (out of domain) | wall s | tokens/s | peak RSS MB |",
             "|---|---|---|---|---|---|---|"]
    for name, rows in (("anercorp", anercorp_rows), ("ant_quotes", ant_quotes_rows), ("polnear", polnear_rows),
                       ("predict_throughput", throughput_rows)):
        r = _load(name, results)
        if r is not None:
            lines += ["| " + " | ".join(row) + " |" for row in rows(r)]
    return "\n".join(lines) + "\n"


def readme_block(text: str) -> str:
    """What README.md holds between the markers (raises if they are missing)."""
    if START not in text or END not in text:
        raise ValueError(f"{README}: no {START} ... {END} block")
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = p.parse_args(argv)
    table = render()
    if not args.write:
        print(table, end="")
        return 0
    text = README.read_text(encoding="utf-8")
    readme_block(text)  # the markers must exist
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{START}\n{table}{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

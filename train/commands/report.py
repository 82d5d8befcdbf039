"""``qawl report``: an archive's predictions as one page people read, and CSV tables for analysts."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report",
        help="who gets quoted: an archive's predictions as one HTML page (and CSV tables)",
        description="Reads predicted articles (annotation-format JSONL, .gz too, as qawl predict or qawl silver "
                    "write them, with outlet/source, date/time, category, title and url when present) and "
                    "writes one self-contained right-to-left HTML page: the most quoted speakers and "
                    "organisations, by outlet, month and category, anonymous sources per outlet, each "
                    "speaker's quotes and a methods box. --csv writes the same tables as CSV.",
    )
    p.add_argument("predictions", nargs="+", metavar="PRED.jsonl", help="predicted articles (JSONL, .gz read too)")
    p.add_argument("-o", "--out", default="report.html", help="HTML file to write (default: report.html)")
    p.add_argument("--csv", metavar="DIR", help="also write the tables as CSV files into DIR")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="the checkpoint that made the predictions: its scores.json (test split, else the first) "
                        "gives the methods box its scores and error rates")
    p.add_argument("--model", help="what made the predictions, as the methods box names it "
                                   "(default: the --checkpoint folder)")
    p.add_argument("--title", default="", help="the page title (default: من يُقتبس؟ — Who gets quoted)")
    p.add_argument("--top", type=int, default=20, help="speakers per chart (default: 20)")
    p.add_argument("--rows", type=int, default=500, help="rows of the speakers table on the page (default: 500; "
                                                         "the CSV has every speaker)")
    p.add_argument("--quotes-for", type=int, default=100, help="speakers whose quotes the page lists (default: 100)")
    p.add_argument("--quotes-each", type=int, default=20, help="quotes listed per speaker (default: 20)")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"qawl report: {message}", file=sys.stderr)
    return 1


def checkpoint_scores(folder: str) -> tuple[dict | None, str | None]:
    """One split of a checkpoint's ``scores.json`` (``test`` if there, else the
    first) and its name; ``(None, None)`` for a checkpoint trained with no
    split to score (``{}``: the page says it has no scores). Raises OSError
    for a missing file and ValueError for one that is not such an object."""
    import json
    from pathlib import Path

    path = Path(folder) / "scores.json"
    try:
        scores = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: malformed JSON: {err.msg} at line {err.lineno}") from None
    if not isinstance(scores, dict) or any(not isinstance(v, dict) for v in scores.values()):
        raise ValueError(f"{path}: no scores per split (expected {{\"test\": {{...}}}})")
    if not scores:
        return None, None
    splits = scores
    split = "test" if "test" in splits else next(iter(splits))
    return splits[split], split


def run(args) -> int:
    from pathlib import Path

    from qawl.data.archive import read_archive
    from qawl.train.archive.page import ReportOptions, render_report
    from qawl.train.archive.tables import write_atomically, write_tables

    for name in ("top", "rows", "quotes_for", "quotes_each"):
        if getattr(args, name) < 0:
            return _fail(f"--{name.replace('_', '-')} must be >= 0")
    scores, split = None, None
    if args.checkpoint:
        try:
            scores, split = checkpoint_scores(args.checkpoint)
        except ValueError as err:
            return _fail(str(err))
    archive = read_archive(args.predictions)  # ArticleError / OSError: one line each, from the command line
    options = ReportOptions(
        title=args.title, sources=tuple(f"predictions: {p}" for p in args.predictions),
        model=args.model or args.checkpoint, scores=scores, scores_split=split, top=args.top, rows=args.rows,
        quotes_for=args.quotes_for, quotes_each=args.quotes_each,
    )
    page = render_report(archive, options)
    out = write_atomically(Path(args.out), lambda fh: fh.write(page))
    tables = write_tables(archive, Path(args.csv)) if args.csv else []
    print(f"{len(archive.articles)} article(s), {len(archive.quotes)} quote(s), {len(archive.speakers)} speaker(s)"
          f" -> {out}" + (f" and {len(tables)} CSV table(s) in {args.csv}" if tables else ""), file=sys.stderr)
    return 0

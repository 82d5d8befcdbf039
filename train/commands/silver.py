"""``qawl silver``: quotes by rule, for silver training data or pre-annotation.

Two inputs:

* ``--corpus ANT.jsonl.gz``: every article of the ANT corpus, as ``{id, text,
  source, category, title, url, time, entities: null, quotes}``. The project's gold
  articles (``data/ant_quotes/gold``, ``data/ant_quotes/splits.json``) and any
  ``--exclude-ids`` are left out, so no evaluation article leaks into silver
  data.
* ``--in FILE.jsonl``: articles in the scheme's form (before human review):
  entities kept (and used for SOURCE), quotes replaced.

Output: ``--out FILE.jsonl`` (``.gz`` compresses) and/or ``--labelstudio
OUT.json`` (tasks with the quotes as predictions). Silver output holds article
text: write it outside the repository (e.g. under ``runs/``). Every article
written passes the scheme's checks; bad input stops the command with every
problem listed (file, line, article) and nothing written.
"""
from __future__ import annotations

import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("silver", help="annotate quotes by rule (silver data, pre-annotation)",
                       description="Annotate quotes by rule: every ANT article (--corpus; the project's gold "
                                   "articles are left out) or articles in the scheme's JSONL form (--in; "
                                   "entities kept, quotes replaced). Writes JSONL (--out) and/or Label Studio "
                                   "tasks with predictions (--labelstudio).")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--corpus", help="the ANT corpus (gzip JSON Lines)")
    src.add_argument("--in", dest="inp", metavar="FILE", help="articles in the scheme's JSONL form")
    p.add_argument("--out", help="output JSONL (.jsonl or .jsonl.gz)")
    p.add_argument("--labelstudio", metavar="OUT.json", help="also write Label Studio tasks with predictions")
    p.add_argument("--model-version", default="qawl-silver-rules", help="model_version of the Label Studio predictions")
    p.add_argument("--exclude-ids", nargs="+", default=[], metavar="FILE_OR_FOLDER",
                   help="more ids to leave out (stand-off or JSONL records, a splits file, a JSON list, "
                        "or one id a line); the project's gold ids are always left out")
    p.add_argument("--limit", type=int, help="stop after N articles written")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"qawl silver: {message}", file=sys.stderr)
    return 2


def _counted(arts, counts: dict):
    """Pass articles through, counting them and their quotes into ``counts``."""
    counts.setdefault("annotated", 0)
    counts.setdefault("quotes", 0)
    for art in arts:
        counts["annotated"] += 1
        counts["quotes"] += len(art["quotes"])
        yield art


def run(args) -> int:
    import time

    from qawl.data.article import ArticleError, read_articles, write_articles
    from qawl.data.textio import OutputError, check_output
    from qawl.data.silver.corpus import default_exclusions, read_ids, silver_articles, silver_corpus

    if not args.out and not args.labelstudio:
        return _fail("give --out, --labelstudio or both")
    if args.limit is not None and args.limit < 0:
        return _fail("--limit must be >= 0")
    started = time.perf_counter()
    counts: dict = {"annotated": 0, "quotes": 0}
    source = args.corpus or args.inp
    try:
        for target in (args.out, args.labelstudio):
            if target:
                check_output(target, [source])
    except OutputError as err:
        return _fail(str(err))
    try:
        if args.corpus:
            exclude: set[str] = set()
            for path in [*default_exclusions(), *map(Path, args.exclude_ids)]:
                exclude |= read_ids(path)
            arts = silver_corpus(args.corpus, exclude, args.limit, counts=counts)
        else:
            if args.exclude_ids:
                return _fail("--exclude-ids applies to --corpus only")
            native = read_articles(args.inp)
            if args.limit is not None:
                native = native[:args.limit]
            arts = silver_articles(native, source=args.inp)
        arts = _counted(arts, counts)
        if args.labelstudio:
            arts = list(arts)
        if args.out:
            write_articles(args.out, arts)  # whole or not at all
        if args.labelstudio:
            from qawl.data.formats import ConvertOptions
            from qawl.data.formats.labelstudio import write as write_tasks

            write_tasks(arts, args.labelstudio, ConvertOptions(target="predictions", model_version=args.model_version))
    except ArticleError as err:
        print(err, file=sys.stderr)
        return 1
    except OSError as err:
        return _fail(str(err))
    seconds = time.perf_counter() - started
    head = (f"{counts['read']} article(s) read, {counts['excluded']} excluded (gold and --exclude-ids), "
            if args.corpus else "")
    print(f"{head}{counts['annotated']} annotated with {counts['quotes']} quote(s) in {seconds:.1f} s",
          file=sys.stderr)
    for target in (args.out, args.labelstudio):
        if target:
            print(f"-> {target}", file=sys.stderr)
    return 0

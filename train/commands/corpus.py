"""``qawl corpus``: the stand-off ANT quote corpus (splits, counts, agreement, export).

* ``qawl corpus split``: add new gold ids to ``splits.json``; listed ids never move.
* ``qawl corpus stats``: counts per split and overall, written as Markdown.
* ``qawl corpus agreement --a GOLD --b PASS_B``: agreement of two annotation
  passes over the articles both hold, written into the stats file's
  "Agreement" section.
* ``qawl corpus export``: the records joined with their ANT text, as JSONL.
"""
from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

from qawl.data.article import ArticleError
from qawl.data.corpus_stats import (AGREEMENT_HEADING, agreement_markdown, count_splits, replace_section, section,
                                    stats_markdown)
from qawl.data.schema import ENTITY_LABELS
from qawl.data.standoff import GOLD_DIR, SPLIT_NAMES, SPLITS_FILE, parse_target
from qawl.data.textio import check_output, write_text

DEFAULT_CORPUS = "../shared/data/ant/ant-multisource-v2.1.jsonl.gz"
DEFAULT_STATS = "docs/ant-quotes-stats.md"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("corpus", help="the stand-off ANT quote corpus: split, stats, agreement, export",
                              description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    sub = p.add_subparsers(dest="corpus_command", required=True, metavar="ACTION")

    s = sub.add_parser("split", help="place new gold articles in train/dev/test (listed ids never move)")
    s.add_argument("--gold", default=None, help="records folder (default: the gold folder beside --splits)")
    s.add_argument("--splits", default=str(SPLITS_FILE), help="splits file to update")
    s.set_defaults(func=run_split)

    s = sub.add_parser("stats", help="counts per split and overall, as Markdown")
    s.add_argument("--gold", default=str(GOLD_DIR), help="records file or folder")
    s.add_argument("--splits", default=str(SPLITS_FILE), help="splits file")
    s.add_argument("--corpus", default=None,
                   help=f"ANT corpus: when given, records are joined and checked, and words are counted "
                        f"(e.g. {DEFAULT_CORPUS})")
    s.add_argument("--out", default=DEFAULT_STATS, help="Markdown file to write, or - for stdout")
    s.set_defaults(func=run_stats)

    s = sub.add_parser("agreement", help="agreement of two annotation passes over their shared articles")
    s.add_argument("--a", required=True, help="pass A records (file or folder), the reference")
    s.add_argument("--b", required=True, help="pass B records (file or folder)")
    s.add_argument("--corpus", default=DEFAULT_CORPUS, help="ANT corpus (.jsonl.gz)")
    s.add_argument("--out", default=DEFAULT_STATS,
                   help="Markdown file whose Agreement section is replaced, or - for stdout")
    s.set_defaults(func=run_agreement)

    s = sub.add_parser("export", help="write the records joined with their ANT text as JSONL")
    s.add_argument("records", nargs="?", default=str(GOLD_DIR),
                   help="records file or folder, optionally suffixed #train, #dev or #test (default: gold)")
    s.add_argument("--corpus", default=DEFAULT_CORPUS, help="ANT corpus (.jsonl.gz)")
    s.add_argument("--splits", default=str(SPLITS_FILE), help="splits file (for a #split suffix)")
    s.add_argument("--out", required=True, help="JSONL file to write (.jsonl or .jsonl.gz)")
    s.set_defaults(func=run_export)


# --- shared helpers ----------------------------------------------------------------

def shown(path: str | Path) -> str:
    """A path as it is best written in a report: relative to the working folder."""
    return os.path.relpath(Path(path).expanduser().resolve())


def report_failure(err: Exception) -> int:
    """Print every problem of a failure; the exit status to return."""
    if isinstance(err, ArticleError):
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"qawl corpus: {len(err.problems)} problem(s); nothing written", file=sys.stderr)
        return 1
    print(f"qawl corpus: {err}", file=sys.stderr)
    return 2


def write_markdown(out: str, text: str) -> None:
    """Write ``text`` to standard output (``-``) or, whole or not at all, to the file ``out``."""
    if out == "-":
        sys.stdout.write(text)
        return
    write_text(out, text)


# --- split ---------------------------------------------------------------------------

def run_split(args) -> int:
    from qawl.data.standoff import assign_splits, gold_stream, read_splits, write_splits

    splits = Path(args.splits)
    gold = Path(args.gold) if args.gold else splits.parent / "gold"
    try:
        pinned = read_splits(splits)
        assignment = assign_splits(gold_stream(gold), pinned)
    except (ArticleError, OSError, ValueError) as err:
        return report_failure(err)
    moved = [a for a, s in pinned.items() if assignment[a] != s]
    if moved:  # assign_splits keeps pinned ids; this guards the file against any future change of it
        print(f"qawl corpus split: would move {len(moved)} listed id(s), e.g. {moved[0]}; nothing written",
              file=sys.stderr)
        return 1
    new = Counter(s for a, s in assignment.items() if a not in pinned)
    counts = write_splits(splits, assignment)
    added = ", ".join(f"{s} {new[s]}" for s in SPLIT_NAMES)
    total = ", ".join(f"{s} {counts[s]}" for s in SPLIT_NAMES)
    print(f"{shown(splits)}: {sum(new.values())} new id(s) placed ({added}); now {total}")
    return 0


# --- stats ---------------------------------------------------------------------------

def stats_command(args) -> str:
    """The command line that reproduces this stats file."""
    bits = ["qawl corpus stats"]
    if Path(args.gold).resolve() != GOLD_DIR:
        bits.append(f"--gold {args.gold}")
    if Path(args.splits).resolve() != SPLITS_FILE:
        bits.append(f"--splits {args.splits}")
    if args.corpus:
        bits.append(f"--corpus {args.corpus}")
    bits.append(f"--out {args.out}")
    return " ".join(bits)


def run_stats(args) -> int:
    from qawl.data.standoff import current_splits, join_records, read_records, record_files

    try:
        files = record_files(args.gold)
        records, problems = read_records(args.gold)
        if problems:
            raise ArticleError(problems)
        assignment, unlisted = current_splits(args.splits)
        missing = [r for r in records if r.id not in assignment]
        if missing:
            raise ValueError(f"{len(missing)} article(s) of {args.gold} are in no split (e.g. {missing[0].id}): "
                             f"{args.gold} is not the gold folder beside {args.splits}")
        arts = join_records(records, args.corpus) if args.corpus else [r.value for r in records]
    except (ArticleError, OSError, ValueError) as err:
        return report_failure(err)
    per_file = Counter(r.file for r in records)
    listed = sum(1 for r in records if r.id not in unlisted)
    provenance = (
        f"Records: `{shown(args.gold)}` ("
        + ", ".join(f"{f.name} {per_file[str(f)]}" for f in files)
        + f" articles). Splits: `{shown(args.splits)}`, {listed} article(s) listed"
        + (f", {len(records) - listed} not listed yet and placed by its rule (run `qawl corpus split`)"
           if listed < len(records) else "")
        + "." + ("" if args.corpus else " Counted from the records alone: spans not checked against the text.")
    )
    counts = count_splits(arts, assignment, words=bool(args.corpus))
    text = stats_markdown(counts, stats_command(args), provenance, words=bool(args.corpus))
    if args.out != "-" and Path(args.out).exists():
        kept = section(Path(args.out).read_text(encoding="utf-8"), AGREEMENT_HEADING)
        if kept:
            text += "\n" + kept
    write_markdown(args.out, text)
    c = counts["all"]
    per_split = ", ".join(f"{s} {counts[s]['articles']}" for s in SPLIT_NAMES)
    print(f"{c['articles']} articles ({per_split}), "
          f"{c['quotes']} quotes, {sum(c[('entity', lab)] for lab in ENTITY_LABELS)} entities -> {args.out}")
    return 0


# --- agreement -----------------------------------------------------------------------

def score_agreement(pairs: list[tuple[dict, dict]]) -> dict:
    """Entity and quote agreement over ``(A article, B article)`` pairs, A as the reference.

    Returns ``{"entities": metric result | None, "quotes": result | None,
    "quotes_b_ref": result with B as reference | None, "entity_articles": n, "quote_articles": n}``:
    each layer over the pairs that annotate it in both passes.
    """
    from qawl.train.evaluation.scoring import score_pairs

    ent = [(b, a) for a, b in pairs if a.get("entities") is not None and b.get("entities") is not None]
    quo = [(b, a) for a, b in pairs if a.get("quotes") is not None and b.get("quotes") is not None]
    a_ref = score_pairs(ent, ("ner",))["ner"], score_pairs(quo, ("quote",))["quote"]
    b_ref = score_pairs([(a, b) for b, a in quo], ("quote",))["quote"]
    return {"entity_articles": len(ent), "quote_articles": len(quo),
            "entities": a_ref[0], "quotes": a_ref[1], "quotes_b_ref": b_ref}


def run_agreement(args) -> int:
    from qawl.data.article import Problem
    from qawl.data.standoff import join_records, read_records

    try:
        a_recs, problems = read_records(args.a)
        b_recs, b_problems = read_records(args.b)
        problems += b_problems
        if problems:
            raise ArticleError(problems)
        b_by_id = {r.id: r for r in b_recs}
        a_ids = {r.id for r in a_recs}
        shared = [(r, b_by_id[r.id]) for r in a_recs if r.id in b_by_id]
        if not shared:
            raise ValueError(f"{args.a} and {args.b} have no article in common")
        changed = [Problem(f"annotated on another text than pass A ({ra.file}:{ra.line}): sha256 "
                           f"{rb.value['sha256']} here, {ra.value['sha256']} there", rb.file, rb.line, rb.id)
                   for ra, rb in shared if ra.value["sha256"] != rb.value["sha256"]]
        if changed:
            raise ArticleError(changed)
        # one pass over the corpus for both sides: the shared A records, then the B records
        joined = join_records([ra for ra, _ in shared] + [rb for _, rb in shared], args.corpus)
    except (ArticleError, OSError, ValueError) as err:
        return report_failure(err)
    pairs = list(zip(joined[:len(shared)], joined[len(shared):]))
    scores = score_agreement(pairs)
    only_b = sorted(set(b_by_id) - a_ids)
    command = f"qawl corpus agreement --a {args.a} --b {args.b} --corpus {args.corpus} --out {args.out}"
    new = agreement_markdown(scores, command, shown(args.a), shown(args.b), len(shared),
                             len(a_ids) - len(shared), only_b)
    if args.out == "-":
        write_markdown("-", new)
    else:
        path = Path(args.out)
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        write_markdown(args.out, replace_section(old, AGREEMENT_HEADING, new))
    bits = [f"{len(shared)} shared article(s)"]
    if scores["entities"] is not None:
        bits.append(f"entity F1 {scores['entities']['f1']:.3f}")
    if scores["quotes"] is not None:
        bits.append(f"CONTENT overlap F1 {scores['quotes']['content_overlap_f1']:.3f}")
        bits.append(f"speaker agreement {scores['quotes']['attribution_accuracy']:.3f}")
    print(", ".join(bits) + f" -> {args.out}")
    return 0


# --- export --------------------------------------------------------------------------

def run_export(args) -> int:
    from qawl.data.standoff import export_joined

    try:
        check_output(args.out, [args.corpus, parse_target(args.records)[0]])
        n = export_joined(args.records, args.corpus, args.out, splits=args.splits)
    except (ArticleError, OSError, ValueError) as err:
        return report_failure(err)
    print(f"{n} article(s) -> {args.out}")
    return 0

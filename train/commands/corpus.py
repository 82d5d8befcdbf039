"""``qawl corpus``: the stand-off ANT quote corpus (splits, counts, agreement, export).

* ``qawl corpus split``: add new gold ids to ``splits.json``; listed ids never move.
* ``qawl corpus stats``: counts per split and overall, written as Markdown.
* ``qawl corpus agreement --a GOLD --b PASS_B``: agreement of two annotation
  passes over the articles both hold, written into the stats file's
  "Agreement" section.
* ``qawl corpus export``: the records joined with their ANT text, as JSONL.
"""
from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

from data.article import ArticleError
from data.schema import ENTITY_LABELS, QUOTE_KINDS
from data.standoff import GOLD_DIR, SPLIT_NAMES, SPLITS_FILE

DEFAULT_CORPUS = "../shared/data/ant/ant-multisource-v2.1.jsonl.gz"
DEFAULT_STATS = "docs/ant-quotes-stats.md"
AGREEMENT_HEADING = "## Agreement"


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


def markdown_table(header: list[str], rows: list[list[object]], text: tuple[int, ...] = (0,)) -> str:
    """A Markdown table: columns whose index is in ``text`` left-aligned, the others (numbers) right-aligned."""
    def cell(x: object) -> str:
        return f"{x:.3f}" if isinstance(x, float) else str(x)

    align = [":---" if i in text else "---:" for i in range(len(header))]
    lines = [header, align] + [[cell(x) for x in row] for row in rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def section(markdown: str, heading: str) -> str:
    """The section of ``markdown`` starting at a line equal to ``heading`` up to the next ``## `` heading."""
    lines = markdown.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        return ""
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "".join(lines[start:end]).rstrip() + "\n"


def replace_section(markdown: str, heading: str, new: str) -> str:
    """``markdown`` with its ``heading`` section replaced by ``new`` (appended when it has none)."""
    old = section(markdown, heading)
    if old:
        return markdown.replace(old, new, 1)
    return (markdown.rstrip() + "\n\n" if markdown.strip() else "") + new


def write_markdown(out: str, text: str) -> None:
    if out == "-":
        sys.stdout.write(text)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --- split ---------------------------------------------------------------------------

def run_split(args) -> int:
    from data.standoff import assign_splits, gold_stream, read_splits, write_splits

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

def count_article(art: dict, words: bool) -> Counter:
    """Counts of one article (a record or a joined article); word counts need ``text``."""
    c: Counter = Counter(articles=1)
    c[("source", art["source"])] += 1
    c[("category", art["category"])] += 1
    for ent in art.get("entities") or []:
        c[("entity", ent["label"])] += 1
    for q in art.get("quotes") or []:
        c["quotes"] += 1
        c[("kind", q["kind"])] += 1
        c["with SOURCE"] += q.get("source") is not None
        c["without SOURCE"] += q.get("source") is None
        c["without CUE"] += q.get("cue") is None
        c["speaker null"] += q.get("speaker") is None
    if words:
        from data.words import split_words

        offsets = split_words(art["text"])
        c["words"] += len(offsets)
        spans = [q["content"] for q in art.get("quotes") or []]
        c["words in CONTENT"] += sum(1 for s, e in offsets if any(a <= s and e <= b for a, b in spans))
    return c


def count_splits(arts: list[dict], assignment: dict[str, str], words: bool) -> dict[str, Counter]:
    """split name (and ``"all"``) -> summed counts."""
    out = {s: Counter() for s in (*SPLIT_NAMES, "all")}
    for art in arts:
        c = count_article(art, words)
        out[assignment[art["id"]]].update(c)
        out["all"].update(c)
    return out


def stats_markdown(counts: dict[str, Counter], command: str, provenance: str, words: bool) -> str:
    """The stats document (without the Agreement section)."""
    cols = [*SPLIT_NAMES, "all"]
    head = ["", *cols]

    def row(name: str, key) -> list[object]:
        return [name, *(counts[c][key] for c in cols)]

    def per_article(key) -> list[float]:
        return [counts[c][key] / counts[c]["articles"] if counts[c]["articles"] else 0.0 for c in cols]

    sources = sorted({k[1] for k in counts["all"] if isinstance(k, tuple) and k[0] == "source"})
    categories = sorted({k[1] for k in counts["all"] if isinstance(k, tuple) and k[0] == "category"})
    parts = [
        "# ANT quote corpus: counts",
        f"Generated by `{command}`; do not edit by hand (rerun the command).",
        provenance,
        "## Articles by source",
        markdown_table(["source", *cols], [row(s, ("source", s)) for s in sources] + [row("**all**", "articles")]),
        "## Articles by category",
        markdown_table(["category", *cols], [row(s, ("category", s)) for s in categories] + [row("**all**", "articles")]),
        "## Quotes",
        markdown_table(head, [
            row("quotes", "quotes"),
            *[row(k, ("kind", k)) for k in QUOTE_KINDS],
            row("with SOURCE", "with SOURCE"),
            row("without SOURCE", "without SOURCE"),
            row("without CUE", "without CUE"),
            row("speaker null", "speaker null"),
            ["quotes per article", *per_article("quotes")],
        ]),
        "## Entities by type",
        markdown_table(head, [row(label, ("entity", label)) for label in ENTITY_LABELS] + [
            ["**all**", *(sum(counts[c][("entity", lab)] for lab in ENTITY_LABELS) for c in cols)],
            ["entities per article", *[sum(x) for x in zip(*(per_article(("entity", lab)) for lab in ENTITY_LABELS))]],
        ]),
    ]
    if words:
        parts += [
            "## Words",
            "Words as the scheme splits them (punctuation marks are words of their own).",
            markdown_table(head, [
                row("words", "words"),
                ["words per article", *per_article("words")],
                row("words in quote CONTENT", "words in CONTENT"),
                ["share of words in CONTENT", *[
                    counts[c]["words in CONTENT"] / counts[c]["words"] if counts[c]["words"] else 0.0 for c in cols]],
            ]),
        ]
    return "\n\n".join(parts) + "\n"


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
    from data.standoff import current_splits, join_records, read_records, record_files

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

def entity_spans(art: dict) -> list[list[str]]:
    """An article's entities in the span metric's input form."""
    return [[str(e["start"]), str(e["end"]), e["label"]] for e in art["entities"]]


def score_agreement(pairs: list[tuple[dict, dict]]) -> dict:
    """Entity and quote agreement over ``(A article, B article)`` pairs, A as the reference.

    Returns ``{"entities": metric result | None, "quotes": result | None,
    "quotes_b_ref": result with B as reference | None, "entity_articles": n, "quote_articles": n}``.
    """
    from train.metrics import load_metric

    ent = [(a, b) for a, b in pairs if a.get("entities") is not None and b.get("entities") is not None]
    quo = [(a, b) for a, b in pairs if a.get("quotes") is not None and b.get("quotes") is not None]
    out: dict = {"entity_articles": len(ent), "quote_articles": len(quo),
                 "entities": None, "quotes": None, "quotes_b_ref": None}
    if ent:
        out["entities"] = load_metric("qawl_entities", config_name="spans").compute(
            predictions=[entity_spans(b) for _, b in ent], references=[entity_spans(a) for a, _ in ent])
    if quo:
        metric = load_metric("qawl_quotes")
        a_json = [json.dumps(a, ensure_ascii=False) for a, _ in quo]
        b_json = [json.dumps(b, ensure_ascii=False) for _, b in quo]
        out["quotes"] = metric.compute(predictions=b_json, references=a_json)
        out["quotes_b_ref"] = metric.compute(predictions=a_json, references=b_json)
    return out


def agreement_markdown(scores: dict, command: str, a: str, b: str, shared: int, only_a: int, only_b: list[str]) -> str:
    """The Agreement section."""
    lines = [
        AGREEMENT_HEADING,
        "",
        f"Generated by `{command}`. Pass A: `{a}`; pass B: `{b}`. {shared} article(s) are in both "
        f"({only_a} only in A, {len(only_b)} only in B{': ' + ', '.join(only_b) if only_b else ''}). "
        "F1 is symmetric in A and B; speaker agreement is given both ways.",
        "",
    ]
    rows: list[list[object]] = []
    ent = scores["entities"]
    if ent is not None:
        rows.append(["entity F1, exact spans, all types", ent["f1"],
                     f"{ent['tp']} in both, {ent['fn']} only A, {ent['fp']} only B ({scores['entity_articles']} articles)"])
        for label in ENTITY_LABELS:
            t = ent["per_type"].get(label)
            if t is not None:
                rows.append([f"entity F1, {label}", t["f1"], f"{t['tp']} in both, {t['fn']} only A, {t['fp']} only B"])
    q = scores["quotes"]
    if q is not None:
        n = scores["quote_articles"]
        rows.append(["quote CONTENT overlap F1", q["content_overlap_f1"],
                     f"{q['content_overlap_matched']} words shared of {q['content_overlap_gold']} (A) and "
                     f"{q['content_overlap_predicted']} (B); {q['gold_quotes']} and {q['predicted_quotes']} quotes "
                     f"({n} articles)"])
        for part in ("content", "source", "cue"):
            rows.append([f"quote {part.upper()} exact F1", q[f"{part}_exact_f1"],
                         f"{q[f'{part}_exact_tp']} spans in both, {q[f'{part}_exact_fn']} only A, "
                         f"{q[f'{part}_exact_fp']} only B"])
        for part in ("source", "cue"):
            rows.append([f"quote {part.upper()} overlap F1", q[f"{part}_overlap_f1"],
                         f"{q[f'{part}_overlap_matched']} words shared of {q[f'{part}_overlap_gold']} (A) and "
                         f"{q[f'{part}_overlap_predicted']} (B)"])
        for name, r in (("A's quotes found in B", q), ("B's quotes found in A", scores["quotes_b_ref"])):
            rows.append([f"speaker agreement, {name}", r["attribution_accuracy"],
                         f"{r['attribution_correct']} of {r['attribution_found']} quotes whose CONTENT overlaps"])
    if not rows:
        lines.append("No article has a layer annotated in both passes.")
    else:
        lines.append(markdown_table(["measure", "value", "counts"], rows, text=(0, 2)))
    lines += ["", "Speakers match after Arabic normalisation when one is a run of whole words of the other "
              "(the qawl_quotes metric's attribution rule); a null speaker matches only a null speaker."]
    return "\n".join(lines) + "\n"


def run_agreement(args) -> int:
    from data.article import Problem
    from data.standoff import join_records, read_records

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
    from data.standoff import export_joined

    try:
        n = export_joined(args.records, args.corpus, args.out, splits=args.splits)
    except (ArticleError, OSError, ValueError) as err:
        return report_failure(err)
    print(f"{n} article(s) -> {args.out}")
    return 0

"""``qawl show``: a self-contained right-to-left HTML page of predictions, side by side with gold."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "show",
        help="render predicted articles (and gold) as one self-contained HTML page",
        description="Entities coloured by type, quote parts marked with their speaker; with --gold, gold and"
        " prediction side by side with misses, false alarms and per-article scores.",
    )
    p.add_argument("predictions", metavar="PRED.jsonl", help="predicted articles (JSONL), e.g. from qawl predict")
    p.add_argument("--gold", metavar="GOLD.jsonl", help="gold articles (JSONL) with the same ids and texts")
    p.add_argument("-o", "--out", default="show.html", help="HTML file to write (default: show.html)")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from qawl.data.article import read_articles, read_numbered
    from qawl.data.textio import check_output, write_text
    from qawl.train.evaluation.html import ShownArticle, pair_articles, render_page
    from qawl.train.evaluation.scoring import score_pairs

    check_output(args.out, [args.predictions, *([args.gold] if args.gold else [])])
    preds, lines = read_numbered(args.predictions)
    golds = None if args.gold is None else read_articles(args.gold)
    sources = [f"predictions: {args.predictions}"]
    if golds is None:
        shown = [ShownArticle(p) for p in preds]
        total, unshown = None, []
    else:
        pairs, unshown = pair_articles(preds, golds, args.predictions, args.gold, lines)
        sources.append(f"gold: {args.gold}")
        shown = [ShownArticle(p, g, score_pairs([(p, g)])) for p, g in pairs]
        total = score_pairs(pairs) if pairs else None
    if unshown:
        print(f"{args.gold}: {len(unshown)} gold article(s) have no prediction and are not shown: {', '.join(unshown[:10])}"
              + (" ..." if len(unshown) > 10 else ""), file=sys.stderr)
    page = render_page(shown, f"qawl show: {Path(args.predictions).name}", sources, total, unshown)
    out = Path(args.out)
    write_text(out, page)
    print(f"{len(shown)} article(s) -> {out}", file=sys.stderr)
    return 0

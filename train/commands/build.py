"""``qawl build``: articles -> a saved ``datasets.DatasetDict`` (word and window level).

The output folder is checked before anything is built (new, empty, or an
earlier build's ``words/`` and ``windows/`` only) and filled whole or not at
all: the datasets are saved into a temporary folder beside it, which then
takes its place.
"""
from __future__ import annotations

#: what ``qawl build --out DIR`` writes into DIR
BUILT = ("words", "windows")


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="build token-classification datasets from a config's corpora")
    p.add_argument("--config", default=None, help="YAML config (default: configs/default.yaml)")
    p.add_argument("--out", required=True, help="folder for the saved DatasetDicts (words/ and windows/)")
    p.add_argument("overrides", nargs="*", help="dotted config overrides")
    p.set_defaults(func=run)


def run(args) -> int:
    from qawl.data.textio import atomic_folder, check_output
    from qawl.train.config import DEFAULT_CONFIG, load_config

    cfg = load_config(args.config or DEFAULT_CONFIG, args.overrides)
    check_output(args.out, folder=True, replaces=BUILT)

    from datasets import DatasetDict

    from qawl.train.corpora import build_splits
    from qawl.train.recipe.setup import load_base

    _, tokenizer = load_base(cfg)
    splits = build_splits(cfg.data, tokenizer, cfg.train.seed)
    with atomic_folder(args.out) as folder:
        DatasetDict({s: d.words for s, d in splits.items()}).save_to_disk(str(folder / "words"))
        DatasetDict({s: d.windows for s, d in splits.items()}).save_to_disk(str(folder / "windows"))
    for s, d in splits.items():
        print(f"{s}: {len(d.articles)} articles, {len(d.windows)} windows, {sum(d.windows['num_tokens'])} tokens")
    print(f"saved to {args.out}/words and {args.out}/windows")
    return 0

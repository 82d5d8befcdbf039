"""``qawl convert``: move annotated articles between formats.

Every conversion or repair made on the way is printed to stderr with its file
and line, then one summary line counts articles, entities, quotes and notes by
kind. Input that cannot be converted stops the command with every problem
listed (exit status 1) and nothing written. The output is checked before
anything is read (never the input itself; a brat folder must be new or
empty) and written whole or not at all.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
from pathlib import Path

from qawl.data.article import ArticleError
from qawl.data.formats import FORMATS, ConvertOptions, Note, get_format, parse_map
from qawl.data.textio import OutputError, check_output

#: ConvertOptions field -> its flag on the command line
_OPTIONS = {
    "tag_map": "--tag-map",
    "group": "--group",
    "scheme": "--scheme",
    "label_map": "--label-map",
    "drop_incomplete": "--drop-incomplete",
    "anercorp_tags": "--anercorp-tags",
    "pick": "--pick",
    "target": "--ls-target",
    "model_version": "--model-version",
}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "convert",
        help="convert annotations between formats (jsonl, conll, brat, labelstudio, doccano)",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
    )
    names = list(FORMATS)
    p.add_argument("--from", dest="src_format", required=True, choices=names, help="input format")
    p.add_argument("--to", dest="dst_format", required=True, choices=names, help="output format")
    p.add_argument("input", metavar="IN", help="input file or folder")
    p.add_argument("output", metavar="OUT", help="output file, folder (brat) or - for stdout")
    g = p.add_argument_group("reading CoNLL")
    g.add_argument("--tag-map", metavar="OLD=NEW,...",
                   help="extra tag map: a whole tag (IO=O) or a type (MIS-1=MISC, ENGLISH=O); "
                        "applied before the built-in PERS->PER, MIS0..MIS3->MISC")
    g.add_argument("--group", type=int, metavar="N",
                   help="sentences per article (default 1; 0 = one article per -DOCSTART- block)")
    g.add_argument("--scheme", choices=["auto", "bio", "io"],
                   help="tag scheme (default auto: IO when a file has no B- tag)")
    g = p.add_argument_group("reading brat, Label Studio, doccano")
    g.add_argument("--label-map", metavar="LABEL=ENTITY,...",
                   help="span labels to entity labels (Person=PER) or O to leave them out")
    g.add_argument("--drop-incomplete", action="store_true", default=None,
                   help="brat: leave out (and report) attributions with no Content instead of failing")
    g.add_argument("--pick", choices=["only", "last"],
                   help="Label Studio: with several annotations per task, fail (only, default) or use the last")
    g = p.add_argument_group("writing")
    g.add_argument("--anercorp-tags", action="store_true", default=None, help="CoNLL: write PERS, as ANERcorp")
    g.add_argument("--ls-target", dest="target", choices=["predictions", "annotations"],
                   help="Label Studio: write regions as predictions (default, for review) or annotations")
    g.add_argument("--model-version", help="Label Studio: model_version of the predictions (default qawl)")
    p.add_argument("--quiet", action="store_true", help="print only the summary line, not each note")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"qawl convert: {message}", file=sys.stderr)
    return 2


def _options(args: argparse.Namespace) -> ConvertOptions | str:
    """The options to pass on, or a message saying which one does not apply."""
    src, dst = get_format(args.src_format), get_format(args.dst_format)
    given = {name: getattr(args, name) for name in _OPTIONS if getattr(args, name) is not None}
    for name in given:
        if name not in src.read_options and name not in dst.write_options:
            return f"{_OPTIONS[name]} does not apply to --from {src.name} --to {dst.name}"
    try:
        for name in ("tag_map", "label_map"):
            if name in given:
                given[name] = parse_map(given[name])
    except ValueError as err:
        return str(err)
    return ConvertOptions(**given)


def _summary(arts: list[dict], notes: list[Note]) -> str:
    ents = sum(len(a.get("entities") or []) for a in arts)
    quotes = sum(len(a.get("quotes") or []) for a in arts)
    kinds = collections.Counter(n.kind for n in notes)
    counted = ", ".join(f"{c} {k}" for k, c in sorted(kinds.items())) or "none"
    return f"{len(arts)} article(s), {ents} entities, {quotes} quotes; notes: {counted}"


def run(args: argparse.Namespace) -> int:
    src, dst = get_format(args.src_format), get_format(args.dst_format)
    if not src.can_read:
        return _fail(f"{src.name} cannot be read")
    if not dst.can_write:
        return _fail(f"{dst.name} cannot be written")
    options = _options(args)
    if isinstance(options, str):
        return _fail(options)
    source = Path(args.input)
    if not source.exists():
        return _fail(f"{source}: no such file or folder")
    if args.output == "-" and dst.out_folder:
        return _fail(f"{dst.name} writes a folder; give one instead of -")
    try:  # before reading anything: a folder where a file goes, a brat folder holding other files, the input itself
        check_output(args.output, [args.input], folder=dst.out_folder)
    except OutputError as err:
        return _fail(str(err))
    try:
        arts, notes = src.reader()(source, options)
    except ArticleError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"qawl convert: {len(err.problems)} problem(s) in {source}; nothing written", file=sys.stderr)
        return 1
    except ValueError as err:
        return _fail(str(err))
    out = sys.stdout if args.output == "-" else Path(args.output)
    try:
        notes += dst.writer()(arts, out, options)
    except ValueError as err:
        return _fail(str(err))
    except BrokenPipeError:  # stdout closed early by a pager or `head`
        sys.stdout = open(os.devnull, "w")  # keeps the interpreter's final flush quiet
        return 1
    if not args.quiet:
        for note in notes:
            print(note, file=sys.stderr)
    print(f"qawl convert: {src.name} {source} -> {dst.name} {args.output}: {_summary(arts, notes)}",
          file=sys.stderr)
    return 0

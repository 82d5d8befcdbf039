"""``qawl predict``: entities and attributed quotes for raw articles, at archive scale.

Inputs are read lazily and predicted a block of articles at a time
(:mod:`qawl.train.prediction.stream`): memory is one block, not the input.
Everything a user can get wrong is checked before the model is loaded: the
output (writable, not a folder, not one of the inputs), the inputs (one
streamed pass; with ``--errors`` an unsound article is listed there instead
and the rest are predicted) and the checkpoint folder. A file output is
written beside it block by block and renamed when complete; ``--resume``
continues an interrupted run. Launched with ``accelerate launch
--num_processes N -m qawl predict ...`` the blocks are shared among the
processes and joined in input order.
"""
from __future__ import annotations

import sys

from .cli import whole_number


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="predict entities and quotes for articles (JSONL out)")
    p.add_argument("--checkpoint", required=True, help="a checkpoint folder written by train.py")
    p.add_argument("inputs", nargs="*", help=".txt files, JSONL files (.gz too) with id and text, or - for standard input")
    p.add_argument("-o", "--out", default="-", help="output JSONL (default: standard output)")
    p.add_argument("--errors", help="JSONL file listing the articles that could not be predicted (file, line, id, "
                                    "reason); with it, they are skipped and the rest predicted")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run with the same inputs and -o")
    p.add_argument("--batch-size", type=whole_number(1), default=16, help="windows per forward pass")
    p.add_argument("--chunk-size", type=whole_number(1), default=256,
                   help="articles predicted together and written at once (memory is one chunk)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    import contextlib
    import tempfile
    from pathlib import Path

    from qawl.data.textio import OutputError, check_output
    from qawl.train.prediction.inputs import count_inputs, iter_inputs
    from qawl.train.prediction.predict import check_checkpoint

    paths = args.inputs or ["-"]
    check_output(args.out, paths)
    if args.errors is not None:
        check_output(args.errors, paths)
        if args.out != "-" and Path(args.errors).resolve() == Path(args.out).resolve():
            raise OutputError(f"{args.errors}: is also the output (-o); give the errors file another name")
    if args.resume and args.out == "-":
        raise OutputError("--resume continues a file output: give -o FILE")
    out = Path(args.out)
    if args.resume and out.is_file() and not any(p.name.startswith(f"{out.name}.") and p.name.endswith(".progress")
                                                 for p in out.parent.iterdir()):
        raise OutputError(f"{args.out}: is complete, with no interrupted run beside it: nothing to resume "
                          "(leave out --resume to predict again)")
    with contextlib.ExitStack() as stack:
        stdin = None
        if "-" in paths:  # read twice (checked, then predicted): kept in a temporary file, not in memory
            spool = stack.enter_context(tempfile.TemporaryFile())
            for chunk in iter(lambda: sys.stdin.buffer.read(1 << 20), b""):
                spool.write(chunk)

            def stdin():
                spool.seek(0)
                return spool

        def items():
            return iter_inputs(paths, stdin() if stdin else None)

        total = count_inputs(items(), refuse=args.errors is None)
        check_checkpoint(args.checkpoint)
        return predict(args, items, total)


def predict(args, items, total: int) -> int:
    """Load the model and predict every block this process owns; the main process joins the shards."""
    from pathlib import Path

    import datasets
    import transformers
    from accelerate import PartialState
    from accelerate.utils import gather_object
    from tqdm import tqdm

    from qawl.data.textio import OutputError
    from qawl.train.prediction.predict import load_checkpoint, predict_here
    from qawl.train.prediction.stream import Shard, Tally, merge_shards, run_shard, shard_items

    datasets.disable_progress_bars()  # one bar, ours: not one per block from the libraries
    transformers.utils.logging.disable_progress_bar()
    state = PartialState()
    shard = Shard(state.process_index, state.num_processes)
    if shard.count > 1 and (args.out == "-" or "-" in (args.inputs or ["-"])):
        raise OutputError("a run over several processes reads input files and writes -o FILE (not standard streams)")
    model, tokenizer, spec, labels = load_checkpoint(args.checkpoint)
    model.to(state.device)

    def predict_articles(arts: list[dict]) -> list[dict]:
        return predict_here(model, tokenizer, spec, labels, arts, batch_size=args.batch_size, device=state.device)

    bar = tqdm(total=shard_items(total, shard, args.chunk_size), unit="article", file=sys.stderr, dynamic_ncols=True,
               disable=args.quiet or not state.is_main_process, desc="qawl predict")
    with bar:
        if args.out == "-":
            tally = to_stdout(predict_articles, items(), args, bar.update)
        else:
            tally = run_shard(predict_articles, items(), shard.files(Path(args.out)), shard,
                              block_size=args.chunk_size, resume=args.resume, keep_going=args.errors is not None,
                              advance=bar.update)
    tallies = gather_object([tally]) if shard.count > 1 else [tally]
    state.wait_for_everyone()
    if not state.is_main_process:
        return 0
    total_tally = Tally()
    for t in tallies:
        total_tally.add(t)
    if args.out != "-":
        merge_shards(Path(args.out), None if args.errors is None else Path(args.errors), shard.count, total)
    summarise(total_tally, args)
    return 1 if total_tally.failed else 0


def to_stdout(predict_articles, items, args, advance):
    """One process, standard output: each block's lines as soon as they are predicted."""
    import contextlib

    from qawl.data.textio import atomic_output
    from qawl.train.prediction.stream import Tally, blocks, jsonl, predict_block

    tally = Tally()
    with contextlib.ExitStack() as stack:
        errors = None if args.errors is None else stack.enter_context(atomic_output(args.errors))
        for _, block in blocks(items, args.chunk_size):
            preds, failed = predict_block(predict_articles, block, keep_going=errors is not None)
            sys.stdout.writelines(jsonl(preds))
            sys.stdout.flush()
            if errors is not None:
                errors.writelines(jsonl(failed))
            tally.predicted += len(preds)
            tally.failed += len(failed)
            advance(len(block))
    return tally


def summarise(tally, args) -> None:
    """The closing line on stderr: how many articles went where."""
    bits = [f"{tally.predicted} article(s) predicted" + ("" if args.out == "-" else f" -> {args.out}")]
    if tally.resumed:
        bits.append(f"{tally.resumed} done by the interrupted run")
    if tally.failed:
        bits.append(f"{tally.failed} could not be predicted (listed in {args.errors})")
    print("; ".join(bits), file=sys.stderr)

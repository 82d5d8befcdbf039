"""``qawl predict`` at archive scale: streamed in blocks, resumable, sharded across processes.

The input items (articles as read, sound or not: :func:`.inputs.iter_inputs`)
are cut into fixed blocks of ``block_size`` items: block ``k`` holds items
``[k * block_size, (k + 1) * block_size)``. Process ``i`` of ``n`` predicts the
blocks with ``k % n == i``, each block in one go. A block is therefore
predicted the same (same windows, same batches) whatever the number of
processes and wherever a run was interrupted, so a resumed or sharded run
writes exactly what one uninterrupted process writes.

Each process writes beside the output ``OUT`` (shard ``i`` of ``n``):

- ``OUT.i-of-n.part``: its blocks' predictions, block after block;
- ``OUT.i-of-n.errors``: the articles it could not predict (JSONL: ``file``,
  ``line``, ``id``, ``reason``);
- ``OUT.i-of-n.progress``: one line per finished block, written after the
  block's lines are on disk: ``block items part_bytes errors_bytes where``
  (``where``: ``file:line`` of the block's last item).

Memory is one block. A run killed at any moment resumes from its last
progress line: the part files are cut back to the sizes it records (a
half-written line goes) and the blocks after it are predicted. When every
shard is done, the main process joins the parts in block order into
``OUT`` (written under a temporary name, then renamed) and removes them.
"""
from __future__ import annotations

import codecs
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from qawl.data.article import ArticleError
from qawl.data.textio import atomic_output

from .inputs import InputItem

#: input items per block (articles predicted together; memory is one block)
BLOCK_SIZE = 256


class ResumeError(ValueError):
    """A ``--resume`` that cannot continue: the inputs are not those of the interrupted run."""


class PredictError(RuntimeError):
    """An article the model could not be run on, when no errors file was given to list it."""


@dataclass(frozen=True)
class Shard:
    """This process's share of a run: process ``index`` of ``count``."""

    index: int = 0
    count: int = 1

    def owns(self, block: int) -> bool:
        return block % self.count == self.index

    def files(self, out: Path) -> ShardFiles:
        stem = f"{out.name}.{self.index}-of-{self.count}"
        return ShardFiles(*(out.with_name(f"{stem}.{kind}") for kind in ("part", "errors", "progress")))


@dataclass(frozen=True)
class ShardFiles:
    part: Path
    errors: Path
    progress: Path

    def all(self) -> tuple[Path, Path, Path]:
        return self.part, self.errors, self.progress


@dataclass(frozen=True)
class Progress:
    """One finished block: its number, the items read up to its end, the part
    files' sizes in bytes after it, and where its last item is."""

    block: int
    items: int
    part_bytes: int
    errors_bytes: int
    where: str

    def line(self) -> str:
        return f"{self.block} {self.items} {self.part_bytes} {self.errors_bytes} {json.dumps(self.where)}\n"

    @classmethod
    def parse(cls, line: str) -> Progress:
        block, items, part, errors, where = line.split(" ", 4)
        return cls(int(block), int(items), int(part), int(errors), json.loads(where))


@dataclass
class Tally:
    """What a run did: articles predicted, articles that failed, and
    articles found done by an earlier run (``--resume``)."""

    predicted: int = 0
    failed: int = 0
    resumed: int = 0

    def add(self, other: Tally) -> None:
        self.predicted += other.predicted
        self.failed += other.failed
        self.resumed += other.resumed


def blocks(items: Iterable[InputItem], size: int = BLOCK_SIZE) -> Iterator[tuple[int, list[InputItem]]]:
    """``(block number, items)`` over the input items, ``size`` at a time."""
    block: list[InputItem] = []
    k = 0
    for item in items:
        block.append(item)
        if len(block) == size:
            yield k, block
            block, k = [], k + 1
    if block:
        yield k, block


def error_record(item: InputItem, reason: str) -> dict:
    """The errors file's line for an item: where it is, its id when known, why it failed."""
    art = item.article
    aid = art.get("id") if art is not None else next((p.article for p in item.problems if p.article), None)
    return {"file": item.file, "line": item.line, "id": aid, "reason": reason}


def predict_block(predict: Callable[[list[dict]], list[dict]], items: list[InputItem],
                  keep_going: bool) -> tuple[list[dict], list[dict]]:
    """``(predicted articles, error records)`` of one block, both in input order.

    ``predict`` maps articles to predicted articles. The sound articles are
    predicted together; should that fail, one at a time, so one article that
    cannot be predicted costs only itself. Unsound items (problems found
    reading them) and failed articles become error records when
    ``keep_going``; otherwise the first raises (:class:`ArticleError` for an
    unsound item, :class:`PredictError` for a failed one).
    """
    failed: dict[int, str] = {}  # item's place in the block -> why it failed
    for i, item in enumerate(items):
        if item.article is None:
            if not keep_going:
                raise ArticleError(list(item.problems))
            failed[i] = "; ".join(p.message for p in item.problems)
    sound = [i for i, item in enumerate(items) if item.article is not None]
    try:
        preds = predict([items[i].article for i in sound])
    except Exception:  # noqa: BLE001 - which article failed is found below, one at a time
        preds = []
        for i in sound:
            item = items[i]
            try:
                preds += predict([item.article])
            except Exception as err:  # noqa: BLE001 - one article's failure is reported, the rest go on
                reason = f"prediction failed: {type(err).__name__}: {err}"
                if not keep_going:
                    raise PredictError(f"{item.where}: article {item.article['id']!r}: {reason}") from err
                failed[i] = reason
    return preds, [error_record(items[i], failed[i]) for i in sorted(failed)]


def last_progress(files: ShardFiles) -> tuple[Progress | None, int]:
    """The last complete line of a shard's progress file (None: no block finished)
    and the file's bytes up to the end of that line."""
    raw = files.progress.read_bytes() if files.progress.is_file() else b""
    end = raw.rfind(b"\n") + 1
    if not end:
        return None, 0
    return Progress.parse(raw[:end - 1].rsplit(b"\n", 1)[-1].decode("utf-8")), end


def restart_shard(files: ShardFiles, resume: bool) -> Progress | None:
    """Make the shard's files ready to append to: each cut back to the last
    finished block when resuming (returned), else emptied."""
    done, progress_bytes = last_progress(files) if resume else (None, 0)
    sizes = (done.part_bytes, done.errors_bytes, progress_bytes) if done else (0, 0, 0)
    for path, size in zip(files.all(), sizes):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as fh:
            fh.truncate(size)
    return done


def _append(path: Path, lines: list[str]) -> int:
    """Append lines in one write, on disk before returning; the file's new size in bytes."""
    with open(path, "ab") as fh:
        fh.write("".join(lines).encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
        return fh.tell()


def jsonl(records: Iterable[dict]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False) + "\n" for r in records]


def run_shard(predict: Callable[[list[dict]], list[dict]], items: Iterable[InputItem], files: ShardFiles,
              shard: Shard = Shard(), *, block_size: int = BLOCK_SIZE, resume: bool = False, keep_going: bool = False,
              advance: Callable[[int], None] = lambda n: None) -> Tally:
    """Predict this shard's blocks of ``items`` into its files (see the module's doc).

    ``resume``: continue from the shard's last finished block; the items
    before it must be those the interrupted run read (:class:`ResumeError`).
    ``advance(n)`` is told each time ``n`` more of this shard's items are done.
    """
    done = restart_shard(files, resume)
    tally = Tally()
    read = 0
    for k, block in blocks(items, block_size):
        read += len(block)
        if not shard.owns(k):
            continue
        if done is not None and k <= done.block:
            if k == done.block and (read, block[-1].where) != (done.items, done.where):
                raise ResumeError(f"{files.progress}: block {k} ended at item {done.items} ({done.where}); the inputs "
                                  f"now give item {read} ({block[-1].where}) there: resume with the same inputs "
                                  "and --chunk-size, or start again without --resume")
            tally.resumed += len(block)
            advance(len(block))
            continue
        preds, errors = predict_block(predict, block, keep_going)
        part_bytes = _append(files.part, jsonl(preds))
        errors_bytes = _append(files.errors, jsonl(errors))
        _append(files.progress, [Progress(k, read, part_bytes, errors_bytes, block[-1].where).line()])
        tally.predicted += len(preds)
        tally.failed += len(errors)
        advance(len(block))
    if done is not None and read < done.items:
        raise ResumeError(f"{files.progress}: the interrupted run had read {done.items} item(s); the inputs now "
                          f"hold {read}: resume with the same inputs, or start again without --resume")
    return tally


def shard_items(total: int, shard: Shard, block_size: int = BLOCK_SIZE) -> int:
    """How many of ``total`` input items fall in this shard's blocks."""
    n_blocks = -(-total // block_size)
    return sum(min(block_size, total - k * block_size) for k in range(shard.index, n_blocks, shard.count))


def merge_shards(out: Path, errors: Path | None, count: int, total: int | None = None) -> None:
    """Join the ``count`` shards' parts in block order into ``out`` (and their
    error records into ``errors``), each written whole then renamed; then
    remove the shard files. ``total``: the input items, all of which the
    blocks must cover (else nothing is joined)."""
    shards = [Shard(i, count) for i in range(count)]
    files = [s.files(out) for s in shards]
    spans: dict[int, tuple[int, tuple[int, int], tuple[int, int]]] = {}
    last: Progress | None = None  # the block furthest into the input
    for i, f in enumerate(files):
        part_start = errors_start = 0
        for line in f.progress.read_text(encoding="utf-8").splitlines():
            p = Progress.parse(line)
            spans[p.block] = (i, (part_start, p.part_bytes), (errors_start, p.errors_bytes))
            part_start, errors_start = p.part_bytes, p.errors_bytes
            if last is None or p.block > last.block:
                last = p
    made = 0 if last is None else last.block + 1
    missing = sorted(set(range(made)) - set(spans))
    if not missing and total is not None and (0 if last is None else last.items) != total:
        missing = [made]  # the input goes on after the last block finished
    if missing:
        raise ResumeError(f"{out}: block {missing[0]} was never finished: run again with --resume")
    order = [spans[k] for k in range(len(spans))]
    with atomic_output(out) as fh:
        _copy(fh, [(files[i].part, span) for i, span, _ in order])
    if errors is not None:
        with atomic_output(errors) as fh:
            _copy(fh, [(files[i].errors, span) for i, _, span in order])
    for f in files:
        for path in f.all():
            path.unlink(missing_ok=True)


def _copy(fh: TextIO, pieces: list[tuple[Path, tuple[int, int]]]) -> None:
    """Write the byte ranges of files to ``fh``, in order (a megabyte at a time)."""
    for path, (start, end) in pieces:
        decoder = codecs.getincrementaldecoder("utf-8")()  # a chunk may end inside a character
        with open(path, "rb") as src:
            src.seek(start)
            left = end - start
            while left > 0:
                chunk = src.read(min(left, 1 << 20))
                if not chunk:
                    raise ResumeError(f"{path}: shorter than its progress file says: run again without --resume")
                fh.write(decoder.decode(chunk))
                left -= len(chunk)
        fh.write(decoder.decode(b"", final=True))

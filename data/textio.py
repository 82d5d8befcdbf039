"""Reading and writing text files: the one reader and the one writer every command uses.

Reading: :func:`numbered_lines` and :func:`read_text` decode UTF-8 strictly
(gunzipping a ``.gz``) and never change line endings, so character offsets
point into the file as it is; a byte that is not UTF-8 or a broken gzip
stream is named with its file and line, never a bare codec error.

Writing: :func:`atomic_output` and :func:`atomic_folder` write under a
temporary name in the target's own folder and rename on success, so a failed
write (a full disk, an interrupt, an error half way) leaves the old file or
nothing, never half a file. :func:`check_output` refuses, before any work, an
output that cannot be written or that is one of the inputs.
"""
from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TextIO

#: what a broken or truncated gzip stream raises while it is read
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


class TextError(ValueError):
    """A file that cannot be read as text; ``file``, ``line`` (or None) and ``reason`` say where and why."""

    def __init__(self, file: str, line: int | None, reason: str):
        self.file, self.line, self.reason = file, line, reason
        super().__init__(":".join(str(x) for x in (file, line) if x is not None) + f": {reason}")


class OutputError(ValueError):
    """An output path that must not or cannot be written; refused before any work."""


def open_text(path: str | Path):
    """A UTF-8 text stream over ``path``, gunzipped when its name ends in ``.gz``."""
    path = Path(path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def _open_bytes(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def not_utf8(raw: bytes, err: UnicodeDecodeError) -> str:
    """Why ``raw`` is not UTF-8, with the offending byte and its column (1-based, in bytes)."""
    return (f"not UTF-8: byte {raw[err.start]:#04x} at byte column {err.start + 1} ({err.reason}); "
            "save the file as UTF-8 (it may be Latin-1 or Windows-1256)")


def decode_line(raw: bytes) -> tuple[str | None, str | None]:
    """``(text, None)`` for a UTF-8 line, ``(None, why not)`` otherwise."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        return None, not_utf8(raw, err)


def numbered_lines(source: str | Path | IO[bytes]) -> Iterator[tuple[int, str | None, str | None]]:
    """``(line number from 1, the line or None, why not)`` for every line of a file.

    ``source``: a path (gunzipped when it ends in ``.gz``) or an open binary
    stream (standard input), left open. Lines are split at ``\\n`` only (a
    U+2028 or a lone CR stays inside its line) and keep their line end. A
    line that is not UTF-8 comes as ``(n, None, reason)`` and the next lines
    still come. A broken or truncated gzip stream raises :class:`TextError`
    naming the line it broke in.
    """
    if hasattr(source, "read"):
        for n, raw in enumerate(source, 1):  # type: ignore[arg-type]
            yield (n, *decode_line(raw))
        return
    path = Path(source)  # type: ignore[arg-type]
    n = 0
    with _open_bytes(path) as fh:
        try:
            for n, raw in enumerate(fh, 1):
                yield (n, *decode_line(raw))
        except GZIP_ERRORS as err:
            raise TextError(str(path), n + 1, f"the gzip stream is broken or truncated here ({err}); "
                                              "nothing after it can be read") from None


def decode_text(raw: bytes, name: str, *, bom: bool = False) -> str:
    """``raw`` as UTF-8 text, line ends as they are; ``bom`` drops a leading byte order mark.

    Raises :class:`TextError` naming ``name`` and the line and column of the
    first byte that is not UTF-8.
    """
    try:
        return raw.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        line = raw.count(b"\n", 0, err.start) + 1
        in_line = UnicodeDecodeError(err.encoding, raw[line_start:], err.start - line_start, err.end - line_start,
                                     err.reason)
        raise TextError(name, line, not_utf8(raw[line_start:], in_line)) from None


def read_text(path: str | Path, *, bom: bool = False) -> str:
    """The whole file as text (gunzipped when ``.gz``), line ends kept as they are (CRLF stays CRLF).

    ``bom``: drop a leading UTF-8 byte order mark (formats whose offsets
    count from after it). Raises :class:`TextError` naming the file and the
    line of the first byte that is not UTF-8, or a broken gzip stream.
    """
    path = Path(path)
    try:
        with _open_bytes(path) as fh:
            raw = fh.read()
    except GZIP_ERRORS as err:
        raise TextError(str(path), None, f"the gzip stream is broken or truncated ({err})") from None
    return decode_text(raw, str(path), bom=bom)


# --- writing ---------------------------------------------------------------------------

def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: str | Path, inputs: Iterable[str | Path] = (), *, folder: bool = False,
                 replaces: Iterable[str] = ()) -> None:
    """Refuse, before any work, an output path that cannot or must not be written.

    A file output must not be an existing folder. A folder output
    (``folder``) must not be a file, and an existing one must be empty or
    hold only entries named in ``replaces`` (what the same command wrote
    there before): other files are never mixed with new ones nor removed.
    Neither may be one of ``inputs`` or, for a folder, hold one. Missing
    parent folders are made and a scratch file is created and removed
    beside the output, so a read-only place fails here. ``-`` (standard
    output) passes. Raises :class:`OutputError` or ``OSError`` naming the path.
    """
    if str(path) == "-":
        return
    path = Path(path)
    if not folder and path.is_dir():
        raise OutputError(f"{path}: is a folder; give the name of a file to write")
    if folder and path.exists() and not path.is_dir():
        raise OutputError(f"{path}: is a file; give the name of a folder to write")
    for given in inputs:
        if str(given) == "-":
            continue
        given = Path(given)
        inside = folder and path.is_dir() and given.exists() and path.resolve() in given.resolve().parents
        if _same_file(path, given) or inside:
            raise OutputError(f"{path}: is also an input ({given}); write the output elsewhere")
    if folder and path.is_dir():
        others = sorted(p.name for p in path.iterdir() if p.name not in set(replaces))
        if others:
            raise OutputError(f"{path}: the folder holds {len(others)} other file(s) already (e.g. {others[0]}); "
                              "give a new or empty folder")
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".check")
    os.close(fd)
    os.unlink(scratch)


def _naming_output(err: OSError, tmp: str, path: Path) -> OSError:
    """``err`` naming ``path`` where it named the temporary file (or nothing)."""
    if err.errno and err.filename in (None, tmp):
        return type(err)(err.errno, err.strerror, str(path))
    return err


def _umask() -> int:
    """The process's file creation mask (read by setting it and putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _as_text(stream: IO[bytes]) -> Iterator[TextIO]:
    """A UTF-8 text layer over ``stream`` (``\\n`` written as is) that leaves it open.

    It holds nothing back (``write_through``): after a failed write nothing
    is left in it to be flushed, and fail again, when it is collected.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
    yield text
    text.detach()


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[TextIO]:
    """A UTF-8 text stream to a temporary file beside ``path``, renamed to ``path`` when the block ends.

    Gzip-compressed when the name ends in ``.gz``. On any error the
    temporary file is removed and ``path`` is left as it was; an ``OSError``
    of the writing names ``path``. Missing parent folders are made.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with open(fd, "wb") as raw:
            if path.suffix == ".gz":
                with gzip.GzipFile(filename=path.stem, fileobj=raw, mode="wb") as packed, _as_text(packed) as fh:
                    yield fh
            else:
                with _as_text(raw) as fh:
                    yield fh
            raw.flush()
            os.fsync(raw.fileno())  # a full disk fails here at the latest, before the rename
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it private
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise _naming_output(err, tmp, path) from None
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through :func:`atomic_output`."""
    with atomic_output(path) as fh:
        fh.write(text)


@contextlib.contextmanager
def output_stream(out: str | Path | TextIO) -> Iterator[TextIO]:
    """``out`` itself when it is an open stream, else :func:`atomic_output` over the path."""
    if isinstance(out, (str, Path)):
        with atomic_output(out) as fh:
            yield fh
    else:
        yield out


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """A temporary folder beside ``path``, put in its place when the block ends.

    An existing ``path`` is replaced whole (moved aside, then removed once
    the new folder is in place). On any error the temporary folder is
    removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial"))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp made it private
        _swap_in(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(new: Path, path: Path) -> None:
    """Put the folder ``new`` at ``path``; an existing ``path`` is moved aside first,
    removed once ``new`` is in place, and put back if that fails."""
    if not path.exists():
        os.replace(new, path)
        return
    aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
    os.replace(path, aside / path.name)
    try:
        os.replace(new, path)
    except BaseException:
        os.replace(aside / path.name, path)
        os.rmdir(aside)
        raise
    shutil.rmtree(aside, ignore_errors=True)

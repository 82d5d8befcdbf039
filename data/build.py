"""Model-ready rows from annotated articles, as plain Python values.

Two stages, each with a documented set of columns that training reads;
:mod:`data.datasets_build` wraps them into ``datasets`` objects.

**Word level** (:func:`article_to_row`; as a dataset
:func:`data.datasets_build.articles_to_dataset`), one row per article:

==================  ==========================================================
``id``              article id (str)
``text``            the article text (str)
``words``           the scheme's words (list of str)
``word_offsets``    ``[start, end]`` character offsets per word (list of 2-int lists)
``ner_tags``        BIO class ids over PER/ORG/LOC/MISC (ClassLabel sequence);
                    ``-1`` on every word when the article has no entity layer
``quote_tags``      BIO class ids over CONTENT/SOURCE/CUE (ClassLabel sequence);
                    ``-1`` on every word when the article has no quote layer
``corpus``          name of the corpus the article came from (str)
==================  ==========================================================

**Window level** (:func:`window_rows`; as a dataset
:func:`data.datasets_build.tokenize_windows`), one row per window of at most
``max_length`` sub-word tokens (special tokens included):

==================  ==========================================================
``id``              article id
``window``          index of the window in its article
``input_ids``       token ids (list of int, ``n_tokens``)
``attention_mask``  ones (list of int, ``n_tokens``); padding is added by the collator
``word_ids``        article word index per token, ``-1`` for special tokens
``scored``          1 where the token is the first sub-word of a word scored in
                    this window, else 0: every word of the article is scored in
                    exactly one window
``labels_ner``      class id per token, ``-100`` where not scored
``labels_quote``    class id per token, ``-100`` where not scored
``num_tokens``      ``n_tokens`` (int), for length-grouped batching
``weight``          loss weight of the window's corpus (float)
==================  ==========================================================

Every word is scored in exactly one window. A word of more sub-word pieces
than a window holds (``max_length`` less the special tokens; a tracking id
or a base64 blob in scraped text) keeps its first pieces, as many as a window
holds, and the rest are dropped: it is still labelled and decided by its first
piece like every word, and no article is refused for it.

The tokenizer is passed in (any fast tokenizer with ``word_ids``). This
module imports only the standard library and its sibling modules, so a
checkpoint can carry a copy of it (see ``models/carry.py``).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from .align import IGNORE, keep_first_pieces, plan_windows, spans_to_tags, word_labels_to_token_labels
from .article import layer_spans
from .schema import LAYERS, layer_tags
from .words import normalise_words, split_words


#: the columns of a window-level row, in the order :func:`window_rows` gives them
WINDOW_COLUMNS: tuple[str, ...] = ("id", "window", "input_ids", "attention_mask", "word_ids", "scored", "num_tokens",
                                   "weight", *(f"labels_{layer}" for layer in LAYERS))


@dataclass
class Normalisation:
    """Which character variants to fold before tokenising (offsets never change)."""

    diacritics: bool = False
    tatweel: bool = False
    alef: bool = False
    ya: bool = False
    ta_marbuta: bool = False


@dataclass
class WindowSpec:
    """How articles are cut into model inputs."""

    max_length: int = 256  # sub-word tokens per window, special tokens included
    stride: int = 64  # tokens of context shared by consecutive windows
    all_subwords: bool = False  # label every sub-word (B-X -> I-X on later pieces)
    normalisation: Normalisation = field(default_factory=Normalisation)
    # "words": each scheme word tokenized on its own; "text": the article text
    # tokenized whole, as a token-classification pipeline does, pieces mapped
    # to words by their offsets (per word where a piece straddles two words)
    tokenize: str = "words"

    def __post_init__(self):
        if self.tokenize not in ("words", "text"):
            raise ValueError(f"tokenize must be 'words' or 'text', got {self.tokenize!r}")


def window_spec_from_config(saved) -> WindowSpec:
    """The window settings a checkpoint's ``config.json`` holds (``qawl_windows``,
    the plain-dict form of a :class:`WindowSpec`); ``ValueError`` naming what is
    missing or wrong."""
    if not isinstance(saved, dict):
        raise ValueError("no `qawl_windows` (the window and tokenization settings the model was trained with); "
                         "this folder was not saved by qawl with its settings")
    try:
        return WindowSpec(
            max_length=int(saved["max_length"]),
            stride=int(saved["stride"]),
            all_subwords=bool(saved["all_subwords"]),
            normalisation=Normalisation(**saved["normalisation"]),
            tokenize=str(saved["tokenize"]),
        )
    except (KeyError, TypeError) as err:
        raise ValueError(f"`qawl_windows` is incomplete or malformed ({err!r}): {saved!r}") from None


def article_to_row(art: dict, corpus: str = "") -> dict:
    """One word-level row (see module docstring) for a validated article."""
    text = art["text"]
    offsets = split_words(text)
    row = {
        "id": art["id"],
        "text": text,
        "words": [text[s:e] for s, e in offsets],
        "word_offsets": [[s, e] for s, e in offsets],
        "corpus": corpus,
    }
    for layer in LAYERS:
        spans = layer_spans(art, layer)
        if spans is None:
            row[f"{layer}_tags"] = [-1] * len(offsets)
        else:
            ids = {t: i for i, t in enumerate(layer_tags(layer))}
            try:
                row[f"{layer}_tags"] = [ids[t] for t in spans_to_tags(offsets, spans)]
            except ValueError as err:
                raise ValueError(f"article {art['id']!r}: {err}") from None
    return row


def special_token_frame(tokenizer) -> tuple[list[int], list[int]]:
    """Token ids the tokenizer puts before and after one sequence."""
    enc = tokenizer(["x"], is_split_into_words=True, add_special_tokens=True)
    wids = enc.word_ids()
    first = wids.index(0)
    last = len(wids) - 1 - wids[::-1].index(0)
    return list(enc["input_ids"][:first]), list(enc["input_ids"][last + 1 :])


def normalised_words(words: Sequence[str], spec: WindowSpec) -> list[str]:
    """The words as the tokenizer sees them, folded by ``spec.normalisation``."""
    norm = spec.normalisation
    return normalise_words(list(words), diacritics=norm.diacritics, tatweel=norm.tatweel, alef=norm.alef,
                           ya=norm.ya, ta_marbuta=norm.ta_marbuta)


def tokenize_words(tokenizer, words: Sequence[str], spec: WindowSpec) -> tuple[list[int], list[int]]:
    """Sub-word ids and their word indices for one article's words.

    Returns ``(input_ids, word_ids)``, both ``n_tokens`` long, no special tokens.
    A word that yields no token at all (a control character the tokenizer's
    normaliser drops, such as ESC in scraped text) is given the tokenizer's
    unknown token, so it is still labelled and decided; without an unknown
    token that is an error.
    """
    seen = normalised_words(words, spec)
    if not seen:
        return [], []
    # verbose=False: whole articles exceed model_max_length here; windows cut them later
    enc = tokenizer(seen, is_split_into_words=True, add_special_tokens=False, verbose=False)
    ids = list(enc["input_ids"])
    wids = [int(w) for w in enc.word_ids()]
    covered = set(wids)
    missing = [w for w in range(len(seen)) if w not in covered]
    if not missing:
        return ids, wids
    unk = getattr(tokenizer, "unk_token_id", None)
    if unk is None:
        w = missing[0]
        raise ValueError(f"word {w} {words[w]!r} produced no sub-word token and the tokenizer has no unknown "
                         f"token ({len(missing)} such words)")
    per_word: list[list[int]] = [[] for _ in seen]
    for tid, w in zip(ids, wids):
        per_word[w].append(tid)
    out_ids, out_wids = [], []
    for w, pieces in enumerate(per_word):
        pieces = pieces or [unk]
        out_ids += pieces
        out_wids += [w] * len(pieces)
    return out_ids, out_wids


def normalised_text(row: dict, spec: WindowSpec) -> tuple[str, list[tuple[int, int]]]:
    """The row's text with each word normalised as :func:`tokenize_words` sees it,
    and the words' ``(start, end)`` offsets in that text."""
    seen = normalised_words(row["words"], spec)
    text, parts, offsets, at = row["text"], [], [], 0
    length = 0
    for (s, e), word in zip(row["word_offsets"], seen):
        parts.append(text[at:s])
        length += s - at
        offsets.append((length, length + len(word)))
        parts.append(word)
        length += len(word)
        at = e
    parts.append(text[at:])
    return "".join(parts), offsets


def tokenize_text(tokenizer, row: dict, spec: WindowSpec) -> tuple[list[int], list[int]] | None:
    """Sub-word ids and word indices from tokenizing the whole (normalised) text.

    Each piece goes to the word holding its first non-space character (a
    piece of spaces only, such as a lone ``▁``, to the next word). Returns
    None when that does not give every word at least one piece of its own
    (a piece spanning two words, a word the tokenizer deletes) or the
    tokenizer gives no offsets; the caller then tokenizes word by word.
    """
    text, offsets = normalised_text(row, spec)
    if not offsets:
        return [], []
    try:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    except (NotImplementedError, ValueError, TypeError):
        return None  # a slow tokenizer: no offsets
    starts = [s for s, _ in offsets]
    ids, wids = [], []
    for tid, (s, e) in zip(enc["input_ids"], enc["offset_mapping"]):
        first = s
        while first < e and text[first].isspace():
            first += 1
        if first == e:  # spaces only (a lone "▁"): the next word's
            w = bisect_left(starts, s)
            if w == len(offsets):
                return None
        else:
            w = bisect_right(starts, first) - 1
            if w < 0 or e > offsets[w][1]:
                return None  # outside every word, or straddling a word boundary
        ids.append(tid)
        wids.append(w)
    if len(set(wids)) != len(offsets) or any(b < a for a, b in zip(wids, wids[1:])):
        return None
    return ids, wids


def window_rows(row: dict, tokenizer, spec: WindowSpec, frame: tuple[list[int], list[int]], weight: float = 1.0) -> list[dict]:
    """Window-level rows (see module docstring) for one word-level row."""
    pre, post = frame
    try:
        whole = tokenize_text(tokenizer, row, spec) if spec.tokenize == "text" else None
        ids, wids = whole if whole is not None else tokenize_words(tokenizer, row["words"], spec)
    except ValueError as err:
        raise ValueError(f"article {row['id']!r}: {err}") from None
    n_words = len(row["words"])
    budget = spec.max_length - len(pre) - len(post)
    if budget < 1:
        raise ValueError(f"max_length {spec.max_length} leaves no room for words beside {len(pre) + len(post)} "
                         "special tokens")
    kept = keep_first_pieces(wids, budget)  # a word longer than a window keeps its first pieces
    if len(kept) < len(wids):
        ids, wids = [ids[t] for t in kept], [wids[t] for t in kept]
    counts = [0] * n_words
    for w in wids:
        counts[w] += 1
    try:
        plan = plan_windows(counts, budget, spec.stride)
    except ValueError as err:
        raise ValueError(f"article {row['id']!r}: {err}") from None
    # token range of each word in the article's token stream
    first_tok = [0] * (n_words + 1)
    for w in range(n_words):
        first_tok[w + 1] = first_tok[w] + counts[w]
    layers = {layer: row[f"{layer}_tags"] for layer in LAYERS}
    conts = {layer: _continuation(layer) for layer in LAYERS}
    out = []
    for k, (a, b, s, e) in enumerate(plan):
        t0, t1 = first_tok[a], first_tok[b]
        win_wids: list[int | None] = [None] * len(pre) + wids[t0:t1] + [None] * len(post)
        scored_words = [False] * n_words
        for w in range(s, e):
            scored_words[w] = True
        scored = [0] * len(win_wids)
        prev = None
        for t, w in enumerate(win_wids):
            if w is not None and w != prev and scored_words[w]:
                scored[t] = 1
            prev = w
        new = {
            "id": row["id"],
            "window": k,
            "input_ids": pre + ids[t0:t1] + post,
            "attention_mask": [1] * len(win_wids),
            "word_ids": [-1 if w is None else w for w in win_wids],
            "scored": scored,
            "num_tokens": len(win_wids),
            "weight": float(weight),
        }
        for layer, tags in layers.items():
            labels = None if (tags and tags[0] == -1) else tags
            new[f"labels_{layer}"] = word_labels_to_token_labels(
                win_wids, labels, scored_words, all_subwords=spec.all_subwords, continuation=conts[layer]
            )
        out.append(new)
    return out


def _continuation(layer: str) -> list[int]:
    """Class id -> id for a non-first sub-word (B-X -> I-X, others unchanged)."""
    tags = layer_tags(layer)
    index = {t: i for i, t in enumerate(tags)}
    return [index["I-" + t[2:]] if t.startswith("B-") else i for i, t in enumerate(tags)]


__all__ = [
    "IGNORE",
    "WINDOW_COLUMNS",
    "Normalisation",
    "WindowSpec",
    "article_to_row",
    "special_token_frame",
    "tokenize_words",
    "window_rows",
    "window_spec_from_config",
]

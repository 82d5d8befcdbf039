"""Alignment between character spans, word tags and sub-word labels.

Pure functions, no torch: spans -> word BIO tags -> sub-word label ids -> back.

Shapes: ``offsets`` is a list of ``(start, end)`` per word (``n_words``);
``tags`` a list of ``n_words`` BIO strings; ``word_ids`` a list of
``n_tokens`` word indices (``None`` for special tokens), as a fast tokenizer's
``word_ids()`` returns them.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence

IGNORE = -100  # label id of a position that is not scored (PyTorch's ignore_index)

Span = tuple[int, int, str]


def spans_to_tags(offsets: Sequence[tuple[int, int]], spans: Sequence[Span]) -> list[str]:
    """Word BIO tags for labelled character spans.

    Each span must start at a word start and end at a word end (validated
    articles guarantee it); a span that does not raises ``ValueError``.
    """
    tags = ["O"] * len(offsets)
    starts = [s for s, _ in offsets]
    ends = [e for _, e in offsets]
    for start, end, label in spans:
        i = bisect.bisect_left(starts, start)
        j = bisect.bisect_left(ends, end)
        if i >= len(starts) or starts[i] != start or j >= len(ends) or ends[j] != end or j < i:
            raise ValueError(f"span [{start}, {end}) {label} is not on word boundaries")
        if any(t != "O" for t in tags[i : j + 1]):
            raise ValueError(f"span [{start}, {end}) {label} overlaps another span")
        tags[i] = f"B-{label}"
        for k in range(i + 1, j + 1):
            tags[k] = f"I-{label}"
    return tags


def tags_to_word_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Word-index spans ``(first, last_exclusive, label)`` from BIO tags.

    Repairs invalid BIO the way conlleval counts it: an ``I-X`` after ``O`` or
    after another type starts a new span. Valid IOB2 input is read exactly.
    """
    out: list[tuple[int, int, str]] = []
    cur: list | None = None
    for k, tag in enumerate(tags):
        prefix, _, label = tag.partition("-")
        if prefix == "B" or (prefix == "I" and (cur is None or cur[2] != label)):
            if cur is not None:
                out.append(tuple(cur))
            cur = [k, k + 1, label]
        elif prefix == "I":
            cur[1] = k + 1  # type: ignore[index]
        else:
            if cur is not None:
                out.append(tuple(cur))
            cur = None
    if cur is not None:
        out.append(tuple(cur))
    return out  # type: ignore[return-value]


def tags_to_spans(offsets: Sequence[tuple[int, int]], tags: Sequence[str]) -> list[Span]:
    """Character spans from word BIO tags (the inverse of :func:`spans_to_tags`)."""
    return [(offsets[i][0], offsets[j - 1][1], lab) for i, j, lab in tags_to_word_spans(tags)]


def repair_bio(tags: Sequence[str]) -> list[str]:
    """Valid IOB2 tags with the same spans as :func:`tags_to_word_spans` reads."""
    out = ["O"] * len(tags)
    for i, j, lab in tags_to_word_spans(tags):
        out[i] = f"B-{lab}"
        for k in range(i + 1, j):
            out[k] = f"I-{lab}"
    return out


def is_valid_bio(tags: Sequence[str]) -> bool:
    """True when every ``I-X`` continues a ``B-X`` or ``I-X``."""
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            return False
        prev = tag
    return True


def word_labels_to_token_labels(
    word_ids: Sequence[int | None],
    word_labels: Sequence[int] | None,
    scored: Sequence[bool],
    *,
    all_subwords: bool = False,
    continuation: Sequence[int] | None = None,
) -> list[int]:
    """Sub-word label ids, ``n_tokens`` of them.

    ``word_labels[w]`` is the class id of word ``w`` (or None: layer not
    annotated, every position ``IGNORE``); ``scored[w]`` says whether word
    ``w`` is scored in this window. The first sub-word of a scored word takes
    its label; later sub-words take ``IGNORE``, or with ``all_subwords`` the
    label mapped through ``continuation`` (class id -> id for a non-first
    piece, e.g. B-X -> I-X).
    """
    out = [IGNORE] * len(word_ids)
    if word_labels is None:
        return out
    prev = None
    for t, w in enumerate(word_ids):
        if w is None or not scored[w]:
            prev = w
            continue
        if w != prev:
            out[t] = word_labels[w]
        elif all_subwords:
            lab = word_labels[w]
            out[t] = continuation[lab] if continuation is not None else lab
        prev = w
    return out


def first_token_of_words(word_ids: Sequence[int | None]) -> dict[int, int]:
    """Map word index -> position of its first sub-word."""
    out: dict[int, int] = {}
    for t, w in enumerate(word_ids):
        if w is not None and w not in out:
            out[w] = t
    return out


# --- windows ---------------------------------------------------------------------

def keep_first_pieces(word_ids: Sequence[int], limit: int) -> list[int]:
    """Positions (into ``word_ids``, ``n_tokens`` long, no special tokens) of
    the sub-word tokens kept when no word may have more than ``limit`` of them:
    each word's first ``limit`` pieces, in order.

    A word longer than a window (a tracking id, a base64 blob glued into the
    text) would otherwise fit in no window. Its first piece, the one that
    carries its label and decides it, is always kept.
    """
    if limit < 1:
        raise ValueError(f"a window must hold at least one piece, got {limit}")
    kept, count, prev = [], 0, None
    for t, w in enumerate(word_ids):
        count = count + 1 if w == prev else 1
        prev = w
        if count <= limit:
            kept.append(t)
    return kept


def plan_windows(token_counts: Sequence[int], budget: int, stride: int) -> list[tuple[int, int, int, int]]:
    """Cut an article into overlapping windows of whole words.

    ``token_counts[w]`` is the number of sub-word tokens of word ``w``;
    ``budget`` the most tokens a window may hold (``max_length`` minus the
    special tokens); ``stride`` how many tokens of context consecutive
    windows share. Returns ``(first, last_exclusive, score_first,
    score_last_exclusive)`` word ranges: windows cover the article, every word
    is scored in exactly one window, and in the overlap each word is scored in
    the window where it sits further from the edge (the middle of the overlap
    is the cut), so it is decided with the most context on both sides.

    Raises ``ValueError`` if one word alone exceeds ``budget`` (never truncated).
    """
    n = len(token_counts)
    if n == 0:
        return []
    if budget < 1:
        raise ValueError(f"window budget must be positive, got {budget}")
    for w, c in enumerate(token_counts):
        if c > budget:
            raise ValueError(f"word {w} has {c} sub-word tokens, more than a window holds ({budget})")
    stride = max(0, min(stride, budget - 1))
    out = []
    a, scored_from = 0, 0
    while True:
        b, used = a, 0
        while b < n and used + token_counts[b] <= budget:
            used += token_counts[b]
            b += 1
        if b == n:
            out.append((a, b, scored_from, n))
            return out
        # The next window starts where the last `stride` tokens of this one
        # begin, leaving room for word `b` so that every window makes progress.
        room = min(stride, budget - token_counts[b])
        nxt, ctx = b, 0
        while nxt - 1 > a and ctx + token_counts[nxt - 1] <= room:
            nxt -= 1
            ctx += token_counts[nxt]
        cut = max(scored_from + 1, (nxt + b) // 2)
        out.append((a, b, scored_from, cut))
        a, scored_from = nxt, cut

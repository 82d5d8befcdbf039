"""Quote extraction and attribution scores (the qawl scheme's quote score).

Input: per article one prediction and one reference, each a JSON string
(``json.dumps(article, ensure_ascii=False)``) of an article in the scheme's
format::

    {"id": "doc-1", "text": "...",
     "quotes": [{"content": [120, 260], "source": [95, 101], "cue": [80, 86],
                 "speaker": "..."}]}

The reference needs ``text`` and ``quotes`` (a list; a missing or null
``quotes`` means the article was not annotated for quotes, which is an error
here). The prediction needs ``quotes``; its ``text`` and ``id`` may be left
out, and when given must equal the reference's. Spans are ``[start, end]``
character offsets (end exclusive) that start and end on word boundaries;
``content`` is required, ``source``, ``cue`` and ``speaker`` may be null or
missing. Other keys (``kind``, ``entities``, ...) are ignored.

Words are the scheme's words: a maximal run of letters, digits, combining
marks, tatweel and ZWNJ/ZWJ; every other non-space character is a word of its
own.

Scores, for each part (CONTENT, SOURCE, CUE), summed over all articles:

* exact match: a predicted span is a true positive when a gold span of the same
  part has the same start and end (each gold span matched at most once).
  Precision = tp / predicted spans, recall = tp / gold spans.
* word overlap, as in the BBC Citron evaluation (Newell, Cowlishaw and Man,
  "Quote Extraction and Analysis for News", KDD 2018 Data Science, Journalism
  and Media workshop; ``citron/metrics.py``, ``get_overlap_scores``, at
  https://github.com/bbc/citron): the overlap is the number of words that lie
  in both a predicted and a gold span of the part, whichever quotes they belong
  to; precision = overlap / predicted words, recall = overlap / gold words.
  Citron sums the overlap over every (predicted, gold) pair of spans; here
  each side's spans are first merged into a set of words, which gives the same
  numbers whenever one side's spans of a part do not overlap one another (the
  scheme's rule) and keeps both ratios within [0, 1] when they do. Citron's
  exact match for SOURCE and CONTENT also asks the quotes' cues to overlap;
  here exact match looks at the part's span alone.

Attribution: over gold quotes whose CONTENT is found (shares at least one word
with a predicted CONTENT), the share whose predicted speaker matches the gold
speaker. The predicted speaker is that of the predicted quote whose CONTENT
shares the most words with the gold CONTENT (ties: the earlier CONTENT, then
the earlier quote in the list). Speakers are compared after normalisation
(diacritics and tatweel removed; alef variants to bare alef, alef maqsura to
ya, ta marbuta to ha; punctuation words dropped; case folded) and match when
one is a run of whole words inside the other (``لعروسي`` matches ``عصام
لعروسي``; ``علي`` does not match ``عليان``). A null gold speaker matches only
a null prediction; a speaker that normalises to nothing counts as null.

Every ratio comes with the raw counts it is made of; a ratio whose denominator
is zero is 0.0. Bad input raises ``ValueError`` naming the side, the example
index, the article id, the quote, the part and the span.

This script imports only the standard library, ``datasets`` and ``evaluate``
so it can be used and published on its own.
"""
from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections import Counter

import datasets
import evaluate

_CITATION = """\
@inproceedings{newell-2018-quote,
    title = {Quote Extraction and Analysis for News},
    author = {Newell, Chris and Cowlishaw, Tim and Man, David},
    booktitle = {Data Science, Journalism and Media workshop at KDD},
    year = {2018},
}
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of str, one JSON-encoded article per example, with the predicted quotes.
    references: list of str, one JSON-encoded article per example, with the gold quotes.
Returns:
    flat keys, for part in content, source, cue:
        {part}_exact_precision, {part}_exact_recall, {part}_exact_f1 (float),
        {part}_exact_tp, {part}_exact_fp, {part}_exact_fn (int, spans),
        {part}_overlap_precision, {part}_overlap_recall, {part}_overlap_f1 (float),
        {part}_overlap_matched, {part}_overlap_predicted, {part}_overlap_gold (int, words);
    attribution_accuracy (float), attribution_correct, attribution_found, attribution_gold (int, quotes);
    predicted_quotes, gold_quotes (int);
    detail: the same numbers nested as {part: {"exact": {...}, "overlap": {...}}, "attribution": {...}}.
"""

PARTS = ("content", "source", "cue")
ZWNJ, ZWJ = "\u200c", "\u200d"
TATWEEL = "\u0640"
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_ALEF = re.compile("[\u0622\u0623\u0625\u0671]")


def is_word_char(ch: str) -> bool:
    """Letters, digits and combining marks (categories L*, N*, M*; tatweel is Lm) and ZWNJ/ZWJ."""
    return unicodedata.category(ch)[0] in "LNM" or ch in (ZWNJ, ZWJ)


def split_words(text: str) -> list[tuple[int, int]]:
    """The scheme's words as ``(start, end)`` offsets, in order."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif is_word_char(ch):
            j = i + 1
            while j < n and is_word_char(text[j]):
                j += 1
            out.append((i, j))
            i = j
        else:
            out.append((i, i + 1))
            i += 1
    return out


def normalise_name(name: str | None) -> tuple[str, ...]:
    """A speaker as a tuple of normalised words; ``()`` for null or nothing left."""
    if name is None:
        return ()
    words = []
    for s, e in split_words(name):
        w = name[s:e]
        if not is_word_char(w[0]):
            continue  # punctuation is a one-character word of its own
        w = _DIACRITICS.sub("", w).replace(TATWEEL, "")
        w = _ALEF.sub("\u0627", w).replace("\u0649", "\u064a").replace("\u0629", "\u0647")
        if w:
            words.append(w.casefold())
    return tuple(words)


def _contains(outer: tuple[str, ...], inner: tuple[str, ...]) -> bool:
    k = len(inner)
    return any(outer[i:i + k] == inner for i in range(len(outer) - k + 1))


def speakers_match(gold: str | None, predicted: str | None) -> bool:
    """Normalised speakers equal, or one a run of whole words in the other; null only matches null."""
    g, p = normalise_name(gold), normalise_name(predicted)
    if not g or not p:
        return not g and not p
    return _contains(g, p) or _contains(p, g)


def ratios(hit: int, predicted: int, gold: int) -> dict[str, float]:
    """Precision, recall, F1 from a hit count and the two totals; 0.0 where a denominator is zero."""
    precision = hit / predicted if predicted else 0.0
    recall = hit / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


class Article:
    """One side of one example: its quotes as word-aligned spans.

    ``quotes``: list of ``{"content": (s, e), "source": (s, e) | None, "cue": (s, e) | None,
    "speaker": str | None}``.
    """

    def __init__(self, raw: str, side: str, index: int, text: str | None):
        self.where = f"{side}[{index}]"
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as err:
            raise ValueError(f"{self.where}: not valid JSON ({err})") from None
        if not isinstance(obj, dict):
            raise ValueError(f"{self.where}: expected a JSON object, got {type(obj).__name__}")
        self.id = obj.get("id")
        if self.id is not None:
            self.where += f" (article {self.id!r})"
        own = obj.get("text")
        if own is not None and not isinstance(own, str):
            raise ValueError(f"{self.where}: 'text' must be a string, got {type(own).__name__}")
        if text is None and own is None:
            raise ValueError(f"{self.where}: missing 'text'")
        if text is not None and own is not None and own != text:
            raise ValueError(f"{self.where}: 'text' differs from the reference article's text")
        self.text = own if own is not None else text
        words = split_words(self.text)
        self.word_starts = [s for s, _ in words]
        self.word_ends = [e for _, e in words]
        raw_quotes = obj.get("quotes")
        if raw_quotes is None:
            raise ValueError(f"{self.where}: 'quotes' is missing or null (article not annotated for quotes)")
        if not isinstance(raw_quotes, list):
            raise ValueError(f"{self.where}: 'quotes' must be a list, got {type(raw_quotes).__name__}")
        self.quotes = [self._quote(q, j) for j, q in enumerate(raw_quotes)]

    def _quote(self, q, j: int) -> dict:
        what = f"{self.where}: quote {j}"
        if not isinstance(q, dict):
            raise ValueError(f"{what}: expected an object, got {q!r}")
        if q.get("content") is None:
            raise ValueError(f"{what}: 'content' is required")
        out = {part: None if q.get(part) is None else self._span(q[part], f"{what} {part}") for part in PARTS}
        speaker = q.get("speaker")
        if speaker is not None and not isinstance(speaker, str):
            raise ValueError(f"{what}: 'speaker' must be a string or null, got {speaker!r}")
        out["speaker"] = speaker
        return out

    def _span(self, sp, what: str) -> tuple[int, int]:
        ok = isinstance(sp, list) and len(sp) == 2 and all(type(v) is int for v in sp)
        if not ok:
            raise ValueError(f"{what}: a span must be two integers [start, end], got {sp!r}")
        s, e = sp
        if not 0 <= s < e <= len(self.text):
            raise ValueError(f"{what}: [{s}, {e}) needs 0 <= start < end <= {len(self.text)} (text length)")
        si = bisect.bisect_left(self.word_starts, s)
        ei = bisect.bisect_left(self.word_ends, e)
        if si == len(self.word_starts) or self.word_starts[si] != s:
            raise ValueError(f"{what}: [{s}, {e}) {self.text[s:e]!r} does not start at the start of a word")
        if ei == len(self.word_ends) or self.word_ends[ei] != e:
            raise ValueError(f"{what}: [{s}, {e}) {self.text[s:e]!r} does not end at the end of a word")
        return s, e

    def words(self, span: tuple[int, int] | None) -> range:
        """Indices of the words inside a word-aligned span (empty for None)."""
        if span is None:
            return range(0)
        return range(bisect.bisect_left(self.word_starts, span[0]), bisect.bisect_left(self.word_ends, span[1]) + 1)


def best_match(gold_content: set[int], predicted: list[tuple[set[int], int, int]]) -> tuple[int, int] | None:
    """``predicted``: (content words, content start, quote index) per predicted quote.

    Returns (shared words, quote index) of the predicted quote sharing most words, or None if none shares any.
    """
    best = None
    for words, start, k in predicted:
        shared = len(gold_content & words)
        if shared and (best is None or (-shared, start, k) < best[0]):
            best = ((-shared, start, k), shared, k)
    return None if best is None else (best[1], best[2])


@evaluate.utils.file_utils.add_start_docstrings(__doc__, _KWARGS_DESCRIPTION)
class QawlQuotes(evaluate.Metric):
    """Exact and word-overlap scores per quote part, and attribution accuracy."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=__doc__,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
            reference_urls=["https://github.com/bbc/citron"],
        )

    def _compute(self, predictions, references):
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
        exact = {part: Counter() for part in PARTS}
        overlap = {part: Counter() for part in PARTS}
        attribution = Counter()
        n_pred = n_gold = 0
        for i, (p_raw, r_raw) in enumerate(zip(predictions, references)):
            gold = Article(r_raw, "references", i, None)
            pred = Article(p_raw, "predictions", i, gold.text)
            if pred.id is not None and gold.id is not None and pred.id != gold.id:
                raise ValueError(f"example {i}: prediction is for article {pred.id!r}, reference is {gold.id!r}")
            n_pred += len(pred.quotes)
            n_gold += len(gold.quotes)
            for part in PARTS:
                self._count_part(part, pred, gold, exact[part], overlap[part])
            self._count_attribution(pred, gold, attribution)
        return self._report(exact, overlap, attribution, n_pred, n_gold)

    @staticmethod
    def _count_part(part: str, pred: Article, gold: Article, exact: Counter, overlap: Counter) -> None:
        p_spans = Counter(q[part] for q in pred.quotes if q[part] is not None)
        g_spans = Counter(q[part] for q in gold.quotes if q[part] is not None)
        tp = sum((p_spans & g_spans).values())
        exact.update(tp=tp, fp=sum(p_spans.values()) - tp, fn=sum(g_spans.values()) - tp)
        p_words = {w for sp in p_spans for w in pred.words(sp)}
        g_words = {w for sp in g_spans for w in gold.words(sp)}
        overlap.update(matched=len(p_words & g_words), predicted=len(p_words), gold=len(g_words))

    @staticmethod
    def _count_attribution(pred: Article, gold: Article, counts: Counter) -> None:
        candidates = [(set(pred.words(q["content"])), q["content"][0], k) for k, q in enumerate(pred.quotes)]
        for q in gold.quotes:
            counts["gold"] += 1
            match = best_match(set(gold.words(q["content"])), candidates)
            if match is None:
                continue
            counts["found"] += 1
            counts["correct"] += int(speakers_match(q["speaker"], pred.quotes[match[1]]["speaker"]))

    @staticmethod
    def _report(exact: dict, overlap: dict, attribution: Counter, n_pred: int, n_gold: int) -> dict:
        detail: dict = {}
        flat: dict = {}
        for part in PARTS:
            e, o = exact[part], overlap[part]
            detail[part] = {
                "exact": {**ratios(e["tp"], e["tp"] + e["fp"], e["tp"] + e["fn"]),
                          "tp": e["tp"], "fp": e["fp"], "fn": e["fn"]},
                "overlap": {**ratios(o["matched"], o["predicted"], o["gold"]),
                            "matched": o["matched"], "predicted": o["predicted"], "gold": o["gold"]},
            }
            for kind, numbers in detail[part].items():
                flat.update({f"{part}_{kind}_{key}": value for key, value in numbers.items()})
        found = attribution["found"]
        detail["attribution"] = {
            "accuracy": attribution["correct"] / found if found else 0.0,
            "correct": attribution["correct"],
            "found": found,
            "gold": attribution["gold"],
        }
        flat.update({f"attribution_{key}": value for key, value in detail["attribution"].items()})
        return {**flat, "predicted_quotes": n_pred, "gold_quotes": n_gold, "detail": detail}

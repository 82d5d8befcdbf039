"""Entity span precision, recall and F1 (the qawl scheme's entity score).

An entity counts as found only when a predicted span has exactly the gold
start, end and label. Scores are micro-averaged over all labels and also given
per label, as in CoNLL-2003 and the ``seqeval`` package.

Two input forms, chosen by the configuration name:

* ``"default"`` (or ``"tags"``): per example a list of BIO tags (``"O"``,
  ``"B-X"``, ``"I-X"``), predictions and references of equal length. Spans are
  read from the tags in one of two modes (keyword ``mode`` of ``compute``):

  - ``"strict"`` (default): strict IOB2, identical to ``seqeval`` with
    ``mode="strict", scheme=IOB2``. A span starts at ``B-X`` and runs over the
    ``I-X`` tags that follow it; an ``I-X`` with no ``B-X`` before it (after
    ``O`` or inside another type) starts nothing and is ignored.
  - ``"conlleval"``: the ``conlleval`` script's reading, identical to
    ``seqeval``'s default mode. An ``I-X`` after ``O`` or after a tag of another
    type starts a span.

* ``"spans"``: per example a list of labelled spans ``[start, end, label]``
  (end exclusive; any integer unit, e.g. character offsets). Listing the same
  span twice in one example is an error.

Everything is computed from the raw counts, which are returned too: ``tp``
(spans in both), ``fp`` (predicted only) and ``fn`` (gold only) add up across
shards of the data, so results from several processes can be checked.
A ratio whose denominator is zero is 0.0.

This script imports only the standard library, ``datasets`` and ``evaluate``
so it can be used and published on its own.
"""
from __future__ import annotations

from collections import Counter

import datasets
import evaluate

_CITATION = """\
@inproceedings{tjong-kim-sang-de-meulder-2003-introduction,
    title = "Introduction to the {C}o{NLL}-2003 Shared Task: Language-Independent Named Entity Recognition",
    author = "Tjong Kim Sang, Erik F. and De Meulder, Fien",
    booktitle = "Proceedings of the Seventh Conference on Natural Language Learning at {HLT}-{NAACL} 2003",
    year = "2003",
    pages = "142--147",
}
@misc{seqeval,
    title = {{seqeval}: A Python framework for sequence labeling evaluation},
    author = {Hiroki Nakayama},
    year = {2018},
    url = {https://github.com/chakki-works/seqeval},
}
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: per example, BIO tags (list of str) or, with the "spans"
        configuration, labelled spans (list of [start, end, label]).
    references: the gold, in the same form.
    mode: "strict" (default) or "conlleval"; how tags become spans. Tag input only.
Returns:
    precision, recall, f1: micro over all labels (float).
    tp, fp, fn: span counts (int).
    per_type: {label: {precision, recall, f1, support, tp, fp, fn}}, support = tp + fn.
Examples:
    >>> metric = evaluate.load("path/to/qawl_entities")
    >>> metric.compute(predictions=[["B-PER", "I-PER", "O"]], references=[["B-PER", "I-PER", "B-LOC"]])["recall"]
    0.5
"""

TAG_CONFIGS = ("default", "tags")
SPAN_CONFIG = "spans"
MODES = ("strict", "conlleval")


def _features(item: datasets.Value | datasets.Sequence) -> datasets.Features:
    return datasets.Features({"predictions": datasets.Sequence(item), "references": datasets.Sequence(item)})


def parse_tag(tag: str, where: str) -> tuple[str, str | None]:
    """``"O"`` -> ``("O", None)``; ``"B-X"`` / ``"I-X"`` -> ``("B" | "I", "X")``."""
    if tag == "O":
        return "O", None
    label = tag[2:]
    if tag[:2] not in ("B-", "I-") or not label or label[0] == "-" or label[-1] == "-":
        raise ValueError(
            f"{where}: {tag!r} is not a BIO tag (expected 'O', 'B-<label>' or 'I-<label>';"
            " labelled spans need the 'spans' configuration)"
        )
    return tag[0], label


def spans_strict(tags: list[tuple[str, str | None]]) -> list[tuple[int, int, str]]:
    """Strict IOB2: each ``B-X`` plus the ``I-X`` run after it. Returns ``(start, end, label)`` in tag indices."""
    out = []
    i, n = 0, len(tags)
    while i < n:
        prefix, label = tags[i]
        if prefix != "B":
            i += 1
            continue
        j = i + 1
        while j < n and tags[j] == ("I", label):
            j += 1
        out.append((i, j, label))
        i = j
    return out


def spans_conlleval(tags: list[tuple[str, str | None]]) -> list[tuple[int, int, str]]:
    """conlleval reading: an ``I-X`` that does not continue an ``X`` span starts one."""
    out = []
    start, current = 0, None
    for i, (prefix, label) in enumerate(tags):
        if prefix == "I" and label == current:
            continue
        if current is not None:
            out.append((start, i, current))
        start, current = i, (label if prefix in ("B", "I") else None)
    if current is not None:
        out.append((start, len(tags), current))
    return out


def parse_span(item: list[str], where: str) -> tuple[int, int, str]:
    """One ``[start, end, label]`` (stored as strings by the feature) -> ``(start, end, label)``."""
    if len(item) != 3:
        raise ValueError(f"{where}: expected [start, end, label], got {item!r}")
    try:
        start, end = int(item[0]), int(item[1])
    except ValueError:
        raise ValueError(f"{where}: start and end must be integers, got {item!r}") from None
    if not 0 <= start < end:
        raise ValueError(f"{where}: need 0 <= start < end, got {item!r}")
    if not item[2]:
        raise ValueError(f"{where}: empty label in {item!r}")
    return start, end, item[2]


def ratios(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 from counts; 0.0 where a denominator is zero."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


@evaluate.utils.file_utils.add_start_docstrings(__doc__, _KWARGS_DESCRIPTION)
class QawlEntities(evaluate.Metric):
    """Exact-match entity spans, micro and per label."""

    def _info(self) -> evaluate.MetricInfo:
        if self.config_name in TAG_CONFIGS:
            features = _features(datasets.Value("string"))
        elif self.config_name == SPAN_CONFIG:
            features = _features(datasets.Sequence(datasets.Value("string")))
        else:
            known = ", ".join(repr(c) for c in (*TAG_CONFIGS, SPAN_CONFIG))
            raise ValueError(f"unknown configuration {self.config_name!r} (known: {known})")
        return evaluate.MetricInfo(
            description=__doc__,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=features,
            reference_urls=["https://www.clips.uantwerpen.be/conll2003/ner/", "https://github.com/chakki-works/seqeval"],
        )

    def _compute(self, predictions, references, mode: str = "strict"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
        if self.config_name == SPAN_CONFIG:
            if mode != "strict":
                raise ValueError("mode applies to BIO tag input only; labelled spans need no decoding")
            pairs = [
                (self._example_spans(p, "predictions", i), self._example_spans(r, "references", i))
                for i, (p, r) in enumerate(zip(predictions, references))
            ]
        else:
            decode = spans_strict if mode == "strict" else spans_conlleval
            pairs = []
            for i, (p, r) in enumerate(zip(predictions, references)):
                if len(p) != len(r):
                    raise ValueError(f"example {i}: {len(p)} predicted tags but {len(r)} reference tags")
                pairs.append((
                    set(decode([parse_tag(t, f"predictions[{i}][{k}]") for k, t in enumerate(p)])),
                    set(decode([parse_tag(t, f"references[{i}][{k}]") for k, t in enumerate(r)])),
                ))
        return self._score(pairs)

    @staticmethod
    def _example_spans(items: list[list[str]], side: str, i: int) -> set[tuple[int, int, str]]:
        spans = [parse_span(item, f"{side}[{i}][{k}]") for k, item in enumerate(items)]
        twice = [s for s, n in Counter(spans).items() if n > 1]
        if twice:
            start, end, label = twice[0]
            raise ValueError(f"{side}[{i}]: span [{start}, {end}, {label!r}] is listed more than once")
        return set(spans)

    @staticmethod
    def _score(pairs: list[tuple[set, set]]) -> dict:
        """``pairs``: per example (predicted spans, gold spans), each a set of ``(start, end, label)``."""
        tp: Counter = Counter()
        fp: Counter = Counter()
        fn: Counter = Counter()
        for pred, gold in pairs:
            tp.update(lab for _, _, lab in pred & gold)
            fp.update(lab for _, _, lab in pred - gold)
            fn.update(lab for _, _, lab in gold - pred)
        per_type = {}
        for label in sorted(set(tp) | set(fp) | set(fn)):
            counts = {"tp": tp[label], "fp": fp[label], "fn": fn[label]}
            per_type[label] = {
                **ratios(**counts),
                "support": counts["tp"] + counts["fn"],
                **counts,
            }
        total = {"tp": sum(tp.values()), "fp": sum(fp.values()), "fn": sum(fn.values())}
        return {**ratios(**total), **total, "per_type": per_type}

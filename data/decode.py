"""From per-window predictions back to articles in the scheme's format.

Pure functions: window tag ids at scored positions -> word tags -> spans ->
entities and attributed quotes.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .align import tags_to_spans
from .quotes import group_quotes


@dataclass(frozen=True)
class QuoteDecoding:
    """How a checkpoint turns quote-part spans into quotes, from its config:
    ``linker`` (``qawl_linker``: the learned speaker linker, or None for the
    attribution rules) and ``rule_boundaries`` (``qawl_rule_boundaries``: the
    rules cut the tagger's quotes, :mod:`.boundaries`)."""

    linker: dict | None = None
    rule_boundaries: bool = False


def quote_decoding(config) -> QuoteDecoding:
    """The :class:`QuoteDecoding` a model config carries (defaults where it carries none)."""
    return QuoteDecoding(getattr(config, "qawl_linker", None), bool(getattr(config, "qawl_rule_boundaries", False)))


def scatter_window_tags(
    word_ids: Sequence[int], scored: Sequence[int], tags: Sequence[int], out: list[int | None]
) -> None:
    """Write one window's decisions into the article's word tag list.

    ``tags`` are the class ids at the window's scored positions, in order
    (``sum(scored)`` of them); ``out`` has one slot per article word.
    """
    positions = [t for t, s in enumerate(scored) if s]
    if len(positions) != len(tags):
        raise ValueError(f"{len(tags)} decisions for {len(positions)} scored positions")
    for t, tag in zip(positions, tags):
        out[word_ids[t]] = tag


#: layers whose spans never start or end on a hashtag sign (``#الصين`` names الصين;
#: a CONTENT may quote a hashtag whole, so quote parts other than SOURCE keep theirs)
_NAMES = frozenset({"PER", "ORG", "LOC", "MISC", "SOURCE"})
#: what a name never starts or ends on: the hashtag sign and the commas, colons and
#: semicolons after it (``هويته،``); full stops stay (``U.S.``)
_EDGES = frozenset("#،,:؛;")


def trim_name_edges(text: str, spans: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Name spans without a hashtag sign, comma, colon or semicolon (or space)
    at either edge, as the gold annotates them (``#الصين`` -> ``الصين``,
    ``دونالد #`` -> ``دونالد``, ``فلان،`` -> ``فلان``);
    a span of nothing else is dropped. Other spans are kept as they are."""
    out = []
    for s, e, lab in spans:
        if lab in _NAMES:
            while s < e and (text[s] in _EDGES or text[s].isspace()):
                s += 1
            while e > s and (text[e - 1] in _EDGES or text[e - 1].isspace()):
                e -= 1
            if s == e:
                continue
        out.append((s, e, lab))
    return out


def article_prediction(
    art_id: str,
    text: str,
    offsets: Sequence[Sequence[int]],
    word_tags: dict[str, Sequence[int | None]],
    label_lists: dict[str, Sequence[str]],
    extra: dict | None = None,
    decoding: QuoteDecoding = QuoteDecoding(),
) -> dict:
    """A predicted article (``id``, ``text``, ``entities``, ``quotes``).

    ``word_tags`` maps a layer to one class id per word; a ``None`` left in
    it means a word was never decided, which is a bug upstream and raises.
    ``decoding``: how quotes are cut and attributed (:class:`QuoteDecoding`).
    """
    offs = [(int(s), int(e)) for s, e in offsets]
    art = {"id": art_id, "text": text}
    if extra:
        art.update(extra)
    spans: dict[str, list] = {}
    for layer, ids in word_tags.items():
        if any(i is None for i in ids):
            missing = sum(i is None for i in ids)
            raise ValueError(f"article {art_id!r}: {missing} word(s) got no {layer} decision")
        names = label_lists[layer]
        spans[layer] = trim_name_edges(text, tags_to_spans(offs, [names[i] for i in ids]))
    if "ner" in spans:
        art["entities"] = [{"start": s, "end": e, "label": lab} for s, e, lab in spans["ner"]]
    if "quote" in spans:
        art["quotes"] = group_quotes(text, spans["quote"], spans.get("ner", ()), linker=decoding.linker,
                                     rule_boundaries=decoding.rule_boundaries)
    return art

"""From per-window predictions back to articles in the scheme's format.

Pure functions: window tag ids at scored positions -> word tags -> spans ->
entities and attributed quotes.
"""
from __future__ import annotations

from collections.abc import Sequence

from .align import tags_to_spans
from .quotes import group_quotes


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


def article_prediction(
    art_id: str,
    text: str,
    offsets: Sequence[Sequence[int]],
    word_tags: dict[str, Sequence[int | None]],
    label_lists: dict[str, Sequence[str]],
    extra: dict | None = None,
    linker: dict | None = None,
) -> dict:
    """A predicted article (``id``, ``text``, ``entities``, ``quotes``).

    ``word_tags`` maps a layer to one class id per word; a ``None`` left in
    it means a word was never decided, which is a bug upstream and raises.
    ``linker``: the checkpoint's speaker linker (``qawl_linker`` in its
    config), or None for the attribution rules.
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
        spans[layer] = tags_to_spans(offs, [names[i] for i in ids])
    if "ner" in spans:
        art["entities"] = [{"start": s, "end": e, "label": lab} for s, e, lab in spans["ner"]]
    if "quote" in spans:
        art["quotes"] = group_quotes(text, spans["quote"], spans.get("ner", ()), linker=linker)
    return art

"""The label layers of the scheme and their BIO tag sets.

Label lists live here, in the data layer; models receive them through their
config and never hard-code them.
"""
from __future__ import annotations

ENTITY_LABELS: tuple[str, ...] = ("PER", "ORG", "LOC", "MISC")
QUOTE_PARTS: tuple[str, ...] = ("CONTENT", "SOURCE", "CUE")
QUOTE_KINDS: tuple[str, ...] = ("direct", "indirect")

#: layer name -> span labels of that layer
LAYERS: dict[str, tuple[str, ...]] = {"ner": ENTITY_LABELS, "quote": QUOTE_PARTS}


def bio_labels(span_labels: tuple[str, ...] | list[str]) -> list[str]:
    """``["O", "B-X", "I-X", ...]`` in the order of ``span_labels``."""
    out = ["O"]
    for lab in span_labels:
        out += [f"B-{lab}", f"I-{lab}"]
    return out


def layer_tags(layer: str) -> list[str]:
    """BIO tag list of one layer (index = class id)."""
    return bio_labels(LAYERS[layer])

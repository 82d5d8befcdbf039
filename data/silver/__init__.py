"""Rule-based quote annotation for silver training data and pre-annotation.

* :mod:`.marks`: pairing quotation marks (mirrored, mixed, unclosed, scare quotes);
* :mod:`.cues`: the reporting-cue lexicon and its matcher;
* :mod:`.doc`: an article as words, sentences and mark pairs;
* :mod:`.sources`: SOURCE spans and speakers;
* :mod:`.annotate`: :func:`annotate_quotes`, the rules;
* :mod:`.corpus`: silver articles from the ANT corpus or native JSONL.

Pure Python: no torch, and nothing from ``models`` or ``train``.
"""
from __future__ import annotations

from .annotate import RuleConfig, annotate_quotes

__all__ = ["RuleConfig", "annotate_quotes"]

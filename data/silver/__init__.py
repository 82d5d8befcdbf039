"""Silver training data: the quote rules run over a corpus.

The rules themselves are flat modules of the data layer, so that a
checkpoint can carry them (they also cut the tagger's quote boundaries):

* :mod:`..quote_marks`: pairing quotation marks (mirrored, mixed, unclosed, scare quotes);
* :mod:`..quote_cues`: the reporting-cue lexicon and its matcher;
* :mod:`..quote_doc`: an article as words, sentences and mark pairs;
* :mod:`..quote_sources`: SOURCE spans and speakers;
* :mod:`..quote_rules`: :func:`annotate_quotes`, the rules.

Here, :mod:`.corpus`: silver articles from the ANT corpus or native JSONL.
Pure Python: no torch, and nothing from ``models`` or ``train``.
"""
from __future__ import annotations

from ..quote_rules import RuleConfig, annotate_quotes

__all__ = ["RuleConfig", "annotate_quotes"]

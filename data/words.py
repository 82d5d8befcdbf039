"""The scheme's word splitter and the optional input normalisation.

A *word* is a maximal run of letters, digits, combining marks (diacritics),
tatweel and ZWNJ/ZWJ; every other non-space character is a word of its own.
Offsets are Python ``str`` indices into the original text, end exclusive.
"""
from __future__ import annotations

import functools
import re
import sys
import unicodedata

TATWEEL = "\u0640"
ZWNJ, ZWJ = "\u200c", "\u200d"


def is_word_char(ch: str) -> bool:
    """True for characters that glue into words: letters, digits, marks, ZWNJ/ZWJ."""
    return unicodedata.category(ch)[0] in "LNM" or ch in (ZWNJ, ZWJ)


@functools.lru_cache(maxsize=1)
def _word_pattern() -> re.Pattern[str]:
    # One character class of every code point that glues into words, as
    # ranges, so splitting runs in C instead of a per-character Python loop.
    # Building it scans all code points once per process: one flag per code
    # point in a single comprehension, then runs of flags as ranges (0.3 s
    # here, against 0.55 s for a loop calling is_word_char).
    category = unicodedata.category  # surrogates are "Cs": never word characters
    flags = "".join(["1" if category(c)[0] in "LNM" else "0" for c in map(chr, range(sys.maxunicode + 1))])
    ranges = [(m.start(), m.end() - 1) for m in re.finditer("1+", flags)]
    cls = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    ) + ZWNJ + ZWJ  # format characters (Cf) that still glue, as is_word_char says
    return re.compile(f"[{cls}]+|[^\\s{cls}]")


def split_words(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into words.

    Returns a list of ``(start, end)`` character offsets, one per word, in order.
    Whitespace (``str.isspace``) is never part of a word.
    """
    return [m.span() for m in _word_pattern().finditer(text)]


def word_strings(text: str, offsets: list[tuple[int, int]]) -> list[str]:
    """The words' surface strings, ``len(offsets)`` of them."""
    return [text[s:e] for s, e in offsets]


# --- normalisation: changes only what the model sees ---------------------------

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_ALEF = re.compile("[\u0622\u0623\u0625\u0671]")  # آ أ إ ٱ -> ا


@functools.lru_cache(maxsize=64)
def _normaliser(diacritics: bool, tatweel: bool, alef: bool, ya: bool, ta_marbuta: bool):
    def normalise(word: str) -> str:
        out = word
        if diacritics:
            out = _DIACRITICS.sub("", out)
        if tatweel:
            out = out.replace(TATWEEL, "")
        if alef:
            out = _ALEF.sub("\u0627", out)
        if ya:
            out = out.replace("\u0649", "\u064a")  # ى -> ي
        if ta_marbuta:
            out = out.replace("\u0629", "\u0647")  # ة -> ه
        # A word made only of removed characters keeps its original form, so the
        # model never sees an empty word and every word keeps at least one token.
        return out or word

    return normalise


def normalise_words(
    words: list[str],
    *,
    diacritics: bool = False,
    tatweel: bool = False,
    alef: bool = False,
    ya: bool = False,
    ta_marbuta: bool = False,
) -> list[str]:
    """Normalise each word independently; the list keeps its length and order."""
    fn = _normaliser(diacritics, tatweel, alef, ya, ta_marbuta)
    return [fn(w) for w in words]


@functools.lru_cache(maxsize=1 << 16)
def normalise_for_match(s: str) -> str:
    """Aggressive normalisation for comparing names (speaker attribution).

    Cached (2^16 strings): attribution compares the same few mentions of an
    article many times, and an archive run repeats names across articles."""
    words = [s[a:b] for a, b in split_words(s)]
    words = normalise_words(words, diacritics=True, tatweel=True, alef=True, ya=True, ta_marbuta=True)
    return " ".join(w for w in words if any(is_word_char(c) for c in w))

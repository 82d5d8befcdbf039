"""Generated JSONL thrown at ``validate`` then ``build``: each file is either refused with named
problems or built without an exception, and every reader agrees with the validator.

Lines are articles with random Unicode text (lone surrogates, controls, bidi marks, very long
tokens), random offsets and labels, the same articles as raw bytes, random JSON values and
random bytes. The examples are drawn from a fixed seed, so the test is deterministic.
"""
from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qawl.data.article import ArticleError, checked_jsonl, read_articles, write_articles
from qawl.data.build import WindowSpec
from qawl.data.datasets_build import articles_to_dataset, tokenize_windows
from qawl.data.schema import ENTITY_LABELS, QUOTE_KINDS
from qawl.data.words import split_words

#: characters that have broken readers: lone surrogates, NUL, ESC, bidi controls, line and
#: paragraph separators, a BOM, tatweel, ZWNJ
AWKWARD = ["\ud800", "\udfff", "\x00", "\x1b", "\u202e", "\u200f", "\u2066", "\r", "\n", "\u2028",
           "\ufeff", "\u0640", "\u200c", "\t"]
WORDS = ["قال", "الوزير", "عصام", "لعروسي", "إن", "“الوضع", "مستقر”", "في", "المغرب", "."]

# awkward characters are pieces of their own: st.text leaves surrogates out
chars = st.one_of(st.characters(), st.characters(min_codepoint=0x0621, max_codepoint=0x064A))
pieces = st.one_of(st.sampled_from(WORDS), st.sampled_from(AWKWARD), st.text(chars, max_size=8),
                   st.text("0123456789", min_size=20, max_size=120))  # a tracking id longer than a window
texts = st.builds(str.join, st.sampled_from([" ", " ", ""]), st.lists(pieces, max_size=10))


@st.composite
def runs(draw, n_words: int, most: int) -> list[tuple[int, int]]:
    """Up to ``most`` disjoint runs of word indices ``(first, last)``, in order."""
    cuts = sorted(draw(st.sets(st.integers(0, n_words - 1), max_size=2 * most))) if n_words else []
    return list(zip(cuts[::2], cuts[1::2]))


#: ways to break one field of a well-formed article
BREAKS = ("offsets", "junk span", "label", "kind", "speaker", "id", "entities", "missing key", "overlap")


@st.composite
def articles(draw) -> dict:
    """A well-formed article (entities and quote parts on words, none overlapping) or one with one field broken."""
    text = draw(texts)
    words = split_words(text)

    def at(run: tuple[int, int]) -> list[int]:
        return [words[run[0]][0], words[run[1]][1]]

    ents = [{"start": at(r)[0], "end": at(r)[1], "label": draw(st.sampled_from(ENTITY_LABELS))}
            for r in draw(runs(len(words), 3))]
    parts = [at(r) for r in draw(runs(len(words), 6))]
    quotes = []
    while parts:
        content, source, cue = parts.pop(0), parts.pop(0) if parts else None, parts.pop(0) if parts else None
        quotes.append({"content": content, "source": source, "cue": cue,
                       "speaker": None if source is None else text[source[0]:source[1]],
                       "speaker_span": source, "kind": draw(st.sampled_from(QUOTE_KINDS))})
    art = {"id": draw(st.one_of(st.text(chars, min_size=1, max_size=6), pieces.filter(bool))), "text": text,
           "entities": draw(st.sampled_from([ents, ents, None])), "quotes": draw(st.sampled_from([quotes, quotes, None]))}
    if draw(st.booleans()):
        art["extra"] = draw(st.one_of(texts, st.floats(allow_nan=False), st.lists(st.integers(), max_size=3)))
    if draw(st.booleans()):
        broken(draw, art, draw(st.sampled_from(BREAKS)))
    return art


def broken(draw, art: dict, how: str) -> None:
    """Break one field of ``art`` in place, the way ``how`` names."""
    n = len(art["text"])
    ents, quotes = art.get("entities") or [], art.get("quotes") or []
    offsets = [draw(st.integers(-2, n + 2)), draw(st.integers(-2, n + 2))]
    junk = draw(st.sampled_from([None, [1], [0, "3"], [True, 2], "0-3", [0.0, 1.0]]))
    if how == "offsets" and ents:
        ents[0].update(start=offsets[0], end=offsets[1])
    elif how == "junk span" and quotes:
        quotes[0][draw(st.sampled_from(["content", "source", "cue", "speaker_span"]))] = junk
    elif how == "label" and ents:
        ents[0]["label"] = draw(st.sampled_from(["GPE", "", "per", None, 3]))
    elif how == "kind" and quotes:
        quotes[0]["kind"] = draw(st.sampled_from(["reported", None, ""]))
    elif how == "speaker" and quotes:
        quotes[0]["speaker"] = draw(st.one_of(st.integers(), st.lists(st.text(max_size=2), max_size=2)))
    elif how == "id":
        art["id"] = draw(st.sampled_from(["", 7, None, ["x"]]))
    elif how == "entities":
        art["entities"] = draw(st.sampled_from(["none", {}, [1], [{"start": 0}]]))
    elif how == "missing key":
        del art[draw(st.sampled_from(["id", "text"]))]
    elif how == "overlap" and len(ents) > 1:
        ents[1].update(start=ents[0]["start"], end=ents[0]["end"])


json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(chars)),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                           max_leaves=8)


@st.composite
def lines(draw) -> bytes:
    """One JSONL line as bytes, without its newline."""
    kind = draw(st.sampled_from(["article", "article", "article", "raw article", "json", "bytes"]))
    if kind == "article":  # surrogates as \\ud800 escapes: valid UTF-8, refused by the scheme
        return json.dumps(draw(articles())).encode("ascii")
    if kind == "raw article":  # surrogates as their 3-byte forms: not UTF-8
        return json.dumps(draw(articles()), ensure_ascii=False).encode("utf-8", "surrogatepass").replace(b"\n", b" ")
    if kind == "json":
        return json.dumps(draw(json_values)).encode("ascii")
    return draw(st.binary(max_size=40)).replace(b"\n", b" ")


@functools.lru_cache(maxsize=1)
def tokenizer(path: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


@given(body=st.lists(lines(), max_size=5), tokenize=st.sampled_from(["words", "text"]))
@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_validate_then_build_never_raises(tiny_bert, body, tokenize):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_bytes(b"".join(line + b"\n" for line in body))
        located, problems = checked_jsonl(path)
        for p in problems:  # each problem says what is wrong and where
            assert p.message and p.file == str(path) and (p.line is not None or "holds no article" in p.message)
        arts = [a for _, a in located]
        if problems:  # the readers refuse exactly what the validator refuses
            with pytest.raises(ArticleError):
                read_articles(path)
        else:
            assert read_articles(path) == arts
        if not arts:
            return
        spec = WindowSpec(max_length=16, stride=4, all_subwords=tokenize == "text", tokenize=tokenize)
        words = articles_to_dataset(arts)
        windows = tokenize_windows(words, tokenizer(tiny_bert), spec)
        assert sum(map(sum, windows["scored"])) == sum(map(len, words["words"]))  # every word decided once
        write_articles(Path(tmp) / "again.jsonl", arts)  # what was read can be written and read back
        assert read_articles(Path(tmp) / "again.jsonl") == arts

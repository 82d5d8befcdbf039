"""The bundled sample corpus: valid, split cleanly, big enough, and covering
every phenomenon of the annotation scheme in every split."""
from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from qawl.data.article import check_jsonl
from qawl.data.words import is_word_char, normalise_for_match, normalise_words, split_words

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SPLITS = {"train": 32, "dev": 8, "test": 8}
MIN_ARTICLES, MIN_QUOTES, MIN_ENTITIES = 48, 200, 500
MARKS = frozenset("“”«»\"„")
MATCHED_PAIRS = {("“", "”"), ("«", "»"), ('"', '"'), ("„", "“")}
PARTS = ("content", "source", "cue")


def load(split: str) -> list[dict]:
    arts, problems = check_jsonl(SAMPLE / f"{split}.jsonl")
    assert not problems, "\n".join(str(p) for p in problems)
    return arts


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[dict]]:
    return {split: load(split) for split in SPLITS}


# --- helpers over one article ----------------------------------------------------

def bare(word: str) -> str:
    """A word without diacritics or tatweel (hamza forms kept)."""
    return normalise_words([word], diacritics=True, tatweel=True)[0]


@functools.lru_cache(maxsize=None)
def _split(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(split_words(text))


@functools.lru_cache(maxsize=None)
def _positions(text: str) -> tuple[dict[int, int], dict[int, int]]:
    """Word index by start offset and by end offset."""
    ws = _split(text)
    return {s: i for i, (s, _) in enumerate(ws)}, {e: i for i, (_, e) in enumerate(ws)}


def words(art: dict) -> tuple[tuple[int, int], ...]:
    return _split(art["text"])


def word_index(art: dict, offset: int) -> int:
    """Index of the word that starts at ``offset``."""
    return _positions(art["text"])[0][offset]


def word_at(art: dict, i: int) -> str:
    ws = words(art)
    return art["text"][ws[i][0]:ws[i][1]] if 0 <= i < len(ws) else ""


def before(art: dict, span: list[int], k: int = 1) -> str:
    """The k-th word before ``span``."""
    return word_at(art, word_index(art, span[0]) - k)


def after(art: dict, span: list[int]) -> str:
    """The word right after ``span``."""
    return word_at(art, _positions(art["text"])[1][span[1]] + 1)


def covered(art: dict) -> set[int]:
    """Character offsets inside any quote part."""
    return {i for q in art["quotes"] for p in PARTS if q[p] for i in range(*q[p])}


def is_word(w: str) -> bool:
    return any(is_word_char(c) for c in w)


def n_words(art: dict) -> int:
    return sum(1 for w in (art["text"][s:e] for s, e in words(art)) if is_word(w))


def surface(art: dict, span: list[int] | None) -> str:
    return "" if span is None else art["text"][span[0]:span[1]]


def marked_runs(art: dict) -> list[tuple[int, int, int]]:
    """Words between paired marks, as (first char, end char, word count).

    Marks pair up in order within a paragraph (first opens, second closes, ...);
    only pairs enclosing nothing but words count.
    """
    text, runs, offset = art["text"], [], 0
    for line in text.split("\n"):
        ws = [(s + offset, e + offset) for s, e in _split(line)]
        at = [i for i, (s, e) in enumerate(ws) if text[s:e] in MARKS]
        for i, j in zip(at[::2], at[1::2]):
            inner = ws[i + 1:j]
            if inner and all(is_word(text[s:e]) for s, e in inner):
                runs.append((inner[0][0], inner[-1][1], len(inner)))
        offset += len(line) + 1
    return runs


def direct(art: dict) -> list[dict]:
    return [q for q in art["quotes"] if q["kind"] == "direct"]


def indirect(art: dict) -> list[dict]:
    return [q for q in art["quotes"] if q["kind"] == "indirect"]


def pair(art: dict, q: dict) -> tuple[str, str]:
    return before(art, q["content"]), after(art, q["content"])


# --- phenomena: each is a predicate over one article ----------------------------------

def has_mark_pair(opening: str, closing: str) -> Callable[[dict], bool]:
    return lambda a: any(pair(a, q) == (opening, closing) for q in direct(a))


def mismatched_marks(a: dict) -> bool:
    return any(
        pair(a, q)[0] in MARKS and pair(a, q)[1] in MARKS and pair(a, q) not in MATCHED_PAIRS for q in direct(a)
    )


def indirect_after(particle: str) -> Callable[[dict], bool]:
    return lambda a: any(bare(before(a, q["content"])) == particle for q in indirect(a))


def mixed(a: dict) -> bool:
    return any(
        before(a, q["content"]) in MARKS and bare(before(a, q["content"], 2)) in ("أن", "إن", "بأن")
        for q in direct(a)
    )


def interrupted(a: dict) -> bool:
    qs = direct(a)
    for first, second in zip(qs, qs[1:]):
        gap = a["text"][first["content"][1]:second["content"][0]]
        if (
            first["speaker"] and first["speaker"] == second["speaker"]
            and second["source"] is None and second["cue"] is None
            and first["cue"] and first["content"][1] < first["cue"][0] < second["content"][0]
            and "." not in gap and "\n" not in gap
        ):
            return True
    return False


def continuation(a: dict) -> bool:
    return any(q["source"] is None and q["cue"] and q["speaker"] for q in a["quotes"])


def descriptive_source(a: dict) -> bool:
    return any(
        q["source"] and q["speaker"]
        and normalise_for_match(surface(a, q["source"])) not in normalise_for_match(q["speaker"])
        for q in a["quotes"]
    )


def partial_name_source(a: dict) -> bool:
    per = {(e["start"], e["end"]) for e in a["entities"] if e["label"] == "PER"}
    for q in a["quotes"]:
        if q["source"] and q["speaker"] and tuple(q["source"]) in per:
            src, spk = normalise_for_match(surface(a, q["source"])), normalise_for_match(q["speaker"])
            if src != spk and src in spk:
                return True
    return False


def according_to(a: dict) -> bool:
    heads = ("حسب", "بحسب", "وفق", "وفقا")
    return any(
        q["cue"] and q["cue"][0] > q["content"][1] and bare(surface(a, q["cue"]).split()[0]) in heads
        for q in a["quotes"]
    )


def anonymous(a: dict) -> bool:
    return any(q["speaker"] is None and q["source"] for q in a["quotes"])


def colon_speech(a: dict) -> bool:
    return any(before(a, q["content"]) == ":" for q in direct(a))


def unclosed(a: dict) -> bool:
    return any(pair(a, q)[0] in MARKS and pair(a, q)[1] not in MARKS for q in direct(a))


def scare_quotes(a: dict) -> bool:
    inside = covered(a)
    return any(n <= 2 and not inside & set(range(s, e)) for s, e, n in marked_runs(a))


def marked_non_speech(a: dict) -> bool:
    inside = covered(a)
    return any(n >= 3 and not inside & set(range(s, e)) for s, e, n in marked_runs(a))


def cue_words(a: dict) -> set[int]:
    return {i for q in a["quotes"] if q["cue"] for i in range(*q["cue"])}


def noun_phrase_report(head: tuple[str, ...], nxt: str) -> Callable[[dict], bool]:
    """A reporting verb in ``head`` followed within three words by ``nxt``, outside every CUE."""

    def check(a: dict) -> bool:
        ws, cues = words(a), cue_words(a)
        text = a["text"]
        for i, (s, e) in enumerate(ws):
            if bare(text[s:e]) in head and s not in cues:
                following = [bare(text[x:y]) for x, y in ws[i + 1:i + 5]]
                if any(f.startswith(nxt) for f in following):
                    return True
        return False

    return check


def writers_voice(a: dict) -> bool:
    starts = {q["content"][0] for q in a["quotes"]}
    ws, text = words(a), a["text"]
    for i, (s, e) in enumerate(ws[:-2]):
        w, nxt = bare(text[s:e]), bare(text[ws[i + 1][0]:ws[i + 1][1]])
        if (w in ("يذكر", "ويذكر") and nxt == "أن") or (w == "بالذكر" and nxt == "أن"):
            if ws[i + 2][0] not in starts:
                return True
    return False


def diacritics(a: dict) -> bool:
    return any("\u064b" <= c <= "\u0652" for c in a["text"])


def tatweel_cue(a: dict) -> bool:
    return any("\u0640" in surface(a, q["cue"]) for q in a["quotes"])


def clitic_entity(a: dict) -> bool:
    prefixes = ("بال", "وال", "لل", "ولل", "فال", "كال", "وبال")
    return any(a["text"][e["start"]:e["end"]].startswith(prefixes) for e in a["entities"])


def misc_named(test: Callable[[str], bool]) -> Callable[[dict], bool]:
    return lambda a: any(
        e["label"] == "MISC" and test(bare(a["text"][e["start"]:e["end"]])) for e in a["entities"]
    )


PHENOMENA: dict[str, Callable[[dict], bool]] = {
    "direct “ ”": has_mark_pair("“", "”"),
    "direct « »": has_mark_pair("«", "»"),
    'direct " "': has_mark_pair('"', '"'),
    "direct „ “": has_mark_pair("„", "“"),
    "direct with mirrored or mismatched marks": mismatched_marks,
    "indirect after أن": indirect_after("أن"),
    "indirect after إن": indirect_after("إن"),
    "indirect after بأن": indirect_after("بأن"),
    "mixed أن “...” quote annotated as direct": mixed,
    "quote interrupted by its attribution": interrupted,
    "continuation quote: no SOURCE, speaker from context": continuation,
    "SOURCE is a description standing for the speaker": descriptive_source,
    "SOURCE is part of the speaker's fuller name": partial_name_source,
    "حسب/وفق after the clause": according_to,
    "anonymous source, speaker null": anonymous,
    "direct speech after a colon, no marks": colon_speech,
    "unclosed quotation mark": unclosed,
    "scare-quoted name or term, not a quote": scare_quotes,
    "sentence in marks with no speech act": marked_non_speech,
    "أعرب عن, not a quote": noun_phrase_report(("أعرب", "وأعرب", "أعربت", "وأعربت"), "عن"),
    "أكد عدم, not a quote": noun_phrase_report(("أكد", "وأكد", "أكدت", "وأكدت", "أكدا"), "عدم"),
    "writer's voice (يذكر أن), not a quote": writers_voice,
    "diacritics": diacritics,
    "tatweel in a CUE": tatweel_cue,
    "entity with a proclitic": clitic_entity,
    "Arabic-Indic digits": lambda a: any("٠" <= c <= "٩" for c in a["text"]),
    "Latin digits": lambda a: any("0" <= c <= "9" for c in a["text"]),
    "الله as MISC": misc_named(lambda s: s in ("الله", "لله")),
    "feast as MISC": misc_named(lambda s: s.startswith("عيد")),
    "competition as MISC": misc_named(lambda s: s.startswith(("كأس", "بطولة", "دوري"))),
}


# --- tests ---------------------------------------------------------------------------

@pytest.mark.parametrize("split", SPLITS)
def test_split_validates_with_zero_problems(split):
    _, problems = check_jsonl(SAMPLE / f"{split}.jsonl")
    assert problems == []


def test_split_sizes_and_ids(corpus):
    ids = [a["id"] for arts in corpus.values() for a in arts]
    assert len(ids) == len(set(ids)), "ids repeat across splits"
    for split, arts in corpus.items():
        assert len(arts) == SPLITS[split]
        assert all(a["id"].startswith(f"sample-{split}-") for a in arts)


def test_totals_meet_minimums(corpus):
    arts = [a for split in corpus.values() for a in split]
    assert len(arts) >= MIN_ARTICLES
    assert sum(len(a["quotes"]) for a in arts) >= MIN_QUOTES
    assert sum(len(a["entities"]) for a in arts) >= MIN_ENTITIES


def test_every_article_is_fully_annotated_with_paragraphs(corpus):
    for arts in corpus.values():
        for a in arts:
            assert isinstance(a["entities"], list) and a["entities"], a["id"]
            assert isinstance(a["quotes"], list) and a["quotes"], a["id"]
            assert "\n" in a["text"], f"{a['id']} has a single paragraph"


def test_article_lengths(corpus):
    lengths = {a["id"]: n_words(a) for arts in corpus.values() for a in arts}
    odd = {k: n for k, n in lengths.items() if not (120 <= n <= 400 or n > 600)}
    assert not odd, f"articles outside 120-400 words (or over 600): {odd}"
    assert sum(n > 600 for n in lengths.values()) >= 3


def test_speakers_are_named_in_their_article(corpus):
    for arts in corpus.values():
        for a in arts:
            text = normalise_for_match(a["text"])
            for q in a["quotes"]:
                if q["speaker"] is not None:
                    assert normalise_for_match(q["speaker"]) in text, (a["id"], q["speaker"])


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("phenomenon", PHENOMENA)
def test_phenomenon_present_in_split(corpus, split, phenomenon):
    assert any(PHENOMENA[phenomenon](a) for a in corpus[split]), f"no article in {split} shows: {phenomenon}"

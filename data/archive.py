"""An archive of predicted articles, counted: who is quoted, by which outlet, when, about what.

Pure functions over articles in the annotation format (as ``qawl predict`` and
``qawl silver`` write them; no torch). What is kept of an article is its
:class:`ArticleInfo` (id and metadata) and one :class:`QuoteRecord` per quote
(its speaker, kind and words), never the article's text, so an archive of
tens of thousands of articles stays small.

Article metadata, each optional: ``outlet`` (else ``source``, the key ANT
uses), ``date`` (else ``time``; ISO 8601 ``2018-02-18`` or RFC 2822 ``Sun, 18
Feb 2018 21:35:43 +0400`` as in ANT), ``category``, ``title`` and ``url``.

Speakers across articles: every quote's ``speaker`` string is reduced to its
:func:`~qawl.data.speakers.name_key`; strings with the same key are one
:class:`Form`; forms are joined into one :class:`QuotedSpeaker` by
:func:`~qawl.data.speakers.key_within`, the rule that joins mentions within an
article, with three guards an archive needs (:func:`cluster_forms`):

* spellings (forms of one length that match word for word: a family name
  spelt two ways) join the most quoted form they match, never a chain of
  near spellings that drifts from one name to another;
* a one-word name needs the same consonants (:func:`name_within`): one more
  letter at the end is enough inside an article, not across thousands;
* a short form within several fuller speakers (``المطيري`` beside ``محمد
  المطيري`` and ``عبد الكريم المطيري``) joins the most quoted of them only
  when it holds :data:`DOMINANT_SHARE` of their quotes; else it stays a row
  of its own, since nothing says which one it is.

Forms whose types differ (a person, an organisation) are never joined.

A quote's speaker type is the label of the entity at its ``speaker_span`` (or
in its SOURCE) when the article has an entity layer; a speaker's type is the
most frequent over its quotes, else ``ORG`` when its name starts with an
organisation word (``وزارة``, ``شركة``...: :data:`~qawl.data.speakers.ORG_HEADS`),
else unknown (None).

Tables (:func:`speaker_rows`, :func:`speaker_group_rows`, :func:`group_rows`,
:func:`quote_rows`) are lists of dicts whose keys are the CSV columns, in the
order of the ``*_COLUMNS`` tuples; the README documents them.
"""
from __future__ import annotations

import dataclasses
import datetime
import email.utils
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .article import ArticleError, Problem, check_article, iter_jsonl
from .schema import ENTITY_LABELS, QUOTE_KINDS
from .speakers import ORG_HEADS, display_name, head_in, key_within, name_key

#: what a speaker type is called in the CSV tables (None: no type known)
TYPE_NAMES = {"PER": "person", "ORG": "organisation", "LOC": "place", "MISC": "other", None: "unknown"}

SPEAKER_COLUMNS = ("speaker_id", "speaker", "type", "quotes", "share", "direct", "indirect", "articles",
                   "outlets", "first_date", "last_date", "variants")
GROUP_COLUMNS = ("articles", "quotes", "direct", "indirect", "attributed", "anonymous", "unattributed",
                 "anonymous_share", "speakers")
QUOTE_COLUMNS = ("article_id", "quote", "speaker_id", "speaker", "speaker_as_written", "type", "kind",
                 "anonymous", "outlet", "date", "category", "title", "url", "content")


def speaker_group_columns(group: str) -> tuple[str, ...]:
    """Columns of the speaker-by-``group`` table (``outlet``, ``month`` or ``category``)."""
    return ("speaker_id", "speaker", "type", group, "quotes", "share", "direct", "indirect")


def group_columns(group: str) -> tuple[str, ...]:
    """Columns of the table of ``group`` values (one row per outlet, month or category)."""
    return (group, *GROUP_COLUMNS)


# --- articles and quotes ----------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class ArticleInfo:
    """What the report keeps of an article: its id and metadata (None where absent).
    ``date``: ISO ``YYYY-MM-DD``; ``month``: ``YYYY-MM``."""

    id: str
    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    month: str | None = None
    category: str | None = None
    url: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class QuoteRecord:
    """One predicted quote: ``article`` (index into the archive's articles),
    ``number`` (its index in the article's quotes), the ``speaker`` string as
    predicted (None: nobody named), ``label`` (entity label of the speaker's
    mention, None where unknown), ``kind`` (direct | indirect), ``sourced``
    (the quote has a SOURCE span) and the ``content`` text."""

    article: int
    number: int
    speaker: str | None
    label: str | None
    kind: str
    sourced: bool
    content: str

    @property
    def anonymous(self) -> bool:
        """Someone is said to speak (a SOURCE) but the prediction names nobody."""
        return self.sourced and self.speaker is None


def parse_date(value: object) -> datetime.date | None:
    """The calendar date of ISO 8601 (``2018-02-18``, ``2018-02-18T10:00:00``)
    or RFC 2822 (``Sun, 18 Feb 2018 21:35:43 +0400``) text, as published (no
    time-zone shift); None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def article_info(art: dict) -> ArticleInfo:
    """The id and metadata of an article (see the module docstring for the keys)."""
    date = parse_date(art.get("date") if art.get("date") is not None else art.get("time"))
    return ArticleInfo(
        id=art["id"], title=_text(art.get("title")), outlet=_text(art.get("outlet")) or _text(art.get("source")),
        date=None if date is None else date.isoformat(), month=None if date is None else f"{date:%Y-%m}",
        category=_text(art.get("category")), url=_text(art.get("url")),
    )


def speaker_label(quote: dict, entities: Sequence[dict] | None) -> str | None:
    """The label of the entity a quote's speaker was found at: the longest
    entity within its ``speaker_span``, else within its SOURCE; None without
    an entity layer or an entity there."""
    for key in ("speaker_span", "source"):
        span = quote.get(key)
        if span is None or not entities:
            continue
        inside = [e for e in entities if span[0] <= e["start"] and e["end"] <= span[1]]
        if inside:
            return max(inside, key=lambda e: e["end"] - e["start"])["label"]
    return None


def quote_records(art: dict, index: int) -> list[QuoteRecord]:
    """The quotes of a valid article (``index``: its place in the archive)."""
    text, entities = art["text"], art.get("entities")
    records = []
    for n, q in enumerate(art.get("quotes") or []):
        speaker = q.get("speaker")
        speaker = (speaker.strip() or None) if isinstance(speaker, str) else None
        s, e = q["content"]
        records.append(QuoteRecord(index, n, speaker, None if speaker is None else speaker_label(q, entities),
                                   q["kind"], q.get("source") is not None, text[s:e]))
    return records


# --- speakers across articles -------------------------------------------------------------

@dataclasses.dataclass
class Form:
    """Speaker strings with one name key: how often each was written and the
    entity labels their quotes carried."""

    key: tuple[str, ...]
    names: Counter = dataclasses.field(default_factory=Counter)
    labels: Counter = dataclasses.field(default_factory=Counter)

    @property
    def quotes(self) -> int:
        return sum(self.names.values())

    @property
    def name(self) -> str:
        """The most frequent spelling (ties: the first in code-point order), proclitic off."""
        return display_name(_most_common(self.names))

    @property
    def label(self) -> str | None:
        return majority_label(self.labels, self.name)


def _most_common(counts: Counter):
    """The most counted item; ties go to the smallest, so the result never depends on order."""
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def majority_label(labels: Counter, name: str) -> str | None:
    """The most frequent entity label, else ``ORG`` when ``name`` starts with
    an organisation word, else None."""
    if labels:
        return _most_common(labels)
    key = name_key(name)
    return "ORG" if key and head_in(key[0], ORG_HEADS) else None


@dataclasses.dataclass
class QuotedSpeaker:
    """One person or organisation quoted across the archive: ``name`` (the
    fullest form), ``type`` (PER, ORG, LOC, MISC or None), ``variants``
    (every spelling written, ``(name, quotes)``, most frequent first) and
    ``id``, its rank by quotes (1 = most quoted)."""

    id: int
    name: str
    type: str | None
    variants: list[tuple[str, int]]


#: letters two spellings of a name may differ by (long vowels, hamza seats), as in speakers.key_within
_SOFT_LETTERS = re.compile("[اويىءئؤ]")
#: a short form lying within several fuller speakers joins the most quoted of them when that one
#: holds at least this share of their quotes: a bare family name is, across an archive, the one
#: person quoted by it far more than the others (four quotes in five)
DOMINANT_SHARE = 0.8


def _consonants(word: str) -> str:
    return _SOFT_LETTERS.sub("", word) or word


def _one_word_match(a: str, b: str) -> bool:
    """Two name words are one spelling across an archive: equal, one with a
    proclitic more (``لمونفس`` ~ ``مونفس``) or the same consonants (``بوتن`` ~
    ``بوتين``). One more letter at the end (``هازار`` ~ ``هازارد``), enough
    within an article, is not enough alone across thousands: ``بوتين`` and
    ``بواتينغ`` are other people."""
    return a == b or a[1:] == b or b[1:] == a or _consonants(a) == _consonants(b)


def name_within(short: Sequence[str], full: Sequence[str]) -> bool:
    """:func:`~qawl.data.speakers.key_within`, where a one-word name must
    match one of ``full``'s words by :func:`_one_word_match` too."""
    if len(short) == 1:
        return any(_one_word_match(short[0], w) and key_within(short, (w,)) for w in full)
    return key_within(short, full)


def _variants(word: str) -> list[str]:
    """A word, and the word less a one-letter proclitic where it may have one."""
    return [word, word[1:]] if len(word) > 3 and word[0] in "وفبلك" else [word]


def _word_entries(word: str, role: str) -> set[str]:
    """Index entries of a name word in one ``role``.

    ``=``: the word as it is (with and without a proclitic): how
    :func:`name_within` compares all but the last word of a key of several;
    ``~``: their first letter and consonants, how it compares the word of a
    one-word key with any word; ``^``: the first letter and the consonants,
    and those less the last letter, of the last word of a key of several (an
    extra last letter matches there). Two words it matches share an entry of
    the role the shorter key's word has.
    """
    if role == "^":
        consonants = _consonants(word)
        return {"^" + word[0] + consonants, "^" + word[0] + (consonants[:-1] or consonants)}
    return {role + (v[0] + _consonants(v) if role == "~" else v) for v in _variants(word)}


def _needs(key: tuple[str, ...]) -> list[set[str]]:
    """For each word of a key, the entries one of which a key holding it must have."""
    if len(key) == 1:
        return [_word_entries(key[0], "~")]
    return [_word_entries(w, "=") for w in key[:-1]] + [_word_entries(key[-1], "=") | _word_entries(key[-1], "^")]


def _is_name(key: tuple[str, ...]) -> bool:
    return not key[0].startswith("\0")


class _KeyIndex:
    """Forms by the index entries of their words, to find the keys a key lies within."""

    def __init__(self, forms: Sequence[Form]):
        self.forms = forms
        self.entries: dict[str, list[int]] = defaultdict(list)
        self.held: list[frozenset[str]] = []
        for i, form in enumerate(forms):
            held = frozenset()
            if _is_name(form.key):
                held = frozenset().union(*(_word_entries(w, role) for w in form.key for role in "=~"),
                                         _word_entries(form.key[-1], "^"))
            for entry in held:
                self.entries[entry].append(i)
            self.held.append(held)

    def containers(self, i: int) -> list[int]:
        """Forms other than ``i``, at least as long, whose key holds ``i``'s (:func:`name_within`)."""
        key = self.forms[i].key
        if not _is_name(key):
            return []
        needs = _needs(key)
        rarest = min(needs, key=lambda need: sum(len(self.entries.get(e, ())) for e in need))
        candidates = set().union(*(self.entries.get(e, ()) for e in rarest))
        return sorted(j for j in candidates if j != i and len(self.forms[j].key) >= len(key)
                      and all(not need.isdisjoint(self.held[j]) for need in needs)
                      and name_within(key, self.forms[j].key))


class _Clusters:
    """Forms grouped under a head form, each group with the entity labels and quote count of its forms."""

    def __init__(self, forms: Sequence[Form]):
        self.head = list(range(len(forms)))
        self.members = {i: [i] for i in range(len(forms))}
        self.labels = {i: form.labels.copy() for i, form in enumerate(forms)}
        self.types = {i: form.label for i, form in enumerate(forms)}
        self.quotes = {i: form.quotes for i, form in enumerate(forms)}

    def compatible(self, a: int, b: int) -> bool:
        """The groups of forms ``a`` and ``b`` are not of two different types."""
        ta, tb = self.types[self.head[a]], self.types[self.head[b]]
        return ta is None or tb is None or ta == tb

    def join(self, into: int, other: int) -> None:
        """Put the group of form ``other`` into the group of form ``into``."""
        a, b = self.head[into], self.head[other]
        if a == b:
            return
        for m in self.members[b]:
            self.head[m] = a
        self.members[a] += self.members.pop(b)
        self.labels[a] += self.labels.pop(b)
        self.quotes[a] += self.quotes.pop(b)
        other_type = self.types.pop(b)
        # labelled quotes decide; else a type read from a name (ORG) carries over
        self.types[a] = majority_label(self.labels[a], "") or self.types[a] or other_type


def _join_spellings(forms: Sequence[Form], containers: list[list[int]], groups: _Clusters) -> None:
    """Most quoted forms first, a form joins the most quoted head of its
    length that it matches and whose type does not differ, else heads a
    group: matched against heads only, no chain of near spellings drifts
    from one name to another."""
    seen: set[int] = set()
    for i in sorted(range(len(forms)), key=lambda i: (-forms[i].quotes, forms[i].key)):
        heads = [j for j in containers[i] if j in seen and groups.head[j] == j
                 and len(forms[j].key) == len(forms[i].key) and groups.compatible(i, j)]
        if heads:
            groups.join(min(heads, key=lambda j: (-forms[j].quotes, forms[j].key)), i)
        seen.add(i)


def _join_shorter(forms: Sequence[Form], containers: list[list[int]], groups: _Clusters) -> None:
    """Longest forms first, a head joins the fuller groups it lies within
    (of a type that does not differ) when they are one, or the most quoted
    of them when it holds :data:`DOMINANT_SHARE` of their quotes."""
    heads = [i for i in range(len(forms)) if groups.head[i] == i]
    for i in sorted(heads, key=lambda i: (-len(forms[i].key), -forms[i].quotes, forms[i].key)):
        fuller = {groups.head[j] for j in containers[i]
                  if len(forms[j].key) > len(forms[i].key) and groups.compatible(i, j)}
        if not fuller:
            continue
        best = min(fuller, key=lambda h: (-groups.quotes[h], forms[h].key))
        if groups.quotes[best] >= DOMINANT_SHARE * sum(groups.quotes[h] for h in fuller):
            groups.join(best, i)


def cluster_forms(forms: Sequence[Form]) -> list[int]:
    """The group of each form, as the index of the group's head form:
    spellings joined first (:func:`_join_spellings`), then shorter forms
    (:func:`_join_shorter`)."""
    index = _KeyIndex(forms)
    containers = [index.containers(i) for i in range(len(forms))]
    groups = _Clusters(forms)
    _join_spellings(forms, containers, groups)
    _join_shorter(forms, containers, groups)
    return groups.head


def _form_key(speaker: str) -> tuple[str, ...]:
    """A speaker string's name key; a string with no name word (punctuation,
    digits) is a form of its own that joins nothing."""
    return name_key(speaker) or ("\0" + speaker,)


def cluster_speakers(quotes: Sequence[QuoteRecord]) -> tuple[list[QuotedSpeaker], list[int | None]]:
    """The speakers of an archive, most quoted first, and the index into them
    of each quote's speaker (None for a quote with no speaker)."""
    forms: dict[tuple[str, ...], Form] = {}
    for q in quotes:
        if q.speaker is not None:
            key = _form_key(q.speaker)
            form = forms.get(key)
            if form is None:
                form = forms[key] = Form(key)
            form.names[q.speaker] += 1
            if q.label is not None:
                form.labels[q.label] += 1
    order = list(forms.values())
    members: dict[int, list[Form]] = defaultdict(list)
    for form, head in zip(order, cluster_forms(order)):
        members[head].append(form)
    speakers = [_speaker(group) for group in members.values()]
    ranked = sorted(speakers, key=lambda sp: (-sum(c for _, c in sp.variants), sp.name))
    for rank, sp in enumerate(ranked):
        sp.id = rank + 1
    of_key = {form.key: sp.id - 1 for sp, group in zip(speakers, members.values()) for form in group}
    return ranked, [None if q.speaker is None else of_key[_form_key(q.speaker)] for q in quotes]


def _speaker(group: list[Form]) -> QuotedSpeaker:
    """One speaker from its forms, named by the fullest (longest key, then most quoted)."""
    fullest = min(group, key=lambda f: (-len(f.key), -f.quotes, f.key))
    spellings: Counter = Counter()
    labels: Counter = Counter()
    for form in group:
        spellings.update(form.names)
        labels.update(form.labels)
    variants = sorted(spellings.items(), key=lambda kv: (-kv[1], kv[0]))
    return QuotedSpeaker(0, fullest.name, majority_label(labels, fullest.name), variants)


# --- reading -------------------------------------------------------------------------------

@dataclasses.dataclass
class Archive:
    """Articles, their quotes and the speakers across them.

    ``speaker_of[k]``: index into ``speakers`` of ``quotes[k]``'s speaker
    (None: no speaker). ``undated``: articles with no readable date.
    """

    articles: list[ArticleInfo]
    quotes: list[QuoteRecord]
    speakers: list[QuotedSpeaker]
    speaker_of: list[int | None]

    @property
    def dates(self) -> tuple[str, str] | None:
        """First and last publication date (ISO), None when no article has one."""
        dated = [a.date for a in self.articles if a.date is not None]
        return (min(dated), max(dated)) if dated else None

    @property
    def undated(self) -> int:
        return sum(a.date is None for a in self.articles)


def build_archive(articles: Iterable[dict]) -> Archive:
    """The archive of valid articles (checked beforehand: :func:`read_archive` does)."""
    infos: list[ArticleInfo] = []
    quotes: list[QuoteRecord] = []
    for art in articles:
        quotes += quote_records(art, len(infos))
        infos.append(article_info(art))
    speakers, speaker_of = cluster_speakers(quotes)
    return Archive(infos, quotes, speakers, speaker_of)


def _span_in(span: object, length: int) -> bool:
    return (isinstance(span, (list, tuple)) and len(span) == 2 and all(type(x) is int for x in span)
            and 0 <= span[0] < span[1] <= length)


def _quote_readable(q: object, length: int) -> bool:
    return (isinstance(q, dict) and _span_in(q.get("content"), length) and q.get("kind") in QUOTE_KINDS
            and all(q.get(k) is None or _span_in(q[k], length) for k in ("source", "cue", "speaker_span"))
            and (q.get("speaker") is None or isinstance(q["speaker"], str)))


def readable(art: object) -> bool:
    """The report can read ``art`` as it is: a string id and text, and the
    entity and quote keys it reads of the types it needs, spans inside the
    text. A fraction of :func:`~qawl.data.article.check_article`'s cost: word
    boundaries and overlaps, which it also checks, change no count."""
    if not (isinstance(art, dict) and isinstance(art.get("id"), str) and art["id"]
            and isinstance(art.get("text"), str)):
        return False
    length, entities, quotes = len(art["text"]), art.get("entities"), art.get("quotes")
    return ((entities is None or isinstance(entities, list) and all(
                isinstance(e, dict) and e.get("label") in ENTITY_LABELS
                and _span_in([e.get("start"), e.get("end")], length) for e in entities))
            and (quotes is None or isinstance(quotes, list) and all(_quote_readable(q, length) for q in quotes)))


#: problems listed before reading stops: enough to show what is wrong, bounded in memory
MAX_PROBLEMS = 1000


def checked_articles(paths: Sequence[str | Path]) -> Iterator[dict]:
    """Each article of JSONL files (``.gz`` read gunzipped), streamed.

    Articles are checked for what the report reads (:func:`readable`; the
    scheme's checker describes any problem) and for ids repeated across the
    files; after the last line (or at the :data:`MAX_PROBLEMS` th problem)
    :class:`ArticleError` lists every problem found, or says that there was
    no article at all. An article with a problem is not yielded.
    """
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    count = 0
    for path in paths:
        for n, value, found in iter_jsonl(path):
            if not found and not readable(value):
                # the scheme's checker says what is wrong (readable() only checks a part of it)
                found = check_article(value, str(path), n) or [Problem("not readable", str(path), n)]
            aid = value.get("id") if isinstance(value, dict) else None
            if not found and aid in seen:
                found = [Problem(f"duplicate id (first at {seen[aid]})", str(path), n, aid)]
            if found:
                problems += found
                if len(problems) >= MAX_PROBLEMS:
                    raise ArticleError(problems)
                continue
            seen[aid] = f"{path}:{n}"
            count += 1
            yield value
    if problems:
        raise ArticleError(problems)
    if not count:
        raise ArticleError([Problem(f"no articles in {', '.join(map(str, paths))}")])


def read_archive(paths: Sequence[str | Path]) -> Archive:
    """The archive of prediction files; raises :class:`ArticleError` (every
    problem, or no article at all: nothing is counted)."""
    return build_archive(checked_articles(paths))


# --- tables ---------------------------------------------------------------------------------

def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def speaker_rows(archive: Archive) -> list[dict]:
    """One row per speaker, most quoted first (:data:`SPEAKER_COLUMNS`).

    ``share``: the speaker's quotes over all quotes of the archive (anonymous
    and unattributed ones included); ``articles``/``outlets``: how many
    different ones quote the speaker; ``variants``: every spelling with its
    quote count, ``name (n)``, joined by `` | ``.
    """
    total = len(archive.quotes)
    tally = [Counter() for _ in archive.speakers]
    arts: list[set[int]] = [set() for _ in archive.speakers]
    outlets: list[set[str]] = [set() for _ in archive.speakers]
    dates: list[list[str]] = [[] for _ in archive.speakers]
    for q, k in zip(archive.quotes, archive.speaker_of):
        if k is None:
            continue
        tally[k][q.kind] += 1
        arts[k].add(q.article)
        info = archive.articles[q.article]
        if info.outlet is not None:
            outlets[k].add(info.outlet)
        if info.date is not None:
            dates[k].append(info.date)
    rows = []
    for k, sp in enumerate(archive.speakers):
        n = sum(tally[k].values())
        rows.append({
            "speaker_id": sp.id, "speaker": sp.name, "type": TYPE_NAMES[sp.type], "quotes": n,
            "share": _share(n, total), "direct": tally[k]["direct"], "indirect": tally[k]["indirect"],
            "articles": len(arts[k]), "outlets": len(outlets[k]),
            "first_date": min(dates[k], default=None), "last_date": max(dates[k], default=None),
            "variants": " | ".join(f"{name} ({c})" for name, c in sp.variants),
        })
    return rows


def speaker_group_rows(archive: Archive, group: str) -> list[dict]:
    """Quotes per speaker and ``group`` value (:func:`speaker_group_columns`),
    by group value (articles with no value last) then most quoted first.
    ``share``: the speaker's quotes over all quotes of that group value."""
    totals: Counter = Counter()
    tally: dict[tuple, Counter] = defaultdict(Counter)
    for q, k in zip(archive.quotes, archive.speaker_of):
        value = getattr(archive.articles[q.article], group)
        totals[value] += 1
        if k is not None:
            tally[(value, k)][q.kind] += 1
    rows = []
    for (value, k), kinds in tally.items():
        sp, n = archive.speakers[k], sum(kinds.values())
        rows.append({"speaker_id": sp.id, "speaker": sp.name, "type": TYPE_NAMES[sp.type], group: value,
                     "quotes": n, "share": _share(n, totals[value]), "direct": kinds["direct"],
                     "indirect": kinds["indirect"]})
    rows.sort(key=lambda r: (r[group] is None, r[group] or "", -r["quotes"], r["speaker_id"]))
    return rows


def group_rows(archive: Archive, group: str) -> list[dict]:
    """One row per ``group`` value (:func:`group_columns`), most quotes first
    (months in calendar order); articles with no value are one row, None.

    ``attributed``: quotes with a speaker; ``anonymous``: a SOURCE but no
    speaker; ``unattributed``: neither; ``anonymous_share``: anonymous over
    all quotes; ``speakers``: different speakers quoted.
    """
    articles: Counter = Counter(getattr(a, group) for a in archive.articles)
    tally: dict = defaultdict(Counter)
    speakers: dict = defaultdict(set)
    for q, k in zip(archive.quotes, archive.speaker_of):
        value = getattr(archive.articles[q.article], group)
        t = tally[value]
        t[q.kind] += 1
        t["attributed" if k is not None else "anonymous" if q.anonymous else "unattributed"] += 1
        if k is not None:
            speakers[value].add(k)
    rows = []
    for value, n_articles in articles.items():
        t = tally[value]
        n = t["direct"] + t["indirect"]
        rows.append({group: value, "articles": n_articles, "quotes": n, "direct": t["direct"],
                     "indirect": t["indirect"], "attributed": t["attributed"], "anonymous": t["anonymous"],
                     "unattributed": t["unattributed"], "anonymous_share": _share(t["anonymous"], n),
                     "speakers": len(speakers[value])})
    if group == "month":
        rows.sort(key=lambda r: (r["month"] is None, r["month"] or ""))
    else:
        rows.sort(key=lambda r: (r[group] is None, -r["quotes"], r[group] or ""))
    return rows


def quote_rows(archive: Archive) -> Iterator[dict]:
    """One row per quote (:data:`QUOTE_COLUMNS`), in article order.
    ``quote``: its index in the article; ``speaker``: the speaker row's name
    (the fullest form), ``speaker_as_written``: the prediction's string."""
    for q, k in zip(archive.quotes, archive.speaker_of):
        info = archive.articles[q.article]
        sp = None if k is None else archive.speakers[k]
        yield {"article_id": info.id, "quote": q.number, "speaker_id": None if sp is None else sp.id,
               "speaker": None if sp is None else sp.name, "speaker_as_written": q.speaker,
               "type": None if sp is None else TYPE_NAMES[sp.type], "kind": q.kind, "anonymous": q.anonymous,
               "outlet": info.outlet, "date": info.date, "category": info.category, "title": info.title,
               "url": info.url, "content": q.content}

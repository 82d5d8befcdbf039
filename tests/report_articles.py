"""Invented predicted articles for `qawl report`, with their figures counted by hand.

Eight articles from two outlets (one article has no metadata at all), three
months and three categories; 21 quotes (5 direct, 16 indirect), one with an
anonymous SOURCE and one with no SOURCE. Name variants across articles:

* عبد الكريم بن سالم المطيري (A1) = عبد الكريم المطيري (A2) = المطيري (A3);
* جون بيترسن (A2) = جون بيترسون (A3): one family name spelt two ways;
* كفاين (A7) lies within فهد كفاين (5 quotes) and ليلى كفاين (1): the first
  holds 5/6 of their quotes, so the bare name is his;
* الحربي (A5) lies within سعد الحربي and فهد الحربي (1 quote each): it stays
  a row of its own;
* المنصوري (a person, A7) lies within مجموعة المنصوري (an organisation,
  A5): different types, two rows.

A3's title holds a ``<script>`` element and its URL is ``javascript:``; A5's
third speaker is a ``<script>`` element. The hand counts are in the test module.
"""
from __future__ import annotations

from qawl.data.article import validate_articles


def place(text: str, phrase: str, start: int) -> list[int]:
    """``[start, end]`` of the first ``phrase`` in ``text`` at or after ``start``."""
    s = text.index(phrase, start)
    return [s, s + len(phrase)]


def said(text: str, cursor: list[int], content: str, kind: str, source: str | None = None,
         cue: str | None = None, speaker: str | None = None, resolved: str | None = None) -> dict:
    """A quote whose parts are the next occurrences of the phrases after
    ``cursor[0]`` (moved past them): cue, then source, then content.
    ``resolved``: the phrase ``speaker_span`` points at (default: the SOURCE)."""
    spans = {}
    for key, phrase in (("cue", cue), ("source", source), ("content", content)):
        if phrase is not None:
            spans[key] = place(text, phrase, cursor[0])
            cursor[0] = max(cursor[0], spans[key][1])
    speaker_span = spans.get("source") if resolved is None else place(text, resolved, 0)
    return {"content": spans["content"], "source": spans.get("source"), "cue": spans.get("cue"),
            "speaker": speaker, "speaker_span": None if speaker is None else speaker_span, "kind": kind}


def entities(text: str, *named: tuple[str, str]) -> list[dict]:
    """Entities ``(phrase, label)`` in text order, each the next occurrence after the one before."""
    out, after = [], 0
    for phrase, label in named:
        s, after = place(text, phrase, after)
        out.append({"start": s, "end": after, "label": label})
    return out


MUTAIRI, FAHD = "عبد الكريم بن سالم المطيري", "فهد كفاين"
SCRIPT = "<script>alert(1)</script>"

#: (id, metadata, text, entities as (phrase, label) in text order, quotes as
#: (content, kind, source, cue, speaker, resolved): see :func:`said`)
ARTICLES = (
    ("A1", {"source": "صحيفة الأفق", "time": "Mon, 05 Mar 2018 10:00:00 +0300", "category": "سياسة",
            "title": "وزير المالية يعلن الميزانية", "url": "https://example.org/a1"},
     f"قال وزير المالية {MUTAIRI} إن “الميزانية متوازنة”. وأضاف المطيري أن العجز تراجع. "
     "وذكرت مصادر مطلعة أن الحكومة ستقترض.",
     ((MUTAIRI, "PER"), ("المطيري", "PER")),
     (("الميزانية متوازنة", "direct", MUTAIRI, "قال", MUTAIRI, None),
      ("العجز تراجع", "indirect", "المطيري", "وأضاف", MUTAIRI, MUTAIRI),
      ("الحكومة ستقترض", "indirect", "مصادر مطلعة", "وذكرت", None, None))),
    ("A2", {"source": "قناة المدار", "date": "2018-03-20", "category": "اقتصاد",
            "title": "المطيري: الأسعار ستستقر", "url": "https://example.org/a2"},
     "وصرح عبد الكريم المطيري بأن “الأسعار ستستقر”. وقال جون بيترسن إن السوق قوية.",
     (("عبد الكريم المطيري", "PER"), ("جون بيترسن", "PER")),
     (("الأسعار ستستقر", "direct", "عبد الكريم المطيري", "وصرح", "عبد الكريم المطيري", None),
      ("السوق قوية", "indirect", "جون بيترسن", "وقال", "جون بيترسن", None))),
    ("A3", {"source": "صحيفة الأفق", "time": "Tue, 10 Apr 2018 08:30:00 GMT", "category": "اقتصاد",
            "title": "<script>alert('title')</script> تقرير السوق", "url": "javascript:alert(1)"},
     "قال جون بيترسون إن “النمو سيعود”. وقال المطيري إن الاستثمار يرتفع. وجاء في التقرير أن التضخم مرتفع.",
     (("جون بيترسون", "PER"), ("المطيري", "PER")),
     (("النمو سيعود", "direct", "جون بيترسون", "قال", "جون بيترسون", None),
      ("الاستثمار يرتفع", "indirect", "المطيري", "وقال", "المطيري", None),
      ("التضخم مرتفع", "indirect", None, "وجاء", None, None))),
    ("A4", {"source": "قناة المدار", "date": "2018-04-15", "category": "سياسة", "title": "الحربي والحربي"},
     "قال سعد الحربي إن “الاتفاق قريب”. وقال فهد الحربي إن المفاوضات صعبة.",
     (("سعد الحربي", "PER"), ("فهد الحربي", "PER")),
     (("الاتفاق قريب", "direct", "سعد الحربي", "قال", "سعد الحربي", None),
      ("المفاوضات صعبة", "indirect", "فهد الحربي", "وقال", "فهد الحربي", None))),
    ("A5", {},
     f"وقال الحربي إن الوفد وصل. وقالت مجموعة المنصوري إن الأرباح زادت. وقال {SCRIPT} إن الخبر صحيح.",
     (("الحربي", "PER"), ("مجموعة المنصوري", "ORG")),
     (("الوفد وصل", "indirect", "الحربي", "وقال", "الحربي", None),
      ("الأرباح زادت", "indirect", "مجموعة المنصوري", "وقالت", "مجموعة المنصوري", None),
      ("الخبر صحيح", "indirect", SCRIPT, "وقال", SCRIPT, None))),
    ("A6", {"source": "صحيفة الأفق", "date": "2018-04-20", "category": "رياضة", "title": "كفاين",
            "url": "https://example.org/a6"},
     f"قال {FAHD} إن “الفريق جاهز”. وأضاف أن اللاعبين بخير. وتابع أن المدرب راض. وأوضح أن الملعب ممتاز. "
     "وختم بأن الموسم طويل. وقالت ليلى كفاين إن الجمهور متحمس.",
     ((FAHD, "PER"), ("ليلى كفاين", "PER")),
     (("الفريق جاهز", "direct", FAHD, "قال", FAHD, None),
      *((content, "indirect", None, cue, FAHD, FAHD) for content, cue in (
          ("اللاعبين بخير", "وأضاف"), ("المدرب راض", "وتابع"), ("الملعب ممتاز", "وأوضح"), ("الموسم طويل", "وختم"))),
      ("الجمهور متحمس", "indirect", "ليلى كفاين", "وقالت", "ليلى كفاين", None))),
    ("A7", {"source": "قناة المدار", "date": "2018-05-02", "category": "رياضة", "title": "كفاين يتحدث",
            "url": "https://example.org/a7"},
     "وقال كفاين إن التدريب انتهى. وقال المنصوري إن الملعب جاهز.",
     (("كفاين", "PER"), ("المنصوري", "PER")),
     (("التدريب انتهى", "indirect", "كفاين", "وقال", "كفاين", None),
      ("الملعب جاهز", "indirect", "المنصوري", "وقال", "المنصوري", None))),
    ("A8", {"source": "صحيفة الأفق", "date": "2018-05-10", "category": "سياسة", "title": "افتتاح المعرض"},
     "افتتح المعرض أبوابه أمس.", (), ()),
)


def invented_articles() -> list[dict]:
    """The eight articles (validated against the scheme)."""
    out = []
    for aid, meta, text, named, quotes in ARTICLES:
        cursor = [0]
        out.append({"id": aid, **meta, "text": text, "entities": entities(text, *named),
                    "quotes": [said(text, cursor, *q) for q in quotes]})
    return validate_articles(out)

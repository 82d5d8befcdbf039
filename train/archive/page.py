"""The archive page: who is quoted, by which outlet, when and about what.

:func:`render_report` turns an :class:`~qawl.data.archive.Archive` into one
self-contained HTML document: right to left, Arabic first with English
beside each label, inline CSS, charts as inline SVG (:mod:`.charts`) and a
short inline script that sorts and filters the long tables (the page reads
the same without it). Nothing is loaded from elsewhere; every text is
escaped; a link goes out only to an article's own ``http(s)`` URL.

Landmarks for readers and tests: each section is ``<section id=...>``, each
chart a ``figure.chart`` (:data:`CHARTS` lists them, all always present),
each table a ``table.data`` with ``data-table`` naming the CSV table it
shows, each summary figure a ``.card`` with ``data-stat`` and
``data-value``, each listed speaker a ``details.speaker`` with
``id="speaker-N"``.
"""
from __future__ import annotations

import dataclasses
import html
from collections import defaultdict
from collections.abc import Sequence

from qawl.data.archive import TYPE_NAMES, Archive, group_rows, speaker_group_rows, speaker_rows

from .charts import Bar, render_chart

#: the charts of the page, in page order
CHARTS = ("top-speakers", "top-people", "top-organisations", "outlets", "anonymous-by-outlet", "months",
          "categories")

#: Arabic and English of every label the page shows
WORDS = {
    "title": ("من يُقتبس؟", "Who gets quoted"),
    "summary": ("الخلاصة", "Summary"),
    "methods": ("المنهجية", "Methods"),
    "speakers": ("المتحدثون", "Speakers"),
    "outlets": ("وسائل الإعلام", "Outlets"),
    "months": ("الأشهر", "Months"),
    "categories": ("الأقسام", "Categories"),
    "said": ("ما قالوه", "What they said"),
    "articles": ("مقالات", "articles"),
    "quotes": ("اقتباسات", "quotes"),
    "direct": ("مباشر", "direct"),
    "indirect": ("غير مباشر", "indirect"),
    "share": ("النسبة", "share"),
    "speaker": ("المتحدث", "speaker"),
    "type": ("النوع", "type"),
    "named": ("متحدثون مسمّون", "named speakers"),
    "attributed": ("منسوبة لمسمّى", "attributed"),
    "anonymous": ("مصدر مجهول", "anonymous source"),
    "unattributed": ("بلا مصدر", "no source"),
    "anonymous_share": ("نسبة المصادر المجهولة", "anonymous share"),
    "first_date": ("أول ظهور", "first"),
    "last_date": ("آخر ظهور", "last"),
    "variants": ("صيغ الاسم", "spellings"),
    "outlet": ("الوسيلة", "outlet"),
    "month": ("الشهر", "month"),
    "category": ("القسم", "category"),
    "rank": ("الترتيب", "rank"),
    "dates": ("الفترة", "dates"),
    "model": ("النموذج", "model"),
    "filter": ("تصفية", "filter"),
    "all_types": ("كل الأنواع", "all types"),
    "unknown": ("غير معروف", "unknown"),
    "top_speakers": ("أكثر المتحدثين اقتباسا", "most quoted speakers"),
    "top_people": ("أكثر الأشخاص اقتباسا", "most quoted people"),
    "top_organisations": ("أكثر الجهات اقتباسا", "most quoted organisations"),
    "by_outlet": ("الاقتباسات في كل وسيلة", "quotes per outlet"),
    "anonymous_by_outlet": ("نسبة المصادر المجهولة في كل وسيلة", "anonymous-source share per outlet"),
    "by_month": ("الاقتباسات في كل شهر", "quotes per month"),
    "by_category": ("الاقتباسات في كل قسم", "quotes per category"),
    "top_per_outlet": ("أكثر المتحدثين اقتباسا في كل وسيلة", "most quoted speakers per outlet"),
    "top_per_month": ("أكثر المتحدثين اقتباسا في كل شهر", "most quoted speakers per month"),
    "top_per_category": ("أكثر المتحدثين اقتباسا في كل قسم", "most quoted speakers per category"),
    "none": ("لا شيء", "none"),
}
#: speaker types, Arabic and English (keys: :data:`qawl.data.archive.TYPE_NAMES` values)
TYPE_WORDS = {"person": ("شخص", "person"), "organisation": ("جهة", "organisation"), "place": ("مكان", "place"),
              "other": ("أخرى", "other"), "unknown": ("غير محدد", "unknown")}
#: scores of a checkpoint's ``scores.json`` the methods box shows, with what an error means there
SCORES = (
    ("attribution_accuracy", "إسناد الاقتباس إلى متحدثه", "attribution accuracy: quote given to its speaker"),
    ("quote_content_overlap_f1", "نص الاقتباس (تداخل الكلمات)", "quote CONTENT, word overlap F1"),
    ("quote_content_exact_f1", "نص الاقتباس (حدود مطابقة)", "quote CONTENT, exact F1"),
    ("quote_source_exact_f1", "مصدر الاقتباس (SOURCE)", "SOURCE exact F1"),
    ("ner_f1", "الكيانات المسماة", "named entities, F1"),
)
#: what a reader needs to read the figures right: (Arabic, English)
DEFINITIONS = (
    ("الاقتباس: كلام منسوب إلى متحدث علَّمه النموذج في نص المقال؛ مباشر إذا نُقل بلفظه بين علامتي تنصيص، "
     "وغير مباشر إذا رُوي بمعناه (قال إن...). يُعدّ كل اقتباس مرة واحدة مهما طال.",
     "A quote is reported speech the model marked in an article: direct when given word for word in quotation "
     "marks, indirect when reported (قال إن...). Each counts once, however long."),
    ("المتحدث: من يُنسب إليه الاقتباس بأتم اسم ورد له في المقال. تُجمع صيغ الاسم عبر المقالات في صف واحد "
     "بقواعد الأسماء نفسها (الاسم الأقصر ضمن الأطول، والتهجئات المختلفة للاسم نفسه)؛ الاسم القصير الذي "
     "يطابق شخصين مختلفين يبقى صفا وحده.",
     "The speaker is who a quote is attributed to, by the fullest name the article gives. Spellings across "
     "articles are one row by the package's name rules (a shorter name within a fuller one, spellings of one "
     "name); a short name that fits two different speakers stays a row of its own."),
    ("المصدر المجهول: للاقتباس مصدر في النص (مصادر مطلعة، مسؤول) لكنه لا يسمي أحدا. بلا مصدر: لم يجد "
     "النموذج من قاله. النسبة: اقتباسات الصف من كل اقتباسات الأرشيف (أو الوسيلة أو الشهر).",
     "Anonymous source: the quote has a SOURCE (informed sources, an official) that names nobody. No source: "
     "the model found nobody. Share: a row's quotes over all quotes of the archive (or of the outlet, month)."),
    ("النوع من طبقة الكيانات في التنبؤ حين توجد، وإلا فهو جهة إذا بدأ الاسم بكلمة مثل وزارة أو شركة، وإلا "
     "فهو غير محدد. الأرقام تنبؤات آلية وفيها أخطاء بالقدر المبين أدناه.",
     "Types come from the prediction's entity layer where it has one; else organisation when the name starts "
     "with a word such as وزارة or شركة; else unknown. The figures are machine predictions, wrong as often as "
     "the scores below say."),
)


@dataclasses.dataclass(frozen=True)
class ReportOptions:
    """What the page says beside the archive and how much of it it shows.

    ``sources``: the input files named in the header; ``model``: what made
    the predictions; ``scores``: one split of a checkpoint's ``scores.json``
    (``scores_split`` names it); ``top``: bars per speaker chart; ``rows``:
    rows of the speakers table; ``per_group``: speakers listed per outlet,
    month and category; ``quotes_for``: speakers whose quotes are listed,
    ``quotes_each`` quotes each; ``excerpt_words``: words of a quote shown.
    """

    title: str = ""
    sources: tuple[str, ...] = ()
    model: str | None = None
    scores: dict | None = None
    scores_split: str | None = None
    top: int = 20
    rows: int = 500
    per_group: int = 10
    quotes_for: int = 100
    quotes_each: int = 20
    excerpt_words: int = 60


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def words(key: str) -> str:
    """A label: its Arabic, then its English in a smaller left-to-right span."""
    ar, en = WORDS[key]
    return f'{_esc(ar)} <span class="en" lang="en" dir="ltr">{_esc(en)}</span>'


def type_words(name: str) -> str:
    ar, en = TYPE_WORDS[name]
    return f'{_esc(ar)} <span class="en" lang="en" dir="ltr">{_esc(en)}</span>'


def _plain(key: str) -> str:
    ar, en = WORDS[key]
    return f"{ar} ({en})"


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _number(n: int) -> str:
    return f"{n:,}"


def _value(value: object) -> str:
    """A group value as shown: the text, or 'unknown' for articles without one."""
    return words("unknown") if value is None else _esc(value)


def _attrs(pairs: Sequence[tuple[str, object]]) -> str:
    return "".join(f' {k}="{_esc(v)}"' for k, v in pairs if v is not None)


def article_link(title: str | None, url: str | None, article_id: str) -> str:
    """An article's title (its id when it has none), linked to its URL when that is ``http(s)``."""
    text = _esc(title or article_id)
    if url and url.lower().startswith(("http://", "https://")):
        return f'<a href="{_esc(url)}" rel="noopener noreferrer" target="_blank">{text}</a>'
    return text


# --- tables ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Column:
    """A table column: the row key it shows, its label key and whether it is a number (sorted as one)."""

    key: str
    label: str
    numeric: bool = False


def _cell(row: dict, col: Column, speaker_link: bool) -> str:
    value = row.get(col.key)
    if col.key == "share" or col.key == "anonymous_share":
        return f'<td data-sort="{value:.6f}">{_percent(value)}</td>'
    if col.numeric:
        return f'<td data-sort="{value}">{_number(value)}</td>'
    if col.key == "speaker" and speaker_link:
        return f'<td><a href="#speaker-{row["speaker_id"]}">{_esc(value)}</a></td>'
    if col.key == "type":
        return f"<td>{type_words(value)}</td>"
    if col.key in ("outlet", "month", "category"):
        return f"<td>{_value(value)}</td>"
    return f"<td>{'' if value is None else _esc(value)}</td>"


def render_table(name: str, rows: Sequence[dict], columns: Sequence[Column], linked: set[int] = frozenset(),
                 filter_box: bool = False) -> str:
    """A sortable table of ``rows`` (``data-table``: the CSV table it shows);
    a speaker's name links to their quotes when their id is in ``linked``;
    ``filter_box`` adds a text filter (and a type filter when the rows have types)."""
    head = "".join(f'<th scope="col" data-type="{"num" if c.numeric else "text"}">{words(c.label)}</th>'
                   for c in columns)
    body = []
    for row in rows:
        link = row.get("speaker_id") in linked
        cells = "".join(_cell(row, c, link) for c in columns)
        body.append(f"<tr{_attrs([('data-type', row.get('type'))])}>{cells}</tr>")
    box = _filter_box(name, any(c.key == "type" for c in columns)) if filter_box else ""
    return (f'{box}<div class="scroll"><table class="data sortable" id="table-{_esc(name)}" data-table="{_esc(name)}">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def _filter_box(name: str, types: bool) -> str:
    options = "".join(f'<option value="{_esc(t)}">{_esc(TYPE_WORDS[t][0])} ({_esc(TYPE_WORDS[t][1])})</option>'
                      for t in TYPE_WORDS)
    select = (f'<select aria-label="{_esc(_plain("type"))}"><option value="">{_esc(_plain("all_types"))}</option>'
              f"{options}</select>") if types else ""
    return (f'<div class="filter" data-filter="table-{_esc(name)}"><label>{words("filter")} '
            f'<input type="search" aria-label="{_esc(_plain("filter"))}"></label>{select}<output></output></div>')


SPEAKER_TABLE = (Column("speaker_id", "rank", True), Column("speaker", "speaker"), Column("type", "type"),
                 Column("quotes", "quotes", True), Column("share", "share", True), Column("direct", "direct", True),
                 Column("indirect", "indirect", True), Column("articles", "articles", True),
                 Column("outlets", "outlets", True), Column("first_date", "first_date"),
                 Column("last_date", "last_date"), Column("variants", "variants"))
GROUP_TABLE = (Column("articles", "articles", True), Column("quotes", "quotes", True),
               Column("direct", "direct", True), Column("indirect", "indirect", True),
               Column("attributed", "attributed", True), Column("anonymous", "anonymous", True),
               Column("unattributed", "unattributed", True), Column("anonymous_share", "anonymous_share", True),
               Column("speakers", "speakers", True))


def speaker_group_table(group: str) -> tuple[Column, ...]:
    return (Column(group, group), Column("speaker", "speaker"), Column("type", "type"),
            Column("quotes", "quotes", True), Column("share", "share", True), Column("direct", "direct", True),
            Column("indirect", "indirect", True))


def top_per_group(rows: Sequence[dict], group: str, n: int) -> list[dict]:
    """The first ``n`` rows of each group value (rows come most quoted first within a value)."""
    taken: dict = defaultdict(int)
    out = []
    for row in rows:
        if taken[row[group]] < n:
            taken[row[group]] += 1
            out.append(row)
    return out


# --- sections -----------------------------------------------------------------------------

def _card(stat: str, value: object, label: str, shown: str) -> str:
    return f'<div class="card" data-stat="{stat}" data-value="{_esc(value)}"><b>{shown}</b><span>{label}</span></div>'


def render_summary(archive: Archive) -> str:
    """The headline figures: articles, quotes, direct share, named speakers, anonymous share, dates."""
    total = len(archive.quotes)
    direct = sum(q.kind == "direct" for q in archive.quotes)
    anonymous = sum(q.anonymous for q in archive.quotes)
    dates = archive.dates
    cards = [
        _card("articles", len(archive.articles), words("articles"), _number(len(archive.articles))),
        _card("quotes", total, words("quotes"), _number(total)),
        _card("direct", direct, words("direct"), f"{_number(direct)} · {_percent(direct / total if total else 0)}"),
        _card("speakers", len(archive.speakers), words("named"), _number(len(archive.speakers))),
        _card("anonymous", anonymous, words("anonymous"),
              f"{_number(anonymous)} · {_percent(anonymous / total if total else 0)}"),
        _card("dates", "" if dates is None else f"{dates[0]}/{dates[1]}", words("dates"),
              "—" if dates is None else f'<bdi dir="ltr">{dates[0]} – {dates[1]}</bdi>'),
    ]
    caveat = ('<p class="note">أرقام من تنبؤات آلية: انظر <a href="#methods">المنهجية</a> لمعرفة قدر الخطأ. '
              '<span class="en" lang="en" dir="ltr">Figures from machine predictions: see '
              '<a href="#methods">Methods</a> for how often they are wrong.</span></p>')
    return (f'<section id="summary"><h2>{words("summary")}</h2><div class="cards">{"".join(cards)}</div>'
            f"{caveat}</section>")


def render_scores(scores: dict | None, split: str | None) -> str:
    """The checkpoint's scores the methods box shows, each with its error (1 − score)."""
    shown = [(key, ar, en) for key, ar, en in SCORES if isinstance((scores or {}).get(key), (int, float))]
    if not shown:
        return ('<p>لا درجات للنموذج. <span class="en" lang="en" dir="ltr">No scores for the model (no --checkpoint,'
                " or one that records none): how often the figures are wrong is not known here.</span></p>")
    rows = "".join(
        f'<tr data-score="{key}"><td>{_esc(ar)} <span class="en" lang="en" dir="ltr">{_esc(en)}</span></td>'
        f'<td data-sort="{scores[key]}">{scores[key]:.3f}</td><td>{_percent(1 - scores[key])}</td></tr>'
        for key, ar, en in shown
    )
    where = f" ({_esc(split)})" if split else ""
    return (f'<table class="data scores"><thead><tr><th>الدرجة <span class="en" lang="en" dir="ltr">score{where}'
            f'</span></th><th>القيمة <span class="en" lang="en" dir="ltr">value</span></th><th>الخطأ '
            f'<span class="en" lang="en" dir="ltr">error = 1 − value</span></th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def render_methods(archive: Archive, options: ReportOptions) -> str:
    """What made the figures and how to read them: model, scores, dates, counts, definitions, error rates."""
    dates = archive.dates
    span = "—" if dates is None else f'<bdi dir="ltr">{dates[0]} – {dates[1]}</bdi>'
    undated = f" ({_number(archive.undated)} بلا تاريخ <span class=\"en\" lang=\"en\" dir=\"ltr\">undated</span>)" \
        if archive.undated else ""
    facts = [
        (words("model"), _esc(options.model) if options.model else words("unknown")),
        (words("dates"), span + undated),
        (words("articles"), _number(len(archive.articles))),
        (words("quotes"), _number(len(archive.quotes))),
        (words("named"), _number(len(archive.speakers))),
        (words("outlets"), _number(len({a.outlet for a in archive.articles if a.outlet is not None}))),
    ]
    listed = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    notes = "".join(f'<p>{_esc(ar)}<br><span class="en" lang="en" dir="ltr">{_esc(en)}</span></p>'
                    for ar, en in DEFINITIONS)
    return (f'<section id="methods" class="methods"><h2>{words("methods")}</h2><dl>{listed}</dl>{notes}'
            f"{render_scores(options.scores, options.scores_split)}</section>")


def _speaker_bars(rows: Sequence[dict]) -> list[Bar]:
    return [Bar(r["speaker"], (r["direct"], r["indirect"]), f'{_number(r["quotes"])} · {_percent(r["share"])}')
            for r in rows]


#: the segments of a bar of quotes
_KINDS = (words("direct"), words("indirect"))


def spellings(variants: Sequence[tuple[str, int]], limit: int) -> str:
    """The first ``limit`` spellings of a speaker with their quote counts, and how many more there are."""
    shown = " · ".join(f"{name} ({count})" for name, count in variants[:limit])
    return shown + (f" +{len(variants) - limit}" if len(variants) > limit else "")


def render_speakers(archive: Archive, options: ReportOptions) -> str:
    """Charts of the most quoted speakers (all, people, organisations) and the
    speakers table (its first spellings only: the CSV has them all)."""
    rows = speaker_rows(archive)
    charts = []
    for name, label, kind in (("top-speakers", "top_speakers", None), ("top-people", "top_people", "person"),
                              ("top-organisations", "top_organisations", "organisation")):
        chosen = [r for r in rows if kind is None or r["type"] == kind][:options.top]
        charts.append(render_chart(name, words(label), _speaker_bars(chosen), _KINDS, _plain(label), words("none")))
    shown = [dict(r, variants=spellings(sp.variants, 4)) for r, sp in zip(rows[:options.rows], archive.speakers)]
    more = (f'<p class="note">{_number(len(shown))} / {_number(len(rows))} — '
            f'<span class="en" lang="en" dir="ltr">the rest are in speakers.csv (--csv)</span></p>'
            if len(shown) < len(rows) else "")
    linked = {r["speaker_id"] for r in rows[:options.quotes_for]}
    return (f'<section id="speakers"><h2>{words("speakers")}</h2><div class="charts">{"".join(charts)}</div>'
            f"{render_table('speakers', shown, SPEAKER_TABLE, linked, filter_box=True)}{more}</section>")


def _group_bars(rows: Sequence[dict], group: str) -> list[Bar]:
    return [Bar(_plain("unknown") if r[group] is None else r[group], (r["direct"], r["indirect"]),
                _number(r["quotes"])) for r in rows]


def _anonymous_chart(rows: Sequence[dict]) -> str:
    """Per outlet, the share of its quotes from an anonymous source (percent)."""
    bars = [Bar(_plain("unknown") if r["outlet"] is None else r["outlet"], (r["anonymous_share"] * 100,),
                f'{_percent(r["anonymous_share"])} ({_number(r["anonymous"])} / {_number(r["quotes"])})')
            for r in rows]
    return render_chart("anonymous-by-outlet", words("anonymous_by_outlet"), bars, (), _plain("anonymous_by_outlet"),
                        words("none"))


def render_group(archive: Archive, group: str, name: str, options: ReportOptions) -> str:
    """The section of one grouping (``group``: outlet, month or category;
    ``name``: its plural, naming the section, chart and table): quotes per
    value (chart and table; per outlet, the anonymous share too) and the most
    quoted speakers of each value."""
    rows = group_rows(archive, group)
    label = f"by_{group}"
    charts = [render_chart(name, words(label), _group_bars(rows, group), _KINDS, _plain(label), words("none"))]
    if group == "outlet":
        charts.append(_anonymous_chart(rows))
    top = top_per_group(speaker_group_rows(archive, group), group, options.per_group)
    linked = {sp.id for sp in archive.speakers[:options.quotes_for]}
    return (f'<section id="{name}"><h2>{words(name)}</h2><div class="charts">{"".join(charts)}</div>'
            f"{render_table(name, rows, (Column(group, group), *GROUP_TABLE))}"
            f'<h3>{words(f"top_per_{group}")} <span class="en">(≤ {options.per_group})</span></h3>'
            f"{render_table(f'speakers_by_{group}', top, speaker_group_table(group), linked, filter_box=True)}"
            "</section>")


def _excerpt(text: str, limit: int) -> str:
    split = text.split()
    return " ".join(split[:limit]) + (" …" if len(split) > limit else "")


def render_speaker_quotes(archive: Archive, options: ReportOptions) -> str:
    """The quotes of the most quoted speakers, newest first: excerpt, kind,
    article (title linked to its URL), outlet, date and article id."""
    listed = archive.speakers[:options.quotes_for]
    by_speaker: dict[int, list[int]] = defaultdict(list)
    for k, sp in enumerate(archive.speaker_of):
        if sp is not None and sp < len(listed):
            by_speaker[sp].append(k)
    blocks = []
    for index, sp in enumerate(listed):
        quotes = sorted(by_speaker[index], key=lambda k: (archive.articles[archive.quotes[k].article].date or "", -k),
                        reverse=True)
        items = []
        for k in quotes[:options.quotes_each]:
            q = archive.quotes[k]
            art = archive.articles[q.article]
            meta = " · ".join(x for x in (words(q.kind), article_link(art.title, art.url, art.id),
                                          _value(art.outlet), art.date and f'<bdi dir="ltr">{art.date}</bdi>') if x)
            excerpt = _esc(_excerpt(q.content, options.excerpt_words))
            items.append(f'<li data-article="{_esc(art.id)}"><blockquote>{excerpt}'
                         f'</blockquote><p class="src">{meta} <bdi class="id" dir="ltr">{_esc(art.id)}</bdi></p></li>')
        more = (f'<p class="note">+{_number(len(quotes) - options.quotes_each)} — <span class="en" lang="en" dir="ltr">'
                f"all in quotes.csv (--csv)</span></p>" if len(quotes) > options.quotes_each else "")
        blocks.append(
            f'<details class="speaker" id="speaker-{sp.id}" data-quotes="{len(quotes)}"><summary>'
            f'<b>{_esc(sp.name)}</b> <span class="meta">{type_words(TYPE_NAMES[sp.type])} · {_number(len(quotes))} '
            f'{words("quotes")}</span></summary>'
            f'<p class="variants">{words("variants")}: {_esc(spellings(sp.variants, 12))}</p>'
            f'<ol class="quotes">{"".join(items)}</ol>{more}</details>')
    return f'<section id="said"><h2>{words("said")}</h2>{"".join(blocks) or words("none")}</section>'


def render_report(archive: Archive, options: ReportOptions = ReportOptions()) -> str:
    """The whole HTML document (UTF-8 text, ``dir="rtl"``, ``lang="ar"``)."""
    title = options.title or f"{WORDS['title'][0]} — {WORDS['title'][1]}"
    nav = "".join(f'<a href="#{key}">{words(key)}</a>'
                  for key in ("summary", "speakers", "outlets", "months", "categories", "said", "methods"))
    sources = "".join(f'<p class="meta" dir="ltr">{_esc(s)}</p>' for s in options.sources)
    body = (render_summary(archive) + render_speakers(archive, options)
            + render_group(archive, "outlet", "outlets", options)
            + render_group(archive, "month", "months", options)
            + render_group(archive, "category", "categories", options)
            + render_speaker_quotes(archive, options) + render_methods(archive, options))
    return (
        '<!DOCTYPE html>\n<html dir="rtl" lang="ar"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head>"
        f'<body><header><h1>{_esc(title)}</h1>{sources}<nav>{nav}</nav></header>'
        f"<main>{body}</main><script>{SCRIPT}</script></body></html>\n"
    )


CSS = """
body{margin:0;padding:1rem 1.5rem;font-family:"Noto Naskh Arabic","Noto Sans Arabic","Amiri","DejaVu Sans",sans-serif;
 background:#fafafa;color:#212121;line-height:1.6}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.25rem;margin:1.6rem 0 .6rem;border-bottom:2px solid #1565c0;padding-bottom:.2rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
.en{font-family:"DejaVu Sans",sans-serif;font-size:.72em;color:#666;font-weight:normal}
.meta{color:#555;font-family:"DejaVu Sans Mono",monospace;font-size:.8rem;margin:.1rem 0}
nav{display:flex;flex-wrap:wrap;gap:.3rem 1rem;margin:.6rem 0;font-size:.9rem}
nav a{color:#0d47a1;text-decoration:none}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.4rem 1rem 1rem;margin:0 0 1rem}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}
.card{border:1px solid #e0e0e0;border-radius:6px;padding:.5rem .9rem;min-width:9rem;background:#f5f9ff}
.card b{display:block;font-size:1.3rem;font-family:"DejaVu Sans",sans-serif}
.methods dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.4rem 0}
.methods dt{font-weight:bold}
.methods dd{margin:0}
.methods p{font-size:.92rem;margin:.5rem 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(28rem,1fr));gap:1rem}
figure.chart{margin:.6rem 0;border:1px solid #eee;border-radius:6px;padding:.4rem .6rem}
figure.chart figcaption{font-weight:bold;margin-bottom:.3rem}
figure.chart svg{display:block;max-width:52rem}
figure.chart text{font-family:"Noto Naskh Arabic","DejaVu Sans",sans-serif;font-size:13px;fill:#212121}
figure.chart text.note{font-family:"DejaVu Sans",sans-serif;font-size:11px;fill:#555}
.keys{display:flex;gap:1rem;font-size:.85rem;margin-top:.2rem}
.keys i{display:inline-block;width:.8rem;height:.8rem;margin-inline-end:.3rem;vertical-align:middle}
.scroll{max-height:32rem;overflow:auto;border:1px solid #eee}
table.data{border-collapse:collapse;font-size:.88rem;width:100%}
table.data th,table.data td{border:1px solid #e0e0e0;padding:.15rem .45rem;text-align:start;vertical-align:top}
table.data th{background:#eef3f8;position:sticky;top:0;cursor:pointer;white-space:nowrap}
table.data th[aria-sort=ascending]::after{content:" ▲"}
table.data th[aria-sort=descending]::after{content:" ▼"}
table.data td[data-sort]{font-family:"DejaVu Sans",sans-serif;white-space:nowrap}
.filter{display:flex;gap:1rem;align-items:center;margin:.4rem 0;font-size:.9rem}
.filter output{color:#666;font-family:"DejaVu Sans",sans-serif;font-size:.8rem}
.note{color:#666;font-size:.85rem}
details.speaker{border-bottom:1px solid #eee;padding:.3rem 0}
details.speaker summary{cursor:pointer}
details.speaker .meta{font-family:inherit;font-size:.85rem}
.variants{font-size:.85rem;color:#555;margin:.2rem 0}
ol.quotes{margin:.2rem 0;padding-inline-start:1.4rem}
ol.quotes blockquote{margin:.2rem 0;padding:.1rem .6rem;border-inline-start:3px solid #90caf9;background:#f8fbff}
ol.quotes .src{margin:0 0 .5rem;font-size:.82rem;color:#555}
.id{font-family:"DejaVu Sans Mono",monospace;font-size:.75rem;color:#888}
"""

#: sorting (click a column head) and filtering of the long tables; logs nothing
SCRIPT = """
(function () {
  function key(row, col, numeric) {
    var cell = row.cells[col], v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent; }
    return numeric ? (parseFloat(v) || 0) : v;
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a, col, numeric), y = key(b, col, numeric);
          var c = numeric ? x - y : String(x).localeCompare(String(y), "ar");
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter]"), function (box) {
    var table = document.getElementById(box.getAttribute("data-filter"));
    var text = box.querySelector("input"), type = box.querySelector("select"), out = box.querySelector("output");
    function apply() {
      var q = text.value.trim().toLowerCase(), t = type ? type.value : "", shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        var ok = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) && (!t || r.getAttribute("data-type") === t);
        r.hidden = !ok;
        if (ok) { shown += 1; }
      });
      out.textContent = shown + " / " + table.tBodies[0].rows.length;
    }
    text.addEventListener("input", apply);
    if (type) { type.addEventListener("change", apply); }
    apply();
  });
})();
"""

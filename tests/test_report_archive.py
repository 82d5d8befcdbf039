"""`qawl report`'s figures: hand-counted aggregates over invented articles, speakers
clustered across articles, the CSV tables, the page as parsed HTML, and user errors."""
from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from qawl.data.archive import (DOMINANT_SHARE, Form, QuoteRecord, _KeyIndex, build_archive, cluster_forms,
                               cluster_speakers, group_rows, name_within, parse_date, quote_rows, readable,
                               speaker_group_rows, speaker_rows)
from qawl.data.article import write_articles
from qawl.data.speakers import key_within, name_key
from qawl.train.archive.page import CHARTS, ReportOptions, render_report
from qawl.train.archive.tables import TABLES
from report_articles import MUTAIRI, invented_articles
from test_show import Tree

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def archive():
    return build_archive(invented_articles())


def qawl(*args: str) -> subprocess.CompletedProcess:
    """The command line run here (torch, which its error handler imports, is loaded already), as a process would."""
    from qawl.train.commands.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(["qawl", *args], code, out.getvalue(), err.getvalue())


# --- hand counts (see tests/report_articles.py for the articles) ---------------------------

def test_speakers_across_articles_are_one_row_each(archive):
    rows = {r["speaker"]: r for r in speaker_rows(archive)}
    assert len(archive.quotes) == 21 and len(rows) == 10
    # (quotes, direct, indirect, articles, outlets, first date, last date, type)
    assert {name: (r["quotes"], r["direct"], r["indirect"], r["articles"], r["outlets"], r["first_date"],
                   r["last_date"], r["type"]) for name, r in rows.items()} == {
        "فهد كفاين": (6, 1, 5, 2, 2, "2018-04-20", "2018-05-02", "person"),
        MUTAIRI: (4, 2, 2, 3, 2, "2018-03-05", "2018-04-10", "person"),
        "جون بيترسن": (2, 1, 1, 2, 2, "2018-03-20", "2018-04-10", "person"),
        "<script>alert(1)</script>": (1, 0, 1, 1, 0, None, None, "unknown"),
        "الحربي": (1, 0, 1, 1, 0, None, None, "person"),
        "المنصوري": (1, 0, 1, 1, 1, "2018-05-02", "2018-05-02", "person"),
        "سعد الحربي": (1, 1, 0, 1, 1, "2018-04-15", "2018-04-15", "person"),
        "فهد الحربي": (1, 0, 1, 1, 1, "2018-04-15", "2018-04-15", "person"),
        "ليلى كفاين": (1, 0, 1, 1, 1, "2018-04-20", "2018-04-20", "person"),
        "مجموعة المنصوري": (1, 0, 1, 1, 0, None, None, "organisation"),
    }
    assert rows["فهد كفاين"]["share"] == pytest.approx(6 / 21) and rows[MUTAIRI]["share"] == pytest.approx(4 / 21)
    # the fullest form names the row; every spelling is listed with its quotes, most first
    assert rows[MUTAIRI]["variants"] == f"{MUTAIRI} (2) | المطيري (1) | عبد الكريم المطيري (1)"
    assert rows["جون بيترسن"]["variants"] == "جون بيترسن (1) | جون بيترسون (1)"
    assert rows["فهد كفاين"]["variants"] == "فهد كفاين (5) | كفاين (1)"
    # ranked by quotes, ties by name
    assert [r["speaker_id"] for r in speaker_rows(archive)] == list(range(1, 11))
    assert [r["speaker"] for r in speaker_rows(archive)][:4] == ["فهد كفاين", MUTAIRI, "جون بيترسن",
                                                                 "<script>alert(1)</script>"]


GROUPS = ("articles", "quotes", "direct", "indirect", "attributed", "anonymous", "unattributed", "speakers")


def counts(rows: list[dict], group: str) -> dict:
    return {r[group]: tuple(r[k] for k in GROUPS) for r in rows}


def test_outlets_months_and_categories_are_counted_by_hand(archive):
    outlets = group_rows(archive, "outlet")
    assert [r["outlet"] for r in outlets] == ["صحيفة الأفق", "قناة المدار", None]  # most quotes first, unknown last
    assert counts(outlets, "outlet") == {
        "صحيفة الأفق": (4, 12, 3, 9, 10, 1, 1, 4),
        "قناة المدار": (3, 6, 2, 4, 6, 0, 0, 6),
        None: (1, 3, 0, 3, 3, 0, 0, 3),
    }
    assert outlets[0]["anonymous_share"] == pytest.approx(1 / 12) and outlets[1]["anonymous_share"] == 0
    months = group_rows(archive, "month")
    assert [r["month"] for r in months] == ["2018-03", "2018-04", "2018-05", None]  # calendar order
    assert counts(months, "month") == {
        "2018-03": (2, 5, 2, 3, 4, 1, 0, 2),
        "2018-04": (3, 11, 3, 8, 10, 0, 1, 6),
        "2018-05": (2, 2, 0, 2, 2, 0, 0, 2),
        None: (1, 3, 0, 3, 3, 0, 0, 3),
    }
    categories = group_rows(archive, "category")
    assert [r["category"] for r in categories] == ["رياضة", "اقتصاد", "سياسة", None]  # 8, 5, 5 (ties by name)
    assert counts(categories, "category") == {
        "رياضة": (2, 8, 1, 7, 8, 0, 0, 3),
        "اقتصاد": (2, 5, 2, 3, 4, 0, 1, 2),
        "سياسة": (3, 5, 2, 3, 4, 1, 0, 3),
        None: (1, 3, 0, 3, 3, 0, 0, 3),
    }
    assert archive.dates == ("2018-03-05", "2018-05-10") and archive.undated == 1


def test_speakers_per_outlet_month_and_category(archive):
    by_outlet = {(r["speaker"], r["outlet"]): (r["quotes"], r["share"]) for r in speaker_group_rows(archive, "outlet")}
    assert by_outlet[(MUTAIRI, "صحيفة الأفق")] == (3, pytest.approx(3 / 12))
    assert by_outlet[(MUTAIRI, "قناة المدار")] == (1, pytest.approx(1 / 6))
    assert by_outlet[("فهد كفاين", "صحيفة الأفق")] == (5, pytest.approx(5 / 12))
    assert by_outlet[("الحربي", None)] == (1, pytest.approx(1 / 3))
    assert sum(q for q, _ in by_outlet.values()) == 19  # every attributed quote once
    rows = speaker_group_rows(archive, "category")
    sports = [r["speaker"] for r in rows if r["category"] == "رياضة"]
    assert sports == ["فهد كفاين", "المنصوري", "ليلى كفاين"]  # most quoted first
    by_month = Counter({r["month"]: r["quotes"] for r in speaker_group_rows(archive, "month")
                        if r["speaker"] == MUTAIRI})
    assert by_month == {"2018-03": 3, "2018-04": 1}


def test_quote_rows_carry_speaker_row_and_article(archive):
    rows = list(quote_rows(archive))
    assert len(rows) == 21
    assert [r["anonymous"] for r in rows].count(True) == 1
    anonymous = next(r for r in rows if r["anonymous"])
    assert (anonymous["article_id"], anonymous["quote"], anonymous["speaker"]) == ("A1", 2, None)
    a3 = [r for r in rows if r["article_id"] == "A3"]
    assert [r["speaker_as_written"] for r in a3] == ["جون بيترسون", "المطيري", None]
    assert [r["speaker"] for r in a3] == ["جون بيترسن", MUTAIRI, None]
    assert a3[0]["content"] == "النمو سيعود" and a3[0]["date"] == "2018-04-10" and a3[0]["kind"] == "direct"


# --- clustering rules ------------------------------------------------------------------------

def forms(*named: tuple[str, int]) -> list[Form]:
    """Forms of (speaker string, quotes) with no entity label."""
    return [Form(name_key(name), Counter({name: n})) for name, n in named]


def groups(fs: list[Form]) -> set[frozenset[str]]:
    heads = cluster_forms(fs)
    out: dict[int, set[str]] = {}
    for form, head in zip(fs, heads):
        out.setdefault(head, set()).add(form.name)
    return {frozenset(g) for g in out.values()}


def test_near_spellings_join_their_head_only_never_a_chain():
    # هازار ~ هازارد (one more last letter after a shared given name) ~ هازاردز, but هازار !~ هازاردز
    fs = forms(("جون هازار", 5), ("جون هازارد", 3), ("جون هازاردز", 1))
    assert groups(fs) == {frozenset({"جون هازار", "جون هازارد"}), frozenset({"جون هازاردز"})}


def test_one_word_names_need_the_same_consonants():
    assert name_within(name_key("بوتن"), name_key("بوتين")) and name_within(name_key("ميركل"), name_key("ماركل"))
    # one more letter at the end joins names within an article, not across an archive
    assert key_within(name_key("هازار"), name_key("هازارد")) and key_within(name_key("بوتين"), name_key("بواتينغ"))
    assert not name_within(name_key("هازار"), name_key("هازارد"))
    assert not name_within(name_key("بوتين"), name_key("بواتينغ"))
    assert groups(forms(("ميركل", 9), ("ماركل", 2), ("ماركا", 4))) == {frozenset({"ميركل", "ماركل"}),
                                                                       frozenset({"ماركا"})}


def test_a_short_name_joins_a_dominant_fuller_name_only():
    assert DOMINANT_SHARE == 0.8
    fs = forms(("فهد كفاين", 4), ("ليلى كفاين", 1), ("كفاين", 2))  # 4 / 5 = 0.8: his
    assert frozenset({"فهد كفاين", "كفاين"}) in groups(fs)
    fs = forms(("فهد كفاين", 3), ("ليلى كفاين", 1), ("كفاين", 2))  # 3 / 4 < 0.8: nobody's
    assert frozenset({"كفاين"}) in groups(fs)


def test_types_keep_a_person_and_an_organisation_apart():
    quotes = [QuoteRecord(0, 0, "مجموعة المنصوري", "ORG", "direct", True, "x"),
              QuoteRecord(1, 0, "المنصوري", "PER", "direct", True, "y"),
              QuoteRecord(2, 0, "المنصوري", None, "direct", True, "z"),
              QuoteRecord(3, 0, "وزارة الصحة", None, "direct", True, "w")]
    speakers, of = cluster_speakers(quotes)
    assert [(s.name, s.type) for s in speakers] == [("المنصوري", "PER"), ("مجموعة المنصوري", "ORG"),
                                                   ("وزارة الصحة", "ORG")]  # the last by its first word
    assert of == [1, 0, 0, 2]


NAMES = ("عبد الكريم بن سالم المطيري", "عبد الكريم المطيري", "المطيري", "لمونفس", "مونفس", "جون مونفس",
         "جون بيترسن", "جون بيترسون", "بيترسون", "هازار", "هازارد", "جون هازار", "جون هازارد", "محمد", "محمود",
         "محمد المطيري", "ولي العهد", "وزير الخارجية سيرغي لافروف", "لافروف", "سيرغي لافروف", "وليد", "ليد",
         "بوتين", "بوتن", "بواتينغ", "المالكي", "مالك", "ترامب", "ترمب", "دونالد ترامب", "إيفانكا ترامب")


def test_the_key_index_finds_every_fuller_key_the_rule_finds():
    fs = forms(*((n, 1) for n in NAMES))
    index = _KeyIndex(fs)
    for i, f in enumerate(fs):
        want = [j for j, g in enumerate(fs) if j != i and len(g.key) >= len(f.key) and name_within(f.key, g.key)]
        assert index.containers(i) == want, f.name


def test_dates_iso_and_rfc2822_as_published():
    assert parse_date("2018-02-18") == datetime.date(2018, 2, 18)
    assert parse_date("2018-02-18T23:30:00+04:00") == datetime.date(2018, 2, 18)
    assert parse_date("Sun, 18 Feb 2018 21:35:43 +0400") == datetime.date(2018, 2, 18)
    assert parse_date("Sun, 18 Feb 2018 23:59:00 -1100") == datetime.date(2018, 2, 18)  # no shift to UTC
    assert parse_date("Tue, 10 Apr 2018 08:30:00 GMT") == datetime.date(2018, 4, 10)
    assert parse_date("yesterday") is None and parse_date("") is None and parse_date(20180218) is None


def test_readable_accepts_what_the_report_reads_and_nothing_else():
    art = invented_articles()[0]
    assert readable(art)
    assert not readable(dict(art, id=""))
    assert not readable(dict(art, quotes=[dict(art["quotes"][0], kind="reported")]))
    assert not readable(dict(art, quotes=[dict(art["quotes"][0], content=[0, 10_000])]))
    assert not readable(dict(art, entities=[{"start": 0, "end": 3, "label": "PERSON"}]))
    assert readable(dict(art, entities=None, quotes=None))


# --- the command, its tables and its page -------------------------------------------------

@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> dict:
    """`qawl report` over the invented articles (split over two files), with checkpoint scores and CSV."""
    tmp = tmp_path_factory.mktemp("report")
    arts = invented_articles()
    write_articles(tmp / "part1.jsonl", arts[:3])
    write_articles(tmp / "part2.jsonl.gz", arts[3:])
    (tmp / "ckpt").mkdir()
    scores = {"dev": {"attribution_accuracy": 0.5}, "test": {"attribution_accuracy": 0.75, "ner_f1": 0.8}}
    (tmp / "ckpt" / "scores.json").write_text(json.dumps(scores))
    res = qawl("report", str(tmp / "part1.jsonl"), str(tmp / "part2.jsonl.gz"), "-o", str(tmp / "out" / "r.html"),
               "--csv", str(tmp / "csv"), "--checkpoint", str(tmp / "ckpt"), "--quotes-each", "3")
    assert res.returncode == 0, res.stderr
    return {"dir": tmp, "res": res, "page": (tmp / "out" / "r.html").read_text(encoding="utf-8")}


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_tables_have_the_documented_columns_and_the_counts(reported):
    folder = reported["dir"] / "csv"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{name}.csv" for name in TABLES)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, (columns, _) in TABLES.items():
        with open(folder / f"{name}.csv", encoding="utf-8", newline="") as fh:
            assert tuple(next(csv.reader(fh))) == columns
        documented = re.search(rf"^\| `{name}\.csv` \| (.+?) \|", readme, re.M)
        assert documented, f"README documents no {name}.csv"
        assert tuple(re.findall(r"`(\w+)`", documented.group(1))) == columns, name
    speakers = read_csv(folder / "speakers.csv")
    assert [(r["speaker"], r["quotes"], r["share"]) for r in speakers[:2]] == [
        ("فهد كفاين", "6", f"{6 / 21:.4f}"), (MUTAIRI, "4", f"{4 / 21:.4f}")]
    assert speakers[3]["first_date"] == "" and speakers[3]["type"] == "unknown"
    outlets = read_csv(folder / "outlets.csv")
    assert [(r["outlet"], r["quotes"], r["anonymous"]) for r in outlets] == [
        ("صحيفة الأفق", "12", "1"), ("قناة المدار", "6", "0"), ("", "3", "0")]
    quotes = read_csv(folder / "quotes.csv")
    assert len(quotes) == 21 and sum(r["anonymous"] == "true" for r in quotes) == 1
    assert "21 quote(s), 10 speaker(s)" in reported["res"].stderr


def test_page_is_self_contained_rtl_and_escaped(reported):
    page = reported["page"]
    assert page.startswith("<!DOCTYPE html>") and '<html dir="rtl" lang="ar">' in page
    for external in ("src=", "<link", "@import", "url("):
        assert external not in page
    # the only addresses are the articles' own links
    assert set(re.findall(r"https?://[^\"'<> ]+", page)) == {f"https://example.org/a{k}" for k in (1, 2, 6, 7)}
    tree = Tree(page)
    assert [n for n in tree.root.walk() if n.tag == "script"] and len(re.findall("<script>", page)) == 1
    text = tree.root.text()
    assert "<script>alert(1)</script>" in text  # the speaker, shown as text
    assert "<script>alert('title')</script> تقرير السوق" in text  # the title, as text and not linked
    assert "javascript:" not in page.lower()
    charts = [n for n in tree.root.walk() if n.tag == "figure"]
    assert [n.attrs["data-chart"] for n in charts] == list(CHARTS)


def test_page_figures_match_the_tables(reported):
    tree = Tree(reported["page"])
    cards = {n.attrs["data-stat"]: n.attrs["data-value"] for n in tree.root.walk() if "card" in n.classes()}
    assert cards == {"articles": "8", "quotes": "21", "direct": "5", "speakers": "10", "anonymous": "1",
                     "dates": "2018-03-05/2018-05-10"}
    bars = {n.attrs["data-chart"]: [(b.attrs["data-label"], float(b.attrs["data-value"]))
                                    for b in n.walk() if "bar" in b.classes()]
            for n in tree.root.walk() if n.tag == "figure"}
    assert bars["top-speakers"][:2] == [("فهد كفاين", 6), (MUTAIRI, 4)] and len(bars["top-speakers"]) == 10
    assert len(bars["top-people"]) == 8 and bars["top-organisations"] == [("مجموعة المنصوري", 1)]
    assert [v for _, v in bars["outlets"]] == [12, 6, 3] and [v for _, v in bars["months"]] == [5, 11, 2, 3]
    assert bars["anonymous-by-outlet"][0] == ("صحيفة الأفق", pytest.approx(100 / 12))
    tables = {n.attrs["data-table"]: n for n in tree.root.walk() if n.tag == "table" and "data-table" in n.attrs}
    assert set(tables) == set(TABLES) - {"quotes"}
    body = next(c for c in tables["speakers"].children if c.tag == "tbody")
    assert len(body.children) == 10
    # each listed speaker's quotes, newest first, at most --quotes-each
    fahd = next(n for n in tree.root.walk() if n.attrs.get("id") == "speaker-1")
    assert fahd.attrs["data-quotes"] == "6"
    assert [li.attrs["data-article"] for li in fahd.walk() if li.tag == "li"] == ["A7", "A6", "A6"]
    scores = {n.attrs["data-score"]: n.text() for n in tree.root.walk() if "data-score" in n.attrs}
    assert set(scores) == {"attribution_accuracy", "ner_f1"}  # the test split
    assert "0.750" in scores["attribution_accuracy"] and "25.0%" in scores["attribution_accuracy"]


def test_page_limits_rows_and_says_so():
    arch = build_archive(invented_articles())
    page = render_report(arch, ReportOptions(rows=3, top=2, quotes_for=1))
    tree = Tree(page)
    table = next(n for n in tree.root.walk() if n.attrs.get("data-table") == "speakers")
    assert len(next(c for c in table.children if c.tag == "tbody").children) == 3
    assert "3 / 10" in tree.root.text()
    assert [n.attrs["id"] for n in tree.root.walk() if "speaker" in n.classes()] == ["speaker-1"]
    top = next(n for n in tree.root.walk() if n.attrs.get("data-chart") == "top-speakers")
    assert top.attrs["data-bars"] == "2"


@pytest.mark.parametrize("case", ["missing", "bad-json", "empty", "bad-article"])
def test_user_mistakes_get_one_line_and_nothing_written(tmp_path, case):
    pred = tmp_path / "pred.jsonl"
    if case == "bad-json":
        pred.write_text('{"id": "x", "text": "نص"}\n{"id": \n', encoding="utf-8")
    elif case == "empty":
        pred.write_text("\n", encoding="utf-8")
    elif case == "bad-article":
        write_articles(pred, [{"id": "x", "text": "نص", "quotes": [{"content": [0, 2], "kind": "reported"}]}])
    res = qawl("report", str(pred), "-o", str(tmp_path / "r.html"), "--csv", str(tmp_path / "csv"))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    expected = {"missing": f"qawl: {pred}: No such file or directory",
                "bad-json": f"{pred}:2: malformed JSON", "empty": f"no articles in {pred}",
                "bad-article": f"{pred}:1: article 'x': quote 0: 'kind' must be one of"}[case]
    assert expected in res.stderr
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "csv").exists()


def test_the_installed_command_reports_a_missing_file_in_one_line(tmp_path):
    res = subprocess.run([sys.executable, "-m", "qawl", "report", str(tmp_path / "none.jsonl")], cwd=tmp_path,
                         capture_output=True, text=True)
    assert (res.returncode, res.stderr) == (1, f"qawl: {tmp_path / 'none.jsonl'}: No such file or directory\n")
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_without_scores_is_one_line_or_said_on_the_page(tmp_path):
    write_articles(tmp_path / "pred.jsonl", invented_articles()[:1])
    (tmp_path / "ckpt").mkdir()
    res = qawl("report", str(tmp_path / "pred.jsonl"), "-o", str(tmp_path / "r.html"), "--checkpoint",
               str(tmp_path / "ckpt"))
    missing = tmp_path / "ckpt" / "scores.json"
    assert res.returncode == 1 and res.stderr.strip() == f"qawl: {missing}: No such file or directory"
    (tmp_path / "ckpt" / "scores.json").write_text("[1, 2]")
    res = qawl("report", str(tmp_path / "pred.jsonl"), "-o", str(tmp_path / "r.html"), "--checkpoint",
               str(tmp_path / "ckpt"))
    assert res.returncode == 1 and "no scores per split" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "r.html").exists()
    (tmp_path / "ckpt" / "scores.json").write_text("{}")  # trained with no split to score: the page says so
    res = qawl("report", str(tmp_path / "pred.jsonl"), "-o", str(tmp_path / "r.html"), "--checkpoint",
               str(tmp_path / "ckpt"))
    assert res.returncode == 0, res.stderr
    assert "No scores for the model" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_report_reads_what_qawl_predict_writes(tmp_path, tiny_checkpoint):
    """`qawl predict`'s code (an untrained tiny checkpoint: its quotes are arbitrary) then `qawl report`:
    every predicted quote is counted once, with the ids and titles the input carried."""
    from qawl.data.article import read_articles
    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    articles = [dict(a, title=f"عنوان {a['id']}") for a in read_articles(ROOT / "data" / "sample" / "test.jsonl")]
    preds = predict_articles(*load_checkpoint(tiny_checkpoint), articles)  # what `qawl predict` writes
    write_articles(tmp_path / "pred.jsonl", preds)
    res = qawl("report", str(tmp_path / "pred.jsonl"), "-o", str(tmp_path / "r.html"), "--csv", str(tmp_path / "csv"))
    assert res.returncode == 0, res.stderr
    quotes = read_csv(tmp_path / "csv" / "quotes.csv")
    assert quotes and len(quotes) == sum(len(p["quotes"]) for p in preds)
    per_article = Counter({p["id"]: len(p["quotes"]) for p in preds if p["quotes"]})
    assert Counter(r["article_id"] for r in quotes) == per_article
    assert {r["title"] for r in quotes} <= {a["title"] for a in articles}
    tree = Tree((tmp_path / "r.html").read_text(encoding="utf-8"))
    cards = {n.attrs["data-stat"]: n.attrs["data-value"] for n in tree.root.walk() if "card" in n.classes()}
    assert cards["articles"] == str(len(preds)) and cards["quotes"] == str(len(quotes))

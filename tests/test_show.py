"""`qawl show`: the HTML page of predictions vs gold, checked as parsed HTML and as rendered by headless Chromium."""
from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qawl.data.article import ArticleError, layer_spans, validate_articles, write_articles
from qawl.data.words import split_words
from qawl.train.evaluation.html import Mark, ShownArticle, pair_articles, render_page, render_text

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium")

# --- articles written for these tests -------------------------------------------------

TEXT_1 = (
    "قال وزير الخارجية ناصر بوريطة إن “المغرب يدعم مبادرة الأمم المتحدة في الساحل”.\n"
    "وأضاف بوريطة أن الحوار مع الجزائر ما زال ممكنا.\n"
    "وتشارك شركة سين & كاف في المشروع <التجريبي>."
)
# the quote runs over a paragraph break; the predicted ORG crosses the start of the SOURCE
TEXT_2 = (
    "وصرحت المتحدثة باسم منظمة الصحة العالمية ليلى منصور: “الوضع في المنطقة صعب.\n"
    "ونحتاج إلى دعم عاجل”."
)
TEXT_3 = "أعلنت بلدية طنجة عن افتتاح حديقة جديدة."


def at(text: str, sub: str, nth: int = 0) -> list[int]:
    """[start, end] of the nth occurrence of ``sub`` in ``text``."""
    s = -1
    for _ in range(nth + 1):
        s = text.index(sub, s + 1)
    return [s, s + len(sub)]


def ent(text: str, sub: str, label: str, nth: int = 0) -> dict:
    s, e = at(text, sub, nth)
    return {"start": s, "end": e, "label": label}


def quote(text: str, content: str, source: str | None, cue: str | None, speaker: str | None, kind: str, nth: int = 0) -> dict:
    return {
        "content": at(text, content),
        "source": None if source is None else at(text, source, nth),
        "cue": None if cue is None else at(text, cue),
        "speaker": speaker,
        "kind": kind,
    }


def gold_articles() -> list[dict]:
    t1, t2, t3 = TEXT_1, TEXT_2, TEXT_3
    return validate_articles([
        {
            "id": "show-1", "title": "بوريطة يتحدث عن الساحل", "text": t1,
            "entities": [
                ent(t1, "ناصر بوريطة", "PER"), ent(t1, "المغرب", "LOC"), ent(t1, "الأمم المتحدة", "ORG"),
                ent(t1, "الساحل", "LOC"), ent(t1, "بوريطة", "PER", 1), ent(t1, "الجزائر", "LOC"),
                ent(t1, "سين & كاف", "ORG"),
            ],
            "quotes": [
                quote(t1, "المغرب يدعم مبادرة الأمم المتحدة في الساحل", "ناصر بوريطة", "قال", "ناصر بوريطة", "direct"),
                quote(t1, "الحوار مع الجزائر ما زال ممكنا", "بوريطة", "وأضاف", "ناصر بوريطة", "indirect", nth=1),
            ],
        },
        {
            "id": "show-2", "text": t2,
            "entities": [ent(t2, "منظمة الصحة العالمية", "ORG"), ent(t2, "ليلى منصور", "PER")],
            "quotes": [quote(t2, "الوضع في المنطقة صعب.\nونحتاج إلى دعم عاجل", "ليلى منصور", "وصرحت", "ليلى منصور", "direct")],
        },
        {"id": "show-3", "text": t3, "entities": [ent(t3, "طنجة", "LOC")], "quotes": []},
    ])


def pred_articles() -> list[dict]:
    """Predictions for show-1 and show-2 (show-3 has none) with misses and false alarms."""
    t1, t2 = TEXT_1, TEXT_2
    return validate_articles([
        {
            "id": "show-1", "text": t1,
            "entities": [
                ent(t1, "الخارجية", "ORG"),  # false alarm
                ent(t1, "ناصر بوريطة", "PER"), ent(t1, "المغرب", "LOC"), ent(t1, "الأمم المتحدة", "ORG"),
                # "الساحل" missed
                ent(t1, "بوريطة", "PER", 1), ent(t1, "الجزائر", "LOC"), ent(t1, "سين & كاف", "ORG"),
            ],
            "quotes": [
                quote(t1, "المغرب يدعم مبادرة الأمم المتحدة في الساحل", "ناصر بوريطة", "قال", "ناصر بوريطة", "direct"),
                quote(t1, "الحوار مع الجزائر ما زال ممكنا", "بوريطة", None, "بوريطة", "indirect", nth=1),  # CUE missed
            ],
        },
        {
            "id": "show-2", "text": t2,
            "entities": [ent(t2, "منظمة الصحة العالمية ليلى", "ORG")],  # crosses the SOURCE; both gold entities missed
            "quotes": [quote(t2, "الوضع في المنطقة صعب.\nونحتاج إلى دعم عاجل", "ليلى منصور", "وصرحت", "ليلى منصور", "direct")],
        },
    ])


# --- a small DOM built from the HTML, checking that every element is closed in order ----------

VOID = {"meta", "br", "img", "hr", "input", "link", "col", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict):
        self.tag, self.attrs, self.children = tag, attrs, []

    def walk(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.walk()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class Tree(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]
        self.feed(page)
        self.close()
        assert self.stack == [self.root], f"unclosed elements: {[n.tag for n in self.stack[1:]]}"

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def articles_in(tree: Tree) -> dict[str, Node]:
    return {n.attrs["data-id"]: n for n in tree.root.walk() if n.tag == "article"}


def side_of(article: Node, side: str) -> Node:
    found = [n for n in article.walk() if n.tag == "section" and {"side", side} <= n.classes()]
    assert len(found) == 1, f"expected one {side} column, found {len(found)}"
    return found[0]


def mark_keys(node: Node, side: str) -> Counter:
    return Counter(
        (n.attrs["data-layer"], n.attrs["data-label"], int(n.attrs["data-start"]), int(n.attrs["data-end"]))
        for n in node.walk() if n.attrs.get("data-side") == side
    )


def span_keys(art: dict) -> Counter:
    return Counter((layer, lab, s, e) for layer in ("ner", "quote") for s, e, lab in layer_spans(art, layer) or [])


def paragraphs_text(section: Node) -> str:
    body = [n for n in section.walk() if "text" in n.classes()]
    assert len(body) == 1
    return "\n".join(p.text() for p in body[0].children if isinstance(p, Node) and p.tag == "p")


def check_page(tree: Tree, preds: list[dict], golds: dict[str, dict]) -> None:
    """One mark per span on each side, the text intact, and each span's fragments holding exactly its text."""
    arts = articles_in(tree)
    assert set(arts) == {p["id"] for p in preds}
    all_pred = Counter()
    for p in preds:
        node = arts[p["id"]]
        sides = [("pred", p)] + ([("gold", golds[p["id"]])] if p["id"] in golds else [])
        for side, art in sides:
            section = side_of(node, side)
            assert mark_keys(section, side) == span_keys(art)
            other = "gold" if side == "pred" else "pred"
            assert not mark_keys(section, other)
            assert paragraphs_text(section) == art["text"]
            for m in (n for n in section.walk() if n.attrs.get("data-side") == side):
                s, e = int(m.attrs["data-start"]), int(m.attrs["data-end"])
                same = m.classes()
                pieces = [
                    n for n in section.walk()
                    if n is m or ("cont" in n.classes() and n.attrs.get("data-of") == f"{s}-{e}" and n.classes() - {"cont"} == same)
                ]
                # a span over a paragraph break is cut there; the break itself lies between the <p> elements
                assert "".join(n.text() for n in pieces) == art["text"][s:e].replace("\n", "")
        all_pred += mark_keys(node, "pred")
    assert sum(all_pred.values()) == sum(sum(span_keys(p).values()) for p in preds)


# --- fixtures ------------------------------------------------------------------------------

def qawl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qawl", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> dict:
    """The page `qawl show` writes for the test predictions against the test gold."""
    tmp = tmp_path_factory.mktemp("show")
    write_articles(tmp / "pred.jsonl", pred_articles())
    write_articles(tmp / "gold.jsonl", gold_articles())
    res = qawl("show", str(tmp / "pred.jsonl"), "--gold", str(tmp / "gold.jsonl"), "-o", str(tmp / "out" / "report.html"))
    assert res.returncode == 0, res.stderr
    assert "show-3" in res.stderr  # the gold article with no prediction is named
    page = (tmp / "out" / "report.html").read_text(encoding="utf-8")
    return {"dir": tmp, "path": tmp / "out" / "report.html", "page": page}


# --- tests ---------------------------------------------------------------------------------

def test_page_is_self_contained_rtl_utf8(shown):
    page = shown["page"]
    assert page.startswith("<!DOCTYPE html>")
    assert '<html dir="rtl" lang="ar">' in page
    assert '<meta charset="utf-8">' in page
    for external in ("http://", "https://", "src=", "<link", "@import", "url("):
        assert external not in page


def test_one_mark_per_span_with_text_intact(shown):
    tree = Tree(shown["page"])
    golds = {g["id"]: g for g in gold_articles()}
    check_page(tree, pred_articles(), golds)


def test_quote_parts_hold_entities(shown):
    """Entities inside a CONTENT are elements inside the CONTENT element."""
    tree = Tree(shown["page"])
    pred = side_of(articles_in(tree)["show-1"], "pred")
    content = next(n for n in pred.walk() if n.attrs.get("data-label") == "CONTENT" and n.attrs.get("data-quote") == "0")
    inner = {(n.attrs["data-label"], n.text()) for n in content.walk() if n.attrs.get("data-layer") == "ner"}
    assert inner == {("LOC", "المغرب"), ("ORG", "الأمم المتحدة")}  # "الساحل" is missed by the prediction
    assert content.attrs["data-speaker"] == "ناصر بوريطة" and content.attrs["data-kind"] == "direct"
    assert "ناصر بوريطة" in content.attrs["data-tag"]


def test_crossing_span_is_cut_into_fragments(shown):
    tree = Tree(shown["page"])
    pred = side_of(articles_in(tree)["show-2"], "pred")
    s, e = at(TEXT_2, "منظمة الصحة العالمية ليلى")
    org = [n for n in pred.walk() if {"ner", "ORG"} <= n.classes()]
    assert len(org) == 2  # before the SOURCE, then inside it
    assert org[0].attrs["data-side"] == "pred" and "cont" in org[1].classes() and org[1].attrs["data-of"] == f"{s}-{e}"
    source = next(n for n in pred.walk() if n.attrs.get("data-label") == "SOURCE")
    assert org[1] in list(source.walk())


def test_misses_and_false_alarms_are_marked(shown):
    tree = Tree(shown["page"])
    arts = articles_in(tree)
    golds = {g["id"]: g for g in gold_articles()}
    seen = Counter()
    for p in pred_articles():
        g = golds[p["id"]]
        pred_keys, gold_keys = span_keys(p), span_keys(g)
        for side, own, other, absent in (("pred", pred_keys, gold_keys, "false-alarm"), ("gold", gold_keys, pred_keys, "miss")):
            for n in side_of(arts[p["id"]], side).walk():
                if n.attrs.get("data-side") != side:
                    continue
                key = (n.attrs["data-layer"], n.attrs["data-label"], int(n.attrs["data-start"]), int(n.attrs["data-end"]))
                want = "hit" if key in other else absent
                assert n.attrs["data-status"] == want and want in n.classes(), key
                seen[(p["id"], side, want, n.text())] += 1
    assert seen[("show-1", "gold", "miss", "الساحل")] == 1
    assert seen[("show-1", "pred", "false-alarm", "الخارجية")] == 1
    assert seen[("show-1", "gold", "miss", "وأضاف")] == 1
    assert ".mk.miss{" in shown["page"] and ".mk.false-alarm{" in shown["page"]


def expected_scores(p: dict, g: dict) -> dict[str, float]:
    """Scores worked out here from the spans, independently of the metric modules."""
    def prf(tp, n_pred, n_gold):
        pr = tp / n_pred if n_pred else 0.0
        rc = tp / n_gold if n_gold else 0.0
        return pr, rc, (2 * pr * rc / (pr + rc) if pr + rc else 0.0)

    pe, ge = set(layer_spans(p, "ner")), set(layer_spans(g, "ner"))
    pr, rc, f1 = prf(len(pe & ge), len(pe), len(ge))
    pc = {tuple(q["content"]) for q in p["quotes"]}
    gc = {tuple(q["content"]) for q in g["quotes"]}
    words = split_words(g["text"])

    def covered(spans):
        return {k for k, (s, e) in enumerate(words) if any(a <= s and e <= b for a, b in spans)}

    pw, gw = covered(pc), covered(gc)
    return {
        "ner_precision": pr, "ner_recall": rc, "ner_f1": f1,
        "content_exact_f1": prf(len(pc & gc), len(pc), len(gc))[2],
        "content_overlap_f1": prf(len(pw & gw), len(pw), len(gw))[2],
    }


def test_score_line_per_article(shown):
    tree = Tree(shown["page"])
    arts = articles_in(tree)
    golds = {g["id"]: g for g in gold_articles()}
    for p in pred_articles():
        line = [n for n in arts[p["id"]].walk() if "scores" in n.classes()]
        assert len(line) == 1
        got = {n.attrs["data-score"]: float(n.attrs["data-value"]) for n in line[0].walk() if "data-score" in n.attrs}
        want = expected_scores(p, golds[p["id"]])
        assert got == pytest.approx(want), p["id"]
    # show-1: 6 of 7 gold entities found, 1 false alarm
    assert expected_scores(pred_articles()[0], golds["show-1"])["ner_f1"] == pytest.approx(6 / 7)


def test_prediction_only_page_has_one_column_and_no_judgement():
    preds = pred_articles()
    tree = Tree(render_page([ShownArticle(p) for p in preds], "predictions"))
    check_page(tree, preds, {})
    marks = [n for n in tree.root.walk() if "data-side" in n.attrs]
    assert marks and not any("data-status" in n.attrs for n in marks)
    assert not [n for n in tree.root.walk() if "scores" in n.classes()]
    assert not [n for n in tree.root.walk() if n.tag == "section" and "gold" in n.classes()]


def test_text_is_escaped():
    text = "قال <b>علي</b> & \"نحن\""
    m = Mark("ner", "PER", text.index("علي"), text.index("علي") + 3, "pred")
    out = render_text(text, [m])
    assert "<b>" not in out and "&lt;b&gt;" in out and "&amp;" in out
    assert Tree(out).root.text() == text


def test_render_text_rejects_marks_outside_the_text():
    with pytest.raises(ValueError, match=r"outside the text \(length 3\)"):
        render_text("قال", [Mark("ner", "PER", 0, 9, "pred")])


def test_unpaired_or_different_predictions_are_errors(tmp_path):
    golds = gold_articles()
    stray = dict(pred_articles()[0], id="show-9")
    changed = dict(pred_articles()[1], text=TEXT_2.replace("عاجل", "فوري"))
    with pytest.raises(ArticleError) as err:
        pair_articles([stray, changed], golds, "p.jsonl", "g.jsonl", [4, 7])
    lines = [str(p) for p in err.value.problems]
    assert lines[0] == "p.jsonl:4: article 'show-9': no gold article with this id in g.jsonl"
    at_char = TEXT_2.index("عاجل")
    assert lines[1].startswith(f"p.jsonl:7: article 'show-2': text: [{at_char}, {at_char + 1})")
    assert f"from character {at_char}" in lines[1]

    write_articles(tmp_path / "pred.jsonl", [stray])
    write_articles(tmp_path / "gold.jsonl", golds)
    res = qawl("show", str(tmp_path / "pred.jsonl"), "--gold", str(tmp_path / "gold.jsonl"), "-o", str(tmp_path / "x.html"))
    assert res.returncode == 1
    assert f"{tmp_path / 'pred.jsonl'}:1: article 'show-9': no gold article" in res.stderr
    assert not (tmp_path / "x.html").exists()


def chromium_dom(path: Path, profile: Path) -> str:
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--dump-dom", path.as_uri(),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (Debian package 'chromium'); the page is not rendered")
def test_page_renders_in_headless_chromium(shown):
    dom = chromium_dom(shown["path"], shown["dir"] / "profile")
    tree = Tree(dom)
    html_el = next(n for n in tree.root.walk() if n.tag == "html")
    assert html_el.attrs.get("dir") == "rtl" and html_el.attrs.get("lang") == "ar"
    for art in pred_articles():
        for line in art["text"].split("\n"):
            assert line in tree.root.text()
    check_page(tree, pred_articles(), {g["id"]: g for g in gold_articles()})


def test_layer_not_annotated_in_gold_is_not_judged():
    gold = dict(gold_articles()[0], quotes=None)
    pred = pred_articles()[0]
    page = render_page([ShownArticle(pred, gold, {"ner": None, "quote": None})], "entities only")
    tree = Tree(page)
    pred_marks = [n for n in tree.root.walk() if n.attrs.get("data-side") == "pred"]
    assert {n.attrs["data-layer"] for n in pred_marks if "data-status" not in n.attrs} == {"quote"}
    assert all("data-status" in n.attrs for n in pred_marks if n.attrs["data-layer"] == "ner")
    assert not [n for n in tree.root.walk() if n.attrs.get("data-side") == "gold" and n.attrs["data-layer"] == "quote"]
    line = next(n for n in tree.root.walk() if "scores" in n.classes()).text()
    assert "Entities not annotated in gold" in line and "Quotes not annotated in gold" in line
    assert "Quotes: not annotated." in page

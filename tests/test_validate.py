"""`qawl validate`: every problem reported with file, line, article and span."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from qawl.data.article import check_article, check_jsonl, read_articles, write_articles, ArticleError

ROOT = Path(__file__).resolve().parents[1]
TEXT = "قال الوزير عصام لعروسي إن “الوضع مستقر” في المغرب."
#       0123456789...


def qawl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qawl", *args], cwd=ROOT, capture_output=True, text=True)


def offsets(sub: str, text: str = TEXT) -> list[int]:
    s = text.index(sub)
    return [s, s + len(sub)]


def good_article(aid: str = "ok-1") -> dict:
    per = offsets("عصام لعروسي")
    loc = offsets("المغرب")
    return {
        "id": aid,
        "text": TEXT,
        "title": "kept as is",
        "entities": [{"start": per[0], "end": per[1], "label": "PER"}, {"start": loc[0], "end": loc[1], "label": "LOC", "note": "x"}],
        "quotes": [{"content": offsets("الوضع مستقر"), "source": per, "cue": offsets("قال"), "speaker": "عصام لعروسي", "speaker_span": per, "kind": "direct", "extra": 1}],
    }


def broken_lines() -> list[tuple[str, str]]:
    """(JSONL line, a fragment its error message must contain)."""
    cases = []

    def with_(aid, fn, expect):
        a = good_article(aid)
        fn(a)
        cases.append((json.dumps(a, ensure_ascii=False), expect))

    with_("mid-word", lambda a: a["entities"].__setitem__(0, {"start": offsets("عصام")[0] + 1, "end": offsets("عصام لعروسي")[1], "label": "PER"}), "does not start at the start of a word")
    with_("outside", lambda a: a["entities"].__setitem__(1, {"start": 40, "end": 400, "label": "LOC"}), "outside the text")
    with_("reversed", lambda a: a["entities"].__setitem__(1, {"start": 30, "end": 20, "label": "LOC"}), "end must be greater than start")
    with_("label", lambda a: a["entities"][1].__setitem__("label", "GPE"), "unknown label 'GPE'")
    with_("overlap", lambda a: a["entities"].append({"start": offsets("لعروسي")[0], "end": offsets("لعروسي")[1], "label": "ORG"}), "entities overlap")
    with_("no-content", lambda a: a["quotes"][0].__setitem__("content", None), "CONTENT is required")
    with_("kind", lambda a: a["quotes"][0].__setitem__("kind", "reported"), "'kind' must be one of")
    with_("parts", lambda a: a["quotes"][0].__setitem__("cue", offsets("الوزير عصام")), "quote parts overlap")
    with_("end-mid", lambda a: a["quotes"][0].__setitem__("source", [offsets("عصام")[0], offsets("عصام")[1] - 1]), "does not end at the end of a word")
    with_("speaker-span", lambda a: a["quotes"][0].__setitem__("speaker_span", [offsets("عصام")[0], 400]), "speaker_span")
    cases.append(('{"id": "bad-json", "text": "قال"', "malformed JSON"))
    cases.append((json.dumps({"id": "no-text"}), "missing key 'text'"))
    cases.append((json.dumps({"id": 7, "text": "قال", "entities": "none"}), "'entities' must be a list"))
    return cases


def test_good_article_has_no_problem():
    assert check_article(good_article()) == []


def test_validate_reports_every_problem(tmp_path):
    cases = broken_lines()
    path = tmp_path / "broken.jsonl"
    lines = [json.dumps(good_article(), ensure_ascii=False)] + [line for line, _ in cases]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = qawl("validate", str(path))
    assert res.returncode == 1
    err = res.stderr.splitlines()
    for n, (_, expect) in enumerate(cases, start=2):
        hits = [l for l in err if l.startswith(f"{path}:{n}:")]
        assert any(expect in l for l in hits), (n, expect, hits)
    # the span and the text under it are named
    mid = next(l for l in err if "mid-word" in l)
    assert "[" in mid and "'" in mid and "article 'mid-word'" in mid
    assert "1 valid article(s)" in res.stdout


def test_validate_sample_corpus_passes():
    files = sorted(str(p) for p in (ROOT / "data" / "sample").glob("*.jsonl"))
    assert files, "the sample corpus is missing"
    res = qawl("validate", *files)
    assert res.returncode == 0, res.stderr


def test_extra_keys_survive_round_trip(tmp_path):
    path = tmp_path / "a.jsonl"
    write_articles(path, [good_article()])
    (back,) = read_articles(path)
    assert back == good_article()


def test_read_articles_raises_with_all_problems(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(l for l, _ in broken_lines()[:3]) + "\n", encoding="utf-8")
    try:
        read_articles(path)
    except ArticleError as err:
        assert len(err.problems) >= 3
        assert {p.line for p in err.problems} == {1, 2, 3}
    else:
        raise AssertionError("no error raised")


def test_duplicate_ids_reported(tmp_path):
    path = tmp_path / "d.jsonl"
    write_articles(path, [good_article("x"), good_article("x")])
    _, problems = check_jsonl(path)
    assert any("duplicate id" in p.message and p.line == 2 for p in problems)

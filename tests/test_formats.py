"""Importers and exporters (data/formats) and the ``qawl convert`` command."""
from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qawl.data.article import ArticleError, read_articles
from qawl.data.formats import ConvertOptions, brat, conll, doccano, jsonl, labelstudio, parse_map
from qawl.data.words import split_words
from qawl.train.commands.cli import main

FIX = Path(__file__).resolve().parent / "fixtures" / "formats"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REPO = Path(__file__).resolve().parents[1]


def needs(sub: str):
    return pytest.mark.skipif(not (SHARED / sub).exists(), reason=f"external data {SHARED / sub} is absent")


def surfaces(art: dict) -> list[tuple[str, str]]:
    t = art["text"]
    return [(t[e["start"]:e["end"]], e["label"]) for e in art["entities"]]


def quote_view(art: dict) -> list[tuple]:
    t = art["text"]

    def under(sp):
        return None if sp is None else t[sp[0]:sp[1]]

    return [(under(q["content"]), under(q["source"]), under(q["cue"]), q["speaker"], q["kind"]) for q in art["quotes"]]


def words(text: str) -> list[str]:
    return [text[s:e] for s, e in split_words(text)]


def entity_words(art: dict) -> list[tuple[tuple[str, ...], str]]:
    """Entities as (words, label): CoNLL output re-spaces words, so text may differ in whitespace."""
    return [(tuple(words(s)), lab) for s, lab in surfaces(art)]


def fixture_articles() -> list[dict]:
    return jsonl.read(FIX / "articles.jsonl")[0]


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    rc = main(["convert", *argv])
    got = capsys.readouterr()
    return rc, got.out, got.err


# --- jsonl -----------------------------------------------------------------------

def test_jsonl_round_trip_keeps_unknown_keys(tmp_path):
    raw = [json.loads(line) for line in (FIX / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    arts, notes = jsonl.read(FIX / "articles.jsonl")
    assert arts == raw and notes == []
    jsonl.write(arts, tmp_path / "out.jsonl")
    assert jsonl.read(tmp_path / "out.jsonl")[0] == raw
    assert raw[0]["title"] and raw[2]["meta"]["checked"] is True


def test_jsonl_reports_every_problem_with_its_line(tmp_path):
    good = (FIX / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    bad = json.loads(good[3])
    bad["entities"] = [{"start": 1, "end": 4, "label": "PER"}]  # inside a word
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join([good[0], "{not json", good[0], json.dumps(bad, ensure_ascii=False)]) + "\n",
                 encoding="utf-8")
    with pytest.raises(ArticleError) as err:
        jsonl.read(p)
    lines = sorted(pr.line for pr in err.value.problems)
    assert lines[0] == 2 and 3 in lines and 4 in lines
    assert any("duplicate" in pr.message and pr.article == "fx-1" for pr in err.value.problems)


# --- CoNLL -------------------------------------------------------------------------

def test_conll_reads_sentences_documents_and_repairs():
    arts, notes = conll.read(FIX / "sample.conll", ConvertOptions(group=0))
    assert [a["id"] for a in arts] == ["sample-1", "sample-2"]
    assert surfaces(arts[0]) == [("سمير بن علي", "PER"), ("تونس", "LOC"), ("الاتحاد الأوروبي", "ORG")]
    assert surfaces(arts[1]) == [("ليلى", "PER"), ("باريس", "LOC"), ("نادي الرجاء", "ORG")]
    assert arts[0]["text"].split("\n")[1] == "وحضر ممثلو الاتحاد الأوروبي ."
    assert "quotes" not in arts[0]  # CoNLL does not annotate quotes
    stray = 1 + (FIX / "sample.conll").read_text(encoding="utf-8").splitlines().index("الاتحاد I-ORG")
    repairs = [n for n in notes if n.kind == "repair"]
    assert [(n.line, n.article, n.text) for n in repairs] == [(stray, "sample-1", "الاتحاد")]
    assert any(n.kind == "tag-map" and "PERS -> PER" in n.message for n in notes)

    per_sentence, _ = conll.read(FIX / "sample.conll")
    assert [a["id"] for a in per_sentence] == ["sample-1", "sample-2", "sample-3"]
    assert all("\n" not in a["text"] for a in per_sentence)


def test_conll_io_input():
    arts, notes = conll.read(FIX / "io.conll")
    assert [surfaces(a) for a in arts] == [[("كريم", "PER"), ("الجزائر", "LOC")], [("مصر", "LOC"), ("السودان", "LOC")]]
    assert [n.kind for n in notes] == ["scheme"]
    _, as_bio = conll.read(FIX / "io.conll", ConvertOptions(scheme="bio"))
    assert len([n for n in as_bio if n.kind == "repair"]) == 4


def test_conll_unknown_tags_are_errors_until_mapped(tmp_path):
    p = tmp_path / "typos.txt"
    p.write_text("قال O\nالمدير B-PERSON\nإن OO\nالشركة B-ORG\n\nنجحت O\n", encoding="utf-8")
    with pytest.raises(ArticleError) as err:
        conll.read(p)
    found = {(pr.line, pr.article) for pr in err.value.problems}
    assert found == {(2, "typos-1"), (3, "typos-1")}
    assert "'B-PERSON'" in str(err.value) and "'OO'" in str(err.value)
    arts, _ = conll.read(p, ConvertOptions(tag_map=parse_map("PERSON=PER,OO=O")))
    assert surfaces(arts[0]) == [("المدير", "PER"), ("الشركة", "ORG")]


def test_jsonl_conll_jsonl_keeps_every_entity(tmp_path):
    arts = fixture_articles()
    notes = conll.write(arts, tmp_path / "a.conll")
    back, _ = conll.read(tmp_path / "a.conll", ConvertOptions(group=0))
    assert len(back) == len(arts)
    for a, b in zip(arts, back):
        assert entity_words(a) == entity_words(b)
        assert words(a["text"]) == words(b["text"])
        assert a["text"].count("\n") == b["text"].count("\n")
    n_quotes = sum(len(a.get("quotes") or []) for a in arts)
    assert any(n.kind == "dropped" and f"{n_quotes} quote" in n.message for n in notes)


def test_conll_writer_anercorp_spelling(tmp_path):
    conll.write(fixture_articles(), tmp_path / "a.conll", ConvertOptions(anercorp_tags=True))
    tags = {line.split()[-1] for line in (tmp_path / "a.conll").read_text(encoding="utf-8").splitlines() if line}
    assert "B-PERS" in tags and "B-PER" not in tags
    back, _ = conll.read(tmp_path / "a.conll", ConvertOptions(group=0))
    assert surfaces(back[0]) == surfaces(fixture_articles()[0])


def _count_bio(path: Path, types: dict[str, str]) -> tuple[collections.Counter, list[int]]:
    """Entities per type and the lines of I- tags that start one, counted the conlleval way."""
    counts: collections.Counter = collections.Counter()
    stray: list[int] = []
    prev = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            prev = None
            continue
        tag = line.split()[-1]
        tag = "O" if types.get(tag) == "O" else tag  # a whole bare tag mapped away
        typ = types.get(tag[2:], tag[2:]) if tag != "O" else None
        if typ == "O":
            typ = None
        if typ is not None and (tag.startswith("B-") or typ != prev):
            counts[typ] += 1
            if tag.startswith("I-"):
                stray.append(n)
        prev = typ
    return counts, stray


@needs("anercorp")
def test_anercorp_test_split_keeps_every_entity(tmp_path, capsys):
    src = SHARED / "anercorp" / "test.txt"
    expected, stray = _count_bio(src, {"PERS": "PER"})
    out = tmp_path / "aner.jsonl"
    rc, _, err = cli(["--from", "conll", str(src), "--to", "jsonl", str(out)], capsys)
    assert rc == 0
    arts = read_articles(out)
    got = collections.Counter(e["label"] for a in arts for e in a["entities"])
    assert got == expected
    for line in stray:
        assert any(ln.startswith(f"{src}:{line}:") and "repair" in ln for ln in err.splitlines())
    assert f"{sum(expected.values())} entities" in err and f"{len(stray)} repair" in err

    conll.write(arts, tmp_path / "aner.conll")
    back, _ = conll.read(tmp_path / "aner.conll", ConvertOptions(group=0))
    assert [entity_words(a) for a in back] == [entity_words(a) for a in arts]


@needs("aqmar")
def test_aqmar_errors_on_tag_typos_and_loads_with_a_map():
    folder = SHARED / "aqmar"
    known = {"PER", "LOC", "ORG", "MIS", "MIS0", "MIS1", "MIS2", "MIS3"}
    typos: dict[tuple[str, int], str] = {}
    for f in sorted(folder.glob("*.txt")):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            tag = line.split()[-1] if line.strip() else "O"
            if tag != "O" and not (tag[:2] in ("B-", "I-") and tag[2:] in known):
                typos[(str(f), n)] = tag
    assert typos
    with pytest.raises(ArticleError) as err:
        conll.read(folder)
    assert {(p.file, p.line) for p in err.value.problems} == set(typos)
    for p in err.value.problems:
        assert repr(typos[(p.file, p.line)]) in p.message and p.article

    # a user map fixing every typo: bare ones to O, prefixed ones' types to MISC
    fix = {(t if t[:2] not in ("B-", "I-") else t[2:]): ("O" if t[:2] not in ("B-", "I-") else "MISC")
           for t in typos.values()}
    arts, _ = conll.read(folder, ConvertOptions(tag_map=fix))
    types = {t: "MISC" for t in ("MIS", "MIS0", "MIS1", "MIS2", "MIS3")} | fix
    expected = collections.Counter()
    for f in sorted(folder.glob("*.txt")):
        expected += _count_bio(f, types)[0]
    assert collections.Counter(e["label"] for a in arts for e in a["entities"]) == expected


# --- brat --------------------------------------------------------------------------

def test_brat_polnear_layout_fixture():
    arts, notes = brat.read(FIX / "brat", ConvertOptions(label_map={"Person": "PER"}))
    (art,) = arts
    assert art["id"] == "news-1_ab12"
    assert surfaces(art) == [("علي حسن", "PER")]
    assert quote_view(art) == [
        ("سنفتح المعابر غدا", "علي حسن", "قال", "علي حسن", "direct"),
        ("لن نتراجع عن القرار", None, None, "علي حسن", "direct"),
        ("الوضع مستقر", "مصدر أمني", "وذكر", "مصدر أمني", "indirect"),
        ("الحدود آمنة", None, None, "مصدر أمني", "indirect"),
    ]
    kinds = collections.Counter(n.kind for n in notes)
    assert kinds["fragment"] == 1 and kinds["unmapped"] == 1 and kinds["full-stop"] == 1
    snaps = [n for n in notes if n.kind == "snap"]
    assert {n.text for n in snaps} == {"صدر أمني", " الوضع مستقر"}
    shared = [n for n in notes if n.kind == "overlap"]
    assert len(shared) == 2 and all(n.article == art["id"] and n.line for n in shared)


def test_brat_entities_unannotated_without_a_label_map():
    arts, notes = brat.read(FIX / "brat")
    assert arts[0]["entities"] is None and len(arts[0]["quotes"]) == 4
    assert {n.text for n in notes if n.kind == "unmapped"} == {"علي حسن", "الحكومة"}


def test_brat_round_trip(tmp_path):
    arts = fixture_articles()
    notes = brat.write(arts, tmp_path / "brat")
    assert {n.article for n in notes if n.kind == "dropped"} == {"fx-1", "fx-3"}  # extra keys
    back, _ = brat.read(tmp_path / "brat")
    by_id = {a["id"]: a for a in back}
    for a in arts:
        b = by_id[a["id"]]
        assert b["text"] == a["text"] and b["entities"] == a["entities"]
        assert b["quotes"] == (a["quotes"] if a.get("quotes") is not None else [])


def test_brat_errors_name_file_line_and_article(tmp_path):
    (tmp_path / "d.txt").write_text("قال الوزير إن الاجتماع انتهى.", encoding="utf-8")
    (tmp_path / "d.ann").write_text("T1\tCue 0 3\tقال\nE1\tAttribution:T1 Cue:T1 Source:T9\n"
                                    "E2\tAttribution:T1 Cue:T1\n", encoding="utf-8")
    with pytest.raises(ArticleError) as err:
        brat.read(tmp_path)
    got = sorted((p.line, p.article) for p in err.value.problems)
    assert got == [(2, "d"), (3, "d")]
    assert "T9" in str(err.value) and "no Content" in str(err.value)

    (tmp_path / "d.ann").write_text("T1\tCue 0 3\tقال\nT2\tContent 14 28\tالاجتماع انتهى\n"
                                    "E1\tAttribution:T1 Cue:T1 Content:T2\nE2\tAttribution:T1 Cue:T1\n",
                                    encoding="utf-8")
    with pytest.raises(ArticleError):
        brat.read(tmp_path)
    arts, notes = brat.read(tmp_path, ConvertOptions(drop_incomplete=True))
    assert quote_view(arts[0]) == [("الاجتماع انتهى", None, "قال", None, "indirect")]
    assert [(n.kind, n.line) for n in notes] == [("dropped", 4)]


@needs("polnear")
def test_polnear_test_split_every_attribution_becomes_a_quote(tmp_path, capsys):
    split = SHARED / "polnear" / "data" / "test"
    t_line = re.compile(r"^(T\d+)\t\S+ (\d+ \d+(?:;\d+ \d+)*)\t")
    events: list[tuple[str, list[tuple[int, int]]]] = []  # (article id, content fragments)
    for ann in sorted(split.glob("attributions/*.ann")):
        frags: dict[str, list[tuple[int, int]]] = {}
        lines = ann.read_text(encoding="utf-8").split("\n")
        for line in lines:
            m = t_line.match(line)
            if m:
                frags[m.group(1)] = [tuple(map(int, f.split())) for f in m.group(2).split(";")]
        for line in lines:
            if line.startswith("E"):
                args = [a.split(":") for a in line.split("\t")[1].split()[1:]]
                events.append((ann.stem, [f for role, t in args if role.startswith("Content") for f in frags[t]]))
    out = tmp_path / "polnear.jsonl"
    rc, _, err = cli(["--from", "brat", str(split), "--to", "jsonl", str(out), "--quiet"], capsys)
    assert rc == 0
    arts = {a["id"]: a for a in read_articles(out)}
    for aid, contents in events:
        quotes = arts[aid]["quotes"]
        assert any(q["content"][0] < e and s < q["content"][1] for q in quotes for s, e in contents), aid
    assert sum(len(a["quotes"]) for a in arts.values()) >= len(events)
    split_events = sum(1 for _, c in events if len(c) > 1)
    assert f"{split_events} fragment" in err
    assert all(a["entities"] is None for a in arts.values())


# --- Label Studio ------------------------------------------------------------------

def test_labelstudio_export_fixture():
    arts, notes = labelstudio.read(FIX / "labelstudio.json", ConvertOptions(label_map={"Organisation": "ORG"}))
    first, second = arts
    assert first["id"] == "11" and first["section"] == "رياضة"
    assert surfaces(first) == [("سامي الطرابلسي", "PER"), ("القاهرة", "LOC")]
    assert quote_view(first) == [("الفريق جاهز للمباراة", "سامي الطرابلسي", "صرّح", "سامي الطرابلسي", "direct")]
    assert surfaces(second) == [("الأمل الرياضي", "ORG"), ("وهران", "LOC")]  # the cancelled annotation is skipped
    kinds = collections.Counter(n.kind for n in notes)
    assert kinds == {"utf16": 1, "snap": 1, "marks": 1, "unmapped": 1}


def test_labelstudio_several_annotations_need_pick(tmp_path):
    tasks = json.loads((FIX / "labelstudio.json").read_text(encoding="utf-8"))
    for ann in tasks[1]["annotations"]:
        ann["was_cancelled"] = False
    p = tmp_path / "two.json"
    p.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ArticleError) as err:
        labelstudio.read(p, ConvertOptions(label_map={"Organisation": "ORG"}))
    assert [pr.article for pr in err.value.problems] == ["12"]
    arts, notes = labelstudio.read(p, ConvertOptions(label_map={"Organisation": "ORG"}, pick="last"))
    assert surfaces(arts[1])[0] == ("الأمل الرياضي", "ORG") and any(n.kind == "pick" for n in notes)


def test_labelstudio_region_with_entity_label_and_quote_part(tmp_path):
    tasks = json.loads((FIX / "labelstudio.json").read_text(encoding="utf-8"))[:1]
    result = tasks[0]["annotations"][0]["result"]
    result[:] = [r for r in result if r.get("id") != "p1"]
    next(r for r in result if r.get("id") == "s1")["value"]["labels"] = ["Source", "PER"]
    p = tmp_path / "multi.json"
    p.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    (art,), _ = labelstudio.read(p)
    assert surfaces(art) == [("سامي الطرابلسي", "PER"), ("القاهرة", "LOC")]
    assert quote_view(art)[0][1] == "سامي الطرابلسي"


def test_labelstudio_round_trip_and_predictions(tmp_path):
    arts = fixture_articles()
    labelstudio.write(arts, tmp_path / "ann.json", ConvertOptions(target="annotations"))
    back, _ = labelstudio.read(tmp_path / "ann.json")
    for a, b in zip(arts, back):
        assert b["entities"] == a["entities"] and b["text"] == a["text"]
        assert b["quotes"] == (a["quotes"] if a.get("quotes") is not None else [])
        assert {k: v for k, v in b.items() if k not in ("quotes",)} == {k: v for k, v in a.items() if k != "quotes"}

    labelstudio.write(arts, tmp_path / "pred.json", ConvertOptions(model_version="m1"))
    tasks = json.loads((tmp_path / "pred.json").read_text(encoding="utf-8"))
    assert all("annotations" not in t and t["predictions"][0]["model_version"] == "m1" for t in tasks)
    config = ET.fromstring(labelstudio.labeling_config())
    names = {el.get("name") for el in config.iter() if el.get("name")}
    used = {r["from_name"] for t in tasks for r in t["predictions"][0]["result"] if r["type"] != "relation"}
    assert used <= names
    labels = {el.get("value") for el in config.iter("Label")}
    assert {lab for t in tasks for r in t["predictions"][0]["result"] if r["type"] == "labels"
            for lab in r["value"]["labels"]} <= labels


def test_labelstudio_writes_utf16_offsets(tmp_path):
    text = "🙂 زارت ليلى بيروت."
    s = text.index("بيروت")
    art = {"id": "u", "text": text, "entities": [{"start": s, "end": s + 5, "label": "LOC"}], "quotes": []}
    (task,) = json.loads(json.dumps([labelstudio.task_of(art)]))
    value = task["predictions"][0]["result"][0]["value"]
    assert value["start"] == s + 1  # the emoji is two UTF-16 code units
    task["annotations"] = task.pop("predictions")
    for r in task["annotations"][0]["result"]:
        del r["value"]["text"]
    p = tmp_path / "u.json"
    p.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    back, notes = labelstudio.read(p)
    assert surfaces(back[0]) == [("بيروت", "LOC")] and [n.kind for n in notes] == ["utf16"]


# --- doccano -----------------------------------------------------------------------

def test_doccano_fixture_and_round_trip(tmp_path):
    arts, notes = doccano.read(FIX / "doccano.jsonl", ConvertOptions(label_map={"GPE": "LOC"}))
    assert [a["id"] for a in arts] == ["7", "doccano-2"]
    assert surfaces(arts[0]) == [("البنك الدولي", "ORG"), ("عمّان", "LOC")] and arts[0]["batch"] == "أ"
    assert surfaces(arts[1]) == [("محمد فرح", "PER")]
    assert sorted(n.kind for n in notes) == ["snap", "unmapped"] and all(n.line == 2 for n in notes)

    src = fixture_articles()
    notes = doccano.write(src, tmp_path / "d.jsonl")
    assert {n.article for n in notes if n.kind == "dropped"} == {"fx-1", "fx-2"}
    back, _ = doccano.read(tmp_path / "d.jsonl")
    for a, b in zip(src, back):
        assert {k: v for k, v in a.items() if k != "quotes"} == b


# --- the command -------------------------------------------------------------------

def test_convert_command_stdout_and_errors(tmp_path, capsys):
    rc, out, err = cli(["--from", "jsonl", "--to", "conll", str(FIX / "articles.jsonl"), "-"], capsys)
    assert rc == 0 and out.startswith("-DOCSTART-") and "B-PER" in out
    assert "4 article(s)" in err

    rc, _, err = cli(["--from", "jsonl", "--to", "jsonl", "--group", "2", str(FIX / "articles.jsonl"), "-"], capsys)
    assert rc == 2 and "--group" in err

    bad = tmp_path / "bad.conll"
    bad.write_text("كلمة B-XYZ\n", encoding="utf-8")
    rc, _, err = cli(["--from", "conll", "--to", "jsonl", str(bad), str(tmp_path / "o.jsonl")], capsys)
    assert rc == 1 and f"{bad}:1" in err and not (tmp_path / "o.jsonl").exists()

    rc, _, err = cli(["--from", "conll", "--to", "brat", str(FIX / "sample.conll"), "-"], capsys)
    assert rc == 2


def test_data_layer_does_not_import_torch():
    code = ("import sys, data.formats as f\n"
            "for n in f.FORMATS.values(): n.load()\n"
            "import train.commands.convert\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'models')]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)

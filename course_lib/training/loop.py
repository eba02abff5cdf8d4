"""The one training loop every course model uses (Tacotron 2 in chapter 11, WaveGlow in chapter 14).

A model supplies a :class:`Task` — its batches, forward pass, loss terms, evaluation and the extra
state its checkpoint needs. :func:`fit` does the rest: budgets (0 = no limit), the optimiser step
(mixed precision on CUDA, gradient clipping), divergence (:class:`TrainingDiverged`), evaluation and
``metrics.jsonl``, atomic checkpoints that resume exactly (weights, optimiser, RNG, data position),
``torchrun``/DDP (:mod:`course_lib.training.distributed`) and a progress bar.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from course_lib.checkpoint import save_checkpoint
from course_lib.training import distributed as D
from course_lib.training.run import RunFolder


class TrainingDiverged(RuntimeError):
    """The loss or the gradient became NaN/inf; the last good checkpoint is kept."""


@dataclass(frozen=True)
class Budget:
    """Stop at whichever comes first; 0 = no limit. ``max_steps`` counts all steps of the run;
    ``minutes`` counts training time of the whole run, or of this session with ``per_session``."""

    max_steps: int = 0
    minutes: float = 0.0
    per_session: bool = False

    def spent(self, step: int, elapsed_s: float, session_s: float) -> bool:
        seconds = session_s if self.per_session else elapsed_s
        return (self.max_steps > 0 and step >= self.max_steps) or (self.minutes > 0 and seconds >= self.minutes * 60)


@dataclass(frozen=True)
class Every:
    """A cadence: every ``steps`` steps and/or every ``minutes`` of wall time (0 = not by that)."""

    steps: int = 0
    minutes: float = 0.0

    def due(self, step: int, since_s: float) -> bool:
        return (self.steps > 0 and step % self.steps == 0) or (self.minutes > 0 and since_s >= self.minutes * 60)


class Task(Protocol):
    """What a model supplies to :func:`fit`."""

    def next_batch(self, state: dict) -> tuple:  # the next training batch (advances the data position)
        ...

    def forward(self, model: nn.Module, batch: tuple):  # run under autocast
        ...

    def loss(self, output, batch: tuple, state: dict) -> dict:  # float32 terms, "total" is minimised
        ...

    def evaluate(self, model: nn.Module, state: dict) -> dict:  # rank 0 only; merged into the log line
        ...

    def logged(self, row: dict) -> None:  # rank 0, after each line of metrics.jsonl
        ...

    def checkpoint_state(self, state: dict) -> dict:  # called on every rank; rank 0 saves it
        ...


def resume(payload: dict | None, model: nn.Module, optimizer, env: D.DistEnv) -> dict:
    """Load weights, optimiser and RNG from a checkpoint → the loop's state (a fresh one for None)."""
    state = {"step": 0, "elapsed_s": 0.0, "last_eval": None, "running": {}}
    if payload is None:
        return state
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    if "rng_torch" in payload:
        torch.set_rng_state(payload["rng_torch"])
    if "rng_cuda" in payload and env.device.type == "cuda":
        torch.cuda.set_rng_state(payload["rng_cuda"], env.device)
    return {"step": int(payload["step"]), "elapsed_s": float(payload.get("elapsed_s", 0.0)),
            "last_eval": payload.get("last_eval"), "running": dict(payload.get("running", {}))}


def fit(task: Task, model: nn.Module, optimizer: torch.optim.Optimizer, run: RunFolder, state: dict, *,
        budget: Budget, eval_every: Every, save_every: Every, env: D.DistEnv, resumed: bool, amp: str = "auto",
        cpu_bf16: bool = False, grad_clip: float = 0.0, lr_at: Callable[[int], float] | None = None,
        progress: bool = True, desc: str = "training") -> tuple[dict, bool]:
    """Train until ``budget`` is spent → ``(state, in_sync)``; ``state`` from :func:`resume`.

    Each step: ``lr_at(step)`` sets the learning rate, the task's forward pass runs under autocast
    (:func:`~course_lib.training.distributed.autocast`), its loss terms (``"total"``) are checked
    (NaN/inf on any rank → :class:`TrainingDiverged`), then backward (DDP averages the gradients),
    clipping to ``grad_clip`` (0: none) and the optimiser step. When ``eval_every`` is due, or the
    budget is spent, rank 0 evaluates and appends a line to ``metrics.jsonl``: step, elapsed_s, lr,
    the mean ``train_<term>`` since the last line and the task's metrics. When ``save_every`` is
    due (all ranks decide together), and at the end, rank 0 writes the checkpoint.
    """
    ddp = D.wrap_model(model, env)  # DistributedDataParallel with several processes; `model` otherwise
    scaler = D.grad_scaler(env, amp)  # enabled only for float16 on CUDA
    running = state["running"]
    last_saved = state["step"] if resumed else -1

    def save() -> None:
        extra = task.checkpoint_state(state)  # every rank (a task may gather its ranks' RNG states)
        cuda = {"rng_cuda": torch.cuda.get_rng_state(env.device)} if env.device.type == "cuda" else {}
        D.save_on_main(lambda: save_checkpoint(run.checkpoint, {
            **extra, "model": {k: v.cpu() for k, v in model.state_dict().items()},
            "optimizer": optimizer.state_dict(), "rng_torch": torch.get_rng_state(), **cuda,
            "step": state["step"], "elapsed_s": state["elapsed_s"], "last_eval": state["last_eval"],
            "running": dict(running), "world_size": env.world_size}), env)

    def diverged(what: str, value: float) -> TrainingDiverged:
        kept = (f"the last good checkpoint {run.checkpoint} (step {last_saved}) is kept" if last_saved >= 0
                else "no checkpoint was written yet")
        return TrainingDiverged(f"training stopped: the {what} became {value} at step {state['step'] + 1}; {kept}. "
                                "Lower the learning rate, keep gradient clipping on, and check the data for NaN/inf.")

    if env.is_main:
        run.start_log(state["step"] if resumed else None)
    bar = tqdm(total=budget.max_steps or None, initial=state["step"], disable=not (progress and env.is_main),
               desc=desc + (f" ×{env.world_size}" if env.distributed else ""), unit="step")
    session_start, elapsed_before = time.perf_counter(), state["elapsed_s"]
    last_eval_at = last_save_at = session_start

    def spent() -> bool:  # decided by all ranks together: their clocks differ
        return D.any_rank(budget.spent(state["step"], state["elapsed_s"], time.perf_counter() - session_start), env)

    ddp.train()
    done = spent()
    try:
        while not done:
            if lr_at is not None:
                for group in optimizer.param_groups:
                    group["lr"] = lr_at(state["step"])
            batch = tuple(t.to(env.device) for t in task.next_batch(state))
            with D.autocast(env, amp, cpu_bf16):
                output = task.forward(ddp, batch)
            terms = task.loss(output, batch, state)
            loss = terms["total"]
            if D.any_rank(not torch.isfinite(loss), env):  # all ranks stop, or the others wait forever
                raise diverged("loss", loss.item())
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()  # with several processes, DDP averages the gradients here
            if grad_clip > 0:
                scaler.unscale_(optimizer)
                grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                if not scaler.is_enabled() and not torch.isfinite(grad_norm):  # (float16's scaler skips such steps)
                    raise diverged("gradient norm", float(grad_norm))
            scaler.step(optimizer)  # optimizer.step(), unless float16 overflowed
            scaler.update()
            state["step"] += 1
            now = time.perf_counter()
            state["elapsed_s"] = elapsed_before + now - session_start
            for k, v in terms.items():
                running[k] = running.get(k, 0.0) + v.item()
            running["n"] = running.get("n", 0) + 1
            bar.update(1)
            done = spent()
            if eval_every.due(state["step"], now - last_eval_at) or done:
                if env.is_main:
                    _log(task, model, optimizer, run, state, running, env, bar)
                running.clear()
                last_eval_at = time.perf_counter()
            if D.any_rank(save_every.due(state["step"], time.perf_counter() - last_save_at), env):
                save()
                last_saved, last_save_at = state["step"], time.perf_counter()
    finally:
        bar.close()
    if last_saved != state["step"]:
        save()
    return state, D.weights_in_sync(ddp, env)


def _log(task: Task, model, optimizer, run: RunFolder, state: dict, running: dict, env, bar) -> None:
    was_training = model.training
    metrics = task.evaluate(model, state)
    model.train(was_training)
    n = max(running.get("n", 1), 1)
    row = {"step": state["step"], "elapsed_s": round(state["elapsed_s"], 2), "lr": optimizer.param_groups[0]["lr"],
           **{f"train_{k}": v / n for k, v in running.items() if k != "n"}, **metrics}
    if env.distributed:
        row["world_size"] = env.world_size
    state["last_eval"] = row
    run.append(row)
    task.logged(row)
    bar.set_postfix(loss=f"{row.get('train_total', float('nan')):.3f}")

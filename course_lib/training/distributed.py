"""Data-parallel training with ``torchrun``: one process per GPU (or CPU worker), same model everywhere.

Each process holds a full copy of the model, trains on its own share of the batches, and after every
backward pass :class:`~torch.nn.parallel.DistributedDataParallel` averages the gradients over all
processes (an all-reduce), so every copy takes the same optimiser step and the weights stay equal.
The global batch is ``world_size × per-process batch``. Backends: NCCL between GPUs, Gloo on CPUs.
:func:`course_lib.training.fit` calls these helpers; with one process each is a no-op. Run any model's
CLI under ``torchrun --nproc_per_node N -m course_lib.tts.tacotron2.train ...`` (docs/SCALING.md).
"""

from __future__ import annotations

import contextlib
import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

__all__ = ["DistEnv", "init_from_env", "wrap_model", "unwrap", "distributed_sampler", "shard_batches", "autocast",
           "grad_scaler", "any_rank", "weights_in_sync", "save_on_main", "barrier", "cleanup"]


@dataclass(frozen=True)
class DistEnv:
    """Where this process sits: ``rank`` of ``world_size`` (``local_rank`` on its machine), its device."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    backend: str | None = None  # None: a single process, no process group

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints and logs; the others only train."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.backend is not None


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit():
        raise ValueError(f"environment variable {name}={raw!r} must be a whole number (torchrun sets it)")
    return int(raw)


def init_from_env(device: str | None = None, backend: str | None = None, timeout_s: float = 600) -> DistEnv:
    """Join the process group ``torchrun`` describes (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
    ``MASTER_ADDR``, ``MASTER_PORT``). Without them (plain ``python``), a one-process :class:`DistEnv`.

    ``device``: "cpu" or "cuda" (default: CUDA when available; each process takes GPU ``LOCAL_RANK``).
    ``backend``: default NCCL on CUDA, Gloo on CPU.
    """
    world, rank, local = _env_int("WORLD_SIZE", 1), _env_int("RANK", 0), _env_int("LOCAL_RANK", 0)
    if not 0 <= rank < world:
        raise ValueError(f"RANK={rank} must lie in [0, WORLD_SIZE={world})")
    kind = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if kind not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was asked for but CUDA is not available; use --device cpu")
        if local >= torch.cuda.device_count():
            raise RuntimeError(f"LOCAL_RANK={local} but only {torch.cuda.device_count()} GPU(s) are visible: "
                               "start at most one process per GPU (torchrun --nproc_per_node)")
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
    else:
        dev = torch.device("cpu")
    if world == 1:
        return DistEnv(0, 1, 0, dev, None)
    backend = backend or ("nccl" if dev.type == "cuda" else "gloo")
    if not dist.is_initialized():
        kwargs = {"device_id": dev} if dev.type == "cuda" else {}
        dist.init_process_group(backend, rank=rank, world_size=world,
                                timeout=datetime.timedelta(seconds=timeout_s), **kwargs)
    return DistEnv(rank, world, local, dev, backend)


def wrap_model(model: nn.Module, env: DistEnv, **ddp_kwargs) -> nn.Module:
    """Move ``model`` to the device and, with several processes, wrap it in DistributedDataParallel
    (which also copies rank 0's initial weights to every rank)."""
    model = model.to(env.device)
    if not env.distributed:
        return model
    ids = [env.device.index] if env.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids, **ddp_kwargs)


def unwrap(model: nn.Module) -> nn.Module:
    """The plain model inside a DDP wrapper (what to save, evaluate and synthesise with)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def distributed_sampler(dataset, env: DistEnv, shuffle: bool = True, seed: int = 0,
                        drop_last: bool = True) -> torch.utils.data.Sampler:
    """torch's :class:`~torch.utils.data.DistributedSampler`: each rank gets a disjoint share of the
    indices (call ``set_epoch(epoch)`` each epoch for a new shuffle). One process: all indices."""
    return torch.utils.data.DistributedSampler(dataset, num_replicas=env.world_size, rank=env.rank, shuffle=shuffle,
                                               seed=seed, drop_last=drop_last)


def shard_batches(batches: list, env: DistEnv) -> list:
    """Rank ``r`` takes batches ``r, r + W, r + 2W, …`` of a list every rank built the same way (e.g. the
    length-bucketed batches of one epoch). All ranks get the same number — the tail is dropped —
    because a rank that runs one step more would wait forever for the others' gradients."""
    per_rank = len(batches) // env.world_size
    if per_rank == 0:
        raise ValueError(f"{len(batches)} batches cannot be shared by {env.world_size} processes; "
                         "use a smaller batch size or fewer processes")
    return batches[env.rank::env.world_size][:per_rank]


def autocast(env: DistEnv, mode: str = "auto", cpu_bf16: bool = False):
    """Mixed precision on CUDA: "auto"/"bf16" → bfloat16 where supported, "fp16" → float16 (use
    :func:`grad_scaler`), "off" → float32. On the CPU float32, or bfloat16 with ``cpu_bf16``."""
    if mode not in ("auto", "bf16", "fp16", "off"):
        raise ValueError(f"amp must be auto, bf16, fp16 or off, got {mode!r}")
    if env.device.type != "cuda":
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_bf16)
    if mode == "off":
        return contextlib.nullcontext()
    bf16 = mode == "bf16" or (mode == "auto" and torch.cuda.is_bf16_supported())
    return torch.autocast("cuda", dtype=torch.bfloat16 if bf16 else torch.float16)


def grad_scaler(env: DistEnv, mode: str = "auto") -> torch.amp.GradScaler:
    """A loss scaler, enabled only for float16 on CUDA (bfloat16 has float32's range and needs none)."""
    fp16 = env.device.type == "cuda" and (mode == "fp16" or (mode == "auto" and not torch.cuda.is_bf16_supported()))
    return torch.amp.GradScaler("cuda" if env.device.type == "cuda" else "cpu", enabled=fp16)


def any_rank(flag: bool, env: DistEnv) -> bool:
    """True on every rank when ``flag`` is true on at least one (an all-reduce of a 0/1 flag); one
    process: ``flag``. For decisions all ranks must share — a time budget (their clocks differ), a NaN
    loss on one rank's batch — since a rank that stops alone leaves the others waiting forever.
    Every rank must call it."""
    if not env.distributed:
        return bool(flag)
    t = torch.tensor([float(bool(flag))], device=env.device if env.backend == "nccl" else "cpu")
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


@torch.no_grad()
def weights_in_sync(model: nn.Module, env: DistEnv, atol: float = 0.0) -> bool:
    """True when every rank holds rank 0's weights (within ``atol``); one process: always True.
    Every rank must call it (it is a collective: a broadcast and an all-reduce)."""
    if not env.distributed:
        return True
    flat = torch.cat([p.detach().float().flatten() for p in unwrap(model).parameters()])
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    worst = (flat - reference).abs().max().reshape(1)
    dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return bool(worst.item() <= atol)


def save_on_main(save_fn, env: DistEnv):
    """Run ``save_fn()`` on rank 0 only (atomic writers make it safe), then let every rank continue."""
    result = save_fn() if env.is_main else None
    barrier(env)
    return result


def barrier(env: DistEnv) -> None:
    if env.distributed:
        dist.barrier()


def cleanup(env: DistEnv) -> None:
    if env.distributed and dist.is_initialized():
        dist.destroy_process_group()


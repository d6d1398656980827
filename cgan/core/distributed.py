"""Running `cgan train` under torchrun: the process group from torchrun's environment, DDP wrappers,
and the few collective decisions every rank must take together.

With WORLD_SIZE unset or 1 everything here is a no-op, so the single-process path is unchanged.
"""

from __future__ import annotations

import gc
import inspect
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn as nn


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def on(self) -> bool:
        return self.world > 1


def init_from_env(device: str) -> tuple[Dist, str]:
    """Join torchrun's process group (NCCL on GPUs, gloo on the CPU); returns this rank and its device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist(), device
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device.startswith("cuda"):
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return Dist(dist.get_rank(), dist.get_world_size(), local), device


def wrap(module: nn.Module, d: Dist, device: str, broadcast_buffers: bool = True) -> nn.Module:
    """DDP around `module` when distributed; the module itself otherwise."""
    if not d.on:
        return module
    ids = [torch.device(device).index] if device.startswith("cuda") else None
    ddp = nn.parallel.DistributedDataParallel
    # Newer torch renames the per-forward buffer sync; both keep the sync at construction.
    key = "forward_sync_buffers" if "forward_sync_buffers" in inspect.signature(ddp).parameters else "broadcast_buffers"
    return ddp(module, device_ids=ids, **{key: broadcast_buffers})


def any_rank(flags: list[bool], d: Dist, device: str) -> list[bool]:
    """Element-wise OR over ranks: a stop decision (time limit, non-finite loss) all ranks share."""
    if not d.on:
        return flags
    t = torch.tensor([float(f) for f in flags], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def mean_over_ranks(t: torch.Tensor, d: Dist) -> torch.Tensor:
    if not d.on:
        return t
    t = t.clone()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)  # gloo has no AVG
    return t / d.world


def rank_spread(modules: list[nn.Module], d: Dist, device: str) -> float:
    """Largest difference between ranks of any parameter: 0.0 when DDP kept them in step. (Batch-norm
    running statistics are each rank's own batches' and may differ; rank 0's are the ones saved.)"""
    if not d.on:
        return 0.0
    flat = torch.cat([t.detach().double().flatten() for m in modules for t in m.parameters()]).to(device)
    hi, lo = flat.clone(), flat.clone()
    dist.all_reduce(hi, op=dist.ReduceOp.MAX)
    dist.all_reduce(lo, op=dist.ReduceOp.MIN)
    return float((hi - lo).max())


def finish(d: Dist) -> None:
    if d.on and dist.is_initialized():
        # DDP wrappers caught in reference cycles would otherwise outlive the process group and be torn
        # down at interpreter exit, where a reducer thread still joinable aborts the rank (SIGABRT).
        gc.collect()
        dist.destroy_process_group()

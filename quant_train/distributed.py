"""Multi-process training with the engine PyTorch users already run: ``torchrun`` + DDP.

``torchrun --nproc_per_node=N -m flow.cli train ...`` starts N processes;
each trains on its shard of every epoch (``data.batches``) with
``DistributedDataParallel``: NCCL between GPUs (process ``LOCAL_RANK`` on GPU
``LOCAL_RANK``), gloo between CPU processes. Rank 0 writes the checkpoint and
the reports. Without torchrun this is one process of one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .device import resolve_device


@dataclass(frozen=True)
class Dist:
    """Process group facts (rank 0 of 1 when not under torchrun)."""

    rank: int = 0  #: global rank
    world: int = 1  #: number of processes
    local_rank: int = 0  #: rank on this node (the GPU index under torchrun)
    backend: str = "none"  #: "nccl", "gloo" or "none"

    @property
    def main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r}: expected an integer (set by torchrun)") from None


def is_main_process() -> bool:
    """Rank 0, or not under torchrun (works before, during and after the process group)."""
    return dist.get_rank() == 0 if dist.is_initialized() else _env_int("RANK", 0) == 0


def init_distributed(device: str = "auto") -> tuple[Dist, torch.device]:
    """Join torchrun's process group (once) and pick this process's device."""
    world, local = _env_int("WORLD_SIZE", 1), _env_int("LOCAL_RANK", 0)
    dev = resolve_device(device, local)
    if world > 1 and not dist.is_initialized():
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
            dist.init_process_group("nccl", device_id=dev)
        else:
            dist.init_process_group("gloo")
    if dist.is_initialized():
        return Dist(dist.get_rank(), dist.get_world_size(), local, dist.get_backend()), dev
    return Dist(), dev


def reduce_sum(values: list[float], d: Dist, device: torch.device) -> list[float]:
    """Element-wise sum over processes (NCCL needs the tensor on this process's GPU)."""
    if d.world == 1:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def gather(value: float, d: Dist, device: torch.device) -> list[float]:
    """``value`` of every process, in rank order."""
    if d.world == 1:
        return [value]
    out = [torch.zeros(1, dtype=torch.float64, device=device) for _ in range(d.world)]
    dist.all_gather(out, torch.tensor([value], dtype=torch.float64, device=device))
    return [float(t.item()) for t in out]


def finish(d: Dist) -> None:
    """Wait for every process, then leave the process group."""
    if d.world > 1 and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()

"""Data-parallel training helpers: process group, sampler, rank-0 guard, mixed precision, accumulation, launch.

The trainer stays one loop; under `torchrun` it calls these few functions:

    ctx = init_distributed()                      # reads RANK/WORLD_SIZE/LOCAL_RANK; 1 process: a no-op context
    loader = shard_loader(loader, ctx, seed)      # DistributedSampler, per-rank batch = global batch / world
    model = wrap_model(model, ctx)                # DDP (gloo on CPU, nccl on GPU)
    prec = Precision.create(precision, ctx.device)
    for epoch: set_epoch(loader, epoch)           # same shuffle on every rank, new one each epoch
        for step, batch in enumerate(loader):
            with accumulate(model, step, accum_steps) as sync, prec.autocast():
                loss = criterion(model(x, m), y) / accum_steps
            prec.backward(loss)
            if sync: prec.step(optimizer, model, grad_clip); optimizer.zero_grad()
    if ctx.is_main: save checkpoints / logs / artifacts

Gradients are averaged over ranks by DDP, so N processes with a per-rank batch B/N take the same steps as one
process with batch B (the test checks the final weights). Rendezvous is on 127.0.0.1 unless MASTER_ADDR says
otherwise (several nodes: see docs/scaling.md).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.utils.data import DataLoader, DistributedSampler

from gestura.errors import ConfigError

PRECISIONS = ("fp32", "bf16", "fp16")
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class DistContext:
    """Where this process sits: `rank` of `world_size`, its `device`, the process-group `backend` ("" = none)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    backend: str = ""

    @property
    def is_main(self) -> bool:
        """True on rank 0: the only process that logs, checkpoints and writes artifacts."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(backend: str | None = None, device: str | None = None) -> DistContext:
    """Join the process group torchrun describes in the environment (env:// rendezvous), or return a
    single-process context when WORLD_SIZE is unset or 1. Backend: nccl when CUDA is used, gloo otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = (device or ("cuda" if torch.cuda.is_available() else "cpu")).startswith("cuda")
    dev = torch.device(f"cuda:{local}") if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(dev)
    if world <= 1:
        return DistContext(device=dev)
    backend = backend or ("nccl" if use_cuda else "gloo")
    if backend not in ("gloo", "nccl"):
        raise ConfigError(f"distributed backend must be gloo or nccl, got {backend!r}")
    os.environ.setdefault("MASTER_ADDR", LOOPBACK)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, init_method="env://", rank=rank, world_size=world)
    return DistContext(rank=rank, world_size=world, local_rank=local, device=dev, backend=backend)


def cleanup() -> None:
    """Leave the process group (safe to call when there is none).

    Every rank waits at a barrier first, so no rank tears gloo down while another still talks to it (that race
    aborts the early rank with "terminate called without an active exception").
    """
    if dist.is_available() and dist.is_initialized():
        try:
            dist.barrier()
        finally:
            dist.destroy_process_group()


def make_sampler(dataset: Any, ctx: DistContext, *, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> DistributedSampler:
    """Rank `ctx.rank`'s share of one permutation seeded by `seed + epoch` (call `set_epoch` every epoch)."""
    return DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=shuffle, seed=seed,
                              drop_last=drop_last)


def shard_loader(loader: DataLoader, ctx: DistContext, seed: int = 0, shuffle: bool = True) -> DataLoader:
    """The same loader over this rank's share: `DistributedSampler` and per-rank batch = global batch / world.

    With one process it still uses the sampler, so 1 and N processes see the same global batches."""
    batch = int(loader.batch_size or 1)
    if batch % ctx.world_size:
        raise ConfigError(f"optim.batch_size {batch} must be divisible by the {ctx.world_size} processes")
    return DataLoader(loader.dataset, batch_size=batch // ctx.world_size,
                      sampler=make_sampler(loader.dataset, ctx, shuffle=shuffle, seed=seed),
                      collate_fn=loader.collate_fn, num_workers=loader.num_workers, drop_last=loader.drop_last,
                      pin_memory=ctx.device.type == "cuda")


def set_epoch(loader: DataLoader, epoch: int) -> None:
    """Tell a `DistributedSampler` (if the loader has one) which epoch's permutation to draw."""
    if isinstance(loader.sampler, DistributedSampler):
        loader.sampler.set_epoch(epoch)


def wrap_model(model: nn.Module, ctx: DistContext) -> nn.Module:
    """Move to the device and wrap in DDP when there are several processes; `unwrap` gives the module back."""
    model = model.to(ctx.device)
    if not ctx.distributed:
        return model
    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside DDP (what checkpoints and artifacts store)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


@contextlib.contextmanager
def accumulate(model: nn.Module, step: int, accum_steps: int) -> Iterator[bool]:
    """Yield whether micro-step `step` ends an accumulation group (then step the optimiser).

    Inside a group DDP's gradient all-reduce is skipped (`no_sync`), so only the last micro-step communicates.
    The caller divides the loss by `accum_steps`.
    """
    if accum_steps < 1:
        raise ConfigError(f"accumulation steps must be >= 1, got {accum_steps}")
    sync = (step + 1) % accum_steps == 0
    if not sync and isinstance(model, nn.parallel.DistributedDataParallel):
        with model.no_sync():
            yield False
    else:
        yield sync


@dataclass
class Precision:
    """Autocast + loss scaling for one precision: fp32 (nothing), bf16 (autocast, CPU or GPU), fp16 (CUDA only,
    autocast + GradScaler against underflow)."""

    name: str
    device_type: str
    scaler: Any = None

    @classmethod
    def create(cls, name: str, device: torch.device | str = "cpu") -> Precision:
        dev = torch.device(device).type
        if name not in PRECISIONS:
            raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, got {name!r}")
        if name == "fp16" and dev != "cuda":
            raise ConfigError("--precision fp16 needs a CUDA GPU; use bf16 on CPU")
        scaler = torch.amp.GradScaler("cuda") if name == "fp16" else None
        return cls(name, dev, scaler)

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.name == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.name == "bf16" else torch.float16
        return torch.autocast(device_type=self.device_type, dtype=dtype)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def step(self, optimizer: torch.optim.Optimizer, model: nn.Module, grad_clip: float | None = None) -> None:
        """Unscale (fp16), clip, step, update the scale."""
        if self.scaler is not None:
            self.scaler.unscale_(optimizer)
        if grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        if self.scaler is not None:
            self.scaler.step(optimizer)
            self.scaler.update()
        else:
            optimizer.step()


def all_reduce_mean(value: float, ctx: DistContext) -> float:
    """Mean of a scalar over ranks (e.g. the epoch's train loss for rank 0's log)."""
    if not ctx.distributed:
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t)
    return float(t.item()) / ctx.world_size


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for the rendezvous."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def launch_command(nproc: int, argv: Sequence[str], *, master_port: int | None = None) -> list[str]:
    """`python -m torch.distributed.run` for `nproc` processes on this node, rendezvous on 127.0.0.1."""
    if nproc < 1:
        raise ConfigError(f"--nproc must be >= 1, got {nproc}")
    return [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", f"--nproc_per_node={nproc}",
            f"--master_addr={LOOPBACK}", f"--master_port={master_port or free_port()}", *argv]


def launch(nproc: int, argv: Sequence[str], *, env: dict[str, str] | None = None, timeout: float | None = None,
           master_port: int | None = None) -> int:
    """Run `argv` (a script path or `-m module ...`) as `nproc` torchrun processes; returns the exit code.

    `gestura train --nproc N ...` calls this with `-m gestura train ... --distributed`."""
    cmd = launch_command(nproc, argv, master_port=master_port)
    full_env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), **(env or {})}
    return subprocess.run(cmd, env=full_env, timeout=timeout, check=False).returncode


def broadcast_flag(flag: bool, ctx: DistContext) -> bool:
    """Rank 0's value of a flag on every rank (early stopping decided on rank 0 stops all)."""
    if not ctx.distributed:
        return bool(flag)
    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=ctx.device)
    dist.broadcast(t, src=0)
    return bool(t.item())


def is_sharded(loader: DataLoader) -> bool:
    """True when the loader already draws through a `DistributedSampler` (`shard_loader` was applied)."""
    return isinstance(loader.sampler, DistributedSampler)


def strip_option(argv: Sequence[str], name: str) -> list[str]:
    """`argv` without `name VALUE` / `name=VALUE` (to re-run a command under torchrun without `--nproc`)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == name:
            skip = True
        elif not a.startswith(name + "="):
            out.append(a)
    return out

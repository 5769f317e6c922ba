"""Data-parallel training over edge mini-batches with ``torch.distributed``.

Launch the ordinary ``graphae train`` command under ``torchrun``::

    torchrun --nproc-per-node 2 -m graphae.cli train --dataset Cora --batch-size 4096 --out runs/ddp

Every process holds the whole graph and the whole model (the full-graph encoder
runs on each), draws the *same* global batch of positive and negative pairs
from identically seeded generators, and scores only its own shard
``pairs[:, rank::world]``; ``DistributedDataParallel`` averages the gradients.
With equal shards this is the gradient of the global batch, so a run on W
processes matches a 1-process run up to floating-point reduction order. Only
rank 0 writes outputs. The backend is NCCL on CUDA and gloo on CPU.
"""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in a data-parallel job.

    Attributes:
        rank: This process's rank ``0..world-1``.
        world: Number of processes.
        local_rank: Rank on this machine (picks the CUDA device).
    """

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        """Whether more than one process takes part."""
        return self.world > 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes outputs (rank 0)."""
        return self.rank == 0

    def shard(self, pairs: Tensor) -> Tensor:
        """This rank's share ``pairs[..., rank::world]`` of a ``(2, P)`` or ``(P,)`` batch."""
        return pairs[..., self.rank :: self.world] if self.active else pairs


def launched_by_torchrun() -> bool:
    """Whether ``torchrun`` (or another launcher) set up a multi-process job."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init(device: torch.device) -> DistContext:
    """Join the process group set up by ``torchrun``; a no-op for a single process.

    Args:
        device: The device this run uses; CUDA selects NCCL and ``cuda:LOCAL_RANK``.

    Returns:
        The :class:`DistContext`.
    """
    if not launched_by_torchrun():
        return DistContext()
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, timeout=datetime.timedelta(minutes=30))
    ctx = DistContext(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    log.info("data-parallel: rank %d of %d (%s)", ctx.rank, ctx.world, dist.get_backend())
    return ctx


def device_for(ctx: DistContext, device: torch.device) -> torch.device:
    """``cuda:LOCAL_RANK`` for multi-process CUDA jobs, else ``device`` unchanged."""
    if ctx.active and device.type == "cuda":
        torch.cuda.set_device(ctx.local_rank)
        return torch.device("cuda", ctx.local_rank)
    return device


class _LossModule(nn.Module):
    """Makes ``loss_fn(*args)`` the ``forward`` of a module owning ``model``'s parameters."""

    def __init__(self, model: nn.Module, loss_fn: Callable[..., Any]) -> None:
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn

    def forward(self, *args: Any) -> Any:
        return self.loss_fn(*args)


def wrap_loss(
    ctx: DistContext, model: nn.Module, loss_fn: Callable[..., Any]
) -> Callable[..., Any]:
    """The training loss, gradient-averaged across processes when ``ctx.active``.

    Args:
        ctx: The data-parallel context.
        model: The model whose trainable parameters ``loss_fn`` uses.
        loss_fn: ``(*batch) -> (loss, parts)``.

    Returns:
        A callable with ``loss_fn``'s signature.
    """
    if not ctx.active:
        return loss_fn
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [ctx.local_rank] if next(model.parameters()).is_cuda else None
    # variants such as ARGA keep parameters (its discriminator) outside the main loss
    main = getattr(model, "main_parameters", None)
    trained = {id(p) for p in (main() if callable(main) else model.parameters())}
    unused = any(id(p) not in trained for p in model.parameters() if p.requires_grad)
    return DistributedDataParallel(
        _LossModule(model, loss_fn), device_ids=device_ids, find_unused_parameters=unused
    )


def barrier(ctx: DistContext) -> None:
    """Wait for every process (no-op for one)."""
    if ctx.active:
        import torch.distributed as dist

        dist.barrier()


def shutdown(ctx: DistContext) -> None:
    """Leave the process group (no-op for one)."""
    if ctx.active:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


def all_mean(ctx: DistContext, value: float) -> float:
    """Mean of a scalar over all processes (the value itself for one process)."""
    if not ctx.active:
        return value
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return float(t.item()) / ctx.world

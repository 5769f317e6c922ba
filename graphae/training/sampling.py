"""Each epoch's training pairs: the positives (all, or shuffled mini-batches) and fresh negatives.

The draws come from one seeded generator in a fixed order -- the epoch's
permutation of the positives first, then each batch's negatives just before
that batch trains -- so a run, and a run resumed from a checkpoint holding the
generator's state, draws the same pairs.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from graphae.data.split import EdgeSet, sample_negatives

__all__ = ["PairSampler", "positive_batches"]


def positive_batches(
    pos: Tensor, batch_size: int | None, gen: torch.Generator, target: Tensor | None = None
) -> list[tuple[Tensor, Tensor | None]]:
    """The epoch's positive pairs (with their targets): all at once, or shuffled mini-batches.

    Args:
        pos: ``(2, P)`` training positives.
        batch_size: Pairs per batch; ``None`` (or ``>= P``): one batch, nothing drawn.
        gen: Generator of the permutation.
        target: ``(P,)`` soft targets of the positives, or ``None``.

    Returns:
        ``[(pos (2, B), target (B,) or None), ...]`` covering every positive once.
    """
    if batch_size is None or batch_size >= pos.size(1):
        return [(pos, target)]
    perm = torch.randperm(pos.size(1), device=pos.device, generator=gen)
    return [
        (pos[:, idx], target[idx] if target is not None else None)
        for idx in (perm[i : i + batch_size] for i in range(0, pos.size(1), batch_size))
    ]


class PairSampler:
    """Positive batches with ``neg_ratio`` times as many uniform negatives, epoch after epoch.

    Args:
        pos: ``(2, P)`` training positives.
        exclude: Pairs a negative must never be (the training edges).
        generator: The seeded generator every draw comes from (its state is
            what a checkpoint saves and a resumed run restores).
        batch_size: Positives per step; ``None``: all of them in one step.
        neg_ratio: Negatives per positive (at least one negative per batch).
        target: ``(P,)`` soft targets of the positives, or ``None``.
    """

    def __init__(
        self,
        pos: Tensor,
        exclude: EdgeSet,
        generator: torch.Generator,
        batch_size: int | None = None,
        neg_ratio: float = 1.0,
        target: Tensor | None = None,
    ) -> None:
        self.pos = pos
        self.exclude = exclude
        self.generator = generator
        self.batch_size = batch_size
        self.neg_ratio = neg_ratio
        self.target = target

    def epoch(self) -> Iterator[tuple[Tensor, Tensor, Tensor | None]]:
        """One epoch's batches ``(pos (2, B), neg (2, B'), target (B,) or None)``.

        The permutation is drawn when the iteration starts, each batch's
        negatives when that batch is asked for.
        """
        for pos, target in positive_batches(self.pos, self.batch_size, self.generator, self.target):
            num = max(1, int(pos.size(1) * self.neg_ratio))
            yield pos, sample_negatives(num, self.exclude, generator=self.generator), target

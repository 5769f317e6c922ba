"""Learning-rate schedules (``RunConfig.lr_schedule``): the factor of the base rate per epoch.

The training loop calls ``strategy.scale_lr(lr_factor(...))`` at the start of
every epoch (:meth:`graphae.training.strategies.PlainStrategy.scale_lr`).
"""

from __future__ import annotations

import math

from graphae.errors import GraphaeError

__all__ = ["LINEAR_FLOOR", "LR_SCHEDULES", "lr_factor"]

#: Learning-rate schedules of ``RunConfig.lr_schedule``.
LR_SCHEDULES = ("constant", "cosine", "linear")

#: The smallest factor of the ``"linear"`` schedule (Refined GAE's floor).
LINEAR_FLOOR = 1e-4


def lr_factor(schedule: str, epoch: int, epochs: int, every: int = 1) -> float:
    """Multiplier of the base learning rate in ``epoch`` (1-based) of ``epochs``.

    ``"constant"`` is 1; ``"cosine"`` is ``(1 + cos(π (epoch − 1) / epochs)) / 2``,
    GraphMAE's schedule: 1 in the first epoch, decaying towards (never to) 0.

    ``"linear"`` is Refined GAE's ``adjustlr``: after each epoch whose 0-based
    index ``e`` is a multiple of ``every``, the rate becomes
    ``lr · max(1 − e / epochs, 1e-4)``. The rate of epoch ``t`` is therefore
    ``max(1 − every · ⌊(t − 2) / every⌋ / epochs, 1e-4)`` for ``t ≥ 2`` and 1 for
    ``t = 1`` (the authors' one-epoch lag kept). ``every=1`` decays every epoch
    (epochs 1 and 2 at the full rate, epoch ``t`` at ``1 − (t − 2)/epochs``);
    their default ``every=100`` over 500 epochs is a staircase 1, 0.8, 0.6,
    0.4, 0.2 starting at epochs 1, 102, 202, 302, 402.

    Raises:
        GraphaeError: For an unknown schedule.
    """
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return (1.0 + math.cos(math.pi * (epoch - 1) / epochs)) / 2.0
    if schedule == "linear":
        last = every * ((epoch - 2) // every) if epoch >= 2 else 0
        return max(1.0 - last / epochs, LINEAR_FLOOR)
    raise GraphaeError(f"unknown lr_schedule {schedule!r}; use {', '.join(LR_SCHEDULES)}")

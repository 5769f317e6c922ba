"""The training loop: epochs of mini-batch steps, evaluation, model selection, callbacks.

:class:`TrainingLoop` knows nothing of ``RunConfig``: it is handed the model,
its optimisation strategy and loss, the graph's inputs, a pair sampler, a
:class:`~graphae.training.selection.ModelSelection` (the score, the best epoch
and early stopping) and the objects that watch or steer it (callbacks, a
:class:`~graphae.training.callbacks.Checkpointer`, a
:class:`~graphae.training.callbacks.TrainingControl`).
:func:`graphae.pipeline.fit` assembles those from a config.

One epoch::

    strategy.begin_epoch(e); strategy.scale_lr(lr_factor(e))
    for pos, neg, target in sampler.epoch():      # fresh negatives every batch
        loss = loss_fn(x, edge_index, edge_weight, pos, neg, target)
        full-batch select="loss": selection.offer_loss(model, e - 1, loss)  # before the step
        loss.backward(); clip; strategy.step() (then ARGA's / BGRL's own updates)
    record = {"epoch": e, "loss": mean loss, "loss/<part>": ...}
    every eval_every epochs (and the last): selection.evaluate(model, e, record, z)

then the callbacks see the record, early stopping may end the run, a
checkpoint may be written and a requested stop honoured. Where the training
forward equals the eval-mode encode, an epoch's evaluation is postponed to the
next epoch's first forward (:class:`~graphae.training.reuse.ForwardReuse`),
which changes no number.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from graphae.errors import GraphaeError, TrainingInterrupted
from graphae.training import distributed
from graphae.training.callbacks import Checkpointer, TrainingControl, notify
from graphae.training.distributed import DistContext
from graphae.training.reuse import ForwardReuse
from graphae.training.sampling import PairSampler
from graphae.training.selection import ModelSelection
from graphae.training.steps import TargetEdgeMask, clip_gradients

__all__ = ["GraphInputs", "LoopResult", "StepOptions", "Strategy", "TrainingLoop"]

log = logging.getLogger(__name__)


class Strategy(Protocol):
    """What the loop needs of an optimisation strategy
    (:class:`~graphae.training.strategies.PlainStrategy` and its subclasses)."""

    def begin_epoch(self, epoch: int) -> None: ...
    def scale_lr(self, factor: float) -> None: ...
    def zero_grad(self, set_to_none: bool = True) -> None: ...
    def step(self) -> dict[str, float]: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...
    def extra_state_dict(self) -> dict[str, dict[str, Any]]: ...
    def load_extra_state_dict(self, states: dict[str, dict[str, Any]]) -> None: ...


@dataclass
class GraphInputs:
    """What the encoder reads every step.

    Attributes:
        x: ``(N, F)`` node features.
        edge_index: ``(2, E)`` the message-passing graph.
        edge_weight: ``(E,)`` its weights, or ``None``.
    """

    x: Tensor
    edge_index: Tensor
    edge_weight: Tensor | None = None


@dataclass
class StepOptions:
    """How each training step treats its batch.

    Attributes:
        target_mask: Removes the batch's positives from the message-passing
            graph of that step (``None``: the whole graph).
        clip: Parameter groups whose gradient norms are clipped separately.
        max_norm: The clipping norm (``None``: no clipping).
        autocast: A context manager factory around the forward (bf16 autocast).
        dist: The data-parallel context (each rank scores its shard of the batch).
    """

    target_mask: TargetEdgeMask | None = None
    clip: Sequence[Sequence[nn.Parameter]] = ()
    max_norm: float | None = None
    autocast: Callable[[], Any] = contextlib.nullcontext
    dist: DistContext = field(default_factory=DistContext)


@dataclass
class LoopResult:
    """What :meth:`TrainingLoop.run` leaves behind (the best epoch is in the selection).

    Attributes:
        epochs_run: Epochs trained (early stopping may cut them).
        history: One record per epoch trained, including those before a resume.
    """

    epochs_run: int
    history: list[dict[str, float]]


class TrainingLoop:
    """Trains a model epoch after epoch, evaluating, selecting and stopping as told.

    Args:
        model: The model: ``train()``/``eval()``, ``encode(x, edge_index,
            edge_weight) -> z (N, d)``, ``post_step() -> dict`` (a regulariser's
            own update after each step; ``{}`` for most models).
        strategy: Its optimiser(s) (:class:`Strategy`).
        loss_fn: ``(x, edge_index, edge_weight, pos, neg, target) -> (loss, parts)``.
        inputs: The features and message-passing graph.
        sampler: Each epoch's positive batches and negatives.
        selection: Scores evaluated epochs, keeps the best, decides early stopping.
        epochs: The last epoch.
        eval_every: Evaluate every this many epochs (and always the last).
        lr_factor: ``epoch -> multiplier`` of the base learning rates.
        step: Per-step options (target masking, clipping, autocast, sharding).
        reuse: Scores an epoch from the next epoch's first forward (``None``: never).
        callbacks: Watch the run (:mod:`graphae.training.callbacks`).
        checkpointer: Writes checkpoints at the epochs it says (``None``: none).
        control: Stops training after an epoch on request.
    """

    def __init__(
        self,
        model: nn.Module,
        strategy: Strategy,
        loss_fn: Callable[..., tuple[Tensor, dict[str, float]]],
        inputs: GraphInputs,
        sampler: PairSampler,
        selection: ModelSelection,
        *,
        epochs: int,
        eval_every: int = 1,
        lr_factor: Callable[[int], float] = lambda epoch: 1.0,
        step: StepOptions | None = None,
        reuse: ForwardReuse | None = None,
        callbacks: Sequence[Any] = (),
        checkpointer: Checkpointer | None = None,
        control: TrainingControl | None = None,
    ) -> None:
        self.model = model
        self.strategy = strategy
        self.loss_fn = loss_fn
        self.inputs = inputs
        self.sampler = sampler
        self.selection = selection
        self.epochs = epochs
        self.eval_every = eval_every
        self.lr_factor = lr_factor
        self.step = step if step is not None else StepOptions()
        self.reuse = reuse if reuse is not None else ForwardReuse(model, *_args(inputs), False)
        self.callbacks = callbacks
        self.checkpointer = checkpointer
        self.control = control

    # ------------------------------------------------------------------ epochs

    def run(self, start: int = 1, history: Sequence[dict[str, float]] = ()) -> LoopResult:
        """Train epochs ``start..epochs`` (``start > 1``: continuing a resumed run).

        Args:
            start: The first epoch to train.
            history: The records of the epochs before ``start``.

        Returns:
            The :class:`LoopResult`; the selected epoch is ``selection.best_epoch``.

        Raises:
            GraphaeError: When the loss stops being finite.
            TrainingInterrupted: When ``control`` stopped training before the last epoch.
        """
        history = list(history)
        notify(self.callbacks, "on_start", list(history))
        epochs_run = start - 1
        notify(self.callbacks, "on_train_start", start)
        if self.control is not None:
            self.control.running = True
        try:
            for epoch in range(start, self.epochs + 1):
                record = self._train_epoch(epoch)
                if record is None:  # the previous epoch's (postponed) evaluation ended it
                    log.info(
                        "early stop at epoch %d (best %d)", epochs_run, self.selection.best_epoch
                    )
                    break
                epochs_run = epoch
                if self._end_epoch(epoch, record, history):
                    break
        finally:
            if self.control is not None:
                self.control.running = False
            self.reuse.close()
            notify(self.callbacks, "on_train_end")
        return LoopResult(epochs_run, history)

    def _end_epoch(
        self, epoch: int, record: dict[str, float], history: list[dict[str, float]]
    ) -> bool:
        """Evaluate (or postpone), tell the callbacks, stop early, checkpoint, honour a stop.

        Returns:
            True when early stopping ends training after ``epoch``.
        """
        stop = self.control is not None and self.control.should_stop(epoch)
        save = (
            epoch < self.epochs
            and self.checkpointer is not None
            and self.checkpointer.due(epoch, stop)
        )
        if epoch % self.eval_every == 0 or epoch == self.epochs:
            # the next forward can score this epoch unless nothing follows it or a
            # checkpoint (or a stop) needs the score now
            final = epoch == self.epochs or stop or save
            if final or not self.reuse.postpone(epoch, record):
                self._evaluate(epoch, record, self._encode())
        history.append(record)
        if not self.reuse.waits_for(record):  # else the callbacks see it once it is scored
            notify(self.callbacks, "on_epoch", record)
        notify(self.callbacks, "on_epoch_end", epoch, record, self.selection)
        if self.selection.exhausted:
            log.info("early stop at epoch %d (best %d)", epoch, self.selection.best_epoch)
            return True
        if save:
            self.checkpointer.save(  # type: ignore[union-attr]
                epoch, self.model, self.strategy, self.selection, history, self.sampler.generator
            )
        if stop and epoch < self.epochs:
            directory = self.checkpointer.directory if self.checkpointer is not None else None
            raise TrainingInterrupted(epoch, self.epochs, directory)
        return False

    def _train_epoch(self, epoch: int) -> dict[str, float] | None:
        """Train one epoch; its record ``{"epoch", "loss", "loss/<part>"...}``.

        ``None`` when early stopping fired on the previous epoch's evaluation,
        postponed to this epoch's first forward: that epoch was the last, and
        this one's first step never happened.
        """
        self.model.train()
        self.strategy.begin_epoch(epoch)
        self.strategy.scale_lr(self.lr_factor(epoch))
        losses: list[float] = []
        parts: dict[str, list[float]] = {}
        for pos, neg, target in self.sampler.epoch():
            (loss, named), waiting = self.reuse.forward(lambda: self._forward(pos, neg, target))  # noqa: B023
            if waiting is not None:  # the parameters are still those after that epoch
                w_epoch, w_record, z = waiting
                self._evaluate(w_epoch, w_record, z)
                notify(self.callbacks, "on_epoch", w_record)  # its record is complete now
                self.model.train()
                if self.selection.exhausted:
                    return None
            value = float(loss.detach())  # one host transfer per step
            if self.selection.scores_before_step:  # this loss is the previous epoch's model's
                self.selection.offer_loss(
                    self.model, epoch - 1, distributed.all_mean(self.step.dist, value)
                )
            self._update(epoch, loss, named)
            losses.append(value)
            for k, v in named.items():
                parts.setdefault(k, []).append(v)
        record = {
            "epoch": epoch,
            "loss": distributed.all_mean(self.step.dist, float(np.mean(losses))),
        }
        record.update({f"loss/{k}": float(np.mean(v)) for k, v in parts.items()})
        return record

    # ------------------------------------------------------------------ steps

    def _forward(
        self, pos: Tensor, neg: Tensor, target: Tensor | None
    ) -> tuple[Tensor, dict[str, float]]:
        """The batch's loss (gradients zeroed first)."""
        step = self.step
        self.strategy.zero_grad(set_to_none=True)
        edge_index, edge_weight = self.inputs.edge_index, self.inputs.edge_weight
        if step.target_mask is not None:  # the global batch's targets leave the graph
            edge_index, edge_weight = step.target_mask(pos)
        if step.dist.active:  # every rank drew the same global batch; score a shard
            pos, neg = step.dist.shard(pos), step.dist.shard(neg)
            target = step.dist.shard(target) if target is not None else None
        with step.autocast():
            return self.loss_fn(self.inputs.x, edge_index, edge_weight, pos, neg, target)

    def _update(self, epoch: int, loss: Tensor, named: dict[str, float]) -> None:
        """Backward, clip, optimiser step, then the model's own regulariser update."""
        if not torch.isfinite(loss):
            raise GraphaeError(
                f"training diverged at epoch {epoch} (loss {loss.item()}); lower --lr"
            )
        loss.backward()
        if self.step.max_norm is not None:
            for group in self.step.clip:
                clip_gradients(group, self.step.max_norm)
        named.update(self.strategy.step())  # then the regularisers' own updates (ARGA, BGRL's EMA)

    # ------------------------------------------------------------------ evaluation

    def _encode(self) -> Tensor:
        """``(N, d)`` eval-mode embeddings of the model as it is now."""
        self.model.eval()
        with torch.no_grad():
            return self.model.encode(*_args(self.inputs))  # type: ignore[operator]

    def _evaluate(self, epoch: int, record: dict[str, float], z: Tensor) -> None:
        """Score ``epoch`` from its embeddings (the model must hold that epoch's parameters)."""
        self.model.eval()
        self.selection.evaluate(self.model, epoch, record, z)


def _args(inputs: GraphInputs) -> tuple[Tensor, Tensor, Tensor | None]:
    return inputs.x, inputs.edge_index, inputs.edge_weight

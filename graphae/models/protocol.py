"""The model protocol: what training, evaluation and inference use of a model.

:class:`~graphae.models.autoencoder.GraphAutoEncoder` and the self-supervised
objectives of :mod:`graphae.models.contrastive` (DGI, GRACE, BGRL) both
implement :class:`GraphModel`, so one training loop, one set of strategies
(:mod:`graphae.training.strategies`) and one measurement
(:mod:`graphae.evaluation.measure`) serve every model. Nothing outside a model
reads its private parts: what a strategy needs to know (which parameters the
main optimiser steps, which parts train themselves, whether a step's loss
reads only its pairs' ends) is a method or a property here.

A part that trains *against* the model by an optimiser of its own (ARGA's
discriminator) is an :class:`Adversary`: the model lists it
(:meth:`GraphModel.adversaries`), the training strategy owns, steps and saves
its optimiser.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor, nn

__all__ = ["Adversary", "GraphModel"]


@runtime_checkable
class Adversary(Protocol):
    """A model part trained after each main optimiser step, by its own optimiser.

    Attributes:
        state_key: Key of its optimiser's state in a checkpoint
            (``TrainingState.extra_optimizers``).
        lr: Learning rate of its optimiser (Adam).
    """

    state_key: str
    lr: float

    def parameters(self) -> Iterator[nn.Parameter]:
        """The parameters its optimiser steps (never in the model's ``main_parameters``)."""
        ...

    def update(self, optimizer: torch.optim.Optimizer) -> dict[str, float]:
        """Its own training after a main step, with ``optimizer`` (made over :meth:`parameters`).

        Returns:
            Named floats for logs (``{}`` when there was nothing to do).
        """
        ...


@runtime_checkable
class GraphModel(Protocol):
    """What the training loop, the strategies, evaluation and inference use of a model.

    Attributes:
        encoder: Maps ``(x, edge_index, edge_weight)`` to ``z`` ``(N, d)``.
        decoder: The structure decoder, or ``None``.
        feature_decoder: The feature decoder, or ``None``.
        training: ``nn.Module``'s train / eval flag.
    """

    encoder: nn.Module
    decoder: nn.Module | None
    feature_decoder: nn.Module | None
    training: bool

    @property
    def has_structure_decoder(self) -> bool:
        """Whether link scores come from a structure decoder (else the inner product on ``z``)."""
        ...

    @property
    def pair_local(self) -> bool:
        """Whether a step's loss reads only the embeddings of its pairs' end nodes.

        True for a model whose loss is the sampled-pairs structure loss of a
        pairwise decoder (scores ``(z_u, z_v)`` alone) on the step's own
        positives; then :meth:`pair_loss` on the batch's rows is the whole
        reconstruction loss.
        """
        ...

    def encode(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """``(N, d)`` embeddings of every node (eval-mode view: no corruption, no sampling)."""
        ...

    def score(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        """``(P,)`` link logits of ``pairs`` ``(2, P)``."""
        ...

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        """The scalar training loss of one step and its named parts (floats, for logs)."""
        ...

    def pair_loss(
        self,
        z: Tensor,
        pos: Tensor,
        neg: Tensor,
        edge_index: Tensor | None = None,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """``(weight · L_A, L_A)``: the weighted and the raw sampled-pairs structure loss."""
        ...

    def main_parameters(self) -> list[nn.Parameter]:
        """The parameters the main optimiser steps (every trainable one but the adversaries')."""
        ...

    def adversaries(self) -> dict[str, Adversary]:
        """Parts that train themselves after each main step, keyed by ``state_key``."""
        ...

    def post_step(self) -> dict[str, float]:
        """Updates after each optimiser step that are not gradient steps (BGRL's EMA).

        Returns:
            Named floats for logs.
        """
        ...

    def parameter_counts(self) -> dict[str, int]:
        """Own trainable parameters per part (``encoder``, ``decoder``, ...)."""
        ...

    def reset_parameters(self) -> None:
        """Re-initialise every part."""
        ...

    def parameters(self, recurse: bool = True) -> Iterator[nn.Parameter]:
        """``nn.Module.parameters``."""
        ...

    def train(self, mode: bool = True) -> Any:
        """``nn.Module.train``."""
        ...

    def eval(self) -> Any:
        """``nn.Module.eval``."""
        ...

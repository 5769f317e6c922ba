"""Model selection: which epoch's parameters a run keeps, and when it stops early.

After every evaluated epoch the model's embeddings ``z`` are scored on the
validation pairs (:class:`Validation`: the decoder's link AUC, plus Hits@K
where a selector needs it), and a :class:`Selector` turns that into one
number, larger is better:

=========  ======================  ===========================================
``select`` selector                score
=========  ======================  ===========================================
``link``   :class:`LinkAUC`        validation link AUC of the decoder
``ogb``    :class:`OfficialMetric` the OGB dataset's official metric (Hits@K, MRR)
``probe``  :class:`ProbeAccuracy`  node probe's validation accuracy on ``z``
``loss``   :class:`LowestLoss`     minus the epoch's training loss
``last``   :class:`LastEpoch`      the epoch number (the last one wins)
=========  ======================  ===========================================

:class:`ModelSelection` keeps the best score, its epoch and a copy of the
parameters (a later epoch must score strictly higher to replace them), and
counts evaluations without improvement for early stopping (``patience``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from graphae.data.split import has_pairs
from graphae.errors import GraphaeError
from graphae.evaluation.device import device_link_metrics
from graphae.evaluation.measure import score_pairs, validation_probe
from graphae.evaluation.metrics import OGB_METRICS

if TYPE_CHECKING:
    from graphae.data.graph import Graph

__all__ = [
    "SELECTORS",
    "LastEpoch",
    "LinkAUC",
    "LowestLoss",
    "ModelSelection",
    "OfficialMetric",
    "ProbeAccuracy",
    "Selector",
    "Validation",
    "ValidationScores",
    "make_selector",
]


@dataclass
class ValidationScores:
    """The decoder's scores of the validation pairs after one epoch.

    Attributes:
        pos: ``(P,)`` positive scores on the model's device (``None``: no validation pairs).
        neg: ``(Q,)`` negative scores.
        link: ``{"auc": ..., "hits@K": ...}`` of those scores (``{}`` without pairs).
    """

    pos: Tensor | None = None
    neg: Tensor | None = None
    link: dict[str, float] | None = None


class Validation:
    """Scores the validation pairs with the model's decoder, on the model's device.

    Args:
        pos: ``(2, P)`` validation positives (may be empty).
        neg: ``(2, Q)`` validation negatives.
        edge_index: ``(2, E)`` the message-passing graph the decoder may use.
    """

    def __init__(self, pos: Tensor, neg: Tensor, edge_index: Tensor) -> None:
        self.pos, self.neg, self.edge_index = pos, neg, edge_index
        self.has_pairs = has_pairs(pos, neg)

    def __call__(
        self, model: nn.Module, z: Tensor, hits_at: tuple[int, ...] = ()
    ) -> ValidationScores:
        """Scores and link metrics (AUC, Hits@K for ``hits_at``) of ``z`` ``(N, d)``; one host
        transfer. Empty :class:`ValidationScores` without validation pairs."""
        if not self.has_pairs:
            return ValidationScores()
        with torch.no_grad():
            pos = score_pairs(model, z, self.pos, self.edge_index, to_cpu=False)
            neg = score_pairs(model, z, self.neg, self.edge_index, to_cpu=False)
        return ValidationScores(pos, neg, device_link_metrics(pos, neg, hits_at))


class Selector:
    """How an evaluated epoch is scored for model selection (larger is better).

    Attributes:
        name: What the score is, as the progress bar shows it.
        hits_at: Hits@K values the validation scoring must compute on the device.
        needs_validation_pairs: Whether the score reads the validation pairs.
    """

    #: Whether the loop scores it from each step's loss, before the step
    #: (:meth:`ModelSelection.offer_loss`), rather than after an epoch's evaluation.
    before_step = False

    name = "val/auc"
    hits_at: tuple[int, ...] = ()
    needs_validation_pairs = False

    def score(
        self, epoch: int, record: dict[str, float], z: Tensor, val: ValidationScores
    ) -> float:
        """The score of ``epoch`` (it may add its metric to ``record``).

        Args:
            epoch: The epoch (1-based).
            record: The epoch's history record (``loss``, ``val/auc`` when scored).
            z: ``(N, d)`` the epoch's embeddings on the model's device.
            val: The validation pairs' scores.
        """
        raise NotImplementedError

    def shown(self, score: float) -> str:
        """``score`` as the progress bar prints it."""
        return f"{score:.4f}"


class LinkAUC(Selector):
    """The decoder's validation link AUC (``select="link"``, the default)."""

    name = "val/auc"
    needs_validation_pairs = True

    def score(
        self, epoch: int, record: dict[str, float], z: Tensor, val: ValidationScores
    ) -> float:
        return record.get("val/auc", float("nan"))


class OfficialMetric(Selector):
    """The OGB dataset's official validation metric (``select="ogb"``; e.g. Hits@20 for
    ogbl-ddi): Hits@K counted on the device, MRR / ROC-AUC by OGB's evaluator on the host.
    Each value is added to the record as ``val/<metric>``.

    Args:
        ogb_name: The OGB dataset, e.g. ``"ogbl-ddi"``.
    """

    needs_validation_pairs = True

    def __init__(self, ogb_name: str) -> None:
        self.ogb_name = ogb_name
        metric = OGB_METRICS.get(ogb_name, "")
        self.name = f"val/{metric}"
        self.hits_at = (int(metric[5:]),) if metric.startswith("hits@") else ()

    def score(
        self, epoch: int, record: dict[str, float], z: Tensor, val: ValidationScores
    ) -> float:
        official = {f"hits@{k}": val.link[f"hits@{k}"] for k in self.hits_at} if val.link else {}
        if not official:  # MRR / ROC-AUC datasets: OGB's own evaluator on the host
            from graphae.evaluation.metrics import ogb_metrics

            official = ogb_metrics(self.ogb_name, val.pos.cpu(), val.neg.cpu())
        record.update({f"val/{k}": float(v) for k, v in official.items()})
        return float(next(iter(official.values())))


class ProbeAccuracy(Selector):
    """The node probe's validation accuracy on ``z`` (``select="probe"``), recorded as
    ``val/probe``.

    Args:
        graph: The graph (its labels and masks).
        seed: Seed of the probe's own split and solver.
    """

    name = "val/probe"

    def __init__(self, graph: Graph, seed: int) -> None:
        self.graph, self.seed = graph, seed

    def score(
        self, epoch: int, record: dict[str, float], z: Tensor, val: ValidationScores
    ) -> float:
        record["val/probe"] = validation_probe(z, self.graph, self.seed)
        return record["val/probe"]


class LowestLoss(Selector):
    """The lowest training loss (``select="loss"``, DGI's early stopping): the score is
    minus the loss.

    An epoch's logged loss is computed by its forward pass, before its optimiser
    step: it is the loss of the parameters the *previous* epoch left. With
    full-batch training the loop therefore offers each loss to
    :meth:`ModelSelection.offer_loss` before the step, with the epoch whose
    parameters produced it, and keeps those parameters (DGI's rule: save the
    state whose loss was lowest, before stepping). With mini-batches the epoch's
    mean loss spans several parameter states: it scores the parameters at the
    end of the epoch, through :meth:`ModelSelection.evaluate` as other selectors.
    """

    name = "loss"
    before_step = True

    def score(
        self, epoch: int, record: dict[str, float], z: Tensor, val: ValidationScores
    ) -> float:
        return -record["loss"]

    def shown(self, score: float) -> str:
        return f"{-score:.4f}"


class LastEpoch(Selector):
    """The last evaluated epoch (``select="last"``): the score is the epoch number."""

    name = "epoch"

    def score(
        self, epoch: int, record: dict[str, float], z: Tensor, val: ValidationScores
    ) -> float:
        return float(epoch)

    def shown(self, score: float) -> str:
        return str(int(score)) if math.isfinite(score) else "-"


#: ``RunConfig.select`` value -> selector class.
SELECTORS: dict[str, type[Selector]] = {
    "link": LinkAUC,
    "ogb": OfficialMetric,
    "probe": ProbeAccuracy,
    "loss": LowestLoss,
    "last": LastEpoch,
}


def make_selector(select: str, graph: Graph, seed: int, has_validation: bool) -> Selector:
    """The selector for ``select`` on ``graph``, refusing one the graph cannot feed.

    Args:
        select: ``"link"``, ``"ogb"``, ``"probe"``, ``"loss"`` or ``"last"``.
        graph: The input graph (its OGB name, its labels).
        seed: Seed of the node probe (``select="probe"``).
        has_validation: Whether the split has validation pairs.

    Raises:
        GraphaeError: ``ogb`` on a graph that is not an OGB dataset, ``probe``
            without node labels, ``link``/``ogb`` without validation pairs, or
            an unknown name.
    """
    if select not in SELECTORS:
        raise GraphaeError(f"unknown select {select!r}; use {', '.join(SELECTORS)}")
    ogb_name = graph.meta.get("ogb_name")
    if select == "ogb" and ogb_name is None:
        raise GraphaeError(f"select='ogb' needs an OGB dataset; {graph.name} is not one")
    if select == "probe" and (graph.y is None or not bool((graph.y >= 0).any())):
        raise GraphaeError(f"select='probe' needs node labels; {graph.name} has none")
    if not has_validation and SELECTORS[select].needs_validation_pairs:
        raise GraphaeError(
            f"select={select!r} scores validation edges and this split has none "
            "(val_ratio=0: every edge is trained on); select by probe, loss or last instead"
        )
    if select == "ogb":
        return OfficialMetric(ogb_name)
    if select == "probe":
        return ProbeAccuracy(graph, seed)
    return SELECTORS[select]()


class ModelSelection:
    """The best epoch so far, its parameters, and early stopping.

    Args:
        selector: How an epoch is scored.
        validation: Scores the validation pairs (``val/auc`` in every record
            when the split has them, whatever the selector).
        patience: Stop after this many evaluations without a strictly better
            score (0: never).
        best_score: Best score so far (``-inf``: none); a resumed run passes
            the checkpoint's values for this and the next three.
        best_epoch: Its epoch (0: none).
        best_state: Its model state dict (``None``: none).
        bad_evals: Evaluations since the last improvement.
        full_batch: Whether training takes one step per epoch (then a
            :class:`LowestLoss` selector scores each step's loss before the step:
            :meth:`offer_loss`).
    """

    def __init__(
        self,
        selector: Selector,
        validation: Validation,
        patience: int = 0,
        best_score: float = float("-inf"),
        best_epoch: int = 0,
        best_state: dict[str, Tensor] | None = None,
        bad_evals: int = 0,
        full_batch: bool = False,
    ) -> None:
        self.selector = selector
        self.full_batch = full_batch
        self.validation = validation
        self.patience = patience
        self.best_score = best_score
        self.best_epoch = best_epoch
        self.best_state = best_state
        self.bad_evals = bad_evals

    def restore(
        self,
        best_score: float,
        best_epoch: int,
        best_state: dict[str, Tensor] | None,
        bad_evals: int,
    ) -> None:
        """Continue from a checkpoint's best epoch and early-stopping count."""
        self.best_score, self.best_epoch = best_score, best_epoch
        self.best_state, self.bad_evals = best_state, bad_evals

    def evaluate(self, model: nn.Module, epoch: int, record: dict[str, float], z: Tensor) -> float:
        """Score ``epoch`` from its embeddings into ``record``; keep a copy of the parameters
        when it beats every earlier epoch.

        Args:
            model: The model in eval mode, holding ``epoch``'s parameters.
            epoch: The epoch (1-based).
            record: Its history record (``val/auc`` and the selector's metric added).
            z: ``(N, d)`` its embeddings on the model's device.

        Returns:
            The epoch's score.
        """
        val = self.validation(model, z, self.selector.hits_at)
        if val.link is not None:
            record["val/auc"] = val.link["auc"]
        score = self.selector.score(epoch, record, z, val)
        if not self.scores_before_step:
            self._consider(model, epoch, score)
        return score

    @property
    def scores_before_step(self) -> bool:
        """Whether the selector's scores arrive through :meth:`offer_loss`, not
        :meth:`evaluate` (:class:`LowestLoss` with full-batch training)."""
        return bool(self.selector.before_step) and self.full_batch

    def offer_loss(self, model: nn.Module, epoch: int, loss: float) -> None:
        """The training loss of the parameters after ``epoch`` epochs (0: the initial
        ones), measured by the next epoch's forward pass before its step; keeps a copy
        of them when it is the lowest so far.

        Args:
            model: The model, still holding those parameters.
            epoch: How many epochs of training made them.
            loss: Their loss.
        """
        self._consider(model, epoch, -float(loss))

    def _consider(self, model: nn.Module, epoch: int, score: float) -> None:
        if score > self.best_score:
            self.best_score = score
            self.best_epoch = epoch
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            self.bad_evals = 0
        else:
            self.bad_evals += 1

    @property
    def exhausted(self) -> bool:
        """Whether early stopping says stop (``patience`` evaluations without improvement)."""
        return bool(self.patience) and self.bad_evals >= self.patience

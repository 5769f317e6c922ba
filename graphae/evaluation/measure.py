"""What a trained model's frozen embeddings are worth: the one assembly of metrics and probes.

Every caller that probes a representation goes through this module, so a run's
record, model selection, the benchmark's baselines and hidden layers, and
``graphae evaluate`` all give the same numbers for the same embeddings:

* :func:`node_split` decides the node probe's split of a graph, once for every
  path: the graph's ``train_mask``/``val_mask``/``test_mask`` when it has all
  three (Planetoid's public split); otherwise (none, or only some, which PyG
  input allows) the node probe's seeded stratified 10/10/80 split of the
  labelled nodes (:func:`~graphae.evaluation.metrics.random_node_split`).
* :func:`probe_metrics` is the assembly of the decoder-independent probes on
  arrays: the node probe, k-means NMI and the link probe on a split;
  :func:`probe_embeddings` runs it on any ``(N, k)`` representation of a graph
  (final embeddings, a baseline, a hidden layer, saved embeddings).
* :func:`measure` is the record of a finished run (``link/*`` from the
  decoder, ``recon/*``, and :func:`probe_embeddings`'s ``probe/*``);
  :func:`validation_probe` is the node probe's validation accuracy used for
  ``select="probe"``; :func:`score_pairs` scores pairs with the model's
  decoder in chunks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from graphae.data.features import input_features
from graphae.data.split import has_pairs
from graphae.evaluation.metrics import (
    cluster_nmi,
    link_metrics,
    node_probe,
    ogb_metrics,
    split_link_probe,
)
from graphae.models.losses import pair_bce

if TYPE_CHECKING:
    from graphae.data.graph import Graph
    from graphae.data.split import LinkSplit
    from graphae.models import GraphAutoEncoder

__all__ = [
    "NODE_MASKS",
    "has_labels",
    "measure",
    "node_split",
    "probe_embeddings",
    "probe_metrics",
    "score_pairs",
    "validation_probe",
]

log = logging.getLogger(__name__)

#: The node masks of a public node split, as PyG names them.
NODE_MASKS = ("train_mask", "val_mask", "test_mask")

#: Graphs whose partial masks were already reported (the message is logged once).
_partial_reported: set[tuple[str, tuple[str, ...]]] = set()


def has_labels(y: Tensor | np.ndarray | None) -> bool:
    """Whether ``y`` ``(N,)`` holds at least one node label (``y >= 0``)."""
    return y is not None and bool((y >= 0).any())


def node_split(graph: Graph, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The node probe's split of ``graph``, decided here for every caller.

    Args:
        graph: The graph (its ``data.train_mask``/``val_mask``/``test_mask``).
        rows: ``(M,)`` graph rows the probed representation holds, in its row
            order (``graphae evaluate`` on embeddings of some nodes); ``None``
            for all ``N`` rows.

    Returns:
        ``{"train_mask", "val_mask", "test_mask"}`` as ``(N,)`` (or ``(M,)``)
        bool arrays when the graph has all three; ``{}`` otherwise, and the
        node probe then draws its seeded stratified 10/10/80 split of the
        labelled nodes (the probe's seed). A graph with only some of the masks
        is logged once (a warning: its masks are not used).
    """
    masks = {k: getattr(graph.data, k, None) for k in NODE_MASKS}
    present = tuple(k for k, m in masks.items() if m is not None)
    if len(present) < len(NODE_MASKS):
        key = (graph.name, present)
        if present and key not in _partial_reported:
            _partial_reported.add(key)
            log.warning(
                "%s has %s but not %s: the node probe uses a seeded random 10/10/80 split "
                "of the labelled nodes instead",
                graph.name,
                "/".join(present),
                "/".join(k for k in NODE_MASKS if k not in present),
            )
        return {}
    out = {k: m.cpu().numpy() for k, m in masks.items()}
    return out if rows is None else {k: m[rows] for k, m in out.items()}


def probe_metrics(
    z: Tensor | np.ndarray,
    y: Tensor | np.ndarray | None,
    masks: dict[str, np.ndarray],
    seed: int = 0,
    *,
    split: LinkSplit | None = None,
    num_nodes: int = 0,
    node: bool = True,
    nmi: bool = True,
    link: bool = True,
    max_probe_pairs: int = 50_000,
    require_labels: bool = False,
) -> dict[str, float]:
    """The decoder-independent probes of a frozen ``(N, k)`` representation.

    The node probe (logistic regression on standardised ``z``, C chosen on
    validation) on ``masks`` (from :func:`node_split`; ``{}``: the seeded random
    split), k-means NMI against ``y``, and the link probe (logistic regression
    on ``z_u ⊙ z_v``, trained on a seeded sample of the split's training pairs,
    scored on its test pairs). Each draws from its own seeded generator, so the
    same ``z`` and ``seed`` give the same numbers in every caller.

    Args:
        z: ``(N, k)`` representation (cast to float32).
        y: ``(N,)`` node labels (``-1`` = unknown), or ``None``.
        masks: The node split, ``{}`` or all three ``(N,)`` bool masks.
        seed: Seed of the probes (the run's seed).
        split: The link split for the link probe (``None``: no link probe).
        num_nodes: ``N`` of the split's graph (the link probe's negatives).
        node: Run the node probe.
        nmi: Run k-means NMI.
        link: Run the link probe (only with a split that has test pairs).
        max_probe_pairs: Cap on training positives of the link probe.
        require_labels: Probe nodes even without a labelled node (the probes
            then raise); by default the node probe and NMI are skipped then.

    Returns:
        ``probe/node_accuracy``, ``val/probe/node_accuracy``, ``probe/nmi``,
        ``probe/link_auc`` (those that apply, in this order).
    """
    if isinstance(z, Tensor):
        z = z.detach().float().cpu().numpy()
    zc = np.asarray(z, dtype=np.float32)
    out: dict[str, float] = {}
    if (node or nmi) and (require_labels or has_labels(y)):
        yn = y.cpu().numpy() if isinstance(y, Tensor) else np.asarray(y)
        if node:
            probe = node_probe(zc, yn, seed=seed, **masks)
            out["probe/node_accuracy"] = float(probe["accuracy"])
            out["val/probe/node_accuracy"] = float(probe["val_accuracy"])
        if nmi:
            out["probe/nmi"] = float(cluster_nmi(zc, yn, seed=seed))
    if link and split is not None:
        auc = split_link_probe(zc, split, num_nodes, seed=seed, max_pairs=max_probe_pairs)
        if auc is not None:  # None: the split has no test pairs
            out["probe/link_auc"] = auc
    return out


def probe_embeddings(
    z: Tensor | np.ndarray,
    graph: Graph,
    split: LinkSplit | None = None,
    seed: int = 0,
    *,
    node: bool = True,
    link: bool = True,
    nmi: bool = True,
    max_probe_pairs: int = 50_000,
) -> dict[str, float]:
    """The probes of :func:`measure` on any ``(N, k)`` representation of ``graph``.

    Args:
        z: ``(N, k)`` representation (embeddings, a hidden layer, raw features).
        graph: The graph (labels and its node split, see :func:`node_split`).
        split: The link split the run used (training pairs and test pairs);
            ``None``: no link probe.
        seed: Seed of the probes (the run's seed).
        node: Run the node probe (needs labels).
        link: Run the link probe.
        nmi: Run k-means NMI (needs labels).
        max_probe_pairs: Cap on training positives of the link probe.

    Returns:
        ``probe/node_accuracy``, ``val/probe/node_accuracy``, ``probe/nmi``,
        ``probe/link_auc`` (those that apply).
    """
    return probe_metrics(
        z,
        graph.y,
        node_split(graph) if node and has_labels(graph.y) else {},
        seed,
        split=split,
        num_nodes=graph.num_nodes,
        node=node,
        nmi=nmi,
        link=link,
        max_probe_pairs=max_probe_pairs,
    )


@torch.no_grad()
def score_pairs(
    model: GraphAutoEncoder,
    z: Tensor,
    pairs: Tensor,
    edge_index: Tensor,
    chunk: int = 1 << 20,
    to_cpu: bool = True,
) -> Tensor:
    """Decoder logits of ``pairs`` ``(2, P)`` in chunks, as ``(P,)`` float32 on the CPU
    (``to_cpu=False``: on ``z``'s device, no host transfer)."""
    out = [
        model.score(z, pairs[:, i : i + chunk], edge_index).float()
        for i in range(0, pairs.size(1), chunk)
    ]
    scores = torch.cat(out) if out else torch.empty(0, device=z.device)
    return scores.cpu() if to_cpu else scores


def validation_probe(z: Tensor, graph: Graph, seed: int) -> float:
    """Validation accuracy of the node probe on ``z`` (model selection with ``select="probe"``).

    Args:
        z: ``(N, d)`` embeddings (any device).
        graph: The labelled graph (its node split, see :func:`node_split`).
        seed: The run's seed.

    Returns:
        ``val/probe/node_accuracy`` of :func:`probe_embeddings` on ``z``.
    """
    probe = probe_metrics(
        z, graph.y, node_split(graph), seed, nmi=False, link=False, require_labels=True
    )
    return probe["val/probe/node_accuracy"]


def measure(
    model: GraphAutoEncoder,
    z: Tensor,
    graph: Graph,
    split: LinkSplit,
    seed: int = 0,
    max_probe_pairs: int = 50_000,
    x: Tensor | None = None,
) -> dict[str, float]:
    """Every metric of a trained model's frozen embeddings (keys as in design.md).

    The decoder's own link metrics (``link/*``, ``recon/loss``) on validation and
    test, and the decoder-independent probes (``probe/*``) on ``z``.

    A model without a structure decoder (feature-only) has no ``link/*``: its
    link metrics are those of the parameter-free inner product on ``z``, keyed
    ``link_ip/*`` to say so, and its ``recon/loss`` is the feature
    reconstruction loss over all nodes. A model with a feature decoder also
    reports that loss as ``recon/feature_loss`` (MSE or SCE, as trained).

    Args:
        model: The trained model (eval mode).
        z: ``(N, d)`` embeddings on the model's device.
        graph: The input graph (labels and node split, see :func:`node_split`).
        split: The split on the model's device.
        seed: Seed of the probes' own sampling.
        max_probe_pairs: Cap on training pairs of the link probe.
        x: ``(N, F)`` the features the model consumed (the target of a
            feature decoder); ``None`` for the graph's features prepared with
            the default ``feature_norm``.

    Returns:
        Flat ``{name: value}`` metrics.
    """
    metrics: dict[str, float] = {}
    ogb_name = graph.meta.get("ogb_name")
    has_structure = getattr(model, "has_structure_decoder", True)
    prefix = "link" if has_structure else "link_ip"
    for part, pos_pairs, neg_pairs in (
        ("val/", split.val_pos, split.val_neg),
        ("", split.test_pos, split.test_neg),
    ):
        if not has_pairs(pos_pairs, neg_pairs):  # val_ratio / test_ratio 0: nothing to score
            continue
        pos = score_pairs(model, z, pos_pairs, split.mp_edge_index)
        neg = score_pairs(model, z, neg_pairs, split.mp_edge_index)
        link = link_metrics(pos, neg)
        if ogb_name is not None:
            link.update(ogb_metrics(ogb_name, pos, neg))
        metrics.update({f"{part}{prefix}/{k}": float(v) for k, v in link.items()})
        if has_structure:
            metrics[f"{part}recon/loss"] = float(pair_bce(pos, neg))
    if getattr(model, "feature_decoder", None) is not None and graph.data.x is not None:
        with torch.no_grad():
            x = input_features(graph, device=z.device) if x is None else x.to(z.device)
            floss = float(model.feature_recon_loss(x, z, split.mp_edge_index, split.mp_edge_weight))
        metrics["recon/feature_loss"] = floss
        if not has_structure:
            metrics["recon/loss"] = floss
    metrics.update(probe_embeddings(z, graph, split, seed, max_probe_pairs=max_probe_pairs))
    return metrics

"""What a trained model's frozen embeddings are worth: the one assembly of metrics and probes.

:func:`measure` is the record of a finished run (``link/*`` from the decoder,
``recon/*``, the decoder-independent ``probe/*``); :func:`score_pairs` scores
pairs with the model's decoder in chunks; :func:`validation_probe` is the node
probe's validation accuracy used for ``select="probe"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

__all__ = ["measure", "score_pairs", "validation_probe"]


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
    """Validation accuracy of the node probe on ``z`` (model selection with ``select="probe"``)."""
    masks = {k: getattr(graph.data, k, None) for k in ("train_mask", "val_mask", "test_mask")}
    masks = {k: (v.cpu().numpy() if v is not None else None) for k, v in masks.items()}
    if any(v is None for v in masks.values()):
        masks = {}
    probe = node_probe(z.detach().float().cpu().numpy(), graph.y.cpu().numpy(), seed=seed, **masks)
    return float(probe["val_accuracy"])


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
        graph: The input graph (labels and masks for the node probe).
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
    zc = z.detach().float().cpu().numpy()
    y = graph.y
    if y is not None and bool((y >= 0).any()):
        yn = y.cpu().numpy()
        masks = {k: getattr(graph.data, k, None) for k in ("train_mask", "val_mask", "test_mask")}
        masks = {k: (v.cpu().numpy() if v is not None else None) for k, v in masks.items()}
        probe = node_probe(zc, yn, seed=seed, **masks)
        metrics["probe/node_accuracy"] = float(probe["accuracy"])
        metrics["val/probe/node_accuracy"] = float(probe["val_accuracy"])
        metrics["probe/nmi"] = float(cluster_nmi(zc, yn, seed=seed))
    auc = split_link_probe(zc, split, graph.num_nodes, seed=seed, max_pairs=max_probe_pairs)
    if auc is not None:
        metrics["probe/link_auc"] = auc
    return metrics

"""Baselines probed beside every trained run, on the same split and with the same probes.

* ``untrained``: the encoder at its random initialisation (seeded as the run),
  never trained — how much of a GNN's feature quality comes from the
  architecture alone.
* ``features``: the raw node features ``X``.
* ``spectral``: the rank-``d`` truncated SVD of the normalised adjacency
  ``Â = D^-1/2 (A + I) D^-1/2`` of the message-passing graph, ``Z = U_d S_d^1/2``
  (the optimum of a linear autoencoder of ``Â``), computed sparse with
  :func:`scipy.sparse.linalg.svds` — never a dense ``N × N`` matrix.

Each returns embeddings and the parameter count of the model that produced
them; :func:`baseline_embeddings` dispatches by name.

The classic link heuristics (:mod:`graphae.nn.heuristics`: common neighbours,
Adamic-Adar, resource allocation, preferential attachment, truncated Katz) are
baselines too, but they score pairs instead of producing embeddings:
:func:`heuristic_metrics` gives their link metrics on a split — computed on the
split's message-passing graph only — under the same keys as a run's decoder
(``link/auc``, ``link/ap``, ``link/hits@K``, ``link/mrr``, ``val/...``, and the
official OGB metric on OGB datasets).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
from torch import Tensor

from graphae.bench.spec import HEURISTIC_BASELINES
from graphae.data.features import input_features
from graphae.data.graph import Graph
from graphae.data.split import LinkSplit
from graphae.errors import GraphaeError

__all__ = [
    "HEURISTIC_BASELINES",
    "BaselineSkipped",
    "baseline_embeddings",
    "heuristic_metrics",
    "normalized_adjacency",
    "spectral_embedding",
    "untrained_model",
]

log = logging.getLogger(__name__)


class BaselineSkipped(GraphaeError):
    """A baseline that does not apply to a graph (e.g. raw features of a featureless graph)."""


def normalized_adjacency(
    edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None
) -> Any:
    """``D^-1/2 (A + I) D^-1/2`` as a scipy CSR matrix.

    Args:
        edge_index: ``(2, E)`` edges (both directions for undirected graphs).
        num_nodes: ``N``.
        edge_weight: ``(E,)`` weights or ``None`` (all ones).

    Returns:
        ``(N, N)`` sparse CSR matrix (float64); duplicate entries are summed.
    """
    import scipy.sparse as sp

    ei = edge_index.detach().cpu().numpy()
    w = np.ones(ei.shape[1]) if edge_weight is None else edge_weight.detach().cpu().double().numpy()
    a = sp.coo_matrix((w, (ei[0], ei[1])), shape=(num_nodes, num_nodes)).tocsr()
    a = a + sp.identity(num_nodes, format="csr")
    deg = np.asarray(a.sum(axis=1)).ravel()
    inv = np.zeros_like(deg)
    nz = deg > 0
    inv[nz] = deg[nz] ** -0.5
    d = sp.diags(inv)
    return (d @ a @ d).tocsr()


def spectral_embedding(
    edge_index: Tensor, num_nodes: int, dim: int, edge_weight: Tensor | None = None, seed: int = 0
) -> np.ndarray:
    """Rank-``dim`` truncated SVD embedding ``U S^1/2`` of the normalised adjacency.

    Args:
        edge_index: ``(2, E)`` message-passing edges.
        num_nodes: ``N``.
        dim: ``d`` (clipped to ``N - 1``, the most ``svds`` computes).
        edge_weight: Optional ``(E,)`` weights.
        seed: Seed of the solver's start vector (the result is unique up to signs).

    Returns:
        ``(N, d)`` float32 embeddings, columns by decreasing singular value.
    """
    from scipy.sparse.linalg import svds

    a = normalized_adjacency(edge_index, num_nodes, edge_weight)
    k = min(dim, num_nodes - 1)
    if k < 1:
        raise BaselineSkipped(f"spectral baseline needs at least 2 nodes, got {num_nodes}")
    u, s, _ = svds(a, k=k, random_state=np.random.default_rng(seed))
    order = np.argsort(-s)
    z = u[:, order] * np.sqrt(s[order])[None, :]
    # fix the sign of each column (largest-magnitude entry positive): deterministic output
    flip = np.sign(z[np.abs(z).argmax(axis=0), np.arange(z.shape[1])])
    flip[flip == 0] = 1.0
    return (z * flip[None, :]).astype(np.float32)


def untrained_model(config: Any, graph: Graph) -> Any:
    """The run's model at its seeded random initialisation, in eval mode (CPU).

    Args:
        config: The :class:`~graphae.config.RunConfig` of the run.
        graph: The graph.
    """
    from graphae.models import build_model
    from graphae.training.runtime import seed_everything

    seed_everything(config.seed, config.deterministic)
    in_channels = graph.data.x.size(1) if graph.data.x is not None else 0
    model = build_model(config, in_channels, graph.num_nodes, directed=graph.directed)
    return model.eval()


def baseline_embeddings(
    name: str, config: Any, graph: Graph, split: LinkSplit
) -> tuple[np.ndarray, dict[str, int], Any]:
    """Embeddings of a baseline.

    Args:
        name: ``untrained``, ``features`` or ``spectral``.
        config: The run configuration (seed, width, encoder).
        graph: The graph.
        split: The run's split (its message-passing graph feeds the encoder and
            the spectral embedding).

    Returns:
        ``(z (N, k) float32, parameter counts, model or None)``; the model is the
        untrained one (for layer-wise probes), ``None`` otherwise.

    Raises:
        BaselineSkipped: When the baseline does not apply to this graph.
        GraphaeError: On an unknown name.
    """
    if name == "features":
        if graph.data.x is None:
            raise BaselineSkipped(f"{graph.name} has no node features")
        x = input_features(graph, config.feature_norm)  # what the encoders see
        return x.detach().cpu().numpy(), {"encoder": 0, "decoder": 0}, None
    if name == "spectral":
        z = spectral_embedding(
            split.mp_edge_index,
            graph.num_nodes,
            config.out_channels,
            split.mp_edge_weight,
            seed=config.seed,
        )
        return z, {"encoder": 0, "decoder": 0}, None
    if name == "untrained":
        if graph.data.x is None and config.encoder != "embedding":
            raise BaselineSkipped(
                f"{graph.name} has no node features for a {config.encoder} encoder"
            )
        model = untrained_model(config, graph)
        x = input_features(graph, config.feature_norm)
        with torch.no_grad():
            z = model.encode(x, split.mp_edge_index, split.mp_edge_weight)
        counts = model.parameter_counts()
        return z.detach().float().cpu().numpy(), {"encoder": counts["encoder"], "decoder": 0}, model
    raise GraphaeError(f"unknown baseline {name!r}; valid baselines: features, spectral, untrained")


def heuristic_metrics(
    name: str, graph: Graph, split: LinkSplit, **options: Any
) -> dict[str, float]:
    """Link metrics of a heuristic on a split's validation and test pairs.

    The heuristic sees the split's message-passing graph only (never a
    validation or test edge).

    Args:
        name: Heuristic name or alias (``cn``, ``aa``, ``ra``, ``pa``, ``katz``).
        graph: The graph (its ``meta["ogb_name"]`` selects the official metric).
        split: The split.
        **options: Heuristic options (``beta``, ``max_length`` for Katz).

    Returns:
        ``{"link/auc", "link/ap", "link/hits@K", "link/mrr", ...}`` on test and
        the same keys prefixed ``val/`` on validation (parts without pairs are
        left out); OGB datasets add their Evaluator metric (e.g. ``link/hits@20``
        for ogbl-ddi, which then is the official value).
    """
    from graphae.evaluation.metrics import link_metrics, ogb_metrics
    from graphae.nn.heuristics import split_heuristic_scores

    ogb = graph.meta.get("ogb_name")
    out: dict[str, float] = {}
    for part, (pos, neg) in split_heuristic_scores(name, split.to("cpu"), **options).items():
        link = link_metrics(pos, neg)
        if ogb is not None:
            link.update(ogb_metrics(ogb, pos, neg))
        prefix = "val/" if part == "val" else ""
        out.update({f"{prefix}link/{k}": float(v) for k, v in link.items()})
    return out

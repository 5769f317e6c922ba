"""Features for a graph without any: identity, degree, random, or learnable codes.

``"auto"`` was chosen by measurement (``benchmarks/results/featureless.md``):
one-hot identity up to :data:`IDENTITY_MAX_NODES` nodes, else degree features
beside a learnable input code per node (``"degree_learnable"``).
"""

from __future__ import annotations

import logging

import torch

from graphae.errors import GraphaeError

logger = logging.getLogger(__package__)  # one logger, "graphae.data.io", for the package

IDENTITY_MAX_NODES = 2048

#: Width of the ``feature_fallback="random"`` features.
RANDOM_FEATURE_DIM = 64
DEGREE_BUCKETS = 16


def identity_features(num_nodes: int) -> torch.Tensor:
    """One-hot node identity features.

    Args:
        num_nodes: ``N``.

    Returns:
        ``(N, N)`` float32 identity matrix.
    """
    return torch.eye(num_nodes, dtype=torch.float32)


def degree_features(
    edge_index: torch.Tensor,
    num_nodes: int,
    directed: bool = False,
    buckets: int = DEGREE_BUCKETS,
) -> torch.Tensor:
    """Structural features from node degrees (for graphs without features).

    Args:
        edge_index: ``(2, E)`` edges (both directions for an undirected graph).
        num_nodes: ``N``.
        directed: Degree is in-degree + out-degree; otherwise the number of
            neighbours (entries of ``edge_index[0]``).
        buckets: Number of log2 degree buckets.

    Returns:
        ``(N, 1 + buckets)`` float32: ``log(1 + deg)`` then a one-hot of
        ``min(floor(log2(1 + deg)), buckets - 1)``.
    """
    ends = edge_index.reshape(-1) if directed else edge_index[0]
    deg = torch.bincount(ends, minlength=num_nodes).double()
    bucket = torch.floor(torch.log2(1 + deg)).long().clamp(max=buckets - 1)
    onehot = torch.nn.functional.one_hot(bucket, buckets).double()
    return torch.cat([torch.log1p(deg).unsqueeze(1), onehot], dim=1).float()


def random_features(
    num_nodes: int, channels: int = RANDOM_FEATURE_DIM, seed: int = 0
) -> torch.Tensor:
    """Fixed random node features (a featureless graph's random-feature fallback).

    Args:
        num_nodes: ``N``.
        channels: Width ``k``.
        seed: Seed of the draw (the same graph always gets the same features).

    Returns:
        ``(N, k)`` float32 standard normal entries.
    """
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(num_nodes, channels, generator=gen, dtype=torch.float32)


def _fallback_features(
    mode: str, edge_index: torch.Tensor, n: int, directed: bool, name: str
) -> tuple[torch.Tensor | None, str]:
    if mode == "none":
        logger.info(
            "%s: no node features given and feature_fallback='none': the encoder needs "
            "learnable codes (learnable_input=true or --encoder embedding)",
            name,
        )
        return None, "none"
    if mode == "random":
        logger.info(
            "%s: no node features given; using %d fixed random (standard normal) features",
            name,
            RANDOM_FEATURE_DIM,
        )
        return random_features(n), "random"
    if mode == "auto":  # chosen by measurement: benchmarks/results/featureless.md
        mode = "identity" if n <= IDENTITY_MAX_NODES else "degree_learnable"
    if mode == "learnable":
        logger.info(
            "%s: no node features given; the encoder learns an input code per node "
            "(feature_fallback='learnable')",
            name,
        )
        return None, "learnable"
    kind = mode
    if kind == "identity":
        if n > 50_000:
            raise GraphaeError(
                f"identity features for {n} nodes need an {n} x {n} matrix; use "
                "feature_fallback='degree' or give node features"
            )
        logger.info(
            "%s: no node features given; using identity (one-hot) features (%d x %d)", name, n, n
        )
        return identity_features(n), "identity"
    x = degree_features(edge_index, n, directed)
    if kind == "degree_learnable":
        logger.info(
            "%s: no node features given; using %d degree features beside a learnable input "
            "code per node (feature_fallback='degree_learnable')",
            name,
            x.size(1),
        )
        return x, "degree_learnable"
    logger.info(
        "%s: no node features given; using %d degree features (log degree + log2 degree buckets)",
        name,
        x.size(1),
    )
    return x, "degree"

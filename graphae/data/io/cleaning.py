"""Edges cleaned: self loops and zero weights dropped, duplicates merged, coalesced."""

from __future__ import annotations

import logging

import numpy as np
import torch

from graphae.data.graph import NodeIndex
from graphae.data.io.edges import _EDGE_HINT
from graphae.data.io.where import _Where

logger = logging.getLogger(__package__)  # one logger, "graphae.data.io", for the package


def _group_max(keys: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Distinct sorted ``keys`` and the largest weight of each group."""
    if w is None:
        k = np.sort(keys)
        return k[_run_starts(k)], None
    order = np.argsort(keys)
    k = keys[order]
    starts = _run_starts(k)
    uw = np.maximum.reduceat(w[order], starts) if len(k) else w
    return k[starts], uw


def _run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Positions where a new value starts in ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _clean_edges(
    src: np.ndarray, dst: np.ndarray, w: np.ndarray | None, n: int, directed: bool
) -> tuple[torch.Tensor, torch.Tensor | None, dict[str, int]]:
    """Drop self loops and zero weights, merge duplicates (max weight), coalesce.

    Args:
        src, dst: ``(E,)`` rows of each listed edge.
        w: ``(E,)`` weights or ``None``.
        n: ``N``.
        directed: Keep direction; otherwise store both directions.

    Returns:
        ``(edge_index (2, E'), edge_weight (E',) or None, counts)``.
    """
    stats = {"self_loops_dropped": int((src == dst).sum()), "zero_weight_dropped": 0}
    keep = src != dst
    if w is not None:
        zero = (w == 0) & keep
        stats["zero_weight_dropped"] = int(zero.sum())
        keep &= ~zero
    src, dst = src[keep], dst[keep]
    w = w[keep] if w is not None else None
    if directed:
        keys, uw = _group_max(src * n + dst, w)
        stats["duplicates_merged"] = int(len(src) - keys.size)
        row, col = keys // n, keys % n
    else:
        ordered = _run_starts(np.sort(src * n + dst)).size
        stats["duplicates_merged"] = int(len(src) - ordered)
        a, b = np.minimum(src, dst), np.maximum(src, dst)
        keys, uw = _group_max(a * n + b, w)
        stats["reverse_listings_merged"] = int(ordered - keys.size)
        a, b = keys // n, keys % n
        both = np.concatenate([a * n + b, b * n + a])
        if uw is None:
            both.sort()
        else:
            order = np.argsort(both)
            both, uw = both[order], np.concatenate([uw, uw])[order]
        row, col = both // n, both % n
    edge_index = torch.from_numpy(np.stack([row, col]).astype(np.int64))
    weight = torch.from_numpy(uw.astype(np.float32)) if uw is not None else None
    return edge_index, weight, stats


def _log_cleaning(stats: dict[str, int], name: str) -> None:
    if stats["self_loops_dropped"]:
        logger.info("%s: dropped %d self loops", name, stats["self_loops_dropped"])
    if stats["zero_weight_dropped"]:
        logger.info("%s: dropped %d zero-weight edges", name, stats["zero_weight_dropped"])
    if stats["duplicates_merged"]:
        logger.info(
            "%s: merged %d repeated edge listings (kept the largest weight)",
            name,
            stats["duplicates_merged"],
        )
    if stats.get("reverse_listings_merged"):
        logger.info(
            "%s: merged %d edges listed in both directions into single undirected edges "
            "(kept the largest weight)",
            name,
            stats["reverse_listings_merged"],
        )


def _check_graph(
    nodes: NodeIndex, edge_index: torch.Tensor, stats: dict[str, int], where: _Where
) -> None:
    if len(nodes) < 2:
        only = f" ({nodes.id(0)!r})" if len(nodes) else ""
        raise where.error(
            f"the graph has a single node{only}; give at least two nodes and an edge between them"
            if len(nodes)
            else "the graph has no nodes; " + _EDGE_HINT
        )
    if edge_index.size(1) == 0:
        parts = [
            f"{stats[key]} {what}"
            for key, what in (
                ("self_loops_dropped", "self loops"),
                ("zero_weight_dropped", "zero-weight edges"),
            )
            if stats[key]
        ]
        after = f" after dropping {' and '.join(parts)}" if parts else ""
        raise where.error(
            f"the graph has no edges{after} ({len(nodes)} isolated nodes), nothing to learn from; "
            "give at least one edge between two different nodes with a positive weight"
        )

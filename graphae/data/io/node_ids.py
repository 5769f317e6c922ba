"""Node ids: typed rows (integer ids sorted), implicit ids, nodes only features name."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from graphae.data.graph import NodeIndex
from graphae.data.io.edges import _Edges
from graphae.data.io.features import _Features
from graphae.data.io.where import _describe, _Where
from graphae.errors import InputError

logger = logging.getLogger(__package__)  # one logger, "graphae.data.io", for the package


def _as_ints(tokens: list[str]) -> list[int] | None:
    """The tokens as ints when every one is a canonical integer, else ``None``."""
    out = []
    for t in tokens:
        try:
            v = int(t)
        except ValueError:
            return None
        if str(v) != t:
            return None
        out.append(v)
    return out


def _order_nodes(tokens: list[str]) -> tuple[NodeIndex, np.ndarray]:
    """NodeIndex over ``tokens`` and the row of each token.

    Returns:
        ``(nodes, rank)`` with ``rank`` ``(T,)`` int64: ``rank[k]`` is the row of
        ``tokens[k]``. Integer ids are sorted; string ids keep their order.
    """
    ints = _as_ints(tokens)
    if ints is None:
        return NodeIndex(tokens), np.arange(len(tokens), dtype=np.int64)
    order = np.array(sorted(range(len(ints)), key=ints.__getitem__), dtype=np.int64)
    rank = np.empty(len(ints), dtype=np.int64)
    rank[order] = np.arange(len(ints), dtype=np.int64)
    return NodeIndex(ints[k] for k in order), rank


def _implicit_ids(edge_tokens: list[str], rows: int, where: _Where) -> list[str]:
    """Ids ``0..rows-1`` for features without ids; every edge id must be one of them."""
    allowed = {str(i) for i in range(rows)}
    example = next((t for t in edge_tokens if t not in allowed), None)
    if example is not None:
        raise where.error(
            f"the features have {rows} rows without ids, so node ids must be the integers "
            f"0..{rows - 1}, but the graph has node id {example!r}; give the id of "
            "each feature row (feature_ids=, or --feature-ids on the command line: a file "
            "with one id per line)"
        )
    return sorted(allowed, key=int)


def _merge_feature_nodes(edges: _Edges, feats: _Features) -> tuple[list[str], np.ndarray]:
    """Node tokens (edge nodes, then feature-only nodes) and each feature row's token.

    Returns:
        ``(tokens, feature_pos)`` with ``feature_pos`` ``(R,)`` positions into ``tokens``.

    Raises:
        InputError: When a node of the edges has no feature row.
    """
    ids = feats.ids
    if ids is None:
        ids = _implicit_ids(edges.tokens, len(feats.values), feats.where)
    edge_index = pd.Index(edges.tokens)
    pos = edge_index.get_indexer(ids)
    extra = np.flatnonzero(pos < 0)
    covered = np.zeros(len(edges.tokens), dtype=bool)
    covered[pos[pos >= 0]] = True
    if not covered.all():
        missing = [edges.tokens[k] for k in np.flatnonzero(~covered)[:3]]
        raise InputError(
            f"{int((~covered).sum())} node(s) of the graph have no feature row (e.g. "
            f"{', '.join(repr(m) for m in missing)}); add a row for every node",
            feats.where.path,
        )
    tokens = edges.tokens + [ids[k] for k in extra]
    pos[extra] = np.arange(len(edges.tokens), len(tokens))
    if len(extra):
        logger.info(
            "%s: %d nodes appear only in the feature file; kept as isolated nodes",
            _describe(feats.where, "features"),
            len(extra),
        )
    return tokens, pos

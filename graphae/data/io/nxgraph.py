"""networkx graphs, and the GML and adjacency-list files networkx parses."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from graphae.data.io.edges import _Edges
from graphae.data.io.files import _read_text, _split_lines
from graphae.data.io.where import _describe, _Where
from graphae.errors import InputError

logger = logging.getLogger(__package__)  # one logger, "graphae.data.io", for the package


def _node_tokens(nodes: Sequence[Any], where: _Where) -> list[str]:
    tokens = [str(n) for n in nodes]
    if len(set(tokens)) != len(tokens):
        seen: dict[str, Any] = {}
        for n, tok in zip(nodes, tokens, strict=True):
            if tok in seen:
                raise where.error(
                    f"node ids {seen[tok]!r} and {n!r} have the same text form {tok!r}; "
                    "give nodes distinct ids"
                )
            seen[tok] = n
    return tokens


def _nx_weights(
    edges: list[tuple[Any, Any, Any]], weighted: bool | str, where: _Where
) -> np.ndarray | None:
    """``(E,)`` weights from the ``weight`` attribute (missing ones read as 1)."""
    present = [w is not None for _, _, w in edges]
    if weighted is False or (weighted == "auto" and not any(present)):
        return None
    if weighted is True and not any(present):
        raise where.error("weighted=True but no edge has a 'weight' attribute")
    out = np.ones(len(edges), dtype=np.float64)
    for k, (u, v, w) in enumerate(edges):
        if w is None:
            continue
        try:
            out[k] = float(w)
        except (TypeError, ValueError):
            raise where.error(
                f"edge ({u!r}, {v!r}): non-numeric weight {w!r}; weights must be numbers"
            ) from None
    missing = len(edges) - sum(present)
    if missing:
        logger.info(
            "%s: %d edges without a weight read as weight 1", _describe(where, "graph"), missing
        )
    return out


def _edges_from_networkx(
    g: nx.Graph, *, directed: bool, weighted: bool | str, where: _Where, name: str | None = None
) -> _Edges:
    """networkx graph (any kind; parallel edges merged later) → :class:`_Edges`."""
    nodes = list(g.nodes)
    tokens = _node_tokens(nodes, where)
    pos = {n: k for k, n in enumerate(nodes)}
    edges = list(g.edges(data="weight"))
    weights = _nx_weights(edges, weighted, where)
    src = np.fromiter((pos[u] for u, _, _ in edges), dtype=np.int64, count=len(edges))
    dst = np.fromiter((pos[v] for _, v, _ in edges), dtype=np.int64, count=len(edges))
    if weights is not None:
        edge_where = _Where(where.path, None, "edge")
        bad = ~np.isfinite(weights) | (weights < 0)
        if bad.any():
            k = int(np.argmax(bad))
            raise edge_where.error(
                f"edge ({edges[k][0]!r}, {edges[k][1]!r}) has weight {weights[k]}; weights must "
                "be finite and >= 0"
            )
    if directed and not g.is_directed():
        logger.info("undirected networkx graph read as directed: each edge in both directions")
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
        weights = np.concatenate([weights, weights]) if weights is not None else None
    meta = {"format": "networkx"}
    return _Edges(tokens, src, dst, weights, where, name or str(g.name or "graph"), meta)


def _read_gml(path: Path, *, directed: bool, weighted: bool | str) -> _Edges:
    text, where = _read_text(path, "GML file")
    lines = _split_lines(text)
    try:
        try:
            g = nx.parse_gml(lines, label="label")
        except nx.NetworkXError:
            g = nx.parse_gml(lines, label="id")
    except (nx.NetworkXError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"could not read as GML ({e})", where) from None
    edges = _edges_from_networkx(
        g, directed=directed, weighted=weighted, where=_Where(where), name=path.stem
    )
    edges.meta["format"] = "gml"
    return edges


def _read_adjlist(path: Path, *, directed: bool, weighted: bool | str) -> _Edges:
    text, where = _read_text(path, "adjacency list")
    create = nx.DiGraph if directed else nx.Graph
    try:
        g = nx.parse_adjlist(_split_lines(text), nodetype=str, create_using=create)
    except (nx.NetworkXError, ValueError, TypeError) as e:
        raise InputError(f"could not read as an adjacency list ({e})", where) from None
    edges = _edges_from_networkx(
        g, directed=directed, weighted=weighted, where=_Where(where), name=path.stem
    )
    edges.meta["format"] = "adjlist"
    return edges

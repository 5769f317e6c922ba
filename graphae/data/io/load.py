"""The entry point: :func:`load_graph` reads a source, aligns features and labels, cleans."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data

from graphae.data.features import FEATURE_FALLBACKS
from graphae.data.graph import Graph
from graphae.data.io.cleaning import _check_graph, _clean_edges, _log_cleaning
from graphae.data.io.fallback import _fallback_features
from graphae.data.io.features import _read_features
from graphae.data.io.labels import _labels_for
from graphae.data.io.node_ids import _merge_feature_nodes, _order_nodes
from graphae.data.io.nodelist import _merge_node_list
from graphae.data.io.pyg import _Extra
from graphae.data.io.sources import _read_source
from graphae.data.io.where import _describe, _Where
from graphae.errors import GraphaeError, InputError

logger = logging.getLogger(__package__)  # one logger, "graphae.data.io", for the package


def _check_options(header: Any, weighted: Any, feature_fallback: Any, delimiter: Any) -> None:
    for name, value in (("header", header), ("weighted", weighted)):
        if value not in ("auto", True, False):
            raise GraphaeError(f"{name}={value!r} is invalid; use 'auto', True or False")
    if feature_fallback not in FEATURE_FALLBACKS:
        raise GraphaeError(
            f"feature_fallback={feature_fallback!r} is invalid; use "
            + ", ".join(repr(f) for f in FEATURE_FALLBACKS)
        )
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise GraphaeError(
            f"delimiter={delimiter!r} is invalid; give one character (',', '\\t', ';', '|', ' ') "
            "or None to detect it"
        )


def _dataset_x(extra: _Extra, n: int) -> torch.Tensor | None:
    if extra.x is None:
        return None
    x = extra.x.detach().cpu().float()
    if x.dim() == 1:
        x = x.unsqueeze(1)
    if x.size(0) != n or not torch.isfinite(x).all():
        raise InputError("the Data's x must have one finite row per node")
    return x


def load_graph(
    source: Any,
    *,
    features: str | os.PathLike[str] | np.ndarray | torch.Tensor | None = None,
    feature_ids: str | os.PathLike[str] | Sequence[Any] | None = None,
    labels: str | os.PathLike[str] | Mapping[Any, Any] | None = None,
    directed: bool = False,
    delimiter: str | None = None,
    header: bool | str = "auto",
    weighted: bool | str = "auto",
    feature_fallback: str = "auto",
    nodes: str | os.PathLike[str] | Sequence[Any] | None = None,
) -> Graph:
    """Load a user's graph from a file or an in-memory object.

    Args:
        source: A path — edge list (``.csv .tsv .txt .edges .edgelist .el``),
            ``.graphml``, ``.gexf``, ``.gml``, ``.adjlist`` or scipy sparse ``.npz``
            — or a ``networkx`` graph, a scipy sparse matrix (entry ``(u, v)`` =
            edge ``u -> v``), a PyG ``Data`` or a pandas DataFrame edge list
            (columns ``source``/``target``/``weight`` by name, else the first two
            or three columns).
        features: ``.csv``/``.tsv``/``.txt`` (id column first, header optional),
            ``.npy`` or an ``(R, F)`` array. Rows are matched to nodes by id;
            feature-only nodes are kept as isolated nodes.
        feature_ids: Ids of the rows of a ``.npy``/array (a file with one id per
            line, or a sequence). Without it the rows are the ids ``0..R-1``.
        labels: ``id,label`` file or mapping; unlabelled nodes get ``-1``.
        directed: Treat edges as directed. Otherwise ``edge_index`` holds both
            directions of each edge.
        delimiter: Edge-list delimiter; sniffed among ``,`` tab ``;`` ``|`` and
            whitespace when ``None``.
        header: Edge-list header: ``"auto"`` detects it, or ``True``/``False``.
        weighted: ``"auto"`` uses a weight column/attribute when present;
            ``False`` ignores it; ``True`` requires it.
        feature_fallback: Without features: ``"auto"`` (identity when
            ``N <= 2048``, else ``"degree_learnable"``), ``"identity"``,
            ``"degree"``, ``"random"`` (fixed ``(N, 64)`` standard normal
            features, seed 0), ``"learnable"`` (``x = None``, and a GNN encoder
            learns an input code per node:
            :func:`graphae.nn.latent.featureless_options`),
            ``"degree_learnable"`` (degree features, and such codes beside
            them) or ``"none"`` (``x = None``: the encoder options must
            provide codes).
        nodes: The full node set: a file with one id per line (an ``id``
            header line is allowed) or a sequence of ids. Nodes without edges
            become isolated nodes (they get embeddings); a node of the edges
            that the list lacks is an :class:`InputError`. With ``features``
            too, every feature row must be a listed node.

    Returns:
        A :class:`Graph`: ``data.x`` ``(N, F)`` float32, ``data.edge_index``
        ``(2, E)`` coalesced, ``data.edge_weight`` ``(E,)`` float32 or absent,
        ``data.y`` ``(N,)`` when labels are given; ``nodes`` keeps the ids;
        ``feature_source`` is ``"file"``, ``"dataset"`` or the fallback used
        (``"identity"``, ``"degree"``, ``"random"``, ``"learnable"``,
        ``"degree_learnable"``, ``"none"``); ``meta`` records the cleaning counts.

    Raises:
        InputError: For every problem with the input (message names the file and
            line and says how to fix it).
        GraphaeError: For invalid option values.
    """
    _check_options(header, weighted, feature_fallback, delimiter)
    edges, extra = _read_source(
        source, directed=directed, delimiter=delimiter, header=header, weighted=weighted
    )
    if nodes is not None:
        edges = _merge_node_list(edges, nodes)
    feats = _read_features(features, feature_ids) if features is not None else None
    tokens, feature_pos = (
        _merge_feature_nodes(edges, feats) if feats is not None else (edges.tokens, None)
    )
    if nodes is not None and len(tokens) > len(edges.tokens):
        raise InputError(
            f"feature row id {tokens[len(edges.tokens)]!r} is not in the node file; list every "
            "node there or remove the row",
            feats.where.path if feats is not None else None,
        )
    nodes, rank = _order_nodes(tokens)
    n = len(nodes)
    edge_index, edge_weight, stats = _clean_edges(
        rank[edges.src], rank[edges.dst], edges.weight, n, directed
    )
    name = edges.name
    where = _Where(edges.where.path)
    _log_cleaning(stats, _describe(where, name))
    _check_graph(nodes, edge_index, stats, where)
    if feats is not None:
        x = torch.zeros(n, feats.values.shape[1], dtype=torch.float32)
        x[torch.from_numpy(rank[feature_pos])] = torch.from_numpy(feats.values)
        feature_source = "file"
    elif (x := _dataset_x(extra, n)) is not None:
        feature_source = "dataset"
    else:
        x, feature_source = _fallback_features(feature_fallback, edge_index, n, directed, name)
    data = Data(x=x, edge_index=edge_index, num_nodes=n)
    if edge_weight is not None:
        data.edge_weight = edge_weight
    meta: dict[str, Any] = {
        **edges.meta,
        **stats,
        "source": _describe(where, type(source).__name__),
    }
    if labels is not None:
        y, names = _labels_for(tokens, labels)
        data.y = y[torch.from_numpy(np.argsort(rank))]
        if names is not None:
            meta["label_names"] = names
    elif extra.y is not None:
        data.y = extra.y
    for key, mask in extra.masks.items():
        data[key] = mask
    degree = torch.bincount(edge_index.reshape(-1), minlength=n)
    meta["isolated_nodes"] = int((degree == 0).sum())
    graph = Graph(
        data=data,
        nodes=nodes,
        name=name,
        directed=directed,
        feature_source=feature_source,
        meta=meta,
    )
    logger.info("loaded %s", graph.summary())
    return graph

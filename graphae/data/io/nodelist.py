"""Node files: the full node set, one id per line; nodes without edges are kept."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphae.data.io.edges import _Edges
from graphae.data.io.files import _read_text, _split_lines
from graphae.data.io.values import _check_unique
from graphae.data.io.where import _describe, _Where
from graphae.errors import InputError

logger = logging.getLogger(__package__)  # one logger, "graphae.data.io", for the package

_ID_NAMES = {"id", "node", "node_id", "nodes", "name"}


def _read_node_list(nodes: Any, edge_tokens: list[str]) -> tuple[list[str], _Where]:
    """The ids of a node file (one per line; an ``id``/``node`` header line is skipped)."""
    if not isinstance(nodes, (str, os.PathLike)):
        if isinstance(nodes, (bytes, Mapping)) or not isinstance(nodes, Sequence | np.ndarray):
            raise InputError(
                f"nodes must be a file path or a sequence of ids, not {type(nodes).__name__}"
            )
        ids, where = [str(i) for i in nodes], _Where(None, None, "node")
    else:
        text, path = _read_text(Path(nodes), "node file")
        ids = _split_lines(text)  # ids are taken as written (spaces kept, as in edge lists)
        while ids and not ids[-1].strip():
            ids.pop()
        where = _Where(path, np.arange(1, len(ids) + 1))
        known = set(edge_tokens)
        if ids and ids[0].strip().lower() in _ID_NAMES and ids[0] not in known:
            ids, where = ids[1:], _Where(path, np.arange(2, len(ids) + 1))
    if not ids:
        raise where.error("the node file lists no ids; give one node id per line")
    for k, tok in enumerate(ids):
        if not tok.strip():
            raise where.error("blank line in the node file; give exactly one id per line", k)
    _check_unique(ids, where, "node file")
    return ids, where


def _merge_node_list(edges: _Edges, nodes: Any) -> _Edges:
    """``edges`` with its tokens extended by the node file's nodes without edges.

    Raises:
        InputError: When a node of the edges is not in the node file.
    """
    ids, where = _read_node_list(nodes, edges.tokens)
    declared = pd.Index(ids)
    missing = declared.get_indexer(edges.tokens) < 0
    if missing.any():
        bad = [edges.tokens[k] for k in np.flatnonzero(missing)[:3]]
        raise where.error(
            f"{int(missing.sum())} node id(s) of the edges are not in the node file (e.g. "
            f"{', '.join(repr(b) for b in bad)}); add them to the node file, one per line"
        )
    have = pd.Index(edges.tokens)
    extra = [t for t, pos in zip(ids, have.get_indexer(ids), strict=True) if pos < 0]
    if extra:
        logger.info(
            "%s: %d nodes appear only in the node file; kept as isolated nodes",
            _describe(where, "nodes"),
            len(extra),
        )
    return dataclasses.replace(edges, tokens=edges.tokens + extra)

"""Node labels: ``id,label`` files or mappings; string labels mapped to ``0..K-1``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from graphae.data.graph import NodeIndex
from graphae.data.io.delimited import _read_table, _Table
from graphae.data.io.files import _check_file, _suffix
from graphae.data.io.node_ids import _as_ints
from graphae.data.io.nodelist import _ID_NAMES
from graphae.data.io.values import _check_ids, _check_unique
from graphae.data.io.where import _Where
from graphae.errors import InputError

LABEL_EXTENSIONS = (".csv", ".tsv", ".txt")
_LABEL_NAMES = {"label", "labels", "class", "y", "category", "target"}


def _label_header(table: _Table, known: pd.Index) -> bool:
    first = table.row(0)
    if first[0] in known:
        return False
    return first[0].strip().lower() in _ID_NAMES or first[1].strip().lower() in _LABEL_NAMES


def _read_label_rows(labels: Any, known: pd.Index) -> tuple[list[str], list[str], _Where]:
    """``(ids, labels, where)`` as text from a path or a mapping ``{id: label}``."""
    if isinstance(labels, Mapping):
        return (
            [str(k) for k in labels],
            [str(v) for v in labels.values()],
            _Where(None, None, "label"),
        )
    if not isinstance(labels, (str, os.PathLike)):
        raise InputError(
            f"labels must be a file path or a mapping id -> label, not {type(labels).__name__}"
        )
    path = Path(labels)
    if _suffix(path) not in LABEL_EXTENSIONS:
        _check_file(path, "label file")
        raise InputError(
            f"unsupported label file extension {path.suffix or '(none)'!r}; use .csv, .tsv or .txt "
            "with 'id,label' rows",
            str(path),
        )
    table = _read_table(path, "label file")
    if table.frame.shape[1] != 2:
        raise table.where.error(
            f"found {table.frame.shape[1]} columns; a label file has 2: id,label", 0
        )
    if _label_header(table, known):
        table = table.drop_first()
        if table.num_rows == 0:
            raise InputError("has a header line but no labels; add rows", table.where.path)
    ids = table.frame[0].to_numpy(dtype=object)
    values = table.frame[1].to_numpy(dtype=object)
    _check_ids(ids, table.where, "node id")
    _check_ids(values, table.where, "label")
    return [str(i) for i in ids], [str(v) for v in values], table.where


def _encode_labels(values: list[str], where: _Where) -> tuple[np.ndarray, list[str] | None]:
    """Integer labels as given (``-1`` = unknown), or strings mapped to ``0..K-1`` sorted."""
    ints = _as_ints(values)
    if ints is not None:
        arr = np.array(ints, dtype=np.int64)
        bad = arr < -1
        if bad.any():
            raise where.error(
                f"label {arr[bad][0]} is below -1; labels are >= 0 (-1 = unknown)",
                int(np.argmax(bad)),
            )
        return arr, None
    names = sorted(set(values))
    lookup = {name: k for k, name in enumerate(names)}
    return np.array([lookup[v] for v in values], dtype=np.int64), names


def _labels_for(tokens: list[str], labels: Any) -> tuple[torch.Tensor, list[str] | None]:
    """``(N,)`` labels in token order, ``-1`` where a node has none."""
    known = pd.Index(tokens)
    ids, values, where = _read_label_rows(labels, known)
    pos = known.get_indexer(ids)
    unknown = pos < 0
    if unknown.any():
        i = int(np.argmax(unknown))
        raise where.error(
            f"unknown node id {ids[i]!r} in the label file: it is not a node of the graph; fix "
            "the id or remove the line",
            i,
        )
    _check_unique(ids, where, "label file")
    codes, names = _encode_labels(values, where)
    y = np.full(len(tokens), -1, dtype=np.int64)
    y[pos] = codes
    return torch.from_numpy(y), names


def read_labels(
    labels: str | os.PathLike[str] | Mapping[Any, Any], nodes: NodeIndex
) -> torch.Tensor:
    """Labels of ``nodes`` from an ``id,label`` file (header optional) or a mapping.

    Args:
        labels: Path of a ``.csv``/``.tsv``/``.txt`` file, or ``{id: label}``.
        nodes: The nodes to label, in row order.

    Returns:
        ``(N,)`` long labels, ``-1`` for nodes without one. String labels are
        mapped to ``0..K-1`` in sorted order.

    Raises:
        InputError: On unknown or duplicate ids, empty labels, or a bad file.
    """
    y, _ = _labels_for([str(i) for i in nodes.ids], labels)
    return y

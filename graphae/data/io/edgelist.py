"""Edge lists: delimited text files (header, columns, weights) and pandas/parquet frames."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphae.data.io.delimited import _SAMPLE_LINES, _read_table, _Table
from graphae.data.io.edges import _EDGE_HINT, _Edges
from graphae.data.io.files import COMPRESSION_EXTENSIONS
from graphae.data.io.values import (
    _check_ids,
    _check_weights,
    _id_tokens,
    _is_int_token,
    _is_number,
    _parse_numbers,
)
from graphae.data.io.where import _describe, _Where
from graphae.errors import InputError

logger = logging.getLogger(__package__)  # one logger, "graphae.data.io", for the package

_SOURCE_NAMES = {
    "source",
    "src",
    "from",
    "u",
    "node1",
    "source_id",
    "from_node",
    "head",
    "i",
    "id1",
}
_TARGET_NAMES = {"target", "dst", "to", "v", "node2", "target_id", "to_node", "tail", "j", "id2"}
_WEIGHT_NAMES = {"weight", "weights", "w", "value", "strength"}


def _factorize(src: np.ndarray, dst: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Codes of ids in first-appearance order, line by line (vectorised)."""
    both = np.column_stack([src, dst]).ravel()
    codes, uniques = pd.factorize(both, sort=False)
    codes = codes.astype(np.int64).reshape(-1, 2)
    return [str(u) for u in uniques], codes[:, 0].copy(), codes[:, 1].copy()


def _edge_header(table: _Table) -> bool:
    """Whether the first row of an edge list is a header (``header="auto"``)."""
    first = [c.strip().lower() for c in table.row(0)]
    if _SOURCE_NAMES.intersection(first) and _TARGET_NAMES.intersection(first):
        return True
    rest = table.frame.iloc[1 : 1 + _SAMPLE_LINES]
    if len(rest) == 0:
        return False
    third_is_name = len(first) >= 3 and first[2] != "" and not _is_number(first[2])
    if third_is_name and (first[2] in _WEIGHT_NAMES or rest[2].map(_is_number).all()):
        return True
    ids_int = rest[0].map(_is_int_token).all() and rest[1].map(_is_int_token).all()
    return bool(ids_int and not (_is_number(first[0]) or _is_number(first[1])))


def _pick_columns(
    names: list[str] | None, ncols: int, where: _Where
) -> tuple[int, int, int | None]:
    """Columns of source, target and weight (``None`` when there is none)."""
    if ncols < 2:
        raise where.error(
            "found a single column; " + _EDGE_HINT + " separated by ',', tab, ';', '|' or "
            "spaces (or pass delimiter=)",
            0,
        )
    if names is None:
        if ncols > 3:
            raise where.error(
                f"found {ncols} columns; an edge list has 2 (source, target) or 3 (source, "
                "target, weight); add a header naming the 'source', 'target' and 'weight' columns",
                0,
            )
        return 0, 1, (2 if ncols == 3 else None)
    low = [n.strip().lower() for n in names]

    def find(options: set[str], default: int | None) -> int | None:
        return next((k for k, n in enumerate(low) if n in options), default)

    s = find(_SOURCE_NAMES, 0)
    t = find(_TARGET_NAMES, 1 if s != 1 else 0)
    w = find(_WEIGHT_NAMES, 2 if ncols == 3 and 2 not in (s, t) else None)
    assert s is not None and t is not None
    ignored = [names[k] for k in range(ncols) if k not in (s, t, w)]
    if ignored:
        logger.info("%s: ignoring columns %s", _describe(where, "edge list"), ignored)
    return s, t, w


def _use_weights(w_col: Any, weighted: bool | str, where: _Where) -> bool:
    if weighted is True and w_col is None:
        raise where.error("weighted=True but there is no weight column; add one or drop weighted")
    if weighted is False and w_col is not None:
        logger.info("%s: weighted=False, ignoring the weight column", _describe(where, "edges"))
    return w_col is not None and weighted is not False


def _read_edge_list(
    path: Path, *, delimiter: str | None, header: bool | str, weighted: bool | str
) -> _Edges:
    """Edge list file → :class:`_Edges` (pandas, vectorised; errors name the line)."""
    table = _read_table(path, "edge list", delimiter)
    ncols = table.frame.shape[1]
    if ncols < 2:
        _pick_columns(None, ncols, table.where)
    has_header = _edge_header(table) if header == "auto" else bool(header)
    names = table.row(0) if has_header else None
    s, t, w = _pick_columns(names, ncols, table.where)
    if not has_header:
        logger.info(
            "%s: no header detected, line 1 read as an edge (pass header=True if it is one)",
            table.where.path,
        )
    else:
        logger.info("%s: first line read as a header %s", table.where.path, names)
        table = table.drop_first()
        if table.num_rows == 0:
            raise InputError("has a header line but no edges below it; add edges", table.where.path)
    frame, where = table.frame, table.where
    src, dst = frame[s].to_numpy(dtype=object), frame[t].to_numpy(dtype=object)
    _check_ids(src, where, "source id")
    _check_ids(dst, where, "target id")
    weights = None
    if _use_weights(w, weighted, where):
        hint = "" if has_header else " (if this line is a header, pass header=True)"
        weights = _parse_numbers(frame[w], where, "weight", hint)
        _check_weights(weights, where)
    tokens, src_c, dst_c = _factorize(src, dst)
    meta = {
        "format": "edge_list",
        "delimiter": table.delimiter or "whitespace",
        "header": has_header,
    }
    name = Path(path.stem).stem if path.suffix.lower() in COMPRESSION_EXTENSIONS else path.stem
    return _Edges(tokens, src_c, dst_c, weights, where, name, meta)


def _edges_from_frame(
    df: pd.DataFrame, *, weighted: bool | str, path: Path | None = None
) -> _Edges:
    """pandas edge list: columns source/target[/weight] by name, else by position.

    ``path``: the ``.parquet`` file it was read from (named in errors and the graph name).
    """
    where = (
        _Where(str(path), None, "row") if path is not None else _Where(None, None, "DataFrame row")
    )
    if len(df) == 0:
        raise InputError("the DataFrame has no rows; " + _EDGE_HINT)
    named = all(isinstance(c, str) for c in df.columns)
    names = [str(c) for c in df.columns] if named else None
    s, t, w = _pick_columns(names, df.shape[1], where)
    src = _id_tokens(df.iloc[:, s], where, "source id")
    dst = _id_tokens(df.iloc[:, t], where, "target id")
    weights = None
    if _use_weights(w, weighted, where):
        col = df.iloc[:, w]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            weights = col.to_numpy(dtype=np.float64)
        else:
            weights = _parse_numbers(col.astype(str), where, "weight")
        _check_weights(weights, where)
    tokens, src_c, dst_c = _factorize(src, dst)
    if path is not None:
        return _Edges(tokens, src_c, dst_c, weights, where, path.stem, {"format": "parquet"})
    return _Edges(tokens, src_c, dst_c, weights, where, "graph", {"format": "dataframe"})

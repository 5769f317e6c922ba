"""Node features: ``id``-column files (csv, parquet), ``.npy`` or arrays with optional ids."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from graphae.data.io.delimited import _read_table, _Table
from graphae.data.io.files import (
    _check_file,
    _check_magic,
    _read_parquet,
    _read_text,
    _split_lines,
    _suffix,
)
from graphae.data.io.values import _check_ids, _check_unique, _id_tokens, _is_number, _parse_numbers
from graphae.data.io.where import _Where
from graphae.errors import GraphaeError, InputError

FEATURE_EXTENSIONS = (".csv", ".tsv", ".txt", ".parquet", ".npy")


@dataclass
class _Features:
    """Feature rows before alignment.

    Attributes:
        ids: Node id of each row as text, or ``None`` for the implicit ``0..R-1``.
        values: ``(R, F)`` float32 values.
        where: Source, for messages.
    """

    ids: list[str] | None
    values: np.ndarray
    where: _Where


def _read_id_list(feature_ids: Any) -> tuple[list[str], _Where]:
    """Ids one per line (a path) or an in-memory sequence, as text."""
    if not isinstance(feature_ids, (str, os.PathLike)):
        return [str(i) for i in feature_ids], _Where(None, None, "feature id")
    text, where = _read_text(Path(feature_ids), "feature id file")
    ids = _split_lines(text)
    while ids and not ids[-1].strip():
        ids.pop()
    w = _Where(where, np.arange(1, len(ids) + 1))
    for k, tok in enumerate(ids):
        if not tok.strip():
            raise w.error("blank line in the feature id file; give exactly one id per line", k)
    return ids, w


def _array_features(arr: Any, where: _Where) -> np.ndarray:
    arr = arr.detach().cpu().numpy() if isinstance(arr, torch.Tensor) else np.asarray(arr)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise where.error(f"features must be numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise where.error("features must be real numbers, got complex values")
    if arr.ndim != 2:
        raise where.error(f"features must be a 2-D array (nodes, features), got shape {arr.shape}")
    return arr.astype(np.float32)


def _load_npy(path: Path) -> tuple[np.ndarray, _Where]:
    where = _check_file(path, "feature file")
    _check_magic(path, where, b"\x93NUMPY", ".npy file (save one with numpy.save)")
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e).lower() or "object" in str(e).lower():
            raise InputError(
                "holds an object array (pickled Python objects), which graphae refuses to load "
                "because unpickling can run code; save a numeric array",
                where,
            ) from None
        raise InputError(f"not a valid .npy file ({e})", where) from None
    except (OSError, EOFError) as e:
        raise InputError(f"not a valid .npy file ({e})", where) from None
    if isinstance(arr, np.lib.npyio.NpzFile):
        raise InputError("is an .npz archive; give features as a .npy array or a .csv", where)
    return arr, _Where(where, None, "row")


def _feature_header(table: _Table) -> bool:
    first = table.row(0)[1:]
    return any(c.strip() and not _is_number(c) for c in first)


def _read_feature_csv(path: Path) -> _Features:
    """``id,f1,...,fF`` rows (header optional); width, NaN and value errors name the line."""
    table = _read_table(path, "feature file")
    if table.frame.shape[1] < 2:
        raise table.where.error(
            "a feature file needs an id column and at least one feature column", 0
        )
    if _feature_header(table):
        table = table.drop_first()
        if table.num_rows == 0:
            raise InputError("has a header line but no feature rows; add rows", table.where.path)
    frame, where = table.frame, table.where
    ids = frame[0].to_numpy(dtype=object)
    _check_ids(ids, where, "node id")
    values = np.empty((len(frame), frame.shape[1] - 1), dtype=np.float64)
    width = frame.shape[1] - 1
    for c in range(1, frame.shape[1]):
        col = frame[c]
        short = (col == "").to_numpy()
        if short.any():
            i = int(np.argmax(short))
            have = int((frame.iloc[i, 1:] != "").sum())
            raise where.error(
                f"feature row has {have} value(s) but the file has {width} feature columns; "
                f"give every row an id and {width} numbers",
                i,
            )
        values[:, c - 1] = _parse_numbers(col, where, f"feature (column {c + 1})")
    return _Features([str(t) for t in ids], values.astype(np.float32), where)


def _features_from_parquet(path: Path) -> _Features:
    """``id, f1, ..., fF`` columns of a parquet file (the first column holds the node ids)."""
    df = _read_parquet(path, "feature file")
    where = _Where(str(path), None, "row")
    if df.shape[1] < 2 or len(df) == 0:
        raise InputError(
            "a parquet feature file needs rows, an id column and at least one feature column",
            str(path),
        )
    ids = _id_tokens(df.iloc[:, 0], where, "node id")
    values = df.iloc[:, 1:]
    bad = [c for c in values.columns if not pd.api.types.is_numeric_dtype(values[c])]
    if bad:
        raise InputError(
            f"feature column {bad[0]!r} is not numeric ({values[bad[0]].dtype}); features must "
            "be numbers",
            str(path),
        )
    return _Features([str(t) for t in ids], values.to_numpy(dtype=np.float32), where)


def _read_id_column_file(
    read: Callable[[Path], _Features], path: Path, kind: str, feature_ids: Any
) -> _Features:
    """A feature file whose first column holds the ids (``kind``: ``"parquet"``, ``".csv"``).

    Both kinds share these checks: no ``feature_ids`` (the file carries its own),
    each id on one row only, every value finite.
    """
    if feature_ids is not None:
        raise GraphaeError(
            f"feature_ids is only for .npy features; a {kind} feature file carries its ids "
            "in its first column"
        )
    feats = read(path)
    _check_unique(feats.ids or [], feats.where, "feature file")
    return _check_finite(feats)


def _read_features(features: Any, feature_ids: Any) -> _Features:
    """Features from a path (``.csv``/``.tsv``/``.txt``/``.npy``) or an array."""
    if isinstance(features, (str, os.PathLike)):
        path = Path(features)
        suffix = _suffix(path)
        if suffix == ".parquet" and path.suffix.lower() == ".parquet":
            return _read_id_column_file(_features_from_parquet, path, "parquet", feature_ids)
        if suffix in (".csv", ".tsv", ".txt"):
            return _read_id_column_file(_read_feature_csv, path, ".csv", feature_ids)
        if suffix != ".npy":
            _check_file(path, "feature file")
            raise InputError(
                f"unsupported feature file extension {suffix or '(none)'!r}; use one of "
                + " ".join(FEATURE_EXTENSIONS),
                str(path),
            )
        arr, where = _load_npy(path)
    else:
        arr, where = features, _Where(None, None, "feature row")
    values = _array_features(arr, where)
    ids = None
    if feature_ids is not None:
        ids, id_where = _read_id_list(feature_ids)
        if len(ids) != values.shape[0]:
            raise InputError(
                f"feature_ids lists {len(ids)} ids but the features have {values.shape[0]} rows; "
                "give one id per feature row, in row order",
                id_where.path,
            )
        _check_unique(ids, id_where, "feature id file")
    return _check_finite(_Features(ids, values, where))


def _check_finite(feats: _Features) -> _Features:
    bad = ~np.isfinite(feats.values)
    if bad.any():
        i, c = (int(k) for k in np.argwhere(bad)[0])
        who = f" (id {feats.ids[i]!r})" if feats.ids is not None else ""
        raise feats.where.error(
            f"feature {c + 1} is {feats.values[i, c]}{who}; features must be finite numbers", i
        )
    return feats

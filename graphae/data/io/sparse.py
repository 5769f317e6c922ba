"""scipy sparse adjacency matrices and ``.npz`` archives (loaded without pickle)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from graphae.data.io.edges import _Edges
from graphae.data.io.files import _check_file, _check_magic
from graphae.data.io.where import _Where
from graphae.errors import InputError


def _edges_from_sparse(m: Any, *, weighted: bool | str, where: _Where, name: str) -> _Edges:
    """Square scipy sparse adjacency: entry ``(u, v)`` is the edge ``u -> v``."""
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise where.error(f"the adjacency matrix must be square, got shape {tuple(m.shape)}")
    coo = sp.coo_matrix(m)
    data = coo.data.astype(np.float64)
    bad = ~np.isfinite(data) | (data < 0)
    if bad.any():
        k = int(np.argmax(bad))
        raise where.error(
            f"matrix entry ({coo.row[k]}, {coo.col[k]}) is {data[k]}; weights must be finite "
            "and >= 0"
        )
    use = weighted is True or (weighted == "auto" and bool(np.any(data[data != 0] != 1)))
    if not use:
        keep = data != 0
        coo_row, coo_col, data = coo.row[keep], coo.col[keep], None
    else:
        coo_row, coo_col = coo.row, coo.col
    tokens = [str(i) for i in range(m.shape[0])]
    return _Edges(
        tokens,
        coo_row.astype(np.int64),
        coo_col.astype(np.int64),
        data,
        where,
        name,
        {"format": "scipy_sparse"},
    )


def _load_npz_arrays(path: Path, where: str) -> list[str]:
    """Keys of a ``.npz`` after loading every array with ``allow_pickle=False``."""
    _check_magic(path, where, b"PK\x03\x04", ".npz archive (a zip of .npy arrays)")
    try:
        with np.load(path, allow_pickle=False) as z:
            for key in z.files:
                z[key]
            return list(z.files)
    except ValueError as e:
        if "pickle" in str(e).lower() or "object" in str(e).lower():
            raise InputError(
                "contains object arrays (pickled Python objects), which graphae refuses to load "
                "because unpickling can run code; save numeric arrays only "
                "(scipy.sparse.save_npz)",
                where,
            ) from None
        raise InputError(f"not a valid .npz archive ({e})", where) from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise InputError(f"not a valid .npz archive ({e})", where) from None


def _read_npz(path: Path, *, weighted: bool | str) -> _Edges:
    where = _check_file(path, ".npz file")
    keys = _load_npz_arrays(path, where)
    if not {"format", "shape", "data"} <= set(keys):
        raise InputError(
            f"not a scipy sparse matrix archive (arrays: {', '.join(keys) or 'none'}); save the "
            "adjacency with scipy.sparse.save_npz(path, matrix)",
            where,
        )
    try:
        m = sp.load_npz(path)
    except (ValueError, OSError, KeyError) as e:
        raise InputError(f"could not read the sparse matrix ({e})", where) from None
    edges = _edges_from_sparse(m, weighted=weighted, where=_Where(where), name=path.stem)
    return edges

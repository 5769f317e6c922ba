"""Reading dataset files without running their code.

Everything graphae deserialises from a data root goes through here:

* :func:`torch_load_arrays` — ``torch.save``'d dicts of plain tensors or numpy
  arrays (OGB split files, graphae's and PyG's processed caches), loaded with
  ``torch.load(weights_only=True)`` where only numpy's array reconstruction is
  allowlisted;
* :func:`restricted_planetoid_pickle` — Planetoid's raw files are Python pickles:
  while it is active, PyG's reader unpickles them with an unpickler that admits
  only the types they hold (numpy arrays, scipy CSR matrices, ``defaultdict(list)``).

A file holding anything else is refused with a one-line
:class:`~graphae.errors.GraphaeError` that names it; nothing is unpickled
beyond the allowlist.
"""

from __future__ import annotations

import contextlib
import pickle
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphae.errors import GraphaeError, exception_summary

__all__ = ["restricted_planetoid_pickle", "torch_load_arrays"]


def _numpy_reconstruct() -> Any:
    core = getattr(np, "_core", None) or np.core
    return core.multiarray._reconstruct


def _numpy_safe_globals() -> list[Any]:
    """Globals a ``torch.save``'d dict of plain numpy arrays needs (nothing callable
    beyond array/dtype construction)."""
    rec = _numpy_reconstruct()
    kinds = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
             np.uint32, np.uint64, np.float16, np.float32, np.float64)  # fmt: skip
    dtype_classes = {type(np.dtype(k)) for k in kinds}
    return [
        (rec, "numpy.core.multiarray._reconstruct"),
        (rec, "numpy._core.multiarray._reconstruct"),
        np.ndarray,
        np.dtype,
        *sorted(dtype_classes, key=lambda c: c.__name__),
    ]


def torch_load_arrays(path: Path) -> Any:
    """``torch.load(path, weights_only=True)`` with numpy arrays allowed.

    Raises:
        GraphaeError: When the file holds anything else (it could run code).
    """
    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(e))
        detail = f"it references {found.group(1)}" if found else exception_summary(e, 160)
        raise GraphaeError(
            f"refusing to load {path}: not a plain tensor/array file ({detail}); graphae "
            "never unpickles arbitrary objects: replace it with a fresh copy of the dataset"
        ) from e


def _raw_pickle_allowed() -> dict[tuple[str, str], Any]:
    import scipy.sparse as sp

    rec = _numpy_reconstruct()
    return {
        ("numpy.core.multiarray", "_reconstruct"): rec,
        ("numpy._core.multiarray", "_reconstruct"): rec,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("scipy.sparse.csr", "csr_matrix"): sp.csr_matrix,
        ("scipy.sparse._csr", "csr_matrix"): sp.csr_matrix,
        ("scipy.sparse", "csr_matrix"): sp.csr_matrix,
        ("collections", "defaultdict"): defaultdict,
        ("__builtin__", "list"): list,
        ("builtins", "list"): list,
    }


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler admitting only the types of Planetoid's raw files."""

    def find_class(self, module: str, name: str) -> Any:
        obj = _raw_pickle_allowed().get((module, name))
        if obj is None:
            raise pickle.UnpicklingError(f"forbidden global {module}.{name}")
        return obj


def _safe_pickle_load(f: Any, encoding: str = "ASCII", **_: Any) -> Any:
    try:
        return _RestrictedUnpickler(f, encoding=encoding).load()
    except pickle.UnpicklingError as e:
        where = getattr(f, "path", None) or getattr(f, "name", "a raw file")
        raise GraphaeError(
            f"refusing to read {where}: {e}; Planetoid raw files may only hold arrays and "
            "sparse matrices: replace it with a fresh copy of the dataset"
        ) from e


@contextlib.contextmanager
def restricted_planetoid_pickle() -> Iterator[None]:
    """Route PyG's Planetoid raw-file ``pickle.load`` through the restricted unpickler."""
    import types

    import torch_geometric.io.planetoid as planetoid_io

    saved = planetoid_io.pickle
    planetoid_io.pickle = types.SimpleNamespace(load=_safe_pickle_load)  # type: ignore[assignment]
    try:
        yield
    finally:
        planetoid_io.pickle = saved

"""Node embeddings keyed by the user's original node ids: save, load, hand off.

An :class:`Embeddings` pairs a :class:`~graphae.data.graph.NodeIndex` (the
original ids, ``int`` or ``str``, kept exactly) with an ``(N, d)`` float32
matrix. The file format follows the extension:

``.npy``
    The matrix, plus a sidecar ``<stem>.ids.json`` holding the ids and their type.
``.npz``
    Arrays ``ids`` (``int64`` or fixed-width unicode, never an object array),
    ``vectors`` and ``id_type``.
``.csv``
    Header ``id,dim_0,...,dim_{d-1}``; string ids are always quoted (so ``"007"``
    stays a string), values are written with ``%.9g`` (an exact float32 round trip).
``.parquet``
    Columns ``id`` and ``dim_0..`` (needs ``pyarrow``); the id type is kept in the
    schema metadata.

Every write goes to a temporary sibling file that is renamed into place, so a
failed write never leaves a half-written file nor clobbers the old one. Every
read refuses pickled data (``allow_pickle=False``). Unreadable files raise
:class:`~graphae.errors.InputError` with a one-line message.

Example:
    >>> emb = load_embeddings("runs/cora/embeddings.npz")  # doctest: +SKIP
    >>> df = emb.to_pandas()  # index = original node ids, columns dim_0..  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from graphae.data.graph import NodeId, NodeIndex
from graphae.errors import GraphaeError, InputError

if TYPE_CHECKING:
    import pandas as pd
    import torch

__all__ = ["FORMATS", "Embeddings", "load_embeddings"]

logger = logging.getLogger(__name__)

#: Supported extensions, in the order a run folder is searched.
FORMATS: tuple[str, ...] = (".npz", ".parquet", ".npy", ".csv")

_SIDECAR_SUFFIX = ".ids.json"
_PARQUET_META_KEY = b"graphae"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


# --------------------------------------------------------------------------- helpers


def _one_line(exc: BaseException) -> str:
    """The first line of an exception message (messages stay one line)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _normalise_ids(ids: NodeIndex | Iterable[Any]) -> NodeIndex:
    """Turn ids (NodeIndex, list, numpy array, pandas index) into a :class:`NodeIndex`."""
    if isinstance(ids, NodeIndex):
        return ids
    out: list[NodeId] = []
    for i in ids:
        if isinstance(i, np.generic):
            i = i.item()
        if isinstance(i, bool) or not isinstance(i, int | str):
            raise GraphaeError(
                f"node id {i!r} has type {type(i).__name__}; ids must be integers or strings"
            )
        out.append(i)
    return NodeIndex(out)


def _sidecar_path(path: Path) -> Path:
    """``emb.npy`` -> ``emb.ids.json``."""
    return path.with_name(path.stem + _SIDECAR_SUFFIX)


def _temp_sibling(path: Path) -> Path:
    """A fresh hidden temporary name in the same directory as ``path``."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def _atomic_write_many(targets: Sequence[tuple[Path, Callable[[IO[bytes]], None]]]) -> None:
    """Write several files atomically: all temporaries first, then rename each into place.

    Each writer receives an open binary file. When a writer fails, every
    temporary is removed and no target is touched. When a rename fails after
    earlier ones succeeded (so a ``.npy`` matrix and its ids sidecar would
    disagree), the earlier targets are restored from hard-link backups.

    Args:
        targets: ``(final_path, writer)`` pairs.
    """
    temps: list[tuple[Path, Path]] = []
    backups: list[tuple[Path, Path | None]] = []  # (final, backup or None if it was new)
    try:
        for final, writer in targets:
            tmp = _temp_sibling(final)
            # "xb": never overwrite; the umask applies (unlike mkstemp's 0600).
            with open(tmp, "xb") as fh:
                temps.append((tmp, final))
                writer(fh)
                fh.flush()
                os.fsync(fh.fileno())
        if len(temps) > 1:
            for _, final in temps:
                backup = None
                if final.exists():
                    backup = _temp_sibling(final)
                    try:
                        os.link(final, backup)
                    except OSError:
                        shutil.copy2(final, backup)
                backups.append((final, backup))
        done = 0
        try:
            for tmp, final in temps:
                os.replace(tmp, final)
                done += 1
        except BaseException:
            for final, backup in backups[:done]:
                if backup is not None:
                    os.replace(backup, final)
                else:
                    final.unlink()
            raise
    except BaseException:
        for tmp, _ in temps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise
    finally:
        for _, backup in backups:
            if backup is not None:
                with contextlib.suppress(FileNotFoundError):
                    backup.unlink()


def _ids_json(index: NodeIndex) -> bytes:
    return json.dumps(
        {"format": "graphae.embeddings.ids", **index.to_json()}, ensure_ascii=False
    ).encode("utf-8")


def _index_from_obj(obj: Any, path: Path) -> NodeIndex:
    """Validate a decoded ids sidecar and build the index."""
    if not isinstance(obj, dict) or not isinstance(obj.get("ids"), list):
        raise InputError(
            "not a graphae ids file (expected an object with an 'ids' list)", str(path)
        )
    id_type = obj.get("id_type")
    if id_type not in ("int", "str"):
        raise InputError(f"id_type must be 'int' or 'str', got {id_type!r}", str(path))
    want = int if id_type == "int" else str
    for i in obj["ids"]:
        if isinstance(i, bool) or not isinstance(i, want):
            raise InputError(f"id {i!r} is not of the declared id_type {id_type!r}", str(path))
    return _checked_index(obj["ids"], path)


def _checked_index(ids: Iterable[NodeId], path: Path) -> NodeIndex:
    try:
        return NodeIndex(ids)
    except GraphaeError as e:
        raise InputError(str(e), str(path)) from None


def _check_matrix(arr: np.ndarray, path: Path) -> np.ndarray:
    """A 2-D numeric array as float32, or an :class:`InputError`."""
    if arr.dtype.kind not in "fiu":
        raise InputError(f"vectors have dtype {arr.dtype}, expected numbers", str(path))
    if arr.ndim != 2:
        raise InputError(f"vectors must be a 2-D (N, d) matrix, got shape {arr.shape}", str(path))
    return arr.astype(np.float32, copy=False)


# --------------------------------------------------------------------------- class


class Embeddings:
    """Node embeddings: an ``(N, d)`` float32 matrix whose rows are keyed by node id.

    Args:
        ids: Original node ids of rows ``0..N-1`` (a :class:`NodeIndex`, or any
            sequence of distinct ints or distinct strings).
        vectors: ``(N, d)`` array or tensor; stored as float32.

    Raises:
        GraphaeError: On a length mismatch, a non-2-D matrix, or bad ids.
    """

    def __init__(self, ids: NodeIndex | Iterable[NodeId], vectors: Any) -> None:
        if hasattr(vectors, "detach"):  # torch.Tensor without importing torch
            vectors = vectors.detach().cpu().numpy()
        arr = np.array(vectors, dtype=np.float32, copy=True)
        if arr.ndim != 2:
            raise GraphaeError(f"vectors must be a 2-D (N, d) matrix, got shape {arr.shape}")
        self._index = _normalise_ids(ids)
        if len(self._index) != arr.shape[0]:
            raise GraphaeError(
                f"{len(self._index)} ids but {arr.shape[0]} vectors; they must match row for row"
            )
        arr.flags.writeable = False
        self._vectors = arr

    # ------------------------------------------------------------------ basics
    @property
    def ids(self) -> list[NodeId]:
        """Original node ids in row order (a copy)."""
        return self._index.ids

    @property
    def index(self) -> NodeIndex:
        """The :class:`NodeIndex` mapping ids to rows."""
        return self._index

    @property
    def id_type(self) -> str:
        """``"int"`` or ``"str"``."""
        return self._index.id_type

    @property
    def vectors(self) -> np.ndarray:
        """The ``(N, d)`` float32 matrix (read-only; see :meth:`to_numpy` for a copy)."""
        return self._vectors

    @property
    def dim(self) -> int:
        """Embedding width ``d``."""
        return int(self._vectors.shape[1])

    def __len__(self) -> int:
        return int(self._vectors.shape[0])

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._index

    def __repr__(self) -> str:
        return f"Embeddings({len(self)} nodes x {self.dim} dims, {self.id_type} ids)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Embeddings):
            return NotImplemented
        return self._index == other._index and np.array_equal(
            self._vectors, other._vectors, equal_nan=True
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ lookup
    def _rows(self, ids: Iterable[NodeId]) -> np.ndarray:
        return np.fromiter((self._index.row(i) for i in ids), dtype=np.int64)

    def __getitem__(self, node_id: NodeId) -> np.ndarray:
        """The ``(d,)`` vector of one node, by original id.

        Raises:
            GraphaeError: When the id is unknown (the message names it).
        """
        return self._vectors[self._index.row(node_id)]

    def lookup(self, ids: Iterable[NodeId]) -> np.ndarray:
        """Vectors of many nodes by original id.

        Args:
            ids: ``k`` node ids.

        Returns:
            ``(k, d)`` float32 array (a copy), in the order of ``ids``.

        Raises:
            GraphaeError: When an id is unknown (the message names it).
        """
        return self._vectors[self._rows(ids)]

    def subset(self, ids: Iterable[NodeId]) -> Embeddings:
        """Embeddings of the given nodes only, in the given order."""
        ids = list(ids)
        return Embeddings(_normalise_ids(ids), self._vectors[self._rows(ids)])

    def nearest(self, node_id: NodeId, k: int = 10) -> list[tuple[NodeId, float]]:
        """The ``k`` nodes most cosine-similar to ``node_id`` (itself excluded).

        A zero vector has similarity 0 to everything. Ties keep row order.

        Args:
            node_id: Query node.
            k: How many neighbours to return (fewer when ``N - 1 < k``).

        Returns:
            ``[(id, similarity), ...]`` by decreasing similarity.
        """
        if k < 1:
            raise GraphaeError(f"k must be >= 1, got {k}")
        row = self._index.row(node_id)
        v = self._vectors.astype(np.float64)
        norms = np.linalg.norm(v, axis=1)
        safe = np.where(norms > 0, norms, 1.0)
        sims = (v @ v[row]) / (safe * safe[row])
        sims[norms == 0] = 0.0
        if norms[row] == 0:
            sims[:] = 0.0
        sims[row] = -np.inf
        order = np.argsort(-sims, kind="stable")[: min(k, len(self) - 1)]
        return [(self._index.id(int(r)), float(sims[r])) for r in order]

    # ------------------------------------------------------------------ hand-off
    def to_numpy(self) -> np.ndarray:
        """A writable ``(N, d)`` float32 copy of the matrix."""
        return self._vectors.copy()

    def to_torch(self, device: torch.device | str | None = None) -> torch.Tensor:
        """The matrix as an ``(N, d)`` float32 tensor (a copy), optionally on ``device``."""
        import torch

        t = torch.from_numpy(self._vectors.copy())
        return t.to(device) if device is not None else t

    def to_pandas(self) -> pd.DataFrame:
        """A DataFrame indexed by original id (index name ``id``), columns ``dim_0..``."""
        import pandas as pd

        return pd.DataFrame(
            self._vectors.copy(),
            index=pd.Index(self.ids, name="id", dtype=object if self.id_type == "str" else None),
            columns=[f"dim_{j}" for j in range(self.dim)],
        )

    @classmethod
    def from_pandas(cls, df: pd.DataFrame) -> Embeddings:
        """Inverse of :meth:`to_pandas`: the index gives the ids, the columns the vector."""
        return cls(list(df.index), df.to_numpy(dtype=np.float32))

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str], *, quiet: bool = False) -> Path:
        """Write to ``path``, the format chosen by its extension (see module docs).

        The write is atomic: the data goes to a temporary sibling that is renamed
        into place (for ``.npy`` both the matrix and its ids sidecar).

        Args:
            path: Target ending in ``.npy``, ``.npz``, ``.csv`` or ``.parquet``.
            quiet: Do not log the write. For callers that write into a temporary
                folder and report the final path themselves.

        Returns:
            The path written.

        Raises:
            GraphaeError: On an unsupported extension, a missing parent folder,
                or ``.parquet`` without ``pyarrow``.
        """
        path = Path(path)
        ext = path.suffix.lower()
        if ext not in FORMATS:
            raise GraphaeError(
                f"{path}: unsupported embeddings format {ext or '(none)'!r}; "
                f"use one of {', '.join(FORMATS)}"
            )
        if not path.parent.is_dir():
            raise GraphaeError(f"{path}: folder {path.parent} does not exist")
        if ext == ".npy":
            self._save_npy(path)
        elif ext == ".npz":
            self._save_npz(path)
        elif ext == ".csv":
            self._save_csv(path)
        else:
            self._save_parquet(path)
        if not quiet:
            logger.info("wrote %s (%d nodes x %d dims)", path, len(self), self.dim)
        return path

    def _save_npy(self, path: Path) -> None:
        ids_bytes = _ids_json(self._index)
        _atomic_write_many(
            [
                (_sidecar_path(path), lambda fh: fh.write(ids_bytes)),
                (path, lambda fh: np.save(fh, self._vectors, allow_pickle=False)),
            ]
        )

    def _ids_array(self) -> np.ndarray:
        ids = self.ids
        if self.id_type == "int":
            if not ids or (min(ids) >= _INT64_MIN and max(ids) <= _INT64_MAX):
                return np.array(ids, dtype=np.int64)
            return np.array([str(i) for i in ids], dtype=str)  # huge ints: decimal text
        bad = next((i for i in ids if i.endswith("\x00")), None)
        if bad is not None:
            raise GraphaeError(
                f"node id {bad!r} ends with a NUL character, which .npz cannot keep; "
                "save as .npy, .csv or .parquet"
            )
        width = max((len(i) for i in ids), default=1) or 1
        return np.array(ids, dtype=f"<U{width}")

    def _save_npz(self, path: Path) -> None:
        ids = self._ids_array()

        def write(fh: IO[bytes]) -> None:
            np.savez(fh, ids=ids, vectors=self._vectors, id_type=np.array(self.id_type))

        _atomic_write_many([(path, write)])

    def _save_csv(self, path: Path) -> None:
        buf = io.StringIO()
        if len(self):
            np.savetxt(buf, self._vectors, fmt="%.9g", delimiter=",")
        rows = buf.getvalue().splitlines()
        if self.id_type == "str":
            keys = ['"' + str(i).replace('"', '""') + '"' for i in self.ids]
        else:
            keys = [str(i) for i in self.ids]
        header = ",".join(["id", *(f"dim_{j}" for j in range(self.dim))])
        text = "\n".join([header, *(f"{k},{r}" for k, r in zip(keys, rows, strict=True))]) + "\n"
        data = text.encode("utf-8")
        _atomic_write_many([(path, lambda fh: fh.write(data))])

    def _save_parquet(self, path: Path) -> None:
        pa, pq = _import_pyarrow()
        ids = self._ids_array()
        id_col = pa.array(ids.tolist(), type=pa.int64() if ids.dtype.kind == "i" else pa.string())
        cols = {"id": id_col}
        for j in range(self.dim):
            cols[f"dim_{j}"] = pa.array(self._vectors[:, j], type=pa.float32())
        meta = {_PARQUET_META_KEY: json.dumps({"id_type": self.id_type}).encode()}
        table = pa.table(cols).replace_schema_metadata(meta)
        _atomic_write_many([(path, lambda fh: pq.write_table(table, fh))])

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Embeddings:
        """Same as :func:`load_embeddings`."""
        return load_embeddings(path)


# --------------------------------------------------------------------------- loading


def _import_pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise GraphaeError(
            ".parquet needs pyarrow: pip install pyarrow (or pip install 'graphae[parquet]'), "
            "or use .npz/.npy/.csv"
        ) from None
    return pa, pq


def _resolve(path: Path) -> Path:
    """A file path, or the ``embeddings.*`` file of a run folder."""
    if path.is_dir():
        for ext in FORMATS:
            cand = path / f"embeddings{ext}"
            if cand.is_file():
                return cand
        raise InputError(
            f"no embeddings file in this folder (looked for embeddings{{{','.join(FORMATS)}}})",
            str(path),
        )
    if not path.exists():
        raise InputError("file not found", str(path))
    return path


def load_embeddings(path: str | os.PathLike[str]) -> Embeddings:
    """Read embeddings written by :meth:`Embeddings.save` (or a compatible file).

    Args:
        path: A ``.npy`` (with its ``.ids.json`` sidecar), ``.npz``, ``.csv`` or
            ``.parquet`` file, or a run folder holding ``embeddings.*``.

    Returns:
        The :class:`Embeddings`, ids with their original type.

    Raises:
        InputError: Missing file, unsupported extension, pickled/object data,
            ids and vectors of different lengths, or a corrupted file.
    """
    path = _resolve(Path(path))
    ext = path.suffix.lower()
    readers = {".npy": _load_npy, ".npz": _load_npz, ".csv": _load_csv, ".parquet": _load_parquet}
    if ext not in readers:
        raise InputError(
            f"unsupported embeddings format {ext or '(none)'!r}; use one of {', '.join(FORMATS)}",
            str(path),
        )
    errors: tuple[type[BaseException], ...] = (
        ValueError,
        OSError,
        EOFError,
        KeyError,
        zipfile.BadZipFile,
    )
    if ext == ".parquet":
        pa, _ = _import_pyarrow()
        errors = (*errors, pa.ArrowException)
    try:
        ids, vectors = readers[ext](path)
    except GraphaeError:
        raise
    except errors as e:
        raise InputError(
            f"corrupted or unreadable {ext} file ({_one_line(e)})", str(path)
        ) from None
    if len(ids) != vectors.shape[0]:
        raise InputError(
            f"{len(ids)} ids but {vectors.shape[0]} vectors; they must match row for row", str(path)
        )
    emb = Embeddings(ids, vectors)
    logger.info("loaded %s: %d nodes x %d dims (%s ids)", path, len(emb), emb.dim, emb.id_type)
    return emb


def _require_magic(path: Path, magic: bytes, kind: str) -> None:
    """Refuse a file that does not start with ``magic`` (numpy would try to unpickle it)."""
    with open(path, "rb") as fh:
        head = fh.read(len(magic))
    if head != magic:
        raise InputError(f"corrupted or not a {kind} file (bad header)", str(path))


def _np_load_array(path: Path, what: str) -> np.ndarray:
    _require_magic(path, b"\x93NUMPY", ".npy")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise InputError(
                f"{what} is an object array (pickled data); refused for safety — "
                "store numbers only",
                str(path),
            ) from None
        raise


def _load_npy(path: Path) -> tuple[NodeIndex, np.ndarray]:
    side = _sidecar_path(path)
    if not side.is_file():
        raise InputError(
            f"ids sidecar {side.name} not found next to the matrix; "
            "save with graphae (or use .npz/.csv/.parquet, which hold the ids)",
            str(path),
        )
    vectors = _check_matrix(_np_load_array(path, "the matrix"), path)
    try:
        obj = json.loads(side.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(f"corrupted ids file ({_one_line(e)})", str(side)) from None
    return _index_from_obj(obj, side), vectors


def _load_npz(path: Path) -> tuple[NodeIndex, np.ndarray]:
    _require_magic(path, b"PK", ".npz (zip)")
    with np.load(path, allow_pickle=False) as z:
        missing = {"ids", "vectors"} - set(z.files)
        if missing:
            raise InputError(
                f"missing array(s) {', '.join(sorted(missing))} (found: {', '.join(z.files)})",
                str(path),
            )
        try:
            ids_arr = z["ids"]
            vectors = z["vectors"]
            id_type_arr = z["id_type"] if "id_type" in z.files else None
        except ValueError as e:
            if "allow_pickle" in str(e) or "Object arrays" in str(e):
                raise InputError(
                    "holds an object array (pickled data); refused for safety — "
                    "save ids as int64 or fixed-width unicode",
                    str(path),
                ) from None
            raise
    vectors = _check_matrix(vectors, path)
    if ids_arr.ndim != 1:
        raise InputError(f"ids must be 1-D, got shape {ids_arr.shape}", str(path))
    if ids_arr.dtype.kind in "iu":
        kind = "int"
    elif ids_arr.dtype.kind == "U":
        kind = "str"
    else:
        raise InputError(
            f"ids have dtype {ids_arr.dtype}; expected int64 or fixed-width unicode", str(path)
        )
    id_type = str(id_type_arr[()]) if id_type_arr is not None else kind
    if id_type not in ("int", "str"):
        raise InputError(f"id_type must be 'int' or 'str', got {id_type!r}", str(path))
    ids = ids_arr.tolist()
    if id_type == "int" and kind == "str":
        try:
            ids = [int(i) for i in ids]
        except ValueError:
            raise InputError("id_type is 'int' but ids are not integers", str(path)) from None
    elif id_type == "str" and kind == "int":
        ids = [str(i) for i in ids]
    return _checked_index(ids, path), vectors


def _load_csv(path: Path) -> tuple[NodeIndex, np.ndarray]:
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or len(header) < 2:
        raise InputError(
            "expected a header 'id,dim_0,...' and at least one value column", str(path)
        )
    if reader.line_num != 1:
        raise InputError("the header must be a single line 'id,dim_0,...'", str(path), line=1)
    width = len(header)
    # Our writer quotes every string id, so "007" or "12" stay strings; files with
    # unquoted ids (e.g. from pandas) get their type inferred from the tokens.
    first_nl = text.find("\n")
    quoted = first_nl >= 0 and text[first_nl + 1 : first_nl + 2] == '"'
    tokens: list[str] = []
    values: list[list[str]] = []
    lines: list[int] = []
    start = 2
    for rec in reader:
        if not rec:  # blank line
            start = reader.line_num + 1
            continue
        if len(rec) != width:
            raise InputError(f"expected {width} fields, got {len(rec)}", str(path), line=start)
        tokens.append(rec[0])
        values.append(rec[1:])
        lines.append(start)
        start = reader.line_num + 1
    try:
        vectors = np.array(values, dtype=np.float32).reshape(len(values), width - 1)
    except ValueError:
        for row, ln in zip(values, lines, strict=True):
            try:
                np.array(row, dtype=np.float32)
            except ValueError as e:
                raise InputError(f"not a number ({_one_line(e)})", str(path), line=ln) from None
        raise
    if quoted:
        index = _checked_index(tokens, path)
    else:
        try:
            index = NodeIndex.from_tokens(tokens)
        except GraphaeError as e:
            raise InputError(str(e), str(path)) from None
    return index, vectors


def _load_parquet(path: Path) -> tuple[NodeIndex, np.ndarray]:
    pa, pq = _import_pyarrow()
    table = pq.read_table(path)
    names = table.column_names
    if "id" not in names:
        raise InputError(f"no 'id' column (columns: {', '.join(names[:5])}...)", str(path))
    meta = table.schema.metadata or {}
    id_type = None
    if _PARQUET_META_KEY in meta:
        id_type = json.loads(meta[_PARQUET_META_KEY].decode()).get("id_type")
    id_col = table.column("id")
    if id_type is None:
        if pa.types.is_integer(id_col.type):
            id_type = "int"
        elif pa.types.is_string(id_col.type) or pa.types.is_large_string(id_col.type):
            id_type = "str"
        else:
            raise InputError(
                f"'id' column has type {id_col.type}; expected int or string", str(path)
            )
    ids = id_col.to_pylist()
    if any(i is None for i in ids):
        raise InputError("'id' column has missing values", str(path))
    ids = [int(i) for i in ids] if id_type == "int" else [str(i) for i in ids]
    dims = [c for c in names if c != "id"]
    if not dims:
        raise InputError("no value columns besides 'id'", str(path))
    cols = [table.column(c).to_numpy(zero_copy_only=False) for c in dims]
    vectors = _check_matrix(np.stack(cols, axis=1), path)
    return _checked_index(ids, path), vectors

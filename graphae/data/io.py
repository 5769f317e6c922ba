"""Load the user's own graphs: edge lists, networkx formats, scipy sparse, PyG ``Data``.

Everything a user hands graphae goes through :func:`load_graph`, which returns a
:class:`~graphae.data.graph.Graph` whose :class:`~graphae.data.graph.NodeIndex`
keeps the original node ids exactly.

Decisions (the same for every source):

* **Node ids** are read as text and typed by :meth:`NodeIndex.from_tokens`: ints
  when every id is a canonical integer (then rows are sorted by id, so the ids
  ``0..N-1`` land on rows ``0..N-1``), strings otherwise (rows in order of first
  appearance: edges line by line, then nodes only the feature file names).
* **Undirected graphs** store both directions of every edge in ``edge_index``;
  ``u,v`` and ``v,u`` are the same edge.
* **Duplicate edges** (the same pair listed more than once, or in both
  directions for an undirected graph) are merged into one edge that keeps the
  **largest** weight. Listing an edge twice or in both directions therefore
  changes nothing; the counts are logged.
* **Self loops** are dropped (GCN-style encoders add their own) and counted in
  the log; their nodes stay, isolated if they have no other edge.
* **Weights** must be finite and ``>= 0``; NaN, inf, negative or non-numeric
  weights are an :class:`~graphae.errors.InputError` naming the file and line.
  Zero-weight edges are dropped (logged). An unweighted graph has
  ``edge_weight = None``.
* ``edge_index`` is coalesced: sorted by ``(row, col)`` with no repeats.
* **No edges** (after dropping self loops and zero weights) or a **single node**
  is an error: there is nothing to learn from.
* **Features**: a ``.csv`` with an id column, or a ``.npy`` aligned to
  ``feature_ids`` (one id per line) or, without ids, to the integer ids
  ``0..R-1``. Nodes that only the feature file names are kept as isolated
  nodes. Without features the fallback is stated in the log and recorded as
  ``graph.feature_source``: identity one-hot when ``N <= 2048``, else learnable
  input codes (``"learnable"``: no ``x``, the GNN encoder learns one input
  vector per node; chosen over degree features by the measurements in
  ``benchmarks/results/featureless.md``). ``feature_fallback`` picks another
  (``"degree"``: :func:`degree_features`, the inductive choice).
* **Labels**: ``id,label`` rows; string labels are mapped to ``0..K-1`` in
  sorted order (names in ``graph.meta["label_names"]``); unlabelled nodes get
  ``-1``.

Files are read without executing anything: ``.npy``/``.npz`` with
``allow_pickle=False`` and GraphML/GEXF checked with ``defusedxml`` first, so
entity declarations (billion laughs) are refused before any expansion.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import os
import re
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from graphae.data.features import FEATURE_FALLBACKS
from graphae.data.graph import Graph, NodeIndex
from graphae.errors import GraphaeError, InputError

__all__ = [
    "EDGE_LIST_EXTENSIONS",
    "FEATURE_EXTENSIONS",
    "FEATURE_FALLBACKS",
    "GRAPH_EXTENSIONS",
    "IDENTITY_MAX_NODES",
    "degree_features",
    "identity_features",
    "load_graph",
    "random_features",
    "read_labels",
]

logger = logging.getLogger(__name__)

EDGE_LIST_EXTENSIONS = (".csv", ".tsv", ".txt", ".edges", ".edgelist", ".el")
GRAPH_EXTENSIONS = (
    *EDGE_LIST_EXTENSIONS,
    ".parquet",
    ".graphml",
    ".gexf",
    ".gml",
    ".adjlist",
    ".npz",
)
FEATURE_EXTENSIONS = (".csv", ".tsv", ".txt", ".parquet", ".npy")
LABEL_EXTENSIONS = (".csv", ".tsv", ".txt")
IDENTITY_MAX_NODES = 2048
#: Compressed text files are read transparently: ``edges.csv.gz``, ``feats.tsv.zst``...
COMPRESSION_EXTENSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}

#: Width of the ``feature_fallback="random"`` features.
RANDOM_FEATURE_DIM = 64
DEGREE_BUCKETS = 16

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
_ID_NAMES = {"id", "node", "node_id", "nodes", "name"}
_LABEL_NAMES = {"label", "labels", "class", "y", "category", "target"}
_DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_LINES = 200
_EDGE_HINT = "expected an edge list with one 'source,target[,weight]' line per edge"


# --------------------------------------------------------------------------- locations


@dataclass(frozen=True)
class _Where:
    """Where records came from, to build errors that name the file and line.

    Attributes:
        path: File name, or ``None`` for an in-memory object.
        lines: ``(R,)`` physical line number of each record (files only).
        unit: How an in-memory record is named in messages (``"row"``).
    """

    path: str | None
    lines: np.ndarray | None = None
    unit: str = "row"

    def error(self, message: str, i: int | None = None) -> InputError:
        """InputError for record ``i`` (or for the whole source)."""
        if i is None:
            return InputError(message, self.path)
        if self.lines is not None:
            return InputError(message, self.path, int(self.lines[i]))
        return InputError(f"{self.unit} {i} (0-based): {message}", self.path)


def _describe(where: _Where, default: str) -> str:
    return where.path if where.path is not None else default


# --------------------------------------------------------------------------- files


def _check_file(path: Path, what: str) -> str:
    """Fail with a clear message unless ``path`` is a readable, non-empty file."""
    where = str(path)
    if not path.exists():
        raise InputError(f"{what} not found; check the path and its spelling", where)
    if path.is_dir():
        raise InputError(f"is a directory, but the {what} must be a file; name a file in it", where)
    if not path.is_file():
        raise InputError(f"is not a regular file; give the {what} as a file", where)
    if not os.access(path, os.R_OK):
        raise InputError(
            f"permission denied: cannot read the {what}; make it readable (chmod u+r) "
            "or copy it somewhere you can read",
            where,
        )
    if path.stat().st_size == 0:
        raise InputError(f"the {what} is empty; give a file with content", where)
    return where


def _suffix(path: Path) -> str:
    """The format extension, under a compression extension: ``edges.csv.gz`` -> ``.csv``."""
    last = path.suffix.lower()
    if last in COMPRESSION_EXTENSIONS:
        return Path(path.stem).suffix.lower()
    return last


def _decompress(data: bytes, path: Path, where: str, what: str) -> bytes:
    """``data`` decompressed by the codec ``path``'s extension names (unchanged otherwise)."""
    codec = COMPRESSION_EXTENSIONS.get(path.suffix.lower())
    if codec is None:
        return data
    try:
        if codec == "gzip":
            import gzip

            return gzip.decompress(data)
        if codec == "bz2":
            import bz2

            return bz2.decompress(data)
        if codec == "xz":
            import lzma

            return lzma.decompress(data)
        try:
            import zstandard
        except ImportError:
            raise InputError(
                f"is zstd-compressed and reading it needs the zstandard module; "
                f"pip install zstandard, or decompress the {what} (zstd -d)",
                where,
            ) from None
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    except InputError:
        raise
    except Exception as e:  # gzip.BadGzipFile, OSError, lzma.LZMAError, zstd errors, EOFError
        raise InputError(
            f"is not a valid {codec} file ({type(e).__name__}: {e}); check the file or drop "
            f"the {path.suffix} extension if it is not compressed",
            where,
        ) from None


def _read_bytes(path: Path, where: str, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except PermissionError:
        raise InputError(
            f"permission denied: cannot read the {what}; make it readable", where
        ) from None
    except OSError as e:
        raise InputError(f"cannot read the {what} ({e.strerror or e})", where) from None
    return _decompress(data, path, where, what)


def _read_parquet(path: Path, what: str) -> pd.DataFrame:
    """A ``.parquet`` file as a DataFrame (needs pyarrow or fastparquet)."""
    where = _check_file(path, what)
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise InputError(
            f"reading a .parquet {what} needs pyarrow; pip install 'graphae[parquet]'", where
        ) from None
    except Exception as e:  # pyarrow.ArrowInvalid and friends
        raise InputError(
            f"is not a readable parquet file ({type(e).__name__}: {e})", where
        ) from None


def _read_text(path: Path, what: str) -> tuple[str, str]:
    """Text of a UTF-8 file; binary (NUL bytes) or undecodable files are refused.

    Returns:
        ``(text, where)`` with a leading byte-order mark removed.
    """
    where = _check_file(path, what)
    data = _read_bytes(path, where, what)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(
            f"contains NUL bytes: this is a binary file (or UTF-16 text), not a text {what}; "
            "give a UTF-8 text file (or a .npz for a scipy sparse matrix)",
            where,
            data.count(b"\n", 0, nul) + 1,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"is not UTF-8 text (undecodable byte 0x{data[e.start]:02x}); re-save the "
            f"{what} as UTF-8",
            where,
            data.count(b"\n", 0, e.start) + 1,
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputError(f"the {what} holds only blank lines; give a file with content", where)
    return text, where


def _split_lines(text: str) -> list[str]:
    """Lines split on ``\n`` only (ids may hold other Unicode line separators)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


# --------------------------------------------------------------------------- delimited text


@dataclass
class _Table:
    """Cells of a delimited text file, all as strings (``""`` for a missing cell).

    Attributes:
        frame: ``(R, K)`` string cells, blank lines removed.
        where: File and the line of each row.
        delimiter: The delimiter used (``None`` = runs of whitespace).
    """

    frame: pd.DataFrame
    where: _Where
    delimiter: str | None

    @property
    def num_rows(self) -> int:
        return len(self.frame)

    def row(self, i: int) -> list[str]:
        return [str(c) for c in self.frame.iloc[i].tolist()]

    def drop_first(self) -> _Table:
        """The table without its first row (a header)."""
        assert self.where.lines is not None
        where = _Where(self.where.path, self.where.lines[1:])
        return _Table(self.frame.iloc[1:].reset_index(drop=True), where, self.delimiter)


def _leading_comments(text: str) -> tuple[int, list[str]]:
    """Count leading ``#``/``%`` comment lines; return them and a sample of the rest.

    Returns:
        ``(skip, sample)``: lines to skip, and up to ``_SAMPLE_LINES`` non-blank
        lines after them.
    """
    skip, sample = 0, []
    for line in io.StringIO(text):
        if not sample and (line.startswith(("#", "%")) or not line.strip()):
            skip += 1
            continue
        if line.strip():
            sample.append(line.rstrip("\r\n"))
            if len(sample) >= _SAMPLE_LINES:
                break
    return skip, sample


def _field_counts(sample: list[str], delimiter: str | None) -> list[int]:
    if delimiter is None:
        return [len(line.split()) for line in sample]
    return [len(r) for r in csv.reader(sample, delimiter=delimiter, skipinitialspace=True)]


def _sniff(sample: list[str], suffix: str) -> tuple[str | None, int]:
    """Pick the delimiter under which the sample splits most consistently.

    Candidates are ``,`` tab ``;`` ``|`` and runs of whitespace (``None``); the
    file extension's own delimiter is tried first and wins ties.

    Returns:
        ``(delimiter, ncols)`` where ``ncols`` is the most common field count.
    """
    order: list[str | None] = list(_DELIMITERS)
    preferred = {".csv": ",", ".tsv": "\t"}.get(suffix)
    if preferred is not None:
        order.remove(preferred)
        order.insert(0, preferred)
    order.append(None)
    best: tuple[float, str | None, int] = (-1.0, None, 1)
    for delim in order:
        counts = Counter(_field_counts(sample, delim))
        ncols, hits = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = hits / len(sample) if ncols >= 2 else 0.0
        if score > best[0]:
            best = (score, delim, ncols)
    return best[1], best[2]


_EXPECTED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _parser_error(e: Exception, where: str, skip: int) -> InputError:
    msg = str(e)
    m = _EXPECTED.search(msg)
    if m:
        return InputError(
            f"expected {m[1]} columns but found {m[3]}; every line needs the same columns "
            "(quote ids that contain the delimiter)",
            where,
            int(m[2]),
        )
    m = _EOF_QUOTE.search(msg)
    if m:
        return InputError(
            'unclosed quote: a field opened with " is never closed; close or remove the quote',
            where,
            skip + int(m[1]) + 1,
        )
    return InputError(f"could not parse the file ({msg.splitlines()[-1].strip()})", where)


def _read_frame(
    text: str, where: str, delimiter: str | None, skip: int, ncols: int
) -> pd.DataFrame:
    """All cells as strings, one row per physical line after ``skip`` (vectorised)."""
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=r"\s+" if delimiter is None else delimiter,
            header=None,
            names=range(ncols),
            index_col=False,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            skiprows=skip,
            skipinitialspace=True,
            quotechar='"',
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as e:
        raise _parser_error(e, where, skip) from None


def _read_table(path: Path, what: str, delimiter: str | None = None) -> _Table:
    """Read a delimited text file; the delimiter is sniffed unless given."""
    text, where = _read_text(path, what)
    skip, sample = _leading_comments(text)
    if not sample:
        raise InputError(f"the {what} holds only comment lines; give a file with data", where)
    if delimiter is None:
        delim, ncols = _sniff(sample, _suffix(path))
    else:
        delim = None if delimiter == " " else delimiter
        counts = Counter(_field_counts(sample, delim))
        ncols = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
    if skip:
        logger.info("%s: skipped %d leading comment/blank lines (# or %%)", where, skip)
    frame = _read_frame(text, where, delim, skip, ncols)
    lines = np.arange(len(frame), dtype=np.int64) + skip + 1
    blank = (frame == "").all(axis=1).to_numpy()
    if blank.any():
        frame, lines = frame[~blank].reset_index(drop=True), lines[~blank]
    return _Table(frame, _Where(where, lines), delim)


# --------------------------------------------------------------------------- value checks


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _is_int_token(token: str) -> bool:
    try:
        return str(int(token)) == token
    except ValueError:
        return False


def _value_problem(token: str, what: str) -> str:
    """Why ``token`` is not a finite number (for a message)."""
    if token.strip() == "":
        return f"missing {what} (the line has an empty or missing column)"
    if _is_number(token):
        return f"{what} is {token.strip()}; it must be a finite number"
    return f"non-numeric {what} {token!r}; it must be a number"


def _parse_numbers(tokens: pd.Series, where: _Where, what: str, first_hint: str = "") -> np.ndarray:
    """``(R,)`` float64 values of string ``tokens``; the first bad one is an error.

    ``first_hint`` is appended to the message when the bad value is on the first row.
    """
    values = pd.to_numeric(tokens, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        token = str(tokens.iloc[i])
        hint = first_hint if i == 0 and not _is_number(token) else ""
        raise where.error(_value_problem(token, what) + hint, i)
    return values


def _check_weights(w: np.ndarray, where: _Where) -> None:
    """NaN, inf and negative weights are errors at their record."""
    bad = ~np.isfinite(w)
    if bad.any():
        i = int(np.argmax(bad))
        raise where.error(f"weight is {w[i]}; weights must be finite numbers", i)
    neg = w < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise where.error(
            f"negative weight {w[i]:g}; weights must be >= 0 (drop the edge or rescale them)",
            i,
        )


def _check_ids(tokens: np.ndarray, where: _Where, what: str) -> None:
    empty = tokens == ""
    if empty.any():
        i = int(np.argmax(empty))
        raise where.error(
            f"empty or missing {what} (is a column missing?); every line needs a {what}", i
        )


# --------------------------------------------------------------------------- edges


@dataclass
class _Edges:
    """Edges over node tokens, before cleaning.

    Attributes:
        tokens: ``(T,)`` distinct node ids as text, in first-appearance order
            (may include nodes without edges).
        src: ``(E,)`` int64 positions into ``tokens``.
        dst: ``(E,)`` int64 positions into ``tokens``.
        weight: ``(E,)`` float64 weights, or ``None`` when unweighted.
        where: Source of the edges, for messages.
        name: Graph name.
        meta: Facts about the reading (format, delimiter, header) for ``graph.meta``.
    """

    tokens: list[str]
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray | None
    where: _Where
    name: str = "graph"
    meta: dict[str, Any] = field(default_factory=dict)


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


def _id_tokens(column: pd.Series, where: _Where, what: str) -> np.ndarray:
    """Text form of an id column of a DataFrame (integral floats read as ints)."""
    missing = column.isna().to_numpy()
    if missing.any():
        raise where.error(f"missing {what}; give every row a {what}", int(np.argmax(missing)))
    if pd.api.types.is_float_dtype(column) and (column % 1 == 0).all():
        column = column.astype(np.int64)
    tokens = column.astype(str).to_numpy(dtype=object)
    _check_ids(tokens, where, what)
    return tokens


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


# --------------------------------------------------------------------------- file formats


def _safe_xml_check(path: Path, where: str, fmt: str) -> None:
    """Parse with defusedxml first: entity/DTD tricks are refused before any expansion."""
    import xml.etree.ElementTree as ET

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        DET.parse(str(path))
    except DefusedXmlException as e:
        raise InputError(
            f"refused: the {fmt} file declares XML entities or external references "
            f"({type(e).__name__}), which graphae never expands (billion-laughs protection); "
            "remove the <!DOCTYPE>/<!ENTITY> declarations",
            where,
        ) from None
    except ET.ParseError as e:
        raise InputError(
            f"not well-formed XML ({e}); is this really a {fmt} file?", where, e.position[0]
        ) from None


def _read_xml_graph(path: Path, *, directed: bool, weighted: bool | str) -> _Edges:
    fmt = "GraphML" if path.suffix.lower() == ".graphml" else "GEXF"
    where = _check_file(path, f"{fmt} file")
    _safe_xml_check(path, where, fmt)
    try:
        g = nx.read_graphml(path, node_type=str) if fmt == "GraphML" else nx.read_gexf(path)
    except (nx.NetworkXError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"could not read as {fmt} ({e})", where) from None
    edges = _edges_from_networkx(
        g, directed=directed, weighted=weighted, where=_Where(where), name=path.stem
    )
    edges.meta["format"] = fmt.lower()
    return edges


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


def _check_magic(path: Path, where: str, magic: bytes, what: str) -> None:
    """Refuse a file that does not start with ``magic`` (before numpy sees it)."""
    try:
        with path.open("rb") as f:
            head = f.read(len(magic))
    except OSError as e:
        raise InputError(f"cannot read the file ({e.strerror or e})", where) from None
    if head != magic:
        raise InputError(f"not a valid {what}", where)


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


def _read_path(
    path: Path, *, directed: bool, delimiter: str | None, header: bool | str, weighted: bool | str
) -> _Edges:
    suffix = _suffix(path)
    if suffix in EDGE_LIST_EXTENSIONS:
        return _read_edge_list(path, delimiter=delimiter, header=header, weighted=weighted)
    if suffix == ".parquet" and path.suffix.lower() == ".parquet":
        df = _read_parquet(path, "edge list")
        if len(df) == 0:
            raise InputError("the parquet edge list has no rows; " + _EDGE_HINT, str(path))
        return _edges_from_frame(df, weighted=weighted, path=path)
    if path.suffix.lower() in COMPRESSION_EXTENSIONS:
        _check_file(path, "graph file")
        raise InputError(
            f"compressed {suffix or '(no extension)'} graph files are not read; compression "
            f"works for edge lists ({' '.join(EDGE_LIST_EXTENSIONS)}); decompress it first",
            str(path),
        )
    if suffix in (".graphml", ".gexf"):
        return _read_xml_graph(path, directed=directed, weighted=weighted)
    if suffix == ".gml":
        return _read_gml(path, directed=directed, weighted=weighted)
    if suffix == ".adjlist":
        return _read_adjlist(path, directed=directed, weighted=weighted)
    if suffix == ".npz":
        return _read_npz(path, weighted=weighted)
    _check_file(path, "graph file")
    raise InputError(
        f"unsupported graph file extension {suffix or '(none)'!r}; use one of "
        + " ".join(GRAPH_EXTENSIONS),
        str(path),
    )


@dataclass
class _Extra:
    """What a PyG ``Data`` brings besides edges: ``x``, ``y`` and node masks."""

    x: torch.Tensor | None = None
    y: torch.Tensor | None = None
    masks: dict[str, torch.Tensor] = field(default_factory=dict)


def _edges_from_pyg(data: Data, *, weighted: bool | str) -> tuple[_Edges, _Extra]:
    where = _Where(None, None, "edge")
    if getattr(data, "edge_index", None) is None:
        raise InputError("the PyG Data has no edge_index; " + _EDGE_HINT)
    n = int(data.num_nodes)
    ei = data.edge_index.detach().cpu().long().numpy()
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise InputError(f"edge_index must have shape (2, E), got {tuple(ei.shape)}")
    if ei.size and (ei.min() < 0 or ei.max() >= n):
        raise InputError(
            f"edge_index holds node numbers outside 0..{n - 1}; fix num_nodes or the edges"
        )
    w = getattr(data, "edge_weight", None)
    if (
        w is None
        and getattr(data, "edge_attr", None) is not None
        and data.edge_attr.numel() == ei.shape[1]
    ):
        w = data.edge_attr.reshape(-1)
    weights = None
    if weighted is True and w is None:
        raise InputError("weighted=True but the Data has no edge_weight")
    if w is not None and weighted is not False:
        weights = w.detach().cpu().double().numpy()
        _check_weights(weights, where)
    tokens = [str(i) for i in range(n)]
    edges = _Edges(tokens, ei[0].copy(), ei[1].copy(), weights, where, "graph", {"format": "pyg"})
    extra = _Extra(x=getattr(data, "x", None), y=getattr(data, "y", None))
    for key in ("train_mask", "val_mask", "test_mask"):
        m = getattr(data, key, None)
        if isinstance(m, torch.Tensor) and m.size(0) == n:
            extra.masks[key] = m
    return edges, extra


def _read_source(
    source: Any, *, directed: bool, delimiter: str | None, header: bool | str, weighted: bool | str
) -> tuple[_Edges, _Extra]:
    """Dispatch on the kind of ``source``."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        return _read_path(
            path, directed=directed, delimiter=delimiter, header=header, weighted=weighted
        ), _Extra()
    if isinstance(source, nx.Graph):
        where = _Where(None, None, "node")
        return _edges_from_networkx(
            source, directed=directed, weighted=weighted, where=where
        ), _Extra()
    if sp.issparse(source):
        return _edges_from_sparse(
            source, weighted=weighted, where=_Where(None), name="graph"
        ), _Extra()
    if isinstance(source, Data):
        return _edges_from_pyg(source, weighted=weighted)
    if isinstance(source, pd.DataFrame):
        return _edges_from_frame(source, weighted=weighted), _Extra()
    raise InputError(
        f"cannot load a graph from a {type(source).__name__}; pass a file path, a networkx "
        "graph, a scipy sparse matrix, a PyG Data or a pandas DataFrame"
    )


# --------------------------------------------------------------------------- features


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


def _check_unique(ids: list[str], where: _Where, what: str) -> None:
    s = pd.Series(ids)
    dup = s.duplicated(keep=False).to_numpy()
    if dup.any():
        firsts = np.flatnonzero(dup)
        tok = ids[firsts[0]]
        second = int(next(k for k in firsts[1:] if ids[k] == tok))
        first_at = (
            f" (first on line {int(where.lines[firsts[0]])})" if where.lines is not None else ""
        )
        raise where.error(
            f"duplicate id {tok!r} in the {what}{first_at}; each node needs exactly one row", second
        )


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


def _read_features(features: Any, feature_ids: Any) -> _Features:
    """Features from a path (``.csv``/``.tsv``/``.txt``/``.npy``) or an array."""
    if isinstance(features, (str, os.PathLike)):
        path = Path(features)
        suffix = _suffix(path)
        if suffix == ".parquet" and path.suffix.lower() == ".parquet":
            if feature_ids is not None:
                raise GraphaeError(
                    "feature_ids is only for .npy features; a parquet feature file carries its "
                    "ids in its first column"
                )
            feats = _features_from_parquet(path)
            _check_unique(feats.ids or [], feats.where, "feature file")
            return _check_finite(feats)
        if suffix in (".csv", ".tsv", ".txt"):
            if feature_ids is not None:
                raise GraphaeError(
                    "feature_ids is only for .npy features; a .csv feature file carries its ids "
                    "in its first column"
                )
            feats = _read_feature_csv(path)
            _check_unique(feats.ids or [], feats.where, "feature file")
            return _check_finite(feats)
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


# --------------------------------------------------------------------------- nodes


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
            f"0..{rows - 1}, but the graph has node id {example!r}; pass feature_ids= "
            "(a file with the id of each feature row, one per line)"
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


# --------------------------------------------------------------------------- edges, cleaned


def _group_max(keys: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Distinct sorted ``keys`` and the largest weight of each group."""
    if w is None:
        k = np.sort(keys)
        return k[_run_starts(k)], None
    order = np.argsort(keys)
    k = keys[order]
    starts = _run_starts(k)
    uw = np.maximum.reduceat(w[order], starts) if len(k) else w
    return k[starts], uw


def _run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Positions where a new value starts in ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _clean_edges(
    src: np.ndarray, dst: np.ndarray, w: np.ndarray | None, n: int, directed: bool
) -> tuple[torch.Tensor, torch.Tensor | None, dict[str, int]]:
    """Drop self loops and zero weights, merge duplicates (max weight), coalesce.

    Args:
        src, dst: ``(E,)`` rows of each listed edge.
        w: ``(E,)`` weights or ``None``.
        n: ``N``.
        directed: Keep direction; otherwise store both directions.

    Returns:
        ``(edge_index (2, E'), edge_weight (E',) or None, counts)``.
    """
    stats = {"self_loops_dropped": int((src == dst).sum()), "zero_weight_dropped": 0}
    keep = src != dst
    if w is not None:
        zero = (w == 0) & keep
        stats["zero_weight_dropped"] = int(zero.sum())
        keep &= ~zero
    src, dst = src[keep], dst[keep]
    w = w[keep] if w is not None else None
    if directed:
        keys, uw = _group_max(src * n + dst, w)
        stats["duplicates_merged"] = int(len(src) - keys.size)
        row, col = keys // n, keys % n
    else:
        ordered = _run_starts(np.sort(src * n + dst)).size
        stats["duplicates_merged"] = int(len(src) - ordered)
        a, b = np.minimum(src, dst), np.maximum(src, dst)
        keys, uw = _group_max(a * n + b, w)
        stats["reverse_listings_merged"] = int(ordered - keys.size)
        a, b = keys // n, keys % n
        both = np.concatenate([a * n + b, b * n + a])
        if uw is None:
            both.sort()
        else:
            order = np.argsort(both)
            both, uw = both[order], np.concatenate([uw, uw])[order]
        row, col = both // n, both % n
    edge_index = torch.from_numpy(np.stack([row, col]).astype(np.int64))
    weight = torch.from_numpy(uw.astype(np.float32)) if uw is not None else None
    return edge_index, weight, stats


def _log_cleaning(stats: dict[str, int], name: str) -> None:
    if stats["self_loops_dropped"]:
        logger.info("%s: dropped %d self loops", name, stats["self_loops_dropped"])
    if stats["zero_weight_dropped"]:
        logger.info("%s: dropped %d zero-weight edges", name, stats["zero_weight_dropped"])
    if stats["duplicates_merged"]:
        logger.info(
            "%s: merged %d repeated edge listings (kept the largest weight)",
            name,
            stats["duplicates_merged"],
        )
    if stats.get("reverse_listings_merged"):
        logger.info(
            "%s: merged %d edges listed in both directions into single undirected edges "
            "(kept the largest weight)",
            name,
            stats["reverse_listings_merged"],
        )


def _check_graph(
    nodes: NodeIndex, edge_index: torch.Tensor, stats: dict[str, int], where: _Where
) -> None:
    if len(nodes) < 2:
        only = f" ({nodes.id(0)!r})" if len(nodes) else ""
        raise where.error(
            f"the graph has a single node{only}; give at least two nodes and an edge between them"
            if len(nodes)
            else "the graph has no nodes; " + _EDGE_HINT
        )
    if edge_index.size(1) == 0:
        parts = [
            f"{stats[key]} {what}"
            for key, what in (
                ("self_loops_dropped", "self loops"),
                ("zero_weight_dropped", "zero-weight edges"),
            )
            if stats[key]
        ]
        after = f" after dropping {' and '.join(parts)}" if parts else ""
        raise where.error(
            f"the graph has no edges{after} ({len(nodes)} isolated nodes), nothing to learn from; "
            "give at least one edge between two different nodes with a positive weight"
        )


# --------------------------------------------------------------------------- fallback features


def identity_features(num_nodes: int) -> torch.Tensor:
    """One-hot node identity features.

    Args:
        num_nodes: ``N``.

    Returns:
        ``(N, N)`` float32 identity matrix.
    """
    return torch.eye(num_nodes, dtype=torch.float32)


def degree_features(
    edge_index: torch.Tensor,
    num_nodes: int,
    directed: bool = False,
    buckets: int = DEGREE_BUCKETS,
) -> torch.Tensor:
    """Structural features from node degrees (for graphs without features).

    Args:
        edge_index: ``(2, E)`` edges (both directions for an undirected graph).
        num_nodes: ``N``.
        directed: Degree is in-degree + out-degree; otherwise the number of
            neighbours (entries of ``edge_index[0]``).
        buckets: Number of log2 degree buckets.

    Returns:
        ``(N, 1 + buckets)`` float32: ``log(1 + deg)`` then a one-hot of
        ``min(floor(log2(1 + deg)), buckets - 1)``.
    """
    ends = edge_index.reshape(-1) if directed else edge_index[0]
    deg = torch.bincount(ends, minlength=num_nodes).double()
    bucket = torch.floor(torch.log2(1 + deg)).long().clamp(max=buckets - 1)
    onehot = torch.nn.functional.one_hot(bucket, buckets).double()
    return torch.cat([torch.log1p(deg).unsqueeze(1), onehot], dim=1).float()


def random_features(
    num_nodes: int, channels: int = RANDOM_FEATURE_DIM, seed: int = 0
) -> torch.Tensor:
    """Fixed random node features (a featureless graph's random-feature fallback).

    Args:
        num_nodes: ``N``.
        channels: Width ``k``.
        seed: Seed of the draw (the same graph always gets the same features).

    Returns:
        ``(N, k)`` float32 standard normal entries.
    """
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(num_nodes, channels, generator=gen, dtype=torch.float32)


def _fallback_features(
    mode: str, edge_index: torch.Tensor, n: int, directed: bool, name: str
) -> tuple[torch.Tensor | None, str]:
    if mode == "none":
        logger.info(
            "%s: no node features given and feature_fallback='none': the encoder needs "
            "learnable codes (learnable_input=true or --encoder embedding)",
            name,
        )
        return None, "none"
    if mode == "random":
        logger.info(
            "%s: no node features given; using %d fixed random (standard normal) features",
            name,
            RANDOM_FEATURE_DIM,
        )
        return random_features(n), "random"
    if mode == "auto":  # chosen by measurement: benchmarks/results/featureless.md
        mode = "identity" if n <= IDENTITY_MAX_NODES else "learnable"
    if mode == "learnable":
        logger.info(
            "%s: no node features given; the encoder learns an input code per node "
            "(feature_fallback='learnable')",
            name,
        )
        return None, "learnable"
    kind = mode
    if kind == "identity":
        if n > 50_000:
            raise GraphaeError(
                f"identity features for {n} nodes need an {n} x {n} matrix; use "
                "feature_fallback='degree' or give node features"
            )
        logger.info(
            "%s: no node features given; using identity (one-hot) features (%d x %d)", name, n, n
        )
        return identity_features(n), "identity"
    x = degree_features(edge_index, n, directed)
    logger.info(
        "%s: no node features given; using %d degree features (log degree + log2 degree buckets)",
        name,
        x.size(1),
    )
    return x, "degree"


# --------------------------------------------------------------------------- labels


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


# --------------------------------------------------------------------------- entry point


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
            ``N <= 2048``, else learnable), ``"identity"``, ``"degree"``,
            ``"random"`` (fixed ``(N, 64)`` standard normal features, seed 0),
            ``"learnable"`` (``x = None``, and a GNN encoder learns an input
            code per node: :func:`graphae.nn.latent.featureless_options`) or
            ``"none"`` (``x = None``: the encoder options must provide codes).
        nodes: The full node set: a file with one id per line (an ``id``
            header line is allowed) or a sequence of ids. Nodes without edges
            become isolated nodes (they get embeddings); a node of the edges
            that the list lacks is an :class:`InputError`. With ``features``
            too, every feature row must be a listed node.

    Returns:
        A :class:`Graph`: ``data.x`` ``(N, F)`` float32, ``data.edge_index``
        ``(2, E)`` coalesced, ``data.edge_weight`` ``(E,)`` float32 or absent,
        ``data.y`` ``(N,)`` when labels are given; ``nodes`` keeps the ids;
        ``feature_source`` is ``"file"``, ``"dataset"``, ``"identity"`` or
        ``"degree"``; ``meta`` records the cleaning counts.

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

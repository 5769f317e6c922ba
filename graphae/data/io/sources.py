"""Dispatch on the source: a file by its extension, or an in-memory graph by its type."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import scipy.sparse as sp
from torch_geometric.data import Data

from graphae.data.io.edgelist import _edges_from_frame, _read_edge_list
from graphae.data.io.edges import _EDGE_HINT, _Edges
from graphae.data.io.files import COMPRESSION_EXTENSIONS, _check_file, _read_parquet, _suffix
from graphae.data.io.graphml import _read_xml_graph
from graphae.data.io.nxgraph import _edges_from_networkx, _read_adjlist, _read_gml
from graphae.data.io.pyg import _edges_from_pyg, _Extra
from graphae.data.io.sparse import _edges_from_sparse, _read_npz
from graphae.data.io.where import _Where
from graphae.errors import InputError

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

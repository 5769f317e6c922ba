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
  ``graph.feature_source``: identity one-hot when ``N <= 2048``, else degree
  features beside learnable input codes (``"degree_learnable"``: ``x`` holds
  :func:`degree_features` and the GNN encoder also learns one input vector per
  node; chosen by the measurements in ``benchmarks/results/featureless.md``).
  ``feature_fallback`` picks another (``"degree"`` alone: the inductive choice).
* **Labels**: ``id,label`` rows; string labels are mapped to ``0..K-1`` in
  sorted order (names in ``graph.meta["label_names"]``); unlabelled nodes get
  ``-1``.

Files are read without executing anything: ``.npy``/``.npz`` with
``allow_pickle=False`` and GraphML/GEXF checked with ``defusedxml`` first, so
entity declarations (billion laughs) are refused before any expansion.

Modules, one job each (the reading order of :func:`load_graph`): ``load``
(the entry point), ``sources`` (dispatch on the source), ``edgelist``,
``nxgraph``, ``graphml``, ``sparse`` and ``pyg`` (one per kind of source),
``edges`` (what they all return), ``nodelist`` (a node file), ``features``,
``node_ids`` (rows of the nodes), ``cleaning`` (edges cleaned), ``fallback``
(features of a featureless graph), ``labels``; beneath them ``files``
(checks, compression), ``delimited`` (delimited text), ``values`` (value
checks) and ``where`` (which file and line a record came from).
"""

from __future__ import annotations

from graphae.data.features import FEATURE_FALLBACKS
from graphae.data.io.fallback import (
    IDENTITY_MAX_NODES,
    degree_features,
    identity_features,
    random_features,
)
from graphae.data.io.features import FEATURE_EXTENSIONS
from graphae.data.io.labels import read_labels
from graphae.data.io.load import load_graph
from graphae.data.io.sources import EDGE_LIST_EXTENSIONS, GRAPH_EXTENSIONS

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

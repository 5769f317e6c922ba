"""Classic link-prediction heuristics: the baselines every link table shows.

Every heuristic scores node pairs from the **message-passing graph only** (a
split's ``mp_edge_index``: the training edges), so a held-out validation or
test edge is never seen. The graph is held as a binary scipy CSR adjacency
(edge weights and repeated entries are ignored: a pair is an edge or not), and
pairs are scored in chunks with sparse row products — never an ``N × N``
dense matrix.

Registered heuristics (``heuristics.names()``; short aliases in :data:`ALIASES`):

* ``common_neighbors`` (``cn``): ``|Γ(u) ∩ Γ(v)|``.
* ``adamic_adar`` (``aa``): ``Σ_{w ∈ Γ(u) ∩ Γ(v)} 1 / log |Γ(w)|``.
* ``resource_allocation`` (``ra``): ``Σ_{w ∈ Γ(u) ∩ Γ(v)} 1 / |Γ(w)|``.
* ``preferential_attachment`` (``pa``): ``|Γ(u)| · |Γ(v)|``.
* ``katz`` : truncated Katz index ``Σ_{l=1}^{L} β^l (A^l)_{uv}`` (options
  ``beta``, default 0.005, and ``max_length`` ``L``, default 3): the number of
  walks of each length from ``u`` to ``v``, damped by ``β`` per step.

``Γ(u)`` is the set of neighbours of ``u``; on a directed graph the first four
use the undirected neighbourhood (in- and out-neighbours), as networkx's
undirected definitions do, while Katz counts directed walks ``u → v``. The
definitions equal networkx's ``common_neighbors``, ``adamic_adar_index``,
``resource_allocation_index`` and ``preferential_attachment`` (the tests check
it).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from graphae.errors import GraphaeError
from graphae.registry import Registry, check_option_types

__all__ = [
    "ALIASES",
    "Adjacency",
    "heuristic_scores",
    "heuristics",
    "resolve_heuristic",
    "split_heuristic_scores",
]

#: A heuristic: ``fn(adjacency, pairs (2, P) int64, **options) -> (P,) float64``.
HeuristicFn = Callable[..., np.ndarray]

#: Registry of heuristics by name (``graphae.nn.heuristics.heuristics.names()``).
heuristics: Registry[np.ndarray] = Registry("heuristic")

#: Short names accepted wherever a heuristic is named.
ALIASES = {
    "cn": "common_neighbors",
    "common_neighbours": "common_neighbors",
    "aa": "adamic_adar",
    "ra": "resource_allocation",
    "pa": "preferential_attachment",
}

#: Entries of the row blocks one chunk may touch (bounds memory: ~64 MiB of float64).
_CHUNK_ENTRIES = 1 << 23


def resolve_heuristic(name: str) -> str:
    """The registered name of ``name`` (an alias such as ``"aa"`` or a full name).

    Raises:
        GraphaeError: (a ``ValueError``) on an unknown name, listing the valid ones.
    """
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    heuristics.get(key)  # raises with the valid names
    return key


@dataclass(frozen=True)
class Adjacency:
    """The binary adjacency of a message-passing graph, with degrees.

    Attributes:
        walks: ``(N, N)`` CSR 0/1 matrix whose walks Katz counts: entry
            ``(u, v)`` = edge ``u → v`` of a directed graph, or ``undirected``
            itself for an undirected one.
        undirected: ``(N, N)`` CSR 0/1 symmetric matrix (no self loops).
        degree: ``(N,)`` float64 number of neighbours ``|Γ(u)|`` in ``undirected``.
    """

    walks: sp.csr_matrix
    undirected: sp.csr_matrix
    degree: np.ndarray

    @property
    def num_nodes(self) -> int:
        """``N``."""
        return int(self.undirected.shape[0])

    @classmethod
    def from_edge_index(cls, edge_index: Any, num_nodes: int, directed: bool = False) -> Adjacency:
        """Build from ``(2, E)`` edges (a torch tensor or a numpy array).

        Self loops are dropped and repeated entries count once. For an
        undirected graph either direction of an edge (or both, as graphae's
        ``edge_index`` and a split's ``mp_edge_index`` hold them) gives the
        same matrices.

        Args:
            edge_index: ``(2, E)`` edges.
            num_nodes: ``N``.
            directed: Keep the direction of the edges for Katz's walks.
        """
        ei = _as_pairs(edge_index, num_nodes, "edge_index")
        keep = ei[0] != ei[1]
        ei = ei[:, keep]
        ones = np.ones(ei.shape[1], dtype=np.float64)
        a = sp.csr_matrix((ones, (ei[0], ei[1])), shape=(num_nodes, num_nodes))
        a.sum_duplicates()
        a.data[:] = 1.0
        und = (a + a.T).tocsr()
        und.data[:] = 1.0
        und.sort_indices()
        a.sort_indices()
        degree = np.diff(und.indptr).astype(np.float64)
        return cls(a if directed else und, und, degree)


def _as_pairs(pairs: Any, num_nodes: int, what: str = "pairs") -> np.ndarray:
    """``(2, P)`` int64 numpy array from a tensor/array, checked against ``N``."""
    if hasattr(pairs, "detach"):
        pairs = pairs.detach().cpu().numpy()
    arr = np.asarray(pairs)
    if arr.ndim != 2 or arr.shape[0] != 2:
        raise GraphaeError(f"{what} must have shape (2, P), got {tuple(arr.shape)}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= num_nodes):
        raise GraphaeError(f"{what} hold node ids outside 0..{num_nodes - 1}")
    return arr


def _chunks(pairs: np.ndarray, row_width: float) -> list[slice]:
    """Slices of the ``P`` pairs so that one chunk touches about ``_CHUNK_ENTRIES`` entries."""
    p = pairs.shape[1]
    step = max(1, min(p, int(_CHUNK_ENTRIES // max(row_width, 1.0))))
    return [slice(i, i + step) for i in range(0, p, step)]


def _weighted_common(adj: Adjacency, pairs: np.ndarray, node_weight: np.ndarray) -> np.ndarray:
    """``Σ_{w ∈ Γ(u) ∩ Γ(v)} node_weight[w]`` for each pair, chunked sparse row products."""
    a = adj.undirected
    out = np.zeros(pairs.shape[1], dtype=np.float64)
    mean_degree = a.nnz / max(adj.num_nodes, 1)
    for s in _chunks(pairs, 2 * mean_degree + 1):
        both = a[pairs[0, s]].multiply(a[pairs[1, s]])  # (C, N) sparse: common neighbours
        out[s] = np.asarray(both @ node_weight).ravel()
    return out


@heuristics.register("common_neighbors")
def common_neighbors(adj: Adjacency, pairs: np.ndarray) -> np.ndarray:
    """Common neighbours |Γ(u) ∩ Γ(v)|.

    Args:
        adj: The message-passing graph.
        pairs: ``(2, P)`` int64 node pairs.

    Returns:
        ``(P,)`` float64 scores.
    """
    return _weighted_common(adj, pairs, np.ones(adj.num_nodes))


@heuristics.register("adamic_adar")
def adamic_adar(adj: Adjacency, pairs: np.ndarray) -> np.ndarray:
    """Adamic-Adar: common neighbours weighted by 1 / log(degree).

    Args:
        adj: The message-passing graph.
        pairs: ``(2, P)`` int64 node pairs.

    Returns:
        ``(P,)`` float64 scores (a common neighbour has degree >= 2, so the
        weight is finite).
    """
    deg = adj.degree
    w = np.zeros_like(deg)
    big = deg > 1
    w[big] = 1.0 / np.log(deg[big])
    return _weighted_common(adj, pairs, w)


@heuristics.register("resource_allocation")
def resource_allocation(adj: Adjacency, pairs: np.ndarray) -> np.ndarray:
    """Resource allocation: common neighbours weighted by 1 / degree.

    Args:
        adj: The message-passing graph.
        pairs: ``(2, P)`` int64 node pairs.

    Returns:
        ``(P,)`` float64 scores.
    """
    deg = adj.degree
    w = np.zeros_like(deg)
    nz = deg > 0
    w[nz] = 1.0 / deg[nz]
    return _weighted_common(adj, pairs, w)


@heuristics.register("preferential_attachment")
def preferential_attachment(adj: Adjacency, pairs: np.ndarray) -> np.ndarray:
    """Preferential attachment |Γ(u)| · |Γ(v)|.

    Args:
        adj: The message-passing graph.
        pairs: ``(2, P)`` int64 node pairs.

    Returns:
        ``(P,)`` float64 scores.
    """
    return adj.degree[pairs[0]] * adj.degree[pairs[1]]


@heuristics.register("katz")
def katz(adj: Adjacency, pairs: np.ndarray, beta: float = 0.005, max_length: int = 3) -> np.ndarray:
    """Truncated Katz index sum_{l=1..L} beta^l (A^l)_uv (walks u -> v).

    Computed per distinct source node ``u``: a block of ``C`` sources holds its
    walk counts as a dense ``(C, N)`` block (``C · N`` at most about 8M
    entries), advanced one step at a time by a sparse product with ``A``, so
    the cost is ``L · nnz(A)`` per distinct source and the memory ``O(C · N)``.

    Args:
        adj: The message-passing graph (directed walks on a directed graph).
        pairs: ``(2, P)`` int64 node pairs.
        beta: Damping ``β > 0`` per step.
        max_length: Longest walk ``L >= 1``.

    Returns:
        ``(P,)`` float64 scores.

    Raises:
        GraphaeError: On ``beta <= 0`` or ``max_length < 1``.
    """
    beta = float(beta)
    if not np.isfinite(beta) or beta <= 0:
        raise GraphaeError(f"katz: beta must be > 0, got {beta}")
    if int(max_length) != max_length or max_length < 1:
        raise GraphaeError(f"katz: max_length must be an integer >= 1, got {max_length}")
    a_t = adj.walks.T.tocsr()  # X @ A == (Aᵀ @ Xᵀ)ᵀ: a sparse @ dense product
    n = adj.num_nodes
    out = np.zeros(pairs.shape[1], dtype=np.float64)
    sources, inverse = np.unique(pairs[0], return_inverse=True)
    block = max(1, _CHUNK_ENTRIES // max(n, 1))
    for start in range(0, sources.size, block):
        src = sources[start : start + block]
        walks_t = adj.walks[src].toarray().T  # (N, C): column c = walks of length 1 from src[c]
        total_t = beta * walks_t
        for length in range(2, int(max_length) + 1):
            walks_t = a_t @ walks_t
            total_t += beta**length * walks_t
        sel = (inverse >= start) & (inverse < start + src.size)
        out[sel] = total_t[pairs[1, sel], inverse[sel] - start]
    return out


def heuristic_scores(
    name: str,
    edge_index: Any,
    num_nodes: int,
    pairs: Any,
    adjacency: Adjacency | None = None,
    directed: bool = False,
    **options: Any,
) -> np.ndarray:
    """Scores of ``pairs`` by heuristic ``name`` on the graph ``edge_index``.

    Args:
        name: A registered name or an alias (``cn``, ``aa``, ``ra``, ``pa``).
        edge_index: ``(2, E)`` message-passing edges (ignored when
            ``adjacency`` is given).
        num_nodes: ``N``.
        pairs: ``(2, P)`` pairs to score.
        adjacency: A prebuilt :class:`Adjacency` (reuse across calls).
        directed: Whether ``edge_index`` is directed (Katz counts directed walks).
        **options: Options of the heuristic (``beta``, ``max_length`` for Katz).

    Returns:
        ``(P,)`` float64 scores.

    Raises:
        GraphaeError: On an unknown name, bad options or bad pairs.
    """
    key = resolve_heuristic(name)
    adj = (
        adjacency
        if adjacency is not None
        else Adjacency.from_edge_index(edge_index, num_nodes, directed)
    )
    arr = _as_pairs(pairs, adj.num_nodes)
    fn = heuristics.get(key)
    check_option_types("heuristic", key, inspect.signature(fn).parameters, options)
    try:
        return fn(adj, arr, **options)
    except TypeError as e:  # an option the heuristic does not take
        raise GraphaeError(f"heuristic {key}: {e}") from e


def split_heuristic_scores(
    name: str, split: Any, parts: tuple[str, ...] = ("val", "test"), **options: Any
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Heuristic scores of a split's evaluation pairs, from its message-passing graph.

    Args:
        name: Heuristic name or alias.
        split: A :class:`~graphae.data.split.LinkSplit`.
        parts: Which parts to score (``"val"``, ``"test"``).
        **options: Heuristic options.

    Returns:
        ``{part: (pos_scores (P,), neg_scores (Q,))}`` for each part that has pairs.
    """
    adj = Adjacency.from_edge_index(split.mp_edge_index, split.num_nodes, split.directed)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for part in parts:
        pos, neg = getattr(split, f"{part}_pos"), getattr(split, f"{part}_neg")
        if pos.numel() == 0 or neg.numel() == 0:
            continue
        out[part] = (
            heuristic_scores(name, None, split.num_nodes, pos, adjacency=adj, **options),
            heuristic_scores(name, None, split.num_nodes, neg, adjacency=adj, **options),
        )
    return out

"""Pairwise structure of a message-passing graph, on the tensors' device.

What the ``ncn`` decoder reads about a pair ``(u, v)`` beside the two
embeddings:

* :func:`common_neighbor_sum`: ``Σ_{w ∈ Γ(u) ∩ Γ(v)} z_w`` (Neural Common
  Neighbour, Wang et al., ICLR 2024);
* :func:`pair_counts`: the classic link heuristics' counts — common
  neighbours, Adamic–Adar, resource allocation, the number of length-3 paths
  and preferential attachment — so a learned decoder sees what Katz and
  preferential attachment see (``benchmarks/results/featureless.md``: Katz
  wins on NS and Yeast, preferential attachment on Router, and a common-
  neighbour decoder reads none of the longer paths).

Every count is **that of the graph without the pair's own edge** (tested
exactly): a training positive is an edge of the message-passing graph, a
held-out positive is not, and counts that included the edge (walks through it,
degrees raised by it) would tell the two apart and leak the label.

All of it is index arithmetic on sorted neighbour keys, vectorised, with no
``N × N`` float matrix: common neighbours cost ``Σ_pairs min(deg u, deg v)``,
paths of length 3 as much again plus the two-hop walk counts of the graph
(built once per graph, in row blocks, and cached with the neighbour index). The
listing of a batch's neighbourhoods is cached too, so ``ncn`` with the counts
head lists them once per batch.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from graphae.data.split import DENSE_PAIR_LIMIT, isin_sorted, pair_table

__all__ = [
    "PAIR_COUNTS",
    "NeighborIndex",
    "PairNeighborhoods",
    "common_neighbor_sum",
    "pair_counts",
]

#: Columns of :func:`pair_counts`, in order.
PAIR_COUNTS = ("common_neighbors", "adamic_adar", "resource_allocation", "paths3", "pref_attach")


class NeighborIndex:
    """Sorted neighbour lists of a message-passing graph, rebuilt when the graph changes.

    Neighbourhoods are undirected (an edge in either direction makes two nodes
    neighbours), without self loops, and each neighbour counts once. The
    two-hop walk counts ``A²`` are built on first use; the neighbourhoods of
    the last batch of pairs are kept (:meth:`neighborhoods`).
    """

    #: Largest ``N²`` for which lookups use dense ``N × N`` tables (``A`` as bytes, ``A²``
    #: as int32: 80 MB at the limit) instead of binary searches over the sorted keys.
    DENSE_LIMIT = DENSE_PAIR_LIMIT

    def __init__(self) -> None:
        self._graph: Tensor | None = None  # held, so its identity cannot be reused
        self._key: tuple[int, int] | None = None
        self.rowptr = self.col = self.keys = self.degree = torch.empty(0, dtype=torch.long)
        self._two_hop: tuple[Tensor, Tensor] | None = None
        self._adj_table: Tensor | None = None
        self._two_hop_table: Tensor | None = None
        self._hoods: tuple[Tensor, int, PairNeighborhoods] | None = None

    def _dense(self) -> bool:
        return self.num_nodes**2 <= self.DENSE_LIMIT

    def get(self, edge_index: Tensor, num_nodes: int) -> NeighborIndex:
        """This index, rebuilt for ``edge_index`` over ``num_nodes`` nodes if it changed."""
        key = (num_nodes, edge_index._version)
        if edge_index is not self._graph or key != self._key:
            ei = edge_index.detach().long()
            both = torch.cat([ei, ei.flip(0)], dim=1)
            both = both[:, both[0] != both[1]]
            keys = torch.unique(both[0] * num_nodes + both[1])  # sorted, distinct
            row, self.col = keys // num_nodes, keys % num_nodes
            self.keys = keys
            self.degree = torch.bincount(row, minlength=num_nodes)
            self.rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=ei.device)
            self.rowptr[1:] = torch.cumsum(self.degree, 0)
            self._graph, self._key = edge_index, key
            self._two_hop = self._adj_table = self._two_hop_table = self._hoods = None
        return self

    @property
    def num_nodes(self) -> int:
        return self.degree.numel()

    def contains(self, rows: Tensor, cols: Tensor) -> Tensor:
        """``(P,)`` bool: whether each ``(rows[i], cols[i])`` is an edge."""
        key = rows * self.num_nodes + cols
        if self._dense():
            if self._adj_table is None:
                self._adj_table = pair_table(self.keys, self.num_nodes)
            return self._adj_table[key]
        return isin_sorted(key, self.keys)

    def walks2(self, rows: Tensor, cols: Tensor) -> Tensor:
        """``(P,)`` int64: ``(A²)_{rows[i], cols[i]}``, the walks of length 2."""
        keys, counts = self.two_hop()
        key = rows * self.num_nodes + cols
        if self._dense():
            if self._two_hop_table is None:
                table = torch.zeros(self.num_nodes**2, dtype=torch.int32, device=key.device)
                self._two_hop_table = table.index_copy_(0, keys, counts.int())
            return self._two_hop_table[key].long()
        if keys.numel() == 0:
            return torch.zeros_like(rows)
        pos = torch.searchsorted(keys, key).clamp_(max=keys.numel() - 1)
        return torch.where(keys[pos] == key, counts[pos], 0)

    def two_hop(self, budget: int = 1 << 24) -> tuple[Tensor, Tensor]:
        """``(keys, counts)`` of the nonzero entries of ``A²``: sorted ``row·N + col``, walks.

        Built row block by row block: a block's rows start fewer than ``budget``
        two-hop walks apart, so the walks listed at once are at most ``budget``
        plus one row's (memory is bounded by that and the result).
        """
        if self._two_hop is None:
            n = self.num_nodes
            dev = self.col.device
            # walks of length 2 starting at each node: Σ_{a ∈ Γ(r)} deg a
            per_row = torch.zeros(n, dtype=torch.long, device=dev)
            row = torch.repeat_interleave(torch.arange(n, device=dev), self.degree)
            per_row.index_add_(0, row, self.degree[self.col])
            # rows grouped into blocks of about `budget` walks (a block is one row at least)
            block = torch.div(torch.cumsum(per_row, 0) - per_row, budget, rounding_mode="floor")
            sizes = torch.unique_consecutive(block, return_counts=True)[1].tolist()
            keys, counts, start = [], [], 0
            for size in sizes:
                nodes = torch.arange(start, start + size, device=dev)
                owner, a = self.expand(nodes)
                owner2, y = self.expand(a)
                k, c = torch.unique(nodes[owner[owner2]] * n + y, return_counts=True)
                keys.append(k)
                counts.append(c)
                start += size
            self._two_hop = (
                torch.cat(keys) if keys else torch.empty(0, dtype=torch.long, device=dev),
                torch.cat(counts) if counts else torch.empty(0, dtype=torch.long, device=dev),
            )
        return self._two_hop

    def neighborhoods(self, pairs: Tensor) -> PairNeighborhoods:
        """The :class:`PairNeighborhoods` of ``pairs`` ``(2, P)`` on this graph.

        Kept for the last ``pairs`` tensor (while it is not modified in place),
        so the decoders that read the same batch (``ncn`` and the counts head
        around it) list it once.
        """
        cached = self._hoods
        if cached is not None and cached[0] is pairs and cached[1] == pairs._version:
            return cached[2]
        u, v = pairs[0].long(), pairs[1].long()
        swap = self.degree[u] > self.degree[v]  # list the endpoint of smaller degree
        a, b = torch.where(swap, v, u), torch.where(swap, u, v)
        owner, x = self.expand(a)
        other = b[owner]
        shared = self.contains(other, x) if x.numel() else torch.zeros_like(x, dtype=torch.bool)
        hoods = PairNeighborhoods(owner, x, other, shared)
        self._hoods = (pairs, pairs._version, hoods)
        return hoods

    def expand(self, nodes: Tensor) -> tuple[Tensor, Tensor]:
        """``(owner, neighbour)``: every neighbour of each of ``nodes``, flat.

        ``owner[k]`` is the position in ``nodes`` whose neighbour is ``neighbour[k]``.
        """
        counts = self.degree[nodes]
        total = int(counts.sum())
        owner = torch.repeat_interleave(torch.arange(nodes.numel(), device=nodes.device), counts)
        if total == 0:
            return owner, owner
        first = torch.cumsum(counts, 0) - counts
        offset = torch.arange(total, device=nodes.device) - first[owner]
        return owner, self.col[self.rowptr[nodes][owner] + offset]


class PairNeighborhoods(NamedTuple):
    """Every neighbour ``x`` of each pair's endpoint of smaller degree, flat (``H`` rows).

    ``H = Σ_pairs min(deg u, deg v)``. The common neighbours are the rows with
    ``shared``; the pair's other endpoint is never one (no self loops).
    """

    owner: Tensor  #: ``(H,)`` position of the pair in ``pairs``
    node: Tensor  #: ``(H,)`` the neighbour ``x``
    other: Tensor  #: ``(H,)`` the pair's endpoint of larger degree
    shared: Tensor  #: ``(H,)`` bool: ``x`` is a neighbour of ``other`` as well

    def common(self) -> tuple[Tensor, Tensor]:
        """``(pair position, common neighbour)`` per common neighbour, flat."""
        return self.owner[self.shared], self.node[self.shared]


def common_neighbor_sum(
    z: Tensor,
    pairs: Tensor,
    edge_index: Tensor,
    index: NeighborIndex | None = None,
) -> Tensor:
    """``Σ_{w ∈ Γ(u) ∩ Γ(v)} z_w`` for each pair ``(u, v)``.

    The common neighbours come from :meth:`NeighborIndex.neighborhoods` (work
    ``Σ_pairs min(deg u, deg v)``, no ``N × N`` matrix). ``u`` and ``v``
    themselves are never common neighbours of their own pair, so the pair's own
    edge (a training positive is an edge of the message-passing graph) does
    not enter its sum.

    Args:
        z: ``(N, d)`` embeddings.
        pairs: ``(2, P)`` pairs.
        edge_index: ``(2, E)`` message-passing graph (undirected neighbourhoods).
        index: A cached neighbour index (rebuilt here when ``None``).

    Returns:
        ``(P, d)`` sums (zero rows for pairs without common neighbours).
    """
    idx = (index or NeighborIndex()).get(edge_index, z.size(0))
    pair_id, w = idx.neighborhoods(pairs).common()
    out = z.new_zeros(pairs.size(1), z.size(1))
    return out.index_add(0, pair_id, z.index_select(0, w))


def pair_counts(
    pairs: Tensor,
    edge_index: Tensor,
    num_nodes: int,
    index: NeighborIndex | None = None,
) -> Tensor:
    """The classic heuristics' counts of each pair, without the pair's own edge.

    With ``A`` the graph's adjacency minus the pair's own edge (if it is one)
    and ``d`` its degrees, the columns (:data:`PAIR_COUNTS`) are:

    * ``common_neighbors`` ``(A²)_uv``;
    * ``adamic_adar`` ``Σ_{w ∈ Γ(u)∩Γ(v)} 1 / log d_w``;
    * ``resource_allocation`` ``Σ_{w ∈ Γ(u)∩Γ(v)} 1 / d_w``;
    * ``paths3`` ``(A³)_uv``: paths ``u–a–b–v`` (computed on the full graph
      as ``(A³)_uv − A_uv (d_u + d_v − 1)``, which removes the walks through
      the edge ``uv`` itself);
    * ``pref_attach`` ``d_u · d_v``.

    A common neighbour ``w`` keeps its degree without the edge ``uv``, so
    the first three need no correction.

    Args:
        pairs: ``(2, P)`` pairs.
        edge_index: ``(2, E)`` message-passing graph (undirected neighbourhoods).
        num_nodes: ``N``.
        index: A cached neighbour index (rebuilt here when ``None``).

    Returns:
        ``(P, 5)`` float32 counts on ``pairs``' device.
    """
    idx = (index or NeighborIndex()).get(edge_index, num_nodes)
    u, v = pairs[0].long(), pairs[1].long()
    p = pairs.size(1)
    dev = pairs.device
    deg = idx.degree.double()
    hoods = idx.neighborhoods(pairs)
    pair_id, w = hoods.common()
    cn = torch.zeros(p, dtype=torch.float64, device=dev).index_add_(
        0, pair_id, torch.ones_like(w, dtype=torch.float64)
    )
    dw = deg[w]
    aa = torch.zeros_like(cn).index_add_(0, pair_id, 1.0 / torch.log(dw))
    ra = torch.zeros_like(cn).index_add_(0, pair_id, 1.0 / dw)
    own = idx.contains(u, v).double()
    # (A³)_uv = Σ_{x ∈ Γ(a)} (A²)_{b x}, a the endpoint of smaller degree, b the other
    walks = idx.walks2(hoods.other, hoods.node).double()
    walks3 = torch.zeros_like(cn).index_add_(0, hoods.owner, walks)
    paths3 = walks3 - own * (deg[u] + deg[v] - 1.0)
    pa = (deg[u] - own) * (deg[v] - own)
    return torch.stack([cn, aa, ra, paths3, pa], dim=1).float()

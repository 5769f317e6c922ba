"""Leak-free link splits, negative sampling and split statistics.

Rules (design.md, "Protocol rules"):

* Edges are split by *unordered pair*: both directions of a pair land in the
  same part, so a validation/test edge never survives reversed in the
  message-passing graph. ``directed`` is handled here and nowhere else.
* Validation/test negatives are sampled once per split seed from pairs that are
  not edges of the *full* graph (in either direction) and are not self loops.
* Training negatives are drawn fresh each epoch by :func:`sample_negatives`,
  vectorised on the tensors' device; they never hit a training edge in either
  direction nor a self loop.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from graphae.errors import GraphaeError


@dataclass
class LinkSplit:
    """A link-prediction split over nodes ``0..num_nodes-1``.

    Attributes:
        num_nodes: ``N``.
        directed: Whether pairs are ordered.
        mp_edge_index: ``(2, E_mp)`` message-passing graph (training edges; both
            directions for undirected graphs).
        mp_edge_weight: ``(E_mp,)`` weights of ``mp_edge_index`` or ``None``.
        train_pos: ``(2, P_train)`` supervision positives (one row per undirected
            pair, ``u < v``; every edge for directed graphs).
        val_pos, val_neg, test_pos, test_neg: ``(2, *)`` evaluation pairs.
        test_neg_per_pos: Optional ``(P_test, K)`` per-positive negative
            destinations (OGB citation2-style MRR); ``None`` otherwise.
        val_neg_per_pos: Same for validation.
        source: ``"random"`` or ``"official"``.
    """

    num_nodes: int
    directed: bool
    mp_edge_index: torch.Tensor
    train_pos: torch.Tensor
    val_pos: torch.Tensor
    val_neg: torch.Tensor
    test_pos: torch.Tensor
    test_neg: torch.Tensor
    mp_edge_weight: torch.Tensor | None = None
    val_neg_per_pos: torch.Tensor | None = None
    test_neg_per_pos: torch.Tensor | None = None
    source: str = "random"

    def to(self, device: torch.device | str) -> LinkSplit:
        """Copy with every tensor moved to ``device``."""
        kw = {}
        for f in fields(self):
            v = getattr(self, f.name)
            kw[f.name] = v.to(device) if isinstance(v, torch.Tensor) else v
        return LinkSplit(**kw)

    def sizes(self) -> dict[str, int]:
        """Counts of each part, for logs and results."""
        return {
            "mp_edges": int(self.mp_edge_index.size(1)),
            "train_pos": int(self.train_pos.size(1)),
            "val_pos": int(self.val_pos.size(1)),
            "val_neg": int(self.val_neg.size(1)),
            "test_pos": int(self.test_pos.size(1)),
            "test_neg": int(self.test_neg.size(1)),
        }


def has_pairs(pos: torch.Tensor, neg: torch.Tensor) -> bool:
    """Whether a split part has pairs to score: a split made with ``val_ratio`` or
    ``test_ratio`` 0 (training on every edge) has none in that part."""
    return pos.numel() > 0 and neg.numel() > 0


def pair_keys(edge_index: torch.Tensor, num_nodes: int, directed: bool) -> torch.Tensor:
    """Integer key per pair: ``u * N + v``, with ``(min, max)`` order when undirected.

    Args:
        edge_index: ``(2, E)`` pairs.
        num_nodes: ``N``.
        directed: Keep the order of each pair.

    Returns:
        ``(E,)`` long keys.
    """
    u, v = edge_index[0].long(), edge_index[1].long()
    if not directed:
        u, v = torch.minimum(u, v), torch.maximum(u, v)
    return u * num_nodes + v


#: Up to this many possible pair keys (``N²``), a repeatedly asked pair set keeps a
#: ``(N²,)`` bool table (16 MiB at most) and answers by one gather instead of binary
#: searches; the answers are the same (:class:`EdgeSet`,
#: :class:`graphae.nn.pair_structure.NeighborIndex`).
DENSE_PAIR_LIMIT = 1 << 24


def pair_table(sorted_keys: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """``(N²,)`` bool, ``True`` at ``sorted_keys`` (pair keys ``u·N + v``)."""
    table = torch.zeros(num_nodes**2, dtype=torch.bool, device=sorted_keys.device)
    return table.index_fill_(0, sorted_keys, True)


def isin_sorted(keys: torch.Tensor, sorted_table: torch.Tensor) -> torch.Tensor:
    """Membership of ``keys`` in an ascending ``sorted_table`` (``(K,)`` bool).

    Large query batches are sorted first: binary searches over sorted queries walk
    the table in order, which is several times faster than random probes.
    """
    if sorted_table.numel() == 0:
        return torch.zeros_like(keys, dtype=torch.bool)
    if keys.numel() < 4096:
        pos = torch.searchsorted(sorted_table, keys).clamp_(max=sorted_table.numel() - 1)
        return sorted_table[pos] == keys
    sorted_keys, order = keys.sort()
    pos = torch.searchsorted(sorted_table, sorted_keys).clamp_(max=sorted_table.numel() - 1)
    out = torch.empty_like(keys, dtype=torch.bool)
    out[order] = sorted_table[pos] == sorted_keys
    return out


class EdgeSet:
    """Fast membership test for pairs, in either direction when undirected.

    Args:
        edge_index: ``(2, E)`` edges.
        num_nodes: ``N``.
        directed: When ``False`` a pair matches in either direction.
    """

    #: A set asked more than once keeps :func:`pair_table` up to this ``N²``.
    DENSE_LIMIT = DENSE_PAIR_LIMIT

    def __init__(self, edge_index: torch.Tensor, num_nodes: int, directed: bool) -> None:
        self.num_nodes = num_nodes
        self.directed = directed
        self.table = torch.unique(pair_keys(edge_index, num_nodes, directed))
        self._dense: torch.Tensor | None = None
        self._asked = 0

    def contains(self, pairs: torch.Tensor) -> torch.Tensor:
        """``(P,)`` bool: which of the ``(2, P)`` pairs are edges."""
        keys = pair_keys(pairs, self.num_nodes, self.directed).to(self.table.device)
        self._asked += 1
        if self._dense is None and self._asked > 1 and self.num_nodes**2 <= self.DENSE_LIMIT:
            self._dense = pair_table(self.table, self.num_nodes)
        if self._dense is not None:
            return self._dense[keys]
        return isin_sorted(keys, self.table)

    def to(self, device: torch.device | str) -> EdgeSet:
        """Move the lookup table to ``device`` (in place) and return self."""
        self.table = self.table.to(device)
        self._dense = None if self._dense is None else self._dense.to(device)
        return self


def sample_negatives(
    num_samples: int,
    exclude: EdgeSet,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    max_rounds: int = 32,
) -> torch.Tensor:
    """Uniform random non-edges, vectorised (no Python loop over pairs).

    Draws candidate pairs, rejects self loops and members of ``exclude`` and
    redraws the rejected ones. Duplicates among the negatives are allowed (they
    are independent draws), as in PyG's sparse sampler.

    Args:
        num_samples: ``P`` negatives to return.
        exclude: Pairs that must not be returned (in either direction when
            ``exclude.directed`` is ``False``).
        generator: Random generator (on ``device``) for reproducibility.
        device: Where to sample; defaults to ``exclude.table``'s device.
        max_rounds: Redraw rounds before giving up.

    Returns:
        ``(2, P)`` long tensor of pairs.

    Raises:
        GraphaeError: When the graph is so dense that too few non-edges exist.
    """
    n = exclude.num_nodes
    device = torch.device(device) if device is not None else exclude.table.device
    out = torch.empty(2, num_samples, dtype=torch.long, device=device)
    todo = torch.arange(num_samples, device=device)
    for _ in range(max_rounds):
        if todo.numel() == 0:
            return out
        cand = torch.randint(0, n, (2, todo.numel()), device=device, generator=generator)
        ok = (cand[0] != cand[1]) & ~exclude.contains(cand)
        out[:, todo[ok]] = cand[:, ok]
        todo = todo[~ok]
    raise GraphaeError(
        f"could not sample {num_samples} negative pairs: the graph on {n} nodes is too dense"
    )


def _unique_pairs(edge_index: torch.Tensor, num_nodes: int, directed: bool) -> torch.Tensor:
    """Distinct non-loop pairs (``u < v`` when undirected) as ``(2, P)``, sorted by key."""
    ei = edge_index[:, edge_index[0] != edge_index[1]]
    keys = torch.unique(pair_keys(ei, num_nodes, directed))
    return torch.stack([keys // num_nodes, keys % num_nodes])


def _mp_edges(
    pairs: torch.Tensor,
    edge_index: torch.Tensor,
    edge_weight: torch.Tensor | None,
    num_nodes: int,
    directed: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Edges of ``edge_index`` (with weights) whose unordered pair is in ``pairs``."""
    keep = EdgeSet(pairs, num_nodes, directed=False).contains(edge_index)
    keep &= edge_index[0] != edge_index[1]
    ei = edge_index[:, keep]
    ew = edge_weight[keep] if edge_weight is not None else None
    return ei, ew


def random_link_split(
    edge_index: torch.Tensor,
    num_nodes: int,
    *,
    val_ratio: float = 0.05,
    test_ratio: float = 0.10,
    directed: bool = False,
    edge_weight: torch.Tensor | None = None,
    seed: int = 0,
) -> LinkSplit:
    """Random leak-free train/validation/test split of the edges.

    Unordered pairs are permuted with ``seed`` and cut into
    ``1 - val_ratio - test_ratio`` / ``val_ratio`` / ``test_ratio``. Every directed
    edge of a pair goes where its pair goes, so removing validation and test
    edges from the message-passing graph removes both directions.

    Args:
        edge_index: ``(2, E)`` edges; for undirected graphs both directions or one.
        num_nodes: ``N``.
        val_ratio: Fraction of pairs for validation.
        test_ratio: Fraction of pairs for test.
        directed: Treat pairs as ordered (supervision keeps edge direction).
        edge_weight: ``(E,)`` weights carried into the message-passing graph.
        seed: Split seed; fixes the partition and the evaluation negatives.

    Returns:
        The :class:`LinkSplit`.

    Raises:
        GraphaeError: On ratios out of range or too few edges to split.
    """
    if not (0 <= val_ratio < 1 and 0 <= test_ratio < 1 and val_ratio + test_ratio < 1):
        raise GraphaeError(
            f"val_ratio={val_ratio} and test_ratio={test_ratio} must be in [0, 1) and sum to < 1"
        )
    edge_index = edge_index.long().cpu()
    undirected_pairs = _unique_pairs(edge_index, num_nodes, directed=False)
    m = undirected_pairs.size(1)
    n_val, n_test = round(val_ratio * m), round(test_ratio * m)
    if m - n_val - n_test < 1 or (val_ratio > 0 and n_val < 1) or (test_ratio > 0 and n_test < 1):
        raise GraphaeError(
            f"the graph has {m} distinct edges, too few for a "
            f"{1 - val_ratio - test_ratio:.0%}/{val_ratio:.0%}/{test_ratio:.0%} split; "
            "add edges or lower --val-ratio/--test-ratio"
        )
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(m, generator=gen)
    parts = {
        "val": undirected_pairs[:, perm[:n_val]],
        "test": undirected_pairs[:, perm[n_val : n_val + n_test]],
        "train": undirected_pairs[:, perm[n_val + n_test :]],
    }
    # Supervision positives: unordered pairs for undirected graphs, the directed
    # edges of each part's pairs for directed graphs.
    if directed:
        directed_edges = _unique_pairs(edge_index, num_nodes, directed=True)
        pos = {k: _mp_edges(p, directed_edges, None, num_nodes, True)[0] for k, p in parts.items()}
    else:
        pos = parts
    mp_ei, mp_ew = _mp_edges(parts["train"], edge_index, edge_weight, num_nodes, directed)
    if not directed:
        # Guarantee both directions even if the input listed each edge once.
        from torch_geometric.utils import to_undirected

        mp_ei, mp_ew = to_undirected(mp_ei, mp_ew, num_nodes=num_nodes, reduce="mean")
    full = EdgeSet(edge_index, num_nodes, directed=False)
    negs = sample_negatives(
        pos["val"].size(1) + pos["test"].size(1), full, generator=gen, device="cpu"
    )
    n_vneg = pos["val"].size(1)
    return LinkSplit(
        num_nodes=num_nodes,
        directed=directed,
        mp_edge_index=mp_ei,
        mp_edge_weight=mp_ew,
        train_pos=pos["train"],
        val_pos=pos["val"],
        val_neg=negs[:, :n_vneg],
        test_pos=pos["test"],
        test_neg=negs[:, n_vneg:],
        source="random",
    )


def false_negative_rate(split: LinkSplit, edge_index: torch.Tensor) -> float:
    """Fraction of validation/test negatives that are true edges of ``edge_index``.

    Args:
        split: The split to check.
        edge_index: ``(2, E)`` edges of the *full* graph.

    Returns:
        A rate in ``[0, 1]``; leak-free splits give exactly ``0.0``.
    """
    full = EdgeSet(edge_index.cpu(), split.num_nodes, directed=False)
    negs = torch.cat([split.val_neg, split.test_neg], dim=1).cpu()
    if negs.numel() == 0:
        return 0.0
    return float(full.contains(negs).sum()) / negs.size(1)


def pair_weights(
    pairs: torch.Tensor,
    edge_index: torch.Tensor,
    edge_weight: torch.Tensor,
    num_nodes: int,
    directed: bool,
) -> torch.Tensor:
    """Weight of each pair, looked up in a weighted edge list.

    For undirected pairs the weight is the largest weight among the edges of
    the pair (either direction), as the loaders merge duplicates.

    Args:
        pairs: ``(2, P)`` pairs to look up.
        edge_index: ``(2, E)`` weighted edges.
        edge_weight: ``(E,)`` weights.
        num_nodes: ``N``.
        directed: Match pairs in their direction only.

    Returns:
        ``(P,)`` float weights (0 for a pair that is not an edge).
    """
    keys = pair_keys(edge_index.cpu(), num_nodes, directed)
    table, inv = torch.unique(keys, return_inverse=True)
    w = torch.zeros(table.numel(), dtype=torch.float32)
    w = w.scatter_reduce(0, inv, edge_weight.cpu().float(), reduce="amax", include_self=False)
    q = pair_keys(pairs.cpu(), num_nodes, directed)
    if table.numel() == 0:
        return torch.zeros(q.numel())
    pos = torch.searchsorted(table, q).clamp_(max=table.numel() - 1)
    return torch.where(table[pos] == q, w[pos], torch.zeros(()))

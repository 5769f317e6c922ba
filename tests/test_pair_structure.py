"""Pair structure (``graphae.nn.pair_structure``): the heuristic counts of every pair equal
those of the graph without the pair's own edge, computed by brute force; the ``ncn``
decoder with ``counts`` scores a pair the same whether its edge is in the graph or not."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import torch

from graphae.errors import GraphaeError
from graphae.nn.decoders import PairCountsHead, build_decoder
from graphae.nn.pair_structure import PAIR_COUNTS, NeighborIndex, pair_counts


def _graph(n: int = 12, p: float = 0.35, seed: int = 3) -> nx.Graph:
    g = nx.gnp_random_graph(n, p, seed=seed)
    assert g.number_of_edges() > n  # dense enough for 3-paths and shared neighbours
    return g


def _edge_index(g: nx.Graph) -> torch.Tensor:
    return torch.tensor(list(g.edges())).t()  # one direction only: neighbourhoods are undirected


def _graph_and_embeddings() -> tuple[torch.Tensor, torch.Tensor]:
    """The test graph's edge index and seeded ``(N, 4)`` embeddings."""
    g = _graph()
    torch.manual_seed(0)
    return _edge_index(g), torch.randn(g.number_of_nodes(), 4)


def _brute_force(g: nx.Graph, u: int, v: int) -> list[float]:
    """Counts of ``(u, v)`` on ``g`` minus the edge ``uv``."""
    h = g.copy()
    if h.has_edge(u, v):
        h.remove_edge(u, v)
    a = nx.to_numpy_array(h, nodelist=range(g.number_of_nodes()), dtype=np.int64)
    common = [w for w in nx.common_neighbors(h, u, v) if w not in (u, v)] if u != v else []
    return [
        len(common),
        sum(1.0 / math.log(h.degree(w)) for w in common),
        sum(1.0 / h.degree(w) for w in common),
        float(np.linalg.matrix_power(a, 3)[u, v]),
        float(h.degree(u) * h.degree(v)),
    ]


@pytest.mark.parametrize("lookup", ["dense", "sorted"])
def test_pair_counts_equal_the_counts_without_the_pairs_own_edge(lookup, monkeypatch) -> None:
    if lookup == "sorted":  # binary searches over sorted keys, as on large graphs
        monkeypatch.setattr(NeighborIndex, "DENSE_LIMIT", 0)
    g = _graph()
    n = g.number_of_nodes()
    pairs = torch.tensor([[u, v] for u in range(n) for v in range(n) if u != v]).t()
    got = pair_counts(pairs, _edge_index(g), n)
    assert got.shape == (pairs.size(1), len(PAIR_COUNTS)) and got.dtype == torch.float32
    for k, (u, v) in enumerate(pairs.t().tolist()):
        want = _brute_force(g, u, v)
        for col in (0, 3, 4):  # integer counts: exact
            assert got[k, col].item() == want[col], (u, v, PAIR_COUNTS[col])
        assert got[k, 1].item() == pytest.approx(want[1], rel=1e-6)
        assert got[k, 2].item() == pytest.approx(want[2], rel=1e-6)
    edges = [k for k, (u, v) in enumerate(pairs.t().tolist()) if g.has_edge(u, v)]
    # the correction is real: on edges, 3-walks through the edge itself were removed
    a = torch.tensor(nx.to_numpy_array(g, nodelist=range(n)))
    walks3 = torch.linalg.matrix_power(a, 3)
    assert any(got[k, 3] < walks3[pairs[0, k], pairs[1, k]] for k in edges)


def test_pair_counts_on_a_path_and_an_isolated_node() -> None:
    # 0-1-2-3 path and node 4 isolated
    ei = torch.tensor([[0, 1, 2], [1, 2, 3]])
    pairs = torch.tensor([[0, 0, 0, 1, 4], [3, 2, 1, 3, 0]])
    got = pair_counts(pairs, ei, 5)
    assert got[:, 0].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]  # 0,2 share 1; 1,3 share 2
    assert got[:, 3].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]  # the one 3-path 0-1-2-3
    # degrees without the pair's own edge: (0, 1) is an edge, so 0·1 not 1·2
    assert got[:, 4].tolist() == [1.0, 2.0, 0.0, 2.0, 0.0]
    assert got[1, 2].item() == pytest.approx(0.5) and got[1, 1].item() == pytest.approx(
        1 / math.log(2)
    )
    # an empty graph: all zero, no error
    assert torch.equal(
        pair_counts(pairs, torch.empty(2, 0, dtype=torch.long), 5), torch.zeros(5, 5)
    )


def test_index_rebuilds_when_the_graph_changes() -> None:
    g = _graph()
    n = g.number_of_nodes()
    ei = _edge_index(g)
    index = NeighborIndex()
    pairs = torch.tensor([[0, 1, 2], [5, 7, 9]])
    full = pair_counts(pairs, ei, n, index)
    half = pair_counts(pairs, ei[:, ::2], n, index)  # the same index, another graph
    assert torch.equal(half, pair_counts(pairs, ei[:, ::2], n))
    assert not torch.equal(full, half)
    # A² built in blocks of a few walks equals the one-block build
    small = NeighborIndex().get(ei, n).two_hop(budget=5)
    big = NeighborIndex().get(ei, n).two_hop()
    assert torch.equal(small[0], big[0]) and torch.equal(small[1], big[1])
    a = torch.tensor(nx.to_numpy_array(g, nodelist=range(n)), dtype=torch.long)
    assert torch.equal(big[1], (a @ a)[(a @ a) > 0])


@pytest.mark.parametrize("name", ["inner_product", "ncn"])
def test_counts_head_scores_a_pair_alike_with_or_without_its_edge(name) -> None:
    ei, z = _graph_and_embeddings()
    dec = build_decoder(name, {"counts": True, "counts_width": 8}, in_channels=4)
    dec.eval()
    assert isinstance(dec, PairCountsHead) and dec.needs_graph
    base = build_decoder(name, {}, in_channels=4)
    # the head's parameters: 5 → 8 → 1
    assert dec.num_parameters() == base.num_parameters() + 5 * 8 + 8 + 8 + 1
    for k in range(ei.size(1)):
        pair = ei[:, k : k + 1]
        without = torch.cat([ei[:, :k], ei[:, k + 1 :]], dim=1)
        assert torch.equal(dec(z, pair, ei), dec(z, pair, without)), pair.tolist()
    # the logit is the base decoder's plus the head's MLP of log1p(counts)
    pairs = torch.tensor([[0, 1, 2, 3], [5, 7, 9, 4]])
    want = dec.base(z, pairs, ei) + dec.head(
        torch.log1p(pair_counts(pairs, ei, z.size(0)))
    ).squeeze(-1)
    assert torch.allclose(dec(z, pairs, ei), want)
    with pytest.raises(GraphaeError, match="propagates over the graph"):
        dec(z, ei[:, :1])


def test_counts_options_are_checked() -> None:
    plain = build_decoder("inner_product", {"counts": False}, in_channels=4)
    assert not isinstance(plain, PairCountsHead)
    for options, message in (
        ({"counts": "yes"}, "counts must be true or false"),
        ({"counts": True, "counts_width": 0}, "counts_width must be an integer >= 1"),
        ({"counts_width": 8}, "counts_width needs counts=true"),
        ({"count": True}, "valid options: counts, counts_width"),
    ):
        with pytest.raises(GraphaeError, match=message):
            build_decoder("inner_product", options, in_channels=4)
    # feature decoders have no counts
    with pytest.raises(GraphaeError, match="no option 'counts'"):
        build_decoder("linear", {"counts": True}, in_channels=4, out_channels=3)


def test_every_structure_decoder_takes_the_counts_head() -> None:
    from graphae.nn.decoders import decoder_kind, decoders
    from graphae.nn.encoders import build_encoder

    g = _graph()
    n = g.number_of_nodes()
    ei = _edge_index(g)
    ei = torch.cat([ei, ei.flip(0)], dim=1)
    pairs = torch.tensor([[0, 1, 2, 3], [5, 7, 9, 4]])
    names = [k for k in decoders.names() if decoder_kind(k) == "structure"]
    assert {"inner_product", "mlp", "ncn", "gnn", "bilinear", "distance"} <= set(names)
    for name in names:
        torch.manual_seed(0)
        enc = build_encoder(
            "gcn",
            in_channels=3,
            hidden_channels=8,
            out_channels=4,
            num_layers=2,
            dropout=0.0,
            num_nodes=n,
        )
        dec = build_decoder(
            name, {"counts": True}, in_channels=4, hidden_channels=8, num_layers=2, encoder=enc
        )
        z = enc(torch.randn(n, 3), ei)
        out = dec(z, pairs, ei)
        assert out.shape == (4,) and torch.isfinite(out).all(), name
        out.sum().backward()
        assert all(p.grad is not None for p in dec.head.parameters()), name


def test_ncn_with_the_counts_head_lists_a_batch_once(monkeypatch) -> None:
    ei, z = _graph_and_embeddings()
    dec = build_decoder("ncn", {"counts": True}, in_channels=4)
    assert dec._index is dec.base._index  # one index for the base and the head
    pairs = torch.tensor([[0, 1, 2, 3], [5, 7, 9, 4]])
    first = dec(z, pairs, ei)  # builds the index and A²
    calls = {"n": 0}
    real = NeighborIndex.expand

    def counting(self, nodes):
        calls["n"] += 1
        return real(self, nodes)

    monkeypatch.setattr(NeighborIndex, "expand", counting)
    again = pairs.clone()
    assert torch.equal(dec(z, again, ei), first) and calls["n"] == 1
    # a pair changed in place is listed again, and scored as the new pair
    again[1, 0] = 6
    want = build_decoder("ncn", {"counts": True}, in_channels=4)
    want.load_state_dict(dec.state_dict())
    want_scores = want(z, again.clone(), ei)
    calls["n"] = 0
    assert torch.equal(dec(z, again, ei), want_scores) and calls["n"] == 1

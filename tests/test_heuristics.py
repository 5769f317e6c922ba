"""Link heuristics: equality with networkx on small graphs, exact Katz against a dense
power sum, and no leakage of held-out edges (scores come from the message-passing graph)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import torch

from graphae.data.split import random_link_split
from graphae.errors import GraphaeError
from graphae.nn.heuristics import (
    ALIASES,
    Adjacency,
    heuristic_scores,
    heuristics,
    resolve_heuristic,
    split_heuristic_scores,
)

NX = {
    "adamic_adar": nx.adamic_adar_index,
    "resource_allocation": nx.resource_allocation_index,
    "preferential_attachment": nx.preferential_attachment,
}


def _edge_index(g: nx.Graph) -> torch.Tensor:
    e = torch.tensor(list(g.edges()), dtype=torch.long).t()
    return torch.cat([e, e.flip(0)], dim=1)


def _all_pairs(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.combinations(range(n), 2)), dtype=torch.long).t()


def _nx_scores(g: nx.Graph, name: str, pairs: torch.Tensor) -> np.ndarray:
    ebunch = [(int(u), int(v)) for u, v in pairs.t()]
    if name == "common_neighbors":
        return np.array([len(list(nx.common_neighbors(g, u, v))) for u, v in ebunch], float)
    return np.array([s for _, _, s in NX[name](g, ebunch)], float)


GRAPHS = {
    "karate": nx.karate_club_graph(),
    "davis": nx.convert_node_labels_to_integers(nx.davis_southern_women_graph()),
    "cycle_chords": nx.Graph(
        [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 0), (1, 4), (2, 5)]
    ),
}


def test_registry_names_and_aliases():
    assert heuristics.names() == [
        "adamic_adar",
        "common_neighbors",
        "katz",
        "preferential_attachment",
        "resource_allocation",
    ]
    assert [resolve_heuristic(a) for a in ("cn", "AA", "ra", "pa", "katz")] == [
        "common_neighbors",
        "adamic_adar",
        "resource_allocation",
        "preferential_attachment",
        "katz",
    ]
    assert set(ALIASES.values()) <= set(heuristics.names())
    with pytest.raises(GraphaeError, match="valid heuristics: adamic_adar, common_neighbors"):
        resolve_heuristic("jaccard")


@pytest.mark.parametrize("graph", sorted(GRAPHS))
@pytest.mark.parametrize(
    "name", ["common_neighbors", "adamic_adar", "resource_allocation", "preferential_attachment"]
)
def test_equals_networkx(graph, name):
    g = GRAPHS[graph]
    n = g.number_of_nodes()
    pairs = _all_pairs(n)
    ours = heuristic_scores(name, _edge_index(g), n, pairs)
    np.testing.assert_allclose(ours, _nx_scores(g, name, pairs), rtol=1e-12, atol=0)


def test_small_chunks_give_the_same_scores(monkeypatch):
    import graphae.nn.heuristics as h

    g = GRAPHS["karate"]
    pairs = _all_pairs(34)
    full = {k: heuristic_scores(k, _edge_index(g), 34, pairs) for k in heuristics.names()}
    monkeypatch.setattr(h, "_CHUNK_ENTRIES", 40)  # a few pairs / one source per chunk
    for k, v in full.items():
        np.testing.assert_allclose(heuristic_scores(k, _edge_index(g), 34, pairs), v, rtol=1e-12)


def test_exact_values_on_a_path():
    # 0 - 1 - 2 - 3, plus 1 - 3: Γ(1) = {0, 2, 3}, Γ(3) = {1, 2}
    ei = torch.tensor([[0, 1, 1, 2, 1, 2, 3, 3], [1, 0, 2, 1, 3, 3, 1, 2]])
    pairs = torch.tensor([[0, 1, 0], [2, 3, 3]])
    assert heuristic_scores("cn", ei, 4, pairs).tolist() == [1.0, 1.0, 1.0]
    np.testing.assert_allclose(
        heuristic_scores("aa", ei, 4, pairs), [1 / np.log(3), 1 / np.log(2), 1 / np.log(3)]
    )
    np.testing.assert_allclose(heuristic_scores("ra", ei, 4, pairs), [1 / 3, 1 / 2, 1 / 3])
    assert heuristic_scores("pa", ei, 4, pairs).tolist() == [2.0, 6.0, 2.0]


def test_duplicates_self_loops_and_one_direction_do_not_count():
    ei = torch.tensor([[0, 1, 1, 2, 0, 2], [1, 2, 2, 0, 0, 2]])  # 1-2 twice, self loops 0, 2
    adj = Adjacency.from_edge_index(ei, 3)
    assert adj.degree.tolist() == [2.0, 2.0, 2.0]
    assert adj.undirected.toarray().tolist() == [[0, 1, 1], [1, 0, 1], [1, 1, 0]]


@pytest.mark.parametrize("beta,length", [(0.1, 1), (0.05, 3), (0.3, 4)])
def test_katz_equals_dense_power_sum(beta, length):
    g = GRAPHS["cycle_chords"]
    n = g.number_of_nodes()
    a = nx.to_numpy_array(g, nodelist=range(n))
    dense = sum(beta**k * np.linalg.matrix_power(a, k) for k in range(1, length + 1))
    pairs = torch.tensor([[u, v] for u in range(n) for v in range(n)]).t()
    ours = heuristic_scores("katz", _edge_index(g), n, pairs, beta=beta, max_length=length)
    np.testing.assert_allclose(ours, dense[pairs[0], pairs[1]], rtol=1e-12)


def test_katz_counts_directed_walks():
    ei = torch.tensor([[0, 1], [1, 2]])  # 0 -> 1 -> 2
    pairs = torch.tensor([[0, 2, 0], [2, 0, 1]])
    got = heuristic_scores("katz", ei, 3, pairs, directed=True, beta=0.5, max_length=2)
    assert got.tolist() == [0.25, 0.0, 0.5]
    und = heuristic_scores("katz", ei, 3, pairs, beta=0.5, max_length=2)
    assert und.tolist() == [0.25, 0.25, 0.5]


@pytest.mark.parametrize("options", [{"beta": 0}, {"max_length": 0}, {"gamma": 1}])
def test_katz_bad_options(options):
    ei = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(GraphaeError, match="katz"):
        heuristic_scores("katz", ei, 2, torch.tensor([[0], [1]]), **options)


def test_bad_pairs():
    ei = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(GraphaeError, match=r"outside 0\.\.1"):
        heuristic_scores("cn", ei, 2, torch.tensor([[0], [5]]))
    with pytest.raises(GraphaeError, match=r"shape \(2, P\)"):
        heuristic_scores("cn", ei, 2, torch.tensor([0, 1]))


def test_held_out_edges_are_never_seen():
    g = GRAPHS["karate"]
    n = g.number_of_nodes()
    full = _edge_index(g)
    split = random_link_split(full, n, val_ratio=0.1, test_ratio=0.2, seed=1)
    held = torch.cat([split.val_pos, split.test_pos], dim=1)
    g_mp = g.copy()
    g_mp.remove_edges_from([(int(u), int(v)) for u, v in held.t()])
    # the split's message-passing graph is exactly the full graph minus val + test edges
    assert set(map(tuple, split.mp_edge_index.t().tolist())) == {
        (u, v) for a, b in g_mp.edges() for u, v in ((a, b), (b, a))
    }
    for name in (
        "common_neighbors",
        "adamic_adar",
        "resource_allocation",
        "preferential_attachment",
    ):
        scores = split_heuristic_scores(name, split)
        for part in ("val", "test"):
            pos, neg = scores[part]
            pp, nn_ = getattr(split, f"{part}_pos"), getattr(split, f"{part}_neg")
            np.testing.assert_allclose(pos, _nx_scores(g_mp, name, pp), rtol=1e-12)
            np.testing.assert_allclose(neg, _nx_scores(g_mp, name, nn_), rtol=1e-12)
    # preferential attachment on the full graph counts each held-out edge at both ends;
    # on the message-passing graph exactly the held-out edges are missing from the degrees
    pos_mp = split_heuristic_scores("pa", split)["test"][0]
    pos_full = heuristic_scores("pa", full, n, split.test_pos)
    held_deg = torch.bincount(held.reshape(-1), minlength=n).double().numpy()
    deg_full = np.array([g.degree(i) for i in range(n)], float)
    u, v = split.test_pos.numpy()
    np.testing.assert_allclose(pos_full, deg_full[u] * deg_full[v])
    np.testing.assert_allclose(pos_mp, (deg_full[u] - held_deg[u]) * (deg_full[v] - held_deg[v]))
    # Katz with walks of length 1 is the edge itself: beta on the full graph, 0 on the split's
    k_full = heuristic_scores("katz", full, n, split.test_pos, beta=0.5, max_length=1)
    k_mp = split_heuristic_scores("katz", split, beta=0.5, max_length=1)["test"][0]
    assert k_full.tolist() == [0.5] * split.test_pos.size(1)
    assert k_mp.tolist() == [0.0] * split.test_pos.size(1)

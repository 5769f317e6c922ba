"""Leak-free link splits and negative sampling."""

from __future__ import annotations

import torch

from graphae.data.split import (
    EdgeSet,
    false_negative_rate,
    pair_keys,
    random_link_split,
    sample_negatives,
)


def ring(n: int) -> torch.Tensor:
    """Both directions of an n-cycle plus chords i -> i+2 (2 * 2n directed edges)."""
    src = torch.arange(n)
    e = torch.cat([torch.stack([src, (src + 1) % n]), torch.stack([src, (src + 2) % n])], dim=1)
    return torch.cat([e, e.flip(0)], dim=1)


def keyset(pairs: torch.Tensor, n: int) -> set[int]:
    return set(pair_keys(pairs, n, directed=False).tolist())


def test_pair_keys_undirected_ignores_order() -> None:
    ei = torch.tensor([[0, 2], [2, 0]])
    assert pair_keys(ei, 3, directed=False).tolist() == [2, 2]
    assert pair_keys(ei, 3, directed=True).tolist() == [2, 6]


def test_split_partitions_pairs_and_removes_both_directions() -> None:
    n = 11
    ei = ring(n)
    s = random_link_split(ei, n, val_ratio=0.1, test_ratio=0.2, seed=3)
    tr, va, te = keyset(s.train_pos, n), keyset(s.val_pos, n), keyset(s.test_pos, n)
    assert len(tr) + len(va) + len(te) == 2 * n  # 22 distinct undirected edges
    assert (len(va), len(te)) == (2, 4)
    assert not (tr & va or tr & te or va & te)
    mp = s.mp_edge_index
    assert keyset(mp, n) == tr  # val/test pairs absent in both directions
    # the message-passing graph is symmetric: every edge in both directions
    assert set(zip(mp[0].tolist(), mp[1].tolist(), strict=True)) == set(
        zip(mp[1].tolist(), mp[0].tolist(), strict=True)
    )
    assert (s.train_pos[0] < s.train_pos[1]).all()


def test_split_negatives_are_never_edges_and_fixed_per_seed() -> None:
    n = 11
    ei = ring(n)
    a = random_link_split(ei, n, val_ratio=0.1, test_ratio=0.2, seed=5)
    b = random_link_split(ei, n, val_ratio=0.1, test_ratio=0.2, seed=5)
    c = random_link_split(ei, n, val_ratio=0.1, test_ratio=0.2, seed=6)
    assert torch.equal(a.test_neg, b.test_neg) and torch.equal(a.val_pos, b.val_pos)
    assert not torch.equal(a.test_pos, c.test_pos) or not torch.equal(a.test_neg, c.test_neg)
    assert false_negative_rate(a, ei) == 0.0
    negs = torch.cat([a.val_neg, a.test_neg], 1)
    assert (negs[0] != negs[1]).all()
    assert a.val_neg.size(1) == a.val_pos.size(1) and a.test_neg.size(1) == a.test_pos.size(1)


def test_false_negative_rate_detects_a_true_edge() -> None:
    n = 11
    ei = ring(n)
    s = random_link_split(ei, n, val_ratio=0.1, test_ratio=0.2, seed=0)
    s.test_neg = s.test_pos.flip(0).clone()  # reversed true edges
    assert false_negative_rate(s, ei) == 4 / 6  # 4 of 2 val + 4 test negatives


def test_sample_negatives_excludes_edges_both_directions_and_loops() -> None:
    n = 6
    ei = torch.tensor([[0, 1, 2], [1, 2, 3]])
    ex = EdgeSet(ei, n, directed=False)
    neg = sample_negatives(5000, ex, generator=torch.Generator().manual_seed(0))
    assert neg.shape == (2, 5000)
    assert (neg[0] != neg[1]).all()
    assert not ex.contains(neg).any()
    assert not ex.contains(neg.flip(0)).any()
    # all 15 - 3 = 12 non-edge unordered pairs are reachable
    assert len(keyset(neg, n)) == 12


def test_directed_split_keeps_direction_of_supervision() -> None:
    n = 8
    src = torch.arange(n)
    ei = torch.stack([src, (src + 1) % n])  # a directed cycle
    s = random_link_split(ei, n, val_ratio=0.25, test_ratio=0.25, directed=True, seed=1)
    sup = torch.cat([s.train_pos, s.val_pos, s.test_pos], 1)
    assert sorted(zip(sup[0].tolist(), sup[1].tolist(), strict=True)) == sorted(
        zip(ei[0].tolist(), ei[1].tolist(), strict=True)
    )
    assert keyset(s.mp_edge_index, n).isdisjoint(keyset(torch.cat([s.val_pos, s.test_pos], 1), n))


def test_too_few_edges_is_a_clear_error() -> None:
    import pytest

    from graphae.errors import GraphaeError

    with pytest.raises(GraphaeError, match="too few"):
        random_link_split(torch.tensor([[0], [1]]), 2, seed=0)


def test_edge_set_dense_table_answers_as_the_binary_search() -> None:
    """Asked more than once on a small graph, the set answers from a bool table: the same."""
    n = 40
    g = torch.Generator().manual_seed(0)
    edges = torch.randint(0, n, (2, 120), generator=g)
    queries = torch.randint(0, n, (2, 5000), generator=g)
    for directed in (False, True):
        ref = EdgeSet(edges, n, directed)
        ref.DENSE_LIMIT = 0  # binary search only
        fast = EdgeSet(edges, n, directed)
        expected = ref.contains(queries)
        assert expected.any() and not expected.all()
        assert torch.equal(fast.contains(queries), expected)  # first call: binary search
        assert fast._dense is None
        assert torch.equal(fast.contains(queries), expected)  # then the table
        assert fast._dense is not None and int(fast._dense.sum()) == fast.table.numel()
        assert torch.equal(fast.contains(queries.flip(0)), ref.contains(queries.flip(0)))
        assert ref._dense is None
    # the negatives drawn are the same either way
    one, two = EdgeSet(edges, n, False), EdgeSet(edges, n, False)
    two.DENSE_LIMIT = 0
    a = sample_negatives(300, one, generator=torch.Generator().manual_seed(1))
    a2 = sample_negatives(300, one, generator=torch.Generator().manual_seed(2))
    b = sample_negatives(300, two, generator=torch.Generator().manual_seed(1))
    b2 = sample_negatives(300, two, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and torch.equal(a2, b2) and one._dense is not None

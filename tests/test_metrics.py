"""Tests for graphae.evaluation.metrics: exact link metrics on tiny inputs, OGB parity, probes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graphae.errors import GraphaeError
from graphae.evaluation.metrics import (
    cluster_nmi,
    link_metrics,
    link_probe,
    node_probe,
    ogb_metrics,
    random_node_split,
    ranking_metrics_per_positive,
)

POS = [0.9, 0.8, 0.3]
NEG = [0.5, 0.1, 0.85, 0.2]

# --------------------------------------------------------------------------- link metrics


def test_link_metrics_exact_values_by_hand() -> None:
    m = link_metrics(POS, NEG, ks=(1, 2, 3, 4, 5))
    # AUC: of the 12 (pos, neg) pairs the positive wins 4 + 3 + 2 = 9.
    assert m["auc"] == pytest.approx(9 / 12, abs=1e-15)
    # AP: ranking 0.9(+) 0.85 0.8(+) 0.5 0.3(+) -> precisions 1, 2/3, 3/5.
    assert m["ap"] == pytest.approx((1 + 2 / 3 + 3 / 5) / 3, abs=1e-15)
    assert m["hits@1"] == 1 / 3  # > 0.85
    assert m["hits@2"] == 2 / 3  # > 0.5
    assert m["hits@3"] == 1.0  # > 0.2
    assert m["hits@4"] == 1.0  # > 0.1
    assert m["hits@5"] == 1.0  # fewer than 5 negatives: 1.0, as OGB
    # Ranks 1, 2, 3 (0.3 has 0.5 and 0.85 above it).
    assert m["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3, abs=1e-15)
    assert set(m) == {"auc", "ap", "hits@1", "hits@2", "hits@3", "hits@4", "hits@5", "mrr"}
    assert all(type(v) is float for v in m.values())


def test_link_metrics_default_keys() -> None:
    m = link_metrics(POS, NEG)
    assert set(m) == {"auc", "ap", "hits@10", "hits@20", "hits@50", "hits@100", "mrr"}


def test_link_metrics_ties_are_half_counted_in_mrr_and_strict_in_hits() -> None:
    m = link_metrics([0.5], [0.5, 0.5, 0.1], ks=(1, 3))
    assert m["mrr"] == 0.5  # rank = 1 + 0 + 0.5 * 2 = 2
    assert m["hits@1"] == 0.0  # 0.5 is not strictly above 0.5
    assert m["hits@3"] == 1.0  # strictly above 0.1
    assert m["auc"] == pytest.approx(2 / 3)


def test_link_metrics_torch_and_numpy_agree() -> None:
    g = torch.Generator().manual_seed(0)
    pos, neg = torch.rand(40, generator=g), torch.rand(60, generator=g)
    a = link_metrics(pos, neg, ks=(5, 20))
    b = link_metrics(pos.numpy(), neg.numpy(), ks=(5, 20))
    c = link_metrics(pos.double(), neg.to(torch.bfloat16).float(), ks=(5, 20))
    assert a == b
    assert set(c) == set(a)


@pytest.mark.parametrize("chunk", [1, 2, 7])
def test_chunked_equals_unchunked(chunk: int) -> None:
    rng = np.random.default_rng(1)
    pos = np.round(rng.random(53), 2)  # rounding creates ties
    neg = np.round(rng.random(31), 2)
    full = link_metrics(pos, neg, ks=(1, 5, 10, 50), chunk_size=10**9)
    assert link_metrics(pos, neg, ks=(1, 5, 10, 50), chunk_size=chunk) == full
    neg2 = np.round(rng.random((53, 9)), 2)
    full2 = ranking_metrics_per_positive(pos, neg2, chunk_size=10**9)
    assert ranking_metrics_per_positive(pos, neg2, chunk_size=chunk) == full2


def test_link_metrics_large_without_pxn_matrix() -> None:
    # 300k x 300k comparisons would need ~90 GB as a matrix; searchsorted needs O(P + N).
    rng = np.random.default_rng(0)
    pos = rng.normal(1.0, 1.0, 300_000).astype(np.float32)
    neg = rng.normal(0.0, 1.0, 300_000).astype(np.float32)
    m = link_metrics(pos, neg, ks=(100,), chunk_size=50_000)
    assert 0.7 < m["auc"] < 0.8
    assert 0 < m["mrr"] < 1


def test_ranking_metrics_per_positive_by_hand() -> None:
    pos = [0.5, 0.2]
    neg = [[0.1, 0.6, 0.5], [0.3, 0.4, 0.1]]
    m = ranking_metrics_per_positive(pos, neg, ks=(1, 2, 3))
    # row 0: one above, one tie -> rank 1 + 0.5 * (1 + 2) = 2.5; row 1: rank 3.
    assert m["mrr"] == pytest.approx((1 / 2.5 + 1 / 3) / 2, abs=1e-15)
    assert m["hits@1"] == 0.0
    assert m["hits@2"] == 0.0
    assert m["hits@3"] == 1.0


def test_link_metrics_with_per_positive_negatives() -> None:
    pos = [0.5, 0.2]
    neg = [[0.1, 0.6, 0.5], [0.3, 0.4, 0.1]]
    m = link_metrics(pos, neg, ks=(1, 3))
    assert m["mrr"] == pytest.approx((1 / 2.5 + 1 / 3) / 2, abs=1e-15)
    assert m["hits@3"] == 1.0
    assert "auc" in m and "ap" in m


@pytest.mark.parametrize(("name", "k"), [("ogbl-ddi", 20), ("ogbl-collab", 50), ("ogbl-ppa", 100)])
def test_ogb_metrics_equal_our_hits(name: str, k: int) -> None:
    g = torch.Generator().manual_seed(k)
    pos = torch.rand(500, generator=g)
    neg = torch.rand(3000, generator=g)
    ours = link_metrics(pos, neg, ks=(k,))[f"hits@{k}"]
    assert ogb_metrics(name, pos, neg) == {f"hits@{k}": ours}
    assert ogb_metrics(name, pos.numpy(), neg.numpy()) == {f"hits@{k}": ours}
    # With ties (coarse scores) the strict comparison must agree too.
    pos_t, neg_t = (pos * 20).round() / 20, (neg * 20).round() / 20
    assert (
        ogb_metrics(name, pos_t, neg_t)[f"hits@{k}"]
        == link_metrics(pos_t, neg_t, ks=(k,))[f"hits@{k}"]
    )


def test_ogb_metrics_few_negatives_is_one() -> None:
    assert ogb_metrics("ogbl-ddi", [0.1, 0.2], [0.5] * 5) == {"hits@20": 1.0}
    assert link_metrics([0.1, 0.2], [0.5] * 5, ks=(20,))["hits@20"] == 1.0


def test_ogb_metrics_citation2_matches_ranking_metrics() -> None:
    g = torch.Generator().manual_seed(3)
    pos = (torch.rand(200, generator=g) * 50).round() / 50
    neg = (torch.rand(200, 100, generator=g) * 50).round() / 50
    theirs = ogb_metrics("ogbl-citation2", pos, neg)
    ours = ranking_metrics_per_positive(pos, neg, ks=(1, 3, 10))
    assert set(theirs) == set(ours)
    for key in ("hits@1", "hits@3", "hits@10"):
        assert theirs[key] == ours[key]
    assert theirs["mrr"] == pytest.approx(ours["mrr"], rel=1e-6)  # OGB uses float32 1/rank


def test_metric_input_errors() -> None:
    with pytest.raises(GraphaeError, match="unknown OGB"):
        ogb_metrics("ogbl-nope", [0.1], [0.2])
    with pytest.raises(GraphaeError, match="empty"):
        link_metrics([], [0.1])
    with pytest.raises(GraphaeError, match="NaN"):
        link_metrics([float("nan")], [0.1])
    with pytest.raises(GraphaeError, match="shape"):
        ranking_metrics_per_positive([0.1, 0.2], [[0.1, 0.2]])
    with pytest.raises(GraphaeError, match="chunk_size"):
        link_metrics([0.1], [0.2], chunk_size=0)


# --------------------------------------------------------------------------- node probe


def _labels(n: int = 600, c: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, c, n)


def test_node_probe_random_embeddings_near_chance() -> None:
    y = _labels()
    z = np.random.default_rng(1).standard_normal((y.size, 16))
    res = node_probe(z, y, seed=0)
    assert set(res) == {"accuracy", "val_accuracy", "C"}
    assert res["accuracy"] < 0.45  # chance is 1/3
    assert res["C"] in (0.01, 0.1, 1.0, 10.0)


def test_node_probe_label_derived_embeddings_near_one() -> None:
    y = _labels()
    rng = np.random.default_rng(2)
    z = np.eye(3)[y] + 0.1 * rng.standard_normal((y.size, 3))
    z = np.concatenate([z, rng.standard_normal((y.size, 5))], axis=1)
    res = node_probe(torch.tensor(z, dtype=torch.float32), torch.tensor(y), seed=0)
    assert res["accuracy"] > 0.98
    assert res["val_accuracy"] > 0.95
    assert node_probe(z, y, seed=0) == pytest.approx(res, abs=1e-6)  # deterministic


def test_node_probe_public_masks_and_unknown_labels() -> None:
    y = _labels(300)
    y[:20] = -1
    z = np.eye(3)[np.maximum(y, 0)] + 0.05 * np.random.default_rng(0).standard_normal((300, 3))
    train = np.zeros(300, bool)
    val = np.zeros(300, bool)
    test = np.zeros(300, bool)
    train[:60], val[60:120], test[120:] = True, True, True  # train holds unlabelled nodes
    res = node_probe(z, y, train, val, test)
    assert res["accuracy"] > 0.98
    with pytest.raises(GraphaeError, match="all of"):
        node_probe(z, y, train_mask=train)


def test_random_node_split_is_stratified_disjoint_and_skips_unlabelled() -> None:
    y = _labels(1000)
    y[::10] = -1
    tr, va, te = random_node_split(y, seed=0)
    assert not (tr & va).any() and not (tr & te).any() and not (va & te).any()
    assert not (y[tr | va | te] == -1).any()
    assert (tr | va | te).sum() == (y >= 0).sum()
    assert abs(tr.sum() - 90) <= 1 and abs(va.sum() - 90) <= 1
    assert set(np.unique(y[tr])) == {0, 1, 2}
    tr2, _, _ = random_node_split(y, seed=0)
    assert np.array_equal(tr, tr2)


def test_node_probe_rejects_nan_and_mismatch() -> None:
    z = np.zeros((10, 2))
    z[0, 0] = np.nan
    with pytest.raises(GraphaeError, match="NaN"):
        node_probe(z, np.arange(10) % 2)
    with pytest.raises(GraphaeError, match="labels"):
        node_probe(np.zeros((10, 2)), np.arange(9) % 2)


# --------------------------------------------------------------------------- link probe


def _pairs(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    return rng.integers(0, n, (2, m))


def test_link_probe_random_embeddings_near_half() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((300, 16))
    res = link_probe(z, *(_pairs(rng, 300, 400) for _ in range(4)))
    assert set(res) == {"auc", "ap"}
    assert abs(res["auc"] - 0.5) < 0.1


def _grouped(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes in 20 groups of identical vectors; edges join nodes of one group."""
    groups = np.repeat(np.arange(20), 10)
    z = rng.standard_normal((20, 16))[groups]
    u = rng.integers(0, 200, m)
    same = np.array([rng.choice(np.flatnonzero(groups == groups[i])) for i in u])
    other = np.array([rng.choice(np.flatnonzero(groups != groups[i])) for i in u])
    return z, np.stack([u, same]), np.stack([u, other])


def test_link_probe_identical_vector_edges_near_one() -> None:
    rng = np.random.default_rng(0)
    z, pos, neg = _grouped(rng, 400)
    _, tpos, tneg = _grouped(np.random.default_rng(1), 200)
    res = link_probe(torch.tensor(z), pos, neg, torch.tensor(tpos), tneg)
    assert res["auc"] > 0.95 and res["ap"] > 0.95
    with_val = link_probe(z, pos, neg, tpos, tneg, val_pos=tpos, val_neg=tneg)
    assert set(with_val) == {"auc", "ap", "val_auc", "C"}
    assert with_val["auc"] > 0.95


def test_link_probe_caps_training_pairs_and_checks_shapes() -> None:
    rng = np.random.default_rng(0)
    z, pos, neg = _grouped(rng, 400)
    res = link_probe(z, pos, neg, pos, neg, max_train_pairs=100)
    assert res["auc"] > 0.9
    with pytest.raises(GraphaeError, match=r"\(2, P\)"):
        link_probe(z, pos.T, neg, pos, neg)
    with pytest.raises(GraphaeError, match="outside"):
        link_probe(z, pos + 1000, neg, pos, neg)


# --------------------------------------------------------------------------- clustering


def test_cluster_nmi_on_separated_blobs_is_one() -> None:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 25)
    centres = 20 * np.eye(4, 8)
    z = centres[y] + 0.1 * rng.standard_normal((100, 8))
    assert cluster_nmi(z, y) == pytest.approx(1.0)
    y_unknown = y.copy()
    y_unknown[:5] = -1
    assert cluster_nmi(torch.tensor(z), torch.tensor(y_unknown)) == pytest.approx(1.0)


def test_cluster_nmi_random_is_low() -> None:
    rng = np.random.default_rng(0)
    assert cluster_nmi(rng.standard_normal((300, 8)), _labels(300)) < 0.1
    with pytest.raises(GraphaeError, match="two classes"):
        cluster_nmi(rng.standard_normal((5, 2)), np.zeros(5, int))

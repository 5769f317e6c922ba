"""On-device validation (issue 17): exact AUC and OGB Hits@K in torch with one host
transfer (scoring epoch e from epoch e+1's forward: tests/test_reuse.py)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from graphae.evaluation.device import device_link_metrics, roc_auc
from graphae.evaluation.metrics import ogb_metrics


def exact_auc(pos: list[float], neg: list[float]) -> Fraction:
    wins = sum(Fraction(1) if p > n else Fraction(1, 2) if p == n else 0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


TIES = [
    ([1.0, 2.0, 2.0], [2.0, 0.0, 1.0, 3.0]),  # ties across classes
    ([0.5, 0.5], [0.5, 0.5]),  # every score equal: AUC 1/2
    ([3.0], [1.0, 2.0]),  # perfect
    ([0.0, 0.0, 1.0], [1.0, 1.0, 1.0]),
]


@pytest.mark.parametrize(("pos", "neg"), TIES)
def test_auc_with_ties_is_exact_and_matches_sklearn(pos: list[float], neg: list[float]) -> None:
    ours = roc_auc(torch.tensor(pos), torch.tensor(neg))
    assert ours == float(exact_auc(pos, neg))
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    assert ours == roc_auc_score(y, np.r_[pos, neg])


def test_where_sklearn_rounds_the_trapezoids_ours_is_the_exact_value() -> None:
    pos, neg = [-1.0, 2.0, 2.0, 2.0, 5.0], [2.0, 2.0, -3.0]  # AUC = 2/3 exactly
    ours = roc_auc(torch.tensor(pos), torch.tensor(neg))
    assert ours == 2 / 3 == float(exact_auc(pos, neg))
    ref = roc_auc_score(np.r_[np.ones(5), np.zeros(3)], np.r_[pos, neg])
    assert ref == math.nextafter(2 / 3, 1.0)  # one ulp above


def test_auc_matches_sklearn_to_the_last_bits_on_random_tiny_inputs() -> None:
    """sklearn integrates the ROC curve (trapezoids), so it may be off by an ulp or two
    from the exact value; ours IS the exact value, correctly rounded."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        p, q = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        draw = rng.integers(0, 4, size=p + q) if trial % 2 else rng.standard_normal(p + q)
        s = draw.astype(np.float32)
        ours = roc_auc(torch.from_numpy(s[:p]), torch.from_numpy(s[p:]))
        assert ours == float(exact_auc(s[:p].tolist(), s[p:].tolist()))
        ref = roc_auc_score(np.r_[np.ones(p), np.zeros(q)], s)
        assert math.isclose(ours, ref, rel_tol=0, abs_tol=4 * math.ulp(1.0)), (trial, ours, ref)


def test_hits_at_k_is_ogbs_evaluator() -> None:
    pytest.importorskip("ogb")
    pos = torch.tensor([0.9, 0.5, 0.5, 0.2, 0.7, 0.1], dtype=torch.float32)
    neg = torch.tensor([0.5, 0.8, 0.1, 0.5, 0.3, 0.5, 0.05], dtype=torch.float32)
    # K=3: the 3rd highest negative is 0.5 (tied); positives strictly above it: 0.9 and 0.7
    assert device_link_metrics(pos, neg, ks=(3,))["hits@3"] == 2 / 6
    # OGB's evaluator on ogbl-ddi (Hits@20), ogbl-collab (50) and ogbl-ppa (100), with
    # enough negatives that the K-th highest lands on ties, and with too few (1.0)
    for fill in (0.5, 0.2, 0.95):
        many = torch.cat([neg, torch.full((120,), fill), torch.linspace(0, 1, 11)])
        for name, k in (("ogbl-ddi", 20), ("ogbl-collab", 50), ("ogbl-ppa", 100)):
            ours = device_link_metrics(pos, many, ks=(k,))[f"hits@{k}"]
            assert ours == ogb_metrics(name, pos, many)[f"hits@{k}"], (fill, k)
    assert device_link_metrics(pos, neg, ks=(50,))["hits@50"] == 1.0
    assert ogb_metrics("ogbl-collab", pos, neg)["hits@50"] == 1.0


def test_one_host_transfer_per_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    for name in ("tolist", "item", "cpu", "numpy", "__float__", "__int__", "__bool__"):
        orig = getattr(torch.Tensor, name)

        def spy(self, *a, _orig=orig, _name=name, **k):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _orig(self, *a, **k)

        monkeypatch.setattr(torch.Tensor, name, spy)
    out = device_link_metrics(torch.rand(50), torch.rand(70), ks=(10, 20, 100))
    monkeypatch.undo()
    assert calls == ["tolist"]
    assert set(out) == {"auc", "hits@10", "hits@20", "hits@100"} and out["hits@100"] == 1.0


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="non-empty 1-D"):
        roc_auc(torch.empty(0), torch.rand(3))
    with pytest.raises(ValueError, match="K >= 1"):
        device_link_metrics(torch.rand(3), torch.rand(3), ks=(0,))


def test_a_nan_score_ranks_below_every_number() -> None:
    """A diverged epoch's NaN scores must not look best: NaN counts as -inf (a plain sort
    puts NaN above every negative: AUC 2/3 here instead of 1/6)."""
    from graphae.evaluation.device import device_link_metrics

    nan = float("nan")
    got = device_link_metrics(torch.tensor([nan, 0.5]), torch.tensor([0.0, 1.0, 2.0]), (1,))
    assert got["auc"] == pytest.approx(1 / 6)  # 0.5 beats one negative of three; NaN none
    assert got["hits@1"] == 0.0
    inf = device_link_metrics(torch.tensor([float("inf")]), torch.tensor([1e38, nan]))
    assert inf["auc"] == 1.0  # infinities keep their order

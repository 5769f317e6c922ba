"""On-device validation (issue 17): exact AUC and OGB Hits@K in torch with one host
transfer, and scoring epoch e from epoch e+1's forward without changing training."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from test_train import quick, two_communities

from graphae.evaluation import device as device_eval
from graphae.evaluation.device import device_link_metrics, forward_reusable, roc_auc
from graphae.evaluation.metrics import ogb_metrics
from graphae.nn.encoders import GCNEncoder
from graphae.train import fit


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


# --------------------------------------------------------------------------- forward reuse


def _count_encoder_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    n = [0]
    orig = GCNEncoder.forward

    def counted(self, *a, **k):  # type: ignore[no-untyped-def]
        n[0] += 1
        return orig(self, *a, **k)

    monkeypatch.setattr(GCNEncoder, "forward", counted)
    return n


@pytest.mark.parametrize(
    "kw",
    [
        {"epochs": 25},
        {"epochs": 60, "patience": 4},  # early stop discovered inside the next epoch
        {"epochs": 12, "eval_every": 3},
        {"epochs": 4, "batch_size": 7},
        {"epochs": 10, "select": "loss"},
        {"epochs": 10, "decoder": "mlp"},
    ],
)
def test_reusing_the_forward_changes_nothing(kw: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    g = two_communities()
    cfg = quick(device="cpu", **kw)
    if kw != {"epochs": 25}:  # the final probes are not what this compares (but once)
        monkeypatch.setattr("graphae.train.measure", lambda *a, **k: {})
    calls = _count_encoder_calls(monkeypatch)
    fast = fit(cfg, graph=g)
    reused_calls = calls[0]
    monkeypatch.setattr("graphae.train.forward_reusable", lambda *a: False)
    calls[0] = 0
    slow = fit(cfg, graph=g)
    assert reused_calls < calls[0]  # the second encode per evaluation is gone
    assert torch.equal(fast.z, slow.z)
    assert fast.result.best_epoch == slow.result.best_epoch
    assert fast.result.epochs_run == slow.result.epochs_run
    assert fast.result.history == slow.result.history
    assert fast.result.metrics == slow.result.metrics


def test_reuse_keeps_checkpoints_and_resume_identical(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from graphae.train import TrainingControl

    g = two_communities()
    cfg = quick(device="cpu", epochs=20)
    monkeypatch.setattr("graphae.train.measure", lambda *a, **k: {})
    whole = fit(cfg, graph=g)
    ckpt = tmp_path / "ckpt"
    with pytest.raises(Exception, match=r"interrupted|stopped|epoch"):
        fit(cfg, graph=g, checkpoint_dir=ckpt, checkpoint_every=4, control=TrainingControl(7))
    resumed = fit(cfg, graph=g, resume_from=ckpt)
    assert torch.equal(whole.z, resumed.z)
    assert whole.result.history == resumed.result.history


def test_train_only_behaviour_disables_reuse() -> None:
    for kw in ({"dropout": 0.2}, {"variational": True}, {"feature_mask": 0.3}):
        cfg = quick(device="cpu", **kw)
        from graphae.train import build_model

        assert not forward_reusable(build_model(cfg, 8, 20), cfg, sharded=False), kw
    assert forward_reusable(build_model(quick(device="cpu"), 8, 20), quick(), sharded=False)
    assert not forward_reusable(build_model(quick(), 8, 20), quick(compile=True), sharded=False)


def test_a_forward_that_differs_is_caught_by_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a training forward secretly differed (here: noise added in training mode only),
    the bit-for-bit check on the first evaluation turns the reuse off."""
    g = two_communities()
    cfg = quick(device="cpu", epochs=6)
    monkeypatch.setattr("graphae.train.measure", lambda *a, **k: {})
    orig = GCNEncoder.forward

    def noisy(self, *a, **k):  # type: ignore[no-untyped-def]
        out = orig(self, *a, **k)
        return out + 1e-3 if self.training else out

    monkeypatch.setattr(GCNEncoder, "forward", noisy)
    seen = []
    real = device_eval.ForwardCapture.remove
    monkeypatch.setattr(
        device_eval.ForwardCapture, "remove", lambda self: (seen.append(1), real(self))
    )
    checked = fit(cfg, graph=g)
    monkeypatch.setattr("graphae.train.forward_reusable", lambda *a: False)
    plain = fit(cfg, graph=g)
    assert seen  # the capture was dropped after the failed check
    assert checked.result.history == plain.result.history
    assert torch.equal(checked.z, plain.z)


def test_forward_capture_ignores_other_inputs() -> None:
    enc = GCNEncoder(4, 8, 2)
    x, ei = torch.randn(5, 4), torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    cap = device_eval.ForwardCapture(enc, x, ei, None)
    cap.arm()
    enc(x.clone(), ei)  # a different tensor (a masked view, say): not captured
    assert cap.take() is None
    cap.arm()
    z = enc(x, ei)
    got = cap.take()
    assert got is not None and torch.equal(got, z.detach()) and not got.requires_grad
    enc(x, ei)  # disarmed
    assert cap.take() is None
    cap.remove()
    assert list(itertools.chain(enc._forward_hooks.values())) == []

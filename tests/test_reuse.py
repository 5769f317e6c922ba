"""Scoring epoch e from epoch e+1's first training forward (graphae.training.reuse, issue 17):
fewer encodes, the same numbers, checkpoints and resume unchanged."""

from __future__ import annotations

import itertools

import pytest
import torch
from test_train import quick, two_communities

from graphae.models import build_model
from graphae.nn.encoders import GCNEncoder
from graphae.pipeline import fit
from graphae.training import reuse
from graphae.training.callbacks import TrainingControl
from graphae.training.reuse import forward_reusable


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
        monkeypatch.setattr("graphae.pipeline.measure", lambda *a, **k: {})
    calls = _count_encoder_calls(monkeypatch)
    fast = fit(cfg, graph=g)
    reused_calls = calls[0]
    monkeypatch.setattr("graphae.pipeline.forward_reusable", lambda *a: False)
    calls[0] = 0
    slow = fit(cfg, graph=g)
    assert reused_calls < calls[0]  # the second encode per evaluation is gone
    assert torch.equal(fast.z, slow.z)
    assert fast.result.best_epoch == slow.result.best_epoch
    assert fast.result.epochs_run == slow.result.epochs_run
    assert fast.result.history == slow.result.history
    assert fast.result.metrics == slow.result.metrics


def test_reuse_keeps_checkpoints_and_resume_identical(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    g = two_communities()
    cfg = quick(device="cpu", epochs=20)
    monkeypatch.setattr("graphae.pipeline.measure", lambda *a, **k: {})
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
        assert not forward_reusable(build_model(cfg, 8, 20), cfg, sharded=False), kw
    assert forward_reusable(build_model(quick(device="cpu"), 8, 20), quick(), sharded=False)
    assert not forward_reusable(build_model(quick(), 8, 20), quick(compile=True), sharded=False)


def test_a_forward_that_differs_is_caught_by_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a training forward secretly differed (here: noise added in training mode only),
    the bit-for-bit check on the first evaluation turns the reuse off."""
    g = two_communities()
    cfg = quick(device="cpu", epochs=6)
    monkeypatch.setattr("graphae.pipeline.measure", lambda *a, **k: {})
    orig = GCNEncoder.forward

    def noisy(self, *a, **k):  # type: ignore[no-untyped-def]
        out = orig(self, *a, **k)
        return out + 1e-3 if self.training else out

    monkeypatch.setattr(GCNEncoder, "forward", noisy)
    seen = []
    real = reuse.ForwardCapture.remove
    monkeypatch.setattr(reuse.ForwardCapture, "remove", lambda self: (seen.append(1), real(self)))
    checked = fit(cfg, graph=g)
    monkeypatch.setattr("graphae.pipeline.forward_reusable", lambda *a: False)
    plain = fit(cfg, graph=g)
    assert seen  # the capture was dropped after the failed check
    assert checked.result.history == plain.result.history
    assert torch.equal(checked.z, plain.z)


def test_forward_capture_ignores_other_inputs() -> None:
    enc = GCNEncoder(4, 8, 2)
    x, ei = torch.randn(5, 4), torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    cap = reuse.ForwardCapture(enc, x, ei, None)
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

"""Learning-rate schedules (``RunConfig.lr_schedule``): the factor, what the
optimisers really use epoch by epoch, and run identity for older records."""

from __future__ import annotations

import math

import pytest
from test_train import quick, two_communities

from graphae.config import LATER_FIELDS, RunConfig
from graphae.errors import GraphaeError
from graphae.pipeline import fit
from graphae.training.schedules import lr_factor
from graphae.training.strategies import LatentStrategy, PlainStrategy


def test_lr_factor_values() -> None:
    assert [lr_factor("constant", e, 4) for e in (1, 2, 4)] == [1.0, 1.0, 1.0]
    assert lr_factor("cosine", 1, 10) == 1.0
    assert lr_factor("cosine", 6, 10) == pytest.approx(0.5)
    assert lr_factor("cosine", 10, 10) == pytest.approx((1 + math.cos(math.pi * 0.9)) / 2)
    assert lr_factor("cosine", 10, 10) > 0
    with pytest.raises(GraphaeError, match="constant, cosine, linear"):
        lr_factor("step", 1, 10)


def test_config_rejects_an_unknown_schedule() -> None:
    with pytest.raises(GraphaeError, match="lr_schedule"):
        RunConfig(dataset="Cora", lr_schedule="step")


def _record_lrs(monkeypatch: pytest.MonkeyPatch, cls: type) -> list[list[float]]:
    """Patch ``cls.step`` to log the learning rate of every optimiser group at each step."""
    seen: list[list[float]] = []
    step = cls.step

    def spy(self) -> dict[str, float]:  # type: ignore[no-untyped-def]
        seen.append([g["lr"] for o in self.all_optimizers() for g in o.param_groups])
        return step(self)

    monkeypatch.setattr(cls, "step", spy)
    return seen


def test_cosine_schedule_is_what_adam_uses_each_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _record_lrs(monkeypatch, PlainStrategy)
    fit(quick(epochs=8, lr=0.02, lr_schedule="cosine"), graph=two_communities())
    assert len(seen) == 8  # full batch: one step per epoch
    for epoch, lrs in enumerate(seen, start=1):
        want = 0.02 * (1 + math.cos(math.pi * (epoch - 1) / 8)) / 2
        assert lrs == pytest.approx([want] * len(lrs))
    seen.clear()
    fit(quick(epochs=3, lr=0.02), graph=two_communities())
    assert seen == [[0.02] * len(seen[0])] * 3


def test_cosine_schedule_scales_codes_and_theta_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _record_lrs(monkeypatch, LatentStrategy)
    cfg = quick(
        encoder="embedding", decoder="mlp", epochs=4, lr=0.01, code_lr=0.1, lr_schedule="cosine"
    )
    fit(cfg, graph=two_communities())
    assert len(seen) == 4
    for epoch, lrs in enumerate(seen, start=1):
        f = (1 + math.cos(math.pi * (epoch - 1) / 4)) / 2
        assert sorted(lrs) == pytest.approx(sorted([0.01 * f, 0.1 * f]))


def test_the_schedule_changes_training() -> None:
    g = two_communities()
    constant = fit(quick(epochs=20, select="last"), graph=g)
    cosine = fit(quick(epochs=20, select="last", lr_schedule="cosine"), graph=g)
    assert not constant.z.allclose(cosine.z)


def test_identity_leaves_out_the_default_schedule_and_where_a_run_happens() -> None:
    plain = RunConfig(dataset="Cora", device="cpu", data_root="/data")
    ident = plain.identity()
    assert "lr_schedule" not in ident
    assert "device" not in ident and "data_root" not in ident
    later = set(LATER_FIELDS)  # every field added later, at its "as before" value
    assert set(ident) == set(plain.to_dict()) - later - {"device", "data_root"}
    assert RunConfig(dataset="Cora", lr_schedule="cosine").identity()["lr_schedule"] == "cosine"

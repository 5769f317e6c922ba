"""Model selection (graphae.training.selection): each ``select`` mode keeps exactly the
epoch it should, ties keep the earlier epoch, patience counts evaluations."""

from __future__ import annotations

import math

import pytest
import torch
from test_train import quick, two_communities
from torch import nn

from graphae.errors import GraphaeError
from graphae.evaluation.device import device_link_metrics
from graphae.pipeline import fit
from graphae.training.selection import (
    LastEpoch,
    LinkAUC,
    LowestLoss,
    ModelSelection,
    OfficialMetric,
    ProbeAccuracy,
    Selector,
    Validation,
    ValidationScores,
    make_selector,
)

NO_PAIRS = torch.zeros(2, 0, dtype=torch.long)


class Scripted(Selector):
    """Returns the given scores in turn."""

    name = "scripted"

    def __init__(self, scores: list[float]) -> None:
        self.scores = list(scores)

    def score(self, epoch, record, z, val):  # type: ignore[no-untyped-def]
        return self.scores.pop(0)


def test_ties_keep_the_earlier_epoch_and_patience_counts_evaluations() -> None:
    model = nn.Linear(2, 2)
    sel = ModelSelection(
        Scripted([0.5, 0.7, 0.7, 0.6, 0.8]), Validation(NO_PAIRS, NO_PAIRS, NO_PAIRS), patience=2
    )
    z = torch.zeros(3, 2)
    snapshots = {}
    for epoch in (1, 2, 3, 4):
        with torch.no_grad():
            model.weight.fill_(epoch)
        sel.evaluate(model, epoch, {"epoch": epoch, "loss": 1.0}, z)
        snapshots[epoch] = sel.best_state["weight"].clone()  # type: ignore[index]
    assert (sel.best_epoch, sel.best_score, sel.bad_evals) == (2, 0.7, 2)
    assert sel.exhausted
    assert torch.equal(sel.best_state["weight"], torch.full((2, 2), 2.0))  # a copy, not a view
    sel.evaluate(model, 5, {"epoch": 5, "loss": 1.0}, z)
    assert (sel.best_epoch, sel.bad_evals, sel.exhausted) == (5, 0, False)
    assert not ModelSelection(Scripted([]), Validation(NO_PAIRS, NO_PAIRS, NO_PAIRS)).exhausted


def test_selectors_score_what_they_say() -> None:
    val = ValidationScores()
    z = torch.zeros(2, 2)
    assert LinkAUC().score(3, {"val/auc": 0.75}, z, val) == 0.75
    assert math.isnan(LinkAUC().score(3, {}, z, val))  # no validation score: never better
    assert LowestLoss().score(3, {"loss": 0.25}, z, val) == -0.25
    assert LowestLoss().shown(-0.25) == "0.2500"
    assert LastEpoch().score(7, {"loss": 0.25}, z, val) == 7.0
    assert LastEpoch().shown(7.0) == "7" and LastEpoch().shown(float("-inf")) == "-"


def test_official_metric_reads_the_device_hits_and_records_them() -> None:
    sel = OfficialMetric("ogbl-ddi")
    assert sel.hits_at == (20,) and sel.name == "val/hits@20"
    pos, neg = torch.rand(30), torch.rand(50)
    link = device_link_metrics(pos, neg, sel.hits_at)
    record = {"epoch": 1, "loss": 0.5, "val/auc": link["auc"]}
    score = sel.score(1, record, torch.zeros(2, 2), ValidationScores(pos, neg, link))
    assert score == link["hits@20"]
    assert list(record) == ["epoch", "loss", "val/auc", "val/hits@20"]
    assert record["val/hits@20"] == link["hits@20"]


def test_official_mrr_comes_from_ogbs_evaluator() -> None:
    pytest.importorskip("ogb")
    from graphae.evaluation.metrics import ogb_metrics

    sel = OfficialMetric("ogbl-citation2")
    assert sel.hits_at == () and sel.name == "val/mrr"
    pos, neg = torch.rand(4), torch.rand(4 * 10)
    record: dict[str, float] = {}
    score = sel.score(1, record, torch.zeros(2, 2), ValidationScores(pos, neg, {"auc": 0.5}))
    expected = ogb_metrics("ogbl-citation2", pos, neg)
    assert score == expected["mrr"]
    assert record == {f"val/{k}": float(v) for k, v in expected.items()}


def test_make_selector_refuses_what_the_graph_cannot_feed() -> None:
    g = two_communities()
    assert isinstance(make_selector("link", g, 0, True), LinkAUC)
    assert isinstance(make_selector("probe", g, 0, False), ProbeAccuracy)
    assert isinstance(make_selector("loss", g, 0, False), LowestLoss)
    assert isinstance(make_selector("last", g, 0, False), LastEpoch)
    with pytest.raises(GraphaeError, match="needs an OGB dataset"):
        make_selector("ogb", g, 0, True)
    with pytest.raises(GraphaeError, match="scores validation edges"):
        make_selector("link", g, 0, False)
    g.data.y = None
    with pytest.raises(GraphaeError, match="needs node labels"):
        make_selector("probe", g, 0, True)
    g.meta["ogb_name"] = "ogbl-ddi"
    assert isinstance(make_selector("ogb", g, 0, True), OfficialMetric)


# what each ``select`` maximises over the evaluated epochs' records
SCORES = {
    "link": lambda h: h["val/auc"],
    "probe": lambda h: h["val/probe"],
    "loss": lambda h: -h["loss"],
    "last": lambda h: h["epoch"],
}


@pytest.mark.parametrize("eval_every", [1, 3])
@pytest.mark.parametrize("select", list(SCORES))
def test_fit_keeps_the_first_best_evaluated_epoch(
    select: str, eval_every: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("graphae.pipeline.measure", lambda *a, **k: {})
    epochs = 10
    run = fit(quick(epochs=epochs, select=select, eval_every=eval_every), graph=two_communities())
    history = run.result.history
    evaluated = [h for h in history if h["epoch"] % eval_every == 0 or h["epoch"] == epochs]
    assert all(("val/auc" in h) == (h in evaluated) for h in history)
    if select == "loss":  # every epoch's loss (full batch), of the previous epoch's model
        losses = [h["loss"] for h in history]
        expected = history[losses.index(min(losses))]["epoch"] - 1
    else:
        scores = [SCORES[select](h) for h in evaluated]
        expected = evaluated[scores.index(max(scores))]["epoch"]  # the first of equal scores
    assert run.result.best_epoch == expected
    assert run.result.epochs_run == epochs


@pytest.mark.parametrize("select", ["link", "loss"])
def test_early_stopping_epoch_is_exact(select: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("graphae.pipeline.measure", lambda *a, **k: {})
    run = fit(quick(epochs=200, patience=4, eval_every=2, select=select), graph=two_communities())
    history = run.result.history
    assert run.result.epochs_run == len(history) < 200
    if select == "loss":  # scored every epoch, before its step: patience counts epochs
        losses = [h["loss"] for h in history]
        best = history[losses.index(min(losses))]["epoch"] - 1
        assert run.result.best_epoch == best
        assert run.result.epochs_run == best + 1 + 4  # four losses without improvement
        return
    scores = [SCORES[select](h) for h in history if h["epoch"] % 2 == 0]
    best = 2 * (scores.index(max(scores)) + 1)
    assert run.result.best_epoch == best
    assert run.result.epochs_run == best + 4 * 2  # four evaluations without improvement


def test_lowest_loss_keeps_the_parameters_that_had_that_loss(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An epoch's logged loss is its forward pass's, before its step: the loss of the
    previous epoch's parameters. select="loss" keeps those parameters (DGI's rule), not
    the ones one step later: the kept model is bit-for-bit the model after best_epoch
    epochs, and a diverging run keeps its initial parameters (best_epoch 0)."""
    monkeypatch.setattr("graphae.pipeline.measure", lambda *a, **k: {})
    g = two_communities()
    run = fit(quick(epochs=8, select="loss", device="cpu"), graph=g)
    losses = [h["loss"] for h in run.result.history]
    b = run.result.best_epoch
    assert losses[b] == min(losses)  # record b + 1 measured the parameters after b epochs
    shorter = fit(quick(epochs=b, select="last", device="cpu"), graph=g)
    assert torch.equal(run.z, shorter.z)
    diverged = fit(quick(epochs=6, select="loss", lr=5.0, device="cpu"), graph=g)
    dl = [h["loss"] for h in diverged.result.history]
    assert dl[0] == min(dl) and diverged.result.best_epoch == 0
    first = fit(quick(epochs=1, select="loss", lr=5.0, device="cpu"), graph=g)
    assert torch.equal(diverged.z, first.z)  # both kept the initial parameters

"""The one probe assembly (graphae.evaluation.measure): the node split is decided once, and
every caller (a run's record, model selection, the benchmark, ``graphae evaluate``) gives the
same numbers for the same embeddings."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from test_train import quick, two_communities

import graphae.evaluation.measure as measure_module
from graphae.data.graph import Graph
from graphae.evaluation.measure import node_split, probe_embeddings, validation_probe
from graphae.inference import probe_embeddings as probe_saved_embeddings
from graphae.inference import probe_run
from graphae.pipeline import fit
from graphae.rundir import save_run

PROBE_KEYS = ("probe/node_accuracy", "val/probe/node_accuracy", "probe/nmi", "probe/link_auc")


def _graph(masks: tuple[str, ...], name: str) -> Graph:
    """:func:`two_communities` (30 nodes) with the named node masks (a PyG-style split)."""
    g = two_communities(15)
    g.name = name
    rng = np.random.default_rng(1)
    part = torch.from_numpy(rng.integers(0, 3, g.num_nodes))
    for i, key in enumerate(("train_mask", "val_mask", "test_mask")):
        if key in masks:
            g.data[key] = part == i
    return g


def test_node_split_uses_all_three_masks_or_none(caplog) -> None:
    full = _graph(("train_mask", "val_mask", "test_mask"), "full-masks")
    split = node_split(full)
    assert list(split) == ["train_mask", "val_mask", "test_mask"]
    assert np.array_equal(split["val_mask"], full.data.val_mask.numpy())
    rows = np.array([4, 0, 29])
    assert np.array_equal(node_split(full, rows)["train_mask"], full.data.train_mask.numpy()[rows])
    assert node_split(_graph((), "no-masks")) == {}
    with caplog.at_level(logging.WARNING, logger="graphae.evaluation.measure"):
        partial = _graph(("train_mask", "test_mask"), "partial-masks-split")
        assert node_split(partial) == {} and node_split(partial) == {}
    warned = [r for r in caplog.records if "partial-masks-split" in r.getMessage()]
    assert len(warned) == 1  # logged once
    assert "train_mask/test_mask but not val_mask" in warned[0].getMessage()


def test_partial_node_masks_give_the_same_numbers_in_every_caller(
    tmp_path, monkeypatch, caplog
) -> None:
    """PyG input may carry only some of train/val/test masks: every path uses the seeded
    random split (as for a graph without masks) and nothing fails after training."""
    monkeypatch.setattr(measure_module, "_partial_reported", set())
    partial = _graph(("train_mask",), "partial-masks")
    config = quick(select="probe", epochs=10)
    with caplog.at_level(logging.WARNING, logger="graphae.evaluation.measure"):
        run = fit(config, graph=partial)  # measured after training: no error
    m = run.result.metrics
    want = {k: m[k] for k in PROBE_KEYS}
    assert len([r for r in caplog.records if "partial-masks" in r.getMessage()]) == 1
    # the masks are not used: exactly the numbers of the same graph without masks
    bare = fit(config, graph=_graph((), "no-masks"))
    assert bare.result.metrics == m
    # model selection: the validation probe of the selected epoch
    best = run.result.history[run.result.best_epoch - 1]
    assert best["val/probe"] == want["val/probe/node_accuracy"]
    assert validation_probe(run.z, partial, config.seed) == want["val/probe/node_accuracy"]
    # the benchmark's probes on any representation
    assert probe_embeddings(run.z, partial, run.split, config.seed) == want
    # graphae evaluate RUN: the run folder's embeddings on its own input and split
    save_run(tmp_path / "run", run)
    monkeypatch.setattr("graphae.pipeline.load_input", lambda _config: partial)
    assert probe_run(tmp_path / "run", seed=config.seed) == {**want, "nodes": 30}
    # graphae evaluate FILE --dataset: the dataset's labels and node split
    monkeypatch.setattr("graphae.data.datasets.load_dataset", lambda *_a, **_k: partial)
    got = probe_saved_embeddings(tmp_path / "run", dataset="partial", seed=config.seed)
    assert got == {**{k: want[k] for k in PROBE_KEYS[:3]}, "nodes": 30}


def test_full_masks_are_the_public_split_in_every_caller() -> None:
    full = _graph(("train_mask", "val_mask", "test_mask"), "full-masks")
    run = fit(quick(select="probe", epochs=5), graph=full)
    m = run.result.metrics
    assert probe_embeddings(run.z, full, run.split, 0) == {k: m[k] for k in PROBE_KEYS}
    assert probe_embeddings(run.z, _graph((), "none"), run.split, 0) != {
        k: m[k] for k in PROBE_KEYS
    }


def test_probes_skip_labels_that_are_not_there() -> None:
    g = _graph((), "unlabelled")
    g.data.y = torch.full((g.num_nodes,), -1)
    z = np.random.default_rng(0).normal(size=(g.num_nodes, 4))
    assert probe_embeddings(z, g, None, 0) == {}
    with pytest.raises(Exception, match="labelled"):
        validation_probe(torch.from_numpy(z), g, 0)

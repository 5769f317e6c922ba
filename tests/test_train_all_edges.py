"""Training on every edge (``val_ratio=0``, ``test_ratio=0``): embeddings for
downstream node tasks, where holding out links would only weaken the graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from clihelp import run_cli
from test_train import quick, two_communities

from graphae.data.split import random_link_split
from graphae.errors import GraphaeError
from graphae.evaluation.measure import probe_embeddings
from graphae.pipeline import fit


def test_every_edge_is_in_the_encoders_graph_and_only_node_metrics_are_reported() -> None:
    g = two_communities()
    run = fit(quick(val_ratio=0, test_ratio=0, select="last", epochs=10), graph=g)
    assert run.split.val_pos.numel() == run.split.test_pos.numel() == 0
    assert run.split.mp_edge_index.size(1) == g.data.edge_index.size(1)  # nothing held out
    assert run.split.train_pos.size(1) * 2 == g.data.edge_index.size(1)
    m = run.result.metrics
    assert not any(k.startswith(("link/", "val/link/", "link_ip/")) for k in m)
    assert "probe/link_auc" not in m and "recon/loss" not in m
    assert 0 <= m["probe/node_accuracy"] <= 1 and "probe/nmi" in m
    assert run.result.best_epoch == 10 and torch.isfinite(run.z).all()
    assert all("val/auc" not in h for h in run.result.history)


def test_the_held_out_edges_change_what_the_encoder_sees() -> None:
    g = two_communities()
    kept = fit(quick(val_ratio=0, test_ratio=0, select="last", epochs=10), graph=g)
    split = fit(quick(select="last", epochs=10), graph=g)
    assert split.split.mp_edge_index.size(1) < kept.split.mp_edge_index.size(1)
    assert not torch.equal(kept.z, split.z)


def test_selection_on_validation_edges_needs_some() -> None:
    with pytest.raises(GraphaeError, match="select='link' scores validation edges"):
        fit(quick(val_ratio=0, test_ratio=0), graph=two_communities())


def test_probe_and_loss_selection_work_without_test_edges() -> None:
    run = fit(quick(val_ratio=0.1, test_ratio=0, select="probe", epochs=6), graph=two_communities())
    assert "val/link/auc" in run.result.metrics and "link/auc" not in run.result.metrics
    assert "probe/link_auc" not in run.result.metrics


def test_bench_probes_skip_the_link_probe_without_test_pairs() -> None:
    g = two_communities()
    split = random_link_split(g.data.edge_index, g.num_nodes, val_ratio=0, test_ratio=0, seed=0)
    out = probe_embeddings(np.eye(2)[g.y.numpy()], g, split, seed=0)
    assert "probe/link_auc" not in out and out["probe/node_accuracy"] == 1.0


def test_cli_trains_on_every_edge_and_says_how_to_select(tmp_path, capsys) -> None:
    edges = tmp_path / "e.csv"
    edges.write_text("a,b\nb,c\nc,a\nc,d\nd,e\ne,c\n", encoding="utf-8")
    base = ["train", "--graph", str(edges), "--epochs", "3", "--device", "cpu"]
    base += ["--val-ratio", "0", "--test-ratio", "0"]
    code, out, err = run_cli([*base, "--out", tmp_path / "bad"], capsys)
    assert code == 2 and "select by probe, loss or last" in err
    assert "Traceback" not in out + err
    code, out, err = run_cli([*base, "--select", "loss", "--out", tmp_path / "run"], capsys)
    assert code == 0, err
    assert (tmp_path / "run" / "embeddings.npy").exists()

"""Feature preprocessing (``RunConfig.feature_norm``): exact values and every path that uses it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graphae.config import RunConfig
from graphae.data.features import input_features, normalize_features, resolve_feature_norm
from graphae.data.graph import Graph, NodeIndex
from graphae.errors import GraphaeError
from graphae.pipeline import fit

X = torch.tensor([[1.0, 3.0, 0.0], [0.0, 0.0, 0.0], [2.0, -2.0, 4.0]])


def test_row_norm_divides_each_row_by_its_l1_norm_and_keeps_zero_rows() -> None:
    out = normalize_features(X, "row")
    expected = torch.tensor([[0.25, 0.75, 0.0], [0.0, 0.0, 0.0], [0.25, -0.25, 0.5]])
    assert torch.equal(out, expected)
    assert torch.equal(X[1], torch.zeros(3))  # input untouched
    assert torch.equal(normalize_features(out, "row"), out)  # idempotent


def test_row_norm_equals_pyg_normalize_features_on_bag_of_words() -> None:
    from torch_geometric.transforms import NormalizeFeatures

    bow = (torch.rand(20, 30, generator=torch.Generator().manual_seed(0)) < 0.2).float()
    ref = NormalizeFeatures()(Data(x=bow.clone())).x
    torch.testing.assert_close(normalize_features(bow, "row"), ref)


def test_none_sparse_and_integer_inputs() -> None:
    assert normalize_features(X, "none") is X
    ints = torch.tensor([[1, 1], [0, 2]])
    assert torch.equal(normalize_features(ints, "row"), torch.tensor([[0.5, 0.5], [0.0, 1.0]]))
    torch.testing.assert_close(
        normalize_features(X.to_sparse(), "row"), normalize_features(X, "row")
    )
    with pytest.raises(ValueError, match="unknown feature_norm 'l2'"):
        normalize_features(X, "l2")
    with pytest.raises(ValueError, match="unknown feature_norm 'l2'; use auto, row, none"):
        resolve_feature_norm(_graph("file"), "l2")


def _graph(source: str, **meta: str) -> Graph:
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    data = Data(x=X.clone(), edge_index=ei)
    return Graph(data, NodeIndex.range(3), feature_source=source, meta=meta)


@pytest.mark.parametrize("source", ["dataset", "file"])
def test_row_and_none_apply_to_dataset_and_file_features(source: str) -> None:
    assert torch.equal(input_features(_graph(source), "row"), normalize_features(X, "row"))
    assert torch.equal(input_features(_graph(source), "none"), X)


def test_auto_normalises_bag_of_words_datasets_only() -> None:
    bow = _graph("dataset", features="bag_of_words")
    assert resolve_feature_norm(bow) == "row"
    assert torch.equal(input_features(bow), normalize_features(X, "row"))
    for other in (_graph("file"), _graph("dataset")):  # user files, OGB-style features
        assert resolve_feature_norm(other) == "none"
        assert torch.equal(input_features(other), X)


@pytest.mark.parametrize("source", ["identity", "degree"])
def test_graphaes_own_fallback_features_are_left_alone(source: str) -> None:
    assert torch.equal(input_features(_graph(source, features="bag_of_words"), "row"), X)


def test_featureless_graph_gives_an_empty_matrix() -> None:
    g = Graph(Data(edge_index=torch.tensor([[0], [1]]), num_nodes=4), NodeIndex.range(4))
    assert input_features(g, "row").shape == (4, 0)


def test_run_config_rejects_an_unknown_norm() -> None:
    with pytest.raises(GraphaeError, match="feature_norm"):
        RunConfig(dataset="cora", feature_norm="l2")


def _ring(n: int = 12) -> Graph:
    gen = torch.Generator().manual_seed(0)
    src = torch.arange(n)
    ei = torch.cat([torch.stack([src, (src + 1) % n]), torch.stack([(src + 1) % n, src])], 1)
    ei = torch.cat([ei, torch.stack([src, (src + 3) % n]), torch.stack([(src + 3) % n, src])], 1)
    x = torch.rand(n, 5, generator=gen) * torch.arange(1, n + 1).unsqueeze(1)  # row scales differ
    return Graph(Data(x=x, edge_index=ei), NodeIndex.range(n), name="ring", feature_source="file")


def test_training_sees_normalised_features_and_embedding_again_reproduces_them(tmp_path) -> None:
    """The model is trained on row-normalised input; re-embedding a run reproduces z
    exactly, which it would not if inference fed the raw features."""
    from graphae.inference import embed_graph
    from graphae.rundir import save_run

    g = _ring()
    cfg = RunConfig(
        graph="ring", epochs=5, seed=0, val_ratio=0.1, test_ratio=0.1, feature_norm="row",
        device="cpu",  # re-encodes the CPU features with the returned model: pinned
    )  # fmt: skip
    run = fit(cfg, graph=g, progress=False)
    norm = normalize_features(g.data.x, "row")
    with torch.no_grad():
        z_norm = run.model.encode(norm, run.split.mp_edge_index)
        z_raw = run.model.encode(g.data.x, run.split.mp_edge_index)
    torch.testing.assert_close(run.z, z_norm)
    assert not torch.allclose(run.z, z_raw)
    save_run(tmp_path / "run", run)
    again = embed_graph(tmp_path / "run", graph=g)
    # the full graph is embedded here (not the split's message-passing graph)
    with torch.no_grad():
        z_full = run.model.encode(norm, g.data.edge_index)
    np.testing.assert_allclose(again.vectors, z_full.numpy(), rtol=1e-5, atol=1e-6)

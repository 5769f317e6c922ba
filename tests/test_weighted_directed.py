"""Weighted and directed graphs (issue 7).

* Edge weights reach the encoder's propagation (``mp_edge_weight``): changing
  them changes the embeddings; all-ones weights equal no weights.
* ``reconstruct_weights``: the positives' BCE targets are ``w / max w``, so the
  decoder learns to score heavy edges above light ones.
* Directed graphs: the ``bilinear`` decoder keeps ``R`` asymmetric and learns
  edge direction; a symmetric decoder cannot, and graphae warns about it.
"""

from __future__ import annotations

import logging

import pytest
import torch
from clihelp import run_cli
from torch_geometric.data import Data

from graphae.config import RunConfig
from graphae.data.graph import Graph, NodeIndex
from graphae.data.split import pair_weights
from graphae.errors import GraphaeError
from graphae.models.losses import pair_bce
from graphae.pipeline import fit


def blocks(weight_a: float = 1.0, weight_b: float = 1.0, seed: int = 0) -> Graph:
    """Two 10-node blocks (edge probability 0.6) joined by one bridge; weights per block."""
    g = torch.Generator().manual_seed(seed)
    edges, weights = [], []
    for block, w in ((0, weight_a), (1, weight_b)):
        for i in range(10):
            for j in range(i + 1, 10):
                if torch.rand(1, generator=g).item() < 0.6:
                    edges.append((10 * block + i, 10 * block + j))
                    weights.append(w)
    edges.append((0, 10))
    weights.append(min(weight_a, weight_b))
    ei = torch.tensor(edges).t()
    ew = torch.tensor(weights, dtype=torch.float32)
    data = Data(
        x=torch.randn(20, 8, generator=g),
        edge_index=torch.cat([ei, ei.flip(0)], 1),
        edge_weight=torch.cat([ew, ew]),
        num_nodes=20,
    )
    return Graph(data, NodeIndex.range(20), name="weighted")


def cfg(**kw: object) -> RunConfig:
    base = {"dataset": "weighted", "epochs": 40, "val_ratio": 0.1, "test_ratio": 0.1,
            "patience": 0, "device": "cpu"}  # fmt: skip
    base.update(kw)
    return RunConfig(**base)  # type: ignore[arg-type]


# ------------------------------------------------------------------ weights in propagation


def test_weights_reach_the_encoder_and_change_the_embeddings(monkeypatch) -> None:
    from graphae.nn.encoders import GCNEncoder

    seen: list[torch.Tensor | None] = []
    real = GCNEncoder.forward

    def spy(self, x, edge_index, edge_weight=None):
        seen.append(edge_weight)
        return real(self, x, edge_index, edge_weight)

    monkeypatch.setattr(GCNEncoder, "forward", spy)
    ones = fit(cfg(epochs=5), graph=blocks())
    assert seen and all(w is not None for w in seen)
    monkeypatch.undo()

    unweighted = blocks()
    del unweighted.data.edge_weight
    plain = fit(cfg(epochs=5), graph=unweighted)
    assert torch.allclose(ones.z, plain.z, atol=1e-6)  # weight 1 everywhere == no weights

    heavy = fit(cfg(epochs=5), graph=blocks(weight_a=5.0, weight_b=0.2))
    assert not torch.allclose(heavy.z, plain.z, atol=1e-3)


def test_encoder_that_ignores_weights_says_so(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="graphae.pipeline"):
        fit(cfg(epochs=1, encoder="sage"), graph=blocks())
    assert any("ignores edge weights" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="graphae.pipeline"):
        fit(cfg(epochs=1), graph=blocks())
    assert not any("ignores edge weights" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------ reconstructing weights


def test_pair_weights_exact_values() -> None:
    ei = torch.tensor([[0, 1, 1, 2, 2], [1, 0, 2, 1, 3]])
    ew = torch.tensor([1.0, 3.0, 2.0, 2.0, 5.0])
    pairs = torch.tensor([[0, 1, 3, 0], [1, 2, 2, 3]])
    assert pair_weights(pairs, ei, ew, 4, directed=False).tolist() == [3.0, 2.0, 5.0, 0.0]
    assert pair_weights(pairs, ei, ew, 4, directed=True).tolist() == [1.0, 2.0, 0.0, 0.0]


def test_pair_bce_soft_targets() -> None:
    pos, neg = torch.tensor([0.0, 2.0]), torch.tensor([-1.0])
    assert torch.allclose(pair_bce(pos, neg, torch.ones(2)), pair_bce(pos, neg))
    t = torch.tensor([0.5, 0.25])
    expected = (
        torch.nn.functional.binary_cross_entropy_with_logits(pos, t)
        + torch.nn.functional.softplus(neg).mean()
    )
    assert torch.allclose(pair_bce(pos, neg, t), expected)


def test_reconstruct_weights_scores_heavy_edges_above_light_ones() -> None:
    g = blocks(weight_a=1.0, weight_b=0.1)
    sig = {}
    for flag in (False, True):
        run = fit(cfg(epochs=150, reconstruct_weights=flag, lr=0.02), graph=g)
        pos = run.split.train_pos
        w = pair_weights(pos, g.data.edge_index, g.edge_weight, 20, directed=False)
        s = torch.sigmoid(run.model.score(run.z, pos))
        sig[flag] = (float(s[w == 1.0].mean()), float(s[w == 0.1].mean()))
    heavy, light = sig[True]
    assert heavy - light > 0.3, sig  # weights reconstructed: light edges scored low
    assert abs(sig[False][0] - sig[False][1]) < heavy - light, sig


def test_reconstruct_weights_needs_weights_and_the_pairs_loss() -> None:
    g = blocks()
    del g.data.edge_weight
    with pytest.raises(GraphaeError, match="needs edge weights"):
        fit(cfg(epochs=1, reconstruct_weights=True), graph=g)
    with pytest.raises(GraphaeError, match="sampled-pairs loss"):
        cfg(reconstruct_weights=True, loss="dense")
    with pytest.raises(GraphaeError, match="edge masking"):
        cfg(reconstruct_weights=True, edge_mask=0.5)


def test_cli_reconstruct_weights(tmp_path, capsys) -> None:
    lines = [f"n{i},n{(i + 1) % 20},{1 + i % 3}" for i in range(20)]
    lines += [f"n{i},n{(i + 7) % 20},0.5" for i in range(20)]
    (tmp_path / "w.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run_cli(
        ["train", "--graph", tmp_path / "w.csv", "--out", tmp_path / "run", "--epochs", "3",
         "--device", "cpu", "--reconstruct-weights"], capsys,
    )  # fmt: skip
    assert code == 0, err
    import json

    assert json.loads((tmp_path / "run/config.json").read_text())["reconstruct_weights"] is True


# ------------------------------------------------------------------ directed graphs


def sources_to_sinks(seed: int = 0) -> Graph:
    """40 nodes: edges only from the first 20 (sources) to the last 20 (sinks)."""
    g = torch.Generator().manual_seed(seed)
    edges = [(s, t) for s in range(20) for t in range(20, 40) if torch.rand(1, generator=g) < 0.3]
    ei = torch.tensor(edges).t()
    data = Data(x=torch.randn(40, 8, generator=g), edge_index=ei, num_nodes=40)
    return Graph(data, NodeIndex.range(20), name="dag", directed=True)


def direction_accuracy(run) -> float:
    """Share of test edges u->v scored above their reverse v->u."""
    pos = run.split.test_pos
    with torch.no_grad():
        fwd = run.model.score(run.z, pos, run.split.mp_edge_index)
        rev = run.model.score(run.z, pos.flip(0), run.split.mp_edge_index)
    return float((fwd > rev).float().mean())


def test_bilinear_decoder_learns_direction_and_inner_product_cannot() -> None:
    g = sources_to_sinks()
    bil = fit(
        cfg(dataset="dag", directed=True, decoder="bilinear", epochs=200, select="last"), graph=g
    )
    assert not bil.model.decoder.symmetric
    assert direction_accuracy(bil) > 0.9
    ip = fit(cfg(dataset="dag", directed=True, epochs=5), graph=g)
    assert direction_accuracy(ip) == 0.0  # ties: u->v and v->u score exactly the same


def test_symmetric_decoder_on_a_directed_graph_warns(caplog) -> None:
    g = sources_to_sinks()
    with caplog.at_level(logging.WARNING, logger="graphae.pipeline"):
        fit(cfg(dataset="dag", directed=True, epochs=1), graph=g)
    assert any("is symmetric" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="graphae.pipeline"):
        fit(cfg(dataset="dag", directed=True, decoder="bilinear", epochs=1), graph=g)
    assert not any("is symmetric" in r.getMessage() for r in caplog.records)


def test_cli_directed_with_symmetric_decoder_warns(tmp_path, capsys, caplog) -> None:
    """The CLI logs at WARNING by default, so this reaches stderr (caught here by caplog)."""
    lines = [f"s{s},t{t}" for s in range(8) for t in range(8) if (s * 7 + t * 3) % 4 == 0]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        code, _, err = run_cli(
            ["train", "--graph", tmp_path / "d.csv", "--directed", "--out", tmp_path / "run",
             "--epochs", "2", "--device", "cpu"], capsys,
        )  # fmt: skip
    assert code == 0, err
    msgs = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("is symmetric" in m and "--decoder bilinear" in m for m in msgs)

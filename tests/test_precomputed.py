"""SIGN/SGC precomputed-propagation encoder and node-subset training."""

from __future__ import annotations

import torch
from torch_geometric.data import Data

from graphae.config import RunConfig
from graphae.data.graph import Graph, NodeIndex
from graphae.nn.encoders import encoders
from graphae.nn.precomputed import SIGNEncoder
from graphae.nn.propagation import normalized_adjacency
from graphae.pipeline import fit

PATH = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])


def test_features_are_powers_of_the_normalised_adjacency() -> None:
    x = torch.eye(3)
    enc = SIGNEncoder(3, 4, 2, hops=2)
    a = normalized_adjacency(PATH, 3).to_dense()
    expected = torch.cat([x, a @ x, a @ a @ x], dim=1)
    assert torch.allclose(enc.features(x, PATH), expected, atol=1e-6)
    sgc = SIGNEncoder(3, 4, 2, hops=2, concat=False)
    assert torch.allclose(sgc.features(x, PATH), a @ a, atol=1e-6)


def test_features_are_cached_per_graph_and_rebuilt_when_it_changes() -> None:
    x = torch.randn(3, 2)
    enc = SIGNEncoder(2, 4, 2)
    f1 = enc.features(x, PATH)
    assert enc.features(x, PATH) is f1
    assert enc.features(x, PATH.clone()) is not f1


def test_encode_nodes_equals_rows_of_the_full_embedding() -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 5)
    enc = encoders.make("sign", in_channels=5, hidden_channels=8, out_channels=4)
    enc.eval()
    z = enc(x, PATH)
    nodes = torch.tensor([2, 0])
    assert torch.allclose(enc.encode_nodes(x, PATH, None, nodes), z[nodes])
    assert [t.shape[1] for t in enc.forward_layers(x, PATH)] == [8, 4]


def _ring_graph(n: int = 12) -> Graph:
    src = torch.arange(n)
    ei = torch.cat([torch.stack([src, (src + 1) % n]), torch.stack([src, (src + 2) % n])], 1)
    ei = torch.cat([ei, ei.flip(0)], 1)
    x = torch.randn(n, 6, generator=torch.Generator().manual_seed(0))
    return Graph(Data(x=x, edge_index=ei, num_nodes=n), NodeIndex.range(n), name="ring")


def test_training_embeds_only_the_batch_nodes(monkeypatch) -> None:
    """With node subsets the full forward never runs in a training step."""
    calls = {"full_train": 0}
    orig = SIGNEncoder.forward_layers

    def counting(self, *a, **k):  # type: ignore[no-untyped-def]
        if self.training:
            calls["full_train"] += 1
        return orig(self, *a, **k)

    monkeypatch.setattr(SIGNEncoder, "forward_layers", counting)
    cfg = RunConfig(
        dataset="ring",
        encoder="sign",
        batch_size=4,
        epochs=15,
        patience=0,
        val_ratio=0.1,
        test_ratio=0.2,
    )
    run = fit(cfg, graph=_ring_graph())
    assert calls["full_train"] == 0
    losses = [h["loss"] for h in run.result.history]
    assert losses[-1] < losses[0]
    assert run.z.shape == (12, 16)

"""Encoders: one contract test over every registered encoder, permutation
equivariance, layer weights, the VGAE wrapper and option handling."""

from __future__ import annotations

import pytest
import torch

from graphae.errors import GraphaeError
from graphae.nn.encoders import VariationalEncoder, build_encoder, encoders
from graphae.nn.propagation import normalized_adjacency

pytestmark = pytest.mark.usefixtures("one_thread")


N, F, H, D = 8, 6, 12, 4
WITH_WEIGHTS = {"gcn", "gat", "linear", "mlp"}


def graph() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    und = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (3, 4), (1, 6)]
    ei = torch.tensor(und).t()
    return torch.randn(N, F, generator=g), torch.cat([ei, ei.flip(0)], 1)


def make(name: str, **options: object):
    return build_encoder(
        name,
        options,
        in_channels=F,
        hidden_channels=H,
        out_channels=D,
        num_layers=2,
        dropout=0.0,
        num_nodes=N,
    )


@pytest.mark.parametrize("name", encoders.names())
def test_encoder_contract(name: str) -> None:
    torch.manual_seed(0)
    x, ei = graph()
    enc = make(name).eval()
    layers = enc.forward_layers(x, ei)
    z = enc(x, ei)
    assert z.shape == (N, D) and torch.isfinite(z).all()
    assert torch.equal(layers[-1], z)
    assert [t.size(1) for t in layers] == enc.sizes[1:]
    assert enc.sizes[0] == enc.in_channels == F and enc.out_channels == D
    assert len(layers) == len(enc.sizes) - 1 == (1 if name in ("linear", "embedding") else 2)

    # gradients reach every parameter
    z.pow(2).sum().backward()
    for pname, p in enc.named_parameters():
        assert p.grad is not None, pname

    # reset_parameters changes a perturbed encoder's output
    with torch.no_grad():
        for p in enc.parameters():
            p.add_(0.5 * torch.randn_like(p))
        before = enc(x, ei)
        enc.reset_parameters()
        assert not torch.allclose(before, enc(x, ei))

    # layer weights: one (c_in, c_out) matrix per layer, or NotImplementedError
    if name in WITH_WEIGHTS:
        ws = enc.layer_weights()
        assert [tuple(w.shape) for w in ws] == list(zip(enc.sizes[:-1], enc.sizes[1:], strict=True))
        assert all(w.requires_grad for w in ws)
    else:
        with pytest.raises(NotImplementedError):
            enc.layer_weights()


@pytest.mark.parametrize("name", encoders.names())
def test_permutation_equivariance(name: str) -> None:
    torch.manual_seed(0)
    x, ei = graph()
    enc = make(name).eval()
    with torch.no_grad():
        if torch.allclose(enc(x, ei), enc(torch.zeros_like(x), ei)):
            pytest.skip(f"{name} ignores the features (a code per node id): not equivariant")
    perm = torch.randperm(N)
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(N)
    with torch.no_grad():
        z = enc(x, ei)
        zp = enc(x[perm], inv[ei])
    assert torch.allclose(zp, z[perm], atol=1e-5)


@pytest.mark.parametrize("name", encoders.names())
def test_graph_dependence(name: str) -> None:
    torch.manual_seed(0)
    x, ei = graph()
    enc = make(name).eval()
    with torch.no_grad():
        same = torch.allclose(enc(x, ei), enc(x, ei[:, :4]))
    assert same == (not enc.uses_graph)


def test_linear_encoder_is_one_hop_gcn_without_bias() -> None:
    x, ei = graph()
    enc = make("linear")
    a = normalized_adjacency(ei, N).to_dense()
    assert torch.allclose(enc(x, ei), a @ x @ enc.layer_weights()[0], atol=1e-6)
    assert sum(p.numel() for p in enc.parameters()) == F * D


def test_gcn_matches_dense_formula() -> None:
    x, ei = graph()
    enc = make("gcn")
    a = normalized_adjacency(ei, N).to_dense()
    w1, w2 = enc.layer_weights()
    b1, b2 = enc.biases
    expected = a @ torch.relu(a @ x @ w1 + b1) @ w2 + b2
    assert torch.allclose(enc(x, ei), expected, atol=1e-5)


def test_gat_heads_split_each_width() -> None:
    enc = make("gat", heads=4)
    assert [c.heads for c in enc.convs] == [4, 4]
    assert enc(*graph()).shape == (N, D)
    with pytest.raises(GraphaeError, match="heads=5 must divide"):
        make("gat", heads=5)


def test_options_norm_activation_and_errors() -> None:
    enc = make("gcn", norm="batch", activation="prelu", act_last=True)
    assert len(enc.norms) == 2 and len(enc.acts) == 2
    z = enc.train()(*graph())
    assert (z.mean(0).abs() < 1).all()
    with pytest.raises(GraphaeError, match="unknown activation"):
        make("gcn", activation="swish")
    with pytest.raises(GraphaeError, match="unknown norm"):
        make("gcn", norm="group")
    with pytest.raises(GraphaeError, match=r"no option 'head'.*heads"):
        make("gat", head=2)
    with pytest.raises(GraphaeError, match="unknown encoder"):
        build_encoder("nope", in_channels=F)


def test_variational_wrapper() -> None:
    torch.manual_seed(0)
    x, ei = graph()
    enc = build_encoder(
        "gcn", variational=True, in_channels=F, hidden_channels=H, out_channels=D, num_layers=2
    )
    assert isinstance(enc, VariationalEncoder)
    assert enc.out_channels == D and enc.inner.out_channels == 2 * D and enc.sizes == [F, H, D]
    mu, logstd = enc.stats(x, ei)
    full = enc.inner(x, ei)
    assert torch.equal(mu, full[:, :D]) and torch.equal(logstd, full[:, D:])
    assert torch.equal(enc(x, ei), mu)
    ws = enc.layer_weights()
    assert ws[-1].shape == (H, D)
    assert torch.equal(ws[-1], enc.inner.layer_weights()[-1][:, :D])

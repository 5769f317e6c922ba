"""Decoders: one contract test over every registered decoder × encoder, exact values
on 3-node graphs, and the tied / pseudo-inverse weight identities."""

from __future__ import annotations

import math

import pytest
import torch

from graphae.errors import GraphaeError
from graphae.nn.decoders import (
    BilinearDecoder,
    DistanceDecoder,
    InnerProductDecoder,
    MLPDecoder,
    NCNDecoder,
    build_decoder,
    decoder_kind,
    decoders,
)
from graphae.nn.encoders import build_encoder, encoders
from graphae.nn.pair_structure import common_neighbor_sum
from graphae.nn.propagation import normalized_adjacency

pytestmark = pytest.mark.usefixtures("one_thread")


N, F, H, D = 7, 5, 8, 4


def graph() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A 7-node graph (cycle + chord), random features, and scored pairs (edges + non-edges)."""
    g = torch.Generator().manual_seed(0)
    und = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 0), (1, 4)]
    ei = torch.tensor(und).t()
    ei = torch.cat([ei, ei.flip(0)], 1)
    x = torch.randn(N, F, generator=g)
    pairs = torch.tensor([[0, 1, 2, 0, 3, 5, 6], [1, 4, 5, 3, 6, 2, 6]])
    return x, ei, pairs


def make_encoder(enc_name: str = "gcn"):
    return build_encoder(
        enc_name,
        in_channels=F,
        hidden_channels=H,
        out_channels=D,
        num_layers=2,
        dropout=0.0,
        num_nodes=N,
    )


def make_decoder(dec_name: str, enc, directed: bool = False):
    return build_decoder(
        dec_name,
        in_channels=D,
        hidden_channels=H,
        out_channels=F,
        num_layers=2,
        directed=directed,
        encoder=enc,
    )


def make(dec_name: str, enc_name: str = "gcn", directed: bool = False):
    enc = make_encoder(enc_name)
    return enc, make_decoder(dec_name, enc, directed)


def run(dec, z: torch.Tensor, ei: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
    return dec(z, pairs, ei) if dec.kind == "structure" else dec(z, ei)


def _has_layer_weights(enc) -> bool:
    try:
        enc.layer_weights()
    except NotImplementedError:
        return False
    return True


@pytest.mark.parametrize("enc_name", encoders.names())
@pytest.mark.parametrize("dec_name", decoders.names())
def test_decoder_contract(dec_name: str, enc_name: str) -> None:
    torch.manual_seed(0)
    x, ei, pairs = graph()
    enc = make_encoder(enc_name)
    if dec_name in ("tied", "pinv") and not _has_layer_weights(enc):
        with pytest.raises(GraphaeError, match="one weight matrix per layer"):
            build_decoder(dec_name, in_channels=D, out_channels=F, encoder=enc)
        return
    dec = make_decoder(dec_name, enc)
    assert dec.kind == decoder_kind(dec_name)
    enc.eval()
    dec.eval()
    z = enc(x, ei)
    out = run(dec, z, ei, pairs)

    # shapes and finiteness
    assert out.shape == ((pairs.size(1),) if dec.kind == "structure" else (N, F))
    assert torch.isfinite(out).all()

    # gradients flow into the encoder and into every own parameter
    out.pow(2).sum().backward()
    enc_grads = [p.grad for p in enc.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in enc_grads)
    for name, p in dec.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name

    # parameter count = the module's own parameters
    own = sum(p.numel() for p in dec.parameters() if p.requires_grad)
    assert dec.num_parameters() == own

    # reset_parameters changes a perturbed decoder's output
    if own:
        with torch.no_grad():
            for p in dec.parameters():
                p.add_(0.37 * torch.randn_like(p))
            before = run(dec, z.detach(), ei, pairs)
            dec.reset_parameters()
            after = run(dec, z.detach(), ei, pairs)
        assert not torch.allclose(before, after)

    # symmetric decoders give symmetric scores
    if dec.kind == "structure" and dec.symmetric:
        with torch.no_grad():
            assert torch.allclose(dec(z, pairs, ei), dec(z, pairs.flip(0), ei), atol=1e-5)

    # borrowed weights: tied = encoder transposes, pinv = encoder pseudo-inverses, 0 own params
    if dec_name in ("tied", "pinv"):
        assert own == 0 and list(dec.parameters()) == []
        enc_w = list(reversed(enc.layer_weights()))
        dec_w = dec.decoder_weights()
        assert len(dec_w) == len(enc_w)
        for we, wd in zip(enc_w, dec_w, strict=True):
            if dec_name == "tied":
                assert torch.equal(wd, we.t())
            else:
                assert torch.allclose(wd, torch.linalg.pinv(we), atol=1e-6)
        assert "0 own parameters" in decoders.describe(dec_name)


@pytest.mark.parametrize(
    "dec_name", [n for n in decoders.names() if decoder_kind(n) == "structure"]
)
def test_dense_matches_pairwise(dec_name: str) -> None:
    torch.manual_seed(1)
    x, ei, _ = graph()
    enc, dec = make(dec_name)
    dec.eval()
    with torch.no_grad():
        z = enc(x, ei)
        dense = dec.dense(z, ei)
        idx = torch.arange(N)
        pairs = torch.stack([idx.repeat_interleave(N), idx.repeat(N)])
        assert torch.allclose(dense.reshape(-1), dec(z, pairs, ei), atol=1e-4)


def test_every_decoder_is_listed_with_its_kind() -> None:
    kinds = {n: decoder_kind(n) for n in decoders.names()}
    assert kinds == {
        "bilinear": "structure", "distance": "structure", "gnn": "structure",
        "inner_product": "structure", "mlp": "structure", "ncn": "structure",
        "linear": "feature", "mirror": "feature", "pinv": "feature", "tied": "feature",
    }  # fmt: skip
    for n, k in kinds.items():
        assert decoders.describe(n).startswith(f"[{k}]")


# ------------------------------------------------------------------ exact values

Z = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
P = torch.tensor([[0, 0, 1], [1, 2, 2]])


def test_inner_product_exact() -> None:
    assert torch.equal(InnerProductDecoder(2)(Z, P), torch.tensor([0.0, 1.0, 2.0]))
    assert InnerProductDecoder(2).num_parameters() == 0


def test_distance_exact() -> None:
    assert torch.equal(DistanceDecoder(2)(Z, P), torch.tensor([-5.0, -1.0, -2.0]))
    dec = DistanceDecoder(2, bias=True)
    assert dec.num_parameters() == 1
    with torch.no_grad():
        dec.bias.fill_(0.5)
    assert torch.equal(dec(Z, P), torch.tensor([-4.5, -0.5, -1.5]))


def test_bilinear_exact_symmetric_directed_and_diagonal() -> None:
    r = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    sym = BilinearDecoder(2, directed=False)
    dirc = BilinearDecoder(2, directed=True)
    with torch.no_grad():
        sym.weight.copy_(r)
        dirc.weight.copy_(r)
    pair = torch.tensor([[0], [1]])
    # z0 = [1, 0], z1 = [0, 2]: z0ᵀ R z1 = 2·r01 = 4; symmetrised r01 = 2.5 -> 5
    assert torch.allclose(sym(Z, pair), torch.tensor([5.0]))
    assert torch.allclose(sym(Z, pair.flip(0)), torch.tensor([5.0]))
    assert torch.allclose(dirc(Z, pair), torch.tensor([4.0]))
    assert torch.allclose(dirc(Z, pair.flip(0)), torch.tensor([6.0]))  # z1ᵀ R z0 = 2·r10
    assert sym.num_parameters() == dirc.num_parameters() == 4
    assert sym.symmetric and not dirc.symmetric
    diag = BilinearDecoder(2, diagonal=True, directed=True)
    with torch.no_grad():
        diag.weight.copy_(torch.tensor([2.0, 3.0]))
    # z1 = [0, 2], z2 = [1, 1]: 0·2·1 + 2·3·1 = 6
    assert torch.allclose(diag(Z, torch.tensor([[1], [2]])), torch.tensor([6.0]))
    assert diag.num_parameters() == 2 and diag.symmetric


def test_bilinear_starts_as_inner_product() -> None:
    assert torch.allclose(BilinearDecoder(2)(Z, P), InnerProductDecoder(2)(Z, P))


def test_mlp_depth_zero_is_weighted_inner_product_plus_bias() -> None:
    dec = MLPDecoder(2, depth=0)
    with torch.no_grad():
        dec.lins[0].weight.copy_(torch.tensor([[2.0, -1.0]]))
        dec.lins[0].bias.fill_(0.5)
    # z_u ⊙ z_v for (0,1), (0,2), (1,2): [0,0], [1,0], [0,2]
    assert torch.allclose(dec(Z, P), torch.tensor([0.5, 2.5, -1.5]))
    assert dec.num_parameters() == 3


def test_mlp_capacity_grows_with_depth_and_width() -> None:
    counts = [
        MLPDecoder(16, width=w, depth=k).num_parameters() for k, w in ((1, 8), (1, 32), (3, 32))
    ]
    assert counts == sorted(counts) and len(set(counts)) == 3
    assert counts[0] == 16 * 8 + 8 + 8 + 1


def test_mlp_concat_symmetrised_unless_directed() -> None:
    torch.manual_seed(0)
    z = torch.randn(3, 4)
    und = MLPDecoder(4, width=8, mode="concat", directed=False)
    assert torch.allclose(und(z, P), und(z, P.flip(0)))
    dirc = MLPDecoder(4, width=8, mode="concat", directed=True)
    assert not dirc.symmetric
    assert not torch.allclose(dirc(z, P), dirc(z, P.flip(0)))


def test_tied_decoder_exact_on_a_path() -> None:
    """Linear encoder z = Â X W; tied decoder x̂ = Â z Wᵀ, checked with a dense Â."""
    torch.manual_seed(0)
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    x = torch.randn(3, 4)
    enc = build_encoder("linear", in_channels=4, out_channels=2, dropout=0.0)
    dec = build_decoder("tied", encoder=enc)
    a = normalized_adjacency(ei, 3).to_dense()
    w = enc.layer_weights()[0]
    z = enc(x, ei)
    assert torch.allclose(z, a @ x @ w, atol=1e-6)
    assert torch.allclose(dec(z, ei), a @ z @ w.t(), atol=1e-6)
    pinv = build_decoder("pinv", encoder=enc)
    assert torch.allclose(pinv(z, ei), a @ z @ torch.linalg.pinv(w), atol=1e-5)


def test_linear_feature_decoder_exact() -> None:
    dec = build_decoder("linear", in_channels=2, out_channels=3)
    with torch.no_grad():
        dec.lin.weight.copy_(torch.arange(6.0).view(3, 2))
        dec.lin.bias.copy_(torch.tensor([1.0, 0.0, -1.0]))
    out = dec(Z, torch.empty(2, 0, dtype=torch.long))
    assert torch.allclose(
        out, Z @ torch.arange(6.0).view(3, 2).t() + torch.tensor([1.0, 0.0, -1.0])
    )
    assert dec.num_parameters() == 2 * 3 + 3


def test_mirror_reverses_the_encoder_widths() -> None:
    enc = build_encoder("gcn", in_channels=10, hidden_channels=6, out_channels=3, num_layers=3)
    dec = build_decoder("mirror", in_channels=3, hidden_channels=6, out_channels=10, encoder=enc)
    assert dec.stack.sizes == [3, 6, 6, 10]
    assert dec.num_parameters() == 3 * 6 + 6 + 6 * 6 + 6 + 6 * 10 + 10
    one = build_decoder(
        "mirror", in_channels=3, out_channels=10, encoder=enc, options={"layers": 1}
    )
    assert one.stack.sizes == [3, 10]


def test_pinv_gradient_reaches_the_encoder() -> None:
    torch.manual_seed(0)
    x, ei, _ = graph()
    enc, dec = make("pinv")
    loss = (dec(enc(x, ei), ei) - x).pow(2).mean()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in enc.parameters())


def test_pinv_inverts_tall_weights_through_their_transpose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """torch's pinv backward forms (rows, rows) products for a tall input: the pinv
    decoder's pseudo-inverse only ever inverts wide matrices, and gets torch's
    pseudo-inverse and gradients."""
    from graphae.nn.decoders import pseudo_inverse

    torch.manual_seed(0)
    w = torch.randn(40, 3, requires_grad=True)  # tall: the first layer's F x h
    probe = torch.randn(3, 40)
    shapes: list[tuple[int, ...]] = []
    original = torch.linalg.pinv
    monkeypatch.setattr(
        torch.linalg, "pinv", lambda a: (shapes.append(tuple(a.shape)), original(a))[1]
    )
    got = pseudo_inverse(w)
    (g_got,) = torch.autograd.grad((got * probe).sum(), w)
    assert shapes == [(3, 40)]
    want = original(w)
    (g_want,) = torch.autograd.grad((want * probe).sum(), w)
    assert torch.allclose(got, want, atol=1e-6) and torch.allclose(g_got, g_want, atol=1e-5)
    shapes.clear()
    pseudo_inverse(torch.randn(3, 40))
    assert shapes == [(3, 40)]


def test_gnn_decoder_needs_the_graph() -> None:
    _, dec = make("gnn")
    with pytest.raises(GraphaeError, match="edge_index"):
        dec(torch.randn(N, D), torch.tensor([[0], [1]]))


def test_unknown_option_and_missing_context_are_user_errors() -> None:
    with pytest.raises(GraphaeError, match=r"no option 'depht'.*depth"):
        build_decoder("mlp", {"depht": 2}, in_channels=4)
    with pytest.raises(GraphaeError, match="pass encoder"):
        build_decoder("tied")
    with pytest.raises(GraphaeError, match="feature width"):
        build_decoder("mirror", in_channels=4)
    with pytest.raises(GraphaeError, match="unknown decoder"):
        build_decoder("nope")


def test_flops_per_pair() -> None:
    assert InnerProductDecoder(16).flops_per_pair() == 32
    assert BilinearDecoder(4).flops_per_pair() == 2 * 16 + 8
    assert MLPDecoder(4, width=8, depth=1).flops_per_pair() == 2 * (4 * 8 + 8 * 1)
    assert math.isclose(DistanceDecoder(4).flops_per_pair(), 12)


def test_common_neighbor_sum_exact_and_matches_networkx() -> None:
    import networkx as nx

    _, ei, _ = graph()
    z = torch.arange(N * 2, dtype=torch.float).view(N, 2) + 1.0  # z_w = [2w + 1, 2w + 2]
    g = nx.Graph(ei.t().tolist())
    pairs = torch.tensor([[u, v] for u in range(N) for v in range(N)]).t()
    got = common_neighbor_sum(z, pairs, ei)
    for k, (u, v) in enumerate(pairs.t().tolist()):
        common = set(nx.common_neighbors(g, u, v)) - {u, v}
        want = sum((z[w] for w in common), torch.zeros(2))
        assert torch.equal(got[k], want), (u, v)
    # 1 and 4 share 0? no: Γ(1) = {0, 2, 4}, Γ(4) = {1, 3, 5}: none; 0 and 2 share 1
    assert got[0 * N + 2].tolist() == [3.0, 4.0] and got[1 * N + 4].tolist() == [0.0, 0.0]
    # the pair's own edge never counts: (0, 1) is an edge, Γ(0) ∩ Γ(1) = {} here
    assert got[0 * N + 1].tolist() == [0.0, 0.0]
    # one direction of each edge gives the same neighbourhoods
    assert torch.equal(common_neighbor_sum(z, pairs, ei[:, : ei.size(1) // 2]), got)


def test_ncn_exact_linear_and_parameter_count() -> None:
    # triangle 0-1-2 plus a pendant 3 on 2: Γ(0) ∩ Γ(1) = {2}, Γ(0) ∩ Γ(3) = {2}
    ei = torch.tensor([[0, 1, 1, 2, 0, 2, 2, 3], [1, 0, 2, 1, 2, 0, 3, 2]])
    z = torch.tensor([[1.0, 0.0], [2.0, 1.0], [0.5, -1.0], [3.0, 3.0]])
    dec = NCNDecoder(2, depth=0)
    assert dec.num_parameters() == 2 * 2 + 1
    with torch.no_grad():
        dec.lins[0].weight.copy_(torch.tensor([[1.0, 1.0, 10.0, 100.0]]))
        dec.lins[0].bias.fill_(0.5)
    pairs = torch.tensor([[0, 0, 1], [1, 3, 3]])
    # (0,1): z0⊙z1 = [2, 0], cn = z2 = [.5, -1] -> 2 + 0 + 5 - 100 + .5
    # (0,3): [3, 0], cn = z2 -> 3 + 5 - 100 + .5; (1,3): [6, 3], cn = z2 -> 9 + 5 - 100 + .5
    assert dec(z, pairs, ei).tolist() == [-92.5, -91.5, -85.5]
    assert NCNDecoder(16, width=32, depth=2).num_parameters() == 32 * 32 + 32 + 32 * 32 + 32 + 33
    with pytest.raises(GraphaeError, match="the ncn decoder propagates over the graph"):
        dec(z, pairs)


def test_ncn_sees_the_message_passing_graph_in_training_and_evaluation(tiny_graph, monkeypatch):
    from graphae.config import RunConfig
    from graphae.data.split import pair_keys
    from graphae.pipeline import fit

    edges = [(a, b) for a in range(5) for b in range(a + 1, 5)]
    edges += [(a, b) for a in range(5, 10) for b in range(a + 1, 10)] + [(4, 5)]
    g = tiny_graph(edges)
    seen: list[torch.Tensor] = []
    forward = NCNDecoder.forward

    def spy(self, z, pairs, edge_index=None):
        seen.append(edge_index)
        return forward(self, z, pairs, edge_index)

    monkeypatch.setattr(NCNDecoder, "forward", spy)
    cfg = RunConfig(graph="unused", decoder="ncn", epochs=3, val_ratio=0.1, test_ratio=0.2)
    run = fit(cfg.replace(device="cpu"), graph=g)  # compares the spied tensors: pinned
    assert "params/decoder" in run.result.metrics and run.result.metrics["params/decoder"] > 0
    assert seen and all(ei is not None for ei in seen)
    held = torch.cat([run.split.val_pos, run.split.test_pos], dim=1)
    held_keys = set(pair_keys(held, 10, False).tolist())
    for ei in seen:  # never a validation or test edge, in either direction
        assert not held_keys & set(pair_keys(ei, 10, False).tolist())
        assert torch.equal(ei, run.split.mp_edge_index)


@pytest.mark.parametrize("name", ["mirror", "tied", "pinv", "gnn"])
def test_gcn_decoder_layers_propagate_at_the_narrower_width(name: str) -> None:
    """``propagation_order="auto"`` runs Â at min(c_in, c_out) of each layer (a widening
    layer propagates its input, then transforms); ``"transform_first"`` always transforms
    first (PyG's order). Both give the same output up to float rounding."""
    from graphae.models.build import set_propagation_order

    torch.manual_seed(0)
    x, ei, pairs = graph()
    enc, dec = make(name)
    caches = [m.cache for m in dec.modules() if hasattr(m, "propagation_order")]
    assert len(caches) == 1
    widths: list[int] = []
    get = caches[0].get

    def recording_get(*args, **kwargs):
        prop = get(*args, **kwargs)
        return lambda h: (widths.append(h.size(1)), prop(h))[1]

    caches[0].get = recording_get
    z = enc(x, ei)
    out = {}
    for order in ("transform_first", "auto"):
        set_propagation_order([dec], order)
        widths.clear()
        out[order] = dec(z, pairs, ei) if name == "gnn" else dec(z, ei)
        out[order + " widths"] = list(widths)
    # the stack is d -> h -> (F or h): 4 -> 8 widens, 8 -> 5 narrows, 8 -> 8 stays
    assert out["transform_first widths"] == ([H, H] if name == "gnn" else [H, F])
    assert out["auto widths"] == ([D, H] if name == "gnn" else [D, F])
    assert torch.allclose(out["auto"], out["transform_first"], atol=1e-5)


def test_the_model_builder_sets_the_order_and_old_records_keep_transform_first() -> None:
    """``RunConfig.propagation_order`` reaches every GCN decoder layer; a config saved
    before the field existed rebuilds with the order it ran with."""
    from graphae.config import RunConfig
    from graphae.models.build import build_model

    def orders(config: RunConfig) -> set[str]:
        model = build_model(config, F, N)
        return {m.propagation_order for m in model.modules() if hasattr(m, "propagation_order")}

    base = RunConfig(dataset="Cora", decoder="gnn", feature_decoder="mirror")
    assert orders(base) == {"auto"}
    assert orders(base.replace(propagation_order="transform_first")) == {"transform_first"}
    saved = base.to_dict()
    del saved["propagation_order"]
    old = RunConfig.from_record(saved)
    assert old.propagation_order == "transform_first" and orders(old) == {"transform_first"}
    assert base.identity() == old.replace(propagation_order="auto").identity()
    assert "propagation_order" not in base.identity()  # run ids of earlier runs stay valid

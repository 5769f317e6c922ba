"""The Refined GAE recipe parts: target-edge masking, gradient clipping, linear lr
decay, residual encoder / MLP decoder, and their wiring into ``fit``."""

from __future__ import annotations

import math

import pytest
import torch
from test_train import quick, two_communities
from torch import nn

from graphae.config import LATER_FIELDS, RunConfig
from graphae.errors import GraphaeError
from graphae.models import GraphAutoEncoder
from graphae.nn.decoders import MLPDecoder, build_decoder
from graphae.nn.encoders import build_encoder
from graphae.pipeline import fit
from graphae.training.schedules import lr_factor
from graphae.training.steps import TargetEdgeMask, clip_gradients, clip_groups
from graphae.training.strategies import LatentStrategy, PlainStrategy

# ------------------------------------------------------------------ target mask


def _undirected(pairs: list[tuple[int, int]]) -> torch.Tensor:
    ei = torch.tensor(pairs).t()
    return torch.cat([ei, ei.flip(0)], 1)


def test_target_mask_removes_exactly_the_batch_pairs_in_both_directions() -> None:
    # 5 nodes; (1, 2) appears twice (a repeated edge): both copies go
    ei = _undirected([(0, 1), (1, 2), (2, 3), (3, 4), (0, 4), (1, 2)])
    w = torch.arange(ei.size(1), dtype=torch.float32)
    mask = TargetEdgeMask(ei, w, 5, directed=False)
    kept, kw = mask(torch.tensor([[2, 4], [1, 0]]))  # (2, 1) and (4, 0), either order
    got = sorted(map(tuple, kept.t().tolist()))
    assert got == [(0, 1), (1, 0), (2, 3), (3, 2), (3, 4), (4, 3)]
    assert sorted(kw.tolist()) == [0.0, 2.0, 3.0, 6.0, 8.0, 9.0]
    # pairs that are not edges remove nothing; an empty batch removes nothing
    same, _ = mask(torch.tensor([[0], [2]]))
    assert torch.equal(same, ei)
    assert torch.equal(mask(torch.zeros(2, 0, dtype=torch.long))[0], ei)
    # the fixed graph itself is untouched
    assert ei.size(1) == 12


def test_target_mask_directed_keeps_the_reverse_edge() -> None:
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 0]])
    mask = TargetEdgeMask(ei, None, 3, directed=True)
    kept, kw = mask(torch.tensor([[0], [1]]))
    assert kept.tolist() == [[1, 1, 2], [0, 2, 0]] and kw is None


def test_fit_masks_each_batch_from_the_encoder_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []
    loss = GraphAutoEncoder.loss

    def spy(self, x, edge_index, edge_weight, pos, neg, pos_target=None):  # type: ignore[no-untyped-def]
        if self.training:
            seen.append((edge_index.clone(), pos.clone()))
        return loss(self, x, edge_index, edge_weight, pos, neg, pos_target)

    monkeypatch.setattr(GraphAutoEncoder, "loss", spy)
    g = two_communities()
    run = fit(quick(epochs=2, batch_size=16, mask_target_edges=True), graph=g)
    mp = run.split.mp_edge_index
    n = g.num_nodes
    full = set(map(tuple, mp.t().tolist()))
    assert len(seen) == 2 * math.ceil(run.split.train_pos.size(1) / 16)
    for ei, pos in seen:
        batch = {(u, v) for u, v in pos.t().tolist()} | {(v, u) for u, v in pos.t().tolist()}
        assert set(map(tuple, ei.t().tolist())) == full - batch
        assert ei.size(1) == mp.size(1) - 2 * pos.size(1)  # no multi-edges here
    assert n == 20
    # off (the default): every step sees the whole message-passing graph
    seen.clear()
    fit(quick(epochs=1, batch_size=16), graph=g)
    assert all(torch.equal(ei, mp) for ei, _ in seen)


def test_mask_target_edges_rules() -> None:
    with pytest.raises(GraphaeError, match="mask_target_edges"):
        quick(mask_target_edges=True, edge_mask=0.5)
    with pytest.raises(GraphaeError, match="mask_target_edges"):
        quick(mask_target_edges=True, loss="dense")


# ------------------------------------------------------------------- clipping


def test_clip_gradients_bounds_the_total_norm() -> None:
    a = nn.Parameter(torch.zeros(2))
    b = nn.Parameter(torch.zeros(1))
    a.grad, b.grad = torch.tensor([3.0, 0.0]), torch.tensor([4.0])
    assert clip_gradients([a, b], 1.0) == pytest.approx(5.0)
    assert a.grad.tolist() == pytest.approx([0.6, 0.0], abs=1e-6)
    assert b.grad.tolist() == pytest.approx([0.8], abs=1e-6)
    # below the bound: untouched
    a.grad = torch.tensor([0.3, 0.4])
    assert clip_gradients([a], 1.0) == pytest.approx(0.5)
    assert a.grad.tolist() == pytest.approx([0.3, 0.4])
    with pytest.raises(GraphaeError, match="grad_clip"):
        clip_gradients([a], 0.0)


def test_clip_gradients_coalesces_sparse_gradients() -> None:
    emb = nn.Embedding(4, 2, sparse=True)
    nn.init.ones_(emb.weight)
    # row 1 looked up twice: its gradient is 2 * (1, 1) once coalesced
    emb(torch.tensor([1, 1, 3])).sum().backward()
    assert emb.weight.grad.is_sparse
    norm = clip_gradients([emb.weight], 1.0)
    assert norm == pytest.approx(math.sqrt(4 + 4 + 1 + 1))
    dense = emb.weight.grad.to_dense()
    assert float(dense.norm()) == pytest.approx(1.0, abs=1e-5)
    assert dense[1].tolist() == pytest.approx([2 / math.sqrt(10)] * 2, abs=1e-6)
    assert dense[0].tolist() == [0.0, 0.0]


def test_clip_groups_by_part() -> None:
    enc = build_encoder(
        "gcn",
        {"learnable_input": True},
        in_channels=0,
        hidden_channels=4,
        out_channels=4,
        num_layers=2,
        num_nodes=5,
    )
    dec = build_decoder("mlp", {"depth": 1, "width": 4}, in_channels=4)
    model = GraphAutoEncoder(enc, dec)
    (codes, encoder, decoder) = clip_groups(model, "parts")
    assert [tuple(p.shape) for p in codes] == [(5, 4)]
    assert {id(p) for p in encoder} == {id(p) for p in enc.inner.parameters()}
    assert {id(p) for p in decoder} == {id(p) for p in dec.parameters()}
    (everything,) = clip_groups(model, "global")
    assert len(everything) == len(codes) + len(encoder) + len(decoder)
    with pytest.raises(GraphaeError, match="global or parts"):
        clip_groups(model, "layer")


@pytest.mark.parametrize("scope", ["global", "parts"])
def test_fit_clips_before_every_step(monkeypatch: pytest.MonkeyPatch, scope: str) -> None:
    norms: list[list[float]] = []
    step = LatentStrategy.step

    def spy(self) -> dict[str, float]:  # type: ignore[no-untyped-def]
        groups = clip_groups(self.model, scope)
        norms.append(
            [
                float(torch.stack([p.grad.norm() for p in g if p.grad is not None]).norm())
                for g in groups
            ]
        )
        return step(self)

    monkeypatch.setattr(LatentStrategy, "step", spy)
    cfg = quick(
        epochs=3,
        lr=0.05,
        encoder_options={"learnable_input": True},
        decoder="mlp",
        batch_size=16,
        grad_clip=1e-3,
        grad_clip_scope=scope,
    )
    fit(cfg, graph=two_communities())
    assert norms and all(n <= 1e-3 * (1 + 1e-4) for row in norms for n in row)
    assert all(len(row) == (3 if scope == "parts" else 1) for row in norms)


def test_fit_clips_sparse_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    norms: list[float] = []
    step = LatentStrategy.step

    def spy(self) -> dict[str, float]:  # type: ignore[no-untyped-def]
        grads = [p.grad for p in self.model.main_parameters() if p.grad is not None]
        norms.append(
            float(
                torch.stack(
                    [g.coalesce().values().norm() if g.is_sparse else g.norm() for g in grads]
                ).norm()
            )
        )
        return step(self)

    monkeypatch.setattr(LatentStrategy, "step", spy)
    fit(
        quick(encoder="embedding", decoder="mlp", epochs=2, grad_clip=0.01), graph=two_communities()
    )
    assert norms and max(norms) <= 0.01 * (1 + 1e-4)


# ---------------------------------------------------------------- lr schedule


def test_linear_lr_factor_is_refined_gae_adjustlr() -> None:
    # their loop: after 0-based epoch e with e % every == 0, lr = base * max(1 - e/E, 1e-4)
    def theirs(epochs: int, every: int) -> list[float]:
        lr, out = 1.0, []
        for e in range(epochs):
            out.append(lr)
            if e % every == 0:
                lr = max(1 - e / epochs, 1e-4)
        return out

    for epochs, every in ((500, 100), (10, 1), (7, 3), (3, 1)):
        mine = [lr_factor("linear", t, epochs, every) for t in range(1, epochs + 1)]
        assert mine == pytest.approx(theirs(epochs, every))
    assert lr_factor("linear", 102, 500, 100) == pytest.approx(0.8)
    assert lr_factor("linear", 101, 500, 100) == 1.0
    assert lr_factor("linear", 500, 500, 100) == pytest.approx(0.2)
    assert [lr_factor("linear", t, 4) for t in (1, 2, 3, 4)] == pytest.approx([1, 1, 0.75, 0.5])
    assert lr_factor("linear", 10**6, 2) == 1e-4  # the floor


def test_linear_schedule_is_what_adam_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []
    step = PlainStrategy.step

    def spy(self) -> dict[str, float]:  # type: ignore[no-untyped-def]
        seen.append(self.optimizer.param_groups[0]["lr"])
        return step(self)

    monkeypatch.setattr(PlainStrategy, "step", spy)
    fit(quick(epochs=6, lr=0.02, lr_schedule="linear", lr_decay_every=2), graph=two_communities())
    # every=2 over 6 epochs: updates after epochs 1, 3, 5 (0-based 0, 2, 4)
    assert seen == pytest.approx(
        [0.02, 0.02, 0.02, 0.02 * (1 - 2 / 6), 0.02 * (1 - 2 / 6), 0.02 * (1 - 4 / 6)]
    )
    with pytest.raises(GraphaeError, match="lr_decay_every"):
        quick(lr_decay_every=5)  # only the linear schedule has steps
    with pytest.raises(GraphaeError, match="lr_decay_every"):
        quick(lr_schedule="linear", lr_decay_every=0)


# ----------------------------------------------------------- residual encoder


def test_gcn_residual_adds_the_input_to_every_layer() -> None:
    ei = _undirected([(0, 1), (1, 2)])
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    kw = dict(in_channels=2, hidden_channels=2, out_channels=2, num_layers=2)
    plain = build_encoder("gcn", {"activation": "identity"}, **kw)
    res = build_encoder("gcn", {"activation": "identity", "residual": 0.1}, **kw)
    res.load_state_dict(plain.state_dict())
    a = plain.cache.get(ei, 3)
    w1, w2 = (lin.weight.t() for lin in plain.lins)
    b1, b2 = plain.biases
    h1 = a(x @ w1) + b1 + 0.1 * x
    want = a(h1 @ w2) + b2 + 0.1 * x
    layers = res.forward_layers(x, ei)
    assert torch.allclose(layers[0], h1, atol=1e-6)
    assert torch.allclose(layers[1], want, atol=1e-6)
    # linear propagation: with identity activation the plain stack is linear in x
    assert torch.allclose(
        plain(2 * x, ei) - plain(x, ei), plain(x, ei) - plain(0 * x, ei), atol=1e-6
    )
    none = build_encoder("gcn", {"activation": "none"}, **kw)
    none.load_state_dict(plain.state_dict())
    assert torch.equal(none(x, ei), plain(x, ei))


def test_residual_needs_equal_widths() -> None:
    with pytest.raises(GraphaeError, match="residual"):
        build_encoder("gcn", {"residual": 0.1}, in_channels=3, hidden_channels=4, out_channels=4)
    for name in ("sage", "gin", "gat", "mlp"):
        enc = build_encoder(
            name, {"residual": 0.5}, in_channels=4, hidden_channels=4, out_channels=4
        )
        assert enc.residual == 0.5


def test_residual_over_learnable_codes() -> None:
    enc = build_encoder(
        "gcn",
        {"learnable_input": True, "residual": 0.1, "activation": "identity"},
        in_channels=0,
        hidden_channels=4,
        out_channels=4,
        num_layers=1,
        num_nodes=3,
    )
    ei = _undirected([(0, 1)])
    t = enc.input_table()
    inner = enc.inner
    want = inner.cache.get(ei, 3)(inner.lins[0](t)) + inner.biases[0] + 0.1 * t
    assert torch.allclose(enc(torch.zeros(3, 0), ei), want, atol=1e-6)


# ------------------------------------------------------- residual MLP decoder


def test_residual_mlp_decoder_exact() -> None:
    torch.manual_seed(0)
    dec = MLPDecoder(2, width=2, depth=2, residual=True)
    z = torch.tensor([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]])
    pairs = torch.tensor([[0, 1], [1, 2]])
    h0 = z[pairs[0]] * z[pairs[1]]
    l1, l2, out = dec.lins
    h = torch.relu(l1(h0) + h0)
    h = torch.relu(l2(h) + h0)
    assert torch.allclose(dec(z, pairs), out(h).squeeze(-1), atol=1e-6)
    with pytest.raises(GraphaeError, match="width"):
        MLPDecoder(2, width=3, depth=1, residual=True)


def test_mlp_dropout_at_hidden_outputs() -> None:
    z = torch.ones(2, 4)
    pairs = torch.tensor([[0], [1]])
    for at, hidden_dropped, input_dropped in (("hidden", True, False), ("input", False, True)):
        dec = MLPDecoder(4, width=4, depth=1, dropout=0.999999, dropout_at=at)
        dec.train()
        lin, out = dec.lins
        torch.manual_seed(1)
        got = dec(z, pairs)
        # with p ~ 1 every dropped tensor is all zeros
        want_in = torch.zeros(1, 4) if input_dropped else torch.ones(1, 4)
        h = torch.relu(lin(want_in))
        h = torch.zeros_like(h) if hidden_dropped else h
        assert torch.allclose(got, out(h).squeeze(-1), atol=1e-5)
    dec.eval()
    assert torch.isfinite(dec(z, pairs)).all()
    with pytest.raises(GraphaeError, match="dropout_at"):
        MLPDecoder(4, dropout_at="output")


# --------------------------------------------------------------- run identity


def test_new_fields_leave_old_run_ids_alone() -> None:
    old = quick()
    assert not set(LATER_FIELDS) - {"lr_schedule"} & set(old.identity())
    new = quick(mask_target_edges=True, grad_clip=1.0, lr_schedule="linear", lr_decay_every=2)
    ident = new.identity()
    assert ident["mask_target_edges"] is True and ident["grad_clip"] == 1.0
    assert ident["lr_decay_every"] == 2
    assert RunConfig.from_dict(new.to_dict()) == new


# -------------------------------------------------------------- CLI and specs


def test_cli_flags_reach_the_run(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from clihelp import RING, run_cli

    (tmp_path / "ring.csv").write_text(RING)
    args = ["train", "--graph", tmp_path / "ring.csv", "--out", tmp_path / "run", "--epochs", 3]
    args += ["--batch-size", 8, "--mask-target-edges", "--grad-clip", 0.5]
    args += ["--grad-clip-scope", "parts", "--lr-schedule", "linear", "--lr-decay-every", 2]
    code, _, err = run_cli([*args, "--device", "cpu", "--no-progress"], capsys)
    assert code == 0, err
    cfg = json.loads((tmp_path / "run/config.json").read_text())
    assert cfg["mask_target_edges"] is True and cfg["grad_clip"] == 0.5
    assert cfg["grad_clip_scope"] == "parts" and cfg["lr_decay_every"] == 2
    code, _, err = run_cli(
        ["train", "--graph", tmp_path / "ring.csv", "--out", tmp_path / "r2", "--grad-clip", -1],
        capsys,
    )
    assert code == 2 and "--grad-clip" in err and "Traceback" not in err


def test_sweep_specs_take_hybrid_and_recipe_options() -> None:
    from graphae.bench.spec import parse_spec

    spec = parse_spec(
        {
            "datasets": ["Cora"],
            "encoders": [
                {
                    "name": "gcn",
                    "label": "gcn-codes",
                    "options": {"learnable_input": True, "activation": "identity", "residual": 0.1},
                }
            ],
            "decoders": [
                {"name": "mlp", "options": {"depth": 2, "width": 16, "residual": True}},
            ],
            "train": {"mask_target_edges": True, "grad_clip": 1.0, "lr_schedule": "linear"},
            "baselines": [],
        }
    )
    (run,) = spec.runs()
    assert run.config.encoder_options["residual"] == 0.1 and run.config.mask_target_edges
    with pytest.raises(GraphaeError, match="valid options"):
        parse_spec({"datasets": ["Cora"], "encoders": [{"name": "gcn", "options": {"x": 1}}],
                    "decoders": ["inner_product"]})  # fmt: skip


def test_mlp_decoder_layer_norm_after_the_residual() -> None:
    torch.manual_seed(0)
    dec = MLPDecoder(3, width=3, depth=1, residual=True, norm="layer")
    z = torch.randn(4, 3)
    pairs = torch.tensor([[0, 1], [2, 3]])
    h0 = z[pairs[0]] * z[pairs[1]]
    lin, out = dec.lins
    h = torch.relu(nn.functional.layer_norm(lin(h0) + h0, (3,)))  # LayerNorm starts at 1, 0
    assert torch.allclose(dec(z, pairs), out(h).squeeze(-1), atol=1e-6)
    assert dec.num_parameters() == (9 + 3) + (3 + 1) + 2 * 3
    assert "norms.0.weight" not in MLPDecoder(3, width=3).state_dict()  # default: no norm

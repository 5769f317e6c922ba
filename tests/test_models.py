"""GraphAutoEncoder: composition from configs, the variants (VGAE, ARGA, MaskGAE,
GraphMAE, denoising, dense loss) and their integration with ``fit``."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch_geometric.data import Data

from graphae.config import RunConfig
from graphae.data.graph import Graph, NodeIndex
from graphae.data.split import random_link_split
from graphae.errors import GraphaeError
from graphae.models import GraphAutoEncoder, build_model
from graphae.models.losses import dense_bce, dense_target, kl_divergence, pair_bce
from graphae.models.variants import EdgeMask, FeatureMask, StructureReconstruction
from graphae.nn.decoders import InnerProductDecoder
from graphae.nn.encoders import GCNEncoder, build_encoder
from graphae.pipeline import fit
from graphae.training.strategies import PlainStrategy

pytestmark = pytest.mark.usefixtures("one_thread")


def blocks(n: int = 10, f: int = 6, seed: int = 0) -> Graph:
    """Two dense blocks of ``n`` nodes joined by one edge; labels = block."""
    g = torch.Generator().manual_seed(seed)
    edges = [
        (b * n + i, b * n + j)
        for b in range(2)
        for i in range(n)
        for j in range(i + 1, n)
        if torch.rand(1, generator=g).item() < 0.7
    ]
    edges.append((0, n))
    ei = torch.tensor(edges).t()
    ei = torch.cat([ei, ei.flip(0)], 1)
    y = torch.arange(2 * n) // n
    x = torch.randn(2 * n, f, generator=g) + y[:, None].float()
    return Graph(
        Data(x=x, edge_index=ei, y=y, num_nodes=2 * n), NodeIndex.range(2 * n), name="blocks"
    )


def config(**kw: object) -> RunConfig:
    base = {
        "dataset": "blocks",
        "hidden_channels": 8,
        "out_channels": 4,
        "epochs": 20,
        "val_ratio": 0.1,
        "test_ratio": 0.2,
        "patience": 0,
        "device": "cpu",  # exact values below are CPU arithmetic (tests/test_gpu.py covers CUDA)
    }
    base.update(kw)
    return RunConfig(**base)  # type: ignore[arg-type]


# ------------------------------------------------------------------ composition


def test_build_model_kinds_and_parameter_counts() -> None:
    m = build_model(
        config(
            decoder="mlp",
            feature_decoder="mirror",
            adversarial=True,
            feature_mask=0.5,
            degree_weight=0.1,
        ),
        6,
        20,
    )
    assert m.decoder is not None and m.feature_decoder is not None
    counts = m.parameter_counts()
    parts = ("structure_decoder", "feature_decoder", "degree_decoder", "remask")
    assert counts["decoder"] == sum(counts[k] for k in parts)
    assert counts["structure_decoder"] == m.decoder.num_parameters()
    assert counts["mask_token"] == 6 and counts["discriminator"] > 0
    disc = {id(p) for p in m.discriminator.parameters()}
    assert not disc & {id(p) for p in m.main_parameters()}
    assert len(m.main_parameters()) + len(disc) == len(list(m.parameters()))

    feat_only = build_model(config(decoder="tied"), 6, 20)
    assert feat_only.decoder is None and feat_only.parameter_counts()["decoder"] == 0
    none_plus = build_model(config(decoder="none", feature_decoder="linear"), 6, 20)
    assert none_plus.decoder is None and none_plus.parameter_counts()["decoder"] == 4 * 6 + 6


def test_config_rejects_wrong_decoder_kinds_and_values() -> None:
    with pytest.raises(GraphaeError, match="is a structure decoder"):
        config(feature_decoder="mlp")
    with pytest.raises(GraphaeError, match="already a feature decoder"):
        config(decoder="mirror", feature_decoder="linear")
    with pytest.raises(GraphaeError, match="needs a decoder"):
        config(decoder="none")
    with pytest.raises(GraphaeError, match="edge_mask"):
        config(edge_mask=1.0)
    with pytest.raises(GraphaeError, match="select"):
        config(select="best")
    with pytest.raises(GraphaeError, match="unknown variant options"):
        build_model(config(variant_options={"disc_lr": 0.1}), 6, 20)


def test_state_dict_round_trips_through_a_rebuilt_model() -> None:
    cfg = config(
        encoder="gat",
        decoder="bilinear",
        feature_decoder="pinv",
        variational=True,
        adversarial=True,
        feature_mask=0.3,
        degree_weight=0.1,
        encoder_options={"heads": 2},
    )
    a, b = build_model(cfg, 6, 20), build_model(cfg, 6, 20)
    b.load_state_dict(a.state_dict())
    g = blocks()
    with torch.no_grad():
        assert torch.equal(
            a.eval().encode(g.data.x, g.data.edge_index),
            b.eval().encode(g.data.x, g.data.edge_index),
        )


def test_score_falls_back_to_inner_product_without_structure_decoder() -> None:
    m = build_model(config(decoder="linear"), 6, 20)
    z = torch.randn(20, 4)
    pairs = torch.tensor([[0, 1], [2, 3]])
    assert not m.has_structure_decoder
    assert torch.equal(m.score(z, pairs), InnerProductDecoder()(z, pairs))


# ------------------------------------------------------------------ the variants


def test_vgae_kl_weighted_once_by_n() -> None:
    """Total = structure + (1/N)·mean_i KL_i = structure + Σ_ik KL_ik / N² (eval: z = μ)."""
    torch.manual_seed(0)
    g = blocks()
    n = g.num_nodes
    model = build_model(config(variational=True), 6, n).eval()
    pos, neg = g.data.edge_index[:, :10], torch.tensor([[0, 1, 2], [12, 13, 14]])
    loss, parts = model.loss(g.data.x, g.data.edge_index, None, pos, neg)
    with torch.no_grad():
        mu, logstd = model.encoder.stats(g.data.x, g.data.edge_index)
    kl_sum = float((-0.5 * (1 + 2 * logstd - mu**2 - logstd.exp() ** 2)).sum())
    assert math.isclose(parts["kl"], kl_sum / n, rel_tol=1e-5)
    assert math.isclose(float(kl_divergence(mu, logstd)), parts["kl"], rel_tol=1e-6)
    rec = float(pair_bce(model.score(mu, pos), model.score(mu, neg)).detach())
    assert math.isclose(parts["structure"], rec, rel_tol=1e-5)
    assert math.isclose(float(loss.detach()), rec + kl_sum / n**2, rel_tol=1e-5)
    weighted = build_model(config(variational=True, kl_weight=0.25), 6, n).eval()
    weighted.load_state_dict(model.state_dict())
    loss2, _ = weighted.loss(g.data.x, g.data.edge_index, None, pos, neg)
    assert math.isclose(float(loss2.detach()), rec + 0.25 * kl_sum / n, rel_tol=1e-5)


def test_vgae_samples_in_training_only() -> None:
    torch.manual_seed(0)
    g = blocks()
    model = build_model(config(variational=True), 6, 20)
    pos, neg = g.data.edge_index[:, :10], torch.tensor([[0], [12]])
    a = model.train().loss(g.data.x, g.data.edge_index, None, pos, neg)[0]
    b = model.train().loss(g.data.x, g.data.edge_index, None, pos, neg)[0]
    c = model.eval().loss(g.data.x, g.data.edge_index, None, pos, neg)[0]
    d = model.eval().loss(g.data.x, g.data.edge_index, None, pos, neg)[0]
    assert not torch.equal(a, b) and torch.equal(c, d)


def test_dense_loss_is_kipf_loss_on_the_training_graph() -> None:
    torch.manual_seed(0)
    g = blocks()
    model = build_model(config(loss="dense"), 6, 20).eval()
    ei = g.data.edge_index
    loss, _ = model.loss(g.data.x, ei, None, ei[:, :3], ei[:, :3])
    z = model.encode(g.data.x, ei)
    want = dense_bce(z @ z.t(), dense_target(ei, 20))
    assert math.isclose(float(loss.detach()), float(want.detach()), rel_tol=1e-6)


def test_dense_loss_refuses_large_graphs() -> None:
    n = 20_001
    model = GraphAutoEncoder(
        GCNEncoder(2, 4, 2, 1), InnerProductDecoder(), terms=[StructureReconstruction(loss="dense")]
    )
    ei = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(GraphaeError, match="at most 20,000 nodes"):
        model.loss(torch.zeros(n, 2), ei, None, ei, ei)


def test_edge_masking_hides_both_directions_of_masked_pairs() -> None:
    torch.manual_seed(0)
    g = blocks()
    model = build_model(config(edge_mask=0.5), 6, 20)
    (mask,) = model.corruptions
    assert isinstance(mask, EdgeMask) and mask.ratio == 0.5
    ei = g.data.edge_index
    kept, _, masked = mask.mask(ei, None, 20)
    assert (masked[0] < masked[1]).all()
    pairs = {(int(u), int(v)) for u, v in masked.t()}
    kept_set = {(int(u), int(v)) for u, v in kept.t()}
    assert not any((u, v) in kept_set or (v, u) in kept_set for u, v in pairs)
    assert kept.size(1) + 2 * masked.size(1) == ei.size(1)
    assert 0 < masked.size(1) < ei.size(1) // 2


def test_feature_masking_uses_the_token() -> None:
    torch.manual_seed(0)
    g = blocks()
    model = build_model(config(decoder="mirror", feature_mask=0.5, feature_loss="sce"), 6, 20)
    with torch.no_grad():
        model.mask_token.fill_(7.0)
    (mask,) = model.corruptions
    assert isinstance(mask, FeatureMask) and mask.mask_token is model.mask_token
    x_in, nodes = mask.mask(g.data.x)
    assert nodes.numel() == 10
    assert (x_in[nodes] == 7.0).all()
    rest = torch.ones(20, dtype=torch.bool)
    rest[nodes] = False
    assert torch.equal(x_in[rest], g.data.x[rest])


VARIANTS = {
    "gae": {},
    "vgae": {"variational": True},
    "arga": {"adversarial": True},
    "maskgae": {"edge_mask": 0.5, "decoder": "mlp", "degree_weight": 0.01},
    "graphmae": {
        "feature_mask": 0.5,
        "decoder": "mirror",
        "feature_loss": "sce",
        "sce_gamma": 2.0,
        "variant_options": {"replace_rate": 0.1},
    },
    "denoise": {"feature_noise": 0.3, "edge_dropout": 0.2},
    "dense": {"loss": "dense"},
    "joint": {"feature_decoder": "linear", "feature_weight": 0.5},
    "tied": {"decoder": "tied"},
    "pinv": {"decoder": "pinv"},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_variant_trains_and_its_loss_decreases(variant: str) -> None:
    torch.manual_seed(0)
    g = blocks()
    split = random_link_split(g.data.edge_index, 20, val_ratio=0.1, test_ratio=0.1, seed=0)
    model = build_model(config(**VARIANTS[variant]), 6, 20)
    opt = PlainStrategy(model, lr=0.01)  # Adam over main_parameters(), + the discriminator's
    neg = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]])
    recon = []
    for _ in range(40):
        opt.zero_grad()
        loss, parts = model.train().loss(g.data.x, split.mp_edge_index, None, split.train_pos, neg)
        loss.backward()
        parts.update(opt.step())
        recon.append(parts.get("structure", 0.0) + parts.get("feature", 0.0))
        if variant == "arga":
            assert "discriminator" in parts and "generator" in parts
    assert sum(recon[-5:]) < sum(recon[:5])


def test_arga_adversary_update_trains_only_the_discriminator() -> None:
    torch.manual_seed(0)
    g = blocks()
    model = build_model(config(adversarial=True), 6, 20)
    (adversary,) = model.adversaries().values()
    disc_opt = torch.optim.Adam(adversary.parameters(), lr=adversary.lr)
    before_enc = [p.detach().clone() for p in model.encoder.parameters()]
    before_disc = [p.detach().clone() for p in model.discriminator.parameters()]
    assert adversary.update(disc_opt) == {}  # nothing to do before a loss call
    model.loss(
        g.data.x, g.data.edge_index, None, g.data.edge_index[:, :4], g.data.edge_index[:, :4]
    )
    logs = adversary.update(disc_opt)
    assert "discriminator" in logs
    assert all(
        torch.equal(a, b) for a, b in zip(before_enc, model.encoder.parameters(), strict=True)
    )
    assert not all(
        torch.equal(a, b)
        for a, b in zip(before_disc, model.discriminator.parameters(), strict=True)
    )


# ------------------------------------------------------------------ the protocol


@pytest.mark.parametrize(
    "kw",
    [{}, {"adversarial": True}, {"decoder": "tied"}, {"objective": "dgi"}, {"objective": "bgrl"}],
)
def test_every_model_implements_the_protocol(kw: dict[str, object]) -> None:
    from graphae.models import GraphModel

    model = build_model(config(**kw), 6, 20)
    assert isinstance(model, GraphModel)
    adversaries = model.adversaries()
    assert set(adversaries) == ({"_disc_opt"} if kw.get("adversarial") else set())
    main = {id(p) for p in model.main_parameters()}
    for adversary in adversaries.values():
        assert not main & {id(p) for p in adversary.parameters()}
    if kw.get("objective") != "bgrl":
        assert model.post_step() == {}
    if "objective" in kw:
        assert not model.pair_local
        with pytest.raises(GraphaeError, match="no structure loss"):
            model.pair_loss(torch.randn(20, 4), torch.tensor([[0], [1]]), torch.tensor([[0], [2]]))


def test_the_strategy_owns_and_saves_the_discriminator_optimiser() -> None:
    torch.manual_seed(0)
    g = blocks()
    model = build_model(config(adversarial=True), 6, 20)
    strategy = PlainStrategy(model, lr=0.01)
    (adversary, disc_opt) = strategy.adversaries["_disc_opt"]
    assert adversary is model.adversaries()["_disc_opt"]
    assert disc_opt not in strategy.all_optimizers()
    strategy.scale_lr(0.5)  # the schedule scales the main optimiser only
    assert disc_opt.param_groups[0]["lr"] == 0.001
    assert strategy.optimizer.param_groups[0]["lr"] == 0.005
    args = (g.data.x, g.data.edge_index, None, g.data.edge_index[:, :6], g.data.edge_index[:, 6:9])

    def step(strat: PlainStrategy, m: GraphAutoEncoder) -> dict[str, float]:
        strat.zero_grad()
        loss, named = m.train().loss(*args)
        loss.backward()
        named.update(strat.step())
        return named

    assert "discriminator" in step(strategy, model)
    saved = strategy.extra_state_dict()
    assert set(saved) == {"_disc_opt"} and saved["_disc_opt"]["state"]
    # a rebuilt model and strategy resume from the saved states and step identically
    clone = build_model(config(adversarial=True), 6, 20)
    clone.load_state_dict(model.state_dict())
    resumed = PlainStrategy(clone, lr=0.01)
    resumed.load_state_dict(copy.deepcopy(strategy.state_dict()))  # as if read from a file
    resumed.load_extra_state_dict(copy.deepcopy({**saved, "unknown": {}}))
    torch.manual_seed(5)
    a = step(strategy, model)
    torch.manual_seed(5)
    b = step(resumed, clone)
    assert a == b
    for x, y in zip(model.state_dict().values(), clone.state_dict().values(), strict=True):
        assert torch.equal(x, y)


# ------------------------------------------------------------------ with fit()


def test_fit_feature_only_reports_inner_product_link_metrics_under_their_own_key() -> None:
    run = fit(config(decoder="tied", epochs=15), graph=blocks())
    m = run.result.metrics
    assert "link/auc" not in m and "link_ip/auc" in m and "val/link_ip/auc" in m
    assert m["params/decoder"] == 0 and m["recon/loss"] == m["recon/feature_loss"]
    assert "probe/node_accuracy" in m


def test_fit_joint_model_reports_both_losses_and_history_parts() -> None:
    run = fit(
        config(
            decoder="inner_product",
            feature_decoder="mirror",
            feature_loss="sce",
            adversarial=True,
            epochs=10,
        ),
        graph=blocks(),
    )
    m = run.result.metrics
    assert {"link/auc", "recon/loss", "recon/feature_loss", "params/discriminator"} <= set(m)
    assert {"loss/structure", "loss/feature", "loss/generator", "loss/discriminator"} <= set(
        run.result.history[-1]
    )


@pytest.mark.parametrize("select", ["probe", "last"])
def test_fit_selection_modes(select: str) -> None:
    run = fit(config(select=select, epochs=12, eval_every=4), graph=blocks())
    if select == "last":
        assert run.result.best_epoch == 12
    else:
        assert "val/probe" in run.result.history[3]


def test_variational_encoder_is_built_for_every_encoder() -> None:
    for name in ("gcn", "sage", "gat", "gin", "linear", "mlp"):
        enc = build_encoder(
            name, variational=True, in_channels=6, hidden_channels=8, out_channels=4, num_layers=2
        )
        assert enc(blocks().data.x, blocks().data.edge_index).shape == (20, 4)


# ------------------------------------------------------------------ command line


def _cli(args: list[str]) -> int:
    import logging

    from graphae.cli import main

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        with pytest.raises(SystemExit) as info:
            main(args)
    finally:
        root.handlers[:], root.level = saved
    return int(info.value.code or 0)


def test_cli_variant_flags_end_to_end(tmp_path, capsys) -> None:
    import json

    ring = "".join(f"n{i},n{(i + 1) % 20}\n" for i in range(20)) + "".join(
        f"n{i},n{(i + 5) % 20}\n" for i in range(20)
    )
    (tmp_path / "ring.csv").write_text(ring)
    out = tmp_path / "run"
    code = _cli(
        [
            "train",
            "--graph",
            str(tmp_path / "ring.csv"),
            "--out",
            str(out),
            "--device",
            "cpu",
            "--no-progress",
            "--epochs",
            "3",
            "--decoder",
            "mirror",
            "--decoder-option",
            "layers=1",
            "--feature-mask",
            "0.3",
            "--feature-loss",
            "sce",
            "--sce-gamma",
            "3",
            "--variational",
            "--adversarial",
            "--edge-dropout",
            "0.1",
            "--variant-option",
            "replace_rate=0.1",
            "--weight-decay",
            "1e-4",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "link_ip/auc=" in capsys.readouterr().out
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["decoder"] == "mirror" and cfg["feature_mask"] == 0.3 and cfg["variational"]
    assert cfg["adversarial"] and cfg["variant_options"] == {"replace_rate": 0.1}
    metrics = json.loads((out / "result.json").read_text())["metrics"]
    assert "link_ip/auc" in metrics and "link/auc" not in metrics
    assert _cli(["embed", str(out), "--out", str(tmp_path / "emb.npy")]) == 0
    assert _cli(["ls", "decoders"]) == 0
    listing = capsys.readouterr().out
    assert "tied" in listing and "[feature]" in listing and "[structure]" in listing

"""The parts of a GraphAutoEncoder (graphae.models.variants): loss terms and corruptions,
how build_model assembles them, and a model assembled by hand from them."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from test_models import blocks, config

from graphae.errors import GraphaeError
from graphae.models import VARIANT_OPTIONS, GraphAutoEncoder, build_model
from graphae.models.build import CORRUPTIONS, PARTS, TERMS
from graphae.models.losses import kl_divergence, pair_bce
from graphae.models.variants import (
    Adversarial,
    DegreeRegression,
    EdgeDropout,
    EdgeMask,
    FeatureMask,
    FeatureNoise,
    FeatureReconstruction,
    KLDivergence,
    Step,
    StructureReconstruction,
    resolve_variant_options,
)
from graphae.nn.decoders import InnerProductDecoder, build_decoder
from graphae.nn.encoders import GCNEncoder, build_encoder

pytestmark = pytest.mark.usefixtures("one_thread")


EVERYTHING = {
    "variational": True,
    "kl_weight": 0.5,
    "decoder": "mlp",
    "feature_decoder": "mirror",
    "feature_loss": "sce",
    "sce_gamma": 3.0,
    "feature_weight": 0.7,
    "structure_weight": 0.9,
    "degree_weight": 0.1,
    "adversarial": True,
    "adversarial_weight": 0.3,
    "edge_mask": 0.4,
    "edge_dropout": 0.2,
    "feature_mask": 0.5,
    "feature_noise": 0.1,
    "variant_options": {"discriminator_steps": 2, "degree_hidden": 16, "replace_rate": 0.1},
}


def _step(g, pos=None) -> Step:
    ei = g.data.edge_index
    pos = ei[:, :6] if pos is None else pos
    neg = torch.tensor([[0, 1, 2], [12, 13, 14]])
    return Step(g.data.x, ei, g.data.x, ei, None, pos, neg)


# ------------------------------------------------------------------ assembly


def test_build_model_reads_each_variant_into_its_part_in_order() -> None:
    model = build_model(config(**EVERYTHING), 6, 20)
    assert [type(t) for t in model.terms] == list(TERMS)
    assert [type(c) for c in model.corruptions] == list(CORRUPTIONS)
    kl, structure, feature, degree, adversarial = model.terms
    assert kl.weight == 0.5 and structure.weight == 0.9 and structure.loss == "pairs"
    assert (feature.weight, feature.loss, feature.gamma) == (0.7, "sce", 3.0)
    assert degree.weight == 0.1 and degree.degree_decoder[0].out_features == 16
    assert adversarial.weight == 0.3 and adversarial.steps == 2 and adversarial.lr == 0.001
    mask, dropout, fmask, noise = model.corruptions
    assert (mask.ratio, dropout.ratio, fmask.ratio, noise.std) == (0.4, 0.2, 0.5, 0.1)
    assert fmask.replace_rate == 0.1 and fmask.remask is model.remask
    assert set(PARTS) == set(TERMS) | set(CORRUPTIONS)
    assert build_model(config(), 6, 20).corruptions == []
    assert [type(t) for t in build_model(config(), 6, 20).terms] == [StructureReconstruction]


def test_state_dict_keys_and_parameter_order_do_not_depend_on_the_assembly() -> None:
    """model.pt files and checkpoints: the parts' modules sit on the model under their names,
    and the main optimiser sees the parameters in the order of the code before the split."""
    model = build_model(config(**EVERYTHING), 6, 20)
    keys = list(model.state_dict())
    assert keys[0] == "mask_token"
    tops = list(dict.fromkeys(k.split(".")[0] for k in keys))
    assert tops == [
        "mask_token",
        "encoder",
        "decoder",
        "feature_decoder",
        "degree_decoder",
        "discriminator",
        "remask",
    ]
    main = model.main_parameters()
    assert main[0] is model.mask_token
    names = {id(p): n.split(".")[0] for n, p in model.named_parameters()}
    assert list(dict.fromkeys(names[id(p)] for p in main)) == [
        "mask_token",
        "encoder",
        "decoder",
        "feature_decoder",
        "degree_decoder",
        "remask",
    ]


def test_a_model_assembled_by_hand_equals_build_model() -> None:
    kw = {
        "decoder": "mlp",
        "feature_decoder": "linear",
        "feature_loss": "sce",
        "degree_weight": 0.1,
        "edge_dropout": 0.2,
        "feature_mask": 0.5,
        "adversarial": True,
    }
    cfg = config(**kw)
    built = build_model(cfg, 6, 20)
    enc = build_encoder(
        "gcn", in_channels=6, hidden_channels=8, out_channels=4, num_layers=cfg.num_layers
    )
    context = {"in_channels": 4, "hidden_channels": 8, "num_layers": cfg.num_layers}
    dec = build_decoder("mlp", {}, directed=False, encoder=enc, **context)
    fdec = build_decoder("linear", {}, out_channels=6, directed=False, encoder=enc, **context)
    hand = GraphAutoEncoder(
        enc,
        dec,
        fdec,
        terms=[
            StructureReconstruction(),
            FeatureReconstruction(loss="sce"),
            DegreeRegression(4, 0.1),
            Adversarial(4),
        ],
        corruptions=[EdgeDropout(0.2), FeatureMask(0.5, 6, projection_dim=4)],
    )
    hand.load_state_dict(built.state_dict())
    assert list(hand.state_dict()) == list(built.state_dict())
    g = blocks()
    args = (g.data.x, g.data.edge_index, None, g.data.edge_index[:, :8], g.data.edge_index[:, 8:16])
    torch.manual_seed(1)
    a, named_a = built.train().loss(*args)
    torch.manual_seed(1)
    b, named_b = hand.train().loss(*args)
    assert torch.equal(a, b) and named_a == named_b
    assert set(named_a) == {"structure", "feature", "degree", "generator"}
    assert hand.parameter_counts() == built.parameter_counts()


def test_default_terms_and_checks() -> None:
    enc = build_encoder("gcn", variational=True, in_channels=6, hidden_channels=8, out_channels=4)
    vgae = GraphAutoEncoder(enc, InnerProductDecoder())
    assert [type(t) for t in vgae.terms] == [KLDivergence, StructureReconstruction]
    plain = GraphAutoEncoder(GCNEncoder(6, 8, 4))
    assert plain.terms == [] and not plain.has_structure_decoder
    with pytest.raises(GraphaeError, match="needs a variational encoder"):
        GraphAutoEncoder(GCNEncoder(6, 8, 4), InnerProductDecoder(), terms=[KLDivergence()])
    with pytest.raises(GraphaeError, match="needs a feature decoder"):
        GraphAutoEncoder(GCNEncoder(6, 8, 4), terms=[FeatureReconstruction()])
    with pytest.raises(GraphaeError, match="needs a structure decoder"):
        GraphAutoEncoder(GCNEncoder(6, 8, 4), terms=[StructureReconstruction()])
    with pytest.raises(GraphaeError, match="called 'discriminator'"):
        GraphAutoEncoder(GCNEncoder(6, 8, 4), terms=[Adversarial(4), Adversarial(4)])
    with pytest.raises(GraphaeError, match="unknown loss"):
        StructureReconstruction(loss="sum")
    with pytest.raises(GraphaeError, match="unknown feature loss"):
        FeatureReconstruction(loss="l1")
    with pytest.raises(GraphaeError, match=r"edge_dropout must be in \[0, 1\)"):
        EdgeDropout(1.0)
    with pytest.raises(GraphaeError, match=r"feature_mask must be in \[0, 1\)"):
        FeatureMask(-0.1, 6)


def test_variant_options_are_the_parts_options() -> None:
    assert list(VARIANT_OPTIONS) == [
        "discriminator_hidden",
        "discriminator_lr",
        "discriminator_steps",
        "replace_rate",
        "remask_projection",
        "degree_hidden",
    ]
    assert VARIANT_OPTIONS == {
        **Adversarial.OPTIONS,
        **FeatureMask.OPTIONS,
        **DegreeRegression.OPTIONS,
    }
    assert resolve_variant_options({"replace_rate": 0.2})["replace_rate"] == 0.2
    with pytest.raises(GraphaeError, match="unknown variant options"):
        resolve_variant_options({"disc_lr": 0.1})


# ------------------------------------------------------------------ the terms


def test_kl_term_weight_is_one_over_n_by_default() -> None:
    g = blocks()
    step = _step(g)
    step.mu, step.logstd = torch.randn(20, 4), torch.randn(20, 4) * 0.1
    assert KLDivergence().weight_of(step) == 1 / 20
    assert KLDivergence(0.25).weight_of(step) == 0.25
    assert torch.equal(KLDivergence().value(None, None, step), kl_divergence(step.mu, step.logstd))  # type: ignore[arg-type]


def test_reconstruction_terms_of_weight_zero_are_left_out() -> None:
    torch.manual_seed(0)
    g = blocks()
    model = build_model(
        config(decoder="mlp", feature_decoder="linear", structure_weight=0.0), 6, 20
    )
    loss, named = model.loss(
        g.data.x, g.data.edge_index, None, g.data.edge_index[:, :4], _step(g).neg
    )
    assert set(named) == {"feature"}
    assert float(loss.detach()) == pytest.approx(named["feature"])
    z = torch.randn(20, 4)
    weighted, raw = model.pair_loss(z, g.data.edge_index[:, :4], _step(g).neg)  # still defined
    assert float(weighted.detach()) == 0.0 and float(raw.detach()) > 0


def test_pair_loss_is_the_weighted_structure_loss() -> None:
    model = build_model(config(structure_weight=0.5), 6, 20)
    z = torch.randn(20, 4)
    pos, neg = torch.tensor([[0, 1], [2, 3]]), torch.tensor([[4], [15]])
    weighted, raw = model.pair_loss(z, pos, neg)
    assert torch.equal(raw, pair_bce(model.score(z, pos), model.score(z, neg)))
    assert torch.equal(weighted, 0.5 * raw)


def test_degree_term_regresses_the_degree_among_the_positives() -> None:
    torch.manual_seed(0)
    term = DegreeRegression(4, 1.0, hidden=8)
    model = GraphAutoEncoder(GCNEncoder(6, 8, 4), terms=[term])
    assert model.degree_decoder is term.degree_decoder
    g = blocks()
    pos = torch.tensor([[0, 0, 1], [1, 2, 2]])
    step = _step(g, pos)
    z = torch.randn(20, 4)
    deg = torch.zeros(20)
    deg[:3] = 2.0
    want = F.mse_loss(term.degree_decoder(z).squeeze(-1), deg)
    assert torch.equal(term.value(model, z, step), want)


# ------------------------------------------------------------------ the corruptions


def test_edge_mask_replaces_the_positives_and_edge_dropout_keeps_them() -> None:
    torch.manual_seed(0)
    g = blocks()
    model = GraphAutoEncoder(GCNEncoder(6, 8, 4))
    step = _step(g)
    pos = step.pos
    EdgeDropout(0.5).corrupt(model, step)
    assert step.pos is pos and step.edge_index.size(1) < g.data.edge_index.size(1)
    assert step.graph is g.data.edge_index  # the dense loss's target stays the whole graph
    step = _step(g)
    EdgeMask(0.5).corrupt(model, step)
    kept = {tuple(e) for e in step.edge_index.t().tolist()}
    masked = {tuple(e) for e in step.pos.t().tolist()}
    assert masked and not masked & kept
    assert EdgeMask.replaces_positives and not EdgeDropout.replaces_positives


def test_feature_noise_and_feature_mask_rewrite_only_the_encoder_input() -> None:
    torch.manual_seed(0)
    g = blocks()
    mask, noise = FeatureMask(0.5, 6), FeatureNoise(0.1)
    model = GraphAutoEncoder(GCNEncoder(6, 8, 4), corruptions=[mask, noise])
    step = _step(g)
    mask.corrupt(model, step)
    assert step.mask_nodes is not None and step.mask_nodes.numel() == 10
    assert (step.x_in[step.mask_nodes] == 0).all()  # the token starts at zero
    masked_in = step.x_in
    noise.corrupt(model, step)
    assert step.x is g.data.x and not torch.equal(step.x_in, masked_in)
    assert (step.x_in - masked_in).abs().max() < 1.0


def test_feature_mask_re_masks_the_latent_in_a_step_only() -> None:
    torch.manual_seed(0)
    mask = FeatureMask(0.5, 6, projection_dim=4)
    model = GraphAutoEncoder(GCNEncoder(6, 8, 4), corruptions=[mask])
    assert model.remask is mask.remask
    z = torch.randn(20, 4)
    assert torch.equal(model.feature_input(z), mask.remask(z))
    step = _step(blocks())
    step.mask_nodes = torch.tensor([1, 5])
    h = model.feature_input(z, step)
    assert (h[[1, 5]] == 0).all() and torch.equal(h[0], mask.remask(z)[0])
    bare = GraphAutoEncoder(GCNEncoder(6, 8, 4), corruptions=[FeatureMask(0.5, 6)])
    assert torch.equal(bare.feature_input(z, step)[0], z[0])  # no projection


def test_corruptions_apply_in_training_only() -> None:
    g = blocks()
    model = build_model(config(edge_mask=0.5, feature_noise=0.5, edge_dropout=0.3), 6, 20).eval()
    args = (g.data.x, g.data.edge_index, None, g.data.edge_index[:, :4], _step(g).neg)
    state = torch.get_rng_state()
    a, _ = model.loss(*args)
    assert torch.equal(torch.get_rng_state(), state)  # no random draw in eval mode
    b, _ = model.loss(*args)
    assert torch.equal(a, b)


# ------------------------------------------------------------------ what strategies read


@pytest.mark.parametrize(
    ("kw", "local"),
    [
        ({}, True),
        ({"decoder": "mlp"}, True),
        ({"decoder": "gnn"}, False),
        ({"edge_mask": 0.3}, False),
        ({"edge_dropout": 0.3, "feature_noise": 0.1}, True),  # the encoder's input only
        ({"feature_decoder": "linear"}, False),
        ({"loss": "dense"}, False),
        ({"adversarial": True}, False),
        ({"degree_weight": 0.1}, False),
        ({"variational": True}, False),
        ({"decoder": "tied"}, False),
    ],
)
def test_pair_local(kw: dict[str, object], local: bool) -> None:
    assert build_model(config(**kw), 6, 20).pair_local is local

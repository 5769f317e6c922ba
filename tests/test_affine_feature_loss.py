"""The feature loss from a decoder's last linear map (``feature_loss_form="auto"``):
the same MSE / SCE as the dense reconstruction, without forming the ``(N, F)`` matrix."""

from __future__ import annotations

import pytest
import torch
from test_models import blocks, config

from graphae.config import RunConfig
from graphae.errors import GraphaeError
from graphae.models import build_model
from graphae.models.losses import affine_feature_loss, feature_loss
from graphae.models.variants import FeatureReconstruction
from graphae.nn.decoders import AffineOutput, FeatureDecoder, build_decoder
from graphae.nn.encoders import build_encoder

#: Wide enough features that the last decoder layer widens (F > c + 1).
F_WIDE = 24


pytestmark = pytest.mark.usefixtures("one_thread")


def _sparse_rows(m: int, f: int, seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(m, f, generator=g, dtype=dtype) * (torch.rand(m, f, generator=g) < 0.25)
    x[3] = 0.0  # an all-zero target row: cosine 0, error 1
    return x


@pytest.mark.parametrize("name", ["mse", "sce"])
@pytest.mark.parametrize("bias", [False, True])
def test_equals_the_dense_loss_and_its_gradients_in_float64(name: str, bias: bool) -> None:
    """Value and gradients agree with :func:`feature_loss` of ``g w + b`` to rounding,
    including an all-zero target row and an all-zero reconstructed row."""
    g0 = torch.Generator().manual_seed(1)
    m, c, f = 30, 5, 17
    g = torch.randn(m, c, generator=g0, dtype=torch.float64)
    g[7] = 0.0  # with no bias this row of x̂ is 0: its norm is clamped like F.normalize's
    g.requires_grad_(True)
    w = torch.randn(c, f, generator=g0, dtype=torch.float64, requires_grad=True)
    b = torch.randn(f, generator=g0, dtype=torch.float64, requires_grad=True) if bias else None
    x = _sparse_rows(m, f, seed=2)
    out = AffineOutput(g, w, b)
    ga, wa = out.augmented()
    assert ga.shape == (m, c + bias) and wa.shape == (c + bias, f)
    got = affine_feature_loss(name, ga, wa, x @ wa.t(), x.pow(2).sum(-1), gamma=3.0)
    want = feature_loss(name, out.dense(), x, gamma=3.0)
    params = [p for p in (g, w, b) if p is not None]
    grads_got = torch.autograd.grad(got, params)
    grads_want = torch.autograd.grad(want, params)
    assert got.item() == pytest.approx(want.item(), rel=1e-12)
    for a, e in zip(grads_got, grads_want, strict=True):
        assert torch.allclose(a, e, rtol=1e-10, atol=1e-14)


def test_unknown_loss_and_form_are_errors() -> None:
    z = torch.zeros(2, 3)
    with pytest.raises(GraphaeError, match="unknown feature loss 'l1'"):
        affine_feature_loss("l1", z, torch.zeros(3, 4), z, torch.zeros(2))
    with pytest.raises(GraphaeError, match="unknown feature loss form 'implicit'"):
        FeatureReconstruction(form="implicit")
    with pytest.raises(GraphaeError, match="feature_loss_form"):
        RunConfig(dataset="Cora", feature_loss_form="implicit")


def _encoder_decoder(name: str, f: int = F_WIDE):
    enc = build_encoder("gcn", in_channels=f, hidden_channels=8, out_channels=4, num_layers=2)
    dec = build_decoder(
        name, {}, in_channels=4, hidden_channels=8, out_channels=f, num_layers=2, encoder=enc
    )
    return enc, dec


@pytest.mark.parametrize("name", ["linear", "mirror", "tied", "pinv"])
def test_affine_output_is_the_decoders_own_output(name: str) -> None:
    """``g w + b`` of :meth:`affine_output` is what ``forward`` returns (auto order)."""
    torch.manual_seed(0)
    graph = blocks(f=F_WIDE)
    x, ei = graph.data.x, graph.data.edge_index
    enc, dec = _encoder_decoder(name)
    z = enc(x, ei)
    out = dec.affine_output(z, ei)
    assert isinstance(out, AffineOutput)
    assert out.w.shape == ((4 if name == "linear" else 8), F_WIDE)
    assert (out.b is not None) == (name in ("linear", "mirror"))
    assert torch.allclose(out.dense(), dec(z, ei), rtol=1e-5, atol=1e-6)


def test_a_decoder_without_a_last_linear_map_has_no_affine_output() -> None:
    class Squares(FeatureDecoder):
        def forward(self, z, edge_index, edge_weight=None):
            return z.pow(2)

    assert Squares().affine_output(torch.ones(2, 2), torch.zeros(2, 0, dtype=torch.long)) is None


def _losses(
    model, graph, *, dense_forbidden: bool, feature_mask: bool
) -> tuple[torch.Tensor, dict[str, float], list[torch.Tensor]]:
    x, ei = graph.data.x, graph.data.edge_index
    fdec = model.feature_decoder
    if dense_forbidden:

        def refuse(*args, **kwargs):
            raise AssertionError("the (N, F) reconstruction was formed")

        fdec.forward = refuse
    torch.manual_seed(3)
    model.zero_grad()
    total, named = model.train().loss(x, ei, None, ei[:, :10], ei[:, 10:20])
    total.backward()
    grads = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    if dense_forbidden:
        del fdec.forward
    assert ("feature" in named) and (feature_mask or named["feature"] > 0)
    return total, named, grads


@pytest.mark.parametrize("decoder", ["linear", "mirror", "tied", "pinv"])
@pytest.mark.parametrize("loss", ["mse", "sce"])
@pytest.mark.parametrize("feature_matmul", ["sparse", "dense"])
def test_auto_form_trains_on_the_same_loss_without_forming_the_reconstruction(
    decoder: str, loss: str, feature_matmul: str
) -> None:
    """A model step under ``auto`` never calls the decoder's ``forward`` and gives the
    ``dense`` form's loss and gradients (fp32 rounding), with and without feature
    masking (the loss on the masked rows only), through a CSR or dense ``x wᵀ``."""
    graph = blocks(f=F_WIDE)
    graph.data.x = graph.data.x.clamp_min(0.0) * (graph.data.x > 1.0)  # sparse, non-negative
    for mask in (0.0, 0.5):
        kw = {
            "decoder": "inner_product",
            "feature_decoder": decoder,
            "feature_loss": loss,
            "feature_mask": mask,
            "feature_matmul": feature_matmul,
        }
        auto = build_model(config(**kw, feature_loss_form="auto"), F_WIDE, graph.num_nodes)
        dense = build_model(config(**kw, feature_loss_form="dense"), F_WIDE, graph.num_nodes)
        dense.load_state_dict(auto.state_dict())
        a, named_a, grads_a = _losses(auto, graph, dense_forbidden=True, feature_mask=mask > 0)
        d, named_d, grads_d = _losses(dense, graph, dense_forbidden=False, feature_mask=mask > 0)
        assert named_a["feature"] == pytest.approx(named_d["feature"], rel=1e-5, abs=1e-7)
        assert a.item() == pytest.approx(d.item(), rel=1e-5)
        assert len(grads_a) == len(grads_d)
        for ga, gd in zip(grads_a, grads_d, strict=True):
            assert torch.allclose(ga, gd, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("decoder", ["linear", "tied"])
def test_the_evaluations_feature_loss_takes_the_same_form(decoder: str) -> None:
    """``feature_recon_loss`` (the final ``recon/feature_loss``) is the factored loss
    under ``auto``: the same value, and the decoder's ``forward`` is never run."""
    graph = blocks(f=F_WIDE)
    x, ei = graph.data.x.abs(), graph.data.edge_index
    values = {}
    for form in ("auto", "dense"):
        cfg = config(feature_decoder=decoder, feature_loss="sce", feature_loss_form=form)
        torch.manual_seed(0)
        model = build_model(cfg, F_WIDE, graph.num_nodes).eval()
        if form == "auto":
            model.feature_decoder.forward = None  # calling it would raise TypeError
        with torch.no_grad():
            z = model.encode(x, ei)
            values[form] = float(model.feature_recon_loss(x, z, ei))
    assert values["auto"] == pytest.approx(values["dense"], rel=1e-5)


def test_a_last_layer_that_does_not_widen_forms_the_reconstruction() -> None:
    """Where ``F <= c + 1`` the factored loss saves nothing: ``x̂`` is formed from the
    affine output (the decoder's forward is not run twice)."""
    graph = blocks(f=6)  # mirror 4 -> 8 -> 6: the last layer narrows
    model = build_model(config(feature_decoder="mirror", feature_loss="sce"), 6, graph.num_nodes)
    calls: list[tuple[int, ...]] = []
    term = next(t for t in model.terms if isinstance(t, FeatureReconstruction))
    original = term.of
    term.of = lambda x_hat, x: (calls.append(tuple(x_hat.shape)), original(x_hat, x))[1]
    x, ei = graph.data.x, graph.data.edge_index
    model.train().loss(x, ei, None, ei[:, :10], ei[:, 10:20])
    assert calls == [(graph.num_nodes, 6)]


def test_the_form_is_a_later_field_and_old_records_replay_dense() -> None:
    """Run ids do not change; a config saved before the field rebuilds with ``dense``."""
    base = RunConfig(dataset="Cora", feature_decoder="mirror")
    assert "feature_loss_form" not in base.identity()
    saved = base.to_dict()
    del saved["feature_loss_form"]
    old = RunConfig.from_record(saved)
    assert old.feature_loss_form == "dense"
    assert old.replace(feature_loss_form="auto").identity() == base.identity()
    model = build_model(old, 12, 5)
    term = next(t for t in model.terms if isinstance(t, FeatureReconstruction))
    assert term.form == "dense"

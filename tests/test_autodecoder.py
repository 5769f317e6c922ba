"""Auto-decoder: the embedding encoder, hybrid tables, joint / alternating training with
sparse per-row updates, the L2 prior, and latent inference for new nodes (issue 4)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from clihelp import RING, run_cli

from graphae.config import RunConfig
from graphae.data.graph import NodeIndex
from graphae.errors import GraphaeError
from graphae.inference.latent import infer_codes, read_new_edges
from graphae.models import build_model
from graphae.nn.decoders import decoder_kind, decoders
from graphae.nn.encoders import build_encoder, encoders
from graphae.nn.latent import EmbeddingEncoder, HybridEncoder, LatentTable
from graphae.pipeline import fit
from graphae.training.strategies import (
    LatentStrategy,
    PlainStrategy,
    latent_prior,
    make_strategy,
    sparse_path,
)

TWO_CLIQUES = (
    [(a, b) for a in range(5) for b in range(a + 1, 5)]
    + [(a, b) for a in range(5, 10) for b in range(a + 1, 10)]
    + [(4, 5)]
)


def _config(**kw: object) -> RunConfig:
    base = {
        "graph": "unused",
        "encoder": "embedding",
        "out_channels": 8,
        "hidden_channels": 8,
        "epochs": 30,
        "lr": 0.05,
        "device": "cpu",
        "val_ratio": 0.1,
        "test_ratio": 0.1,
        "patience": 0,
    }
    base.update(kw)
    return RunConfig(**base)  # type: ignore[arg-type]


def _trained(tiny_graph, decoder: str = "mlp", **kw: object):
    g = tiny_graph(TWO_CLIQUES)
    return fit(_config(decoder=decoder, **kw), graph=g)


# ------------------------------------------------------------------ the encoder


def test_embedding_encoder_is_registered_and_ignores_the_graph() -> None:
    assert "embedding" in encoders.names()
    enc = build_encoder("embedding", {"init_std": 0.5}, in_channels=3, out_channels=4, num_nodes=6)
    assert isinstance(enc, EmbeddingEncoder) and not enc.uses_graph
    x = torch.randn(6, 3)
    a = enc(x, torch.tensor([[0, 1], [1, 0]]))
    b = enc(torch.zeros(6, 0), torch.empty(2, 0, dtype=torch.long))
    assert a.shape == (6, 4) and torch.equal(a, b)
    assert torch.equal(enc.rows(torch.tensor([2, 5])), a[[2, 5]])
    assert 0.2 < float(a.detach().std()) < 1.0  # init scale follows init_std
    small = build_encoder("embedding", {"init_std": 0.0}, out_channels=4, num_nodes=6)
    assert float(small(x, torch.empty(2, 0, dtype=torch.long)).detach().abs().max()) == 0.0


@pytest.mark.parametrize("name", decoders.names())
def test_embedding_encoder_trains_with_every_decoder(tiny_graph, name: str) -> None:
    g = tiny_graph(TWO_CLIQUES)
    if name in ("tied", "pinv"):  # borrow encoder weights, which a latent table does not have
        with pytest.raises(GraphaeError, match="weight matrix"):
            fit(_config(decoder=name, epochs=2), graph=g)
        return
    run = fit(_config(decoder=name, epochs=3), graph=g)
    assert run.z.shape == (10, 8)
    assert np.isfinite(run.result.history[-1]["loss"])
    if decoder_kind(name) == "feature":
        assert "recon/feature_loss" in run.result.metrics


def test_sparse_path_is_used_for_pairwise_decoders_only(tiny_graph) -> None:
    for name, expect in (
        ("inner_product", True),
        ("mlp", True),
        ("bilinear", True),
        ("distance", True),
        ("gnn", False),
        ("mirror", False),
    ):
        model = build_model(_config(decoder=name), 10, 10)
        assert sparse_path(model) is expect, name
    gcn = build_model(_config(encoder="gcn"), 10, 10)
    assert isinstance(make_strategy(gcn, _config(encoder="gcn")), PlainStrategy)
    assert not isinstance(make_strategy(gcn, _config(encoder="gcn")), LatentStrategy)


def test_batch_loss_equals_the_full_model_loss_plus_the_batch_prior() -> None:
    torch.manual_seed(0)
    cfg = _config(decoder="mlp", prior_sigma=2.0)
    model = build_model(cfg, 0, 10)
    strat = make_strategy(model, cfg)
    assert isinstance(strat, LatentStrategy) and strat.sparse
    pos = torch.tensor([[0, 1, 2], [1, 2, 3]])
    neg = torch.tensor([[0, 7], [9, 8]])
    x, ei = torch.empty(10, 0), torch.empty(2, 0, dtype=torch.long)
    got, named = strat.loss(x, ei, None, pos, neg)
    full, _ = model.loss(x, ei, None, pos, neg)
    nodes = torch.tensor([0, 1, 2, 3, 7, 8, 9])
    prior = model.encoder.codes.weight[nodes].pow(2).sum(1).mean() / 4.0
    torch.testing.assert_close(got, full + prior)
    assert set(named) == {"structure", "prior"}


# ---------------------------------------------------------- sparse, per-row updates


def test_sparse_adam_updates_only_the_rows_in_the_batch() -> None:
    cfg = _config(decoder="inner_product", prior_sigma=1.0)
    model = build_model(cfg, 0, 10)
    strat = make_strategy(model, cfg)
    assert set(strat.optimizers) == {"codes_sparse"}  # the inner product has no θ
    assert isinstance(strat.optimizers["codes_sparse"], torch.optim.SparseAdam)
    before = model.encoder.codes.weight.detach().clone()
    pos, neg = torch.tensor([[0, 1], [1, 2]]), torch.tensor([[3], [6]])
    for _ in range(3):
        strat.begin_epoch(1)
        strat.zero_grad()
        loss, _ = strat.loss(
            torch.empty(10, 0), torch.empty(2, 0, dtype=torch.long), None, pos, neg
        )
        loss.backward()
        grad = model.encoder.codes.weight.grad
        assert grad is not None and grad.is_sparse
        assert set(grad.coalesce().indices()[0].tolist()) == {0, 1, 2, 3, 6}
        strat.step()
    after = model.encoder.codes.weight.detach()
    touched = [0, 1, 2, 3, 6]
    untouched = [4, 5, 7, 8, 9]
    assert torch.equal(after[untouched], before[untouched])  # bit-for-bit
    assert (after[touched] != before[touched]).any(dim=1).all()


def test_alternating_freezes_theta_then_the_codes() -> None:
    cfg = _config(decoder="mlp", optimization="alternating", alternate_every=2)
    model = build_model(cfg, 0, 10)
    strat = make_strategy(model, cfg)
    assert [strat.phase_of(e) for e in range(1, 8)] == [
        "codes",
        "codes",
        "theta",
        "theta",
        "codes",
        "codes",
        "theta",
    ]
    pos, neg = torch.tensor([[0, 1], [1, 2]]), torch.tensor([[3], [6]])
    x, ei = torch.empty(10, 0), torch.empty(2, 0, dtype=torch.long)

    def one_step(epoch: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        codes = model.encoder.codes.weight.detach().clone()
        theta = {k: v.detach().clone() for k, v in model.decoder.state_dict().items()}
        strat.begin_epoch(epoch)
        strat.zero_grad()
        strat.loss(x, ei, None, pos, neg)[0].backward()
        strat.step()
        return codes, theta

    codes, theta = one_step(1)  # codes phase
    assert all(torch.equal(v, model.decoder.state_dict()[k]) for k, v in theta.items())
    assert not torch.equal(codes, model.encoder.codes.weight)
    codes, theta = one_step(3)  # θ phase
    assert torch.equal(codes, model.encoder.codes.weight)
    assert any(not torch.equal(v, model.decoder.state_dict()[k]) for k, v in theta.items())


@pytest.mark.parametrize("optimization", ["joint", "alternating"])
def test_joint_and_alternating_both_reduce_the_loss(tiny_graph, optimization: str) -> None:
    run = _trained(tiny_graph, "mlp", optimization=optimization, epochs=40, prior_sigma=3.0)
    losses = [h["loss"] for h in run.result.history]
    assert losses[-1] < 0.7 * losses[0]
    assert "loss/prior" in run.result.history[0]


def test_alternating_or_prior_without_codes_is_an_error(tiny_graph) -> None:
    with pytest.raises(GraphaeError, match="latent codes"):
        fit(_config(encoder="gcn", optimization="alternating"), graph=tiny_graph(TWO_CLIQUES))
    with pytest.raises(GraphaeError, match="optimization"):
        _config(optimization="sideways")
    with pytest.raises(GraphaeError, match="prior_sigma"):
        _config(prior_sigma=0.0)


# ------------------------------------------------------------------------ prior


def test_prior_value_and_normalisation() -> None:
    z = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert float(latent_prior(z, 1.0)) == pytest.approx(12.5)  # mean over nodes of ‖z‖²
    assert float(latent_prior(z, 5.0)) == pytest.approx(0.5)
    assert float(latent_prior(z, None)) == 0.0


def test_prior_pulls_codes_toward_zero_as_sigma_shrinks(tiny_graph) -> None:
    norms = []
    for sigma in (10.0, 1.0, 0.3):
        run = _trained(tiny_graph, "inner_product", prior_sigma=sigma, epochs=40, select="last")
        norms.append(float(run.z.norm(dim=1).mean()))
    assert norms[0] > norms[1] > norms[2]
    model = _trained(tiny_graph, "inner_product", epochs=40).model
    edges = torch.tensor([[0, 0, 0], [0, 1, 2]])
    inferred = [
        float(infer_codes(model, edges, 1, prior_sigma=s, steps=200).norm())
        for s in (10.0, 1.0, 0.1)
    ]
    assert inferred[0] > inferred[1] > inferred[2]
    assert inferred[2] < 0.2


# ------------------------------------------------------------- latent inference


def test_inference_changes_only_the_new_codes(tiny_graph) -> None:
    run = _trained(tiny_graph, "mlp", prior_sigma=3.0)
    model = run.model
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    flags = [p.requires_grad for p in model.parameters()]
    grads = [p.grad for p in model.parameters()]
    edges = torch.tensor([[0, 0, 0, 1, 1], [0, 1, 2, 7, 8]])  # new 0 -> clique A, new 1 -> B
    z = infer_codes(model, edges, 2, prior_sigma=3.0, steps=150)
    assert z.shape == (2, 8) and not z.requires_grad
    after = model.state_dict()
    assert state.keys() == after.keys()
    for k, v in state.items():
        assert torch.equal(v, after[k]), k  # bit-for-bit: decoder θ and the known codes
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(a is b for a, b in zip(grads, [p.grad for p in model.parameters()], strict=True))
    # the new nodes land with their neighbours: scores to their own clique are higher
    known = model.encoder.codes.weight.detach()
    zz = torch.cat([known, z])
    own = model.score(zz, torch.tensor([[10, 10], [3, 4]])).mean()
    other = model.score(zz, torch.tensor([[10, 10], [7, 9]])).mean()
    assert own > other


def test_inference_with_a_feature_decoder(tiny_graph) -> None:
    g = tiny_graph(TWO_CLIQUES, x=torch.eye(10)[:, :4] + 0.1)
    run = fit(_config(decoder="linear", epochs=30), graph=g)
    x_new = torch.tensor([[1.1, 0.1, 0.1, 0.1]])
    z = infer_codes(run.model, torch.empty(2, 0, dtype=torch.long), x_new=x_new, steps=300)
    assert z.shape == (1, 8)
    x_hat = run.model.reconstruct_features(z, torch.empty(2, 0, dtype=torch.long))
    assert float((x_hat.detach() - x_new).pow(2).mean()) < 0.05


def test_inference_rejects_encoders_and_bad_ids(tiny_graph) -> None:
    run = fit(_config(encoder="gcn", epochs=2), graph=tiny_graph(TWO_CLIQUES))
    with pytest.raises(GraphaeError, match="embedding encoder"):
        infer_codes(run.model, torch.tensor([[0], [1]]))
    model = _trained(tiny_graph, "inner_product", epochs=2).model
    with pytest.raises(GraphaeError, match="known node"):
        infer_codes(model, torch.tensor([[0], [10]]))


def test_read_new_edges(tmp_path: Path) -> None:
    nodes = NodeIndex(["a", "b", "c"])
    f = tmp_path / "new.csv"
    f.write_text("new_id,known_id,weight\nx,a,1\nx,b,2\ny,c,0.5\n")
    ids, ei, w = read_new_edges(f, nodes)
    assert ids == ["x", "y"]
    assert ei.tolist() == [[0, 0, 1], [0, 1, 2]]
    assert w is not None and w.tolist() == [1.0, 2.0, 0.5]
    f.write_text("x,a\nx,zzz\n")
    with pytest.raises(GraphaeError, match="known id 'zzz'"):
        read_new_edges(f, nodes)
    f.write_text("a,b\n")
    with pytest.raises(GraphaeError, match="already a node"):
        read_new_edges(f, nodes)
    ints = NodeIndex.range(5)
    f.write_text("10 1\n11 4\n")
    ids, ei, w = read_new_edges(f, ints)
    assert ids == [10, 11] and ei.tolist() == [[0, 1], [1, 4]] and w is None


# ---------------------------------------------------------------------- hybrid


def test_hybrid_tables_on_a_featureless_graph(tiny_graph) -> None:
    g = copy.deepcopy(tiny_graph(TWO_CLIQUES))
    g.data.x = None
    with pytest.raises(GraphaeError, match="learnable_input"):
        fit(_config(encoder="gcn", epochs=2, feature_fallback="none"), graph=g)
    for opts in (
        {"learnable_input": True},
        {"learnable_input": True, "hybrid": "add"},
        {"learnable_input": True, "hybrid": "concat", "hybrid_channels": 3},
    ):
        run = fit(_config(encoder="gcn", encoder_options=opts, decoder="mlp", epochs=20), graph=g)
        assert run.z.shape == (10, 8)
        assert isinstance(run.model.encoder, HybridEncoder)
        losses = [h["loss"] for h in run.result.history]
        assert losses[-1] < losses[0]
    enc = build_encoder(
        "sage",
        {"hybrid": "add"},
        in_channels=3,
        hidden_channels=4,
        out_channels=4,
        num_layers=2,
        num_nodes=5,
    )
    assert [type(t) for t in enc.modules() if isinstance(t, LatentTable)] == [LatentTable]
    with pytest.raises(GraphaeError, match="hybrid must be"):
        build_encoder("gcn", {"hybrid": "mul"}, in_channels=3, out_channels=4, num_nodes=5)
    with pytest.raises(GraphaeError, match="already a latent table"):
        build_encoder("embedding", {"hybrid": "add"}, out_channels=4, num_nodes=5)


def test_hybrid_alternating_splits_tables_from_theta(tiny_graph) -> None:
    cfg = _config(
        encoder="gcn",
        encoder_options={"learnable_input": True},
        decoder="mlp",
        optimization="alternating",
        prior_sigma=5.0,
    )
    model = build_model(cfg, 0, 10)
    strat = make_strategy(model, cfg)
    assert set(strat.optimizers) == {"theta", "codes_dense"}
    assert not strat.sparse


def test_select_ogb_needs_an_ogb_graph(tiny_graph) -> None:
    with pytest.raises(GraphaeError, match="select='ogb'"):
        fit(_config(select="ogb", epochs=1), graph=tiny_graph(TWO_CLIQUES))


# ------------------------------------------------------------------------- CLI


def test_embed_infer_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edges = tmp_path / "ring.csv"
    edges.write_text(RING)
    run = tmp_path / "run"
    code, out, err = run_cli(
        [
            "train",
            "--graph",
            edges,
            "--encoder",
            "embedding",
            "--decoder",
            "mlp",
            "--epochs",
            "20",
            "--out",
            run,
            "--device",
            "cpu",
            "--no-progress",
            "--prior-sigma",
            "3",
            "--optimization",
            "alternating",
        ],
        capsys,
    )
    assert code == 0, err
    new = tmp_path / "new.csv"
    new.write_text("new_id,known_id\nm1,n0\nm1,n1\nm2,n10\n")
    target = tmp_path / "new.npy"
    code, out, err = run_cli(
        ["embed", run, "--infer", new, "--out", target, "--infer-steps", "50"], capsys
    )
    assert code == 0, err
    assert "inferred 2 new codes" in out
    from graphae.embeddings import load_embeddings

    emb = load_embeddings(target)
    assert emb.ids == ["m1", "m2"] and emb.vectors.shape == (2, 16)
    bad = tmp_path / "bad.csv"
    bad.write_text("m1,n0\nm1,nope\n")
    code, out, err = run_cli(["embed", run, "--infer", bad, "--out", tmp_path / "bad.npy"], capsys)
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "'nope'" in lines[0] and "not a node" in lines[0]
    assert not (tmp_path / "bad.npy").exists()


def test_embed_graph_nodes_keeps_known_codes_and_needs_edges(tiny_graph) -> None:
    from graphae.embeddings import Embeddings
    from graphae.inference.latent import embed_graph_nodes

    run = _trained(tiny_graph, "inner_product", epochs=10)
    known = Embeddings(run.graph.nodes, run.z)
    g = tiny_graph([*TWO_CLIQUES, (10, 0), (10, 1)], num_nodes=11)
    out = embed_graph_nodes(run.model, known, g, steps=20)
    assert out.shape == (11, 8)
    np.testing.assert_array_equal(out[:10], run.z.numpy())
    lonely = tiny_graph(TWO_CLIQUES, num_nodes=11)
    with pytest.raises(GraphaeError, match="new node 10 has no edge"):
        embed_graph_nodes(run.model, known, lonely)


@pytest.mark.parametrize("optimization", ["joint", "alternating"])
def test_interrupted_auto_decoder_resumes_bit_identically(
    tiny_graph, tmp_path: Path, optimization: str
) -> None:
    from graphae.errors import TrainingInterrupted
    from graphae.training.callbacks import TrainingControl

    g = tiny_graph(TWO_CLIQUES)
    cfg = _config(decoder="mlp", epochs=8, optimization=optimization, prior_sigma=2.0)
    full = fit(cfg, graph=g)
    ckpt = tmp_path / "ckpt"
    with pytest.raises(TrainingInterrupted):
        fit(cfg, graph=g, checkpoint_dir=ckpt, control=TrainingControl(stop_after=3))
    resumed = fit(cfg, graph=g, resume_from=ckpt)
    assert torch.equal(full.z, resumed.z)
    assert full.result.history == resumed.result.history


def test_embed_a_featureless_auto_decoder_run(tiny_graph, tmp_path: Path) -> None:
    from graphae.inference import embed_graph
    from graphae.rundir import save_run

    g = copy.deepcopy(tiny_graph(TWO_CLIQUES))
    g.data.x = None
    run = fit(_config(decoder="inner_product", epochs=5), graph=g)
    save_run(tmp_path / "run", run)
    emb = embed_graph(tmp_path / "run", graph=g)
    np.testing.assert_array_equal(emb.vectors, run.z.numpy())


# ---------------------------------------------------------------------- orthogonal init


@pytest.mark.parametrize("n,d,std", [(10, 4, 0.5), (3, 6, 0.2)])
def test_orthogonal_table_init(n, d, std) -> None:
    torch.manual_seed(0)
    w = LatentTable(n, d, init_std=std, init="orthogonal").weight.detach().double()
    # orthonormal columns (N >= d) or rows (N < d), scaled to entries of std `std`
    gram = w.t() @ w if n >= d else w @ w.t()
    eye = torch.eye(min(n, d), dtype=torch.double)
    torch.testing.assert_close(gram, std**2 * max(n, d) * eye, atol=1e-5, rtol=1e-5)
    glorot = LatentTable(10, 4, init_std=None, init="orthogonal").weight.detach().double()
    torch.testing.assert_close(
        glorot.t() @ glorot, 2 / 14 * 10 * torch.eye(4, dtype=torch.double), atol=1e-5, rtol=1e-5
    )
    with pytest.raises(GraphaeError, match="table_init must be one of normal, orthogonal"):
        LatentTable(4, 2, init="xavier")


def test_table_init_option_reaches_every_table() -> None:
    ctx = {"in_channels": 0, "hidden_channels": 4, "out_channels": 4, "num_layers": 2}
    torch.manual_seed(1)
    plain = build_encoder("gcn", {"learnable_input": True}, num_nodes=6, **ctx)
    torch.manual_seed(1)
    again = build_encoder(
        "gcn", {"learnable_input": True, "table_init": "normal"}, num_nodes=6, **ctx
    )
    # the default is the earlier initialisation, bit for bit
    assert torch.equal(plain.input_table.weight, again.input_table.weight)
    enc = build_encoder(
        "gcn",
        {"learnable_input": True, "hybrid": "add", "table_init": "orthogonal"},
        num_nodes=6,
        **ctx,
    )
    for table in (enc.input_table, enc.output_table):
        w = table.weight.detach().double()
        s2 = 2 / (6 + 4) * 6  # Glorot std², times max(N, d)
        torch.testing.assert_close(
            w.t() @ w, s2 * torch.eye(4, dtype=torch.double), atol=1e-5, rtol=1e-5
        )
    emb = build_encoder("embedding", {"table_init": "orthogonal"}, out_channels=4, num_nodes=6)
    w = emb.codes.weight.detach().double()  # std d^-1/4 = 1/sqrt(2)
    torch.testing.assert_close(
        w.t() @ w, 3 * torch.eye(4, dtype=torch.double), atol=1e-5, rtol=1e-5
    )
    with pytest.raises(GraphaeError, match="need learnable_input=true"):
        build_encoder("gcn", {"table_init": "orthogonal"}, num_nodes=6, **ctx)


def test_learnable_fallback_gives_a_gnn_input_codes_on_user_graphs_only(tiny_graph) -> None:
    from graphae.nn.latent import featureless_options

    g = copy.deepcopy(tiny_graph(TWO_CLIQUES))
    g.data.x = None
    g.feature_source = "learnable"
    cfg = _config(encoder="gcn", feature_fallback="learnable", epochs=3)
    assert featureless_options(cfg, 0) == {"learnable_input": True}
    # "auto" gives a featureless file identity features (N <= 2,048) or these codes
    assert featureless_options(cfg.replace(feature_fallback="auto"), 0) == {"learnable_input": True}
    assert featureless_options(cfg, 5) == {}  # the graph has features: nothing added
    run = fit(cfg, graph=g)
    assert isinstance(run.model.encoder, HybridEncoder)
    assert run.model.encoder.input_table.weight.shape == (10, 8)  # k = hidden_channels
    # feature_fallback="none" adds nothing: the user must ask for codes
    none = cfg.replace(feature_fallback="none")
    assert featureless_options(none, 0) == {}
    with pytest.raises(GraphaeError, match="no node features"):
        fit(none, graph=g)
    # a named featureless dataset (SEAL, ogbl-ddi) keeps asking for codes explicitly
    ds = RunConfig(dataset="karate", encoder="gcn")
    assert featureless_options(ds, 0) == {}

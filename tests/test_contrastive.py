"""Self-supervised objectives (DGI, GRACE, BGRL): losses, views, EMA, and the shared loop."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from graphae.config import RunConfig
from graphae.data.graph import Graph, NodeIndex
from graphae.errors import GraphaeError
from graphae.models.contrastive import (
    bgrl_loss,
    build_objective_model,
    drop_edges,
    ema_momentum,
    grace_loss,
    mask_feature_columns,
)
from graphae.pipeline import fit

METHODS = ("dgi", "grace", "bgrl")


def blocks(n: int = 10, f: int = 12, seed: int = 0) -> Graph:
    """Two dense blocks of ``n`` nodes joined by one edge; block-dependent noisy features."""
    g = torch.Generator().manual_seed(seed)
    edges = [
        (b * n + i, b * n + j)
        for b in range(2)
        for i in range(n)
        for j in range(i + 1, n)
        if torch.rand(1, generator=g).item() < 0.6
    ]
    edges.append((0, n))
    ei = torch.tensor(edges).t()
    ei = torch.cat([ei, ei.flip(0)], 1)
    y = torch.arange(2 * n) // n
    x = torch.rand(2 * n, f, generator=g) + 2.0 * F.one_hot(y, f).float()  # non-negative
    return Graph(Data(x=x, edge_index=ei, y=y, num_nodes=2 * n), NodeIndex.range(2 * n), "blocks")


def config(objective: str, **kw: object) -> RunConfig:
    base: dict[str, object] = {
        "dataset": "blocks",
        "objective": objective,
        "hidden_channels": 16,
        "out_channels": 8,
        "num_layers": 2 if objective != "dgi" else 1,
        "lr": 0.01,
        "epochs": 40,
        "patience": 0,
        "select": "last",
        "val_ratio": 0.1,
        "test_ratio": 0.2,
        "device": "cpu",
    }
    if objective == "grace":  # mild views: 20 nodes and 12 features do not survive the paper's
        base["objective_options"] = {
            "tau": 0.5,
            "edge_drop_1": 0.1,
            "edge_drop_2": 0.1,
            "feature_mask_1": 0.1,
            "feature_mask_2": 0.1,
        }
    base.update(kw)
    return RunConfig(**base)  # type: ignore[arg-type]


def model_for(objective: str, graph: Graph, **kw: object):
    cfg = config(objective, **kw)
    return build_objective_model(cfg, graph.num_features, graph.num_nodes)


# --------------------------------------------------------------- the shared interface


@pytest.mark.parametrize("objective", METHODS)
def test_loss_decreases_on_a_tiny_graph(objective: str) -> None:
    """Averaged over the first and last 10 steps (the losses are stochastic)."""
    torch.manual_seed(0)
    g = blocks()
    model = model_for(objective, g)
    opt = torch.optim.Adam(model.main_parameters(), lr=0.01)
    x, ei = g.data.x, g.data.edge_index
    empty = torch.empty(2, 0, dtype=torch.long)
    losses = []
    for _ in range(60):
        model.train()
        opt.zero_grad()
        loss, parts = model.loss(x, ei, None, empty, empty)
        loss.backward()
        opt.step()
        model.post_step()
        losses.append(float(loss.detach()))
        assert parts and all(math.isfinite(v) for v in parts.values())
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < first * 0.9, (objective, first, last)


@pytest.mark.parametrize("objective", METHODS)
def test_interface_score_is_the_inner_product_and_counts_the_head(objective: str) -> None:
    g = blocks()
    model = model_for(objective, g)
    model.eval()
    z = model.encode(g.data.x, g.data.edge_index)
    assert z.shape == (g.num_nodes, 8)
    pairs = torch.tensor([[0, 1, 5], [2, 3, 19]])
    torch.testing.assert_close(model.score(z, pairs), (z[pairs[0]] * z[pairs[1]]).sum(-1))
    assert not model.has_structure_decoder
    assert model.decoder is None and model.feature_decoder is None
    counts = model.parameter_counts()
    head = sum(p.numel() for p in model.head.parameters())
    assert counts["decoder"] == counts["head"] == head > 0
    assert counts["encoder"] == sum(p.numel() for p in model.encoder.parameters())
    trainable = {id(p) for p in model.main_parameters()}
    assert all(id(p) in trainable for p in model.encoder.parameters())
    assert all(id(p) in trainable for p in model.head.parameters())


def test_head_sizes_are_the_papers() -> None:
    g = blocks()
    d = 8
    assert model_for("dgi", g).parameter_counts()["decoder"] == d * d  # bilinear W
    # GRACE: Linear(d, p) + ELU + Linear(p, d), p = projection_hidden (default d)
    assert model_for("grace", g).parameter_counts()["decoder"] == (d * d + d) * 2
    # BGRL: Linear(d, p) + BatchNorm(p) + PReLU(p) + Linear(p, d)
    p = 32
    counts = model_for("bgrl", g, objective_options={"predictor_hidden": p}).parameter_counts()
    assert counts["decoder"] == (d * p + p) + 2 * p + p + (p * d + d)
    assert counts["target_encoder"] == counts["encoder"]


def test_encoder_defaults_follow_the_papers_and_yield_to_user_options() -> None:
    g = blocks()
    dgi = model_for("dgi", g).encoder
    assert dgi.act_last and isinstance(dgi.acts[0], torch.nn.PReLU)
    bgrl = model_for("bgrl", g).encoder
    assert isinstance(bgrl.norms[0], torch.nn.BatchNorm1d)
    user = model_for("dgi", g, encoder_options={"activation": "relu"}).encoder
    assert isinstance(user.acts[0], torch.nn.ReLU)


# ------------------------------------------------------------------------------ DGI


def test_dgi_loss_equals_pyg_deep_graph_infomax() -> None:
    from torch_geometric.nn import DeepGraphInfomax

    g = blocks()
    model = model_for("dgi", g)
    x, ei = g.data.x, g.data.edge_index
    empty = torch.empty(2, 0, dtype=torch.long)
    torch.manual_seed(3)
    ours, _ = model.loss(x, ei, None, empty, empty)

    class Enc(torch.nn.Module):
        def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
            return model.encoder(x, edge_index)

    def corruption(x: torch.Tensor, edge_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x[torch.randperm(x.size(0))], edge_index

    pyg = DeepGraphInfomax(8, Enc(), lambda z, *a, **k: torch.sigmoid(z.mean(0)), corruption)
    with torch.no_grad():
        pyg.weight.copy_(model.head.weight)
    torch.manual_seed(3)
    pos, neg, s = pyg(x, ei)
    torch.testing.assert_close(ours, pyg.loss(pos, neg, s), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------- GRACE


def _grace_reference(h1: torch.Tensor, h2: torch.Tensor, tau: float) -> torch.Tensor:
    """GRACE's reference ``semi_loss`` (Zhu et al., model.py), symmetric mean."""

    def semi(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        f = lambda m: torch.exp(m / tau)  # noqa: E731
        z1n, z2n = F.normalize(z1), F.normalize(z2)
        refl = f(z1n @ z1n.t())
        between = f(z1n @ z2n.t())
        return -torch.log(between.diag() / (refl.sum(1) + between.sum(1) - refl.diag()))

    return 0.5 * (semi(h1, h2) + semi(h2, h1)).mean()


def test_grace_loss_matches_the_reference_code() -> None:
    g = torch.Generator().manual_seed(0)
    h1, h2 = torch.randn(7, 5, generator=g), torch.randn(7, 5, generator=g)
    for tau in (0.4, 0.9):
        torch.testing.assert_close(grace_loss(h1, h2, tau), _grace_reference(h1, h2, tau))
    # identical views of orthogonal points: the positive dominates, loss well below the uniform one
    eye = torch.eye(4)
    assert float(grace_loss(eye, eye, 0.1)) < math.log(7) / 10


def test_grace_views_differ_and_drop_what_they_say() -> None:
    torch.manual_seed(0)
    g = blocks(n=20, f=40)
    model = model_for(
        "grace",
        g,
        objective_options={
            "edge_drop_1": 0.2,
            "edge_drop_2": 0.4,
            "feature_mask_1": 0.3,
            "feature_mask_2": 0.4,
        },
    )
    x, ei = g.data.x, g.data.edge_index
    (x1, e1, _), (x2, e2, _) = model.views(x, ei, None)
    assert not torch.equal(x1, x2)
    assert e1.size(1) != e2.size(1) or not torch.equal(e1, e2)
    # each view: a subset of the edges; whole feature columns zeroed, the others untouched
    edges = {tuple(e) for e in ei.t().tolist()}
    for xv, ev in ((x1, e1), (x2, e2)):
        assert {tuple(e) for e in ev.t().tolist()} <= edges
        zero_cols = (xv == 0).all(0)
        assert zero_cols.any()
        torch.testing.assert_close(xv[:, ~zero_cols], x[:, ~zero_cols])
    # the rates hold on average
    torch.manual_seed(1)
    kept = [drop_edges(ei, None, 0.4)[0].size(1) / ei.size(1) for _ in range(200)]
    assert abs(sum(kept) / len(kept) - 0.6) < 0.02
    cols = [
        float((mask_feature_columns(torch.ones(1, 1000), 0.3) == 0).float().mean())
        for _ in range(50)
    ]
    assert abs(sum(cols) / len(cols) - 0.3) < 0.02
    assert drop_edges(ei, None, 0.0)[0] is ei and mask_feature_columns(x, 0.0) is x


# ----------------------------------------------------------------------------- BGRL


def test_bgrl_target_gets_no_gradient_and_moves_only_by_ema() -> None:
    torch.manual_seed(0)
    g = blocks()
    model = model_for("bgrl", g, objective_options={"momentum": 0.9, "total_steps": 10})
    assert all(not p.requires_grad for p in model.target.parameters())
    main = {id(p) for p in model.main_parameters()}
    assert not any(id(p) in main for p in model.target.parameters())
    opt = torch.optim.Adam(model.main_parameters(), lr=0.05)
    x, ei = g.data.x, g.data.edge_index
    empty = torch.empty(2, 0, dtype=torch.long)
    model.train()
    for step in range(3):
        before = [p.detach().clone() for p in model.target.parameters()]
        opt.zero_grad()
        loss, _ = model.loss(x, ei, None, empty, empty)
        loss.backward()
        assert all(p.grad is None for p in model.target.parameters())
        opt.step()
        # the optimiser step alone leaves the target where it was
        for b, p in zip(before, model.target.parameters(), strict=True):
            assert torch.equal(b, p)
        online = [p.detach().clone() for p in model.encoder.parameters()]
        m = ema_momentum(step, 10, 0.9)
        assert model.post_step() == {"momentum": pytest.approx(m)}
        for b, o, t in zip(before, online, model.target.parameters(), strict=True):
            torch.testing.assert_close(t, m * b + (1 - m) * o, rtol=0, atol=1e-6)
    assert int(model.ema_steps) == 3
    # the targets moved towards the online weights, which moved away from them
    assert any(
        not torch.equal(t, o)
        for t, o in zip(model.target.parameters(), model.encoder.parameters(), strict=True)
    )


def test_ema_momentum_schedule() -> None:
    assert ema_momentum(0, 100, 0.99) == pytest.approx(0.99)
    assert ema_momentum(50, 100, 0.99) == pytest.approx(0.995)
    assert ema_momentum(100, 100, 0.99) == pytest.approx(1.0)
    assert ema_momentum(500, 100, 0.99) == pytest.approx(1.0)
    assert ema_momentum(70, 100, 0.9, "constant") == 0.9


def test_bgrl_loss_is_zero_when_aligned_and_ignores_target_gradients() -> None:
    q = torch.randn(5, 3, requires_grad=True)
    t = q.detach() * 2.0  # same directions
    assert float(bgrl_loss(q, q, t, t).detach()) == pytest.approx(0.0, abs=1e-6)
    t1 = torch.randn(5, 3, requires_grad=True)
    bgrl_loss(q, q, t1, t1).backward()
    assert t1.grad is None and q.grad is not None


def test_bgrl_reset_restarts_the_target_as_a_copy() -> None:
    g = blocks()
    model = model_for("bgrl", g)
    with torch.no_grad():
        for p in model.target.parameters():
            p.add_(1.0)
    model.ema_steps += 5
    model.reset_parameters()
    for t, o in zip(model.target.parameters(), model.encoder.parameters(), strict=True):
        assert torch.equal(t, o)
    assert int(model.ema_steps) == 0


# ------------------------------------------------------------------ config and loop


def test_config_validation() -> None:
    with pytest.raises(GraphaeError, match="objective"):
        RunConfig(dataset="cora", objective="simclr")
    with pytest.raises(GraphaeError, match=r"no option 'temp'.*tau"):
        RunConfig(dataset="cora", objective="grace", objective_options={"temp": 1})
    with pytest.raises(GraphaeError, match="dgi, grace or bgrl only"):
        RunConfig(dataset="cora", objective_options={"tau": 1})
    with pytest.raises(GraphaeError, match=r"edge_drop_1.*\[0, 1\)"):
        RunConfig(dataset="cora", objective="bgrl", objective_options={"edge_drop_1": 1.0})
    g = blocks()
    with pytest.raises(GraphaeError, match="variational"):
        model_for("dgi", g, variational=True)
    with pytest.raises(GraphaeError, match="batch_size"):
        model_for("grace", g, batch_size=4)


@pytest.mark.parametrize("objective", METHODS)
def test_fit_trains_and_records_like_any_run(objective: str) -> None:
    g = blocks()
    run = fit(config(objective, epochs=15, eval_every=5), g)
    m = run.result.metrics
    assert run.result.config["objective"] == objective
    assert "link_ip/auc" in m and "link/auc" not in m and "recon/loss" not in m
    assert 0 <= m["probe/node_accuracy"] <= 1 and "probe/link_auc" in m
    assert m["params/decoder"] == m["params/head"] > 0
    assert run.result.best_epoch == 15  # select="last"
    assert run.z.shape == (g.num_nodes, 8)


def test_select_loss_keeps_the_lowest_training_loss_epoch() -> None:
    """Epoch e's loss is measured before its step, on epoch e - 1's parameters: those
    are kept (DGI's rule: the state saved before stepping)."""
    g = blocks()
    run = fit(config("dgi", epochs=25, select="loss", patience=0), g)
    hist = run.result.history
    best = min(hist, key=lambda r: r["loss"])
    assert run.result.best_epoch == best["epoch"] - 1


def test_dgi_early_stopping_on_loss() -> None:
    """Patience counts losses: the run stops at the third epoch after the one that
    measured the lowest loss."""
    g = blocks()
    run = fit(config("dgi", epochs=400, select="loss", patience=3, lr=0.05), g)
    assert run.result.epochs_run < 400
    assert run.result.epochs_run - (run.result.best_epoch + 1) == 3


def test_resume_continues_the_bgrl_schedule(tmp_path) -> None:
    import graphae.training.callbacks

    if not hasattr(graphae.training.callbacks, "TrainingControl"):
        pytest.skip("resumable training (TrainingControl) is not in this tree")
    from graphae.errors import TrainingInterrupted
    from graphae.training.callbacks import TrainingControl

    g = blocks()
    cfg = config("bgrl", epochs=8, deterministic=True)
    full = fit(cfg, copy.deepcopy(g))
    with pytest.raises(TrainingInterrupted):
        fit(
            cfg,
            copy.deepcopy(g),
            checkpoint_dir=tmp_path / "ck",
            control=TrainingControl(stop_after=4),
        )
    resumed = fit(cfg, copy.deepcopy(g), resume_from=tmp_path / "ck")
    torch.testing.assert_close(resumed.z, full.z)
    assert int(resumed.model.ema_steps) == 8


def test_cli_train_objective(tmp_path, capsys) -> None:
    def run_cli(args: list[object], capsys) -> tuple[int, str, str]:
        import logging

        from graphae.cli import main

        root = logging.getLogger()
        saved = (root.handlers[:], root.level)
        try:
            with pytest.raises(SystemExit) as info:
                main([str(a) for a in args])
        finally:
            root.handlers[:], root.level = saved
        out, err = capsys.readouterr()
        return int(info.value.code or 0), out, err

    edges = tmp_path / "e.csv"
    g = blocks()
    ei = g.data.edge_index
    edges.write_text("".join(f"{u},{v}\n" for u, v in ei.t().tolist() if u < v))
    feats = tmp_path / "f.csv"
    feats.write_text(
        "".join(
            f"{i}," + ",".join(f"{v:.4f}" for v in row) + "\n"
            for i, row in enumerate(g.data.x.tolist())
        )
    )
    out = tmp_path / "run"
    code, _, err = run_cli(
        [
            "train",
            "--graph",
            edges,
            "--features",
            feats,
            "--out",
            out,
            "--epochs",
            "3",
            "--device",
            "cpu",
            "--objective",
            "grace",
            "--objective-option",
            "tau=0.7",
            "--select",
            "last",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0, err
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["objective"] == "grace" and cfg["objective_options"] == {"tau": 0.7}
    result = json.loads((out / "result.json").read_text())
    assert result["metrics"]["params/decoder"] > 0 and "link_ip/auc" in result["metrics"]
    code, _, err = run_cli(
        ["train", "--graph", edges, "--out", tmp_path / "bad", "--objective", "simclr"], capsys
    )
    assert code == 2 and "objective" in err


# ------------------------------------------------------------------------ harness


def _row(dec: str, kind: str, params: int, acc: float, link: float) -> dict[str, object]:
    return {
        "kind": "model",
        "dataset": "D",
        "encoder": "gcn",
        "decoder": dec,
        "decoder_name": "" if kind == "contrastive" else dec,
        "decoder_kind": kind,
        "variant": "plain",
        "baseline": "",
        "n": 5,
        "order": 0,
        "params/encoder": 1000 if kind != "contrastive" else 50_000,
        "params/decoder": params,
        "recon/loss": 0.5 if kind != "contrastive" else float("nan"),
        "probe/node_accuracy": acc,
        "probe/node_accuracy_std": 0.01,
        "val/probe/node_accuracy": acc,
        "probe/link_auc": link,
        "probe/link_auc_std": 0.005,
    }


def test_capacity_answer_compares_the_best_rung_with_the_best_contrastive_row() -> None:
    import pandas as pd

    from graphae.bench.aggregate import capacity_answers
    from graphae.bench.report import _contrastive_sentence

    s = pd.DataFrame(
        [
            _row("ip", "structure", 0, 0.70, 0.95),
            _row("mlp", "structure", 500, 0.75, 0.90),
            _row("dgi", "contrastive", 262_144, 0.82, 0.88),
            _row("grace", "contrastive", 33_024, 0.80, 0.93),
        ]
    )
    (a,) = capacity_answers(s)
    assert a["rungs"] == 2 and a["best"]["decoder"] == "mlp"  # references are not rungs
    c = a["contrastive"]
    assert c["best_node"]["decoder"] == "dgi" and c["rung_beats_node"] is False
    assert c["best_link"]["decoder"] == "grace" and c["rung_beats_link"] is True
    assert not c["node_within_std"] and c["link_within_std"] is False
    text = _contrastive_sentence(a)
    assert "mlp, 0.750) does **not** beat the best self-supervised row (dgi" in text
    assert "ip, 0.950) **beats** the best self-supervised row (grace" in text


def test_sweep_with_contrastive_rows_reports_them_as_references(tmp_path) -> None:
    from graphae.bench import parse_spec, run_sweep, write_report

    spec = parse_spec(
        {
            "name": "tiny-ssl",
            "datasets": ["karate"],
            "encoders": ["gcn"],
            "decoders": [
                "inner_product",
                {
                    "name": "inner_product",
                    "label": "dgi",
                    "config": {"objective": "dgi", "select": "loss", "num_layers": 1},
                },
                {
                    "name": "inner_product",
                    "label": "grace",
                    "config": {"objective": "grace", "select": "last"},
                },
            ],
            "seeds": 1,
            "train": {
                "epochs": 5,
                "patience": 0,
                "hidden_channels": 8,
                "out_channels": 4,
                "device": "cpu",
            },
            "baselines": ["features"],
            "layers": {"node": True, "link": False, "nmi": False},
        },
        source="tiny-ssl.yaml",
    )
    kinds = {r.decoder: (r.decoder_kind, r.decoder_name) for r in spec.runs() if r.kind == "model"}
    assert kinds == {
        "inner_product": ("structure", "inner_product"),
        "dgi": ("contrastive", ""),
        "grace": ("contrastive", ""),
    }
    out = tmp_path / "sweep"
    run_sweep(spec, out, progress=False)
    report = write_report(out).read_text()
    assert "Against the contrastive references" in report
    assert "self-supervised, no decoder" in report
    assert (out / "plots" / "capacity.png").is_file()
    answers = json.loads((out / "tables" / "answers.json").read_text())
    (a,) = answers
    assert a["rungs"] == 1 and a["contrastive"]["rows"] == 2
    assert a["contrastive"]["rung_beats_node"] in (True, False)


def test_sweep_rows_use_the_settings_of_the_benchmark_script() -> None:
    """ssl-planetoid.yaml's rows = the SETTINGS that benchmarks/contrastive.py's SWEEP_ROWS name."""
    import importlib.util
    from pathlib import Path

    from graphae.bench import load_spec

    repo = Path(__file__).resolve().parents[1]
    sp = importlib.util.spec_from_file_location(
        "bench_contrastive", repo / "benchmarks/contrastive.py"
    )
    mod = importlib.util.module_from_spec(sp)
    assert sp.loader is not None
    sp.loader.exec_module(mod)
    spec = load_spec(repo / "benchmarks/configs/ssl-planetoid.yaml")
    seen = set()
    for run in spec.runs(skip_missing_optional=True):
        if run.kind != "model" or run.decoder_kind != "contrastive" or run.seed != 0:
            continue
        cfg = run.config.to_dict()
        want = dict(mod.SETTINGS[mod.SWEEP_ROWS[run.dataset][cfg["objective"]]][run.dataset])
        enc_opts = want.pop("encoder_options", {})
        assert enc_opts in ({}, {"activation": "relu"})  # the gcn default, as in the sweep
        assert {k: cfg[k] for k in want} == want, (run.dataset, run.decoder)
        seen.add((run.dataset, cfg["objective"]))
    assert seen == {(d, m) for d in ("Cora", "CiteSeer") for m in ("dgi", "grace", "bgrl")}

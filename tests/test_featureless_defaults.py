"""The defaults of a featureless user graph file (:mod:`graphae.featureless`).

* ``feature_fallback="auto"``: identity up to 2,048 nodes, else degree features beside
  learnable input codes (``degree_learnable``);
* ``featureless_decoder="auto"``: the ``ncn`` decoder up to 2,048 nodes (the inner product
  above), with and without the heuristic-counts head, the better on validation kept;
* ``export_edges="auto"``: ``refit`` (retrain on every edge for the selected epoch count)
  for a featureless file, ``split`` for everything else;

and that runs with features, named datasets and in-memory graphs are untouched.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from clihelp import run_cli

from graphae.config import RunConfig
from graphae.data.io import load_graph
from graphae.errors import GraphaeError
from graphae.featureless import (
    COUNTS_MIN_CN_AUC,
    NCN_MAX_NODES,
    compares_decoders,
    decoder_candidates,
    decoder_label,
    resolve_featureless,
)


def _ring_with_chords(n: int) -> list[tuple[int, int]]:
    return [(i, (i + 1) % n) for i in range(n)] + [(i, (i + 5) % n) for i in range(0, n, 2)]


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("".join(f"{u},{v}\n" for u, v in _ring_with_chords(40)))
    return path


@pytest.fixture
def clustered_file(tmp_path):
    """12 cliques of 6 in a ring (networkx's connected caveman graph): CN is informative."""
    import networkx as nx

    path = tmp_path / "caves.csv"
    path.write_text("".join(f"{u},{v}\n" for u, v in nx.connected_caveman_graph(12, 6).edges()))
    return path


@pytest.fixture
def large_file(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("".join(f"{u},{v}\n" for u, v in _ring_with_chords(NCN_MAX_NODES + 52)))
    return path


def test_resolution_of_a_small_featureless_file(small_file) -> None:
    config = RunConfig(graph=str(small_file))
    graph = load_graph(small_file, feature_fallback=config.feature_fallback)
    resolved, record = resolve_featureless(config, graph)
    assert (resolved.feature_fallback, resolved.decoder, resolved.export_edges) == (
        "identity",
        "inner_product",  # the decoder is chosen by decoder_candidates' comparison
        "refit",
    )
    assert record == {
        "feature_fallback": "identity",
        "decoder": "inner_product",
        "export_edges": "refit",
        "auto": ["export_edges", "feature_fallback"],
    }
    # a resolved config is a fixed point: replaying config.json repeats the run
    again, record2 = resolve_featureless(resolved, graph)
    assert again == resolved and record2["auto"] == []
    # a graph passed in memory records its fallback only
    r, rec = resolve_featureless(config, graph, defaults=False)
    assert (r.decoder, r.export_edges, r.feature_fallback) == ("inner_product", "auto", "identity")
    assert rec["auto"] == ["feature_fallback"]


def _candidates(config: RunConfig, graph) -> tuple[list[RunConfig], dict]:
    from graphae.pipeline import make_split

    return decoder_candidates(config, graph, make_split(graph, config))


def test_decoder_candidates(small_file, clustered_file, large_file) -> None:
    config = RunConfig(graph=str(clustered_file))
    graph = load_graph(clustered_file)
    got, info = _candidates(config, graph)
    assert [(c.decoder, c.decoder_options, c.featureless_decoder) for c in got] == [
        ("ncn", {}, "off"),
        ("ncn", {"counts": True}, "off"),
    ]
    assert [decoder_label(c) for c in got] == ["ncn", "ncn + counts"]
    # CN's validation AUC from the split's message-passing graph, as graphae baseline gives it
    from graphae.evaluation.metrics import link_metrics
    from graphae.nn.heuristics import split_heuristic_scores
    from graphae.pipeline import make_split

    pos, neg = split_heuristic_scores("cn", make_split(graph, config), ("val",))["val"]
    assert info == {"cn_val_auc": link_metrics(pos, neg)["auc"]}
    assert info["cn_val_auc"] >= COUNTS_MIN_CN_AUC
    assert all(
        c.replace(decoder_options={}, decoder="inner_product")
        == config.replace(featureless_decoder="off")
        for c in got
    )  # nothing else changes
    # a candidate's saved config runs it alone: no second comparison
    assert not compares_decoders(got[0]) and not compares_decoders(got[1])
    # a ring with chords has no triangles: CN tells nothing, so the base decoder alone
    ring, ring_info = _candidates(RunConfig(graph=str(small_file)), load_graph(small_file))
    assert [(c.decoder, c.decoder_options) for c in ring] == [("ncn", {})]
    assert ring_info["cn_val_auc"] == 0.5
    # above 2,048 nodes the base is the inner product
    big, _ = _candidates(RunConfig(graph=str(large_file)), load_graph(large_file))
    assert [(c.decoder, c.decoder_options) for c in big] == [("inner_product", {})]
    # the user's choices are kept: no candidates
    for changes in (
        {"decoder": "mlp"},
        {"featureless_decoder": "off"},
        {"decoder_options": {"counts": True}},
        {"encoder": "embedding"},
        {"objective": "grace"},
        {"feature_decoder": "linear"},
    ):
        assert _candidates(config.replace(**changes), graph) == ([], {}), changes
    # a directed graph (ncn's neighbourhoods are undirected) and a file with features
    directed = load_graph(clustered_file, directed=True)
    assert _candidates(config.replace(directed=True), directed) == ([], {})
    assert not compares_decoders(config.replace(features="x.csv"))


def test_the_comparison_keeps_the_better_validation_auc_and_replays_exactly(
    clustered_file, tmp_path, capsys, monkeypatch
) -> None:
    import graphae.pipeline
    from graphae.pipeline import fit, make_split

    config = RunConfig(graph=str(clustered_file), epochs=15, seed=2, device="cpu")
    loads: list[str] = []
    load_input = graphae.pipeline.load_input
    monkeypatch.setattr(
        graphae.pipeline, "load_input", lambda c: loads.append(c.graph) or load_input(c)
    )
    run = fit(config)
    assert loads == [str(clustered_file)]  # the file is read once for both candidates
    monkeypatch.undo()
    record = run.result.graph["featureless"]
    compared = record["compared"]
    assert [c["decoder"] for c in compared] == ["ncn", "ncn + counts"]
    aucs = [c["val_auc"] for c in compared]
    winner = aucs.index(max(aucs))
    assert decoder_label(run.config) == compared[winner]["decoder"]
    assert run.result.metrics["val/link/auc"] == max(aucs)
    assert "decoder" in record["auto"] and run.config.featureless_decoder == "off"
    assert record["decoder_options"] == run.config.decoder_options
    # every candidate is an ordinary run: the losing one, trained alone, has the recorded AUC
    loser = decoder_candidates(config, run.graph, make_split(run.graph, config))[0][1 - winner]
    assert fit(loser).result.metrics["val/link/auc"] == aucs[1 - winner]
    # the winner's saved config repeats it bit for bit, without a comparison
    alone = fit(run.config)
    assert "compared" not in alone.result.graph["featureless"]
    assert torch.equal(alone.z, run.z) and torch.equal(alone.export_z, run.export_z)
    # from the CLI: the choice is printed and metrics.jsonl holds the winner's epochs once
    out = tmp_path / "cli"
    code, stdout, err = run_cli(
        ["train", "--graph", clustered_file, "--epochs", 15, "--seed", 2, "--device", "cpu",
         "--out", out, "--no-progress", "--log-every", 5],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    # progress lines come live, per candidate (not replayed from the winner's history)
    lines = [line for line in err.splitlines() if ": epoch " in line]
    assert [line.split(": loss")[0] for line in lines] == [
        f"{label}: epoch {e}/15" for label in ("ncn", "ncn + counts") for e in (5, 10, 15)
    ]
    assert f"decoder: chosen on validation AUC, ncn {aucs[0]:.4f}, ncn + counts {aucs[1]:.4f}" in (
        stdout
    )
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == list(range(1, run.result.epochs_run + 1))
    saved = json.loads((out / "config.json").read_text())
    assert saved["decoder_options"] == run.config.decoder_options


def test_a_decoder_named_on_the_command_line_is_the_one_trained(
    small_file, tmp_path, capsys
) -> None:
    """--decoder inner_product (the default, named) is not replaced by the featureless
    choice; --featureless-decoder auto given with it still compares."""
    out = tmp_path / "ip"
    code, _, err = run_cli(
        ["train", "--graph", small_file, "--epochs", 3, "--decoder", "inner_product",
         "--out", out, "--no-progress", "--device", "cpu"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    saved = json.loads((out / "config.json").read_text())
    assert (saved["decoder"], saved["featureless_decoder"]) == ("inner_product", "off")
    assert json.loads((out / "result.json").read_text())["metrics"]["params/decoder"] == 0
    out = tmp_path / "auto"
    code, _, err = run_cli(
        ["train", "--graph", small_file, "--epochs", 3, "--decoder", "inner_product",
         "--featureless-decoder", "auto", "--out", out, "--no-progress", "--device", "cpu"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["decoder"] == "ncn"


def test_a_degree_input_run_embeds_another_graph(small_file, tmp_path, capsys) -> None:
    """Degree inputs are the inductive fallback: another graph (other ids, other size)
    gets degree features of the same width; identity inputs are refused (see
    test_bad_input_cli)."""
    from graphae.inference import embed_graph

    out = tmp_path / "deg"
    code, _, err = run_cli(
        ["train", "--graph", small_file, "--epochs", 3, "--feature-fallback", "degree",
         "--out", out, "--no-progress", "--device", "cpu"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    other = tmp_path / "other.csv"  # the same structure under other ids, and a 25-node graph
    other.write_text("".join(f"m{u},m{v}\n" for u, v in _ring_with_chords(40)))
    own, renamed = embed_graph(out, graph=small_file), embed_graph(out, graph=other)
    assert renamed.ids == [f"m{i}" for i in own.ids]
    np.testing.assert_array_equal(renamed.vectors, own.vectors)  # ids play no part
    smaller = tmp_path / "small.csv"
    smaller.write_text("".join(f"k{u},k{v}\n" for u, v in _ring_with_chords(25)))
    emb = embed_graph(out, graph=smaller)
    assert len(emb) == 25 and emb.dim == own.dim and np.isfinite(emb.vectors).all()
    with pytest.raises(GraphaeError, match="without --features"):
        embed_graph(out, graph=other, features=small_file)


def test_features_and_datasets_are_untouched(small_file, tmp_path) -> None:
    feats = tmp_path / "x.csv"
    feats.write_text("id,a,b\n" + "".join(f"{i},{i % 3},{i % 5}\n" for i in range(40)))
    config = RunConfig(graph=str(small_file), features=str(feats))
    graph = load_graph(small_file, features=feats)
    assert resolve_featureless(config, graph) == (config, None)


def test_large_featureless_file_gets_degree_features_beside_codes(large_file) -> None:
    from graphae.models import build_model
    from graphae.nn.latent import HybridEncoder

    n = NCN_MAX_NODES + 52
    graph = load_graph(large_file)
    assert graph.feature_source == "degree_learnable" and graph.num_features == 17
    # log(1 + degree) then the one-hot log2 bucket: node 0 has 3 neighbours (1, n-1, 5)
    assert graph.data.x[0, 0].item() == pytest.approx(np.log(4.0))
    assert graph.data.x[0, 1 + 2].item() == 1.0
    config, _ = resolve_featureless(RunConfig(graph=str(large_file)), graph)
    assert (config.feature_fallback, config.decoder, config.export_edges) == (
        "degree_learnable",
        "inner_product",
        "refit",
    )
    model = build_model(config, graph.num_features, n)
    assert isinstance(model.encoder, HybridEncoder)
    assert model.encoder.input_table.weight.shape == (n, config.hidden_channels)
    # the first GCN layer reads the 17 degree columns and the 32-wide code side by side
    first = dict(model.encoder.named_parameters())["inner.lins.0.weight"]
    assert first.shape == (config.hidden_channels, 17 + config.hidden_channels)
    # the old choice stays available: degree features alone build no table
    plain = build_model(config.replace(feature_fallback="degree"), 17, n)
    assert not isinstance(plain.encoder, HybridEncoder)


def test_refit_export_trains_on_every_edge_and_reloads_exactly(small_file, tmp_path) -> None:
    from graphae.embeddings import load_embeddings
    from graphae.inference import embed_graph, load_model
    from graphae.inference.runs import probe_run
    from graphae.pipeline import export_split, fit, make_split
    from graphae.rundir import save_run

    config = RunConfig(graph=str(small_file), epochs=12, seed=1, device="cpu")
    run = fit(config)
    assert run.config.decoder == "ncn" and run.config.export_edges == "refit"
    chosen = run.result.graph["featureless"]
    assert "compared" not in chosen and chosen["cn_val_auc"] < COUNTS_MIN_CN_AUC  # a ring: no CN
    assert "decoder" in chosen["auto"] and chosen["decoder_options"] == {}
    graph = run.graph
    assert run.result.graph["featureless"]["export_edges"] == "refit"
    info = run.result.export
    assert info["edges"] == "refit" and info["epochs"] == run.result.best_epoch
    assert info["mp_edges"] == graph.data.edge_index.size(1)  # every edge, both directions
    held_out = make_split(graph, run.config)
    assert held_out.mp_edge_index.size(1) < info["mp_edges"]  # the measured run held out edges
    assert not torch.equal(run.export_z, run.z)

    # the refit equals a run of the same config and seed on every edge, as many epochs
    full = export_split(graph, run.config)
    assert full.val_pos.numel() == 0 and full.test_pos.numel() == 0
    again = fit(
        run.config.replace(
            val_ratio=0.0,
            test_ratio=0.0,
            epochs=info["epochs"],
            select="last",
            patience=0,
            export_edges="split",
        )
    )
    assert torch.equal(again.z, run.export_z)

    out = save_run(tmp_path / "run", run)
    saved = load_embeddings(out / "embeddings.npy")
    np.testing.assert_array_equal(saved.vectors, run.export_z.numpy())
    # the saved model is the refit one, and re-embedding the run reproduces its file
    model, _, _ = load_model(out)
    want = run.export_model.state_dict()
    assert all(torch.equal(v, want[k]) for k, v in model.state_dict().items())
    np.testing.assert_array_equal(embed_graph(out).vectors, saved.vectors)
    # the embeddings saw every edge: no held-out link probe from them
    assert "probe/link_auc" not in probe_run(out)
    assert json.loads((out / "config.json").read_text())["export_edges"] == "refit"


def test_export_all_and_split(small_file) -> None:
    from graphae.pipeline import export_split, fit

    base = RunConfig(graph=str(small_file), epochs=6, seed=0, device="cpu")
    split_run = fit(base.replace(export_edges="split"))
    assert split_run.exported is None and split_run.result.export == {}
    assert split_run.export_z is split_run.z
    all_run = fit(base.replace(export_edges="all"))
    assert all_run.result.export["epochs"] is None
    # "all": the selected model (the same as the split run's), encoded over every edge
    torch.testing.assert_close(all_run.z, split_run.z, rtol=0, atol=0)
    full = export_split(all_run.graph, all_run.config)
    with torch.no_grad():
        want = all_run.model.encode(all_run.graph.data.x, full.mp_edge_index, full.mp_edge_weight)
    assert torch.equal(all_run.export_z, want)
    assert all_run.export_model is all_run.model


def test_in_memory_graph_keeps_inner_product_and_split_export(small_file) -> None:
    from graphae.pipeline import fit

    graph = load_graph(small_file)
    run = fit(RunConfig(graph="<in-memory>", epochs=3, device="cpu"), graph=graph)
    assert run.config.decoder == "inner_product" and run.exported is None
    assert run.result.graph["featureless"]["auto"] == ["feature_fallback"]


def test_cli_reports_the_defaults_and_refuses_bad_values(small_file, tmp_path, capsys) -> None:
    out = tmp_path / "run"
    code, stdout, err = run_cli(
        ["train", "--graph", small_file, "--epochs", 5, "--out", out, "--no-progress"], capsys
    )
    assert code == 0, err
    lines = stdout.splitlines()
    assert any(
        line.startswith("exported: a model retrained on all 60 edges for ") for line in lines
    ), stdout
    result = json.loads((out / "result.json").read_text())
    assert result["graph"]["featureless"]["decoder"] == "ncn"
    assert result["metrics"]["params/decoder"] > 0  # ncn has parameters, the inner product none

    code, _, err = run_cli(
        ["train", "--graph", small_file, "--export-edges", "everything", "--out", tmp_path / "x"],
        capsys,
    )
    assert code == 2 and "everything" in err and len(err.strip().splitlines()) <= 3
    with pytest.raises(GraphaeError, match="export_edges='nope' \\(must be auto, split, all"):
        RunConfig(graph="g.csv", export_edges="nope")


def test_a_config_recorded_before_the_defaults_resumes_as_it_ran() -> None:
    from graphae.data.io import IDENTITY_MAX_NODES
    from graphae.featureless import as_recorded

    old = {"graph": "edges.csv", "feature_fallback": "auto", "decoder": "inner_product"}
    config = RunConfig.from_dict(old)
    small = as_recorded(config, old, {"num_nodes": IDENTITY_MAX_NODES})
    assert (small.feature_fallback, small.featureless_decoder, small.export_edges) == (
        "identity",
        "off",
        "split",
    )
    large = as_recorded(config, old, {"num_nodes": IDENTITY_MAX_NODES + 1})
    assert large.feature_fallback == "learnable"  # what "auto" meant above 2,048 nodes then
    new = config.to_dict()  # saved by this version: export_edges present, kept as is
    assert as_recorded(config, new, {"num_nodes": IDENTITY_MAX_NODES + 1}) is config
    assert as_recorded(config, old, None) is config  # no meta: nothing to go by
    with_features = RunConfig(graph="edges.csv", features="x.csv")
    kept = as_recorded(
        with_features, {"graph": "edges.csv", "features": "x.csv"}, {"num_nodes": 10}
    )
    assert kept.feature_fallback == "auto" and kept.export_edges == "split"


def test_an_interrupted_comparison_leaves_nothing_and_reruns(
    clustered_file, tmp_path, capsys, monkeypatch
) -> None:
    import os
    import signal

    import graphae.training.sampling as T

    out = tmp_path / "run"
    args = ["train", "--graph", clustered_file, "--epochs", 10, "--device", "cpu",
            "--out", out, "--no-progress"]  # fmt: skip
    real, calls = T.sample_negatives, {"n": 0}

    def sampler(*a: object, **k: object) -> object:
        calls["n"] += 1
        if calls["n"] == 14:  # during the second candidate (10 epochs each)
            os.kill(os.getpid(), signal.SIGINT)
        return real(*a, **k)

    monkeypatch.setattr(T, "sample_negatives", sampler)
    code, _, err = run_cli(args, capsys)
    monkeypatch.undo()
    assert code == 130
    assert "no checkpoint was written yet, so run the same command again" in err
    assert not out.exists()
    assert not (tmp_path / "run.partial").exists() or not any((tmp_path / "run.partial").iterdir())
    # running the same command again is not refused and finishes with the comparison
    code, stdout, err = run_cli(args, capsys)
    assert code == 0, err
    assert "decoder: chosen on validation AUC" in stdout and (out / "embeddings.npy").is_file()

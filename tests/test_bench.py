"""The benchmark harness: spec -> runs -> tables -> report, resume, failures, probes, baselines.

Sweeps run on the karate club (34 nodes, no files needed) for a few epochs. The
probe-near-chance / near-one checks of the underlying probes live in
``test_evaluate.py``; here they are checked through the bench's own wrapper.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from graphae.bench import load_spec, parse_spec, run_sweep, write_report, write_tables
from graphae.bench.aggregate import capacity_answers
from graphae.bench.anchors import match_anchors, read_anchors
from graphae.bench.baselines import normalized_adjacency, spectral_embedding
from graphae.bench.probes import layer_outputs
from graphae.bench.runner import is_finished, read_failures, run_one
from graphae.errors import GraphaeError
from graphae.evaluation.measure import probe_embeddings

REPO = Path(__file__).resolve().parents[1]

TINY = {
    "name": "tiny",
    "datasets": ["karate"],
    "encoders": ["gcn"],
    "decoders": ["inner_product", "mirror"],
    "seeds": 1,
    "train": {"epochs": 5, "patience": 0, "hidden_channels": 8, "out_channels": 4, "device": "cpu"},
    "baselines": ["untrained", "features", "spectral"],
}


def tiny_spec(**changes: Any):
    return parse_spec({**TINY, **changes}, source="tiny.yaml")


def write_yaml(path: Path, obj: dict[str, Any], command: str = "") -> Path:
    import yaml

    text = (f"# {command}\n" if command else "") + yaml.safe_dump(obj, sort_keys=False)
    path.write_text(text)
    return path


# ---------------------------------------------------------------- end to end


def test_two_run_sweep_end_to_end_through_the_cli(tmp_path: Path, capsys) -> None:
    from graphae.cli import main

    cfg = write_yaml(tmp_path / "tiny.yaml", TINY, "graphae bench tiny.yaml --out sweep")
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) as e:
        main(["bench", str(cfg), "--out", str(out), "--dry-run"])
    assert e.value.code == 0
    listed = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("todo")]
    assert len(listed) == 5  # 2 trained runs + 3 baselines, one line each with its id
    ids = [ln.split()[1] for ln in listed]
    assert not out.exists()  # a dry run writes nothing

    with pytest.raises(SystemExit) as e:
        main(["bench", str(cfg), "--out", str(out), "--no-progress"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    assert "5/5 runs finished" in text and "wrote" in text
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(ids)

    # run folders: config, result (device, timings, memory), labels, layer-wise probes
    mirror = next((out / "runs").glob("karate-gcn-mirror-*"))
    assert {"config.json", "result.json", "bench.json", "layers.json", ".graphae-run"} <= {
        p.name for p in mirror.iterdir()
    }
    result = json.loads((mirror / "result.json").read_text())
    assert result["device"] == "cpu" and result["timings"]["train"] > 0
    assert result["memory"]["peak_rss"] > 0
    layers = json.loads((mirror / "layers.json").read_text())["layers"]
    parts = [rec["part"] for rec in layers]
    assert parts == ["encoder", "encoder", "decoder", "decoder"]
    assert layers[-1]["dim"] == 34  # the mirror's last layer is x̂ (identity features, F = N)
    z_layer = layers[1]  # the last encoder layer is z: the same probes as the run's own metrics
    for key in ("probe/node_accuracy", "probe/link_auc", "probe/nmi"):
        assert z_layer[key] == pytest.approx(result["metrics"][key], abs=1e-12)

    # tables
    runs = pd.read_csv(out / "tables" / "runs.csv")
    assert len(runs) == 5
    assert sorted(runs["baseline"].fillna("")) == ["", "", "features", "spectral", "untrained"]
    models = runs[runs["kind"] == "model"].set_index("decoder")
    assert models.loc["inner_product", "params/decoder"] == 0
    assert models.loc["mirror", "params/decoder"] > 0
    assert models.loc["mirror", "decoder_kind"] == "feature"
    for col in ("probe/node_accuracy", "probe/link_auc", "probe/nmi"):
        assert runs[col].between(0, 1).all()
    summary = pd.read_csv(out / "tables" / "summary.csv")
    assert len(summary) == 5 and (summary["n"] == 1).all()
    assert json.loads((out / "tables" / "summary.json").read_text())[0]["dataset"] == "karate"

    # report with plots, stating the answer
    report = (out / "report.md").read_text()
    for png in ("capacity.png", "loss_vs_probe.png", "layers.png"):
        assert (out / "plots" / png).stat().st_size > 5000
        assert f"plots/{png}" in report
    assert "the best node-probe accuracy comes from the" in report
    assert "baseline: spectral" in report
    assert "graphae bench tiny.yaml --out sweep" in report


def test_report_command_on_a_folder_without_runs(tmp_path: Path, capsys) -> None:
    from graphae.cli import main

    with pytest.raises(SystemExit) as e:
        main(["report", str(tmp_path)])
    assert e.value.code == 2
    assert "holds no runs/ folder" in capsys.readouterr().err


def test_report_draws_reference_rows_from_another_sweep(tmp_path: Path, capsys) -> None:
    """Self-supervised rows in a sweep of their own join the ladder's report."""
    from graphae.cli import main

    ladder = tmp_path / "ladder"
    run_sweep(tiny_spec(baselines=[]), ladder, progress=False)
    dgi = {"name": "inner_product", "label": "dgi", "config": {"objective": "dgi", "epochs": 3}}
    ssl = tmp_path / "ssl"
    run_sweep(tiny_spec(name="ssl", decoders=[dgi], baselines=["spectral"]), ssl, progress=False)
    with pytest.raises(SystemExit) as e:
        main(["report", str(ladder), "--references", str(ssl)])
    assert e.value.code == 0
    runs = pd.read_csv(ladder / "tables" / "runs.csv")
    assert sorted(runs["decoder"]) == ["dgi", "inner_product", "mirror"]  # not ssl's baseline
    assert runs.set_index("decoder").loc["dgi", "source"] == str(ssl)
    assert runs["source"].fillna("").tolist().count("") == 2
    report = (ladder / "report.md").read_text()
    assert f"Reference rows: 1 finished model runs from the sweep `{ssl}`" in report
    assert "- 2 trained runs, 0 baseline runs;" in report  # the sweep's own
    assert "Grey horizontal lines" not in report  # no baselines drawn, none announced
    assert "- Reference runs (not counted above): 1," in report
    assert f"graphae report {ladder} --references {ssl}" in report
    assert "Against the contrastive references" in report and "(dgi," in report
    # without the reference the rows are gone again
    write_report(ladder)
    assert "dgi" not in set(pd.read_csv(ladder / "tables" / "runs.csv")["decoder"])
    with pytest.raises(SystemExit) as e:
        main(["report", str(ladder), "--references", str(tmp_path / "nowhere")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "reference" in err and "holds no runs/ folder" in err and err.count("\n") == 1


def test_references_never_average_into_the_sweeps_own_rows(tmp_path: Path) -> None:
    """A folder given as its own reference adds nothing (same run ids); another sweep
    with the same labels (here: other epochs) is refused rather than averaged in."""
    from graphae.bench.aggregate import collect_with_references

    ladder = tmp_path / "ladder"
    run_sweep(tiny_spec(baselines=[]), ladder, progress=False)
    runs, _, info = collect_with_references(ladder, [ladder])
    assert len(runs) == 2 and info["references"][0]["runs"] == 0
    assert len(info["curves"]) == 10  # 2 runs x 5 epochs, not twice
    other = tmp_path / "other"
    train = {**TINY["train"], "epochs": 3}
    run_sweep(tiny_spec(name="other", baselines=[], train=train), other, progress=False)
    with pytest.raises(GraphaeError, match="labelled like the sweep's own"):
        collect_with_references(ladder, [other])


def test_two_runs_with_one_label_and_seed_are_refused_not_averaged(tmp_path: Path) -> None:
    """Without sweep.json every run folder is read: a run of an older spec version with
    the same labels and seed would become a second "seed" of the row."""
    from graphae.bench.aggregate import collect

    out = tmp_path / "sweep"
    run_sweep(tiny_spec(decoders=["inner_product"], baselines=[]), out, progress=False)
    train = {**TINY["train"], "epochs": 3}
    run_sweep(tiny_spec(decoders=["inner_product"], baselines=[], train=train), out, progress=False)
    assert len(collect(out)[0]) == 1  # sweep.json lists the current version's run
    (out / "sweep.json").unlink()
    with pytest.raises(GraphaeError, match="share their labels and seed") as e:
        collect(out)
    assert "--max-runs 0" in str(e.value)


# ---------------------------------------------------------------- resume and failures


def _finished_mtimes(out: Path) -> dict[str, int]:
    return {
        p.name: (p / "result.json").stat().st_mtime_ns
        for p in (out / "runs").iterdir()
        if (p / "result.json").is_file()
    }


def test_interrupted_sweep_resumes_without_redoing_finished_runs(tmp_path: Path) -> None:
    spec = tiny_spec(baselines=[])
    out = tmp_path / "sweep"
    calls: list[str] = []

    def interrupt_second(run, graph, out_dir, **kw):
        calls.append(run.run_id)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the second run
        return run_one(run, graph, out_dir, **kw)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, out, progress=False, run_fn=interrupt_second)
    first, second = calls
    assert is_finished(out, first) and not is_finished(out, second)
    assert sorted(p.name for p in (out / "runs").iterdir()) == [first]  # no half-written folder
    assert not (out / ".bench.lock").exists()
    before = _finished_mtimes(out)

    ran: list[str] = []

    def counting(run, graph, out_dir, **kw):
        ran.append(run.run_id)
        return run_one(run, graph, out_dir, **kw)

    outcome = run_sweep(spec, out, progress=False, run_fn=counting)
    assert ran == [second] and outcome.already_done == 1 and outcome.complete
    assert _finished_mtimes(out)[first] == before[first]  # the finished run was not redone
    # a third call has nothing to do
    outcome = run_sweep(spec, out, progress=False, run_fn=counting)
    assert ran == [second] and outcome.ran == [] and outcome.already_done == 2


def test_failed_run_is_logged_the_sweep_goes_on_and_a_rerun_retries_it(tmp_path: Path) -> None:
    spec = tiny_spec(baselines=[])
    out = tmp_path / "sweep"
    bad = spec.runs()[0].run_id

    def flaky(run, graph, out_dir, **kw):
        if run.run_id == bad:
            raise RuntimeError("simulated out of memory\nsecond line")
        return run_one(run, graph, out_dir, **kw)

    outcome = run_sweep(spec, out, progress=False, run_fn=flaky)
    assert outcome.failed == {bad: "RuntimeError: simulated out of memory"}
    assert len(outcome.ran) == 1 and not outcome.complete
    log = read_failures(out)
    assert [(f["run_id"], f["attempt"], f["error"]) for f in log] == [
        (bad, 1, "RuntimeError: simulated out of memory")
    ]
    assert "Traceback" in log[0]["traceback"]
    tables = write_tables(out)
    assert tables["info"]["failures"] == {bad: "RuntimeError: simulated out of memory"}
    report = write_report(out).read_text()
    assert "1 run not finished" in report and "simulated out of memory" in report

    assert run_sweep(spec, out, progress=False, retry_failed=False).ran == []
    outcome = run_sweep(spec, out, progress=False)
    assert outcome.ran == [bad] and outcome.complete


def test_stale_temporary_folders_are_cleaned_and_a_live_lock_refuses(tmp_path: Path) -> None:
    spec = tiny_spec(baselines=[], decoders=["inner_product"])
    out = tmp_path / "sweep"
    (out / "runs" / ".x.tmp-0123abcd").mkdir(parents=True)
    (out / "sweep.json").write_text("{}")
    run_sweep(spec, out, progress=False)
    assert not (out / "runs" / ".x.tmp-0123abcd").exists()
    import socket

    (out / ".bench.lock").write_text(
        json.dumps({"pid": os.getppid(), "host": socket.gethostname()})
    )
    with pytest.raises(GraphaeError, match="another graphae bench"):
        run_sweep(spec, out, progress=False)


def test_out_folder_that_is_not_a_sweep_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(GraphaeError, match="not a graphae sweep folder"):
        run_sweep(tiny_spec(), tmp_path, progress=False)
    assert (tmp_path / "mine.txt").read_text() == "precious"


@pytest.mark.slow
def test_sigkill_mid_sweep_then_rerun_finishes_it(tmp_path: Path) -> None:
    cfg = write_yaml(
        tmp_path / "tiny.yaml", {**TINY, "seeds": 3, "train": {**TINY["train"], "epochs": 200}}
    )
    out = tmp_path / "sweep"
    cmd = [
        sys.executable,
        "-m",
        "graphae.cli",
        "bench",
        str(cfg),
        "--out",
        str(out),
        "--no-report",
        "--no-progress",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while (
        time.time() < deadline and len(_finished_mtimes(out) if (out / "runs").is_dir() else {}) < 2
    ):
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _finished_mtimes(out)
    assert before
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = _finished_mtimes(out)
    assert len(after) == 15
    assert all(after[k] == v for k, v in before.items())
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------- spec


def test_run_ids_are_stable_and_ignore_where_a_run_executes() -> None:
    a = [r.run_id for r in tiny_spec().runs()]
    b = [r.run_id for r in tiny_spec().runs()]
    assert a == b and len(set(a)) == len(a)
    assert all(re.fullmatch(r"[a-z0-9-]+-s\d+-[0-9a-f]{10}", i) for i in a)
    moved = tiny_spec(train={**TINY["train"], "device": "auto", "data_root": "/elsewhere"})
    assert [r.run_id for r in moved.runs()] == a
    longer = [r.run_id for r in tiny_spec(train={**TINY["train"], "epochs": 6}).runs()]
    models = [i for i in a if "baseline" not in i]
    assert not set(models) & set(longer)
    # baselines do not depend on training settings: they are shared
    assert {i for i in a if "baseline" in i} <= set(longer)


def test_spec_product_labels_options_variants_and_exclude() -> None:
    spec = tiny_spec(
        decoders=[
            "inner_product",
            {"name": "mlp", "options": {"depth": 2, "width": 16}},
            {"name": "bilinear", "options": {"diagonal": True}, "label": "distmult"},
        ],
        variants={"plain": {}, "vgae": {"variational": True}},
        seeds=[3, 7],
        exclude=[{"decoder": "distmult", "variant": "vgae"}],
        baselines=["spectral"],
    )
    runs = spec.runs()
    models = [r for r in runs if r.kind == "model"]
    assert len(models) == (3 * 2 - 1) * 2
    assert {r.decoder for r in models} == {"inner_product", "mlp-depth2-width16", "distmult"}
    mlp = next(r for r in models if r.decoder.startswith("mlp"))
    assert mlp.config.decoder_options == {"depth": 2, "width": 16}
    assert mlp.config.epochs == 5 and mlp.seed in (3, 7)
    assert all(r.config.variational for r in models if r.variant == "vgae")
    assert [r.seed for r in runs if r.kind == "baseline"] == [3, 7]


def test_optional_missing_dataset_is_skipped(tmp_path: Path) -> None:
    spec = tiny_spec(
        datasets=["karate", {"name": "PubMed", "optional": True}],
        train={**TINY["train"], "data_root": str(tmp_path)},
    )
    assert spec.skipped_datasets() == ["PubMed"]
    assert {r.dataset for r in spec.runs()} == {"karate"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"decoder": ["inner_product"]},
            r"unknown top-level key 'decoder' \(did you mean 'decoders'\?\)",
        ),
        (
            {"decoders": ["inner_prod"]},
            r"decoders\[0\]: unknown decoder 'inner_prod' \(did you mean 'inner_product'\?\); "
            r"valid decoders: .*mirror",
        ),
        (
            {"decoders": [{"name": "mlp", "options": {"deep": 2}}]},
            r"decoders\[0\]: decoder 'mlp' has no option 'deep' \(did you mean 'depth'\?\); valid options: depth",
        ),
        (
            {"decoders": [{"name": "mlp", "options": {"depth": "two"}}]},
            r"decoders\[0\]: decoder 'mlp': option 'depth' must be an integer, got 'two'",
        ),
        (
            {"decoders": [{"name": "mlp", "options": {"residual": 1}}]},
            r"decoders\[0\]: decoder 'mlp': option 'residual' must be true or false, got 1",
        ),
        ({"decoders": [{"name": "mlp", "opts": {}}]}, r"decoders\[0\]: unknown key 'opts'"),
        (
            {"encoders": ["gcnn"]},
            r"unknown encoder 'gcnn' \(did you mean 'gcn'\?\); valid encoders: .*gcn",
        ),
        (
            {"train": {"epoch": 3}},
            r"train: unknown RunConfig field 'epoch' \(did you mean 'epochs'\?\)",
        ),
        ({"train": {"decoder": "mlp"}}, r"train: 'decoder' is set by the sweep axes"),
        ({"train": {"epochs": 0}}, r"invalid value for epochs"),
        ({"decoders": ["inner_product", "inner_product"]}, r"duplicate label 'inner_product'"),
        ({"seeds": 0}, r"seeds: need at least one seed"),
        ({"seeds": [1, 1]}, r"seeds: repeated seeds"),
        (
            {"baselines": ["pca"]},
            r"unknown baseline 'pca'; valid baselines: adamic_adar, common_neighbors, features, "
            r"katz, preferential_attachment, resource_allocation, spectral, untrained",
        ),
        ({"datasets": ["Coraa"]}, r"datasets\[0\]: .*Coraa"),
        ({"variants": ["plain"]}, r"variants: expected a mapping"),
        ({"layers": {"node": "yes"}}, r"layers.node: expected true or false"),
        ({"layers": {"max_width": 0}}, r"layers.max_width: expected a positive int or null"),
        ({"layers": {"max_width": True}}, r"layers.max_width: expected a positive int or null"),
        ({"layers": {"max_wdith": 8}}, r"layers: unknown key 'max_wdith'"),
        ({"exclude": [{"decoderr": "x"}]}, r"exclude\[0\]: unknown key 'decoderr'"),
    ],
)
def test_spec_errors_are_one_clear_line(change: dict[str, Any], message: str) -> None:
    with pytest.raises(GraphaeError, match=message) as e:
        parse_spec({**TINY, **change}, source="tiny.yaml")
    assert "\n" not in str(e.value) and str(e.value).startswith("tiny.yaml")


def test_spec_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets: [karate\ndecoders: x\n")
    with pytest.raises(GraphaeError, match=r"bad.yaml: line \d+ invalid YAML"):
        load_spec(bad)
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    with pytest.raises(GraphaeError, match="the spec is empty"):
        load_spec(tmp_path / "empty.yaml")
    with pytest.raises(GraphaeError, match="missing 'decoders'"):
        parse_spec({"datasets": ["karate"]}, source="x.yaml")
    with pytest.raises(GraphaeError, match="cannot read sweep spec"):
        load_spec(tmp_path / "absent.yaml")


def test_repository_configs_open_with_their_command_and_parse() -> None:
    from graphae.nn.decoders import decoders
    from graphae.nn.encoders import encoders
    from graphae.nn.latent import HYBRID_OPTIONS

    configs = sorted((REPO / "benchmarks" / "configs").glob("*.yaml"))
    assert {p.name for p in configs} >= {"capacity-planetoid.yaml", "capacity-ogb.yaml"}
    for path in configs:
        first = path.read_text().splitlines()[0]
        assert re.fullmatch(
            rf"# graphae bench benchmarks/configs/{re.escape(path.name)} --out \S+.*", first
        ), first
        if "embedding" not in encoders.names() and "embedding" in path.read_text():
            continue  # the auto-decoder encoder (issue 4) is not registered yet
        if "table_init" not in HYBRID_OPTIONS and "table_init:" in path.read_text():
            continue  # the orthogonal table init (engineer i20's branch) is not merged yet
        spec = load_spec(path)
        assert spec.runs(skip_missing_optional=False)
    planetoid = load_spec(REPO / "benchmarks" / "configs" / "capacity-planetoid.yaml")
    assert {d.name for d in planetoid.decoders} == set(decoders.names())  # the whole ladder
    assert len(planetoid.seeds) >= 5


# ---------------------------------------------------------------- probes and baselines


def two_communities(n: int = 40, seed: int = 0):
    """Two dense blocks joined by a few edges; random features; labels = block."""
    from torch_geometric.data import Data
    from torch_geometric.utils import to_undirected

    from graphae.data.graph import Graph, NodeIndex

    rng = np.random.default_rng(seed)
    half = n // 2
    edges = []
    for u in range(n):
        for v in range(u + 1, n):
            same = (u < half) == (v < half)
            if rng.random() < (0.3 if same else 0.01):
                edges.append((u, v))
    ei = to_undirected(torch.tensor(edges).t(), num_nodes=n)
    y = torch.tensor([0] * half + [1] * (n - half))
    data = Data(
        x=torch.randn(n, 8, generator=torch.Generator().manual_seed(seed)),
        edge_index=ei,
        y=y,
        num_nodes=n,
    )
    return Graph(data, NodeIndex.range(n), "blocks", False, feature_source="file")


def test_bench_probes_random_near_chance_and_label_derived_near_one() -> None:
    from graphae.data.split import random_link_split

    g = two_communities(80)
    split = random_link_split(g.data.edge_index, g.num_nodes, seed=0)
    rng = np.random.default_rng(0)
    noise = probe_embeddings(rng.normal(size=(80, 4)), g, split, seed=0)
    onehot = np.eye(2)[g.y.numpy()] + 0.01 * rng.normal(size=(80, 2))
    label = probe_embeddings(onehot, g, split, seed=0)
    assert noise["probe/node_accuracy"] < 0.75 and noise["probe/nmi"] < 0.2
    assert abs(noise["probe/link_auc"] - 0.5) < 0.2
    assert label["probe/node_accuracy"] > 0.95 and label["probe/nmi"] > 0.9
    # edges are mostly within a block, but so is half of the random negatives
    assert label["probe/link_auc"] > 0.7


def test_spectral_embedding_is_the_truncated_svd_of_the_normalised_adjacency(tiny_graph) -> None:
    g = tiny_graph()
    a = normalized_adjacency(g.data.edge_index, 6).toarray()
    dense = np.zeros((6, 6))
    ei = g.data.edge_index.numpy()
    dense[ei[0], ei[1]] = 1
    dense += np.eye(6)
    d = dense.sum(1) ** -0.5
    np.testing.assert_allclose(a, d[:, None] * dense * d[None, :], atol=1e-12)
    z = spectral_embedding(g.data.edge_index, 6, 2)
    u, s, _ = np.linalg.svd(a)
    expect = u[:, :2] * np.sqrt(s[:2])
    for j in range(2):  # unique up to the sign of each column
        assert (
            min(np.abs(z[:, j] - expect[:, j]).max(), np.abs(z[:, j] + expect[:, j]).max()) < 1e-5
        )
    np.testing.assert_allclose(z @ z.T, expect @ expect.T, atol=1e-5)  # rank-2 reconstruction


def test_layer_outputs_walk_encoder_then_decoder(tiny_graph) -> None:
    from graphae.config import RunConfig
    from graphae.data.split import random_link_split
    from graphae.models import build_model

    g = tiny_graph()
    split = random_link_split(g.data.edge_index, 6, val_ratio=0.15, test_ratio=0.15, seed=0)
    for decoder, dec_dims in (
        ("inner_product", []),
        ("gnn", [8, 8]),
        ("mirror", [8, 6]),
        ("tied", [8, 6]),
        ("pinv", [8, 6]),
    ):
        cfg = RunConfig(graph="x", decoder=decoder, hidden_channels=8, out_channels=4)
        model = build_model(cfg, 6, 6)
        outs = layer_outputs(model, g.data.x, split)
        assert [p for p, _, _ in outs] == ["encoder"] * 2 + ["decoder"] * len(dec_dims)
        assert [h.shape[1] for _, _, h in outs] == [8, 4, *dec_dims]
        assert outs[1][1] == "encoder.2 (z)"
        z = model.encode(g.data.x, split.mp_edge_index)
        torch.testing.assert_close(outs[1][2], z)
        if decoder in ("mirror", "tied", "pinv"):  # the decoder's last layer is x̂
            x_hat = model.reconstruct_features(z, split.mp_edge_index)
            torch.testing.assert_close(outs[-1][2], x_hat)


def test_layer_probes_list_layers_wider_than_max_width_unprobed(caplog) -> None:
    """``layers: {max_width: W}``: a wider layer (the mirror's x̂, F = 34 on the karate
    club) keeps its place and width with ``skipped`` and no probe; the others are
    probed exactly as without the cap."""
    from graphae.bench.probes import layerwise_probes
    from graphae.config import RunConfig
    from graphae.data.datasets import load_dataset
    from graphae.models import build_model
    from graphae.pipeline import make_split

    g = load_dataset("karate_club")
    cfg = RunConfig(
        dataset="karate_club", decoder="mirror", hidden_channels=8, out_channels=4, device="cpu"
    )
    torch.manual_seed(0)
    model = build_model(cfg, 34, 34)
    split = make_split(g, cfg)
    full = layerwise_probes(model, g, split, node=True, link=True, nmi=True)
    with caplog.at_level(logging.INFO, logger="graphae.bench.probes"):
        capped = layerwise_probes(model, g, split, max_width=8)
    assert [r["dim"] for r in capped] == [8, 4, 8, 34]
    # -v names the layer whose probe lines follow
    assert [r.getMessage() for r in caplog.records] == [
        "layer 1/4 (encoder.1, 8 dims):",
        "layer 2/4 (encoder.2 (z), 4 dims):",
        "layer 3/4 (decoder.1, 8 dims):",
        "layer 4/4 (decoder.2, 34 dims): skipped, wider than max_width 8",
    ]
    assert capped[:-1] == full[:-1]
    assert capped[-1] == {
        "position": 4,
        "part": "decoder",
        "name": "decoder.2",
        "dim": 34,
        "skipped": "wider than max_width 8",
    }
    assert "probe/link_auc" in full[-1]
    from graphae.bench.report import _layers_table

    rows = [
        {"dataset": "d", "kind": "model", "encoder": "gcn", "decoder": "mirror", "variant": "p",
         "baseline": "", "position": i + 1, "name": r["name"],
         "probe/node_accuracy": r.get("probe/node_accuracy", float("nan"))}
        for i, r in enumerate(capped)
    ]  # fmt: skip
    table = _layers_table(pd.DataFrame(rows), "d")
    assert table.rstrip().splitlines()[4].endswith("| — |") and "not probed" in table
    assert "not probed" not in _layers_table(pd.DataFrame(rows[:-1]), "d")
    spec = tiny_spec(layers={"node": True, "max_width": 500})
    assert spec.layers == {"node": True, "link": True, "nmi": True, "max_width": 500}
    assert tiny_spec().layers["max_width"] is None and tiny_spec(layers=False).layers == {}


# ---------------------------------------------------------------- aggregation and anchors


def _model_labels(decoder: str, kind: str) -> dict[str, str]:
    """The group labels of a model row of dataset ``D``, encoder ``gcn``, variant ``plain``."""
    return {
        "kind": "model",
        "dataset": "D",
        "encoder": "gcn",
        "decoder": decoder,
        "decoder_name": decoder,
        "decoder_kind": kind,
        "variant": "plain",
        "baseline": "",
    }


def _summary(rows: list[tuple[str, str, int, float, float]]) -> pd.DataFrame:
    recs = []
    for i, (dec, kind, params, loss, acc) in enumerate(rows):
        recs.append(
            {
                **_model_labels(dec, kind),
                "n": 5,
                "order": i,
                "params/decoder": params,
                "recon/loss": loss,
                "probe/node_accuracy": acc,
                "probe/node_accuracy_std": 0.01,
                "val/probe/node_accuracy": acc,
            }
        )
    recs.append(
        {
            "kind": "baseline",
            "dataset": "D",
            "encoder": "",
            "decoder": "",
            "decoder_name": "",
            "decoder_kind": "",
            "variant": "",
            "baseline": "features",
            "n": 5,
            "order": 99,
            "probe/node_accuracy": 0.6,
        }
    )
    return pd.DataFrame(recs)


def test_capacity_answer_best_rung_lowest_loss_and_spearman() -> None:
    s = _summary(
        [
            ("ip", "structure", 0, 0.90, 0.70),
            ("mlp1", "structure", 100, 0.80, 0.72),
            ("mlp2", "structure", 1000, 0.70, 0.68),
            ("mlp3", "structure", 9000, 0.60, 0.66),
            ("mirror", "feature", 5000, 0.01, 0.74),
        ]
    )
    (a,) = capacity_answers(s)
    assert a["best"]["decoder"] == "mirror" and a["best_kind"] == "feature"
    assert a["runner_up"]["decoder"] == "mlp1"
    st = a["kinds"]["structure"]
    assert st["lowest_loss"]["decoder"] == "mlp3" and st["best"]["decoder"] == "mlp1"
    assert not st["best_is_lowest_loss"]
    assert st["spearman_loss_vs_probe"] == pytest.approx(0.8)  # lower loss, worse probe
    assert a["best_baseline"] == {"baseline": "features", "value": 0.6} and a["beats_baselines"]


def test_runner_up_is_another_rung_when_the_best_mean_is_tied() -> None:
    """Two rungs tied at the top: the best is one of them and the runner-up the other
    (a separate sort could name the best rung twice)."""
    rows = [(f"r{i}", "structure", i, 0.5, 0.70 + 0.001 * i) for i in range(16)]
    rows += [("a", "structure", 0, 0.5, 0.9), ("b", "structure", 0, 0.5, 0.9)]
    (a,) = capacity_answers(_summary(rows))
    assert {a["best"]["decoder"], a["runner_up"]["decoder"]} == {"a", "b"}
    assert a["runner_up"]["value"] == pytest.approx(0.9)


def _seed_runs(values: dict[str, list[float]], kind: str = "structure") -> pd.DataFrame:
    """A run table: one row per (decoder, seed) with the given node accuracies."""
    recs = []
    for order, (dec, accs) in enumerate(values.items()):
        for seed, acc in enumerate(accs):
            recs.append(
                {
                    **_model_labels(dec, "contrastive" if dec == "dgi" else kind),
                    "seed": seed,
                    "order": order,
                    "probe/node_accuracy": acc,
                }
            )
    return pd.DataFrame(recs)


def test_best_and_runner_up_are_compared_seed_by_seed_over_shared_seeds() -> None:
    """best a = (.80, .82, .84, .86, .88), runner-up b = (.79, .80, .85, .84, .87):
    d = (.01, .02, -.01, .02, .01), Σ = .05. A sign pattern that flips |d| values
    summing to F has |Σ| = |.07 - 2F|, at least .05 for F <= .01 (none flipped, or
    one of the three .01s: 4 patterns) or F >= .06 (their mirrors: 4): p = 8/32."""
    from graphae.bench.aggregate import summarize
    from graphae.bench.report import _answer_lines

    a_vals = [0.80, 0.82, 0.84, 0.86, 0.88]
    b_vals = [0.79, 0.80, 0.85, 0.84, 0.87]
    runs = _seed_runs({"a": a_vals, "b": b_vals, "c": [0.5] * 4})
    summary = summarize(runs)
    (ans,) = capacity_answers(summary, runs)
    assert ans["best"]["decoder"] == "a" and ans["runner_up"]["decoder"] == "b"
    pr = ans["runner_up_paired"]
    d = np.array(a_vals) - np.array(b_vals)
    bits = (np.arange(32)[:, None] >> np.arange(5)) & 1
    expected = float(np.mean(np.abs((1 - 2 * bits) @ d) >= abs(d.sum()) - 1e-12))
    assert pr["p"] == pytest.approx(expected) == pytest.approx(0.25)
    assert (pr["n"], pr["wins"], pr["losses"], pr["seeds"]) == (5, 4, 1, [0, 1, 2, 3, 4])
    assert pr["mean_diff"] == pytest.approx(0.01)
    assert ans["runner_up_within_std"] is True  # gap 0.01 < std of a (0.0316)
    (line,) = _answer_lines([ans], summary)
    assert f"seed by seed: higher on 4 of 5 (sign-flip p = {expected:.2g}, not significant)" in line
    assert "within one standard deviation" in line
    assert '"seed by seed" counts only the seeds both rows ran.' in line  # c ran 4 seeds
    # the runner-up ran only seeds 0-2: the pairs are those three seeds
    short = runs[~((runs["decoder"] == "b") & (runs["seed"] > 2))]
    (ans,) = capacity_answers(summarize(short), short)
    assert ans["runner_up_paired"]["seeds"] == [0, 1, 2]
    # without the run table there is no paired comparison, and the line says nothing of it
    (ans,) = capacity_answers(summary)
    assert ans["runner_up_paired"] is None
    assert "seed by seed" not in _answer_lines([ans], summary)[0]


def test_rung_against_a_contrastive_row_is_paired_by_seed() -> None:
    from graphae.bench.aggregate import summarize
    from graphae.bench.report import _contrastive_sentence

    vals = [0.70 + 0.01 * i for i in range(6)]
    runs = _seed_runs({"a": vals, "b": [0.5] * 6, "dgi": [v - 0.02 for v in vals]})
    (ans,) = capacity_answers(summarize(runs), runs)
    c = ans["contrastive"]
    assert c["rung_beats_node"] is True
    assert c["node_paired"]["wins"] == 6 and c["node_paired"]["p"] == pytest.approx(2 / 64)
    assert "seed by seed: higher on 6 of 6 (sign-flip p = 0.031, significant at 0.05)" in (
        _contrastive_sentence(ans)
    )
    five = runs[runs["seed"] < 5]  # 5 seeds cannot give p < 0.05: the line says so
    (ans,) = capacity_answers(summarize(five), five)
    assert "higher on 5 of 5 (sign-flip p = 0.062, not significant; the smallest p that " in (
        _contrastive_sentence(ans)
    )


def test_answer_says_when_rungs_ran_different_seeds_and_losses_are_within_noise() -> None:
    from graphae.bench.formats import format_loss
    from graphae.bench.report import _answer_lines

    s = _summary(
        [
            ("ip", "structure", 0, 0.9, 0.70),
            ("tied", "feature", 0, 0.010913, 0.76),
            ("mirror", "feature", 200, 0.010862, 0.63),
        ]
    )
    s["recon/loss_std"] = [0.01, 0.000040, 0.000043, np.nan]
    s["seeds"] = ["0,1,2,3", "0,1,2,3", "0,1,2", ""]
    s.loc[2, "n"] = 3
    s.loc[:2, "n"] = [4, 4, 3]
    (a,) = capacity_answers(s)
    assert a["seeds"] == {"min": 3, "max": 4, "same_sets": False}
    f = a["kinds"]["feature"]
    assert f["lowest_loss"]["decoder"] == "mirror" and f["best"]["decoder"] == "tied"
    assert f["loss_of_best"] == {"decoder": "tied", "value": 0.010913, "std": 0.00004}
    assert f["lowest_loss_within_std"] is False  # gap 5.1e-5 > 4.3e-5
    (line,) = _answer_lines([a], s)
    assert "The rungs ran 3–4 seeds" in line and "not a paired comparison" in line
    assert "mirror's (0.01086 ± 0.00004)" in line and "within one standard" not in line
    s.loc[2, "recon/loss_std"] = 0.00006
    (line,) = _answer_lines(capacity_answers(s), s)
    assert "though its loss (0.01091 ± 0.00004) is within one standard deviation" in line
    assert format_loss(0.3706, 0.0021) == "0.3706 ± 0.0021"
    assert format_loss(2.9213, 0.6752) == "2.921 ± 0.675"
    assert format_loss(float("nan")) == "—"


def test_a_metric_some_seeds_lack_is_averaged_over_the_others_and_says_so() -> None:
    from graphae.bench.aggregate import summarize
    from graphae.bench.report import _results_table

    base = {"kind": "model", "dataset": "D", "encoder": "gcn", "decoder": "ip",
            "decoder_name": "ip", "decoder_kind": "structure", "variant": "plain",
            "baseline": ""}  # fmt: skip
    runs = pd.DataFrame(
        [
            {**base, "seed": 0, "order": 0, "probe/node_accuracy": 0.7, "probe/nmi": 0.3},
            {**base, "seed": 1, "order": 1, "probe/node_accuracy": 0.8, "probe/nmi": np.nan},
            {**base, "seed": 2, "order": 2, "probe/node_accuracy": 0.9, "probe/nmi": 0.5},
        ]
    )
    row = summarize(runs).iloc[0]
    assert (row["n"], row["seeds"], row["probe/nmi_n"]) == (3, "0,1,2", 2)
    assert row["probe/nmi"] == pytest.approx(0.4)
    assert "probe/node_accuracy_n" not in row  # every seed has it
    table = _results_table(summarize(runs), "D")
    assert "0.400 ± 0.141 (2 of 3 seeds)" in table and "0.800 ± 0.100 |" in table


def test_layer_table_puts_each_layer_under_its_name_and_marks_an_early_z() -> None:
    """A one-layer model's z (encoder.1) sits in the encoder.1 column, marked (z); a
    model without layer probes is named under the table."""
    from graphae.bench.report import _layers_table

    def rec(dec: str, pos: int, name: str, acc: float) -> dict[str, Any]:
        return {
            "kind": "model", "dataset": "D", "encoder": "gcn", "decoder": dec,
            "variant": "plain", "baseline": "", "position": pos, "part": "encoder",
            "name": name, "probe/node_accuracy": acc,
        }  # fmt: skip

    layers = pd.DataFrame(
        [
            rec("ip", 1, "encoder.1", 0.61),
            rec("ip", 2, "encoder.2 (z)", 0.72),
            rec("dgi", 1, "encoder.1 (z)", 0.81),
        ]
    )
    summary = _summary([("ip", "structure", 0, 0.9, 0.7), ("tied", "feature", 0, 0.01, 0.8)])
    table = _layers_table(layers, "D", summary)
    assert "| configuration | encoder.1 | encoder.2 = z |" in table
    assert "| ip / plain | 0.610 | 0.720 |" in table
    assert "| dgi / plain | 0.810 (z) |  |" in table
    assert "Not probed layer-wise (their runs have no layers.json): tied / plain." in table


def test_feature_rungs_compare_losses_only_within_one_feature_loss() -> None:
    """An MSE of ~0.01 and a scaled cosine error of ~0.4 are different objectives:
    each feature loss is its own group, with its own lowest loss and Spearman rho."""
    s = _summary(
        [
            ("ip", "structure", 0, 0.90, 0.70),
            ("tied", "feature", 0, 0.011, 0.76),
            ("linear", "feature", 100, 0.012, 0.21),
            ("mirror", "feature", 200, 0.010, 0.63),
            ("tied-sce", "feature", 0, 0.40, 0.75),
            ("linear-sce", "feature", 100, 0.37, 0.66),
            ("mirror-sce", "feature", 200, 0.38, 0.60),
        ]
    )
    s["cfg/feature_loss"] = ["mse", "mse", "mse", "mse", "sce", "sce", "sce", np.nan]
    (a,) = capacity_answers(s)
    assert set(a["kinds"]) == {"structure", "feature (mse)", "feature (sce)"}
    assert a["best"]["decoder"] == "tied" and a["best_kind"] == "feature (mse)"
    mse, sce = a["kinds"]["feature (mse)"], a["kinds"]["feature (sce)"]
    assert mse["rungs"] == 3 and mse["lowest_loss"]["decoder"] == "mirror"
    assert sce["rungs"] == 3 and sce["lowest_loss"]["decoder"] == "linear-sce"
    assert sce["best"]["decoder"] == "tied-sce" and not sce["best_is_lowest_loss"]
    assert mse["spearman_loss_vs_probe"] == pytest.approx(-0.5)
    assert sce["spearman_loss_vs_probe"] == pytest.approx(0.5)


def test_anchors_file_parses_and_matches_conditions() -> None:
    anchors = read_anchors(REPO / "benchmarks" / "anchors.md")
    cols = {"method", "dataset", "metric", "published", "graphae metric", "graphae row", "source"}
    assert len(anchors) >= 20 and all(cols <= set(a) for a in anchors)
    assert any(a["method"] == "GraphMAE" and a["published"].startswith("84.2") for a in anchors)
    assert any(a["dataset"] == "ogbl-ddi" and a["published"] == "53.90 ± 4.74" for a in anchors)
    assert any(
        a["dataset"] == "Amazon Computers" and a["published"] == "90.34 ± 0.19" for a in anchors
    )
    s = _summary([("inner_product", "structure", 0, 0.9, 0.7)])
    s["link/auc"] = [0.92, np.nan]
    s["link/auc_std"] = [0.01, np.nan]
    s["cfg/variational"] = [False, np.nan]
    s["cfg/edge_mask"] = [0.0, np.nan]
    s["cfg/adversarial"] = [False, np.nan]
    s["cfg/feature_mask"] = [0.0, np.nan]
    s["dataset"] = ["Cora", "Cora"]
    got = {
        (a["method"], a["metric"]): a for a in match_anchors(anchors, s) if a["dataset"] == "Cora"
    }
    gae = got[("GAE", "link AUC")]
    assert gae["ours"] == pytest.approx(92.0) and gae["ours_std"] == pytest.approx(1.0)
    assert got[("VGAE", "link AUC")]["ours"] is None  # needs variational=true
    assert got[("MaskGAE", "link AUC")]["ours"] is None  # needs edge_mask > 0


def test_answer_uses_the_training_loss_and_reports_the_held_out_one() -> None:
    s = _summary(
        [
            ("ip", "structure", 0, 1.0, 0.70),
            ("mlp1", "structure", 100, 3.0, 0.72),
            ("mlp2", "structure", 1000, 6.0, 0.68),
        ]
    )
    s["recon/train_loss"] = [0.9, 0.2, 0.05, np.nan]
    (a,) = capacity_answers(s)
    st = a["kinds"]["structure"]
    assert st["loss"] == "recon/train_loss" and st["lowest_loss"]["decoder"] == "mlp2"
    assert st["heldout"]["lowest_loss"]["decoder"] == "ip"
    assert a["best"]["decoder"] == "mlp1" and a["best_is_lowest_loss"] is False


def test_only_and_max_runs_select_part_of_a_sweep(tmp_path: Path) -> None:
    spec = tiny_spec(baselines=["spectral"])
    seen: list[str] = []

    def record(run, graph, out_dir, **kw):
        seen.append(run.run_id)
        return run_one(run, graph, out_dir, **kw)

    outcome = run_sweep(spec, tmp_path / "s", progress=False, only="mirror", run_fn=record)
    assert outcome.total == 1 and len(seen) == 1 and "mirror" in seen[0]
    run_sweep(spec, tmp_path / "s", progress=False, max_runs=1, run_fn=record)
    assert len(seen) == 2 and "spectral" in seen[1]
    lines: list[str] = []
    run_sweep(spec, tmp_path / "s", dry_run=True, echo=lines.append)
    assert sorted(ln.split()[0] for ln in lines) == ["done", "done", "todo"]


def test_ogb_report_ranks_rungs_on_the_official_metric_beside_the_link_probe() -> None:
    from graphae.bench.report import _answer_lines, _results_table

    s = _summary([("ip", "structure", 0, 0.7, 0.0), ("mlp", "structure", 900, 0.3, 0.0)])
    s = s.drop(columns=["probe/node_accuracy", "probe/node_accuracy_std"])
    s["dataset"] = "ogbl-ddi"
    s["recon/train_loss"] = [0.7, 0.3, np.nan]
    s["probe/link_auc"] = [0.97, 0.51, 0.95]  # the MLP's codes: not linearly decodable
    s["link/hits@20"] = [0.18, 0.26, np.nan]
    s["link/hits@20_std"] = [0.01, 0.04, np.nan]
    s["link_ip/hits@20"] = [np.nan, np.nan, 0.02]
    (a,) = capacity_answers(s)
    assert a["metric"] == "probe/link_auc" and a["best"]["decoder"] == "ip"
    (line,) = _answer_lines([a], s)
    assert "official metric (Hits@20, OGB Evaluator) the best rung is mlp (26.00 ± 4.00)" in line
    assert "not the probe's choice (ip)" in line
    table = _results_table(s, "ogbl-ddi").splitlines()
    assert table[0].count("link-probe AUC") == 1 and "decoder hits@20 (official)" in table[0]
    assert "NMI" not in table[0]
    baseline = next(r for r in table if "baseline" in r)
    assert "| 0.020 |" in baseline  # the baseline's inner-product Hits@20


def test_heuristic_baselines_are_link_rows_of_the_sweep(tmp_path: Path) -> None:
    from graphae.bench.baselines import heuristic_metrics
    from graphae.data.datasets import load_dataset
    from graphae.pipeline import make_split

    spec = tiny_spec(decoders=["inner_product"], baselines=["adamic_adar", "katz"])
    out = tmp_path / "sweep"
    outcome = run_sweep(spec, out, progress=False)
    assert outcome.complete and len(outcome.ran) == 3
    write_report(out)
    runs = pd.read_csv(out / "tables" / "runs.csv").set_index("baseline")
    graph = load_dataset("karate")
    cfg = spec.runs()[0].config
    want = heuristic_metrics("adamic_adar", graph, make_split(graph, cfg))
    # the same split as the trained run, scored on its message-passing graph, keyed as a decoder
    for key in ("link/auc", "link/ap", "link/hits@20", "link/mrr", "val/link/auc"):
        assert runs.loc["adamic_adar", key] == pytest.approx(want[key], abs=1e-12)
    assert runs.loc["katz", "params/decoder"] == 0
    assert pd.isna(runs.loc["katz", "probe/link_auc"])  # no embeddings to probe
    report = (out / "report.md").read_text()
    assert "Grey horizontal lines are the baselines." in report
    row = next(ln for ln in report.splitlines() if "*baseline: adamic_adar*" in ln)
    assert f"{want['link/auc']:.3f}" in row and "(ip)" not in row


def test_report_shows_training_curves_and_the_convergence_of_each_rung(tmp_path: Path) -> None:
    """Saved histories become mean-over-seeds curves (tables/curves.csv, plots/curves.png);
    every configuration's best and last epochs become the convergence table."""
    out = tmp_path / "sweep"
    run_sweep(tiny_spec(seeds=2, baselines=[]), out, progress=False)
    write_report(out)
    results = {}
    for folder in (out / "runs").iterdir():
        bench = json.loads((folder / "bench.json").read_text())
        results.setdefault(bench["decoder"], []).append(
            json.loads((folder / "result.json").read_text())
        )
    curves = pd.read_csv(out / "tables" / "curves.csv")
    assert len(curves) == 2 * 5 and (curves["seeds"] == 2).all()  # 2 rungs x 5 epochs
    for dec, res in results.items():
        rows = curves[curves["decoder"] == dec].set_index("epoch")
        for e in range(1, 6):
            expected = np.mean([r["history"][e - 1]["val/auc"] for r in res])
            assert rows.loc[e, "val/auc"] == pytest.approx(expected, abs=1e-12)
            assert rows.loc[e, "loss"] == pytest.approx(
                np.mean([r["history"][e - 1]["loss"] for r in res]), abs=1e-12
            )
    report = (out / "report.md").read_text()
    assert (out / "plots" / "curves.png").stat().st_size > 5000
    assert "## Convergence" in report and "plots/curves.png" in report
    assert "A seed at chance (link AUC on the test pairs ≤ 0.55" in report
    for dec, res in results.items():
        best = [r["best_epoch"] for r in res]
        late = sum(b > 0.9 * r["epochs_run"] for b, r in zip(best, res, strict=True))
        aucs = [
            r["metrics"].get("link/auc", r["metrics"].get("link_ip/auc"))
            for r in res
            if "link/auc" in r["metrics"] or "link_ip/auc" in r["metrics"]
        ]
        chance = f"{sum(a <= 0.55 for a in aucs)} of {len(aucs)}" if aucs else "—"
        # the validation AUC gained in the last tenth (epoch 5 of 5) over the best before it
        gain = np.mean(
            [
                max(0.0, r["history"][4]["val/auc"] - max(h["val/auc"] for h in r["history"][:4]))
                for r in res
            ]
        )
        row = (
            f"| gcn + **{dec}** | 2 | 5 | {np.mean(best):.0f} ({min(best)}–{max(best)}) "
            f"| {late} of 2 | {chance} | {gain:.4f} |"
        )
        assert row in report

    quiet = tmp_path / "quiet"  # histories not kept: the table stays, the curves go
    save = {"embeddings": False, "model": False, "history": False}
    run_sweep(tiny_spec(baselines=[], save=save), quiet, progress=False)
    write_report(quiet)
    report = (quiet / "report.md").read_text()
    assert "## Convergence" in report and "curves.png" not in report
    assert "gained in the last" not in report
    assert not (quiet / "tables" / "curves.csv").exists()


def test_convergence_table_counts_the_seeds_left_at_chance() -> None:
    """A seed whose kept epoch scores link AUC <= 0.55 (a collapsed embedding) is
    counted per configuration; late bests are counted against each run's own epochs."""
    from graphae.bench.curves import convergence_table

    runs = pd.DataFrame(
        {
            "kind": "model",
            "dataset": "D",
            "encoder": "gcn",
            "decoder": [
                "distance",
                "distance",
                "inner_product",
                "inner_product",
                "linear",
                "linear",
            ],
            "variant": "plain",
            "seed": [0, 1, 0, 1, 0, 1],
            "best_epoch": [115, 6, 1990, 1500, 300, 157],
            "epochs_run": [315, 206, 2000, 2000, 300, 300],
            "link/auc": [0.73, 0.501, 0.97, 0.55, np.nan, np.nan],
            "link_ip/auc": [np.nan, np.nan, np.nan, np.nan, 0.501, 0.66],
        }
    )
    table = convergence_table(runs, "D")
    assert "seeds at chance (link AUC ≤ 0.55)" in table
    assert "| gcn + **distance** | 2 | 260 | 60 (6–115) | 0 of 2 | 1 of 2 |" in table
    assert "| gcn + **inner_product** | 2 | 2000 | 1745 (1500–1990) | 1 of 2 | 1 of 2 |" in table
    # a feature decoder has no pair decoder: the inner product of its z is what is scored
    assert "| gcn + **linear** | 2 | 300 | 228 (157–300) | 1 of 2 | 1 of 2 |" in table


def test_late_gain_is_the_rise_of_the_best_score_in_the_last_tenth() -> None:
    from graphae.bench.curves import late_gain

    h = pd.DataFrame({"epoch": range(1, 21), "val/x": [0.5] * 17 + [0.52, 0.61, 0.55]})
    assert late_gain(h, "val/x") == pytest.approx(0.09)  # 0.61 (epochs 19-20) - 0.52 (1-18)
    h.loc[2, "val/x"] = 0.7  # the best came early
    assert late_gain(h, "val/x") == 0.0
    scored_every_5 = pd.DataFrame({"epoch": [5, 10, 15, 20], "val/x": [0.1, 0.2, 0.3, 0.4]})
    assert late_gain(scored_every_5, "val/x") == pytest.approx(0.1)  # 20 vs 5-15
    assert late_gain(scored_every_5.iloc[-1:], "val/x") is None  # nothing before the cut
    assert late_gain(h.assign(**{"val/x": float("nan")}), "val/x") is None


def test_loss_probe_trend_says_when_it_is_not_significant() -> None:
    from graphae.bench.report import _trend

    assert _trend(-0.1, 0.8) == "loss and probe score were unrelated"
    assert _trend(-0.8, 0.01) == "lower loss went with better probes"
    assert _trend(0.64, 0.048) == "lower loss went with worse probes"
    assert _trend(-0.4, 0.6) == ("lower loss tended to go with better probes, not significantly")

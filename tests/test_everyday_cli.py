"""Everyday use of ``graphae train`` (issue 21): config files, live metrics, TensorBoard,
no silent overwrites, no global side effects, CLI conventions, compressed/parquet inputs,
listings and ``evaluate RUN``.

The acceptance paths run the real command line in a subprocess (``python -m graphae``
or the ``main()`` entry point under ``python -c``); the finer error cases run
in-process through :func:`clihelp.run_cli`.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import json
import lzma
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from clihelp import RING, assert_one_line_error, run_cli, snapshot

# A slow epoch (it sleeps, drawing nothing from any RNG), so a test can watch the run train.
SLOW_MAIN = """
import sys, time
import graphae.training.sampling as T
real = T.sample_negatives
def slow(*a, **k):
    time.sleep(0.1)
    return real(*a, **k)
T.sample_negatives = slow
from graphae.cli import main
main(sys.argv[1:])
"""


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


@pytest.fixture
def ring_files(tmp_path: Path) -> dict[str, Path]:
    """The 20-node ring as a gzip edge list and parquet features (ids n0..n19, 3 features)."""
    edges = tmp_path / "ring.csv.gz"
    edges.write_bytes(gzip.compress(RING.encode()))
    rng = np.random.default_rng(0)
    feats = pd.DataFrame(rng.normal(size=(20, 3)).astype(np.float32), columns=["a", "b", "c"])
    feats.insert(0, "id", [f"n{i}" for i in range(20)])
    fpath = tmp_path / "feats.parquet"
    feats.to_parquet(fpath)
    return {"graph": edges, "features": fpath}


# --------------------------------------------------------------------------- subprocess: the acceptance


def test_config_set_live_metrics_tensorboard_log_lines_and_json(tmp_path, ring_files) -> None:
    """--config + --set + flags, metrics.jsonl visible while training, TensorBoard events read
    back, a log line every N epochs without a terminal, --json, compressed + parquet inputs."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = tmp_path / "run.yaml"
    cfg.write_text(
        f"graph: {ring_files['graph']}\n"
        f"features: {ring_files['features']}\n"
        "decoder: {name: mlp, options: {depth: 2}}\n"  # a sweep-spec decoder entry
        "train: {lr: 0.02, epochs: 5}\n"
        "seed: 1\n"
        "device: cpu\n",
        encoding="utf-8",
    )
    out, tb = tmp_path / "out", tmp_path / "tb"
    args = ["--config", cfg, "--set", "seed=3", "--set", "eval_every=2", "--epochs", "30",
            "--patience", "0", "--out", out, "--log-dir", tb, "--log-every", "10", "--json"]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_MAIN, "train", *map(str, args)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    live = out.with_name("out.partial") / "metrics.jsonl"
    seen_live: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while proc.poll() is None and time.monotonic() < deadline:
            if live.is_file():
                lines = live.read_text(encoding="utf-8").splitlines()
                if lines and not out.exists():
                    seen_live = lines
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert seen_live and json.loads(seen_live[0])["epoch"] == 1  # visible while it trained

    config = json.loads((out / "config.json").read_text())
    assert (config["epochs"], config["seed"], config["lr"], config["eval_every"]) == (
        30,
        3,
        0.02,
        2,
    )
    assert config["decoder"] == "mlp" and config["decoder_options"] == {"depth": 2}
    assert config["graph"] == str(ring_files["graph"])
    result = json.loads((out / "result.json").read_text())
    assert result["graph"]["num_features"] == 3  # the parquet features were read
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert records == result["history"] and [r["epoch"] for r in records] == list(range(1, 31))
    assert ["val/auc" in r for r in records[:4]] == [False, True, False, True]  # eval_every 2

    summary = json.loads(stdout)
    assert summary["out"] == str(out) and summary["metrics"] == result["metrics"]
    log_lines = [x for x in stderr.splitlines() if x.startswith("epoch ")]
    assert [x.split(":")[0] for x in log_lines] == ["epoch 10/30", "epoch 20/30", "epoch 30/30"]

    acc = EventAccumulator(str(tb))
    acc.Reload()
    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == list(range(1, 31))
    assert [e.value for e in loss] == pytest.approx([r["loss"] for r in records], rel=1e-6)
    assert [e.step for e in acc.Scalars("val/auc")] == list(range(2, 31, 2))
    final = acc.Scalars("final/probe/link_auc")
    assert final[0].value == pytest.approx(result["metrics"]["probe/link_auc"], rel=1e-6)


def test_second_run_on_a_run_folder_is_refused_and_leaves_it_byte_identical(
    tmp_path, capsys, monkeypatch
) -> None:
    """The default --out is unique per run; an explicit --out holding an earlier run is
    refused by ``python -m graphae`` (exit 2, one line naming --overwrite) unless --overwrite."""
    (tmp_path / "ring.csv").write_text(RING, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ["train", "--graph", "ring.csv", "--epochs", "3", "--device", "cpu"]
    printed = [run_cli(args, capsys)[1].splitlines()[-1] for _ in range(2)]
    first, second = (p.removeprefix("wrote ") for p in printed)
    assert first.startswith("runs/ring-") and second.startswith("runs/ring-") and first != second
    assert (tmp_path / first / "model.pt").is_file() and (tmp_path / second / "model.pt").is_file()
    assert run_cli([*args, "--out", "runs/x", "--overwrite"], capsys)[0] == 0
    before = snapshot(tmp_path / "runs" / "x")
    proc = subprocess.run(
        [sys.executable, "-m", "graphae", *args, "--seed", "4", "--out", "runs/x"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert_one_line_error(
        proc.returncode, proc.stderr, ["--out runs/x", "earlier graphae run", "--overwrite"]
    )
    assert proc.stdout == ""
    assert snapshot(tmp_path / "runs" / "x") == before
    assert not (tmp_path / "runs" / "x.partial").exists()


def test_evaluate_run_reads_the_run_and_adds_the_link_probe(tmp_path, capsys) -> None:
    (tmp_path / "ring.csv").write_text(RING, encoding="utf-8")
    labels = "".join(f"n{i},{i % 2}\n" for i in range(20))
    (tmp_path / "y.csv").write_text("id,label\n" + labels, encoding="utf-8")
    out = tmp_path / "run"
    # split export: the embeddings are the measured ones (a refit's saw the test edges)
    args = ["train", "--graph", tmp_path / "ring.csv", "--labels", tmp_path / "y.csv",
            "--epochs", "5", "--device", "cpu", "--out", out, "--export-edges", "split",
            "--seed", "3"]  # fmt: skip  # evaluate probes with the run's seed by default
    assert run_cli(args, capsys)[0] == 0
    proc = subprocess.run(
        [sys.executable, "-m", "graphae", "evaluate", str(out), "--json"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    want = json.loads((out / "result.json").read_text())["metrics"]
    for k in ("probe/link_auc", "probe/node_accuracy", "probe/nmi"):
        assert got[k] == pytest.approx(want[k], abs=1e-12), k
    assert got["nodes"] == 20
    code, text, _ = run_cli(["evaluate", out], capsys)  # key=value lines, as train prints
    assert code == 0 and f"probe/link_auc={want['probe/link_auc']:.4f}" in text.splitlines()


def test_evaluate_refuses_embeddings_of_another_dataset(tmp_path, capsys, data_root) -> None:
    """Cora-sized embeddings (ids 0..2707) probed with CiteSeer's labels: the integer ids
    all exist in CiteSeer too, so only the node count can tell; both ways are refused."""
    from graphae.embeddings import Embeddings

    rng = np.random.default_rng(0)
    Embeddings(list(range(2708)), rng.normal(size=(2708, 4))).save(tmp_path / "cora.npz")
    args = ["evaluate", tmp_path / "cora.npz", "--data-root", data_root]
    code, _, err = run_cli([*args, "--dataset", "CiteSeer"], capsys)
    assert code == 2 and "holds 2708 embeddings and CiteSeer has 3327 nodes" in err
    code, text, err = run_cli([*args, "--dataset", "Cora"], capsys)
    assert code == 0, err
    assert "nodes=2708" in text.splitlines()


# --------------------------------------------------------------------------- configs, in-process


def test_every_runconfig_field_has_a_flag_and_the_schema_matches_the_class(
    capsys, monkeypatch
) -> None:
    from graphae.cli.options import flag_name
    from graphae.cli.schema import run_config_fields
    from graphae.config import RunConfig

    specs = run_config_fields()
    fields = dataclasses.fields(RunConfig)
    assert [s.name for s in specs] == [f.name for f in fields]
    for s, f in zip(specs, fields, strict=True):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        assert s.default == default, s.name
        assert s.help, f"{s.name} has no docstring entry"
    monkeypatch.setenv("COLUMNS", "300")  # no truncated flag names
    code, text, _ = run_cli(["train", "--help"], capsys)
    assert code == 0
    for s in specs:
        assert flag_name(s.name) in text, s.name
    for panel in ("Config", "Input", "Model", "Variants", "Training", "Output", "Examples"):
        assert panel in text
    assert "[auto|row|none]" in text and "<list[str]>" not in text
    assert text.count("<bool>") == 1  # only typer's own --help; switches show no metavar


def test_the_three_fields_without_flags_now_have_one(tmp_path, capsys) -> None:
    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    out = tmp_path / "o"
    args = ["train", "--graph", tmp_path / "e.csv", "--epochs", "2", "--device", "cpu",
            "--eval-every", "2", "--split-seed", "7", "--neg-ratio", "2", "--out", out]  # fmt: skip
    assert run_cli(args, capsys)[0] == 0
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["eval_every"], cfg["split_seed"], cfg["neg_ratio"]) == (2, 7, 2.0)


def test_a_finished_run_replays_bit_identically_from_its_config(tmp_path, capsys) -> None:
    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    a, b = tmp_path / "a", tmp_path / "b"
    base = ["train", "--graph", tmp_path / "e.csv", "--epochs", "4", "--device", "cpu"]
    assert run_cli([*base, "--seed", "2", "--dropout", "0.1", "--out", a], capsys)[0] == 0
    assert run_cli(["train", "--config", a, "--out", b], capsys)[0] == 0
    assert (a / "config.json").read_bytes() == (b / "config.json").read_bytes()
    assert np.load(a / "embeddings.npy").tobytes() == np.load(b / "embeddings.npy").tobytes()
    c = tmp_path / "c"
    assert (
        run_cli(["train", "--config", a / "config.json", "--set", "seed=5", "--out", c], capsys)[0]
        == 0
    )
    assert json.loads((c / "config.json").read_text())["seed"] == 5


def test_a_run_folder_saved_before_later_fields_replays_as_it_ran(tmp_path, capsys) -> None:
    """Keys a run folder lacks (written before they existed) replay with the values that run
    used, not today's defaults; an explicit flag still wins."""
    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    old_code = ["--feature-matmul", "dense", "--featureless-decoder", "off",
                "--export-edges", "split", "--feature-fallback", "identity"]  # fmt: skip
    args = ["train", "--graph", tmp_path / "e.csv", "--epochs", "4", "--device", "cpu"]
    assert run_cli([*args, *old_code, "--out", a], capsys)[0] == 0
    saved = (a / "config.json").read_bytes()
    cfg = json.loads(saved)
    for key in ("feature_matmul", "featureless_decoder", "export_edges"):
        del cfg[key]  # as the code before these fields wrote it
    cfg["feature_fallback"] = "auto"  # what it meant then for a small graph: identity
    (a / "config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    assert run_cli(["train", "--config", a, "--out", b], capsys)[0] == 0
    assert (b / "config.json").read_bytes() == saved
    assert np.load(a / "embeddings.npy").tobytes() == np.load(b / "embeddings.npy").tobytes()
    given = ["train", "--config", a / "config.json", "--feature-matmul", "auto", "--out", c]
    assert run_cli(given, capsys)[0] == 0
    assert json.loads((c / "config.json").read_text())["feature_matmul"] == "auto"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--feature-norm", "rows"], ["--feature-norm", "'rows'", "'auto', 'row', 'none'"]),
        (["--epochs", "0"], ["invalid value for --epochs: 0 (must be >= 1)"]),
        (["--set", "epochs=0"], ["invalid value for --set epochs: 0 (must be >= 1)"]),
        (["--set", "epoch=3"], ["--set epoch", "did you mean 'epochs'"]),
        (["--set", "epochs=many"], ["--set epochs", "expected an integer", "'many'"]),
        (["--set", "lr"], ["--set 'lr'", "KEY=VALUE"]),
        (["--epochs", "3", "--set", "epochs=4"], ["--epochs and --set epochs", "keep one"]),
        (["--config", "{d}/sweep.yaml"], ["sweep spec", "graphae bench"]),
        (["--config", "{d}/bad.yaml"], ["bad.yaml: train", "unknown setting 'epoch'", "'epochs'"]),
        (["--config", "{d}/none.yaml"], ["--config", "none.yaml", "no such file"]),
        (["--config", "{d}/zero.yaml"], ["invalid value for epochs in", "zero.yaml", ">= 1"]),
    ],
)
def test_config_mistakes_are_one_line_errors_naming_the_flag(
    tmp_path, capsys, extra, expected
) -> None:
    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    (tmp_path / "sweep.yaml").write_text("datasets: [Cora]\ndecoders: [mlp]\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("train: {epoch: 3}\n", encoding="utf-8")
    (tmp_path / "zero.yaml").write_text("epochs: 0\n", encoding="utf-8")
    args = ["train", "--graph", tmp_path / "e.csv", "--device", "cpu", "--out", tmp_path / "o"]
    args += [a.replace("{d}", str(tmp_path)) for a in extra]
    code, _, err = run_cli(args, capsys)
    assert_one_line_error(code, err, expected)
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.partial").exists()


def test_resume_of_a_run_started_with_overwrite_replaces_the_earlier_run(
    tmp_path, capsys, monkeypatch
) -> None:
    import signal

    import graphae.training.sampling as T

    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    out = tmp_path / "o"
    base = ["train", "--graph", tmp_path / "e.csv", "--epochs", "12", "--patience", "0",
            "--device", "cpu", "--checkpoint-every", "3", "--out", out]  # fmt: skip
    assert run_cli([*base, "--seed", "9"], capsys)[0] == 0
    real, calls = T.sample_negatives, {"n": 0}

    def sampler(*a: object, **k: object) -> object:
        calls["n"] += 1
        if calls["n"] == 7:
            os.kill(os.getpid(), signal.SIGINT)
        return real(*a, **k)

    monkeypatch.setattr(T, "sample_negatives", sampler)
    assert run_cli([*base, "--overwrite"], capsys)[0] == 130
    monkeypatch.undo()
    partial = [
        json.loads(x)["epoch"]
        for x in (tmp_path / "o.partial" / "metrics.jsonl").read_text().splitlines()
    ]
    assert partial == list(range(1, 8))  # the live file: every epoch done before the stop
    code, _, err = run_cli(["train", "--resume", "--out", out], capsys)
    assert code == 0, err
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, 13))  # resumed from 7: no repeats
    assert not (tmp_path / "o.partial").exists()


# --------------------------------------------------------------------------- global state


def _global_state() -> tuple[object, ...]:
    return (
        random.getstate(),
        repr(np.random.get_state()),
        torch.get_rng_state().tolist(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.allow_tf32,
        torch.backends.cuda.matmul.allow_tf32,
        torch.get_float32_matmul_precision(),
        torch.get_num_threads(),
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )


def test_fit_and_the_estimator_leave_global_state_as_they_found_it() -> None:
    import networkx as nx

    from graphae import GraphAEEmbedder
    from graphae.config import RunConfig
    from graphae.data.io import load_graph
    from graphae.pipeline import fit

    random.seed(11)
    np.random.seed(12)
    torch.manual_seed(13)
    before = _global_state()
    g = load_graph(pd.DataFrame([line.split(",") for line in RING.split()]))
    run = fit(RunConfig(graph="ring", epochs=3, device="cpu", deterministic=True), graph=g)
    assert run.result.epochs_run == 3
    assert _global_state() == before
    GraphAEEmbedder(epochs=3, seed=5, device="cpu").fit(nx.karate_club_graph())
    assert _global_state() == before
    draws = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(11)
    np.random.seed(12)
    torch.manual_seed(13)
    assert draws == (random.random(), np.random.rand(), torch.rand(1).item())


def test_fit_restores_the_state_when_it_fails() -> None:
    from graphae.config import RunConfig
    from graphae.errors import GraphaeError
    from graphae.pipeline import fit

    torch.manual_seed(3)
    before = _global_state()
    with pytest.raises(GraphaeError):
        fit(RunConfig(graph="missing.csv", epochs=1, device="cpu", deterministic=True))
    assert _global_state() == before


def test_callbacks_see_every_epoch_and_the_result() -> None:
    from graphae.config import RunConfig
    from graphae.data.io import load_graph
    from graphae.pipeline import fit

    class Recorder:
        def __init__(self) -> None:
            self.events: list[tuple[str, object]] = []

        def on_start(self, history: list) -> None:
            self.events.append(("start", len(history)))

        def on_epoch(self, record: dict) -> None:
            # scored before it is delivered, also when the next step's forward scores it
            self.events.append(("epoch", record["epoch"], "val/auc" in record))

        def on_end(self, result: object) -> None:
            self.events.append(("end", result.best_epoch))  # type: ignore[attr-defined]

    rec = Recorder()
    g = load_graph(pd.DataFrame([line.split(",") for line in RING.split()]))
    run = fit(RunConfig(graph="ring", epochs=4, device="cpu"), graph=g, callbacks=[rec, object()])
    assert rec.events == [
        ("start", 0),
        *[("epoch", e, True) for e in (1, 2, 3, 4)],
        ("end", run.result.best_epoch),
    ]


# --------------------------------------------------------------------------- inputs and listings


@pytest.mark.parametrize("codec", ["gz", "bz2", "xz"])
def test_compressed_edge_lists_and_features_read_as_the_plain_files(tmp_path, codec) -> None:
    from graphae.data.io import load_graph

    compress = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[codec]
    feats = "".join(f"n{i},{i},{i % 3}\n" for i in range(20))
    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    (tmp_path / "f.csv").write_text(feats, encoding="utf-8")
    (tmp_path / f"e.csv.{codec}").write_bytes(compress(RING.encode()))
    (tmp_path / f"f.csv.{codec}").write_bytes(compress(feats.encode()))
    plain = load_graph(tmp_path / "e.csv", features=tmp_path / "f.csv")
    packed = load_graph(tmp_path / f"e.csv.{codec}", features=tmp_path / f"f.csv.{codec}")
    assert packed.name == "e" and packed.nodes.ids == plain.nodes.ids
    assert torch.equal(packed.data.edge_index, plain.data.edge_index)
    assert torch.equal(packed.data.x, plain.data.x)


def test_parquet_edge_list_and_a_clear_error_for_zstd_or_corrupt_files(tmp_path) -> None:
    from graphae.data.io import load_graph
    from graphae.errors import InputError

    pd.DataFrame(
        {"source": ["a", "b", "c"], "target": ["b", "c", "a"], "weight": [1.0, 2.0, 0.5]}
    ).to_parquet(tmp_path / "e.parquet")
    g = load_graph(tmp_path / "e.parquet")
    assert g.name == "e" and g.num_nodes == 3 and g.data.edge_index.size(1) == 6  # both directions
    assert sorted(g.edge_weight.tolist()) == [0.5, 0.5, 1.0, 1.0, 2.0, 2.0]
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip")
    with pytest.raises(InputError, match=r"bad\.csv\.gz.*not a valid gzip file"):
        load_graph(tmp_path / "bad.csv.gz")
    try:
        import zstandard  # noqa: F401
    except ImportError:
        (tmp_path / "e.csv.zst").write_bytes(b"\x28\xb5\x2f\xfd")
        with pytest.raises(InputError, match="needs the zstandard module"):
            load_graph(tmp_path / "e.csv.zst")


def test_listings(tmp_path, capsys) -> None:
    code, text, _ = run_cli(["datasets", "--data-root", tmp_path, "--json"], capsys)
    assert code == 0
    rows = {r["name"]: r for r in json.loads(text)["datasets"]}
    assert rows["Cora"]["nodes"] == 2708 and rows["Cora"]["present"] is False
    assert rows["Cora"]["path"] == str(tmp_path / "Planetoid" / "Cora")
    assert {"ogbl-ddi", "Amazon Computers", "CiteSeer"} <= set(rows)
    code, text, _ = run_cli(["ls", "decoders", "mlp"], capsys)
    assert code == 0 and "--decoder-option depth=...   default 1" in text
    code, text, _ = run_cli(["ls", "objectives"], capsys)
    assert code == 0 and "--objective-option tau=...   default 0.4" in text
    code, text, _ = run_cli(["ls", "variants"], capsys)
    assert code == 0 and "--variational" in text and "replace_rate" in text
    code, _, err = run_cli(["ls", "decoders", "nope"], capsys)
    assert_one_line_error(code, err, ["unknown decoder 'nope'", "inner_product"])
    code, text, _ = run_cli(["--version"], capsys)
    assert code == 0 and text.startswith("graphae ")


def test_every_command_summary_is_one_line_in_the_command_list() -> None:
    """`graphae --help` lists each command by its summary (the help's first paragraph):
    a line break inside it shows up as a break mid-sentence in the list."""
    import typer.main

    from graphae.cli.app import app

    group = typer.main.get_command(app)
    assert len(group.commands) >= 9
    for name, command in group.commands.items():
        summary = (command.help or "").strip().split("\n\n")[0]
        assert summary and "\n" not in summary, f"{name}: {summary!r}"

"""The measuring parts of the scripts in benchmarks/ (run on real data, briefly)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from clihelp import load_script

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux /proc needed")
def test_speed_benchmark_measures_each_models_training_memory(data_root: Path) -> None:
    """Training memory is measured after the load phase, per model, in a fresh process."""
    speed = load_script("speed_vs_pyg")
    rows = {k: speed.peak_memory_row("cora", k, str(data_root), 1) for k in ("graphae", "pyg")}
    for mem in rows.values():
        assert set(mem) == {"load_peak", "before", "peak"}
        assert 0 < mem["before"] <= mem["load_peak"] and mem["before"] < mem["peak"]
    added = {k: m["peak"] - m["before"] for k, m in rows.items()}
    assert added["graphae"] != added["pyg"]  # the figure tells the models apart


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux /proc needed")
def test_high_water_mark_reset_forgets_an_earlier_peak() -> None:
    """The mechanism the memory figures rely on: after the reset, VmHWM no longer
    holds the 256 MiB buffer allocated and freed before it."""
    import subprocess

    code = (
        f"import sys; sys.path.insert(0, {str(REPO / 'benchmarks')!r});"
        "from speed_vs_pyg import _vm_kib; from pathlib import Path;"
        "b = bytearray(256 * 2**20); del b; high = _vm_kib('VmHWM');"
        "Path('/proc/self/clear_refs').write_text('5');"
        "print(high, _vm_kib('VmHWM'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    high, after = map(int, out.stdout.split())
    assert high - after > 200 * 1024  # KiB


def test_speed_benchmark_device_rows_and_json(tmp_path: Path) -> None:
    """The --device path (run on CUDA by benchmarks/gpu_checks.sh) on a tiny graph on CPU:
    all three models time, and the JSON has the keys the issue asks for."""
    import json

    import torch

    speed = load_script("speed_vs_pyg")
    rows = speed.device_rows(["tiny-synthetic"], torch.device("cpu"), 1, 0, None)
    out = tmp_path / "speed.md"
    speed.write_device_results(rows, torch.device("cpu"), out, "python speed_vs_pyg.py")
    (obj,) = json.loads(out.with_suffix(".json").read_text())
    for key in ("graph", "nodes", "edges", "pyg_ms", "pyg_strong_ms", "graphae_ms",
                "pyg_strong_peak_mib", "graphae_peak_mib", "device_name"):  # fmt: skip
        assert key in obj, key
    assert obj["graph"] == "tiny-synthetic" and obj["nodes"] == 2000
    assert all(obj[k] > 0 for k in ("pyg_ms", "pyg_strong_ms", "graphae_ms"))
    assert "| tiny-synthetic | 2,000 |" in out.read_text()


def test_sparse_input_benchmark_rows_and_tables(
    tmp_path: Path, data_root: Path, cora: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """benchmarks/sparse_input.py on Cora, briefly: what auto picks, both timings, the
    quality table from whole runs of both products."""
    import json

    bench = load_script("sparse_input")
    out = tmp_path / "si.md"
    argv = ["sparse_input.py", "--data-root", str(data_root), "--datasets", "Cora"]
    argv += ["--epochs", "2", "--repeats", "2", "--quality", "--out", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    bench.main()
    rec = json.loads(out.with_suffix(".json").read_text())
    (row,) = rec["rows"]
    assert row["dataset"] == "Cora" and row["auto"] == "sparse"
    assert 0.01 < row["density"] < 0.02  # Cora: 1.27% non-zero
    assert row["layer_dense_ms"] > 0 and row["layer_sparse_ms"] > 0
    assert 0 < row["max_abs_z_diff"] < 1e-4  # 2 epochs: rounding only
    assert "| Cora | 2708 | 1433 | 1.27% | sparse |" in out.read_text()
    q = bench._quality("Cora", cora, 1)  # whole default runs, seed 0, each product
    assert [r["mode"] for r in q] == ["dense", "sparse"]
    assert all(r["best_epoch"] > 300 and r["test_link_auc"] > 0.88 for r in q)


def test_gpu_sweep_script_resumes_a_sweep_packs_new_runs_and_merges_them(
    tmp_path: Path, data_root: Path
) -> None:
    """benchmarks/gpu_sweep.sh (the device call for sweeps), run on CPU: the runs already
    in the sweep folder are skipped, only the new ones come back in new-runs.tgz, and
    --merge puts them into another copy of the sweep and writes its report."""
    import os
    import shutil
    import subprocess
    import tarfile

    from graphae.bench.runner import run_sweep
    from graphae.bench.spec import load_spec

    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        "name: tiny\ndatasets: [Cora]\nencoders: [gcn]\n"
        "decoders: [inner_product, {name: mlp, options: {depth: 1, width: 8}, label: mlp-d1}]\n"
        "seeds: 2\ntrain: {hidden_channels: 8, out_channels: 4, epochs: 2, device: cpu}\n"
        "baselines: []\nlayers: {node: true, link: false, nmi: false}\n"
        "save: {embeddings: false, model: false, history: false}\n"
    )
    sweep, here = tmp_path / "device-copy", tmp_path / "committed"
    # the committed sweep holds one finished run; the device works on a copy of it
    done = run_sweep(load_spec(spec), here, max_runs=1, data_root=str(data_root), progress=False)
    (first,) = done.ran  # run ids
    shutil.copytree(here, sweep)
    env = {**os.environ, "DEVICE": "cpu", "PY": sys.executable, "DATA": str(data_root),
           "OUT": str(tmp_path / "out")}  # fmt: skip
    script = REPO / "benchmarks" / "gpu_sweep.sh"
    subprocess.run(["bash", str(script), str(spec), str(sweep), "2", "300"], env=env, check=True)
    log = (tmp_path / "out" / "log.txt").read_text()
    assert "1 runs already in" in log and "sweep rc=0 (finished)" in log, log
    with tarfile.open(tmp_path / "out" / "new-runs.tgz") as tar:
        runs = {
            n.split("/")[1] for n in tar.getnames() if n.startswith("runs/") and n.count("/") == 1
        }
        assert "spec.yaml" in tar.getnames() and any(
            n.startswith("logs/gpu-") for n in tar.getnames()
        )
    assert len(runs) == 3 and first not in runs
    merged = subprocess.run(
        ["bash", str(script), "--merge", str(tmp_path / "out" / "new-runs.tgz"), str(here)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "3 new run folders" in merged.stdout and "(4 in all)" in merged.stdout
    assert {p.name for p in (here / "runs").iterdir()} == runs | {first}
    assert "from 4 finished runs of 4" in (here / "report.md").read_text()


def test_feature_loss_gradients_fall_below_adams_epsilon_only_for_mse_on_row_features(
    data_root: Path,
) -> None:
    """feature_loss_gradients.py's finding on Cora: the tied decoder's MSE on row-normalised
    features has most gradient entries below Adam's epsilon; raw features or SCE do not."""
    from graphae.data.datasets import load_dataset

    tool = load_script("feature_loss_gradients")
    graph = load_dataset("Cora", str(data_root), download=False)
    share = {
        (loss, norm): tool.gradient_row("Cora", graph, "tied", norm, loss, 0)["below_eps"]
        for loss in ("mse", "sce")
        for norm in ("none", "row")
    }
    assert share[("mse", "row")] > 0.5
    assert max(share[("mse", "none")], share[("sce", "none")], share[("sce", "row")]) < 0.05


def test_compare_runs_pairs_runs_by_dataset_rung_and_seed(tmp_path: Path) -> None:
    """Old runs (a folder of run folders) against a sweep's listed runs: only the keys in
    both, the kept epochs, the feature decoder's inner-product AUC, and per-rung means."""
    import json

    compare = load_script("compare_runs")

    def run(folder: Path, rung: str, seed: int, epoch: int, node: float, val: str) -> None:
        folder.mkdir(parents=True)
        bench = {"kind": "model", "status": "ok", "dataset": "Cora", "decoder": rung}
        (folder / "bench.json").write_text(json.dumps({**bench, "seed": seed}))
        metrics = {"probe/node_accuracy": node, "probe/link_auc": 0.5, val: 0.75}
        result = {"best_epoch": epoch, "epochs_run": epoch + 50, "metrics": metrics}
        (folder / "result.json").write_text(json.dumps(result))

    run(tmp_path / "old" / "a", "tied", 0, 1, 0.25, "val/link_ip/auc")
    run(tmp_path / "old" / "b", "tied", 1, 2, 0.5, "val/link_ip/auc")
    run(tmp_path / "old" / "c", "gnn", 0, 3, 0.5, "val/link/auc")  # not in the sweep
    sweep = tmp_path / "sweep"
    run(sweep / "runs" / "t0", "tied", 0, 250, 0.75, "val/link_ip/auc")
    run(sweep / "runs" / "t1", "tied", 1, 100, 1.0, "val/link_ip/auc")
    run(sweep / "runs" / "stale", "gnn", 0, 9, 0.0, "val/link/auc")  # not listed: left out
    (sweep / "sweep.json").write_text(json.dumps({"runs": [{"run_id": "t0"}, {"run_id": "t1"}]}))
    text = compare.compare(
        compare.read_runs([tmp_path / "old"]), compare.read_runs([sweep]), "title"
    )
    assert "2 runs in both sets" in text
    assert (
        "| Cora | tied | 0 | 1 / 51 | 250 / 300 | 0.250 | 0.750 | 0.500 | 0.500 | 0.750 | 0.750 |"
        in text
    )
    assert "| Cora | tied | 2 | 0.375 | 0.875 | 0.500 | 0.500 | 0.750 | 0.750 |" in text
    assert "gnn" not in text


def test_epoch_ab_times_both_values_of_a_field_and_its_wrapper_fixes_the_field(
    tmp_path: Path, data_root: Path
) -> None:
    """benchmarks/epoch_ab.py on Cora, briefly: a row per rung with both values timed
    and probed; propagation_order.py is the same script with its field, its rungs and
    the dense feature loss fixed."""
    import json

    ab = load_script("epoch_ab")
    out = tmp_path / "ab.md"

    def argv(values: tuple[str, str] = ("dense", "auto"), rung: str = "linear-sce") -> list[str]:
        return [
            *("--field", "feature_loss_form", "--values", *values),
            *("--data-root", str(data_root), "--datasets", "Cora", "--rungs", rung),
            *("--epochs", "2", "--repeats", "1", "--out", str(out)),
        ]

    ab.main(ab.parser().parse_args(argv()))
    rec = json.loads(out.with_suffix(".json").read_text())
    (row,) = rec["rows"]
    assert rec["field"] == "feature_loss_form" and rec["values"] == ["dense", "auto"]
    assert row["rung"] == "linear-sce" and row["dense_ms"] > 0 and row["auto_ms"] > 0
    assert row["dense_node"] == pytest.approx(row["auto_node"], abs=0.02)  # rounding only
    assert "| Cora | linear-sce |" in out.read_text()
    with pytest.raises(SystemExit, match="--values must be two of auto, dense"):
        ab.main(ab.parser().parse_args(argv(values=("dense", "sparse"))))
    with pytest.raises(SystemExit, match="unknown rung"):
        ab.main(ab.parser().parse_args(argv(rung="bogus")))

    wrapper = (REPO / "benchmarks" / "propagation_order.py").read_text()
    assert 'fixed={"feature_loss_form": "dense"}' in wrapper
    cli = ab.parser(
        "propagation_order", ("transform_first", "auto"), rungs=("gnn",), fixed={"a": 1}
    )
    args = cli.parse_args(["--data-root", "d", "--out", "o.md"])
    assert (args.field, args.values, args.rungs, args.fixed) == (
        "propagation_order",
        ["transform_first", "auto"],
        ["gnn"],
        {"a": 1},
    )


def test_pinv_backward_rows_time_both_ways_and_agree() -> None:
    """benchmarks/pinv_backward.py on a small tall weight: both ways timed, the same
    pseudo-inverse and gradient up to fp32 rounding."""
    bench = load_script("pinv_backward")
    row = bench.row("tiny", 60, 4, repeats=2)
    assert row["shape"] == [60, 4] and row["as_is_ms"] > 0 and row["transposed_ms"] > 0
    assert row["speedup"] == pytest.approx(row["as_is_ms"] / row["transposed_ms"])
    assert row["max_rel_diff_pinv"] < 1e-4 and row["max_rel_diff_grad"] < 1e-4


def test_propagation_layout_rows_time_both_layouts_and_agree(tmp_path: Path) -> None:
    """benchmarks/propagation_layout.py on small graphs: each layout's build and product
    timed, the dense product equal to the sparse one, the key-sort CSR equal to the
    coalesce route's; a graph too large to hold densely gets the sparse columns only."""
    bench = load_script("propagation_layout")
    out = tmp_path / "layout.md"
    args = ["--nodes", "300", "--densities", "0.02", "--widths", "8", "--repeat", "2"]
    assert bench.main([*args, "--large", "9000", "20000", "--out", str(out)]) == 0
    rows = __import__("json").loads(out.with_suffix(".json").read_text())
    small, large = rows
    assert small["graph"] == "random, density 0.02" and small["nodes"] == 300
    assert small["product_dense_ms"] > 0 and small["build_dense_ms"] > 0
    assert small["dense_speedup"] == pytest.approx(
        small["product_sparse_ms"] / small["product_dense_ms"]
    )
    assert small["max_rel_diff"] < 1e-5 and small["auto_layout"] == "sparse"  # CPU
    assert large["nodes"] == 9000 and large["product_dense_ms"] is None
    assert all(r["sparse_build_same_csr_as_coalesce"] for r in rows)
    assert "gave the coalesce route's matrix on every graph: True" in out.read_text()


def test_results_pair_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    """benchmarks/measure.py: the Markdown and JSON land together; data json cannot
    encode leaves the earlier pair untouched and no temporary file behind."""
    import json

    measure = load_script("measure")
    out = tmp_path / "deep" / "speed.md"
    measure.write_results(out, "# first\n", [{"ms": 1.5}])
    assert out.read_text() == "# first\n"
    assert json.loads(out.with_suffix(".json").read_text()) == [{"ms": 1.5}]
    with pytest.raises(TypeError):
        measure.write_results(out, "# second\n", [{"ms": object()}])
    assert out.read_text() == "# first\n"
    assert json.loads(out.with_suffix(".json").read_text()) == [{"ms": 1.5}]
    assert sorted(p.name for p in out.parent.iterdir()) == ["speed.json", "speed.md"]


def test_timed_seconds_runs_the_warmup_untimed_and_times_each_call() -> None:
    """benchmarks/measure.py: ``warmup`` calls first, then one duration per timed call;
    a call that sleeps longer shows as the longer duration, in call order."""
    import time

    import torch

    measure = load_script("measure")
    calls: list[int] = []

    def work() -> None:
        calls.append(len(calls))
        if len(calls) == 4:  # the second timed call
            time.sleep(0.05)

    times = measure.timed_seconds(work, torch.device("cpu"), repeat=3, warmup=2)
    assert calls == [0, 1, 2, 3, 4] and len(times) == 3
    assert times[1] >= 0.05 and times[1] == max(times)
    calls.clear()
    assert measure.median_seconds(work, torch.device("cpu"), repeat=3) < 0.05
    assert len(calls) == 4  # one warm-up; the sleeping call (the fourth) is the slowest


def test_distance_collapse_pair_statistics_exact_on_a_tiny_embedding() -> None:
    """benchmarks/distance_collapse.py's measures on 4 hand-placed nodes: the positive
    pair (0, 1) is farther apart than both negatives, so the distance ranks it last; the
    norm grows with the degree."""
    import torch

    tool = load_script("distance_collapse")
    z = torch.tensor([[2.0, 0.0], [0.0, 2.0], [0.5, 0.0], [0.0, 0.5]])
    deg = torch.tensor([3.0, 3.0, 1.0, 2.0])
    pos = torch.tensor([[0], [1]])
    neg = torch.tensor([[2, 0], [3, 2]])  # pairs (2, 3) and (0, 2)
    row = tool.pair_stats(z, deg, pos, neg)
    assert row["d2_pos"] == pytest.approx(8.0)
    assert row["d2_neg"] == pytest.approx((0.5 + 2.25) / 2)
    assert row["auc_distance_init"] == pytest.approx(0.0)
    assert row["auc_inner_product_init"] == pytest.approx(0.25)  # 0 vs (0, 1): a tie, a loss
    # average ranks: degree (3.5, 3.5, 1, 2), norm (3.5, 3.5, 1.5, 1.5)
    assert row["spearman_degree_norm"] == pytest.approx(4 / 18**0.5)
    assert row["degree_pos_ends"] == pytest.approx(3.0)
    assert row["degree_neg_ends"] == pytest.approx((1 + 2 + 3 + 1) / 4)


def test_distance_collapse_reads_the_initial_embeddings_of_a_run(data_root: Path) -> None:
    """The script's whole path on Cora: the configuration rebuilt at its initial weights;
    edges end at higher-degree nodes than uniform negatives."""
    import dataclasses

    from graphae.config import RunConfig

    tool = load_script("distance_collapse")
    cfg = RunConfig(dataset="Cora", decoder="distance", seed=0, epochs=5, data_root=str(data_root))
    row = tool.initial_row(dataclasses.asdict(cfg), str(data_root))
    assert row["degree_pos_ends"] > 1.5 * row["degree_neg_ends"]
    assert row["d2_pos"] > 0 and row["d2_neg"] > 0

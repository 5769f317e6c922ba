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

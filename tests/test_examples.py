"""The scripts in examples/ run end to end and print what they promise.

Each runs in a subprocess, on real data: Cora from the offline copy (the
``data_root`` fixture) and a user edge list written by the test. Epochs are cut
down so the whole file takes well under a minute on two cores.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
NUMBER = r"[-+]?\d+(?:\.\d+)?"


def run_script(args: list[str], cwd: Path, **env: str) -> str:
    """Run a command with the venv's python/graphae first on PATH; return stdout."""
    bin_dir = str(Path(sys.executable).parent)
    full_env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        **env,
    }
    proc = subprocess.run(
        args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def write_user_edges(path: Path) -> None:
    """Two 8-node cliques of string ids (one with a leading zero) joined by one edge."""
    lines = ["source,target,weight"]
    for c in ("ann", "bob"):
        nodes = [f"{c}{i}" for i in range(8)]
        lines += [
            f"{u},{v},{1 + (i + j) % 3}"
            for i, u in enumerate(nodes)
            for j, v in enumerate(nodes)
            if i < j
        ]
    lines.append("ann0,bob0,1")
    lines.append("007,ann1,2")  # "007" must stay a string id
    path.write_text("\n".join(lines) + "\n")


def test_train_own_graph(tmp_path: Path, data_root: Path) -> None:
    edges = tmp_path / "my_edges.csv"
    write_user_edges(edges)
    out = run_script(
        ["bash", str(EXAMPLES / "train_own_graph.sh"), str(edges), "runs/mine"],
        cwd=tmp_path,
        EPOCHS="60",
    )
    lines = out.splitlines()
    assert lines[0] == "my_edges: 17 nodes, 58 undirected edges, 17 features (identity)"
    assert re.fullmatch(rf"best epoch \d+/60: link/auc={NUMBER} .*", lines[1])
    assert "wrote runs/mine" in lines
    assert "Embeddings(17 nodes x 16 dims, str ids)" in lines
    near = next(line for line in lines if line.startswith("nearest to ann0: "))
    assert len(re.findall(rf"\w+ \({NUMBER}\)", near)) == 3
    assert "as pandas: (17, 16), as torch: (17, 16)" in lines
    assert (tmp_path / "runs" / "mine" / "embeddings.npy").is_file()
    import graphae

    emb = graphae.load_embeddings(tmp_path / "runs" / "mine")
    assert "007" in emb.ids and 7 not in emb.ids


def test_benchmark_decoders(tmp_path: Path, data_root: Path) -> None:
    args = [sys.executable, str(EXAMPLES / "benchmark_decoders.py"), "--dataset", "Cora",
            "--decoders", "inner_product", "mlp", "--seeds", "0", "--epochs", "5",
            "--device", "cpu", "--out", "runs/bench"]  # fmt: skip
    out = run_script(args, cwd=tmp_path)
    lines = out.splitlines()
    assert lines[0].startswith("cora: 2708 nodes, 5278 undirected edges, 1433 features")
    assert lines[1].split() == ["decoder", "decoder", "params", "recon", "loss", "link", "auc",
                                "link", "probe", "AUC", "node", "probe", "acc"]  # fmt: skip
    cell = rf"({NUMBER}) ± ({NUMBER})"
    rows = {}
    for line in lines[2:]:
        m = re.fullmatch(rf"(\w+)\s+{cell}\s+{cell}\s+{cell}\s+{cell}\s+{cell}", line)
        assert m, line
        rows[m.group(1)] = [float(v) for v in m.groups()[1::2]]
    assert list(rows) == ["inner_product", "mlp"]
    assert rows["inner_product"][0] == 0 and rows["mlp"][0] > 0  # decoder parameters
    for values in rows.values():
        assert all(0 <= v <= 1 for v in values[2:])  # AUCs and accuracy
    assert sorted(p.name for p in (tmp_path / "runs" / "bench").iterdir()) == [
        "inner_product-0",
        "mlp-0",
    ]
    assert run_script(args, cwd=tmp_path) == out  # resumed from the saved runs


def test_classify_embeddings(tmp_path: Path, data_root: Path) -> None:
    out = run_script(
        [sys.executable, str(EXAMPLES / "classify_embeddings.py"), "--epochs", "10"], cwd=tmp_path
    )
    m = re.search(
        rf"pipeline test accuracy: ({NUMBER}) \(C=({NUMBER})\)\n"
        rf"probe    test accuracy: ({NUMBER}) \(C=({NUMBER})\)\n"
        rf"difference: ({NUMBER}) points",
        out,
    )
    assert m, out
    pipe_acc, pipe_c, probe_acc, probe_c, diff = map(float, m.groups())
    assert out.startswith("cora: 2708 nodes, 16-dim embeddings")
    assert pipe_c == probe_c
    assert abs(pipe_acc - probe_acc) <= 0.005 and diff <= 0.5
    assert pipe_acc > 0.4  # seven classes: chance is about 0.14

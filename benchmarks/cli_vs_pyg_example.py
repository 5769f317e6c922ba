"""Whole-run wall time: ``graphae train --dataset Cora`` vs PyG's autoencoder example.

    OMP_NUM_THREADS=1 python benchmarks/cli_vs_pyg_example.py --repeats 5 \
        --out benchmarks/results/cli-vs-pyg-example-cpu.md

The reference (:data:`REFERENCE`, written to a temporary file and run as its own
process) is PyG's ``examples/autoencoder.py`` with its defaults: ``GAE`` with a
2-layer ``GCNConv`` encoder (F -> 32 -> 16), ``T.NormalizeFeatures`` and
``T.RandomLinkSplit(num_val=0.05, num_test=0.1)``, Adam (lr 0.01), 400 epochs,
``model.test`` (scikit-learn AUC/AP) every epoch. As in graphae, the model is
evaluated on the VALIDATION edges each epoch, the best epoch's state is kept and
its test AUC reported (the example scores the test edges each epoch and reports
the last one; the work per epoch is the same).

Each command runs in a fresh process (start-up, dataset loading and writing
included); the two alternate (A, B, A, B, ...) so machine load hits both alike,
after one untimed run of each (which also processes the dataset). Medians, the
machine's load average (``uptime``) before and after, and the test AUCs are
written to ``--out`` (Markdown) and the JSON beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

REFERENCE = '''\
"""PyG examples/autoencoder.py (GAE, Cora), validation AUC every epoch, best state kept."""
import argparse, copy, json
import torch
import torch_geometric.transforms as T
from torch_geometric.datasets import Planetoid
from torch_geometric.nn import GAE, GCNConv

parser = argparse.ArgumentParser()
parser.add_argument("--root", required=True)
parser.add_argument("--epochs", type=int, default=400)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cpu")
transform = T.Compose([
    T.NormalizeFeatures(),
    T.ToDevice(device),
    T.RandomLinkSplit(num_val=0.05, num_test=0.1, is_undirected=True,
                      split_labels=True, add_negative_train_samples=False),
])
dataset = Planetoid(args.root, "Cora", transform=transform)
train_data, val_data, test_data = dataset[0]


class GCNEncoder(torch.nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = GCNConv(in_channels, 2 * out_channels)
        self.conv2 = GCNConv(2 * out_channels, out_channels)

    def forward(self, x, edge_index):
        x = self.conv1(x, edge_index).relu()
        return self.conv2(x, edge_index)


model = GAE(GCNEncoder(dataset.num_features, 16)).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)


def train():
    model.train()
    optimizer.zero_grad()
    z = model.encode(train_data.x, train_data.edge_index)
    loss = model.recon_loss(z, train_data.pos_edge_label_index)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


@torch.no_grad()
def test(data):
    model.eval()
    z = model.encode(data.x, data.edge_index)
    return model.test(z, data.pos_edge_label_index, data.neg_edge_label_index)


best = (float("-inf"), 0, None)
for epoch in range(1, args.epochs + 1):
    loss = train()
    auc, ap = test(val_data)
    if auc > best[0]:
        best = (auc, epoch, copy.deepcopy(model.state_dict()))
model.load_state_dict(best[2])
auc, ap = test(test_data)
print(json.dumps({"best_epoch": best[1], "val_auc": best[0], "test_auc": auc, "test_ap": ap}))
'''


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _graphae_cmd(seed: int, root: Path, out: Path, epochs: int) -> list[str]:
    exe = shutil.which("graphae", path=str(Path(sys.executable).parent))
    head = [exe] if exe else [sys.executable, "-m", "graphae.cli"]
    return [
        *head,
        "train",
        "--dataset",
        "Cora",
        "--seed",
        str(seed),
        "--device",
        "cpu",
        "--epochs",
        str(epochs),
        "--data-root",
        str(root),
        "--out",
        str(out),
        "--no-progress",
    ]


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stderr[-2000:]}")
    return wall, res.stdout


def run(
    data_root: Path, repeats: int, seeds: list[int], epochs: int, work: Path
) -> dict[str, object]:
    """Alternate the two commands; return every wall time, test AUC and the load."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("PYTHONWARNINGS", "ignore")
    roots = {}
    for kind in ("graphae", "pyg"):  # separate copies: each processes Planetoid its own way
        roots[kind] = work / f"data-{kind}"
        shutil.copytree(data_root / "Planetoid" / "Cora", roots[kind] / "Planetoid" / "Cora")
    ref = work / "pyg_autoencoder_example.py"
    ref.write_text(REFERENCE)

    def graphae_once(seed: int) -> tuple[float, float]:
        out = work / f"run-{seed}"
        shutil.rmtree(out, ignore_errors=True)
        wall, _ = _timed(_graphae_cmd(seed, roots["graphae"], out, epochs), env)
        result = json.loads((out / "result.json").read_text())
        return wall, float(result["metrics"]["link/auc"])

    def pyg_once(seed: int) -> tuple[float, float]:
        cmd = [sys.executable, str(ref), "--root", str(roots["pyg"] / "Planetoid")]
        wall, stdout = _timed([*cmd, "--seed", str(seed), "--epochs", str(epochs)], env)
        return wall, float(json.loads(stdout.strip().splitlines()[-1])["test_auc"])

    graphae_once(seeds[0]), pyg_once(seeds[0])  # warm-up: processing, file cache
    load_before = _uptime()
    rows = []
    for i in range(repeats):
        seed = seeds[i % len(seeds)]
        order = ("graphae", "pyg") if i % 2 == 0 else ("pyg", "graphae")
        for kind in order:
            wall, auc = graphae_once(seed) if kind == "graphae" else pyg_once(seed)
            rows.append({"kind": kind, "seed": seed, "wall_s": wall, "test_auc": auc})
            print(f"{kind:8s} seed {seed}: {wall:6.2f} s, test AUC {auc:.4f}", flush=True)
    load_after = _uptime()
    med = {
        k: statistics.median(r["wall_s"] for r in rows if r["kind"] == k)
        for k in ("graphae", "pyg")
    }
    auc = {
        k: statistics.mean(r["test_auc"] for r in rows if r["kind"] == k)
        for k in ("graphae", "pyg")
    }
    import torch

    return {
        "rows": rows,
        "median_wall_s": med,
        "ratio": med["graphae"] / med["pyg"],
        "mean_test_auc": auc,
        "target_ratio": 0.5,
        "epochs": epochs,
        "seeds": seeds,
        "repeats": repeats,
        "load_before": load_before,
        "load_after": load_after,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "graphae_command": " ".join(_graphae_cmd(seeds[0], Path("ROOT"), Path("OUT"), epochs)),
        "pyg_command": "python pyg_autoencoder_example.py --root ROOT/Planetoid "
        f"--seed {seeds[0]} --epochs {epochs}",
    }


def write_markdown(rec: dict, path: Path, argv: list[str]) -> None:
    med, auc = rec["median_wall_s"], rec["mean_test_auc"]
    lines = [
        "# `graphae train --dataset Cora` vs PyG's autoencoder example (whole runs, CPU)",
        "",
        f"Command: `{' '.join(argv)}` (OMP_NUM_THREADS={rec['omp_num_threads']}, "
        f"torch {rec['torch']}, {rec['torch_threads']} threads, {rec['cpus']} CPUs). "
        f"{rec['repeats']} runs of each, alternating, fresh processes, after one untimed run "
        f"of each; {rec['epochs']} epochs, seeds {rec['seeds']}.",
        "",
        "| | median wall (s) | runs (s) | mean test AUC |",
        "|---|---|---|---|",
    ]
    for kind, name in (("graphae", "`graphae train --dataset Cora`"), ("pyg", "PyG example")):
        walls = ", ".join(f"{r['wall_s']:.1f}" for r in rec["rows"] if r["kind"] == kind)
        lines.append(f"| {name} | {med[kind]:.2f} | {walls} | {auc[kind]:.4f} |")
    verdict = "met" if rec["ratio"] <= rec["target_ratio"] else "NOT met"
    lines += [
        "",
        f"graphae / PyG = **{rec['ratio']:.2f}** (target <= {rec['target_ratio']}: {verdict}); "
        f"test AUC graphae {auc['graphae']:.4f} vs PyG {auc['pyg']:.4f} (each on its own "
        "random split of the same seed).",
        "",
        f"Load (`uptime`) before: `{rec['load_before']}`; after: `{rec['load_after']}`. The "
        "machine is shared with other jobs: the alternation spreads their load over both.",
        "",
    ]
    path.write_text("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-root", type=Path, default=None, help="Holds Planetoid/Cora/raw.")
    p.add_argument("--repeats", type=int, default=5, help="Timed runs of each command.")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--epochs", type=int, default=400)
    p.add_argument("--out", type=Path, default=None, help="Markdown file (JSON beside it).")
    args = p.parse_args()
    root = args.data_root
    if root is None:
        env = os.environ.get("GRAPHAE_SHARED_DATASETS")
        root = Path(env) if env else ROOT.parent / "shared" / "datasets"
    with tempfile.TemporaryDirectory(prefix="cli_vs_pyg_") as tmp:
        rec = run(root, args.repeats, args.seeds, args.epochs, Path(tmp))
    print(json.dumps({k: rec[k] for k in ("median_wall_s", "ratio", "mean_test_auc")}))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(rec, indent=2) + "\n")
        write_markdown(rec, args.out, ["python", "benchmarks/cli_vs_pyg_example.py", *sys.argv[1:]])


if __name__ == "__main__":
    main()

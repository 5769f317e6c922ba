"""Per-epoch training time and peak memory: graphae vs PyG's reference GAE, side by side.

    python benchmarks/speed_vs_pyg.py --graphs cora synthetic --epochs 20 \
        --out benchmarks/results/speed-cpu.md

Both models are a 2-layer GCN (F -> 32 -> 16) with the inner-product decoder,
trained with Adam on the same split: the encoder runs over the same
message-passing graph and the loss uses the same positive pairs plus as many
fresh negatives. The reference is ``torch_geometric.nn.GAE`` with ``GCNConv`` on
``edge_index`` (PyG's defaults, ``recon_loss`` with its own negative sampling).
Epochs of the two are interleaved in one process so that machine noise hits both
alike; peak memory is measured per row in a fresh subprocess. On Cora both
models are also trained to convergence and their test AUC compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch_geometric.nn import GAE, GCNConv

from graphae.data.graph import Graph, NodeIndex
from graphae.data.split import EdgeSet, random_link_split, sample_negatives
from graphae.models import GraphAutoEncoder
from graphae.models.build import set_feature_matmul
from graphae.nn.decoders import InnerProductDecoder
from graphae.nn.encoders import GCNEncoder

sys.path.insert(0, str(Path(__file__).parent))
from measure import timed_seconds


class PyGEncoder(torch.nn.Module):
    """PyG's example encoder: GCNConv -> ReLU -> GCNConv (``cached``: normalise once)."""

    def __init__(self, f: int, hidden: int, out: int, cached: bool = False) -> None:
        super().__init__()
        self.conv1 = GCNConv(f, hidden, cached=cached)
        self.conv2 = GCNConv(hidden, out, cached=cached)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


def synthetic_graph(num_nodes: int, num_edges: int, num_features: int, seed: int = 0) -> Graph:
    """Random graph with ``num_edges`` directed entries (both directions of ``num_edges/2`` pairs)."""
    from torch_geometric.data import Data
    from torch_geometric.utils import coalesce

    g = torch.Generator().manual_seed(seed)
    half = torch.randint(0, num_nodes, (2, num_edges // 2), generator=g)
    half = half[:, half[0] != half[1]]
    ei = coalesce(torch.cat([half, half.flip(0)], 1), num_nodes=num_nodes)
    x = torch.randn(num_nodes, num_features, generator=g)
    return Graph(
        Data(x=x, edge_index=ei, num_nodes=num_nodes), NodeIndex.range(num_nodes), name="synthetic"
    )


#: Synthetic graphs by name: (nodes, directed edges, features).
SYNTHETIC = {
    "synthetic": (235_000, 2_400_000, 128),
    "citation2-scale": (2_927_963, 30_387_995, 128),
    "tiny-synthetic": (2_000, 20_000, 32),
}


def load(name: str, root: str | None) -> Graph:
    if name in SYNTHETIC:
        return synthetic_graph(*SYNTHETIC[name])
    from graphae.data.datasets import load_dataset

    graph = load_dataset(name, root)
    if graph.data.x is None:  # ogbl-ddi: both models get the same random 128-d input
        gen = torch.Generator().manual_seed(0)
        graph.data.x = torch.randn(graph.num_nodes, 128, generator=gen)
    return graph


def split_of(graph: Graph, seed: int):
    """The official split when the dataset has one (OGB), else a seeded random split."""
    if graph.split is not None:
        return graph.split
    return random_link_split(graph.data.edge_index, graph.num_nodes, seed=seed)


class Runner:
    """One model + optimiser + one training-epoch closure."""

    def __init__(
        self, kind: str, graph: Graph, split, seed: int, device: torch.device | None = None
    ) -> None:
        """``kind``: ``graphae``, ``pyg`` (PyG's ``GAE`` + ``recon_loss``, host-side
        negatives) or ``pyg_strong`` (``GCNConv(cached=True)``, negatives drawn on the
        device by graphae's sampler, the same BCE loss)."""
        device = device or torch.device("cpu")
        torch.manual_seed(seed)
        f = graph.num_features
        self.kind = kind
        self.x = graph.data.x.to(device)
        self.split = split.to(device)
        self.gen = torch.Generator(device=device).manual_seed(seed)
        if kind in ("graphae", "pyg_strong"):
            self.exclude = EdgeSet(self.split.train_pos, graph.num_nodes, directed=False)
        if kind == "graphae":
            encoder = GCNEncoder(f, 32, 16, 2)
            set_feature_matmul(encoder, "auto")  # as `graphae train` builds it (RunConfig default)
            self.model = GraphAutoEncoder(encoder, InnerProductDecoder())
        else:
            self.model = GAE(PyGEncoder(f, 32, 16, cached=kind == "pyg_strong"))
        self.model.to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=0.01)

    def epoch(self) -> float:
        self.model.train()
        self.opt.zero_grad()
        sp = self.split
        if self.kind == "graphae":
            neg = sample_negatives(sp.train_pos.size(1), self.exclude, generator=self.gen)
            loss, _ = self.model.loss(self.x, sp.mp_edge_index, None, sp.train_pos, neg)
        elif self.kind == "pyg_strong":
            from graphae.models.losses import pair_bce

            neg = sample_negatives(sp.train_pos.size(1), self.exclude, generator=self.gen)
            z = self.model.encode(self.x, sp.mp_edge_index)
            dec = self.model.decoder
            loss = pair_bce(dec(z, sp.train_pos, sigmoid=False), dec(z, neg, sigmoid=False))
        else:
            z = self.model.encode(self.x, sp.mp_edge_index)
            loss = self.model.recon_loss(z, sp.train_pos)
        loss.backward()
        self.opt.step()
        return float(loss.detach())

    @torch.no_grad()
    def test_auc(self) -> float:
        from graphae.evaluation.metrics import link_metrics

        self.model.eval()
        sp = self.split
        if self.kind == "graphae":
            z = self.model.encode(self.x, sp.mp_edge_index)
            pos, neg = self.model.score(z, sp.test_pos), self.model.score(z, sp.test_neg)
        else:
            z = self.model.encode(self.x, sp.mp_edge_index)
            pos = self.model.decoder(z, sp.test_pos, sigmoid=False)
            neg = self.model.decoder(z, sp.test_neg, sigmoid=False)
        return link_metrics(pos, neg)["auc"]


def time_interleaved(graph: Graph, epochs: int, warmup: int) -> dict[str, list[float]]:
    split = split_of(graph, 0)
    runners = {k: Runner(k, graph, split, 0) for k in ("pyg", "graphae")}
    times: dict[str, list[float]] = {k: [] for k in runners}
    for i in range(warmup + epochs):
        order = list(runners) if i % 2 == 0 else list(reversed(runners))
        for k in order:
            t = time.perf_counter()
            runners[k].epoch()
            if i >= warmup:
                times[k].append(time.perf_counter() - t)
    return times


def accuracy_check(graph: Graph, epochs: int, seeds: list[int]) -> dict[str, list[float]]:
    """Test AUC after ``epochs`` full-batch epochs, per seed (no early stopping, same split)."""
    out: dict[str, list[float]] = {"pyg": [], "graphae": []}
    for seed in seeds:
        split = random_link_split(graph.data.edge_index, graph.num_nodes, seed=seed)
        for k in out:
            r = Runner(k, graph, split, seed)
            for _ in range(epochs):
                r.epoch()
            out[k].append(r.test_auc())
    return out


def _vm_kib(*fields: str) -> Any:
    """``/proc/self/status`` memory fields (``VmRSS``, ``VmHWM``) in KiB, from one read.

    One field gives an ``int``, several a tuple: read together, so that no
    allocation of the reading itself falls between them (``VmRSS`` read after
    ``VmHWM`` could otherwise exceed it by a page).
    """
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":", 1)[0]
        if key in fields:
            values[key] = int(line.split()[1])
    missing = [f for f in fields if f not in values]
    if missing:
        raise KeyError(missing[0])
    return values[fields[0]] if len(fields) == 1 else tuple(values[f] for f in fields)


def training_memory(name: str, kind: str, root: str | None, epochs: int) -> None:
    """Child-process body of :func:`peak_memory_row`: prints its JSON measurement.

    Loading and splitting the graph leave a high-water mark of their own (the
    same for both models), so the peak is reset after them (Linux
    ``/proc/self/clear_refs``) and measured again over model construction and
    ``epochs`` training epochs: that peak belongs to the model alone.
    """
    g = load(name, root)
    s = split_of(g, 0)
    load_peak, before = _vm_kib("VmHWM", "VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    r = Runner(kind, g, s, 0)
    for _ in range(epochs):
        r.epoch()
    peak = _vm_kib("VmHWM")
    print(json.dumps({"load_peak": load_peak * 1024, "before": before * 1024, "peak": peak * 1024}))


def peak_memory_row(name: str, kind: str, root: str | None, epochs: int) -> dict[str, int]:
    """Memory of a fresh process that loads the graph and trains ``epochs`` epochs.

    Returns:
        Bytes: ``load_peak`` (peak RSS while loading and splitting the graph),
        ``before`` (RSS once loaded) and ``peak`` (peak RSS during model
        construction and training, measured after resetting the high-water
        mark); ``peak - before`` is what training adds.
    """
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r});"
        "from speed_vs_pyg import training_memory;"
        f"training_memory({name!r}, {kind!r}, {root!r}, {epochs})"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def device_rows(
    names: list[str],
    device: torch.device,
    epochs: int,
    warmup: int,
    root: str | None,
    slow_epochs: int = 1,
) -> list[dict[str, object]]:
    """Per-epoch time and peak device memory of the three models on ``device``.

    Each model trains ``warmup`` untimed then ``epochs`` timed full-batch epochs
    (CUDA-synchronised; PyG's ``GAE`` gets ``slow_epochs`` and no warm-up on graphs
    over 1M edges, its host-side sampling makes each epoch seconds long). Peak memory
    is ``torch.cuda.max_memory_allocated`` over the model's epochs, reset
    before each model (graph tensors on the device included); CPU rows have none.
    """
    rows = []
    for name in names:
        graph = load(name, root)
        split = split_of(graph, 0)
        row: dict[str, object] = {
            "graph": name, "nodes": graph.num_nodes, "edges": graph.num_edges,
            "features": graph.num_features, "device": str(device),
        }  # fmt: skip
        for kind in ("pyg", "pyg_strong", "graphae"):
            slow = kind == "pyg" and graph.num_edges > 1_000_000
            n_epochs, n_warm = (slow_epochs, 0) if slow else (epochs, warmup)
            try:
                if device.type == "cuda":
                    torch.cuda.empty_cache()
                    torch.cuda.reset_peak_memory_stats(device)
                r = Runner(kind, graph, split, 0, device)
                times = timed_seconds(r.epoch, device, n_epochs, warmup=n_warm)
                row[f"{kind}_ms"] = 1000 * statistics.median(times)
                row[f"{kind}_epochs"] = len(times)
                if device.type == "cuda":
                    row[f"{kind}_peak_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
                del r
            except torch.OutOfMemoryError as e:
                row[f"{kind}_ms"] = None
                row[f"{kind}_error"] = f"out of memory: {str(e).splitlines()[0][:200]}"
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def write_device_results(
    rows: list[dict[str, object]], device: torch.device, out: Path, argv: str
) -> None:
    """``out`` (Markdown) and the JSON beside it: one object per row + the device name."""
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine()
    )
    keys = ("graph", "nodes", "edges", "pyg_ms", "pyg_strong_ms", "graphae_ms",
            "pyg_strong_peak_mib", "graphae_peak_mib")  # fmt: skip
    objs = [{**{k: r.get(k) for k in keys}, **r, "device_name": name} for r in rows]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(objs, indent=1) + "\n")

    def f(v: object, fmt: str = ".1f") -> str:
        return "—" if v is None else format(v, fmt)

    lines = [
        f"# graphae vs PyG: training epoch time on {name}",
        "",
        f"Command: `{argv}`; torch {torch.__version__}. Median CUDA-synchronised full-batch "
        "epoch (2-layer GCN F->32->16, inner product, one negative per positive). "
        "*PyG*: `GAE` + `recon_loss` (PyG's own negative sampling); *PyG strong*: "
        "`GCNConv(cached=True)` with negatives drawn on the device by graphae's sampler and "
        "the same BCE loss. Peak = `torch.cuda.max_memory_allocated` over each model's epochs.",
        "",
        "| graph | nodes | edges | PyG ms | PyG strong ms | graphae ms | strong / graphae "
        "| PyG strong peak MiB | graphae peak MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s, g = r.get("pyg_strong_ms"), r.get("graphae_ms")
        ratio = f"{s / g:.2f}x" if s and g else "—"
        lines.append(
            f"| {r['graph']} | {r['nodes']:,} | {r['edges']:,} | {f(r.get('pyg_ms'))} | {f(s)} | "
            f"{f(g)} | {ratio} | {f(r.get('pyg_strong_peak_mib'), '.0f')} | "
            f"{f(r.get('graphae_peak_mib'), '.0f')} |"
        )
    errors = [f"{r['graph']} {k}" for r in rows for k in r if k.endswith("_error")]
    if errors:
        lines += ["", "Out of memory: " + ", ".join(errors) + "."]
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--graphs", nargs="+", default=["cora", "synthetic"])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--auc-epochs", type=int, default=200)
    ap.add_argument("--auc-seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--data-root", default=os.environ.get("GRAPHAE_DATA"))
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument(
        "--device", default=None,
        help="cpu or cuda: time PyG GAE, the strong PyG reference and graphae on that device "
        "(sequentially, with peak device memory) and write --out .md + .json",
    )  # fmt: skip
    ap.add_argument(
        "--quick", action="store_true",
        help="With --device: tiny sizes (cora + tiny-synthetic, 2 epochs) to check the script",
    )  # fmt: skip
    args = ap.parse_args()
    if args.device is not None:
        device = torch.device(args.device)
        names = ["cora", "tiny-synthetic"] if args.quick else args.graphs
        epochs, warmup = (2, 1) if args.quick else (args.epochs, args.warmup)
        rows = device_rows(names, device, epochs, warmup, args.data_root)
        if args.out:
            write_device_results(rows, device, args.out, " ".join(["python", *sys.argv]))
        return

    rows = []
    for name in args.graphs:
        graph = load(name, args.data_root)
        times = time_interleaved(graph, args.epochs, args.warmup)
        row = {
            "graph": name,
            "nodes": graph.num_nodes,
            "edges": graph.num_edges,
            "features": graph.num_features,
            **{f"{k}_ms": 1000 * statistics.median(v) for k, v in times.items()},
        }
        row["speedup"] = row["pyg_ms"] / row["graphae_ms"]
        if not args.no_memory:
            for k in ("pyg", "graphae"):
                mem = peak_memory_row(name, k, args.data_root, 3)
                row[f"{k}_peak_mib"] = mem["peak"] / 2**20
                row[f"{k}_train_mib"] = (mem["peak"] - mem["before"]) / 2**20
                row["load_peak_mib"] = mem["load_peak"] / 2**20
        if name == "cora":
            aucs = accuracy_check(graph, args.auc_epochs, args.auc_seeds)
            for k, v in aucs.items():
                row[f"{k}_auc"] = statistics.mean(v)
                row[f"{k}_auc_std"] = statistics.stdev(v) if len(v) > 1 else 0.0
        print(json.dumps(row), flush=True)
        rows.append(row)

    env = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    lines = [
        "# graphae vs PyG reference GAE: training epoch time (CPU)",
        "",
        f"Command: `python benchmarks/speed_vs_pyg.py --graphs {' '.join(args.graphs)} "
        f"--epochs {args.epochs}`  ",
        f"Machine: {env}. Median of {args.epochs} interleaved epochs after {args.warmup} warm-up.",
        "Memory, per model in a fresh process: the graph is loaded and split (peak RSS of that "
        "phase: *load peak*, the same for both), the high-water mark is reset "
        "(`/proc/self/clear_refs`), then the model is built and trained 3 epochs: *train peak* is "
        "the peak RSS of that phase (graph included), *+train* what it adds to the RSS the loaded "
        "graph held.",
        "",
        "| graph | nodes | directed edges | F | PyG ms/epoch | graphae ms/epoch | speedup "
        "| load peak MiB | PyG train peak MiB (+train) | graphae train peak MiB (+train) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    nan = float("nan")
    for r in rows:
        lines.append(
            f"| {r['graph']} | {r['nodes']:,} | {r['edges']:,} | {r['features']} | {r['pyg_ms']:.1f} | "
            f"{r['graphae_ms']:.1f} | **{r['speedup']:.2f}x** | {r.get('load_peak_mib', nan):.0f} | "
            f"{r.get('pyg_peak_mib', nan):.0f} (+{r.get('pyg_train_mib', nan):.0f}) | "
            f"{r.get('graphae_peak_mib', nan):.0f} (+{r.get('graphae_train_mib', nan):.0f}) |"
        )
    if any(r["graph"] == "ogbl-ddi" for r in rows):
        lines += [
            "",
            "ogbl-ddi has no node features: both models get the same random 128-d input; the "
            "encoder runs over the official training edges (both directions).",
        ]
    for r in rows:
        if "pyg_auc" in r:
            lines += [
                "",
                f"Cora test AUC after {args.auc_epochs} epochs, mean ± std over seeds {args.auc_seeds} "
                f"(same split per seed): PyG {r['pyg_auc']:.4f} ± {r['pyg_auc_std']:.4f}, "
                f"graphae {r['graphae_auc']:.4f} ± {r['graphae_auc_std']:.4f}.",
            ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()

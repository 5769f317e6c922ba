"""Sparse (CSR) vs dense propagation: where the two layouts of ``Â`` cross.

For random undirected graphs of ``--nodes`` nodes at each ``--densities``
fraction of connected pairs (and ogbl-ddi's training graph when ``--ddi-root``
holds it), times, per layout (:class:`graphae.nn.propagation.Propagation`):

* ``build``: normalising ``edge_index`` into ``Â`` and ``Âᵀ`` — what
  target-edge masking pays every training step, since each step's graph is
  new — beside torch's ``coalesce()`` route to the same CSR pair (graphae's
  build before the key-sort one);
* ``product`` at each ``--widths``: ``Â @ X`` forward and ``Âᵀ @ G`` backward,
  as a training step runs them.

The layouts run alternately, each figure the median of ``--repeat`` timings
(CUDA-synchronised on a GPU). The dense product is checked against the sparse
one (max relative difference). ``--large N E`` adds a random graph too big to
hold densely (sparse build and product only). Writes ``--out`` (Markdown) and
``.json`` beside it.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/propagation_layout.py --device cpu \\
        --ddi-root /tmp/data --out benchmarks/results/propagation-layout-cpu.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

import torch

from graphae.nn.propagation import (
    DENSE_MAX_ENTRIES,
    DENSE_MIN_DENSITY,
    Propagation,
    _normalized_entries,
    choose_layout,
)

sys.path.insert(0, str(Path(__file__).parent))
from measure import emit, median_seconds

LAYOUTS = ("sparse", "dense")


def random_graph(n: int, density: float, seed: int = 0) -> torch.Tensor:
    """``(2, E)`` both directions of about ``density · n² / 2`` distinct random pairs."""
    g = torch.Generator().manual_seed(seed)
    pairs = int(density * n * n / 2)
    u = torch.randint(0, n, (pairs,), generator=g)
    v = torch.randint(0, n, (pairs,), generator=g)
    keep = u != v
    lo, hi = torch.minimum(u[keep], v[keep]), torch.maximum(u[keep], v[keep])
    key = torch.unique(lo * n + hi)
    lo, hi = key // n, key % n
    return torch.cat([torch.stack([lo, hi]), torch.stack([hi, lo])], 1)


def coalesce_build(ei: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The CSR ``Â`` and ``Âᵀ`` the ``coalesce()`` way: COO, coalesce, CSR, and
    a symmetry test by coalescing the transpose (graphae's build before)."""
    row, col, w = _normalized_entries(ei, n, None, True, "sym")
    coo = torch.sparse_coo_tensor(torch.stack([row, col]), w, (n, n), check_invariants=False)
    adj = coo.coalesce().to_sparse_csr()
    a = adj.to_sparse_coo().coalesce()
    t = a.t().coalesce()
    if torch.equal(a.indices(), t.indices()) and torch.allclose(a.values(), t.values()):
        return adj, adj
    return adj, t.to_sparse_csr()


def ddi_graph(root: str) -> tuple[torch.Tensor, int]:
    """ogbl-ddi's message-passing (training) edges, both directions, and ``N``."""
    from graphae.config import RunConfig
    from graphae.pipeline import load_input, make_split

    cfg = RunConfig(dataset="ogbl-ddi", data_root=root)
    graph = load_input(cfg)
    split = make_split(graph, cfg)
    return split.mp_edge_index, graph.num_nodes


def measure(
    name: str,
    ei: torch.Tensor,
    n: int,
    widths: list[int],
    device: torch.device,
    repeat: int,
) -> list[dict[str, Any]]:
    """One row per width: build and product seconds of each layout."""
    ei = ei.to(device)
    nnz = ei.size(1) + n
    layouts = LAYOUTS if n * n <= DENSE_MAX_ENTRIES else ("sparse",)
    props = {lay: Propagation.build(ei, n, layout=lay) for lay in layouts}
    build = {
        lay: median_seconds(lambda lay=lay: Propagation.build(ei, n, layout=lay), device, repeat)
        for lay in layouts
    }
    build["coalesce"] = median_seconds(lambda: coalesce_build(ei, n), device, repeat)
    ref_adj, ref_t = coalesce_build(ei, n)
    same_csr = (
        torch.equal(ref_adj.col_indices(), props["sparse"].adj.col_indices())
        and torch.allclose(ref_adj.values(), props["sparse"].adj.values())
        and (ref_t is ref_adj) == (props["sparse"].adj_t is props["sparse"].adj)
    )
    rows = []
    g = torch.Generator(device="cpu").manual_seed(1)
    for c in widths:
        x = torch.randn(n, c, generator=g).to(device).requires_grad_()
        grad = torch.randn(n, c, generator=g).to(device)

        def step(prop: Propagation, x: torch.Tensor = x, grad: torch.Tensor = grad) -> None:
            x.grad = None
            prop(x).backward(grad)

        times: dict[str, list[float]] = {lay: [] for lay in layouts}
        for lay in layouts:  # warm-up
            step(props[lay])
        for _ in range(repeat):  # alternate the layouts
            for lay in layouts:
                times[lay].append(median_seconds(lambda lay=lay: step(props[lay]), device, 1))
        product = {lay: statistics.median(times[lay]) for lay in layouts}
        err = None
        if "dense" in props:
            with torch.no_grad():
                ref = props["sparse"](x)
                diff = (props["dense"](x) - ref).abs().max() / ref.abs().max().clamp_min(1e-30)
                err = float(diff)
        row = {
            "graph": name,
            "nodes": n,
            "nonzeros": nnz,
            "density": nnz / (n * n),
            "width": c,
            "build_coalesce_ms": 1000 * build["coalesce"],
            "build_sparse_ms": 1000 * build["sparse"],
            "build_dense_ms": 1000 * build["dense"] if "dense" in build else None,
            "sparse_build_same_csr_as_coalesce": same_csr,
            "product_sparse_ms": 1000 * product["sparse"],
            "product_dense_ms": 1000 * product["dense"] if "dense" in product else None,
            "dense_speedup": product["sparse"] / product["dense"] if "dense" in product else None,
            "auto_layout": choose_layout("auto", n, nnz, device.type),
            "max_rel_diff": err,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--nodes", type=int, default=4267, help="synthetic graphs' N (ogbl-ddi's)")
    ap.add_argument("--densities", type=float, nargs="+", default=[0.001, 0.003, 0.01, 0.03, 0.117])
    ap.add_argument("--widths", type=int, nargs="+", default=[32, 256, 1024])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--ddi-root", help="data root holding ogbl-ddi (adds its training graph)")
    ap.add_argument(
        "--large", type=int, nargs=2, metavar=("N", "E"), help="add a random N-node, E-edge graph"
    )
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.machine()
    rows: list[dict[str, Any]] = []
    for d in args.densities:
        rows += measure(
            f"random, density {d:g}",
            random_graph(args.nodes, d),
            args.nodes,
            args.widths,
            device,
            args.repeat,
        )
    if args.ddi_root:
        ei, n = ddi_graph(args.ddi_root)
        rows += measure("ogbl-ddi (training graph)", ei, n, args.widths, device, args.repeat)
    if args.large:
        n, e = args.large
        g = torch.Generator().manual_seed(0)
        half = torch.randint(0, n, (2, e // 2), generator=g)
        ei = torch.cat([half, half.flip(0)], 1)
        rows += measure(f"random, {n:,} nodes", ei, n, args.widths, device, args.repeat)
    for r in rows:
        r["device"] = name
        r["threads"] = torch.get_num_threads()
    cmd = "python benchmarks/propagation_layout.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    lines = [
        f"# Propagation layout: sparse CSR vs dense `Â` on {device.type} ({name})",
        "",
        f"Command: `OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} {cmd}`  ",
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s); median of "
        f"{args.repeat} timings, the layouts alternating. *build*: normalising `edge_index` "
        "into `Â` (paid every step under target-edge masking); *product*: `Â @ X` forward "
        f"plus `Âᵀ @ G` backward. On CUDA, `auto` goes dense at density >= {DENSE_MIN_DENSITY:g} "
        "(and N <= 8,192); on the CPU it keeps CSR.",
        "",
        "| graph | N | nonzeros | density | width | build coalesce ms | build sparse ms "
        "| build dense ms | product sparse ms | product dense ms | dense speed-up | auto "
        "| max rel. diff |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def fmt(v: float | None, spec: str, unit: str = "") -> str:
        return "—" if v is None else f"{v:{spec}}{unit}"

    for r in rows:
        lines.append(
            f"| {r['graph']} | {r['nodes']:,} | {r['nonzeros']:,} | {r['density']:.4f} "
            f"| {r['width']} | {r['build_coalesce_ms']:.1f} | {r['build_sparse_ms']:.1f} "
            f"| {fmt(r['build_dense_ms'], '.1f')} | {r['product_sparse_ms']:.2f} "
            f"| {fmt(r['product_dense_ms'], '.2f')} | {fmt(r['dense_speedup'], '.2f', '×')} "
            f"| {r['auto_layout']} | {fmt(r['max_rel_diff'], '.1e')} |"
        )
    same = all(r["sparse_build_same_csr_as_coalesce"] for r in rows)
    lines += [
        "",
        f"The key-sort CSR build gave the coalesce route's matrix on every graph: {same}.",
    ]
    emit(lines, rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

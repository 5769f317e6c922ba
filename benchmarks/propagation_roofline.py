"""Achieved memory bandwidth of graphae's sparse propagation against the device's roofline.

    python benchmarks/propagation_roofline.py --nodes 235000 --edges 2400000 --channels 32 \
        --out benchmarks/results/roofline-cpu.md
    python benchmarks/propagation_roofline.py --device cuda --nodes 2900000 --edges 30000000 \
        --channels 128 --out benchmarks/results/roofline-h100.md

SpMM ``Y = Â X`` with ``Â`` in CSR is memory bound. The bytes it must move at
least once are the CSR arrays (row pointers, column indices, values), the output
``Y`` and, in the best case, ``X`` once (``min_bytes``); in the worst case every
nonzero gathers a row of ``X`` from memory (``max_bytes``). The roofline is the
device's copy bandwidth: measured with a large device-to-device copy (read +
write), and on CUDA also compared against the nominal peak of known parts.

``--index-dtypes int64 int32`` measures each index width of the CSR arrays
(``Propagation.build(index_dtype=...)``): 32-bit indices halve the index
traffic. Every row records its ``index_dtype``; bytes are counted with the
width used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from graphae.nn.propagation import Propagation

sys.path.insert(0, str(Path(__file__).parent))
from measure import emit, median_seconds

NOMINAL_PEAK_GBS = {"H100": 3350.0, "H200": 4800.0, "A100": 2039.0}


def copy_bandwidth(device: torch.device, mib: int, repeat: int) -> float:
    """GB/s of a large tensor copy (bytes read + bytes written)."""
    n = mib * 2**20 // 4
    a = torch.empty(n, device=device).uniform_()
    b = torch.empty_like(a)
    t = median_seconds(lambda: b.copy_(a), device, repeat)
    return 2 * a.numel() * 4 / t / 1e9


def random_graph(n: int, e: int, device: torch.device, seed: int = 0) -> torch.Tensor:
    g = torch.Generator(device="cpu").manual_seed(seed)
    half = torch.randint(0, n, (2, e // 2), generator=g)
    return torch.cat([half, half.flip(0)], 1).to(device)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--nodes", type=int, default=235_000)
    ap.add_argument("--edges", type=int, default=2_400_000)
    ap.add_argument("--channels", type=int, nargs="+", default=[16, 32, 128])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--copy-mib", type=int, default=512)
    ap.add_argument("--index-dtypes", nargs="+", default=["int64"], choices=["int64", "int32"])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    ei = random_graph(args.nodes, args.edges, device)
    peak = copy_bandwidth(device, args.copy_mib, args.repeat)
    nominal = next((v for k, v in NOMINAL_PEAK_GBS.items() if k in name), None)
    rows = []
    nnz = 0
    for index_name in args.index_dtypes:
        prop = Propagation.build(ei, args.nodes, index_dtype=getattr(torch, index_name))
        adj = prop.adj
        nnz = adj.values().numel()
        csr_bytes = (
            nnz * (adj.col_indices().element_size() + adj.values().element_size())
            + (args.nodes + 1) * adj.crow_indices().element_size()
        )
        for c in args.channels:
            x = torch.randn(args.nodes, c, device=device)
            t = median_seconds(lambda x=x, prop=prop: prop(x), device, args.repeat)
            dense = args.nodes * c * 4
            min_bytes = csr_bytes + 2 * dense
            max_bytes = csr_bytes + nnz * c * 4 + dense
            ref = torch.sparse.mm(adj, x)  # exactness against torch's own fp32 SpMM
            err = float((prop(x) - ref).abs().max()) / max(float(ref.abs().max()), 1e-30)
            row = {
                "channels": c,
                "index_dtype": index_name,
                "ms": 1000 * t,
                "gbs_min": min_bytes / t / 1e9,
                "gbs_max": max_bytes / t / 1e9,
                "gbs_gather": max_bytes / t / 1e9,
                "copy_gbs": peak,
                "device": name,
                "max_rel_err_vs_sparse_mm": err,
            }
            row["roofline_frac_min"] = row["gbs_min"] / peak
            row["roofline_frac_gather"] = row["gbs_gather"] / peak
            if nominal:
                row["nominal_frac_min"] = row["gbs_min"] / nominal
            rows.append(row)
            print(json.dumps(row), flush=True)
        del prop, adj
    lines = [
        f"# Sparse propagation bandwidth on {name}",
        "",
        f"Command: `python benchmarks/propagation_roofline.py --device {args.device} --nodes {args.nodes} "
        f"--edges {args.edges} --channels {' '.join(map(str, args.channels))} "
        f"--index-dtypes {' '.join(args.index_dtypes)}`  ",
        f"Graph: {args.nodes:,} nodes, {args.edges:,} directed edges + self loops ({nnz:,} nonzeros); "
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads.  ",
        f"Roofline: measured copy bandwidth {peak:.1f} GB/s"
        + (f" (nominal peak {nominal:.0f} GB/s)" if nominal else "")
        + ". Bytes counted: CSR arrays + X once + Y once (minimum traffic); the gather-every-row "
        "upper bound is given beside it.",
        "",
        "| channels | index | ms per SpMM | GB/s (min traffic) | GB/s (gather bound) | fraction of measured roofline (min) | (gather) | max rel. error vs torch.sparse.mm |"
        + (" fraction of nominal peak |" if nominal else ""),
        "|---|---|---|---|---|---|---|---|" + ("---|" if nominal else ""),
    ]
    for r in rows:
        lines.append(
            f"| {r['channels']} | {r['index_dtype']} | {r['ms']:.2f} | {r['gbs_min']:.1f} | {r['gbs_max']:.1f} | "
            f"{r['roofline_frac_min']:.0%} | {r['roofline_frac_gather']:.0%} | "
            f"{r['max_rel_err_vs_sparse_mm']:.1e} |"
            + (f" {r['nominal_frac_min']:.0%} |" if nominal else "")
        )
    emit(lines, rows, args.out)


if __name__ == "__main__":
    main()

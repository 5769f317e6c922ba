"""The first layer's product with the input features: dense GEMM vs the CSR copy.

    OMP_NUM_THREADS=1 python benchmarks/sparse_input.py --data-root DIR \
        --out benchmarks/results/sparse-input-cpu.md

For each dataset: the share of non-zero features, what ``feature_matmul=auto``
picks, and two timings, each side by side in one process (blocks of the two
alternating, medians):

* ``layer``: one forward and backward of the default first layer (``F -> 32``,
  ``X W`` and ``dW = Xᵀ G``), dense ``nn.Linear`` vs
  :class:`graphae.nn.sparse_input.SparseInput`;
* ``epoch``: the mean training epoch of the default GAE run
  (``graphae.fit``, ``--epochs`` epochs) with ``feature_matmul`` ``dense`` and
  ``sparse``, with the largest difference of the two runs' embeddings.

and, for ``--quality`` datasets, whole default runs (400 epochs, seeds
``0 .. --seeds - 1``) with both products: the mean test link AUC and node-probe
accuracy. Over hundreds of epochs the rounding differences grow as any change of
kernel's do (another CPU, another thread count), so the two runs are compared as
samples, not bit for bit.

Writes the Markdown tables to ``--out`` and the rows as JSON beside it.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from measure import sync

DATASETS = ("Cora", "CiteSeer", "amazon_photo", "amazon_computers", "coauthor_cs")


def _layer_ms(x: torch.Tensor, repeats: int) -> dict[str, float]:
    from graphae.nn.sparse_input import SparseInput, linear

    torch.manual_seed(0)
    lin = torch.nn.Linear(x.size(1), 32, bias=False).to(x.device)
    sparse = SparseInput(x)
    g = torch.randn(x.size(0), 32, device=x.device)

    def dense_step() -> None:
        (lin(x) * g).sum().backward()
        sync(x.device)

    def sparse_step() -> None:
        (linear(lin, sparse) * g).sum().backward()
        sync(x.device)

    times: dict[str, list[float]] = {"dense": [], "sparse": []}
    for _ in range(3):  # warm-up
        dense_step()
        sparse_step()
    for _ in range(repeats):
        for name, step in (("dense", dense_step), ("sparse", sparse_step)):
            t0 = time.perf_counter()
            step()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def _epoch_ms(
    name: str, graph: object, epochs: int, device: str = "cpu"
) -> tuple[dict[str, float], float]:
    from graphae.config import RunConfig
    from graphae.pipeline import fit

    out: dict[str, float] = {}
    zs = {}
    for mode in ("dense", "sparse"):
        cfg = RunConfig(dataset=name, epochs=epochs, device=device, feature_matmul=mode)
        run = fit(cfg, graph=graph)  # type: ignore[arg-type]
        out[mode] = run.result.timings["per_epoch"] * 1e3
        zs[mode] = run.z
    return out, float((zs["dense"] - zs["sparse"]).abs().max())


def _quality(name: str, graph: object, seeds: int, device: str = "cpu") -> list[dict[str, object]]:
    from graphae.config import RunConfig
    from graphae.pipeline import fit

    rows = []
    for seed in range(seeds):
        for mode in ("dense", "sparse"):
            cfg = RunConfig(dataset=name, seed=seed, device=device, feature_matmul=mode)
            run = fit(cfg, graph=graph)  # type: ignore[arg-type]
            m = run.result.metrics
            rows.append(
                {
                    "dataset": name,
                    "seed": seed,
                    "mode": mode,
                    "best_epoch": run.result.best_epoch,
                    "test_link_auc": m["link/auc"],
                    "node_accuracy": m.get("probe/node_accuracy"),
                    "train_s": run.result.timings["train"],
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def _mean_std(xs: list[float]) -> str:
    return f"{statistics.mean(xs):.4f} ± {statistics.stdev(xs) if len(xs) > 1 else 0.0:.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS))
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (quality runs stay on it)")
    ap.add_argument("--quality", nargs="*", default=["Cora", "CiteSeer"])
    ap.add_argument("--seeds", type=int, default=5, help="seeds of the --quality runs")
    ap.add_argument("--out", default="benchmarks/results/sparse-input-cpu.md")
    args = ap.parse_args()

    from graphae.data.datasets import load_dataset
    from graphae.nn.sparse_input import SparseInputCache

    rows = []
    for name in args.datasets:
        g = load_dataset(name, args.data_root, download=False)
        x = g.data.x
        density = float(torch.count_nonzero(x)) / x.numel()
        auto = "sparse" if SparseInputCache("auto").get(x.to(args.device)) is not None else "dense"
        layer = _layer_ms(x.to(args.device), args.repeats)
        epoch, max_diff = _epoch_ms(name, g, args.epochs, args.device)
        row = {
            "dataset": name,
            "nodes": int(x.size(0)),
            "features": int(x.size(1)),
            "density": density,
            "auto": auto,
            "layer_dense_ms": layer["dense"],
            "layer_sparse_ms": layer["sparse"],
            "epoch_dense_ms": epoch["dense"],
            "epoch_sparse_ms": epoch["sparse"],
            "max_abs_z_diff": max_diff,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)

    quality = []
    for name in args.quality:
        graph = load_dataset(name, args.data_root, download=False)
        quality += _quality(name, graph, args.seeds, args.device)

    meta = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "device": (
            torch.cuda.get_device_name(torch.device(args.device))
            if args.device.startswith("cuda")
            else "CPU"
        ),
        "epochs": args.epochs,
        "repeats": args.repeats,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(
        json.dumps({"meta": meta, "rows": rows, "quality": quality}, indent=2) + "\n"
    )
    lines = [
        f"# First-layer product with the input features: dense vs CSR ({meta['device']})",
        "",
        f"Command: `python benchmarks/sparse_input.py --device {args.device} --data-root DIR "
        f"--epochs {args.epochs} "
        f"--repeats {args.repeats}` (torch {meta['torch']}, {meta['threads']} thread(s)). "
        "`layer`: forward + backward of the default first layer (F -> 32), median of "
        f"{args.repeats} alternating pairs. `epoch`: mean training epoch of the default GAE "
        f"(`graphae.fit`, {args.epochs} epochs) with `feature_matmul` dense vs sparse; "
        "`max |Δz|`: the two runs' embeddings.",
        "",
        "| dataset | N | F | non-zero | auto | layer dense (ms) | layer sparse (ms) | "
        "epoch dense (ms) | epoch sparse (ms) | epoch speed-up | max abs dz |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['nodes']} | {r['features']} | {100 * r['density']:.2f}% | "
            f"{r['auto']} | {r['layer_dense_ms']:.2f} | {r['layer_sparse_ms']:.2f} | "
            f"{r['epoch_dense_ms']:.1f} | {r['epoch_sparse_ms']:.1f} | "
            f"{r['epoch_dense_ms'] / r['epoch_sparse_ms']:.2f}x | {r['max_abs_z_diff']:.1e} |"
        )
    if quality:
        lines += [
            "",
            f"Whole default runs (400 epochs, seeds 0-{args.seeds - 1}), mean ± std over seeds:",
            "",
            "| dataset | feature_matmul | test link AUC | node probe accuracy | training (s) |",
            "|---|---|---|---|---|",
        ]
        for name in args.quality:
            for mode in ("dense", "sparse"):
                qs = [q for q in quality if q["dataset"] == name and q["mode"] == mode]
                auc = _mean_std([float(q["test_link_auc"]) for q in qs])  # type: ignore[arg-type]
                acc = _mean_std([float(q["node_accuracy"]) for q in qs])  # type: ignore[arg-type]
                secs = statistics.median(float(q["train_s"]) for q in qs)  # type: ignore[arg-type]
                lines.append(f"| {name} | {mode} | {auc} | {acc} | {secs:.1f} |")
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

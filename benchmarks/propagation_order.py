"""Training epoch of the GCN decoders with each ``propagation_order``, side by side.

The mirrored decoders (``mirror``, ``tied``, ``pinv``) end in a layer that widens
from the hidden width to the ``F`` input features, and the ``gnn`` decoder's first
layer widens from ``d`` to the hidden width. ``transform_first`` (PyG's
``GCNConv`` order, graphae's before) propagates those layers at the wide side;
``auto`` propagates at the narrow side. Each row trains the same config with
both orders, alternating, ``--repeats`` times, and reports the median
``timings.per_epoch`` of :func:`graphae.pipeline.fit` (a whole epoch: the
training step and the validation scoring), the speed-up, and the node probe of
each order (the same model up to float rounding).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/propagation_order.py --data-root DIR \\
        --datasets "Amazon Photo" Cora --epochs 20 --repeats 3 \\
        --out benchmarks/results/propagation-order-cpu.md
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

import torch

from graphae.config import RunConfig
from graphae.pipeline import fit

#: (label, decoder, RunConfig changes): the capacity sweeps' GCN-decoder rungs.
RUNGS = (
    ("tied-sce", "tied", {"feature_loss": "sce"}),
    ("pinv-sce", "pinv", {"feature_loss": "sce"}),
    ("mirror-sce", "mirror", {"feature_loss": "sce"}),
    ("gnn", "gnn", {}),
)
ORDERS = ("transform_first", "auto")


def measure(
    dataset: str, decoder: str, changes: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    """Median per-epoch seconds and the node probe of each order (alternating runs)."""
    per_epoch: dict[str, list[float]] = {o: [] for o in ORDERS}
    node: dict[str, float] = {}
    for _ in range(args.repeats):
        for order in ORDERS:
            config = RunConfig(
                dataset=dataset,
                data_root=args.data_root,
                decoder=decoder,
                feature_norm="row",
                epochs=args.epochs,
                patience=0,
                device=args.device,
                propagation_order=order,
                **changes,
            )
            result = fit(config).result
            per_epoch[order].append(result.timings["per_epoch"])
            node[order] = result.metrics.get("probe/node_accuracy", float("nan"))
    row: dict[str, Any] = {"dataset": dataset, "decoder": decoder, **changes}
    for order in ORDERS:
        row[f"{order}_ms"] = 1000 * statistics.median(per_epoch[order])
        row[f"{order}_runs_ms"] = [round(1000 * t, 1) for t in per_epoch[order]]
        row[f"{order}_node"] = node[order]
    row["speedup"] = row["transform_first_ms"] / row["auto_ms"]
    return row


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--datasets", nargs="+", default=["Amazon Photo", "Cora"])
    parser.add_argument("--rungs", nargs="+", default=[r[0] for r in RUNGS])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, required=True, help="Markdown; JSON beside it")
    args = parser.parse_args()
    before = _uptime()
    rows = []
    for dataset in args.datasets:
        for label, decoder, changes in RUNGS:
            if label in args.rungs:
                row = {"rung": label, **measure(dataset, decoder, changes, args)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    device = (
        torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor()
    )
    info = {
        "device": f"{args.device} ({device or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s))",
        "command": " ".join(
            [
                "OMP_NUM_THREADS=1 python benchmarks/propagation_order.py --data-root DIR",
                "--datasets " + " ".join(repr(d) for d in args.datasets),
                "--rungs " + " ".join(args.rungs),
                f"--epochs {args.epochs} --repeats {args.repeats} --device {args.device}",
            ]
        ),
        "uptime_before": before,
        "uptime_after": _uptime(),
    }
    args.out.with_suffix(".json").write_text(json.dumps({**info, "rows": rows}, indent=1) + "\n")
    lines = [
        "# GCN decoder layers: propagate at the narrow width (`propagation_order`)",
        "",
        f"Command: `{info['command']}`. Device: {info['device']}. Whole training epochs "
        f"(`timings.per_epoch` of a {args.epochs}-epoch run: the step and the validation "
        "scoring), the two orders alternating, median of "
        f"{args.repeats} runs each; row-normalised features.",
        "",
        "| dataset | rung | transform_first (ms/epoch) | auto (ms/epoch) | speed-up | "
        "node probe transform_first / auto |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['rung']} | {r['transform_first_ms']:.1f} | "
            f"{r['auto_ms']:.1f} | {r['speedup']:.2f}x | "
            f"{r['transform_first_node']:.3f} / {r['auto_node']:.3f} |"
        )
    lines += ["", f"Load before: `{before}`; after: `{info['uptime_after']}`.", ""]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

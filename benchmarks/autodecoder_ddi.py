"""Auto-decoder and learnable-embedding hybrids on ogbl-ddi (issue 4).

Official split, ``ogb.linkproppred.Evaluator`` Hits@20, model selection on the
validation Hits@20 (``select="ogb"``), test Hits@20 read at the selected epoch;
mean ± std over seeds. Each finished run is appended to
``benchmarks/results/autodecoder-ddi.jsonl`` and the markdown table
``benchmarks/results/autodecoder-ddi.md`` is rewritten after every run, so an
interrupted sweep keeps what it finished (rerunning skips finished runs).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/autodecoder_ddi.py --data-root /tmp/data \\
        --seeds 3 [--rows ad-ip-joint,ad-mlp-joint,...] [--epochs-scale 1.0]

The rows (see :data:`ROWS`) are sized for a CPU; ``--epochs-scale`` multiplies
every row's epoch count (e.g. 10 on a GPU, with ``--device cuda``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")

RESULTS = Path(__file__).parent / "results"

COMMON: dict[str, Any] = {
    "dataset": "ogbl-ddi",
    "select": "ogb",
    "patience": 0,
    "device": "cpu",
}

#: label -> (description, RunConfig overrides, epochs on a CPU)
ROWS: dict[str, tuple[str, dict[str, Any], int]] = {
    "ad-ip-joint": (
        "auto-decoder, inner product, joint (alternating = joint: the inner product has no θ)",
        {
            "encoder": "embedding",
            "decoder": "inner_product",
            "out_channels": 128,
            "lr": 0.01,
            "code_lr": 0.02,
            "prior_sigma": 10.0,
            "batch_size": 65536,
            "optimization": "joint",
            "eval_every": 3,
        },
        15,
    ),
    "ad-mlp-joint": (
        "auto-decoder, MLP decoder (z_u⊙z_v, 1 hidden layer of 128), joint",
        {
            "encoder": "embedding",
            "decoder": "mlp",
            "decoder_options": {"depth": 1, "width": 128},
            "out_channels": 128,
            "lr": 0.005,
            "code_lr": 0.02,
            "prior_sigma": 10.0,
            "batch_size": 65536,
            "optimization": "joint",
            "eval_every": 2,
        },
        8,
    ),
    "ad-mlp-alternating": (
        "auto-decoder, MLP decoder (1 hidden layer of 128), alternating every 2 epochs",
        {
            "encoder": "embedding",
            "decoder": "mlp",
            "decoder_options": {"depth": 1, "width": 128},
            "out_channels": 128,
            "lr": 0.005,
            "code_lr": 0.02,
            "prior_sigma": 10.0,
            "batch_size": 65536,
            "optimization": "alternating",
            "alternate_every": 2,
            "eval_every": 2,
        },
        8,
    ),
    "gcn-codes-mlp": (
        "hybrid: 2-layer GCN over a learnable 128-d input table, MLP decoder (2 hidden "
        "layers of 128), dropout 0.5",
        {
            "encoder": "gcn",
            "encoder_options": {"learnable_input": True},
            "decoder": "mlp",
            "decoder_options": {"depth": 2, "width": 128, "dropout": 0.5},
            "hidden_channels": 128,
            "out_channels": 128,
            "dropout": 0.5,
            "lr": 0.005,
            "batch_size": 65536,
            "eval_every": 2,
        },
        6,
    ),
    "sage-codes-mlp": (
        "hybrid: 2-layer GraphSAGE over a learnable 256-d input table, MLP decoder (2 hidden "
        "layers of 256), dropout 0.5 (OGB's GraphSAGE baseline recipe)",
        {
            "encoder": "sage",
            "encoder_options": {"learnable_input": True},
            "decoder": "mlp",
            "decoder_options": {"depth": 2, "width": 256, "dropout": 0.5},
            "hidden_channels": 256,
            "out_channels": 256,
            "dropout": 0.5,
            "lr": 0.005,
            "batch_size": 65536,
            "eval_every": 5,
        },
        200,
    ),
}

LEADERBOARD = [
    ("OGB leaderboard: GCN (full-batch, learnable embeddings)", "37.07 ± 5.07", "10"),
    ("OGB leaderboard: GraphSAGE (learnable embeddings)", "53.90 ± 4.74", "10"),
]


#: Reading notes printed under the table.
NOTES = [
    "Notes:",
    "",
    "* **The acceptance bar is not met.** The best entry here (`ad-mlp-joint`, 8 epochs) "
    "is far below OGB's GraphSAGE (53.90 ± 4.74) and GCN (37.07 ± 5.07): every row had "
    "a budget of a few CPU minutes per seed on a shared 2-core machine, and the MLP rows "
    "were still improving at their last epoch (best epoch = last for most seeds). The "
    "GPU configuration (`--device cuda --epochs-scale 10`, and `sage-codes-mlp`) was not run.",
    "* `ad-mlp-alternating` vs `ad-mlp-joint` is at equal epochs (equal compute): with "
    "`alternate_every=2` the codes and θ each get half of the updates, which is why it "
    "trails joint training at this short budget.",
    "* `ad-ip-joint` has no `alternating` twin: the inner product has no decoder "
    "parameters θ, so the alternating schedule degenerates to joint training.",
    "* Validation AUC and validation Hits@20 disagree on ddi: the auto-decoder's AUC keeps "
    "rising (0.97 → 0.99) while its Hits@20 peaks after ~3 epochs and then falls, so model "
    'selection on the official metric (`select="ogb"`) matters (`history` in the .jsonl).',
    "* The hybrid GCN rows had 6 epochs (≈ 75–90 s each here, every step re-encodes the "
    "full graph); OGB's GCN/SAGE baselines train 200+ epochs, so these rows are far from "
    "converged and well below the leaderboard. `sage-codes-mlp` (OGB's SAGE recipe, "
    "200 epochs) is defined in the script but was not run: one epoch took ≈ 280 s on this "
    "machine (≈ 16 h for one seed).",
]


def _load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _fmt(xs: list[float]) -> str:
    if not xs:
        return "–"
    m = statistics.mean(xs) * 100
    s = statistics.stdev(xs) * 100 if len(xs) > 1 else 0.0
    return f"{m:.2f} ± {s:.2f}"


def write_table(records: list[dict[str, Any]], out: Path, command: str) -> None:
    """Rewrite the markdown table from every finished run."""
    lines = [
        "# Auto-decoder on ogbl-ddi",
        "",
        "Written by `benchmarks/autodecoder_ddi.py` (issue 4). Official split, OGB Evaluator "
        'Hits@20 (%), model selection on validation Hits@20 (`select="ogb"`), test read at the '
        "selected epoch; mean ± std (sample std) over seeds. CPU only (no GPU was lent), "
        "`OMP_NUM_THREADS=1` on a shared 2-core machine, so the epoch budgets are far below "
        "OGB's 200 epochs: the numbers are **not** converged and are not comparable to the "
        "leaderboard's, which are 10 seeds × 200+ epochs.",
        "",
        f"Command: `{command}`",
        "",
        "| row | model | seeds | epochs | val Hits@20 | test Hits@20 | link AUC (test) | "
        "probe link AUC | s/epoch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, (desc, _, _) in ROWS.items():
        rs = [r for r in records if r["row"] == label]
        if not rs:
            continue
        epochs = sorted({r["epochs"] for r in rs})
        lines.append(
            f"| {label} | {desc} | {len(rs)} ({', '.join(str(r['seed']) for r in rs)}) | "
            f"{'/'.join(map(str, epochs))} | "
            f"{_fmt([r['metrics']['val/link/hits@20'] for r in rs])} | "
            f"{_fmt([r['metrics']['link/hits@20'] for r in rs])} | "
            f"{_fmt([r['metrics']['link/auc'] for r in rs])} | "
            f"{_fmt([r['metrics'].get('probe/link_auc', float('nan')) for r in rs])} | "
            f"{statistics.mean(r['per_epoch'] for r in rs):.0f} |"
        )
    for name, value, seeds in LEADERBOARD:
        lines.append(f"| – | {name} | {seeds} | 200+ | – | {value} | – | – | – |")
    lines += [
        "",
        f"Row settings (RunConfig overrides on top of `{json.dumps(COMMON)}`):",
        "",
    ]
    for label, (_, cfg, ep) in ROWS.items():
        if any(r["row"] == label for r in records):
            lines.append(f"* `{label}` ({ep} epochs on CPU): `{json.dumps(cfg)}`")
    lines += ["", *NOTES]
    lines += [
        "",
        f"Machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"threads {torch.get_num_threads()}.",
        "",
    ]
    out.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    """Run the sweep (see the module docstring)."""
    from graphae.config import RunConfig
    from graphae.data.datasets import load_dataset
    from graphae.pipeline import fit

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--rows", default="ad-ip-joint,ad-mlp-joint,ad-mlp-alternating,gcn-codes-mlp")
    ap.add_argument("--epochs-scale", type=float, default=1.0)
    ap.add_argument("--epochs", type=int, default=None, help="override every row's epochs")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default=str(RESULTS / "autodecoder-ddi.md"))
    ap.add_argument(
        "--table-only",
        metavar="COMMAND",
        default=None,
        help="only rewrite the table from the .jsonl, crediting COMMAND as the sweep's command",
    )
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    jsonl = out.with_suffix(".jsonl")
    command = "OMP_NUM_THREADS=1 python benchmarks/autodecoder_ddi.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    if args.table_only is not None:
        write_table(_load(jsonl), out, args.table_only)
        return
    graph = load_dataset("ogbl-ddi", args.data_root)
    records = _load(jsonl)
    for label in args.rows.split(","):
        _, overrides, epochs = ROWS[label]
        ep = args.epochs or max(1, round(epochs * args.epochs_scale))
        for seed in range(args.seeds):
            if any(r["row"] == label and r["seed"] == seed and r["epochs"] == ep for r in records):
                continue
            cfg = RunConfig(
                **{
                    **COMMON,
                    **overrides,
                    "epochs": ep,
                    "seed": seed,
                    "device": args.device,
                    "data_root": args.data_root,
                }
            )
            t = time.perf_counter()
            run = fit(cfg, graph=graph)
            res = run.result
            rec = {
                "row": label,
                "seed": seed,
                "epochs": ep,
                "best_epoch": res.best_epoch,
                "metrics": res.metrics,
                "per_epoch": res.timings["per_epoch"],
                "wall": time.perf_counter() - t,
                "history": [
                    {k: v for k, v in h.items() if k.startswith("val/") or k in ("epoch", "loss")}
                    for h in res.history
                ],
            }
            records.append(rec)
            with jsonl.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            write_table(records, out, command)
            print(
                f"{label} seed {seed}: val hits@20 {res.metrics['val/link/hits@20']:.4f} "
                f"test hits@20 {res.metrics['link/hits@20']:.4f} (best epoch {res.best_epoch}, "
                f"{rec['wall']:.0f}s)",
                flush=True,
            )
    write_table(records, out, command)


if __name__ == "__main__":
    main()

"""Why the parameter-free distance decoder collapses on some seeds of the Amazon sweep.

For each distance run of a sweep folder, the same configuration (dataset, split,
seed) is rebuilt at its initial weights and measured on the validation pairs:
the squared distances ``‖z_u - z_v‖²`` of positive and negative pairs, the AUC the
distance decoder and the inner product would give, how the embedding norm
follows the node degree (Spearman), and the mean degree at the ends of positive
and negative pairs. Beside them: the run's outcome from the sweep (its link AUC
at the kept epoch and its node probe).

The decoder's loss, ``-log σ(-d²)`` on positives and ``-log σ(d²)`` on
negatives, is ``2 ln 2 + (mean d²_pos - mean d²_neg)/2 + O(d⁴)`` while the
distances are small. Row-normalised features give small distances at the start,
so where positives start farther apart than negatives, shrinking every
distance lowers the loss. The all-equal embedding is then a stationary point:
every gradient is proportional to ``z_u - z_v``.

Usage::

    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 OMP_NUM_THREADS=1 python benchmarks/distance_collapse.py \\
        --sweep benchmarks/results/capacity-amazon-coauthor --data-root /tmp/gd \\
        --out benchmarks/results/distance-collapse-amazon.md
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from measure import emit


def initial_row(config: dict, data_root: str) -> dict:
    """Statistics of one configuration's initial embeddings on its validation pairs."""
    from graphae.config import RunConfig
    from graphae.pipeline import fit

    cfg = RunConfig.from_record(config)
    # one step at a negligible learning rate: the initial weights, through the run's own path
    cfg = dataclasses.replace(cfg, epochs=1, lr=1e-12, device="cpu", data_root=data_root)
    run = fit(cfg)
    z, split = run.z.float(), run.split
    mp = split.mp_edge_index
    deg = torch.zeros(z.size(0)).index_add_(0, mp[0], torch.ones(mp.size(1)))
    return pair_stats(z, deg, split.val_pos, split.val_neg)


def pair_stats(z: torch.Tensor, deg: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> dict:
    """What the distance decoder sees in embeddings ``z`` ``(N, d)``.

    Args:
        z: Node embeddings.
        deg: ``(N,)`` node degrees.
        pos: ``(2, P)`` positive pairs.
        neg: ``(2, Q)`` negative pairs.

    Returns:
        Mean squared distances of both pair sets, the AUC of ``-d²`` and of
        ``z_uᵀ z_v``, Spearman's ρ between degree and ``‖z‖`` (average ranks),
        and the mean degree at the pairs' ends.
    """
    from scipy.stats import spearmanr

    from graphae.evaluation.metrics import link_metrics

    def d2(p: torch.Tensor) -> torch.Tensor:
        return (z[p[0]] - z[p[1]]).pow(2).sum(1)

    def ip(p: torch.Tensor) -> torch.Tensor:
        return (z[p[0]] * z[p[1]]).sum(1)

    rho = spearmanr(deg.numpy(), z.norm(dim=1).numpy()).statistic
    return {
        "d2_pos": float(d2(pos).mean()),
        "d2_neg": float(d2(neg).mean()),
        "auc_distance_init": float(link_metrics(-d2(pos), -d2(neg))["auc"]),
        "auc_inner_product_init": float(link_metrics(ip(pos), ip(neg))["auc"]),
        "spearman_degree_norm": float(rho),
        "degree_pos_ends": float(deg[pos].mean()),
        "degree_neg_ends": float(deg[neg].mean()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sweep", type=Path, required=True, help="a graphae bench folder")
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--decoder", default="distance", help="the rung label to diagnose")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    sweep = json.loads((args.sweep / "sweep.json").read_text())
    rows = []
    for entry in sweep["runs"]:
        folder = args.sweep / "runs" / entry["run_id"]
        if not (folder / "result.json").is_file():
            continue
        bench = json.loads((folder / "bench.json").read_text())
        if bench.get("kind") != "model" or bench.get("decoder") != args.decoder:
            continue
        result = json.loads((folder / "result.json").read_text())
        m = result["metrics"]
        row = {
            "dataset": bench["dataset"],
            "seed": bench["seed"],
            "run_id": entry["run_id"],
            "link_auc": m.get("link/auc"),
            "node_probe": m.get("probe/node_accuracy"),
            "best_epoch": result.get("best_epoch"),
            "epochs_run": result.get("epochs_run"),
            **initial_row(result["config"], args.data_root),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    lines = [
        f"# The `{args.decoder}` rung at its initial weights, against how its runs ended",
        "",
        f"Command: `python benchmarks/distance_collapse.py --sweep {args.sweep} --data-root DIR"
        + (f" --decoder {args.decoder}" if args.decoder != "distance" else "")
        + "`",
        f"Device: cpu ({platform.machine()}, torch {torch.__version__}). Validation pairs of "
        "each run's own split; initial weights (one step at lr 1e-12).",
        "",
        "| dataset | seed | mean d² positives | mean d² negatives | distance AUC at init "
        "| inner-product AUC at init | ρ(degree, ‖z‖) | degree at positive / negative ends "
        "| run: link AUC at kept epoch | node probe | kept / run epochs |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['seed']} | {r['d2_pos']:.2e} | {r['d2_neg']:.2e} "
            f"| {r['auc_distance_init']:.3f} | {r['auc_inner_product_init']:.3f} "
            f"| {r['spearman_degree_norm']:+.2f} | {r['degree_pos_ends']:.0f} / "
            f"{r['degree_neg_ends']:.0f} | {r['link_auc']:.3f} | {r['node_probe']:.3f} "
            f"| {r['best_epoch']} / {r['epochs_run']} |"
        )
    emit(lines, rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

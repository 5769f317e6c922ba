"""Per-seed records of the ogbl-ddi GPU sweeps: export, merge, table.

The GPU sweeps (``benchmarks/configs/refined-gae-ddi.yaml``,
``benchmarks/configs/capacity-ogb.yaml``) run seed by seed over several short
GPU sessions (``benchmarks/gpu_ogb.sh``). Each finished run of a sweep folder
becomes one record::

    {"row": "refined-gcn-codes / refined-mlp8-res / refined", "seed": 3,
     "epochs": 500, "device": "cuda:0", "val_hits20": 0.71, "test_hits20": 0.69, ...}

(``epochs`` is the number of epochs trained; Hits@20 are fractions, as OGB's
Evaluator returns them, at the epoch selected on validation). Records are
merged into one JSON list keyed by ``run_id``: running the export again, or on
the folders of a later session, adds the new seeds and keeps the old ones, so
the file grows run by run and a lost session loses only its own runs.

Usage::

    # on the GPU machine, after each finished seed (what gpu_ogb.sh does)
    python benchmarks/ogb_ddi_gpu.py export SWEEP_DIR... --into $OUT/ogb-ddi-gpu.json \\
        [--curves $OUT/ogb-ddi-gpu-curves.jsonl]
    # here, with the files that came back
    python benchmarks/ogb_ddi_gpu.py merge /work/.device/.../ogb-ddi-gpu.json \\
        --into benchmarks/results/ogb-ddi-gpu.json
    python benchmarks/ogb_ddi_gpu.py table benchmarks/results/ogb-ddi-gpu.json

``table`` writes the Markdown table beside the JSON (same name, ``.md``):
mean ± sample std over seeds per row, with the published figures beside.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Published test Hits@20 (%, mean ± std over 10 seeds) the rows are read against.
PUBLISHED = [
    ("Refined GAE (Ma et al. 2024, arXiv:2411.03845)", "94.43 ± 0.57"),
    ("GNNHE (OGB leaderboard; GCN, 512-d codes, 5-layer MLP)", "95.49 ± 0.73"),
    ("OGB GraphSAGE baseline (learnable codes)", "53.90 ± 4.74"),
    ("OGB GCN baseline (learnable codes)", "37.07 ± 5.07"),
]

KEYS = ("row", "seed", "epochs", "device", "val_hits20", "test_hits20")


def _metric(metrics: dict[str, float], part: str) -> float | None:
    """Hits@20 of the decoder (``link/``) or, for baselines, of the inner product."""
    for prefix in ("link", "link_ip"):
        v = metrics.get(f"{part}{prefix}/hits@20")
        if v is not None:
            return float(v)
    return None


def row_label(bench: dict[str, Any]) -> str:
    """``encoder / decoder / variant`` for trained runs, ``baseline <name> [encoder]`` else."""
    if bench.get("kind") == "baseline":
        return " ".join(p for p in ("baseline", bench.get("baseline"), bench.get("encoder")) if p)
    return " / ".join(str(bench.get(k) or "") for k in ("encoder", "decoder", "variant"))


def run_record(run_dir: Path, sweep: str) -> dict[str, Any] | None:
    """The record of one finished run folder (``None`` for a skipped or foreign folder)."""
    try:
        bench = json.loads((run_dir / "bench.json").read_text())
        result = json.loads((run_dir / "result.json").read_text())
    except (OSError, ValueError):
        return None
    if bench.get("status", "ok") != "ok" or bench.get("dataset") != "ogbl-ddi":
        return None
    m = result.get("metrics", {})
    cfg = result.get("config", {})
    return {
        "row": row_label(bench),
        "seed": int(bench["seed"]),
        "epochs": int(result.get("epochs_run", 0)),
        "device": str(result.get("device", bench.get("device", ""))),
        "val_hits20": _metric(m, "val/"),
        "test_hits20": _metric(m, ""),
        "best_epoch": int(result.get("best_epoch", 0)),
        "max_epochs": int(cfg.get("epochs", 0)) if bench.get("kind") == "model" else 0,
        "seconds": float(bench.get("seconds", 0.0)),
        "run_id": bench["run_id"],
        "sweep": sweep,
    }


def run_curve(run_dir: Path) -> dict[str, Any] | None:
    """``{run_id, epoch: [...], val_hits20: [...], loss: [...]}`` from a run's history."""
    try:
        bench = json.loads((run_dir / "bench.json").read_text())
        history = json.loads((run_dir / "result.json").read_text()).get("history") or []
    except (OSError, ValueError):
        return None
    rows = [h for h in history if "val/hits@20" in h]
    if not rows:
        return None
    return {
        "run_id": bench["run_id"],
        "row": row_label(bench),
        "seed": bench["seed"],
        "epoch": [int(h["epoch"]) for h in rows],
        "val_hits20": [float(h["val/hits@20"]) for h in rows],
        "loss": [float(h.get("loss", float("nan"))) for h in rows],
    }


def sweep_records(folders: Iterable[Path]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records and curves of every finished run under the sweep folders."""
    records, curves = [], []
    for folder in folders:
        sweep = folder.name
        meta = folder / "sweep.json"
        if meta.is_file():
            sweep = str(json.loads(meta.read_text()).get("name", sweep))
        for run_dir in sorted((folder / "runs").glob("*")):
            rec = run_record(run_dir, sweep)
            if rec is not None:
                records.append(rec)
                curve = run_curve(run_dir)
                if curve is not None:
                    curves.append(curve)
    return records, curves


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON file (``[]`` when it does not exist)."""
    if not path.is_file():
        return []
    data = json.loads(path.read_text())
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a JSON list of run records")
    return data


def merge(old: list[dict[str, Any]], new: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``old`` with ``new`` added; a record with the same ``run_id`` replaces the old one."""
    by_id = {r["run_id"]: r for r in old}
    for r in new:
        by_id[r["run_id"]] = r
    return sorted(by_id.values(), key=lambda r: (r["sweep"], r["row"], r["seed"]))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_records(path: Path, records: list[dict[str, Any]]) -> None:
    _write_atomic(path, json.dumps(records, indent=1) + "\n")


def _mean_std(xs: list[float]) -> str:
    if not xs:
        return "—"
    m = 100 * statistics.fmean(xs)
    s = 100 * statistics.stdev(xs) if len(xs) > 1 else float("nan")
    return f"{m:.2f} ± {s:.2f}" if len(xs) > 1 else f"{m:.2f}"


def table(records: list[dict[str, Any]], source: str) -> str:
    """Markdown: one line per (sweep, row), mean ± std of Hits@20 (%) over its seeds."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["sweep"], r["row"]), []).append(r)
    lines = [
        "# ogbl-ddi on the GPU: test Hits@20 at the best validation Hits@20",
        "",
        f"Generated by `python benchmarks/ogb_ddi_gpu.py table {source}` from "
        f"{len(records)} run records (one per row and seed; official split and "
        "`ogb.linkproppred.Evaluator`). Values are % (mean ± sample std over the seeds "
        "listed); `epochs` is the range of epochs trained, `best` of the selected epochs.",
        "",
        "| sweep | row | n | seeds | device | epochs | best | val Hits@20 | test Hits@20 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (sweep, row), rs in sorted(groups.items()):
        seeds = sorted(r["seed"] for r in rs)
        ep = sorted(r["epochs"] for r in rs)
        best = sorted(r.get("best_epoch", 0) for r in rs)
        devices = sorted({r["device"] for r in rs})
        vals = [r["val_hits20"] for r in rs if r["val_hits20"] is not None]
        tests = [r["test_hits20"] for r in rs if r["test_hits20"] is not None]
        lines.append(
            f"| {sweep} | {row} | {len(rs)} | {','.join(map(str, seeds))} | "
            f"{', '.join(devices)} | {ep[0]}–{ep[-1]} | {best[0]}–{best[-1]} | "
            f"{_mean_std(vals)} | {_mean_std(tests)} |"
        )
    lines += ["", "Published (test Hits@20, %, 10 seeds):", ""]
    lines += [f"* {name}: {value}" for name, value in PUBLISHED]
    lines.append("")
    return "\n".join(lines)


def write_table(path: Path) -> Path:
    md = path.with_suffix(".md")
    _write_atomic(md, table(read_records(path), str(path)))
    return md


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="records of sweep folders, merged into --into")
    e.add_argument("folders", nargs="+", type=Path)
    e.add_argument("--into", type=Path, required=True)
    e.add_argument("--curves", type=Path, default=None, help="JSONL of validation curves")
    m = sub.add_parser("merge", help="merge record files into --into")
    m.add_argument("files", nargs="+", type=Path)
    m.add_argument("--into", type=Path, required=True)
    t = sub.add_parser("table", help="write the Markdown table beside a record file")
    t.add_argument("file", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "export":
        new, curves = sweep_records(args.folders)
        records = merge(read_records(args.into), new)
        write_records(args.into, records)
        if args.curves is not None:
            old = []
            if args.curves.is_file():
                old = [json.loads(x) for x in args.curves.read_text().splitlines() if x.strip()]
            by_id = {c["run_id"]: c for c in old}
            by_id.update({c["run_id"]: c for c in curves})
            _write_atomic(args.curves, "".join(json.dumps(c) + "\n" for c in by_id.values()))
        print(f"{len(new)} finished runs exported; {len(records)} records in {args.into}")
        write_table(args.into)
    elif args.cmd == "merge":
        records = read_records(args.into)
        for f in args.files:
            records = merge(records, read_records(f))
        write_records(args.into, records)
        print(f"{len(records)} records in {args.into}; table {write_table(args.into)}")
    else:
        print(f"table written to {write_table(args.file)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

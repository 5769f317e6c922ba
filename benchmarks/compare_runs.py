"""Compare two sets of `graphae bench` runs of the same rungs, seed by seed.

When a sweep's protocol changes for some rungs (a new patience, a new loss), the
runs made before stay on disk and out of the report (only the runs that
``sweep.json`` lists are read). This script puts both side by side: for each
dataset, rung (decoder label) and seed found in both sets, the kept epoch, the
epochs run and the probes, then the mean of each set over the seeds they share.

Usage::

    python benchmarks/compare_runs.py --before OLD_RUN_FOLDERS... \\
        --after benchmarks/results/capacity-planetoid --title "patience 50 -> 0" \\
        --out benchmarks/results/capacity-planetoid/feature-rungs-patience.md

``--before`` and ``--after`` each take run folders (with ``bench.json`` and
``result.json``) or folders holding them (a sweep folder: the runs its
``sweep.json`` lists; any other folder: every run folder inside it, recursively).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

METRICS = (
    ("probe/node_accuracy", "node"),
    ("probe/link_auc", "link probe"),
    ("val AUC", "val AUC"),
)
#: The selection score: the decoder's validation link AUC, or for a feature decoder
#: (no structure decoder) the inner product's.
VAL_AUC = ("val/link/auc", "val/link_ip/auc")


def run_folders(path: Path) -> list[Path]:
    """The run folders ``path`` is or holds (a sweep: those its ``sweep.json`` lists)."""
    if (path / "bench.json").is_file():
        return [path]
    sweep = path / "sweep.json"
    if sweep.is_file():
        listed = [r["run_id"] for r in json.loads(sweep.read_text()).get("runs", [])]
        return [path / "runs" / r for r in listed if (path / "runs" / r / "result.json").is_file()]
    return sorted(
        p.parent for p in path.rglob("bench.json") if (p.parent / "result.json").is_file()
    )


def read_runs(paths: list[Path]) -> dict[tuple[str, str, int], dict[str, Any]]:
    """``{(dataset, rung, seed): row}`` of the finished model runs under ``paths``."""
    rows: dict[tuple[str, str, int], dict[str, Any]] = {}
    for path in paths:
        for folder in run_folders(path):
            bench = json.loads((folder / "bench.json").read_text())
            if bench.get("kind") != "model" or bench.get("status") != "ok":
                continue
            result = json.loads((folder / "result.json").read_text())
            key = (bench["dataset"], bench["decoder"], int(bench["seed"]))
            rows[key] = {
                "best_epoch": result.get("best_epoch"),
                "epochs_run": result.get("epochs_run"),
                **{m: result["metrics"].get(m) for m, _ in METRICS},
                "val AUC": next(
                    (result["metrics"][k] for k in VAL_AUC if k in result["metrics"]), None
                ),
            }
    return rows


def _fmt(v: Any) -> str:
    return "" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def _header(*first: str) -> list[str]:
    """A table's header and rule: ``first`` columns, then each metric before and after."""
    cols = [*first, *(f"{label} {side}" for _, label in METRICS for side in ("before", "after"))]
    return ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]


def compare(before: dict, after: dict, title: str) -> str:
    """The Markdown comparison of the runs in both sets."""
    shared = sorted(set(before) & set(after))
    lines = [
        f"# {title}",
        "",
        f"{len(shared)} runs in both sets (same dataset, rung and seed).",
        "",
        "## Per seed",
        "",
        *_header(
            "dataset", "rung", "seed", "kept epoch / run (before)", "kept epoch / run (after)"
        ),
    ]
    for key in shared:
        b, a = before[key], after[key]
        cells = [
            key[0],
            key[1],
            str(key[2]),
            f"{b['best_epoch']} / {b['epochs_run']}",
            f"{a['best_epoch']} / {a['epochs_run']}",
        ]
        for m, _ in METRICS:
            cells += [_fmt(b[m]), _fmt(a[m])]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Mean over the shared seeds",
        "",
        *_header("dataset", "rung", "seeds"),
    ]
    groups = sorted({k[:2] for k in shared})
    for group in groups:
        keys = [k for k in shared if k[:2] == group]
        cells = [group[0], group[1], str(len(keys))]
        for m, _ in METRICS:
            for side in (before, after):
                vals = [side[k][m] for k in keys if side[k][m] is not None]
                cells.append(_fmt(statistics.fmean(vals)) if vals else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", nargs="+", type=Path, required=True)
    parser.add_argument("--after", nargs="+", type=Path, required=True)
    parser.add_argument("--title", default="Runs before and after")
    parser.add_argument("--note", default="", help="a paragraph put under the title")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    text = compare(read_runs(args.before), read_runs(args.after), args.title)
    if args.note:
        head, rest = text.split("\n", 1)
        text = f"{head}\n\n{args.note.strip()}\n{rest}"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()

"""Training epochs under two values of one compute-only ``RunConfig`` field, side by side.

Some fields change how a run computes, not what it computes: ``propagation_order``
(where the GCN decoder layers propagate) and ``feature_loss_form`` (whether the
feature loss forms the ``(N, F)`` reconstruction). Each row trains the same
config under each value, alternating, ``--repeats`` times, and reports the
median ``timings.per_epoch`` of :func:`graphae.pipeline.fit` (a whole epoch: the
training step and the validation scoring), the speed-up of the second value over
the first, and the node probe under each (the same model up to float rounding).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/epoch_ab.py --field feature_loss_form \\
        --values dense auto --data-root DIR --datasets "Coauthor CS" \\
        --rungs tied-sce pinv-sce linear-sce mirror-sce --epochs 20 --repeats 3 \\
        --out benchmarks/results/feature-loss-form-cpu.md

Writes the Markdown table to ``--out`` and the rows as JSON beside it.
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

from graphae.config import CHOICES, RunConfig
from graphae.pipeline import fit

#: (label, decoder, RunConfig changes): the capacity sweeps' GCN- and feature-decoder rungs.
RUNGS = (
    ("tied-sce", "tied", {"feature_loss": "sce"}),
    ("pinv-sce", "pinv", {"feature_loss": "sce"}),
    ("linear-sce", "linear", {"feature_loss": "sce"}),
    ("mirror-sce", "mirror", {"feature_loss": "sce"}),
    ("gnn", "gnn", {}),
)
#: What each field's comparison is called in the report's title.
TITLES = {
    "propagation_order": "GCN decoder layers: propagate at the narrow width (`propagation_order`)",
    "feature_loss_form": "Feature loss from the decoder's last linear map (`feature_loss_form`)",
}


def measure(
    dataset: str, decoder: str, changes: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    """Median per-epoch seconds and the node probe under each value (alternating runs)."""
    per_epoch: dict[str, list[float]] = {v: [] for v in args.values}
    node: dict[str, float] = {}
    for _ in range(args.repeats):
        for value in args.values:
            config = RunConfig(
                dataset=dataset,
                data_root=args.data_root,
                decoder=decoder,
                feature_norm="row",
                epochs=args.epochs,
                patience=0,
                device=args.device,
                **{**args.fixed, args.field: value},
                **changes,
            )
            result = fit(config).result
            per_epoch[value].append(result.timings["per_epoch"])
            node[value] = result.metrics.get("probe/node_accuracy", float("nan"))
    row: dict[str, Any] = {"dataset": dataset, "decoder": decoder, **changes}
    for value in args.values:
        row[f"{value}_ms"] = 1000 * statistics.median(per_epoch[value])
        row[f"{value}_runs_ms"] = [round(1000 * t, 1) for t in per_epoch[value]]
        row[f"{value}_node"] = node[value]
    first, second = args.values
    row["speedup"] = row[f"{first}_ms"] / row[f"{second}_ms"]
    return row


def uptime() -> str:
    """The machine's load, as ``uptime`` prints it."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def parser(
    field: str | None = None,
    values: tuple[str, str] | None = None,
    rungs: tuple[str, ...] = tuple(r[0] for r in RUNGS),
    fixed: dict[str, Any] | None = None,
) -> argparse.ArgumentParser:
    """The command line.

    Args:
        field: The field compared, fixed by a wrapper script (else ``--field``).
        values: Its two values, before and after (else ``--values``).
        rungs: The default ``--rungs``.
        fixed: Other fields every run of the comparison sets.
    """
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    if field is None:
        p.add_argument("--field", required=True, choices=sorted(TITLES))
        p.add_argument("--values", nargs=2, required=True, metavar=("BEFORE", "AFTER"))
    else:
        p.set_defaults(field=field, values=list(values or ()))
    p.set_defaults(fixed=dict(fixed or {}))
    p.add_argument("--data-root", required=True)
    p.add_argument("--datasets", nargs="+", default=["Amazon Photo", "Cora"])
    p.add_argument("--rungs", nargs="+", default=list(rungs))
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", type=Path, required=True, help="Markdown; JSON beside it")
    return p


def main(args: argparse.Namespace, script: str = "benchmarks/epoch_ab.py") -> None:
    """Measure every requested row and write the Markdown and JSON reports."""
    if any(v not in CHOICES[args.field] for v in args.values):
        raise SystemExit(f"--values must be two of {', '.join(CHOICES[args.field])}")
    unknown = sorted(set(args.rungs) - {r[0] for r in RUNGS})
    if unknown:
        raise SystemExit(f"unknown rung(s) {', '.join(unknown)}; valid: {[r[0] for r in RUNGS]}")
    before = uptime()
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
    fixed = script != "benchmarks/epoch_ab.py"
    info = {
        "field": args.field,
        "values": list(args.values),
        "fixed": args.fixed,
        "device": f"{args.device} ({device or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s))",
        "command": " ".join(
            [f"OMP_NUM_THREADS=1 python {script}"]
            + ([] if fixed else [f"--field {args.field} --values {' '.join(args.values)}"])
            + [
                "--data-root DIR",
                "--datasets " + " ".join(repr(d) for d in args.datasets),
                "--rungs " + " ".join(args.rungs),
                f"--epochs {args.epochs} --repeats {args.repeats} --device {args.device}",
            ]
        ),
        "uptime_before": before,
        "uptime_after": uptime(),
    }
    args.out.with_suffix(".json").write_text(json.dumps({**info, "rows": rows}, indent=1) + "\n")
    first, second = args.values
    lines = [
        f"# {TITLES[args.field]}",
        "",
        f"Command: `{info['command']}`. Device: {info['device']}. Whole training epochs "
        f"(`timings.per_epoch` of a {args.epochs}-epoch run: the step and the validation "
        f"scoring), `{args.field}` `{first}` and `{second}` alternating, median of "
        f"{args.repeats} runs each; row-normalised features.",
        "",
        f"| dataset | rung | {first} (ms/epoch) | {second} (ms/epoch) | speed-up | "
        f"node probe {first} / {second} |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['rung']} | {r[f'{first}_ms']:.1f} | "
            f"{r[f'{second}_ms']:.1f} | {r['speedup']:.2f}x | "
            f"{r[f'{first}_node']:.3f} / {r[f'{second}_node']:.3f} |"
        )
    lines += ["", f"Load before: `{before}`; after: `{info['uptime_after']}`.", ""]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main(parser().parse_args())

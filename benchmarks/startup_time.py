"""Start-up time: ``graphae --help`` against ``python -c "import torch"`` (issue 17).

    OMP_NUM_THREADS=1 python benchmarks/startup_time.py --repeats 7 \
        --out benchmarks/results/startup-cpu.md

The two commands run alternately (A, B, A, B, ...) in fresh processes, so that
load on a shared machine hits both alike; the medians are reported with the
machine's load average. The target: ``graphae --help`` no slower than
importing torch (ideally it does not import torch at all).

``--floor`` adds what a training run imports before its first epoch, each in a
fresh process in the same alternation: torch, + torch_geometric (which imports
``torch._dynamo``), + graphae's training pipeline, + the scikit-learn parts of
the probes. Their sum is the start-up floor of ``graphae train`` on any device
(issue 17's "Cora <= 4 s on the GPU" target pays it before training starts).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: ``--floor``: cumulative imports of a training run, each a fresh process.
FLOOR = {
    "torch_geometric": "import torch, torch_geometric.data",
    "pipeline": "import graphae.pipeline",
    "pipeline_probes": "import graphae.pipeline, sklearn.linear_model, sklearn.metrics",
}


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def _load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--out", type=Path, default=None, help="Markdown file (JSON beside it).")
    p.add_argument("--floor", action="store_true", help="also the imports of a training run")
    p.add_argument(
        "--no-warmup", action="store_true", help="skip the untimed first run (cache already warm)"
    )
    args = p.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    exe = shutil.which("graphae", path=str(Path(sys.executable).parent)) or ""
    help_cmd = [exe, "--help"] if exe else [sys.executable, "-m", "graphae.cli", "--help"]
    torch_cmd = [sys.executable, "-c", "import torch"]
    floor = (
        {name: [sys.executable, "-c", code] for name, code in FLOOR.items()} if args.floor else {}
    )
    for cmd in () if args.no_warmup else (help_cmd, torch_cmd, *floor.values()):
        _wall(cmd, env)  # warm the file cache
    load_before = _load()
    help_s, torch_s = [], []
    floor_s: dict[str, list[float]] = {name: [] for name in floor}
    for _ in range(args.repeats):
        help_s.append(_wall(help_cmd, env))
        torch_s.append(_wall(torch_cmd, env))
        for name, cmd in floor.items():
            floor_s[name].append(_wall(cmd, env))
    load_after = _load()
    rec = {
        "graphae_help_s": help_s,
        "import_torch_s": torch_s,
        "graphae_help_median_s": statistics.median(help_s),
        "import_torch_median_s": statistics.median(torch_s),
        "ratio": statistics.median(help_s) / statistics.median(torch_s),
        "commands": [" ".join(help_cmd), " ".join(torch_cmd)],
        "repeats": args.repeats,
        "load_before": load_before,
        "load_after": load_after,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "floor_s": floor_s,
        "floor_median_s": {name: statistics.median(v) for name, v in floor_s.items()},
    }
    table = (
        "| command | median wall (s) | runs (s) |\n|---|---|---|\n"
        f"| `graphae --help` | {rec['graphae_help_median_s']:.3f} | "
        + ", ".join(f"{t:.2f}" for t in help_s)
        + f' |\n| `python -c "import torch"` | {rec["import_torch_median_s"]:.3f} | '
        + ", ".join(f"{t:.2f}" for t in torch_s)
        + " |\n"
        + "".join(
            f'| `python -c "{FLOOR[name]}"` | {statistics.median(v):.3f} | '
            + ", ".join(f"{t:.2f}" for t in v)
            + " |\n"
            for name, v in floor_s.items()
        )
    )
    print(table)
    print(f"ratio {rec['ratio']:.3f}; load {load_before} -> {load_after}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(rec, indent=2) + "\n")
        args.out.write_text(
            "# Start-up time: `graphae --help` vs `import torch`\n\n"
            f"Command: `OMP_NUM_THREADS=1 python benchmarks/startup_time.py --repeats "
            f"{args.repeats}{' --floor' if args.floor else ''} --out {args.out}`; the commands "
            f"alternate, {args.repeats} runs each, "
            f"fresh processes, {rec['cpus']} CPUs, Python {rec['python']}.\n\n"
            + table
            + f"\n`graphae --help` / `import torch` = {rec['ratio']:.3f} (medians). "
            "`graphae --help` imports typer and the standard library only (no torch, "
            "torch_geometric or scikit-learn; tested in tests/test_lazy_imports.py).\n\n"
            + (
                "The `--floor` rows are cumulative: what `graphae train` imports before its "
                "first epoch (torch_geometric brings `torch._dynamo`), then the probes' "
                "scikit-learn.\n\n"
                if args.floor
                else ""
            )
            + f"Load (`uptime`) before: `{load_before}`; after: `{load_after}`.\n"
        )


if __name__ == "__main__":
    main()

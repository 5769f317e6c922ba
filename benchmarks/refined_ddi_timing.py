"""Time training steps of the Refined GAE ddi config (benchmarks/configs/refined-gae-ddi.yaml).

Builds the sweep's first run exactly as :func:`graphae.pipeline.fit` does (the
same model, optimisers, target-edge mask, negatives, loss, clipping) and
times ``--steps`` training steps of one epoch, after one untimed warm-up step,
plus one validation pass (encode + score the validation pairs). Writes the
measured figures to ``--out`` (Markdown) and ``--out`` with ``.json``.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/refined_ddi_timing.py --data-root /tmp/data \\
        --device cpu --steps 3 --out benchmarks/results/refined-gae-ddi-cpu-timing.md

Only measured numbers are written: the seconds per step, the steps an epoch
has, and their product labelled as such (an epoch's training time at the
measured step rate), never a projection to another device.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).parent))
from measure import sync

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "benchmarks" / "configs" / "refined-gae-ddi.yaml"


def refined_config(spec_path: Path = SPEC, **changes: Any) -> Any:
    """The first run's :class:`~graphae.config.RunConfig` of the spec, with ``changes``.

    The orthogonal table init (``table_init``) is dropped when this checkout's
    encoders do not know it (it is another branch's option), and said so.
    """
    import yaml

    from graphae.bench.spec import parse_spec
    from graphae.nn.latent import HYBRID_OPTIONS

    obj = yaml.safe_load(spec_path.read_text())
    dropped = []
    if "table_init" not in HYBRID_OPTIONS:
        for enc in obj["encoders"]:
            if enc.get("options", {}).pop("table_init", None) is not None:
                dropped.append("table_init")
    spec = parse_spec(obj, source=str(spec_path))
    cfg = spec.runs()[0].config.replace(**changes)
    return cfg, dropped


def time_steps(cfg: Any, steps: int, data_root: str | None) -> dict[str, Any]:
    """Seconds per training step and of one validation pass of ``cfg``."""
    from graphae.data.features import input_features
    from graphae.data.split import EdgeSet, sample_negatives
    from graphae.evaluation.measure import score_pairs
    from graphae.models import build_model
    from graphae.pipeline import load_input, make_split
    from graphae.training.runtime import autocast, resolve_device, seed_everything, set_precision
    from graphae.training.sampling import positive_batches
    from graphae.training.schedules import lr_factor
    from graphae.training.steps import TargetEdgeMask, clip_gradients, clip_groups
    from graphae.training.strategies import make_strategy

    cfg = cfg.replace(data_root=data_root) if data_root else cfg
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    set_precision(cfg.precision, device)
    graph = load_input(cfg)
    split = make_split(graph, cfg)
    sp = split.to(device)
    x = input_features(graph, cfg.feature_norm, device)
    model = build_model(cfg, x.size(1), graph.num_nodes, directed=graph.directed).to(device)
    opt = make_strategy(model, cfg)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    exclude = EdgeSet(sp.train_pos, graph.num_nodes, directed=split.directed)
    mask = TargetEdgeMask(sp.mp_edge_index, sp.mp_edge_weight, graph.num_nodes, split.directed)
    groups = clip_groups(model, cfg.grad_clip_scope) if cfg.grad_clip else []
    batches = positive_batches(sp.train_pos, cfg.batch_size, gen)
    model.train()
    opt.begin_epoch(1)
    opt.scale_lr(lr_factor(cfg.lr_schedule, 1, cfg.epochs, cfg.lr_decay_every))

    def step(pos: torch.Tensor) -> None:
        neg = sample_negatives(max(1, int(pos.size(1) * cfg.neg_ratio)), exclude, generator=gen)
        opt.zero_grad(set_to_none=True)
        ei, ew = mask(pos) if cfg.mask_target_edges else (sp.mp_edge_index, sp.mp_edge_weight)
        with autocast(device, cfg.precision):
            loss, _ = opt.loss(x, ei, ew, pos, neg, None)
        loss.backward()
        for g in groups:
            clip_gradients(g, cfg.grad_clip)
        opt.step()

    step(batches[0][0])  # warm-up (caches, allocator)
    sync(device)
    times, cpu = [], []
    load = [os.getloadavg()[0]]
    for pos, _ in batches[1 : 1 + steps]:
        t, c = time.perf_counter(), time.process_time()
        step(pos)
        sync(device)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    load.append(os.getloadavg()[0])
    model.eval()
    t = time.perf_counter()
    with torch.no_grad():
        z = model.encode(x, sp.mp_edge_index, sp.mp_edge_weight)
        score_pairs(model, z, sp.val_pos, sp.mp_edge_index)
        score_pairs(model, z, sp.val_neg, sp.mp_edge_index)
    sync(device)
    val = time.perf_counter() - t
    per_step = sum(times) / len(times)
    return {
        "steps_timed": len(times),
        "seconds_per_step": per_step,
        "step_seconds": times,
        "step_process_cpu_seconds": cpu,
        "load_average_1min_before_after": load,
        "steps_per_epoch": len(batches),
        "epoch_train_seconds_at_measured_rate": per_step * len(batches),
        "validation_pass_seconds": val,
        "parameters": sum(p.numel() for p in model.parameters()),
        "device": str(device),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-root", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--out", type=Path, default=None, help="Markdown file (and .json beside it)")
    args = p.parse_args(argv)
    os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    cfg, dropped = refined_config(device=args.device)
    if args.device == "cpu":
        cfg = cfg.replace(precision="fp32")
    res = time_steps(cfg, args.steps, args.data_root)
    res.update(
        {
            "spec": str(SPEC.relative_to(REPO)),
            "dropped_options": dropped,
            "torch": torch.__version__,
            "torch_num_threads": torch.get_num_threads(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "command": " ".join(["python", *sys.argv]),
        }
    )
    print(json.dumps(res, indent=2))
    if args.out is not None:
        args.out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
        h = res["epoch_train_seconds_at_measured_rate"]
        lines = [
            "# Refined GAE on ogbl-ddi: measured training-step time",
            "",
            f"Config: `{res['spec']}` (full width: 1024-d codes, 2-layer GCN, 8-layer "
            "residual MLP decoder, batch 8192, target-edge masking, clipping)"
            + (f"; dropped here: {', '.join(dropped)} (not on this branch)" if dropped else "")
            + ".",
            "",
            f"Command: `OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} {res['command']}`",
            "",
            "| figure | value |",
            "|---|---|",
            f"| device | {res['device']} ({res['processor']}, {res['torch_num_threads']} thread(s), "
            f"torch {res['torch']}) |",
            f"| parameters | {res['parameters']:,} |",
            f"| training steps timed (after 1 warm-up) | {res['steps_timed']} |",
            f"| seconds per training step (mean) | {res['seconds_per_step']:.2f} |",
            f"| each step (s) | {', '.join(f'{s:.2f}' for s in res['step_seconds'])} |",
            f"| each step's process CPU time (s) | "
            f"{', '.join(f'{s:.2f}' for s in res['step_process_cpu_seconds'])} |",
            f"| machine load (1-min average, before / after the timed steps) | "
            f"{' / '.join(f'{x:.1f}' for x in res['load_average_1min_before_after'])} |",
            f"| steps per epoch | {res['steps_per_epoch']} |",
            f"| one epoch's training at the measured step rate (s) | {h:.0f} "
            f"(= {h / 60:.1f} min; {math.ceil(h * 500 / 3600)} h for 500 epochs) |",
            f"| one validation pass (encode + 235,371 pairs) (s) | "
            f"{res['validation_pass_seconds']:.2f} |",
            "",
            "The epoch figure is the measured mean step time times the steps of an epoch; "
            "no epoch was run to the end here. The CPU was shared with other jobs (2 cores).",
            "",
        ]
        args.out.write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

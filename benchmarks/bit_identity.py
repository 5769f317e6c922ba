"""Fingerprints of what training computes, to compare two versions of the code.

Runs a fixed set of short CPU runs through the public API (``graphae.fit``),
covering every training path (plain GAE, each variant, the dense loss, feature
decoders, the auto-decoder's two strategies, the contrastive objectives, the
Refined-GAE recipe, a featureless user graph) plus a run stopped and resumed
from its checkpoint, and writes the sha256 of each run's embeddings and of its
metrics to ``OUT/fingerprints.json``.

Run it at two commits and compare the files::

    OMP_NUM_THREADS=1 python benchmarks/bit_identity.py --data-root D --out /tmp/before
    git checkout NEW
    OMP_NUM_THREADS=1 python benchmarks/bit_identity.py --data-root D --out /tmp/after
    python benchmarks/bit_identity.py --compare /tmp/before /tmp/after

Only ``graphae.RunConfig`` / ``graphae.fit`` and the stop control are used, so
the script runs unchanged before and after a reorganisation of the modules.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: name -> RunConfig keyword arguments (device cpu is added).
RUNS: dict[str, dict[str, Any]] = {
    "cora-default": {"dataset": "Cora"},
    "cora-vgae": {"dataset": "Cora", "variational": True, "epochs": 60},
    "citeseer-maskgae-mlp": {
        "dataset": "CiteSeer",
        "decoder": "mlp",
        "edge_mask": 0.5,
        "degree_weight": 1.0,
        "epochs": 60,
    },
    "cora-graphmae-probe": {
        "dataset": "Cora",
        "decoder": "mirror",
        "feature_mask": 0.5,
        "feature_loss": "sce",
        "select": "probe",
        "epochs": 60,
    },
    "cora-arga": {"dataset": "Cora", "adversarial": True, "select": "last", "epochs": 40},
    "cora-joint-features": {
        "dataset": "Cora",
        "feature_decoder": "mirror",
        "feature_weight": 0.5,
        "epochs": 40,
    },
    "cora-tied": {"dataset": "Cora", "decoder": "tied", "epochs": 40},
    "cora-dense": {"dataset": "Cora", "loss": "dense", "epochs": 40},
    "cora-denoise": {"dataset": "Cora", "feature_noise": 0.1, "edge_dropout": 0.2, "epochs": 40},
    "cora-autodecoder-joint": {
        "dataset": "Cora",
        "encoder": "embedding",
        "prior_sigma": 1.0,
        "select": "last",
        "epochs": 40,
    },
    "cora-autodecoder-alternating": {
        "dataset": "Cora",
        "encoder": "embedding",
        "decoder": "mlp",
        "optimization": "alternating",
        "alternate_every": 5,
        "prior_sigma": 1.0,
        "select": "last",
        "epochs": 40,
    },
    "cora-dgi": {"dataset": "Cora", "objective": "dgi", "epochs": 30},
    "cora-grace": {"dataset": "Cora", "objective": "grace", "select": "last", "epochs": 15},
    "cora-bgrl": {"dataset": "Cora", "objective": "bgrl", "select": "last", "epochs": 15},
    "usair-refined-recipe": {
        "dataset": "USAir",
        "decoder": "mlp",
        "decoder_options": {"depth": 3, "width": 64, "residual": True, "dropout": 0.2},
        "encoder_options": {
            "learnable_input": True,
            "input_channels": 64,
            "table_init": "orthogonal",
            "activation": "identity",
            "residual": 0.1,
        },
        "hidden_channels": 64,
        "out_channels": 64,
        "grad_clip_scope": "parts",
        "mask_target_edges": True,
        "lr_schedule": "linear",
        "grad_clip": 1.0,
        "batch_size": 512,
        "epochs": 20,
    },
    "cora-ncn-cosine": {"dataset": "Cora", "decoder": "ncn", "lr_schedule": "cosine", "epochs": 20},
    "usair-learnable-codes": {
        "dataset": "USAir",
        "encoder_options": {"learnable_input": True},
        "select": "last",
        "epochs": 60,
    },
}

#: name -> (RunConfig keyword arguments, stop after this epoch, then resume).
RESUMED: dict[str, tuple[dict[str, Any], int]] = {
    "cora-resumed": ({"dataset": "Cora", "epochs": 60}, 25),
    "cora-arga-resumed": (
        {"dataset": "Cora", "adversarial": True, "select": "last", "epochs": 30},
        12,
    ),
    "cora-alternating-resumed": (
        {
            "dataset": "Cora",
            "encoder": "embedding",
            "optimization": "alternating",
            "alternate_every": 4,
            "prior_sigma": 1.0,
            "select": "last",
            "epochs": 30,
        },
        10,
    ),
}


def _training_control() -> Any:
    from graphae.training.callbacks import TrainingControl

    return TrainingControl


def _fingerprint(run: Any) -> dict[str, Any]:
    z = run.z.contiguous().numpy()
    metrics = {k: v for k, v in sorted(run.result.metrics.items())}
    return {
        "embeddings_sha256": hashlib.sha256(z.tobytes()).hexdigest(),
        "metrics_sha256": hashlib.sha256(json.dumps(metrics).encode()).hexdigest(),
        "best_epoch": run.result.best_epoch,
        "epochs_run": run.result.epochs_run,
        "shape": list(z.shape),
        "metrics": {k: metrics[k] for k in ("link/auc", "probe/node_accuracy") if k in metrics},
    }


def run_all(
    data_root: str, only: list[str] | None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    import graphae

    extra = extra or {}

    control_cls = _training_control()
    out: dict[str, Any] = {}
    for name, kwargs in RUNS.items():
        if only and name not in only:
            continue
        t = time.perf_counter()
        config = graphae.RunConfig(**(kwargs | extra), device="cpu", data_root=data_root)
        run = graphae.fit(config)
        out[name] = _fingerprint(run) | {"seconds": round(time.perf_counter() - t, 1)}
        print(name, out[name]["embeddings_sha256"][:16], out[name]["seconds"], flush=True)
    for name, (kwargs, stop) in RESUMED.items():
        if only and name not in only:
            continue
        cfg = graphae.RunConfig(**(kwargs | extra), device="cpu", data_root=data_root)
        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as ckpt:
            try:
                graphae.fit(cfg, checkpoint_dir=ckpt, control=control_cls(stop_after=stop))
                raise SystemExit(f"{name}: the run was not stopped after epoch {stop}")
            except Exception as e:  # TrainingInterrupted, wherever it lives
                if type(e).__name__ != "TrainingInterrupted":
                    raise
            resumed = graphae.fit(cfg, checkpoint_dir=ckpt, resume_from=ckpt)
        whole = graphae.fit(cfg)
        fp = _fingerprint(resumed)
        fp["equals_uninterrupted"] = (
            fp["embeddings_sha256"] == _fingerprint(whole)["embeddings_sha256"]
        )
        out[name] = fp | {"seconds": round(time.perf_counter() - t, 1)}
        print(name, fp["embeddings_sha256"][:16], fp["equals_uninterrupted"], flush=True)
    return out


def compare(a: Path, b: Path) -> int:
    left = json.loads((a / "fingerprints.json").read_text())["runs"]
    right = json.loads((b / "fingerprints.json").read_text())["runs"]
    bad = 0
    for name in sorted(set(left) | set(right)):
        la, rb = left.get(name, {}), right.get(name, {})
        same = bool(la) and la.get("embeddings_sha256") == rb.get("embeddings_sha256")
        same = same and la.get("metrics_sha256") == rb.get("metrics_sha256")
        bad += not same
        print(
            f"{'same' if same else 'DIFFERENT':9s} {name:32s} {la.get('embeddings_sha256', '-')[:16]}"
            f" {rb.get('embeddings_sha256', '-')[:16]}"
        )
    print(f"{len(set(left) | set(right)) - bad} identical, {bad} different")
    return 1 if bad else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", help="writable dataset root (a copy of shared/datasets)")
    p.add_argument("--out", type=Path, help="folder for fingerprints.json")
    p.add_argument("--only", nargs="*", help="run only these names")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    p.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="RunConfig values added to every run (JSON values), e.g. feature_matmul=dense",
    )
    args = p.parse_args()
    if args.compare:
        return compare(*args.compare)
    if not args.out or not args.data_root:
        p.error("--out and --data-root are needed unless --compare")
    import subprocess

    import torch

    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent
    ).stdout.strip()
    extra = {}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            extra[key] = json.loads(value)
        except json.JSONDecodeError:
            extra[key] = value
    runs = run_all(args.data_root, args.only, extra)
    args.out.mkdir(parents=True, exist_ok=True)
    record = {
        "commit": commit,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "set": extra,
        "runs": runs,
    }
    (args.out / "fingerprints.json").write_text(json.dumps(record, indent=1) + "\n")
    print("wrote", args.out / "fingerprints.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

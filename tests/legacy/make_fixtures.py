"""Write the legacy fixtures: run folders and checkpoints made by an older graphae.

The files beside this script were written by commit ``d4210e3`` (before the
issue-19 reorganisation) with::

    PYTHONPATH=<checkout of d4210e3> python tests/legacy/make_fixtures.py tests/legacy

Paths inside them (the graph file) are relative: use them from a copy of
this folder as the working directory.

``tests/test_legacy_files.py`` checks that today's code still loads them and,
for the checkpoints, finishes training to the same bytes the old code did
(``expected.json``). Do not regenerate them with newer code: their point is to
have been written by the old one.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

#: 12 nodes: a ring 0..11 with two chords (no features: identity input).
EDGES = [(i, (i + 1) % 12) for i in range(12)] + [(0, 6), (3, 9)]

#: name -> (RunConfig keyword arguments, stop after this epoch).
CHECKPOINTS = {
    "checkpoint-plain": ({"epochs": 12}, 5),
    "checkpoint-arga": ({"epochs": 12, "adversarial": True}, 5),
    "checkpoint-alternating": (
        {
            "epochs": 12,
            "encoder": "embedding",
            "optimization": "alternating",
            "alternate_every": 3,
            "prior_sigma": 1.0,
        },
        4,
    ),
}


def sha(z) -> str:
    return hashlib.sha256(z.contiguous().numpy().tobytes()).hexdigest()


def main(out: Path) -> None:
    """Write the fixtures into ``out``; paths in them are relative to ``out``."""
    import os

    import graphae
    from graphae.training.callbacks import TrainingControl

    out.mkdir(parents=True, exist_ok=True)
    os.chdir(out)
    out = Path(".")
    graph = Path("ring.csv")
    graph.write_text("source,target\n" + "".join(f"n{u},n{v}\n" for u, v in EDGES))
    expected: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "graphae",
                "train",
                "--graph",
                str(graph),
                "--epochs",
                "20",
                "--device",
                "cpu",
                "--out",
                str(run),
                "--val-ratio",
                "0.15",
                "--test-ratio",
                "0.15",
            ],
            check=True,
        )
        for name in (
            "config.json",
            "model.pt",
            "model.json",
            "nodes.json",
            "result.json",
            "embeddings.npy",
            "embeddings.ids.json",
        ):
            src = run / name
            if src.exists():
                (out / "run").mkdir(exist_ok=True)
                (out / "run" / name).write_bytes(src.read_bytes())
    for name, (kwargs, stop) in CHECKPOINTS.items():
        cfg = graphae.RunConfig(
            graph=str(graph), device="cpu", val_ratio=0.15, test_ratio=0.15, **kwargs
        )
        ckpt = out / name
        try:
            graphae.fit(cfg, checkpoint_dir=ckpt, control=TrainingControl(stop_after=stop))
        except Exception as e:  # TrainingInterrupted, wherever it lives
            assert type(e).__name__ == "TrainingInterrupted", e
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / name
            copy.mkdir()
            for f in ckpt.iterdir():
                (copy / f.name).write_bytes(f.read_bytes())
            resumed = graphae.fit(cfg, resume_from=copy)
        expected[name] = sha(resumed.z)
        expected[name + ":config"] = cfg.to_dict()
    (out / "expected.json").write_text(json.dumps(expected, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""Data-parallel training: 2 gloo processes under torchrun match 1 process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from graphae.training.distributed import DistContext, wrap_loss

EDGES = Path(__file__).parents[1] / "examples" / "data" / "les_miserables.csv"
ARGS = [
    "--graph",
    str(EDGES),
    "--epochs",
    "12",
    "--batch-size",
    "64",
    "--patience",
    "0",
    "--no-progress",
    "--device",
    "cpu",
]


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    return env


def test_two_gloo_processes_match_one_process(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    subprocess.run(
        [sys.executable, "-m", "graphae.cli", "train", *ARGS, "--out", str(one)],
        check=True,
        env=_env(),
        capture_output=True,
        timeout=300,
    )
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            "2",
            "--master-port",
            "29517",
            "-m",
            "graphae.cli",
            "train",
            *ARGS,
            "--out",
            str(two),
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("wrote") == 1  # only rank 0 writes
    a, b = np.load(one / "embeddings.npy"), np.load(two / "embeddings.npy")
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    assert not np.array_equal(a, np.zeros_like(a))


def test_shard_takes_every_world_th_pair() -> None:
    ctx = DistContext(rank=1, world=3)
    pairs = torch.arange(14).view(2, 7)
    assert ctx.shard(pairs).tolist() == [[1, 4], [8, 11]]
    assert DistContext().shard(pairs) is pairs


def test_single_process_loss_is_not_wrapped() -> None:
    model = torch.nn.Linear(2, 2)

    def fn(*a: object) -> int:
        return 1

    assert wrap_loss(DistContext(), model, fn) is fn

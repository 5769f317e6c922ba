"""Interrupted runs and reproducibility (issue 7).

* Resume equivalence: train N epochs uninterrupted, or stop after k epochs and
  resume to N -- on the CPU with the same seed the embeddings are
  ``torch.equal`` and the metrics and history identical. Stops are simulated
  with :class:`~graphae.training.callbacks.TrainingControl` (library), with real signals sent
  to the test process while ``graphae train`` runs in-process, and with a real
  SIGINT to a ``graphae train`` subprocess.
* An interrupted run leaves the previous run folder byte-identical, prints one
  line saying how to resume, and exits 130 (SIGINT) or 143 (SIGTERM).
* Determinism: two ``graphae train --deterministic`` subprocesses write
  byte-identical ``embeddings.npy``; ``result.json`` records the seeds, the
  deterministic flag, library versions and the git commit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from clihelp import RING, run_cli, snapshot
from test_train import two_communities

from graphae.config import RunConfig
from graphae.errors import GraphaeError, TrainingInterrupted
from graphae.pipeline import fit
from graphae.rundir import partial_dir
from graphae.training.callbacks import TrainingControl


@pytest.fixture(autouse=True)
def _deterministic_mode_off():
    """Deterministic mode is process-wide: leave it off for the next test."""
    yield
    torch.use_deterministic_algorithms(False)


def config(**kw: object) -> RunConfig:
    base = {"dataset": "blocks", "epochs": 16, "val_ratio": 0.1, "test_ratio": 0.2, "patience": 0}
    base["device"] = "cpu"  # resumed == uninterrupted bit for bit is a CPU guarantee
    base.update(kw)
    return RunConfig(**base)  # type: ignore[arg-type]


def assert_same_run(a, b) -> None:
    assert torch.equal(a.z, b.z)
    assert a.result.metrics == b.result.metrics
    assert a.result.history == b.result.history
    assert (a.result.best_epoch, a.result.epochs_run) == (b.result.best_epoch, b.result.epochs_run)


VARIANTS = {
    "gae": {},
    "dropout + minibatches + 2 negatives": {"dropout": 0.3, "batch_size": 16, "neg_ratio": 2.0},
    "vgae": {"variational": True},
    "maskgae (edge masking + degree decoder)": {"edge_mask": 0.3, "degree_weight": 0.5},
    "graphmae (feature masking)": {"decoder": "mirror", "feature_mask": 0.3},
    "arga (discriminator optimiser)": {"adversarial": True},
    "denoising": {"feature_noise": 0.1, "edge_dropout": 0.2},
    "mlp decoder, probe selection": {"decoder": "mlp", "select": "probe"},
    "early stopping after the resume point": {"patience": 8, "epochs": 80},
    "auto-decoder (latent codes, joint)": {"encoder": "embedding"},
    "auto-decoder (alternating phases)": {
        "encoder": "embedding",
        "optimization": "alternating",
        "alternate_every": 2,
    },
    "cosine learning-rate schedule": {"lr_schedule": "cosine"},
    "auto-decoder, cosine schedule": {"encoder": "embedding", "lr_schedule": "cosine"},
}


@pytest.mark.parametrize("variant", list(VARIANTS), ids=list(VARIANTS))
def test_stop_and_resume_equals_uninterrupted(tmp_path: Path, variant: str) -> None:
    from graphae.nn.encoders import encoders

    if VARIANTS[variant].get("encoder") == "embedding" and "embedding" not in encoders:
        pytest.skip("the embedding encoder is not registered")
    g = two_communities()
    cfg = config(seed=3, **VARIANTS[variant])  # type: ignore[arg-type]
    full = fit(cfg, graph=g)
    if cfg.patience:
        assert 5 < full.result.epochs_run < cfg.epochs  # it did stop early, after the resume point
    ckpt = tmp_path / "ck"
    with pytest.raises(TrainingInterrupted) as info:
        fit(cfg, graph=g, checkpoint_dir=ckpt, control=TrainingControl(stop_after=5))
    assert info.value.epoch == 5
    resumed = fit(cfg, graph=g, resume_from=ckpt, checkpoint_dir=ckpt, checkpoint_every=4)
    assert_same_run(full, resumed)
    assert resumed.result.reproducibility["resumed_after_epoch"] == 5


def test_resume_twice_and_from_a_periodic_checkpoint_after_a_hard_kill(
    tmp_path: Path, monkeypatch
) -> None:
    """A kill that leaves no final checkpoint (SIGKILL, power cut) resumes from the last periodic one."""
    import graphae.training.sampling as T

    g = two_communities()
    cfg = config(seed=1, epochs=20, dropout=0.2)
    full = fit(cfg, graph=g)
    ckpt = tmp_path / "ck"
    with pytest.raises(TrainingInterrupted):
        fit(cfg, graph=g, checkpoint_dir=ckpt, control=TrainingControl(stop_after=4))
    # second leg: checkpoints every 5 epochs, then "killed" in the middle of epoch 13
    calls = {"n": 0}
    real = T.sample_negatives

    def dying(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 13 - 4:
            raise KeyboardInterrupt  # no chance to write a checkpoint
        return real(*args, **kwargs)

    monkeypatch.setattr(T, "sample_negatives", dying)
    with pytest.raises(KeyboardInterrupt):
        fit(cfg, graph=g, resume_from=ckpt, checkpoint_dir=ckpt, checkpoint_every=5)
    monkeypatch.undo()
    assert json.loads((ckpt / "checkpoint.json").read_text())["epoch"] == 10
    resumed = fit(cfg, graph=g, resume_from=ckpt)
    assert_same_run(full, resumed)


def test_resume_refuses_another_run(tmp_path: Path) -> None:
    g = two_communities()
    cfg = config(seed=2, device="auto")  # resumed below with --device cpu: a device change
    ckpt = tmp_path / "ck"
    with pytest.raises(TrainingInterrupted):
        fit(cfg, graph=g, checkpoint_dir=ckpt, control=TrainingControl(stop_after=3))
    with pytest.raises(GraphaeError, match=r"another configuration \(lr: 0\.01 -> 0\.02"):
        fit(cfg.replace(lr=0.02), graph=g, resume_from=ckpt)
    with pytest.raises(GraphaeError, match="another graph or split"):
        fit(cfg, graph=two_communities(n=11), resume_from=ckpt)
    fit(cfg.replace(device="cpu"), graph=g, resume_from=ckpt)  # the device may change


def test_stop_at_the_last_epoch_just_finishes(tmp_path: Path) -> None:
    g = two_communities()
    cfg = config(epochs=6)
    run = fit(cfg, graph=g, checkpoint_dir=tmp_path / "ck", control=TrainingControl(stop_after=6))
    assert run.result.epochs_run == 6
    assert not (tmp_path / "ck").exists()  # nothing left to resume, nothing written


# ------------------------------------------------------------------ the CLI, in-process


def _train_args(graph: Path, out: Path, *extra: str) -> list[object]:
    return ["train", "--graph", graph, "--out", out, "--epochs", "30", "--patience", "0",
            "--device", "cpu", "--seed", "5", "--dropout", "0.1", *extra]  # fmt: skip


@pytest.fixture
def ring_csv(tmp_path: Path) -> Path:
    path = tmp_path / "ring.csv"
    path.write_text(RING, encoding="utf-8")
    return path


def _signal_at(monkeypatch, epoch: int, *signums: int) -> None:
    """Send real signals to this process during the given epoch (from the negative sampler)."""
    import graphae.training.sampling as T

    real = T.sample_negatives
    calls = {"n": 0}

    def sampler(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == epoch:
            for s in signums:
                os.kill(os.getpid(), s)
        return real(*args, **kwargs)

    monkeypatch.setattr(T, "sample_negatives", sampler)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_signal_stops_cleanly_and_resume_matches(
    tmp_path, ring_csv, capsys, monkeypatch, signum, code
) -> None:
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert run_cli(_train_args(ring_csv, ref), capsys)[0] == 0
    assert run_cli(_train_args(ring_csv, out, "--seed", "9"), capsys)[0] == 0  # earlier outputs
    before = snapshot(out)

    _signal_at(monkeypatch, 12, signum)
    rc, _, err = run_cli(_train_args(ring_csv, out, "--overwrite"), capsys)
    monkeypatch.undo()
    assert rc == code, err
    last = err.strip().splitlines()[-1]
    name = "SIGINT" if signum == signal.SIGINT else "SIGTERM"
    assert f"interrupted by {name} after epoch 12 of 30" in last
    assert f"resume from epoch 12 with: graphae train --resume --out {out}" in last
    assert "Traceback" not in err
    assert snapshot(out) == before  # the previous run folder is byte-identical
    assert partial_dir(out).is_dir()

    rc, _, err = run_cli(["train", "--resume", "--out", out], capsys)
    assert rc == 0, err
    assert not partial_dir(out).exists()  # cleaned up once the run folder is written
    a = np.load(ref / "embeddings.npy")
    b = np.load(out / "embeddings.npy")
    assert a.tobytes() == b.tobytes()
    ra, rb = (json.loads((d / "result.json").read_text()) for d in (ref, out))
    assert ra["metrics"] == rb["metrics"] and ra["history"] == rb["history"]
    assert rb["reproducibility"]["resumed_after_epoch"] == 12


def test_cli_second_signal_stops_at_once(tmp_path, ring_csv, capsys, monkeypatch) -> None:
    out = tmp_path / "out"
    _signal_at(monkeypatch, 8, signal.SIGINT, signal.SIGINT)
    rc, _, err = run_cli(_train_args(ring_csv, out, "--checkpoint-every", "5"), capsys)
    monkeypatch.undo()
    assert rc == 130
    assert "resume from epoch 5 with" in err.strip().splitlines()[-1]
    assert not out.exists()
    rc, _, err = run_cli(["train", "--resume", "--out", out], capsys)
    assert rc == 0, err


def test_cli_new_run_refuses_to_discard_an_interrupted_one(
    tmp_path, ring_csv, capsys, monkeypatch
) -> None:
    out = tmp_path / "out"
    _signal_at(monkeypatch, 3, signal.SIGINT)
    assert run_cli(_train_args(ring_csv, out), capsys)[0] == 130
    monkeypatch.undo()
    rc, _, err = run_cli(_train_args(ring_csv, out), capsys)
    assert rc == 2 and "holds an interrupted run (epoch 3 of 30)" in err
    rc, _, err = run_cli(["train", "--resume", "--out", out, "--epochs", "50"], capsys)
    assert rc == 2 and "drop --epochs" in err


# ------------------------------------------------------------------ real subprocesses


def _env() -> dict[str, str]:
    # the same thread count as this process, so in-process and subprocess runs agree bit for bit
    return {
        **os.environ,
        "OMP_NUM_THREADS": str(torch.get_num_threads()),
        "PYTHONWARNINGS": "ignore",
    }


SLOW_MAIN = """
import sys, time
import graphae.training.sampling as T
real = T.sample_negatives
def slow(*a, **k):
    time.sleep(0.05)  # a slow epoch, so the signal lands mid-run (draws nothing from any RNG)
    return real(*a, **k)
T.sample_negatives = slow
from graphae.cli import main
main(sys.argv[1:])
"""


def test_real_sigint_to_a_graphae_train_subprocess(tmp_path, ring_csv, capsys) -> None:
    out = tmp_path / "out"
    args = [str(a) for a in _train_args(ring_csv, out, "--checkpoint-every", "2", "--epochs", "60")]
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_MAIN, *args],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (partial_dir(out) / "checkpoint.json").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert "interrupted by SIGINT after epoch" in last and "graphae train --resume --out" in last
    assert "Traceback" not in err
    assert not out.exists()
    stopped = json.loads((partial_dir(out) / "checkpoint.json").read_text())["epoch"]
    assert 2 <= stopped < 60

    rc, _, err = run_cli(["train", "--resume", "--out", out], capsys)
    assert rc == 0, err
    ref = tmp_path / "ref"
    assert run_cli(_train_args(ring_csv, ref, "--epochs", "60"), capsys)[0] == 0
    assert np.load(ref / "embeddings.npy").tobytes() == np.load(out / "embeddings.npy").tobytes()
    ra, rb = (json.loads((d / "result.json").read_text()) for d in (ref, out))
    assert ra["metrics"] == rb["metrics"]


def test_deterministic_runs_are_bit_identical_across_processes(tmp_path, ring_csv) -> None:
    outs = [tmp_path / "a", tmp_path / "b"]
    args = ["train", "--graph", ring_csv, "--epochs", "25", "--seed", "11", "--device", "cpu",
            "--deterministic", "--dropout", "0.2"]  # fmt: skip
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "graphae.cli", *map(str, args), "--out", str(o)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for o in outs
    ]  # two processes at once: bit-identical even when they compete for the CPU
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    a, b = ((o / "embeddings.npy").read_bytes() for o in outs)
    assert a == b
    ra, rb = (json.loads((o / "result.json").read_text()) for o in outs)
    assert ra["metrics"] == rb["metrics"]
    rep = ra["reproducibility"]
    assert rep["deterministic"] is True and rep["seed"] == 11 and rep["split_seed"] == 11
    assert rep["split_source"] == "random" and rep["torch_num_threads"] >= 1
    assert {"graphae", "torch", "torch_geometric", "numpy"} <= set(ra["versions"])
    assert "git" in ra  # the commit (None outside a git checkout)
    assert ra["config"]["deterministic"] is True and ra["config"]["seed"] == 11


def test_result_records_reproducibility_without_deterministic_mode() -> None:
    run = fit(config(epochs=2), graph=two_communities())
    rep = run.result.reproducibility
    assert rep["deterministic"] is False and rep["resumed_after_epoch"] is None
    assert run.result.to_dict()["reproducibility"] == rep


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_gpu_runs_agree_within_the_documented_tolerance() -> None:
    """README: on CUDA, embeddings of two runs agree to ~1e-5 relative (deterministic: exact)."""
    g = two_communities()
    a = fit(config(device="cuda", seed=0, epochs=30), graph=g)
    b = fit(config(device="cuda", seed=0, epochs=30), graph=g)
    rel = (a.z - b.z).norm() / a.z.norm()
    assert float(rel) < 1e-5
    c = fit(config(device="cuda", seed=0, epochs=30, deterministic=True), graph=g)
    d = fit(config(device="cuda", seed=0, epochs=30, deterministic=True), graph=g)
    torch.use_deterministic_algorithms(False)
    assert torch.equal(c.z, d.z)


def test_cli_failed_run_leaves_no_checkpoint_behind(
    tmp_path, ring_csv, capsys, monkeypatch
) -> None:
    """A run that fails (diverges) is not an interrupted one: no <out>.partial is left."""
    import graphae.training.sampling as T

    real = T.sample_negatives
    calls = {"n": 0}

    def diverge(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 15:
            raise GraphaeError("training diverged at epoch 15 (loss nan); lower --lr")
        return real(*args, **kwargs)

    monkeypatch.setattr(T, "sample_negatives", diverge)
    out = tmp_path / "out"
    rc, _, err = run_cli(_train_args(ring_csv, out, "--checkpoint-every", "5"), capsys)
    assert rc == 2 and "diverged" in err
    assert not out.exists() and not partial_dir(out).exists()

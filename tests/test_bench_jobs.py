"""``graphae bench --jobs N`` (issue 17): runs in worker processes, locks per run,
resume after a kill, same records as one process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_bench import TINY, tiny_spec, write_yaml

from graphae.bench import run_sweep
from graphae.bench.runner import RUN_LOCKS, _worker_devices, is_finished, run_lock

REPO = Path(__file__).resolve().parents[1]


def _bench(cfg: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "graphae.cli", "bench", str(cfg), "--out", str(out),
            "--no-report", "--no-progress", *extra]  # fmt: skip


def _env() -> dict[str, str]:
    path = str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path}


def _metrics(out: Path) -> dict[str, dict]:
    runs = out / "runs"
    return {
        p.name: json.loads((p / "result.json").read_text())["metrics"]
        for p in sorted(runs.iterdir())
        if (p / "result.json").is_file()
    }


@pytest.mark.slow
def test_jobs_2_gives_the_records_of_jobs_1(tmp_path: Path) -> None:
    spec = {**TINY, "decoders": ["inner_product", "mlp"], "baselines": ["spectral"]}
    cfg = write_yaml(tmp_path / "tiny.yaml", spec)
    one, two = tmp_path / "one", tmp_path / "two"
    a = subprocess.run(_bench(cfg, one), env=_env(), capture_output=True, text=True, timeout=600)
    b = subprocess.run(
        _bench(cfg, two, "--jobs", "2"), env=_env(), capture_output=True, text=True, timeout=600
    )
    assert a.returncode == 0, a.stderr
    assert b.returncode == 0, b.stderr
    assert "3/3 runs finished (3 now, 0 failed)" in b.stdout
    ma, mb = _metrics(one), _metrics(two)
    assert sorted(ma) == sorted(mb) and len(ma) == 3
    for run_id in ma:  # the same numbers for the same run ids
        assert ma[run_id] == mb[run_id], run_id
    assert not (two / RUN_LOCKS).exists() or not list((two / RUN_LOCKS).iterdir())
    assert not [p for p in (two / "runs").iterdir() if p.name.startswith(".")]
    # the report reads a --jobs sweep as any other
    from graphae.bench import write_report

    assert "tiny" in write_report(two).read_text()


@pytest.mark.slow
def test_jobs_2_killed_then_resumed_finishes_without_redoing(tmp_path: Path) -> None:
    spec = {**TINY, "seeds": 3, "baselines": [], "train": {**TINY["train"], "epochs": 300}}
    cfg = write_yaml(tmp_path / "tiny.yaml", spec)
    out = tmp_path / "sweep"
    proc = subprocess.Popen(
        _bench(cfg, out, "--jobs", "2"),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 300
    runs = out / "runs"
    while time.time() < deadline and len([p for p in runs.glob("*") if p.is_dir()]) < 2:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)  # the workers get SIGTERM from the kernel (parent death)
    proc.wait()
    time.sleep(1.0)
    before = {p.name: p.stat().st_mtime_ns for p in runs.iterdir() if is_finished(out, p.name)}
    assert 0 < len(before) < 6
    done = subprocess.run(
        _bench(cfg, out, "--jobs", "2"), env=_env(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    after = {p.name: p.stat().st_mtime_ns for p in runs.iterdir() if is_finished(out, p.name)}
    assert len(after) == 6
    assert all(after[k] == v for k, v in before.items())  # finished runs were not redone
    assert not [p for p in runs.iterdir() if p.name.startswith(".")]
    assert not list((out / RUN_LOCKS).iterdir())


def test_a_run_locked_by_a_live_process_is_left_to_it(tmp_path: Path) -> None:
    spec = tiny_spec(baselines=[])
    out = tmp_path / "sweep"
    first, second = (r.run_id for r in spec.runs())
    (out / RUN_LOCKS).mkdir(parents=True)
    (out / "sweep.json").write_text("{}")
    live = {"pid": os.getppid(), "host": socket.gethostname()}  # our parent: alive
    (out / RUN_LOCKS / f"{first}.lock").write_text(json.dumps(live))
    (out / "runs" / f".{first}.tmp-0123abcd").mkdir(parents=True)  # its folder in progress
    outcome = run_sweep(spec, out, progress=False)
    assert outcome.locked == [first] and outcome.ran == [second]
    assert not is_finished(out, first)
    assert (out / "runs" / f".{first}.tmp-0123abcd").is_dir()  # not cleaned under it
    # the holder dies: its lock is stale and taken over, its temporary folder removed
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / RUN_LOCKS / f"{first}.lock").write_text(
        json.dumps({"pid": dead.pid, "host": socket.gethostname()})
    )
    outcome = run_sweep(spec, out, progress=False)
    assert outcome.ran == [first] and outcome.locked == [] and outcome.complete
    assert not (out / "runs" / f".{first}.tmp-0123abcd").exists()
    assert not list((out / RUN_LOCKS).iterdir())


def test_run_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with run_lock(tmp_path, "r1") as a:
        assert a
        with run_lock(tmp_path, "r1") as b:  # our own live pid holds it
            assert not b
        with run_lock(tmp_path, "r2") as c:
            assert c
    assert not list((tmp_path / RUN_LOCKS).iterdir())


def test_bad_jobs_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from clihelp import run_cli

    cfg = write_yaml(tmp_path / "tiny.yaml", TINY)
    code, _, err = run_cli(["bench", str(cfg), "--out", str(tmp_path / "s"), "--jobs", "0"], capsys)
    assert code == 2 and err.strip() == "graphae: error: --jobs must be >= 1, got 0"


def test_devices_round_robin_only_for_auto_or_cuda_runs() -> None:
    runs = tiny_spec().runs()
    assert _worker_devices(runs) == []  # TINY pins device cpu
    import torch

    auto = tiny_spec(train={**TINY["train"], "device": "auto"}).runs()
    expect = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    assert _worker_devices(auto) == (expect if torch.cuda.is_available() else [])


def _seed0_waits_for_seed1s_line(run, graph, out_dir, **kw):
    """A ``run_fn`` for --jobs 2 (module level, so spawned workers can load it): seed 0
    finishes only once the parent has booked seed 1 (it writes a marker then), or
    after 60 s; it leaves ``seed0-released`` when the marker, not the clock, let it go."""
    from graphae.bench.runner import run_one

    if run.seed == 0:
        marker = Path(out_dir) / "seed1-booked"
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if marker.exists():
            (Path(out_dir) / "seed0-released").touch()
    return run_one(run, graph, out_dir, **kw)


def test_jobs_book_each_run_as_it_ends_not_in_submission_order(tmp_path: Path) -> None:
    """A long run must not hold back the progress line (and failure record) of a run
    that started after it and ended first: seed 1's line comes while seed 0 still runs."""
    spec = tiny_spec(baselines=[], decoders=["inner_product"], seeds=2)
    out = tmp_path / "sweep"
    lines: list[str] = []

    def echo(line: str) -> None:
        lines.append(line)
        if "-s1-" in line:
            (out / "seed1-booked").touch()

    outcome = run_sweep(
        spec, out, jobs=2, progress=False, echo=echo, run_fn=_seed0_waits_for_seed1s_line
    )
    assert len(outcome.ran) == 2
    assert ["-s1-" in line for line in lines] == [True, False], lines
    # seed 0 was released by seed 1's line, not by its time-out (no wall-clock bound:
    # a loaded machine may take long to start two workers)
    assert (out / "seed0-released").exists()

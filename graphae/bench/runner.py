"""Run a sweep: resumable, one atomic folder per run, failures logged and retried.

Layout of a sweep folder ``OUT``::

    OUT/sweep.json          the spec's name, source and run ids (what the report reads)
    OUT/spec.yaml           a copy of the spec text
    OUT/runs/<run_id>/      one folder per finished run, written atomically:
        config.json         the RunConfig
        result.json         metrics, timings, peak memory, device, versions (RunResult)
        bench.json          the run's labels (dataset, encoder, decoder, variant, seed...)
        layers.json         layer-wise probes (when the spec asks for them)
        embeddings.npy, model.pt ...   only when the spec's ``save`` asks for them
    OUT/failures.jsonl      one JSON line per failed attempt (run id, error line, traceback)

A run is finished when its folder exists (it only ever appears complete, see
:func:`graphae.rundir.write_atomic_folder`). Re-running the same command skips
finished runs and retries failed ones, so a crash or Ctrl-C loses at most the
run in progress.

Locks are per run (``OUT/.locks/<run_id>.lock``, pid and host): several
processes -- ``--jobs N`` workers, or two ``graphae bench`` commands on one
folder -- share a sweep, each run being done by whoever locks it first; a lock
whose process is gone is taken over. With ``jobs > 1`` the runs go to N worker
processes (spawned, one CUDA context each); runs on ``auto``/``cuda`` are
spread round-robin over the visible CUDA devices (worker i on
``cuda:(i mod devices)``), on CPU every worker runs on the CPU with
``cpu_count // N`` threads at most.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import functools
import json
import logging
import os
import re
import shutil
import signal
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from graphae.bench.spec import RunSpec, SweepSpec
from graphae.errors import GraphaeError

if TYPE_CHECKING:
    from graphae.config import RunConfig
    from graphae.data.graph import Graph
    from graphae.data.split import LinkSplit

__all__ = ["SweepOutcome", "finished_runs", "read_failures", "run_one", "run_sweep"]

log = logging.getLogger(__name__)

LOCK = ".bench.lock"  # the whole-sweep lock of earlier versions (still honoured)
RUN_LOCKS = ".locks"
FAILURES = "failures.jsonl"
SWEEP = "sweep.json"
_STALE = re.compile(r"^\..+\.(tmp|old)-[0-9a-f]{8}$")


@dataclass
class SweepOutcome:
    """What :func:`run_sweep` did.

    Attributes:
        total: Runs in the sweep.
        already_done: Runs found finished and skipped.
        ran: Ids of the runs finished by this call.
        failed: ``run_id -> error line`` of runs that failed in this call.
        skipped_datasets: Optional datasets left out (files absent).
        seconds: Wall time of this call.
        locked: Ids of runs another live process was running (left to it).
    """

    total: int = 0
    already_done: int = 0
    ran: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped_datasets: list[str] = field(default_factory=list)
    seconds: float = 0.0
    locked: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every run of the sweep is finished."""
        return self.already_done + len(self.ran) == self.total


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _error_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def run_folder(out: Path, run_id: str) -> Path:
    """``OUT/runs/<run_id>``."""
    return Path(out) / "runs" / run_id


def is_finished(out: Path, run_id: str) -> bool:
    """Whether a run's folder was written completely."""
    folder = run_folder(out, run_id)
    return (folder / "bench.json").is_file() and (folder / ".graphae-run").is_file()


def finished_runs(out: Path) -> list[str]:
    """Ids of every finished run folder under ``OUT/runs``."""
    runs = Path(out) / "runs"
    if not runs.is_dir():
        return []
    return sorted(p.name for p in runs.iterdir() if p.is_dir() and is_finished(out, p.name))


def read_failures(out: Path) -> list[dict[str, Any]]:
    """Every failed attempt recorded in ``OUT/failures.jsonl`` (oldest first)."""
    path = Path(out) / FAILURES
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            rows.append(json.loads(line))
    return rows


def _record_failure(out: Path, run: RunSpec, e: BaseException, attempt: int) -> str:
    line = _error_line(e)
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    _append_failure(out, run.run_id, line, tb, attempt)
    return line


def _append_failure(out: Path, run_id: str, line: str, tb: str, attempt: int) -> None:
    """One JSON line in ``OUT/failures.jsonl``, appended in a single write (safe to share)."""
    rec = {"run_id": run_id, "time": _now(), "attempt": attempt, "error": line, "traceback": tb}
    fd = os.open(Path(out) / FAILURES, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(rec) + "\n").encode())
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def sweep_lock(out: Path) -> Iterator[None]:
    """Hold ``OUT/.bench.lock`` (pid, host) for the duration; a stale lock is taken over.

    Raises:
        GraphaeError: When a live process holds the lock.
    """
    path = Path(out) / LOCK
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                holder = {}
            pid = int(holder.get("pid", 0) or 0)
            same_host = holder.get("host") == me["host"]
            if pid and pid != me["pid"] and (not same_host or _pid_alive(pid)):
                raise GraphaeError(
                    f"another graphae bench (pid {pid} on {holder.get('host')}) is writing {out}; "
                    f"wait for it, or delete {path} if that process is gone"
                ) from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _live_holder(path: Path) -> dict[str, Any] | None:
    """The holder recorded in a lock file if that process may still be alive, else None."""
    try:
        holder = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    pid = int(holder.get("pid", 0) or 0)
    if not pid:
        return None
    if holder.get("host") != socket.gethostname() or _pid_alive(pid):
        return holder
    return None


def _refuse_old_sweep_lock(out: Path) -> None:
    """An older graphae holding the whole-sweep lock: do not write beside it."""
    holder = _live_holder(Path(out) / LOCK)
    if holder is not None and int(holder.get("pid", 0)) != os.getpid():
        raise GraphaeError(
            f"another graphae bench (pid {holder.get('pid')} on {holder.get('host')}) is writing "
            f"{out}; wait for it, or delete {Path(out) / LOCK} if that process is gone"
        )


@contextlib.contextmanager
def run_lock(out: Path, run_id: str) -> Iterator[bool]:
    """Hold ``OUT/.locks/<run_id>.lock`` for the block; yields False (and holds nothing)
    when a live process holds it. A lock left by a dead process is taken over."""
    folder = Path(out) / RUN_LOCKS
    folder.mkdir(exist_ok=True)
    path = folder / f"{run_id}.lock"
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _live_holder(path) is not None:
                yield False
                return
            path.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        break
    else:  # pragma: no cover - lost two races in a row
        yield False
        return
    try:
        yield True
    finally:
        path.unlink(missing_ok=True)


def _check_out(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise GraphaeError(f"--out {out} is a file; choose a folder for the sweep")
    if (out / SWEEP).is_file() or not any(out.iterdir()):
        return
    raise GraphaeError(
        f"--out {out} exists and is not a graphae sweep folder (no {SWEEP}); choose a new folder"
    )


def _clean_stale(out: Path) -> None:
    """Remove temporary folders a killed process left under ``OUT/runs`` (ours only; never
    those of a run another live process holds the lock of)."""
    runs = out / "runs"
    if not runs.is_dir():
        return
    for p in runs.iterdir():
        if p.is_dir() and _STALE.match(p.name):
            run_id = re.sub(r"\.(tmp|old)-[0-9a-f]{8}$", "", p.name[1:])
            if _live_holder(out / RUN_LOCKS / f"{run_id}.lock") is not None:
                continue
            log.info("removing %s left by an interrupted run", p.name)
            shutil.rmtree(p, ignore_errors=True)


def _write_sweep(out: Path, spec: SweepSpec, runs: list[RunSpec], skipped: list[str]) -> None:
    path = out / SWEEP
    old: dict[str, Any] = {}
    if path.is_file():
        with contextlib.suppress(json.JSONDecodeError, OSError):
            old = json.loads(path.read_text())
    info = {
        "name": spec.name,
        "description": spec.description,
        "source": spec.source,
        "created": old.get("created", _now()),
        "updated": _now(),
        "seeds": spec.seeds,
        "skipped_datasets": skipped,
        "runs": [r.labels() for r in runs],
    }
    tmp = path.with_name(f".{SWEEP}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(info, indent=1))
    os.replace(tmp, path)
    if spec.text:
        (out / "spec.yaml").write_text(spec.text)


class _GraphCache:
    """Loads each dataset once per sweep."""

    def __init__(self) -> None:
        self._graphs: dict[str, Any] = {}

    def get(self, config: Any) -> Any:
        from graphae.pipeline import load_input

        key = json.dumps(
            [config.dataset, config.graph, config.features, config.feature_ids, config.labels,
             config.directed, config.data_root], default=str,
        )  # fmt: skip
        if key not in self._graphs:
            self._graphs[key] = load_input(config)
        return self._graphs[key]


def run_one(
    run: RunSpec,
    graph: Any,
    out: Path,
    *,
    layers: dict[str, bool] | None = None,
    save: dict[str, bool] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Train (or build) one run, probe it, and write its folder atomically.

    Args:
        run: The run.
        graph: Its loaded graph.
        out: The sweep folder.
        layers: Layer-wise probe switches ``{node, link, nmi}`` (``{}``/None: off).
        save: ``{embeddings, model, history}``.
        progress: Show the per-run training progress bar.

    Returns:
        The run's ``bench.json`` record (labels, status, headline metrics).
    """
    from graphae.bench.baselines import (
        HEURISTIC_BASELINES,
        BaselineSkipped,
        baseline_embeddings,
        heuristic_metrics,
    )
    from graphae.embeddings import Embeddings
    from graphae.evaluation.measure import probe_embeddings
    from graphae.pipeline import fit, make_split
    from graphae.rundir import save_checkpoint, write_atomic_folder

    layers = layers or {}
    save = save or {}
    cfg = run.config
    record: dict[str, Any] = {**run.labels(), "status": "ok", "finished": None}
    layer_records: list[dict[str, Any]] | None = None
    model = None
    z = None
    t0 = time.perf_counter()
    if run.kind == "model":
        if torch.cuda.is_available():  # peak_cuda in result.json is then this run's own
            torch.cuda.reset_peak_memory_stats()
        trained = fit(cfg, graph, progress=progress)
        result, model, z = trained.result, trained.model, trained.z.numpy()
        train_loss = _train_recon_loss(
            result.history,
            result.best_epoch,
            run.decoder_kind,
            measured_next=cfg.select == "loss" and cfg.batch_size is None,
        )
        if train_loss is not None:
            result.metrics["recon/train_loss"] = train_loss
        if layers:
            layer_records = _layer_probes(model, graph, trained.split, cfg, layers)
        result.timings["layers"] = time.perf_counter() - t0 - result.timings["total"]
    elif run.baseline in HEURISTIC_BASELINES:  # scores pairs: link metrics, no embeddings
        split = make_split(graph, cfg)
        metrics = heuristic_metrics(run.baseline, graph, split)
        metrics.update({"params/encoder": 0, "params/decoder": 0})
        result = _baseline_result(cfg, graph, split, metrics, t0, t0)
    else:
        split = make_split(graph, cfg)
        try:
            z, counts, model = baseline_embeddings(run.baseline or "", cfg, graph, split)
        except BaselineSkipped as e:
            record.update(status="skipped", reason=str(e))
            result = None
        else:
            t_probe = time.perf_counter()
            metrics = probe_embeddings(z, graph, split, cfg.seed)
            metrics.update(_inner_product_link(z, split, graph))
            metrics.update({f"params/{k}": v for k, v in counts.items()})
            if model is not None and layers:
                layer_records = _layer_probes(model, graph, split, cfg, layers)
            result = _baseline_result(cfg, graph, split, metrics, t0, t_probe)
    if result is not None and not save.get("history", True):
        result.history = []
    record["finished"] = _now()
    record["seconds"] = time.perf_counter() - t0
    if result is not None:
        record["device"] = result.device

    def write(tmp: Path) -> None:
        (tmp / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
        (tmp / "bench.json").write_text(json.dumps(record, indent=2))
        if result is not None:
            (tmp / "result.json").write_text(result.to_json())
        if layer_records is not None:
            (tmp / "layers.json").write_text(json.dumps({"layers": layer_records}, indent=1))
        if z is not None and save.get("embeddings", False):
            Embeddings(graph.nodes.ids, z).save(tmp / "embeddings.npy")
        if model is not None and save.get("model", False):
            spec = {
                "config": cfg.to_dict(),
                "in_channels": graph.num_features,
                "num_nodes": graph.num_nodes,
            }
            save_checkpoint(tmp, model, spec, graph.nodes.to_json())

    write_atomic_folder(run_folder(out, run.run_id), write)
    if result is not None:
        record["metrics"] = result.metrics
    return record


def _baseline_result(
    cfg: Any, graph: Any, split: Any, metrics: dict[str, Any], t0: float, t_eval: float
) -> Any:
    """The :class:`~graphae.results.RunResult` of a baseline row (no training, on the CPU).

    Args:
        cfg: The row's :class:`~graphae.config.RunConfig`.
        graph: Its :class:`~graphae.data.graph.Graph`.
        split: Its :class:`~graphae.data.split.LinkSplit`.
        metrics: The measured metrics.
        t0: ``time.perf_counter()`` when the row started.
        t_eval: ``time.perf_counter()`` when its scoring started.
    """
    from graphae.results import RunResult, graph_record
    from graphae.training.runtime import peak_memory

    now = time.perf_counter()
    return RunResult(
        config=cfg.to_dict(), metrics=metrics, best_epoch=0, epochs_run=0,
        timings={"total": now - t0, "train": 0.0, "per_epoch": 0.0, "evaluate": now - t_eval},
        memory=peak_memory(torch.device("cpu")),
        graph=graph_record(graph, split),
        device="cpu",
    )  # fmt: skip


def _train_recon_loss(
    history: list[dict[str, float]], best_epoch: int, kind: str, measured_next: bool = False
) -> float | None:
    """The reconstruction loss the decoder reached on the training graph at the selected epoch.

    The epoch's mean training loss of the decoder's kind (``loss/structure`` or
    ``loss/feature``; the total ``loss`` for joint models), as logged by
    :func:`graphae.pipeline.fit` (training mode, the epoch's sampled negatives).
    An epoch's logged loss is its forward pass's, before its step. With
    ``measured_next`` (full-batch ``select="loss"``, which keeps the parameters
    whose loss was lowest) the kept parameters of epoch ``b`` are the ones epoch
    ``b + 1``'s record measured, so that record is read.
    ``None`` for self-supervised rows (``contrastive``: they reconstruct nothing).
    """
    epoch = best_epoch + 1 if measured_next else best_epoch
    rec = next((h for h in history if h.get("epoch") == epoch), None)
    if rec is None or kind == "contrastive":
        return None
    key = {"structure": "loss/structure", "feature": "loss/feature"}.get(kind, "loss")
    value = rec.get(key, rec.get("loss"))
    return None if value is None else float(value)


def _layer_probes(
    model: Any, graph: Graph, split: LinkSplit, cfg: RunConfig, layers: dict[str, Any]
) -> list[dict[str, Any]]:
    """Layer-wise probes of ``model`` with the run's seed, inputs and probe choice."""
    from graphae.bench.probes import layerwise_probes

    return layerwise_probes(
        model, graph, split, cfg.seed, node=layers.get("node", True),
        link=layers.get("link", True), nmi=layers.get("nmi", True),
        feature_norm=cfg.feature_norm, max_width=layers.get("max_width"),
    )  # fmt: skip


def _inner_product_link(z: Any, split: Any, graph: Any) -> dict[str, float]:
    """``link_ip/*``: the parameter-free inner product's link metrics on a baseline's ``z``."""
    import numpy as np

    from graphae.data.split import has_pairs
    from graphae.evaluation.metrics import link_metrics, ogb_metrics

    zc = np.asarray(z, dtype=np.float64)
    out: dict[str, float] = {}
    for part, pos_pairs, neg_pairs in (
        ("val/", split.val_pos, split.val_neg),
        ("", split.test_pos, split.test_neg),
    ):
        if not has_pairs(pos_pairs, neg_pairs):  # val_ratio / test_ratio 0
            continue
        p, q = pos_pairs.cpu().numpy(), neg_pairs.cpu().numpy()
        pos = (zc[p[0]] * zc[p[1]]).sum(axis=1)
        neg = (zc[q[0]] * zc[q[1]]).sum(axis=1)
        link = link_metrics(pos, neg)
        ogb = graph.meta.get("ogb_name") if hasattr(graph, "meta") else None
        if ogb is not None:
            link.update(ogb_metrics(ogb, pos, neg))
        out.update({f"{part}link_ip/{k}": float(v) for k, v in link.items()})
    return out


def _headline(record: dict[str, Any]) -> str:
    m = record.get("metrics") or {}
    keys = [
        ("probe/node_accuracy", "node"),
        ("probe/link_auc", "link-probe"),
        ("link/auc", "auc"),
        ("recon/loss", "loss"),
    ]
    parts = [f"{short}={m[k]:.3f}" for k, short in keys if k in m]
    return " ".join(parts)


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    dry_run: bool = False,
    retry_failed: bool = True,
    fail_fast: bool = False,
    only: str | None = None,
    max_runs: int | None = None,
    device: str | None = None,
    data_root: str | None = None,
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
    run_fn: Callable[..., dict[str, Any]] = run_one,
    jobs: int = 1,
) -> SweepOutcome:
    """Run every unfinished run of a sweep.

    Args:
        spec: The validated spec.
        out: The sweep folder (created; must be new, empty or an earlier sweep folder).
        dry_run: List the runs (``echo`` gets one line per run, marked done/failed/todo)
            and run nothing.
        retry_failed: Run again the runs that failed before (else leave them).
        fail_fast: Stop at the first failure (re-raise it).
        only: Run only runs whose id contains this substring (or matches as a regex).
        max_runs: Stop after this many runs (for smoke tests).
        device: Override every run's device (run ids do not change).
        data_root: Override every run's data root (run ids do not change).
        progress: Show a progress bar over the sweep (done/total, ETA) and per run.
        echo: Called with one line per finished or failed run (the CLI prints it).
        run_fn: The per-run function (tests substitute it; picklable when ``jobs > 1``).
        jobs: Worker processes running independent runs at once (1: in this process).

    Returns:
        The :class:`SweepOutcome`.

    Raises:
        GraphaeError: On a folder that is not a sweep folder or is locked.
        KeyboardInterrupt: Passed on after the runs already finished were kept.
    """
    t0 = time.perf_counter()
    out = Path(out)
    say = echo or (lambda _s: None)
    if data_root is not None:  # before runs(): optional datasets are looked for there
        spec = dataclasses.replace(spec, train={**spec.train, "data_root": data_root})
    runs = spec.runs()
    skipped = spec.skipped_datasets()
    if device is not None:
        runs = [dataclasses.replace(r, config=r.config.replace(device=device)) for r in runs]
    selected = runs
    if only:
        pat = re.compile(only) if any(c in only for c in "^$[]()*+?\\|") else None
        selected = [r for r in runs if (pat.search(r.run_id) if pat else only in r.run_id)]
    outcome = SweepOutcome(total=len(selected), skipped_datasets=skipped)
    failed_before = {f["run_id"] for f in read_failures(out)} if out.is_dir() else set()
    done = {r.run_id for r in selected if out.is_dir() and is_finished(out, r.run_id)}
    outcome.already_done = len(done)
    if dry_run:
        for r in selected:
            state = (
                "done" if r.run_id in done else "failed" if r.run_id in failed_before else "todo"
            )
            say(f"{state:<6} {r.describe()}")
        for name in skipped:
            say(f"(skipped: dataset {name} is optional and its files are absent)")
        return outcome
    if jobs < 1:
        raise GraphaeError(f"--jobs must be >= 1, got {jobs}")
    _check_out(out)
    out.mkdir(parents=True, exist_ok=True)
    _refuse_old_sweep_lock(out)
    _clean_stale(out)
    _write_sweep(out, spec, runs, skipped)
    todo = [r for r in selected if r.run_id not in done]
    if not retry_failed:
        todo = [r for r in todo if r.run_id not in failed_before]
    if max_runs is not None:
        todo = todo[:max_runs]
    attempts: dict[str, int] = {}
    for f in read_failures(out):
        attempts[f["run_id"]] = attempts.get(f["run_id"], 0) + 1
    bar = _sweep_bar(outcome.total, outcome.already_done, spec.name, progress)

    def finished(run: RunSpec, status: str, payload: Any) -> None:
        """Book one run's outcome (``ok``, ``failed``, ``locked`` or ``done``)."""
        if status == "failed":
            line, tb, exc = payload
            attempts[run.run_id] = attempts.get(run.run_id, 0) + 1
            _append_failure(out, run.run_id, line, tb, attempts[run.run_id])
            outcome.failed[run.run_id] = line
            log.warning("run %s failed: %s", run.run_id, line)
            _write(bar, say, f"FAILED {run.run_id}: {line}")
            if fail_fast:
                raise exc if isinstance(exc, BaseException) else GraphaeError(line)
        elif status == "ok":
            outcome.ran.append(run.run_id)
            rec = payload
            msg = (
                _headline(rec)
                if rec.get("status", "ok") == "ok"
                else f"skipped: {rec.get('reason')}"
            )
            _write(bar, say, f"done   {run.run_id} ({rec.get('seconds', 0):.1f} s) {msg}")
        elif status == "done":  # another process finished it meanwhile
            outcome.already_done += 1
        else:
            outcome.locked.append(run.run_id)
            _write(bar, say, f"locked {run.run_id}: another process is running it")
        bar.update(1)

    try:
        if jobs == 1:
            graphs = _GraphCache()
            for run in todo:
                bar.set_description(f"{spec.name} {run.dataset} {run.decoder or run.baseline}")
                status, payload = _run_locked(
                    run, out, graphs, spec.layers, spec.save, progress, run_fn, catch=not fail_fast
                )
                finished(run, status, payload)
        elif todo:
            _run_parallel(todo, out, spec, jobs, run_fn, finished)
    finally:
        bar.close()
        outcome.seconds = time.perf_counter() - t0
    return outcome


def _run_locked(
    run: RunSpec,
    out: Path,
    graphs: _GraphCache,
    layers: dict[str, bool],
    save: dict[str, bool],
    progress: bool,
    run_fn: Callable[..., dict[str, Any]],
    catch: bool = True,
) -> tuple[str, Any]:
    """One run under its lock: ``("ok", record)``, ``("failed", (line, traceback, exc))``,
    ``("locked", None)`` (a live process holds it) or ``("done", None)`` (finished meanwhile)."""
    with run_lock(out, run.run_id) as mine:
        if not mine:
            return "locked", None
        if is_finished(out, run.run_id):
            return "done", None
        try:
            graph = graphs.get(run.config)
            return "ok", run_fn(run, graph, out, layers=layers, save=save, progress=progress)
        except Exception as e:  # one failed run must not stop the sweep
            if not catch:
                attempts = 1 + sum(f["run_id"] == run.run_id for f in read_failures(out))
                _record_failure(out, run, e, attempts)
                raise
            tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            return "failed", (_error_line(e), tb, e)


# --------------------------------------------------------------------------- --jobs N

_WORKER: dict[str, Any] = {}


def _worker_devices(runs: list[RunSpec]) -> list[str]:
    """``cuda:0 .. cuda:(n-1)`` when some run asks for auto/cuda and CUDA is there, else []."""
    wants = any(r.config.device in ("auto", "cuda") for r in runs)
    if wants and torch.cuda.is_available():
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return []


def _worker_init(counter: Any, devices: list[str], threads: int) -> None:
    """A worker process: its index and device, a graph cache, no SIGINT, dies with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    with contextlib.suppress(Exception):  # Linux: SIGTERM when the parent dies
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    torch.set_num_threads(max(1, min(torch.get_num_threads(), threads)))
    _WORKER.update(
        index=index, device=devices[index % len(devices)] if devices else None, graphs=_GraphCache()
    )


def _worker_run(
    run: RunSpec,
    out: Path,
    layers: dict[str, bool],
    save: dict[str, bool],
    run_fn: Callable[..., dict[str, Any]],
) -> tuple[str, Any]:
    device = _WORKER.get("device")
    if device is not None and run.config.device in ("auto", "cuda"):
        run = dataclasses.replace(run, config=run.config.replace(device=device))
    status, payload = _run_locked(run, out, _WORKER["graphs"], layers, save, False, run_fn)
    if status == "failed":  # the exception travels back only if it pickles
        import pickle

        line, tb, exc = payload
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            exc = None
        payload = (line, tb, exc)
    return status, payload


def _worker_run_at(item: tuple[int, RunSpec], **kwargs: Any) -> tuple[int, tuple[str, Any]]:
    """:func:`_worker_run` of ``todo[index]``, returning the index with the outcome."""
    index, run = item
    return index, _worker_run(run, **kwargs)


def _run_parallel(
    todo: list[RunSpec],
    out: Path,
    spec: SweepSpec,
    jobs: int,
    run_fn: Callable[..., dict[str, Any]],
    finished: Callable[[RunSpec, str, Any], None],
) -> None:
    """Run ``todo`` in ``jobs`` spawned worker processes, booking each as it ends.

    Runs start in ``todo``'s order and are booked (progress line, failure record,
    ``fail_fast``) as soon as each one ends, not in submission order: a long run no
    longer holds back the lines of the shorter ones that finished after it started.
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # CUDA-safe; each worker imports graphae afresh
    jobs = min(jobs, len(todo))
    threads = max(1, (os.cpu_count() or 1) // jobs)
    counter = ctx.Value("i", 0)
    pool = ctx.Pool(
        jobs, initializer=_worker_init, initargs=(counter, _worker_devices(todo), threads)
    )
    task = functools.partial(
        _worker_run_at, out=out, layers=spec.layers, save=spec.save, run_fn=run_fn
    )
    try:
        for index, (status, payload) in pool.imap_unordered(task, enumerate(todo)):
            finished(todo[index], status, payload)
        pool.close()
    except BaseException:
        pool.terminate()  # Ctrl-C, fail_fast: stop the workers (their locks go stale)
        raise
    finally:
        pool.join()


def _write(bar: Any, say: Callable[[str], None], line: str) -> None:
    """Print a line above the progress bar (the bar is redrawn below it)."""
    if getattr(bar, "disable", True):
        say(line)
        return
    with bar.external_write_mode():
        say(line)


def _sweep_bar(total: int, initial: int, name: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total, initial=initial, desc=name, unit="run", disable=not enabled, dynamic_ncols=True
    )

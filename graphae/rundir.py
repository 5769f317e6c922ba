"""Run folders: atomic writes, safe replacement, and checkpoints that never unpickle code.

A run folder holds ``config.json``, ``result.json``, ``model.pt`` (a state dict
of tensors, loaded with ``torch.load(weights_only=True)``), ``model.json`` (how
to rebuild the model), ``nodes.json`` (original node ids) and ``embeddings.*``,
plus a ``.graphae-run`` manifest listing the files graphae wrote. Everything is
written into a temporary sibling folder first and renamed into place, so a
crash or Ctrl-C leaves either the previous folder or the new one, never half.

Rules for ``--out`` (issue 9):

* A path that does not exist, an empty folder, or an earlier graphae run folder
  (it holds a readable manifest) may be written. Any other folder is refused
  unless ``force``; with ``force`` graphae adds its own files and refuses to
  overwrite a file of the same name it did not write.
* Replacing an earlier run folder keeps every file the user added to it; a
  user file whose name the new run would overwrite stops the write before
  anything is touched.
* graphae deletes only files it wrote (listed in the manifest, or its own
  temporary and checkpoint files).

Training checkpoints (``graphae train --resume``) live in an in-progress folder
beside the run folder, ``<out>.partial/``, so an interrupted run never touches
the previous outputs:

* ``state-<epoch>.pt`` -- tensors only (model, optimiser, best-so-far model, RNG
  states), written with ``torch.save`` and read with ``weights_only=True``;
* ``checkpoint.json`` -- everything else (epoch, early-stopping counters,
  history, Python/NumPy RNG states, the run's config), written last: renaming
  it into place is the commit point, so a crash mid-write leaves the previous
  checkpoint valid.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import random
import shutil
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphae.errors import GraphaeError, InputError

logger = logging.getLogger(__name__)

MANIFEST = ".graphae-run"
CHECKPOINT_FORMAT = 1
TRAINING_FORMAT = 1
CHECKPOINT_MARKER = ".graphae-checkpoint"
CHECKPOINT_JSON = "checkpoint.json"
PARTIAL_SUFFIX = ".partial"
#: The per-epoch records (JSON lines): in ``<out>.partial/`` while training, then in the run folder.
METRICS_FILE = "metrics.jsonl"
#: In ``<out>.partial/``: the run was started with ``--overwrite`` (a resume may replace ``out``).
OVERWRITE_MARKER = ".graphae-overwrite"

#: Files a run folder may hold (``embeddings.*`` in any format), for the ``--force`` check.
RUN_FILE_NAMES = (
    "config.json",
    "result.json",
    "model.pt",
    "model.json",
    "nodes.json",
    "embeddings.npy",
    "embeddings.ids.json",
    "embeddings.npz",
    "embeddings.csv",
    "embeddings.parquet",
    METRICS_FILE,
    MANIFEST,
)


# ----------------------------------------------------------------- run folders


def _manifest_files(path: Path) -> set[str] | None:
    """Names listed in ``path``'s manifest, or ``None`` when it has no readable manifest."""
    try:
        obj = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = obj.get("files") if isinstance(obj, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return {f for f in files if "/" not in f and f not in ("", ".", "..")}


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` is a folder graphae wrote (it holds a readable manifest)."""
    return Path(path).is_dir() and _manifest_files(Path(path)) is not None


def check_out_dir(out: Path, force: bool = False) -> None:
    """Refuse an ``--out`` that would clobber data graphae did not write.

    Allowed: a path that does not exist, an empty folder, an earlier graphae run
    folder, or any folder with ``force`` -- then only graphae's own file names
    are added, and a same-named file graphae did not write is refused.

    Raises:
        GraphaeError: Otherwise, with how to fix it.
    """
    out = Path(out)
    if not out.exists():
        for parent in out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise GraphaeError(f"--out {out}: {parent} is a file, not a folder")
                break
        return
    if not out.is_dir():
        raise GraphaeError(f"--out {out} is a file, not a folder; choose a folder path")
    if is_run_folder(out) or not any(out.iterdir()):
        return
    if force:
        clash = sorted(n for n in RUN_FILE_NAMES if (out / n).exists())
        if clash:
            raise GraphaeError(
                f"--out {out}: --force would overwrite {clash[0]}, which graphae did not "
                "write; move it away or choose another folder"
            )
        return
    raise GraphaeError(
        f"--out {out} exists and is not a graphae run folder; choose a new folder or pass --force "
        "(graphae then writes only its own files there and deletes nothing)"
    )


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends (renames must not be cut in half).

    Inside the block the Python-level handlers only record the signal; when the
    block ends the previous handlers are restored and a recorded signal is raised
    again, so it is delivered right after the block. (Blocking the signal with
    ``pthread_sigmask`` is not enough: the kernel hands a process-directed signal
    to any thread that does not block it, and Python then interrupts the main
    thread anyway.) Outside the main thread handlers cannot be changed and this
    is a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (signal.SIGINT, signal.SIGTERM)
    pending: list[int] = []
    old = {sig: signal.signal(sig, lambda signum, _frame: pending.append(signum)) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)


def write_atomic_folder(out: Path, write: Callable[[Path], None], force: bool = False) -> None:
    """Build a folder's contents with ``write(tmp_dir)`` then move it into place at ``out``.

    Args:
        out: Destination folder.
        write: Fills the temporary folder it is given.
        force: Allow writing into a non-empty folder graphae did not create.

    Raises:
        GraphaeError: When ``out`` may not be written (see :func:`check_out_dir`).
    """
    out = Path(out)
    check_out_dir(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write(tmp)
        names = sorted(p.name for p in tmp.iterdir())
        (tmp / MANIFEST).write_text(json.dumps({"files": names}, indent=1))
        _fsync_folder(tmp)  # the data is on disk before the rename makes it visible
        with signals_deferred():
            _move_into_place(tmp, out)
        _fsync_path(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync_path(path: Path) -> None:
    """``os.fsync`` a file or a folder (a folder's entries: renames), where the OS allows it."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """fsync every file directly in ``folder``, then the folder itself."""
    for p in folder.iterdir():
        if p.is_file() and not p.is_symlink():
            _fsync_path(p)
    _fsync_path(folder)


def _move_into_place(tmp: Path, out: Path) -> None:
    new = {p.name for p in tmp.iterdir()}
    if not out.exists():
        os.rename(tmp, out)
        return
    ours = _manifest_files(out) if out.is_dir() else None
    if ours is not None:
        ours |= {MANIFEST}
        kept = [p for p in out.iterdir() if p.name not in ours]
        clash = sorted(p.name for p in kept if p.name in new)
        if clash:
            raise GraphaeError(
                f"--out {out}: {clash[0]} in the earlier run folder was not written by graphae "
                "and the new run would overwrite it; move it away and rerun"
            )
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)
            raise
        for p in kept:  # keep anything the user added to the old run folder
            os.rename(old / p.name, out / p.name)
        for name in ours:  # delete only what graphae wrote
            p = old / name
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            elif p.exists() or p.is_symlink():
                p.unlink()
        with contextlib.suppress(OSError):
            old.rmdir()
        return
    # An empty folder, or --force into a user's folder: add our names only.
    clash = sorted(n for n in new if (out / n).exists())
    if clash:
        raise GraphaeError(
            f"--out {out}: {clash[0]} exists and was not written by graphae; "
            "move it away or choose another folder"
        )
    for p in tmp.iterdir():
        os.replace(p, out / p.name)
    tmp.rmdir()


# ----------------------------------------------------------------- model checkpoints


def save_checkpoint(
    folder: Path, model: torch.nn.Module, spec: dict[str, Any], nodes: dict[str, Any]
) -> None:
    """Write ``model.pt`` (tensors only), ``model.json`` (rebuild spec) and ``nodes.json``."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save(state, folder / "model.pt")
    (folder / "model.json").write_text(json.dumps({"format": CHECKPOINT_FORMAT, **spec}, indent=2))
    (folder / "nodes.json").write_text(json.dumps(nodes))


def safe_torch_load(path: Path) -> Any:
    """``torch.load(weights_only=True)``: tensors and plain containers only, never code."""
    import pickle
    import warnings

    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols on stderr
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:  # a global outside the tensor allowlist: maybe code
        text = str(e)
        marker = "Unsupported global: GLOBAL "
        culprit = text.split(marker, 1)[1].split()[0].rstrip(".,;:") if marker in text else ""
        what = f" ({culprit})" if culprit else ""
        raise InputError(
            f"refused or corrupted checkpoint: it holds pickled Python objects{what}, not only "
            "tensors, and loading it could run code; graphae loads tensors only -- retrain or "
            "use a run folder you trust",
            str(path),
        ) from None
    except Exception as e:  # zip errors, truncated files, not a torch file at all
        raise InputError(
            f"refused or corrupted checkpoint: not a readable torch tensor file "
            f"({type(e).__name__}); retrain or re-download the run folder",
            str(path),
        ) from None


def load_checkpoint(
    folder: str | Path,
) -> tuple[dict[str, torch.Tensor], dict[str, Any], dict[str, Any]]:
    """Read a checkpoint without executing anything from the files.

    Args:
        folder: A run folder.

    Returns:
        ``(state_dict, model_spec, nodes_json)``.

    Raises:
        InputError: When the folder is not a readable graphae checkpoint
            (missing files, corrupted JSON, or a ``model.pt`` that holds anything
            but tensors -- e.g. a pickle crafted to run code, which is refused
            without being executed).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            "not a run folder (expected a folder holding model.pt and model.json)", str(folder)
        )
    for name in ("model.pt", "model.json", "nodes.json"):
        if not (folder / name).is_file():
            raise InputError(
                f"missing {name}; is this a folder written by graphae train?", str(folder)
            )
    try:
        spec = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        nodes = json.loads((folder / "nodes.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(
            f"corrupted checkpoint metadata ({e.__class__.__name__}); retrain", str(folder)
        ) from None
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise InputError("model.json does not describe a graphae model; retrain", str(folder))
    state = safe_torch_load(folder / "model.pt")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError("model.pt does not hold a state dict of tensors", str(folder / "model.pt"))
    return state, spec, nodes


def save_run(
    out: str | Path,
    run: Any,
    *,
    embeddings_format: str = "npy",
    force: bool = False,
    metrics: str | Path | None = None,
) -> Path:
    """Write a trained run's folder atomically (every file fsynced before the rename).

    Args:
        out: Destination folder.
        run: A :class:`graphae.pipeline.TrainedRun`.
        embeddings_format: ``npy``, ``npz``, ``csv`` or ``parquet``.
        force: Allow writing into a non-empty folder graphae did not create.
        metrics: The run's in-progress ``metrics.jsonl`` (copied in as
            :data:`METRICS_FILE`); ``None``: written from ``run.result.history``.

    Returns:
        The folder path.
    """
    from graphae.embeddings import Embeddings

    fmt = check_embeddings_format(embeddings_format)
    out = Path(out)
    emb = Embeddings(run.graph.nodes.ids, run.export_z.numpy())

    def write(tmp: Path) -> None:
        (tmp / "config.json").write_text(json.dumps(run.config.to_dict(), indent=2))
        (tmp / "result.json").write_text(run.result.to_json())
        if metrics is not None and Path(metrics).is_file():
            shutil.copyfile(metrics, tmp / METRICS_FILE)
        else:
            lines = "".join(json.dumps(r) + "\n" for r in run.result.history)
            (tmp / METRICS_FILE).write_text(lines, encoding="utf-8")
        # the exported embeddings/model: over every edge when export_edges is all/refit
        emb.save(tmp / f"embeddings.{fmt}", quiet=True)  # logged below, at its final path
        spec = {
            "config": run.config.to_dict(),
            "in_channels": run.graph.num_features,
            "num_nodes": run.graph.num_nodes,
        }
        save_checkpoint(tmp, run.export_model, spec, run.graph.nodes.to_json())

    write_atomic_folder(out, write, force=force)
    logger.info("wrote %s (%d nodes x %d dims)", out / f"embeddings.{fmt}", len(emb), emb.dim)
    return out


def check_embeddings_format(embeddings_format: str) -> str:
    """Normalised ``npy``/``npz``/``csv``/``parquet``, or a :class:`GraphaeError`."""
    fmt = embeddings_format.lower().lstrip(".")
    if fmt not in {"npy", "npz", "csv", "parquet"}:
        raise GraphaeError(
            f"unknown embeddings format {embeddings_format!r}; use npy, npz, csv or parquet"
        )
    return fmt


# ----------------------------------------------------------------- training checkpoints


def partial_dir(out: str | Path) -> Path:
    """The in-progress checkpoint folder of run folder ``out``: ``<out>.partial``."""
    out = Path(out)
    return out.with_name(out.name + PARTIAL_SUFFIX)


@dataclass
class TrainingState:
    """Everything :func:`graphae.pipeline.fit` needs to continue a run exactly.

    Attributes:
        epoch: Last completed epoch (1-based).
        model: Model state dict.
        optimizer: Main optimiser state dict.
        extra_optimizers: State dicts of the optimisers of a model's adversaries
            (ARGA's discriminator, under ``"_disc_opt"``), by key
            (``strategy.extra_state_dict()``).
        best_score: Best validation score so far.
        best_epoch: Epoch of ``best_score`` (0: none yet).
        best_state: Model state dict at ``best_epoch`` (``None``: none yet).
        bad_evals: Evaluations since the last improvement (early stopping).
        history: Per-epoch records so far.
        rng: RNG states: ``python`` and ``numpy`` (JSON), ``torch``,
            ``generator`` and ``cuda`` (byte tensors).
        config: The run's ``RunConfig.to_dict()``.
        meta: Sizes of the graph and split, checked when resuming.
    """

    epoch: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    best_score: float
    best_epoch: int
    best_state: dict[str, torch.Tensor] | None
    bad_evals: int
    history: list[dict[str, float]]
    rng: dict[str, Any]
    config: dict[str, Any]
    extra_optimizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def capture_rng(generator: torch.Generator | None = None) -> dict[str, Any]:
    """Snapshot of the Python, NumPy, torch (CPU and CUDA) and ``generator`` RNG states."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    rng: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
    }
    if generator is not None:
        rng["generator"] = generator.get_state()
    return rng


def restore_rng(rng: dict[str, Any], generator: torch.Generator | None = None) -> None:
    """Inverse of :func:`capture_rng`."""
    version, internal, gauss = rng["python"]
    random.setstate((int(version), tuple(int(i) for i in internal), gauss))
    kind, keys, pos, has_gauss, cached = rng["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(rng["torch"])
    if rng.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    if generator is not None and rng.get("generator") is not None:
        generator.set_state(rng["generator"].to(generator.get_state().device))


def _tensors_cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _tensors_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_tensors_cpu(v) for v in obj)
    return obj


def prepare_checkpoint_dir(folder: str | Path) -> Path:
    """Create ``folder`` for training checkpoints, or accept one graphae made.

    Raises:
        GraphaeError: When ``folder`` is a file, or a non-empty folder graphae
            did not make (it is never written into).
    """
    folder = Path(folder)
    if folder.exists():
        if not folder.is_dir():
            raise GraphaeError(f"checkpoint folder {folder} is a file; move it away")
        if not (folder / CHECKPOINT_MARKER).is_file():
            if any(folder.iterdir()):
                raise GraphaeError(
                    f"checkpoint folder {folder} exists and was not made by graphae; "
                    "move it away or choose another --out"
                )
            (folder / CHECKPOINT_MARKER).write_text(json.dumps({"format": TRAINING_FORMAT}))
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    (tmp / CHECKPOINT_MARKER).write_text(json.dumps({"format": TRAINING_FORMAT}))
    try:
        os.rename(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def has_training_checkpoint(folder: str | Path) -> bool:
    """Whether ``folder`` holds a committed training checkpoint."""
    folder = Path(folder)
    return (folder / CHECKPOINT_MARKER).is_file() and (folder / CHECKPOINT_JSON).is_file()


def save_training_state(folder: str | Path, state: TrainingState) -> Path:
    """Write a training checkpoint atomically into ``folder``.

    The tensors go to ``state-<epoch>.pt``, the rest to ``checkpoint.json``; the
    JSON is renamed into place last (the commit point), then older state files
    are removed.

    Args:
        folder: A folder made by :func:`prepare_checkpoint_dir`.
        state: What to save.

    Returns:
        Path of ``checkpoint.json``.
    """
    folder = prepare_checkpoint_dir(folder)
    rng = dict(state.rng)
    tensors = {
        "epoch": torch.tensor(state.epoch),
        "model": _tensors_cpu(state.model),
        "optimizer": _tensors_cpu(state.optimizer),
        "extra_optimizers": _tensors_cpu(state.extra_optimizers),
        "best_state": _tensors_cpu(state.best_state) if state.best_state is not None else {},
        "rng_torch": rng.pop("torch"),
        "rng_cuda": [t.cpu() for t in rng.pop("cuda", [])],
    }
    gen = rng.pop("generator", None)
    if gen is not None:
        tensors["rng_generator"] = gen.cpu()
    name = f"state-{state.epoch:07d}.pt"
    tmp = folder / f".{name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        torch.save(tensors, tmp)
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    meta = {
        "format": TRAINING_FORMAT,
        "epoch": state.epoch,
        "state_file": name,
        "best_score": state.best_score if math.isfinite(state.best_score) else None,
        "best_epoch": state.best_epoch,
        "has_best_state": state.best_state is not None,
        "bad_evals": state.bad_evals,
        "history": state.history,
        "rng": rng,
        "config": state.config,
        "meta": state.meta,
    }
    jtmp = folder / f".{CHECKPOINT_JSON}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        jtmp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(jtmp, folder / CHECKPOINT_JSON)
    except BaseException:
        jtmp.unlink(missing_ok=True)
        raise
    for old in folder.glob("state-*.pt"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return folder / CHECKPOINT_JSON


def load_training_state(folder: str | Path) -> TrainingState:
    """Read a training checkpoint written by :func:`save_training_state`.

    Nothing in the files is executed: the JSON is plain data and the tensors are
    loaded with ``torch.load(weights_only=True)``.

    Raises:
        InputError: When there is no checkpoint, or it is corrupted or refused.
    """
    folder = Path(folder)
    path = folder / CHECKPOINT_JSON
    if not has_training_checkpoint(folder):
        raise InputError(
            "no training checkpoint to resume from (the run finished, or was stopped before "
            "its first checkpoint); start it again without --resume",
            str(folder),
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        name = meta["state_file"]
        epoch = int(meta["epoch"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(
            f"corrupted checkpoint metadata ({type(e).__name__}); start the run again without "
            "--resume",
            str(path),
        ) from None
    if not isinstance(name, str) or "/" in name or not (folder / name).is_file():
        raise InputError(f"missing state file {name!r}; start again without --resume", str(path))
    tensors = safe_torch_load(folder / name)
    if (
        not isinstance(tensors, dict)
        or not isinstance(tensors.get("epoch"), torch.Tensor)
        or int(tensors["epoch"]) != epoch
        or not isinstance(tensors.get("model"), dict)
    ):
        raise InputError(
            f"{name} does not match checkpoint.json (epoch {epoch}); start again without --resume",
            str(folder),
        )
    rng = dict(meta.get("rng") or {})
    rng["torch"] = tensors["rng_torch"]
    rng["cuda"] = list(tensors.get("rng_cuda") or [])
    if "rng_generator" in tensors:
        rng["generator"] = tensors["rng_generator"]
    best = meta.get("best_score")
    return TrainingState(
        epoch=epoch,
        model=tensors["model"],
        optimizer=tensors["optimizer"],
        extra_optimizers=tensors.get("extra_optimizers") or {},
        best_score=float(best) if best is not None else -math.inf,
        best_epoch=int(meta["best_epoch"]),
        best_state=tensors["best_state"] if meta.get("has_best_state") else None,
        bad_evals=int(meta["bad_evals"]),
        history=list(meta["history"]),
        rng=rng,
        config=dict(meta["config"]),
        meta=dict(meta.get("meta") or {}),
    )


def read_checkpoint_info(folder: str | Path) -> dict[str, Any] | None:
    """``checkpoint.json`` of ``folder`` (epoch, config...) or ``None`` when absent/unreadable."""
    folder = Path(folder)
    if not has_training_checkpoint(folder):
        return None
    try:
        obj = json.loads((folder / CHECKPOINT_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def remove_checkpoint_dir(folder: str | Path) -> None:
    """Delete a checkpoint folder's graphae files; the folder goes too when nothing else is left."""
    folder = Path(folder)
    if not (folder / CHECKPOINT_MARKER).is_file():
        return
    for p in folder.iterdir():
        n = p.name
        ours = (
            n in (CHECKPOINT_JSON, METRICS_FILE, OVERWRITE_MARKER)
            or (n.startswith("state-") and n.endswith(".pt"))
            or (n.startswith(".") and ".tmp-" in n)
        )
        if ours and p.is_file():
            p.unlink()
    if [p.name for p in folder.iterdir()] == [CHECKPOINT_MARKER]:
        (folder / CHECKPOINT_MARKER).unlink()
        with contextlib.suppress(OSError):
            folder.rmdir()

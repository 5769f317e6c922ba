"""Run folders: atomic writes, safe replacement, and checkpoints that never unpickle code.

A run folder holds ``config.json``, ``result.json``, ``model.pt`` (a state dict
of tensors, loaded with ``torch.load(weights_only=True)``), ``model.json`` (how
to rebuild the model), ``nodes.json`` (original node ids) and ``embeddings.*``,
plus a ``.graphae-run`` manifest listing the files graphae wrote. Everything is
written into a temporary sibling folder first and renamed into place, so a
crash or Ctrl-C leaves either the previous folder or the new one, never half.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from graphae.errors import GraphaeError, InputError

MANIFEST = ".graphae-run"
CHECKPOINT_FORMAT = 1


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` is a folder graphae wrote (it holds the manifest)."""
    return (path / MANIFEST).is_file()


def check_out_dir(out: Path, force: bool = False) -> None:
    """Refuse an ``--out`` that would clobber data graphae did not write.

    Allowed: a path that does not exist, an empty folder, an earlier graphae run
    folder, or any folder with ``force`` (then only graphae's own file names
    are overwritten; nothing else is touched).

    Raises:
        GraphaeError: Otherwise, with how to fix it.
    """
    if not out.exists():
        if out.parent.exists() and not out.parent.is_dir():
            raise GraphaeError(f"--out {out}: {out.parent} is a file, not a folder")
        return
    if not out.is_dir():
        raise GraphaeError(f"--out {out} is a file, not a folder; choose a folder path")
    if is_run_folder(out) or not any(out.iterdir()) or force:
        return
    raise GraphaeError(
        f"--out {out} exists and is not a graphae run folder; choose a new folder or pass --force "
        "(graphae then writes only its own files there and deletes nothing)"
    )


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
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _move_into_place(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.rename(tmp, out)
        return
    if is_run_folder(out):
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(out, old)
        os.rename(tmp, out)
        ours = set(json.loads((old / MANIFEST).read_text()).get("files", [])) | {MANIFEST}
        for p in old.iterdir():  # keep anything the user added to the old run folder
            if p.name not in ours and not (out / p.name).exists():
                os.rename(p, out / p.name)
        shutil.rmtree(old)
        return
    # An empty folder, or --force into a user's folder: replace our names only.
    for p in tmp.iterdir():
        os.replace(p, out / p.name)
    tmp.rmdir()


def save_checkpoint(
    folder: Path, model: torch.nn.Module, spec: dict[str, Any], nodes: dict[str, Any]
) -> None:
    """Write ``model.pt`` (tensors only), ``model.json`` (rebuild spec) and ``nodes.json``."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save(state, folder / "model.pt")
    (folder / "model.json").write_text(json.dumps({"format": CHECKPOINT_FORMAT, **spec}, indent=2))
    (folder / "nodes.json").write_text(json.dumps(nodes))


def load_checkpoint(
    folder: str | Path,
) -> tuple[dict[str, torch.Tensor], dict[str, Any], dict[str, Any]]:
    """Read a checkpoint without executing anything from the files.

    Args:
        folder: A run folder.

    Returns:
        ``(state_dict, model_spec, nodes_json)``.

    Raises:
        InputError: When the folder is not a readable graphae checkpoint.
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
        spec = json.loads((folder / "model.json").read_text())
        nodes = json.loads((folder / "nodes.json").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(
            f"corrupted checkpoint metadata ({e.__class__.__name__}); retrain", str(folder)
        ) from e
    try:
        state = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
    except Exception as e:  # pickle errors, zip errors, refused globals
        raise InputError(
            f"refused or corrupted checkpoint ({type(e).__name__}: {str(e).splitlines()[0][:120]}); "
            "graphae loads tensors only — retrain or re-download the run folder",
            str(folder / "model.pt"),
        ) from e
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError("model.pt does not hold a state dict of tensors", str(folder / "model.pt"))
    return state, spec, nodes


def save_run(
    out: str | Path, run: Any, *, embeddings_format: str = "npy", force: bool = False
) -> Path:
    """Write a trained run's folder atomically.

    Args:
        out: Destination folder.
        run: A :class:`graphae.train.TrainedRun`.
        embeddings_format: ``npy``, ``npz``, ``csv`` or ``parquet``.
        force: Allow writing into a non-empty folder graphae did not create.

    Returns:
        The folder path.
    """
    from graphae.embeddings import Embeddings

    fmt = embeddings_format.lower().lstrip(".")
    if fmt not in {"npy", "npz", "csv", "parquet"}:
        raise GraphaeError(
            f"unknown embeddings format {embeddings_format!r}; use npy, npz, csv or parquet"
        )
    out = Path(out)

    def write(tmp: Path) -> None:
        (tmp / "config.json").write_text(json.dumps(run.config.to_dict(), indent=2))
        (tmp / "result.json").write_text(run.result.to_json())
        Embeddings(run.graph.nodes.ids, run.z.numpy()).save(tmp / f"embeddings.{fmt}")
        spec = {
            "config": run.config.to_dict(),
            "in_channels": run.graph.num_features,
            "num_nodes": run.graph.num_nodes,
        }
        save_checkpoint(tmp, run.model, spec, run.graph.nodes.to_json())

    write_atomic_folder(out, write, force=force)
    return out

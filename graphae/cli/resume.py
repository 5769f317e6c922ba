"""``graphae train``'s run-folder policy: where a run goes, what it may replace, how it resumes.

* :func:`default_out`: ``runs/<graph>-<timestamp>`` when ``--out`` is not given.
* :func:`refuse_earlier_run`: ``--out`` holding an earlier run needs ``--overwrite``.
* :func:`refuse_stale_checkpoint`: a new run never discards an interrupted run's
  ``<out>.partial/`` (nor a user's folder of that name).
* :func:`resumed_config`: ``--resume`` continues with the saved settings; only the
  options in :data:`RESUME_OPTIONS` may be given beside it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from graphae.cli.options import flag_name
from graphae.errors import GraphaeError

__all__ = [
    "RESUME_OPTIONS",
    "default_out",
    "refuse_earlier_run",
    "refuse_stale_checkpoint",
    "resumed_config",
]

#: Options of ``graphae train`` that may accompany ``--resume`` (the others are the saved run's).
RESUME_OPTIONS = {
    "out",
    "resume",
    "force",
    "progress",
    "verbose",
    "device",
    "data_root",
    "embeddings_format",
    "checkpoint_every",
    "overwrite",
    "log_dir",
    "tracker",
    "log_every",
    "as_json",
}


def resumed_config(ctx: typer.Context, ckpt: Path, device: str, data_root: Path | None) -> object:
    """The interrupted run's config from ``<out>.partial/checkpoint.json``.

    Args:
        ctx: The ``train`` command's context (which options came from the command line).
        ckpt: The checkpoint folder ``<out>.partial``.
        device: ``--device`` (used only when given on the command line).
        data_root: ``--data-root``, or ``None``.

    Returns:
        The saved :class:`~graphae.config.RunConfig`, with ``device``/``data_root`` replaced.

    Raises:
        GraphaeError: For a setting given beside ``--resume``, or an unreadable checkpoint.
    """
    from graphae.config import RunConfig
    from graphae.rundir import load_training_state, read_checkpoint_info

    def given_on_command_line(name: str) -> bool:
        return getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"

    given = [n for n in ctx.params if n not in RESUME_OPTIONS and given_on_command_line(n)]
    if given:
        flags = ", ".join(flag_name(g) for g in given)
        raise GraphaeError(
            f"--resume continues the interrupted run with its saved settings; drop {flags} "
            "(or start a new run without --resume)"
        )
    info = read_checkpoint_info(ckpt)
    if info is None or not isinstance(info.get("config"), dict):
        load_training_state(ckpt)  # raises the precise error
        raise GraphaeError(f"{ckpt}: unreadable checkpoint; start the run again without --resume")
    config = RunConfig.from_record(info["config"])
    changes: dict[str, object] = {}
    if given_on_command_line("device"):
        changes["device"] = device
    if data_root is not None:
        changes["data_root"] = str(data_root)
    return config.replace(**changes)


def refuse_stale_checkpoint(ckpt: Path, out: Path) -> None:
    """A new run must not silently discard an interrupted run's checkpoint, nor a user's folder.

    Raises:
        GraphaeError: When ``ckpt`` exists and holds a checkpoint or someone else's files.
    """
    from graphae.rundir import CHECKPOINT_MARKER, read_checkpoint_info

    if not ckpt.exists():
        return
    if not ckpt.is_dir() or (not (ckpt / CHECKPOINT_MARKER).is_file() and any(ckpt.iterdir())):
        raise GraphaeError(
            f"{ckpt} exists and was not made by graphae (graphae keeps the checkpoints of "
            f"--out {out} there); move it away"
        )
    info = read_checkpoint_info(ckpt)
    if info is not None:
        epochs = (info.get("config") or {}).get("epochs")
        raise GraphaeError(
            f"{ckpt} holds an interrupted run (epoch {info.get('epoch')} of {epochs}); continue "
            f"it with `graphae train --resume --out {shlex.quote(str(out))}`, or delete {ckpt} "
            "to start again"
        )


def default_out(config: object) -> Path:
    """``runs/<graph>-<YYYYmmdd-HHMMSS>`` (``-2``, ``-3``... when taken): one folder per run."""
    import re
    import time

    name = getattr(config, "dataset", None) or Path(str(getattr(config, "graph", "") or "run")).name
    name = re.sub(r"(\.(gz|bz2|xz|zst))$", "", str(name), flags=re.I)
    name = re.sub(r"\.[A-Za-z0-9]+$", "", name)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-").lower() or "run"
    base = Path("runs") / f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}"
    out, k = base, 1
    while out.exists() or out.with_name(out.name + ".partial").exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def refuse_earlier_run(out: Path, overwrite: bool, ckpt: Path | None = None) -> None:
    """``--out`` holding an earlier graphae run is replaced only with ``--overwrite``.

    Args:
        out: The run folder.
        overwrite: ``--overwrite``.
        ckpt: When resuming, the checkpoint folder (its run may have been started
            with ``--overwrite``).

    Raises:
        GraphaeError: When ``out`` holds a run and nothing allows replacing it.
    """
    from graphae.rundir import OVERWRITE_MARKER, is_run_folder

    if overwrite or not is_run_folder(out):
        return
    if ckpt is not None and (ckpt / OVERWRITE_MARKER).is_file():
        return  # the interrupted run was started with --overwrite
    raise GraphaeError(
        f"--out {out} holds an earlier graphae run; pass --overwrite to replace it "
        "(files you added there are kept), or choose another --out"
    )

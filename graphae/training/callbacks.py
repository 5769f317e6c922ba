"""Watch and steer a run as it trains: callbacks of :func:`graphae.pipeline.fit`.

A callback is any object with some of these methods (each optional)::

    on_start(history)   # list of records already done (a resumed run), [] otherwise
    on_epoch(record)    # after every epoch: {"epoch", "loss", "loss/<part>", "val/auc"...}
    on_end(result)      # the finished RunResult (metrics of the selected epoch)
    close()             # called by the CLI when the run ends, also on errors
    watch(label)        # a fresh copy watching one of several runs live (see below)

When ``graphae train`` compares decoders on a featureless graph it trains
several candidate runs and keeps one. A callback with ``watch`` gets
``watch(label)``'s copy for each candidate, live (``label`` names the
decoder); the others see only the winner's epochs, replayed once it is chosen.

Records are the entries of ``RunResult.history``: ``val/*`` keys appear in the
epochs that evaluate (every ``eval_every`` epochs and the last one). The
training loop (:class:`~graphae.training.loop.TrainingLoop`) also calls
``on_train_start(start_epoch)``, ``on_epoch_end(epoch, record, selection)``
(every epoch, before its record may be complete) and ``on_train_end()``
(also when training fails or is stopped): :class:`ProgressBar` uses them.

Trackers shipped here:

* :class:`MetricsFile`: appends each record as one JSON line to a file and
  flushes it (``graphae train`` writes ``<out>.partial/metrics.jsonl`` while it
  trains; the finished run folder keeps it as ``metrics.jsonl``).
* :class:`TensorBoardLogger`: TensorBoard event files through
  ``torch.utils.tensorboard`` (the ``tensorboard`` package: ``pip install
  'graphae[tracking]'``); ``graphae train --log-dir DIR``.
* :class:`MLflowLogger`: the same to MLflow, when ``mlflow`` is installed.
* :class:`EpochLogger`: one line every N epochs on a stream (the CLI uses it
  when stderr is not a terminal, so nohup, cluster and CI logs show progress).
* :class:`ProgressBar`: a tqdm bar on stderr (``fit(progress=True)``).

And the two that steer training:

* :class:`TrainingControl`: stops a run cleanly after the current epoch (the
  CLI's signal handler, or a test simulating a kill).
* :class:`Checkpointer`: writes the training state
  (:func:`graphae.rundir.save_training_state`) at the epochs a resumed run
  may continue from; :func:`restore_training_state` is its inverse.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, runtime_checkable

import torch
from torch import nn

from graphae.errors import GraphaeError
from graphae.rundir import TrainingState, capture_rng, restore_rng, save_training_state

if TYPE_CHECKING:
    from graphae.training.selection import ModelSelection

__all__ = [
    "Callback",
    "Checkpointer",
    "EpochLogger",
    "MLflowLogger",
    "MetricsFile",
    "ProgressBar",
    "TensorBoardLogger",
    "TrainingControl",
    "notify",
    "read_metrics",
    "restore_training_state",
]


@runtime_checkable
class Callback(Protocol):
    """What :func:`graphae.pipeline.fit` calls (every method is optional; see the module doc)."""

    def on_epoch(self, record: dict[str, float]) -> None:
        """One epoch's record (``{"epoch": 3, "loss": 0.71, "val/auc": 0.85, ...}``)."""


def notify(callbacks: Iterable[Any], event: str, *args: Any) -> None:
    """Call ``cb.<event>(*args)`` on every callback that has that method."""
    for cb in callbacks:
        method = getattr(cb, event, None)
        if method is not None:
            method(*args)


def _scalars(record: dict[str, Any]) -> dict[str, float]:
    """The finite numbers of a record, without ``epoch``."""
    out: dict[str, float] = {}
    for k, v in record.items():
        if k == "epoch" or isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if math.isfinite(float(v)):
            out[k] = float(v)
    return out


class MetricsFile:
    """Append each epoch's record to a JSON-lines file, flushed and fsynced.

    Every record is flushed to the operating system at once (a killed process
    loses none); ``os.fsync`` runs at most every ``fsync_interval`` seconds and
    when the file is closed, so an epoch of a few milliseconds does not wait on
    the disk (an operating-system crash may lose the last interval's records).
    A resumed run (``on_start`` with the records already done) first rewrites the
    file with exactly those records, so the file never holds an epoch twice.

    Args:
        path: The ``.jsonl`` file.
        fsync_interval: Seconds between fsyncs (0: after every record).
        prepare: Called once before the file is first opened (e.g. to create
            its folder); ``None``: the folder must exist.
    """

    def __init__(
        self,
        path: str | Path,
        fsync_interval: float = 1.0,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        self.path = Path(path)
        self.fsync_interval = max(0.0, float(fsync_interval))
        self._synced = 0.0
        self._prepare = prepare
        self._file: IO[str] | None = None

    def _open(self, mode: str) -> IO[str]:
        if self._prepare is not None:
            self._prepare()
            self._prepare = None
        return self.path.open(mode, encoding="utf-8")

    def on_start(self, history: Sequence[dict[str, Any]]) -> None:
        self.close()
        self._file = self._open("w")
        for record in history:
            self._file.write(json.dumps(record) + "\n")
        self._sync(force=True)

    def on_epoch(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self._file = self._open("a")
        self._file.write(json.dumps(record) + "\n")
        self._sync()

    def on_end(self, result: Any) -> None:
        self.close()

    def _sync(self, force: bool = False) -> None:
        assert self._file is not None
        self._file.flush()
        now = time.monotonic()
        if force or now - self._synced >= self.fsync_interval:
            os.fsync(self._file.fileno())
            self._synced = now

    def close(self) -> None:
        if self._file is not None:
            self._sync(force=True)
            self._file.close()
            self._file = None


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl`` (a last line cut by a crash is skipped)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


class TensorBoardLogger:
    """TensorBoard event files: every record's numbers as scalars at step ``epoch``.

    The finished run's metrics go under ``final/<metric>`` at the selected epoch,
    and the run's settings as text (``config``).

    Args:
        log_dir: Folder of the event files (created).
        config: The run's ``RunConfig.to_dict()``, logged as text; ``None``: none.

    Raises:
        GraphaeError: When the ``tensorboard`` package is not installed.
    """

    def __init__(self, log_dir: str | Path, config: dict[str, Any] | None = None) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise GraphaeError(
                "--log-dir needs the tensorboard package; install it with "
                "pip install 'graphae[tracking]' (or pip install tensorboard)"
            ) from None
        self.log_dir = Path(log_dir)
        self.writer = SummaryWriter(log_dir=str(self.log_dir))
        if config is not None:
            self.writer.add_text("config", "```\n" + json.dumps(config, indent=2) + "\n```")

    def on_epoch(self, record: dict[str, Any]) -> None:
        step = int(record["epoch"])
        for k, v in _scalars(record).items():
            self.writer.add_scalar(k, v, step)

    def on_end(self, result: Any) -> None:
        step = int(getattr(result, "best_epoch", 0))
        for k, v in _scalars(dict(getattr(result, "metrics", {}))).items():
            self.writer.add_scalar(f"final/{k}", v, step)
        self.close()

    def close(self) -> None:
        self.writer.flush()
        self.writer.close()


class MLflowLogger:
    """MLflow tracking: the config as params, every record's numbers as metrics.

    Args:
        tracking_uri: MLflow tracking URI (e.g. ``file:./mlruns``); ``None``: MLflow's default.
        config: The run's ``RunConfig.to_dict()`` (logged as params).
        run_name: Name of the MLflow run.

    Raises:
        GraphaeError: When ``mlflow`` is not installed.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        config: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> None:
        try:
            import mlflow
        except ImportError:
            raise GraphaeError(
                "--tracker mlflow needs the mlflow package; install it with "
                "pip install 'graphae[mlflow]' (or pip install mlflow)"
            ) from None
        self.mlflow = mlflow
        if tracking_uri is not None:
            mlflow.set_tracking_uri(tracking_uri)
        self.run = mlflow.start_run(run_name=run_name)
        if config is not None:
            mlflow.log_params({k: json.dumps(v) for k, v in config.items()})

    @staticmethod
    def _key(name: str) -> str:
        return name.replace("@", "_at_")  # MLflow keys allow [A-Za-z0-9_-./ ]

    def on_epoch(self, record: dict[str, Any]) -> None:
        step = int(record["epoch"])
        self.mlflow.log_metrics({self._key(k): v for k, v in _scalars(record).items()}, step=step)

    def on_end(self, result: Any) -> None:
        metrics = _scalars(dict(getattr(result, "metrics", {})))
        self.mlflow.log_metrics({self._key("final/" + k): v for k, v in metrics.items()})
        self.close()

    def close(self) -> None:
        if self.run is not None:
            self.mlflow.end_run()
            self.run = None


class EpochLogger:
    """One line every ``every`` epochs (and at the last epoch) on ``echo``.

    Example line: ``epoch 40/400: loss 0.5123, val/auc 0.8871 (best 0.8890 at 37), 0.04 s/epoch``.

    Args:
        every: Epochs between lines (>= 1).
        epochs: The run's maximum epochs (shown, and the last epoch always logs).
        echo: Writes one line (e.g. ``lambda s: print(s, file=sys.stderr)``).
    """

    def __init__(self, every: int, epochs: int, echo: Callable[[str], None]) -> None:
        self.every = max(1, int(every))
        self.epochs = int(epochs)
        self.echo = echo
        self.best: tuple[float, int] | None = None
        self._t = time.perf_counter()
        self._last_epoch = 0

    def watch(self, label: str) -> EpochLogger:
        """A fresh logger for one of several runs trained in turn, its lines prefixed
        with ``label``: progress while each candidate trains, with its own timings."""
        return EpochLogger(self.every, self.epochs, lambda s: self.echo(f"{label}: {s}"))

    def on_start(self, history: Sequence[dict[str, Any]]) -> None:
        for record in history:
            self._track_best(record)
        self._last_epoch = int(history[-1]["epoch"]) if history else 0
        self._t = time.perf_counter()

    def _track_best(self, record: dict[str, Any]) -> None:
        auc = record.get("val/auc")
        if (
            isinstance(auc, int | float)
            and math.isfinite(auc)
            and (self.best is None or auc > self.best[0])
        ):
            self.best = (float(auc), int(record["epoch"]))

    def on_epoch(self, record: dict[str, Any]) -> None:
        self._track_best(record)
        epoch = int(record["epoch"])
        if epoch % self.every and epoch != self.epochs:
            return
        now = time.perf_counter()
        per = (now - self._t) / max(1, epoch - self._last_epoch)
        self._t, self._last_epoch = now, epoch
        parts = [f"loss {record['loss']:.4f}"]
        if "val/auc" in record:
            parts.append(f"val/auc {record['val/auc']:.4f}")
        if self.best is not None:
            parts[-1] += f" (best {self.best[0]:.4f} at {self.best[1]})"
        self.echo(f"epoch {epoch}/{self.epochs}: {', '.join(parts)}, {per:.3g} s/epoch")


class ProgressBar:
    """A tqdm bar over the epochs (stderr): the loss and the best selection score so far.

    Args:
        epochs: The run's maximum epochs.
        enabled: Show it (``False``: a disabled bar, nothing printed).
    """

    def __init__(self, epochs: int, enabled: bool = True) -> None:
        self.epochs = epochs
        self.enabled = enabled
        self.bar: Any = None

    def on_train_start(self, start_epoch: int) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=self.epochs, desc="train", unit="epoch", disable=not self.enabled, leave=False
        )
        self.bar.update(start_epoch - 1)

    def on_epoch_end(self, epoch: int, record: dict[str, float], selection: ModelSelection) -> None:
        selector = selection.selector
        self.bar.update(1)
        self.bar.set_postfix(
            {
                "loss": f"{record['loss']:.4f}",
                f"best {selector.name}": selector.shown(selection.best_score),
            }
        )

    def on_train_end(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@dataclass
class TrainingControl:
    """Stops a running :func:`~graphae.pipeline.fit` cleanly after the current epoch.

    The CLI's SIGINT/SIGTERM handler calls :meth:`request_stop` while
    ``running`` is true; tests use ``stop_after`` to simulate a kill after a
    given epoch. The training loop then writes a checkpoint (when ``fit`` has a
    ``checkpoint_dir``) and raises :class:`~graphae.errors.TrainingInterrupted`.

    Attributes:
        stop_after: Stop once this epoch is done (``None``: never by itself).
        stop_requested: Set by :meth:`request_stop`.
        running: True while the training loop is inside its epochs.
    """

    stop_after: int | None = None
    stop_requested: bool = False
    running: bool = False

    def request_stop(self) -> None:
        """Ask training to stop after the epoch in progress."""
        self.stop_requested = True

    def should_stop(self, epoch: int) -> bool:
        """Whether to stop after ``epoch``."""
        return self.stop_requested or (self.stop_after is not None and epoch >= self.stop_after)


class Checkpointer:
    """Writes the training state a resumed run continues from, at the epochs it is due.

    A checkpoint is due every ``every`` epochs and whenever training is
    stopped through :class:`TrainingControl` (never after the last epoch: there
    is nothing left to resume).

    Args:
        directory: The checkpoint folder (:func:`graphae.rundir.save_training_state`).
        every: Write every this many epochs (0: only when stopped).
        config: The run's ``RunConfig.to_dict()``, saved with the state.
        meta: Sizes of the graph and split, checked when resuming.
    """

    def __init__(
        self,
        directory: str | Path,
        every: int = 0,
        config: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.directory = directory
        self.every = every
        self.config = config or {}
        self.meta = meta or {}

    def due(self, epoch: int, stopping: bool) -> bool:
        """Whether a checkpoint is written after ``epoch`` (``stopping``: training stops there)."""
        return bool(stopping or (self.every and epoch % self.every == 0))

    def save(
        self,
        epoch: int,
        model: nn.Module,
        strategy: Any,
        selection: ModelSelection,
        history: list[dict[str, float]],
        generator: torch.Generator,
    ) -> None:
        """Write the state after ``epoch``: parameters, optimisers, best epoch, history, RNGs."""
        save_training_state(
            self.directory,
            TrainingState(
                epoch=epoch,
                model=model.state_dict(),
                optimizer=strategy.state_dict(),
                extra_optimizers=strategy.extra_state_dict(),
                best_score=float(selection.best_score),
                best_epoch=int(selection.best_epoch),
                best_state=selection.best_state,
                bad_evals=selection.bad_evals,
                history=history,
                rng=capture_rng(generator),
                config=self.config,
                meta=self.meta,
            ),
        )


def restore_training_state(
    state: TrainingState,
    model: nn.Module,
    strategy: Any,
    selection: ModelSelection,
    generator: torch.Generator,
) -> None:
    """Put a checkpoint back: parameters, optimisers, best epoch, RNGs (the inverse of
    :meth:`Checkpointer.save`; the history is the caller's to continue)."""
    model.load_state_dict(state.model)
    strategy.load_state_dict(state.optimizer)
    strategy.load_extra_state_dict(state.extra_optimizers)
    selection.restore(state.best_score, state.best_epoch, state.best_state, state.bad_evals)
    restore_rng(state.rng, generator)

"""``graphae train`` under SIGINT/SIGTERM: stop after the epoch, say how to resume.

The first signal inside the epoch loop asks the loop to stop after the epoch in
progress (the loop then writes a checkpoint to ``<out>.partial/`` and raises
:class:`~graphae.errors.TrainingInterrupted`); a second signal, or one outside
the loop, raises :class:`Interrupt` at once. Either way :func:`exit_interrupted`
prints one line saying how to resume and exits with 128 + the signal number
(130 for SIGINT, 143 for SIGTERM).
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import typer

__all__ = ["Interrupt", "exit_interrupted", "stop_on_signals"]


class Interrupt(BaseException):
    """A second SIGINT/SIGTERM (or one outside the epoch loop): stop at once."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def stop_on_signals(control: object, received: dict[str, int]) -> Iterator[None]:
    """SIGINT/SIGTERM: the first one inside the epoch loop stops after the epoch
    (``control.request_stop()``); any other raises :class:`Interrupt`.

    Args:
        control: The loop's stop control (``running``, ``stop_requested``,
            ``request_stop()``).
        received: Filled with ``{"signum": n}`` when a signal arrives.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        received["signum"] = signum
        if getattr(control, "running", False) and not getattr(control, "stop_requested", True):
            control.request_stop()  # type: ignore[attr-defined]
            typer.echo(
                "graphae: stopping after the current epoch (interrupt again to stop at once)",
                err=True,
            )
            return
        raise Interrupt(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


def exit_interrupted(out: Path, ckpt: Path, signum: int, epoch: int | None, epochs: int) -> None:
    """Print the one-line resume instruction and exit with 128 + signal number.

    Args:
        out: The run folder (``--out``).
        ckpt: Its checkpoint folder (``<out>.partial``).
        signum: The signal received.
        epoch: The last finished epoch, or ``None`` when stopped at once.
        epochs: The run's ``epochs``.
    """
    from graphae.rundir import read_checkpoint_info

    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    when = f"after epoch {epoch} of {epochs}" if epoch is not None else "before the end"
    info = read_checkpoint_info(ckpt)
    if info is not None:
        how = (
            f"resume from epoch {info.get('epoch')} with: graphae train --resume --out "
            f"{shlex.quote(str(out))}"
        )
    else:
        how = "no checkpoint was written yet, so run the same command again"
    typer.echo(f"graphae: interrupted by {name} {when}; {out} was not touched; {how}", err=True)
    sys.exit(128 + signum)

"""Exception types shared by the library and the CLI.

A :class:`GraphaeError` is a *user* error: bad input, a missing file, an unknown
name. The CLI prints its message on one line and exits with code 2; it never
shows a traceback for one. Anything else is a bug in graphae.
"""

from __future__ import annotations


class GraphaeError(ValueError):
    """A problem with what the user asked for or gave us (exit code 2 in the CLI).

    Messages are one line and say what is wrong, where (file and line when there
    is one) and how to fix it.
    """


class InputError(GraphaeError):
    """A file or in-memory object could not be read as a graph, features or labels."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line


class DatasetNotFoundError(GraphaeError):
    """A named dataset is not under the data root and could not be downloaded."""


class TrainingInterrupted(Exception):
    """Training was stopped on request (SIGINT/SIGTERM in the CLI) after a finished epoch.

    Attributes:
        epoch: The last finished epoch.
        epochs: The configured number of epochs.
        checkpoint: Folder holding the checkpoint written at ``epoch``, or ``None``.
    """

    def __init__(self, epoch: int, epochs: int, checkpoint: object = None) -> None:
        super().__init__(f"training stopped after epoch {epoch} of {epochs}")
        self.epoch = epoch
        self.epochs = epochs
        self.checkpoint = checkpoint


def exception_summary(e: BaseException, limit: int = 240) -> str:
    """``"Type: message"`` on one line, cut to ``limit`` characters with ``...``.

    Args:
        e: The exception to describe (a library's, whose message may span lines).
        limit: The longest result.
    """
    text = " ".join(str(e).split())
    text = f"{type(e).__name__}: {text}" if text else type(e).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""Where records came from: errors that name the file and line (or the row)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphae.errors import InputError


@dataclass(frozen=True)
class _Where:
    """Where records came from, to build errors that name the file and line.

    Attributes:
        path: File name, or ``None`` for an in-memory object.
        lines: ``(R,)`` physical line number of each record (files only).
        unit: How an in-memory record is named in messages (``"row"``).
    """

    path: str | None
    lines: np.ndarray | None = None
    unit: str = "row"

    def error(self, message: str, i: int | None = None) -> InputError:
        """InputError for record ``i`` (or for the whole source)."""
        if i is None:
            return InputError(message, self.path)
        if self.lines is not None:
            return InputError(message, self.path, int(self.lines[i]))
        return InputError(f"{self.unit} {i} (0-based): {message}", self.path)


def _describe(where: _Where, default: str) -> str:
    return where.path if where.path is not None else default

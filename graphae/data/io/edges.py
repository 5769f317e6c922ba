"""Edges over node tokens as every source reads them, before cleaning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphae.data.io.where import _Where

_EDGE_HINT = "expected an edge list with one 'source,target[,weight]' line per edge"


@dataclass
class _Edges:
    """Edges over node tokens, before cleaning.

    Attributes:
        tokens: ``(T,)`` distinct node ids as text, in first-appearance order
            (may include nodes without edges).
        src: ``(E,)`` int64 positions into ``tokens``.
        dst: ``(E,)`` int64 positions into ``tokens``.
        weight: ``(E,)`` float64 weights, or ``None`` when unweighted.
        where: Source of the edges, for messages.
        name: Graph name.
        meta: Facts about the reading (format, delimiter, header) for ``graph.meta``.
    """

    tokens: list[str]
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray | None
    where: _Where
    name: str = "graph"
    meta: dict[str, Any] = field(default_factory=dict)

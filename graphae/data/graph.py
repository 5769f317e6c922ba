"""The in-memory graph every loader returns: a PyG ``Data`` plus its node ids.

``NodeIndex`` maps the user's original node ids (strings or integers, kept
exactly) to rows ``0..N-1`` and back. ``Graph`` bundles the tensors, the index,
whether the graph is directed, and the official link split when a dataset has one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch_geometric.data import Data

from graphae.errors import GraphaeError

if TYPE_CHECKING:
    from graphae.data.split import LinkSplit

NodeId = str | int


def _canonical_int(token: str) -> bool:
    """True when ``token`` is an integer written without sign noise or leading zeros."""
    try:
        return str(int(token)) == token
    except ValueError:
        return False


class NodeIndex:
    """Bijection between original node ids and rows ``0..N-1``.

    Ids are either all ``int`` or all ``str``; :meth:`from_tokens` picks ``int``
    only when every token is a canonical integer (so ``"007"`` stays a string
    and round-trips exactly).

    Args:
        ids: Distinct node ids in row order.

    Raises:
        GraphaeError: On duplicate ids or mixed id types.
    """

    def __init__(self, ids: Iterable[NodeId]) -> None:
        self._ids: list[NodeId] = list(ids)
        self._row: dict[NodeId, int] = {i: r for r, i in enumerate(self._ids)}
        if len(self._row) != len(self._ids):
            seen: set[NodeId] = set()
            dup = next(i for i in self._ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
            raise GraphaeError(f"duplicate node id {dup!r}; node ids must be unique")
        kinds = {type(i) for i in self._ids}
        if len(kinds) > 1 or (kinds and not kinds <= {int, str}):
            raise GraphaeError("node ids must be all integers or all strings")

    @classmethod
    def range(cls, n: int) -> NodeIndex:
        """Index whose ids are the integers ``0..n-1``."""
        return cls(range(n))

    @classmethod
    def from_tokens(cls, tokens: Sequence[str]) -> NodeIndex:
        """Index over string tokens, typed ``int`` when all are canonical integers."""
        if tokens and all(_canonical_int(t) for t in tokens):
            return cls(int(t) for t in tokens)
        return cls(tokens)

    @property
    def ids(self) -> list[NodeId]:
        """The ids in row order (a copy)."""
        return list(self._ids)

    @property
    def id_type(self) -> str:
        """``"int"`` or ``"str"`` (``"int"`` for an empty index)."""
        return "str" if self._ids and isinstance(self._ids[0], str) else "int"

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, node_id: object) -> bool:
        return self._lookup(node_id) is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NodeIndex) and self._ids == other._ids

    def __repr__(self) -> str:
        head = ", ".join(repr(i) for i in self._ids[:3])
        return f"NodeIndex({len(self)} ids: {head}{', ...' if len(self) > 3 else ''})"

    def _lookup(self, node_id: object) -> int | None:
        row = self._row.get(node_id)  # type: ignore[arg-type]
        if row is None and isinstance(node_id, str) and self.id_type == "int":
            row = self._row.get(int(node_id)) if _canonical_int(node_id) else None
        elif row is None and isinstance(node_id, int) and self.id_type == "str":
            row = self._row.get(str(node_id))
        return row

    def row(self, node_id: NodeId) -> int:
        """Row of ``node_id``.

        Raises:
            GraphaeError: When the id is unknown.
        """
        row = self._lookup(node_id)
        if row is None:
            raise GraphaeError(f"unknown node id {node_id!r}")
        return row

    def rows(self, node_ids: Iterable[NodeId]) -> torch.Tensor:
        """Rows of many ids as a ``(len(node_ids),)`` long tensor."""
        return torch.tensor([self.row(i) for i in node_ids], dtype=torch.long)

    def id(self, row: int) -> NodeId:
        """Original id of ``row``."""
        return self._ids[row]

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable form (ids and their type)."""
        return {"id_type": self.id_type, "ids": self._ids}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> NodeIndex:
        """Inverse of :meth:`to_json`."""
        ids = obj["ids"]
        if obj.get("id_type") == "int":
            ids = [int(i) for i in ids]
        else:
            ids = [str(i) for i in ids]
        return cls(ids)


@dataclass
class Graph:
    """A graph ready for graphae.

    Attributes:
        data: PyG ``Data`` with ``x`` ``(N, F)`` float features, ``edge_index``
            ``(2, E)`` long, optional ``edge_weight`` ``(E,)``, optional ``y`` ``(N,)``
            labels (``-1`` = unknown) and optional ``train_mask``/``val_mask``/
            ``test_mask`` for node classification.
        nodes: Original node ids of rows ``0..N-1``.
        name: Dataset name or file stem.
        directed: Whether edges are directed. For an undirected graph
            ``edge_index`` holds both directions of every edge.
        split: The official link split where the dataset has one (OGB).
        feature_source: Where ``x`` came from (``"file"``, ``"dataset"``,
            ``"identity"``, ``"degree"``), recorded in results.
    """

    data: Data
    nodes: NodeIndex
    name: str = "graph"
    directed: bool = False
    split: LinkSplit | None = None
    feature_source: str = "dataset"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def num_nodes(self) -> int:
        """Number of nodes ``N``."""
        return int(self.data.num_nodes)

    @property
    def num_edges(self) -> int:
        """Number of ``edge_index`` entries (each undirected edge counts twice)."""
        return int(self.data.edge_index.size(1))

    @property
    def num_features(self) -> int:
        """Feature width ``F``."""
        return int(self.data.x.size(1)) if self.data.x is not None else 0

    @property
    def edge_weight(self) -> torch.Tensor | None:
        """``(E,)`` edge weights, or ``None`` for an unweighted graph."""
        return getattr(self.data, "edge_weight", None)

    @property
    def y(self) -> torch.Tensor | None:
        """``(N,)`` node labels, ``-1`` where unknown, or ``None``."""
        return getattr(self.data, "y", None)

    def summary(self) -> str:
        """One line describing the graph."""
        kind = "directed" if self.directed else "undirected"
        e = self.num_edges if self.directed else self.num_edges // 2
        return (
            f"{self.name}: {self.num_nodes} nodes, {e} {kind} edges, "
            f"{self.num_features} features ({self.feature_source})"
        )

"""PyG ``Data``: edges, edge weights, and what it brings besides (``x``, ``y``, masks)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch_geometric.data import Data

from graphae.data.io.edges import _EDGE_HINT, _Edges
from graphae.data.io.values import _check_weights
from graphae.data.io.where import _Where
from graphae.errors import InputError


@dataclass
class _Extra:
    """What a PyG ``Data`` brings besides edges: ``x``, ``y`` and node masks."""

    x: torch.Tensor | None = None
    y: torch.Tensor | None = None
    masks: dict[str, torch.Tensor] = field(default_factory=dict)


def _edges_from_pyg(data: Data, *, weighted: bool | str) -> tuple[_Edges, _Extra]:
    where = _Where(None, None, "edge")
    if getattr(data, "edge_index", None) is None:
        raise InputError("the PyG Data has no edge_index; " + _EDGE_HINT)
    n = int(data.num_nodes)
    ei = data.edge_index.detach().cpu().long().numpy()
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise InputError(f"edge_index must have shape (2, E), got {tuple(ei.shape)}")
    if ei.size and (ei.min() < 0 or ei.max() >= n):
        raise InputError(
            f"edge_index holds node numbers outside 0..{n - 1}; fix num_nodes or the edges"
        )
    w = getattr(data, "edge_weight", None)
    if (
        w is None
        and getattr(data, "edge_attr", None) is not None
        and data.edge_attr.numel() == ei.shape[1]
    ):
        w = data.edge_attr.reshape(-1)
    weights = None
    if weighted is True and w is None:
        raise InputError("weighted=True but the Data has no edge_weight")
    if w is not None and weighted is not False:
        weights = w.detach().cpu().double().numpy()
        _check_weights(weights, where)
    tokens = [str(i) for i in range(n)]
    edges = _Edges(tokens, ei[0].copy(), ei[1].copy(), weights, where, "graph", {"format": "pyg"})
    extra = _Extra(x=getattr(data, "x", None), y=getattr(data, "y", None))
    for key in ("train_mask", "val_mask", "test_mask"):
        m = getattr(data, key, None)
        if isinstance(m, torch.Tensor) and m.size(0) == n:
            extra.masks[key] = m
    return edges, extra

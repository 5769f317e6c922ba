"""Per-step training options: target-edge masking and gradient-norm clipping.

Both are parts of the Refined GAE recipe (Ma et al., "Reconsidering the
Performance of GAE in Link Prediction", 2024; code GraphPKU/Refined-GAE) and
work with any encoder and decoder rung of :func:`graphae.pipeline.fit`:

* :class:`TargetEdgeMask` (``RunConfig.mask_target_edges``, their
  ``--maskinput``): each mini-batch's positive pairs are removed from the
  message-passing graph of that step, in both directions on an undirected
  graph, so the encoder never sees the edges it is asked to reconstruct.
  Validation and test always propagate over the whole message-passing graph.
* :func:`clip_gradients` (``RunConfig.grad_clip``): rescales the gradients
  before every optimiser step so that their total L2 norm is at most
  ``max_norm`` — over all trainable parameters together, or per part (latent
  tables / encoder / decoders) as the authors clip their embedding table, GCN
  and predictor separately. Sparse gradients (the ``embedding`` encoder's
  SparseAdam codes) are coalesced and clipped like dense ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor, nn

from graphae.errors import GraphaeError

__all__ = ["CLIP_SCOPES", "TargetEdgeMask", "clip_gradients", "clip_groups"]

#: Values of ``RunConfig.grad_clip_scope``.
CLIP_SCOPES = ("global", "parts")


class TargetEdgeMask:
    """Removes a batch's pairs from a fixed message-passing graph, every step.

    The graph's pair keys (``min·N + max`` on an undirected graph, ``u·N + v``
    on a directed one) are computed once; a step looks the batch's keys up by
    binary search and drops every message-passing edge with one of them —
    both directions of an undirected pair and every copy of a repeated edge —
    so the cost per step is one gather over the ``E`` edges, never a Python
    loop or a rebuilt hash table.

    Args:
        edge_index: ``(2, E)`` message-passing edges.
        edge_weight: ``(E,)`` weights, or ``None``.
        num_nodes: ``N``.
        directed: Pairs are ordered (only ``u -> v`` is removed for ``(u, v)``).
    """

    def __init__(
        self,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        num_nodes: int,
        directed: bool = False,
    ) -> None:
        self.edge_index = edge_index
        self.edge_weight = edge_weight
        self.num_nodes = int(num_nodes)
        self.directed = directed
        self.keys, self.inverse = torch.unique(
            self._keys(edge_index), sorted=True, return_inverse=True
        )

    def _keys(self, pairs: Tensor) -> Tensor:
        u, v = pairs[0].long(), pairs[1].long()
        if not self.directed:
            u, v = torch.minimum(u, v), torch.maximum(u, v)
        return u * self.num_nodes + v

    def removed(self, pairs: Tensor) -> Tensor:
        """``(E,)`` bool: which message-passing edges the pairs ``(2, B)`` remove."""
        if self.keys.numel() == 0 or pairs.numel() == 0:
            return torch.zeros(self.inverse.numel(), dtype=torch.bool, device=self.keys.device)
        k = self._keys(pairs.to(self.keys.device))
        idx = torch.searchsorted(self.keys, k).clamp_(max=self.keys.numel() - 1)
        hit = self.keys[idx] == k
        masked = torch.zeros(self.keys.numel(), dtype=torch.bool, device=self.keys.device)
        masked[idx[hit]] = True
        return masked[self.inverse]

    def __call__(self, pairs: Tensor) -> tuple[Tensor, Tensor | None]:
        """The message-passing graph without ``pairs`` ``(2, B)``.

        Returns:
            ``(edge_index (2, E'), edge_weight (E',) or None)``.
        """
        keep = ~self.removed(pairs)
        ew = self.edge_weight[keep] if self.edge_weight is not None else None
        return self.edge_index[:, keep], ew


def clip_groups(model: nn.Module, scope: str) -> list[list[nn.Parameter]]:
    """The parameter groups whose gradient norms are clipped separately.

    ``"global"``: one group, every trainable main parameter (ARGA's
    discriminator, which trains itself, excluded). ``"parts"``: the latent
    tables (learnable node codes), the rest of the encoder, and everything
    else (structure / feature / degree decoders, mask token...); empty groups
    are left out.

    Raises:
        GraphaeError: For an unknown scope.
    """
    if scope not in CLIP_SCOPES:
        raise GraphaeError(f"unknown grad_clip_scope {scope!r}; use {' or '.join(CLIP_SCOPES)}")
    main = getattr(model, "main_parameters", model.parameters)
    params = [p for p in main() if p.requires_grad]
    if scope == "global":
        return [params] if params else []
    from graphae.nn.latent import latent_tables

    tables = {id(t.weight) for t in latent_tables(model)}
    encoder = getattr(model, "encoder", None)
    enc = {id(p) for p in encoder.parameters()} if encoder is not None else set()
    groups: list[list[nn.Parameter]] = [[], [], []]
    for p in params:
        groups[0 if id(p) in tables else 1 if id(p) in enc else 2].append(p)
    return [g for g in groups if g]


def _grad_norm(g: Tensor) -> Tensor:
    if g.is_sparse:
        g = g.coalesce()
        return torch.linalg.vector_norm(g.values().float())
    return torch.linalg.vector_norm(g.float())


def clip_gradients(params: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> float:
    """Scale the gradients of ``params`` so that their total L2 norm is ``<= max_norm``.

    As ``torch.nn.utils.clip_grad_norm_`` (factor ``max_norm / (norm + eps)``
    when the norm exceeds ``max_norm``), which is called for dense gradients;
    sparse gradients are coalesced first (an uncoalesced sparse gradient lists
    a row once per lookup, so its raw values would give the wrong norm) and
    replaced by their scaled coalesced form.

    Args:
        params: Parameters (those without a gradient are skipped).
        max_norm: The largest total norm, ``> 0``.
        eps: Added to the norm in the scale factor.

    Returns:
        The total norm before clipping (0.0 when no parameter has a gradient).
    """
    if not max_norm > 0:
        raise GraphaeError(f"grad_clip must be > 0, got {max_norm}")
    with_grad = [p for p in params if p.grad is not None]
    if not with_grad:
        return 0.0
    if not any(p.grad.is_sparse for p in with_grad):
        return float(torch.nn.utils.clip_grad_norm_(with_grad, max_norm))
    for p in with_grad:
        if p.grad.is_sparse:
            p.grad = p.grad.coalesce()
    total = torch.linalg.vector_norm(torch.stack([_grad_norm(p.grad) for p in with_grad]))
    norm = float(total)
    coef = max_norm / (norm + eps)
    if coef < 1.0 and math.isfinite(norm):
        with torch.no_grad():
            for p in with_grad:
                p.grad.mul_(coef)
    return norm

"""Precomputed-propagation encoder (SIGN / SGC): propagate once, then an MLP per node.

For graphs whose full-graph activations do not fit in memory: the features
``[X, ÂX, Â²X, ..., Â^K X]`` are computed once per graph (no gradients, sparse
products only) and cached; training then needs only the rows of the nodes in a
batch of pairs, which go through an MLP. ``hops=K`` with ``concat=False`` and a
one-layer MLP is SGC (Wu et al., 2019); the default concatenation is SIGN
(Frasca et al., 2020).
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor, nn

from graphae.nn.base import Encoder, channel_sizes, encoders, make_activation
from graphae.nn.propagation import PropagationCache


class SIGNEncoder(Encoder):
    """``z = MLP([X, ÂX, ..., Â^K X])``, with the propagated features cached.

    Args:
        in_channels: ``F``.
        hidden_channels: MLP hidden width.
        out_channels: ``d``.
        num_layers: MLP layers.
        dropout: Dropout on each MLP layer's input.
        hops: ``K``, the largest power of ``Â``.
        concat: Concatenate every power (SIGN); ``False`` keeps ``Â^K X`` only (SGC).
        activation: MLP activation.

    Attributes:
        encodes_subsets: The encoder can embed a subset of nodes on its own
            (:meth:`encode_nodes`), so training never materialises all of ``z``.
    """

    encodes_subsets = True

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 32,
        out_channels: int = 16,
        num_layers: int = 2,
        dropout: float = 0.0,
        hops: int = 2,
        concat: bool = True,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        if hops < 1:
            raise ValueError(f"hops must be >= 1, got {hops}")
        self.hops, self.concat, self.dropout = hops, concat, dropout
        width = in_channels * (hops + 1 if concat else 1)
        mlp = channel_sizes(width, hidden_channels, out_channels, num_layers)
        # ``sizes`` is what mirrored decoders reverse: they rebuild X (width F).
        self.sizes = [in_channels, *mlp[1:]]
        self.in_channels, self.out_channels = in_channels, out_channels
        self.lins = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(mlp))
        self.acts = nn.ModuleList(make_activation(activation, c) for c in mlp[1:-1])
        self._props = PropagationCache()
        self._feats: list[tuple[Tensor, Tensor, int, Tensor]] = []

    def reset_parameters(self) -> None:
        for lin in self.lins:
            lin.reset_parameters()
        for act in self.acts:
            if hasattr(act, "reset_parameters"):
                act.reset_parameters()

    @torch.no_grad()
    def features(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """``(N, (K+1)F)`` (or ``(N, F)`` for SGC) propagated features, cached per graph."""
        for cx, cei, ver, feats in self._feats:
            if cx is x and cei is edge_index and ver == edge_index._version:
                return feats
        prop = self._props.get(edge_index, x.size(0), edge_weight)
        powers, h = [x.float()], x.float()
        for _ in range(self.hops):
            h = prop(h)
            powers.append(h)
        feats = torch.cat(powers, dim=1) if self.concat else powers[-1]
        self._feats = [(x, edge_index, edge_index._version, feats)]
        return feats

    def mlp_layers(self, h: Tensor) -> list[Tensor]:
        """Every MLP layer's output for input rows ``h``."""
        outs = []
        for i, lin in enumerate(self.lins):
            h = lin(nn.functional.dropout(h, self.dropout, self.training))
            if i < len(self.acts):
                h = self.acts[i](h)
            outs.append(h)
        return outs

    def forward_layers(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        return self.mlp_layers(self.features(x, edge_index, edge_weight))

    def encode_nodes(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None, nodes: Tensor
    ) -> Tensor:
        """Embeddings ``(len(nodes), d)`` of ``nodes`` only (node mini-batches)."""
        feats = self.features(x, edge_index, edge_weight)
        return self.mlp_layers(feats.index_select(0, nodes))[-1]

    def layer_weights(self) -> list[Tensor]:
        """Not defined: the first layer reads ``[X, ÂX, ...]``, not ``X``, so no
        transpose or pseudo-inverse of it maps back to ``X`` (tied/pinv decoders)."""
        raise NotImplementedError("sign's first layer reads propagated features, not X")


@encoders.register("sign")
def _sign(
    in_channels: int,
    hidden_channels: int = 32,
    out_channels: int = 16,
    num_layers: int = 2,
    dropout: float = 0.0,
    hops: int = 2,
    concat: bool = True,
    activation: str = "relu",
) -> Encoder:
    """SIGN/SGC: Â^k X precomputed once, then an MLP on node mini-batches (large graphs)."""
    return SIGNEncoder(
        in_channels, hidden_channels, out_channels, num_layers, dropout, hops, concat, activation
    )

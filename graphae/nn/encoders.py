"""Encoders: ``Encoder(x, edge_index, edge_weight=None) -> z`` of shape ``(N, d)``.

Every encoder is registered in :data:`encoders` under a lower snake case name
and built with the same keyword arguments (``in_channels``, ``hidden_channels``,
``out_channels``, ``num_layers``, ``dropout``; extras where they apply).
``forward_layers`` returns every layer's output so the harness can probe the
whole stack.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from graphae.nn.propagation import PropagationCache
from graphae.registry import Registry

encoders: Registry[Encoder] = Registry("encoder")


def channel_sizes(in_channels: int, hidden_channels: int, out_channels: int, num_layers: int) -> list[int]:
    """Layer widths ``[in, hidden, ..., hidden, out]`` of a ``num_layers`` stack."""
    if num_layers < 1:
        raise ValueError(f"num_layers must be >= 1, got {num_layers}")
    return [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]


class Encoder(nn.Module):
    """Base class: subclasses implement :meth:`forward_layers`.

    Attributes:
        in_channels: Input feature width ``F``.
        out_channels: Embedding width ``d``.
        uses_graph: Whether the output depends on ``edge_index``.
    """

    in_channels: int
    out_channels: int
    uses_graph: bool = True

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """Embed every node.

        Args:
            x: ``(N, F)`` node features.
            edge_index: ``(2, E)`` message-passing edges.
            edge_weight: ``(E,)`` optional edge weights.

        Returns:
            ``(N, d)`` embeddings.
        """
        return self.forward_layers(x, edge_index, edge_weight)[-1]

    def forward_layers(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        """Outputs of every layer, the last being the embedding ``(N, d)``."""
        raise NotImplementedError

    def reset_parameters(self) -> None:
        """Re-initialise every parameter."""
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def layer_weights(self) -> list[Tensor]:
        """Weight matrices ``(c_in, c_out)`` of each layer, input side first.

        Used by the tied and pseudo-inverse feature decoders. Encoders without a
        linear map per layer raise ``NotImplementedError``.
        """
        raise NotImplementedError(f"{type(self).__name__} has no per-layer weight matrices")


class GCNEncoder(Encoder):
    """Kipf & Welling GCN: ``H' = Â H W + b`` with ReLU between layers.

    ``Â = D^-1/2 (A + I) D^-1/2`` is normalised once per graph and cached as a
    CSR matrix (:class:`~graphae.nn.propagation.PropagationCache`); each layer
    multiplies by ``W`` first (cheaper when ``c_out < c_in``), then propagates.

    Args:
        in_channels: ``F``.
        hidden_channels: Width of hidden layers.
        out_channels: ``d``.
        num_layers: Number of GCN layers.
        dropout: Dropout on each layer's input (training only).
        act_last: Apply ReLU to the last layer too.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 32,
        out_channels: int = 16,
        num_layers: int = 2,
        dropout: float = 0.0,
        act_last: bool = False,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        sizes = channel_sizes(in_channels, hidden_channels, out_channels, num_layers)
        self.lins = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(sizes[:-1], sizes[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in sizes[1:])
        self.dropout = dropout
        self.act_last = act_last
        self.cache = PropagationCache()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot weights, zero biases (as PyG's ``GCNConv``)."""
        for lin, b in zip(self.lins, self.biases):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(b)

    def forward_layers(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        prop = self.cache.get(edge_index, x.size(0), edge_weight)
        outs = []
        h = x
        for i, (lin, b) in enumerate(zip(self.lins, self.biases)):
            h = nn.functional.dropout(h, self.dropout, self.training)
            h = prop(lin(h)) + b
            if i < len(self.lins) - 1 or self.act_last:
                h = torch.relu(h)
            outs.append(h)
        return outs

    def layer_weights(self) -> list[Tensor]:
        return [lin.weight.t() for lin in self.lins]


@encoders.register("gcn")
def _gcn(in_channels: int, hidden_channels: int = 32, out_channels: int = 16, num_layers: int = 2,
         dropout: float = 0.0, num_nodes: int | None = None, act_last: bool = False) -> Encoder:
    """Graph convolutional network (Kipf & Welling) over a cached normalised adjacency."""
    return GCNEncoder(in_channels, hidden_channels, out_channels, num_layers, dropout, act_last)

"""Encoders: ``Encoder(x, edge_index, edge_weight=None) -> z`` of shape ``(N, d)``.

Every encoder is registered in :data:`encoders` under a lower snake case name
and built with the same keyword arguments (``in_channels``, ``hidden_channels``,
``out_channels``, ``num_layers``, ``dropout``, ``activation``, ``norm``,
``act_last``; extras where they apply, e.g. ``heads`` for ``gat``).
``forward_layers`` returns every layer's output so the harness can probe the
whole stack; ``layer_weights`` returns one ``(c_in, c_out)`` matrix per layer
where a layer has one (the tied and pseudo-inverse decoders mirror them).

=========  ==========================================================  ==============
name       layer                                                       layer_weights
=========  ==========================================================  ==============
``gcn``    ``Â H W + b`` over the cached normalised adjacency          yes
``sage``   GraphSAGE mean aggregation (PyG ``SAGEConv``)               no
``gat``    graph attention, heads concatenated (PyG ``GATConv``)       yes
``gin``    GIN with a 2-layer MLP per layer (PyG ``GINConv``)          no
``linear`` one-hop linear GCN ``z = Â X W`` (Salha et al., 2020)       yes
``mlp``    per-node MLP, ignores the graph                             yes
=========  ==========================================================  ==============

``embedding`` (:mod:`graphae.nn.latent`) is the auto-decoder: a free latent code
per node, ignoring ``x`` and the graph. Any GNN encoder takes the options
``learnable_input`` / ``hybrid`` for learnable node tables at its input /
output (:func:`graphae.nn.latent.build_hybrid`).

Edge weights are used by ``gcn`` and ``linear``; ``sage``, ``gat`` and ``gin``
ignore them (their PyG layers have no scalar edge-weight input).

:class:`VariationalEncoder` wraps any of them into μ / log σ heads (VGAE).

The base class :class:`Encoder`, the registry and the layer helpers live in
:mod:`graphae.nn.base` (the plug-in modules build on it) and are re-exported
here; importing this module registers every encoder.
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import Tensor, nn

from graphae.errors import GraphaeError

# The plug-in modules register their encoders on import (precomputed: sign; latent:
# embedding). They build on graphae.nn.base, so neither imports this module back.
from graphae.nn import precomputed as _precomputed  # noqa: F401
from graphae.nn.base import (
    ENCODER_CONTEXT,
    Encoder,
    call_factory,
    channel_sizes,
    encoders,
    make_activation,
    make_norm,
)
from graphae.nn.latent import build_hybrid
from graphae.nn.propagation import PropagationCache
from graphae.nn.sparse_input import SparseInput, SparseInputCache, linear

#: What a layer reads: a dense ``(N, c)`` tensor, or for layer 0 of a stack with
#: :attr:`LayerStack.sparse_input` the CSR form of the stack's unmodified input.
LayerInput = Tensor | SparseInput

__all__ = [
    "ENCODER_CONTEXT",
    "Encoder",
    "GATEncoder",
    "GCNEncoder",
    "GINEncoder",
    "LayerStack",
    "LinearEncoder",
    "MLPEncoder",
    "SAGEEncoder",
    "VariationalEncoder",
    "build_encoder",
    "call_factory",
    "channel_sizes",
    "encoders",
    "make_activation",
    "make_norm",
]


class LayerStack(Encoder):
    """Shared skeleton of the layered encoders.

    Each layer: dropout on its input -> layer (``+ residual · x``) -> (norm ->
    activation), the last layer skipping norm and activation unless
    ``act_last``. Subclasses build ``self.layers`` and implement :meth:`layer`.

    Args:
        sizes: ``[F, h_1, ..., d]``.
        dropout: Dropout probability on each layer's input (training only).
        activation: See :func:`make_activation`.
        norm: See :func:`make_norm`.
        act_last: Apply norm and activation after the last layer too.
        residual: ``α``: every layer adds ``α`` times the stack's *input*,
            ``h_{l+1} = layer_l(h_l) + α x`` before its norm and activation
            (the initial residual of Refined GAE's GCN, ``α = 0.1`` on OGB);
            needs every width equal to ``F``. 0 (default): off.

    Attributes:
        sparse_input: Class flag: layer 0 multiplies its input by
            ``self.lins[0]`` alone, so :meth:`forward_layers` may hand it the
            :class:`~graphae.nn.sparse_input.SparseInput` of an unmodified
            input instead of the tensor (by :attr:`input_cache`'s mode, set
            from ``RunConfig.feature_matmul``; ``"dense"`` until set).
    """

    sparse_input = False

    def __init__(
        self,
        sizes: list[int],
        dropout: float = 0.0,
        activation: str = "relu",
        norm: str | None = None,
        act_last: bool = False,
        residual: float = 0.0,
    ) -> None:
        super().__init__()
        self.sizes = list(sizes)
        self.in_channels, self.out_channels = sizes[0], sizes[-1]
        self.dropout = dropout
        self.act_last = act_last
        self.residual = float(residual)
        self.input_cache = SparseInputCache()
        if self.residual and any(c != sizes[0] for c in sizes[1:]):
            raise GraphaeError(
                f"encoder option residual={residual} adds the input to every layer, so every "
                f"width must equal the input width {sizes[0]}; got widths {sizes} (set "
                "hidden_channels, out_channels and the input/table width alike)"
            )
        n_post = len(sizes) - 1 if act_last else len(sizes) - 2
        self.norms = nn.ModuleList(make_norm(norm, c) for c in sizes[1 : 1 + n_post])
        self.acts = nn.ModuleList(make_activation(activation, c) for c in sizes[1 : 1 + n_post])

    @property
    def num_layers(self) -> int:
        """Number of layers."""
        return len(self.sizes) - 1

    def layer(
        self, i: int, h: LayerInput, edge_index: Tensor, edge_weight: Tensor | None, ctx: Any
    ) -> Tensor:
        """Apply layer ``i`` to ``h`` ``(N, c_i)`` -> ``(N, c_{i+1})``.

        ``h`` is a :class:`~graphae.nn.sparse_input.SparseInput` only for layer
        0 of a class with :attr:`sparse_input`.
        """
        raise NotImplementedError

    def context(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> Any:
        """Per-call state shared by the layers (e.g. the cached propagation)."""
        return None

    def forward_layers(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        ctx = self.context(x, edge_index, edge_weight)
        outs = []
        h = x
        for i in range(self.num_layers):
            h = nn.functional.dropout(h, self.dropout, self.training)
            # dropout returns ``x`` itself when inactive: only then is the CSR copy the input
            sparse = self.input_cache.get(x) if i == 0 and h is x and self.sparse_input else None
            h = self.layer(i, h if sparse is None else sparse, edge_index, edge_weight, ctx)
            if self.residual:
                h = h + self.residual * x
            if i < len(self.acts):
                h = self.acts[i](self.norms[i](h))
            outs.append(h)
        return outs


class GCNEncoder(LayerStack):
    """Kipf & Welling GCN: ``H' = Â H W + b`` with an activation between layers.

    ``Â = D^-1/2 (A + I) D^-1/2`` is normalised once per graph and cached as a
    CSR matrix (:class:`~graphae.nn.propagation.PropagationCache`); each layer
    multiplies by ``W`` first (cheaper when ``c_out < c_in``), then propagates.

    Args:
        in_channels: ``F``.
        hidden_channels: Width of hidden layers.
        out_channels: ``d``.
        num_layers: Number of GCN layers.
        dropout: Dropout on each layer's input (training only).
        act_last: Apply norm and activation to the last layer too.
        activation: See :func:`make_activation`.
        norm: See :func:`make_norm`.
        residual: ``α`` of the initial residual ``+ α x`` after every layer (see
            :class:`LayerStack`); with ``activation="identity"`` the stack is
            Refined GAE's linear propagation ``h_{l+1} = Â h_l W_l + b_l + α x``.
    """

    sparse_input = True

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 32,
        out_channels: int = 16,
        num_layers: int = 2,
        dropout: float = 0.0,
        act_last: bool = False,
        activation: str = "relu",
        norm: str | None = None,
        residual: float = 0.0,
    ) -> None:
        sizes = channel_sizes(in_channels, hidden_channels, out_channels, num_layers)
        super().__init__(sizes, dropout, activation, norm, act_last, residual)
        self.lins = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in itertools.pairwise(sizes))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in sizes[1:])
        self.cache = PropagationCache()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot weights, zero biases (as PyG's ``GCNConv``); norms and activations reset."""
        super().reset_parameters()
        for lin, b in zip(self.lins, self.biases, strict=True):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(b)

    def context(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> Any:
        return self.cache.get(edge_index, x.size(0), edge_weight)

    def layer(
        self, i: int, h: LayerInput, edge_index: Tensor, edge_weight: Tensor | None, ctx: Any
    ) -> Tensor:
        return ctx(linear(self.lins[i], h)) + self.biases[i]

    def layer_weights(self) -> list[Tensor]:
        return [lin.weight.t() for lin in self.lins]


class LinearEncoder(LayerStack):
    """One-hop linear GCN ``z = Â X W`` (Salha et al., "Keep it simple", 2020).

    One layer, no bias, no activation: ``hidden_channels`` and ``num_layers`` do
    not apply.
    """

    sparse_input = True

    def __init__(self, in_channels: int, out_channels: int = 16, dropout: float = 0.0) -> None:
        super().__init__([in_channels, out_channels], dropout)
        self.lins = nn.ModuleList([nn.Linear(in_channels, out_channels, bias=False)])
        self.cache = PropagationCache()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot weights."""
        nn.init.xavier_uniform_(self.lins[0].weight)

    def context(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> Any:
        return self.cache.get(edge_index, x.size(0), edge_weight)

    def layer(
        self, i: int, h: LayerInput, edge_index: Tensor, edge_weight: Tensor | None, ctx: Any
    ) -> Tensor:
        return ctx(linear(self.lins[i], h))

    def layer_weights(self) -> list[Tensor]:
        return [self.lins[0].weight.t()]


class MLPEncoder(LayerStack):
    """Per-node MLP ``x -> z`` that ignores the graph (a no-graph baseline)."""

    sparse_input = True

    uses_graph = False

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 32,
        out_channels: int = 16,
        num_layers: int = 2,
        dropout: float = 0.0,
        act_last: bool = False,
        activation: str = "relu",
        norm: str | None = None,
        residual: float = 0.0,
    ) -> None:
        sizes = channel_sizes(in_channels, hidden_channels, out_channels, num_layers)
        super().__init__(sizes, dropout, activation, norm, act_last, residual)
        self.lins = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))

    def layer(
        self, i: int, h: LayerInput, edge_index: Tensor, edge_weight: Tensor | None, ctx: Any
    ) -> Tensor:
        return linear(self.lins[i], h)

    def layer_weights(self) -> list[Tensor]:
        return [lin.weight.t() for lin in self.lins]


class SAGEEncoder(LayerStack):
    """GraphSAGE (Hamilton et al.): ``h' = W_1 h + W_2 mean_{u ∈ N(v)} h_u`` (PyG ``SAGEConv``).

    Edge weights are ignored.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 32,
        out_channels: int = 16,
        num_layers: int = 2,
        dropout: float = 0.0,
        act_last: bool = False,
        activation: str = "relu",
        norm: str | None = None,
        aggr: str = "mean",
        residual: float = 0.0,
    ) -> None:
        from torch_geometric.nn import SAGEConv

        sizes = channel_sizes(in_channels, hidden_channels, out_channels, num_layers)
        super().__init__(sizes, dropout, activation, norm, act_last, residual)
        self.convs = nn.ModuleList(SAGEConv(a, b, aggr=aggr) for a, b in itertools.pairwise(sizes))

    def layer(
        self, i: int, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None, ctx: Any
    ) -> Tensor:
        return self.convs[i](h, edge_index)


class GATEncoder(LayerStack):
    """Graph attention (Veličković et al.) with ``heads`` heads concatenated in every layer.

    Each layer's width ``c`` is split into ``heads`` heads of ``c // heads``
    channels (as GraphMAE does), so the output widths are exactly
    ``hidden_channels`` / ``out_channels`` and each layer has one weight matrix
    ``(c_in, c)``. Edge weights are ignored.

    Args:
        heads: Attention heads; must divide ``hidden_channels`` and ``out_channels``.
        attn_dropout: Dropout on the attention coefficients.
        negative_slope: LeakyReLU slope of the attention scores.
        (others as :class:`GCNEncoder`)
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 32,
        out_channels: int = 16,
        num_layers: int = 2,
        dropout: float = 0.0,
        act_last: bool = False,
        activation: str = "elu",
        norm: str | None = None,
        heads: int = 1,
        attn_dropout: float = 0.0,
        negative_slope: float = 0.2,
        residual: float = 0.0,
    ) -> None:
        from torch_geometric.nn import GATConv

        sizes = channel_sizes(in_channels, hidden_channels, out_channels, num_layers)
        bad = [c for c in sizes[1:] if heads < 1 or c % heads]
        if bad:
            raise GraphaeError(
                f"gat: heads={heads} must divide every layer width (hidden_channels and "
                f"out_channels); {bad[0]} is not divisible"
            )
        super().__init__(sizes, dropout, activation, norm, act_last, residual)
        self.heads = heads
        self.convs = nn.ModuleList(
            GATConv(
                a,
                b // heads,
                heads=heads,
                concat=True,
                dropout=attn_dropout,
                negative_slope=negative_slope,
            )
            for a, b in itertools.pairwise(sizes)
        )

    def layer(
        self, i: int, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None, ctx: Any
    ) -> Tensor:
        return self.convs[i](h, edge_index)

    def layer_weights(self) -> list[Tensor]:
        return [conv.lin.weight.t() for conv in self.convs]


class GINEncoder(LayerStack):
    """Graph isomorphism network (Xu et al.): ``h' = MLP((1 + ε) h + Σ_{u ∈ N(v)} h_u)``.

    Each layer's MLP is ``Linear(c_in, hidden) -> ReLU -> Linear(hidden, c_out)``;
    ``ε`` is trainable when
    ``train_eps``. Edge weights are ignored.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 32,
        out_channels: int = 16,
        num_layers: int = 2,
        dropout: float = 0.0,
        act_last: bool = False,
        activation: str = "relu",
        norm: str | None = None,
        train_eps: bool = True,
        residual: float = 0.0,
    ) -> None:
        from torch_geometric.nn import GINConv

        sizes = channel_sizes(in_channels, hidden_channels, out_channels, num_layers)
        super().__init__(sizes, dropout, activation, norm, act_last, residual)
        self.convs = nn.ModuleList(
            GINConv(
                nn.Sequential(
                    nn.Linear(a, hidden_channels), nn.ReLU(), nn.Linear(hidden_channels, b)
                ),
                train_eps=train_eps,
            )
            for a, b in itertools.pairwise(sizes)
        )

    def layer(
        self, i: int, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None, ctx: Any
    ) -> Tensor:
        return self.convs[i](h, edge_index)


class VariationalEncoder(Encoder):
    """VGAE heads around any encoder: μ and log σ from one stack.

    The wrapped encoder is built with ``2 d`` outputs; its last layer's first
    ``d`` columns are μ and the other ``d`` are log σ. For a GCN this is exactly
    Kipf & Welling's two GCN heads sharing the hidden layers (a GCN layer with
    ``2 d`` outputs is the two ``d``-wide layers side by side). ``forward``
    returns μ (the embedding); :meth:`stats` returns ``(μ, log σ)`` for the
    reparameterised sample and the KL term. log σ is clamped to ``<= 10`` as PyG does.

    Args:
        inner: Encoder with ``out_channels == 2 d``.
    """

    MAX_LOGSTD = 10.0

    def __init__(self, inner: Encoder) -> None:
        super().__init__()
        if inner.out_channels % 2:
            raise ValueError("the inner encoder of a VariationalEncoder needs 2 d outputs")
        self.inner = inner
        self.in_channels = inner.in_channels
        self.out_channels = inner.out_channels // 2
        self.sizes = [*inner.sizes[:-1], self.out_channels]
        self.uses_graph = inner.uses_graph

    def stats(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """``(μ, log σ)``, each ``(N, d)``."""
        out = self.inner(x, edge_index, edge_weight)
        mu, logstd = out[:, : self.out_channels], out[:, self.out_channels :]
        return mu, logstd.clamp(max=self.MAX_LOGSTD)

    def forward_layers(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        outs = self.inner.forward_layers(x, edge_index, edge_weight)
        return [*outs[:-1], outs[-1][:, : self.out_channels]]

    def reset_parameters(self) -> None:
        self.inner.reset_parameters()

    def layer_weights(self) -> list[Tensor]:
        """The inner weights, the last restricted to the μ head ``(h, d)``."""
        ws = self.inner.layer_weights()
        return [*ws[:-1], ws[-1][:, : self.out_channels]]


# ---------------------------------------------------------------------- registry


@encoders.register("gcn")
def _gcn(
    in_channels: int,
    hidden_channels: int = 32,
    out_channels: int = 16,
    num_layers: int = 2,
    dropout: float = 0.0,
    act_last: bool = False,
    activation: str = "relu",
    norm: str | None = None,
    residual: float = 0.0,
) -> Encoder:
    """Graph convolutional network (Kipf & Welling) over a cached normalised adjacency."""
    return GCNEncoder(
        in_channels,
        hidden_channels,
        out_channels,
        num_layers,
        dropout,
        act_last,
        activation,
        norm,
        residual,
    )


@encoders.register("sage")
def _sage(
    in_channels: int,
    hidden_channels: int = 32,
    out_channels: int = 16,
    num_layers: int = 2,
    dropout: float = 0.0,
    act_last: bool = False,
    activation: str = "relu",
    norm: str | None = None,
    aggr: str = "mean",
    residual: float = 0.0,
) -> Encoder:
    """GraphSAGE with mean aggregation and a root weight (PyG SAGEConv); no layer_weights."""
    return SAGEEncoder(
        in_channels,
        hidden_channels,
        out_channels,
        num_layers,
        dropout,
        act_last,
        activation,
        norm,
        aggr,
        residual,
    )


@encoders.register("gat")
def _gat(
    in_channels: int,
    hidden_channels: int = 32,
    out_channels: int = 16,
    num_layers: int = 2,
    dropout: float = 0.0,
    act_last: bool = False,
    activation: str = "elu",
    norm: str | None = None,
    heads: int = 1,
    attn_dropout: float = 0.0,
    negative_slope: float = 0.2,
    residual: float = 0.0,
) -> Encoder:
    """Graph attention network, `heads` heads concatenated per layer (PyG GATConv)."""
    return GATEncoder(
        in_channels,
        hidden_channels,
        out_channels,
        num_layers,
        dropout,
        act_last,
        activation,
        norm,
        heads,
        attn_dropout,
        negative_slope,
        residual,
    )


@encoders.register("gin")
def _gin(
    in_channels: int,
    hidden_channels: int = 32,
    out_channels: int = 16,
    num_layers: int = 2,
    dropout: float = 0.0,
    act_last: bool = False,
    activation: str = "relu",
    norm: str | None = None,
    train_eps: bool = True,
    residual: float = 0.0,
) -> Encoder:
    """Graph isomorphism network, 2-layer MLP per layer (PyG GINConv); no layer_weights."""
    return GINEncoder(
        in_channels,
        hidden_channels,
        out_channels,
        num_layers,
        dropout,
        act_last,
        activation,
        norm,
        train_eps,
        residual,
    )


@encoders.register("linear")
def _linear(in_channels: int, out_channels: int = 16, dropout: float = 0.0) -> Encoder:
    """One-hop linear GCN z = ÂXW (Salha et al.); hidden_channels/num_layers do not apply."""
    return LinearEncoder(in_channels, out_channels, dropout)


@encoders.register("mlp")
def _mlp(
    in_channels: int,
    hidden_channels: int = 32,
    out_channels: int = 16,
    num_layers: int = 2,
    dropout: float = 0.0,
    act_last: bool = False,
    activation: str = "relu",
    norm: str | None = None,
    residual: float = 0.0,
) -> Encoder:
    """Per-node MLP that ignores the graph (no-graph baseline)."""
    return MLPEncoder(
        in_channels,
        hidden_channels,
        out_channels,
        num_layers,
        dropout,
        act_last,
        activation,
        norm,
        residual,
    )


def build_encoder(
    name: str, options: dict[str, Any] | None = None, *, variational: bool = False, **context: Any
) -> Encoder:
    """Build a registered encoder from context (sizes, dropout) and user options.

    Args:
        name: Registered name (``encoders.names()``).
        options: Encoder-specific options (``heads``, ``norm``...).
        variational: Wrap in :class:`VariationalEncoder` (the inner encoder gets
            ``2 * out_channels`` outputs).
        **context: Keywords from :data:`ENCODER_CONTEXT`.

    Returns:
        The encoder.
    """
    ctx = dict(context)
    if variational:
        ctx["out_channels"] = 2 * int(ctx["out_channels"])
    enc = build_hybrid(
        name,
        ctx,
        dict(options or {}),
        lambda c, o: call_factory("encoder", name, encoders.get(name), c, o),
    )
    return VariationalEncoder(enc) if variational else enc

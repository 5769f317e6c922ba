"""Decoders: structure decoders score node pairs, feature decoders rebuild ``X``.

* Structure decoder: ``decoder(z, pairs, edge_index=None) -> logits (P,)``.
  Logits, never probabilities: losses use ``binary_cross_entropy_with_logits``.
* Feature decoder: ``decoder(z, edge_index, edge_weight=None) -> x_hat (N, F)``.

Every decoder is registered in :data:`decoders` and reports its capacity:
``num_parameters()`` counts its *own* trainable parameters (the tied and
pseudo-inverse decoders borrow the encoder's weights and count 0) and
structure decoders give ``flops_per_pair()`` where it makes sense.

The ladder (``graphae ls decoders``):

================  =========  ====================================================  ==============
name              kind       what                                                  own parameters
================  =========  ====================================================  ==============
``inner_product`` structure  ``z_uᵀ z_v``                                           0
``distance``      structure  ``-‖z_u - z_v‖²`` (``bias=True``: ``+ b``)             0 (1)
``bilinear``      structure  ``z_uᵀ R z_v``, R symmetrised unless directed          d² (d diagonal)
``mlp``           structure  MLP on ``z_u ⊙ z_v`` or ``[z_u, z_v]``                 grows with depth×width
``gnn``           structure  mirrored GCN stack over the graph, then a scorer      mirrors the encoder
``ncn``           structure  MLP on ``[z_u ⊙ z_v, Σ_{w ∈ Γ(u)∩Γ(v)} z_w]``          grows with depth×width
``linear``        feature    ``x̂ = z W + b``                                      d·F + F
``mirror``        feature    GCN stack with the encoder's widths reversed          mirrors the encoder
``tied``          feature    the mirror with ``W_lᵀ`` of the encoder, no biases    0
``pinv``          feature    the mirror with ``pinv(W_l)`` of the encoder          0
================  =========  ====================================================  ==============

Factories receive keyword *context* from the model builder
(:data:`DECODER_CONTEXT`: ``in_channels`` = ``d``, ``hidden_channels``,
``out_channels`` = ``F`` for feature decoders, ``num_layers``, ``directed``,
``encoder``) and take only the keywords they declare; everything else they
declare is a user option (``--decoder-option KEY=VALUE``). Use
:func:`build_decoder`.

Every structure decoder also takes the options of :data:`STRUCTURE_OPTIONS`:
``counts=true`` adds a learned function of the pair's classic heuristic counts
to its logit (:class:`PairCountsHead`; 5·w + 2w + 1 more parameters, w =
``counts_width``, default 32).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from graphae.errors import GraphaeError
from graphae.nn.base import (
    Encoder,
    call_factory,
    channel_sizes,
    make_activation,
    make_norm,
)
from graphae.nn.pair_structure import (
    PAIR_COUNTS,
    NeighborIndex,
    common_neighbor_sum,
    pair_counts,
)
from graphae.nn.propagation import PropagationCache
from graphae.registry import Registry

decoders: Registry[Decoder] = Registry("decoder")

#: Keyword arguments the model builder passes to every decoder factory.
DECODER_CONTEXT = (
    "in_channels",
    "hidden_channels",
    "out_channels",
    "num_layers",
    "directed",
    "encoder",
)

_KINDS: dict[str, str] = {}

#: Options every structure decoder takes, handled by :func:`build_decoder`: ``counts`` wraps
#: the decoder in a :class:`PairCountsHead` of hidden width ``counts_width``.
STRUCTURE_OPTIONS: dict[str, Any] = {"counts": False, "counts_width": 32}


def shared_options(name: str) -> dict[str, Any]:
    """Options decoder ``name`` takes beside its factory's, with their defaults.

    :data:`STRUCTURE_OPTIONS` for a structure decoder (handled by
    :func:`build_decoder`), none for a feature decoder.
    """
    return dict(STRUCTURE_OPTIONS) if decoder_kind(name) == "structure" else {}


def decoder_kind(name: str) -> str:
    """``"structure"`` or ``"feature"`` for a registered decoder name."""
    decoders.get(name)
    return _KINDS[name.strip().lower().replace("-", "_")]


def _register(name: str, kind: str, doc: str) -> Any:
    _KINDS[name] = kind
    return decoders.register(name, doc=f"[{kind}] {doc}")


class Decoder(nn.Module):
    """Base class of every decoder.

    Attributes:
        kind: ``"structure"`` or ``"feature"``.
        symmetric: For structure decoders, whether ``score(u, v) == score(v, u)``.
    """

    kind: str = "structure"
    symmetric: bool = True

    def num_parameters(self) -> int:
        """Own trainable parameters (the decoder's capacity)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def reset_parameters(self) -> None:
        """Re-initialise every own parameter."""
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()


# ------------------------------------------------------------------ structure


def pair_ends(z: Tensor, pairs: Tensor) -> tuple[Tensor, Tensor]:
    """Rows ``z_u`` and ``z_v`` ``(P, d)`` of the pairs ``(2, P)``.

    ``index_select`` rather than advanced indexing: on CPU it is about twice as
    fast forward, and its backward is an ``index_add`` instead of the slower
    accumulating ``index_put`` (measured on 2.4M pairs, 16 channels).
    """
    return z.index_select(0, pairs[0]), z.index_select(0, pairs[1])


class StructureDecoder(Decoder):
    """Scores node pairs: ``(z, pairs, edge_index) -> logits (P,)``."""

    kind = "structure"
    needs_graph: bool = False

    def forward(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        """Score pairs.

        Args:
            z: ``(N, d)`` embeddings.
            pairs: ``(2, P)`` node pairs ``(u, v)``.
            edge_index: ``(2, E)`` message-passing graph (used by ``gnn`` only).

        Returns:
            ``(P,)`` logits.
        """
        raise NotImplementedError

    def dense(self, z: Tensor, edge_index: Tensor | None = None) -> Tensor:
        """Logits of every ordered pair as an ``(N, N)`` matrix (small graphs only).

        The generic version scores all ``N²`` pairs through :meth:`forward`;
        decoders with a closed form override it.
        """
        n = z.size(0)
        idx = torch.arange(n, device=z.device)
        pairs = torch.stack([idx.repeat_interleave(n), idx.repeat(n)])
        return self(z, pairs, edge_index).view(n, n)

    def flops_per_pair(self) -> int | None:
        """Multiply-adds ×2 to score one pair from ``z`` (``None`` when not per pair)."""
        return None


class InnerProductDecoder(StructureDecoder):
    """``logit(u, v) = z_uᵀ z_v``, so ``σ(logit)`` is the classic ``σ(ZZᵀ)`` entry. 0 parameters."""

    def __init__(self, in_channels: int = 0) -> None:
        super().__init__()
        self.in_channels = in_channels

    def forward(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        zu, zv = pair_ends(z, pairs)
        return (zu * zv).sum(dim=-1)

    def dense(self, z: Tensor, edge_index: Tensor | None = None) -> Tensor:
        return z @ z.t()

    def flops_per_pair(self) -> int | None:
        return 2 * self.in_channels


class DistanceDecoder(StructureDecoder):
    """``logit(u, v) = b - ‖z_u - z_v‖²``.

    Parameter-free by default (``b = 0``: every probability is ``<= 1/2``, which
    ranks pairs but is not calibrated). ``bias=True`` learns the scalar ``b``
    (a Fermi–Dirac-style radius), counted as 1 own parameter.
    """

    def __init__(self, in_channels: int = 0, bias: bool = False) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.bias = nn.Parameter(torch.zeros(())) if bias else None

    def reset_parameters(self) -> None:
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        zu, zv = pair_ends(z, pairs)
        out = -(zu - zv).pow(2).sum(dim=-1)
        return out + self.bias if self.bias is not None else out

    def dense(self, z: Tensor, edge_index: Tensor | None = None) -> Tensor:
        sq = z.pow(2).sum(dim=-1)
        out = -(sq[:, None] + sq[None, :] - 2 * z @ z.t()).clamp(min=0)
        return out + self.bias if self.bias is not None else out

    def flops_per_pair(self) -> int | None:
        return 3 * self.in_channels


class BilinearDecoder(StructureDecoder):
    """``logit(u, v) = z_uᵀ R z_v``.

    ``R`` is a full ``d×d`` matrix (initialised to the identity, so training
    starts from the inner product), used as ``(R + Rᵀ)/2`` on undirected
    graphs so scores are symmetric, and as is (asymmetric) when ``directed``.
    ``diagonal=True`` keeps only ``diag(r)`` (DistMult-like, ``d`` parameters,
    always symmetric).
    """

    def __init__(self, in_channels: int, diagonal: bool = False, directed: bool = False) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.diagonal = diagonal
        self.symmetric = diagonal or not directed
        shape = (in_channels,) if diagonal else (in_channels, in_channels)
        self.weight = nn.Parameter(torch.empty(shape))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            if self.diagonal:
                self.weight.fill_(1.0)
            else:
                self.weight.copy_(torch.eye(self.in_channels))

    def relation(self) -> Tensor:
        """The effective ``(d, d)`` matrix ``R``."""
        if self.diagonal:
            return torch.diag(self.weight)
        return 0.5 * (self.weight + self.weight.t()) if self.symmetric else self.weight

    def forward(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        zu, zv = pair_ends(z, pairs)
        if self.diagonal:
            return (zu * self.weight * zv).sum(dim=-1)
        return ((zu @ self.relation()) * zv).sum(dim=-1)

    def dense(self, z: Tensor, edge_index: Tensor | None = None) -> Tensor:
        return z @ self.relation() @ z.t()

    def flops_per_pair(self) -> int | None:
        d = self.in_channels
        return 3 * d if self.diagonal else 2 * d * d + 2 * d


class MLPDecoder(StructureDecoder):
    """An MLP on a pair's features: ``z_u ⊙ z_v`` (``mode="hadamard"``) or ``[z_u, z_v]``
    (``mode="concat"``), ``depth`` hidden layers of ``width``, one logit out.
    ``dropout`` applies to the input of each hidden layer (as MaskGAE's edge decoder).

    ``depth=0`` is a linear map of the pair feature (a weighted inner product
    plus bias). The concatenation is symmetrised — ``(f([u, v]) + f([v, u]))/2``
    — unless ``directed``. Capacity grows with ``depth × width``.

    ``residual=True`` adds the pair feature ``h_0`` to every hidden layer before
    its activation, ``h_{l+1} = act(W_l h_l + b_l + h_0)`` (Refined GAE's
    residual MLP predictor; needs ``width`` equal to the pair-feature width).
    ``dropout_at`` says where dropout goes: ``"input"`` (default) on the input
    of each hidden layer, ``h_0`` included; ``"hidden"`` on each hidden layer's
    output after its activation (the inputs of the later layers and of the
    output layer, never ``h_0``), as OGB's ``LinkPredictor`` and Refined GAE do.
    ``norm="layer"`` (or ``"batch"``) normalises each hidden layer after the
    residual, before the activation (Refined GAE's ``--norm`` predictor).
    """

    def __init__(
        self,
        in_channels: int,
        width: int = 64,
        depth: int = 1,
        mode: str = "hadamard",
        dropout: float = 0.0,
        activation: str = "relu",
        directed: bool = False,
        residual: bool = False,
        dropout_at: str = "input",
        norm: str | None = None,
    ) -> None:
        super().__init__()
        if mode not in ("hadamard", "concat"):
            raise GraphaeError(f"mlp decoder: mode must be hadamard or concat, got {mode!r}")
        if depth < 0 or width < 1:
            raise GraphaeError(f"mlp decoder: need depth >= 0 and width >= 1, got {depth}, {width}")
        if dropout_at not in ("input", "hidden"):
            raise GraphaeError(
                f"mlp decoder: dropout_at must be input or hidden, got {dropout_at!r}"
            )
        self.mode = mode
        self.dropout = dropout
        self.symmetric = mode == "hadamard" or not directed
        self.directed = directed
        first = in_channels if mode == "hadamard" else 2 * in_channels
        if residual and depth and width != first:
            raise GraphaeError(
                f"mlp decoder: residual=true adds the pair feature to every hidden layer, so "
                f"width must equal its width {first} (the embedding width"
                f"{' x 2 for mode=concat' if mode == 'concat' else ''}); got width={width}"
            )
        self.residual = bool(residual)
        self.dropout_at = dropout_at
        sizes = [first] + [width] * depth + [1]
        self.lins = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.acts = nn.ModuleList(make_activation(activation, width) for _ in range(depth))
        self.norms = (
            nn.ModuleList(make_norm(norm, width) for _ in range(depth))
            if norm not in (None, "none")
            else None
        )

    def _mlp(self, h: Tensor) -> Tensor:
        h0 = h
        for i, (lin, act) in enumerate(zip(self.lins[:-1], self.acts, strict=True)):
            if self.dropout_at == "input":
                h = nn.functional.dropout(h, self.dropout, self.training)
            h = lin(h)
            if self.residual:
                h = h + h0
            if self.norms is not None:
                h = self.norms[i](h)
            h = act(h)
            if self.dropout_at == "hidden":
                h = nn.functional.dropout(h, self.dropout, self.training)
        return self.lins[-1](h).squeeze(-1)

    def forward(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        zu, zv = pair_ends(z, pairs)
        if self.mode == "hadamard":
            return self._mlp(zu * zv)
        out = self._mlp(torch.cat([zu, zv], dim=-1))
        if not self.directed:
            out = 0.5 * (out + self._mlp(torch.cat([zv, zu], dim=-1)))
        return out

    def flops_per_pair(self) -> int | None:
        f = sum(2 * lin.in_features * lin.out_features for lin in self.lins)
        return f * (2 if self.mode == "concat" and not self.directed else 1)


#: Values of ``RunConfig.propagation_order`` (:func:`gcn_product`).
PROPAGATION_ORDERS = ("auto", "transform_first")


def gcn_product(prop: Any, h: Tensor, transform: Any, widens: bool, order: str = "auto") -> Tensor:
    """``Â H W`` of one GCN layer, propagated at the narrower width under ``"auto"``.

    ``Â (H W)`` and ``(Â H) W`` are the same product; the sparse propagation
    costs ``nnz(Â)`` times the width it runs at. A decoder layer that widens
    (``d -> F`` features: 32 -> 745 on Amazon Photo) propagates the 32-wide
    rows, not the 745-wide ones. Results agree up to float rounding.

    Args:
        prop: The cached propagation ``H -> Â H``.
        h: ``(N, c_in)`` input.
        transform: ``H -> H W`` ``(N, c_in) -> (N, c_out)``.
        widens: Whether ``c_out > c_in``.
        order: ``"auto"`` (propagate first when the layer widens) or
            ``"transform_first"`` (always ``Â (H W)``: PyG's ``GCNConv`` order).

    Returns:
        ``(N, c_out)``.
    """
    if order == "auto" and widens:
        return transform(prop(h))
    return prop(transform(h))


class GCNStack(nn.Module):
    """GCN layers ``H' = Â H W + b`` over a cached propagation, activation between layers.

    Args:
        sizes: Widths ``[c_0, ..., c_L]``.
        activation: Between layers (not after the last unless ``act_last``).
        act_last: Activate the last layer too.
        dropout: Dropout on each layer's input.
    """

    def __init__(
        self,
        sizes: list[int],
        activation: str = "relu",
        act_last: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.sizes = list(sizes)
        self.lins = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in itertools.pairwise(sizes))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in sizes[1:])
        n_act = len(sizes) - 1 if act_last else len(sizes) - 2
        self.acts = nn.ModuleList(make_activation(activation, c) for c in sizes[1 : 1 + n_act])
        self.dropout = dropout
        self.cache = PropagationCache()
        #: ``RunConfig.propagation_order`` (:func:`gcn_product`); set by the model builder.
        self.propagation_order = "auto"
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for act in self.acts:
            if hasattr(act, "reset_parameters"):
                act.reset_parameters()
        for lin, b in zip(self.lins, self.biases, strict=True):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(b)

    def forward(self, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """``(N, c_0) -> (N, c_L)``."""
        return self.forward_layers(h, edge_index, edge_weight)[-1]

    def forward_layers(
        self, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        """Output of every layer, ``(N, c_1) ... (N, c_L)`` (layer-wise probing)."""
        prop = self.cache.get(edge_index, h.size(0), edge_weight)
        outs = []
        for i in range(len(self.lins)):
            h = self._layer(i, prop, h)
            outs.append(h)
        return outs

    def forward_affine(
        self, h: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> AffineOutput:
        """The output ``Â H W + b`` of the last layer (no activation after it), unapplied.

        Returns:
            ``g = Â H`` ``(N, c_{L-1})`` with the last layer's ``W`` and ``b``
            (:class:`AffineOutput`).
        """
        if len(self.acts) == len(self.lins):
            raise GraphaeError("a GCN stack activated after its last layer is not affine")
        prop = self.cache.get(edge_index, h.size(0), edge_weight)
        for i in range(len(self.lins) - 1):
            h = self._layer(i, prop, h)
        h = nn.functional.dropout(h, self.dropout, self.training)
        return AffineOutput(prop(h), self.lins[-1].weight.t(), self.biases[-1])

    def _layer(self, i: int, prop: Any, h: Tensor) -> Tensor:
        lin, b = self.lins[i], self.biases[i]
        h = nn.functional.dropout(h, self.dropout, self.training)
        widens = lin.out_features > lin.in_features
        h = gcn_product(prop, h, lin, widens, self.propagation_order) + b
        return self.acts[i](h) if i < len(self.acts) else h


def _need_graph(name: str, edge_index: Tensor | None) -> Tensor:
    if edge_index is None:
        raise GraphaeError(f"the {name} decoder propagates over the graph: pass edge_index")
    return edge_index


class GNNDecoder(StructureDecoder):
    """A mirrored GCN stack over the message-passing graph, then a pair scorer.

    The stack has the encoder's widths reversed with the input width replaced
    by ``hidden_channels`` (encoder ``F -> h -> d`` gives ``d -> h -> h``), or
    ``layers`` layers ``d -> hidden -> ... -> hidden``. Pairs are scored by the
    inner product (``scorer="inner_product"``, symmetric) or a one-hidden-layer
    Hadamard MLP (``scorer="mlp"``) on the propagated embeddings.
    """

    needs_graph = True

    def __init__(
        self,
        sizes: list[int],
        scorer: str = "inner_product",
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.stack = GCNStack(sizes, activation, act_last=False, dropout=dropout)
        if scorer == "inner_product":
            self.scorer: StructureDecoder = InnerProductDecoder(sizes[-1])
        elif scorer == "mlp":
            self.scorer = MLPDecoder(sizes[-1], width=sizes[-1], depth=1)
        else:
            raise GraphaeError(f"gnn decoder: scorer must be inner_product or mlp, got {scorer!r}")

    def forward(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        h = self.stack(z, _need_graph("gnn", edge_index))
        return self.scorer(h, pairs)

    def forward_layers(self, z: Tensor, edge_index: Tensor | None = None) -> list[Tensor]:
        """Node representations after each layer of the stack (before the pair scorer)."""
        return self.stack.forward_layers(z, _need_graph("gnn", edge_index))

    def dense(self, z: Tensor, edge_index: Tensor | None = None) -> Tensor:
        return self.scorer.dense(self.stack(z, _need_graph("gnn", edge_index)))


class NCNDecoder(StructureDecoder):
    """Neural Common Neighbour: an MLP on ``[z_u ⊙ z_v, Σ_{w ∈ Γ(u) ∩ Γ(v)} z_w]``.

    Wang, Yang & Zhang, "Neural Common Neighbor with Completion for Link
    Prediction" (ICLR 2024): the pair's Hadamard product beside the sum of the
    embeddings of its common neighbours in the message-passing graph, so the
    decoder sees the pair's shared neighbourhood that a node-wise GAE cannot
    tell apart. ``depth`` hidden layers of ``width`` (``depth=0``: a linear map);
    ``dropout`` on each hidden layer's input. Symmetric (undirected
    neighbourhoods). The paper's target-link removal for training positives
    is graphae's edge masking (``edge_mask``): masked training pairs leave the
    message-passing graph of the step before the encoder and this decoder see it.

    Args:
        in_channels: ``d``.
        width: Hidden width.
        depth: Hidden layers.
        dropout: Dropout on the input of each hidden layer.
        activation: Hidden activation (:func:`~graphae.nn.encoders.make_activation`).
    """

    needs_graph = True

    def __init__(
        self,
        in_channels: int,
        width: int = 64,
        depth: int = 1,
        dropout: float = 0.0,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        if depth < 0 or width < 1:
            raise GraphaeError(f"ncn decoder: need depth >= 0 and width >= 1, got {depth}, {width}")
        self.dropout = dropout
        sizes = [2 * in_channels] + [width] * depth + [1]
        self.lins = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.acts = nn.ModuleList(make_activation(activation, width) for _ in range(depth))
        self._index = NeighborIndex()

    def pair_features(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None) -> Tensor:
        """``(P, 2d)`` inputs of the MLP: ``[z_u ⊙ z_v, Σ_{w ∈ Γ(u)∩Γ(v)} z_w]``."""
        zu, zv = pair_ends(z, pairs)
        cn = common_neighbor_sum(z, pairs, _need_graph("ncn", edge_index), self._index)
        return torch.cat([zu * zv, cn], dim=-1)

    def forward(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        h = self.pair_features(z, pairs, edge_index)
        for lin, act in zip(self.lins[:-1], self.acts, strict=True):
            h = act(lin(nn.functional.dropout(h, self.dropout, self.training)))
        return self.lins[-1](h).squeeze(-1)


class PairCountsHead(StructureDecoder):
    """A structure decoder plus a learned function of the pair's heuristic counts.

    ``logit = base(z, pairs) + MLP(log1p(counts(u, v)))``, with the counts of
    :func:`~graphae.nn.pair_structure.pair_counts` (common neighbours,
    Adamic–Adar, resource allocation, paths of length 3, preferential
    attachment) on the message-passing graph without the pair's own edge, so
    a held-out pair and a training positive (an edge of that graph) are
    counted alike. The head reads what the classic heuristics read — the
    longer paths of Katz, the degree product of preferential attachment —
    which a node-wise decoder cannot, and leaves the embeddings to model the
    rest (``benchmarks/results/featureless.md``). Built by
    :func:`build_decoder` with ``counts=true`` on any structure decoder.

    Args:
        base: The structure decoder whose logit the head adds to.
        width: Hidden width of the one-hidden-layer MLP on the 5 counts.

    Shapes: ``z (N, d)``, ``pairs (2, P)``, ``edge_index (2, E)`` → ``(P,)`` logits.
    """

    needs_graph = True

    def __init__(self, base: StructureDecoder, width: int = 32) -> None:
        super().__init__()
        self.base = base
        self.head = nn.Sequential(
            nn.Linear(len(PAIR_COUNTS), width), nn.ReLU(), nn.Linear(width, 1)
        )
        # the base's neighbour index when it has one (ncn): one index per graph
        self._index = getattr(base, "_index", None) or NeighborIndex()

    def forward(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        graph = _need_graph("counts head", edge_index)
        c = pair_counts(pairs, graph, z.size(0), self._index).to(z.dtype)
        return self.base(z, pairs, graph) + self.head(torch.log1p(c)).squeeze(-1)


# -------------------------------------------------------------------- feature


@dataclass(frozen=True)
class AffineOutput:
    """A feature decoder's output ``x̂ = g w + b`` with its last linear map not applied.

    A loss that needs only row inner products of ``x̂`` (the feature MSE and
    the scaled cosine error) computes them from ``g`` and ``w`` without forming
    the ``(N, F)`` matrix (:func:`graphae.models.losses.affine_feature_loss`).

    Attributes:
        g: ``(N, c)`` what the last map reads (after the propagation, for a GCN layer).
        w: ``(c, F)`` its weight.
        b: ``(F,)`` its bias, or ``None``.
    """

    g: Tensor
    w: Tensor
    b: Tensor | None = None

    def augmented(self) -> tuple[Tensor, Tensor]:
        """``g' = [g, 1]`` ``(N, c+1)`` and ``w' = [w; b]`` ``(c+1, F)``, with ``x̂ = g' w'``
        (returned as they are, ``(N, c)`` and ``(c, F)``, without a bias)."""
        if self.b is None:
            return self.g, self.w
        ones = self.g.new_ones(self.g.size(0), 1)
        return torch.cat([self.g, ones], 1), torch.cat([self.w, self.b.unsqueeze(0)], 0)

    def dense(self) -> Tensor:
        """``x̂`` ``(N, F)``."""
        x_hat = self.g @ self.w
        return x_hat if self.b is None else x_hat + self.b


class FeatureDecoder(Decoder):
    """Reconstructs node features: ``(z, edge_index, edge_weight) -> x_hat (N, F)``."""

    kind = "feature"

    def affine_output(
        self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> AffineOutput | None:
        """``x̂`` as ``g w + b`` before its last linear map, or ``None`` (the default)
        for a decoder that does not end in one.

        The last GCN layer's ``Â H W`` is read as ``(Â H) W`` whatever the
        ``propagation_order``: the same product up to float rounding.

        Args:
            z: ``(N, d)`` embeddings.
            edge_index: ``(2, E)`` message-passing graph.
            edge_weight: ``(E,)`` optional weights.
        """
        return None

    def forward(self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """Reconstruct features.

        Args:
            z: ``(N, d)`` embeddings.
            edge_index: ``(2, E)`` message-passing graph.
            edge_weight: ``(E,)`` optional weights.

        Returns:
            ``(N, F)`` reconstructed features.
        """
        raise NotImplementedError


class LinearFeatureDecoder(FeatureDecoder):
    """``x̂ = z W + b`` per node (no graph); ``d·F (+ F)`` parameters."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__()
        self.lin = nn.Linear(in_channels, out_channels, bias=bias)

    def forward(self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        return self.lin(z)

    def affine_output(
        self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> AffineOutput:
        return AffineOutput(z, self.lin.weight.t(), self.lin.bias)


class MirrorDecoder(FeatureDecoder):
    """GCN layers with the encoder's widths reversed (``d -> h -> F``), own weights.

    Args:
        sizes: ``[d, ..., F]``.
        activation: Between layers; none after the last.
        dropout: Dropout on each layer's input.
    """

    def __init__(self, sizes: list[int], activation: str = "relu", dropout: float = 0.0) -> None:
        super().__init__()
        self.stack = GCNStack(sizes, activation, act_last=False, dropout=dropout)

    def forward(self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        return self.stack(z, edge_index, edge_weight)

    def forward_layers(
        self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        """Output of every mirror layer, the last being ``x̂`` ``(N, F)``."""
        return self.stack.forward_layers(z, edge_index, edge_weight)

    def affine_output(
        self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> AffineOutput:
        return self.stack.forward_affine(z, edge_index, edge_weight)

    def decoder_weights(self) -> list[Tensor]:
        """``(c_in, c_out)`` weight of each mirror layer, ``d`` side first."""
        return [lin.weight.t() for lin in self.stack.lins]


class _BorrowedMirror(FeatureDecoder):
    """A mirror whose weights are computed from the encoder's on every call.

    The encoder is referenced, not registered as a submodule: its parameters
    stay the encoder's (0 own parameters here, no duplicate state-dict keys).
    """

    def __init__(self, encoder: Encoder, activation: str = "relu") -> None:
        super().__init__()
        try:
            weights = encoder.layer_weights()
        except NotImplementedError as e:
            raise GraphaeError(
                f"the {self.name} decoder needs an encoder with one weight matrix per layer "
                f"(gcn, gat, linear, mlp); {type(encoder).__name__} has none"
            ) from e
        self._encoder = (encoder,)  # a tuple hides it from nn.Module registration
        self.activation = activation
        self.sizes = [weights[-1].size(1)] + [w.size(0) for w in reversed(weights)]
        self._acts = [make_activation(activation, c) for c in self.sizes[1:-1]]
        if any(sum(p.numel() for p in a.parameters()) for a in self._acts):
            raise GraphaeError(f"the {self.name} decoder needs a parameter-free activation")
        self.cache = PropagationCache()
        #: ``RunConfig.propagation_order`` (:func:`gcn_product`); set by the model builder.
        self.propagation_order = "auto"

    name = "borrowed"

    @property
    def encoder(self) -> Encoder:
        """The encoder whose weights this decoder borrows."""
        return self._encoder[0]

    def transform(self, w: Tensor) -> Tensor:
        """Decoder weight ``(c_out_enc, c_in_enc)`` from an encoder weight ``(c_in, c_out)``."""
        raise NotImplementedError

    def decoder_weights(self) -> list[Tensor]:
        """``(c_in, c_out)`` weight of each mirror layer, ``d`` side first."""
        return [self.transform(w) for w in reversed(self.encoder.layer_weights())]

    def forward(self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        return self.forward_layers(z, edge_index, edge_weight)[-1]

    def forward_layers(
        self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        """Output of every mirror layer, the last being ``x̂`` ``(N, F)``."""
        prop = self.cache.get(edge_index, z.size(0), edge_weight)
        h = z
        outs = []
        weights = self.decoder_weights()
        for i, w in enumerate(weights):
            times_w = w.__rmatmul__  # t -> t @ w
            h = gcn_product(prop, h, times_w, w.size(1) > w.size(0), self.propagation_order)
            if i < len(weights) - 1:
                h = self._acts[i](h)
            outs.append(h)
        return outs

    def affine_output(
        self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> AffineOutput:
        prop = self.cache.get(edge_index, z.size(0), edge_weight)
        h = z
        weights = self.decoder_weights()
        for i, w in enumerate(weights[:-1]):
            h = gcn_product(prop, h, w.__rmatmul__, w.size(1) > w.size(0), self.propagation_order)
            h = self._acts[i](h)
        return AffineOutput(prop(h), weights[-1])


class TiedDecoder(_BorrowedMirror):
    """The mirror with each weight the transpose of its encoder counterpart.

    Layer ``l`` of the decoder uses ``W_{L-l}ᵀ``; no biases: 0 own parameters.
    """

    name = "tied"

    def transform(self, w: Tensor) -> Tensor:
        return w.t()


class PinvDecoder(_BorrowedMirror):
    """The mirror with the Moore–Penrose pseudo-inverse of each encoder weight.

    ``torch.linalg.pinv`` is recomputed from the encoder every call and is
    differentiable (gradients flow into the encoder); 0 own parameters.

    The pseudo-inverse is :func:`pseudo_inverse` (a tall weight through its transpose).
    """

    name = "pinv"

    def transform(self, w: Tensor) -> Tensor:
        return pseudo_inverse(w)


def pseudo_inverse(w: Tensor) -> Tensor:
    """``torch.linalg.pinv(w)``, computed as ``pinv(wᵀ)ᵀ`` for a tall ``w``.

    The same matrix up to float rounding (~5e-6 relative in fp32): torch's
    backward of ``pinv`` forms two ``(m, m)`` products for a tall ``(m, n)``
    input and only ``(n, n)`` / ``(n, m)`` ones for a wide one. For the first
    layer's ``6,805 x 32`` weight on Coauthor CS that is ~0.7 s against ~11 ms per
    step on a CPU thread (``benchmarks/pinv_backward.py``).

    Args:
        w: ``(m, n)``.

    Returns:
        ``(n, m)``.
    """
    if w.size(0) > w.size(1):
        return torch.linalg.pinv(w.t()).t()
    return torch.linalg.pinv(w)


# ---------------------------------------------------------------------- registry


@_register("inner_product", "structure", "z_uᵀz_v, the parameter-free GAE decoder; 0 parameters")
def _inner_product(in_channels: int = 0) -> Decoder:
    return InnerProductDecoder(in_channels)


@_register(
    "distance",
    "structure",
    "-‖z_u-z_v‖²; 0 parameters (bias=true: + a learned scalar, 1 parameter)",
)
def _distance(in_channels: int = 0, bias: bool = False) -> Decoder:
    return DistanceDecoder(in_channels, bias)


@_register(
    "bilinear",
    "structure",
    "z_uᵀRz_v, full R (d² parameters; symmetrised unless directed) or diagonal=true (d)",
)
def _bilinear(in_channels: int, directed: bool = False, diagonal: bool = False) -> Decoder:
    return BilinearDecoder(in_channels, diagonal, directed)


@_register(
    "mlp",
    "structure",
    "MLP on z_u⊙z_v (mode=hadamard) or [z_u,z_v] (mode=concat); depth, width, dropout, "
    "residual, dropout_at, norm",
)
def _mlp(
    in_channels: int,
    hidden_channels: int = 64,
    directed: bool = False,
    depth: int = 1,
    width: int | None = None,
    mode: str = "hadamard",
    dropout: float = 0.0,
    activation: str = "relu",
    residual: bool = False,
    dropout_at: str = "input",
    norm: str | None = None,
) -> Decoder:
    return MLPDecoder(
        in_channels,
        width or hidden_channels,
        depth,
        mode,
        dropout,
        activation,
        directed,
        residual,
        dropout_at,
        norm,
    )


def _mirror_sizes(
    in_channels: int,
    hidden_channels: int,
    last: int,
    num_layers: int,
    encoder: Encoder | None,
    layers: int | None,
) -> list[int]:
    if layers is None and encoder is not None and getattr(encoder, "sizes", None):
        sizes = list(reversed(encoder.sizes))
        return [in_channels, *sizes[1:-1], last]
    return channel_sizes(in_channels, hidden_channels, last, layers or num_layers)


@_register(
    "gnn", "structure", "mirrored GCN stack over the graph, then scorer=inner_product|mlp; layers"
)
def _gnn(
    in_channels: int,
    hidden_channels: int = 32,
    num_layers: int = 2,
    encoder: Encoder | None = None,
    layers: int | None = None,
    scorer: str = "inner_product",
    activation: str = "relu",
    dropout: float = 0.0,
) -> Decoder:
    sizes = _mirror_sizes(
        in_channels, hidden_channels, hidden_channels, num_layers, encoder, layers
    )
    return GNNDecoder(sizes, scorer, activation, dropout)


@_register(
    "ncn",
    "structure",
    "Neural Common Neighbour: MLP on [z_u⊙z_v, sum of common neighbours' z]; depth, width",
)
def _ncn(
    in_channels: int,
    hidden_channels: int = 64,
    depth: int = 1,
    width: int | None = None,
    dropout: float = 0.0,
    activation: str = "relu",
) -> Decoder:
    return NCNDecoder(in_channels, width or hidden_channels, depth, dropout, activation)


def _need_width(name: str, out_channels: int | None) -> int:
    if not out_channels:
        raise GraphaeError(f"the {name} feature decoder needs the feature width out_channels=F")
    return int(out_channels)


@_register("linear", "feature", "x̂ = zW + b per node; d·F + F parameters (bias=false: d·F)")
def _linear(in_channels: int, out_channels: int | None = None, bias: bool = True) -> Decoder:
    return LinearFeatureDecoder(in_channels, _need_width("linear", out_channels), bias)


@_register(
    "mirror",
    "feature",
    "GCN stack with the encoder's widths reversed (d → hidden → F); layers, activation",
)
def _mirror(
    in_channels: int,
    hidden_channels: int = 32,
    out_channels: int | None = None,
    num_layers: int = 2,
    encoder: Encoder | None = None,
    layers: int | None = None,
    activation: str = "relu",
    dropout: float = 0.0,
) -> Decoder:
    f = _need_width("mirror", out_channels)
    sizes = _mirror_sizes(in_channels, hidden_channels, f, num_layers, encoder, layers)
    return MirrorDecoder(sizes, activation, dropout)


def _need_encoder(name: str, encoder: Encoder | None) -> Encoder:
    if encoder is None:
        raise GraphaeError(f"the {name} decoder borrows the encoder's weights: pass encoder=")
    return encoder


@_register(
    "tied",
    "feature",
    "mirror with the transposes Wᵀ of the encoder weights; 0 own parameters (borrowed)",
)
def _tied(encoder: Encoder | None = None, activation: str = "relu") -> Decoder:
    return TiedDecoder(_need_encoder("tied", encoder), activation)


@_register(
    "pinv",
    "feature",
    "mirror with pinv(W) of the encoder weights, recomputed each step; 0 own parameters",
)
def _pinv(encoder: Encoder | None = None, activation: str = "relu") -> Decoder:
    return PinvDecoder(_need_encoder("pinv", encoder), activation)


def build_decoder(name: str, options: dict[str, Any] | None = None, **context: Any) -> Decoder:
    """Build a registered decoder from context and user options.

    Args:
        name: Registered name (``decoders.names()``).
        options: Decoder-specific options (``depth``, ``diagonal``...); an option
            the decoder does not take raises a :class:`GraphaeError` listing the
            valid ones.
        **context: Keywords from :data:`DECODER_CONTEXT`; each factory takes
            the ones it declares.

    Returns:
        The decoder.
    """
    opts = dict(options or {})
    shared = shared_options(name)
    head = {k: opts.pop(k) for k in shared if k in opts}
    decoder = call_factory("decoder", name, decoders.get(name), context, opts, tuple(shared))
    if not head:
        return decoder
    counts = head.get("counts", shared["counts"])
    width = head.get("counts_width", shared["counts_width"])
    if not isinstance(counts, bool):
        raise GraphaeError(f"decoder option counts must be true or false, got {counts!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise GraphaeError(f"decoder option counts_width must be an integer >= 1, got {width!r}")
    if not counts:
        if "counts_width" in head:
            raise GraphaeError("decoder option counts_width needs counts=true")
        return decoder
    return PairCountsHead(decoder, width)

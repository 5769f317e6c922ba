"""Learnable per-node tables: the ``embedding`` encoder (auto-decoder) and hybrid encoders.

* :class:`EmbeddingEncoder` (registered as ``embedding``) has no encoder at
  all: node ``i``'s embedding is a free latent code ``z_i``, a row of an
  ``(N, d)`` table trained together with the decoder (DeepSDF's auto-decoder).
  It ignores ``x`` and ``edge_index`` (``uses_graph = False``). The table is an
  ``nn.Embedding(sparse=True)`` by default, so a step's gradient holds only the
  rows of the nodes in the batch and ``torch.optim.SparseAdam`` updates only
  those rows (see :mod:`graphae.training.strategies`).
* :class:`HybridEncoder` wraps any GNN encoder with learnable tables, as the
  OGB ddi leaderboard entries do: ``learnable_input`` feeds the GNN a learnable
  ``(N, k)`` input table (concatenated to ``x``, or alone when the graph has no
  features) and ``hybrid="add"|"concat"`` adds a latent table to (or
  concatenates one with) the GNN's output. :func:`build_hybrid` turns the
  encoder options ``learnable_input``, ``input_channels``, ``hybrid``,
  ``hybrid_channels``, ``table_init_std`` and ``table_init`` of *any*
  registered encoder into this wrapper.

``table_init="orthogonal"`` (for these tables and for the ``embedding``
encoder) starts a table as a scaled orthogonal matrix (orthonormal columns when
``N >= d``), the initialisation of the refined-GAE recipe for learnable node
embeddings (Ma et al., "Reconsidering the Performance of GAE in Link
Prediction", 2024); its entries have the std of the default initialisation.
The default ``"normal"`` keeps the earlier initialisation bit for bit.

Every table is a :class:`LatentTable`, which is how the training strategies
find the latent codes (:func:`latent_tables`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from graphae.errors import GraphaeError
from graphae.nn.base import Encoder, encoders

#: Encoder options every encoder accepts through :func:`build_hybrid`.
HYBRID_OPTIONS = (
    "learnable_input",
    "input_channels",
    "hybrid",
    "hybrid_channels",
    "table_init_std",
    "table_init",
)

#: Valid values of the ``table_init`` option.
TABLE_INITS = ("normal", "orthogonal")


class LatentTable(nn.Module):
    """An ``(N, d)`` table of learnable rows (one latent code per node).

    Args:
        num_nodes: ``N``.
        channels: ``d``.
        init_std: Std of the normal initialisation; ``None`` for Glorot-uniform
            (``U(±sqrt(6 / (N + d)))``, as OGB's ddi baselines initialise theirs).
        sparse: Sparse row gradients (train with ``torch.optim.SparseAdam``).
        init: ``"normal"`` (the distribution above) or ``"orthogonal"``: a random
            orthogonal matrix (:func:`torch.nn.init.orthogonal_`) scaled by
            ``std · sqrt(max(N, d))``, so its entries have the std ``std`` of
            the ``"normal"`` choice (``init_std``, or Glorot's ``sqrt(2 / (N + d))``).
    """

    def __init__(
        self,
        num_nodes: int,
        channels: int,
        init_std: float | None = 0.1,
        sparse: bool = False,
        init: str = "normal",
    ) -> None:
        super().__init__()
        if num_nodes < 1 or channels < 1:
            raise GraphaeError(
                f"a latent table needs num_nodes >= 1 and channels >= 1, got {num_nodes}, {channels}"
            )
        if init_std is not None and init_std < 0:
            raise GraphaeError(f"init_std must be >= 0, got {init_std}")
        if init not in TABLE_INITS:
            raise GraphaeError(f"table_init must be one of {', '.join(TABLE_INITS)}, got {init!r}")
        self.init_std = init_std
        self.init = init
        self.sparse = sparse
        self.embedding = nn.Embedding(num_nodes, channels, sparse=sparse)
        self.reset_parameters()

    @property
    def weight(self) -> Tensor:
        """The ``(N, d)`` table parameter."""
        return self.embedding.weight

    @property
    def num_nodes(self) -> int:
        """``N``."""
        return self.embedding.num_embeddings

    def reset_parameters(self) -> None:
        """Normal(0, init_std²) rows, Glorot-uniform when ``init_std`` is ``None``, or
        the scaled orthogonal matrix of ``init="orthogonal"``."""
        if self.init == "orthogonal":
            n, d = self.embedding.weight.shape
            std = self.init_std if self.init_std is not None else math.sqrt(2.0 / (n + d))
            with torch.no_grad():
                nn.init.orthogonal_(self.embedding.weight, gain=std * math.sqrt(max(n, d)))
        elif self.init_std is None:
            nn.init.xavier_uniform_(self.embedding.weight)
        else:
            nn.init.normal_(self.embedding.weight, 0.0, self.init_std)

    def forward(self, rows: Tensor | None = None) -> Tensor:
        """Rows ``(R, d)`` of ``rows`` ``(R,)``, or the whole table ``(N, d)``.

        Gradients flow through the lookup (sparse ones for a sparse table).
        """
        if rows is None:
            if not self.sparse:
                return self.embedding.weight
            rows = torch.arange(self.num_nodes, device=self.embedding.weight.device)
        return self.embedding(rows)


class EmbeddingEncoder(Encoder):
    """The auto-decoder's "encoder": a free latent code per node.

    ``forward`` returns the whole ``(N, d)`` code table and ignores ``x`` and
    ``edge_index``; :meth:`rows` looks up a subset (what the sparse training path
    uses). The L2 prior on the codes is a training setting
    (``RunConfig.prior_sigma``, see :mod:`graphae.training.strategies`), not part of
    the encoder.

    Args:
        num_nodes: ``N``.
        out_channels: ``d``.
        in_channels: Feature width of the graph (unused; kept for decoders that
            reconstruct features and for the checkpoint spec).
        init_std: Std of the codes' normal initialisation; ``None`` (default):
            ``d^(-1/4)``, so that an inner product ``z_uᵀz_v`` of two random codes
            has unit variance at initialisation and a Hadamard-input MLP decoder
            starts with useful gradients (a much smaller scale leaves
            ``z_u ⊙ z_v`` near 0 and the MLP stuck at the chance loss).
        sparse: Sparse gradients / SparseAdam (rows outside the batch untouched).
        table_init: ``"normal"`` or ``"orthogonal"`` (see :class:`LatentTable`).
    """

    uses_graph = False

    def __init__(
        self,
        num_nodes: int,
        out_channels: int = 16,
        in_channels: int = 0,
        init_std: float | None = None,
        sparse: bool = True,
        table_init: str = "normal",
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.sizes = [in_channels, out_channels]
        std = out_channels**-0.25 if init_std is None else init_std
        self.codes = LatentTable(num_nodes, out_channels, std, sparse, table_init)

    @property
    def num_nodes(self) -> int:
        """``N``, the number of codes."""
        return self.codes.num_nodes

    def rows(self, index: Tensor) -> Tensor:
        """Codes ``(R, d)`` of nodes ``index`` ``(R,)`` (only these rows get gradients)."""
        return self.codes(index)

    def forward_layers(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        z = self.codes()
        if x.dim() == 2 and x.size(0) not in (0, z.size(0)):
            raise GraphaeError(
                f"the embedding encoder has codes for {z.size(0)} nodes but got a graph of "
                f"{x.size(0)}; embed new nodes with graphae.inference.latent.infer_codes"
            )
        return [z]

    def reset_parameters(self) -> None:
        self.codes.reset_parameters()


class HybridEncoder(Encoder):
    """A GNN encoder with learnable node tables at its input and/or output.

    ``h = [x, T_in]`` (``T_in`` alone when ``x`` has no columns), ``g = GNN(h)``,
    then ``z = g + T_out`` (``hybrid="add"``), ``z = [g, T_out]``
    (``"concat"``) or ``z = g``. The tables are dense (every row is in the
    full-graph forward pass) and count as latent codes for the prior and the
    alternating strategy.

    Args:
        inner: The GNN, built with ``in_channels = F + k_in`` and, for
            ``concat``, ``out_channels = d - k_out``.
        num_nodes: ``N``.
        in_channels: ``F`` (0 for a featureless graph).
        input_channels: ``k_in`` (0: no input table).
        hybrid: ``None``, ``"add"`` or ``"concat"``.
        hybrid_channels: ``k_out`` (``d`` for ``add``).
        init_std: Std of the tables' normal init (``None``: Glorot-uniform).
        table_init: ``"normal"`` or ``"orthogonal"`` (see :class:`LatentTable`).
    """

    def __init__(
        self,
        inner: Encoder,
        num_nodes: int,
        in_channels: int,
        input_channels: int = 0,
        hybrid: str | None = None,
        hybrid_channels: int = 0,
        init_std: float | None = None,
        table_init: str = "normal",
    ) -> None:
        super().__init__()
        self.inner = inner
        self.in_channels = in_channels
        self.hybrid = hybrid
        self.input_table = (
            LatentTable(num_nodes, input_channels, init_std, init=table_init)
            if input_channels
            else None
        )
        self.output_table = (
            LatentTable(num_nodes, hybrid_channels, init_std, init=table_init) if hybrid else None
        )
        self.out_channels = inner.out_channels + (hybrid_channels if hybrid == "concat" else 0)
        self.sizes = [in_channels, *inner.sizes[1:-1], self.out_channels]

    def forward_layers(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> list[Tensor]:
        h = x
        if self.input_table is not None:
            t = self.input_table()
            if x.size(0) != t.size(0):
                raise GraphaeError(
                    f"the encoder's learnable input table has {t.size(0)} rows but the graph "
                    f"has {x.size(0)} nodes; a learnable-input model embeds its training graph only"
                )
            h = t if x.size(1) == 0 else torch.cat([x, t.to(x.dtype)], dim=-1)
        outs = self.inner.forward_layers(h, edge_index, edge_weight)
        if self.output_table is not None:
            t = self.output_table()
            last = outs[-1] + t if self.hybrid == "add" else torch.cat([outs[-1], t], dim=-1)
            outs = [*outs[:-1], last]
        return outs

    def reset_parameters(self) -> None:
        self.inner.reset_parameters()
        for t in (self.input_table, self.output_table):
            if t is not None:
                t.reset_parameters()

    def layer_weights(self) -> list[Tensor]:
        return self.inner.layer_weights()


def latent_tables(module: nn.Module) -> list[LatentTable]:
    """Every :class:`LatentTable` inside ``module`` (the latent codes)."""
    return [m for m in module.modules() if isinstance(m, LatentTable)]


def build_hybrid(
    name: str,
    context: dict[str, Any],
    options: dict[str, Any],
    make: Callable[[dict[str, Any], dict[str, Any]], Encoder],
) -> Encoder:
    """Build encoder ``name``, wrapped in a :class:`HybridEncoder` when its options ask.

    Options (any encoder but ``embedding``):

    * ``learnable_input`` (bool): a learnable ``(N, input_channels)`` input table.
    * ``input_channels`` (int): its width (default ``hidden_channels``).
    * ``hybrid`` (``"add"`` | ``"concat"``): a latent table added to / concatenated
      with the output.
    * ``hybrid_channels`` (int): the concatenated table's width (default ``d // 2``;
      the GNN then outputs ``d - hybrid_channels`` so ``z`` stays ``d`` wide).
    * ``table_init_std`` (float): normal init std of the tables (default Glorot-uniform).
    * ``table_init`` (``"normal"`` | ``"orthogonal"``): how the tables start
      (see :class:`LatentTable`; default ``"normal"``).

    Args:
        name: Registered encoder name.
        context: Sizes (``in_channels``, ``hidden_channels``, ``out_channels``,
            ``num_nodes``...), as :func:`~graphae.nn.encoders.build_encoder` gets them.
        options: The user's encoder options (the hybrid ones are taken out).
        make: ``make(context, options) -> Encoder`` builds the plain encoder.

    Returns:
        The encoder.

    Raises:
        GraphaeError: On invalid hybrid options.
    """
    opts = dict(options)
    own = ("table_init",) if name == "embedding" else ()  # the embedding encoder's own option
    hyb = {k: opts.pop(k) for k in HYBRID_OPTIONS if k in opts and k not in own}
    learnable = bool(hyb.get("learnable_input", False))
    mode = hyb.get("hybrid")
    if not learnable and mode is None:
        if any(
            k in hyb for k in ("input_channels", "hybrid_channels", "table_init_std", "table_init")
        ):
            raise GraphaeError(
                "input_channels / hybrid_channels / table_init_std / table_init need "
                "learnable_input=true or hybrid=add|concat"
            )
        return make(context, opts)
    if name == "embedding":
        raise GraphaeError(
            "the embedding encoder is already a latent table (it takes table_init itself); "
            "hybrid options "
            "apply to GNN encoders (gcn, sage, ...)"
        )
    if mode not in (None, "add", "concat"):
        raise GraphaeError(f"hybrid must be add or concat, got {mode!r}")
    ctx = dict(context)
    n = ctx.get("num_nodes")
    if not n:
        raise GraphaeError("learnable node tables need num_nodes")
    f = int(ctx.get("in_channels") or 0)
    d = int(ctx["out_channels"])
    k_in = int(hyb.get("input_channels") or ctx.get("hidden_channels") or d) if learnable else 0
    k_out = 0
    if mode == "add":
        k_out = d
    elif mode == "concat":
        k_out = int(hyb.get("hybrid_channels") or d // 2)
        if not 1 <= k_out < d:
            raise GraphaeError(f"hybrid_channels must be in [1, out_channels), got {k_out}")
        ctx["out_channels"] = d - k_out
    if f + k_in == 0:
        raise GraphaeError(
            "the graph has no node features; give the encoder a learnable input "
            "(encoder option learnable_input=true) or use --encoder embedding"
        )
    ctx["in_channels"] = f + k_in
    inner = make(ctx, opts)
    init = hyb.get("table_init_std")
    return HybridEncoder(
        inner,
        int(n),
        f,
        k_in,
        mode,
        k_out,
        None if init is None else float(init),
        str(hyb.get("table_init", "normal")),
    )


#: The ``feature_fallback`` values whose encoder learns an input code per node.
LEARNABLE_FALLBACK = "learnable"
DEGREE_LEARNABLE_FALLBACK = "degree_learnable"


def featureless_options(config: Any, in_channels: int) -> dict[str, Any]:
    """The encoder options a run builds its encoder with.

    ``config.encoder_options``, plus ``learnable_input=True`` when a GNN
    encoder meets a user graph whose features are a learnable fallback:
    ``in_channels == 0`` and ``config.feature_fallback`` is ``"learnable"`` or
    ``"auto"`` (runs recorded before ``"auto"`` meant ``"degree_learnable"``
    above 2,048 nodes), or ``config.feature_fallback`` is
    ``"degree_learnable"`` (degree features, codes beside them). Named
    datasets without features (SEAL, ogbl-ddi) are left alone: they keep
    asking for ``--encoder embedding`` or ``learnable_input=true``.

    Args:
        config: A :class:`~graphae.config.RunConfig` (or anything with its fields).
        in_channels: The graph's feature width ``F``.
    """
    options = dict(getattr(config, "encoder_options", {}) or {})
    fallback = getattr(config, "feature_fallback", "auto")
    learnable = fallback == DEGREE_LEARNABLE_FALLBACK or (
        in_channels == 0 and fallback in ("auto", LEARNABLE_FALLBACK)
    )
    if (
        learnable
        and getattr(config, "graph", None) is not None
        and getattr(config, "features", None) is None
        and not needs_no_features(config.encoder, options)
        and not options.get("hybrid")
    ):
        options["learnable_input"] = True
    return options


def needs_no_features(encoder: str, options: dict[str, Any]) -> bool:
    """Whether an encoder (with these options) can run on a featureless graph."""
    return encoder == "embedding" or bool(options.get("learnable_input", False))


@encoders.register("embedding")
def _embedding(
    num_nodes: int,
    out_channels: int = 16,
    in_channels: int = 0,
    init_std: float | None = None,
    sparse: bool = True,
    table_init: str = "normal",
) -> Encoder:
    """Auto-decoder: a free latent code per node (N×d table, sparse rows); ignores x and edges."""
    if init_std is not None and not math.isfinite(float(init_std)):
        raise GraphaeError(f"init_std must be finite, got {init_std}")
    return EmbeddingEncoder(
        num_nodes,
        out_channels,
        in_channels,
        None if init_std is None else float(init_std),
        bool(sparse),
        str(table_init),
    )

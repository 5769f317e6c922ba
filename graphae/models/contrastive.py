"""Self-supervised objectives that compare views instead of reconstructing: DGI, GRACE, BGRL.

Each objective is a model of the protocol
:class:`~graphae.models.protocol.GraphModel` that
:class:`~graphae.models.GraphAutoEncoder` implements (``loss`` / ``post_step`` /
``main_parameters`` / ``encode`` / ``score`` / ``parameter_counts`` /
``reset_parameters``), so :func:`graphae.pipeline.fit` trains it with the same
loop, the same split and the same probes as every autoencoder; only the loss
differs. ``RunConfig(objective="dgi" | "grace" | "bgrl")`` selects one and
``RunConfig.objective_options`` overrides its settings (:data:`OBJECTIVE_OPTIONS`).

=========  ==========================================================  =================
objective  loss                                                        head ("decoder")
=========  ==========================================================  =================
``dgi``    Deep Graph Infomax (Veličković et al., 2019): a bilinear    ``W`` ``(d, d)``
           discriminator tells ``(z_i, s)`` from ``(z̃_i, s)`` where
           ``s = σ(mean z)`` and ``z̃`` encodes row-shuffled features
``grace``  GRACE (Zhu et al., 2020): two views (edge dropping +         projection MLP
           feature-column masking, own rates per view), a projection   ``d -> p -> d``
           head, symmetric InfoNCE with temperature ``τ`` and intra-
           and inter-view negatives
``bgrl``   BGRL (Thakoor et al., 2022): online encoder + predictor      predictor MLP
           regresses the target encoder's embedding of the other view  ``d -> p -> d``
           (cosine loss, symmetric); the target is an EMA of the online
           encoder and never receives gradients
=========  ==========================================================  =================

What the shared harness reads from them:

* **No decoder.** These methods do not reconstruct anything, so
  ``has_structure_decoder`` is false and :meth:`ContrastiveModel.score` is the
  parameter-free inner product ``z_uᵀ z_v``; link metrics are reported as
  ``link_ip/*`` (never ``link/*``) and there is no ``recon/loss``. The
  decoder-independent probes (``probe/*``) are the comparison that matters.
* **"Decoder parameters" = the head.** ``parameter_counts()["decoder"]`` is the
  trainable head that sits on top of the encoder during training and is thrown
  away afterwards: DGI's bilinear discriminator, GRACE's projection MLP, BGRL's
  predictor. ``params/encoder`` is the encoder alone (BGRL's target encoder is
  an EMA copy with no trainable parameters and is reported as
  ``target_encoder``, outside both counts). The capacity plots draw these
  runs as reference lines at their encoder's parameter count.
* **Input.** Features are prepared by ``RunConfig.feature_norm``
  (:mod:`graphae.data.features`) before any augmentation, as for every other
  objective: its default ``auto`` row-normalises the Planetoid/Amazon/Coauthor
  features, the papers' input.
* **Encoder defaults.** Each objective fills in the encoder options of its
  paper where the chosen encoder accepts them and ``encoder_options`` does not
  set them (:data:`ENCODER_DEFAULTS`): an activation after the last layer
  (``act_last``) everywhere, PReLU for DGI and BGRL, batch norm for BGRL.
* **Model selection.** As in the papers: DGI keeps the epoch of the lowest
  training loss with early stopping (``select="loss"``, patience 20); GRACE and
  BGRL train a fixed number of epochs and keep the last (``select="last"``).
  ``benchmarks/contrastive.py`` and the sweep config set these; ``fit`` itself
  does whatever ``select`` says.

The positive / negative pairs that :func:`graphae.pipeline.fit` samples every step
are ignored by these losses.
"""

from __future__ import annotations

import copy
import inspect
import math
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphae.errors import GraphaeError
from graphae.nn.decoders import pair_ends
from graphae.nn.encoders import Encoder, build_encoder, encoders, make_activation, make_norm

if TYPE_CHECKING:
    from graphae.config import RunConfig
    from graphae.models.protocol import Adversary

__all__ = [
    "BGRL",
    "DGI",
    "ENCODER_DEFAULTS",
    "GRACE",
    "OBJECTIVES",
    "OBJECTIVE_OPTIONS",
    "ContrastiveModel",
    "bgrl_loss",
    "build_objective_model",
    "drop_edges",
    "ema_momentum",
    "grace_loss",
    "mask_feature_columns",
    "sparse_input",
]

#: Every training objective ``RunConfig.objective`` accepts.
OBJECTIVES = ("reconstruction", "dgi", "grace", "bgrl")

#: Options per objective (``RunConfig.objective_options``), with defaults.
OBJECTIVE_OPTIONS: dict[str, dict[str, Any]] = {
    "dgi": {},
    "grace": {
        "tau": 0.4,  # InfoNCE temperature
        "edge_drop_1": 0.2,  # view 1: fraction of (directed) message-passing edges dropped
        "edge_drop_2": 0.4,  # view 2
        "feature_mask_1": 0.3,  # view 1: fraction of feature columns zeroed
        "feature_mask_2": 0.4,  # view 2
        "projection_hidden": None,  # projection head width (None: out_channels)
    },
    "bgrl": {
        "momentum": 0.99,  # EMA base momentum m0 (target = m*target + (1-m)*online)
        "momentum_schedule": "cosine",  # "cosine" (m0 -> 1 over training) or "constant"
        "total_steps": None,  # steps of the cosine schedule (None: RunConfig.epochs)
        "edge_drop_1": 0.2,
        "edge_drop_2": 0.4,
        "feature_mask_1": 0.3,
        "feature_mask_2": 0.4,
        "predictor_hidden": 512,  # predictor MLP width
    },
}

#: Encoder options each objective's paper uses, applied where the encoder
#: accepts them and ``encoder_options`` leaves them unset.
ENCODER_DEFAULTS: dict[str, dict[str, Any]] = {
    "dgi": {"activation": "prelu", "act_last": True},
    "grace": {"act_last": True},
    "bgrl": {"activation": "prelu", "act_last": True, "norm": "batch"},
}


#: Densest input :func:`sparse_input` still hands over as a sparse matrix.
SPARSE_MAX_DENSITY = 0.1


def sparse_input(encoder: nn.Module, x: Tensor) -> Tensor:
    """``x`` as a CSR matrix when that only makes the encoder faster, else ``x``.

    Bag-of-words features (Cora: 1.3 % non-zero) make the first layer's
    ``X W`` the most expensive product of a step; a sparse ``X`` gives the same
    result (up to summation order) several times faster. Only for encoders whose
    first layer is a plain ``nn.Linear`` (gcn, linear, mlp) without input
    dropout, and only below :data:`SPARSE_MAX_DENSITY`.

    Args:
        encoder: The encoder that will read ``x``.
        x: ``(N, F)`` dense features.

    Returns:
        ``(N, F)`` CSR or the input itself.
    """
    from graphae.nn.encoders import GCNEncoder, LinearEncoder, MLPEncoder

    if (
        x.layout != torch.strided
        or x.dim() != 2
        or x.numel() == 0
        or not isinstance(encoder, (GCNEncoder, LinearEncoder, MLPEncoder))
        or (encoder.training and getattr(encoder, "dropout", 0.0) > 0)
    ):
        return x
    if torch.count_nonzero(x).item() > SPARSE_MAX_DENSITY * x.numel():
        return x
    return x.to_sparse_csr()


def _count(module: nn.Module | None) -> int:
    if module is None:
        return 0
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def drop_edges(
    edge_index: Tensor, edge_weight: Tensor | None, p: float
) -> tuple[Tensor, Tensor | None]:
    """Drop each directed edge independently with probability ``p`` (GRACE's ``dropout_adj``).

    Args:
        edge_index: ``(2, E)`` edges.
        edge_weight: ``(E,)`` or ``None``.
        p: Drop probability.

    Returns:
        ``(edge_index (2, E'), edge_weight (E',) or None)``; the input itself when ``p == 0``.
    """
    if p <= 0:
        return edge_index, edge_weight
    keep = torch.rand(edge_index.size(1), device=edge_index.device) >= p
    return edge_index[:, keep], (edge_weight[keep] if edge_weight is not None else None)


def mask_feature_columns(x: Tensor, p: float) -> Tensor:
    """Zero a random fraction ``p`` of feature columns for every node (GRACE's ``drop_feature``).

    Args:
        x: ``(N, F)`` features.
        p: Probability that a column is masked.

    Returns:
        ``(N, F)`` masked copy (``x`` itself when ``p == 0``).
    """
    if p <= 0:
        return x
    keep = (torch.rand(x.size(1), device=x.device) >= p).to(x.dtype)
    return x * keep


def grace_loss(h1: Tensor, h2: Tensor, tau: float) -> Tensor:
    """GRACE's symmetric InfoNCE on projected embeddings of two views.

    For node ``i`` of view 1 the positive is ``i`` of view 2; the negatives are
    every other node of both views (inter- and intra-view). With
    ``θ(a, b) = exp(cos(a, b) / τ)``::

        ℓ(i) = -log θ(u_i, v_i) / (Σ_k θ(u_i, v_k) + Σ_{k≠i} θ(u_i, u_k))

    and the loss is the mean of ``ℓ`` over nodes and both directions.

    Args:
        h1: ``(N, p)`` projections of view 1.
        h2: ``(N, p)`` projections of view 2.
        tau: Temperature.

    Returns:
        Scalar loss.
    """
    u, v = F.normalize(h1, dim=1), F.normalize(h2, dim=1)
    # exp(cos / τ) <= exp(1 / τ): no overflow for any sensible τ, as in the reference code
    between = torch.exp(u @ v.t() / tau)  # (N, N) inter-view, rows: view-1 anchors
    refl_u = torch.exp(u @ u.t() / tau)  # (N, N) intra-view 1
    refl_v = torch.exp(v @ v.t() / tau)  # (N, N) intra-view 2
    pos_logit = (u * v).sum(1) / tau  # log θ(u_i, v_i)
    den_u = between.sum(1) + refl_u.sum(1) - refl_u.diagonal()
    den_v = between.sum(0) + refl_v.sum(1) - refl_v.diagonal()
    return 0.5 * (torch.log(den_u) + torch.log(den_v) - 2 * pos_logit).mean()


def bgrl_loss(q1: Tensor, q2: Tensor, t1: Tensor, t2: Tensor) -> Tensor:
    """BGRL's symmetric loss ``2 - cos(q1, t2) - cos(q2, t1)``, averaged over nodes.

    Args:
        q1, q2: ``(N, d)`` predictor outputs of the online network on views 1 and 2.
        t1, t2: ``(N, d)`` target embeddings of views 1 and 2 (detached here).

    Returns:
        Scalar loss in ``[0, 4]``; 0 when both predictions align with their targets.
    """
    c12 = F.cosine_similarity(q1, t2.detach(), dim=-1).mean()
    c21 = F.cosine_similarity(q2, t1.detach(), dim=-1).mean()
    return 2 - c12 - c21


def ema_momentum(step: int, total: int, base: float, schedule: str = "cosine") -> float:
    """BGRL's EMA momentum at ``step`` (0-based): ``1 - (1 - m0)(cos(π k / K) + 1) / 2``.

    Args:
        step: Steps done before this update.
        total: ``K``, the steps of the schedule (after it, momentum stays 1).
        base: ``m0``.
        schedule: ``"cosine"`` or ``"constant"`` (always ``m0``).
    """
    if schedule == "constant":
        return base
    k = min(step, total)
    return 1.0 - (1.0 - base) * (math.cos(math.pi * k / max(total, 1)) + 1.0) / 2.0


class ContrastiveModel(nn.Module):
    """Shared parts of the self-supervised objectives (the :class:`~graphae.models.protocol.GraphModel` protocol).

    Args:
        encoder: The encoder whose embeddings are probed.
        head: The trainable head used only in training (reported as ``decoder``).
        options: The objective's resolved options.

    Attributes:
        objective: Name of the objective.
        has_structure_decoder: Always false: link scores are the inner product on ``z``.
        decoder, feature_decoder: ``None`` (nothing is reconstructed).
    """

    objective = ""
    has_structure_decoder = False
    decoder = None
    feature_decoder = None

    def __init__(self, encoder: Encoder, head: nn.Module, options: dict[str, Any]) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.options = dict(options)

    @property
    def variational(self) -> bool:
        """Never variational."""
        return False

    def reset_parameters(self) -> None:
        """Re-initialise the encoder and the head."""
        self.encoder.reset_parameters()
        for m in self.head.modules():
            if m is not self.head and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def encode(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """``(N, d)`` embeddings of the (online) encoder on the uncorrupted graph."""
        return self.encoder(x, edge_index, edge_weight)

    def score(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        """``(P,)`` inner products ``z_uᵀ z_v`` of ``pairs`` ``(2, P)`` (no decoder exists)."""
        zu, zv = pair_ends(z, pairs)
        return (zu * zv).sum(-1)

    def main_parameters(self) -> list[nn.Parameter]:
        """Every trainable parameter (encoder and head)."""
        return [p for p in self.parameters() if p.requires_grad]

    def parameter_counts(self) -> dict[str, int]:
        """``encoder``; ``decoder`` = ``head`` = the training-only head's parameters."""
        head = _count(self.head)
        return {"encoder": _count(self.encoder), "decoder": head, "head": head}

    @property
    def pair_local(self) -> bool:
        """Never: the objectives read every node's embedding."""
        return False

    def pair_loss(
        self,
        z: Tensor,
        pos: Tensor,
        neg: Tensor,
        edge_index: Tensor | None = None,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Not defined: these objectives reconstruct no pairs.

        Raises:
            GraphaeError: Always.
        """
        raise GraphaeError(f"objective {self.objective!r} has no structure loss")

    def adversaries(self) -> dict[str, Adversary]:
        """None: every trainable parameter is in :meth:`main_parameters`."""
        return {}

    def post_step(self) -> dict[str, float]:
        """Nothing after the optimiser step (BGRL overrides it with the EMA update)."""
        return {}

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        """The objective of one step; ``pos``/``neg``/``pos_target`` are ignored.

        Args:
            x: ``(N, F)`` features.
            edge_index: ``(2, E)`` message-passing graph.
            edge_weight: ``(E,)`` or ``None``.
            pos, neg, pos_target: The loop's sampled pairs (unused).

        Returns:
            The scalar loss and its named parts.
        """
        raise NotImplementedError


class DGI(ContrastiveModel):
    """Deep Graph Infomax (Veličković et al., ICLR 2019), as PyG's ``DeepGraphInfomax``.

    ``z = enc(X, A)``, corrupted ``z̃ = enc(X[perm], A)``, summary
    ``s = σ(mean_i z_i)``; the bilinear discriminator scores ``z_iᵀ W s`` and the
    loss is the binary cross-entropy of real (1) vs corrupted (0) nodes.

    Args:
        encoder: Encoder with ``d = encoder.out_channels``.
    """

    objective = "dgi"

    def __init__(self, encoder: Encoder, options: dict[str, Any] | None = None) -> None:
        d = encoder.out_channels
        super().__init__(encoder, _Bilinear(d), options or {})

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        enc = self.encoder
        z = enc(sparse_input(enc, x), edge_index, edge_weight)
        perm = torch.randperm(x.size(0), device=x.device)
        z_neg = enc(sparse_input(enc, x[perm]), edge_index, edge_weight)
        s = torch.sigmoid(z.mean(0))
        real, fake = self.head(z, s), self.head(z_neg, s)
        loss = F.binary_cross_entropy_with_logits(
            real, torch.ones_like(real)
        ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        return loss, {"dgi": float(loss.detach())}


class _Bilinear(nn.Module):
    """DGI's discriminator ``z_iᵀ W s`` -> ``(N,)`` logits; ``W`` ``(d, d)``, uniform init as PyG."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(d, d))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.weight.size(0))
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, z: Tensor, s: Tensor) -> Tensor:
        return z @ (self.weight @ s)


def _projection(
    d: int, hidden: int, norm: str | None = None, activation: str = "elu"
) -> nn.Sequential:
    """``Linear(d, hidden) -> [norm] -> activation -> Linear(hidden, d)``."""
    return nn.Sequential(
        nn.Linear(d, hidden),
        make_norm(norm, hidden),
        make_activation(activation, hidden),
        nn.Linear(hidden, d),
    )


class _TwoViews(ContrastiveModel):
    """Two stochastic views: edge dropping and feature-column masking, own rates per view."""

    def views(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None
    ) -> list[tuple[Tensor, Tensor, Tensor | None]]:
        """``[(x̃_1, Ẽ_1, w̃_1), (x̃_2, Ẽ_2, w̃_2)]``: the two augmented views of one step."""
        o = self.options
        out = []
        for k in (1, 2):
            ei, ew = drop_edges(edge_index, edge_weight, float(o[f"edge_drop_{k}"]))
            out.append((mask_feature_columns(x, float(o[f"feature_mask_{k}"])), ei, ew))
        return out


class GRACE(_TwoViews):
    """GRACE (Zhu et al., 2020): two views, a projection head, symmetric InfoNCE.

    The projection head is ``Linear(d, p) -> ELU -> Linear(p, d)`` as in the
    reference code. The loss (:func:`grace_loss`) builds two ``N×N`` similarity
    matrices per direction, so it is for graphs of tens of thousands of nodes at
    most (the paper's setting; no node sub-sampling here).

    Args:
        encoder: The encoder.
        options: ``tau``, ``edge_drop_{1,2}``, ``feature_mask_{1,2}``, ``projection_hidden``.
    """

    objective = "grace"

    def __init__(self, encoder: Encoder, options: dict[str, Any]) -> None:
        d = encoder.out_channels
        hidden = int(options.get("projection_hidden") or d)
        super().__init__(encoder, _projection(d, hidden), options)

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        enc = self.encoder
        (x1, e1, w1), (x2, e2, w2) = self.views(x, edge_index, edge_weight)
        h1 = self.head(enc(sparse_input(enc, x1), e1, w1))
        h2 = self.head(enc(sparse_input(enc, x2), e2, w2))
        loss = grace_loss(h1, h2, float(self.options["tau"]))
        return loss, {"infonce": float(loss.detach())}


class BGRL(_TwoViews):
    """BGRL (Thakoor et al., ICLR 2022): bootstrapped latents, no negatives.

    The online encoder and the predictor ``Linear(d, p) -> BatchNorm -> PReLU ->
    Linear(p, d)`` are trained to predict the target encoder's embedding of the
    other view (:func:`bgrl_loss`). The target encoder is a copy of the online
    encoder with ``requires_grad=False``; :meth:`post_step` (after each
    optimiser step) moves it by EMA only::

        θ_target <- m θ_target + (1 - m) θ_online,   m = ema_momentum(step, K, m0)

    Buffers (batch-norm running statistics) of the target are its own, updated
    by its forward passes. The step counter is a buffer, so checkpoints resume
    the schedule. The paper's cosine decay of the learning rate is
    ``RunConfig.lr_schedule="cosine"`` (``fit`` defaults to a constant rate);
    its linear warm-up is not implemented.

    Args:
        encoder: The online encoder.
        options: ``momentum``, ``momentum_schedule``, ``total_steps``,
            ``edge_drop_{1,2}``, ``feature_mask_{1,2}``, ``predictor_hidden``.
    """

    objective = "bgrl"

    def __init__(self, encoder: Encoder, options: dict[str, Any]) -> None:
        d = encoder.out_channels
        head = _projection(d, int(options["predictor_hidden"]), norm="batch", activation="prelu")
        super().__init__(encoder, head, options)
        self.target = copy.deepcopy(encoder)
        self._freeze_target()
        self.register_buffer("ema_steps", torch.zeros((), dtype=torch.long))

    def _freeze_target(self) -> None:
        for p in self.target.parameters():
            p.requires_grad_(False)

    def reset_parameters(self) -> None:
        """Re-initialise online encoder and predictor; the target restarts as their copy."""
        super().reset_parameters()
        with torch.no_grad():
            for t, o in zip(self.target.parameters(), self.encoder.parameters(), strict=True):
                t.copy_(o)
        self.ema_steps.zero_()

    def parameter_counts(self) -> dict[str, int]:
        """As :class:`ContrastiveModel`, plus ``target_encoder`` (EMA copy, not trained)."""
        out = super().parameter_counts()
        out["target_encoder"] = sum(p.numel() for p in self.target.parameters())
        return out

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        enc = self.encoder
        target = self.target
        (x1, e1, w1), (x2, e2, w2) = self.views(x, edge_index, edge_weight)
        s1, s2 = sparse_input(enc, x1), sparse_input(enc, x2)
        q1 = self.head(enc(s1, e1, w1))
        q2 = self.head(enc(s2, e2, w2))
        self.target.train(self.training)
        with torch.no_grad():
            t1 = target(s1, e1, w1)
            t2 = target(s2, e2, w2)
        loss = bgrl_loss(q1, q2, t1, t2)
        return loss, {"bgrl": float(loss.detach())}

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """``θ_target <- m θ_target + (1 - m) θ_online`` for every parameter."""
        for t, o in zip(self.target.parameters(), self.encoder.parameters(), strict=True):
            t.mul_(momentum).add_(o.detach(), alpha=1.0 - momentum)

    def post_step(self) -> dict[str, float]:
        """The EMA update of the target after each optimiser step.

        Returns:
            ``{"momentum": m}`` used for this update.
        """
        o = self.options
        total = int(o["total_steps"]) if o.get("total_steps") else 1
        m = ema_momentum(
            int(self.ema_steps), total, float(o["momentum"]), str(o["momentum_schedule"])
        )
        self.ema_update(m)
        self.ema_steps += 1
        return {"momentum": m}


_CLASSES: dict[str, type[ContrastiveModel]] = {"dgi": DGI, "grace": GRACE, "bgrl": BGRL}


def resolve_options(objective: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """An objective's options: defaults of :data:`OBJECTIVE_OPTIONS` updated with ``options``.

    Raises:
        GraphaeError: On an unknown objective or option, or an invalid value.
    """
    if objective not in OBJECTIVE_OPTIONS:
        raise GraphaeError(
            f"unknown objective {objective!r}; valid objectives: {', '.join(OBJECTIVES)}"
        )
    valid = OBJECTIVE_OPTIONS[objective]
    unknown = sorted(set(options or {}) - set(valid))
    if unknown:
        raise GraphaeError(
            f"objective {objective!r} has no option {', '.join(map(repr, unknown))}; "
            f"valid options: {', '.join(sorted(valid)) or 'none'}"
        )
    out = {**valid, **(options or {})}
    for k, v in out.items():
        if (k.startswith("edge_drop") or k.startswith("feature_mask")) and not 0 <= float(v) < 1:
            raise GraphaeError(f"objective option {k}={v!r} must be in [0, 1)")
    if "tau" in out and not float(out["tau"]) > 0:
        raise GraphaeError(f"objective option tau={out['tau']!r} must be > 0")
    if "momentum" in out and not 0 <= float(out["momentum"]) <= 1:
        raise GraphaeError(f"objective option momentum={out['momentum']!r} must be in [0, 1]")
    if out.get("momentum_schedule", "cosine") not in ("cosine", "constant"):
        raise GraphaeError("objective option momentum_schedule must be cosine or constant")
    return out


def encoder_options(objective: str, encoder: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """``options`` with the objective's :data:`ENCODER_DEFAULTS` filled in where the
    encoder accepts them and ``options`` does not set them."""
    params = inspect.signature(encoders.get(encoder)).parameters
    defaults = {k: v for k, v in ENCODER_DEFAULTS.get(objective, {}).items() if k in params}
    return {**defaults, **(options or {})}


def build_objective_model(config: RunConfig, in_channels: int, num_nodes: int) -> ContrastiveModel:
    """The self-supervised model ``config.objective`` names, sized by ``config``.

    Args:
        config: Run configuration (``objective`` not ``"reconstruction"``).
        in_channels: ``F``.
        num_nodes: ``N``.

    Returns:
        The freshly initialised :class:`ContrastiveModel`.

    Raises:
        GraphaeError: On an unknown objective/option, or settings the objective
            cannot combine with (variational encoders, feature decoders, corruptions).
    """
    objective = config.objective
    options = resolve_options(objective, config.objective_options)
    if config.variational or config.adversarial or config.feature_decoder is not None:
        raise GraphaeError(
            f"objective {objective!r} trains the encoder alone: drop variational, adversarial "
            "and feature_decoder (they belong to the reconstruction objective)"
        )
    if config.batch_size is not None:
        raise GraphaeError(
            f"objective {objective!r} takes one full-graph step per epoch; leave batch_size unset"
        )
    if objective == "bgrl" and not options.get("total_steps"):
        options["total_steps"] = config.epochs
    from graphae.nn.latent import featureless_options

    enc = build_encoder(
        config.encoder,
        encoder_options(objective, config.encoder, featureless_options(config, in_channels)),
        in_channels=in_channels,
        hidden_channels=config.hidden_channels,
        out_channels=config.out_channels,
        num_layers=config.num_layers,
        dropout=config.dropout,
        num_nodes=num_nodes,
    )
    return _CLASSES[objective](enc, options)

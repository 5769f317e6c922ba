"""The parts a :class:`~graphae.models.autoencoder.GraphAutoEncoder` is assembled from
besides its encoder and decoders: loss terms and corruptions.

One training step (:meth:`GraphAutoEncoder.loss`) fills a :class:`Step`,
lets every :class:`Corruption` rewrite it in turn (training only), encodes,
then sums ``weight · value`` of every :class:`LossTerm` in turn:

=================================  ===========================================  ==========================
part                               what it does                                 ``RunConfig`` fields
=================================  ===========================================  ==========================
:class:`KLDivergence`              VGAE's KL to ``N(0, I)``, ``1/N`` by         variational, kl_weight
                                   default (:func:`~.losses.kl_divergence`)
:class:`StructureReconstruction`   BCE on sampled pairs or Kipf's dense loss    loss, structure_weight
:class:`FeatureReconstruction`     MSE or SCE of the feature decoder (on the    feature_loss, sce_gamma,
                                   masked nodes under feature masking), from    feature_weight,
                                   its last linear map where it has one         feature_loss_form
:class:`DegreeRegression`          MaskGAE's degree decoder: MSE to each        degree_weight
                                   node's degree among the positives            (+ degree_hidden)
:class:`Adversarial`               ARGA: generator loss against a               adversarial,
                                   discriminator of ``z`` vs ``N(0, I)``        adversarial_weight
                                   samples; an :class:`~.protocol.Adversary`    (+ discriminator_*)
:class:`EdgeMask`                  MaskGAE: hide a share of the pairs from the  edge_mask
                                   encoder; they become the positives
:class:`EdgeDropout`               denoising: drop a share of the pairs         edge_dropout
:class:`FeatureMask`               GraphMAE: ``[MASK]`` token on a share of     feature_mask
                                   the nodes, re-masking of their latents       (+ replace_rate,
                                   before the feature decoder                   remask_projection)
:class:`FeatureNoise`              denoising: Gaussian noise on the features    feature_noise
=================================  ===========================================  ==========================

Each part reads its own config fields (``from_config``) and its secondary
settings (``OPTIONS``, merged into :data:`VARIANT_OPTIONS`). A part's modules
(:meth:`Part.modules`) are registered on the model under their own names
(``discriminator``, ``degree_decoder``, ``mask_token``, ``remask``), so a
model's ``state_dict`` keys, and with them ``model.pt`` files and
checkpoints, do not depend on how the model is assembled. Inside a loss
(:meth:`LossTerm.value`, :meth:`Corruption.corrupt`,
:meth:`Corruption.feature_input`) a part reaches them as the model's
attributes: ``torch.compile`` then traces them as the model's own
parameters, the same graph (and kernels) as a model that holds them itself.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphae.errors import GraphaeError
from graphae.models.losses import (
    FEATURE_LOSSES,
    affine_feature_loss,
    check_dense_size,
    dense_bce,
    dense_target,
    feature_loss,
    kl_divergence,
    pair_bce,
)
from graphae.nn.sparse_input import SparseInput, SparseInputCache
from graphae.nn.tensor_cache import TensorCache

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphae.config import RunConfig
    from graphae.models.autoencoder import GraphAutoEncoder
    from graphae.nn.decoders import AffineOutput, FeatureDecoder

__all__ = [
    "FEATURE_LOSS_FORMS",
    "VARIANT_OPTIONS",
    "Adversarial",
    "BuildContext",
    "Corruption",
    "DegreeRegression",
    "EdgeDropout",
    "EdgeMask",
    "FeatureMask",
    "FeatureNoise",
    "FeatureReconstruction",
    "KLDivergence",
    "LossTerm",
    "Part",
    "Step",
    "StructureReconstruction",
    "resolve_variant_options",
]


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _reset_linears(seq: nn.Module) -> None:
    for layer in seq.modules():
        if isinstance(layer, nn.Linear):
            layer.reset_parameters()


@dataclass
class Step:
    """What one training step's loss works on; corruptions rewrite it before encoding.

    Attributes:
        x: ``(N, F)`` clean features (the feature loss's target).
        graph: ``(2, E)`` the uncorrupted message-passing graph (the dense loss's target).
        x_in: ``(N, F)`` the encoder's input features.
        edge_index: ``(2, E')`` the encoder's (and the decoders') graph.
        edge_weight: ``(E',)`` or ``None``.
        pos: ``(2, P)`` positive pairs.
        neg: ``(2, Q)`` negative pairs.
        pos_target: ``(P,)`` soft targets of ``pos``, or ``None`` for 1.
        mask_nodes: ``(M,)`` nodes whose features are masked (GraphMAE), or ``None``.
        mu: ``(N, d)`` means of a variational encoder, or ``None``.
        logstd: ``(N, d)`` log standard deviations of a variational encoder, or ``None``.
    """

    x: Tensor
    graph: Tensor
    x_in: Tensor
    edge_index: Tensor
    edge_weight: Tensor | None
    pos: Tensor
    neg: Tensor
    pos_target: Tensor | None = None
    mask_nodes: Tensor | None = None
    mu: Tensor | None = None
    logstd: Tensor | None = None

    @property
    def num_nodes(self) -> int:
        """``N``."""
        return self.x.size(0)


@dataclass(frozen=True)
class BuildContext:
    """What the parts of a model need to know besides their own config fields.

    Attributes:
        dim: ``d``, the embedding width.
        in_channels: ``F``, the feature width.
        directed: Whether pairs are ordered.
        options: Resolved :data:`VARIANT_OPTIONS`.
        has_decoder: Whether the model has a structure decoder.
        has_feature_decoder: Whether the model has a feature decoder.
    """

    dim: int
    in_channels: int
    directed: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    has_decoder: bool = True
    has_feature_decoder: bool = False


class Part:
    """A loss term or a corruption: what they share.

    Attributes:
        OPTIONS: Secondary settings (``RunConfig.variant_options``) with defaults.
        decoder_parts: Names of its modules counted as decoder parameters.
    """

    OPTIONS: ClassVar[dict[str, Any]] = {}
    decoder_parts: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_config(cls, config: RunConfig, ctx: BuildContext) -> Part | None:
        """The part a run configuration asks for, or ``None`` when it is off."""
        raise NotImplementedError

    def modules(self) -> dict[str, nn.Module | nn.Parameter]:
        """Modules and parameters to register on the model, by attribute name."""
        return {}

    def reset_parameters(self) -> None:
        """Re-initialise its modules."""

    def check(self, model: GraphAutoEncoder) -> None:
        """Raise a :class:`GraphaeError` when ``model`` lacks what this part needs."""


class LossTerm(Part):
    """One term ``weight · value`` of a model's loss.

    Attributes:
        name: Key of its value in the loss's named parts (``loss/<name>`` in the history).
        needs_all_nodes: Whether it reads every node's embedding (no batch-only path).
        weight: Its weight.
    """

    name: ClassVar[str] = ""
    needs_all_nodes: ClassVar[bool] = True
    weight: float = 1.0

    def value(self, model: GraphAutoEncoder, z: Tensor, step: Step) -> Tensor | None:
        """The unweighted scalar value, or ``None`` when the term is left out of this step."""
        raise NotImplementedError

    def weight_of(self, step: Step) -> float:
        """The weight of this step's value."""
        return self.weight


class Corruption(Part):
    """A rewrite of a training step's input before encoding (never in eval mode).

    Attributes:
        replaces_positives: Whether it changes which pairs are the positives.
        rewrites_features: Whether it gives the encoder new input features each
            step (then ``feature_matmul="auto"`` keeps the first layer dense:
            a CSR copy per step costs more than it saves).
    """

    replaces_positives: ClassVar[bool] = False
    rewrites_features: ClassVar[bool] = False

    def corrupt(self, model: GraphAutoEncoder, step: Step) -> None:
        """Rewrite ``step`` in place."""
        raise NotImplementedError

    def feature_input(self, model: GraphAutoEncoder, z: Tensor, step: Step | None) -> Tensor:
        """What the feature decoder reads of ``z`` (``step`` is ``None`` outside a loss)."""
        return z


# ------------------------------------------------------------------ loss terms


class KLDivergence(LossTerm):
    """VGAE's regulariser ``kl_weight · KL`` (see :func:`~graphae.models.losses.kl_divergence`).

    Args:
        weight: ``kl_weight``; ``None`` for ``1/N``.
    """

    name = "kl"

    def __init__(self, weight: float | None = None) -> None:
        self.weight = weight  # type: ignore[assignment]

    @classmethod
    def from_config(cls, config: RunConfig, ctx: BuildContext) -> KLDivergence | None:
        return cls(config.kl_weight) if config.variational else None

    def check(self, model: GraphAutoEncoder) -> None:
        if not model.variational:
            raise GraphaeError("the KL term needs a variational encoder")

    def value(self, model: GraphAutoEncoder, z: Tensor, step: Step) -> Tensor:
        assert step.mu is not None and step.logstd is not None
        return kl_divergence(step.mu, step.logstd)

    def weight_of(self, step: Step) -> float:
        return self.weight if self.weight is not None else 1.0 / step.num_nodes


class StructureReconstruction(LossTerm):
    """The structure loss: BCE on the step's sampled pairs, or Kipf's dense loss.

    Left out of the loss when ``weight`` is 0 (the decoder still scores links).

    Args:
        weight: ``structure_weight``.
        loss: ``"pairs"`` (sampled pairs, :func:`~graphae.models.losses.pair_bce`)
            or ``"dense"`` (:func:`~graphae.models.losses.dense_bce` on every
            ordered pair; at most :data:`~graphae.models.losses.DENSE_MAX_NODES` nodes).
    """

    name = "structure"

    def __init__(self, weight: float = 1.0, loss: str = "pairs") -> None:
        if loss not in ("pairs", "dense"):
            raise GraphaeError(f"unknown loss {loss!r}; use pairs or dense")
        self.weight = weight
        self.loss = loss
        self._dense: tuple[Tensor, int, Tensor] | None = None

    @classmethod
    def from_config(cls, config: RunConfig, ctx: BuildContext) -> StructureReconstruction | None:
        return cls(config.structure_weight, config.loss) if ctx.has_decoder else None

    @property
    def needs_all_nodes(self) -> bool:  # type: ignore[override]
        """The dense loss reads every pair."""
        return self.loss == "dense"

    def check(self, model: GraphAutoEncoder) -> None:
        if model.decoder is None:
            raise GraphaeError("the structure loss needs a structure decoder")

    def _dense_target(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        d = self._dense
        if d is None or d[0] is not edge_index or d[1] != edge_index._version:
            d = self._dense = (edge_index, edge_index._version, dense_target(edge_index, num_nodes))
        return d[2]

    def value(self, model: GraphAutoEncoder, z: Tensor, step: Step) -> Tensor | None:
        if not self.weight > 0:
            return None
        dec = model.decoder
        assert dec is not None
        if self.loss == "dense":
            n = step.num_nodes
            check_dense_size(n)
            return dense_bce(dec.dense(z, step.edge_index), self._dense_target(step.graph, n))
        return pair_bce(
            dec(z, step.pos, step.edge_index), dec(z, step.neg, step.edge_index), step.pos_target
        )


#: Values of ``RunConfig.feature_loss_form`` (:class:`FeatureReconstruction`).
FEATURE_LOSS_FORMS = ("auto", "dense")


class FeatureReconstruction(LossTerm):
    """The feature loss of the feature decoder: on every node, or on the masked ones.

    The decoder reads ``z`` as the corruptions hand it over
    (:meth:`Corruption.feature_input`: GraphMAE's re-masking). Left out of the
    loss when ``weight`` is 0.

    Under ``form="auto"``, a decoder that ends in a linear map
    (:meth:`~graphae.nn.decoders.FeatureDecoder.affine_output`: ``linear``,
    ``mirror``, ``tied``, ``pinv``) wider than its input is scored from that
    map (:func:`~graphae.models.losses.affine_feature_loss`) without forming the
    ``(N, F)`` reconstruction; ``x wᵀ`` reads the CSR copy of sparse targets
    as the encoder's first layer does (``feature_matmul``). ``"dense"`` always
    forms ``x̂``. The two agree up to float rounding.

    Args:
        weight: ``feature_weight``.
        loss: ``"mse"`` or ``"sce"``.
        gamma: SCE exponent ``γ``.
        form: ``"auto"`` or ``"dense"`` (``feature_loss_form``).
        feature_matmul: How ``x wᵀ`` multiplies (``RunConfig.feature_matmul``).
    """

    name = "feature"

    def __init__(
        self,
        weight: float = 1.0,
        loss: str = "mse",
        gamma: float = 2.0,
        form: str = "auto",
        feature_matmul: str = "auto",
    ) -> None:
        if loss not in FEATURE_LOSSES:
            raise GraphaeError(f"unknown feature loss {loss!r}; use {' or '.join(FEATURE_LOSSES)}")
        if form not in FEATURE_LOSS_FORMS:
            raise GraphaeError(
                f"unknown feature loss form {form!r}; use {' or '.join(FEATURE_LOSS_FORMS)}"
            )
        self.weight = weight
        self.loss = loss
        self.gamma = gamma
        self.form = form
        # the training target, and the evaluation's copy of it
        self._sparse_targets = SparseInputCache(feature_matmul, size=2)
        self._row_norms: TensorCache[Tensor] = TensorCache(2)

    @classmethod
    def from_config(cls, config: RunConfig, ctx: BuildContext) -> FeatureReconstruction | None:
        if not ctx.has_feature_decoder:
            return None
        return cls(
            config.feature_weight,
            config.feature_loss,
            config.sce_gamma,
            config.feature_loss_form,
            config.feature_matmul,
        )

    def check(self, model: GraphAutoEncoder) -> None:
        if model.feature_decoder is None:
            raise GraphaeError("the feature loss needs a feature decoder")

    def of(self, x_hat: Tensor, x: Tensor) -> Tensor:
        """The unweighted loss of ``x_hat`` ``(M, F)`` against ``x`` ``(M, F)``."""
        return feature_loss(self.loss, x_hat, x, self.gamma)

    def value(self, model: GraphAutoEncoder, z: Tensor, step: Step) -> Tensor | None:
        if not self.weight > 0:
            return None
        dec = model.feature_decoder
        assert dec is not None
        rows = step.mask_nodes if step.mask_nodes is not None else slice(None)
        z_in = model.feature_input(z, step)
        return self.decoded(dec, z_in, step.edge_index, step.edge_weight, step.x, rows)

    def decoded(
        self,
        decoder: FeatureDecoder,
        z: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        x: Tensor,
        rows: Tensor | slice,
    ) -> Tensor:
        """The unweighted loss of ``decoder``'s reconstruction from ``z`` ``(N, d)``
        against rows ``rows`` of ``x`` ``(N, F)``, in this term's form."""
        out = decoder.affine_output(z, edge_index, edge_weight) if self.form == "auto" else None
        if out is None:
            x_hat = decoder(z, edge_index, edge_weight)
        elif out.w.size(1) <= out.w.size(0) + 1:  # x̂ is no wider than what it is built from
            x_hat = out.dense()
        else:
            return self.affine_value(out, x, rows)
        return self.of(x_hat[rows], x[rows])

    def affine_value(self, out: AffineOutput, x: Tensor, rows: Tensor | slice) -> Tensor:
        """The unweighted loss of ``out`` (``x̂ = g w + b``) against rows ``rows`` of
        ``x`` ``(N, F)``, in fp32 outside autocast, without forming ``x̂``."""
        with torch.autocast(x.device.type, enabled=False):
            g, w = (t.float() for t in out.augmented())
            sparse = self._sparse_targets.get(x)
            xw = sparse.linear(w) if isinstance(sparse, SparseInput) else x.float() @ w.t()
            x_sq = self._row_norms.lookup((x,), None, lambda: x.detach().float().pow(2).sum(-1))
            return affine_feature_loss(self.loss, g[rows], w, xw[rows], x_sq[rows], self.gamma)


class DegreeRegression(LossTerm):
    """MaskGAE's degree decoder: MSE between ``MLP(z_i)`` and node ``i``'s degree in ``pos``.

    Under edge masking the positives are the masked pairs, so the target is
    each node's number of masked edges.

    Args:
        dim: ``d``.
        weight: ``degree_weight``.
        hidden: Width of the MLP ``d -> hidden -> 1``.
    """

    name = "degree"
    OPTIONS: ClassVar[dict[str, Any]] = {"degree_hidden": 64}  # MaskGAE degree decoder width
    decoder_parts = ("degree_decoder",)

    def __init__(self, dim: int, weight: float, hidden: int = 64) -> None:
        self.weight = weight
        self.degree_decoder = _mlp([dim, hidden, 1])

    @classmethod
    def from_config(cls, config: RunConfig, ctx: BuildContext) -> DegreeRegression | None:
        if not config.degree_weight > 0:
            return None
        return cls(ctx.dim, config.degree_weight, ctx.options["degree_hidden"])

    def modules(self) -> dict[str, nn.Module | nn.Parameter]:
        return {"degree_decoder": self.degree_decoder}

    def reset_parameters(self) -> None:
        _reset_linears(self.degree_decoder)

    def value(self, model: GraphAutoEncoder, z: Tensor, step: Step) -> Tensor:
        pairs = step.pos
        deg = torch.zeros(step.num_nodes, device=z.device).index_add_(
            0, pairs.reshape(-1), torch.ones(pairs.numel(), device=z.device)
        )
        return F.mse_loss(model.degree_decoder(z).squeeze(-1), deg)


class Adversarial(LossTerm):
    """ARGA: the generator loss ``BCE(D(z), 1)`` and the discriminator ``D`` that it fools.

    The discriminator (an MLP ``d -> hidden -> hidden -> 1``) is an
    :class:`~graphae.models.protocol.Adversary`: the training strategy makes
    an Adam over its parameters and, after every main step, calls
    :meth:`update`, which trains it ``steps`` times to tell samples of
    ``N(0, I)`` (real) from the last step's embeddings (fake).

    Args:
        dim: ``d``.
        weight: ``adversarial_weight``.
        hidden: Discriminator width.
        lr: Its Adam learning rate.
        steps: Discriminator updates per training step.
    """

    name = "generator"
    #: Key of the discriminator's optimiser in checkpoints (the attribute that held it before).
    state_key = "_disc_opt"
    OPTIONS: ClassVar[dict[str, Any]] = {
        "discriminator_hidden": 64,  # ARGA discriminator width (2 hidden layers)
        "discriminator_lr": 0.001,  # ARGA discriminator Adam learning rate
        "discriminator_steps": 5,  # discriminator updates per training step
    }

    def __init__(
        self, dim: int, weight: float = 1.0, hidden: int = 64, lr: float = 0.001, steps: int = 5
    ) -> None:
        self.weight = weight
        self.lr = lr
        self.steps = steps
        self.discriminator = _mlp([dim, hidden, hidden, 1])
        self._last_z: Tensor | None = None

    @classmethod
    def from_config(cls, config: RunConfig, ctx: BuildContext) -> Adversarial | None:
        if not config.adversarial:
            return None
        o = ctx.options
        return cls(
            ctx.dim,
            config.adversarial_weight,
            hidden=o["discriminator_hidden"],
            lr=o["discriminator_lr"],
            steps=o["discriminator_steps"],
        )

    def modules(self) -> dict[str, nn.Module | nn.Parameter]:
        return {"discriminator": self.discriminator}

    def reset_parameters(self) -> None:
        _reset_linears(self.discriminator)
        self._last_z = None

    def parameters(self) -> Iterator[nn.Parameter]:
        """The discriminator's parameters."""
        return self.discriminator.parameters()

    def value(self, model: GraphAutoEncoder, z: Tensor, step: Step) -> Tensor:
        fake = model.discriminator(z)
        gen = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        self._last_z = z.detach()
        return gen

    def update(self, optimizer: torch.optim.Optimizer) -> dict[str, float]:
        """Train the discriminator on the last loss call's embeddings (then forget them).

        Returns:
            ``{"discriminator": last loss}``, or ``{}`` when no loss ran since the last update.
        """
        if self._last_z is None:
            return {}
        z = self._last_z
        loss = z.new_zeros(())
        for _ in range(int(self.steps)):
            optimizer.zero_grad(set_to_none=True)
            real = self.discriminator(torch.randn_like(z))
            fake = self.discriminator(z)
            loss = F.binary_cross_entropy_with_logits(
                real, torch.ones_like(real)
            ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
            loss.backward()
            optimizer.step()
        self._last_z = None
        return {"discriminator": float(loss.detach())}


# ------------------------------------------------------------------ corruptions


class _PairCache:
    """Unordered-pair ids of an ``edge_index``, cached per tensor (masking runs every step).

    The cached tensor itself is kept (compared with ``is`` and its version
    counter), so a freed tensor's recycled ``id`` can never hit a stale entry.
    """

    def __init__(self) -> None:
        self._src: Tensor | None = None
        self._key: tuple[int, int, bool] | None = None
        self._val: tuple[Tensor, Tensor] | None = None

    def get(self, edge_index: Tensor, num_nodes: int, directed: bool) -> tuple[Tensor, Tensor]:
        """``(keys (K,), inverse (E,))``: distinct pair keys and each edge's key index."""
        key = (edge_index._version, num_nodes, directed)
        if self._src is not edge_index or self._key != key or self._val is None:
            u, v = edge_index[0].long(), edge_index[1].long()
            if not directed:
                u, v = torch.minimum(u, v), torch.maximum(u, v)
            self._val = torch.unique(u * num_nodes + v, return_inverse=True)
            self._src, self._key = edge_index, key
        return self._val


def _check_share(name: str, p: float) -> None:
    if not 0 <= p < 1:
        raise GraphaeError(f"{name} must be in [0, 1), got {p}")


class EdgeMask(Corruption):
    """MaskGAE: hide a random share of the pairs from the encoder; they become the positives.

    Each distinct pair (both directions when undirected) is masked
    independently with probability ``ratio``.

    Args:
        ratio: Masking probability per pair.
        directed: Pairs are ordered (masking and positives keep direction).
    """

    field_name: ClassVar[str] = "edge_mask"
    replaces_positives = True

    def __init__(self, ratio: float, directed: bool = False) -> None:
        _check_share(self.field_name, ratio)
        self.ratio = ratio
        self.directed = directed
        self._pairs = _PairCache()

    @classmethod
    def from_config(cls, config: RunConfig, ctx: BuildContext) -> EdgeMask | None:
        ratio = getattr(config, cls.field_name)
        return cls(ratio, directed=ctx.directed) if ratio > 0 else None

    def mask(
        self, edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int
    ) -> tuple[Tensor, Tensor | None, Tensor]:
        """Hide a random share ``ratio`` of the pairs of ``edge_index``.

        Args:
            edge_index: ``(2, E)`` message-passing edges.
            edge_weight: ``(E,)`` or ``None``.
            num_nodes: ``N``.

        Returns:
            ``(kept edge_index, kept edge_weight, masked pairs (2, M))``; masked
            pairs are ``u < v`` when undirected, original direction when directed.
        """
        keys, inv = self._pairs.get(edge_index, num_nodes, self.directed)
        masked = torch.rand(keys.numel(), device=keys.device) < self.ratio
        keep = ~masked[inv]
        mk = keys[masked]
        pairs = torch.stack([mk // num_nodes, mk % num_nodes])
        return edge_index[:, keep], (edge_weight[keep] if edge_weight is not None else None), pairs

    def corrupt(self, model: GraphAutoEncoder, step: Step) -> None:
        step.edge_index, step.edge_weight, step.pos = self.mask(
            step.edge_index, step.edge_weight, step.num_nodes
        )


class EdgeDropout(EdgeMask):
    """Denoising: drop a random share of the pairs from the encoder's graph (positives stay).

    Args:
        ratio: Drop probability per pair (both directions when undirected).
        directed: Pairs are ordered.
    """

    field_name = "edge_dropout"
    replaces_positives = False

    def corrupt(self, model: GraphAutoEncoder, step: Step) -> None:
        step.edge_index, step.edge_weight, _ = self.mask(
            step.edge_index, step.edge_weight, step.num_nodes
        )


class FeatureMask(Corruption):
    """GraphMAE: mask a share of the nodes' features with a learnable ``[MASK]`` token,
    and re-mask their latents before the feature decoder.

    A ``ratio`` share of nodes is masked: most get the ``[MASK]`` token, a
    ``replace_rate`` share of them another random node's features instead. The
    feature decoder then reads ``remask(z)`` (a ``Linear(d, d)`` projection,
    also outside training) with the masked nodes' rows zeroed, and the feature
    loss is taken on the masked nodes only.

    Args:
        ratio: Share of nodes masked.
        in_channels: ``F`` (the token's width).
        replace_rate: Share of the masked nodes given another node's features.
        projection_dim: ``d`` for the re-mask projection, ``None`` for none.
    """

    rewrites_features = True

    OPTIONS: ClassVar[dict[str, Any]] = {
        "replace_rate": 0.0,  # GraphMAE: share of masked nodes given another node's features
        "remask_projection": True,  # GraphMAE: Linear(d, d) before re-masking the latent
    }
    decoder_parts = ("remask",)

    def __init__(
        self,
        ratio: float,
        in_channels: int,
        replace_rate: float = 0.0,
        projection_dim: int | None = None,
    ) -> None:
        _check_share("feature_mask", ratio)
        self.ratio = ratio
        self.replace_rate = replace_rate
        self.mask_token = nn.Parameter(torch.zeros(1, in_channels))
        self.remask = (
            nn.Linear(projection_dim, projection_dim, bias=False)
            if projection_dim is not None
            else None
        )

    @classmethod
    def from_config(cls, config: RunConfig, ctx: BuildContext) -> FeatureMask | None:
        if not config.feature_mask > 0:
            return None
        project = ctx.has_feature_decoder and ctx.options["remask_projection"]
        return cls(
            config.feature_mask,
            ctx.in_channels,
            replace_rate=ctx.options["replace_rate"],
            projection_dim=ctx.dim if project else None,
        )

    def modules(self) -> dict[str, nn.Module | nn.Parameter]:
        out: dict[str, nn.Module | nn.Parameter] = {"mask_token": self.mask_token}
        if self.remask is not None:
            out["remask"] = self.remask
        return out

    def reset_parameters(self) -> None:
        if self.remask is not None:
            self.remask.reset_parameters()
        nn.init.zeros_(self.mask_token)

    def mask(self, x: Tensor, token: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(x̃ (N, F), masked node ids (M,))``; ``token`` ``(1, F)`` defaults to ``mask_token``."""
        token = self.mask_token if token is None else token
        n = x.size(0)
        perm = torch.randperm(n, device=x.device)
        num_mask = max(1, round(self.ratio * n))
        nodes = perm[:num_mask]
        num_noise = round(self.replace_rate * num_mask)
        token_nodes, noise_nodes = nodes[: num_mask - num_noise], nodes[num_mask - num_noise :]
        x_in = x.clone()
        x_in[token_nodes] = token.to(x.dtype).expand(token_nodes.numel(), -1)
        if num_noise:
            x_in[noise_nodes] = x[torch.randint(0, n, (num_noise,), device=x.device)]
        return x_in, nodes

    def corrupt(self, model: GraphAutoEncoder, step: Step) -> None:
        step.x_in, step.mask_nodes = self.mask(step.x_in, model.mask_token)

    def feature_input(self, model: GraphAutoEncoder, z: Tensor, step: Step | None) -> Tensor:
        h = model.remask(z) if self.remask is not None else z
        if step is not None and step.mask_nodes is not None:
            h = h.index_fill(0, step.mask_nodes, 0.0)
        return h


class FeatureNoise(Corruption):
    """Denoising: ``x̃ = x + std · ε``, ``ε ~ N(0, I)``, on the encoder's input.

    Args:
        std: Noise standard deviation.
    """

    rewrites_features = True

    def __init__(self, std: float) -> None:
        self.std = std

    @classmethod
    def from_config(cls, config: RunConfig, ctx: BuildContext) -> FeatureNoise | None:
        return cls(config.feature_noise) if config.feature_noise > 0 else None

    def corrupt(self, model: GraphAutoEncoder, step: Step) -> None:
        step.x_in = step.x_in + self.std * torch.randn_like(step.x_in)


#: Secondary variant settings accepted in ``RunConfig.variant_options``, with defaults.
VARIANT_OPTIONS: dict[str, Any] = {
    **Adversarial.OPTIONS,
    **FeatureMask.OPTIONS,
    **DegreeRegression.OPTIONS,
}


def resolve_variant_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """:data:`VARIANT_OPTIONS` updated with ``options``.

    Raises:
        GraphaeError: On an unknown option.
    """
    unknown = sorted(set(options or {}) - set(VARIANT_OPTIONS))
    if unknown:
        raise GraphaeError(f"unknown variant options {unknown}; valid: {sorted(VARIANT_OPTIONS)}")
    return {**VARIANT_OPTIONS, **(options or {})}

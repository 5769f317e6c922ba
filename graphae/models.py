"""``GraphAutoEncoder``: an encoder, a structure decoder and/or a feature decoder,
plus the regularisers and corruptions that combine with any of them.

One training step (:meth:`GraphAutoEncoder.loss`):

1. **Corrupt the encoder's input** (training only): edge masking (MaskGAE —
   a fraction of the message-passing pairs is hidden from the encoder and
   becomes the positives to reconstruct), edge dropout and feature noise
   (denoising), feature masking (GraphMAE — masked nodes' features replaced by
   a learnable ``[MASK]`` token).
2. **Encode**: ``z = encoder(x̃, Ẽ)``; a :class:`~graphae.nn.encoders.VariationalEncoder`
   gives ``μ, log σ`` and ``z = μ + σ ⊙ ε`` (VGAE).
3. **Reconstruct**: structure loss on sampled pairs (:func:`~graphae.objectives.pair_bce`)
   or dense (:func:`~graphae.objectives.dense_bce`), feature loss (MSE or SCE)
   on all nodes or, with feature masking, on the masked nodes after re-masking
   their latents; weighted ``structure_weight · L_A + feature_weight · L_X``.
4. **Regularise**: ``+ kl_weight · KL`` (VGAE; ``1/N`` by default, see
   :func:`~graphae.objectives.kl_divergence`), ``+ adversarial_weight · L_G``
   (ARGA generator loss), ``+ degree_weight · MSE(degree)`` (MaskGAE).

The ARGA discriminator is trained by :meth:`GraphAutoEncoder.extra_step`, which
the training loop calls after each optimiser step; its parameters are not in
:meth:`GraphAutoEncoder.main_parameters` (the main optimiser's).

Without a structure decoder, :meth:`GraphAutoEncoder.score` falls back to the
parameter-free inner product on ``z`` (``has_structure_decoder`` says which), so
validation selection and link metrics still exist; the training harness reports
them under ``link_ip/*``, never ``link/*``.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphae.errors import GraphaeError
from graphae.nn.decoders import (
    Decoder,
    InnerProductDecoder,
    build_decoder,
    decoder_kind,
)
from graphae.nn.encoders import Encoder, VariationalEncoder, build_encoder
from graphae.objectives import (
    FEATURE_LOSSES,
    check_dense_size,
    dense_bce,
    dense_target,
    feature_loss,
    kl_divergence,
    pair_bce,
)

if TYPE_CHECKING:
    from graphae.config import RunConfig

#: Secondary variant settings accepted in ``RunConfig.variant_options``, with defaults.
VARIANT_OPTIONS: dict[str, Any] = {
    "discriminator_hidden": 64,  # ARGA discriminator width (2 hidden layers)
    "discriminator_lr": 0.001,  # ARGA discriminator Adam learning rate
    "discriminator_steps": 5,  # discriminator updates per training step
    "replace_rate": 0.0,  # GraphMAE: share of masked nodes given another node's features
    "remask_projection": True,  # GraphMAE: Linear(d, d) before re-masking the latent
    "degree_hidden": 64,  # MaskGAE degree decoder width
}


def count_parameters(module: nn.Module | None) -> int:
    """Trainable parameters of ``module`` (0 for ``None``)."""
    if module is None:
        return 0
    if isinstance(module, Decoder):
        return module.num_parameters()
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


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


class GraphAutoEncoder(nn.Module):
    """Encoder + structure decoder and/or feature decoder, regularisers and corruptions.

    Args:
        encoder: Maps ``(x, edge_index, edge_weight)`` to ``z`` ``(N, d)``; a
            :class:`~graphae.nn.encoders.VariationalEncoder` makes the model a VGAE.
        decoder: Structure decoder scoring pairs, or ``None``.
        feature_decoder: Feature decoder ``(z, edge_index) -> x̂``, or ``None``.
        loss: Structure loss, ``"pairs"`` (sampled pairs) or ``"dense"`` (Kipf's
            weighted full-graph loss; at most
            :data:`~graphae.objectives.DENSE_MAX_NODES` nodes).
        structure_weight: Weight of the structure loss.
        feature_weight: Weight of the feature loss.
        feature_loss: ``"mse"`` or ``"sce"``.
        sce_gamma: SCE exponent ``γ``.
        kl_weight: Weight of the KL term (VGAE); ``None`` for ``1/N``.
        adversarial: Add an ARGA discriminator on ``z`` vs ``N(0, I)`` samples.
        adversarial_weight: Weight of the generator (fool-the-discriminator) loss.
        edge_mask: Fraction of message-passing pairs masked each step (MaskGAE); 0 = off.
        degree_weight: Weight of the MaskGAE degree-decoder loss; 0 = no degree decoder.
        feature_mask: Fraction of nodes whose features are masked (GraphMAE); 0 = off.
        feature_noise: Std of Gaussian noise added to the encoder's features (denoising).
        edge_dropout: Fraction of message-passing pairs dropped for the encoder (denoising).
        directed: Pairs are ordered (masking and positives keep direction).
        in_channels: ``F`` (needed for the mask token; default ``encoder.in_channels``).
        variant_options: Overrides of :data:`VARIANT_OPTIONS`.
    """

    def __init__(
        self,
        encoder: Encoder,
        decoder: Decoder | None = None,
        feature_decoder: Decoder | None = None,
        *,
        loss: str = "pairs",
        structure_weight: float = 1.0,
        feature_weight: float = 1.0,
        feature_loss: str = "mse",
        sce_gamma: float = 2.0,
        kl_weight: float | None = None,
        adversarial: bool = False,
        adversarial_weight: float = 1.0,
        edge_mask: float = 0.0,
        degree_weight: float = 0.0,
        feature_mask: float = 0.0,
        feature_noise: float = 0.0,
        edge_dropout: float = 0.0,
        directed: bool = False,
        in_channels: int | None = None,
        variant_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if decoder is not None and decoder.kind != "structure":
            raise GraphaeError(
                "decoder must be a structure decoder (feature decoders go in feature_decoder)"
            )
        if feature_decoder is not None and feature_decoder.kind != "feature":
            raise GraphaeError("feature_decoder must be a feature decoder")
        if loss not in ("pairs", "dense"):
            raise GraphaeError(f"unknown loss {loss!r}; use pairs or dense")
        if feature_loss not in FEATURE_LOSSES:
            raise GraphaeError(
                f"unknown feature loss {feature_loss!r}; use {' or '.join(FEATURE_LOSSES)}"
            )
        for name, p in (
            ("edge_mask", edge_mask),
            ("feature_mask", feature_mask),
            ("edge_dropout", edge_dropout),
        ):
            if not 0 <= p < 1:
                raise GraphaeError(f"{name} must be in [0, 1), got {p}")
        unknown = sorted(set(variant_options or {}) - set(VARIANT_OPTIONS))
        if unknown:
            raise GraphaeError(
                f"unknown variant options {unknown}; valid: {sorted(VARIANT_OPTIONS)}"
            )
        opts = {**VARIANT_OPTIONS, **(variant_options or {})}
        self.options = opts
        self.encoder = encoder
        self.decoder = decoder
        self.feature_decoder = feature_decoder
        self.loss_kind = loss
        self.structure_weight = structure_weight
        self.feature_weight = feature_weight
        self.feature_loss = feature_loss
        self.sce_gamma = sce_gamma
        self.kl_weight = kl_weight
        self.adversarial_weight = adversarial_weight
        self.edge_mask = edge_mask
        self.degree_weight = degree_weight
        self.feature_mask = feature_mask
        self.feature_noise = feature_noise
        self.edge_dropout = edge_dropout
        self.directed = directed
        d = encoder.out_channels
        f = in_channels if in_channels is not None else encoder.in_channels
        self.discriminator = (
            _mlp([d, opts["discriminator_hidden"], opts["discriminator_hidden"], 1])
            if adversarial
            else None
        )
        self.degree_decoder = _mlp([d, opts["degree_hidden"], 1]) if degree_weight > 0 else None
        self.mask_token = nn.Parameter(torch.zeros(1, f)) if feature_mask > 0 else None
        self.remask = (
            nn.Linear(d, d, bias=False)
            if feature_mask > 0 and feature_decoder is not None and opts["remask_projection"]
            else None
        )
        self._fallback = InnerProductDecoder(d)
        self._pairs = _PairCache()
        self._dense: tuple[Tensor, int, Tensor] | None = None
        self._last_z: Tensor | None = None
        self._disc_opt: torch.optim.Optimizer | None = None

    # ------------------------------------------------------------- basics

    @property
    def variational(self) -> bool:
        """Whether the encoder has VGAE heads."""
        return isinstance(self.encoder, VariationalEncoder)

    @property
    def has_structure_decoder(self) -> bool:
        """Whether link scores come from a structure decoder (else the inner-product fallback)."""
        return self.decoder is not None

    def reset_parameters(self) -> None:
        """Re-initialise every module (encoder, decoders, regularisers, mask token)."""
        self.encoder.reset_parameters()
        for m in (self.decoder, self.feature_decoder, self.remask):
            if m is not None:
                m.reset_parameters()
        for seq in (self.discriminator, self.degree_decoder):
            for layer in seq if seq is not None else ():
                if isinstance(layer, nn.Linear):
                    layer.reset_parameters()
        self._disc_opt = None
        if self.mask_token is not None:
            nn.init.zeros_(self.mask_token)

    def encode(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """``(N, d)`` embeddings of every node (μ for a variational encoder)."""
        return self.encoder(x, edge_index, edge_weight)

    def score(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        """``(P,)`` link logits of ``pairs`` ``(2, P)``.

        From the structure decoder; a model without one scores with the
        parameter-free inner product ``z_uᵀ z_v`` (see :attr:`has_structure_decoder`).
        """
        dec = self.decoder if self.decoder is not None else self._fallback
        return dec(z, pairs, edge_index)

    def reconstruct_features(
        self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> Tensor:
        """``(N, F)`` features decoded from ``z`` (no masking)."""
        if self.feature_decoder is None:
            raise GraphaeError("this model has no feature decoder")
        h = self.remask(z) if self.remask is not None else z
        return self.feature_decoder(h, edge_index, edge_weight)

    def feature_recon_loss(
        self, x: Tensor, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> Tensor:
        """The configured feature loss of reconstructing every node from ``z``."""
        return feature_loss(
            self.feature_loss,
            self.reconstruct_features(z, edge_index, edge_weight),
            x,
            self.sce_gamma,
        )

    def main_parameters(self) -> list[nn.Parameter]:
        """Parameters the main optimiser updates (all but the ARGA discriminator's)."""
        skip = {id(p) for p in self.discriminator.parameters()} if self.discriminator else set()
        return [p for p in self.parameters() if id(p) not in skip]

    def parameter_counts(self) -> dict[str, int]:
        """Own trainable parameters per part.

        ``encoder``; ``decoder`` = everything that decodes (structure and
        feature decoders, degree decoder, GraphMAE re-mask projection); and,
        where present, ``structure_decoder``, ``feature_decoder``,
        ``degree_decoder``, ``remask``, ``discriminator``, ``mask_token``.
        """
        parts = {
            "structure_decoder": self.decoder,
            "feature_decoder": self.feature_decoder,
            "degree_decoder": self.degree_decoder,
            "remask": self.remask,
        }
        out = {
            "encoder": count_parameters(self.encoder),
            "decoder": sum(count_parameters(m) for m in parts.values()),
        }
        out.update({k: count_parameters(m) for k, m in parts.items() if m is not None})
        if self.discriminator is not None:
            out["discriminator"] = count_parameters(self.discriminator)
        if self.mask_token is not None:
            out["mask_token"] = self.mask_token.numel()
        return out

    # --------------------------------------------------------- corruptions

    def mask_edges(
        self, edge_index: Tensor, edge_weight: Tensor | None, ratio: float, num_nodes: int
    ) -> tuple[Tensor, Tensor | None, Tensor]:
        """Hide a random fraction of pairs (both directions when undirected).

        Each distinct pair is masked independently with probability ``ratio``.

        Args:
            edge_index: ``(2, E)`` message-passing edges.
            edge_weight: ``(E,)`` or ``None``.
            ratio: Masking probability per pair.
            num_nodes: ``N``.

        Returns:
            ``(kept edge_index, kept edge_weight, masked pairs (2, M))``; masked
            pairs are ``u < v`` when undirected, original direction when directed.
        """
        keys, inv = self._pairs.get(edge_index, num_nodes, self.directed)
        masked = torch.rand(keys.numel(), device=keys.device) < ratio
        keep = ~masked[inv]
        mk = keys[masked]
        pairs = torch.stack([mk // num_nodes, mk % num_nodes])
        return edge_index[:, keep], (edge_weight[keep] if edge_weight is not None else None), pairs

    def mask_features(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """GraphMAE masking: ``(x̃, masked node ids)``.

        A ``feature_mask`` share of nodes is masked: most get the learnable
        ``[MASK]`` token, a ``replace_rate`` share of them another random node's
        features instead.
        """
        assert self.mask_token is not None
        n = x.size(0)
        perm = torch.randperm(n, device=x.device)
        num_mask = max(1, round(self.feature_mask * n))
        nodes = perm[:num_mask]
        num_noise = round(self.options["replace_rate"] * num_mask)
        token_nodes, noise_nodes = nodes[: num_mask - num_noise], nodes[num_mask - num_noise :]
        x_in = x.clone()
        x_in[token_nodes] = self.mask_token.to(x.dtype).expand(token_nodes.numel(), -1)
        if num_noise:
            x_in[noise_nodes] = x[torch.randint(0, n, (num_noise,), device=x.device)]
        return x_in, nodes

    # ---------------------------------------------------------------- loss

    def _dense_target(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        d = self._dense
        if d is None or d[0] is not edge_index or d[1] != edge_index._version:
            d = self._dense = (edge_index, edge_index._version, dense_target(edge_index, num_nodes))
        return d[2]

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        """The training objective of one step.

        Args:
            x: ``(N, F)`` features.
            edge_index: ``(2, E)`` message-passing graph.
            edge_weight: ``(E,)`` or ``None``.
            pos: ``(2, P)`` positive pairs (replaced by the masked pairs under edge masking).
            neg: ``(2, Q)`` negative pairs.
            pos_target: ``(P,)`` soft targets of ``pos`` (normalised edge weights,
                ``reconstruct_weights``; pairs loss only), or ``None`` for 1.

        Returns:
            The scalar loss and its named parts (floats, for logs).
        """
        n = x.size(0)
        train = self.training
        ei, ew = edge_index, edge_weight
        masked_pairs = None
        if train and self.edge_mask > 0:
            ei, ew, masked_pairs = self.mask_edges(ei, ew, self.edge_mask, n)
            pos = masked_pairs
        if train and self.edge_dropout > 0:
            ei, ew, _ = self.mask_edges(ei, ew, self.edge_dropout, n)
        x_in, mask_nodes = x, None
        if train and self.feature_mask > 0:
            x_in, mask_nodes = self.mask_features(x)
        if train and self.feature_noise > 0:
            x_in = x_in + self.feature_noise * torch.randn_like(x_in)

        parts: dict[str, Tensor] = {}
        total = x.new_zeros(())
        if self.variational:
            mu, logstd = self.encoder.stats(x_in, ei, ew)  # type: ignore[operator]
            z = mu + torch.randn_like(mu) * logstd.exp() if train else mu
            kl = kl_divergence(mu, logstd)
            w = self.kl_weight if self.kl_weight is not None else 1.0 / n
            parts["kl"] = kl
            total = total + w * kl
        elif self._scores_node_subsets(pos):
            # Precomputed-propagation encoders (SIGN): embed only the batch's nodes.
            nodes, inv = torch.unique(torch.cat([pos, neg], 1), return_inverse=True)
            z_sub = self.encoder.encode_nodes(x_in, ei, ew, nodes)  # type: ignore[operator]
            p = pos.size(1)
            rec = pair_bce(
                self.decoder(z_sub, inv[:, :p]), self.decoder(z_sub, inv[:, p:]), pos_target
            )
            return self.structure_weight * rec, {"structure": float(rec.detach())}
        else:
            z = self.encoder(x_in, ei, ew)

        if self.decoder is not None and self.structure_weight > 0:
            if self.loss_kind == "dense":
                check_dense_size(n)
                rec = dense_bce(self.decoder.dense(z, ei), self._dense_target(edge_index, n))
            else:
                rec = pair_bce(self.decoder(z, pos, ei), self.decoder(z, neg, ei), pos_target)
            parts["structure"] = rec
            total = total + self.structure_weight * rec

        if self.feature_decoder is not None and self.feature_weight > 0:
            h = self.remask(z) if self.remask is not None else z
            if mask_nodes is not None:
                h = h.index_fill(0, mask_nodes, 0.0)
            x_hat = self.feature_decoder(h, ei, ew)
            rows = mask_nodes if mask_nodes is not None else slice(None)
            frec = feature_loss(self.feature_loss, x_hat[rows], x[rows], self.sce_gamma)
            parts["feature"] = frec
            total = total + self.feature_weight * frec

        if self.degree_decoder is not None:
            target_pairs = masked_pairs if masked_pairs is not None else pos
            deg = torch.zeros(n, device=z.device).index_add_(
                0, target_pairs.reshape(-1), torch.ones(target_pairs.numel(), device=z.device)
            )
            dl = F.mse_loss(self.degree_decoder(z).squeeze(-1), deg)
            parts["degree"] = dl
            total = total + self.degree_weight * dl

        if self.discriminator is not None:
            fake = self.discriminator(z)
            gen = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
            parts["generator"] = gen
            total = total + self.adversarial_weight * gen
            self._last_z = z.detach()

        return total, {k: float(v.detach()) for k, v in parts.items()}

    def _scores_node_subsets(self, pos: Tensor) -> bool:
        """Whether this step can embed just the nodes of its pairs.

        True for an encoder that embeds node subsets on its own (``encode_nodes``)
        with a pair decoder that does not propagate, and nothing that needs every
        node's embedding (feature, degree or adversarial terms, the dense loss).
        """
        return (
            getattr(self.encoder, "encodes_subsets", False)
            and self.decoder is not None
            and not getattr(self.decoder, "needs_graph", False)
            and self.feature_decoder is None
            and self.degree_decoder is None
            and self.discriminator is None
            and self.loss_kind != "dense"
            and pos.size(1) > 0
        )

    def extra_step(self) -> dict[str, float]:
        """Regulariser update after the main optimiser step (ARGA's discriminator).

        Trains the discriminator ``discriminator_steps`` times to tell samples of
        ``N(0, I)`` (real) from the last step's embeddings (fake), with its own
        Adam optimiser. A no-op (``{}``) for models without a discriminator.

        Returns:
            Named floats for logs.
        """
        if self.discriminator is None or self._last_z is None:
            return {}
        if self._disc_opt is None:
            self._disc_opt = torch.optim.Adam(
                self.discriminator.parameters(), lr=self.options["discriminator_lr"]
            )
        z = self._last_z
        loss = z.new_zeros(())
        for _ in range(int(self.options["discriminator_steps"])):
            self._disc_opt.zero_grad(set_to_none=True)
            real = self.discriminator(torch.randn_like(z))
            fake = self.discriminator(z)
            loss = F.binary_cross_entropy_with_logits(
                real, torch.ones_like(real)
            ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
            loss.backward()
            self._disc_opt.step()
        self._last_z = None
        return {"discriminator": float(loss.detach())}


def build_model(
    config: RunConfig, in_channels: int, num_nodes: int, directed: bool | None = None
) -> GraphAutoEncoder:
    """Encoder, decoder(s) and variants from a :class:`~graphae.config.RunConfig`.

    ``config.decoder`` may name a structure decoder, a feature decoder (then the
    model is feature-only) or ``"none"``; ``config.feature_decoder`` adds a
    feature decoder beside a structure decoder (joint reconstruction).
    A ``config.objective`` other than ``"reconstruction"`` builds the
    self-supervised model of :mod:`graphae.contrastive` instead (same interface).

    Args:
        config: The run configuration.
        in_channels: Feature width ``F``.
        num_nodes: ``N`` (for encoders that need it).
        directed: Whether the graph is directed (default ``config.directed``).

    Returns:
        The model (freshly initialised).
    """
    if getattr(config, "objective", "reconstruction") != "reconstruction":
        from graphae.contrastive import build_objective_model

        return build_objective_model(config, in_channels, num_nodes)  # type: ignore[return-value]
    directed = config.directed if directed is None else directed
    structure, feature = resolve_decoders(config.decoder, config.feature_decoder)
    from graphae.nn.latent import featureless_options

    enc = build_encoder(
        config.encoder,
        featureless_options(config, in_channels),  # + learnable codes for a featureless file
        variational=config.variational,
        in_channels=in_channels,
        hidden_channels=config.hidden_channels,
        out_channels=config.out_channels,
        num_layers=config.num_layers,
        dropout=config.dropout,
        num_nodes=num_nodes,
    )
    context = {
        "in_channels": config.out_channels,
        "hidden_channels": config.hidden_channels,
        "num_layers": config.num_layers,
        "directed": directed,
        "encoder": enc,
    }
    dec = fdec = None
    if structure is not None:
        opts = config.decoder_options if structure == config.decoder else {}
        dec = build_decoder(structure, opts, **context)
    if feature is not None:
        opts = (
            config.decoder_options
            if feature == config.decoder and config.feature_decoder is None
            else config.feature_decoder_options
        )
        fdec = build_decoder(feature, opts, out_channels=in_channels, **context)
    return GraphAutoEncoder(
        enc,
        dec,
        fdec,
        loss=config.loss,
        structure_weight=config.structure_weight,
        feature_weight=config.feature_weight,
        feature_loss=config.feature_loss,
        sce_gamma=config.sce_gamma,
        kl_weight=config.kl_weight,
        adversarial=config.adversarial,
        adversarial_weight=config.adversarial_weight,
        edge_mask=config.edge_mask,
        degree_weight=config.degree_weight,
        feature_mask=config.feature_mask,
        feature_noise=config.feature_noise,
        edge_dropout=config.edge_dropout,
        directed=directed,
        in_channels=in_channels,
        variant_options=config.variant_options,
    )


def resolve_decoders(decoder: str, feature_decoder: str | None) -> tuple[str | None, str | None]:
    """``(structure decoder name, feature decoder name)`` from the two config fields.

    ``decoder`` names a structure decoder, a feature decoder (a feature-only
    model) or ``"none"``; ``feature_decoder`` must be a feature decoder and
    needs ``decoder`` to be a structure decoder or ``"none"``.

    Raises:
        GraphaeError: On unknown names or kinds in the wrong field.
    """
    structure: str | None = None
    feature: str | None = None
    if decoder != "none":
        if decoder_kind(decoder) == "structure":
            structure = decoder
        else:
            feature = decoder
    if feature_decoder is not None:
        if decoder_kind(feature_decoder) != "feature":
            raise GraphaeError(
                f"feature_decoder {feature_decoder!r} is a structure decoder; use --decoder for it"
            )
        if feature is not None:
            raise GraphaeError(
                f"decoder {decoder!r} is already a feature decoder; give one feature decoder only"
            )
        feature = feature_decoder
    if structure is None and feature is None:
        raise GraphaeError("the model needs a decoder: a structure decoder or a feature decoder")
    return structure, feature

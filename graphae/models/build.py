"""A model from a :class:`~graphae.config.RunConfig`: :func:`build_model`.

The encoder and the decoders come from their registries; every other part
(:mod:`graphae.models.variants`) reads its own config fields in its
``from_config``, so adding a variant is one class and one row in the tables
below. A ``config.objective`` other than ``"reconstruction"`` builds the
self-supervised model of :mod:`graphae.models.contrastive` instead (same
:class:`~graphae.models.protocol.GraphModel` protocol).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphae.errors import GraphaeError
from graphae.models.autoencoder import GraphAutoEncoder
from graphae.models.variants import (
    Adversarial,
    BuildContext,
    Corruption,
    DegreeRegression,
    EdgeDropout,
    EdgeMask,
    FeatureMask,
    FeatureNoise,
    FeatureReconstruction,
    KLDivergence,
    LossTerm,
    Part,
    StructureReconstruction,
    resolve_variant_options,
)
from graphae.nn.decoders import build_decoder, decoder_kind
from graphae.nn.encoders import LayerStack, build_encoder
from graphae.nn.propagation import PropagationCache
from graphae.nn.sparse_input import SparseInputCache

if TYPE_CHECKING:
    from torch import nn

    from graphae.config import RunConfig
    from graphae.models.protocol import GraphModel

__all__ = [
    "CORRUPTIONS",
    "PARTS",
    "TERMS",
    "build_model",
    "resolve_decoders",
    "set_feature_matmul",
    "set_propagation_layout",
    "set_propagation_order",
]

#: The loss terms, in the order they are summed (floating-point addition is not
#: associative: this order is part of what a run computes).
TERMS: tuple[type[LossTerm], ...] = (
    KLDivergence,
    StructureReconstruction,
    FeatureReconstruction,
    DegreeRegression,
    Adversarial,
)

#: The corruptions, in the order they draw their masks and noise.
CORRUPTIONS: tuple[type[Corruption], ...] = (EdgeMask, EdgeDropout, FeatureMask, FeatureNoise)

#: Every part, in the order :func:`build_model` creates them: their initial
#: weights come from the global RNG (after the encoder's and the decoders'), so
#: the discriminator is drawn before the degree decoder, then the re-mask projection.
PARTS: tuple[type[Part], ...] = (
    KLDivergence,
    StructureReconstruction,
    FeatureReconstruction,
    Adversarial,
    DegreeRegression,
    EdgeMask,
    EdgeDropout,
    FeatureMask,
    FeatureNoise,
)


def build_model(
    config: RunConfig, in_channels: int, num_nodes: int, directed: bool | None = None
) -> GraphModel:
    """Encoder, decoder(s), loss terms and corruptions from a run configuration.

    ``config.decoder`` may name a structure decoder, a feature decoder (then the
    model is feature-only) or ``"none"``; ``config.feature_decoder`` adds a
    feature decoder beside a structure decoder (joint reconstruction).
    A ``config.objective`` other than ``"reconstruction"`` builds the
    self-supervised model of :mod:`graphae.models.contrastive` instead.

    Args:
        config: The run configuration.
        in_channels: Feature width ``F``.
        num_nodes: ``N`` (for encoders that need it).
        directed: Whether the graph is directed (default ``config.directed``).

    Returns:
        The model (freshly initialised).

    Raises:
        GraphaeError: On unknown names, decoders in the wrong field or unknown
            variant options.
    """
    if getattr(config, "objective", "reconstruction") != "reconstruction":
        from graphae.models.contrastive import build_objective_model

        return build_objective_model(config, in_channels, num_nodes)
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
    ctx = BuildContext(
        dim=enc.out_channels,
        in_channels=in_channels,
        directed=directed,
        options=resolve_variant_options(config.variant_options),
        has_decoder=dec is not None,
        has_feature_decoder=fdec is not None,
    )
    made = {cls: cls.from_config(config, ctx) for cls in PARTS}
    corruptions = [made[cls] for cls in CORRUPTIONS if made[cls] is not None]
    matmul = config.feature_matmul
    if matmul == "auto" and any(c.rewrites_features for c in corruptions):  # type: ignore[union-attr]
        matmul = "dense"
    set_feature_matmul(enc, matmul)
    set_propagation_order([m for m in (dec, fdec) if m is not None], config.propagation_order)
    set_propagation_layout(
        [m for m in (enc, dec, fdec) if m is not None], config.propagation_layout
    )
    return GraphAutoEncoder(
        enc,
        dec,
        fdec,
        terms=[made[cls] for cls in TERMS if made[cls] is not None],  # type: ignore[misc]
        corruptions=corruptions,  # type: ignore[arg-type]
    )


def set_feature_matmul(encoder: nn.Module, mode: str) -> None:
    """Set how every layer stack inside ``encoder`` multiplies its input features.

    Args:
        encoder: An encoder, possibly wrapping layer stacks (VGAE heads, hybrid tables).
        mode: ``RunConfig.feature_matmul`` (:mod:`graphae.nn.sparse_input`).
    """
    for m in encoder.modules():
        if isinstance(m, LayerStack):
            m.input_cache = SparseInputCache(mode)


def set_propagation_order(decoders: list[nn.Module], order: str) -> None:
    """Set how the GCN layers inside ``decoders`` order ``Â H W``.

    Args:
        decoders: The structure and feature decoders of a model.
        order: ``RunConfig.propagation_order`` (:func:`graphae.nn.decoders.gcn_product`).
    """
    for decoder in decoders:
        for m in decoder.modules():
            if hasattr(m, "propagation_order"):
                m.propagation_order = order


def set_propagation_layout(modules: list[nn.Module], layout: str) -> None:
    """Set how every cached propagation inside ``modules`` stores ``Â``.

    Args:
        modules: The encoder and decoders of a model.
        layout: ``RunConfig.propagation_layout`` (:func:`graphae.nn.propagation.choose_layout`).
    """
    for module in modules:
        for m in module.modules():
            for value in vars(m).values():
                if isinstance(value, PropagationCache):
                    value.set_layout(layout)


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

"""The encoder contract the encoder modules build on (no encoder is defined here).

:class:`Encoder` is the base class (``Encoder(x, edge_index, edge_weight=None)
-> z`` of shape ``(N, d)``), :data:`encoders` the registry every encoder module
adds itself to (the built-in ones in :mod:`graphae.nn.encoders`, ``embedding``
in :mod:`graphae.nn.latent`, ``sign`` in :mod:`graphae.nn.precomputed`), and
:func:`channel_sizes`, :func:`make_activation` and :func:`make_norm` the layer
helpers they share with the decoders. :func:`call_factory` calls a registry
factory with the keywords it declares.

Import :mod:`graphae.nn.encoders` to have every encoder registered: it imports
the plug-in modules, which import this one, so nothing imports back.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from torch import Tensor, nn

from graphae.errors import GraphaeError
from graphae.registry import Registry, check_option_types

encoders: Registry[Encoder] = Registry("encoder")

#: Keyword arguments ``build_model`` passes to every encoder factory (each factory
#: receives those it declares).
ENCODER_CONTEXT = (
    "in_channels",
    "hidden_channels",
    "out_channels",
    "num_layers",
    "dropout",
    "num_nodes",
)


def channel_sizes(
    in_channels: int, hidden_channels: int, out_channels: int, num_layers: int
) -> list[int]:
    """Layer widths ``[in, hidden, ..., hidden, out]`` of a ``num_layers`` stack."""
    if num_layers < 1:
        raise ValueError(f"num_layers must be >= 1, got {num_layers}")
    return [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]


def make_activation(name: str, channels: int) -> nn.Module:
    """An activation module by name: ``relu``, ``elu``, ``prelu`` (one slope per
    channel, trainable), ``leaky_relu``, ``tanh`` or ``identity`` (alias ``none``: linear
    propagation, no activation between hops)."""
    table: dict[str, Callable[[], nn.Module]] = {
        "relu": nn.ReLU,
        "elu": nn.ELU,
        "prelu": lambda: nn.PReLU(channels),
        "leaky_relu": lambda: nn.LeakyReLU(0.2),
        "tanh": nn.Tanh,
        "identity": nn.Identity,
        "none": nn.Identity,
    }
    if name not in table:
        raise GraphaeError(f"unknown activation {name!r}; valid activations: {', '.join(table)}")
    return table[name]()


def make_norm(name: str | None, channels: int) -> nn.Module:
    """A normalisation module: ``None``/``"none"``, ``"batch"`` or ``"layer"``."""
    if name is None or name == "none":
        return nn.Identity()
    if name == "batch":
        return nn.BatchNorm1d(channels)
    if name == "layer":
        return nn.LayerNorm(channels)
    raise GraphaeError(f"unknown norm {name!r}; valid norms: none, batch, layer")


class Encoder(nn.Module):
    """Base class: subclasses implement :meth:`forward_layers`.

    Attributes:
        in_channels: Input feature width ``F``.
        out_channels: Embedding width ``d``.
        sizes: Widths ``[F, h_1, ..., d]`` of the layer stack (mirrored decoders
            reverse them).
        uses_graph: Whether the output depends on ``edge_index``.
    """

    in_channels: int
    out_channels: int
    sizes: list[int]
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


def call_factory(
    kind: str,
    name: str,
    factory: Callable[..., Any],
    context: dict[str, Any],
    options: dict[str, Any],
    shared_options: tuple[str, ...] = (),
) -> Any:
    """Call a registry factory with the ``context`` keywords it declares plus ``options``.

    Context keywords a factory does not declare are dropped (a ``linear``
    encoder has no ``hidden_channels``); an option it does not declare is a user
    error listing the valid ones, ``shared_options`` (taken by the caller for
    every component of the kind) among them.

    Raises:
        GraphaeError: On an unknown option.
    """
    params = inspect.signature(factory).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unknown = sorted(k for k in options if k not in params and not accepts_any)
    if unknown:
        valid = sorted({k for k in params if k not in context} | set(shared_options))
        raise GraphaeError(
            f"{kind} {name!r} has no option {', '.join(map(repr, unknown))}; "
            f"valid options: {', '.join(valid) or 'none'}"
        )
    check_option_types(kind, name, params, options)
    kw = {k: v for k, v in context.items() if k in params or accepts_any}
    kw.update(options)
    return factory(**kw)

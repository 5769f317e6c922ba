"""Decoders: structure decoders score node pairs, feature decoders rebuild ``X``.

* Structure decoder: ``decoder(z, pairs, edge_index=None) -> logits (P,)``.
  Logits, never probabilities: losses use ``binary_cross_entropy_with_logits``.
* Feature decoder: ``decoder(z, edge_index) -> x_hat (N, F)``.

Every decoder is registered in :data:`decoders` and reports its capacity:
``num_parameters()`` counts its *own* trainable parameters (a tied decoder
borrows the encoder's and counts 0).
"""

from __future__ import annotations

from torch import Tensor, nn

from graphae.registry import Registry

decoders: Registry[Decoder] = Registry("decoder")


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


class InnerProductDecoder(Decoder):
    """``logit(u, v) = z_uᵀ z_v``, so ``σ(logit)`` is the classic ``σ(ZZᵀ)`` entry. 0 parameters."""

    def forward(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        """Score pairs.

        Args:
            z: ``(N, d)`` embeddings.
            pairs: ``(2, P)`` node pairs.
            edge_index: Unused (structure decoders that propagate need it).

        Returns:
            ``(P,)`` logits.
        """
        return (z[pairs[0]] * z[pairs[1]]).sum(dim=-1)


@decoders.register("inner_product")
def _inner_product(in_channels: int = 0, hidden_channels: int = 0, directed: bool = False) -> Decoder:
    """σ(z_uᵀ z_v): the parameter-free inner-product decoder (GAE)."""
    return InnerProductDecoder()

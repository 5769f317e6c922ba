"""``GraphAutoEncoder``: an encoder, a structure decoder and/or a feature decoder."""

from __future__ import annotations

from torch import Tensor, nn

from graphae.nn.decoders import Decoder
from graphae.nn.encoders import Encoder
from graphae.objectives import pair_bce


def count_parameters(module: nn.Module | None) -> int:
    """Trainable parameters of ``module`` (0 for ``None``)."""
    if module is None:
        return 0
    if isinstance(module, Decoder):
        return module.num_parameters()
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class GraphAutoEncoder(nn.Module):
    """Encoder + decoder(s).

    Args:
        encoder: Maps ``(x, edge_index, edge_weight)`` to ``z`` ``(N, d)``.
        decoder: Structure decoder scoring pairs, or ``None``.
    """

    def __init__(self, encoder: Encoder, decoder: Decoder | None) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def reset_parameters(self) -> None:
        """Re-initialise the encoder and the decoder."""
        self.encoder.reset_parameters()
        if self.decoder is not None:
            self.decoder.reset_parameters()

    def encode(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """``(N, d)`` embeddings of every node."""
        return self.encoder(x, edge_index, edge_weight)

    def score(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        """``(P,)`` structure-decoder logits of ``pairs`` ``(2, P)``."""
        assert self.decoder is not None, "this model has no structure decoder"
        return self.decoder(z, pairs, edge_index)

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
    ) -> tuple[Tensor, dict[str, float]]:
        """Reconstruction loss of one training step.

        Args:
            x: ``(N, F)`` features.
            edge_index: ``(2, E)`` message-passing graph.
            edge_weight: ``(E,)`` or ``None``.
            pos: ``(2, P)`` positive pairs.
            neg: ``(2, Q)`` negative pairs.

        Returns:
            The scalar loss and its named parts (floats, for logs).
        """
        z = self.encode(x, edge_index, edge_weight)
        loss = pair_bce(self.score(z, pos, edge_index), self.score(z, neg, edge_index))
        return loss, {"recon": float(loss.detach())}

    def parameter_counts(self) -> dict[str, int]:
        """Own trainable parameters of the encoder and of the decoder(s)."""
        return {"encoder": count_parameters(self.encoder), "decoder": count_parameters(self.decoder)}

"""Losses. Decoders return logits; every structure loss works on logits."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def pair_bce(pos_logits: Tensor, neg_logits: Tensor) -> Tensor:
    """Binary cross-entropy on sampled pairs (the GAE reconstruction loss).

    ``-mean(log σ(pos)) - mean(log(1 - σ(neg)))``, computed stably from logits,
    as PyG's ``GAE.recon_loss``.

    Args:
        pos_logits: ``(P,)`` logits of true edges.
        neg_logits: ``(Q,)`` logits of sampled non-edges.

    Returns:
        Scalar loss.
    """
    pos = F.binary_cross_entropy_with_logits(pos_logits, torch.ones_like(pos_logits))
    neg = F.binary_cross_entropy_with_logits(neg_logits, torch.zeros_like(neg_logits))
    return pos + neg

"""The loss functions of the models. Decoders return logits; every structure loss works on logits.

* :func:`pair_bce` — the default: binary cross-entropy on sampled pairs, never an
  ``N×N`` matrix.
* :func:`dense_bce` — Kipf & Welling's full-graph loss with positive
  re-weighting, for small graphs only (``N <= DENSE_MAX_NODES``).
* :func:`feature_mse`, :func:`scaled_cosine_error` — feature reconstruction
  (GALA / DOMINANT-style MSE, GraphMAE's SCE); :func:`affine_feature_loss` —
  either of them from a decoder's last linear map, without the ``(N, F)``
  reconstruction.
* :func:`kl_divergence` — the VGAE regulariser (see its docstring for how it is
  weighted against the reconstruction loss).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from graphae.errors import GraphaeError

#: Largest graph the dense loss accepts: ``N²`` logits of 20,000 nodes are 1.6 GB in fp32.
DENSE_MAX_NODES = 20_000

FEATURE_LOSSES = ("mse", "sce")
#: ``F.normalize``'s default epsilon: the smallest row norm divided by.
NORM_EPS = 1e-12


def pair_bce(pos_logits: Tensor, neg_logits: Tensor, pos_target: Tensor | None = None) -> Tensor:
    """Binary cross-entropy on sampled pairs (the GAE reconstruction loss).

    ``-mean(log σ(pos)) - mean(log(1 - σ(neg)))``, computed stably from logits,
    as PyG's ``GAE.recon_loss``.

    Args:
        pos_logits: ``(P,)`` logits of true edges.
        neg_logits: ``(Q,)`` logits of sampled non-edges.
        pos_target: ``(P,)`` soft targets in ``[0, 1]`` for the positives
            (normalised edge weights, ``reconstruct_weights``); ``None`` for 1.

    Returns:
        Scalar loss.
    """
    target = torch.ones_like(pos_logits) if pos_target is None else pos_target.to(pos_logits)
    pos = F.binary_cross_entropy_with_logits(pos_logits, target)
    neg = F.binary_cross_entropy_with_logits(neg_logits, torch.zeros_like(neg_logits))
    return pos + neg


def check_dense_size(num_nodes: int, limit: int = DENSE_MAX_NODES) -> None:
    """Raise a :class:`GraphaeError` when an ``N×N`` loss would be too large."""
    if num_nodes > limit:
        raise GraphaeError(
            f"loss='dense' builds an N×N matrix and is for graphs of at most {limit:,} nodes; "
            f"this graph has {num_nodes:,}: use the default sampled-pairs loss (loss='pairs')"
        )


def dense_target(edge_index: Tensor, num_nodes: int, self_loops: bool = True) -> Tensor:
    """The ``(N, N)`` 0/1 label matrix ``A (+ I)`` of Kipf & Welling's loss.

    Args:
        edge_index: ``(2, E)`` training edges (both directions for undirected graphs).
        num_nodes: ``N`` (at most :data:`DENSE_MAX_NODES`).
        self_loops: Add ``I`` (Kipf's ``adj_label = adj_train + I``).

    Returns:
        ``(N, N)`` float matrix.
    """
    check_dense_size(num_nodes)
    target = torch.zeros(num_nodes, num_nodes, device=edge_index.device)
    target[edge_index[0], edge_index[1]] = 1.0
    if self_loops:
        target.fill_diagonal_(1.0)
    return target


def dense_bce(logits: Tensor, target: Tensor) -> Tensor:
    """Kipf & Welling's dense reconstruction loss with positive re-weighting.

    ``norm · mean_ij w_ij · BCE(logit_ij, A_ij)`` with ``w_ij = pos_weight`` on
    edges and 1 elsewhere, ``pos_weight = (N² - |A|) / |A|`` and
    ``norm = N² / (2 (N² - |A|))`` (``|A|`` = number of ones). In expectation
    this equals half of :func:`pair_bce`'s balanced positive + negative terms.

    Args:
        logits: ``(N, N)`` logits of every ordered pair.
        target: ``(N, N)`` 0/1 labels (:func:`dense_target`).

    Returns:
        Scalar loss.
    """
    n2 = float(target.numel())
    ones = float(target.sum())
    if ones == 0 or ones == n2:
        raise GraphaeError("the dense loss needs both edges and non-edges")
    pos_weight = torch.tensor((n2 - ones) / ones, device=logits.device, dtype=logits.dtype)
    norm = n2 / (2.0 * (n2 - ones))
    return norm * F.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)


def feature_mse(x_hat: Tensor, x: Tensor) -> Tensor:
    """Mean squared error over every entry: ``mean_ij (x̂_ij - x_ij)²``.

    Args:
        x_hat: ``(M, F)`` reconstruction.
        x: ``(M, F)`` target features.

    Returns:
        Scalar loss.
    """
    return F.mse_loss(x_hat, x)


def scaled_cosine_error(x_hat: Tensor, x: Tensor, gamma: float = 2.0) -> Tensor:
    """GraphMAE's scaled cosine error: ``mean_i (1 - cos(x̂_i, x_i))^γ``.

    ``γ >= 1`` down-weights easy (already well reconstructed) nodes. Rows are
    L2-normalised with an epsilon, so an all-zero row has cosine 0 (error 1).

    Args:
        x_hat: ``(M, F)`` reconstruction.
        x: ``(M, F)`` target features.
        gamma: The exponent ``γ``.

    Returns:
        Scalar loss.
    """
    cos = (F.normalize(x_hat, p=2, dim=-1) * F.normalize(x, p=2, dim=-1)).sum(dim=-1)
    return (1.0 - cos).pow(gamma).mean()


def affine_feature_loss(
    name: str, g: Tensor, w: Tensor, xw: Tensor, x_sq: Tensor, gamma: float = 2.0
) -> Tensor:
    """:func:`feature_loss` of ``x̂ = g w`` against ``x``, without forming ``x̂``.

    Both losses need only, per row, ``‖x̂_i‖² = g_i (w wᵀ) g_iᵀ``,
    ``x_i · x̂_i = (x_i wᵀ) · g_i`` and ``‖x_i‖²``: ``O(M c² + c² F)`` work
    besides ``x wᵀ`` (``O(nnz(x) c)`` for sparse features), where the
    reconstruction costs ``O(M c F)`` and several ``(M, F)`` temporaries. A bias
    is folded in as a column of ones in ``g`` and a row of ``w``
    (:meth:`graphae.nn.decoders.AffineOutput.augmented`). The values equal
    :func:`feature_mse` and :func:`scaled_cosine_error` up to float rounding
    (``‖x̂_i‖²`` comes from a quadratic form; SCE clamps both norms at
    :data:`NORM_EPS` as ``F.normalize`` does).

    Args:
        name: ``"mse"`` or ``"sce"``.
        g: ``(M, c)`` what the last linear map reads.
        w: ``(c, F)`` its weight.
        xw: ``(M, c)`` ``x wᵀ`` of the target features.
        x_sq: ``(M,)`` ``‖x_i‖²``.
        gamma: SCE exponent ``γ``.

    Returns:
        Scalar loss.
    """
    sq = ((g @ (w @ w.t())) * g).sum(-1)  # ‖x̂_i‖²
    dot = (xw * g).sum(-1)  # x_i · x̂_i
    if name == "mse":
        return (sq - 2.0 * dot + x_sq).sum() / (g.size(0) * w.size(1))
    if name == "sce":
        norms = sq.clamp_min(NORM_EPS**2).sqrt() * x_sq.sqrt().clamp_min(NORM_EPS)
        return (1.0 - dot / norms).pow(gamma).mean()
    raise GraphaeError(f"unknown feature loss {name!r}; valid: {', '.join(FEATURE_LOSSES)}")


def feature_loss(name: str, x_hat: Tensor, x: Tensor, gamma: float = 2.0) -> Tensor:
    """:func:`feature_mse` (``"mse"``) or :func:`scaled_cosine_error` (``"sce"``)."""
    if name == "mse":
        return feature_mse(x_hat, x)
    if name == "sce":
        return scaled_cosine_error(x_hat, x, gamma)
    raise GraphaeError(f"unknown feature loss {name!r}; valid: {', '.join(FEATURE_LOSSES)}")


def kl_divergence(mu: Tensor, logstd: Tensor) -> Tensor:
    """Mean over nodes of ``KL(N(μ_i, σ_i²) || N(0, I))``.

    ``-1/2 · mean_i Σ_k (1 + 2 log σ_ik - μ_ik² - σ_ik²)`` — divided by ``N``
    once (the mean), as PyG's ``VGAE.kl_loss``.

    How it is weighted: the ELBO is ``Σ_{pairs} log p(A_uv | z) - Σ_i KL_i``. Our
    reconstruction losses are *means* over pairs, i.e. the pair sum divided by
    (a multiple of) ``N²``. Dividing the KL sum by the same ``N²`` gives
    ``(1/N) · mean_i KL_i`` — Kipf & Welling's ``(0.5 / N) · mean(Σ(...))``. So
    the model adds ``kl_weight · kl_divergence(μ, log σ)`` with
    ``kl_weight = 1/N`` by default: the ``1/N`` of the weight and the ``1/N`` of
    the mean are the two factors of ``1/N²``, each applied exactly once.

    Args:
        mu: ``(N, d)`` means.
        logstd: ``(N, d)`` log standard deviations.

    Returns:
        Scalar ``mean_i KL_i``.
    """
    return -0.5 * torch.mean(torch.sum(1 + 2 * logstd - mu.pow(2) - logstd.exp().pow(2), dim=1))

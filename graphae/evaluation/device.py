"""Per-epoch validation link metrics on the model's device (issue 17).

:func:`device_link_metrics` gives ROC AUC and OGB's Hits@K of positive vs
negative pair scores, computed where the scores are (CPU or CUDA) with ONE host
transfer per call (:func:`auc_numerator`, :func:`hits_counts`; :func:`roc_auc`
for the AUC alone). The AUC is the exact Mann-Whitney statistic, ties counting
one half (the average-rank rule of scikit-learn's ``roc_auc_score``): its
numerator is an integer counted on the device and the single division happens
in Python, so the value is the exact AUC correctly rounded to float64.
scikit-learn integrates the ROC curve with the trapezoid rule and can differ
from it in the last bit (at most a few ulp); Hits@K is bit-identical to
``ogb.linkproppred.Evaluator``. The final metrics of a run are
:mod:`graphae.evaluation.metrics`' (assembled by :mod:`graphae.evaluation.measure`).

(Scoring epoch ``e`` from epoch ``e + 1``'s first forward lives in
:mod:`graphae.training.reuse`.)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "auc_numerator",
    "device_link_metrics",
    "hits_counts",
    "roc_auc",
]


def _flat(scores: Tensor, name: str) -> Tensor:
    if scores.dim() != 1 or scores.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D tensor, got shape {tuple(scores.shape)}")
    return scores


def auc_numerator(pos: Tensor, neg_sorted: Tensor) -> Tensor:
    """``2 · Σ_i (#(neg < pos_i) + ½ #(neg = pos_i))``, an exact integer, on the device.

    Args:
        pos: ``(P,)`` positive scores.
        neg_sorted: ``(Q,)`` negative scores in ascending order, same dtype as ``pos``.

    Returns:
        0-d int64 tensor; ``AUC = numerator / (2 P Q)``.
    """
    below = torch.searchsorted(neg_sorted, pos, side="left")  # neg < p
    at_most = torch.searchsorted(neg_sorted, pos, side="right")  # neg <= p
    return (below + at_most).sum()


def hits_counts(pos: Tensor, neg_sorted: Tensor, ks: Sequence[int]) -> Tensor:
    """Positives strictly above the K-th highest negative, for each K (OGB's Hits@K).

    Args:
        pos: ``(P,)`` positive scores.
        neg_sorted: ``(Q,)`` negative scores in ascending order.
        ks: K values, each ``>= 1``.

    Returns:
        ``(len(ks),)`` int64 counts; ``-1`` where ``Q < K`` (OGB scores that 1.0).
    """
    out = []
    for k in ks:
        if k < 1:
            raise ValueError(f"Hits@K needs K >= 1, got {k}")
        if neg_sorted.numel() < k:
            out.append(torch.full((), -1, dtype=torch.long, device=pos.device))
        else:
            out.append((pos > neg_sorted[-k]).sum())
    return torch.stack(out) if out else torch.empty(0, dtype=torch.long, device=pos.device)


def device_link_metrics(pos: Tensor, neg: Tensor, ks: Sequence[int] = ()) -> dict[str, float]:
    """ROC AUC and Hits@K of pair scores, computed on their device.

    Args:
        pos: ``(P,)`` positive scores (any device, float).
        neg: ``(Q,)`` negative scores, same device.
        ks: K values of Hits@K to compute beside the AUC.

    Returns:
        ``{"auc": ..., "hits@K": ...}`` as Python floats. One host transfer. A NaN
        score ranks below every number (a diverged model's epoch must not look
        best: a sort would put NaN above every negative).

    Raises:
        ValueError: On empty or non-1-D inputs.
    """
    pos, neg = _flat(pos, "pos"), _flat(neg, "neg")
    dtype = torch.promote_types(pos.dtype, neg.dtype)
    inf = float("inf")
    pos, neg = (s.to(dtype).nan_to_num(nan=-inf, posinf=inf, neginf=-inf) for s in (pos, neg))
    neg_sorted = torch.sort(neg).values
    counts = torch.cat(
        [auc_numerator(pos, neg_sorted).reshape(1), hits_counts(pos, neg_sorted, ks)]
    )
    host = counts.tolist()  # the one host transfer
    p, q = pos.numel(), neg.numel()
    out = {"auc": host[0] / (2 * p * q)}
    for k, c in zip(ks, host[1:], strict=True):
        out[f"hits@{k}"] = 1.0 if c < 0 else c / p
    return out


def roc_auc(pos: Tensor, neg: Tensor) -> float:
    """Exact ROC AUC (ties count one half) of ``(P,)`` vs ``(Q,)`` scores; one host transfer."""
    return device_link_metrics(pos, neg)["auc"]

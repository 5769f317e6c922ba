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
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

__all__ = [
    "ForwardCapture",
    "auc_numerator",
    "device_link_metrics",
    "forward_reusable",
    "hits_counts",
    "import_in_background",
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
        ``{"auc": ..., "hits@K": ...}`` as Python floats. One host transfer.

    Raises:
        ValueError: On empty or non-1-D inputs.
    """
    pos, neg = _flat(pos, "pos"), _flat(neg, "neg")
    dtype = torch.promote_types(pos.dtype, neg.dtype)
    pos, neg = pos.to(dtype), neg.to(dtype)
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


# --------------------------------------------------------------------------- forward reuse


def _has_train_only_behaviour(module: nn.Module) -> bool:
    """Whether some submodule computes differently in training mode (dropout, batch stats)."""
    for m in module.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0:
            return True
        if isinstance(m, nn.modules.batchnorm._NormBase) and m.track_running_stats:
            return True
        for attr in ("dropout", "edge_dropout", "input_dropout", "drop_edge"):
            value = getattr(m, attr, 0)
            if isinstance(value, float | int) and not isinstance(value, bool) and value > 0:
                return True
    return False


def forward_reusable(model: nn.Module, config: Any, sharded: bool) -> bool:
    """Whether a training step's encoder forward can stand in for the eval-mode encode.

    Args:
        model: The :class:`~graphae.models.GraphAutoEncoder`.
        config: Its :class:`~graphae.train.RunConfig`.
        sharded: Whether training is distributed.

    Returns:
        False for anything that makes the training forward differ from
        ``model.eval(); model.encode(x, ...)``: compile, autocast (bf16),
        distributed training, variational encoders, input/edge masking or
        noise, dropout and batch statistics anywhere in the encoder.
    """
    if sharded or config.compile or config.precision not in ("fp32", "tf32"):
        return False
    if config.variational or config.objective != "reconstruction":
        return False
    noisy = (config.edge_mask, config.edge_dropout, config.feature_mask, config.feature_noise)
    if any(v > 0 for v in noisy) or config.dropout > 0 or config.mask_target_edges:
        return False
    encoder = getattr(model, "encoder", None)
    return isinstance(encoder, nn.Module) and not _has_train_only_behaviour(encoder)


class ForwardCapture:
    """Keeps the encoder's output of the next call on exactly ``(x, edge_index, edge_weight)``.

    A forward hook on ``encoder``; only while armed, and only for a call whose
    inputs ARE the given tensors (so a masked or noisy view never counts).

    Args:
        encoder: The encoder module.
        x: ``(N, F)`` the features training passes in.
        edge_index: ``(2, E)`` the message-passing graph.
        edge_weight: ``(E,)`` or ``None``.
    """

    def __init__(
        self, encoder: nn.Module, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None
    ) -> None:
        self._inputs = (x, edge_index, edge_weight)
        self._armed = False
        self._out: Tensor | None = None
        self._handle = encoder.register_forward_hook(self._hook, with_kwargs=True)

    def _hook(self, module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        if not self._armed or self._out is not None or not isinstance(output, Tensor):
            return
        given = (
            list(args) + [kwargs.get(k) for k in ("x", "edge_index", "edge_weight")][len(args) :]
        )
        given += [None] * (3 - len(given))
        if all(a is b for a, b in zip(given[:3], self._inputs, strict=True)):
            self._out = output.detach()

    def arm(self) -> None:
        """Capture the next matching call."""
        self._armed, self._out = True, None

    def take(self) -> Tensor | None:
        """The captured ``(N, d)`` embeddings (``None`` if no matching call); disarms."""
        out, self._out, self._armed = self._out, None, False
        return out

    def remove(self) -> None:
        """Remove the hook."""
        self._handle.remove()


# --------------------------------------------------------------------------- final probes

#: What the final probes (:func:`graphae.evaluation.measure.measure`) import: scikit-learn.
PROBE_MODULES = (
    "sklearn.metrics",
    "sklearn.linear_model",
    "sklearn.preprocessing",
    "sklearn.cluster",
    "sklearn.model_selection",
)


def import_in_background(names: Sequence[str] = PROBE_MODULES) -> threading.Thread:
    """Import ``names`` in a daemon thread (training releases the GIL inside its kernels,
    so the ~1 s scikit-learn import overlaps the epochs instead of following them).

    Python's per-module import locks make a later ``import`` in the main thread wait
    for (or reuse) the thread's work; a failed import is ignored here and raises
    where the module is really imported.
    """

    def work() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # reported by the real import later
                return

    thread = threading.Thread(target=work, name="graphae-preload", daemon=True)
    thread.start()
    return thread

"""Node-feature preprocessing: what the encoder sees.

Every path that feeds features to a model (training, re-embedding a finished
run, the scikit-learn estimator, layer-wise probes, the ``features`` and
``untrained`` baselines) goes through :func:`input_features`, so a model never
sees differently prepared inputs at training and at inference time.

``feature_norm``:

* ``"row"`` divides each row by its L1 norm, the standard preprocessing of
  bag-of-words features (PyG's ``NormalizeFeatures``, Kipf & Welling's
  ``preprocess_features``, DGL's Planetoid loaders). Rows whose L1 norm is 0
  stay 0.
* ``"auto"`` (the default) is ``"row"`` for the built-in datasets whose
  features are bag-of-words (Planetoid, Amazon, Coauthor: ``graph.meta
  ["features"] == "bag_of_words"``) and ``"none"`` for everything else — user
  files, the scikit-learn estimator's feature matrices, OGB's word2vec-style
  features — which are used as given (row-normalising continuous features
  such as 2-d coordinates would map (1, 1) and (5, 5) to the same row).
* ``"none"`` uses the features as given.

The identity and degree fallbacks that graphae builds itself are never
normalised (row-normalising a single degree column would make it constant).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from graphae.config import CHOICES

if TYPE_CHECKING:
    from graphae.data.graph import Graph

#: Valid values of ``RunConfig.feature_norm`` (:data:`graphae.config.CHOICES`).
FEATURE_NORMS = CHOICES["feature_norm"]

#: Valid values of ``RunConfig.feature_fallback`` / ``load_graph(feature_fallback=)``: what a
#: user graph without node features gets (:func:`graphae.data.io.load_graph`).
FEATURE_FALLBACKS = CHOICES["feature_fallback"]

#: Feature sources that ``feature_norm`` applies to (not graphae's own fallbacks).
NORMALISED_SOURCES = ("dataset", "file")


def normalize_features(x: Tensor, norm: str) -> Tensor:
    """Apply a feature normalisation.

    Args:
        x: ``(N, F)`` features, dense or sparse COO.
        norm: ``"row"`` (each row divided by its L1 norm; zero rows stay zero)
            or ``"none"`` (``"auto"`` is resolved by :func:`input_features`).

    Returns:
        ``(N, F)`` dense float tensor (a new tensor for ``"row"``).

    Raises:
        ValueError: On an unknown ``norm``.
    """
    if norm not in ("row", "none"):
        raise ValueError(f"unknown feature_norm {norm!r}; use row or none")
    x = x.to_dense() if x.is_sparse else x
    x = x if x.is_floating_point() else x.float()
    if norm == "none" or x.size(1) == 0:
        return x
    l1 = x.abs().sum(dim=1, keepdim=True)
    return x / torch.where(l1 > 0, l1, torch.ones_like(l1))


def resolve_feature_norm(graph: Graph, norm: str = "auto") -> str:
    """``"row"`` or ``"none"``: what ``norm`` means for this graph's features.

    Args:
        graph: The graph.
        norm: ``RunConfig.feature_norm`` (``"auto"``, ``"row"`` or ``"none"``).
    """
    if norm not in FEATURE_NORMS:
        raise ValueError(f"unknown feature_norm {norm!r}; use {', '.join(FEATURE_NORMS)}")
    if graph.data.x is None or graph.feature_source not in NORMALISED_SOURCES:
        return "none"
    if norm == "auto":
        return "row" if graph.meta.get("features") == "bag_of_words" else "none"
    return norm


def input_features(
    graph: Graph, norm: str = "auto", device: torch.device | str | None = None
) -> Tensor:
    """The features a model of this graph consumes.

    Args:
        graph: The graph.
        norm: ``RunConfig.feature_norm`` (see :func:`resolve_feature_norm`).
        device: Where to put the result (default: where the features are).

    Returns:
        ``(N, F)`` float features, or an ``(N, 0)`` tensor when the graph has
        none (featureless models: latent codes, learnable input tables).
    """
    x = graph.data.x
    if x is None:
        return torch.empty(graph.num_nodes, 0, device=device)
    x = x.to(device) if device is not None else x
    return normalize_features(x, resolve_feature_norm(graph, norm))

"""Decoder-independent probes on frozen representations, and layer-wise probing.

:func:`probe_embeddings` runs the probes of :func:`graphae.evaluation.measure.measure` —
node probe (logistic regression, public split when the graph has one), k-means
NMI, and the link probe (logistic regression on ``z_u ⊙ z_v`` trained on the
split's training pairs, scored on its test pairs) — with the same sampling, so
a baseline or a hidden layer is scored exactly as a run's final embeddings are.

:func:`layerwise_probes` applies them to every layer's output through the
encoder (``Encoder.forward_layers``) and, where the decoder exposes
``forward_layers`` (mirrored GNN decoders: ``gnn``, ``mirror``, ``tied``,
``pinv``), through the decoder too, so the report can show where in the stack
the most useful representation lives.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
from torch import Tensor

from graphae.data.features import input_features
from graphae.data.graph import Graph
from graphae.data.split import LinkSplit

__all__ = ["has_labels", "layer_outputs", "layerwise_probes", "probe_embeddings"]

log = logging.getLogger(__name__)


def has_labels(graph: Graph) -> bool:
    """Whether the graph has at least one node label (``y >= 0``)."""
    return graph.y is not None and bool((graph.y >= 0).any())


def _masks(graph: Graph) -> dict[str, np.ndarray]:
    masks = {k: getattr(graph.data, k, None) for k in ("train_mask", "val_mask", "test_mask")}
    if any(v is None for v in masks.values()):
        return {}
    return {k: v.cpu().numpy() for k, v in masks.items()}


def probe_embeddings(
    z: Tensor | np.ndarray,
    graph: Graph,
    split: LinkSplit,
    seed: int = 0,
    *,
    node: bool = True,
    link: bool = True,
    nmi: bool = True,
    max_probe_pairs: int = 50_000,
) -> dict[str, float]:
    """The probes of :func:`graphae.evaluation.measure.measure` on any ``(N, k)`` representation.

    Args:
        z: ``(N, k)`` representation (embeddings, a hidden layer, raw features).
        graph: The graph (labels and public node split).
        split: The link split the run used (training pairs and test pairs).
        seed: Seed of the probes (the run's seed).
        node: Run the node probe (needs labels).
        link: Run the link probe.
        nmi: Run k-means NMI (needs labels).
        max_probe_pairs: Cap on training positives of the link probe.

    Returns:
        ``probe/node_accuracy``, ``val/probe/node_accuracy``, ``probe/nmi``,
        ``probe/link_auc`` (those that apply).
    """
    from graphae.evaluation.metrics import cluster_nmi, node_probe, split_link_probe

    if isinstance(z, Tensor):
        z = z.detach().float().cpu().numpy()
    zc = np.asarray(z, dtype=np.float32)
    out: dict[str, float] = {}
    if has_labels(graph) and (node or nmi):
        yn = graph.y.cpu().numpy()
        if node:
            probe = node_probe(zc, yn, seed=seed, **_masks(graph))
            out["probe/node_accuracy"] = float(probe["accuracy"])
            out["val/probe/node_accuracy"] = float(probe["val_accuracy"])
        if nmi:
            out["probe/nmi"] = float(cluster_nmi(zc, yn, seed=seed))
    if link:  # the same sample as graphae.evaluation.measure.measure (none without test pairs)
        auc = split_link_probe(zc, split, graph.num_nodes, seed=seed, max_pairs=max_probe_pairs)
        if auc is not None:
            out["probe/link_auc"] = auc
    return out


@torch.no_grad()
def layer_outputs(model: Any, x: Tensor, split: LinkSplit) -> list[tuple[str, str, Tensor]]:
    """Every layer's output through the encoder and, where it exposes them, the decoder.

    Args:
        model: A :class:`~graphae.models.GraphAutoEncoder` (put in eval mode here).
        x: ``(N, F)`` features on the model's device.
        split: The split on the model's device (its message-passing graph is used).

    Returns:
        ``[(part, name, (N, c)), ...]``: ``part`` is ``"encoder"`` or
        ``"decoder"``; the last encoder entry is the embedding ``z``. A model
        with both a structure and a feature decoder lists the structure
        decoder's layers first (names ``decoder.*`` and ``feature_decoder.*``).
    """
    model.eval()
    ei, ew = split.mp_edge_index, split.mp_edge_weight
    enc_layers = model.encoder.forward_layers(x, ei, ew)
    out: list[tuple[str, str, Tensor]] = []
    for i, h in enumerate(enc_layers, start=1):
        name = f"encoder.{i}" + (" (z)" if i == len(enc_layers) else "")
        out.append(("encoder", name, h))
    z = model.encode(x, ei, ew)
    structure = getattr(model, "decoder", None)
    if structure is not None and hasattr(structure, "forward_layers"):
        for i, h in enumerate(structure.forward_layers(z, ei), start=1):
            out.append(("decoder", f"decoder.{i}", h))
    feature = getattr(model, "feature_decoder", None)
    if feature is not None and hasattr(feature, "forward_layers"):
        remask = getattr(model, "remask", None)
        h0 = remask(z) if remask is not None else z
        prefix = "feature_decoder" if structure is not None else "decoder"
        for i, h in enumerate(feature.forward_layers(h0, ei, ew), start=1):
            out.append(("decoder", f"{prefix}.{i}", h))
    return out


def layerwise_probes(
    model: Any,
    graph: Graph,
    split: LinkSplit,
    seed: int = 0,
    *,
    node: bool = True,
    link: bool = True,
    nmi: bool = True,
    feature_norm: str = "auto",
) -> list[dict[str, Any]]:
    """The probes of :func:`probe_embeddings` on every layer of a model.

    Args:
        model: The trained (or untrained) model.
        graph: The graph.
        split: The split (any device; moved to the model's).
        seed: Probe seed.
        node, link, nmi: Which probes to run.
        feature_norm: The run's ``RunConfig.feature_norm`` (the model's inputs).

    Returns:
        One record per layer, in order through the stack: ``position`` (1 = the
        first encoder layer; 0 is the raw input, probed by the ``features``
        baseline), ``part``, ``name``, ``dim`` and the probe metrics.
    """
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    x = input_features(graph, feature_norm, device)
    records: list[dict[str, Any]] = []
    for pos, (part, name, h) in enumerate(layer_outputs(model, x, split.to(device)), start=1):
        rec: dict[str, Any] = {"position": pos, "part": part, "name": name, "dim": int(h.size(1))}
        hc = h.detach().float().cpu()
        if not bool(torch.isfinite(hc).all()):
            rec["error"] = "non-finite values"
        else:
            rec.update(probe_embeddings(hc, graph, split, seed, node=node, link=link, nmi=nmi))
        records.append(rec)
    log.info("layer-wise probes: %d layers", len(records))
    return records

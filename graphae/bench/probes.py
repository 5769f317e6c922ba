"""Layer-wise probing: the probes of a run on every layer of its model.

The probes themselves are :func:`graphae.evaluation.measure.probe_embeddings`,
the one assembly a run's record, the baselines and ``graphae evaluate`` use, so
a hidden layer is scored exactly as a run's final embeddings are.
:func:`layerwise_probes` applies them to every layer's output through the
encoder (``Encoder.forward_layers``) and, where the decoder exposes
``forward_layers`` (mirrored GNN decoders: ``gnn``, ``mirror``, ``tied``,
``pinv``), through the decoder too, so the report can show where in the stack
the most useful representation lives.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import Tensor

from graphae.data.features import input_features
from graphae.data.graph import Graph
from graphae.data.split import LinkSplit
from graphae.evaluation.measure import probe_embeddings

__all__ = ["layer_outputs", "layerwise_probes"]

log = logging.getLogger(__name__)


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
        h0 = model.feature_input(z)  # what the feature decoder reads (GraphMAE's re-mask)
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
    max_width: int | None = None,
) -> list[dict[str, Any]]:
    """The probes of :func:`probe_embeddings` on every layer of a model.

    Args:
        model: The trained (or untrained) model.
        graph: The graph.
        split: The split (any device; moved to the model's).
        seed: Probe seed.
        node, link, nmi: Which probes to run.
        feature_norm: The run's ``RunConfig.feature_norm`` (the model's inputs).
        max_width: Layers wider than this are listed with ``skipped`` and no
            probe metrics (a feature decoder's ``(N, F)`` output on Coauthor
            Physics costs minutes of probing per run); ``None``: probe every layer.

    Returns:
        One record per layer, in order through the stack: ``position`` (1 = the
        first encoder layer; 0 is the raw input, probed by the ``features``
        baseline), ``part``, ``name``, ``dim`` and the probe metrics (or ``skipped``, or ``error``
        for a non-finite output).
    """
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    x = input_features(graph, feature_norm, device)
    records: list[dict[str, Any]] = []
    layers = layer_outputs(model, x, split.to(device))
    for pos, (part, name, h) in enumerate(layers, start=1):
        rec: dict[str, Any] = {"position": pos, "part": part, "name": name, "dim": int(h.size(1))}
        head = f"layer {pos}/{len(layers)} ({name}, {h.size(1)} dims):"  # -v: whose lines follow
        if max_width is not None and h.size(1) > max_width:
            rec["skipped"] = f"wider than max_width {max_width}"
            log.info("%s skipped, %s", head, rec["skipped"])
            records.append(rec)
            continue
        log.info("%s", head)
        hc = h.detach().float().cpu()
        if not bool(torch.isfinite(hc).all()):
            rec["error"] = "non-finite values"
        else:
            rec.update(probe_embeddings(hc, graph, split, seed, node=node, link=link, nmi=nmi))
        records.append(rec)
    return records

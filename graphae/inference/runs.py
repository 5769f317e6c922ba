"""Using a finished run: rebuild its model, embed graphs with it, probe saved embeddings.

:func:`load_model` and :func:`load_run_config` read a run folder written by
``graphae train``; :func:`embed_graph` embeds the run's own graph (reproducing
its embeddings) or another one with its encoder; :func:`probe_run` and
:func:`probe_embeddings` (``graphae evaluate``) probe saved embeddings with
:mod:`graphae.evaluation.measure`'s probes, the ones a run's ``result.json``
was measured with.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from graphae.data.features import input_features
from graphae.data.graph import Graph, NodeIndex
from graphae.errors import GraphaeError
from graphae.models import GraphAutoEncoder

log = logging.getLogger(__name__)


def load_model(run_dir: str | Path) -> tuple[GraphAutoEncoder, Any, NodeIndex]:
    """Rebuild a run's model from its checkpoint (tensors only, no pickled code).

    Args:
        run_dir: Folder written by ``graphae train``.

    Returns:
        ``(model in eval mode, RunConfig, NodeIndex of the training graph)``.
    """
    from graphae.config import RunConfig
    from graphae.models import build_model
    from graphae.rundir import load_checkpoint

    state, spec, nodes = load_checkpoint(run_dir)
    config = RunConfig.from_record(spec["config"])
    model = build_model(config, int(spec["in_channels"]), int(spec["num_nodes"]))
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise GraphaeError(
            f"{run_dir}: model.pt does not match model.json ({str(e).splitlines()[0]})"
        ) from e
    model.eval()
    return model, config, NodeIndex.from_json(nodes)


#: A featureless run's input fallbacks that describe a node by its place in the graph
#: (its degree), not by its row: the only ones that carry over to another graph.
INDUCTIVE_FALLBACKS = ("degree",)


def _inputs_fallback(run_dir: str | Path, config: Any, features: Any) -> str | None:
    """The input fallback another graph must be embedded with, or ``None`` for features.

    A run trained on a graph file without features built its inputs with
    ``feature_fallback``. Only ``degree`` means the same thing on another graph:
    identity, random and learnable inputs are one row per node of the training
    graph, so another graph's nodes would get someone else's (or no) meaning.

    Raises:
        GraphaeError: When the run's inputs do not carry over, or a feature file is
            given to a run that was trained without one.
    """
    featureless_run = config.graph is not None and config.features is None
    if not featureless_run:
        return None
    used = config.feature_fallback
    if used not in INDUCTIVE_FALLBACKS:
        raise GraphaeError(
            f"{run_dir} was trained without features, on its own nodes' {used!r} inputs "
            "(one row per node of its graph): they mean nothing for another graph's nodes. "
            "Embed its own graph (no --graph), or train with --feature-fallback degree (or "
            "a feature file) to embed other graphs"
        )
    if features is not None:
        raise GraphaeError(
            f"{run_dir} was trained without features (degree inputs); embed another graph "
            "without --features"
        )
    return used


def embed_graph(
    run_dir: str | Path,
    graph: str | Path | Graph | None = None,
    *,
    features: str | Path | None = None,
    feature_ids: str | Path | None = None,
    directed: bool = False,
    data_root: str | Path | None = None,
):
    """Embed a graph with a trained run's encoder.

    Without ``graph`` the run's own graph is reloaded and embedded over the same
    message-passing graph as the saved model's export (the split's training
    edges, or every edge with ``export_edges`` ``"all"``/``"refit"``:
    :func:`graphae.pipeline.export_split`), which reproduces the run's embeddings.
    Any other graph is embedded over all of its edges; its features must have the
    width the model was trained with.

    Returns:
        :class:`~graphae.embeddings.Embeddings` keyed by the graph's node ids.
    """
    from graphae.data.io import load_graph
    from graphae.embeddings import Embeddings
    from graphae.pipeline import export_split, load_input

    model, config, _ = load_model(run_dir)
    if graph is None:
        if data_root is not None:
            config = config.replace(data_root=str(data_root))
        g = load_input(config)
        split = export_split(g, config)
        edge_index, edge_weight = split.mp_edge_index, split.mp_edge_weight
    else:
        if isinstance(graph, Graph):  # it comes with its inputs
            g = graph
        else:  # a file gets the run's (inductive) fallback
            fallback = _inputs_fallback(run_dir, config, features)
            g = load_graph(
                graph,
                features=features,
                feature_ids=feature_ids,
                directed=directed,
                feature_fallback=fallback or "auto",
            )
        edge_index, edge_weight = g.data.edge_index, g.edge_weight
    in_channels = model.encoder.in_channels  # 0: featureless (latent codes, input table)
    if g.num_features != in_channels:
        raise GraphaeError(
            f"{g.name} has {g.num_features} feature columns but the model was trained on "
            f"{in_channels}; give --features with {in_channels} columns"
        )
    x = input_features(g, config.feature_norm)  # (N, 0) for a featureless graph
    with torch.no_grad():
        z = model.encode(x, edge_index, edge_weight)
    return Embeddings(g.nodes.ids, z.float().numpy())


def probe_embeddings(
    embeddings: str | Path,
    *,
    dataset: str | None = None,
    labels: str | Path | None = None,
    data_root: str | Path | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Node-classification probe and k-means NMI of saved embeddings.

    Args:
        embeddings: Embeddings file or run folder.
        dataset: Dataset whose labels and public split to use.
        labels: Or a labels ``.csv`` (``id,label``).
        data_root: Dataset root.
        seed: Probe seed.

    Returns:
        ``{"probe/node_accuracy", "val/probe/node_accuracy", "probe/nmi", "nodes"}``.
    """
    import numpy as np

    from graphae.embeddings import load_embeddings
    from graphae.evaluation.measure import node_split, probe_metrics

    if (dataset is None) == (labels is None):
        raise GraphaeError("give exactly one of --dataset or --labels")
    emb = load_embeddings(embeddings)
    masks: dict[str, np.ndarray] = {}
    if dataset is not None:
        from graphae.data.datasets import load_dataset

        g = load_dataset(dataset, data_root)
        if g.y is None:
            raise GraphaeError(f"dataset {g.name} has no node labels to probe")
        if len(emb) != g.num_nodes:  # integer ids overlap: another dataset's rows would pass
            raise GraphaeError(
                f"{embeddings} holds {len(emb)} embeddings and {dataset} has {g.num_nodes} "
                f"nodes: these are not {dataset}'s embeddings (give the dataset they were "
                "trained on, or --labels for a graph of your own)"
            )
        rows = np.array([g.nodes.row(i) for i in emb.ids])
        y = g.y.numpy()[rows]
        masks = node_split(g, rows)
    else:
        from graphae.data.io import read_labels

        y = read_labels(labels, NodeIndex(emb.ids)).numpy()
    metrics = probe_metrics(emb.vectors, y, masks, seed, link=False, require_labels=True)
    return {**metrics, "nodes": len(emb)}


def load_run_config(run_dir: str | Path, data_root: str | Path | None = None) -> Any:
    """The :class:`~graphae.config.RunConfig` a run folder was trained with.

    Args:
        run_dir: A folder written by ``graphae train``.
        data_root: Replaces the run's dataset root when given.

    Returns:
        The run's config.

    Raises:
        GraphaeError: When the folder has no ``config.json`` or it cannot be read.
    """
    import json

    from graphae.config import RunConfig

    cfg_path = Path(run_dir) / "config.json"
    if not cfg_path.is_file():
        raise GraphaeError(f"{run_dir}: no config.json; is this a folder written by graphae train?")
    try:
        config = RunConfig.from_record(json.loads(cfg_path.read_text(encoding="utf-8")))
    except (ValueError, UnicodeDecodeError) as e:
        raise GraphaeError(f"{cfg_path}: corrupted config ({type(e).__name__})") from None
    return config if data_root is None else config.replace(data_root=str(data_root))


def probe_run(
    run_dir: str | Path, *, data_root: str | Path | None = None, seed: int | None = None
) -> dict[str, float]:
    """The probes of a run folder's embeddings on the run's own input, split and labels.

    The dataset (or the graph file with its labels) comes from the run's
    ``config.json``; the link split is rebuilt exactly as training made it, so
    ``probe/link_auc`` and the node probe equal the run's ``result.json``. A run
    that exported embeddings over every edge (``export_edges`` ``"all"`` or
    ``"refit"``) gets no ``probe/link_auc``: its embeddings have seen the
    held-out edges (its ``result.json`` holds the held-out figures).

    Args:
        run_dir: A folder written by ``graphae train``.
        data_root: Dataset root (default: the run's, else ``$GRAPHAE_DATA``/``./data``).
        seed: Probe seed (default ``None``: the run's own ``seed``, which reproduces
            its figures).

    Returns:
        ``probe/link_auc`` (when the split has test pairs) and, for labelled
        graphs, ``probe/node_accuracy``, ``val/probe/node_accuracy`` and
        ``probe/nmi``; plus ``nodes``.

    Raises:
        GraphaeError: When the folder has no readable ``config.json``.
    """
    import numpy as np

    from graphae.embeddings import load_embeddings
    from graphae.evaluation.measure import probe_embeddings
    from graphae.pipeline import export_split, load_input

    run_dir = Path(run_dir)
    config = load_run_config(run_dir, data_root)
    graph = load_input(config)
    emb = load_embeddings(run_dir)
    rows = np.array([graph.nodes.row(i) for i in emb.ids])
    z = np.zeros((graph.num_nodes, emb.dim), dtype=emb.vectors.dtype)
    z[rows] = emb.vectors
    # export_split holds nothing out when the embeddings saw every edge: no leaky link probe
    seed = config.seed if seed is None else seed
    metrics = probe_embeddings(z, graph, export_split(graph, config), seed)
    return {**metrics, "nodes": len(emb)}

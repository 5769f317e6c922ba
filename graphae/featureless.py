"""Defaults for a user graph file without node features, chosen by measurement.

Most user graphs come without features. On the featureless networks of the
offline data (``benchmarks/featureless.py``, table in
``benchmarks/results/featureless.md``), three choices moved graphae's held-out
link AUC from below the classic heuristics (Adamic–Adar, resource allocation,
Katz) to about level with them or above:

* **input features** (``feature_fallback="auto"``, resolved by the loader):
  one-hot identity up to 2,048 nodes; above that, degree features beside a
  learnable input code per node (``"degree_learnable"``);
* **decoder** (``featureless_decoder="auto"``): the base decoder is the
  common-neighbour decoder ``ncn`` (Wang et al., ICLR 2024) up to
  :data:`NCN_MAX_NODES` nodes and the inner product above; the run trains it
  with and without the heuristic-counts head (``counts=true``,
  :class:`~graphae.nn.decoders.PairCountsHead`) and keeps the one with the
  higher validation AUC, where common neighbours tell anything about links
  (their validation AUC at least :data:`COUNTS_MIN_CN_AUC`); elsewhere (grids,
  trees, router-like graphs) the base alone (:func:`decoder_candidates`; the
  comparison runs in :func:`graphae.pipeline.fit`);
* **export** (``export_edges="auto"``): after model selection on the held-out
  split, the model is retrained on every edge of the file for the selected
  number of epochs and the embeddings are encoded over every edge
  (``"refit"``). Without it the exported embeddings never see the 15% of the
  edges the run held out for validation and test, which the heuristics use.

:func:`resolve_featureless` turns ``"auto"`` values into what a run does; the
resolved config is the one a run records (``config.json``), so replaying it
repeats the run, and ``result.json`` records the choices under
``graph.featureless``. Explicit values are kept.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from graphae.data.features import FEATURE_FALLBACKS
from graphae.data.io.fallback import IDENTITY_MAX_NODES
from graphae.evaluation.metrics import link_metrics
from graphae.nn.heuristics import split_heuristic_scores

if TYPE_CHECKING:
    from graphae.config import RunConfig
    from graphae.data.graph import Graph
    from graphae.data.split import LinkSplit

__all__ = [
    "COUNTS_MIN_CN_AUC",
    "NCN_MAX_NODES",
    "compares_decoders",
    "decoder_candidates",
    "decoder_label",
    "export_mode",
    "resolve_featureless",
]

log = logging.getLogger(__name__)

#: Largest featureless graph whose ``featureless_decoder="auto"`` base decoder is ``ncn``
#: (above it the measured gain was smaller than the cost of the common-neighbour products).
NCN_MAX_NODES = 2048

#: The ``decoder_options`` the auto decoder compares, in order (a tie keeps the first).
DECODER_VARIANTS: tuple[dict[str, Any], ...] = ({}, {"counts": True})

#: The common-neighbour AUC on a run's validation split from which the heuristic-counts
#: head is tried. Measured (``benchmarks/results/featureless.md``): on Power and Router,
#: where CN scores 0.54-0.57 on the runs' validation pairs, the head lost 1.2-4 points (two
#: Power seeds collapsed); on the other eight, where it scores 0.74-0.98, it was level or up to
#: 1 point ahead on five and lost 0.1-1.9 on PB, USAir and powerlaw_cluster, where the validation
#: comparison keeps the base on some seeds. The threshold sits between the two groups.
COUNTS_MIN_CN_AUC = 0.75

#: ``feature_source`` values that mean graphae made the features up.
_FALLBACK_SOURCES = tuple(f for f in FEATURE_FALLBACKS if f != "auto")


def is_featureless_file(config: RunConfig, graph: Graph) -> bool:
    """Whether ``graph`` is a user graph file read without features (a fallback made them)."""
    return (
        config.graph is not None
        and config.features is None
        and graph.feature_source in _FALLBACK_SOURCES
    )


def export_mode(config: RunConfig) -> str:
    """``"split"``, ``"all"`` or ``"refit"``: what a run exports (``"auto"`` unresolved: split)."""
    return "split" if config.export_edges == "auto" else config.export_edges


def resolve_featureless(
    config: RunConfig, graph: Graph, *, defaults: bool = True
) -> tuple[RunConfig, dict[str, Any] | None]:
    """Resolve a run's ``"auto"`` featureless settings on its loaded graph.

    Args:
        config: The run's configuration.
        graph: Its input graph, loaded with ``config.feature_fallback``.
        defaults: Apply the export default (``False`` for a graph passed in
            memory, e.g. by the scikit-learn estimator: only the feature
            fallback is recorded). The decoder is chosen by
            :func:`decoder_candidates`.

    Returns:
        ``(config with the auto values resolved, record)``. The record (``None``
        for a graph with features) is ``{"feature_fallback", "decoder",
        "export_edges", "auto": [fields that "auto" decided]}``.
    """
    if not is_featureless_file(config, graph):
        return config, None
    changes: dict[str, Any] = {}
    if config.feature_fallback == "auto":
        changes["feature_fallback"] = graph.feature_source
    if defaults and config.export_edges == "auto":
        changes["export_edges"] = "refit"
    resolved = config.replace(**changes) if changes else config
    record = {
        "feature_fallback": resolved.feature_fallback,
        "decoder": resolved.decoder,
        "export_edges": export_mode(resolved),
        "auto": sorted(changes),
    }
    if changes:
        log.info(
            "%s has no node features: %s (defaults chosen by measurement; "
            "benchmarks/results/featureless.md)",
            graph.name,
            ", ".join(f"{k}={v}" for k, v in changes.items()),
        )
    return resolved, record


def compares_decoders(config: RunConfig) -> bool:
    """Whether the config leaves the decoder to ``featureless_decoder="auto"``, if featureless.

    True for a graph file read without a feature file, with the default inner
    product and no decoder options, no feature decoder, the reconstruction
    objective and a GNN encoder (what :func:`decoder_candidates` then checks
    on the loaded graph: that a fallback made its features, undirected).
    """
    return (
        config.featureless_decoder == "auto"
        and config.graph is not None
        and config.features is None
        and config.decoder == "inner_product"
        and not config.decoder_options
        and config.feature_decoder is None
        and config.objective == "reconstruction"
        and config.encoder != "embedding"
    )


def decoder_candidates(
    config: RunConfig, graph: Graph, split: LinkSplit
) -> tuple[list[RunConfig], dict[str, Any]]:
    """The configs ``featureless_decoder="auto"`` trains (and compares on validation).

    The base decoder (``ncn`` up to :data:`NCN_MAX_NODES` nodes, else the inner
    product) alone, or beside it with the heuristic-counts head when the
    common-neighbour heuristic scores at least :data:`COUNTS_MIN_CN_AUC` AUC on
    ``split``'s validation pairs (from its message-passing graph only). Every
    candidate is an ordinary run config (``featureless_decoder="off"``), so the
    winner's saved config replays it without a comparison.

    Args:
        config: The run's configuration.
        graph: Its input graph, loaded with ``config.feature_fallback``.
        split: The run's link split (:func:`graphae.pipeline.make_split`).

    Returns:
        ``(candidates, info)``: ``[]`` when the decoder is not graphae's to
        choose (the user set one, the graph has features or is directed);
        ``info`` is ``{"cn_val_auc": ...}`` (empty without a validation split).
    """
    if not (compares_decoders(config) and is_featureless_file(config, graph)) or graph.directed:
        return [], {}
    base = "ncn" if graph.num_nodes <= NCN_MAX_NODES else "inner_product"
    variants: tuple[dict[str, Any], ...] = DECODER_VARIANTS[:1]
    info: dict[str, Any] = {}
    scores = split_heuristic_scores("common_neighbors", split, parts=("val",))
    if "val" in scores:
        pos, neg = scores["val"]
        info["cn_val_auc"] = float(link_metrics(pos, neg)["auc"])
        if info["cn_val_auc"] >= COUNTS_MIN_CN_AUC:
            variants = DECODER_VARIANTS
    cands = [
        config.replace(decoder=base, decoder_options=dict(opts), featureless_decoder="off")
        for opts in variants
    ]
    return cands, info


def decoder_label(config: RunConfig) -> str:
    """``"ncn"``, ``"ncn + counts"``...: a candidate's decoder in words."""
    return config.decoder + (" + counts" if config.decoder_options.get("counts") else "")


def as_recorded(
    config: RunConfig, recorded: dict[str, Any], meta: dict[str, Any] | None
) -> RunConfig:
    """``config`` as the code that recorded ``recorded`` (a run's saved config) ran it.

    A config saved before the featureless defaults existed has no
    ``export_edges`` key; for such a run ``"auto"`` meant: the decoder as given,
    the split's embeddings exported, and for a graph file without features
    identity features up to :data:`~graphae.data.io.IDENTITY_MAX_NODES` nodes,
    learnable input codes alone above. Resuming such a checkpoint with those
    values continues the run it was.

    Args:
        config: The config to resume with (built from ``recorded``).
        recorded: The saved config dict.
        meta: The checkpoint's ``meta`` (its ``num_nodes`` is the recorded
            run's ``N``); ``None`` or without ``num_nodes``: left as is.

    Returns:
        ``config`` unchanged for a config saved by this version.
    """
    if "export_edges" in recorded or not meta or "num_nodes" not in meta:
        return config
    changes: dict[str, Any] = {"featureless_decoder": "off", "export_edges": "split"}
    if config.feature_fallback == "auto" and config.graph is not None and config.features is None:
        small = int(meta["num_nodes"]) <= IDENTITY_MAX_NODES
        changes["feature_fallback"] = "identity" if small else "learnable"
    return config.replace(**changes)

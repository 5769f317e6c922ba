"""Defaults for a user graph file without node features, chosen by measurement.

Most user graphs come without features. On the featureless networks of the
offline data (``benchmarks/featureless.py``, table in
``benchmarks/results/featureless.md``), three choices moved graphae's held-out
link AUC from below the classic heuristics (Adamic–Adar, resource allocation,
Katz) to about level with them or above:

* **input features** (``feature_fallback="auto"``, resolved by the loader):
  one-hot identity up to 2,048 nodes; above that, degree features beside a
  learnable input code per node (``"degree_learnable"``);
* **decoder** (``featureless_decoder="auto"``): up to
  :data:`NCN_MAX_NODES` nodes the default inner product becomes the
  common-neighbour decoder ``ncn`` (Wang et al., ICLR 2024);
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

if TYPE_CHECKING:
    from graphae.config import RunConfig
    from graphae.data.graph import Graph

__all__ = ["NCN_MAX_NODES", "export_mode", "resolve_featureless"]

log = logging.getLogger(__name__)

#: Largest featureless graph that ``featureless_decoder="auto"`` gives the ``ncn`` decoder
#: (above it the measured gain was smaller than the cost of the common-neighbour products).
NCN_MAX_NODES = 2048

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
        defaults: Apply the decoder and export defaults (``False`` for a graph
            passed in memory, e.g. by the scikit-learn estimator: only the
            feature fallback is recorded).

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
    if defaults:
        if config.featureless_decoder == "auto" and _ncn_applies(config, graph):
            changes["decoder"] = "ncn"
        if config.export_edges == "auto":
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


def _ncn_applies(config: RunConfig, graph: Graph) -> bool:
    """Whether ``featureless_decoder="auto"`` swaps this run's decoder for ``ncn``."""
    return (
        config.decoder == "inner_product"
        and not config.decoder_options
        and config.feature_decoder is None
        and config.objective == "reconstruction"
        and config.encoder != "embedding"
        and not graph.directed
        and graph.num_nodes <= NCN_MAX_NODES
    )


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

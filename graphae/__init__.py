"""graphae: graph autoencoders with a ladder of decoder capacities.

The public API::

    import graphae
    run = graphae.fit(graphae.RunConfig(dataset="Cora"))
    emb = graphae.load_embeddings("runs/cora")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

from graphae.data.datasets import load_dataset
from graphae.data.graph import Graph, NodeIndex
from graphae.data.io import load_graph
from graphae.data.split import LinkSplit, random_link_split
from graphae.embeddings import Embeddings, load_embeddings
from graphae.errors import GraphaeError, InputError
from graphae.models import GraphAutoEncoder
from graphae.nn.decoders import decoders
from graphae.nn.encoders import encoders
from graphae.results import RunResult
from graphae.train import RunConfig, TrainedRun, fit

# The scikit-learn interface imports scikit-learn, so it loads on first use
# (``graphae.GraphAEEmbedder``, ``from graphae import NodeEmbeddingLookup``).
if TYPE_CHECKING:
    from graphae.estimator import GraphAEEmbedder, NodeEmbeddingLookup

_LAZY = {"GraphAEEmbedder": "graphae.estimator", "NodeEmbeddingLookup": "graphae.estimator"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'graphae' has no attribute {name!r}")


__all__ = [
    "Embeddings",
    "Graph",
    "GraphAEEmbedder",
    "GraphAutoEncoder",
    "GraphaeError",
    "InputError",
    "LinkSplit",
    "NodeEmbeddingLookup",
    "NodeIndex",
    "RunConfig",
    "RunResult",
    "TrainedRun",
    "__version__",
    "decoders",
    "encoders",
    "fit",
    "load_dataset",
    "load_embeddings",
    "load_graph",
    "random_link_split",
]

"""graphae: graph autoencoders with a ladder of decoder capacities.

The public API::

    import graphae
    run = graphae.fit(graphae.RunConfig(dataset="Cora"))
    emb = graphae.load_embeddings("runs/cora")

Every public name loads on first use (module ``__getattr__``), so ``import
graphae`` and the ``graphae --help`` command line load neither torch,
torch_geometric nor scikit-learn; ``from graphae import fit`` imports what
``fit`` needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from graphae._version import __version__

if TYPE_CHECKING:
    from graphae.config import RunConfig
    from graphae.data.datasets import load_dataset
    from graphae.data.graph import Graph, NodeIndex
    from graphae.data.io import load_graph
    from graphae.data.split import LinkSplit, random_link_split
    from graphae.embeddings import Embeddings, load_embeddings
    from graphae.errors import GraphaeError, InputError
    from graphae.estimator import GraphAEEmbedder, NodeEmbeddingLookup
    from graphae.models import GraphAutoEncoder
    from graphae.nn.decoders import decoders
    from graphae.nn.encoders import encoders
    from graphae.pipeline import TrainedRun, fit
    from graphae.results import RunResult

# public name -> module that defines it
_LAZY = {
    "load_dataset": "graphae.data.datasets",
    "Graph": "graphae.data.graph",
    "NodeIndex": "graphae.data.graph",
    "load_graph": "graphae.data.io",
    "LinkSplit": "graphae.data.split",
    "random_link_split": "graphae.data.split",
    "Embeddings": "graphae.embeddings",
    "load_embeddings": "graphae.embeddings",
    "GraphaeError": "graphae.errors",
    "InputError": "graphae.errors",
    "GraphAEEmbedder": "graphae.estimator",
    "NodeEmbeddingLookup": "graphae.estimator",
    "GraphAutoEncoder": "graphae.models",
    "decoders": "graphae.nn.decoders",
    "encoders": "graphae.nn.encoders",
    "RunResult": "graphae.results",
    "RunConfig": "graphae.config",
    "TrainedRun": "graphae.pipeline",
    "fit": "graphae.pipeline",
}


def __getattr__(name: str) -> object:
    """Import the module behind a public name on first access and cache the name."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphae' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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

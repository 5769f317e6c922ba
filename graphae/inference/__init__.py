"""Using a finished run: its model, its embeddings of a graph, and probes of saved embeddings.

:mod:`.runs`: :func:`load_model`, :func:`load_run_config`, :func:`embed_graph`,
:func:`probe_run`, :func:`probe_embeddings` (``graphae embed`` / ``graphae
evaluate``). :mod:`.latent`: latent inference of new nodes' codes for an
auto-decoder run (``graphae embed RUN --infer EDGES``).
"""

from __future__ import annotations

from graphae.inference.runs import (
    embed_graph,
    load_model,
    load_run_config,
    probe_embeddings,
    probe_run,
)

__all__ = ["embed_graph", "load_model", "load_run_config", "probe_embeddings", "probe_run"]

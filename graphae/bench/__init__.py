"""The evaluation harness: sweep spec -> resumable runs -> tidy tables -> plots and report.

Typical use::

    from graphae.bench import load_spec, run_sweep, write_report

    spec = load_spec("benchmarks/configs/capacity-planetoid.yaml")
    run_sweep(spec, "runs/capacity-planetoid")       # resumable: re-run to finish
    write_report("runs/capacity-planetoid")          # report.md + plots/ + tables/

or ``graphae bench CONFIG --out DIR`` and ``graphae report DIR``.

Modules: :mod:`~graphae.bench.spec` (YAML spec and run ids),
:mod:`~graphae.bench.runner` (atomic, resumable execution),
:mod:`~graphae.bench.probes` (probes on frozen representations, layer-wise),
:mod:`~graphae.bench.baselines` (untrained encoder, raw features, spectral),
:mod:`~graphae.bench.aggregate` (tables, mean ± std, the capacity answer),
:mod:`~graphae.bench.anchors` (published numbers), :mod:`~graphae.bench.report`.
"""

from __future__ import annotations

from graphae.bench.aggregate import capacity_answers, collect, summarize, write_tables
from graphae.bench.probes import layerwise_probes
from graphae.bench.report import write_report
from graphae.bench.runner import SweepOutcome, run_sweep
from graphae.bench.spec import RunSpec, SweepSpec, load_spec, parse_spec
from graphae.evaluation.measure import probe_embeddings

__all__ = [
    "RunSpec",
    "SweepOutcome",
    "SweepSpec",
    "capacity_answers",
    "collect",
    "layerwise_probes",
    "load_spec",
    "parse_spec",
    "probe_embeddings",
    "run_sweep",
    "summarize",
    "write_report",
    "write_tables",
]

"""``graphae evaluate``: probe frozen embeddings (a run folder or an embeddings file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from graphae.cli.logs import setup_logging
from graphae.errors import GraphaeError

__all__ = ["EPILOG", "evaluate"]

EPILOG = (
    "Examples:\n\n  graphae evaluate runs/cora   (the run's own dataset, split and labels)\n\n"
    "  graphae evaluate emb.npy --labels y.csv --json"
)


def _print_metrics(metrics: dict[str, object], as_json: bool) -> None:
    """``key=value`` lines (as ``graphae train`` prints), or one JSON object."""
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    for k, v in metrics.items():
        typer.echo(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}")


def evaluate(
    embeddings: Annotated[
        Path, typer.Argument(help="Embeddings file or run folder.", metavar="RUN_OR_FILE")
    ],
    dataset: Annotated[
        str | None,
        typer.Option(
            help="Dataset whose labels (and public split) to probe (default for a run "
            "folder: the run's own input).",
            metavar="NAME",
        ),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="Labels .csv (id,label) to probe.", metavar="FILE")
    ] = None,
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.", metavar="DIR")] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Probe seed (default: the run's seed; 0 for an embeddings file)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object.", metavar="")
    ] = False,
) -> None:
    """Probe frozen embeddings: node probe, k-means NMI and, for a run, the link probe.

    The node probe is a logistic regression's accuracy on node labels; a run
    folder also gets the link probe on the run's own split.
    """
    setup_logging(False)
    from graphae.inference import probe_embeddings, probe_run

    if not embeddings.exists():
        raise GraphaeError(f"{embeddings}: no such run folder or embeddings file")
    if embeddings.is_dir() and dataset is None and labels is None:
        if not (embeddings / "config.json").is_file():
            raise GraphaeError(
                f"{embeddings}: no config.json to read the dataset from; give --dataset or --labels"
            )
        metrics = probe_run(embeddings, data_root=data_root, seed=seed)
    else:
        metrics = probe_embeddings(
            embeddings, dataset=dataset, labels=labels, data_root=data_root, seed=seed or 0
        )
    _print_metrics(metrics, as_json)

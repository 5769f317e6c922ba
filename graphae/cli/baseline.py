"""``graphae baseline``: score a split's validation and test pairs with a link heuristic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphae.cli.logs import setup_logging
from graphae.cli.options import parse_options
from graphae.cli.schema import default_of
from graphae.errors import GraphaeError

__all__ = ["baseline_command"]


def baseline_command(
    run: Annotated[
        Path | None,
        typer.Argument(help="A run folder: score the split that run trained on."),
    ] = None,
    heuristic: Annotated[
        str,
        typer.Option(
            help="Link heuristic: common_neighbors (cn), adamic_adar (aa), resource_allocation "
            "(ra), preferential_attachment (pa) or katz."
        ),
    ] = "adamic_adar",
    heuristic_option: Annotated[
        list[str] | None,
        typer.Option(help="Heuristic option KEY=VALUE, e.g. beta=0.01 (katz; repeatable)."),
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Named dataset (OGB: its official split).")
    ] = None,
    graph: Annotated[Path | None, typer.Option(help="Your graph file.")] = None,
    nodes: Annotated[
        Path | None, typer.Option(help="Node list of --graph, one id per line.")
    ] = None,
    directed: Annotated[bool, typer.Option(help="Treat --graph as directed.")] = False,
    val_ratio: Annotated[float, typer.Option(help="Validation fraction of edges.")] = default_of(
        "val_ratio"
    ),
    test_ratio: Annotated[float, typer.Option(help="Test fraction of edges.")] = default_of(
        "test_ratio"
    ),
    seed: Annotated[int, typer.Option(help="Split seed (as graphae train --seed).")] = default_of(
        "seed"
    ),
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.")] = None,
) -> None:
    """Score a split's validation and test pairs with a classic link heuristic.

    The heuristic sees the message-passing graph only (the training edges), on
    the split a run trained on (RUN) or the one graphae train would make for
    --dataset/--graph with the same split options. Prints the metrics as
    graphae train does (test, then validation).
    """
    setup_logging(False)
    from graphae.bench.baselines import heuristic_metrics
    from graphae.config import RunConfig
    from graphae.inference import load_run_config
    from graphae.nn.heuristics import resolve_heuristic
    from graphae.pipeline import load_input, make_split

    name = resolve_heuristic(heuristic)
    options = parse_options(heuristic_option, "--heuristic-option")
    if (run is not None) + (dataset is not None) + (graph is not None) != 1:
        raise GraphaeError("give one of: a run folder, --dataset or --graph")
    if run is not None:
        config = load_run_config(run, data_root)
        config = config.replace(feature_fallback="none")  # features play no part in a heuristic
    else:
        config = RunConfig(
            dataset=dataset,
            graph=str(graph) if graph else None,
            nodes=str(nodes) if nodes else None,
            directed=directed,
            data_root=str(data_root) if data_root else None,
            val_ratio=val_ratio,
            test_ratio=test_ratio,
            seed=seed,
            feature_fallback="none",
        )
    g = load_input(config)
    split = make_split(g, config)
    m = heuristic_metrics(name, g, split, **options)
    if not m:
        raise GraphaeError("the split has no validation or test pairs to score")
    typer.echo(g.summary())
    kind = "official" if split.source == "official" else "random"
    typer.echo(
        f"heuristic {name} on the message-passing graph ({split.mp_edge_index.size(1)} "
        f"edge entries, {kind} split)"
    )
    for prefix, label in (("", "test"), ("val/", "val")):
        keys = [k for k in m if k.startswith(prefix + "link/")]
        if keys:
            parts = [f"{k.removeprefix(prefix)}={m[k]:.4f}" for k in keys]
            typer.echo(f"{label}: " + " ".join(parts))

"""``graphae check-split``: check a link split for leaks (exit code 0 clean, 1 leaky)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from graphae.cli.logs import setup_logging
from graphae.cli.options import parse_options
from graphae.cli.schema import default_of
from graphae.errors import GraphaeError

__all__ = ["check_split_command"]


def check_split_command(
    run: Annotated[
        Path | None, typer.Argument(help="A run folder: check the split that run trained on.")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Named dataset (OGB: its official split).")
    ] = None,
    graph: Annotated[Path | None, typer.Option(help="Your graph file.")] = None,
    directed: Annotated[
        bool, typer.Option(help="Compare ordered pairs (a directed graph).")
    ] = False,
    split_file: Annotated[
        Path | None,
        typer.Option(
            help="A .pt of tensors only: {'train': {...}, 'val': {...}, 'test': {...}} with "
            "edge_index / edge_label_index / edge_label (RandomLinkSplit's Data.to_dict()), "
            "or LinkSplit fields. Loaded with weights_only=True."
        ),
    ] = None,
    pyg_random_link_split: Annotated[
        bool,
        typer.Option(
            "--pyg-random-link-split",
            help="Check PyG's RandomLinkSplit applied to --dataset/--graph (its defaults unless "
            "--pyg-option).",
        ),
    ] = False,
    pyg_option: Annotated[
        list[str] | None,
        typer.Option(
            help="RandomLinkSplit option KEY=VALUE, e.g. is_undirected=true (repeatable)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Split seed.")] = default_of("seed"),
    val_ratio: Annotated[float, typer.Option(help="Validation fraction (our split).")] = default_of(
        "val_ratio"
    ),
    test_ratio: Annotated[float, typer.Option(help="Test fraction (our split).")] = default_of(
        "test_ratio"
    ),
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check a link split for leaks; exit code 0 when clean, 1 when a leak is found.

    Reports val/test positives present (or reversed) in the message-passing graph,
    negatives that are true edges or self loops, and train/val/test overlap.
    """
    setup_logging(False)
    from graphae.config import RunConfig
    from graphae.data.leakage import check_split
    from graphae.data.leakage import pyg_random_link_split as run_pyg_split
    from graphae.pipeline import load_input, make_split

    ref_given = (dataset is not None) + (graph is not None)
    if (run is not None) + (ref_given > 0) + (split_file is not None and ref_given == 0) != 1:
        raise GraphaeError(
            "give one of: a run folder, --dataset/--graph (optionally with --split-file or "
            "--pyg-random-link-split), or --split-file"
        )
    if ref_given > 1:
        raise GraphaeError("give only one of --dataset or --graph")
    if pyg_option and not pyg_random_link_split:
        raise GraphaeError("--pyg-option needs --pyg-random-link-split")
    g = None
    if run is not None:
        cfg_path = run / "config.json"
        if not cfg_path.is_file():
            raise GraphaeError(f"{run}: no config.json; is this a folder written by graphae train?")
        try:
            cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise GraphaeError(f"{cfg_path}: corrupted config ({type(e).__name__})") from None
        config = RunConfig.from_dict(cfg)
        if data_root is not None:
            config = config.replace(data_root=str(data_root))
        g = load_input(config)
        split: object = make_split(g, config)
        source = f"graphae split of run {run}"
    else:
        if dataset is not None:
            from graphae.data.datasets import load_dataset

            g = load_dataset(dataset, data_root)
        elif graph is not None:
            from graphae.data.io import load_graph

            g = load_graph(graph, directed=directed)
        if split_file is not None:
            from graphae.rundir import safe_torch_load

            if not split_file.is_file():
                raise GraphaeError(f"{split_file}: no such file")
            split = safe_torch_load(split_file)
            source = f"split file {split_file}"
        elif pyg_random_link_split:
            assert g is not None
            opts = parse_options(pyg_option, "--pyg-option")
            split = run_pyg_split(g.data.edge_index, g.num_nodes, seed=seed, **opts)
            shown = ", ".join(f"{k}={v!r}" for k, v in opts.items()) or "defaults"
            source = f"PyG RandomLinkSplit({shown}) on {g.name}, seed {seed}"
        else:
            assert g is not None
            config = RunConfig(
                dataset=g.name,
                val_ratio=val_ratio,
                test_ratio=test_ratio,
                seed=seed,
            )
            split = make_split(g, config)
            kind = "official" if g.split is not None else f"random, seed {seed}"
            source = f"graphae split ({kind}) of {g.name}"
    report = check_split(
        split,
        g.data.edge_index if g is not None else None,
        num_nodes=g.num_nodes if g is not None else None,
        directed=True if directed else (None if run is not None or g is None else g.directed),
        source=source,
    )
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.table())
    if not report.clean:
        sys.exit(1)

"""``graphae datasets``: list the named datasets and whether they are under the data root."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from graphae.cli.listings import dataset_rows, human_bytes

__all__ = ["datasets"]


def datasets(
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.", metavar="DIR")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the list as JSON.", metavar="")
    ] = False,
) -> None:
    """List the named datasets: name, nodes, whether present under the data root, size, path."""
    from graphae.data.datasets import data_root as resolve_root

    root = resolve_root(data_root)
    rows = dataset_rows(root)
    if as_json:
        typer.echo(json.dumps({"data_root": str(root), "datasets": rows}, indent=2))
        return
    typer.echo(f"data root: {root}")
    for row in rows:
        mark = "present" if row["present"] else "missing"
        nodes = f"{row['nodes']:,}" if row["nodes"] is not None else "-"
        where = row["path"] or "(built in)"
        typer.echo(
            f"  {row['name']:<18} {row['family']:<10} {nodes:>9} nodes  {mark:<8} "
            f"{human_bytes(row['bytes']):>9}  {where}"
        )

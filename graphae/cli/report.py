"""``graphae report``: write a sweep folder's report.md, plots and tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphae.cli.logs import setup_logging
from graphae.errors import GraphaeError

__all__ = ["report_cmd"]


def report_cmd(
    folder: Annotated[Path, typer.Argument(help="Sweep folder written by `graphae bench`.")],
    anchors: Annotated[
        Path | None, typer.Option(help="Published anchors (default benchmarks/anchors.md).")
    ] = None,
    references: Annotated[
        list[Path] | None,
        typer.Option(
            help="Another sweep folder whose model runs join the report as reference rows "
            "(e.g. benchmarks/results/ssl-planetoid); repeatable."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """Write DIR/report.md with plots (DIR/plots/*.png) and tables (DIR/tables/) from a sweep."""
    setup_logging(verbose)
    from graphae.bench import write_report

    if not (folder / "runs").is_dir():
        raise GraphaeError(
            f"{folder} holds no runs/ folder; is it a folder written by graphae bench?"
        )
    path = write_report(folder, anchors=anchors, references=references or [])
    typer.echo(f"wrote {path}")

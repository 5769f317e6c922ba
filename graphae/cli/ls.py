"""``graphae ls``: list registered encoders/decoders (or one's options), objectives, variants."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import typer

from graphae.cli import listings
from graphae.errors import GraphaeError

__all__ = ["EPILOG", "ls"]

EPILOG = (
    "Examples:\n\n  graphae ls decoders\n\n  graphae ls decoders mlp   (its options and "
    "defaults)\n\n  graphae ls objectives"
)


def ls(
    what: Annotated[
        Literal["encoders", "decoders", "objectives", "variants"],
        typer.Argument(help="encoders, decoders, objectives or variants"),
    ],
    name: Annotated[
        str | None,
        typer.Argument(help="An encoder or decoder: list its options with their defaults."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.", metavar="")] = False,
) -> None:
    """List registered encoders/decoders (or one's options), the objectives or the variants."""
    if what in ("encoders", "decoders"):
        from graphae.nn.decoders import decoders
        from graphae.nn.encoders import encoders

        reg = encoders if what == "encoders" else decoders
        if name is not None:
            options = listings.component_options(what[:-1], name)
            if as_json:
                typer.echo(json.dumps({"name": name, "options": options}, indent=2, default=str))
                return
            flag = f"--{what[:-1]}-option"
            typer.echo(f"{name}: {reg.describe(name)}")
            if not options:
                typer.echo("  (no options)")
            for o in options:
                shown = (
                    "required"
                    if o["required"]
                    else f"default {json.dumps(o['default'], default=str)}"
                )
                typer.echo(f"  {flag} {o['name']}=...   {shown}")
            return
        rows = [{"name": n, "description": reg.describe(n)} for n in reg.names()]
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            typer.echo(f"{row['name']:<16} {row['description']}")
        return
    if name is not None:
        raise GraphaeError(
            f"graphae ls {what} takes no NAME (names apply to encoders and decoders)"
        )
    rows = listings.objective_rows() if what == "objectives" else listings.variant_rows()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        if what == "objectives":
            typer.echo(f"{row['name']:<16} {row['description']}")
            for k, v in row["options"].items():
                typer.echo(f"  --objective-option {k}=...   default {json.dumps(v)}")
        else:
            typer.echo(
                f"{row['flag']:<36} default {json.dumps(row['default'])}   {row['description']}"
            )

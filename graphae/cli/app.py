"""The typer app: the ``graphae`` commands in ``--help`` order, ``--version``, and :func:`main`.

Each command lives in its own module and is registered here, so the command
modules never import this one (and the order of ``graphae --help`` is written
down once). :func:`main` runs the app and turns what reaches it into one line
on stderr and an exit code (:mod:`graphae.cli.exits`).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from graphae.cli import baseline, bench, check_split, datasets, embed, evaluate, ls, report, train
from graphae.cli.exits import exit_code

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    help="graphae: graph autoencoders with a ladder of decoder capacities.",
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("graphae")
        except PackageNotFoundError:  # a source checkout that was never installed
            v = "unknown (not installed)"
        typer.echo(f"graphae {v}")
        raise typer.Exit()


@app.callback()
def _main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the graphae version and exit.",
            metavar="",
        ),
    ] = False,
) -> None:
    """graphae: graph autoencoders with a ladder of decoder capacities."""


app.command("train", epilog=train.EPILOG)(train.train)
app.command("embed")(embed.embed)
app.command("evaluate", epilog=evaluate.EPILOG)(evaluate.evaluate)
app.command("check-split")(check_split.check_split_command)
app.command("baseline")(baseline.baseline_command)
app.command("datasets")(datasets.datasets)
app.command("ls", epilog=ls.EPILOG)(ls.ls)
app.command("bench")(bench.bench)
app.command("report")(report.report_cmd)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors, exit code 2 for user mistakes.

    Args:
        argv: The arguments (default ``sys.argv[1:]``).
    """
    try:
        app(args=argv, prog_name="graphae", standalone_mode=False)
    except (Exception, KeyboardInterrupt) as e:
        code = exit_code(e)
        if code is None:
            raise
        sys.exit(code)
    sys.exit(0)

"""``graphae bench``: run a benchmark sweep (resumable)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from graphae.cli.logs import setup_logging

__all__ = ["bench"]


def bench(
    config: Annotated[
        Path, typer.Argument(help="Sweep spec (YAML), e.g. benchmarks/configs/*.yaml.")
    ],
    out: Annotated[Path, typer.Option(help="Sweep folder (runs/, tables/, report.md).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the runs (done/failed/todo) and run nothing.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option(help="Run again the runs that failed before.")
    ] = True,
    fail_fast: Annotated[bool, typer.Option(help="Stop at the first failed run.")] = False,
    only: Annotated[
        str | None, typer.Option(help="Run only run ids containing this text (or regex).")
    ] = None,
    max_runs: Annotated[int | None, typer.Option(help="Stop after this many runs.")] = None,
    jobs: Annotated[
        int,
        typer.Option(
            help="Worker processes running independent runs at once (several may share a "
            "GPU; CUDA devices are assigned round-robin)."
        ),
    ] = 1,
    device: Annotated[
        str | None, typer.Option(help="Override the runs' device (auto, cpu, cuda); ids unchanged.")
    ] = None,
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.")] = None,
    report: Annotated[
        bool, typer.Option(help="Write tables/ and report.md with plots when the sweep ends.")
    ] = True,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """Run a benchmark sweep (resumable: re-run the same command to finish or retry)."""
    setup_logging(verbose)
    from graphae.bench import load_spec, run_sweep, write_report

    spec = load_spec(config)
    show = progress and sys.stderr.isatty()
    try:
        outcome = run_sweep(
            spec,
            out,
            dry_run=dry_run,
            retry_failed=retry_failed,
            fail_fast=fail_fast,
            only=only,
            max_runs=max_runs,
            jobs=jobs,
            device=device,
            data_root=str(data_root) if data_root else None,
            progress=show,
            echo=typer.echo,
        )
    except KeyboardInterrupt:
        typer.echo(
            f"graphae: interrupted; finished runs are kept in {out}/runs — run the same command "
            "again to resume",
            err=True,
        )
        raise
    if dry_run:
        typer.echo(f"{outcome.total} runs, {outcome.already_done} done")
        return
    typer.echo(
        f"{spec.name}: {outcome.already_done + len(outcome.ran)}/{outcome.total} runs finished "
        f"({len(outcome.ran)} now, {len(outcome.failed)} failed) in {outcome.seconds / 60:.1f} min"
    )
    if outcome.failed:
        typer.echo(f"failures are logged in {out}/failures.jsonl; re-run to retry them")
    if outcome.locked:
        typer.echo(f"{len(outcome.locked)} runs were left to another process running them")
    if report:
        path = write_report(out)
        typer.echo(f"wrote {path}")
    if outcome.failed:
        sys.exit(1)

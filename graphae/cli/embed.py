"""``graphae embed``: embed a graph with a trained run, or new nodes of an auto-decoder run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphae.cli.logs import setup_logging
from graphae.errors import GraphaeError

__all__ = ["embed"]


def embed(
    run: Annotated[Path, typer.Argument(help="Run folder written by `graphae train`.")],
    out: Annotated[Path, typer.Option(help="Embeddings file (.npy, .npz, .csv, .parquet).")],
    graph: Annotated[
        Path | None, typer.Option(help="Graph to embed (default: the run's own graph).")
    ] = None,
    features: Annotated[Path | None, typer.Option(help="Node features of --graph.")] = None,
    feature_ids: Annotated[
        Path | None, typer.Option(help="Row ids of a .npy feature file.")
    ] = None,
    directed: Annotated[bool, typer.Option(help="Treat --graph as directed.")] = False,
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing --out file.")] = False,
    infer: Annotated[
        Path | None,
        typer.Option(
            help="Auto-decoder runs: embed NEW nodes from their edges to known nodes "
            "(file of new_id,known_id[,weight] lines) by latent inference."
        ),
    ] = None,
    infer_steps: Annotated[int, typer.Option(help="Latent-inference steps.")] = 300,
    infer_lr: Annotated[float, typer.Option(help="Latent-inference learning rate.")] = 0.05,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Embed a graph with a trained run, or new nodes of an auto-decoder run (--infer).

    An inductive encoder embeds any graph with the same feature width; an
    auto-decoder run infers codes for new nodes from their edges.
    """
    setup_logging(verbose)
    from graphae.inference import embed_graph
    from graphae.inference.latent import infer_run

    if not run.is_dir():
        raise GraphaeError(f"{run}: no such run folder")
    if feature_ids is not None and features is None:
        raise GraphaeError("--feature-ids names the rows of --features: give both")
    targets = [out] + ([out.with_name(out.stem + ".ids.json")] if out.suffix == ".npy" else [])
    if not force:
        for target in targets:
            if target.exists():
                raise GraphaeError(
                    f"--out {target} exists; choose a new file name or pass --force to replace it"
                )
    if out.is_dir():
        raise GraphaeError(f"--out {out} is a folder; give an embeddings file name")
    if infer is not None:
        if graph is not None or features is not None:
            raise GraphaeError(
                "--infer embeds new nodes of the run's graph; drop --graph/--features"
            )
        if infer_steps < 1 or infer_lr <= 0:
            raise GraphaeError("--infer-steps must be >= 1 and --infer-lr > 0")
        new = infer_run(run, infer, steps=infer_steps, lr=infer_lr)
        new.save(out)
        typer.echo(f"inferred {len(new)} new codes of width {new.dim}; wrote {out}")
        return
    emb = embed_graph(
        run,
        graph=graph,
        features=features,
        feature_ids=feature_ids,
        directed=directed,
        data_root=data_root,
    )
    emb.save(out)
    typer.echo(f"wrote {len(emb)} embeddings of width {emb.dim} to {out}")

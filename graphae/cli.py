"""The ``graphae`` command line: train | embed | evaluate | datasets | ls.

The CLI only assembles configs and calls the library. User mistakes
(:class:`~graphae.errors.GraphaeError`, missing files) print one line on stderr
and exit with code 2; Ctrl-C exits 130 and leaves earlier outputs intact.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from graphae.errors import GraphaeError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="graphae: graph autoencoders with a ladder of decoder capacities.",
)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _parse_options(items: list[str] | None, flag: str) -> dict[str, object]:
    """``["depth=3", "mode=concat"]`` -> ``{"depth": 3, "mode": "concat"}`` (JSON values)."""
    out: dict[str, object] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise GraphaeError(f"{flag} {item!r}: expected KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


@app.command()
def train(
    dataset: Annotated[Optional[str], typer.Option(help="Named dataset, e.g. Cora (see `graphae datasets`).")] = None,
    graph: Annotated[Optional[Path], typer.Option(help="Your graph: edge list (.csv/.tsv/.txt), .graphml, .gml, .gexf, .adjlist or scipy .npz.")] = None,
    features: Annotated[Optional[Path], typer.Option(help="Node features: .csv with an id column, or .npy.")] = None,
    feature_ids: Annotated[Optional[Path], typer.Option(help="Ids of the rows of a .npy feature file, one per line.")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Node labels: .csv with columns id,label.")] = None,
    directed: Annotated[bool, typer.Option(help="Treat --graph as directed.")] = False,
    out: Annotated[Path, typer.Option(help="Run folder to write.")] = Path("runs/latest"),
    force: Annotated[bool, typer.Option(help="Write into an existing non-graphae folder (deletes nothing).")] = False,
    encoder: Annotated[str, typer.Option(help="Encoder (`graphae ls encoders`).")] = "gcn",
    decoder: Annotated[str, typer.Option(help="Decoder (`graphae ls decoders`): structure, or feature (a feature-only model).")] = "inner_product",
    hidden_channels: Annotated[int, typer.Option(help="Hidden width.")] = 32,
    out_channels: Annotated[int, typer.Option(help="Embedding width.")] = 16,
    num_layers: Annotated[int, typer.Option(help="Encoder layers.")] = 2,
    dropout: Annotated[float, typer.Option(help="Encoder dropout.")] = 0.0,
    encoder_option: Annotated[Optional[list[str]], typer.Option(help="Extra encoder option KEY=VALUE (repeatable).")] = None,
    decoder_option: Annotated[Optional[list[str]], typer.Option(help="Extra decoder option KEY=VALUE (repeatable).")] = None,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 0.01,
    epochs: Annotated[int, typer.Option(help="Maximum epochs.")] = 400,
    patience: Annotated[int, typer.Option(help="Early-stopping patience in evaluations (0: off).")] = 100,
    batch_size: Annotated[Optional[int], typer.Option(help="Positive pairs per step (default: full batch).")] = None,
    val_ratio: Annotated[float, typer.Option(help="Validation fraction of edges.")] = 0.05,
    test_ratio: Annotated[float, typer.Option(help="Test fraction of edges.")] = 0.10,
    seed: Annotated[int, typer.Option(help="Random seed (split, init, negatives).")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")] = "auto",
    deterministic: Annotated[bool, typer.Option(help="Deterministic kernels (bit-identical CPU runs).")] = False,
    embeddings_format: Annotated[str, typer.Option(help="npy, npz, csv or parquet.")] = "npy",
    data_root: Annotated[Optional[Path], typer.Option(help="Dataset root (default $GRAPHAE_DATA or ./data).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    feature_decoder: Annotated[
        Optional[str],
        typer.Option(help="Feature decoder beside --decoder (joint reconstruction), e.g. mirror."),
    ] = None,
    feature_decoder_option: Annotated[
        Optional[list[str]], typer.Option(help="Extra feature-decoder option KEY=VALUE (repeatable).")
    ] = None,
    feature_loss: Annotated[str, typer.Option(help="Feature loss: mse or sce.")] = "mse",
    sce_gamma: Annotated[float, typer.Option(help="Exponent of the SCE feature loss.")] = 2.0,
    structure_weight: Annotated[float, typer.Option(help="Weight of the structure loss.")] = 1.0,
    feature_weight: Annotated[float, typer.Option(help="Weight of the feature loss.")] = 1.0,
    loss: Annotated[
        str, typer.Option(help="Structure loss: pairs (sampled) or dense (Kipf, <= 20,000 nodes).")
    ] = "pairs",
    variational: Annotated[bool, typer.Option(help="VGAE: μ/log σ heads and a KL term.")] = False,
    kl_weight: Annotated[
        Optional[float], typer.Option(help="Weight of the KL term (default 1/N).")
    ] = None,
    adversarial: Annotated[
        bool, typer.Option(help="ARGA: adversarial regulariser towards N(0, I).")
    ] = False,
    adversarial_weight: Annotated[float, typer.Option(help="Weight of the ARGA loss.")] = 1.0,
    edge_mask: Annotated[
        float, typer.Option(help="MaskGAE: fraction of edges masked and reconstructed (0: off).")
    ] = 0.0,
    degree_weight: Annotated[
        float, typer.Option(help="MaskGAE degree-decoder loss weight (0: none).")
    ] = 0.0,
    feature_mask: Annotated[
        float, typer.Option(help="GraphMAE: fraction of nodes with masked features (0: off).")
    ] = 0.0,
    feature_noise: Annotated[
        float, typer.Option(help="Denoising: Gaussian feature noise std (0: off).")
    ] = 0.0,
    edge_dropout: Annotated[
        float, typer.Option(help="Denoising: fraction of edges dropped each step (0: off).")
    ] = 0.0,
    variant_option: Annotated[
        Optional[list[str]],
        typer.Option(help="Secondary variant setting KEY=VALUE, e.g. replace_rate=0.05."),
    ] = None,
    select: Annotated[
        str,
        typer.Option(
            help="Model selection: link, probe (validation), loss (lowest training loss) or last."
        ),
    ] = "link",
    weight_decay: Annotated[float, typer.Option(help="Adam weight decay.")] = 0.0,
    objective: Annotated[
        str,
        typer.Option(
            help="Training objective: reconstruction (the autoencoder) or a self-supervised "
            "one without a decoder: dgi, grace or bgrl."
        ),
    ] = "reconstruction",
    objective_option: Annotated[
        list[str] | None,
        typer.Option(help="Objective option KEY=VALUE, e.g. tau=0.4 (repeatable)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """Train a graph autoencoder and write a run folder (config, result, embeddings, model)."""
    _setup_logging(verbose)
    from graphae.rundir import check_out_dir, save_run
    from graphae.train import RunConfig, fit

    config = RunConfig(
        dataset=dataset,
        graph=str(graph) if graph else None,
        features=str(features) if features else None,
        feature_ids=str(feature_ids) if feature_ids else None,
        labels=str(labels) if labels else None,
        directed=directed,
        data_root=str(data_root) if data_root else None,
        encoder=encoder,
        decoder=decoder,
        hidden_channels=hidden_channels,
        out_channels=out_channels,
        num_layers=num_layers,
        dropout=dropout,
        encoder_options=_parse_options(encoder_option, "--encoder-option"),
        decoder_options=_parse_options(decoder_option, "--decoder-option"),
        lr=lr,
        epochs=epochs,
        patience=patience,
        batch_size=batch_size,
        val_ratio=val_ratio,
        test_ratio=test_ratio,
        seed=seed,
        device=device,
        deterministic=deterministic,
        feature_decoder=feature_decoder,
        feature_decoder_options=_parse_options(feature_decoder_option, "--feature-decoder-option"),
        feature_loss=feature_loss,
        sce_gamma=sce_gamma,
        structure_weight=structure_weight,
        feature_weight=feature_weight,
        loss=loss,
        variational=variational,
        kl_weight=kl_weight,
        adversarial=adversarial,
        adversarial_weight=adversarial_weight,
        edge_mask=edge_mask,
        degree_weight=degree_weight,
        feature_mask=feature_mask,
        feature_noise=feature_noise,
        edge_dropout=edge_dropout,
        variant_options=_parse_options(variant_option, "--variant-option"),
        select=select,
        weight_decay=weight_decay,
        objective=objective,
        objective_options=_parse_options(objective_option, "--objective-option"),
    )
    check_out_dir(out, force)  # fail before training, not after
    run = fit(config, progress=progress and sys.stderr.isatty())
    save_run(out, run, embeddings_format=embeddings_format, force=force)
    m = run.result.metrics
    shown = ["link/auc", "link/ap", "link/hits@20", "link/hits@50", "probe/node_accuracy", "probe/link_auc"]
    parts = [f"{k}={m[k]:.4f}" for k in shown if k in m]
    typer.echo(f"{run.graph.summary()}")
    typer.echo(f"best epoch {run.result.best_epoch}/{run.result.epochs_run}: " + " ".join(parts))
    typer.echo(f"wrote {out}")


@app.command()
def embed(
    run: Annotated[Path, typer.Argument(help="Run folder written by `graphae train`.")],
    out: Annotated[Path, typer.Option(help="Embeddings file (.npy, .npz, .csv, .parquet).")],
    graph: Annotated[Optional[Path], typer.Option(help="Graph to embed (default: the run's own graph).")] = None,
    features: Annotated[Optional[Path], typer.Option(help="Node features of --graph.")] = None,
    feature_ids: Annotated[Optional[Path], typer.Option(help="Row ids of a .npy feature file.")] = None,
    directed: Annotated[bool, typer.Option(help="Treat --graph as directed.")] = False,
    data_root: Annotated[Optional[Path], typer.Option(help="Dataset root.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Embed a graph with a trained model (inductive encoders: any graph with the same feature width)."""
    _setup_logging(verbose)
    from graphae.inference import embed_graph

    emb = embed_graph(run, graph=graph, features=features, feature_ids=feature_ids,
                      directed=directed, data_root=data_root)
    emb.save(out)
    typer.echo(f"wrote {len(emb)} embeddings of width {emb.dim} to {out}")


@app.command()
def evaluate(
    embeddings: Annotated[Path, typer.Argument(help="Embeddings file or run folder.")],
    dataset: Annotated[Optional[str], typer.Option(help="Dataset whose labels (and public split) to probe.")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Labels .csv (id,label) to probe.")] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="Dataset root.")] = None,
    seed: Annotated[int, typer.Option(help="Probe seed.")] = 0,
) -> None:
    """Probe frozen embeddings: node-classification accuracy (logistic regression) and k-means NMI."""
    _setup_logging(False)
    from graphae.inference import probe_embeddings

    metrics = probe_embeddings(embeddings, dataset=dataset, labels=labels, data_root=data_root, seed=seed)
    typer.echo(json.dumps(metrics, indent=2))


@app.command()
def datasets(
    data_root: Annotated[Optional[Path], typer.Option(help="Dataset root.")] = None,
) -> None:
    """List the named datasets and whether each is present under the data root."""
    from graphae.data.datasets import available_datasets, data_root as resolve_root

    root = resolve_root(data_root)
    typer.echo(f"data root: {root}")
    for row in available_datasets(root):
        mark = "present" if row["present"] else "missing"
        typer.echo(f"  {row['name']:<20} {row['family']:<10} {mark}")


@app.command("ls")
def ls(what: Annotated[str, typer.Argument(help="encoders or decoders")]) -> None:
    """List registered encoders or decoders with a one-line description."""
    from graphae.nn.decoders import decoders
    from graphae.nn.encoders import encoders

    registries = {"encoders": encoders, "decoders": decoders}
    if what not in registries:
        raise GraphaeError(f"unknown listing {what!r}; use one of: {', '.join(registries)}")
    reg = registries[what]
    for name in reg.names():
        typer.echo(f"{name:<16} {reg.describe(name)}")


@app.command()
def bench(
    config: Annotated[Path, typer.Argument(help="Sweep spec (YAML), e.g. benchmarks/configs/*.yaml.")],
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
    _setup_logging(verbose)
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
    if report:
        path = write_report(out)
        typer.echo(f"wrote {path}")
    if outcome.failed:
        sys.exit(1)


@app.command("report")
def report_cmd(
    folder: Annotated[Path, typer.Argument(help="Sweep folder written by `graphae bench`.")],
    anchors: Annotated[
        Path | None, typer.Option(help="Published anchors (default benchmarks/anchors.md).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """Write DIR/report.md with plots (DIR/plots/*.png) and tables (DIR/tables/) from a sweep."""
    _setup_logging(verbose)
    from graphae.bench import write_report

    if not (folder / "runs").is_dir():
        raise GraphaeError(f"{folder} holds no runs/ folder; is it a folder written by graphae bench?")
    path = write_report(folder, anchors=anchors)
    typer.echo(f"wrote {path}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors, exit code 2 for user mistakes."""
    try:
        app(args=argv, standalone_mode=False)
    except GraphaeError as e:
        typer.echo(f"graphae: error: {e}", err=True)
        sys.exit(2)
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError) as e:
        typer.echo(f"graphae: error: {e.strerror or e}: {e.filename}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("graphae: interrupted; earlier outputs are left as they were", err=True)
        sys.exit(130)
    except Exception as e:  # click usage errors and aborts
        import click

        if isinstance(e, click.exceptions.Abort):
            typer.echo("graphae: aborted", err=True)
            sys.exit(130)
        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(2 if isinstance(e, click.UsageError) else e.exit_code)
        raise
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()

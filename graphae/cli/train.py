"""``graphae train``: build a RunConfig from flags, a config file and ``--set``; fit; write a run folder.

Every :class:`~graphae.config.RunConfig` field is an option, added from the
table in :mod:`graphae.cli.options` (:func:`~graphae.cli.options.with_run_config_options`);
the options declared here are ``train``'s own (config file, output, resuming,
tracking). SIGINT/SIGTERM handling is in :mod:`graphae.cli.signals`, the
``--out``/``--overwrite``/``--resume`` policy in :mod:`graphae.cli.resume`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from graphae.cli.logs import setup_logging
from graphae.cli.options import build_config, with_run_config_options
from graphae.cli.resume import (
    default_out,
    refuse_earlier_run,
    refuse_stale_checkpoint,
    resumed_config,
)
from graphae.cli.signals import Interrupt, exit_interrupted, stop_on_signals
from graphae.errors import GraphaeError

__all__ = ["EPILOG", "train"]

EPILOG = """Examples:

  graphae train --graph edges.csv --out runs/mine

  graphae train --dataset Cora --decoder mlp --decoder-option depth=2 --epochs 200 --out runs/cora-mlp

  graphae train --config runs/cora-mlp --set seed=1 --out runs/cora-mlp-s1   (replay a run, one change)

  graphae train --config my.yaml --log-dir tb/ --json   (TensorBoard: tensorboard --logdir tb/)

  graphae train --resume --out runs/mine   (continue an interrupted run)
"""


def _tracking_callbacks(
    config: object,
    log_dir: Path | None,
    tracker: str,
    log_every: int | None,
    progress: bool,
    metrics_path: Path | None,
    prepare: object = None,
) -> list[object]:
    """``fit()`` callbacks: metrics.jsonl, progress lines on stderr, TensorBoard or MLflow.

    Args:
        config: The run's config.
        log_dir: ``--log-dir`` (TensorBoard event files, or MLflow's file store).
        tracker: ``--tracker``: ``tensorboard`` or ``mlflow``.
        log_every: ``--log-every`` (``None``: about 10 lines when stderr is not a terminal).
        progress: ``--progress``.
        metrics_path: ``<out>.partial/metrics.jsonl``, or ``None`` (not rank 0).
        prepare: Called before the first metrics line is written.
    """
    from graphae.training.callbacks import EpochLogger, MetricsFile, MLflowLogger, TensorBoardLogger

    callbacks: list[object] = []
    if metrics_path is not None:
        callbacks.append(MetricsFile(metrics_path, prepare=prepare))  # type: ignore[arg-type]
    epochs = int(getattr(config, "epochs", 1))
    if log_every is not None or (progress and not sys.stderr.isatty()):
        every = log_every if log_every is not None else max(1, epochs // 10)
        if every > 0:
            callbacks.append(EpochLogger(every, epochs, lambda s: typer.echo(s, err=True)))
    to_dict = config.to_dict()  # type: ignore[attr-defined]
    if tracker == "mlflow":
        uri = log_dir.resolve().as_uri() if log_dir is not None else None
        callbacks.append(MLflowLogger(uri, to_dict))
    elif log_dir is not None:
        callbacks.append(TensorBoardLogger(log_dir, to_dict))
    return callbacks


_SHOWN_METRICS = (
    "link/auc",
    "link/ap",
    "link/hits@20",
    "link/hits@50",
    "link_ip/auc",  # feature-only models: inner product on z, no decoder scores
    "probe/node_accuracy",
    "probe/link_auc",
)


@with_run_config_options
def train(
    ctx: typer.Context,
    *,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Run settings from a YAML/JSON file or a run folder (its config.json); "
            "flags given here override the file.",
            rich_help_panel="Config",
            metavar="FILE",
        ),
    ] = None,
    set_items: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override one setting KEY=VALUE (YAML value; repeatable), e.g. --set epochs=100 "
            "or --set decoder_options.depth=3.",
            rich_help_panel="Config",
            metavar="KEY=VALUE",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Run folder to write (default: runs/<graph>-<timestamp>, printed).",
            rich_help_panel="Output",
            metavar="DIR",
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace an earlier graphae run in --out (refused without it).",
            rich_help_panel="Output",
            metavar="",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="Write into an existing non-graphae folder (deletes nothing).",
            rich_help_panel="Output",
            metavar="",
        ),
    ] = False,
    embeddings_format: Annotated[
        Literal["npy", "npz", "csv", "parquet"],
        typer.Option(help="Embeddings file format.", rich_help_panel="Output"),
    ] = "npy",
    log_dir: Annotated[
        Path | None,
        typer.Option(
            help="Write TensorBoard event files here (needs pip install 'graphae[tracking]').",
            rich_help_panel="Output",
            metavar="DIR",
        ),
    ] = None,
    tracker: Annotated[
        Literal["tensorboard", "mlflow"],
        typer.Option(
            help="Tracking backend: tensorboard (--log-dir) or mlflow (if installed; "
            "--log-dir is its file store, else MLflow's default).",
            rich_help_panel="Output",
        ),
    ] = "tensorboard",
    log_every: Annotated[
        int | None,
        typer.Option(
            help="One progress line on stderr every N epochs (default: about 10 lines when "
            "stderr is not a terminal; 0: none).",
            rich_help_panel="Output",
            metavar="N",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the outcome as one JSON object.",
            rich_help_panel="Output",
            metavar="",
        ),
    ] = False,
    progress: Annotated[
        bool, typer.Option(help="Show a progress bar.", rich_help_panel="Output", metavar="")
    ] = True,
    resume: Annotated[
        bool,
        typer.Option(
            help="Continue the interrupted run of --out from its last checkpoint "
            "(<out>.partial), with its saved settings.",
            rich_help_panel="Training",
            metavar="",
        ),
    ] = False,
    checkpoint_every: Annotated[
        int,
        typer.Option(
            help="Write a resumable checkpoint to <out>.partial every N epochs "
            "(0: only when interrupted).",
            rich_help_panel="Training",
            metavar="N",
        ),
    ] = 10,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Log what happens.", rich_help_panel="Output", metavar=""
        ),
    ] = False,
    **fields: object,
) -> None:
    """Train a graph autoencoder and write a run folder (config, result, metrics, embeddings, model)."""
    setup_logging(verbose)
    from graphae.errors import TrainingInterrupted
    from graphae.pipeline import fit
    from graphae.rundir import (
        METRICS_FILE,
        OVERWRITE_MARKER,
        check_embeddings_format,
        check_out_dir,
        partial_dir,
        prepare_checkpoint_dir,
        remove_checkpoint_dir,
        save_run,
    )
    from graphae.training.callbacks import TrainingControl

    if checkpoint_every < 0:
        raise GraphaeError(f"--checkpoint-every {checkpoint_every}: use 0 or a positive number")
    if log_every is not None and log_every < 0:
        raise GraphaeError(f"--log-every {log_every}: use 0 or a positive number")
    device = str(fields["device"])
    data_root = fields["data_root"]
    if resume and out is None:
        raise GraphaeError("--resume needs --out: the run folder whose interrupted run to continue")
    if resume and (config_file is not None or set_items):
        raise GraphaeError(
            "--resume continues the interrupted run with its saved settings; drop --config/--set"
        )
    config = (
        None
        if resume
        else build_config(
            fields,
            given=lambda n: getattr(ctx.get_parameter_source(n), "name", None) == "COMMANDLINE",
            config_file=config_file,
            sets=set_items,
        )
    )
    if out is None:
        out = default_out(config)
    ckpt = partial_dir(out)
    check_out_dir(out, force)  # fail before training, not after
    check_embeddings_format(embeddings_format)
    refuse_earlier_run(out, overwrite, ckpt if resume else None)
    if resume:
        config = resumed_config(ctx, ckpt, device, data_root)
    else:
        refuse_stale_checkpoint(ckpt, out)
    control = TrainingControl()
    received: dict[str, int] = {}
    main_rank = int(os.environ.get("RANK", "0")) == 0  # torchrun: only rank 0 writes
    metrics_path = None
    if main_rank:
        metrics_path = ckpt / METRICS_FILE
    else:
        ckpt = None

    def prepare_partial() -> None:  # when training starts, not before the input is read
        prepare_checkpoint_dir(ckpt)  # type: ignore[arg-type]
        if overwrite:
            (ckpt / OVERWRITE_MARKER).write_text("{}\n", encoding="utf-8")  # type: ignore[operator]

    callbacks = _tracking_callbacks(
        config, log_dir, tracker, log_every, progress, metrics_path, prepare_partial
    )
    try:
        with stop_on_signals(control, received):
            run = fit(
                config,  # type: ignore[arg-type]
                progress=progress and sys.stderr.isatty(),
                checkpoint_dir=ckpt,
                checkpoint_every=checkpoint_every,
                resume_from=ckpt if resume else None,
                control=control,
                callbacks=callbacks,
            )
            if main_rank:
                save_run(
                    out,
                    run,
                    embeddings_format=embeddings_format,
                    force=force,
                    metrics=metrics_path,
                )
    except TrainingInterrupted as e:
        exit_interrupted(out, ckpt, received.get("signum", signal.SIGINT), e.epoch, e.epochs)
    except GraphaeError:
        if not resume and ckpt is not None:  # a failed run (e.g. diverged): nothing to resume
            remove_checkpoint_dir(ckpt)
        raise
    except Interrupt as e:
        exit_interrupted(out, ckpt, e.signum, None, config.epochs)  # type: ignore[union-attr]
    finally:
        for cb in callbacks:
            close = getattr(cb, "close", None)
            if close is not None:
                close()
    if not main_rank:
        return
    remove_checkpoint_dir(ckpt)
    _print_outcome(out, run, as_json)


def _print_outcome(out: Path, run: object, as_json: bool) -> None:
    """The graph, the best epoch's test metrics and the run folder (or one JSON object)."""
    result = run.result  # type: ignore[attr-defined]
    m = result.metrics
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "out": str(out),
                    "graph": result.graph,
                    "best_epoch": result.best_epoch,
                    "epochs_run": result.epochs_run,
                    "metrics": m,
                },
                indent=2,
            )
        )
        return
    parts = [f"{k}={m[k]:.4f}" for k in _SHOWN_METRICS if k in m]
    typer.echo(f"{run.graph.summary()}")  # type: ignore[attr-defined]
    typer.echo(f"best epoch {result.best_epoch}/{result.epochs_run}: " + " ".join(parts))
    compared = (result.graph.get("featureless") or {}).get("compared")
    if compared:
        typer.echo(
            "decoder: chosen on validation AUC, "
            + ", ".join(f"{c['decoder']} {c['val_auc']:.4f}" for c in compared)
        )
    export = result.export
    if export.get("edges") == "refit":
        edges = export["mp_edges"] if result.graph["directed"] else export["mp_edges"] // 2
        typer.echo(
            f"exported: a model retrained on all {edges} "
            f"edges for {export['epochs']} epoch{'s' if export['epochs'] != 1 else ''} "
            "(the metrics above are the held-out split's)"
        )
    elif export.get("edges") == "all":
        typer.echo(
            "exported: the best epoch's embeddings over every edge (metrics: held-out split)"
        )
    typer.echo(f"wrote {out}")

"""The ``graphae`` command line: train | embed | evaluate | datasets | ls.

The CLI only assembles configs and calls the library. User mistakes
(:class:`~graphae.errors.GraphaeError`, missing files) print one line on stderr
and exit with code 2; Ctrl-C exits 130 and leaves earlier outputs intact.

``graphae train`` stops cleanly on SIGINT/SIGTERM: it finishes the epoch in
progress, writes a checkpoint to ``<out>.partial/``, prints one line saying
how to resume (``graphae train --resume --out <out>``) and exits with 130
(SIGINT) or 143 (SIGTERM); a second signal stops at once. ``graphae
check-split`` exits 0 when a split is clean and 1 when it leaks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

import typer

from graphae.errors import GraphaeError
from graphae.runoptions import parse_options, with_run_config_options

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


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


class _Interrupt(BaseException):
    """A second SIGINT/SIGTERM (or one outside the epoch loop): stop at once."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _stop_on_signals(control: object, received: dict[str, int]) -> Iterator[None]:
    """SIGINT/SIGTERM: the first one inside the epoch loop stops after the epoch
    (``control.request_stop()``); any other raises :class:`_Interrupt`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        received["signum"] = signum
        if getattr(control, "running", False) and not getattr(control, "stop_requested", True):
            control.request_stop()  # type: ignore[attr-defined]
            typer.echo(
                "graphae: stopping after the current epoch to save a checkpoint "
                "(interrupt again to stop at once)",
                err=True,
            )
            return
        raise _Interrupt(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


def _exit_interrupted(out: Path, ckpt: Path, signum: int, epoch: int | None, epochs: int) -> None:
    """Print the one-line resume instruction and exit with 128 + signal number."""
    from graphae.rundir import read_checkpoint_info

    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    when = f"after epoch {epoch} of {epochs}" if epoch is not None else "before the end"
    info = read_checkpoint_info(ckpt)
    if info is not None:
        how = (
            f"resume from epoch {info.get('epoch')} with: graphae train --resume --out "
            f"{shlex.quote(str(out))}"
        )
    else:
        how = "no checkpoint was written yet, so run the same command again"
    typer.echo(f"graphae: interrupted by {name} {when}; {out} was not touched; {how}", err=True)
    sys.exit(128 + signum)


_RESUME_OPTIONS = {
    "out",
    "resume",
    "force",
    "progress",
    "verbose",
    "device",
    "data_root",
    "embeddings_format",
    "checkpoint_every",
    "overwrite",
    "log_dir",
    "tracker",
    "log_every",
    "as_json",
}


def _resumed_config(ctx: typer.Context, ckpt: Path, device: str, data_root: Path | None) -> object:
    """The interrupted run's config from ``<out>.partial/checkpoint.json``."""
    from graphae.config import RunConfig
    from graphae.rundir import load_training_state, read_checkpoint_info

    def given_on_command_line(name: str) -> bool:
        return getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"

    from graphae.runoptions import flag_name

    given = [n for n in ctx.params if n not in _RESUME_OPTIONS and given_on_command_line(n)]
    if given:
        flags = ", ".join(flag_name(g) for g in given)
        raise GraphaeError(
            f"--resume continues the interrupted run with its saved settings; drop {flags} "
            "(or start a new run without --resume)"
        )
    info = read_checkpoint_info(ckpt)
    if info is None or not isinstance(info.get("config"), dict):
        load_training_state(ckpt)  # raises the precise error
        raise GraphaeError(f"{ckpt}: unreadable checkpoint; start the run again without --resume")
    config = RunConfig.from_dict(info["config"])
    changes: dict[str, object] = {}
    if given_on_command_line("device"):
        changes["device"] = device
    if data_root is not None:
        changes["data_root"] = str(data_root)
    return config.replace(**changes)


def _refuse_stale_checkpoint(ckpt: Path, out: Path) -> None:
    """A new run must not silently discard an interrupted run's checkpoint, nor a user's folder."""
    from graphae.rundir import CHECKPOINT_MARKER, read_checkpoint_info

    if not ckpt.exists():
        return
    if not ckpt.is_dir() or (not (ckpt / CHECKPOINT_MARKER).is_file() and any(ckpt.iterdir())):
        raise GraphaeError(
            f"{ckpt} exists and was not made by graphae (graphae keeps the checkpoints of "
            f"--out {out} there); move it away"
        )
    info = read_checkpoint_info(ckpt)
    if info is not None:
        epochs = (info.get("config") or {}).get("epochs")
        raise GraphaeError(
            f"{ckpt} holds an interrupted run (epoch {info.get('epoch')} of {epochs}); continue "
            f"it with: graphae train --resume --out {shlex.quote(str(out))} -- or delete {ckpt} "
            "to start again"
        )


TRAIN_EPILOG = """Examples:

  graphae train --graph edges.csv --out runs/mine

  graphae train --dataset Cora --decoder mlp --decoder-option depth=2 --epochs 200 --out runs/cora-mlp

  graphae train --config runs/cora-mlp --set seed=1 --out runs/cora-mlp-s1   (replay a run, one change)

  graphae train --config my.yaml --log-dir tb/ --json   (TensorBoard: tensorboard --logdir tb/)

  graphae train --resume --out runs/mine   (continue an interrupted run)
"""


def _default_out(config: object) -> Path:
    """``runs/<graph>-<YYYYmmdd-HHMMSS>`` (``-2``, ``-3``... when taken): one folder per run."""
    import re
    import time

    name = getattr(config, "dataset", None) or Path(str(getattr(config, "graph", "") or "run")).name
    name = re.sub(r"(\.(gz|bz2|xz|zst))$", "", str(name), flags=re.I)
    name = re.sub(r"\.[A-Za-z0-9]+$", "", name)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-").lower() or "run"
    base = Path("runs") / f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}"
    out, k = base, 1
    while out.exists() or out.with_name(out.name + ".partial").exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def _refuse_earlier_run(out: Path, overwrite: bool, ckpt: Path | None = None) -> None:
    """``--out`` holding an earlier graphae run is replaced only with ``--overwrite``."""
    from graphae.rundir import OVERWRITE_MARKER, is_run_folder

    if overwrite or not is_run_folder(out):
        return
    if ckpt is not None and (ckpt / OVERWRITE_MARKER).is_file():
        return  # the interrupted run was started with --overwrite
    raise GraphaeError(
        f"--out {out} holds an earlier graphae run; pass --overwrite to replace it "
        "(files you added there are kept), or choose another --out"
    )


def _tracking_callbacks(
    config: object,
    log_dir: Path | None,
    tracker: str,
    log_every: int | None,
    progress: bool,
    metrics_path: Path | None,
    prepare: object = None,
) -> list[object]:
    from graphae.tracking import EpochLogger, MetricsFile, MLflowLogger, TensorBoardLogger

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


@app.command(epilog=TRAIN_EPILOG)
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
    _setup_logging(verbose)
    from graphae.errors import TrainingInterrupted
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
    from graphae.runoptions import build_config
    from graphae.train import TrainingControl, fit

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
        out = _default_out(config)
    ckpt = partial_dir(out)
    check_out_dir(out, force)  # fail before training, not after
    check_embeddings_format(embeddings_format)
    _refuse_earlier_run(out, overwrite, ckpt if resume else None)
    if resume:
        config = _resumed_config(ctx, ckpt, device, data_root)
    else:
        _refuse_stale_checkpoint(ckpt, out)
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
        with _stop_on_signals(control, received):
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
        _exit_interrupted(out, ckpt, received.get("signum", signal.SIGINT), e.epoch, e.epochs)
    except GraphaeError:
        if not resume and ckpt is not None:  # a failed run (e.g. diverged): nothing to resume
            remove_checkpoint_dir(ckpt)
        raise
    except _Interrupt as e:
        _exit_interrupted(out, ckpt, e.signum, None, config.epochs)  # type: ignore[union-attr]
    finally:
        for cb in callbacks:
            close = getattr(cb, "close", None)
            if close is not None:
                close()
    if not main_rank:
        return
    remove_checkpoint_dir(ckpt)
    m = run.result.metrics
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "out": str(out),
                    "graph": run.result.graph,
                    "best_epoch": run.result.best_epoch,
                    "epochs_run": run.result.epochs_run,
                    "metrics": m,
                },
                indent=2,
            )
        )
        return
    parts = [f"{k}={m[k]:.4f}" for k in _SHOWN_METRICS if k in m]
    typer.echo(f"{run.graph.summary()}")
    typer.echo(f"best epoch {run.result.best_epoch}/{run.result.epochs_run}: " + " ".join(parts))
    typer.echo(f"wrote {out}")


@app.command()
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
    """Embed a graph with a trained model (inductive encoders: any graph with the same feature
    width), or new nodes of an auto-decoder run from their edges (--infer)."""
    _setup_logging(verbose)
    from graphae.inference import embed_graph

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
        from graphae.inference.latent import infer_run

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


def _print_metrics(metrics: dict[str, object], as_json: bool) -> None:
    """``key=value`` lines (as ``graphae train`` prints), or one JSON object."""
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    for k, v in metrics.items():
        typer.echo(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}")


@app.command(
    epilog="Examples:\n\n  graphae evaluate runs/cora   (the run's own dataset, split and labels)\n\n"
    "  graphae evaluate emb.npy --labels y.csv --json"
)
def evaluate(
    embeddings: Annotated[
        Path, typer.Argument(help="Embeddings file or run folder.", metavar="RUN_OR_FILE")
    ],
    dataset: Annotated[
        str | None,
        typer.Option(
            help="Dataset whose labels (and public split) to probe (default for a run "
            "folder: the run's own input).",
            metavar="NAME",
        ),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="Labels .csv (id,label) to probe.", metavar="FILE")
    ] = None,
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.", metavar="DIR")] = None,
    seed: Annotated[int, typer.Option(help="Probe seed (default: the run's seed).")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object.", metavar="")
    ] = False,
) -> None:
    """Probe frozen embeddings: node-classification accuracy (logistic regression), k-means
    NMI and, for a run folder, the link probe on the run's own split."""
    _setup_logging(False)
    from graphae.inference import probe_embeddings, probe_run

    if embeddings.is_dir() and dataset is None and labels is None:
        if not (embeddings / "config.json").is_file():
            raise GraphaeError(
                f"{embeddings}: no config.json to read the dataset from; give --dataset or --labels"
            )
        metrics = probe_run(embeddings, data_root=data_root, seed=seed)
    else:
        metrics = probe_embeddings(
            embeddings, dataset=dataset, labels=labels, data_root=data_root, seed=seed
        )
    _print_metrics(metrics, as_json)


@app.command("check-split")
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
    seed: Annotated[int, typer.Option(help="Split seed.")] = 0,
    val_ratio: Annotated[float, typer.Option(help="Validation fraction (our split).")] = 0.05,
    test_ratio: Annotated[float, typer.Option(help="Test fraction (our split).")] = 0.10,
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check a link split for leaks; exit code 0 when clean, 1 when a leak is found.

    Reports val/test positives present (or reversed) in the message-passing graph,
    negatives that are true edges or self loops, and train/val/test overlap.
    """
    _setup_logging(False)
    from graphae.config import RunConfig
    from graphae.data.leakage import check_split
    from graphae.data.leakage import pyg_random_link_split as run_pyg_split
    from graphae.train import load_input, make_split

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


@app.command("baseline")
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
    val_ratio: Annotated[float, typer.Option(help="Validation fraction of edges.")] = 0.05,
    test_ratio: Annotated[float, typer.Option(help="Test fraction of edges.")] = 0.10,
    seed: Annotated[int, typer.Option(help="Split seed (as graphae train --seed).")] = 0,
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.")] = None,
) -> None:
    """Score a split's validation and test pairs with a classic link heuristic.

    The heuristic sees the message-passing graph only (the training edges), on
    the split a run trained on (RUN) or the one graphae train would make for
    --dataset/--graph with the same split options. Prints the metrics as
    graphae train does (test, then validation).
    """
    _setup_logging(False)
    from graphae.bench.baselines import heuristic_metrics
    from graphae.config import RunConfig
    from graphae.inference import load_run_config
    from graphae.nn.heuristics import resolve_heuristic
    from graphae.train import load_input, make_split

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


@app.command()
def datasets(
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.", metavar="DIR")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the list as JSON.", metavar="")
    ] = False,
) -> None:
    """List the named datasets: name, nodes, whether present under the data root, size, path."""
    from graphae.data.datasets import data_root as resolve_root
    from graphae.listings import dataset_rows, human_bytes

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


_LISTINGS = ("encoders", "decoders", "objectives", "variants")


@app.command(
    "ls",
    epilog="Examples:\n\n  graphae ls decoders\n\n  graphae ls decoders mlp   (its options and "
    "defaults)\n\n  graphae ls objectives",
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
    from graphae import listings

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


@app.command()
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


@app.command("report")
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
    _setup_logging(verbose)
    from graphae.bench import write_report

    if not (folder / "runs").is_dir():
        raise GraphaeError(
            f"{folder} holds no runs/ folder; is it a folder written by graphae bench?"
        )
    path = write_report(folder, anchors=anchors, references=references or [])
    typer.echo(f"wrote {path}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors, exit code 2 for user mistakes."""
    try:
        app(args=argv, prog_name="graphae", standalone_mode=False)
    except GraphaeError as e:
        typer.echo(f"graphae: error: {_one_line(str(e))}", err=True)
        sys.exit(2)
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError) as e:
        typer.echo(f"graphae: error: {e.strerror or e}: {e.filename}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("graphae: interrupted; earlier outputs are left as they were", err=True)
        sys.exit(130)
    except Exception as e:  # click usage errors and aborts
        kinds = _click_exception_types()
        if isinstance(e, kinds["Abort"]):
            typer.echo("graphae: aborted", err=True)
            sys.exit(130)
        if isinstance(e, kinds["UsageError"]):
            cmd = getattr(getattr(e, "ctx", None), "command_path", None) or "graphae"
            msg = _one_line(e.format_message()).replace(": Value error, ", ": ")  # type: ignore[attr-defined]
            typer.echo(f"graphae: error: {msg} (see: {cmd} --help)", err=True)
            sys.exit(2)
        if isinstance(e, kinds["ClickException"]):
            e.show()  # type: ignore[attr-defined]
            sys.exit(e.exit_code)  # type: ignore[attr-defined]
        raise
    sys.exit(0)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _click_exception_types() -> dict[str, tuple[type, ...]]:
    """Click's ``Abort``/``UsageError``/``ClickException`` classes, from click itself and
    from the copy newer typer versions vendor (``typer._click``), whichever exist."""
    import importlib

    out: dict[str, tuple[type, ...]] = {"Abort": (), "UsageError": (), "ClickException": ()}
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        for key in out:
            cls = getattr(mod, key, None)
            if isinstance(cls, type):
                out[key] += (cls,)
    return out


if __name__ == "__main__":  # pragma: no cover
    main()

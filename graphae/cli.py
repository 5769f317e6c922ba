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
from typing import Annotated

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
}


def _resumed_config(ctx: typer.Context, ckpt: Path, device: str, data_root: Path | None) -> object:
    """The interrupted run's config from ``<out>.partial/checkpoint.json``."""
    from graphae.rundir import load_training_state, read_checkpoint_info
    from graphae.train import RunConfig

    def given_on_command_line(name: str) -> bool:
        return getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"

    given = [n for n in ctx.params if n not in _RESUME_OPTIONS and given_on_command_line(n)]
    if given:
        flags = ", ".join("--" + g.replace("_", "-") for g in given)
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


@app.command()
def train(
    ctx: typer.Context,
    dataset: Annotated[
        str | None, typer.Option(help="Named dataset, e.g. Cora (see `graphae datasets`).")
    ] = None,
    graph: Annotated[
        Path | None,
        typer.Option(
            help="Your graph: edge list (.csv/.tsv/.txt), .graphml, .gml, .gexf, .adjlist or scipy .npz."
        ),
    ] = None,
    features: Annotated[
        Path | None, typer.Option(help="Node features: .csv with an id column, or .npy.")
    ] = None,
    feature_ids: Annotated[
        Path | None, typer.Option(help="Ids of the rows of a .npy feature file, one per line.")
    ] = None,
    feature_norm: Annotated[
        str,
        typer.Option(
            help="Feature preprocessing: auto (row-normalise the bag-of-words features of "
            "Planetoid/Amazon/Coauthor, use other features as given), row (divide each row "
            "by its L1 norm) or none."
        ),
    ] = "auto",
    labels: Annotated[
        Path | None, typer.Option(help="Node labels: .csv with columns id,label.")
    ] = None,
    nodes: Annotated[
        Path | None,
        typer.Option(
            help="Node list, one id per line: every node of --graph, isolated ones included."
        ),
    ] = None,
    feature_fallback: Annotated[
        str,
        typer.Option(
            help="Features of a --graph without --features: auto (identity up to 2,048 nodes, "
            "else learnable input codes), identity, degree, random, learnable or none."
        ),
    ] = "auto",
    directed: Annotated[bool, typer.Option(help="Treat --graph as directed.")] = False,
    out: Annotated[Path, typer.Option(help="Run folder to write.")] = Path("runs/latest"),
    force: Annotated[
        bool, typer.Option(help="Write into an existing non-graphae folder (deletes nothing).")
    ] = False,
    encoder: Annotated[str, typer.Option(help="Encoder (`graphae ls encoders`).")] = "gcn",
    decoder: Annotated[
        str,
        typer.Option(
            help="Decoder (`graphae ls decoders`): structure, or feature (a feature-only model)."
        ),
    ] = "inner_product",
    hidden_channels: Annotated[int, typer.Option(help="Hidden width.")] = 32,
    out_channels: Annotated[int, typer.Option(help="Embedding width.")] = 16,
    num_layers: Annotated[int, typer.Option(help="Encoder layers.")] = 2,
    dropout: Annotated[float, typer.Option(help="Encoder dropout.")] = 0.0,
    encoder_option: Annotated[
        list[str] | None, typer.Option(help="Extra encoder option KEY=VALUE (repeatable).")
    ] = None,
    decoder_option: Annotated[
        list[str] | None, typer.Option(help="Extra decoder option KEY=VALUE (repeatable).")
    ] = None,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 0.01,
    lr_schedule: Annotated[
        str,
        typer.Option(
            help="Learning-rate schedule: constant, or cosine (decays from --lr towards 0 "
            "over --epochs, as GraphMAE)."
        ),
    ] = "constant",
    epochs: Annotated[int, typer.Option(help="Maximum epochs.")] = 400,
    patience: Annotated[
        int, typer.Option(help="Early-stopping patience in evaluations (0: off).")
    ] = 200,
    batch_size: Annotated[
        int | None, typer.Option(help="Positive pairs per step (default: full batch).")
    ] = None,
    val_ratio: Annotated[float, typer.Option(help="Validation fraction of edges.")] = 0.05,
    test_ratio: Annotated[float, typer.Option(help="Test fraction of edges.")] = 0.10,
    seed: Annotated[int, typer.Option(help="Random seed (split, init, negatives).")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")] = "auto",
    deterministic: Annotated[
        bool, typer.Option(help="Deterministic kernels (bit-identical CPU runs).")
    ] = False,
    precision: Annotated[
        str, typer.Option(help="fp32 (exact), tf32 or bf16 (autocast; for GPUs).")
    ] = "fp32",
    compile_: Annotated[
        bool, typer.Option("--compile", help="torch.compile the training step (GPU speed).")
    ] = False,
    embeddings_format: Annotated[str, typer.Option(help="npy, npz, csv or parquet.")] = "npy",
    data_root: Annotated[
        Path | None, typer.Option(help="Dataset root (default $GRAPHAE_DATA or ./data).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    resume: Annotated[
        bool,
        typer.Option(
            help="Continue the interrupted run of --out from its last checkpoint "
            "(<out>.partial), with its saved settings."
        ),
    ] = False,
    checkpoint_every: Annotated[
        int,
        typer.Option(
            help="Write a resumable checkpoint to <out>.partial every N epochs "
            "(0: only when interrupted)."
        ),
    ] = 10,
    reconstruct_weights: Annotated[
        bool,
        typer.Option(
            help="Reconstruct edge weights: soft BCE targets w / max(w) for the positives."
        ),
    ] = False,
    feature_decoder: Annotated[
        str | None,
        typer.Option(help="Feature decoder beside --decoder (joint reconstruction), e.g. mirror."),
    ] = None,
    feature_decoder_option: Annotated[
        list[str] | None, typer.Option(help="Extra feature-decoder option KEY=VALUE (repeatable).")
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
        float | None, typer.Option(help="Weight of the KL term (default 1/N).")
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
        list[str] | None,
        typer.Option(help="Secondary variant setting KEY=VALUE, e.g. replace_rate=0.05."),
    ] = None,
    select: Annotated[
        str,
        typer.Option(
            help="Model selection: link, probe (validation), loss (lowest training loss) , last or ogb (the official OGB metric)."
        ),
    ] = "link",
    weight_decay: Annotated[float, typer.Option(help="Adam weight decay.")] = 0.0,
    optimization: Annotated[
        str,
        typer.Option(
            help="Latent codes (--encoder embedding, hybrid tables): joint or alternating."
        ),
    ] = "joint",
    alternate_every: Annotated[
        int, typer.Option(help="Epochs per phase of --optimization alternating.")
    ] = 1,
    prior_sigma: Annotated[
        float | None,
        typer.Option(help="σ of the L2 prior (1/σ²)·mean‖z_i‖² on latent codes (default: none)."),
    ] = None,
    code_lr: Annotated[
        float | None, typer.Option(help="Learning rate of the latent codes (default: --lr).")
    ] = None,
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
    from graphae.errors import TrainingInterrupted
    from graphae.rundir import (
        check_embeddings_format,
        check_out_dir,
        partial_dir,
        remove_checkpoint_dir,
        save_run,
    )
    from graphae.train import RunConfig, TrainingControl, fit

    if checkpoint_every < 0:
        raise GraphaeError(f"--checkpoint-every {checkpoint_every}: use 0 or a positive number")
    ckpt = partial_dir(out)
    config = (
        None
        if resume
        else RunConfig(
            dataset=dataset,
            graph=str(graph) if graph else None,
            features=str(features) if features else None,
            feature_ids=str(feature_ids) if feature_ids else None,
            feature_norm=feature_norm,
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
            lr_schedule=lr_schedule,
            epochs=epochs,
            patience=patience,
            batch_size=batch_size,
            val_ratio=val_ratio,
            test_ratio=test_ratio,
            seed=seed,
            device=device,
            deterministic=deterministic,
            precision=precision,
            compile=compile_,
            reconstruct_weights=reconstruct_weights,
            feature_decoder=feature_decoder,
            feature_decoder_options=_parse_options(
                feature_decoder_option, "--feature-decoder-option"
            ),
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
            optimization=optimization,
            alternate_every=alternate_every,
            prior_sigma=prior_sigma,
            code_lr=code_lr,
            objective=objective,
            objective_options=_parse_options(objective_option, "--objective-option"),
            feature_fallback=feature_fallback,
            nodes=str(nodes) if nodes else None,
        )
    )
    check_out_dir(out, force)  # fail before training, not after
    check_embeddings_format(embeddings_format)
    if resume:
        config = _resumed_config(ctx, ckpt, device, data_root)
    else:
        _refuse_stale_checkpoint(ckpt, out)
    control = TrainingControl()
    received: dict[str, int] = {}
    main_rank = int(os.environ.get("RANK", "0")) == 0  # torchrun: only rank 0 writes
    if not main_rank:
        ckpt = None
    try:
        with _stop_on_signals(control, received):
            run = fit(
                config,  # type: ignore[arg-type]
                progress=progress and sys.stderr.isatty(),
                checkpoint_dir=ckpt,
                checkpoint_every=checkpoint_every,
                resume_from=ckpt if resume else None,
                control=control,
            )
            if main_rank:
                save_run(out, run, embeddings_format=embeddings_format, force=force)
    except TrainingInterrupted as e:
        _exit_interrupted(out, ckpt, received.get("signum", signal.SIGINT), e.epoch, e.epochs)
    except GraphaeError:
        if not resume and ckpt is not None:  # a failed run (e.g. diverged): nothing to resume
            remove_checkpoint_dir(ckpt)
        raise
    except _Interrupt as e:
        _exit_interrupted(out, ckpt, e.signum, None, config.epochs)  # type: ignore[union-attr]
    if not main_rank:
        return
    remove_checkpoint_dir(ckpt)
    m = run.result.metrics
    shown = [
        "link/auc",
        "link/ap",
        "link/hits@20",
        "link/hits@50",
        "link_ip/auc",  # feature-only models: inner product on z, no decoder scores
        "probe/node_accuracy",
        "probe/link_auc",
    ]
    parts = [f"{k}={m[k]:.4f}" for k in shown if k in m]
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
        from graphae.autodecoder import infer_run

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


@app.command()
def evaluate(
    embeddings: Annotated[Path, typer.Argument(help="Embeddings file or run folder.")],
    dataset: Annotated[
        str | None, typer.Option(help="Dataset whose labels (and public split) to probe.")
    ] = None,
    labels: Annotated[Path | None, typer.Option(help="Labels .csv (id,label) to probe.")] = None,
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.")] = None,
    seed: Annotated[int, typer.Option(help="Probe seed.")] = 0,
) -> None:
    """Probe frozen embeddings: node-classification accuracy (logistic regression) and k-means NMI."""
    _setup_logging(False)
    from graphae.inference import probe_embeddings

    metrics = probe_embeddings(
        embeddings, dataset=dataset, labels=labels, data_root=data_root, seed=seed
    )
    typer.echo(json.dumps(metrics, indent=2))


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
    from graphae.data.leakage import check_split
    from graphae.data.leakage import pyg_random_link_split as run_pyg_split
    from graphae.train import RunConfig, load_input, make_split

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
            opts = _parse_options(pyg_option, "--pyg-option")
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
    from graphae.nn.heuristics import resolve_heuristic
    from graphae.train import RunConfig, load_input, make_split

    name = resolve_heuristic(heuristic)
    options = _parse_options(heuristic_option, "--heuristic-option")
    if (run is not None) + (dataset is not None) + (graph is not None) != 1:
        raise GraphaeError("give one of: a run folder, --dataset or --graph")
    if run is not None:
        cfg_path = run / "config.json"
        if not cfg_path.is_file():
            raise GraphaeError(f"{run}: no config.json; is this a folder written by graphae train?")
        try:
            config = RunConfig.from_dict(json.loads(cfg_path.read_text(encoding="utf-8")))
        except (ValueError, UnicodeDecodeError) as e:
            raise GraphaeError(f"{cfg_path}: corrupted config ({type(e).__name__})") from None
        if data_root is not None:
            config = config.replace(data_root=str(data_root))
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
    data_root: Annotated[Path | None, typer.Option(help="Dataset root.")] = None,
) -> None:
    """List the named datasets and whether each is present under the data root."""
    from graphae.data.datasets import available_datasets
    from graphae.data.datasets import data_root as resolve_root

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
            msg = _one_line(e.format_message())  # type: ignore[attr-defined]
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

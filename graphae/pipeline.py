"""``RunConfig`` -> :func:`fit`: assemble a run, train it, measure it, record it.

One run: load the graph, split its edges (or take the official split), build
encoder + decoder from the registries and the optimisation strategy, train
(:class:`~graphae.training.loop.TrainingLoop`: the sampled-pairs
reconstruction loss with fresh negatives every epoch), keep the epoch the
selector scores best on validation (:mod:`graphae.training.selection`), then
measure the frozen embeddings of that epoch
(:func:`graphae.evaluation.measure.measure`) into a
:class:`~graphae.results.RunResult`. What is exported (the embeddings and model
a run folder keeps) is that model's embeddings over the split's training edges,
or, with ``export_edges`` ``"all"``/``"refit"``, embeddings over every edge
(:func:`export_split`; refit: a model retrained on every edge). A featureless
graph file resolves its ``"auto"`` settings first (:mod:`graphae.featureless`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from graphae.config import RunConfig
from graphae.data.features import input_features
from graphae.data.graph import Graph
from graphae.data.split import EdgeSet, LinkSplit, false_negative_rate, random_link_split
from graphae.errors import GraphaeError
from graphae.evaluation.measure import measure
from graphae.featureless import (
    as_recorded,
    compares_decoders,
    decoder_candidates,
    decoder_label,
    export_mode,
    resolve_featureless,
)
from graphae.models import GraphAutoEncoder, build_model
from graphae.nn.latent import featureless_options, needs_no_features
from graphae.results import RunResult, graph_record
from graphae.rundir import TrainingState, load_training_state
from graphae.training import distributed
from graphae.training.callbacks import (
    Checkpointer,
    ProgressBar,
    TrainingControl,
    notify,
    restore_training_state,
)
from graphae.training.distributed import DistContext
from graphae.training.loop import GraphInputs, StepOptions, TrainingLoop
from graphae.training.reuse import ForwardReuse, forward_reusable
from graphae.training.runtime import (
    autocast,
    import_in_background,
    keeps_global_state,
    peak_memory,
    preserved_global_state,
    resolve_device,
    seed_everything,
    set_precision,
)
from graphae.training.sampling import PairSampler
from graphae.training.schedules import lr_factor
from graphae.training.selection import ModelSelection, Validation, make_selector
from graphae.training.steps import TargetEdgeMask, clip_groups
from graphae.training.strategies import make_strategy

__all__ = ["Exported", "TrainedRun", "export_split", "fit", "load_input", "make_split"]

log = logging.getLogger(__name__)


@dataclass
class Exported:
    """What a run exports when ``export_edges`` is ``"all"`` or ``"refit"``.

    Attributes:
        model: The exported model (the selected one for ``"all"``, the
            retrained one for ``"refit"``), in eval mode.
        z: ``(N, d)`` its embeddings over every edge of the input (CPU).
        info: ``result.export``: ``{"edges", "mp_edges", "epochs", "seconds"}``.
    """

    model: GraphAutoEncoder
    z: Tensor
    info: dict[str, Any]


@dataclass
class TrainedRun:
    """What :func:`fit` returns.

    Attributes:
        config: The run's configuration (its ``"auto"`` featureless settings resolved).
        model: The model at the selected epoch, in eval mode.
        graph: The input graph.
        split: The link split used.
        z: ``(N, d)`` frozen embeddings of the selected epoch (CPU), over the
            split's message-passing graph: what ``result.metrics`` measured.
        result: The measured :class:`~graphae.results.RunResult`.
        exported: With ``export_edges`` ``"all"``/``"refit"``: the model and
            embeddings over every edge that the run folder keeps; ``None``:
            ``model`` and ``z`` are exported.
    """

    config: RunConfig
    model: GraphAutoEncoder
    graph: Graph
    split: LinkSplit
    z: Tensor
    result: RunResult
    exported: Exported | None = None

    @property
    def export_model(self) -> GraphAutoEncoder:
        """The model a run folder keeps (``model.pt``)."""
        return self.model if self.exported is None else self.exported.model

    @property
    def export_z(self) -> Tensor:
        """``(N, d)``: the embeddings a run folder keeps (``embeddings.*``)."""
        return self.z if self.exported is None else self.exported.z


def load_input(config: RunConfig) -> Graph:
    """Load the dataset or user graph a config names."""
    if config.dataset is not None:
        from graphae.data.datasets import load_dataset

        return load_dataset(config.dataset, config.data_root)
    from graphae.data.io import load_graph

    return load_graph(
        config.graph,
        features=config.features,
        feature_ids=config.feature_ids,
        labels=config.labels,
        directed=config.directed,
        feature_fallback=config.feature_fallback,
        nodes=config.nodes,
    )


def export_split(graph: Graph, config: RunConfig) -> LinkSplit:
    """The split whose message-passing graph a run's exported embeddings are encoded over.

    ``export_edges="split"`` (or unresolved ``"auto"``): :func:`make_split`.
    ``"all"``/``"refit"``: a split of the same seed with nothing held out, so
    every edge of the input is a training and message-passing edge (an
    official split's held-out edges are not in ``graph.data.edge_index`` and
    stay out).
    """
    if export_mode(config) == "split":
        return make_split(graph, config)
    return make_split(
        dataclasses.replace(graph, split=None), config.replace(val_ratio=0.0, test_ratio=0.0)
    )


def make_split(graph: Graph, config: RunConfig) -> LinkSplit:
    """The official split when the graph has one, else a seeded random split."""
    if graph.split is not None:
        return graph.split
    seed = config.seed if config.split_seed is None else config.split_seed
    return random_link_split(
        graph.data.edge_index,
        graph.num_nodes,
        val_ratio=config.val_ratio,
        test_ratio=config.test_ratio,
        directed=graph.directed,
        edge_weight=graph.edge_weight,
        seed=seed,
    )


@keeps_global_state
def fit(
    config: RunConfig,
    graph: Graph | None = None,
    *,
    progress: bool = False,
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 0,
    resume_from: str | Path | TrainingState | None = None,
    control: TrainingControl | None = None,
    callbacks: Sequence[Any] = (),
) -> TrainedRun:
    """Train one graph autoencoder and measure its frozen embeddings.

    ``fit`` leaves the caller's global state as it found it: the Python, NumPy
    and torch RNGs and torch's global flags (deterministic algorithms, TF32,
    thread count) are restored when it returns or fails
    (:func:`graphae.training.runtime.preserved_global_state`).

    Args:
        config: The run configuration.
        graph: An already loaded graph (else loaded from ``config``).
        progress: Show a progress bar (stderr).
        checkpoint_dir: Folder for training checkpoints
            (:func:`graphae.rundir.save_training_state`); ``None`` writes none.
        checkpoint_every: Write a checkpoint every this many epochs (0: only
            when stopped through ``control``).
        resume_from: A checkpoint folder (or a loaded
            :class:`~graphae.rundir.TrainingState`) to continue from. With the
            same config on the CPU the result is bit-identical to a run that
            was never interrupted.
        control: Lets a signal handler or a test stop training cleanly after
            the current epoch (a checkpoint is written first when
            ``checkpoint_dir`` is set).
        callbacks: Objects watching the run (:mod:`graphae.training.callbacks`):
            their ``on_start(history)`` is called before the first epoch (with
            the records already done when resuming), ``on_epoch(record)`` after
            every epoch (the record also appended to ``result.history``) and
            ``on_end(result)`` with the finished :class:`RunResult`.

    Returns:
        The :class:`TrainedRun` with the model at the best validation epoch.

    Raises:
        GraphaeError: On bad input (the CLI turns it into a one-line error).
        TrainingInterrupted: When ``control`` stopped training before the end.
    """
    how = _FitOptions(progress, checkpoint_dir, checkpoint_every, resume_from, control, callbacks)
    from_file = graph is None
    chosen: dict[str, Any] = {}  # featureless_decoder="auto" with one candidate: its record
    if resume_from is None and from_file and compares_decoders(config):
        graph = load_input(config)  # loaded once, for the choice and the run(s) alike
        candidates, info = decoder_candidates(config, graph, make_split(graph, config))
        if len(candidates) > 1:
            return _fit_comparing(candidates, graph, info, how)
        if candidates:  # nothing to compare: an ordinary run (checkpoints, live metrics)
            config, chosen = candidates[0], info
    return _fit(config, graph, from_file, chosen, how)


@dataclass(frozen=True)
class _FitOptions:
    """How :func:`fit` runs (its keyword arguments), passed on as one value."""

    progress: bool = False
    checkpoint_dir: str | Path | None = None
    checkpoint_every: int = 0
    resume_from: str | Path | TrainingState | None = None
    control: TrainingControl | None = None
    callbacks: Sequence[Any] = ()


def _fit(
    config: RunConfig,
    graph: Graph | None,
    from_file: bool,
    chosen: dict[str, Any],
    how: _FitOptions,
) -> TrainedRun:
    """:func:`fit` of one config, ``graph`` loaded from its file when ``from_file``.

    ``from_file``: the graph is the config's own input (its featureless
    defaults apply), whether passed here or still to be loaded; ``chosen``:
    the record of a decoder that ``featureless_decoder="auto"`` chose.
    """
    t0 = time.perf_counter()
    state = None
    if how.resume_from is not None:
        state = (
            how.resume_from
            if isinstance(how.resume_from, TrainingState)
            else load_training_state(how.resume_from)
        )
        # a checkpoint saved before later fields or the featureless defaults existed
        config = as_recorded(config.as_recorded_by(state.config), state.config, state.meta)
    run = _assemble(config, graph, from_file)
    config, graph, split, sp, model = run.config, run.graph, run.split, run.sp, run.model
    history: list[dict[str, float]] = []
    start = 1
    meta = {"num_nodes": graph.num_nodes, "split": split.sizes()}
    if state is not None:
        _check_resumable(state, config, meta)
        restore_training_state(state, model, run.strategy, run.selection, run.sampler.generator)
        history, start = list(state.history), state.epoch + 1
        log.info("resuming after epoch %d of %d", state.epoch, config.epochs)

    loop = TrainingLoop(
        model,
        run.strategy,
        run.loss_fn,
        GraphInputs(run.x, sp.mp_edge_index, sp.mp_edge_weight),
        run.sampler,
        run.selection,
        epochs=config.epochs,
        eval_every=config.eval_every,
        lr_factor=lambda epoch: lr_factor(
            config.lr_schedule, epoch, config.epochs, config.lr_decay_every
        ),
        step=run.step,
        # where the training forward equals the eval-mode encode, epoch e is scored from
        # epoch e+1's first forward instead of encoding twice (checked bit for bit once)
        reuse=ForwardReuse(
            model,
            run.x,
            sp.mp_edge_index,
            sp.mp_edge_weight,
            enabled=forward_reusable(model, config, run.dist.active),
        ),
        callbacks=[*how.callbacks, ProgressBar(config.epochs, how.progress)],
        checkpointer=(
            Checkpointer(how.checkpoint_dir, how.checkpoint_every, config.to_dict(), meta)
            if how.checkpoint_dir is not None
            else None
        ),
        control=how.control,
    )
    import_in_background()  # the final probes' scikit-learn, while training runs
    t_train = time.perf_counter()
    trained = loop.run(start, history)
    train_time = time.perf_counter() - t_train

    if run.selection.best_state is not None:
        model.load_state_dict(run.selection.best_state)
    model.eval()
    t_eval = time.perf_counter()
    with torch.no_grad():
        z = model.encode(run.x, sp.mp_edge_index, sp.mp_edge_weight)
    metrics = measure(model, z, graph, sp, seed=config.seed, x=run.x)
    metrics.update({f"params/{k}": v for k, v in model.parameter_counts().items()})
    eval_time = time.perf_counter() - t_eval
    exported = _export(config, graph, model, run.x, int(run.selection.best_epoch), how.progress)
    record = graph_record(graph, split, run.false_negative_rate)
    if run.featureless is not None:
        record["featureless"] = (
            _chosen_record(run.featureless, config, chosen) if chosen else run.featureless
        )
    result = RunResult(
        config=config.to_dict(),
        metrics=metrics,
        best_epoch=int(run.selection.best_epoch),
        epochs_run=trained.epochs_run,
        timings={
            "total": time.perf_counter() - t0,
            "train": train_time,
            "per_epoch": train_time / max(trained.epochs_run, 1),
            "evaluate": eval_time,
        },
        memory=peak_memory(run.device),
        graph=record,
        device=str(run.device),
        history=trained.history,
        reproducibility=_reproducibility(config, split, start),
        export=exported.info if exported is not None else {},
    )
    notify(how.callbacks, "on_end", result)
    return TrainedRun(config, model, graph, split, z.detach().float().cpu(), result, exported)


def _chosen_record(
    record: dict[str, Any], config: RunConfig, info: dict[str, Any]
) -> dict[str, Any]:
    """``graph.featureless`` of a run whose decoder ``featureless_decoder="auto"`` chose."""
    out = dict(record)
    out["auto"] = sorted({*out.get("auto", []), "decoder"})
    out["decoder_options"] = dict(config.decoder_options)
    out.update(info)
    return out


def _fit_comparing(
    candidates: Sequence[RunConfig],
    graph: Graph,
    info: dict[str, Any],
    how: _FitOptions,
) -> TrainedRun:
    """Train each candidate config and keep the one with the best validation link AUC.

    ``featureless_decoder="auto"`` (:func:`graphae.featureless.decoder_candidates`).
    Each candidate is an ordinary run on ``graph``, the config's own input
    file loaded once (the same as ``graphae train`` with its saved config, bit
    for bit). The candidates write no checkpoints (an
    interrupted comparison starts over); the callbacks see the winner's
    epochs once it is chosen, apart from those with a ``watch(label)`` method
    (progress lines), whose copies watch each candidate live.
    ``result.graph["featureless"]`` records ``info`` and ``"compared"``: each
    candidate's validation AUC and seconds.
    """
    t0 = time.perf_counter()
    runs: list[TrainedRun] = []
    live = [cb for cb in how.callbacks if hasattr(cb, "watch")]
    for cand in candidates:
        label = decoder_label(cand)
        log.info("featureless graph: training the %s decoder to compare", label)
        own = _FitOptions(  # no checkpoints; live watchers only
            progress=how.progress, control=how.control, callbacks=[cb.watch(label) for cb in live]
        )
        with preserved_global_state():  # each candidate starts from the caller's state
            runs.append(_fit(cand, graph, True, {}, own))
    scores = [float(r.result.metrics.get("val/link/auc", float("nan"))) for r in runs]
    order = [i for i in range(len(runs)) if scores[i] == scores[i]] or [0]  # NaN never wins
    best = max(order, key=lambda i: (scores[i], -i))  # a tie keeps the earlier candidate
    win = runs[best]
    record = _chosen_record(win.result.graph.get("featureless") or {}, win.config, info)
    record["compared"] = [
        {
            "decoder": decoder_label(r.config),
            "val_auc": scores[i],
            "seconds": r.result.timings["total"],
        }
        for i, r in enumerate(runs)
    ]
    win.result.timings["compare"] = time.perf_counter() - t0
    log.info(
        "decoder: %s (validation AUC %s)",
        decoder_label(win.config),
        " vs ".join(f"{decoder_label(r.config)} {scores[i]:.4f}" for i, r in enumerate(runs)),
    )
    win.result.graph["featureless"] = record
    replay = [cb for cb in how.callbacks if not hasattr(cb, "watch")]  # watchers saw it live
    notify(replay, "on_start", [])
    for record_ in win.result.history:
        notify(replay, "on_epoch", record_)
    notify(how.callbacks, "on_end", win.result)
    return win


def _export(
    config: RunConfig,
    graph: Graph,
    model: GraphAutoEncoder,
    x: Tensor,
    best_epoch: int,
    progress: bool,
) -> Exported | None:
    """The model and embeddings over every edge (``export_edges`` ``"all"``/``"refit"``).

    ``"all"`` encodes every edge with the selected ``model``; ``"refit"`` trains
    a fresh model of the same config and seed on every edge for ``best_epoch``
    epochs (the count the held-out split selected) and encodes with it.

    Returns:
        ``None`` for ``"split"``.
    """
    mode = export_mode(config)
    if mode == "split":
        return None
    t0 = time.perf_counter()
    full = export_split(graph, config)
    epochs = max(best_epoch, 1)
    if mode == "all":
        fsp = full.to(x.device)
        with torch.no_grad():
            z = model.encode(x, fsp.mp_edge_index, fsp.mp_edge_weight)
        export_model = model
    else:
        log.info(
            "refitting on all %d edges for %d epochs (the selected epoch count); "
            "result.json's metrics are the held-out split's",
            full.train_pos.size(1),
            epochs,
        )
        refit = fit(
            config.replace(
                val_ratio=0.0,
                test_ratio=0.0,
                epochs=epochs,
                select="last",
                patience=0,
                export_edges="split",
            ),
            dataclasses.replace(graph, split=full),
            progress=progress,
        )
        z, export_model = refit.z, refit.model
    info = {
        "edges": mode,
        "mp_edges": int(full.mp_edge_index.size(1)),
        "epochs": epochs if mode == "refit" else None,
        "seconds": time.perf_counter() - t0,
    }
    return Exported(export_model, z.detach().float().cpu(), info)


@dataclass
class _Assembly:
    """A run's parts, built from its config (see :func:`_assemble`)."""

    config: RunConfig  # its "auto" featureless settings resolved
    featureless: dict[str, Any] | None  # what graphae.featureless resolved (None: features)
    device: torch.device
    dist: DistContext
    graph: Graph
    split: LinkSplit
    false_negative_rate: float
    sp: LinkSplit  # the split on the device
    x: Tensor
    model: GraphAutoEncoder
    strategy: Any
    loss_fn: Callable[..., Any]
    selection: ModelSelection
    step: StepOptions
    sampler: PairSampler


def _assemble(config: RunConfig, graph: Graph | None, from_file: bool) -> _Assembly:
    """Seed, load and split the graph, build model, strategy, selection and sampler.

    ``from_file``: ``graph`` (loaded here when ``None``) is the config's own
    input file, so its ``"auto"`` featureless settings resolve; a graph passed
    in memory (the scikit-learn estimator) only records its feature fallback.

    The order of the random draws (model initialisation, then the sampler's
    generator) is part of a run's identity; do not reorder.

    Raises:
        GraphaeError: On input the config cannot train on.
    """
    dist_ctx = distributed.init(resolve_device(config.device))
    device = distributed.device_for(dist_ctx, resolve_device(config.device))
    seed_everything(config.seed, config.deterministic)
    set_precision(config.precision, device)
    if graph is None:
        graph = load_input(config)
    config, featureless = resolve_featureless(config, graph, defaults=from_file)
    if graph.data.x is None and not needs_no_features(
        config.encoder, featureless_options(config, 0)
    ):
        raise GraphaeError(
            f"{graph.name} has no node features; use --encoder embedding (learnable node "
            "codes) or the encoder option learnable_input=true (a GNN over learnable codes)"
        )
    split = make_split(graph, config)
    fnr = false_negative_rate(split, graph.data.edge_index) if split.source == "random" else 0.0
    log.info("%s; split %s", graph.summary(), split.sizes())

    x = input_features(graph, config.feature_norm, device)
    sp = split.to(device)
    model = build_model(config, x.size(1), graph.num_nodes, directed=graph.directed).to(device)
    # the optimiser(s) and loss hook: plain Adam, or latent codes (graphae.training.strategies)
    strategy = make_strategy(model, config)
    loss_fn = distributed.wrap_loss(dist_ctx, model, strategy.loss)
    if config.compile:
        loss_fn = torch.compile(loss_fn)
    validation = Validation(sp.val_pos, sp.val_neg, sp.mp_edge_index)
    selector = make_selector(config.select, graph, config.seed, validation.has_pairs)
    selection = ModelSelection(
        selector, validation, patience=config.patience, full_batch=config.batch_size is None
    )
    exclude = EdgeSet(sp.train_pos, graph.num_nodes, directed=split.directed)
    step = StepOptions(
        target_mask=(
            TargetEdgeMask(sp.mp_edge_index, sp.mp_edge_weight, graph.num_nodes, split.directed)
            if config.mask_target_edges
            else None
        ),
        clip=clip_groups(model, config.grad_clip_scope) if config.grad_clip is not None else (),
        max_norm=config.grad_clip,
        autocast=lambda: autocast(device, config.precision),
        dist=dist_ctx,
    )
    gen = torch.Generator(device=device).manual_seed(config.seed)
    _warn_about_inputs(model, graph, config)
    sampler = PairSampler(
        sp.train_pos,
        exclude,
        gen,
        batch_size=config.batch_size,
        neg_ratio=config.neg_ratio,
        target=_positive_targets(sp, graph, config),
    )
    return _Assembly(
        config, featureless, device, dist_ctx, graph, split, fnr, sp, x, model, strategy,
        loss_fn, selection, step, sampler,
    )  # fmt: skip


def _reproducibility(config: RunConfig, split: LinkSplit, start: int) -> dict[str, Any]:
    """``RunResult.reproducibility``: what it takes to repeat the run."""
    return {
        "deterministic": config.deterministic,
        "seed": config.seed,
        "split_seed": (
            (config.seed if config.split_seed is None else config.split_seed)
            if split.source == "random"
            else None
        ),
        "split_source": split.source,
        "torch_num_threads": torch.get_num_threads(),
        "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        "resumed_after_epoch": start - 1 if start > 1 else None,
    }


def _check_resumable(state: TrainingState, config: RunConfig, meta: dict[str, Any]) -> None:
    """Refuse a checkpoint of another run (other config, graph or split)."""
    now = config.identity()
    then = as_recorded(RunConfig.from_record(state.config), state.config, state.meta).identity()
    diff = sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))
    if diff:
        shown = ", ".join(f"{k}: {then.get(k)!r} -> {now.get(k)!r}" for k in diff[:4])
        raise GraphaeError(
            f"the checkpoint belongs to a run with another configuration ({shown}); "
            "resume with the same settings or start a new run"
        )
    if state.meta and state.meta != json.loads(json.dumps(meta)):  # as it reads back from JSON
        raise GraphaeError(
            f"the checkpoint was made on another graph or split ({state.meta} vs {meta}); "
            "resume on the same input or start a new run"
        )
    if state.epoch >= config.epochs:
        raise GraphaeError(f"the checkpoint is at epoch {state.epoch}; nothing left to train")


def _warn_about_inputs(model: GraphAutoEncoder, graph: Graph, config: RunConfig) -> None:
    """Log what the chosen model will not use of the input (weights, edge direction)."""
    dec = getattr(model, "decoder", None)
    if graph.directed and dec is not None and getattr(dec, "symmetric", False):
        log.warning(
            "%s is directed but decoder %r is symmetric (score(u, v) == score(v, u)), so it "
            "cannot tell u->v from v->u; use --decoder bilinear, or mlp with "
            "--decoder-option mode=concat",
            graph.name,
            config.decoder,
        )
    if (
        config.mask_target_edges
        and not getattr(model.encoder, "uses_graph", True)
        and not getattr(dec, "needs_graph", False)
    ):
        log.warning(
            "mask_target_edges has no effect: encoder %r and decoder %r do not propagate "
            "over the graph",
            config.encoder,
            config.decoder,
        )
    if graph.edge_weight is not None and not hasattr(model.encoder, "cache"):
        inner = getattr(model.encoder, "inner", model.encoder)
        if not hasattr(inner, "cache"):
            log.warning(
                "encoder %r ignores edge weights; use gcn or linear to propagate with them",
                config.encoder,
            )


def _positive_targets(split: LinkSplit, graph: Graph, config: RunConfig) -> Tensor | None:
    """``(P_train,)`` soft targets ``w / max w`` of the training positives, or ``None``."""
    if not config.reconstruct_weights:
        return None
    if graph.edge_weight is None:
        raise GraphaeError(
            f"reconstruct_weights needs edge weights; {graph.name} has none "
            "(give a third column of weights)"
        )
    from graphae.data.split import pair_weights

    w = pair_weights(
        split.train_pos.cpu(),
        graph.data.edge_index,
        graph.edge_weight,
        graph.num_nodes,
        split.directed,
    )
    top = float(w.max()) if w.numel() else 0.0
    if top <= 0:
        raise GraphaeError(f"reconstruct_weights: every training edge of {graph.name} has weight 0")
    return (w / top).to(split.train_pos.device)

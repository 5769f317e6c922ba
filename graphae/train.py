"""``RunConfig`` -> :func:`fit`: the training loop, model selection and the run record.

One run: load the graph, split its edges (or take the official split), build
encoder + decoder from the registries, train with Adam on the sampled-pairs
reconstruction loss (fresh negatives every epoch), select the epoch with the
best validation AUC, then measure the frozen embeddings of that epoch.
"""

from __future__ import annotations

import logging
import os
import random
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from graphae import distributed
from graphae.config import RunConfig
from graphae.data.features import input_features
from graphae.data.graph import Graph
from graphae.data.split import (
    EdgeSet,
    LinkSplit,
    false_negative_rate,
    has_pairs,
    random_link_split,
    sample_negatives,
)
from graphae.errors import GraphaeError, TrainingInterrupted
from graphae.evaluation.device import (
    ForwardCapture,
    device_link_metrics,
    forward_reusable,
    import_in_background,
)
from graphae.evaluation.measure import measure, score_pairs, validation_probe
from graphae.evaluation.metrics import OGB_METRICS
from graphae.globalstate import keeps_global_state
from graphae.models import GraphAutoEncoder
from graphae.models import build_model as _build_model
from graphae.nn.latent import featureless_options, needs_no_features
from graphae.results import RunResult
from graphae.rundir import (
    TrainingState,
    capture_rng,
    load_training_state,
    restore_rng,
    save_training_state,
)
from graphae.step import TargetEdgeMask, clip_gradients, clip_groups
from graphae.tracking import notify
from graphae.training.schedules import lr_factor
from graphae.training.strategies import make_strategy

log = logging.getLogger(__name__)


@dataclass
class TrainedRun:
    """What :func:`fit` returns.

    Attributes:
        config: The run's configuration.
        model: The model at the selected epoch, in eval mode.
        graph: The input graph.
        split: The link split used.
        z: ``(N, d)`` frozen embeddings of the selected epoch (CPU).
        result: The measured :class:`~graphae.results.RunResult`.
    """

    config: RunConfig
    model: GraphAutoEncoder
    graph: Graph
    split: LinkSplit
    z: Tensor
    result: RunResult


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else validated."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise GraphaeError(f"unknown device {name!r}; use auto, cpu or cuda[:N]") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise GraphaeError(f"device {name!r} asked for but CUDA is not available; use --device cpu")
    return device


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and torch (all devices); optionally force deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        # cuBLAS needs a fixed workspace for deterministic GEMMs (set before first use).
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=False)


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


def build_model(
    config: RunConfig, in_channels: int, num_nodes: int, directed: bool | None = None
) -> GraphAutoEncoder:
    """Encoder, decoder(s) and variants from the registries, sized by ``config``
    (see :func:`graphae.models.build_model`)."""
    return _build_model(config, in_channels, num_nodes, directed)


def _peak_memory(device: torch.device) -> dict[str, int]:
    mem = {"peak_rss": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024}
    if device.type == "cuda":
        mem["peak_cuda"] = int(torch.cuda.max_memory_allocated(device))
    return mem


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
    (:mod:`graphae.globalstate`).

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
        callbacks: Objects watching the run (:mod:`graphae.tracking`): their
            ``on_start(history)`` is called before the first epoch (with the
            records already done when resuming), ``on_epoch(record)`` after
            every epoch (the record also appended to ``result.history``) and
            ``on_end(result)`` with the finished :class:`RunResult`.

    Returns:
        The :class:`TrainedRun` with the model at the best validation epoch.

    Raises:
        GraphaeError: On bad input (the CLI turns it into a one-line error).
        TrainingInterrupted: When ``control`` stopped training before the end.
    """
    t0 = time.perf_counter()
    dist_ctx = distributed.init(resolve_device(config.device))
    device = distributed.device_for(dist_ctx, resolve_device(config.device))
    seed_everything(config.seed, config.deterministic)
    set_precision(config.precision, device)
    if graph is None:
        graph = load_input(config)
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
    # every optimiser (main_parameters(); the adversaries', e.g. ARGA's discriminator) and the
    # loss hook: plain Adam, or latent codes (graphae.training.strategies)
    opt = make_strategy(model, config)
    loss_fn = distributed.wrap_loss(dist_ctx, model, opt.loss)
    if config.compile:
        loss_fn = torch.compile(loss_fn)
    if config.select == "ogb" and graph.meta.get("ogb_name") is None:
        raise GraphaeError(f"select='ogb' needs an OGB dataset; {graph.name} is not one")
    if config.select == "probe" and (graph.y is None or not bool((graph.y >= 0).any())):
        raise GraphaeError(f"select='probe' needs node labels; {graph.name} has none")
    has_val = has_pairs(sp.val_pos, sp.val_neg)
    if not has_val and config.select in ("link", "ogb"):
        raise GraphaeError(
            f"select={config.select!r} scores validation edges and this split has none "
            "(val_ratio=0: every edge is trained on); select by probe, loss or last instead"
        )
    exclude = EdgeSet(sp.train_pos, graph.num_nodes, directed=split.directed)
    target_mask = (
        TargetEdgeMask(sp.mp_edge_index, sp.mp_edge_weight, graph.num_nodes, split.directed)
        if config.mask_target_edges
        else None
    )
    clip = clip_groups(model, config.grad_clip_scope) if config.grad_clip is not None else None
    gen = torch.Generator(device=device).manual_seed(config.seed)
    _warn_about_inputs(model, graph, config)
    pos_target = _positive_targets(sp, graph, config)

    best = {"auc": float("-inf"), "epoch": 0, "state": None}
    history: list[dict[str, float]] = []
    bad_evals = 0
    epochs_run = 0
    start = 1
    meta = {"num_nodes": graph.num_nodes, "split": split.sizes()}
    if resume_from is not None:
        state = (
            resume_from
            if isinstance(resume_from, TrainingState)
            else load_training_state(resume_from)
        )
        _check_resumable(state, config, meta)
        model.load_state_dict(state.model)
        opt.load_state_dict(state.optimizer)
        opt.load_extra_state_dict(state.extra_optimizers)
        best = {"auc": state.best_score, "epoch": state.best_epoch, "state": state.best_state}
        history = list(state.history)
        bad_evals = state.bad_evals
        epochs_run = state.epoch
        start = state.epoch + 1
        restore_rng(state.rng, gen)
        log.info("resuming after epoch %d of %d", state.epoch, config.epochs)
    notify(callbacks, "on_start", list(history))

    def evaluate(epoch: int, record: dict[str, float], z: Tensor) -> None:
        """Score the model after ``epoch`` from its embeddings ``z`` (on the device) into
        ``record``; snapshot it when it is the best so far (the model must hold that epoch's
        parameters)."""
        nonlocal best, bad_evals
        model.eval()
        metric = OGB_METRICS.get(graph.meta.get("ogb_name") or "", "")
        ks = (int(metric[5:]),) if config.select == "ogb" and metric.startswith("hits@") else ()
        official: dict[str, float] = {}
        if has_val:
            with torch.no_grad():
                val_pos = score_pairs(model, z, sp.val_pos, sp.mp_edge_index, to_cpu=False)
                val_neg = score_pairs(model, z, sp.val_neg, sp.mp_edge_index, to_cpu=False)
            link = device_link_metrics(val_pos, val_neg, ks)  # one host transfer
            record["val/auc"] = link["auc"]
            official = {f"hits@{k}": link[f"hits@{k}"] for k in ks}
        score = record.get("val/auc", float("nan"))
        if config.select == "probe":
            score = record["val/probe"] = validation_probe(z, graph, config.seed)
        elif config.select == "loss":  # lowest training loss (DGI's early stopping)
            score = -record["loss"]
        elif config.select == "last":
            score = float(epoch)
        elif config.select == "ogb":  # the official metric (e.g. Hits@20 for ogbl-ddi)
            from graphae.evaluation.metrics import ogb_metrics

            if not official:  # MRR / ROC-AUC datasets: OGB's own evaluator on the host
                official = ogb_metrics(graph.meta["ogb_name"], val_pos.cpu(), val_neg.cpu())
            record.update({f"val/{k}": float(v) for k, v in official.items()})
            score = float(next(iter(official.values())))
        if score > best["auc"]:
            best = {
                "auc": score,
                "epoch": epoch,
                "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
            }
            bad_evals = 0
        else:
            bad_evals += 1

    # Where the training forward equals the eval-mode encode, epoch e is scored from epoch
    # e+1's first forward (before its optimiser step) instead of encoding twice
    # (graphae.evaluation.device); checked bit for bit once, then trusted.
    capture = (
        ForwardCapture(model.encoder, x, sp.mp_edge_index, sp.mp_edge_weight)
        if forward_reusable(model, config, dist_ctx.active)
        else None
    )
    pending: tuple[int, dict[str, float]] | None = None  # evaluation waiting for that forward
    verified = False
    import_in_background()  # the final probes' scikit-learn, while training runs
    t_train = time.perf_counter()
    bar = _progress_bar(config.epochs, progress)
    bar.update(start - 1)
    if control is not None:
        control.running = True
    for epoch in range(start, config.epochs + 1):
        model.train()
        opt.begin_epoch(epoch)
        opt.scale_lr(lr_factor(config.lr_schedule, epoch, config.epochs, config.lr_decay_every))
        losses = []
        parts: dict[str, list[float]] = {}
        patience_out = False
        for pos, target in _batches(sp.train_pos, config.batch_size, gen, pos_target):
            neg = sample_negatives(
                max(1, int(pos.size(1) * config.neg_ratio)), exclude, generator=gen
            )
            opt.zero_grad(set_to_none=True)
            mp_ei, mp_ew = sp.mp_edge_index, sp.mp_edge_weight
            if target_mask is not None:  # the global batch's targets leave the graph
                mp_ei, mp_ew = target_mask(pos)
            if dist_ctx.active:  # every rank drew the same global batch; score a shard
                pos, neg = dist_ctx.shard(pos), dist_ctx.shard(neg)
                target = dist_ctx.shard(target) if target is not None else None
            if pending is not None:
                capture.arm()  # type: ignore[union-attr]
            with autocast(device, config.precision):
                loss, named = loss_fn(x, mp_ei, mp_ew, pos, neg, target)
            if pending is not None:  # the parameters are still those after epoch pending[0]
                z_prev = capture.take()  # type: ignore[union-attr]
                if z_prev is None or not verified:
                    model.eval()
                    with torch.no_grad():
                        z_eval = model.encode(x, sp.mp_edge_index, sp.mp_edge_weight)
                    if z_prev is None or not torch.equal(z_prev, z_eval):
                        log.info("training forward differs from the eval encode; not reused")
                        capture.remove()  # type: ignore[union-attr]
                        capture = None
                    verified, z_prev = True, z_eval
                evaluate(*pending, z_prev)
                notify(callbacks, "on_epoch", pending[1])  # its record is complete now
                pending = None
                model.train()
                if config.patience and bad_evals >= config.patience:
                    patience_out = True  # stop after that epoch: this step never happened
                    break
            if not torch.isfinite(loss):
                raise GraphaeError(
                    f"training diverged at epoch {epoch} (loss {loss.item()}); lower --lr"
                )
            loss.backward()
            if clip is not None:
                for group in clip:
                    clip_gradients(group, config.grad_clip)  # type: ignore[arg-type]
            named.update(opt.step())  # + adversaries (ARGA), post-step updates (BGRL's EMA)
            losses.append(float(loss.detach()))
            for k, v in named.items():
                parts.setdefault(k, []).append(v)
        if patience_out:
            log.info("early stop at epoch %d (best %d)", epochs_run, best["epoch"])
            break
        epochs_run = epoch
        record = {"epoch": epoch, "loss": distributed.all_mean(dist_ctx, float(np.mean(losses)))}
        record.update({f"loss/{k}": float(np.mean(v)) for k, v in parts.items()})
        stop = control is not None and control.should_stop(epoch)
        save = (
            epoch < config.epochs
            and checkpoint_dir is not None
            and bool(stop or (checkpoint_every and epoch % checkpoint_every == 0))
        )
        if epoch % config.eval_every == 0 or epoch == config.epochs:
            if capture is not None and epoch < config.epochs and not stop and not save:
                pending = (epoch, record)  # scored from the next step's forward
            else:
                model.eval()
                with torch.no_grad():
                    z = model.encode(x, sp.mp_edge_index, sp.mp_edge_weight)
                evaluate(epoch, record, z)
        history.append(record)
        if pending is None or pending[1] is not record:  # else notified once it is scored
            notify(callbacks, "on_epoch", record)
        bar.update(1)
        bar.set_postfix(loss=f"{record['loss']:.4f}", val_auc=f"{best['auc']:.4f}")
        if config.patience and bad_evals >= config.patience:
            log.info("early stop at epoch %d (best %d)", epoch, best["epoch"])
            break
        if save:
            save_training_state(
                checkpoint_dir,
                TrainingState(
                    epoch=epoch,
                    model=model.state_dict(),
                    optimizer=opt.state_dict(),
                    extra_optimizers=opt.extra_state_dict(),
                    best_score=float(best["auc"]),
                    best_epoch=int(best["epoch"]),
                    best_state=best["state"],
                    bad_evals=bad_evals,
                    history=history,
                    rng=capture_rng(gen),
                    config=config.to_dict(),
                    meta=meta,
                ),
            )
        if stop and epoch < config.epochs:
            bar.close()
            control.running = False  # type: ignore[union-attr]
            raise TrainingInterrupted(epoch, config.epochs, checkpoint_dir)
    if control is not None:
        control.running = False
    if capture is not None:
        capture.remove()
    bar.close()
    train_time = time.perf_counter() - t_train
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    model.eval()
    t_eval = time.perf_counter()
    with torch.no_grad():
        z = model.encode(x, sp.mp_edge_index, sp.mp_edge_weight)
    metrics = measure(model, z, graph, sp, seed=config.seed, x=x)
    metrics.update({f"params/{k}": v for k, v in model.parameter_counts().items()})
    eval_time = time.perf_counter() - t_eval
    result = RunResult(
        config=config.to_dict(),
        metrics=metrics,
        best_epoch=int(best["epoch"]),
        epochs_run=epochs_run,
        timings={
            "total": time.perf_counter() - t0,
            "train": train_time,
            "per_epoch": train_time / max(epochs_run, 1),
            "evaluate": eval_time,
        },
        memory=_peak_memory(device),
        graph={
            "name": graph.name,
            "num_nodes": graph.num_nodes,
            "num_edges": graph.num_edges,
            "num_features": graph.num_features,
            "feature_source": graph.feature_source,
            "directed": graph.directed,
            "split": {**split.sizes(), "source": split.source, "false_negative_rate": fnr},
        },
        device=str(device),
        history=history,
        reproducibility={
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
        },
    )
    notify(callbacks, "on_end", result)
    return TrainedRun(config, model, graph, split, z.detach().float().cpu(), result)


@dataclass
class TrainingControl:
    """Stops a running :func:`fit` cleanly after the current epoch.

    The CLI's SIGINT/SIGTERM handler calls :meth:`request_stop` while
    ``running`` is true; tests use ``stop_after`` to simulate a kill after a
    given epoch. :func:`fit` then writes a checkpoint (when it has a
    ``checkpoint_dir``) and raises :class:`~graphae.errors.TrainingInterrupted`.

    Attributes:
        stop_after: Stop once this epoch is done (``None``: never by itself).
        stop_requested: Set by :meth:`request_stop`.
        running: True while :func:`fit` is inside its epoch loop.
    """

    stop_after: int | None = None
    stop_requested: bool = False
    running: bool = False

    def request_stop(self) -> None:
        """Ask :func:`fit` to stop after the epoch in progress."""
        self.stop_requested = True

    def should_stop(self, epoch: int) -> bool:
        """Whether to stop after ``epoch``."""
        return self.stop_requested or (self.stop_after is not None and epoch >= self.stop_after)


def _check_resumable(state: TrainingState, config: RunConfig, meta: dict[str, Any]) -> None:
    """Refuse a checkpoint of another run (other config, graph or split)."""
    now = config.identity()
    then = RunConfig.from_dict(state.config).identity()
    diff = sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))
    if diff:
        shown = ", ".join(f"{k}: {then.get(k)!r} -> {now.get(k)!r}" for k in diff[:4])
        raise GraphaeError(
            f"the checkpoint belongs to a run with another configuration ({shown}); "
            "resume with the same settings or start a new run"
        )
    if state.meta and state.meta != _json_roundtrip(meta):
        raise GraphaeError(
            f"the checkpoint was made on another graph or split ({state.meta} vs {meta}); "
            "resume on the same input or start a new run"
        )
    if state.epoch >= config.epochs:
        raise GraphaeError(f"the checkpoint is at epoch {state.epoch}; nothing left to train")


def _json_roundtrip(obj: Any) -> Any:
    """``obj`` as it reads back from JSON (tuples become lists)."""
    import json

    return json.loads(json.dumps(obj))


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


def set_precision(precision: str, device: torch.device) -> None:
    """Exact fp32 (TF32 off) unless ``precision`` allows TF32/bf16 on CUDA."""
    if device.type == "cuda":
        tf32 = precision != "fp32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32


def autocast(device: torch.device, precision: str) -> Any:
    """bf16 autocast for ``precision="bf16"``, else a no-op context."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def _batches(
    pos: Tensor, batch_size: int | None, gen: torch.Generator, target: Tensor | None = None
) -> list[tuple[Tensor, Tensor | None]]:
    """The epoch's positive pairs (with their targets): all at once, or shuffled mini-batches."""
    if batch_size is None or batch_size >= pos.size(1):
        return [(pos, target)]
    perm = torch.randperm(pos.size(1), device=pos.device, generator=gen)
    return [
        (pos[:, idx], target[idx] if target is not None else None)
        for idx in (perm[i : i + batch_size] for i in range(0, pos.size(1), batch_size))
    ]


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="train", unit="epoch", disable=not enabled, leave=False)

"""``RunConfig`` -> :func:`fit`: the training loop, model selection and the run record.

One run: load the graph, split its edges (or take the official split), build
encoder + decoder from the registries, train with Adam on the sampled-pairs
reconstruction loss (fresh negatives every epoch), select the epoch with the
best validation AUC, then measure the frozen embeddings of that epoch.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import resource
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from graphae.data.graph import Graph
from graphae.data.split import EdgeSet, LinkSplit, false_negative_rate, random_link_split, sample_negatives
from graphae.errors import GraphaeError
from graphae.models import GraphAutoEncoder, resolve_decoders
from graphae.models import build_model as _build_model
from graphae.nn.encoders import encoders
from graphae.results import RunResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. Defaults are Kipf & Welling's GAE setting.

    Attributes:
        dataset: Named dataset (``graphae datasets``), or ``None`` with ``graph``.
        graph: Path of a user graph file (edge list, GraphML, ``.npz``...).
        features: Optional node-feature file for ``graph``.
        feature_ids: Optional id list aligning a ``.npy`` feature matrix.
        labels: Optional node-label file for ``graph``.
        directed: Treat ``graph`` as directed.
        data_root: Dataset root (default ``$GRAPHAE_DATA`` or ``./data``).
        encoder: Encoder name (``graphae ls encoders``).
        decoder: Decoder name (``graphae ls decoders``): a structure decoder, a
            feature decoder (a feature-only model) or ``"none"``.
        hidden_channels: Hidden width.
        out_channels: Embedding width ``d``.
        num_layers: Encoder layers.
        dropout: Encoder dropout.
        encoder_options: Extra encoder keyword arguments.
        decoder_options: Extra decoder keyword arguments.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        epochs: Maximum training epochs.
        patience: Stop after this many evaluations without a better validation AUC
            (0 disables early stopping).
        eval_every: Evaluate on validation every this many epochs.
        val_ratio: Validation fraction of edges (random splits).
        test_ratio: Test fraction of edges (random splits).
        split_seed: Seed of the random split; ``None`` uses ``seed``.
        seed: Seed of initialisation, negatives and dropout.
        device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
        neg_ratio: Negatives per positive in training.
        batch_size: Positive pairs per step (``None``: one full-batch step per epoch).
        deterministic: Use deterministic algorithms only (bit-identical CPU runs).
        feature_decoder: Feature decoder beside the structure ``decoder`` (joint
            GALA/DOMINANT-style reconstruction), or ``None``.
        feature_decoder_options: Extra feature-decoder keyword arguments.
        feature_loss: ``"mse"`` or ``"sce"`` (GraphMAE's scaled cosine error).
        sce_gamma: SCE exponent.
        structure_weight: Weight of the structure reconstruction loss.
        feature_weight: Weight of the feature reconstruction loss.
        loss: Structure loss: ``"pairs"`` (sampled pairs) or ``"dense"`` (Kipf's
            re-weighted full-graph loss; graphs of at most 20,000 nodes).
        variational: VGAE: μ / log σ heads, reparameterised ``z``, KL term.
        kl_weight: Weight of the KL term; ``None`` for ``1/N`` (Kipf & Welling).
        adversarial: ARGA: a discriminator pushes ``z`` towards ``N(0, I)``.
        adversarial_weight: Weight of the generator loss.
        edge_mask: MaskGAE: fraction of training pairs hidden from the encoder each
            step and reconstructed as the positives (0 = off).
        degree_weight: MaskGAE degree-decoder loss weight (0 = no degree decoder).
        feature_mask: GraphMAE: fraction of nodes whose features are replaced by
            a learnable mask token and reconstructed (0 = off).
        feature_noise: Denoising: std of Gaussian noise on the encoder's features.
        edge_dropout: Denoising: fraction of message-passing pairs dropped each step.
        variant_options: Secondary variant settings (``graphae.models.VARIANT_OPTIONS``).
        select: Model selection on validation: ``"link"`` (decoder link AUC, or the
            inner-product AUC without a structure decoder), ``"probe"`` (node-probe
            accuracy on the validation nodes), ``"loss"`` (the lowest training
            loss, DGI's rule; patience counts epochs without a lower loss) or
            ``"last"`` (the final epoch).
        objective: ``"reconstruction"`` (the autoencoder) or a self-supervised
            objective that trains the encoder without a decoder: ``"dgi"``,
            ``"grace"`` or ``"bgrl"`` (:mod:`graphae.contrastive`).
        objective_options: Options of that objective
            (:data:`graphae.contrastive.OBJECTIVE_OPTIONS`).
    """

    dataset: str | None = None
    graph: str | None = None
    features: str | None = None
    feature_ids: str | None = None
    labels: str | None = None
    directed: bool = False
    data_root: str | None = None
    encoder: str = "gcn"
    decoder: str = "inner_product"
    hidden_channels: int = 32
    out_channels: int = 16
    num_layers: int = 2
    dropout: float = 0.0
    encoder_options: dict[str, Any] = field(default_factory=dict)
    decoder_options: dict[str, Any] = field(default_factory=dict)
    lr: float = 0.01
    weight_decay: float = 0.0
    epochs: int = 400
    patience: int = 100
    eval_every: int = 1
    val_ratio: float = 0.05
    test_ratio: float = 0.10
    split_seed: int | None = None
    seed: int = 0
    device: str = "auto"
    neg_ratio: float = 1.0
    batch_size: int | None = None
    deterministic: bool = False
    feature_decoder: str | None = None
    feature_decoder_options: dict[str, Any] = field(default_factory=dict)
    feature_loss: str = "mse"
    sce_gamma: float = 2.0
    structure_weight: float = 1.0
    feature_weight: float = 1.0
    loss: str = "pairs"
    variational: bool = False
    kl_weight: float | None = None
    adversarial: bool = False
    adversarial_weight: float = 1.0
    edge_mask: float = 0.0
    degree_weight: float = 0.0
    feature_mask: float = 0.0
    feature_noise: float = 0.0
    edge_dropout: float = 0.0
    variant_options: dict[str, Any] = field(default_factory=dict)
    select: str = "link"
    objective: str = "reconstruction"
    objective_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.dataset is None) == (self.graph is None):
            raise GraphaeError("give exactly one of a dataset name (--dataset) or a graph file (--graph)")
        checks = {
            "epochs": self.epochs >= 1,
            "hidden_channels": self.hidden_channels >= 1,
            "out_channels": self.out_channels >= 1,
            "num_layers": self.num_layers >= 1,
            "lr": self.lr > 0,
            "dropout": 0 <= self.dropout < 1,
            "eval_every": self.eval_every >= 1,
            "patience": self.patience >= 0,
            "neg_ratio": self.neg_ratio > 0,
            "batch_size": self.batch_size is None or self.batch_size >= 1,
            "feature_loss": self.feature_loss in ("mse", "sce"),
            "sce_gamma": self.sce_gamma > 0,
            "structure_weight": self.structure_weight >= 0,
            "feature_weight": self.feature_weight >= 0,
            "loss": self.loss in ("pairs", "dense"),
            "kl_weight": self.kl_weight is None or self.kl_weight >= 0,
            "edge_mask": 0 <= self.edge_mask < 1,
            "degree_weight": self.degree_weight >= 0,
            "feature_mask": 0 <= self.feature_mask < 1,
            "feature_noise": self.feature_noise >= 0,
            "edge_dropout": 0 <= self.edge_dropout < 1,
            "select": self.select in ("link", "probe", "loss", "last"),
            "objective": self.objective in ("reconstruction", "dgi", "grace", "bgrl"),
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise GraphaeError(f"invalid value for {', '.join(bad)}: " + ", ".join(
                f"{k}={getattr(self, k)!r}" for k in bad))
        encoders.get(self.encoder)
        resolve_decoders(self.decoder, self.feature_decoder)
        if self.objective != "reconstruction":
            from graphae.contrastive import resolve_options

            resolve_options(self.objective, self.objective_options)
        elif self.objective_options:
            raise GraphaeError("objective_options apply to objective dgi, grace or bgrl only")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> RunConfig:
        """Build from a dict, rejecting unknown keys with the list of valid ones."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(obj) - names)
        if unknown:
            raise GraphaeError(f"unknown config keys {unknown}; valid keys: {sorted(names)}")
        return cls(**obj)

    def replace(self, **changes: Any) -> RunConfig:
        """Copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)


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


def build_model(config: RunConfig, in_channels: int, num_nodes: int,
                directed: bool | None = None) -> GraphAutoEncoder:
    """Encoder, decoder(s) and variants from the registries, sized by ``config``
    (see :func:`graphae.models.build_model`)."""
    return _build_model(config, in_channels, num_nodes, directed)


def _peak_memory(device: torch.device) -> dict[str, int]:
    mem = {"peak_rss": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024}
    if device.type == "cuda":
        mem["peak_cuda"] = int(torch.cuda.max_memory_allocated(device))
    return mem


@torch.no_grad()
def score_pairs(model: GraphAutoEncoder, z: Tensor, pairs: Tensor, edge_index: Tensor,
                chunk: int = 1 << 20) -> Tensor:
    """Decoder logits of ``pairs`` ``(2, P)`` in chunks, returned on the CPU as ``(P,)``."""
    out = [model.score(z, pairs[:, i : i + chunk], edge_index).float().cpu()
           for i in range(0, pairs.size(1), chunk)]
    return torch.cat(out) if out else torch.empty(0)


def _val_auc(pos: Tensor, neg: Tensor) -> float:
    """Exact ROC AUC (ties count half) from two score vectors, in torch."""
    scores = torch.cat([pos, neg])
    ranks = torch.empty_like(scores)
    order = scores.argsort()
    ranks[order] = torch.arange(1, scores.numel() + 1, dtype=scores.dtype)
    # average ranks of ties
    uniq, inv = torch.unique(scores, return_inverse=True)
    if uniq.numel() < scores.numel():
        sums = torch.zeros_like(uniq).index_add_(0, inv, ranks)
        counts = torch.zeros_like(uniq).index_add_(0, inv, torch.ones_like(ranks))
        ranks = (sums / counts)[inv]
    p, q = pos.numel(), neg.numel()
    return float((ranks[:p].sum() - p * (p + 1) / 2) / (p * q))


def fit(config: RunConfig, graph: Graph | None = None, *, progress: bool = False) -> TrainedRun:
    """Train one graph autoencoder and measure its frozen embeddings.

    Args:
        config: The run configuration.
        graph: An already loaded graph (else loaded from ``config``).
        progress: Show a progress bar (stderr).

    Returns:
        The :class:`TrainedRun` with the model at the best validation epoch.

    Raises:
        GraphaeError: On bad input (the CLI turns it into a one-line error).
    """
    t0 = time.perf_counter()
    device = resolve_device(config.device)
    seed_everything(config.seed, config.deterministic)
    if graph is None:
        graph = load_input(config)
    if graph.data.x is None and config.encoder != "embedding":
        raise GraphaeError(
            f"{graph.name} has no node features; use --encoder embedding (learnable node codes)"
        )
    split = make_split(graph, config)
    fnr = false_negative_rate(split, graph.data.edge_index) if split.source == "random" else 0.0
    log.info("%s; split %s", graph.summary(), split.sizes())

    x = graph.data.x.to(device) if graph.data.x is not None else torch.empty(graph.num_nodes, 0, device=device)
    sp = split.to(device)
    model = build_model(config, x.size(1), graph.num_nodes, directed=graph.directed).to(device)
    # main_parameters(): everything but a regulariser that trains itself (ARGA's discriminator)
    opt = torch.optim.Adam(model.main_parameters(), lr=config.lr, weight_decay=config.weight_decay)
    if config.select == "probe" and (graph.y is None or not bool((graph.y >= 0).any())):
        raise GraphaeError(f"select='probe' needs node labels; {graph.name} has none")
    exclude = EdgeSet(sp.train_pos, graph.num_nodes, directed=split.directed)
    gen = torch.Generator(device=device).manual_seed(config.seed)

    best = {"auc": float("-inf"), "epoch": 0, "state": None}
    history: list[dict[str, float]] = []
    bad_evals = 0
    t_train = time.perf_counter()
    epochs_run = 0
    bar = _progress_bar(config.epochs, progress)
    for epoch in range(1, config.epochs + 1):
        model.train()
        losses = []
        parts: dict[str, list[float]] = {}
        for pos in _batches(sp.train_pos, config.batch_size, gen):
            neg = sample_negatives(max(1, int(pos.size(1) * config.neg_ratio)), exclude, generator=gen)
            opt.zero_grad(set_to_none=True)
            loss, named = model.loss(x, sp.mp_edge_index, sp.mp_edge_weight, pos, neg)
            if not torch.isfinite(loss):
                raise GraphaeError(f"training diverged at epoch {epoch} (loss {loss.item()}); lower --lr")
            loss.backward()
            opt.step()
            named.update(model.extra_step())  # regulariser update (ARGA); no-op otherwise
            losses.append(float(loss.detach()))
            for k, v in named.items():
                parts.setdefault(k, []).append(v)
        epochs_run = epoch
        record = {"epoch": epoch, "loss": float(np.mean(losses))}
        record.update({f"loss/{k}": float(np.mean(v)) for k, v in parts.items()})
        if epoch % config.eval_every == 0 or epoch == config.epochs:
            model.eval()
            with torch.no_grad():
                z = model.encode(x, sp.mp_edge_index, sp.mp_edge_weight)
                auc = _val_auc(score_pairs(model, z, sp.val_pos, sp.mp_edge_index),
                               score_pairs(model, z, sp.val_neg, sp.mp_edge_index))
            record["val/auc"] = auc
            score = auc
            if config.select == "probe":
                score = record["val/probe"] = _val_probe(z, graph, config.seed)
            elif config.select == "loss":  # lowest training loss (DGI's early stopping)
                score = -record["loss"]
            elif config.select == "last":
                score = float(epoch)
            if score > best["auc"]:
                best = {"auc": score, "epoch": epoch,
                        "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
                bad_evals = 0
            else:
                bad_evals += 1
        history.append(record)
        bar.update(1)
        bar.set_postfix(loss=f"{record['loss']:.4f}", val_auc=f"{best['auc']:.4f}")
        if config.patience and bad_evals >= config.patience:
            log.info("early stop at epoch %d (best %d)", epoch, best["epoch"])
            break
    bar.close()
    train_time = time.perf_counter() - t_train
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    model.eval()
    t_eval = time.perf_counter()
    with torch.no_grad():
        z = model.encode(x, sp.mp_edge_index, sp.mp_edge_weight)
    metrics = measure(model, z, graph, sp, seed=config.seed)
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
    )
    return TrainedRun(config, model, graph, split, z.detach().float().cpu(), result)


def _val_probe(z: Tensor, graph: Graph, seed: int) -> float:
    """Validation accuracy of the node probe on ``z`` (model selection with ``select="probe"``)."""
    from graphae.evaluate import node_probe

    masks = {k: getattr(graph.data, k, None) for k in ("train_mask", "val_mask", "test_mask")}
    masks = {k: (v.cpu().numpy() if v is not None else None) for k, v in masks.items()}
    if any(v is None for v in masks.values()):
        masks = {}
    probe = node_probe(z.detach().float().cpu().numpy(), graph.y.cpu().numpy(), seed=seed, **masks)
    return float(probe["val_accuracy"])


def _batches(pos: Tensor, batch_size: int | None, gen: torch.Generator) -> list[Tensor]:
    """The epoch's positive pairs: all at once, or shuffled mini-batches."""
    if batch_size is None or batch_size >= pos.size(1):
        return [pos]
    perm = torch.randperm(pos.size(1), device=pos.device, generator=gen)
    return [pos[:, perm[i : i + batch_size]] for i in range(0, pos.size(1), batch_size)]


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="train", unit="epoch", disable=not enabled, leave=False)


def measure(model: GraphAutoEncoder, z: Tensor, graph: Graph, split: LinkSplit, seed: int = 0,
            max_probe_pairs: int = 50_000) -> dict[str, float]:
    """Every metric of a trained model's frozen embeddings (keys as in design.md).

    The decoder's own link metrics (``link/*``, ``recon/loss``) on validation and
    test, and the decoder-independent probes (``probe/*``) on ``z``.

    A model without a structure decoder (feature-only) has no ``link/*``: its
    link metrics are those of the parameter-free inner product on ``z``, keyed
    ``link_ip/*`` to say so, and its ``recon/loss`` is the feature
    reconstruction loss over all nodes. A model with a feature decoder also
    reports that loss as ``recon/feature_loss`` (MSE or SCE, as trained).

    Args:
        model: The trained model (eval mode).
        z: ``(N, d)`` embeddings on the model's device.
        graph: The input graph (labels and masks for the node probe).
        split: The split on the model's device.
        seed: Seed of the probes' own sampling.
        max_probe_pairs: Cap on training pairs of the link probe.

    Returns:
        Flat ``{name: value}`` metrics.
    """
    from graphae.evaluate import cluster_nmi, link_metrics, link_probe, node_probe, ogb_metrics
    from graphae.objectives import pair_bce

    metrics: dict[str, float] = {}
    ogb_name = graph.meta.get("ogb_name")
    has_structure = getattr(model, "has_structure_decoder", True)
    prefix = "link" if has_structure else "link_ip"
    for part, pos_pairs, neg_pairs in (("val/", split.val_pos, split.val_neg), ("", split.test_pos, split.test_neg)):
        pos = score_pairs(model, z, pos_pairs, split.mp_edge_index)
        neg = score_pairs(model, z, neg_pairs, split.mp_edge_index)
        link = link_metrics(pos, neg)
        if ogb_name is not None:
            link.update(ogb_metrics(ogb_name, pos, neg))
        metrics.update({f"{part}{prefix}/{k}": float(v) for k, v in link.items()})
        if has_structure:
            metrics[f"{part}recon/loss"] = float(pair_bce(pos, neg))
    if getattr(model, "feature_decoder", None) is not None and graph.data.x is not None:
        with torch.no_grad():
            x = graph.data.x.to(z.device)
            floss = float(model.feature_recon_loss(x, z, split.mp_edge_index, split.mp_edge_weight))
        metrics["recon/feature_loss"] = floss
        if not has_structure:
            metrics["recon/loss"] = floss
    zc = z.detach().float().cpu().numpy()
    y = graph.y
    if y is not None and bool((y >= 0).any()):
        yn = y.cpu().numpy()
        masks = {k: getattr(graph.data, k, None) for k in ("train_mask", "val_mask", "test_mask")}
        masks = {k: (v.cpu().numpy() if v is not None else None) for k, v in masks.items()}
        probe = node_probe(zc, yn, seed=seed, **masks)
        metrics["probe/node_accuracy"] = float(probe["accuracy"])
        metrics["val/probe/node_accuracy"] = float(probe["val_accuracy"])
        metrics["probe/nmi"] = float(cluster_nmi(zc, yn, seed=seed))
    gen = torch.Generator().manual_seed(seed)
    train_pos = split.train_pos.cpu()
    if train_pos.size(1) > max_probe_pairs:
        train_pos = train_pos[:, torch.randperm(train_pos.size(1), generator=gen)[:max_probe_pairs]]
    exclude = EdgeSet(split.train_pos.cpu(), graph.num_nodes, directed=split.directed)
    train_neg = sample_negatives(train_pos.size(1), exclude, generator=gen, device="cpu")
    lp = link_probe(zc, train_pos.numpy(), train_neg.numpy(), split.test_pos.cpu().numpy(),
                    split.test_neg.cpu().numpy())
    metrics["probe/link_auc"] = float(lp["auc"])
    return metrics

"""Latent inference: embedding nodes an auto-decoder never saw.

An auto-decoder (the ``embedding`` encoder) has no encoder to run on new
nodes. Their codes are optimised instead (:func:`infer_codes`) against their
observed edges to known nodes (and/or their features) with ``θ`` and every
known code frozen, under the training prior
(:func:`~graphae.training.strategies.latent_prior`):
:func:`infer_run` for a run folder and a file of edges (:func:`read_new_edges`,
``graphae embed RUN --infer EDGES``), :func:`embed_graph_nodes` for every node
of a graph (known nodes keep their trained codes).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from graphae.data.features import input_features
from graphae.errors import GraphaeError
from graphae.models import pairwise_decoder
from graphae.nn.latent import EmbeddingEncoder, LatentTable
from graphae.training.strategies import latent_prior

if TYPE_CHECKING:
    from graphae.embeddings import Embeddings
    from graphae.models import GraphAutoEncoder

__all__ = [
    "code_table",
    "embed_graph_nodes",
    "infer_codes",
    "infer_run",
    "read_new_edges",
]


def infer_codes(
    model: GraphAutoEncoder,
    new_edges: Tensor,
    num_new: int | None = None,
    *,
    edge_weight: Tensor | None = None,
    x_new: Tensor | None = None,
    edge_index: Tensor | None = None,
    prior_sigma: float | None = None,
    steps: int = 300,
    lr: float = 0.05,
    neg_ratio: float = 5.0,
    init_std: float | None = None,
    reconstruct_weights: bool = False,
    seed: int = 0,
) -> Tensor:
    """Latent inference: codes of new nodes from their edges to known nodes (θ frozen).

    Optimises ``M`` new codes (Adam, full batch) to minimise the model's
    reconstruction loss of the new nodes' observed edges (BCE of the positives
    against ``neg_ratio`` random known nodes per positive, resampled each step
    and never an observed neighbour) and/or of their features ``x_new`` (feature
    decoders), plus the prior ``(1/σ²) · mean ‖z_new‖²``. Every parameter of
    ``model`` — the decoder's ``θ`` and all known codes — is left bit-for-bit
    unchanged (``requires_grad`` is switched off for the call and restored).

    Args:
        model: A trained model with the ``embedding`` encoder (``N`` known codes).
        new_edges: ``(2, E)``: row 0 the new node (``0..M-1``), row 1 a known node
            (``0..N-1``).
        num_new: ``M`` (default ``max(new_edges[0]) + 1``).
        edge_weight: ``(E,)`` optional weights; soft targets ``w / max w`` when
            ``reconstruct_weights``, else ignored.
        x_new: ``(M, F)`` features of the new nodes (for a feature decoder).
        edge_index: ``(2, E')`` the known graph's message-passing edges, for
            decoders that propagate (``gnn``, ``mirror``); the new edges are added
            in both directions.
        prior_sigma: ``σ`` of the prior (``None``: no prior).
        steps: Optimisation steps.
        lr: Adam learning rate of the new codes.
        neg_ratio: Negatives per observed edge per step.
        init_std: Std of the new codes' normal init (default the table's, or 0.1).
        reconstruct_weights: Use ``edge_weight`` as soft targets.
        seed: Seed of the initialisation and the negatives.

    Returns:
        ``(M, d)`` codes of the new nodes (detached, on the model's device).

    Raises:
        GraphaeError: For a model without the ``embedding`` encoder, ids out of
            range, or neither edges nor features to infer from.
    """
    enc = model.encoder
    if not isinstance(enc, EmbeddingEncoder):
        raise GraphaeError(
            "latent inference needs the embedding encoder (an auto-decoder); encoder-based "
            "models embed new nodes with their encoder (graphae embed RUN --graph ...)"
        )
    known = enc.codes.weight
    device = known.device
    n, d = known.shape
    new_edges = torch.as_tensor(new_edges, dtype=torch.long, device=device).reshape(2, -1)
    m = (
        int(num_new)
        if num_new is not None
        else int(new_edges[0].max()) + 1
        if new_edges.numel()
        else 0
    )
    if x_new is not None and num_new is None:
        m = max(m, int(x_new.size(0)))
    if m == 0:
        return known.new_zeros(0, d)
    if new_edges.numel():
        if int(new_edges[0].min()) < 0 or int(new_edges[0].max()) >= m:
            raise GraphaeError(f"new node indices must be in [0, {m})")
        if int(new_edges[1].min()) < 0 or int(new_edges[1].max()) >= n:
            raise GraphaeError(f"known node indices must be in [0, {n})")
    use_structure = model.decoder is not None and new_edges.numel() > 0
    use_features = model.feature_decoder is not None and x_new is not None
    if not use_structure and not use_features:
        raise GraphaeError(
            "nothing to infer the new codes from: give edges to known nodes (structure "
            "decoder) or features x_new (feature decoder)"
        )
    gen = torch.Generator(device=device).manual_seed(seed)
    std = init_std if init_std is not None else (enc.codes.init_std or 0.1)
    new = (
        torch.randn(m, d, generator=gen, device=device, dtype=known.dtype) * std
    ).requires_grad_()
    opt = torch.optim.Adam([new], lr=lr)
    pos = torch.stack([new_edges[0] + n, new_edges[1]])
    target = None
    if reconstruct_weights and edge_weight is not None:
        w = torch.as_tensor(edge_weight, dtype=known.dtype, device=device)
        target = (w / w.max().clamp_min(1e-12)).clamp(0, 1)
    observed = set((new_edges[0] * n + new_edges[1]).tolist()) if new_edges.numel() else set()
    num_neg = max(1, round(pos.size(1) * neg_ratio)) if use_structure else 0
    ei = None
    if edge_index is not None:
        ei = torch.cat([edge_index.to(device), pos, pos.flip(0)], dim=1)
    flags = [(p, p.requires_grad) for p in model.parameters()]
    was_training = model.training
    model.eval()
    try:
        for p, _ in flags:
            p.requires_grad_(False)
        frozen = known.detach()
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            z = torch.cat([frozen, new], dim=0)
            loss = latent_prior(new, prior_sigma)
            if use_structure:
                neg = _sample_new_negatives(num_neg, m, n, observed, gen, device)
                weighted, _ = model.pair_loss(z, pos, neg, ei, target)
                loss = loss + weighted
            if use_features:
                fe = ei if ei is not None else pos.new_zeros(2, 0)
                x_hat = model.reconstruct_features(z, fe)[n:]
                weighted, _ = model.feature_loss(x_hat, x_new.to(x_hat))
                loss = loss + weighted
            loss.backward()
            opt.step()
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)
    return new.detach()


def _sample_new_negatives(
    count: int, m: int, n: int, observed: set[int], gen: torch.Generator, device: torch.device
) -> Tensor:
    """``(2, count)`` pairs (new node + n, random known node), none of them observed."""
    u = torch.randint(0, m, (count,), generator=gen, device=device)
    v = torch.randint(0, n, (count,), generator=gen, device=device)
    if observed:
        keys = (u * n + v).cpu().numpy()
        bad = torch.from_numpy(np.isin(keys, np.fromiter(observed, dtype=np.int64))).to(device)
        for _ in range(10):
            if not bool(bad.any()):
                break
            k = int(bad.sum())
            v[bad] = torch.randint(0, n, (k,), generator=gen, device=device)
            keys = (u * n + v).cpu().numpy()
            bad = torch.from_numpy(np.isin(keys, np.fromiter(observed, dtype=np.int64))).to(device)
        keep = ~bad
        u, v = u[keep], v[keep]
    return torch.stack([u + n, v])


def read_new_edges(path: str | Path, known: Any) -> tuple[list[Any], Tensor, Tensor | None]:
    """Read a new nodes' edge file ``new_id,known_id[,weight]``.

    A header row is skipped when its second field is not a known id (e.g.
    ``new_id,known_id``). Comma, tab or whitespace separated.

    Args:
        path: The edge file.
        known: :class:`~graphae.data.graph.NodeIndex` of the training graph.

    Returns:
        ``(new ids in first-seen order, (2, E) [new row, known row], (E,) weights or None)``.

    Raises:
        GraphaeError: On a missing file, a malformed line, an unknown known id,
            or a "new" id that is already a node of the training graph.
    """
    p = Path(path)
    if not p.is_file():
        raise GraphaeError(f"new-edges file {p} not found")
    text = p.read_text(encoding="utf-8").splitlines()
    rows: list[list[str]] = []
    for line in text:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if "," in s:
            parts = next(csv.reader([s]))
        else:
            parts = s.split()
        rows.append([t.strip() for t in parts])
    if rows and len(rows[0]) >= 2 and _is_header(rows[0][1], known):
        rows = rows[1:]
    new_ids: dict[Any, int] = {}
    src, dst, weights = [], [], []
    for lineno, r in enumerate(rows, start=1):
        if len(r) not in (2, 3):
            raise GraphaeError(
                f"{p}: line {lineno} has {len(r)} fields; expected new_id,known_id[,weight]"
            )
        k = _to_id(r[1], known)
        if k is None:
            raise GraphaeError(
                f"{p}: known id {r[1]!r} (line {lineno}) is not a node of the training graph"
            )
        new_id = _as_id(r[0], known)
        if _to_id(r[0], known) is not None:
            raise GraphaeError(
                f"{p}: new id {r[0]!r} (line {lineno}) is already a node of the training graph"
            )
        src.append(new_ids.setdefault(new_id, len(new_ids)))
        dst.append(known.row(k))
        if len(r) == 3:
            try:
                weights.append(float(r[2]))
            except ValueError as e:
                raise GraphaeError(f"{p}: bad weight {r[2]!r} on line {lineno}") from e
    if not src:
        raise GraphaeError(f"{p} has no edges (expected lines new_id,known_id[,weight])")
    if weights and len(weights) != len(src):
        raise GraphaeError(f"{p}: give a weight on every line or on none")
    ei = torch.tensor([src, dst], dtype=torch.long)
    w = torch.tensor(weights, dtype=torch.float32) if weights else None
    return list(new_ids), ei, w


def _as_id(token: str, known: Any) -> Any:
    """A token typed like the index's ids (``int`` when the index is integer and it parses)."""
    if known.id_type == "int":
        try:
            return int(token)
        except ValueError:
            return token
    return token


def _to_id(token: str, known: Any) -> Any:
    """The known id ``token`` names, or ``None``."""
    t = _as_id(token, known)
    return t if t in known else None


def _is_header(token: str, known: Any) -> bool:
    """Whether a first line's second field is a column name rather than an id."""
    if _to_id(token, known) is not None:
        return False
    if known.id_type == "int":
        return not isinstance(_as_id(token, known), int)
    return token.lower() in {"known_id", "known", "target", "dst", "to", "v", "node", "id"}


def infer_run(
    run_dir: str | Path,
    edges: str | Path,
    *,
    steps: int = 300,
    lr: float = 0.05,
    neg_ratio: float = 5.0,
    prior_sigma: float | None = None,
    seed: int = 0,
) -> Embeddings:
    """Embed new nodes of a trained auto-decoder run from a file of their edges.

    Args:
        run_dir: Folder written by ``graphae train`` with ``--encoder embedding``.
        edges: ``new_id,known_id[,weight]`` lines (see :func:`read_new_edges`).
        steps: Optimisation steps (see :func:`infer_codes`).
        lr: Learning rate of the new codes.
        neg_ratio: Negatives per observed edge per step.
        prior_sigma: ``σ`` of the prior; default the run's ``prior_sigma``.
        seed: Seed.

    Returns:
        :class:`~graphae.embeddings.Embeddings` of the new nodes, keyed by their ids.
    """
    from graphae.embeddings import Embeddings
    from graphae.inference.runs import load_model

    model, config, nodes = load_model(run_dir)
    if not isinstance(model.encoder, EmbeddingEncoder):
        raise GraphaeError(
            f"{run_dir} was trained with the {config.encoder!r} encoder; --infer needs an "
            "auto-decoder run (--encoder embedding)"
        )
    if model.decoder is None:
        raise GraphaeError(f"{run_dir} has no structure decoder to infer codes from edges")
    new_ids, ei, w = read_new_edges(edges, nodes)
    mp = None
    if not pairwise_decoder(model.decoder):
        from graphae.pipeline import export_split, load_input

        g = load_input(config)
        mp = export_split(g, config).mp_edge_index  # the graph the saved model was trained on
    sigma = prior_sigma if prior_sigma is not None else getattr(config, "prior_sigma", None)
    z = infer_codes(
        model,
        ei,
        len(new_ids),
        edge_weight=w,
        edge_index=mp,
        prior_sigma=sigma,
        steps=steps,
        lr=lr,
        neg_ratio=neg_ratio,
        reconstruct_weights=bool(getattr(config, "reconstruct_weights", False)),
        seed=seed,
    )
    return Embeddings(new_ids, z.float().cpu().numpy())


def code_table(model: GraphAutoEncoder) -> LatentTable:
    """The ``embedding`` encoder's code table of ``model``."""
    if not isinstance(model.encoder, EmbeddingEncoder):
        raise GraphaeError("the model has no embedding encoder")
    return model.encoder.codes


def embed_graph_nodes(
    model: GraphAutoEncoder,
    known: Embeddings,
    graph: Any,
    feature_norm: str = "auto",
    **kwargs: Any,
) -> np.ndarray:
    """Vectors of every node of ``graph``: known nodes' codes, new nodes by latent inference.

    A node of ``graph`` whose id is in ``known`` gets its trained code; the
    others are new and get codes from their edges (in ``graph``) to known nodes
    — edges among new nodes are not used — and, for a model with a feature
    decoder, from their features.

    Args:
        model: A trained auto-decoder (``embedding`` encoder).
        known: The training nodes' embeddings (ids and codes).
        graph: A :class:`~graphae.data.graph.Graph`.
        feature_norm: The run's ``RunConfig.feature_norm`` (the feature
            decoder's target is prepared as in training).
        **kwargs: Passed to :func:`infer_codes` (``steps``, ``lr``, ``prior_sigma``...).

    Returns:
        ``(N_graph, d)`` float32 array in ``graph``'s node order.

    Raises:
        GraphaeError: When a new node has neither an edge to a known node nor
            features a feature decoder can use.
    """
    ids = graph.nodes.ids
    known_index = {i: r for r, i in enumerate(known.ids)}
    rows = np.array([known_index.get(i, -1) for i in ids], dtype=np.int64)
    out = np.zeros((len(ids), known.dim), dtype=np.float32)
    seen = rows >= 0
    out[seen] = known.vectors[rows[seen]]
    if seen.all():
        return out
    new_rows = np.flatnonzero(~seen)
    new_pos = -np.ones(len(ids), dtype=np.int64)
    new_pos[new_rows] = np.arange(len(new_rows))
    ei = graph.data.edge_index.cpu().numpy()
    pairs = []
    for a, b in ((ei[0], ei[1]), (ei[1], ei[0])):
        mask = (~seen[a]) & seen[b]
        pairs.append(np.stack([new_pos[a[mask]], rows[b[mask]]]))
    p = np.unique(np.concatenate(pairs, axis=1), axis=1) if pairs else np.zeros((2, 0), np.int64)
    x_new = None
    if model.feature_decoder is not None and graph.data.x is not None:
        x_new = input_features(graph, feature_norm)[torch.from_numpy(new_rows)]
    linked = np.zeros(len(new_rows), dtype=bool)
    linked[p[0]] = True
    if x_new is None and not linked.all():
        lonely = ids[int(new_rows[np.flatnonzero(~linked)[0]])]
        raise GraphaeError(
            f"new node {lonely!r} has no edge to a node seen in fit; latent inference needs "
            "edges to known nodes (or features, for a model with a feature decoder)"
        )
    z = infer_codes(model, torch.from_numpy(p).long(), len(new_rows), x_new=x_new, **kwargs)
    out[new_rows] = z.float().cpu().numpy()
    return out
